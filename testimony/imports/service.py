"""The one import service for defectors: long-form rows in, defectors, sources,
quotes and narrative tags out (docs/contract.md, ``import_defectors``).

The command line, the admin's CSV import and ``generate_synthetic`` all call
:func:`defector_import`. Every row is parsed and checked the same way
(rows.py); then one of two writers writes, all or nothing, in ONE transaction:
the PostgreSQL path (postgres.py: ``COPY`` to a staging table, checks by
joins, set-based SQL) or the portable path (portable.py: two passes, batches
through the ORM). A dry run does the same work and rolls back, so a preview
counts exactly what the import would do.

Fields are validated with the models' own limits (lengths, choices,
``case_id`` pattern, no future dates) rather than ``full_clean()`` per object:
150,000 ``full_clean`` calls would cost more than the whole import.

Speed (bench/bench_import.py, README "Import and export"): 50,000 new
defectors (142,083 rows) on PostgreSQL import at 5,300-12,000 rows/s
depending on the shared machine's load (the portable path: 2,900-3,100);
where the time goes is printed per phase by the bench.

An import that wrote ends with ``ANALYZE`` (on PostgreSQL ``VACUUM (ANALYZE)``)
of the tables it filled (:func:`analyze_filled_tables`), so the first page
after it is planned with the new row counts and can use index-only scans.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

from django.db import DatabaseError, connection, transaction

from narratives.models import Narrative, Tag

from ..models import Defector, Outlet, Quote, Source
from ..services import case_warnings
from . import portable, postgres
from .cases import Writer
from .memberships import read_memberships, write_memberships
from .reader import RowSource
from .result import ImportResult, RowError

WRITERS = ("auto", "postgres", "portable")


def defector_import(
    *,
    rows,
    user=None,
    dry_run: bool = False,
    progress: Callable[[str, int, int | None], None] | None = None,
    change_reason: str = "Imported from a long-form CSV",
    writer: Literal["auto", "postgres", "portable"] = "auto",
) -> ImportResult:
    """Import long-form rows, all or nothing.

    Returns an :class:`ImportResult`; when ``result.errors`` is not empty
    nothing was written. ``progress(stage, rows_done, total_rows)`` is called
    every few thousand rows, with stage ``"validate"`` (total unknown: None)
    then ``"write"``. A dry run writes inside a transaction that is rolled
    back, so its counts are the real ones. ``user`` is recorded in the change
    history; without ``testimony.view_restricted`` a user may not change
    restricted cases. ``writer``: ``"postgres"`` (the set-based path; needs
    PostgreSQL through psycopg2), ``"portable"`` (any database), or
    ``"auto"``: the PostgreSQL path wherever it is available.
    """
    if writer not in WRITERS:
        raise ValueError(f"writer must be one of {', '.join(WRITERS)}, not {writer!r}")
    if writer == "postgres" and not postgres.available():
        raise ValueError("the postgres writer needs PostgreSQL through psycopg2")
    on_postgres = writer == "postgres" or (writer == "auto" and postgres.available())
    result = ImportResult(dry_run=dry_run)
    change_reason = change_reason[:100]  # simple_history's column width
    source = RowSource(rows)
    narrative_codes = list(Narrative.objects.order_by("display_order", "code").values_list("code", flat=True))
    memberships = read_memberships(source, result.errors)
    if result.errors:
        return result
    if on_postgres:

        def write(batches: Writer) -> None:
            postgres.run(source, narrative_codes, batches, result, progress)

    else:
        # The portable path validates the whole file before it opens the
        # transaction: on SQLite, a transaction that has read holds off writers.
        index = portable.validate(source, narrative_codes, result.errors, progress)
        result.rows = index.rows
        if result.errors:
            return result

        def write(batches: Writer) -> None:
            portable.write(source, index, batches, progress)

    batches = Writer(user=user, reason=change_reason, result=result)
    try:
        with transaction.atomic():
            write(batches)
            if not result.errors:
                finish(memberships, result)
            if result.errors or dry_run:
                transaction.set_rollback(True)
            committing = time.perf_counter()
        if on_postgres:
            result.timings["commit"] = time.perf_counter() - committing
    except DatabaseError as exc:
        result.errors.append(RowError(0, None, f"the database refused the import and nothing was written: {exc}"))
    if result.errors:
        result.forget_counts()
    elif not dry_run and wrote(result):
        analyzing = time.perf_counter()
        analyze_filled_tables()
        result.timings["analyze"] = time.perf_counter() - analyzing
    return result


def finish(memberships, result: ImportResult) -> None:
    """After the writer, in its transaction: the case lists of the ``studies`` column,
    then what the apps above say about the written cases (a dry run shows it too)."""
    if memberships is not None:
        write_memberships(memberships)
    written = [case_id for outcome in ("created", "updated") for case_id in result.case_ids[outcome]]
    if written:
        result.warnings = case_warnings(Defector.objects.filter(case_id__in=written))


def wrote(result: ImportResult) -> bool:
    """Whether the import changed anything: a re-import of unchanged cases has nothing to analyze."""
    return any((result.created, result.updated, result.outlets_created, result.sources_created, result.sources_updated))


def filled_tables() -> list[str]:
    return [model._meta.db_table for model in (Defector, Source, Defector.sources.through, Quote, Tag, Outlet)]


def analyze_filled_tables() -> None:
    """Fresh planner statistics for the tables an import fills. Without them the
    first requests after a bulk write are planned for the old row counts until
    autovacuum comes round (20,000 new defectors: a three-filter list took 66 s
    before ANALYZE, 0.55 s after). A few hundred milliseconds at 100,000 defectors.

    On PostgreSQL outside a transaction it is ``VACUUM (ANALYZE)``: the vacuum also
    marks the new pages all-visible, which index-only scans need (the search's id
    lookups, the list's ids), and clears the row versions left where a defector was
    rewritten (updated cases; on the portable path, by the summary triggers). It
    reads only the pages not yet marked, so its cost follows what the import wrote."""
    quote = connection.ops.quote_name
    tables = ", ".join(quote(table) for table in filled_tables())
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # VACUUM cannot run inside a transaction block (a caller's atomic(), a test's).
            cursor.execute(("ANALYZE " if connection.in_atomic_block else "VACUUM (ANALYZE) ") + tables)
        else:  # SQLite: one table at a time; its ANALYZE samples, cheap too
            for table in filled_tables():
                cursor.execute(f"ANALYZE {quote(table)}")
