"""Reading files (testimony/imports/reader.py): encodings, quoting, physical
line numbers, the header, and cells no database can store."""

import datetime

import pytest

from testimony.imports.columns import CONTRACT_COLUMNS
from testimony.imports.service import defector_import
from testimony.models import Defector
from tests.testimony.imports.helpers import HEADER


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
    # Bytes that are not UTF-8 are reported at the record's line and the cell's column.
    assert [str(e).split(":")[0] for e in result.errors] == ["line 2", "line 4, column name"]
    assert "fields but the header has 13" in str(result.errors[0])
    assert "UTF-8" in str(result.errors[1])

    bad_header = b"case_id,name,sex,country,reported,outlet\n"
    errors = [str(e) for e in defector_import(rows=bad_header).errors]
    assert errors[0].startswith("line 1, column reported: is not a column")
    assert "the header lacks reported_on, source_title" in errors[1]
    assert [str(e) for e in defector_import(rows=b"").errors] == [
        "line 1: the file is empty (accepted: a header row: " + ", ".join(CONTRACT_COLUMNS) + ")"
    ]
