"""Coding quotes with narratives."""

from collections.abc import Iterable

from django.db import transaction

from .models import Narrative, Tag


@transaction.atomic
def quote_tag(*, quote, narrative: Narrative, coder=None) -> Tag:
    tag, _ = Tag.objects.get_or_create(quote=quote, narrative=narrative, coder=coder)
    return tag


@transaction.atomic
def quote_set_narratives(*, quote, narratives: Iterable[Narrative], coder=None) -> None:
    """Make the quote carry exactly these narratives.

    Unchecked narratives lose their tags from every coder (the form shows the
    union of all coders' tags); newly checked ones are tagged by ``coder``.
    Tags are deleted one by one so that the change history records each.
    """
    wanted = {n.pk for n in narratives}
    for tag in quote.tags.exclude(narrative_id__in=wanted):
        tag.delete()
    present = set(quote.tags.values_list("narrative_id", flat=True))
    for narrative_id in wanted - present:
        Tag.objects.create(quote=quote, narrative_id=narrative_id, coder=coder)


@transaction.atomic
def narrative_save(*, narrative: Narrative) -> Narrative:
    """Validate and save a code of the codebook (its code must stay a slug, its colour #RRGGBB)."""
    narrative.full_clean()
    narrative.save()
    return narrative
