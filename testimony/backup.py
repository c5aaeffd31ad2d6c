"""Backups that lose nothing: pg_dump/pg_restore on PostgreSQL, dumpdata/loaddata on SQLite.

The engine is the one DATABASE_URL selects (settings.DATABASES["default"]).
Restores go into an empty database (a fresh ``createdb`` or a missing SQLite
file), so that nothing left over can mix with the backup; ``replace=True``
lets pg_restore drop and recreate the objects of a PostgreSQL database.

The SQLite dump is plain ``dumpdata`` of every table with its primary keys,
content types and permissions included, loaded into emptied tables: not
``--natural-foreign``/``--natural-primary``, because history rows keep
foreign keys to records deleted since (natural keys cannot be looked up for
those, so dumpdata fails) and refer to records by id (renumbered records
would lose their history). Its timestamps keep their microseconds
(``testimony/backup_json.py``; Django's own JSON keeps milliseconds).

Backups are written 0600 (``testimony/private_files.py``): they hold every
identity field, password hashes, token keys and TOTP secrets.
"""

import datetime
import os
import shutil
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from django.test.utils import override_settings

from .private_files import create_private

# Logins in progress are not data; migrate fills django_migrations.
SQLITE_EXCLUDE = ["sessions"]
SQLITE_KEEP_TABLES = {"django_migrations", "django_session"}


class BackupError(Exception):
    pass


def engine() -> str:
    return connection.vendor  # "postgresql" or "sqlite"


def default_filename(now: datetime.datetime | None = None) -> str:
    stamp = (now or datetime.datetime.now()).strftime("%Y%m%d-%H%M%S")
    return f"testimony-{stamp}.{'dump' if engine() == 'postgresql' else 'json'}"


def pg_command(program: str) -> tuple[list[str], dict]:
    """The program with connection arguments, and an environment carrying the password."""
    if shutil.which(program) is None:
        raise BackupError(f"{program} is not installed (Debian: apt-get install postgresql-client).")
    db = settings.DATABASES["default"]
    args = [program, "--no-owner", "--no-privileges"]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            args.append(f"{flag}={db[key]}")
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    if db.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = db["OPTIONS"]["sslmode"]
    return args, env


def run(args: list[str], env: dict) -> None:
    # umask: whatever the PostgreSQL client creates is for the operator's account only.
    result = subprocess.run(args, env=env, capture_output=True, text=True, umask=0o077)
    if result.returncode != 0:
        raise BackupError(f"{args[0]} failed (exit {result.returncode}):\n{result.stderr.strip()}")


def backup(path: Path) -> Path:
    """Write a backup of the whole database to ``path`` (mode 0600)."""
    create_private(path)
    if engine() == "postgresql":
        args, env = pg_command("pg_dump")
        run([*args, "--format=custom", f"--file={path}", settings.DATABASES["default"]["NAME"]], env)
    else:
        call_command("dumpdata", exclude=SQLITE_EXCLUDE, format="backup-json", output=str(path), indent=1, verbosity=0)
    return path


def database_is_empty() -> bool:
    with connection.cursor() as cursor:
        return not connection.introspection.table_names(cursor)


def restore(path: Path, *, replace: bool = False) -> None:
    """Load the backup at ``path`` into the (empty) database."""
    if not path.is_file():
        raise BackupError(f"No backup file at {path}.")
    if engine() == "postgresql":
        if not replace and not database_is_empty():
            raise BackupError(
                "The target database already has tables. Restore into a fresh database (createdb), "
                "or pass --replace to drop and recreate everything in it from the backup."
            )
        args, env = pg_command("pg_restore")
        run(
            [
                *args,
                "--clean",
                "--if-exists",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={settings.DATABASES['default']['NAME']}",
                str(path),
            ],
            env,
        )
    else:
        if not database_is_empty():
            raise BackupError(
                f"The SQLite database {settings.DATABASES['default']['NAME']} is not empty; "
                "move it away and run the restore again (it creates a fresh one)."
            )
        restore_sqlite(path)


def restore_sqlite(path: Path) -> None:
    call_command("migrate", interactive=False, verbosity=0)
    with transaction.atomic():
        # migrate created content types, permissions, the codebook and the roles;
        # the backup holds them too, with their ids, so the tables start empty.
        with connection.cursor() as cursor:
            tables = [t for t in connection.introspection.table_names(cursor) if t not in SQLITE_KEEP_TABLES]
        connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), tables))
        # The backup holds the history already; loaddata's m2m writes must not add to it.
        with override_settings(SIMPLE_HISTORY_ENABLED=False):
            call_command("loaddata", str(path), verbosity=0)
