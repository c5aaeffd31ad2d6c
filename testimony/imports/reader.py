"""Reading long-form rows: a CSV file (path, bytes or binary file) or row dicts,
as ``(line, record)`` pairs, with the header checked and every cell cleaned of
what the export adds and what no database can store.

- A cell an export protected from spreadsheets (``'=...``) loses that ``'``
  (:func:`~testimony.imports.cells.unprotect_formula`).
- A NUL character, or bytes that are not UTF-8, are reported at the line and
  column where they are (PostgreSQL refuses NUL in text; SQLite would store
  it), so such a file is refused as a whole on every database.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

from .cells import unprotect_formula
from .columns import BY_NAME, COLUMNS, CONTRACT_COLUMNS
from .memberships import STUDIES
from .result import RowError

# What strict UTF-8 decoding never yields: the surrogates that stand for bytes
# that were not UTF-8 ("surrogateescape"), or lone surrogates of row dicts.
SURROGATE_RE = re.compile("[\ud800-\udfff]")
NUL_ACCEPTED = "text without NUL characters (byte 0; often a file saved as UTF-16 or a binary file)"
UTF8_ACCEPTED = "a file saved as UTF-8 (with or without BOM)"


def check_header(columns: list[str]) -> list[RowError]:
    errors = []
    seen = set()
    for column in columns:
        if column in seen:
            errors.append(RowError(1, column, "appears twice in the header"))
        seen.add(column)
        if column not in BY_NAME and column != STUDIES:
            errors.append(
                RowError(1, column or "(empty)", "is not a column of the long form", ", ".join([*COLUMNS, STUDIES]))
            )
    missing = [c for c in CONTRACT_COLUMNS if c not in seen]
    if missing:
        errors.append(
            RowError(1, None, f"the header lacks {', '.join(missing)}", "the columns " + ", ".join(CONTRACT_COLUMNS))
        )
    return errors


def clean_cells(line: int, columns: list[str], cells: list[str], errors: list[RowError]) -> list[str]:
    """The cells without formula protection; NULs and undecodable bytes reported.
    A record with such an error is not parsed further (its cells are not what
    the file meant, and would only add errors that follow from it)."""
    cleaned = []
    for index, cell in enumerate(cells):
        column = columns[index] if index < len(columns) else None
        if "\x00" in cell:
            errors.append(RowError(line, column, "contains a NUL character", NUL_ACCEPTED))
            cell = cell.replace("\x00", "")
        if SURROGATE_RE.search(cell):
            errors.append(RowError(line, column, "is not valid UTF-8", UTF8_ACCEPTED))
            cell = SURROGATE_RE.sub("\ufffd", cell)
        cleaned.append(unprotect_formula(cell))
    return cleaned


class _Lines:
    """The decoded lines of a binary file, noting (cheaply, per line) whether a
    line read since the last :meth:`take` may hold a cell to clean."""

    def __init__(self, handle):
        self.handle = handle
        self.suspect = False

    def __iter__(self) -> Iterator[str]:
        for number, raw in enumerate(self.handle, start=1):
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("utf-8", "surrogateescape")
                self.suspect = True
            if "'" in text or "\x00" in text:
                self.suspect = True
            yield text

    def take(self) -> bool:
        suspect, self.suspect = self.suspect, False
        return suspect


class RowSource:
    """Rows that can be read twice (the portable path validates, then writes).

    ``rows`` may be a path, the bytes of a CSV file, a seekable binary file,
    a list of row dicts, or a callable returning a fresh iterable of row dicts
    (lines are then numbered as if row 1 were a header).
    """

    def __init__(self, rows):
        self.rows = rows
        self.columns: list[str] = []

    def read(self, errors: list[RowError]) -> Iterator[tuple[int, dict]]:
        """Yield ``(line, record)``; unreadable lines and header problems go to ``errors``."""
        rows = self.rows
        if isinstance(rows, str | Path):
            with open(rows, "rb") as handle:
                yield from self._read_csv(handle, errors)
        elif isinstance(rows, bytes | bytearray):
            yield from self._read_csv(io.BytesIO(rows), errors)
        elif hasattr(rows, "read"):
            rows.seek(0)
            yield from self._read_csv(rows, errors)
        else:
            yield from self._read_dicts(rows() if callable(rows) else rows, errors)

    def _read_dicts(self, records, errors: list[RowError]) -> Iterator[tuple[int, dict]]:
        header_checked = False
        for number, record in enumerate(records, start=2):
            if not header_checked:
                self.columns = [str(c) for c in record]
                errors.extend(check_header(self.columns))
                header_checked = True
                if errors:
                    return
            values = ["" if v is None else str(v) for v in record.values()]
            before = len(errors)
            values = clean_cells(number, list(record), values, errors)
            if len(errors) == before:
                yield number, dict(zip(record, values, strict=True))

    def _read_csv(self, handle, errors: list[RowError]) -> Iterator[tuple[int, dict]]:
        lines = _Lines(handle)
        reader = csv.reader(lines)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            errors.append(RowError(1, None, f"the header is not valid CSV ({exc})"))
            return
        if header is None:
            errors.append(RowError(1, None, "the file is empty", "a header row: " + ", ".join(CONTRACT_COLUMNS)))
            return
        if lines.take():
            header = clean_cells(1, [], header, errors)
        self.columns = [c.strip().lower() for c in header]
        errors.extend(check_header(self.columns))
        if errors:
            return
        width = len(self.columns)
        previous = reader.line_num
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                errors.append(RowError(previous + 1, None, f"is not valid CSV ({exc}); nothing after it was read"))
                return
            start, previous = previous + 1, reader.line_num
            if lines.suspect:  # (an attribute, not take(): this runs for every row)
                lines.suspect = False
                before = len(errors)
                cells = clean_cells(start, self.columns, cells, errors)
                if len(errors) > before:
                    continue  # reported; its cells are not what the file meant, so not parsed
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            if len(cells) != width:
                errors.append(RowError(start, None, f"has {len(cells)} fields but the header has {width}"))
                continue
            yield start, dict(zip(self.columns, cells, strict=True))
