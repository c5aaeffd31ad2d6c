"""Round trips: import(export(db)) gives the database back, for the fixture-like
case and for any valid dataset; any corrupted row changes nothing."""

import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from narratives.models import Narrative, Tag
from testimony.imports.columns import CONTRACT_COLUMNS
from testimony.imports.service import defector_import
from testimony.models import Defector, Outlet, Quote, Source
from tests.factories import DefectorFactory, QuoteFactory, SourceFactory, TagFactory
from tests.testimony.imports.helpers import CODES, exported, snapshot, to_csv


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

# The characters that start a spreadsheet formula, and the apostrophe that
# protects them in an export (testimony/imports/cells.py), drawn often and
# often first, so that protected cells and look-alikes are round-tripped too.
FORMULA_CHARACTERS = "'=+-@\t\r"
formula_prefixes = st.text(alphabet=st.sampled_from(FORMULA_CHARACTERS), min_size=1, max_size=3)


def with_formula_prefixes(text):
    return st.one_of(text, st.tuples(formula_prefixes, text).map("".join))


text_cells = (
    with_formula_prefixes(
        st.text(
            alphabet=st.characters(
                codec="utf-8", exclude_categories=["Cs", "Cc"], include_characters=FORMULA_CHARACTERS
            ),
            min_size=1,
            max_size=30,
        )
    )
    .map(str.strip)
    .filter(bool)
)
free_text = with_formula_prefixes(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="\x00"), max_size=40)
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
