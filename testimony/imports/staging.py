"""The PostgreSQL path's staging table, ``imp_stage``: one line per parsed row,
in ``COPY``'s text format, streamed while the file is still being read.

Its columns come from the column table (columns.py): the row's line, then each
defector, source and quote column as its ``staged`` name and ``sql_type`` (a
partial date adds its precision), plus ``k_outlet`` and ``k_title``, which
with ``url`` say how the row's source is recognised. NULL means "not given by
the file" (an absent optional column, or no source / no quote on this row).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from .columns import DEFECTOR_COLUMNS, QUOTE_COLUMNS, QUOTE_EXTRAS, SOURCE_COLUMNS, Column

COPY_CHUNK = 1 << 16  # characters handed to COPY per read()
CACHE_SIZE = 4096
NULL = "\\N"


def _columns(columns: list[Column]) -> list[tuple[str, str]]:
    staged = []
    for column in columns:
        staged.append((column.staged, column.sql_type))
        if column.precision:
            staged.append((column.precision, "text"))
    return staged


DEFECTOR_STAGE_COLUMNS = _columns(DEFECTOR_COLUMNS)
SOURCE_STAGE_COLUMNS = [*_columns(SOURCE_COLUMNS), ("k_outlet", "text"), ("k_title", "text")]
QUOTE_STAGE_COLUMNS = _columns(QUOTE_COLUMNS)
STAGE_COLUMNS = [("line", "integer"), *DEFECTOR_STAGE_COLUMNS, *SOURCE_STAGE_COLUMNS, *QUOTE_STAGE_COLUMNS]
STAGE_NAMES = [name for name, _ in STAGE_COLUMNS]
# What rows of one case (of one source) must repeat: every staged defector
# column but the case ID (every source column but the ones that recognise it).
DEFECTOR_STAGE = tuple(name for name, _ in DEFECTOR_STAGE_COLUMNS if name != "case_id")
SOURCE_STAGE = tuple(name for name, _ in SOURCE_STAGE_COLUMNS if name not in ("url", "k_outlet", "k_title"))


# --------------------------------------------------------------------------- COPY text format


def _text(value: str | None) -> str:
    if value is None:
        return NULL
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def _date(value: datetime.date | None) -> str:
    return NULL if value is None else value.isoformat()


def _format(kind: str):
    return _date if kind == "date" else _text


class Stream:
    """A read()-able file over an iterator of COPY lines, for ``copy_expert``:
    the rows are parsed as PostgreSQL asks for them, never all held at once."""

    def __init__(self, lines: Iterator[str]):
        self.lines = lines
        self.pending = ""

    def read(self, size: int = COPY_CHUNK) -> str:
        parts, length = [self.pending], len(self.pending)
        for line in self.lines:
            parts.append(line)
            length += len(line)
            if length >= size:
                break
        data = "".join(parts)
        self.pending = ""
        return data

    readline = read


def _cells(columns: list[Column]) -> list[tuple[str, object]]:
    """(field, formatter) per staged column of a record's dict."""
    cells = []
    for column in columns:
        cells.append((column.field, _format(column.sql_type)))
        if column.precision:
            cells.append((column.precision, _text))
    return cells


class Stager:
    """Turns parsed rows into lines of the staging table. The defector and source
    parts repeat on every row of a case or source and are formatted once."""

    def __init__(self, narrative_ids: dict[str, int]):
        self.narrative_ids = narrative_ids
        self.defectors: dict = {}
        self.sources: dict = {}
        self.codes: dict = {}
        self.defector_cells = [cell for cell in _cells(DEFECTOR_COLUMNS) if cell[0] != "case_id"]
        self.source_cells = _cells(SOURCE_COLUMNS)
        self.quote_extras = _cells(QUOTE_EXTRAS)
        self.no_source = "\t".join([NULL] * len(SOURCE_STAGE_COLUMNS))
        self.no_quote = "\t".join([NULL] * len(QUOTE_STAGE_COLUMNS))
        self.last: tuple = (None, "")
        self.last_source: tuple = (None, "")

    def line(self, row) -> str:
        d = row.defector
        if d is self.last[0]:  # the rows of a case share one dict (parse_row's cache)
            defector = self.last[1]
        else:
            defector = self.defector(row.case_id, d)
            self.last = (d, defector)
        source = self.no_source
        if row.source is not None:
            s = row.source
            if s is self.last_source[0]:
                source = self.last_source[1]
            else:
                source = self.source(s)
                self.last_source = (s, source)
        quote = self.no_quote
        if row.quote is not None:  # inline: this runs for every row
            q = row.quote
            codes = self.codes.get(q["narratives"])
            if codes is None:
                codes = self.codes[q["narratives"]] = (
                    "{" + ",".join(str(self.narrative_ids[c]) for c in q["narratives"]) + "}"
                )
            # The contract's quote columns, in the table's order (checked below the
            # class); a language code needs no escaping. Then the optional ones.
            cells = [_text(q["text"]), q["language"], _text(q["translation"]), codes]
            cells += [formatter(q.get(name)) for name, formatter in self.quote_extras]
            quote = "\t".join(cells)
        return f"{row.line}\t{defector}\t{source}\t{quote}\n"

    def defector(self, case_id: str, d: dict) -> str:
        key = (case_id, *d.values())
        defector = self.defectors.get(key)
        if defector is None:
            if len(self.defectors) > CACHE_SIZE:
                self.defectors.clear()
            cells = [_text(case_id)] + [formatter(d.get(name)) for name, formatter in self.defector_cells]
            defector = self.defectors[key] = "\t".join(cells)
        return defector

    def source(self, s: dict) -> str:
        key = tuple(s.values())
        source = self.sources.get(key)
        if source is None:
            if len(self.sources) > CACHE_SIZE:
                self.sources.clear()
            by_url = bool(s["url"])
            cells = [formatter(s.get(name)) for name, formatter in self.source_cells]
            cells += ["", ""] if by_url else [_text(s["outlet"]), _text(s["title"])]
            source = self.sources[key] = "\t".join(cells)
        return source


# Stager.line writes the contract's quote columns by name, for speed.
assert [c.name for c in QUOTE_COLUMNS if c.required] == ["quote", "quote_language", "translation", "narratives"]
assert QUOTE_COLUMNS[:4] == [c for c in QUOTE_COLUMNS if c.required]
