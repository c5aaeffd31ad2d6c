"""Writes and checks around a study's case list."""

from django.db import transaction
from django.db.models import QuerySet

from testimony.models import Defector

from .measures import parse_selection, select
from .models import Study, StudyMembership


def _defector_ids(defectors) -> QuerySet | list:
    if isinstance(defectors, QuerySet):
        return defectors.values("pk")
    return [d.pk if isinstance(d, Defector) else d for d in defectors]


def study_warnings_for(defectors) -> list[str]:
    """One warning per defector that meets a frozen study's criteria without being a member.

    ``defectors``: saved defectors, their primary keys, or a queryset. Callers: the
    defector admin and API after a save; the import service after writing (inside its
    transaction, so a dry run can warn before it rolls back). A frozen study's
    *as published* figures do not count such a case; *today* does.
    """
    ids = _defector_ids(defectors)
    warnings = []
    studies = Study.objects.filter(frozen_at__isnull=False, memberships__isnull=False).distinct().order_by("code")
    for study in studies:
        outside = (
            study.meeting_criteria(Defector.objects.filter(pk__in=ids))
            .exclude(study_memberships__study=study)
            .order_by("case_id")
            .values_list("case_id", flat=True)
        )
        warnings += [
            f"{case_id}: meets the criteria of {study.code} but is not on its case list: not counted in "
            f"{study.code} as published; counted under 'today'."
            for case_id in outside
        ]
    return warnings


@transaction.atomic
def study_add_members(*, study: Study, selection: str, note: str = "", source: str = "", user=None) -> int:
    """Add every defector a selection (``/defectors/`` filters) chooses; returns how many were new.

    Each membership is saved one by one so that its history records who added it.
    """
    chosen = select(Defector.objects.all(), parse_selection(selection))
    new = chosen.exclude(study_memberships__study=study).order_by("case_id")
    added = 0
    for defector in new:
        membership = StudyMembership(study=study, defector=defector, note=note, source=source)
        membership._history_user = user
        membership.save()
        added += 1
    return added
