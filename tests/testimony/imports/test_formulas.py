"""Spreadsheet formulas (issue 12, finding 6): every CSV export writes a cell that
would start a formula with a leading ', and the import removes exactly that ',
so import(export(db)) is still the database."""

import csv
import io

import pytest
from django.core.management import call_command
from hypothesis import given
from hypothesis import strategies as st

from narratives.models import Tag
from testimony.imports.cells import protect_formula, unprotect_formula
from testimony.imports.service import defector_import
from testimony.models import Defector, Outlet, Quote, Source
from tests.testimony.imports.helpers import exported, row, snapshot, to_csv

FORMULAS = ['=HYPERLINK("http://evil.example")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


@pytest.mark.parametrize(
    "value, written",
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=1", "''=1"),  # already looks protected: one more, so the import gives it back
        ("''@x", "'''@x"),
        ("'quoted'", "'quoted'"),  # a ' before anything else is the value's own
        ("a=b", "a=b"),
        ("", ""),
        ("2015-08", "2015-08"),
    ],
)
def test_a_cell_that_would_start_a_formula_is_written_with_a_leading_apostrophe(value, written):
    assert protect_formula(value) == written
    assert unprotect_formula(written) == value


@given(st.text(alphabet=st.sampled_from("'=+-@\t\rab "), max_size=6))
def test_protection_is_undone_exactly_for_any_value(value):
    assert unprotect_formula(protect_formula(value)) == value
    assert protect_formula(value)[:1] not in ("=", "+", "-", "@", "\t", "\r")


def read(content: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content)))


def formula_cases():
    rows = [
        row(case_id=f"F-{n}", name=formula.strip() or "x", quote=formula + " said", translation=formula)
        for n, formula in enumerate(FORMULAS)
    ]
    # Stored values that start with ' before a trigger (a file gives them with one ' more).
    rows.append(row(case_id="F-9", name="''=already protected", quote="'plain apostrophe", translation="'''-x"))
    return rows


@pytest.mark.django_db
def test_every_defector_export_neutralises_formulas_and_the_import_undoes_it(client, tmp_path):
    columns = [*formula_cases()[0], "notes"]
    result = defector_import(rows=to_csv([{**r, "notes": "=cmd|' /C calc'!A0"} for r in formula_cases()], columns))
    assert result.ok, result.errors
    before = snapshot()
    stored = Defector.objects.get(case_id="F-0")
    assert (stored.name, stored.notes) == (FORMULAS[0], "=cmd|' /C calc'!A0")
    assert Defector.objects.get(case_id="F-9").name == "'=already protected"
    assert Defector.objects.get(case_id="F-9").quotes.get().text == "'plain apostrophe"

    output = tmp_path / "export.csv"
    call_command("export_defectors", "--output", str(output), stderr=io.StringIO())
    command = output.read_bytes().decode("utf-8")  # read_text would turn \r into \n
    web = b"".join(client.get("/defectors/export.csv").streaming_content).decode()
    for content in (command, web, exported()):
        rows = {r["case_id"]: r for r in read(content)}
        for n, formula in enumerate(FORMULAS):
            written = rows[f"F-{n}"]
            # Names are stripped on import: a tab or CR before the name is gone, nothing to protect.
            assert written["name"] == ("'" + formula if formula == formula.strip() else formula.strip())
            assert (written["quote"], written["translation"]) == ("'" + formula + " said", "'" + formula)
            assert written["notes"] == "'=cmd|' /C calc'!A0"
        assert rows["F-9"]["name"] == "''=already protected"
        assert (rows["F-9"]["quote"], rows["F-9"]["translation"]) == ("'plain apostrophe", "'''-x")
        for cells in rows.values():
            assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in cells.values())

    Tag.objects.all().delete(), Quote.objects.all().delete(), Defector.objects.all().delete()
    Source.objects.all().delete(), Outlet.objects.all().delete()
    assert defector_import(rows=command.encode()).created == len(FORMULAS) + 1
    assert snapshot() == before
    assert exported() == command


@pytest.mark.django_db
def test_an_imported_cell_loses_exactly_the_protecting_apostrophe():
    rows = [row(name="'=x", quote="'don't", translation="''+y"), row(case_id="T-2", name="'-", quote="'@z")]
    assert defector_import(rows=to_csv(rows)).ok
    assert Defector.objects.get(case_id="T-1").name == "=x"
    assert Defector.objects.get(case_id="T-2").name == "-"
    assert sorted(Quote.objects.values_list("text", "translation")) == [("'don't", "'+y"), ("@z", "")]
