"""How much does the ORM-built report cost against the same aggregates in hand-written SQL?

Run by ``make bench``: creates the PostgreSQL database named by
BENCH_DATABASE_URL, migrates it, bulk-creates BENCH_DEFECTORS (100,000) synthetic
defectors with quotes and tags, ANALYZEs, then times ``study_report`` (include_synthetic)
and hand-written SQL computing the same tables, in one run, and prints the
ratio. The database is dropped at the end.
"""

import datetime
import os
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/testimony_bench")
DEFECTORS = int(os.environ.get("BENCH_DEFECTORS", "100000"))
TARGET_RATIO = 1.2
ROUNDS = 5


def admin_connection():
    parts = urlparse(URL)
    connection = psycopg2.connect(
        dbname="postgres", user=parts.username, password=parts.password, host=parts.hostname, port=parts.port or 5432
    )
    connection.autocommit = True
    return connection, parts.path.lstrip("/")


def recreate_database():
    connection, name = admin_connection()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


def drop_database():
    from django.db import connections

    connections.close_all()
    connection, name = admin_connection()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
    connection.close()


def populate():
    from narratives.models import Narrative, Tag
    from testimony.models import Defector, Outlet, Quote, Source

    rng = random.Random(2015)
    outlet = Outlet.objects.create(name="Bench outlet")
    source = Source.objects.create(outlet=outlet, title="Bench source", url="https://bench.example.org/1")
    countries = ["SY", "SA", "GB", "DE", "FR", "TN", "ID", "IQ", "JO", "TR", "AU", "IN", "XX", ""]
    defectors = []
    for i in range(DEFECTORS):
        precision = rng.choice(["day", "month", "month", "year"])
        day = datetime.date(2013, 6, 1) + datetime.timedelta(days=rng.randrange(900))
        day = {"day": day, "month": day.replace(day=1), "year": day.replace(month=1, day=1)}[precision]
        defectors.append(
            Defector(
                case_id=f"BENCH-{i:05d}",
                name="synthetic defector",
                sex=rng.choice(["male", "male", "male", "female", "unknown"]),
                country=rng.choice(countries),
                reported_on=day,
                reported_precision=precision,
                provenance="synthetic",
                visibility=rng.choice(["public"] * 9 + ["restricted"]),
            )
        )
    defectors = Defector.objects.bulk_create(defectors)
    quotes = Quote.objects.bulk_create(
        Quote(defector=d, source=source, text=f"Synthetic testimony {d.case_id}.")
        for d in defectors
        for _ in range(rng.randrange(3))
    )
    narratives = list(Narrative.objects.all())
    Tag.objects.bulk_create(
        Tag(quote=q, narrative=n) for q in quotes for n in rng.sample(narratives, rng.randrange(1, 3))
    )
    return len(defectors), len(quotes)


def in_list(codes) -> str:
    return "(" + ", ".join(f"'{c}'" for c in codes) + ")"


def hand_sql() -> list[str]:
    """The report's tables in plain SQL, as a careful developer would write them by hand
    (region lists and the study's periods are spelled out from the same constants)."""
    from testimony.regions import MAPPED_COUNTRIES, REGIONS

    regions = {slug: f"country IN {in_list(codes)}" for slug, (_, codes) in REGIONS.items()}
    regions["other"] = f"country NOT IN {in_list(MAPPED_COUNTRIES)} AND country <> ''"
    regions["unknown"] = "country = ''"
    precise = "reported_precision IN ('day', 'month')"
    # The ICSR 2015 periods: (first day, last day, year-only dates placed, year-only dates beside it).
    periods = [
        ("2014-01-01", "2014-08-31", [], ["2014-01-01"]),
        ("2014-09-01", "2014-12-31", [], ["2014-01-01"]),
        ("2014-09-01", "2015-08-31", ["2015-01-01"], ["2014-01-01"]),
        ("2015-01-01", "2015-05-31", [], ["2015-01-01"]),
        ("2015-01-01", "2015-08-31", ["2015-01-01"], []),
        ("2015-01-01", "2015-12-31", ["2015-01-01"], []),
        ("2015-06-01", "2015-08-31", [], ["2015-01-01"]),
        ("2015-07-01", "2015-07-31", [], ["2015-01-01"]),
    ]
    period_columns = []
    for first, last, placed, beside in periods:
        year_only = f" OR (reported_precision = 'year' AND reported_on IN {in_list(placed)})" if placed else ""
        period_columns.append(
            f"count(*) FILTER (WHERE ({precise} AND reported_on BETWEEN '{first}' AND '{last}'){year_only})"
        )
        beside_sql = f"reported_precision = 'year' AND reported_on IN {in_list(beside)}" if beside else "false"
        period_columns.append(f"count(*) FILTER (WHERE {beside_sql})")
    summary = f"""
        SELECT count(*), count(*) FILTER (WHERE visibility = 'restricted'),
               count(*) FILTER (WHERE reported_precision = 'year'), count(DISTINCT NULLIF(country, '')),
               min(reported_on) FILTER (WHERE {precise}), max(reported_on) FILTER (WHERE {precise}),
               count(*) FILTER (WHERE sex = 'male'), count(*) FILTER (WHERE sex = 'female'),
               count(*) FILTER (WHERE sex = 'unknown'),
               {", ".join(f"count(*) FILTER (WHERE {cond})" for cond in regions.values())},
               {", ".join(period_columns)},
               count(*) FILTER (WHERE country IN {in_list(REGIONS["western_europe"][1] + ["AU"])}),
               count(*) FILTER (WHERE country NOT IN ('GB','SY','SA','AU','DE','IN','FR','BE','CH','TN','ID'))
        FROM testimony_defector WHERE reported_on BETWEEN %(start)s AND %(end)s"""
    narratives = f"""
        SELECT n.code, count(DISTINCT d.id), count(DISTINCT q.id),
               count(DISTINCT d.id) FILTER (WHERE d.sex = 'male'), count(DISTINCT d.id) FILTER (WHERE d.sex = 'female'),
               count(DISTINCT d.id) FILTER (WHERE d.sex = 'unknown'),
               {", ".join(f"count(DISTINCT d.id) FILTER (WHERE d.{cond})" for cond in regions.values())}
        FROM narratives_tag t JOIN narratives_narrative n ON n.id = t.narrative_id
        JOIN testimony_quote q ON q.id = t.quote_id JOIN testimony_defector d ON d.id = q.defector_id
        WHERE d.reported_on BETWEEN %(start)s AND %(end)s GROUP BY n.code"""
    pairs = """
        WITH tagged AS (
            SELECT DISTINCT q.defector_id, t.narrative_id FROM narratives_tag t
            JOIN testimony_quote q ON q.id = t.quote_id JOIN testimony_defector d ON d.id = q.defector_id
            WHERE d.reported_on BETWEEN %(start)s AND %(end)s
        )
        SELECT a.narrative_id, b.narrative_id, count(*) FROM tagged a
        JOIN tagged b ON a.defector_id = b.defector_id AND a.narrative_id < b.narrative_id GROUP BY 1, 2"""
    return [
        summary,
        """SELECT country, count(*) FROM testimony_defector WHERE reported_on BETWEEN %(start)s AND %(end)s
           GROUP BY country ORDER BY 2 DESC, 1""",
        f"""SELECT date_trunc('month', reported_on), count(*) FROM testimony_defector
           WHERE reported_on BETWEEN %(start)s AND %(end)s AND {precise} GROUP BY 1 ORDER BY 1""",
        """SELECT extract(year FROM reported_on), count(*) FROM testimony_defector
           WHERE reported_on BETWEEN %(start)s AND %(end)s GROUP BY 1""",
        narratives,
        pairs,
    ]


def best_of(fn) -> float:
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main():
    os.environ["DATABASE_URL"] = URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    recreate_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from reports.models import Study
    from reports.selectors import study_report

    try:
        call_command("migrate", verbosity=0)
        defectors, quotes = populate()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as the import does: bulk_create leaves no statistics
        study = Study.objects.get(code="icsr-2015")
        params = {"start": study.window_start, "end": study.window_end}
        statements = hand_sql()

        def orm():
            study_report(study=study, include_synthetic=True)

        def raw():
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql, params)
                    cursor.fetchall()

        orm(), raw()  # warm caches
        if os.environ.get("BENCH_PROFILE"):
            from django.test.utils import CaptureQueriesContext

            with CaptureQueriesContext(connection) as captured:
                orm()
            for query in captured.captured_queries:
                print(query["time"], query["sql"][:100])
        orm_time, sql_time = best_of(orm), best_of(raw)
        print(f"defectors={defectors} quotes={quotes} rounds={ROUNDS} (best of each)")
        print(f"study_report (ORM): {orm_time * 1000:.1f} ms")
        print(f"hand-written SQL:   {sql_time * 1000:.1f} ms")
        ratio = orm_time / sql_time
        print(f"ratio ORM/SQL: {ratio:.2f} (target <= {TARGET_RATIO}: {'met' if ratio <= TARGET_RATIO else 'MISSED'})")
    finally:
        if not os.environ.get("BENCH_KEEP"):  # BENCH_KEEP=1 leaves the database for EXPLAIN
            drop_database()


if __name__ == "__main__":
    main()
