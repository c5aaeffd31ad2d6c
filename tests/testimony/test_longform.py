import csv
import io

import pytest

from narratives.models import Narrative
from testimony.longform import HEADER, write_csv
from testimony.models import Defector
from tests.factories import DefectorFactory, QuoteFactory, SourceFactory, TagFactory

pytestmark = pytest.mark.django_db


def export(queryset):
    out = io.StringIO()
    write_csv(queryset, out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def test_one_row_per_quote_plus_unquoted_sources_and_bare_defectors(django_assert_max_num_queries):
    quoted = DefectorFactory(case_id="A-1", reported_on="2015-08-01", reported_precision="month")
    quote = QuoteFactory(defector=quoted, text='He said, "no",\nand left.', language="ar")
    TagFactory(quote=quote, narrative=Narrative.objects.get(code="brutality"))
    TagFactory(quote=quote, narrative=Narrative.objects.get(code="infighting"))
    quote.defector.sources.add(quote.source)
    quoted.sources.add(SourceFactory(title="Unquoted article"))
    DefectorFactory(case_id="B-2", reported_on="2014-01-01", reported_precision="year")

    with django_assert_max_num_queries(8):
        rows = export(Defector.objects.order_by("case_id"))

    assert list(rows[0]) == HEADER
    assert [(r["case_id"], r["source_title"], r["quote"]) for r in rows] == [
        ("A-1", quote.source.title, 'He said, "no",\nand left.'),
        ("A-1", "Unquoted article", ""),
        ("B-2", "", ""),
    ]
    assert rows[0]["narratives"] == "infighting;brutality"  # codebook order
    assert (rows[0]["reported_on"], rows[2]["reported_on"]) == ("2015-08", "2014")
    assert rows[0]["quote_language"] == "ar"


def test_the_export_reads_five_queries_per_chunk_of_defectors_whatever_their_quotes(
    django_assert_num_queries, monkeypatch
):
    """Set-based reads: the codebook and the defectors' query, then per chunk one each
    for the source links, the quotes, the sources they name (with outlets), the quotes'
    tags and the case lists (the studies column)."""
    monkeypatch.setattr("testimony.longform.CHUNK", 2)
    for number in range(5):
        defector = DefectorFactory(case_id=f"C-{number}")
        for _ in range(number):
            quote = QuoteFactory(defector=defector)
            TagFactory(quote=quote, narrative=Narrative.objects.get(code="brutality"))
            defector.sources.add(quote.source)
    with django_assert_num_queries(2 + 3 * 5):  # 5 defectors in chunks of 2: three chunks
        rows = export(Defector.objects.order_by("case_id"))
    assert len(rows) == 1 + 1 + 2 + 3 + 4
    assert {row["narratives"] for row in rows if row["quote"]} == {"brutality"}
