"""import_defectors, export_defectors and generate_synthetic from the command line."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from narratives.models import Tag
from testimony.models import Defector, Quote
from tests.testimony.imports.helpers import row, snapshot, to_csv

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def csv_file(tmp_path):
    def write(rows, name="cases.csv"):
        path = tmp_path / name
        path.write_bytes(to_csv(rows))
        return str(path)

    return write


def test_import_prints_the_summary_and_is_idempotent(csv_file):
    path = csv_file([row(), row(case_id="T-2")])
    code, out, _ = run("import_defectors", path)
    assert code == 0
    assert "2 created, 0 updated, 0 unchanged" in out
    code, out, _ = run("import_defectors", path)
    assert "0 created, 0 updated, 2 unchanged" in out


def test_import_prints_every_bad_row_writes_nothing_and_exits_1(csv_file):
    path = csv_file([row(sex="x"), row(case_id="T-2"), row(case_id="T-3", reported_on="2015-02-30")])
    code, out, err = run("import_defectors", path)
    assert code == 1
    assert err.splitlines()[:2] == [
        "line 2, column sex: 'x' is not a sex (accepted: male, female, unknown (or m, f; any case))",
        "line 4, column reported_on: '2015-02-30' is not a date (day is out of range for month) "
        "(accepted: YYYY, YYYY-MM or YYYY-MM-DD (not in the future))",
    ]
    assert "nothing was imported" in err
    assert not Defector.objects.exists()


def test_dry_run_counts_without_writing(csv_file):
    code, out, _ = run("import_defectors", csv_file([row()]), "--dry-run")
    assert code == 0 and "Dry run" in out and "1 created" in out
    assert not Defector.objects.exists()


def test_import_records_the_user_given(csv_file, researcher):
    run("import_defectors", csv_file([row()]), "--user", "researcher")
    assert Defector.history.get().history_user == researcher
    with pytest.raises(CommandError, match="no such user"):
        call_command("import_defectors", csv_file([row()]), "--user", "nobody")


def test_missing_file_is_a_clear_error():
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_defectors", "/nonexistent.csv")


def test_export_csv_and_json_carry_the_same_data(tmp_path, csv_file):
    run("import_defectors", csv_file([row(narratives="brutality;infighting"), row(quote="Zweites Zitat.")]))
    path = tmp_path / "out.csv"
    run("export_defectors", "--output", str(path))
    _, stdout_csv, _ = run("export_defectors")
    assert path.read_text(encoding="utf-8") == stdout_csv
    assert stdout_csv.count("\n") == 3  # header and one row per quote

    _, out, _ = run("export_defectors", "--format", "json")
    [defector] = json.loads(out)
    assert defector["case_id"] == "T-1" and defector["reported_on"] == "2015-08-14"
    assert "legal_name" not in defector
    [source] = defector["sources"]
    assert (source["outlet"], source["url"]) == ("BBC News", "https://bbc.example.org/defectors")
    assert [(q["text"], q["narratives"]) for q in source["quotes"]] == [
        ("They fought each other.", ["infighting", "brutality"]),
        ("Zweites Zitat.", ["infighting"]),
    ]

    # And the CSV imports back into an empty database unchanged.
    before = snapshot()
    Tag.objects.all().delete(), Quote.objects.all().delete(), Defector.objects.all().delete()
    assert run("import_defectors", str(path))[0] == 0
    assert snapshot() == before


def test_generate_synthetic_is_flagged_deterministic_and_idempotent():
    _, out, _ = run("generate_synthetic", "--defectors", "12", "--seed", "7")
    assert "12 created" in out
    assert set(Defector.objects.values_list("provenance", flat=True)) == {"synthetic"}
    assert Quote.objects.exists() and Tag.objects.exists()
    assert all(q.text.startswith("[") for q in Quote.objects.all())  # every quote says it is synthetic
    first = snapshot()
    _, out, _ = run("generate_synthetic", "--defectors", "12", "--seed", "7")
    assert "12 unchanged" in out
    assert snapshot() == first
    run("generate_synthetic", "--defectors", "3", "--seed", "8")
    assert Defector.objects.count() == 15
