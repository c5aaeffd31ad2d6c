"""The portable path (SQLite, or any database): two passes over the file, so
that memory does not hold it.

1. *Validate.* Every row is parsed column by column; rows of one ``case_id``
   must agree on the defector columns and rows naming one source must agree
   on the source columns. Only a small fingerprint per case and per source is
   kept. Any error stops the import before anything is written.
2. *Write.* The rows are read again and grouped into defectors; batches of
   complete defectors are compared with the database and written with bulk
   operations (cases.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import cases
from .cases import DefectorPlan, Writer
from .columns import order
from .conflicts import case_id_clashes, describe_conflicts
from .reader import RowSource
from .result import RowError
from .rows import PROGRESS_EVERY, fingerprint, parse_row, parsed_rows


@dataclass
class Index:
    """What pass 1 remembers: per case its first line, row count and a fingerprint
    of the defector columns; per source its first line and a fingerprint."""

    cases: dict[str, list] = field(default_factory=dict)
    sources: dict[tuple, tuple[int, int]] = field(default_factory=dict)
    rows: int = 0


def validate(source: RowSource, narrative_codes, errors: list[RowError], progress) -> Index:
    index = Index()
    case_conflicts: list[tuple[int, str, int]] = []
    source_conflicts: list[tuple[int, tuple, int]] = []
    for line, row in parsed_rows(source, narrative_codes, errors, index, progress):
        signature = fingerprint(row.defector)
        entry = index.cases.get(row.case_id)
        if entry is None:
            index.cases[row.case_id] = [line, 1, signature]
        else:
            entry[1] += 1
            if entry[2] != signature:
                case_conflicts.append((line, row.case_id, entry[0]))
        if row.source_key is not None:
            signature = fingerprint(row.source)
            first = index.sources.get(row.source_key)
            if first is None:
                index.sources[row.source_key] = (line, signature)
            elif first[1] != signature:
                source_conflicts.append((line, row.source_key, first[0]))
    if progress:
        progress("validate", index.rows, None)
    if case_conflicts or source_conflicts:
        errors.extend(describe_conflicts(source, narrative_codes, case_conflicts, source_conflicts))
    errors.extend(case_id_clashes({case_id: entry[0] for case_id, entry in index.cases.items()}))
    errors.sort(key=lambda e: (e.line, order(e.column)))
    return index


def write(source: RowSource, index: Index, writer: Writer, progress) -> None:
    present = frozenset(source.columns)
    narrative_codes = writer.narrative_ids.keys()
    pending: dict[str, DefectorPlan] = {}
    ready: list[DefectorPlan] = []
    done = 0
    cache: dict = {}
    for line, record in source.read([]):
        row, _ = parse_row(line, record, present, narrative_codes, cache)
        plan = pending.get(row.case_id)
        if plan is None:
            first_line, count, _ = index.cases[row.case_id]
            plan = pending[row.case_id] = DefectorPlan(row.case_id, first_line, count, row.defector)
        if row.source_key is not None:
            plan.sources.setdefault(row.source_key, row.source)
        if row.quote is not None:
            plan.quotes.append({**row.quote, "source_key": row.source_key})
        plan.remaining -= 1
        if plan.remaining == 0:
            ready.append(pending.pop(row.case_id))
            if len(ready) >= cases.BATCH_DEFECTORS:
                writer.flush(ready)
                ready = []
        done += 1
        if progress and done % PROGRESS_EVERY == 0:
            progress("write", done, index.rows)
    writer.flush(ready)
    if progress:
        progress("write", done, index.rows)
