"""The PostgreSQL path's set-based writes, from the staged rows (staging.py):
outlets, sources, the search for stored cases the file repeats exactly, and
new cases with their sources, quotes and tags, each with its
django-simple-history record (same user, reason and type as a ``save()``).

The optional columns' SQL is built from the column table (columns.py); the
columns with rules of their own are written out here.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import connection
from django.utils import timezone

from coding.versions import current_codebook_version
from narratives.models import Tag

from ..models import Defector, Outlet, Quote, Source
from .cases import Writer
from .columns import DEFECTOR_COLUMNS, DEFECTOR_FIELDS, QUOTE_COLUMNS, SOURCE_COLUMNS
from .history import insert_sql, quote_name
from .result import PREVIEW_LIMIT, ImportResult

SOURCE_KEY = "i.url = s.url AND i.k_outlet = s.k_outlet AND i.k_title = s.k_title"
STAGED_NARRATIVES = "(SELECT coalesce(array_agg(DISTINCT x ORDER BY x), '{}') FROM unnest(s.narratives) x)"
STORED_NARRATIVES = "coalesce(t.ids, '{}')"


def analyze(rows: int) -> bool:
    """Whether to ANALYZE the temporary tables: PostgreSQL never does it by itself,
    and without statistics it plans the joins of a big file as nested loops."""
    return rows > 1000


def _nextval(model, column: str) -> str:
    """SQL for the next value of the sequence of ``model.column`` (looked up once per statement)."""
    return f"nextval((SELECT pg_get_serial_sequence('{model._meta.db_table}', '{column}')::regclass))"


def _defaults(model, given: set[str]) -> dict[str, Any]:
    """Database values of the defaults of ``model``'s columns not in ``given``
    (field names), for the columns an ``INSERT ... SELECT`` does not fill."""
    defaults = {}
    for field in model._meta.concrete_fields:
        if field.primary_key or field.name in given or field.column in given:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            continue
        defaults[field.column] = field.get_db_prep_save(field.get_default(), connection)
    return defaults


class SetWriter:
    def __init__(self, cursor, writer: Writer, result: ImportResult, present: frozenset[str]):
        self.cursor = cursor
        self.result = result
        self.present = present
        self.params = {
            "now": timezone.now(),
            "user": writer.user.pk if writer.user is not None else None,
            "reason": writer.reason,
        }

    def execute(self, sql: str, params: dict | None = None) -> int:
        self.cursor.execute(sql, {**self.params, **(params or {})})
        return self.cursor.rowcount

    # ----- outlets and sources

    def outlets(self) -> None:
        defaults = _defaults(Outlet, {"name"})
        self.result.outlets_created += self.execute(
            f"WITH new AS (INSERT INTO {quote_name(Outlet._meta.db_table)} (name, {', '.join(defaults)}) "
            f"SELECT name, {', '.join(f'%({c})s' for c in defaults)} FROM ("
            # Outlets are one per name ignoring case (the model's constraint): the
            # file's first spelling, in name order, names a new one.
            "SELECT DISTINCT ON (lower(outlet)) outlet AS name FROM imp_source i WHERE NOT EXISTS "
            f"(SELECT FROM {quote_name(Outlet._meta.db_table)} o WHERE lower(o.name) = lower(i.outlet)) "
            "ORDER BY lower(outlet), outlet) n "
            f"RETURNING *) {insert_sql(Outlet, 'new r', '+')}",
            defaults,
        )

    def sources(self) -> None:
        table = quote_name(Source._meta.db_table)
        self.execute(
            "CREATE TEMPORARY TABLE imp_src ON COMMIT DROP AS "
            "SELECT i.*, o.id AS outlet_id, COALESCE(u.id, t.id) AS existing_id, "
            f"COALESCE(u.id, t.id, {_nextval(Source, 'id')}) AS source_id "
            f"FROM imp_source i JOIN {quote_name(Outlet._meta.db_table)} o ON lower(o.name) = lower(i.outlet) "
            f"LEFT JOIN {table} u ON i.url <> '' AND u.url = i.url AND u.url <> '' "
            f"LEFT JOIN LATERAL (SELECT x.id FROM {table} x WHERE i.url = '' AND x.outlet_id = o.id "
            "AND x.title = i.title ORDER BY x.url <> '', x.id LIMIT 1) t ON true"
            + ("; ANALYZE imp_src" if analyze(self.result.rows) else "")
        )
        # Stored sources take the file's values; a file without the URL (or
        # without an optional column, or with an empty cell of a column whose
        # empty cell keeps) keeps the stored one.
        new_values = {
            "outlet_id": "i.outlet_id",
            "title": "i.title",
            "url": "CASE WHEN i.url <> '' THEN i.url ELSE s.url END",
            "published_on": "i.published_on",
        }
        given = {}
        for column in SOURCE_COLUMNS:
            if column.required:
                continue
            if column.blank_keeps:
                new_values[column.field] = f"COALESCE(i.{column.staged}, s.{column.field})"
            else:
                new_values[column.field] = f"i.{column.staged}" if column.name in self.present else f"s.{column.field}"
            given[column.field] = f"COALESCE(i.{column.staged}, %({column.field})s)"
        sets = ", ".join(f"{c} = {v}" for c, v in new_values.items())
        defaults = _defaults(Source, {"outlet", "title", "url", "published_on"})
        self.cursor.execute(
            f"WITH changed AS (UPDATE {table} s SET {sets} FROM imp_src i WHERE s.id = i.existing_id "
            f"AND ({', '.join(f's.{c}' for c in new_values)}) IS DISTINCT FROM ({', '.join(new_values.values())}) "
            f"RETURNING s.*), changed_history AS ({insert_sql(Source, 'changed r', '~')}), "
            f"new AS (INSERT INTO {table} (id, outlet_id, title, url, published_on, {', '.join(given)}) "
            f"SELECT i.source_id, i.outlet_id, i.title, i.url, i.published_on, {', '.join(given.values())} "
            f"FROM imp_src i WHERE i.existing_id IS NULL ORDER BY i.line RETURNING *), "
            f"new_history AS ({insert_sql(Source, 'new r', '+')}) "
            "SELECT (SELECT count(*) FROM changed), (SELECT count(*) FROM new)",
            {**self.params, **defaults},
        )
        updated, created = self.cursor.fetchone()
        self.result.sources_updated += updated
        self.result.sources_created += created

    # ----- new cases

    def new_cases(self, created: int) -> None:
        self.execute(
            "CREATE TEMPORARY TABLE imp_new ON COMMIT DROP AS SELECT c.*, "
            f"{_nextval(Defector, 'id')} AS id, "
            f"{_nextval(Defector.history.model, 'history_id')} AS history_id "
            "FROM (SELECT * FROM imp_case WHERE existing_id IS NULL ORDER BY line) c"
        )
        limit = max(PREVIEW_LIMIT - len(self.result.case_ids["created"]), 0)
        self.cursor.execute("SELECT case_id FROM imp_new ORDER BY line LIMIT %s", [limit])
        self.result.created += created
        self.result.case_ids["created"].extend(case_id for (case_id,) in self.cursor.fetchall())
        with self.result.phase("new defectors + history"):
            self.new_defectors()
        with self.result.phase("defector sources, quotes, tags + history"):
            self.new_quotes_table()
            self.execute(f"WITH {self.new_links()}, {self.new_quotes()}, {self.new_tags()} SELECT 1", self.tag_defaults)

    # A new defector's row is written with the narrative and outlet ids its sources, quotes
    # and tags give it (testimony/summary_columns.py), and those are written together in one
    # statement, at whose end the database's triggers find the arrays already right. Written
    # one statement each, every row was rewritten twice (for its outlets, then for its
    # narratives), leaving the defector table 2.8 times the size of its rows: 85 MB instead
    # of 32 at 100,000 defectors, which every scan of it read.
    # Grouped joins, not a subquery per case: the temporary tables have no index.
    SUMMARIES = (
        "SELECT c.case_id AS summary_case_id, coalesce(o.ids, '{}') AS summary_outlet_ids, "
        "coalesce(t.ids, '{}') AS summary_narrative_ids FROM imp_new c "
        "LEFT JOIN (SELECT s.case_id, array_agg(DISTINCT i.outlet_id ORDER BY i.outlet_id) AS ids "
        f"FROM imp_stage s JOIN imp_src i ON {SOURCE_KEY} GROUP BY s.case_id) o ON o.case_id = c.case_id "
        "LEFT JOIN (SELECT s.case_id, array_agg(DISTINCT x ORDER BY x) AS ids FROM imp_stage s "
        "CROSS JOIN unnest(s.narratives) x WHERE s.quote IS NOT NULL GROUP BY s.case_id) t ON t.case_id = c.case_id"
    )

    def new_defectors(self) -> None:
        defaults = _defaults(Defector, {"case_id"})
        given = {"id": "id"}
        for column in DEFECTOR_COLUMNS:
            for name in (column.staged, column.precision) if column.precision else (column.staged,):
                given[name] = name if column.required else f"COALESCE({name}, %({name})s)"
        given.update(
            created_at="%(now)s",
            updated_at="%(now)s",
            narrative_ids="summary_narrative_ids",
            outlet_ids="summary_outlet_ids",
        )
        rest = [c for c in defaults if c not in given]
        table = quote_name(Defector._meta.db_table)
        self.execute(
            "CREATE TEMPORARY TABLE imp_summary ON COMMIT DROP AS "
            + self.SUMMARIES
            + ("; ANALYZE imp_summary" if analyze(self.result.rows) else "")
        )
        self.execute(
            f"WITH new AS (INSERT INTO {table} ({', '.join([*given, *rest])}) "
            f"SELECT {', '.join([*given.values(), *(f'%({c})s' for c in rest)])} "
            "FROM imp_new JOIN imp_summary ON summary_case_id = case_id ORDER BY line "
            f"RETURNING *) "
            + insert_sql(Defector, "new r JOIN imp_new n ON n.id = r.id", "+", {"history_id": "n.history_id"}),
            defaults,
        )

    def new_links(self) -> str:
        """The CTEs writing the new defectors' source links and their history."""
        through = quote_name(Defector.sources.through._meta.db_table)
        m2m_history = quote_name(apps.get_model("testimony", "HistoricalDefector_sources")._meta.db_table)
        return (
            f"links AS (INSERT INTO {through} (defector_id, source_id) "
            "SELECT DISTINCT n.id, i.source_id FROM imp_stage s JOIN imp_new n ON n.case_id = s.case_id "
            f"JOIN imp_src i ON {SOURCE_KEY} "
            "RETURNING id, defector_id, source_id), "
            f"links_history AS (INSERT INTO {m2m_history} (id, defector_id, source_id, history_id) "
            "SELECT l.id, l.defector_id, l.source_id, n.history_id "
            "FROM links l JOIN imp_new n ON n.id = l.defector_id)"
        )

    def new_quotes_table(self) -> None:
        """imp_quote: the new quotes with their ids, from which the quotes and tags are written."""
        quote_defaults = _defaults(Quote, {"defector", "source", "text", "language", "translation"})
        fields = {}
        for column in QUOTE_COLUMNS:
            if column.field != "narratives":
                value = f"s.{column.staged}" if column.required else f"COALESCE(s.{column.staged}, %({column.field})s)"
                fields[column.field] = f"{value} AS {column.field}"
        self.execute(
            "CREATE TEMPORARY TABLE imp_quote ON COMMIT DROP AS "
            f"SELECT {_nextval(Quote, 'id')} AS id, q.* FROM ("
            f"SELECT s.line, n.id AS defector_id, i.source_id, {', '.join(fields.values())}, s.narratives, "
            "%(now)s::timestamptz AS created_at, %(now)s::timestamptz AS updated_at "
            "FROM imp_stage s JOIN imp_new n ON n.case_id = s.case_id "
            f"JOIN imp_src i ON {SOURCE_KEY} "
            "WHERE s.quote IS NOT NULL ORDER BY s.line) q",
            quote_defaults,
        )
        self.quote_columns = ["id", "defector_id", "source_id", *fields, "created_at", "updated_at"]

    def new_quotes(self) -> str:
        """The CTEs writing the new quotes and their history."""
        columns = ", ".join(self.quote_columns)
        return (
            f"quotes AS (INSERT INTO {quote_name(Quote._meta.db_table)} ({columns}) "
            f"SELECT {columns} FROM imp_quote ORDER BY id), "
            f"quotes_history AS ({insert_sql(Quote, 'imp_quote r', '+')})"
        )

    def new_tags(self) -> str:
        """The CTEs writing the new quotes' tags and their history."""
        return (
            f"tags AS (INSERT INTO {quote_name(Tag._meta.db_table)} "
            "(quote_id, narrative_id, coder_id, coded_at, note, codebook_version_id) "
            "SELECT q.id, n.narrative_id, NULL, %(now)s, %(tag_note)s, %(tag_codebook_version_id)s FROM imp_quote q "
            "CROSS JOIN LATERAL unnest(q.narratives) WITH ORDINALITY AS n(narrative_id, position) "
            f"ORDER BY q.id, n.position RETURNING *), tags_history AS ({insert_sql(Tag, 'tags r', '+')})"
        )

    @property
    def tag_defaults(self) -> dict:
        """The tags' defaults, as parameters named tag_<column>."""
        tag_defaults = _defaults(Tag, {"quote", "narrative"})
        # Imported tags are read under today's codebook, like typed ones (narratives.services.quote_tag).
        tag_defaults["codebook_version_id"] = current_codebook_version().pk
        return {f"tag_{column}": value for column, value in tag_defaults.items()}


# --------------------------------------------------------------------------- stored cases repeated exactly


def _same_defector(may_change_restricted: bool) -> list[str]:
    """Conditions that a stored defector ``d`` equals its case's staged row ``c``
    (an optional column the file lacks, NULL, matches anything)."""
    conditions = []
    for column in DEFECTOR_FIELDS:
        name, precision = column.staged, column.precision
        if column.required:
            conditions += [f"d.{n} = c.{n}" for n in (name, precision) if n]
        elif precision:
            conditions.append(
                f"(c.{precision} IS NULL OR (d.{name} IS NOT DISTINCT FROM c.{name} AND d.{precision} = c.{precision}))"
            )
        else:
            conditions.append(f"(c.{name} IS NULL OR d.{name} = c.{name})")
    if not may_change_restricted:
        conditions.append("d.visibility <> 'restricted'")
    return conditions


def _quote_row(present: frozenset[str], alias: str, narratives: str) -> str:
    """A quote as one comparable value: staged (``s``) or stored (``q``)."""
    compared = [c for c in QUOTE_COLUMNS if c.field != "narratives" and (c.required or c.name in present)]
    names = [f"{alias}.{c.staged if alias == 's' else c.field}" for c in compared]
    return f"ROW({'i' if alias == 's' else 'q'}.source_id, {', '.join(names)}, {narratives})::text AS r"


def unchanged_cases(cursor, writer: Writer, result: ImportResult, present: frozenset[str]) -> int:
    """Stored cases that the file repeats exactly, found in SQL (a re-import
    changes nothing and need not compare them case by case); returns how many.

    Conservative: a case goes to the per-case comparison unless its defector
    columns, its set of sources and its quotes (source, text and every quote
    column the file has, set of narratives) are all equal, no quote repeats a
    (source, text), and the user may change it (restricted cases are reported
    there)."""
    quotes, tags = quote_name(Quote._meta.db_table), quote_name(Tag._meta.db_table)
    # Row estimates of these aggregates joined on many conditions come out at
    # one row, and a nested loop over them is quadratic: joins by hash or merge.
    cursor.execute(
        "SET LOCAL enable_nestloop = off; CREATE TEMPORARY TABLE imp_unchanged ON COMMIT DROP AS "
        "WITH file_links AS (SELECT s.case_id, array_agg(DISTINCT i.source_id ORDER BY i.source_id) AS ids "
        f"FROM imp_stage s JOIN imp_src i ON {SOURCE_KEY} GROUP BY s.case_id), "
        "file_quotes AS (SELECT case_id, count(*) AS n, count(DISTINCT (source_id, quote)) AS distinct_n, "
        "array_agg(r ORDER BY r) AS quotes FROM (SELECT s.case_id, i.source_id, s.quote, "
        f"{_quote_row(present, 's', STAGED_NARRATIVES)} "
        f"FROM imp_stage s JOIN imp_src i ON {SOURCE_KEY} WHERE s.quote IS NOT NULL) f GROUP BY case_id), "
        "stored AS (SELECT existing_id AS id FROM imp_case WHERE existing_id IS NOT NULL), "
        "stored_links AS (SELECT l.defector_id, array_agg(DISTINCT l.source_id ORDER BY l.source_id) AS ids "
        f"FROM {quote_name(Defector.sources.through._meta.db_table)} l JOIN stored ON stored.id = l.defector_id "
        "GROUP BY l.defector_id), "
        "stored_tags AS (SELECT t.quote_id, array_agg(DISTINCT t.narrative_id ORDER BY t.narrative_id) AS ids "
        f"FROM {tags} t JOIN {quotes} q ON q.id = t.quote_id "
        "JOIN stored ON stored.id = q.defector_id GROUP BY t.quote_id), "
        "stored_quotes AS (SELECT defector_id, count(*) AS n, count(DISTINCT (source_id, text)) AS distinct_n, "
        "array_agg(r ORDER BY r) AS quotes FROM (SELECT q.defector_id, q.source_id, q.text, "
        f"{_quote_row(present, 'q', STORED_NARRATIVES)} "
        f"FROM {quotes} q JOIN stored ON stored.id = q.defector_id "
        "LEFT JOIN stored_tags t ON t.quote_id = q.id) q GROUP BY defector_id) "
        f"SELECT c.case_id FROM imp_case c JOIN {quote_name(Defector._meta.db_table)} d ON d.id = c.existing_id "
        "LEFT JOIN file_links fl ON fl.case_id = c.case_id LEFT JOIN stored_links sl ON sl.defector_id = d.id "
        "LEFT JOIN file_quotes fq ON fq.case_id = c.case_id LEFT JOIN stored_quotes sq ON sq.defector_id = d.id "
        f"WHERE {' AND '.join(_same_defector(writer.may_change_restricted))} AND fl.ids IS NOT DISTINCT FROM sl.ids "
        "AND fq.quotes IS NOT DISTINCT FROM sq.quotes "
        "AND fq.n IS NOT DISTINCT FROM fq.distinct_n AND sq.n IS NOT DISTINCT FROM sq.distinct_n; "
        "SET LOCAL enable_nestloop = on"
    )
    cursor.execute(
        "SELECT (SELECT count(*) FROM imp_unchanged), "
        "ARRAY(SELECT case_id FROM imp_unchanged ORDER BY case_id LIMIT %s)",
        [max(PREVIEW_LIMIT - len(result.case_ids["unchanged"]), 0)],
    )
    count, case_ids = cursor.fetchone()
    result.unchanged += count
    result.case_ids["unchanged"].extend(case_ids)
    return count
