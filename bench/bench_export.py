"""Export benchmark (make bench): the long-form CSV and the nested JSON of
100,000 synthetic defectors on PostgreSQL, in rows per second, beside the
floor measured in the same run on the same database: ``COPY (SELECT ...) TO
STDOUT`` of the same quote rows joined to their defector, source, outlet and
narrative codes (what it costs PostgreSQL alone to hand the rows out).

Every output is verified: the CSV is read back and its row count compared
with the count the database gives for the long form (one row per quote, per
source no quote comes from, per defector with neither), the JSON parsed and
its defectors counted. A mismatch fails the bench.

It creates a scratch database ``<name>_export`` next to BENCH_DATABASE_URL,
fills it through ``generate_synthetic`` (the import service) and drops it at
the end.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/testimony_bench make bench
    .venv/bin/python bench/bench_export.py [--defectors 100000]
"""

import argparse
import csv
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
TARGET_ROWS_PER_SECOND = 20_000

from bench_import import admin, database_url, setup_django  # noqa: E402

LONG_FORM_ROWS = """
    SELECT (SELECT count(*) FROM testimony_quote)
         + (SELECT count(*) FROM testimony_defector_sources link WHERE NOT EXISTS (
               SELECT 1 FROM testimony_quote q WHERE q.defector_id = link.defector_id AND q.source_id = link.source_id))
         + (SELECT count(*) FROM testimony_defector d WHERE NOT EXISTS (
               SELECT 1 FROM testimony_quote q WHERE q.defector_id = d.id) AND NOT EXISTS (
               SELECT 1 FROM testimony_defector_sources link WHERE link.defector_id = d.id))
"""

# The quote rows of the long form with the same columns, in the same order.
COPY_FLOOR = """
    COPY (
        SELECT d.case_id, d.name, d.sex, d.country, d.reported_on, o.name, s.title, s.url, s.published_on,
               q.text, q.language, q.translation,
               (SELECT string_agg(n.code, ';' ORDER BY n.display_order, n.code)
                  FROM narratives_tag t JOIN narratives_narrative n ON n.id = t.narrative_id
                 WHERE t.quote_id = q.id),
               d.provenance, d.visibility, d.notes, d.role, d.status, d.defected_on, s.language,
               s.archived_url, s.accessed_on, q.locator
          FROM testimony_quote q
          JOIN testimony_defector d ON d.id = q.defector_id
          JOIN testimony_source s ON s.id = q.source_id
          JOIN testimony_outlet o ON o.id = s.outlet_id
         ORDER BY d.case_id, q.id
    ) TO STDOUT WITH (FORMAT csv, HEADER)
"""


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--defectors", type=int, default=100_000)
    args = parser.parse_args()
    base = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/testimony_bench")
    name = f"{urlsplit(base).path.lstrip('/') or 'testimony_bench'}_export"
    admin(base, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    failures = []
    try:
        setup_django(database_url(base, name))
        from django.core.management import call_command
        from django.db import connection

        from testimony.longform import write_csv, write_json
        from testimony.models import Defector

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        with open(os.devnull, "w") as quiet:
            call_command("generate_synthetic", defectors=args.defectors, seed=13, stdout=quiet)
        print(
            f"filled: {args.defectors:,} defectors through generate_synthetic in {time.perf_counter() - started:.0f} s"
        )
        with connection.cursor() as cursor:
            cursor.execute(LONG_FORM_ROWS)
            expected = cursor.fetchone()[0]

        with tempfile.TemporaryDirectory() as folder:
            floor_path, csv_path, json_path = (Path(folder) / f for f in ("copy.csv", "export.csv", "export.json"))
            started = time.perf_counter()
            with connection.cursor() as cursor, open(floor_path, "w", encoding="utf-8") as out:
                cursor.copy_expert(COPY_FLOOR, out)
            floor_seconds = time.perf_counter() - started
            with open(floor_path, encoding="utf-8", newline="") as handle:
                floor_rows = sum(1 for _ in csv.reader(handle)) - 1

            memory_before = peak_rss_mb()
            started = time.perf_counter()
            with open(csv_path, "w", encoding="utf-8", newline="") as out:
                written = write_csv(Defector.objects.order_by("case_id"), out)
            csv_seconds = time.perf_counter() - started
            memory_after = peak_rss_mb()
            with open(csv_path, encoding="utf-8", newline="") as handle:
                read_back = sum(1 for _ in csv.DictReader(handle))

            started = time.perf_counter()
            with open(json_path, "w", encoding="utf-8") as out:
                documents = write_json(Defector.objects.order_by("case_id"), out)
            json_seconds = time.perf_counter() - started
            with open(json_path, encoding="utf-8") as handle:
                parsed = len(json.load(handle))

            csv_rate = written / csv_seconds
            print(
                f"COPY floor: {floor_rows:,} quote rows in {floor_seconds:.2f} s "
                f"= {floor_rows / floor_seconds:,.0f} rows/s"
            )
            print(
                f"CSV export: {written:,} rows in {csv_seconds:.2f} s = {csv_rate:,.0f} rows/s "
                f"({csv_seconds / floor_seconds * floor_rows / written:.1f}x COPY per row; "
                f"{csv_path.stat().st_size / 1e6:.0f} MB; peak RSS {memory_before:.0f} -> {memory_after:.0f} MB)"
            )
            print(
                f"JSON export: {documents:,} defectors in {json_seconds:.2f} s "
                f"= {documents / json_seconds:,.0f} defectors/s"
            )
            print(
                f"verified: CSV {read_back:,} rows read back, {expected:,} expected from the database; "
                f"JSON {parsed:,} defectors parsed, {args.defectors:,} expected"
            )
            if not (written == read_back == expected):
                failures.append("the CSV's row count does not match the database")
            if parsed != documents or parsed != args.defectors:
                failures.append("the JSON's defector count does not match the database")
            if csv_rate < TARGET_ROWS_PER_SECOND:
                failures.append(f"CSV export below {TARGET_ROWS_PER_SECOND:,} rows/s")
        connection.close()
    finally:
        admin(base, f'DROP DATABASE IF EXISTS "{name}"')
    print(f"target >= {TARGET_ROWS_PER_SECOND:,} rows/s, complete and verified: {'; '.join(failures) or 'met'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
