"""Input no database can store (issue 12, finding 9): a NUL character, bytes that
are not UTF-8, lone surrogates. Each is reported at its line and column and the
file is refused as a whole, on SQLite (which would store a NUL) as on
PostgreSQL (which refuses one in text): from the service, the command and the
admin's import, never a traceback or a 500."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from testimony.imports.service import defector_import
from testimony.models import Defector, Quote
from tests.testimony.imports.helpers import row, to_csv

pytestmark = pytest.mark.django_db


def nul_file() -> bytes:
    """Line 3 holds a NUL in the name and line 4 one in the quote; line 2 is good."""
    return to_csv([row(), row(case_id="T-2", name="Abu\x00Test"), row(case_id="T-3", quote="a\x00b")])


def test_a_nul_is_reported_at_its_line_and_column_and_nothing_is_written():
    result = defector_import(rows=nul_file())
    assert [(e.line, e.column) for e in result.errors] == [(3, "name"), (4, "quote")]
    assert "NUL" in result.errors[0].reason
    assert not Defector.objects.exists() and not Quote.objects.exists()
    assert not defector_import(rows=nul_file(), dry_run=True).ok


@pytest.mark.parametrize("writer", ["auto", "portable"])
def test_every_writer_refuses_a_nul(writer):
    assert [e.column for e in defector_import(rows=nul_file(), writer=writer).errors] == ["name", "quote"]
    assert not Defector.objects.exists()


def test_bytes_that_are_not_utf8_are_reported_in_their_column():
    content = to_csv([row(), row(case_id="T-2")]).replace(b"Defectors speak", b"Defectors sp\xe9ak", 1)
    result = defector_import(rows=content)
    assert [(e.line, e.column, e.reason) for e in result.errors] == [(2, "source_title", "is not valid UTF-8")]
    assert not Defector.objects.exists()


def test_a_nul_in_the_header_is_reported_on_line_1():
    content = to_csv([row()]).replace(b"case_id", b"case\x00_id", 1)
    errors = defector_import(rows=content).errors
    assert errors[0].line == 1 and "NUL" in errors[0].reason
    assert not Defector.objects.exists()


def test_row_dicts_with_a_nul_or_a_lone_surrogate_are_refused_too():
    result = defector_import(rows=[row(), row(case_id="T-2", notes="x\x00"), row(case_id="T-3", name="a\ud800")])
    assert [(e.line, e.column) for e in result.errors] == [(3, "notes"), (4, "name")]
    assert not Defector.objects.exists()


def test_the_command_lists_the_nul_and_exits_1_without_a_traceback(tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes(nul_file())
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("import_defectors", str(path), stdout=io.StringIO(), stderr=err)
    assert exit_.value.code == 1
    assert err.getvalue().splitlines()[:2] == [
        "line 3, column name: contains a NUL character (accepted: text without NUL characters "
        "(byte 0; often a file saved as UTF-16 or a binary file))",
        "line 4, column quote: contains a NUL character (accepted: text without NUL characters "
        "(byte 0; often a file saved as UTF-16 or a binary file))",
    ]
    assert not Defector.objects.exists()


def test_the_admin_import_shows_the_nul_as_an_error(client, researcher):
    client.force_login(researcher)
    upload = SimpleUploadedFile("nul.csv", nul_file(), content_type="text/csv")
    response = client.post(reverse("admin:testimony_defector_import"), {"file": upload})
    assert response.status_code == 200
    page = response.content.decode()
    assert "line 3, column name: contains a NUL character" in page
    assert "Confirm import" not in page
    assert not Defector.objects.exists()
