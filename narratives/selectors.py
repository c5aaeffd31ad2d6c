"""Reads behind the codebook pages."""

from django.db.models import Count, Q

from accounts.access import can_view_restricted
from testimony.generation import cached_count
from testimony.models import Quote

from .models import Narrative, Tag


def narrative_codebook(*, user, request=None) -> list[Narrative]:
    """The codebook with how many quotes and defectors carry each code, counting
    only records this user may see: one aggregate query, kept until the data
    changes (testimony/generation.py), since it reads every tag."""

    def counts():
        visible = Q() if can_view_restricted(user) else Q(tags__quote__defector__visibility="public")
        rows = Narrative.objects.annotate(
            quote_total=Count("tags__quote", filter=visible, distinct=True),
            defector_total=Count("tags__quote__defector", filter=visible, distinct=True),
        ).values_list("pk", "quote_total", "defector_total")
        return {pk: (quotes, defectors) for pk, quotes, defectors in rows}

    counted = cached_count("codebook", user=user, request=request, compute=counts)
    narratives = list(Narrative.objects.select_related("parent"))
    for narrative in narratives:
        narrative.quote_count, narrative.defector_count = counted.get(narrative.pk, (0, 0))
    return narratives


def narrative_quotes(*, narrative: Narrative, defectors):
    """Quotes tagged with ``narrative`` whose defector is in ``defectors`` (a filtered,
    visible set), with what each row shows, ordered by case then source date."""
    quotes = Quote.objects.filter(pk__in=Tag.objects.filter(narrative=narrative).values("quote_id"))
    if defectors.query.where:  # every defector needs no join with them
        quotes = quotes.filter(defector__in=defectors.order_by().values("pk"))
    # Each page's narrative badges: testimony.selectors.attach_quote_badges.
    quotes = quotes.select_related("defector", "source__outlet")
    return quotes.order_by("defector__case_id", "source__published_on", "pk")
