"""The long-form CSV of CONTRACT.md: one row per quote, shared by the
importer, ``export_defectors`` and the web UI's ``/defectors/export.csv``.

Rows are written so that import(export(db)) gives the database back:
- a defector with quotes has one row per quote, carrying the quote's source;
- each of its sources that no quote comes from adds a row with an empty quote;
- a defector with neither has one row with empty source and quote columns.
``reported_on`` (and ``defected_on``) is written at its precision (``2015``,
``2015-08``, ``2015-08-14``), which is how the importer reads the precision back.
Columns after ``narratives`` extend the contract so that nothing of a defector,
source, quote or tag is lost; the importer treats them as optional. Identity
fields are never written (CONTRACT.md, "Identity protection"); outlets travel
by name only.

``write_json`` gives the same data nested: defector -> sources -> quotes ->
narrative codes (``export_defectors --format json``).
"""

import csv
import json
from collections.abc import Iterable, Iterator

from django.db.models import Prefetch

from narratives.models import Tag

from .models import Defector, Quote

CONTRACT_COLUMNS = [
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
]

# Extensions (optional on import), always after the contract's columns.
EXTENSION_COLUMNS = [
    "provenance",
    "visibility",
    "notes",
    "role",
    "status",
    "defected_on",
    "source_language",
    "source_archived_url",
    "source_accessed_on",
    "quote_locator",
]

COLUMNS = CONTRACT_COLUMNS + EXTENSION_COLUMNS


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
        return dict.fromkeys(
            ["outlet", "source_title", "source_url", "source_published_on"]
            + ["source_language", "source_archived_url", "source_accessed_on"],
            "",
        )
    return {
        "outlet": source.outlet.name,
        "source_title": source.title,
        "source_url": source.url,
        "source_published_on": source.published_on.isoformat() if source.published_on else "",
        "source_language": source.language,
        "source_archived_url": source.archived_url,
        "source_accessed_on": source.accessed_on.isoformat() if source.accessed_on else "",
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
        "role": defector.role,
        "status": defector.status,
        "defected_on": format_partial_date(defector.defected_on, defector.defected_precision),
    }
    empty_quote = {"quote": "", "quote_language": "", "translation": "", "narratives": "", "quote_locator": ""}
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
            "quote_locator": quote.locator,
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


def source_document(source, quotes) -> dict:
    return {
        "outlet": source.outlet.name,
        "title": source.title,
        "url": source.url,
        "published_on": source.published_on.isoformat() if source.published_on else None,
        "language": source.language,
        "archived_url": source.archived_url,
        "accessed_on": source.accessed_on.isoformat() if source.accessed_on else None,
        "quotes": [
            {
                "text": quote.text,
                "language": quote.language,
                "translation": quote.translation,
                "locator": quote.locator,
                "narratives": list(dict.fromkeys(tag.narrative.code for tag in quote.tags.all())),
            }
            for quote in quotes
        ],
    }


def defector_document(defector: Defector) -> dict:
    """One defector nested as JSON: the same fields as the long form, no identity fields."""
    quotes_by_source: dict[int, list] = {}
    sources = {}
    for quote in defector.quotes.all():
        quotes_by_source.setdefault(quote.source_id, []).append(quote)
        sources[quote.source_id] = quote.source
    for source in sorted(defector.sources.all(), key=lambda s: (s.outlet.name, s.title, s.url)):
        sources.setdefault(source.pk, source)
    return {
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
        "sources": [source_document(source, quotes_by_source.get(pk, [])) for pk, source in sources.items()],
    }


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
