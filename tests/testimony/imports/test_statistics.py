"""An import leaves the planner fresh statistics of the tables it filled
(issue 13: the first page after a bulk write planned for empty tables took 66 s)."""

import pytest
from django.db import connection

from narratives.models import Narrative
from testimony.imports import postgres
from testimony.imports.service import defector_import
from testimony.models import Defector, Quote
from testimony.synthetic import synthetic_rows

pytestmark = pytest.mark.django_db


def planner_row_count(model) -> float:
    """What the planner believes the table holds: pg_class.reltuples on
    PostgreSQL (-1 before any ANALYZE), sqlite_stat1's row count on SQLite."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
            return cursor.fetchone()[0]
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return -1
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s", [table])
        stats = [int(stat.split()[0]) for (stat,) in cursor.fetchall()]
        return max(stats, default=-1)


@pytest.mark.parametrize("writer", ["portable", "postgres"])
def test_an_import_analyzes_the_tables_it_filled(writer):
    if writer == "postgres" and not postgres.available():
        pytest.skip("the set-based writer needs PostgreSQL (CI's PostgreSQL pass runs it)")
    codes = tuple(Narrative.objects.values_list("code", flat=True))
    rows = list(synthetic_rows(defectors=40, seed=3, narrative_codes=codes))
    before = Defector.objects.count()

    result = defector_import(rows=rows, writer=writer)

    assert result.ok and result.created == 40
    assert planner_row_count(Defector) == before + 40
    assert planner_row_count(Quote) == Quote.objects.count() > 0
    assert "analyze" in result.timings


def test_a_dry_run_leaves_the_statistics_alone():
    codes = tuple(Narrative.objects.values_list("code", flat=True))
    before = planner_row_count(Defector)
    result = defector_import(rows=list(synthetic_rows(defectors=5, seed=4, narrative_codes=codes)), dry_run=True)
    assert result.ok and result.created == 5
    assert planner_row_count(Defector) == before


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_import_on_postgresql_also_vacuums_what_it_wrote():
    """All-visible pages (pg_class.relallvisible), which index-only scans need, without
    waiting for autovacuum: the import's own VACUUM (ANALYZE) after its commit."""
    if not postgres.available():
        pytest.skip("VACUUM is PostgreSQL's (CI's PostgreSQL pass runs it)")
    codes = tuple(Narrative.objects.values_list("code", flat=True))
    result = defector_import(rows=list(synthetic_rows(defectors=300, seed=5, narrative_codes=codes)), writer="postgres")
    assert result.ok and result.created == 300
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpages, relallvisible FROM pg_class WHERE oid = 'testimony_defector'::regclass")
        pages, all_visible = cursor.fetchone()
    assert pages > 0 and all_visible == pages
