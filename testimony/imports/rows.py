"""One long-form record parsed and checked: its case ID, the defector's fields,
the source it names (if any) and the quote (if any), or its row errors.

Columns absent from the file are left out of the result (the import then
keeps the stored value); see the README's column table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .cells import parse_language, parse_narratives
from .columns import DEFECTOR_COLUMNS, QUOTE_EXTRAS, SOURCE_COLUMNS, Column
from .result import CellError, RowError

CACHE_SIZE = 4096
DEFECTOR_CELLS = tuple(column.name for column in DEFECTOR_COLUMNS)
SOURCE_CELLS = tuple(column.name for column in SOURCE_COLUMNS)
# The quote's columns that need a quote on the row.
QUOTE_DEPENDENT = ("quote_language", "translation", "narratives", *(column.name for column in QUOTE_EXTRAS))


@dataclass(slots=True)
class ParsedRow:
    line: int
    case_id: str
    defector: dict[str, Any]
    source_key: tuple | None = None
    source: dict[str, Any] | None = None
    quote: dict[str, Any] | None = None


def source_key(outlet: str, title: str, url: str) -> tuple:
    """How a source is recognised: by URL when it has one, else by outlet and title."""
    return ("url", url) if url else ("title", outlet, title)


def fingerprint(values: dict) -> int:
    return hash(tuple(sorted(values.items())))


def _parse_cell(line: int, record: dict, name: str, parser: Callable[[str], Any], values: dict, errors: list) -> None:
    try:
        values[name] = parser(record.get(name) or "")
    except CellError as exc:
        errors.append(RowError(line, name, exc.reason, exc.accepted))


PROGRESS_EVERY = 2000  # rows between progress callbacks


def parsed_rows(source, narrative_codes, errors: list[RowError], tally, progress) -> Iterator[tuple[int, ParsedRow]]:
    """``(line, row)`` for every record of ``source`` (a reader.RowSource) that parses
    and checks (:func:`parse_row`); the others add their problems to ``errors``.
    ``tally.rows`` counts every record read, and ``progress("validate", rows, None)``
    is told every PROGRESS_EVERY of them: both writers read a file through here."""
    present = None
    cache: dict = {}
    for line, record in source.read(errors):
        if present is None:
            present = frozenset(source.columns)
        tally.rows += 1
        if progress and tally.rows % PROGRESS_EVERY == 0:
            progress("validate", tally.rows, None)
        row, row_errors = parse_row(line, record, present, narrative_codes, cache)
        if row_errors:
            errors.extend(row_errors)
            continue
        yield line, row


def parse_row(
    line: int, record: dict[str, str], present: frozenset[str], narrative_codes, cache: dict | None = None
) -> tuple[ParsedRow | None, list]:
    """Parse one long-form record: ``(row, [])``, or ``(None, errors)``.

    ``cache`` (one dict per pass over a file) remembers the parsed defector and
    source cells of recent rows: the rows of a case repeat them, and parsing
    them once per case instead of once per row halves the time of a pass.
    """
    if cache is None:
        cache = {}
    elif len(cache) > CACHE_SIZE:
        cache.clear()
    values: dict[str, Any] = {}
    errors: list[RowError] = []
    get = record.get
    # The rows of a case (of a source) repeat its cells: parsed on a cache miss only.
    defector_key = ("defector", *map(get, DEFECTOR_CELLS))
    if defector_key in cache:
        values.update(cache[defector_key])
    else:
        _parse_columns(line, record, present, values, errors, (cache, defector_key), DEFECTOR_COLUMNS)
    source_cells = ("source", *map(get, SOURCE_CELLS))
    if source_cells in cache:
        values.update(cache[source_cells])
    else:
        _parse_columns(line, record, present, values, errors, (cache, source_cells), SOURCE_COLUMNS)
    quote_text = _quote_cells(line, record, present, values, errors, cache, narrative_codes)
    outlet, title, url = values.get("outlet", ""), values.get("source_title", ""), values.get("source_url", "")
    has_source = bool(outlet or title or url or values.get("source_published_on"))
    if has_source or quote_text:
        for column, value in (("outlet", outlet), ("source_title", title)):
            if not value and not any(e.column == column for e in errors):
                reason = "is empty but the row quotes a source" if quote_text else "is empty but the row names a source"
                errors.append(RowError(line, column, reason, "the outlet and title of the source"))
    if errors:
        return None, errors

    defector = cache.get(("defector fields", defector_key)) or _defector(values, cache, defector_key)
    row = ParsedRow(line=line, case_id=values["case_id"], defector=defector)
    if has_source:
        source = cache.get(("source fields", source_cells)) or _source(values, cache, source_cells, outlet, title, url)
        row.source_key, row.source = source
    if quote_text:
        row.quote = {
            "text": quote_text,
            "language": values["quote_language"],
            "translation": values["translation"],
            "narratives": values["narratives"],
        }
        for column in QUOTE_EXTRAS:
            if column.name in values:
                row.quote[column.field] = values[column.name]
    return row, []


def _parse_columns(line, record, present, values: dict, errors: list, cached: tuple, columns: list[Column]) -> None:
    """Parse the defector's (or the source's) cells: the contract's columns and
    the optional ones the file has; without error, remember them (``cached``:
    the cache and the key)."""
    before, parsed = len(errors), set(values)
    for column in columns:
        if column.required or column.name in present:
            if column.blank_keeps and not (record.get(column.name) or "").strip():
                continue
            _parse_cell(line, record, column.name, column.parse, values, errors)
    if len(errors) == before:
        cache, key = cached
        cache[key] = {k: v for k, v in values.items() if k not in parsed}


def _quote_cells(line, record, present, values: dict, errors: list, cache: dict, narrative_codes) -> str:
    """Parse the quote's cells, which change on every row (inline, for speed); returns its text."""
    get = record.get
    quote_text = get("quote") or ""
    if not quote_text.strip():
        quote_text = ""
    translation = get("translation") or ""
    values["translation"] = translation if translation.strip() else ""
    for column in QUOTE_EXTRAS:
        name = column.name
        if name in present:
            try:
                values[name] = column.parse(get(name) or "")
            except CellError as exc:
                errors.append(RowError(line, name, exc.reason, exc.accepted))
    narratives = get("narratives") or ""
    narratives_key = ("narratives", narratives)
    codes = cache.get(narratives_key)
    if codes is None:
        try:
            codes = cache[narratives_key] = parse_narratives(narratives, narrative_codes)
        except CellError as exc:
            errors.append(RowError(line, "narratives", exc.reason, exc.accepted))
    values["narratives"] = codes
    if quote_text:
        try:
            values["quote_language"] = parse_language(get("quote_language") or "")
        except CellError as exc:
            errors.append(RowError(line, "quote_language", exc.reason, exc.accepted))
    else:
        for column in QUOTE_DEPENDENT:
            if (get(column) or "").strip():
                errors.append(RowError(line, column, "is given but the quote is empty", "a quote in the quote column"))
    return quote_text


def _defector(values: dict, cache: dict, defector_key: tuple) -> dict:
    """The defector's fields, built on a cache miss and then shared by the case's
    rows (read-only for every consumer)."""
    defector = {}
    for column in DEFECTOR_COLUMNS:
        if column.name == "case_id" or column.name not in values:
            continue
        if column.precision:
            defector[column.field], defector[column.precision] = values[column.name]
        else:
            defector[column.field] = values[column.name]
    cache[("defector fields", defector_key)] = defector
    return defector


def _source(values: dict, cache: dict, source_cells: tuple, outlet: str, title: str, url: str) -> tuple[tuple, dict]:
    """The source's key and fields, built on a cache miss and then shared by its rows."""
    fields = {column.field: values[column.name] for column in SOURCE_COLUMNS if column.name in values}
    source = cache[("source fields", source_cells)] = (source_key(outlet, title, url), fields)
    return source
