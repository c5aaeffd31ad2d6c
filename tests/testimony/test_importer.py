"""The import service: per-column parsing rules, all-or-nothing, idempotency,
updates that replace quotes and tags, history, and round trips."""

import csv
import datetime
import io

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from narratives.models import Narrative, Tag
from testimony import importer
from testimony.importer import defector_import
from testimony.longform import CONTRACT_COLUMNS, write_csv
from testimony.models import Defector, Outlet, Quote, Source
from tests.factories import DefectorFactory, OutletFactory, QuoteFactory, SourceFactory, TagFactory, UserFactory

HEADER = ",".join(CONTRACT_COLUMNS)


def row(**values) -> dict:
    """A valid contract row for case T-1 quoting one BBC article; override any column."""
    base = {
        "case_id": "T-1",
        "name": "Abu Test",
        "sex": "male",
        "country": "GB",
        "reported_on": "2015-08-14",
        "outlet": "BBC News",
        "source_title": "Defectors speak",
        "source_url": "https://bbc.example.org/defectors",
        "source_published_on": "2015-08-14",
        "quote": "They fought each other.",
        "quote_language": "en",
        "translation": "",
        "narratives": "infighting",
    }
    return {**base, **values}


def to_csv(rows, columns=None) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns or list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def exported(queryset=None) -> str:
    out = io.StringIO()
    write_csv(queryset if queryset is not None else Defector.objects.order_by("case_id"), out)
    return out.getvalue()


def snapshot() -> dict:
    """Everything an import may touch, as comparable values (ids of sources/quotes excluded)."""
    return {
        "defectors": list(
            Defector.objects.order_by("case_id").values_list(
                "case_id",
                "name",
                "sex",
                "country",
                "reported_on",
                "reported_precision",
                "defected_on",
                "defected_precision",
                "role",
                "status",
                "notes",
                "visibility",
                "provenance",
                "legal_name",
            )
        ),
        "sources": sorted(
            Source.objects.values_list(
                "outlet__name", "title", "url", "published_on", "language", "archived_url", "accessed_on"
            )
        ),
        "links": sorted(
            Defector.sources.through.objects.values_list("defector__case_id", "source__url", "source__title")
        ),
        "quotes": sorted(
            Quote.objects.values_list(
                "defector__case_id", "source__title", "text", "language", "translation", "locator"
            )
        ),
        "tags": sorted(Tag.objects.values_list("quote__text", "narrative__code")),
        "outlets": sorted(Outlet.objects.values_list("name", flat=True)),
    }


# --------------------------------------------------------------------------- per-column tables


@pytest.mark.parametrize(
    "value, code",
    [
        ("GB", "GB"),
        ("gb", "GB"),
        ("GBR", "GB"),
        ("United Kingdom", "GB"),
        ("UK", "GB"),
        ("U.K.", "GB"),
        ("Britain", "GB"),
        ("great britain", "GB"),
        ("England", "GB"),
        ("Scotland", "GB"),
        ("Syria", "SY"),
        ("Syrian Arab Republic", "SY"),
        ("SYRIAN ARAB REPUBLIC", "SY"),
        ("USA", "US"),
        ("United States", "US"),
        ("the Netherlands", "NL"),
        ("Russian Federation", "RU"),
        ("Türkiye", "TR"),
        ("XX", "XX"),
        ("Unnamed in sources", "XX"),
        (" sy ", "SY"),
        ("", ""),
    ],
)
def test_country_accepted(value, code):
    assert importer.parse_country(value) == code


@pytest.mark.parametrize("value", ["Narnia", "ZZ", "840", "Syri", "G B", "Kurdistan"])
def test_country_rejected(value):
    with pytest.raises(importer.CellError) as exc:
        importer.parse_country(value)
    assert "alpha-2" in exc.value.accepted


@pytest.mark.parametrize(
    "value, sex",
    [("male", "male"), ("Male", "male"), ("M", "male"), ("f", "female"), ("FEMALE", "female"), ("unknown", "unknown")],
)
def test_sex_accepted(value, sex):
    assert importer.parse_sex(value) == sex


@pytest.mark.parametrize("value", ["", "man", "u", "other", "mf"])
def test_sex_rejected(value):
    with pytest.raises(importer.CellError):
        importer.parse_sex(value)


@pytest.mark.parametrize(
    "value, date, precision",
    [
        ("2015", datetime.date(2015, 1, 1), "year"),
        ("2015-08", datetime.date(2015, 8, 1), "month"),
        ("2015-8", datetime.date(2015, 8, 1), "month"),
        ("2015-08-14", datetime.date(2015, 8, 14), "day"),
        (" 2014-01-01 ", datetime.date(2014, 1, 1), "day"),
    ],
)
def test_reported_on_accepted(value, date, precision):
    assert importer.parse_partial_date(value) == (date, precision)


def future(days=40):
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


@pytest.mark.parametrize(
    "value",
    ["", "15", "2015/08/14", "14-08-2015", "2015-13", "2015-02-30", "August 2015", "2015-08-14T00:00", "next year"],
)
def test_reported_on_rejected(value):
    with pytest.raises(importer.CellError) as exc:
        importer.parse_partial_date(value)
    assert exc.value.accepted == importer.PARTIAL_DATE_ACCEPTED


def test_reported_on_in_the_future_is_rejected_at_every_precision():
    next_year = str(timezone.localdate().year + 1)
    for value in (
        future(),
        future()[:7],  # 40 days ahead is always in a later month
        next_year,
    ):
        with pytest.raises(importer.CellError, match="in the future"):
            importer.parse_partial_date(value)
    assert importer.parse_partial_date(str(timezone.localdate().year))[1] == "year"  # this year is fine


@pytest.mark.parametrize("value, code", [("en", "en"), ("AR", "ar"), ("Arabic", "ar"), ("french", "fr"), ("ps", "ps")])
def test_language_accepted(value, code):
    assert importer.parse_language(value) == code


@pytest.mark.parametrize("value", ["", "eng", "xx", "Klingon"])
def test_language_rejected(value):
    with pytest.raises(importer.CellError):
        importer.parse_language(value)


CODES = ["infighting", "brutality", "corruption", "quality-of-life"]


@pytest.mark.parametrize(
    "value, codes",
    [
        ("", ()),
        ("infighting", ("infighting",)),
        ("infighting;brutality", ("infighting", "brutality")),
        (" Brutality ; infighting ;", ("brutality", "infighting")),
        ("corruption;corruption", ("corruption",)),
        ("quality-of-life", ("quality-of-life",)),
    ],
)
def test_narratives_accepted(value, codes):
    assert importer.parse_narratives(value, CODES) == codes


@pytest.mark.parametrize("value", ["boredom", "infighting,brutality", "infighting;quality of life"])
def test_narratives_rejected_listing_the_valid_codes(value):
    with pytest.raises(importer.CellError) as exc:
        importer.parse_narratives(value, CODES)
    assert "infighting; brutality; corruption; quality-of-life" in exc.value.accepted


@pytest.mark.parametrize(
    "column, value, accepted_fragment",
    [
        ("case_id", "", "letters, digits"),
        ("case_id", "has space", "letters, digits"),
        ("case_id", "X" * 33, "1 to 32"),
        ("name", "", "1 to 200"),
        ("name", "n" * 201, "at most 200"),
        ("sex", "woman", "male, female"),
        ("country", "Narnia", "alpha-2"),
        ("reported_on", "14/08/2015", "YYYY-MM"),
        ("source_url", "not a url", "http"),
        ("source_url", "ftp://x.example.org/a", "http"),
        ("source_published_on", "2015-08", "YYYY-MM-DD"),
        ("quote_language", "", "ISO 639-1"),
        ("quote_language", "Elvish", "ISO 639-1"),
        ("narratives", "boredom", "infighting"),
        ("source_title", "", "outlet and title"),
        ("outlet", "", "outlet and title"),
        ("outlet", "o" * 201, "at most 200"),
    ],
)
@pytest.mark.django_db
def test_a_bad_cell_is_reported_with_line_column_and_accepted_forms(column, value, accepted_fragment):
    result = defector_import(rows=to_csv([row(), row(**{"case_id": "T-2", column: value})]))
    assert [(e.line, e.column) for e in result.errors] == [(3, column)]
    assert accepted_fragment in result.errors[0].accepted
    assert str(result.errors[0]).startswith(f"line 3, column {column}: ")
    assert not Defector.objects.exists()


@pytest.mark.parametrize(
    "values, column",
    [
        ({"quote": "", "quote_language": "", "narratives": "infighting"}, "narratives"),
        ({"quote": "", "quote_language": "", "narratives": "", "translation": "a translation"}, "translation"),
        ({"quote": "", "quote_language": "ar", "narratives": ""}, "quote_language"),
    ],
)
@pytest.mark.django_db
def test_quote_columns_without_a_quote_are_rejected(values, column):
    result = defector_import(rows=to_csv([row(**values)]))
    assert [(e.line, e.column) for e in result.errors] == [(2, column)]


@pytest.mark.parametrize(
    "column, value",
    [
        ("provenance", "invented"),
        ("visibility", "secret"),
        ("role", "general"),
        ("status", "lost"),
        ("defected_on", "soon"),
        ("source_language", "Elvish"),
        ("quote_locator", "x" * 101),
    ],
)
@pytest.mark.django_db
def test_extension_columns_are_validated(column, value):
    result = defector_import(rows=to_csv([{**row(), column: value}]))
    assert [(e.line, e.column) for e in result.errors] == [(2, column)]


# --------------------------------------------------------------------------- file format


@pytest.mark.django_db
def test_bom_quoted_commas_quotes_newlines_and_scripts_survive():
    arabic = 'قال: "لقد تركتهم"،\nوهرب'
    content = (
        "\ufeff"
        + HEADER
        + "\n"
        + (
            'T-1,"Abu ""the Brit"", of London",M,Britain,2015-08,BBC News,"Title, with comma",,,'
            f'"{arabic.replace(chr(34), chr(34) * 2)}",Arabic,'
            '"He said: ""I left them"",\nand fled",brutality;infighting\n'
        )
    )
    result = defector_import(rows=content.encode("utf-8"))
    assert result.ok, result.errors
    defector = Defector.objects.get()
    assert (defector.name, defector.sex, defector.country.code) == ('Abu "the Brit", of London', "male", "GB")
    assert (defector.reported_on, defector.reported_precision) == (datetime.date(2015, 8, 1), "month")
    quote = defector.quotes.get()
    assert (quote.text, quote.language) == (arabic, "ar")
    assert quote.translation == 'He said: "I left them",\nand fled'
    assert quote.source.title == "Title, with comma"
    assert set(quote.narratives.values_list("code", flat=True)) == {"brutality", "infighting"}


@pytest.mark.django_db
def test_line_numbers_are_physical_lines_where_the_record_starts():
    content = (
        HEADER + "\n"
        'A-1,Good,male,GB,2015,BBC,T,,,"line one\nline two\nline three",en,,\n'  # lines 2-4
        "\n"  # line 5: blank lines are skipped
        "A-2,Bad,robot,GB,2015,,,,,,,,\n"  # line 6
        'A-3,Good,female,SY,2015,BBC,T2,,,"x\ny",en,,nonsense\n'  # lines 7-8
    )
    result = defector_import(rows=content.encode())
    assert [(e.line, e.column) for e in result.errors] == [(6, "sex"), (7, "narratives")]


@pytest.mark.django_db
def test_wrong_field_count_invalid_utf8_and_header_problems():
    content = (HEADER + "\nA-1,too,few\n").encode() + "A-2,N,male,GB,2015,,,,,,,,\n".encode("latin-1")
    content += "A-3,Jos\xe9,male,GB,2015,,,,,,,,\n".encode("latin-1")
    result = defector_import(rows=content)
    assert [str(e).split(":")[0] for e in result.errors] == ["line 2", "line 4"]
    assert "fields but the header has 13" in str(result.errors[0])
    assert "UTF-8" in str(result.errors[1])

    bad_header = b"case_id,name,sex,country,reported,outlet\n"
    errors = [str(e) for e in defector_import(rows=bad_header).errors]
    assert errors[0].startswith("line 1, column reported: is not a column")
    assert "the header lacks reported_on, source_title" in errors[1]
    assert [str(e) for e in defector_import(rows=b"").errors] == [
        "line 1: the file is empty (accepted: a header row: " + ", ".join(CONTRACT_COLUMNS) + ")"
    ]


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
# the bulk path's staging, checks and set-based writes (testimony/bulk.py).
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


# --------------------------------------------------------------------------- round trip


@pytest.mark.django_db
def test_export_then_import_into_an_empty_database_reproduces_it():
    defector = DefectorFactory(
        case_id="R-1",
        reported_on=datetime.date(2015, 1, 1),
        reported_precision="year",
        defected_on=datetime.date(2014, 6, 1),
        defected_precision="month",
        notes="n\nb",
        role="media",
        status="detained",
        visibility="restricted",
        country="XX",
    )
    source = SourceFactory(
        language="ar",
        archived_url="https://archive.example.org/1",
        accessed_on=datetime.date(2020, 1, 2),
        published_on=None,
    )
    quote = QuoteFactory(defector=defector, source=source, language="ar", translation="t", locator="para 3")
    defector.sources.add(source, SourceFactory(url=""))
    TagFactory(quote=quote, narrative=Narrative.objects.get(code="brutality"))
    TagFactory(quote=QuoteFactory(defector=defector, source=source), narrative=Narrative.objects.get(code="corruption"))
    DefectorFactory(case_id="R-2", country="")
    content = exported().encode()
    before = snapshot()

    Tag.objects.all().delete()
    Quote.objects.all().delete()
    Defector.objects.all().delete()
    Source.objects.all().delete()
    Outlet.objects.all().delete()
    result = defector_import(rows=content)
    assert result.ok and result.created == 2
    assert snapshot() == before
    assert exported().encode() == content


# Hypothesis: any valid dataset round-trips; any corrupted row changes nothing.

text_cells = (
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"], exclude_characters="\r"),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(bool)
)
free_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="\r\x00"), max_size=40
)
past_dates = st.dates(min_value=datetime.date(1990, 1, 1), max_value=datetime.date(2024, 12, 31))


@st.composite
def datasets(draw):
    sources = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["BBC", "Al Jazeera", "وكالة"]),
                text_cells,
                st.booleans(),
                st.one_of(st.none(), past_dates),
            ),
            min_size=1,
            max_size=4,
            unique_by=lambda s: (s[0], s[1]),
        )
    )
    rows = []
    for number in range(draw(st.integers(1, 4))):
        precision = draw(st.sampled_from(["%Y", "%Y-%m", "%Y-%m-%d"]))
        base = {
            "case_id": f"H-{number}",
            "name": draw(text_cells),
            "sex": draw(st.sampled_from(["male", "female", "unknown"])),
            "country": draw(st.sampled_from(["", "GB", "SY", "XX", "FR"])),
            "reported_on": draw(past_dates).strftime(precision),
            "notes": draw(free_text),
        }
        picked = draw(st.lists(st.sampled_from(range(len(sources))), unique=True, max_size=len(sources)))
        if not picked:
            rows.append({**base})
        for index in picked:
            outlet, title, has_url, published = sources[index]
            source = {
                "outlet": outlet,
                "source_title": title,
                "source_url": f"https://example.org/{index}" if has_url else "",
                "source_published_on": published.isoformat() if published else "",
            }
            quotes = draw(
                st.lists(
                    st.tuples(
                        free_text.filter(str.strip),
                        st.sampled_from(["en", "ar", "fr"]),
                        free_text,
                        st.lists(st.sampled_from(CODES), unique=True, max_size=3),
                    ),
                    max_size=2,
                    unique_by=lambda q: q[0],
                )
            )
            if not quotes:
                rows.append({**base, **source})
            for text, language, translation, codes in quotes:
                rows.append(
                    {
                        **base,
                        **source,
                        "quote": text,
                        "quote_language": language,
                        "translation": translation,
                        "narratives": ";".join(codes),
                    }
                )
    draw(st.randoms()).shuffle(rows)
    columns = CONTRACT_COLUMNS + ["notes"]
    return [{c: r.get(c, "") for c in columns} for r in rows]


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(dataset=datasets())
# Each import commits, as in real use: inside one test transaction, hundreds of
# examples' temporary tables (the PostgreSQL bulk path) exhaust the lock table.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_any_valid_dataset_round_trips_through_export_and_import(dataset):
    Tag.objects.all().delete(), Quote.objects.all().delete(), Defector.objects.all().delete()
    Source.objects.all().delete(), Outlet.objects.all().delete()
    first = defector_import(rows=to_csv(dataset))
    assert first.ok, first.errors
    before = snapshot()
    content = exported()
    again = defector_import(rows=content.encode())
    assert (again.created, again.updated, again.unchanged) == (0, 0, first.created)
    Tag.objects.all().delete(), Quote.objects.all().delete(), Defector.objects.all().delete()
    Source.objects.all().delete(), Outlet.objects.all().delete()
    assert defector_import(rows=content.encode()).created == first.created
    assert snapshot() == before
    assert exported() == content


CORRUPTIONS = [
    ("sex", "robot"),
    ("country", "Atlantis"),
    ("reported_on", "2015-13-01"),
    ("case_id", "bad id!"),
    ("name", ""),
    ("narratives", "no-such-code"),
    ("source_url", "nope"),
    ("quote_language", "Martian"),
]


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(dataset=datasets(), where=st.integers(min_value=0), corruption=st.sampled_from(CORRUPTIONS))
@pytest.mark.django_db
def test_any_corrupted_row_leaves_the_database_as_it_was(dataset, where, corruption):
    DefectorFactory(case_id="H-0", name="Before")
    before = snapshot()
    column, value = corruption
    index = where % len(dataset)
    dataset[index][column] = value
    if column == "quote_language" and not dataset[index]["quote"]:
        dataset[index]["quote"] = "Needs a language."
    content = to_csv(dataset)
    result = defector_import(rows=content)
    assert not result.ok
    # The corrupted record starts after the header and every line of the records before it.
    start = 2 + sum(to_csv([r], columns=list(r)).decode().count("\n") - 1 for r in dataset[:index])
    assert start in {e.line for e in result.errors}
    assert snapshot() == before


@pytest.mark.parametrize(
    "url",
    [
        "https://www.bbc.co.uk/news/world-middle-east-34264525",
        "http://example.org:8080/a?b=c#d",
        "https://news.example.org/article-1/",
        "https://sub-domain.example.museum/x",
    ],
)
def test_the_fast_url_check_only_accepts_what_django_accepts(url):
    from django.core.validators import URLValidator

    assert importer.PLAIN_URL_RE.match(url)
    URLValidator(schemes=["http", "https"])(url)  # raises if the fast path were too lenient
    assert importer.parse_url(url) == url


@pytest.mark.parametrize(
    "url", ["https://-bad-.example.org/", "https://example", "http://exa mple.org", "https://a..b/"]
)
def test_urls_off_the_fast_path_get_django_s_full_check(url):
    with pytest.raises(importer.CellError):
        importer.parse_url(url)


@pytest.mark.django_db
def test_batches_share_sources_and_rows_of_a_case_may_be_anywhere_in_the_file(monkeypatch):
    monkeypatch.setattr(importer, "BATCH_DEFECTORS", 2)
    rows = [row(case_id=f"B-{n}", quote=f"Quote {n}.") for n in range(7)]  # all quote the same article
    rows.append(row(case_id="B-0", quote="A late second quote."))
    result = defector_import(rows=to_csv(rows))
    assert (result.created, result.sources_created, result.sources_updated) == (7, 1, 0)
    assert Source.objects.get().defectors.count() == 7
    assert Defector.objects.get(case_id="B-0").quotes.count() == 2
    assert defector_import(rows=to_csv(rows)).unchanged == 7
