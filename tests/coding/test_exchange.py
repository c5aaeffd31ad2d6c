"""Coding decisions as CSV: all or nothing with line numbers, idempotent, round trip; the wide spreadsheet."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from coding.exchange import CodingImportError, codings_export, codings_import, codings_spreadsheet
from coding.models import CodingDecision
from narratives.models import Tag
from testimony.models import Quote


def csv_of(quotes, rows):
    lines = ["quote_id,coder,narratives"] + [f"{quotes[i].pk},{coder},{codes}" for i, coder, codes in rows]
    return "\n".join(lines) + "\n"


def test_import_then_export_round_trips_and_reimport_changes_nothing(coders, quotes, tmp_path):
    text = csv_of(quotes, [(0, "amina", "brutality;corruption"), (0, "boris", ""), (1, "amina", "infighting")])
    result = codings_import(text)
    assert (result.created, result.changed, result.unchanged) == (3, 0, 0)
    assert CodingDecision.objects.count() == 3 and Tag.objects.count() == 3
    exported = codings_export(Quote.objects.all())
    assert exported == csv_of(
        quotes, [(0, "amina", "brutality;corruption"), (0, "boris", ""), (1, "amina", "infighting")]
    )
    history = Tag.history.count()
    again = codings_import(exported)
    assert (again.created, again.changed, again.unchanged) == (0, 0, 3)
    assert Tag.history.count() == history


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("{q},nobody,brutality", "line 3: coder 'nobody' is not a user"),
        ("{q},amina,nonsense", "line 3: unknown narrative nonsense"),
        ("abc,amina,brutality", "line 3: quote_id 'abc' is not a quote number"),
        ("999999,amina,brutality", "line 3: no quote 999999"),
        ("{q},boris,", "line 3: quote {q} and coder boris are already on line 2"),
    ],
)
def test_a_bad_line_is_named_and_nothing_is_written(coders, quotes, row, message):
    q = quotes[0].pk
    text = f"quote_id,coder,narratives\n{q},boris,brutality\n{row.format(q=q)}\n"
    with pytest.raises(CodingImportError) as error:
        codings_import(text)
    assert any(e.startswith(message.format(q=q)) for e in error.value.errors), error.value.errors
    assert not CodingDecision.objects.exists() and not Tag.objects.exists()


def test_a_wrong_header_is_an_error(coders):
    with pytest.raises(CodingImportError, match="missing column narratives"):
        codings_import("quote_id,coder\n1,amina\n")


def test_the_commands_round_trip(coders, quotes, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(csv_of(quotes, [(2, "boris", "quality-of-life")]), encoding="utf-8")
    out = io.StringIO()
    call_command("import_codings", str(source), stdout=out)
    assert "1 decisions created" in out.getvalue()
    exported = io.StringIO()
    call_command("export_codings", stdout=exported)
    assert exported.getvalue() == source.read_text(encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("quote_id,coder,narratives\n1,ghost,\n", encoding="utf-8")
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import_codings", str(bad), stderr=io.StringIO())


def test_wide_spreadsheet_has_a_column_per_narrative_per_coder(coders, quotes):
    codings_import(csv_of(quotes, [(0, "amina", "brutality"), (0, "boris", "")]))
    quotes[0].text = "=HYPERLINK(1)"
    quotes[0].save()
    rows = list(csv.DictReader(io.StringIO(codings_spreadsheet(Quote.objects.all()))))
    assert len(rows) == len(quotes)
    first = rows[0]
    assert (first["brutality:amina"], first["brutality:boris"], first["corruption:amina"]) == ("1", "0", "0")
    assert rows[1]["brutality:amina"] == ""  # not coded
    assert first["text"] == "'=HYPERLINK(1)"
    assert not {"legal_name", "current_location", "contact_notes"} & set(first)


def test_web_export_hides_restricted_quotes_without_the_permission(client, coders, custodian, quotes):
    codings_import(csv_of(quotes, [(0, "amina", "brutality"), (1, "amina", "")]))
    restricted = quotes[0].defector
    restricted.visibility = "restricted"
    restricted.save()
    client.force_login(coders[0])
    rows = client.get("/coding/export/csv/").content.decode().splitlines()
    assert rows == ["quote_id,coder,narratives", f"{quotes[1].pk},amina,"]
    client.force_login(custodian)
    assert len(client.get("/coding/export/csv/").content.decode().splitlines()) == 3
    assert client.get("/coding/export/wide/", {"sex": "x"}).status_code == 400
