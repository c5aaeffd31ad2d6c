"""The long-form CSV of docs/contract.md: one row per quote, written by
``export_defectors`` and the web UI's ``/defectors/export.csv`` from the
column table the import reads (testimony/imports/columns.py).

Rows are written so that import(export(db)) gives the database back:
- a defector with quotes has one row per quote, carrying the quote's source;
- each of its sources that no quote comes from adds a row with an empty quote;
- a defector with neither has one row with empty source and quote columns.
``reported_on`` (and ``defected_on``) is written at its precision (``2015``,
``2015-08``, ``2015-08-14``), which is how the importer reads the precision back.
Columns after ``narratives`` extend the contract so that nothing of a defector,
source, quote or tag is lost; the importer treats them as optional. Identity
fields are never written (docs/contract.md, "Identity protection"); outlets travel
by name only. A cell a spreadsheet would read as a formula (starting with
``=``, ``+``, ``-``, ``@``, tab or carriage return) is written with a leading
``'``, which the import removes.

``write_json`` gives the same data nested: defector -> sources -> quotes ->
narrative codes (``export_defectors --format json``).
"""

import csv
import json
from collections.abc import Iterable, Iterator

from django.db.models import Prefetch

from narratives.models import Tag

from .imports.cells import protect_formula
from .imports.columns import (
    COLUMNS,
    CONTRACT_COLUMNS,
    DEFECTOR_COLUMNS,
    QUOTE_COLUMNS,
    SOURCE_COLUMNS,
    format_partial_date,
)
from .imports.memberships import STUDIES, study_codes
from .models import Defector, Quote

# The columns an export writes: the column table's, then the case lists (memberships.py).
HEADER = [*COLUMNS, STUDIES]

__all__ = ["COLUMNS", "CONTRACT_COLUMNS", "HEADER", "format_partial_date", "stream_csv", "write_csv", "write_json"]


def prefetched(defectors):
    """The queryset with everything a row needs, in a constant number of queries per chunk."""
    quotes = Quote.objects.select_related("source__outlet").prefetch_related(
        Prefetch(
            "tags",
            queryset=Tag.objects.select_related("narrative").order_by("narrative__display_order", "narrative__code"),
        )
    )
    return defectors.prefetch_related(
        Prefetch("quotes", queryset=quotes.order_by("id")), "sources__outlet", "study_memberships__study"
    )


def source_columns(source) -> dict:
    if source is None:
        return dict.fromkeys((column.name for column in SOURCE_COLUMNS), "")
    return {column.name: column.export(source) for column in SOURCE_COLUMNS}


def defector_rows(defector: Defector) -> Iterator[dict]:
    base = {column.name: column.export(defector) for column in DEFECTOR_COLUMNS}
    base[STUDIES] = study_codes(defector)
    empty_quote = dict.fromkeys((column.name for column in QUOTE_COLUMNS), "")
    quoted_sources = set()
    for quote in defector.quotes.all():
        quoted_sources.add(quote.source_id)
        yield {
            **base,
            **source_columns(quote.source),
            **{column.name: column.export(quote) for column in QUOTE_COLUMNS},
        }
    # Ordered by content, not id, so that an export of a re-imported database is byte-identical.
    unquoted = sorted(
        (s for s in defector.sources.all() if s.pk not in quoted_sources),
        key=lambda s: (s.outlet.name, s.title, s.url),
    )
    for source in unquoted:
        yield {**base, **source_columns(source), **empty_quote}
    if not quoted_sources and not unquoted:
        yield {**base, **source_columns(None), **empty_quote}


def protected(row: dict) -> dict:
    """The row as written: no cell a spreadsheet would read as a formula
    (the import removes the protection again, testimony/imports/cells.py)."""
    return {name: protect_formula(value) for name, value in row.items()}


def iter_rows(defectors) -> Iterator[dict]:
    for defector in prefetched(defectors).iterator(chunk_size=2000):
        yield from defector_rows(defector)


class LongFormWriter:
    """Writes long-form rows: formulas protected (:func:`protected`), and rows
    holding a lone carriage return with every cell quoted: csv's minimal quoting
    quotes only the line terminator (``\n`` here), and a reader would take an
    unquoted ``\r`` for the end of a line."""

    def __init__(self, out):
        self.plain = csv.DictWriter(out, fieldnames=HEADER, lineterminator="\n")
        self.quoted = csv.DictWriter(out, fieldnames=HEADER, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def writeheader(self):
        return self.plain.writeheader()

    def writerow(self, row: dict):
        row = protected(row)
        return (self.quoted if any("\r" in value for value in row.values()) else self.plain).writerow(row)


def write_csv(defectors, out) -> int:
    """Write the long-form CSV of ``defectors`` to a text stream; returns the number of rows."""
    writer = LongFormWriter(out)
    writer.writeheader()
    count = 0
    for row in iter_rows(defectors):
        writer.writerow(row)
        count += 1
    return count


class Echo:
    """A write-only file-like that hands each written line back, for StreamingHttpResponse."""

    def write(self, value):
        return value


def stream_csv(defectors) -> Iterable[str]:
    writer = LongFormWriter(Echo())
    yield writer.writeheader()
    for row in iter_rows(defectors):
        yield writer.writerow(row)


def with_table_fields(document: dict, record, columns) -> dict:
    """Add the optional columns of the column table that ``document`` does not
    name yet, as their model values: a new optional column reaches the JSON too."""
    for column in columns:
        if not column.required and not column.precision and column.field not in document:
            document[column.field] = getattr(record, column.field)
    return document


def source_document(source, quotes) -> dict:
    document = {
        "outlet": source.outlet.name,
        "title": source.title,
        "url": source.url,
        "published_on": source.published_on.isoformat() if source.published_on else None,
        "language": source.language,
        "archived_url": source.archived_url,
        "accessed_on": source.accessed_on.isoformat() if source.accessed_on else None,
    }
    with_table_fields(document, source, SOURCE_COLUMNS)
    document["quotes"] = [quote_document(quote) for quote in quotes]
    return document


def quote_document(quote) -> dict:
    document = {
        "text": quote.text,
        "language": quote.language,
        "translation": quote.translation,
        "locator": quote.locator,
        "narratives": list(dict.fromkeys(tag.narrative.code for tag in quote.tags.all())),
    }
    return with_table_fields(document, quote, QUOTE_COLUMNS)


def defector_document(defector: Defector) -> dict:
    """One defector nested as JSON: the same fields as the long form, no identity fields."""
    quotes_by_source: dict[int, list] = {}
    sources = {}
    for quote in defector.quotes.all():
        quotes_by_source.setdefault(quote.source_id, []).append(quote)
        sources[quote.source_id] = quote.source
    for source in sorted(defector.sources.all(), key=lambda s: (s.outlet.name, s.title, s.url)):
        sources.setdefault(source.pk, source)
    document = {
        "case_id": defector.case_id,
        "name": defector.name,
        "sex": defector.sex,
        "country": defector.country.code or "",
        "reported_on": format_partial_date(defector.reported_on, defector.reported_precision),
        "reported_precision": defector.reported_precision,
        "defected_on": format_partial_date(defector.defected_on, defector.defected_precision) or None,
        "defected_precision": defector.defected_precision,
        "role": defector.role,
        "status": defector.status,
        "provenance": defector.provenance,
        "visibility": defector.visibility,
        "notes": defector.notes,
    }
    with_table_fields(document, defector, DEFECTOR_COLUMNS)
    document[STUDIES] = sorted(m.study.code for m in defector.study_memberships.all())
    document["sources"] = [source_document(source, quotes_by_source.get(pk, [])) for pk, source in sources.items()]
    return document


def write_json(defectors, out) -> int:
    """Write a JSON list of nested defectors, one defector at a time; returns how many."""
    out.write("[")
    count = 0
    for defector in prefetched(defectors).iterator(chunk_size=2000):
        out.write(",\n" if count else "\n")
        out.write(json.dumps(defector_document(defector), ensure_ascii=False))
        count += 1
    out.write("\n]\n")
    return count
