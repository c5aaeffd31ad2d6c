"""The PostgreSQL path of the import (testimony/imports/postgres.py, staging.py, setwise.py).

The whole import suite (tests/testimony/imports) runs through this path
when DATABASE_URL is PostgreSQL; the tests here compare it with the portable
path on the same database and cover what only it has (COPY escaping, the
streaming reader, temporary tables).
"""

import itertools

import pytest
from django.apps import apps
from django.db import connection

from narratives.models import Narrative, Tag
from testimony import summary_columns
from testimony.imports import postgres, setwise, staging
from testimony.imports.columns import COLUMNS, CONTRACT_COLUMNS
from testimony.imports.service import defector_import
from testimony.models import Defector, Outlet, Quote, Source
from testimony.synthetic import synthetic_rows
from tests.factories import TagFactory, UserFactory
from tests.testimony.imports.helpers import row, snapshot, to_csv


@pytest.fixture
def postgresql(db):
    if connection.vendor != "postgresql":
        pytest.skip("bulk import path: DATABASE_URL is not PostgreSQL (CI's PostgreSQL pass runs it).")
    assert postgres.available()


def test_the_stream_hands_copy_chunks_without_reading_everything_ahead():
    produced = []

    def lines():
        for n in range(10_000):
            produced.append(n)
            yield f"{n}\tline\n"

    stream = staging.Stream(lines())
    first = stream.read(1000)
    assert 1000 <= len(first) < 1100 and len(produced) < 200  # one chunk, not the file
    rest = "".join(iter(lambda: stream.read(1000), ""))
    assert (first + rest).count("\n") == 10_000 == len(produced)


def test_copy_text_escapes_what_copy_would_misread():
    assert staging._text("a\tb\\c\nd\re") == "a\\tb\\\\c\\nd\\re"
    assert staging._text(None) == "\\N"
    assert staging._text("\\N") == "\\\\N"  # a cell that reads \N is text, not NULL


def test_cells_with_tabs_backslashes_and_newlines_survive_copy(postgresql):
    tricky = "Tab\there, back\\slash, \\N, CR\r\nand a new line"
    result = defector_import(rows=to_csv([row(quote=tricky, translation="\\t", source_title="A\tB")]))
    assert result.ok, result.errors
    quote = Quote.objects.get()
    assert (quote.text, quote.translation, quote.source.title) == (tricky, "\\t", "A\tB")


def test_temporary_tables_do_not_outlive_the_import(postgresql):
    assert defector_import(rows=to_csv([row()])).ok
    assert defector_import(rows=to_csv([row(case_id="T-2")])).ok  # same transaction (the test's): names free again
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"to_regclass('{name}')" for name in postgres.TEMPORARY_TABLES))
        assert set(cursor.fetchone()) == {None}


def test_a_refused_write_is_reported_and_leaves_nothing(postgresql, monkeypatch):
    monkeypatch.setattr(setwise.SetWriter, "new_cases", lambda self, new: self.cursor.execute("SELECT 1/0"))
    result = defector_import(rows=to_csv([row()]))
    assert [(e.line, e.column) for e in result.errors] == [(0, None)]
    assert "the database refused the import" in result.errors[0].reason
    assert result.created == 0 and not Outlet.objects.exists() and not Source.objects.exists()


HISTORY_MODELS = (Defector, Outlet, Source, Quote, Tag)


def history() -> dict:
    """The history an import leaves, without ids: records per model, type, user and
    reason, and per defector record the sources of its m2m snapshot."""
    m2m = apps.get_model("testimony", "HistoricalDefector_sources")

    def ordered(values):
        return sorted(values, key=lambda record: ["" if v is None else str(v) for v in record])

    records = {
        model.__name__: ordered(
            model.history.values_list("history_type", "history_user__username", "history_change_reason")
        )
        for model in HISTORY_MODELS
    }
    records["defector sources"] = ordered(
        m2m.objects.values_list("history__case_id", "history__history_type", "source__title")
    )
    records["defector fields"] = ordered(Defector.history.values_list("case_id", "history_type", "name", "notes"))
    records["quote fields"] = ordered(
        Quote.history.values_list("history_type", "text", "translation", "language", "locator")
    )
    return records


def wipe() -> None:
    Tag.objects.all().delete(), Quote.objects.all().delete(), Defector.objects.all().delete()
    Source.objects.all().delete(), Outlet.objects.all().delete()
    for model in HISTORY_MODELS:
        model.history.all().delete()


def files():
    """A first file of 30 cases, then a corrected file of 60: 30 new, some of the
    30 stored ones renamed, given other quotes, narratives or sources."""
    codes = ("infighting", "brutality", "corruption", "quality-of-life")
    full = [dict(r) for r in synthetic_rows(defectors=60, seed=3, narrative_codes=codes)]
    first = [r for r in full if int(r["case_id"][-6:]) <= 30]
    corrected = []
    for n, r in enumerate(full):
        number = int(r["case_id"][-6:])
        if number % 5 == 0 and number <= 30:
            r = {**r, "name": f"Corrected {number}", "notes": "fixed"}
        if number % 7 == 0 and r["quote"]:
            r = {**r, "quote": r["quote"] + " (corrected)", "narratives": "corruption"}
        if number % 11 == 0 and n % 2:
            r = {**r, "translation": "Now translated.", "quote_language": "ar"} if r["quote"] else r
        corrected.append(r)
    return to_csv(first, COLUMNS), to_csv(corrected, COLUMNS)


def test_bulk_and_portable_paths_leave_the_same_database_and_history(postgresql, monkeypatch, researcher):
    monkeypatch.setattr(setwise, "analyze", lambda rows: True)  # as for a big file: statistics on the staged rows
    first, corrected = files()
    outcomes = {}
    for bulk_path in (True, False):
        writer = "postgres" if bulk_path else "portable"
        wipe()
        assert defector_import(rows=first, user=researcher, change_reason="first", writer="portable").created == 30
        result = defector_import(rows=corrected, user=researcher, change_reason="corrected", writer=writer)
        assert result.ok, result.errors[:3]
        counts = (result.created, result.updated, result.unchanged, result.sources_created, result.sources_updated)
        case_ids = {outcome: sorted(ids) for outcome, ids in result.case_ids.items()}  # the order is the path's
        outcomes[bulk_path] = (counts, case_ids, snapshot(), history())
        again = defector_import(rows=corrected, user=researcher, change_reason="again", writer=writer)
        assert (again.created, again.updated, again.unchanged) == (0, 0, 60)
        assert history() == outcomes[bulk_path][3]  # a re-import adds no history
    assert outcomes[True][0][:2] == (30, outcomes[False][0][1]) and outcomes[True][0][1] > 0
    assert outcomes[True] == outcomes[False]


def test_bulk_path_reports_conflicts_like_the_portable_path(postgresql):
    rows = [
        row(),
        row(case_id="T-2", quote="Other."),
        row(name="Someone else", quote="Second."),
        row(case_id="T-3", source_title="Another title", quote="Third."),
        row(case_id="T-4", sex="robot"),
    ]
    reports = {}
    for bulk_path in (True, False):
        result = defector_import(rows=to_csv(rows), writer="postgres" if bulk_path else "portable")
        reports[bulk_path] = [str(error) for error in result.errors]
    assert reports[True] == reports[False]
    assert [line for line in itertools.chain(reports[True]) if "line 4, column name" in line]
    assert not Defector.objects.exists()


def tricky_files():
    """Stored cases the SQL search for unchanged cases must not mistake: a changed
    locator, a quote given twice, a tag by a coder on top of the file's, a source
    dropped from a case, a case repeated exactly, changed defector columns and a
    country spelled differently."""
    columns = [*CONTRACT_COLUMNS, "quote_locator", "notes", "defected_on"]
    dropped = {"source_title": "Gone", "source_url": "https://gone.example.org/1", "quote": ""}
    dropped.update(quote_language="", narratives="")
    first = [
        row(case_id="A", quote="Same.", quote_locator="p1"),
        row(case_id="B", quote="Twice."),
        row(case_id="B", quote="Twice."),
        row(case_id="C", quote="Coded.", narratives="infighting"),
        row(case_id="D", **dropped),
        row(case_id="D", quote="Kept."),
        row(case_id="E", notes="same"),
        row(case_id="F", name="Old name"),
        row(case_id="G", defected_on="2014"),
        row(case_id="H", country="SY"),
        row(case_id="I", sex="male"),
    ]
    changes = {"A": {"quote_locator": "p2"}, "F": {"name": "New name"}, "G": {"defected_on": "2014-06"}}
    changes.update(H={"country": "Syria"}, I={"sex": "f"})  # H: the same code, so unchanged
    second = [{**r, **changes.get(r["case_id"], {})} for r in first if r["source_title"] != "Gone"]
    return to_csv(first, columns), to_csv(second, columns)


def test_bulk_and_portable_paths_agree_on_tricky_stored_cases(postgresql):
    first, second = tricky_files()
    outcomes = {}
    for bulk_path in (True, False):
        wipe()
        assert defector_import(rows=first, writer="portable").created == 9
        coded = Quote.objects.get(text="Coded.")
        TagFactory(quote=coded, narrative=Narrative.objects.get(code="infighting"), coder=UserFactory())
        result = defector_import(rows=second, writer="postgres" if bulk_path else "portable")
        assert result.ok, result.errors
        case_ids = {outcome: sorted(ids) for outcome, ids in result.case_ids.items()}
        outcomes[bulk_path] = (case_ids, snapshot(), history())
    updated, unchanged = ["A", "D", "F", "G", "I"], ["B", "C", "E", "H"]
    assert outcomes[True][0] == {"created": [], "updated": updated, "unchanged": unchanged}
    assert outcomes[True] == outcomes[False]


def test_a_restricted_stored_case_is_refused_on_both_paths_even_when_unchanged(postgresql, researcher):
    defector_import(rows=to_csv([row(visibility="restricted")], [*CONTRACT_COLUMNS, "visibility"]))
    for bulk_path in (True, False):
        result = defector_import(rows=to_csv([row()]), user=researcher, writer="postgres" if bulk_path else "portable")
        assert [(e.line, e.column) for e in result.errors] == [(2, "case_id")]


@pytest.mark.parametrize("writer", ["portable", "postgres"])
def test_imported_tags_record_the_codebook_version_they_were_read_under(postgresql, writer):
    from coding.versions import codebook_record_change

    version = codebook_record_change(note="brutality: wider inclusion notes.")
    rows = [row(narratives="infighting;brutality"), row(case_id="T-2", quote="Another.", narratives="corruption")]

    defector_import(rows=to_csv(rows), writer=writer)

    assert set(Tag.objects.values_list("codebook_version", flat=True)) == {version.pk}


def test_new_defectors_are_written_once_with_their_narratives_and_outlets(postgresql):
    """Their kept narrative and outlet ids go in with the row (setwise.SUMMARIES), and their
    links, quotes and tags in one statement, whose triggers then find nothing to rewrite: a
    row rewritten twice per defector left the table 2.8 times its rows' size."""
    rows = [
        row(),
        row(narratives="brutality;infighting", quote="Second quote."),
        row(outlet="Al Jazeera", source_url="https://aj.example.org/1", narratives=""),
        row(case_id="T-2", narratives=""),
        row(case_id="T-3", quote="", quote_language="", narratives=""),
    ]

    def written():  # this transaction's row writes to the table (the test's transaction holds the import's)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT n_tup_ins, n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'testimony_defector'"
            )
            return cursor.fetchone()

    before = written()
    result = defector_import(rows=to_csv(rows))
    assert result.ok, result.errors
    after = written()
    assert (after[0] - before[0], after[1] - before[1]) == (3, 0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT case_id, cardinality(narrative_ids), cardinality(outlet_ids) FROM testimony_defector")
        assert sorted(cursor.fetchall()) == [("T-1", 2, 2), ("T-2", 0, 1), ("T-3", 0, 1)]
    assert not summary_columns.drifted(connection)
