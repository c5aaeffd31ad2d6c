"""``make loadtest``: locust against gunicorn over a mixed workload, then again through a PostgreSQL restart.

1. Fills LOADTEST_DATABASE_URL (created if missing) with the ICSR fixture plus
   LOADTEST_DEFECTORS synthetic defectors (``generate_synthetic``, default
   100,000) and ANALYZEs it; a database already holding them is reused.
2. Serves it with gunicorn as in production (DEBUG=0, gthread workers, a local
   SECRET_KEY, ALLOWED_HOSTS=127.0.0.1) on the first free port in 8411-8419.
3. Runs locust headless on 127.0.0.1 (LOADTEST_USERS users, LOADTEST_SECONDS
   seconds, bench/locustfile.py) and prints each page's RPS and p50/p95/p99
   beside ``/healthz``, the trivial view under the same load.
4. If LOADTEST_RESTART_URL and LOADTEST_RESTART_COMMAND are set (a throwaway
   cluster: never the shared one), fills that database the same way, serves it,
   runs the load again and restarts PostgreSQL in the middle, printing the
   statuses answered while it was down and the seconds from the database
   answering again to the app's first 200.

Both runs together take about 2 x LOADTEST_SECONDS (60) of load.
"""

import functools
import json
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

import psycopg2
import redis

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
URL = os.environ.get("LOADTEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/testimony_load")
RESTART_URL = os.environ.get("LOADTEST_RESTART_URL", "")
RESTART_COMMAND = os.environ.get("LOADTEST_RESTART_COMMAND", "")
DEFECTORS = int(os.environ.get("LOADTEST_DEFECTORS", "100000"))
SEED = 13
USERS = int(os.environ.get("LOADTEST_USERS", "10"))
SECONDS = int(os.environ.get("LOADTEST_SECONDS", "60"))
WORKERS = os.environ.get("LOADTEST_WORKERS", "3")
THREADS = os.environ.get("LOADTEST_THREADS", "4")
PORTS = range(8411, 8420)
print = functools.partial(print, flush=True)  # noqa: A001 (progress shows while it runs)


def connect(url, dbname=None, timeout=2):
    parts = urlparse(url)
    return psycopg2.connect(
        dbname=dbname or parts.path.lstrip("/"),
        user=parts.username,
        password=parts.password,
        host=parts.hostname,
        port=parts.port or 5432,
        connect_timeout=timeout,
    )


def fill(url):
    parts = urlparse(url)
    admin = connect(url, dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [parts.path.lstrip("/")])
        exists = cursor.fetchone()
        if not exists:
            cursor.execute(f'CREATE DATABASE "{parts.path.lstrip("/")}"')
    admin.close()
    env = {**os.environ, "DATABASE_URL": url}
    if exists:
        with connect(url) as connection, connection.cursor() as cursor:
            try:
                cursor.execute("SELECT count(*) FROM testimony_defector WHERE case_id LIKE %s", [f"SYN{SEED}-%"])
                if cursor.fetchone()[0] == DEFECTORS:
                    print(f"reusing {url}: {DEFECTORS} synthetic defectors")
                    subprocess.run(
                        [BIN / "python", "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
                    )
                    return
            except psycopg2.Error:
                pass
    print(f"filling {url}: ICSR fixture + {DEFECTORS} synthetic defectors")
    for command in (
        ["migrate", "--noinput", "-v0"],
        ["load_study_data"],
        ["generate_synthetic", "--defectors", str(DEFECTORS), "--seed", str(SEED)],
    ):
        subprocess.run(
            [BIN / "python", "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
        )
    connection = connect(url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connection.close()


def free_port():
    for port in PORTS:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return port
    raise SystemExit("no free port in 8411-8419")


def production_env(url):
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "loadtest-only-" + "x" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": url,
        "SECURE_SSL_REDIRECT": "0",
        # Anonymous readers, as a public deployment has; throttles out of the way of 10 users on one address.
        "TESTIMONY_PUBLIC_READ": "1",
        "API_THROTTLE_ANON": "1000000/minute",
        "LOG_LEVEL": "WARNING",
        # One shared cache for the workers, as in production (docs/scaling.md): the counts
        # kept under the data generation are computed once, not once per worker.
        "CACHE_URL": os.environ.get("LOADTEST_CACHE_URL", "redis://127.0.0.1:6379/9"),
    }


def serve(url, log):
    env = production_env(url)
    port = free_port()
    server = subprocess.Popen(
        [BIN / "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", WORKERS,
         "--worker-class", "gthread", "--threads", THREADS, "--timeout", "30"],
        cwd=ROOT, env=env, stdout=log, stderr=log,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            return server, base
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start; see its log")


def run_locust(base, workdir, label):
    status_file = Path(workdir) / f"{label}-statuses.json"
    env = {**os.environ, "LOADTEST_STATUS_FILE": str(status_file), "LOADTEST_DEFECTORS": str(DEFECTORS)}
    subprocess.run(
        [BIN / "locust", "-f", ROOT / "bench" / "locustfile.py", "--headless", "--host", base,
         "-u", str(USERS), "-r", str(USERS), "-t", f"{SECONDS}s", "--csv", Path(workdir) / label,
         "--only-summary", "--loglevel", "ERROR", "--web-host", "127.0.0.1"],
        cwd=ROOT, env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    import csv

    with open(Path(workdir) / f"{label}_stats.csv") as stats:
        rows = list(csv.DictReader(stats))
    with open(Path(workdir) / f"{label}_failures.csv") as failures:
        for row in csv.DictReader(failures):
            print(f"  locust failure: {row['Occurrences']} x {row['Name']}: {row['Error'][:120]}")
    return rows, json.loads(status_file.read_text())


def print_table(rows):
    print(f"{'page':<18} {'requests':>8} {'fails':>6} {'RPS':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
    for row in rows:
        print(
            f"{row['Name']:<18} {row['Request Count']:>8} {row['Failure Count']:>6} {float(row['Requests/s']):>6.1f}"
            f" {row['50%']:>7} {row['95%']:>7} {row['99%']:>7}"
        )
    named = {row["Name"]: row for row in rows}
    floor, total = named.get("healthz (floor)"), named.get("Aggregated")
    if floor and total and float(floor["95%"]):
        print(f"aggregated p95 / healthz p95: {float(total['95%']) / float(floor['95%']):.1f}x")


# Each set the workload counts, asked once before the timed load, as a deployment's first
# visitors would: the first view after a write computes the kept counts (cold), later ones
# read them. Printed, so the cold times are seen too.
WARM_UP = [
    "/defectors/",
    "/defectors/?sex=female&country=SY&narrative=brutality",
    "/defectors/?q=electricity",
    "/defectors/?q=salary",
    "/defectors/?q=zebra",
    "/narratives/brutality/",
    "/reports/icsr-2015/",
    "/api/v1/defectors/",
]


def fetch(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        response.read()
        return response.status


def warm_up(base):
    """Each set once, timed, then every page of the workload from every worker thread at
    once, so that each process has compiled its templates and opened its connections
    before the timed load: the load test measures the steady state, the start shows here."""
    redis.Redis.from_url(production_env(URL)["CACHE_URL"]).flushdb()  # the load test's own database number
    print("warm-up, each page once (cold: computing the pages and counts kept until the next write):")
    for path in WARM_UP:
        started = time.perf_counter()
        status = fetch(base + path)
        print(f"  {path:<55} {status} {(time.perf_counter() - started) * 1000:7.0f} ms")
    slots = int(WORKERS) * int(THREADS)
    paths = [*WARM_UP, "/healthz", *(f"/defectors/SYN{SEED}-{n:06d}/" for n in range(1, slots + 1))]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=slots) as pool:
        statuses = Counter(pool.map(fetch, [base + path for path in paths for _ in range(2 * slots)]))
    seconds = time.perf_counter() - started
    print(f"  then {sum(statuses.values())} requests from {slots} threads in {seconds:.1f} s: {dict(statuses)}")


def steady_run(workdir, log):
    fill(URL)
    server, base = serve(URL, log)
    try:
        warm_up(base)
        print(f"\n== steady load: {USERS} users, {SECONDS} s, gunicorn {WORKERS} gthread workers x {THREADS} threads")
        rows, statuses = run_locust(base, workdir, "steady")
        print_table(rows)
        print("statuses:", statuses["total"])
    finally:
        server.terminate()
        server.wait()


def watch(base, url, stop, events):
    """Every 0.1 s: does PostgreSQL answer, does a page that needs it answer 200?"""
    db_was_up = True
    while not stop.is_set():
        now = time.time()
        try:
            connect(url, timeout=1).close()
            db_up = True
        except psycopg2.Error:
            db_up = False
        if db_up != db_was_up:
            events.append(("db up" if db_up else "db down", now))
            db_was_up = db_up
        if db_up and events and events[-1][0] == "db up":
            try:
                with urllib.request.urlopen(base + "/defectors/SYN13-000001/", timeout=2) as response:
                    if response.status == 200:
                        events.append(("app 200", time.time()))
            except OSError:
                pass
        time.sleep(0.1)


def restart_run(workdir, log):
    if not (RESTART_URL and RESTART_COMMAND):
        print("\n(restart run skipped: set LOADTEST_RESTART_URL and LOADTEST_RESTART_COMMAND for a throwaway cluster)")
        return
    fill(RESTART_URL)
    server, base = serve(RESTART_URL, log)
    stop, events = threading.Event(), []
    watcher = threading.Thread(target=watch, args=(base, RESTART_URL, stop, events), daemon=True)
    try:
        warm_up(base)
        print(f"\n== the same load with `{RESTART_COMMAND}` after {SECONDS // 2} s")
        watcher.start()

        def restart():
            time.sleep(SECONDS / 2)
            events.append(("restart issued", time.time()))
            subprocess.run(shlex.split(RESTART_COMMAND), check=True, stdout=subprocess.DEVNULL)
            events.append(("restart returned", time.time()))

        restarter = threading.Thread(target=restart)
        restarter.start()
        rows, statuses = run_locust(base, workdir, "restart")
        restarter.join()
        stop.set()
        watcher.join()
        print_table(rows)
        print("statuses, whole run:", statuses["total"])
        issued = next(t for name, t in events if name == "restart issued")
        around = {
            second: counts
            for second, counts in sorted(statuses["by_second"].items())
            if any(status != "200" for status in counts) or abs(int(second) - issued) <= 3
        }
        for second, counts in around.items():
            print(f"  t{int(second) - issued:+4.0f} s: {counts}")
        ups = [t for name, t in events if name == "db up"]
        first_ok = [t for name, t in events if name == "app 200" and ups and t >= ups[-1]]
        downs = [t for name, t in events if name == "db down"]
        if downs:
            print(f"database down for {ups[-1] - downs[0]:.2f} s (as seen by connecting every 0.1 s)")
        if ups and first_ok:
            print(f"recovery: first 200 {first_ok[0] - ups[-1]:.2f} s after the database answered again")
        else:
            print("recovery: restart too quick for the 0.1 s probe to see the database down; see statuses above")
    finally:
        stop.set()
        server.terminate()
        server.wait()


def main():
    print("collectstatic (whitenoise's manifest, as DEBUG=0 needs) ...")
    env = production_env(URL)
    subprocess.run([BIN / "python", "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    with tempfile.TemporaryDirectory(prefix="loadtest-") as workdir, open(Path(workdir) / "gunicorn.log", "w+") as log:
        steady_run(workdir, log)
        restart_run(workdir, log)
        log.seek(0)
        lines = log.readlines()
        outages = sum("Service Unavailable" in line for line in lines)
        internal = [line for line in lines if "Internal Server Error" in line]
        gunicorn = [line for line in lines if "WORKER TIMEOUT" in line or "CRITICAL" in line]
        print(f"\ngunicorn log: {outages} lines for 503s, {len(internal)} for 500s, {len(gunicorn)} worker timeouts")
        for line in (internal + gunicorn)[:10]:
            print("  " + line.rstrip())


if __name__ == "__main__":
    sys.exit(main())
