"""Codebook versions: a change to what a code means makes a new version.

Only the definition and the inclusion/exclusion notes change the meaning of
a code; a new name, colour or display order does not (a tag applied before
a rename still means the same thing).
"""

from django.db import transaction
from django.db.models import Max

from narratives.models import Narrative

from .models import CodebookVersion

MEANING_FIELDS = ("definition", "inclusion_notes", "exclusion_notes")


def codebook_snapshot() -> dict:
    return {
        n.code: {"name": n.name, **{field: getattr(n, field) for field in MEANING_FIELDS}}
        for n in Narrative.objects.order_by("display_order", "code")
    }


def current_codebook_version() -> CodebookVersion:
    """The version new tags are coded under (version 1 is made by migrate)."""
    version = CodebookVersion.objects.current()
    return version if version is not None else codebook_record_change(note="The codebook as first defined.")


def meaning_changed(narrative: Narrative) -> list[str]:
    """The meaning fields of ``narrative`` that differ from the stored row (all of them for a new code)."""
    if narrative.pk is None:
        return list(MEANING_FIELDS)
    stored = Narrative.objects.filter(pk=narrative.pk).values(*MEANING_FIELDS).first() or {}
    return [field for field in MEANING_FIELDS if stored.get(field) != getattr(narrative, field)]


@transaction.atomic
def codebook_record_change(*, note: str, user=None) -> CodebookVersion:
    """A new codebook version holding the definitions as they now read (call after saving them)."""
    number = (CodebookVersion.objects.select_for_update().aggregate(n=Max("number"))["n"] or 0) + 1
    return CodebookVersion.objects.create(number=number, note=note, created_by=user, snapshot=codebook_snapshot())
