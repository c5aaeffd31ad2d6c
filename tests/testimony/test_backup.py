"""Backup and restore lose nothing: back up a database with data, restore it into a fresh
database, and compare every table's rows, the long-form export byte for byte, and the
study's figures as ``regenerate_report`` computes them.

PostgreSQL (pg_dump/pg_restore) runs when DATABASE_URL is PostgreSQL, as in CI's second
pass; SQLite (dumpdata/loaddata) on the first. Each test skips, saying why, on the other engine.
"""

import datetime
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.services import totp_device_enrol
from audit.models import AccessEvent
from audit.services import record_access
from narratives.models import Narrative
from testimony.models import Defector
from tests.factories import DefectorFactory, QuoteFactory, SourceFactory, TagFactory, UserFactory

PROJECT = Path(__file__).resolve().parents[2]
# Not data: sessions are not backed up on SQLite; the rest is compared.
UNCOMPARED_TABLES = {"django_session"}


def fill_database():
    """The ICSR 2015 study's data; defectors (one restricted, with identity fields), sources,
    quotes, tags by a coder, edits that leave history, users in roles, a TOTP device and an
    access event."""
    call_command("loaddata", "icsr_2015", verbosity=0)
    custodian = UserFactory(username="keeper", is_staff=True, roles=["Researcher", "Identity custodian"])
    analyst = UserFactory(username="reader", roles=["Analyst"])
    totp_device_enrol(user=custodian)
    for number in range(3):
        defector = DefectorFactory(case_id=f"BK-{number}", legal_name=f"legal name {number}", sex="female")
        source = SourceFactory()
        defector.sources.add(source, SourceFactory())  # one source without a quote
        quote = QuoteFactory(defector=defector, source=source, translation="in English")
        TagFactory(quote=quote, coder=custodian)
        TagFactory(quote=quote, narrative=Narrative.objects.get(code="brutality"))
    DefectorFactory(case_id="BK-9", visibility="restricted", current_location="somewhere")
    edited = Defector.objects.get(case_id="BK-1")
    edited.notes = "Second version, for the history."
    edited.save()
    Defector.objects.get(case_id="BK-2").delete()  # a gap in the ids and a deletion in the history
    event = record_access(request_or_user=analyst, action="export_csv", record_count=3)
    # Under a millisecond: the precision Django's JSON would drop (testimony/backup_json.py).
    AccessEvent.objects.filter(pk=event.pk).update(
        occurred_at=datetime.datetime(2015, 8, 31, 14, 0, 39, 123, datetime.UTC)
    )


SNAPSHOT = """
import io, json
from django.core.management import call_command
from django.db import connection
from testimony.longform import write_csv
from testimony.models import Defector
with connection.cursor() as cursor:
    tables = sorted(connection.introspection.table_names(cursor))
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
        counts[table] = cursor.fetchone()[0]
longform = io.StringIO()
write_csv(Defector.objects.all(), longform)
data = io.StringIO()
call_command("dumpdata", exclude=["sessions"], indent=1, stdout=data)
report = io.StringIO()
call_command("regenerate_report", "icsr-2015", "--format", "json", stdout=report)
print(json.dumps({"counts": counts, "longform": longform.getvalue(), "data": data.getvalue(),
                  "report": json.loads(report.getvalue())}))
"""


def snapshot() -> dict:
    """Row counts of every table, the long-form CSV of all defectors, every row as JSON, and the study's figures."""
    out = io.StringIO()
    exec(SNAPSHOT, {"print": out.write})  # the same code the restored side runs in `manage.py shell`
    return json.loads(out.getvalue())


def manage(*args, database_url: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def snapshot_of(database_url: str) -> dict:
    return json.loads(manage("shell", "--no-imports", "-c", SNAPSHOT, database_url=database_url))


def assert_same(original: dict, restored: dict):
    compared = set(original["counts"]) - UNCOMPARED_TABLES
    assert {t: restored["counts"].get(t) for t in compared} == {t: original["counts"][t] for t in compared}
    assert original["counts"]["testimony_historicaldefector"] >= 6  # the history really was there
    assert restored["longform"] == original["longform"]
    assert "legal name 1" in restored["data"] and "BK-9" in restored["longform"]
    assert restored["data"] == original["data"]
    assert (
        '"action": "backup"' in restored["data"] and '"occurred_at": "2015-08-31T14:00:39.000Z"' in restored["data"]
    )  # the backup's own entry in the access log
    assert original["report"]["tables"]["by_sex"] == {"male": 51, "female": 7, "unknown": 0}
    assert restored["report"] == original["report"]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_postgresql_backup_restores_into_a_fresh_database(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL backup: DATABASE_URL is not PostgreSQL (CI's PostgreSQL pass runs it).")
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("PostgreSQL backup: pg_dump/pg_restore are not installed.")
    import psycopg2

    fill_database()
    dump = tmp_path / "backup.dump"
    call_command("backup_database", "--output", str(dump), stdout=io.StringIO())
    original = snapshot()  # after: the backup logs itself before dumping

    db = connection.settings_dict
    # test_<name> -> <name>_restore: a scratch database beside the one the suite runs on.
    fresh = db["NAME"].removeprefix("test_") + "_restore"
    admin = psycopg2.connect(
        dbname="postgres", user=db["USER"], password=db["PASSWORD"], host=db["HOST"], port=db["PORT"]
    )
    admin.autocommit = True
    credentials = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    url = f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{fresh}"
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{fresh}"')
        manage("restore_database", str(dump), database_url=url)
        assert_same(original, snapshot_of(url))
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)')
        admin.close()


@pytest.mark.slow
@pytest.mark.django_db
def test_sqlite_backup_restores_into_a_fresh_file(tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite backup: DATABASE_URL is not SQLite (CI's SQLite pass runs it).")
    fill_database()
    dump = tmp_path / "backup.json"
    call_command("backup_database", "--output", str(dump), stdout=io.StringIO())
    original = snapshot()  # after: the backup logs itself before dumping
    url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    manage("restore_database", str(dump), database_url=url)
    assert_same(original, snapshot_of(url))


@pytest.mark.django_db
def test_restore_refuses_a_database_that_is_not_empty(tmp_path):
    dump = tmp_path / "backup.json"
    dump.write_text("[]")
    with pytest.raises(Exception, match="not empty|already has tables"):
        call_command("restore_database", str(dump))


def test_restore_names_a_missing_file(tmp_path, db):
    with pytest.raises(Exception, match="No backup file at"):
        call_command("restore_database", str(tmp_path / "missing.dump"))
