"""Backups and exports are written 0600 (issue 12, finding 10): a backup holds every identity
field, password hashes, token keys and TOTP secrets; an export every restricted record.
The mode must not depend on the operator's umask, and an existing file is made private too."""

import io
import os
import shutil
import stat

import pytest
from django.core.management import call_command
from django.db import connection

from tests.factories import DefectorFactory

pytestmark = pytest.mark.django_db


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def permissive_umask():
    """The umask of an operator who shares files with the group and the world (open() gives 0666)."""
    previous = os.umask(0)
    yield
    os.umask(previous)


@pytest.fixture
def engine_tools():
    if connection.vendor == "postgresql" and not shutil.which("pg_dump"):
        pytest.skip("PostgreSQL backup: pg_dump is not installed (Debian: apt-get install postgresql-client).")


def test_a_backup_is_readable_by_its_owner_only(tmp_path, permissive_umask, engine_tools):
    DefectorFactory(legal_name="in the backup")
    path = tmp_path / "new-folder" / "testimony.backup"
    call_command("backup_database", output=path, user="", stdout=io.StringIO())
    assert path.stat().st_size > 0
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700


def test_a_backup_over_an_existing_world_readable_file_makes_it_private(tmp_path, permissive_umask, engine_tools):
    path = tmp_path / "testimony.backup"
    path.write_text("an older backup")
    path.chmod(0o644)
    call_command("backup_database", output=path, user="", stdout=io.StringIO())
    assert mode(path) == 0o600
    assert "an older backup" not in path.read_bytes().decode("utf-8", "replace")


@pytest.mark.parametrize("format", ["csv", "json"])
def test_an_export_file_is_readable_by_its_owner_only(tmp_path, permissive_umask, format):
    DefectorFactory(case_id="EX-1", visibility="restricted")
    path = tmp_path / f"export.{format}"
    call_command("export_defectors", format=format, output=str(path), user="", stderr=io.StringIO())
    assert "EX-1" in path.read_text()
    assert mode(path) == 0o600

    path.chmod(0o644)  # an earlier export, shared by mistake: overwriting it makes it private
    call_command("export_defectors", format=format, output=str(path), user="", stderr=io.StringIO())
    assert mode(path) == 0o600
