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
import operator
from collections import defaultdict
from collections.abc import Iterable, Iterator
from itertools import islice

from narratives.models import Narrative, Tag

from .imports.cells import protect_formula
from .imports.columns import (
    COLUMNS,
    CONTRACT_COLUMNS,
    DEFECTOR,
    DEFECTOR_COLUMNS,
    QUOTE,
    QUOTE_COLUMNS,
    SOURCE,
    SOURCE_COLUMNS,
    TABLE,
    format_partial_date,
)
from .imports.memberships import SEPARATOR, STUDIES
from .models import Defector, Quote, Source
from .querysets import IdArray

# The columns an export writes: the column table's, then the case lists (memberships.py).
HEADER = [*COLUMNS, STUDIES]

__all__ = ["COLUMNS", "CONTRACT_COLUMNS", "HEADER", "format_partial_date", "stream_csv", "write_csv", "write_json"]

# Defectors per chunk: each chunk costs four queries (quotes with their sources
# and outlets, their tags, the defectors' other sources, their case lists), whatever its size.
CHUNK = 2000


# The reads are set-based: plain values() rows, never model instances. Building
# Defector, Quote and Source objects and prefetching per chunk held the export at
# about 2,500 rows/s; tuples from three joins per chunk give it ten times that.
def _key(column) -> str:
    """The values() key holding a column's value (the outlet: its name)."""
    return "outlet__name" if column.part == SOURCE and column.field == "outlet" else column.field


def _keys(part: str) -> list[str]:
    keys = []
    for column in TABLE:
        if column.part == part and column.field != "narratives":
            keys.append(_key(column))
            if column.precision:
                keys.append(column.precision)
    return keys


DEFECTOR_KEYS = _keys(DEFECTOR)
SOURCE_KEYS = _keys(SOURCE)
QUOTE_KEYS = _keys(QUOTE)


def _getter(column):
    """values() -> the column's cell, the same text the column table's ``export``
    gives a model instance; built once per column, called once per cell."""
    key = _key(column)
    if column.precision:
        precision = column.precision
        return lambda values: format_partial_date(values[key], values[precision])
    if column.sql_type == "date":
        return lambda values: values[key].isoformat() if values[key] else ""
    return lambda values: values[key] or ""


def _getters(columns) -> list:
    return [_getter(column) for column in columns if column.field != "narratives"]


DEFECTOR_CELLS, SOURCE_CELLS = _getters(DEFECTOR_COLUMNS), _getters(SOURCE_COLUMNS)
QUOTE_CELLS = _getters(QUOTE_COLUMNS)
NARRATIVES = [column.field for column in QUOTE_COLUMNS].index("narratives")
# A row is built part by part (defector, source, quote cells); this puts its cells in the header's order.
PART_ORDER = [*DEFECTOR_COLUMNS, *SOURCE_COLUMNS, *QUOTE_COLUMNS]
IN_HEADER_ORDER = operator.itemgetter(*(PART_ORDER.index(column) for column in TABLE))


def _source_values(values: dict, prefix: str) -> dict:
    return {key: values[prefix + key] for key in SOURCE_KEYS}


def _source_order(source: dict) -> tuple:
    return (source["outlet__name"], source["title"], source["url"])


def chunks(defectors) -> Iterator[list[dict]]:
    """The defectors of the queryset in its order, CHUNK at a time, each a dict of
    its values with ``quotes`` (in id order, each with its ``source`` and narrative
    ``codes``) and ``sources`` (id -> source values, every source it is linked to).

    Five narrow queries a chunk, by id arrays (querysets.IdArray): the links, the
    quotes, the sources they name (each once, with its outlet), the tags and the case
    lists. Joining each quote and each link to its source and outlet read and built a
    source's values once per quote and per link (about 13,700 rows/s in all against
    21,000 so)."""
    codebook = Narrative.objects.order_by("display_order", "code").values_list("pk", "code")
    code_of, codebook_order = {}, {}
    for position, (pk, code) in enumerate(codebook):
        code_of[pk], codebook_order[pk] = code, position
    rows = defectors.values("pk", *DEFECTOR_KEYS).iterator(chunk_size=CHUNK)
    while chunk := list(islice(rows, CHUNK)):
        by_pk = {}
        for defector in chunk:
            defector["quotes"], defector["sources"], defector[STUDIES] = [], {}, []
            by_pk[defector["pk"]] = defector
        ids = IdArray(by_pk)
        links = Defector.sources.through.objects.filter(defector_id__any_of=ids)
        linked = list(links.values_list("defector_id", "source_id"))
        quotes = {}
        for quote in (
            Quote.objects.filter(defector_id__any_of=ids)
            .order_by("id")
            .values("id", "defector_id", "source_id", *QUOTE_KEYS)
        ):
            quote["codes"] = []
            quotes[quote["id"]] = quote
            by_pk[quote["defector_id"]]["quotes"].append(quote)
        named = {source_id for _, source_id in linked} | {quote["source_id"] for quote in quotes.values()}
        sources = {
            source["id"]: source
            for source in Source.objects.filter(pk__any_of=IdArray(named)).values("id", *SOURCE_KEYS)
        }
        for defector_id, source_id in linked:
            by_pk[defector_id]["sources"][source_id] = sources[source_id]
        for quote in quotes.values():
            quote["source"] = sources[quote["source_id"]]
        tags = Tag.objects.filter(quote_id__any_of=IdArray(quotes)).values_list("quote_id", "narrative_id")
        narratives = defaultdict(set)
        for quote_id, narrative_id in tags:
            narratives[quote_id].add(narrative_id)
        for quote_id, chosen in narratives.items():
            quotes[quote_id]["codes"] = [code_of[pk] for pk in sorted(chosen, key=codebook_order.__getitem__)]
        for defector_id, code in (
            # The case lists live in reports, which imports testimony: reached through the relation.
            Defector._meta.get_field("study_memberships")
            .related_model.objects.filter(defector_id__any_of=ids)
            .order_by("study__code")
            .values_list("defector_id", "study__code")
        ):
            by_pk[defector_id][STUDIES].append(code)
        yield chunk


EMPTY_SOURCE = [""] * len(SOURCE_COLUMNS)
EMPTY_QUOTE = [""] * len(QUOTE_COLUMNS)


def defector_rows(defector: dict) -> Iterator[tuple]:
    """The defector's long-form rows, as tuples of cells in the header's order."""
    base = [cell(defector) for cell in DEFECTOR_CELLS]
    studies = (SEPARATOR.join(defector[STUDIES]),)  # after the column table's cells (memberships.py)
    quoted_sources = set()
    for quote in defector["quotes"]:
        quoted_sources.add(quote["source_id"])
        cells = [cell(quote) for cell in QUOTE_CELLS]
        cells.insert(NARRATIVES, ";".join(dict.fromkeys(quote["codes"])))
        yield IN_HEADER_ORDER(base + [cell(quote["source"]) for cell in SOURCE_CELLS] + cells) + studies
    # Ordered by content, not id, so that an export of a re-imported database is byte-identical.
    unquoted = sorted(
        (source for pk, source in defector["sources"].items() if pk not in quoted_sources), key=_source_order
    )
    for source in unquoted:
        yield IN_HEADER_ORDER(base + [cell(source) for cell in SOURCE_CELLS] + EMPTY_QUOTE) + studies
    if not quoted_sources and not unquoted:
        yield IN_HEADER_ORDER(base + EMPTY_SOURCE + EMPTY_QUOTE) + studies


def protected(row: tuple) -> list:
    """The row as written: no cell a spreadsheet would read as a formula
    (the import removes the protection again, testimony/imports/cells.py)."""
    return [protect_formula(value) if value[:1] in FORMULA_FIRST else value for value in row]


# The first characters of a cell that may need protection (an apostrophe: it may
# already look protected); checked before the regular expression, which most cells never need.
FORMULA_FIRST = frozenset("'=+-@\t\r")


def iter_rows(defectors) -> Iterator[tuple]:
    for chunk in chunks(defectors):
        for defector in chunk:
            yield from defector_rows(defector)


class LongFormWriter:
    """Writes long-form rows (tuples in the header's order): formulas protected
    (:func:`protected`), and rows holding a lone carriage return with every cell
    quoted: csv's minimal quoting quotes only the line terminator (``\n`` here),
    and a reader would take an unquoted ``\r`` for the end of a line."""

    def __init__(self, out):
        self.plain = csv.writer(out, lineterminator="\n")
        self.quoted = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)

    def writeheader(self):
        return self.plain.writerow(HEADER)

    def writerow(self, row: tuple):
        row = protected(row)
        return (self.quoted if "\r" in "".join(row) else self.plain).writerow(row)


def write_csv(defectors, out, progress=None) -> int:
    """Write the long-form CSV of ``defectors`` to a text stream; returns the number of rows.
    ``progress(defectors_done, rows_done)`` is called after every chunk (background jobs)."""
    writer = LongFormWriter(out)
    writer.writeheader()
    count = done = 0
    write = writer.writerow
    for chunk in chunks(defectors):
        for defector in chunk:
            for row in defector_rows(defector):
                write(row)
                count += 1
        done += len(chunk)
        if progress:
            progress(done, count)
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


def _iso(value):
    return value.isoformat() if value else None


def with_table_fields(document: dict, values: dict, columns) -> dict:
    """Add the optional columns of the column table that ``document`` does not
    name yet, as their stored values: a new optional column reaches the JSON too."""
    for column in columns:
        if not column.required and not column.precision and column.field not in document:
            value = values[_key(column)]
            document[column.field] = _iso(value) if column.sql_type == "date" else value
    return document


def source_document(source: dict, quotes) -> dict:
    document = {
        "outlet": source["outlet__name"],
        "title": source["title"],
        "url": source["url"],
        "published_on": _iso(source["published_on"]),
        "language": source["language"],
        "archived_url": source["archived_url"],
        "accessed_on": _iso(source["accessed_on"]),
    }
    with_table_fields(document, source, SOURCE_COLUMNS)
    document["quotes"] = [quote_document(quote) for quote in quotes]
    return document


def quote_document(quote: dict) -> dict:
    document = {
        "text": quote["text"],
        "language": quote["language"],
        "translation": quote["translation"],
        "locator": quote["locator"],
        "narratives": list(dict.fromkeys(quote["codes"])),
    }
    return with_table_fields(document, quote, QUOTE_COLUMNS)


def defector_document(defector: dict) -> dict:
    """One defector nested as JSON: the same fields as the long form, no identity fields."""
    quotes_by_source: dict[int, list] = {}
    sources = {}
    for quote in defector["quotes"]:
        quotes_by_source.setdefault(quote["source_id"], []).append(quote)
        sources[quote["source_id"]] = quote["source"]
    for pk, source in sorted(defector["sources"].items(), key=lambda item: _source_order(item[1])):
        sources.setdefault(pk, source)
    document = {
        "case_id": defector["case_id"],
        "name": defector["name"],
        "sex": defector["sex"],
        "country": defector["country"] or "",
        "reported_on": format_partial_date(defector["reported_on"], defector["reported_precision"]),
        "reported_precision": defector["reported_precision"],
        "defected_on": format_partial_date(defector["defected_on"], defector["defected_precision"]) or None,
        "defected_precision": defector["defected_precision"],
        "role": defector["role"],
        "status": defector["status"],
        "provenance": defector["provenance"],
        "visibility": defector["visibility"],
        "notes": defector["notes"],
    }
    with_table_fields(document, defector, DEFECTOR_COLUMNS)
    document[STUDIES] = defector[STUDIES]
    document["sources"] = [source_document(source, quotes_by_source.get(pk, [])) for pk, source in sources.items()]
    return document


def write_json(defectors, out, progress=None) -> int:
    """Write a JSON list of nested defectors, one defector at a time; returns how many.
    ``progress(defectors_done, defectors_done)`` is called after every chunk."""
    out.write("[")
    count = 0
    for chunk in chunks(defectors):
        for defector in chunk:
            out.write(",\n" if count else "\n")
            out.write(json.dumps(defector_document(defector), ensure_ascii=False))
            count += 1
        if progress:
            progress(count, count)
    out.write("\n]\n")
    return count
