"""The long-form CSV's columns, one row each: the single description of them that
the parser (rows.py), the PostgreSQL staging table and its set-based SQL
(staging.py, postgres.py), the per-case writer (cases.py), the exporter
(testimony/longform.py) and the README's column table (checked by a test) read.

Each column fills one field of a defector, a source or a quote. The contract's
columns (``required``) must be in a file's header; the others are optional and,
when a file lacks one, an import keeps the stored value. An optional column
that follows the common rule (parse the cell, stage it, compare and write it
like any other field) needs nothing but its row here and its model field: the
parser, the staging SQL, the comparison of stored cases, the inserts and the
export all loop over :data:`TABLE`. Columns with rules of their own (the case
ID, partial dates and their precision, a source's identity, the quote and its
narratives) are named where those rules are written.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..models import Provenance, Role, Status, Visibility
from . import cells

DEFECTOR, SOURCE, QUOTE = "defector", "source", "quote"
PRECISION_FORMATS = {"year": "%Y", "month": "%Y-%m", "day": "%Y-%m-%d"}


def format_partial_date(value, precision: str) -> str:
    return value.strftime(PRECISION_FORMATS.get(precision or "day")) if value else ""


def _iso(value: datetime.date | None) -> str:
    return value.isoformat() if value else ""


@dataclass(frozen=True)
class Column:
    name: str  # in the CSV header
    part: str  # DEFECTOR, SOURCE or QUOTE: the record the column fills
    field: str  # that record's model field (``outlet``: the outlet's name)
    required: bool  # one of the contract's columns, required in the header
    sql_type: str  # its column in the PostgreSQL staging table
    parse: Callable[[str], Any]  # cell -> value, or raises CellError
    export: Callable[[Any], str]  # the defector, source or quote -> cell
    blank_keeps: bool = False  # an empty cell keeps the stored value (choices: "keep")
    stage: str = ""  # its staging-table column, when not ``field``
    precision: str = ""  # partial dates: the field holding their precision, parsed with them

    @property
    def staged(self) -> str:
        return self.stage or self.field


def _field(name: str) -> Callable[[Any], str]:
    return lambda record: getattr(record, name)


# partial() rather than lambda: parsers of cells that change on every row are
# called some 150,000 times per big file, and partial() costs one call less.
def _choice(choices) -> Callable[[str], str]:
    return functools.partial(cells.parse_choice, choices=choices)


def _text(max_length: int, required: bool = False) -> Callable[[str], str]:
    return functools.partial(cells.parse_text, max_length=max_length, required=required)


def _optional(parser: Callable[[str], Any], empty: Any) -> Callable[[str], Any]:
    return lambda value: parser(value) if value.strip() else empty


def _verbatim(value: str) -> str:
    return value


def _translation(value: str) -> str:
    return value if value.strip() else ""


def _partial_date(name: str, precision: str) -> Callable[[Any], str]:
    return lambda record: format_partial_date(getattr(record, name), getattr(record, precision))


def _tag_codes(quote) -> str:
    return ";".join(dict.fromkeys(tag.narrative.code for tag in quote.tags.all()))


# fmt: off
TABLE: list[Column] = [
    # The contract's thirteen, in the contract's order.
    Column("case_id", DEFECTOR, "case_id", True, "text", cells.parse_case_id, _field("case_id")),
    Column("name", DEFECTOR, "name", True, "text", _text(200, required=True), _field("name")),
    Column("sex", DEFECTOR, "sex", True, "text", cells.parse_sex, _field("sex")),
    Column("country", DEFECTOR, "country", True, "text", cells.parse_country, lambda d: d.country.code or ""),
    Column("reported_on", DEFECTOR, "reported_on", True, "date", cells.parse_partial_date,
           _partial_date("reported_on", "reported_precision"), precision="reported_precision"),
    Column("outlet", SOURCE, "outlet", True, "text", cells.parse_outlet, lambda s: s.outlet.name),
    Column("source_title", SOURCE, "title", True, "text", _text(500), _field("title")),
    Column("source_url", SOURCE, "url", True, "text", cells.parse_url, _field("url")),
    Column("source_published_on", SOURCE, "published_on", True, "date",
           _optional(cells.parse_date, None), lambda s: _iso(s.published_on)),
    Column("quote", QUOTE, "text", True, "text", _verbatim, _field("text"), stage="quote"),
    Column("quote_language", QUOTE, "language", True, "text", cells.parse_language, _field("language"),
           stage="q_language"),
    Column("translation", QUOTE, "translation", True, "text", _translation, _field("translation")),
    Column("narratives", QUOTE, "narratives", True, "bigint[]", _verbatim, _tag_codes),
    # Extensions, optional on import, so that a round trip loses nothing.
    Column("provenance", DEFECTOR, "provenance", False, "text", _choice(Provenance), _field("provenance"),
           blank_keeps=True),
    Column("visibility", DEFECTOR, "visibility", False, "text", _choice(Visibility), _field("visibility"),
           blank_keeps=True),
    Column("notes", DEFECTOR, "notes", False, "text", _verbatim, _field("notes")),
    Column("role", DEFECTOR, "role", False, "text", _choice(Role), _field("role"), blank_keeps=True),
    Column("status", DEFECTOR, "status", False, "text", _choice(Status), _field("status"), blank_keeps=True),
    Column("defected_on", DEFECTOR, "defected_on", False, "date", _optional(cells.parse_partial_date, (None, "")),
           _partial_date("defected_on", "defected_precision"), precision="defected_precision"),
    Column("source_language", SOURCE, "language", False, "text", cells.parse_language, _field("language"),
           blank_keeps=True, stage="s_language"),
    Column("source_archived_url", SOURCE, "archived_url", False, "text", cells.parse_url, _field("archived_url")),
    Column("source_accessed_on", SOURCE, "accessed_on", False, "date", _optional(cells.parse_date, None),
           lambda s: _iso(s.accessed_on)),
    Column("quote_locator", QUOTE, "locator", False, "text", _text(100), _field("locator"), stage="locator"),
]
# fmt: on

BY_NAME = {column.name: column for column in TABLE}
COLUMNS = [column.name for column in TABLE]  # the header an export writes
CONTRACT_COLUMNS = [column.name for column in TABLE if column.required]
EXTENSION_COLUMNS = [column.name for column in TABLE if not column.required]
DEFECTOR_COLUMNS = [column for column in TABLE if column.part == DEFECTOR]
SOURCE_COLUMNS = [column for column in TABLE if column.part == SOURCE]
QUOTE_COLUMNS = [column for column in TABLE if column.part == QUOTE]

# The defector's fields a file gives beside its case ID: what rows of one case
# must repeat, and what the stored case is compared with.
DEFECTOR_FIELDS = [column for column in DEFECTOR_COLUMNS if column.name != "case_id"]
# Optional quote columns following the common rule (the quote, its language,
# translation and narratives have rules of their own).
QUOTE_EXTRAS = [column for column in QUOTE_COLUMNS if not column.required]
# The quote's fields compared with a stored quote of the same source and text.
QUOTE_COMPARED = [column.field for column in QUOTE_COLUMNS if column.field not in ("text", "narratives")]


def column_of(field: str, part: str) -> str:
    """The CSV column of a record's field (a precision field: its date's column)."""
    for column in TABLE:
        if column.part == part and field in (column.field, column.precision):
            return column.name
    return field


def order(column: str | None) -> int:
    """Sort key of errors within a line: by column, line-wide errors first."""
    return COLUMNS.index(column) if column in BY_NAME else -1
