"""The optional ``studies`` column: the codes of the studies whose case list a
defector is on, separated by ``;`` (``icsr-2015;other-study``).

Not a field of the defector, so not a row of the column table: the writers
never see it. The service reads it in a pass of its own before writing (an
unknown code, or rows of one case that disagree, are errors at their line, and
then nothing is written) and sets the case lists after the defectors are
written, in the same transaction. The studies are reached through the
defector's ``study_memberships`` relation and ``settings.TESTIMONY_STUDY_MODEL``
(testimony.filters.studies), since reports, which holds them, imports testimony.
A file without the column leaves every case list as it is; an empty cell takes
the case off every list.
"""

from __future__ import annotations

from ..models import Defector
from .result import RowError

STUDIES = "studies"
SEPARATOR = ";"


def read_memberships(source, errors: list[RowError]) -> dict[str, set[str]] | None:
    """Case ID -> study codes, for a file with the column; None for one without.
    Problems are appended to ``errors`` with their line."""
    from ..filters import studies

    known = None  # read once the file shows the column: a file without it costs no query
    chosen: dict[str, tuple[int, set[str]]] = {}
    seen_column = False
    for line, record in source.read([]):  # the row parser reports unreadable lines itself
        if STUDIES not in record:
            return None
        seen_column = True
        if known is None:
            known = set(studies(None).values_list("code", flat=True))
        case_id = (record.get("case_id") or "").strip()
        codes = {code.strip() for code in (record.get(STUDIES) or "").split(SEPARATOR) if code.strip()}
        unknown = sorted(codes - known)
        if unknown:
            errors.append(
                RowError(
                    line,
                    STUDIES,
                    f"no study {', '.join(unknown)}",
                    "study codes separated by ';': " + ", ".join(sorted(known)),
                )
            )
            continue
        first = chosen.setdefault(case_id, (line, codes))
        if first[1] != codes:
            errors.append(
                RowError(
                    line,
                    STUDIES,
                    f"differs from line {first[0]} of case {case_id}",
                    "the same studies on every row of a case",
                )
            )
    return {case_id: codes for case_id, (_, codes) in chosen.items()} if seen_column else None


def write_memberships(memberships: dict[str, set[str]]) -> None:
    """Put each case on exactly the lists named (one row at a time, so the history records each)."""
    from ..filters import studies

    by_code = {study.code: study for study in studies(None)}
    for defector in Defector.objects.filter(case_id__in=memberships).prefetch_related("study_memberships__study"):
        wanted = memberships[defector.case_id]
        for membership in defector.study_memberships.all():
            if membership.study.code not in wanted:
                membership.delete()
        present = {m.study.code for m in defector.study_memberships.all()}
        for code in sorted(wanted - present):
            defector.study_memberships.create(study=by_code[code], note="imported from a long-form CSV")
