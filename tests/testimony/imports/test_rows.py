"""One record parsed and checked (testimony/imports/rows.py): every bad cell is
reported with its line, column and what is accepted, and nothing is written."""

import pytest

from testimony.imports.service import defector_import
from testimony.models import Defector
from tests.testimony.imports.helpers import row, to_csv


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
