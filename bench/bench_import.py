"""Import benchmark (make bench): 50,000 synthetic defectors (~142,000 long-form
rows) imported on PostgreSQL, with rows per second, seconds per phase and peak
memory, and the same for a file five times smaller, to show that memory does
not grow with the file.

The floor, measured in the same run on the same database: a plain ``COPY`` of
the same CSV into a table without index, constraint or history (what it costs
PostgreSQL just to take the bytes). The import is reported as a multiple of it.
``--portable`` also times the portable (SQLite) path on PostgreSQL, the import
before testimony/imports/postgres.py.

It creates its own scratch databases next to BENCH_DATABASE_URL (a migrated
template, then one fresh copy per run) and drops them at the end. Each import
runs in a child process so that its peak RSS is its own.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/testimony_bench make bench
    .venv/bin/python bench/bench_import.py [--defectors 50000] [--small 10000] [--portable]
"""

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET_ROWS_PER_SECOND = 5000


def database_url(base: str, name: str) -> str:
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path="/" + name))


def admin(base: str, *statements: str) -> None:
    import psycopg2

    connection = psycopg2.connect(database_url(base, "postgres"))
    connection.autocommit = True
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    connection.close()


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    # Production mode, as a real bulk load would run: with DEBUG on, Django keeps
    # the text of every query (megabytes per bulk insert) in connection.queries.
    os.environ.update(DEBUG="0", SECRET_KEY="bench-only-not-secret", ALLOWED_HOSTS="localhost")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def vm_rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def child(path: str, url: str, portable: bool) -> None:
    """One import, measured: prints a JSON line."""
    setup_django(url)
    from testimony.imports.service import defector_import

    writer = "portable" if portable else "postgres"
    baseline = vm_rss_kb()
    start = time.perf_counter()
    result = defector_import(rows=path, change_reason="bench_import", writer=writer)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KB on Linux
    assert result.ok, result.errors[:5]
    phases = {} if portable else dict(result.timings)
    again = None
    if not portable:  # the same file again: every case stored and unchanged
        start = time.perf_counter()
        assert defector_import(rows=path, change_reason="bench_import", writer=writer).unchanged == result.created
        again = time.perf_counter() - start
    print(
        json.dumps(
            {
                "rows": result.rows,
                "created": result.created,
                "seconds": seconds,
                "baseline_kb": baseline,
                "peak_kb": peak,
                "phases": phases,
                "again_seconds": again,
            }
        )
    )


def floor(path: Path, url: str) -> float:
    """Seconds for a plain COPY of the file into a table of text columns, no index."""
    import psycopg2

    with path.open(encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    connection = psycopg2.connect(url)
    with connection, connection.cursor() as cursor, path.open(encoding="utf-8") as handle:
        cursor.execute(f"CREATE TABLE bench_floor ({', '.join(f'{c} text' for c in header)})")
        start = time.perf_counter()
        cursor.copy_expert("COPY bench_floor FROM STDIN WITH (FORMAT csv, HEADER true)", handle, 1 << 16)
        connection.commit()
        seconds = time.perf_counter() - start
        cursor.execute("DROP TABLE bench_floor")
    connection.close()
    return seconds


def write_file(path: Path, defectors: int) -> int:
    from testimony.longform import COLUMNS
    from testimony.synthetic import synthetic_rows

    codes = ("infighting", "brutality", "corruption", "quality-of-life")
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        count = 0
        for row in synthetic_rows(defectors=defectors, seed=2015, narrative_codes=codes):
            writer.writerow(row)
            count += 1
    return count


def measure(path: Path, base: str, template: str, run_db: str, portable: bool = False) -> dict:
    admin(base, f'DROP DATABASE IF EXISTS "{run_db}"', f'CREATE DATABASE "{run_db}" TEMPLATE "{template}"')
    try:
        floor_seconds = floor(path, database_url(base, run_db))
        output = subprocess.run(
            [sys.executable, __file__, "--child", str(path), "--url", database_url(base, run_db)]
            + (["--portable"] if portable else []),
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        admin(base, f'DROP DATABASE IF EXISTS "{run_db}"')
    return {**json.loads(output.strip().splitlines()[-1]), "floor": floor_seconds}


def report(label: str, r: dict) -> None:
    print(
        f"{label}: {r['rows']:,} rows, {r['created']:,} defectors in {r['seconds']:.1f} s = "
        f"{r['rows'] / r['seconds']:,.0f} rows/s; peak RSS {r['peak_kb'] / 1024:.0f} MB "
        f"({(r['peak_kb'] - r['baseline_kb']) / 1024:.0f} MB above the {r['baseline_kb'] / 1024:.0f} MB "
        "of a started Django)"
    )
    print(
        f"  floor (plain COPY of the same file into an unindexed table): {r['floor']:.1f} s = "
        f"{r['rows'] / r['floor']:,.0f} rows/s; the import takes {r['seconds'] / r['floor']:.1f}x the floor"
    )
    for name, seconds in r["phases"].items():
        print(f"  {name:<40} {seconds:6.2f} s {100 * seconds / r['seconds']:5.1f} %")
    if r.get("again_seconds"):
        print(
            f"  re-import of the same file (all unchanged): {r['again_seconds']:.1f} s = "
            f"{r['rows'] / r['again_seconds']:,.0f} rows/s"
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--defectors", type=int, default=50_000)
    parser.add_argument("--small", type=int, help="defectors in the small file (default: a fifth)")
    parser.add_argument("--portable", action="store_true", help="also time the portable path")
    parser.add_argument("--child")
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.url, args.portable)
        return 0

    small_defectors = args.small or args.defectors // 5
    base = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/testimony_bench")
    name = urlsplit(base).path.lstrip("/") or "testimony_bench"
    template, run_db = f"{name}_import_tpl", f"{name}_import_run"
    admin(base, f'DROP DATABASE IF EXISTS "{template}"', f'CREATE DATABASE "{template}"')
    try:
        setup_django(database_url(base, template))
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", verbosity=0)
        connections.close_all()

        with tempfile.TemporaryDirectory() as folder:
            large, small = Path(folder) / "large.csv", Path(folder) / "small.csv"
            large_rows = write_file(large, args.defectors)
            small_rows = write_file(small, small_defectors)
            print(
                f"files: {args.defectors:,} defectors = {large_rows:,} rows ({large.stat().st_size / 1e6:.1f} MB); "
                f"{small_defectors:,} defectors = {small_rows:,} rows"
            )
            results = {}
            for label, path in (("small", small), ("large", large)):
                results[label] = measure(path, base, template, run_db)
                report(label, results[label])
            if args.portable:
                results["portable"] = measure(large, base, template, run_db, portable=True)
                report("large, portable path", results["portable"])
    finally:
        admin(base, f'DROP DATABASE IF EXISTS "{template}"')

    small_r, large_r = results["small"], results["large"]
    rate = large_r["rows"] / large_r["seconds"]
    growth_small = max(small_r["peak_kb"] - small_r["baseline_kb"], 1)
    growth_large = large_r["peak_kb"] - large_r["baseline_kb"]
    print(
        f"rows/s (large file): {rate:,.0f} (target >= {TARGET_ROWS_PER_SECOND:,}: "
        f"{'met' if rate >= TARGET_ROWS_PER_SECOND else 'NOT met'}); "
        f"{large_r['seconds'] / large_r['floor']:.1f}x the plain-COPY floor"
    )
    if args.portable:
        portable = results["portable"]
        print(f"speed-up over the portable path (same file, same run): x{portable['seconds'] / large_r['seconds']:.1f}")
    print(
        f"memory: file x{large_r['rows'] / small_r['rows']:.1f} -> "
        f"peak RSS x{large_r['peak_kb'] / small_r['peak_kb']:.2f}, "
        f"growth above baseline x{growth_large / growth_small:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
