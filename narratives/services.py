"""Coding quotes with narratives."""

from collections.abc import Iterable

from django.db import transaction

from coding.versions import codebook_record_change, current_codebook_version, meaning_changed

from .models import Narrative, Tag


def _record_coded(quote, coder, version) -> None:
    """A coder who tags a quote has coded it (coding.CodingDecision), so reliability counts them."""
    if coder is not None:
        from coding.models import CodingDecision

        CodingDecision.objects.get_or_create(quote=quote, coder=coder, defaults={"codebook_version": version})


@transaction.atomic
def quote_tag(*, quote, narrative: Narrative, coder=None, note: str = "") -> Tag:
    """Code ``quote`` with ``narrative`` as ``coder`` (None for the study fixture
    and imports), under the current codebook version. Every tag the admin, the
    API and the coding queue add comes through here, so the coder and the version
    are recorded the same way everywhere. Coding a quote again with the same
    narrative by the same coder keeps the one tag (taking a new note if given)."""
    version = current_codebook_version()
    _record_coded(quote, coder, version)
    tag = Tag.objects.filter(quote=quote, narrative=narrative, coder=coder).first()
    if tag is None:
        tag = Tag(quote=quote, narrative=narrative, coder=coder, note=note, codebook_version=version)
    elif not note or note == tag.note:
        return tag
    tag.note = note
    tag.full_clean()
    tag.save()
    return tag


@transaction.atomic
def quote_untag(*, quote, narrative: Narrative, coder) -> int:
    """Remove ``coder``'s tag (others' tags stay: they are their own coding). Returns how many were removed."""
    removed = 0
    for tag in Tag.objects.filter(quote=quote, narrative=narrative, coder=coder):
        tag.delete()
        removed += 1
    return removed


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
def narrative_save(*, narrative: Narrative, change_note: str = "", user=None) -> Narrative:
    """Validate and save a code of the codebook (its code must stay a slug, its colour #RRGGBB).

    A new code, or a change to a code's definition or inclusion/exclusion
    notes, makes a new codebook version with ``change_note`` (or a note
    naming what changed), so later tags record the meaning they were coded under.
    """
    narrative.full_clean()
    changed = meaning_changed(narrative)
    created = narrative.pk is None
    narrative.save()
    if changed:
        what = "added" if created else "changed " + ", ".join(f.replace("_", " ") for f in changed)
        codebook_record_change(note=change_note or f"{narrative.code}: {what}.", user=user)
    return narrative
