"""The long-form CSV of CONTRACT.md: one row per quote, shared by the
importer, ``export_defectors`` and the web UI's ``/defectors/export.csv``.

Rows are written so that import(export(db)) gives the database back:
- a defector with quotes has one row per quote, carrying the quote's source;
- each of its sources that no quote comes from adds a row with an empty quote;
- a defector with neither has one row with empty source and quote columns.
``reported_on`` is written at its precision (``2015``, ``2015-08``,
``2015-08-14``), which is how the importer reads the precision back.
Columns after ``narratives`` extend the contract; the importer treats them as
optional.
"""

import csv
from collections.abc import Iterable, Iterator

from django.db.models import Prefetch

from narratives.models import Tag

from .models import Defector, Quote

COLUMNS = [
    "case_id",
    "name",
    "sex",
    "country",
    "reported_on",
    "outlet",
    "source_title",
    "source_url",
    "source_published_on",
    "quote",
    "quote_language",
    "translation",
    "narratives",
    # extensions (optional on import)
    "provenance",
    "visibility",
    "notes",
]


PRECISION_FORMATS = {"year": "%Y", "month": "%Y-%m", "day": "%Y-%m-%d"}


def format_partial_date(value, precision: str) -> str:
    return value.strftime(PRECISION_FORMATS.get(precision or "day")) if value else ""


def prefetched(defectors):
    """The queryset with everything a row needs, in a constant number of queries per chunk."""
    quotes = Quote.objects.select_related("source__outlet").prefetch_related(
        Prefetch(
            "tags",
            queryset=Tag.objects.select_related("narrative").order_by("narrative__display_order", "narrative__code"),
        )
    )
    return defectors.prefetch_related(Prefetch("quotes", queryset=quotes.order_by("id")), "sources__outlet")


def source_columns(source) -> dict:
    if source is None:
        return {"outlet": "", "source_title": "", "source_url": "", "source_published_on": ""}
    return {
        "outlet": source.outlet.name,
        "source_title": source.title,
        "source_url": source.url,
        "source_published_on": source.published_on.isoformat() if source.published_on else "",
    }


def defector_rows(defector: Defector) -> Iterator[dict]:
    base = {
        "case_id": defector.case_id,
        "name": defector.name,
        "sex": defector.sex,
        "country": defector.country.code or "",
        "reported_on": format_partial_date(defector.reported_on, defector.reported_precision),
        "provenance": defector.provenance,
        "visibility": defector.visibility,
        "notes": defector.notes,
    }
    empty_quote = {"quote": "", "quote_language": "", "translation": "", "narratives": ""}
    quoted_sources = set()
    for quote in defector.quotes.all():
        quoted_sources.add(quote.source_id)
        codes = dict.fromkeys(tag.narrative.code for tag in quote.tags.all())
        yield {
            **base,
            **source_columns(quote.source),
            "quote": quote.text,
            "quote_language": quote.language,
            "translation": quote.translation,
            "narratives": ";".join(codes),
        }
    unquoted = sorted((s for s in defector.sources.all() if s.pk not in quoted_sources), key=lambda s: s.pk)
    for source in unquoted:
        yield {**base, **source_columns(source), **empty_quote}
    if not quoted_sources and not unquoted:
        yield {**base, **source_columns(None), **empty_quote}


def iter_rows(defectors) -> Iterator[dict]:
    for defector in prefetched(defectors).iterator(chunk_size=2000):
        yield from defector_rows(defector)


def write_csv(defectors, out) -> int:
    """Write the long-form CSV of ``defectors`` to a text stream; returns the number of rows."""
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
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
    writer = csv.DictWriter(Echo(), fieldnames=COLUMNS, lineterminator="\n")
    yield writer.writeheader()
    for row in iter_rows(defectors):
        yield writer.writerow(row)
