"""The import service (testimony/imports/service.py): all or nothing, dry runs,
idempotency, updates that replace quotes and tags, history, restricted cases."""

import datetime

import pytest

from narratives.models import Narrative, Tag
from testimony.imports import cases
from testimony.imports.service import defector_import
from testimony.models import Defector, Outlet, Quote, Source
from tests.factories import DefectorFactory, OutletFactory, SourceFactory, TagFactory, UserFactory
from tests.testimony.imports.helpers import future, row, snapshot, to_csv

# --------------------------------------------------------------------------- all or nothing


@pytest.mark.django_db
def test_one_bad_row_among_good_ones_writes_nothing_and_every_bad_line_is_listed():
    rows = [row(case_id=f"G-{n}", source_url=f"https://x.example.org/{n}") for n in range(20)]
    rows[3]["sex"] = "robot"
    rows[11]["reported_on"] = future()
    rows[17]["narratives"] = "boredom"
    before = snapshot()
    result = defector_import(rows=to_csv(rows))
    assert [(e.line, e.column) for e in result.errors] == [(5, "sex"), (13, "reported_on"), (19, "narratives")]
    assert (result.created, result.updated, result.unchanged) == (0, 0, 0)
    assert snapshot() == before
    assert not Outlet.objects.exists()


@pytest.mark.django_db
def test_rows_of_one_case_must_agree_on_the_defector_columns():
    rows = [
        row(),
        row(source_title="Second", source_url="", quote="", quote_language="", narratives=""),
        row(name="Someone else", country="SY"),
    ]
    result = defector_import(rows=to_csv(rows))
    assert [str(e) for e in result.errors] == [
        "line 4, column name: case T-1 has a different name on line 2 "
        "(accepted: the same defector columns on every row of a case)",
        "line 4, column country: case T-1 has a different country on line 2 "
        "(accepted: the same defector columns on every row of a case)",
    ]
    # Agreeing spellings are the same value: "UK" and "GB", "m" and "male".
    assert defector_import(rows=to_csv([row(), row(country="UK", sex="M", quote="Another quote.")])).ok


@pytest.mark.django_db
def test_rows_naming_one_source_must_agree_on_it():
    rows = [row(), row(case_id="T-2", source_published_on="2015-08-15")]
    result = defector_import(rows=to_csv(rows))
    assert [(e.line, e.column) for e in result.errors] == [(3, "source_published_on")]


@pytest.mark.django_db
def test_dry_run_counts_exactly_and_writes_nothing():
    DefectorFactory(case_id="T-2", name="Old name")
    before = snapshot()
    result = defector_import(rows=to_csv([row(), row(case_id="T-2")]), dry_run=True)
    assert result.ok and result.dry_run
    assert (result.created, result.updated, result.unchanged) == (1, 1, 0)
    assert result.case_ids == {"created": ["T-1"], "updated": ["T-2"], "unchanged": []}
    assert (result.outlets_created, result.sources_created) == (1, 1)
    assert snapshot() == before


# --------------------------------------------------------------------------- idempotency and updates


# Statements of a re-import: the portable path's batch queries; on PostgreSQL
# the PostgreSQL path's staging, checks and set-based writes (testimony/imports/postgres.py).
# Either way a constant, whatever the number of rows.
REIMPORT_QUERIES = {"sqlite": 12, "postgresql": 21}


@pytest.mark.django_db
def test_reimporting_the_same_file_changes_nothing(django_assert_max_num_queries):
    from django.db import connection

    content = to_csv([row(), row(quote="Second quote.", narratives="brutality;corruption"), row(case_id="T-2")])
    first = defector_import(rows=content)
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    before = snapshot()
    history = [m.history.count() for m in (Defector, Source, Quote, Tag, Outlet)]
    with django_assert_max_num_queries(REIMPORT_QUERIES[connection.vendor]):
        again = defector_import(rows=content)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert snapshot() == before
    assert [m.history.count() for m in (Defector, Source, Quote, Tag, Outlet)] == history


@pytest.mark.django_db
def test_the_queries_of_a_reimport_do_not_grow_with_the_file(django_assert_max_num_queries):
    from django.db import connection

    rows = [row(case_id=f"G-{n}", quote=f"Quote {n}.", source_url=f"https://e.example.org/{n}") for n in range(60)]
    assert defector_import(rows=to_csv(rows)).created == 60
    with django_assert_max_num_queries(REIMPORT_QUERIES[connection.vendor]):
        assert defector_import(rows=to_csv(rows)).unchanged == 60


@pytest.mark.django_db
def test_a_corrected_file_updates_the_defector_and_replaces_its_quotes_and_tags():
    defector_import(
        rows=to_csv(
            [
                row(narratives="infighting;brutality"),
                row(quote="A quote that was wrong.", narratives="corruption"),
                row(
                    source_title="Other article",
                    source_url="https://other.example.org/1",
                    quote="",
                    quote_language="",
                    narratives="",
                ),
            ]
        )
    )
    defector = Defector.objects.get(case_id="T-1")
    defector.legal_name = "Identity kept"
    defector.save()
    kept = defector.quotes.get(text="They fought each other.")
    coder = UserFactory()
    TagFactory(quote=kept, narrative=Narrative.objects.get(code="infighting"), coder=coder)

    result = defector_import(
        rows=to_csv(
            [
                row(name="Abu Corrected", narratives="infighting;quality-of-life", translation="Added."),
                row(name="Abu Corrected", quote="A new quote.", quote_language="ar", narratives=""),
            ]
        )
    )
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    defector.refresh_from_db()
    assert defector.name == "Abu Corrected"
    assert defector.legal_name == "Identity kept"  # identity fields are never imported
    assert sorted(defector.quotes.values_list("text", flat=True)) == ["A new quote.", "They fought each other."]
    assert defector.quotes.get(text="They fought each other.").pk == kept.pk  # a matched quote keeps its id
    kept.refresh_from_db()
    assert kept.translation == "Added."
    assert set(kept.tags.values_list("narrative__code", "coder__username")) == {
        ("infighting", None),
        ("infighting", coder.username),  # an unchanged code keeps every coder's tag
        ("quality-of-life", None),
    }
    assert list(defector.sources.values_list("title", flat=True)) == ["Defectors speak"]  # the unlisted one is gone
    assert Source.objects.filter(title="Other article").exists()  # ... from the defector, not the database


@pytest.mark.django_db
def test_existing_outlets_and_sources_are_reused_by_url_or_outlet_and_title():
    outlet = OutletFactory(name="BBC News", kind="broadcaster")
    by_url = SourceFactory(outlet=outlet, title="Old title", url="https://bbc.example.org/defectors")
    by_title = SourceFactory(outlet=outlet, title="Untitled web video", url="")
    result = defector_import(
        rows=to_csv([row(), row(source_title="Untitled web video", source_url="", source_published_on="")])
    )
    assert (result.outlets_created, result.sources_created, result.sources_updated) == (0, 0, 2)
    assert Outlet.objects.get().kind == "broadcaster"
    by_url.refresh_from_db()
    assert by_url.title == "Defectors speak"  # the file corrects the source's title
    assert set(Defector.objects.get().sources.all()) == {by_url, by_title}


@pytest.mark.django_db
def test_a_file_with_only_contract_columns_keeps_the_extension_fields():
    DefectorFactory(
        case_id="T-1",
        name="Abu Test",
        country="GB",
        visibility="restricted",
        provenance="reconstructed",
        notes="Kept",
        role="fighter",
        reported_on=datetime.date(2015, 8, 14),
    )
    result = defector_import(rows=to_csv([row()]))
    defector = Defector.objects.get()
    assert (defector.visibility, defector.provenance, defector.notes, defector.role) == (
        "restricted",
        "reconstructed",
        "Kept",
        "fighter",
    )
    assert result.updated == 1  # its quote and source were added


@pytest.mark.django_db
def test_history_records_the_importing_user_and_reason(researcher):
    defector_import(rows=to_csv([row()]), user=researcher, change_reason="Spreadsheet from the field")
    for model in (Defector, Outlet, Source, Quote, Tag):
        record = model.history.get()
        assert (record.history_user, record.history_change_reason, record.history_type) == (
            researcher,
            "Spreadsheet from the field",
            "+",
        )
    record = Defector.history.get()
    assert [s.source.title for s in record.sources.all()] == ["Defectors speak"]  # the m2m snapshot

    defector_import(rows=to_csv([row(name="Renamed", quote="Replaced.")]), user=researcher, change_reason="Fix")
    assert Defector.history.filter(history_type="~", history_user=researcher, name="Renamed").exists()
    assert Quote.history.filter(history_type="-", history_user=researcher, text="They fought each other.").exists()
    assert Tag.history.filter(history_type="-", history_user=researcher).exists()


@pytest.mark.django_db
def test_a_user_who_cannot_see_restricted_cases_cannot_change_them(researcher, custodian):
    DefectorFactory(case_id="T-1", visibility="restricted", name="Hidden")
    result = defector_import(rows=to_csv([row(), row(case_id="T-2")]), user=researcher)
    assert [(e.line, e.column) for e in result.errors] == [(2, "case_id")]
    assert list(Defector.objects.values_list("case_id", "name")) == [("T-1", "Hidden")]
    assert defector_import(rows=to_csv([row()]), user=custodian).updated == 1


@pytest.mark.django_db
def test_batches_share_sources_and_rows_of_a_case_may_be_anywhere_in_the_file(monkeypatch):
    monkeypatch.setattr(cases, "BATCH_DEFECTORS", 2)
    rows = [row(case_id=f"B-{n}", quote=f"Quote {n}.") for n in range(7)]  # all quote the same article
    rows.append(row(case_id="B-0", quote="A late second quote."))
    result = defector_import(rows=to_csv(rows))
    assert (result.created, result.sources_created, result.sources_updated) == (7, 1, 0)
    assert Source.objects.get().defectors.count() == 7
    assert Defector.objects.get(case_id="B-0").quotes.count() == 2
    assert defector_import(rows=to_csv(rows)).unchanged == 7
