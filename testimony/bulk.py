"""The PostgreSQL path of the import (:func:`testimony.importer.defector_import`).

The portable path reads the file twice and writes model instances in batches.
On PostgreSQL the database does the heavy lifting instead:

1. *Parse and stage.* The file is read once. Every row is parsed and checked
   with the same :func:`~testimony.importer.parse_row` as the portable path;
   the normalised values of good rows are streamed by ``COPY ... FROM STDIN``
   into a temporary table (``imp_stage``) while the file is still being read,
   so Python holds one row and a small cache at a time, whatever the size of
   the file.
2. *Check.* Rows of one case must repeat its defector columns and rows naming
   one source its source columns: two joins on the staged rows find the lines
   that disagree, which :func:`~testimony.importer._describe_conflicts`
   describes column by column as on the portable path.
3. *Write* (only if there was no error at all), set by set: new outlets; the
   file's sources matched to stored ones (by URL, else outlet and title),
   corrected if they differ, created if missing; stored cases that the file
   repeats exactly are found by one statement (:meth:`_Bulk.unchanged_cases`)
   and left alone; the other stored cases go through the portable path's
   per-case comparison (:meth:`~testimony.importer._Writer.flush`, fed from
   the staged rows ordered by case); new cases are written with ``INSERT ... SELECT`` from the
   staged rows: defectors, their sources, quotes and tags, each with its
   django-simple-history record (same user, reason and type as a ``save()``),
   and the defector records with the snapshot of their sources.

Everything happens in the caller's transaction: an error anywhere rolls all
of it back, and the temporary tables are dropped at the end.

Where the time goes (``timings``, printed by bench/bench_import.py, README
"Import and export"): for 50,000 new defectors, a quarter in the Python pass
(csv and the per-cell checks), a quarter in the foreign-key checks of the
written rows, the rest in inserting some 910,000 rows into ten indexed
tables (the five tables and their history).
"""

from __future__ import annotations

import contextlib
import datetime
import time
from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.db import connection
from django.utils import timezone

from narratives.models import Tag

from .models import Defector, Outlet, Quote, Source

COPY_CHUNK = 1 << 16  # characters handed to COPY per read()
CACHE_SIZE = 4096

# Columns of the staging table. NULL means "not given by the file" (an absent
# optional column, or no source / no quote on this row).
STAGE_COLUMNS = [
    ("line", "integer"),
    ("case_id", "text"),
    ("name", "text"),
    ("sex", "text"),
    ("country", "text"),
    ("reported_on", "date"),
    ("reported_precision", "text"),
    ("provenance", "text"),
    ("visibility", "text"),
    ("role", "text"),
    ("status", "text"),
    ("notes", "text"),
    ("defected_on", "date"),
    ("defected_precision", "text"),
    ("outlet", "text"),
    ("title", "text"),
    ("url", "text"),
    ("published_on", "date"),
    ("s_language", "text"),
    ("archived_url", "text"),
    ("accessed_on", "date"),
    ("k_outlet", "text"),  # with url and k_title: how the source is recognised
    ("k_title", "text"),
    ("quote", "text"),
    ("q_language", "text"),
    ("translation", "text"),
    ("locator", "text"),
    ("narratives", "bigint[]"),
]
DEFECTOR_STAGE = (
    "name", "sex", "country", "reported_on", "reported_precision", "provenance",
    "visibility", "role", "status", "notes", "defected_on", "defected_precision",
)  # fmt: skip
SOURCE_STAGE = ("outlet", "title", "published_on", "s_language", "archived_url", "accessed_on")
NULL = "\\N"

# Seconds per phase of the last import in this process (bench/bench_import.py prints them).
timings: dict[str, float] = {}


@contextlib.contextmanager
def phase(name: str):
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - start


def available() -> bool:
    """The bulk path needs PostgreSQL through psycopg2 (``copy_expert``)."""
    return connection.vendor == "postgresql" and connection.Database.__name__ == "psycopg2"


# --------------------------------------------------------------------------- COPY text format


def _text(value: str | None) -> str:
    if value is None:
        return NULL
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def _date(value: datetime.date | None) -> str:
    return NULL if value is None else value.isoformat()


class _Stream:
    """A read()-able file over an iterator of COPY lines, for ``copy_expert``:
    the rows are parsed as PostgreSQL asks for them, never all held at once."""

    def __init__(self, lines: Iterator[str]):
        self.lines = lines
        self.pending = ""

    def read(self, size: int = COPY_CHUNK) -> str:
        parts, length = [self.pending], len(self.pending)
        for line in self.lines:
            parts.append(line)
            length += len(line)
            if length >= size:
                break
        data = "".join(parts)
        self.pending = ""
        return data

    readline = read


class _Stager:
    """Turns parsed rows into lines of the staging table. The defector and source
    parts repeat on every row of a case or source and are formatted once."""

    def __init__(self, present: frozenset[str], narrative_ids: dict[str, int]):
        self.present = present
        self.narrative_ids = narrative_ids
        self.defectors: dict = {}
        self.sources: dict = {}
        self.codes: dict = {}
        self.no_source = "\t".join([NULL] * 9)
        self.no_quote = "\t".join([NULL] * 5)
        self.last: tuple = (None, "")
        self.last_source: tuple = (None, "")

    def line(self, row) -> str:
        d = row.defector
        if d is self.last[0]:  # the rows of a case share one dict (parse_row's cache)
            defector = self.last[1]
        else:
            defector = self.defector(row.case_id, d)
            self.last = (d, defector)
        source = self.no_source
        if row.source is not None:
            s = row.source
            if s is self.last_source[0]:
                source = self.last_source[1]
            else:
                source = self.source(s)
                self.last_source = (s, source)
        quote = self.no_quote
        if row.quote is not None:
            q = row.quote
            codes = self.codes.get(q["narratives"])
            if codes is None:
                codes = self.codes[q["narratives"]] = (
                    "{" + ",".join(str(self.narrative_ids[c]) for c in q["narratives"]) + "}"
                )
            quote = "\t".join(
                [_text(q["text"]), q["language"], _text(q["translation"]), _text(q.get("locator")), codes]
            )
        return f"{row.line}\t{defector}\t{source}\t{quote}\n"

    def defector(self, case_id: str, d: dict) -> str:
        key = (case_id, *d.values())
        defector = self.defectors.get(key)
        if defector is None:
            if len(self.defectors) > CACHE_SIZE:
                self.defectors.clear()
            defector = self.defectors[key] = "\t".join(
                [
                    _text(case_id),
                    _text(d["name"]),
                    d["sex"],
                    d["country"],
                    d["reported_on"].isoformat(),
                    d["reported_precision"],
                    d.get("provenance") or NULL,
                    d.get("visibility") or NULL,
                    d.get("role") or NULL,
                    d.get("status") or NULL,
                    _text(d.get("notes")),
                    _date(d.get("defected_on")),
                    d.get("defected_precision", NULL),
                ]
            )
        return defector

    def source(self, s: dict) -> str:
        key = tuple(s.values())
        source = self.sources.get(key)
        if source is None:
            if len(self.sources) > CACHE_SIZE:
                self.sources.clear()
            by_url = bool(s["url"])
            source = self.sources[key] = "\t".join(
                [
                    _text(s["outlet"]),
                    _text(s["title"]),
                    _text(s["url"]),
                    _date(s["published_on"]),
                    s.get("language") or NULL,
                    _text(s.get("archived_url")),
                    _date(s.get("accessed_on")),
                    "" if by_url else _text(s["outlet"]),
                    "" if by_url else _text(s["title"]),
                ]
            )
        return source


# --------------------------------------------------------------------------- the import


def run(source, narrative_codes, writer, result, errors, progress) -> None:
    """Parse, stage, check and write ``source`` inside the caller's transaction.

    Row errors and conflicts go to ``errors`` (nothing is written then); the
    counts go to ``result``. ``writer`` is the portable path's
    :class:`~testimony.importer._Writer`, used for cases already stored.
    """
    timings.clear()
    with connection.cursor() as cursor:
        _run(cursor, source, narrative_codes, writer, result, errors, progress)
        # ON COMMIT DROP is not enough when the caller's transaction goes on (an
        # outer atomic block, a test): a second import needs the names. (After an
        # exception the rollback to the savepoint removes them.)
        cursor.execute(f"DROP TABLE IF EXISTS {', '.join(TEMPORARY_TABLES)}")


TEMPORARY_TABLES = ("imp_stage", "imp_case", "imp_source", "imp_src", "imp_unchanged", "imp_new", "imp_quote")


def _run(cursor, source, narrative_codes, writer, result, errors, progress) -> None:
    from . import importer

    narrative_ids = writer.narrative_ids
    columns = ", ".join(f"{name} {kind}" for name, kind in STAGE_COLUMNS)
    # work_mem: sorts and hashes over the staged rows (DISTINCT ON, joins) stay
    # in memory instead of spilling to disk; LOCAL: for this transaction only;
    # jit: compiling the big statements' expressions costs more than it saves.
    cursor.execute(
        f"SET LOCAL work_mem = '64MB'; SET LOCAL jit = off; CREATE TEMPORARY TABLE imp_stage ({columns}) ON COMMIT DROP"
    )
    state: dict[str, Any] = {"rows": 0, "present": None}

    def lines() -> Iterator[str]:
        stager = None
        cache: dict = {}
        for line, record in source.read(errors):
            if stager is None:
                state["present"] = present = frozenset(source.columns)
                stager = _Stager(present, narrative_ids)
            state["rows"] += 1
            if progress and state["rows"] % importer.PROGRESS_EVERY == 0:
                progress("validate", state["rows"], None)
            row, row_errors = importer.parse_row(line, record, present, narrative_codes, cache)
            if row_errors:
                errors.extend(row_errors)
                continue
            yield stager.line(row)

    with phase("parse + COPY to staging"):
        cursor.copy_expert("COPY imp_stage FROM STDIN", _Stream(lines()), COPY_CHUNK)
    result.rows = state["rows"]
    if progress:
        progress("validate", result.rows, None)
    present = state["present"] or frozenset()

    with phase("check"):
        new, stored = _stage_cases_and_sources(cursor, result.rows)
        _check(cursor, source, narrative_codes, errors)
    if errors:
        errors.sort(key=lambda e: (e.line, importer.COLUMNS.index(e.column) if e.column in importer.COLUMNS else -1))
        return

    _Bulk(cursor, writer, result, present).write(new, stored)
    if progress:
        progress("write", result.rows, result.rows)


def _stage_cases_and_sources(cursor, rows: int) -> tuple[int, int]:
    """The first row of every case and every source; returns how many cases are new and how many stored."""
    analyze = _analyze(rows)
    if analyze:
        cursor.execute("ANALYZE imp_stage")
    cursor.execute(
        "CREATE TEMPORARY TABLE imp_case ON COMMIT DROP AS "
        "SELECT f.*, d.id AS existing_id FROM "
        "(SELECT DISTINCT ON (case_id) * FROM imp_stage ORDER BY case_id, line) f "
        f"LEFT JOIN testimony_defector d ON d.case_id = f.case_id{'; ANALYZE imp_case' if analyze else ''}"
    )
    cursor.execute(
        "CREATE TEMPORARY TABLE imp_source ON COMMIT DROP AS "
        "SELECT DISTINCT ON (url, k_outlet, k_title) line, url, k_outlet, k_title, "
        f"{', '.join(SOURCE_STAGE)} FROM imp_stage WHERE outlet IS NOT NULL "
        "ORDER BY url, k_outlet, k_title, line"
    )
    cursor.execute("SELECT count(*) FILTER (WHERE existing_id IS NULL), count(existing_id) FROM imp_case")
    return cursor.fetchone()


def _check(cursor, source, narrative_codes, errors) -> None:
    from . import importer

    cases = ", ".join(f"s.{c}" for c in DEFECTOR_STAGE), ", ".join(f"c.{c}" for c in DEFECTOR_STAGE)
    sources = ", ".join(f"s.{c}" for c in SOURCE_STAGE), ", ".join(f"i.{c}" for c in SOURCE_STAGE)
    cursor.execute(
        "SELECT true, s.line, s.case_id, NULL, NULL, NULL, c.line FROM imp_stage s "
        f"JOIN imp_case c ON c.case_id = s.case_id WHERE ({cases[0]}) IS DISTINCT FROM ({cases[1]}) "
        "UNION ALL SELECT false, s.line, NULL, s.outlet, s.title, s.url, i.line FROM imp_stage s "
        "JOIN imp_source i ON i.url = s.url AND i.k_outlet = s.k_outlet AND i.k_title = s.k_title "
        f"WHERE ({sources[0]}) IS DISTINCT FROM ({sources[1]}) ORDER BY 2"
    )
    case_conflicts, source_conflicts = [], []
    for is_case, line, case_id, outlet, title, url, first in cursor.fetchall():
        if is_case:
            case_conflicts.append((line, case_id, first))
        else:
            source_conflicts.append((line, importer.source_key(outlet, title, url), first))
    if case_conflicts or source_conflicts:
        errors.extend(importer._describe_conflicts(source, narrative_codes, case_conflicts, source_conflicts))


def _analyze(rows: int) -> bool:
    """Whether to ANALYZE the temporary tables: PostgreSQL never does it by itself,
    and without statistics it plans the joins of a big file as nested loops."""
    return rows > 1000


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _nextval(model, column: str) -> str:
    """SQL for the next value of the sequence of ``model.column`` (looked up once per statement)."""
    return f"nextval((SELECT pg_get_serial_sequence('{model._meta.db_table}', '{column}')::regclass))"


class _Bulk:
    def __init__(self, cursor, writer, result, present: frozenset[str]):
        self.cursor = cursor
        self.writer = writer
        self.result = result
        self.present = present
        self.now = timezone.now()
        self.params = {
            "now": self.now,
            "user": writer.user.pk if writer.user is not None else None,
            "reason": writer.reason,
        }

    def execute(self, sql: str, params: dict | None = None) -> int:
        self.cursor.execute(sql, {**self.params, **(params or {})})
        return self.cursor.rowcount

    def history(self, model, rows: str, history_type: str, extra: dict[str, str] | None = None) -> str:
        """``INSERT INTO`` the historical table ``SELECT`` from ``rows`` (a FROM
        clause naming ``r`` a CTE or table with the model's columns), as
        simple_history records a save()."""
        history = model.history.model
        columns = [f.column for f in history.tracked_fields]
        extra = extra or {}
        names = ", ".join(_quote(c) for c in [*columns, *extra])
        values = ", ".join([*(f"r.{_quote(c)}" for c in columns), *extra.values()])
        return (
            f"INSERT INTO {_quote(history._meta.db_table)} "
            f"({names}, history_date, history_user_id, history_change_reason, history_type) "
            f"SELECT {values}, %(now)s, %(user)s, %(reason)s, '{history_type}' FROM {rows}"
        )

    def write(self, new: int, stored: int) -> None:
        with phase("outlets and sources"):
            self.outlets()
            self.sources()
        if stored:
            with phase("stored cases: find the unchanged ones"):
                stored -= self.unchanged_cases()
        if stored:
            with phase("stored cases (per-case comparison)"):
                self.existing_cases()
        if not new or self.result.errors:
            return
        self.new_cases(new)
        with phase("foreign-key checks"):
            # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: PostgreSQL
            # would check every written row at commit. Checking them here times
            # them apart (bench/bench_import.py); then back to Django's default
            # for whatever the caller's transaction does next.
            self.cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            self.cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    # ----- outlets and sources

    def outlets(self) -> None:
        defaults = _defaults(Outlet, {"name"})
        self.result.outlets_created += self.execute(
            f"WITH new AS (INSERT INTO {_quote(Outlet._meta.db_table)} (name, {', '.join(defaults)}) "
            f"SELECT name, {', '.join(f'%({c})s' for c in defaults)} FROM ("
            "SELECT DISTINCT outlet AS name FROM imp_source i WHERE NOT EXISTS "
            f"(SELECT FROM {_quote(Outlet._meta.db_table)} o WHERE o.name = i.outlet) ORDER BY 1) n "
            f"RETURNING *) {self.history(Outlet, 'new r', '+')}",
            defaults,
        )

    def sources(self) -> None:
        table = _quote(Source._meta.db_table)
        self.execute(
            "CREATE TEMPORARY TABLE imp_src ON COMMIT DROP AS "
            "SELECT i.*, o.id AS outlet_id, COALESCE(u.id, t.id) AS existing_id, "
            f"COALESCE(u.id, t.id, {_nextval(Source, 'id')}) AS source_id "
            f"FROM imp_source i JOIN {_quote(Outlet._meta.db_table)} o ON o.name = i.outlet "
            f"LEFT JOIN {table} u ON i.url <> '' AND u.url = i.url AND u.url <> '' "
            f"LEFT JOIN LATERAL (SELECT x.id FROM {table} x WHERE i.url = '' AND x.outlet_id = o.id "
            "AND x.title = i.title ORDER BY x.url <> '', x.id LIMIT 1) t ON true"
            + ("; ANALYZE imp_src" if _analyze(self.result.rows) else "")
        )
        # Stored sources take the file's values; a file without the URL (or
        # without an optional column) keeps the stored one.
        new_values = {
            "outlet_id": "i.outlet_id",
            "title": "i.title",
            "url": "CASE WHEN i.url <> '' THEN i.url ELSE s.url END",
            "published_on": "i.published_on",
            "language": "COALESCE(i.s_language, s.language)",
            "archived_url": "COALESCE(i.archived_url, s.archived_url)",
            "accessed_on": "i.accessed_on" if "source_accessed_on" in self.present else "s.accessed_on",
        }
        sets = ", ".join(f"{c} = {v}" for c, v in new_values.items())
        defaults = _defaults(Source, {"outlet", "title", "url", "published_on"})
        given = {
            "language": "COALESCE(i.s_language, %(language)s)",
            "archived_url": "COALESCE(i.archived_url, %(archived_url)s)",
            "accessed_on": "i.accessed_on",
        }
        self.cursor.execute(
            f"WITH changed AS (UPDATE {table} s SET {sets} FROM imp_src i WHERE s.id = i.existing_id "
            f"AND ({', '.join(f's.{c}' for c in new_values)}) IS DISTINCT FROM ({', '.join(new_values.values())}) "
            f"RETURNING s.*), changed_history AS ({self.history(Source, 'changed r', '~')}), "
            f"new AS (INSERT INTO {table} (id, outlet_id, title, url, published_on, {', '.join(given)}) "
            f"SELECT i.source_id, i.outlet_id, i.title, i.url, i.published_on, {', '.join(given.values())} "
            f"FROM imp_src i WHERE i.existing_id IS NULL ORDER BY i.line RETURNING *), "
            f"new_history AS ({self.history(Source, 'new r', '+')}) "
            "SELECT (SELECT count(*) FROM changed), (SELECT count(*) FROM new)",
            {**self.params, **defaults},
        )
        updated, created = self.cursor.fetchone()
        self.result.sources_updated += updated
        self.result.sources_created += created

    # ----- defectors, quotes and tags

    def unchanged_cases(self) -> int:
        """Stored cases that the file repeats exactly, found in SQL (a re-import
        changes nothing and need not compare them case by case); returns how many.

        Conservative: a case goes to :meth:`existing_cases` unless its defector
        columns, its set of sources and its quotes (source, text, language,
        translation, locator when the file has the column, set of narratives)
        are all equal, no quote repeats a (source, text), and the user may
        change it (restricted cases are reported there)."""
        from .importer import PREVIEW_LIMIT

        key = "i.url = s.url AND i.k_outlet = s.k_outlet AND i.k_title = s.k_title"
        locator = "locator, " if "quote_locator" in self.present else ""
        fields = [f"d.{c} = c.{c}" for c in ("name", "sex", "country", "reported_on", "reported_precision")]
        fields += [f"(c.{c} IS NULL OR d.{c} = c.{c})" for c in ("provenance", "visibility", "role", "status", "notes")]
        fields.append(
            "(c.defected_precision IS NULL OR (d.defected_on IS NOT DISTINCT FROM c.defected_on "
            "AND d.defected_precision = c.defected_precision))"
        )
        if not self.writer.may_change_restricted:
            fields.append("d.visibility <> 'restricted'")
        tags = _quote(Tag._meta.db_table)
        # Row estimates of these aggregates joined on many conditions come out at
        # one row, and a nested loop over them is quadratic: joins by hash or merge.
        self.cursor.execute(
            "SET LOCAL enable_nestloop = off; CREATE TEMPORARY TABLE imp_unchanged ON COMMIT DROP AS "
            "WITH file_links AS (SELECT s.case_id, array_agg(DISTINCT i.source_id ORDER BY i.source_id) AS ids "
            f"FROM imp_stage s JOIN imp_src i ON {key} GROUP BY s.case_id), "
            "file_quotes AS (SELECT case_id, count(*) AS n, count(DISTINCT (source_id, quote)) AS distinct_n, "
            "array_agg(r ORDER BY r) AS quotes FROM (SELECT s.case_id, i.source_id, s.quote, "
            f"ROW(i.source_id, s.quote, s.q_language, s.translation, {locator.replace('locator', 's.locator')}"
            "(SELECT coalesce(array_agg(DISTINCT x ORDER BY x), '{}') FROM unnest(s.narratives) x))::text AS r "
            f"FROM imp_stage s JOIN imp_src i ON {key} WHERE s.quote IS NOT NULL) f GROUP BY case_id), "
            "stored AS (SELECT existing_id AS id FROM imp_case WHERE existing_id IS NOT NULL), "
            "stored_links AS (SELECT l.defector_id, array_agg(DISTINCT l.source_id ORDER BY l.source_id) AS ids "
            f"FROM {_quote(Defector.sources.through._meta.db_table)} l JOIN stored ON stored.id = l.defector_id "
            "GROUP BY l.defector_id), "
            "stored_tags AS (SELECT t.quote_id, array_agg(DISTINCT t.narrative_id ORDER BY t.narrative_id) AS ids "
            f"FROM {tags} t JOIN {_quote(Quote._meta.db_table)} q ON q.id = t.quote_id "
            "JOIN stored ON stored.id = q.defector_id GROUP BY t.quote_id), "
            "stored_quotes AS (SELECT defector_id, count(*) AS n, count(DISTINCT (source_id, text)) AS distinct_n, "
            "array_agg(r ORDER BY r) AS quotes FROM (SELECT q.defector_id, q.source_id, q.text, "
            f"ROW(q.source_id, q.text, q.language, q.translation, {locator.replace('locator', 'q.locator')}"
            "coalesce(t.ids, '{}'))::text AS r "
            f"FROM {_quote(Quote._meta.db_table)} q JOIN stored ON stored.id = q.defector_id "
            "LEFT JOIN stored_tags t ON t.quote_id = q.id) q GROUP BY defector_id) "
            f"SELECT c.case_id FROM imp_case c JOIN {_quote(Defector._meta.db_table)} d ON d.id = c.existing_id "
            "LEFT JOIN file_links fl ON fl.case_id = c.case_id LEFT JOIN stored_links sl ON sl.defector_id = d.id "
            "LEFT JOIN file_quotes fq ON fq.case_id = c.case_id LEFT JOIN stored_quotes sq ON sq.defector_id = d.id "
            f"WHERE {' AND '.join(fields)} AND fl.ids IS NOT DISTINCT FROM sl.ids "
            "AND fq.quotes IS NOT DISTINCT FROM sq.quotes "
            "AND fq.n IS NOT DISTINCT FROM fq.distinct_n AND sq.n IS NOT DISTINCT FROM sq.distinct_n; "
            "SET LOCAL enable_nestloop = on"
        )
        self.cursor.execute(
            "SELECT (SELECT count(*) FROM imp_unchanged), "
            "ARRAY(SELECT case_id FROM imp_unchanged ORDER BY case_id LIMIT %s)",
            [max(PREVIEW_LIMIT - len(self.result.case_ids["unchanged"]), 0)],
        )
        count, case_ids = self.cursor.fetchone()
        self.result.unchanged += count
        self.result.case_ids["unchanged"].extend(case_ids)
        return count

    def existing_cases(self) -> None:
        """Cases already stored: compared and updated case by case, as on the portable path."""
        from . import importer

        codes = {pk: code for code, pk in self.writer.narrative_ids.items()}
        names = [name for name, _ in STAGE_COLUMNS]
        plans: list[importer._DefectorPlan] = []
        plan = None
        with connection.chunked_cursor() as rows:
            rows.execute(
                f"SELECT {', '.join('s.' + n for n in names)}, c.line FROM imp_stage s "
                "JOIN imp_case c ON c.case_id = s.case_id WHERE c.existing_id IS NOT NULL "
                "AND c.case_id NOT IN (SELECT case_id FROM imp_unchanged) ORDER BY s.case_id, s.line"
            )
            for values in rows:
                row = dict(zip(names, values, strict=False))
                if plan is None or plan.case_id != row["case_id"]:
                    if plan is not None:
                        plans.append(plan)
                        if len(plans) >= importer.BATCH_DEFECTORS:
                            self.writer.flush(plans)
                            plans = []
                    plan = importer._DefectorPlan(row["case_id"], values[-1], 0, self.defector_fields(row))
                if row["outlet"] is not None:
                    key = importer.source_key(row["outlet"], row["title"], row["url"])
                    plan.sources.setdefault(key, self.source_fields(row))
                    if row["quote"] is not None:
                        quote = {
                            "text": row["quote"],
                            "language": row["q_language"],
                            "translation": row["translation"],
                            "narratives": tuple(codes[pk] for pk in row["narratives"]),
                            "source_key": key,
                        }
                        if row["locator"] is not None:
                            quote["locator"] = row["locator"]
                        plan.quotes.append(quote)
        plans.append(plan)
        self.writer.flush(plans)

    def defector_fields(self, row: dict) -> dict:
        fields = {c: row[c] for c in ("name", "sex", "country", "reported_on", "reported_precision")}
        for column in ("provenance", "visibility", "role", "status", "notes"):
            if row[column] is not None:
                fields[column] = row[column]
        if row["defected_precision"] is not None:
            fields["defected_on"], fields["defected_precision"] = row["defected_on"], row["defected_precision"]
        return fields

    def source_fields(self, row: dict) -> dict:
        fields = {c: row[c] for c in ("outlet", "title", "url", "published_on")}
        if row["s_language"] is not None:
            fields["language"] = row["s_language"]
        if "source_archived_url" in self.present:
            fields["archived_url"] = row["archived_url"]
        if "source_accessed_on" in self.present:
            fields["accessed_on"] = row["accessed_on"]
        return fields

    def new_cases(self, created: int) -> None:
        defector_history = Defector.history.model
        self.execute(
            "CREATE TEMPORARY TABLE imp_new ON COMMIT DROP AS SELECT c.*, "
            f"{_nextval(Defector, 'id')} AS id, "
            f"{_nextval(defector_history, 'history_id')} AS history_id "
            "FROM (SELECT * FROM imp_case WHERE existing_id IS NULL ORDER BY line) c"
        )
        self.cursor.execute("SELECT case_id FROM imp_new ORDER BY line LIMIT %s", [self.result_limit()])
        self.result.created += created
        self.result.case_ids["created"].extend(case_id for (case_id,) in self.cursor.fetchall())

        with phase("new defectors + history"):
            defaults = _defaults(Defector, {"case_id"})
            given = {
                "id": "id",
                "case_id": "case_id",
                "name": "name",
                "sex": "sex",
                "country": "country",
                "reported_on": "reported_on",
                "reported_precision": "reported_precision",
                "defected_on": "defected_on",
                "defected_precision": "COALESCE(defected_precision, %(defected_precision)s)",
                **{c: f"COALESCE({c}, %({c})s)" for c in ("provenance", "visibility", "role", "status", "notes")},
                "created_at": "%(now)s",
                "updated_at": "%(now)s",
            }
            rest = [c for c in defaults if c not in given]
            table = _quote(Defector._meta.db_table)
            self.execute(
                f"WITH new AS (INSERT INTO {table} ({', '.join([*given, *rest])}) "
                f"SELECT {', '.join([*given.values(), *(f'%({c})s' for c in rest)])} FROM imp_new ORDER BY line "
                f"RETURNING *) "
                + self.history(Defector, "new r JOIN imp_new n ON n.id = r.id", "+", {"history_id": "n.history_id"}),
                defaults,
            )
        with phase("defector sources + history"):
            through = _quote(Defector.sources.through._meta.db_table)
            m2m_history = _quote(apps.get_model("testimony", "HistoricalDefector_sources")._meta.db_table)
            self.execute(
                f"WITH links AS (INSERT INTO {through} (defector_id, source_id) "
                "SELECT DISTINCT n.id, i.source_id FROM imp_stage s JOIN imp_new n ON n.case_id = s.case_id "
                "JOIN imp_src i ON i.url = s.url AND i.k_outlet = s.k_outlet AND i.k_title = s.k_title "
                "RETURNING id, defector_id, source_id) "
                f"INSERT INTO {m2m_history} (id, defector_id, source_id, history_id) "
                "SELECT l.id, l.defector_id, l.source_id, n.history_id "
                "FROM links l JOIN imp_new n ON n.id = l.defector_id"
            )
        with phase("quotes + history"):
            quote_defaults = _defaults(Quote, {"defector", "source", "text", "language", "translation"})
            self.execute(
                "CREATE TEMPORARY TABLE imp_quote ON COMMIT DROP AS "
                f"SELECT {_nextval(Quote, 'id')} AS id, q.* FROM ("
                "SELECT s.line, n.id AS defector_id, i.source_id, s.quote AS text, s.q_language AS language, "
                "s.translation, COALESCE(s.locator, %(locator)s) AS locator, s.narratives, "
                "%(now)s::timestamptz AS created_at, %(now)s::timestamptz AS updated_at "
                "FROM imp_stage s JOIN imp_new n ON n.case_id = s.case_id "
                "JOIN imp_src i ON i.url = s.url AND i.k_outlet = s.k_outlet AND i.k_title = s.k_title "
                "WHERE s.quote IS NOT NULL ORDER BY s.line) q",
                quote_defaults,
            )
            quote_columns = ["id", "defector_id", "source_id", "text", "language", "translation", "locator"]
            quote_columns += ["created_at", "updated_at"]
            self.execute(
                f"INSERT INTO {_quote(Quote._meta.db_table)} ({', '.join(quote_columns)}) "
                f"SELECT {', '.join(quote_columns)} FROM imp_quote ORDER BY id"
            )
            self.execute(self.history(Quote, "imp_quote r", "+"))
        with phase("tags + history"):
            tag_defaults = _defaults(Tag, {"quote", "narrative"})
            self.execute(
                f"WITH new AS (INSERT INTO {_quote(Tag._meta.db_table)} "
                "(quote_id, narrative_id, coder_id, coded_at, note) "
                "SELECT q.id, n.narrative_id, NULL, %(now)s, %(note)s FROM imp_quote q "
                "CROSS JOIN LATERAL unnest(q.narratives) WITH ORDINALITY AS n(narrative_id, position) "
                f"ORDER BY q.id, n.position RETURNING *) {self.history(Tag, 'new r', '+')}",
                tag_defaults,
            )

    def result_limit(self) -> int:
        from .importer import PREVIEW_LIMIT

        return max(PREVIEW_LIMIT - len(self.result.case_ids["created"]), 0)


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
