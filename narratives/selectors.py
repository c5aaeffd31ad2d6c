"""Reads behind the codebook pages."""

from django.db.models import Count, Prefetch, Q

from accounts.access import can_view_restricted
from testimony.models import Quote

from .models import Narrative, Tag


def narrative_codebook(*, user):
    """The codebook with how many quotes and defectors carry each code, counting
    only records this user may see, in one aggregate query."""
    visible = Q() if can_view_restricted(user) else Q(tags__quote__defector__visibility="public")
    return Narrative.objects.select_related("parent").annotate(
        quote_count=Count("tags__quote", filter=visible, distinct=True),
        defector_count=Count("tags__quote__defector", filter=visible, distinct=True),
    )


def narrative_quotes(*, narrative: Narrative, defectors):
    """Quotes tagged with ``narrative`` whose defector is in ``defectors`` (a filtered,
    visible set), with what each row shows, ordered by case then source date."""
    quotes = Quote.objects.filter(pk__in=Tag.objects.filter(narrative=narrative).values("quote_id"))
    if defectors.query.where:  # every defector needs no join with them
        quotes = quotes.filter(defector__in=defectors.order_by().values("pk"))
    return (
        quotes.select_related("defector", "source__outlet")
        .prefetch_related(
            Prefetch("tags", queryset=Tag.objects.select_related("narrative").order_by("narrative__display_order"))
        )
        .order_by("defector__case_id", "source__published_on", "pk")
    )
