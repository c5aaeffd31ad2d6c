"""The data generation, and the counts kept under it.

The list's facet counts, its totals and the paginator's count are aggregates
over every defector, quote, tag and source link: at 100,000 defectors they cost
100-300 ms a request while the rows of a page cost one. They change only when
those tables do, so they are kept in the shared cache (Redis in production,
``CACHES``) under a key that holds the *data generation*.

The generation is a value the database itself changes in the same transaction
as any write to the tables the counts read, whichever path writes (admin,
services, the importer's COPY and set-wise SQL, a merge, raw SQL in a shell),
so no write path can be forgotten: triggers installed by migrations
(testimony 0006, reports 0005). Its values never repeat (a transaction id on
PostgreSQL, a random 64-bit number on SQLite), so a rolled-back transaction or
an emptied table cannot bring back an old key. A count computed after reading
generation G reflects at least the data G was committed with, so an entry is
never older than its key says.

PostgreSQL: a statement-level trigger notes "this transaction wrote" in a
one-row-per-transaction table, and a deferred constraint trigger on that table
moves the generation at commit. The generation row is therefore locked only
for the instant of a commit, not for the length of a 30-second import (an
immediate trigger would make every admin save wait for a running import).
SQLite writes one transaction at a time anyway: row triggers set it directly.
"""

import hashlib

from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connections, router
from django.db.migrations.operations.base import Operation
from django.utils.functional import cached_property

from accounts.access import can_view_restricted

# The tables behind the list's counts and facets and the narrative pages' counts.
# reports adds its case lists and criteria (reports migration 0005).
WATCHED_TABLES = (
    "testimony_defector",
    "testimony_quote",
    "testimony_source",
    "testimony_outlet",
    "testimony_defector_sources",
    "narratives_tag",
    "narratives_narrative",
)

# Cached counts live this long at most, so a cache shared by an old release
# empties itself; correctness never depends on it (the key holds the generation).
TIMEOUT = 60 * 60
# Bumped when what is cached under a name changes shape.
KEY_VERSION = 2

POSTGRES_SETUP = [
    """CREATE TABLE testimony_data_generation (
        id smallint PRIMARY KEY CHECK (id = 1), generation bigint NOT NULL)""",
    "INSERT INTO testimony_data_generation (id, generation) VALUES (1, txid_current())",
    "CREATE TABLE testimony_data_change (txid bigint PRIMARY KEY)",
    """CREATE FUNCTION testimony_note_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- Once per transaction: later statements conflict with this row and queue nothing.
        INSERT INTO testimony_data_change (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION testimony_next_generation() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO testimony_data_generation (id, generation) VALUES (1, NEW.txid)
            ON CONFLICT (id) DO UPDATE SET generation = EXCLUDED.generation;
        DELETE FROM testimony_data_change WHERE txid = NEW.txid;
        RETURN NULL;
    END $$""",
    """CREATE CONSTRAINT TRIGGER testimony_next_generation AFTER INSERT ON testimony_data_change
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION testimony_next_generation()""",
]
POSTGRES_TEARDOWN = [
    "DROP TABLE IF EXISTS testimony_data_change",
    "DROP TABLE IF EXISTS testimony_data_generation",
    "DROP FUNCTION IF EXISTS testimony_next_generation()",
    "DROP FUNCTION IF EXISTS testimony_note_change()",
]
SQLITE_SETUP = [
    "CREATE TABLE testimony_data_generation (id integer PRIMARY KEY CHECK (id = 1), generation integer NOT NULL)",
    "INSERT INTO testimony_data_generation (id, generation) VALUES (1, random())",
]
SQLITE_TEARDOWN = ["DROP TABLE IF EXISTS testimony_data_generation"]


def watch_statements(table: str, vendor: str) -> list[str]:
    """The trigger(s) that move the generation when ``table`` is written."""
    if vendor == "postgresql":
        return [
            f"""CREATE TRIGGER testimony_note_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
                FOR EACH STATEMENT EXECUTE FUNCTION testimony_note_change()"""
        ]
    return [
        # An UPDATE, then an INSERT only if the row is missing: never INSERT OR REPLACE, which an
        # outer INSERT OR IGNORE (Django's many-to-many add) turns into a silent no-op.
        f"""CREATE TRIGGER testimony_change_{table}_{event.lower()} AFTER {event} ON {table} BEGIN
            UPDATE testimony_data_generation SET generation = random() WHERE id = 1;
            INSERT INTO testimony_data_generation (id, generation)
                SELECT 1, random() WHERE NOT EXISTS (SELECT 1 FROM testimony_data_generation); END"""
        for event in ("INSERT", "UPDATE", "DELETE")
    ]


def unwatch_statements(table: str, vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS testimony_note_change ON {table}"]
    return [f"DROP TRIGGER IF EXISTS testimony_change_{table}_{event}" for event in ("insert", "update", "delete")]


def install(schema_editor, tables=WATCHED_TABLES, *, setup=True):
    vendor = schema_editor.connection.vendor
    statements = (POSTGRES_SETUP if vendor == "postgresql" else SQLITE_SETUP) if setup else []
    for statement in [*statements, *(s for table in tables for s in watch_statements(table, vendor))]:
        schema_editor.execute(statement)


def uninstall(schema_editor, tables=WATCHED_TABLES, *, setup=True):
    vendor = schema_editor.connection.vendor
    statements = [s for table in tables for s in unwatch_statements(table, vendor)]
    if setup:
        statements += POSTGRES_TEARDOWN if vendor == "postgresql" else SQLITE_TEARDOWN
    for statement in statements:
        schema_editor.execute(statement)


class WatchTables(Operation):
    """A migration operation: writes to ``tables`` move the data generation from now on
    (``setup`` also creates the generation itself, once, in testimony 0006)."""

    reversible = True

    def __init__(self, tables=WATCHED_TABLES, *, setup=False):
        self.tables, self.setup = tuple(tables), setup

    def state_forwards(self, app_label, state):
        pass  # triggers only: no model changes

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if router.allow_migrate(schema_editor.connection.alias, app_label):
            install(schema_editor, self.tables, setup=self.setup)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if router.allow_migrate(schema_editor.connection.alias, app_label):
            uninstall(schema_editor, self.tables, setup=self.setup)

    def describe(self):
        return f"Move the data generation on writes to {', '.join(self.tables)}"


# On PostgreSQL the generation moves at commit, so a transaction that has written
# (its row in testimony_data_change) would still read the old one: it gets none.
CURRENT = {
    "postgresql": """SELECT generation FROM testimony_data_generation WHERE id = 1 AND NOT EXISTS (
        SELECT 1 FROM testimony_data_change WHERE txid = txid_current_if_assigned())""",
    "sqlite": "SELECT generation FROM testimony_data_generation WHERE id = 1",
}


def data_generation() -> int | None:
    """The current generation; None when there is none (a table emptied by a test's
    flush, or data this transaction wrote and has not committed), in which case
    nothing is cached."""
    from .models import Defector

    # From the database the counts will read (the replica for a list page, config/db_router.py):
    # it replays each commit with the generation that commit set.
    reads = connections[router.db_for_read(Defector)]
    with reads.cursor() as cursor:
        cursor.execute(CURRENT[reads.vendor])
        row = cursor.fetchone()
    return row[0] if row else None


def _generation(request):
    """Read once per request: the page, its count and its facets share one key."""
    if request is None:
        return data_generation()
    if "testimony_data_generation" not in request.__dict__:
        request.testimony_data_generation = data_generation()
    return request.testimony_data_generation


def cached_count(name: str, *, user, params=None, request=None, compute):
    """``compute()`` for this user's view of the data, kept until the data changes.
    What a count may include depends only on whether the user sees restricted
    records (accounts.access), so the key holds that, never the user."""
    query = "" if params is None else "&".join(sorted(f"{k}={v}" for k in params for v in params.getlist(k)))
    return kept(f"{name}:{int(can_view_restricted(user))}:{query}", compute, request=request)


def kept(key: str, compute, *, request=None):
    """``compute()``, kept in the cache under ``key`` and the data generation, and on
    the request, which reads one generation (_generation): a page asking twice (the
    list's count and its facets are one computation) reads once, even when nothing
    may be cached."""
    values = {} if request is None else request.__dict__.setdefault("testimony_kept", {})
    if key not in values:
        cache_key = generation_key(key, request=request)
        if cache_key is None:
            values[key] = compute()
        else:
            values[key] = cache.get_or_set(cache_key, compute, TIMEOUT, version=KEY_VERSION)
    return values[key]


def generation_key(key: str, *, request=None) -> str | None:
    """The cache key for ``key`` under the current generation; None when nothing may be kept."""
    generation = _generation(request)
    if generation is None:
        return None
    # The database's name too: two databases (a restored copy, a staging site) may share one
    # Redis, and PostgreSQL clusters count transaction ids independently.
    digest = hashlib.sha256(f"{connections['default'].settings_dict['NAME']}:{key}".encode()).hexdigest()[:32]
    return f"testimony:{generation}:{digest}"


class CountedPaginator(Paginator):
    """Django's paginator with its count supplied (by cached_count): the count of
    a large filtered set costs as much as its facets."""

    def __init__(self, object_list, per_page, *, count, rows=None, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self._count = count
        self._rows = rows

    @cached_property
    def count(self):
        return self._count()

    def page(self, number):
        """With ``rows`` (ids -> a queryset of those rows, unfiltered), the page's ids
        are found first and its rows read by id: PostgreSQL computes the select list
        (the quote count's subquery) for every row an OFFSET skips, so page 2,000 of
        the list took 400 ms for 50 rows, and the rows' query need not repeat the
        filters (a search's 35,000 ids)."""
        page = super().page(number)
        if self._rows is not None:
            ids = list(page.object_list.values_list("pk", flat=True))
            rows = {row.pk: row for row in self._rows(ids)}
            page.object_list = [rows[pk] for pk in ids]
        return page
