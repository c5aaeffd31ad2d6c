"""Coding quotes with narratives."""

from collections.abc import Iterable

from django.db import transaction

from .models import Narrative, Tag


@transaction.atomic
def quote_tag(*, quote, narrative: Narrative, coder=None, note: str = "") -> Tag:
    """Code ``quote`` with ``narrative`` as ``coder`` (None for the study fixture
    and imports). Every tag the admin or the API adds comes through here, so the
    coder is recorded the same way everywhere. Coding a quote again with the same
    narrative by the same coder keeps the one tag (taking a new note if given)."""
    tag = Tag.objects.filter(quote=quote, narrative=narrative, coder=coder).first()
    if tag is None:
        tag = Tag(quote=quote, narrative=narrative, coder=coder, note=note)
    elif not note or note == tag.note:
        return tag
    tag.note = note
    tag.full_clean()
    tag.save()
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
    for narrative in Narrative.objects.filter(pk__in=wanted - present):
        quote_tag(quote=quote, narrative=narrative, coder=coder)


@transaction.atomic
def narrative_save(*, narrative: Narrative) -> Narrative:
    """Validate and save a code of the codebook (its code must stay a slug, its colour #RRGGBB)."""
    narrative.full_clean()
    narrative.save()
    return narrative
