"""Rows of one case that disagree on the defector's columns, or rows naming one
source that disagree on its columns, described column by column.

Both paths find the disagreeing lines cheaply (the portable path by a
fingerprint per case and source, the PostgreSQL path by joins on the staged
rows); only then are those few rows read again and compared here, so that no
path keeps the file's rows in memory.
"""

from __future__ import annotations

from django.db.models.functions import Lower

from ..models import Defector
from .columns import COLUMNS, DEFECTOR, SOURCE_COLUMNS, column_of
from .reader import RowSource
from .result import RowError
from .rows import parse_row


def describe_conflicts(source: RowSource, narrative_codes, case_conflicts, source_conflicts) -> list[RowError]:
    """``case_conflicts``: ``(line, case_id, first line)``; ``source_conflicts``:
    ``(line, source key, first line)``; one error per differing column."""
    wanted = {first for _, _, first in case_conflicts} | {first for _, _, first in source_conflicts}
    wanted |= {line for line, _, _ in case_conflicts} | {line for line, _, _ in source_conflicts}
    present = frozenset(source.columns)
    parsed = {}
    for line, record in source.read([]):
        if line in wanted:
            parsed[line] = parse_row(line, record, present, narrative_codes)[0]
    errors = []
    for line, case_id, first in case_conflicts:
        here, there = parsed[line].defector, parsed[first].defector
        differing = [k for k in here.keys() | there.keys() if here.get(k) != there.get(k)]
        columns = dict.fromkeys(column_of(k, DEFECTOR) for k in differing)
        for column in sorted(columns, key=COLUMNS.index):
            errors.append(
                RowError(
                    line,
                    column,
                    f"case {case_id} has a different {column} on line {first}",
                    "the same defector columns on every row of a case",
                )
            )
    for line, key, first in source_conflicts:
        here, there = parsed[line].source, parsed[first].source
        for column in [c for c in SOURCE_COLUMNS if here.get(c.field) != there.get(c.field)]:
            errors.append(
                RowError(
                    line,
                    column.name,
                    f"the source {key[-1]!r} has a different {column.name} on line {first}",
                    "the same source columns on every row naming a source",
                )
            )
    return errors


def case_id_clash(line: int, case_id: str, other: str, other_line: int | None) -> RowError:
    """``case_id`` differs only in case from a stored case (``other_line`` None) or another row's."""
    where = "already exists" if other_line is None else f"is on line {other_line}"
    return RowError(
        line,
        "case_id",
        f"a case {other} {where} (differs only in case)",
        f"the case ID exactly as {other}, or a different case ID",
    )


def case_id_clashes(first_lines: dict[str, int]) -> list[RowError]:
    """The portable path's check: case IDs (with their first line) that equal a
    stored case's or another of the file's but for letter case. (The PostgreSQL
    path runs the same check as a join on its staged cases.)"""
    errors = []
    spellings: dict[str, list[tuple[str, int]]] = {}
    for case_id, line in sorted(first_lines.items(), key=lambda item: item[1]):
        same = spellings.setdefault(case_id.lower(), [])
        if same:
            errors.append(case_id_clash(line, case_id, *same[0]))
        same.append((case_id, line))
    folded = list(spellings)
    for start in range(0, len(folded), 1000):
        stored = Defector.objects.annotate(folded=Lower("case_id")).filter(folded__in=folded[start : start + 1000])
        for stored_id in stored.values_list("case_id", flat=True):
            for case_id, line in spellings[stored_id.lower()]:
                if case_id != stored_id:
                    errors.append(case_id_clash(line, case_id, stored_id, None))
    return errors
