"""The PostgreSQL path: the database does the heavy lifting.

1. *Parse and stage.* The file is read once. Every row is parsed and checked
   with the same :func:`~testimony.imports.rows.parse_row` as the portable
   path; the normalised values of good rows are streamed by ``COPY ... FROM
   STDIN`` into a temporary table (``imp_stage``, staging.py) while the file
   is still being read, so Python holds one row and a small cache at a time,
   whatever the size of the file.
2. *Check.* Rows of one case must repeat its defector columns and rows naming
   one source its source columns: two joins on the staged rows find the lines
   that disagree, which conflicts.py describes column by column as on the
   portable path.
3. *Write* (only if there was no error at all), set by set (setwise.py): new
   outlets; the file's sources matched to stored ones (by URL, else outlet and
   title), corrected if they differ, created if missing; stored cases that the
   file repeats exactly are found by one statement (:func:`unchanged_cases`)
   and left alone; the other stored cases go through the portable path's
   per-case comparison (:class:`~testimony.imports.cases.Writer`, fed from the
   staged rows ordered by case); new cases are written with ``INSERT ...
   SELECT`` from the staged rows, each with its history record.

Everything happens in the caller's transaction: an error anywhere rolls all
of it back, and the temporary tables are dropped at the end.

Where the time goes (``ImportResult.timings``, printed by bench/bench_import.py,
README "Import and export"): for 50,000 new defectors, a quarter in the Python
pass (csv and the per-cell checks), a quarter in the foreign-key checks of the
written rows, the rest in inserting some 910,000 rows into ten indexed tables
(the five tables and their history).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import connection

from . import cases, setwise
from .cases import DefectorPlan, Writer
from .columns import DEFECTOR_FIELDS, QUOTE_EXTRAS, SOURCE_COLUMNS, order
from .conflicts import case_id_clash, describe_conflicts
from .reader import RowSource
from .result import ImportResult
from .rows import parsed_rows, source_key
from .setwise import SetWriter, unchanged_cases
from .staging import COPY_CHUNK, DEFECTOR_STAGE, SOURCE_STAGE, STAGE_COLUMNS, STAGE_NAMES, Stager, Stream

TEMPORARY_TABLES = (
    "imp_stage",
    "imp_case",
    "imp_source",
    "imp_src",
    "imp_unchanged",
    "imp_new",
    "imp_summary",
    "imp_quote",
)


def available() -> bool:
    """The PostgreSQL path needs PostgreSQL through psycopg2 (``copy_expert``)."""
    return connection.vendor == "postgresql" and connection.Database.__name__ == "psycopg2"


def run(source: RowSource, narrative_codes, writer: Writer, result: ImportResult, progress) -> None:
    """Parse, stage, check and write ``source`` inside the caller's transaction.

    Row errors and conflicts go to ``result.errors`` (nothing is written then);
    the counts and timings go to ``result``. ``writer`` compares the cases
    already stored.
    """
    with connection.cursor() as cursor:
        _run(cursor, source, narrative_codes, writer, result, progress)
        # ON COMMIT DROP is not enough when the caller's transaction goes on (an
        # outer atomic block, a test): a second import needs the names. (After an
        # exception the rollback to the savepoint removes them.)
        cursor.execute(f"DROP TABLE IF EXISTS {', '.join(TEMPORARY_TABLES)}")


def _run(cursor, source: RowSource, narrative_codes, writer: Writer, result: ImportResult, progress) -> None:
    errors = result.errors
    columns = ", ".join(f"{name} {kind}" for name, kind in STAGE_COLUMNS)
    # work_mem: sorts and hashes over the staged rows (DISTINCT ON, joins) stay
    # in memory instead of spilling to disk; LOCAL: for this transaction only;
    # jit: compiling the big statements' expressions costs more than it saves.
    cursor.execute(
        f"SET LOCAL work_mem = '64MB'; SET LOCAL jit = off; CREATE TEMPORARY TABLE imp_stage ({columns}) ON COMMIT DROP"
    )
    with result.phase("parse + COPY to staging"):
        lines = _staged_lines(source, narrative_codes, writer, result, progress)
        cursor.copy_expert("COPY imp_stage FROM STDIN", Stream(lines), COPY_CHUNK)
    if progress:
        progress("validate", result.rows, None)
    present = frozenset(source.columns)

    with result.phase("check"):
        new, stored = _stage_cases_and_sources(cursor, result.rows)
        _check(cursor, source, narrative_codes, errors)
        _check_case_id_case(cursor, errors)
    if errors:
        errors.sort(key=lambda e: (e.line, order(e.column)))
        return

    _write(cursor, writer, result, present, new, stored)
    if progress:
        progress("write", result.rows, result.rows)


def _staged_lines(source: RowSource, narrative_codes, writer: Writer, result: ImportResult, progress) -> Iterator[str]:
    stager = Stager(writer.narrative_ids)
    for _, row in parsed_rows(source, narrative_codes, result.errors, result, progress):
        yield stager.line(row)


def _write(cursor, writer: Writer, result: ImportResult, present: frozenset[str], new: int, stored: int) -> None:
    setwise = SetWriter(cursor, writer, result, present)
    with result.phase("outlets and sources"):
        setwise.outlets()
        setwise.sources()
    if stored:
        with result.phase("stored cases: find the unchanged ones"):
            stored -= unchanged_cases(cursor, writer, result, present)
    if stored:
        with result.phase("stored cases (per-case comparison)"):
            existing_cases(writer, present)
    if not new or result.errors:
        return
    setwise.new_cases(new)
    with result.phase("foreign-key checks"):
        # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: PostgreSQL
        # would check every written row at commit. Checking them here times
        # them apart (bench/bench_import.py); then back to Django's default
        # for whatever the caller's transaction does next.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _check_case_id_case(cursor, errors: list) -> None:
    """Case IDs equal to a stored case's, or to another of the file's, but for
    letter case (the same check as the portable path's conflicts.case_id_clashes)."""
    cursor.execute(
        "SELECT c.line, c.case_id, d.case_id, NULL FROM imp_case c JOIN testimony_defector d "
        "ON lower(d.case_id) = lower(c.case_id) AND d.case_id <> c.case_id "
        "UNION ALL SELECT c.line, c.case_id, o.case_id, o.line FROM imp_case c JOIN imp_case o "
        "ON lower(o.case_id) = lower(c.case_id) AND o.line < c.line AND o.case_id <> c.case_id "
        "AND NOT EXISTS (SELECT FROM imp_case p WHERE lower(p.case_id) = lower(c.case_id) AND p.line < o.line)"
    )
    errors.extend(case_id_clash(*row) for row in cursor.fetchall())


def _stage_cases_and_sources(cursor, rows: int) -> tuple[int, int]:
    """The first row of every case and every source; returns how many cases are new and how many stored."""
    analyzed = setwise.analyze(rows)
    if analyzed:
        cursor.execute("ANALYZE imp_stage")
    cursor.execute(
        "CREATE TEMPORARY TABLE imp_case ON COMMIT DROP AS "
        "SELECT f.*, d.id AS existing_id FROM "
        "(SELECT DISTINCT ON (case_id) * FROM imp_stage ORDER BY case_id, line) f "
        f"LEFT JOIN testimony_defector d ON d.case_id = f.case_id{'; ANALYZE imp_case' if analyzed else ''}"
    )
    cursor.execute(
        "CREATE TEMPORARY TABLE imp_source ON COMMIT DROP AS "
        "SELECT DISTINCT ON (url, k_outlet, k_title) line, url, k_outlet, k_title, "
        f"{', '.join(SOURCE_STAGE)} FROM imp_stage WHERE outlet IS NOT NULL "
        "ORDER BY url, k_outlet, k_title, line"
    )
    cursor.execute("SELECT count(*) FILTER (WHERE existing_id IS NULL), count(existing_id) FROM imp_case")
    return cursor.fetchone()


def _check(cursor, source: RowSource, narrative_codes, errors) -> None:
    cases_ = ", ".join(f"s.{c}" for c in DEFECTOR_STAGE), ", ".join(f"c.{c}" for c in DEFECTOR_STAGE)
    sources = ", ".join(f"s.{c}" for c in SOURCE_STAGE), ", ".join(f"i.{c}" for c in SOURCE_STAGE)
    cursor.execute(
        "SELECT true, s.line, s.case_id, NULL, NULL, NULL, c.line FROM imp_stage s "
        f"JOIN imp_case c ON c.case_id = s.case_id WHERE ({cases_[0]}) IS DISTINCT FROM ({cases_[1]}) "
        "UNION ALL SELECT false, s.line, NULL, s.outlet, s.title, s.url, i.line FROM imp_stage s "
        "JOIN imp_source i ON i.url = s.url AND i.k_outlet = s.k_outlet AND i.k_title = s.k_title "
        f"WHERE ({sources[0]}) IS DISTINCT FROM ({sources[1]}) ORDER BY 2"
    )
    case_conflicts, source_conflicts = [], []
    for is_case, line, case_id, outlet, title, url, first in cursor.fetchall():
        if is_case:
            case_conflicts.append((line, case_id, first))
        else:
            source_conflicts.append((line, source_key(outlet, title, url), first))
    if case_conflicts or source_conflicts:
        errors.extend(describe_conflicts(source, narrative_codes, case_conflicts, source_conflicts))


# --------------------------------------------------------------------------- stored cases, case by case


def existing_cases(writer: Writer, present: frozenset[str]) -> None:
    """Cases already stored and not repeated exactly: compared and updated case
    by case, as on the portable path."""
    codes = {pk: code for code, pk in writer.narrative_ids.items()}
    plans: list[DefectorPlan] = []
    plan = None
    with connection.chunked_cursor() as rows:
        rows.execute(
            f"SELECT {', '.join('s.' + n for n in STAGE_NAMES)}, c.line FROM imp_stage s "
            "JOIN imp_case c ON c.case_id = s.case_id WHERE c.existing_id IS NOT NULL "
            "AND c.case_id NOT IN (SELECT case_id FROM imp_unchanged) ORDER BY s.case_id, s.line"
        )
        for values in rows:
            row = dict(zip(STAGE_NAMES, values, strict=False))
            if plan is None or plan.case_id != row["case_id"]:
                if plan is not None:
                    plans.append(plan)
                    if len(plans) >= cases.BATCH_DEFECTORS:
                        writer.flush(plans)
                        plans = []
                plan = DefectorPlan(row["case_id"], values[-1], 0, defector_fields(row))
            if row["outlet"] is not None:
                key = source_key(row["outlet"], row["title"], row["url"])
                plan.sources.setdefault(key, source_fields(row, present))
                if row["quote"] is not None:
                    plan.quotes.append({**quote_fields(row, codes), "source_key": key})
    plans.append(plan)
    writer.flush(plans)


def defector_fields(row: dict[str, Any]) -> dict:
    """A staged row's defector fields, as parse_row gives them (absent: not given)."""
    fields = {}
    for column in DEFECTOR_FIELDS:
        if column.precision:
            if column.required or row[column.precision] is not None:
                fields[column.field], fields[column.precision] = row[column.staged], row[column.precision]
        elif column.required or row[column.staged] is not None:
            fields[column.field] = row[column.staged]
    return fields


def source_fields(row: dict[str, Any], present: frozenset[str]) -> dict:
    fields = {}
    for column in SOURCE_COLUMNS:
        given = row[column.staged] is not None if column.blank_keeps else column.name in present
        if column.required or given:
            fields[column.field] = row[column.staged]
    return fields


def quote_fields(row: dict[str, Any], codes: dict[int, str]) -> dict:
    quote = {
        "text": row["quote"],
        "language": row["q_language"],
        "translation": row["translation"],
        "narratives": tuple(codes[pk] for pk in row["narratives"]),
    }
    for column in QUOTE_EXTRAS:
        if row[column.staged] is not None:
            quote[column.field] = row[column.staged]
    return quote
