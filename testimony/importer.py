"""The one import service for defectors: long-form rows in, defectors, sources,
quotes and narrative tags out (CONTRACT.md, ``import_defectors``).

The command line, the admin's CSV import and ``generate_synthetic`` all call
:func:`defector_import`. Every row is parsed and checked here
(:func:`parse_row`); then one of two paths writes, all or nothing, in ONE
transaction:

- *PostgreSQL* (:mod:`testimony.bulk`): one pass over the file streams the
  parsed rows by ``COPY`` into a temporary table; conflicts between rows of
  a case or a source are found there by joins; new cases are written set by
  set with ``INSERT ... SELECT`` (history included); stored cases the file
  repeats exactly are found in SQL, the other stored cases go through the
  per-case comparison below.
- *Elsewhere* (SQLite), the portable path, in two passes so that memory does
  not hold the whole file:

  1. *Validate.* Every row is parsed column by column; rows of one ``case_id``
     must agree on the defector columns and rows naming one source must agree
     on the source columns. Only a small fingerprint per case and per source
     is kept. Any error stops the import before anything is written.
  2. *Write.* The rows are read again and grouped into defectors; batches of
     complete defectors are compared with the database and written with bulk
     operations.

A dry run does the same work and rolls back, so a preview counts exactly what
the import would do.

Fields are validated here with the models' own limits (lengths, choices,
``case_id`` pattern, no future dates) rather than ``full_clean()`` per object:
150,000 ``full_clean`` calls would cost more than the whole import.

History: django-simple-history does not see ``bulk_create``/``bulk_update``.
Updated sources and quotes go through its ``bulk_update_with_history``. New
rows (and updated defectors) get their historical rows from
:meth:`_Writer.copy_history`, an ``INSERT ... SELECT`` from the rows just
written: the equivalent of ``bulk_create_with_history`` without building a
second Python object per row. Defector records also get the snapshot of their
sources (the m2m history the utilities skip). Every record carries the
importing user and a change reason. The bulk path writes the same records.

Speed (bench/bench_import.py, README "Import and export"): 50,000 new
defectors (142,083 rows) on PostgreSQL import at about 5,300-7,900 rows/s
depending on the shared machine's load (the portable path: 2,900-3,100);
where the time goes is printed per phase by the bench.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import functools
import io
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import DatabaseError, connection, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django_countries import countries
from simple_history.utils import bulk_update_with_history

from accounts.access import can_view_restricted
from narratives.models import Narrative, Tag

from . import bulk
from .languages import ISO_639_1, language_name
from .longform import COLUMNS, CONTRACT_COLUMNS
from .models import Defector, Outlet, Precision, Provenance, Quote, Role, Sex, Source, Status, Visibility

BATCH_DEFECTORS = 1000  # defectors written per batch: a few thousand rows
PREVIEW_LIMIT = 500  # case_ids listed per outcome in a result (counts are always complete)
PROGRESS_EVERY = 2000  # rows between progress callbacks
BULK = True  # on PostgreSQL, import through testimony/bulk.py (False: the portable path everywhere)


# --------------------------------------------------------------------------- errors and result


@dataclass(frozen=True)
class RowError:
    """One bad cell or line. ``line`` is the physical line where the record starts."""

    line: int
    column: str | None
    reason: str
    accepted: str = ""

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.reason}" + (f" (accepted: {self.accepted})" if self.accepted else "")


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    outlets_created: int = 0
    sources_created: int = 0
    sources_updated: int = 0
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)
    # Up to PREVIEW_LIMIT case_ids per outcome, for the admin preview.
    case_ids: dict[str, list[str]] = field(default_factory=lambda: {"created": [], "updated": [], "unchanged": []})

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def defectors(self) -> int:
        return self.created + self.updated + self.unchanged

    def count(self, outcome: str, case_id: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        if len(self.case_ids[outcome]) < PREVIEW_LIMIT:
            self.case_ids[outcome].append(case_id)

    def summary(self) -> str:
        verb = "would be" if self.dry_run else "were"
        return (
            f"{self.rows} rows, {self.defectors} defectors: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged ({verb} written); outlets created: {self.outlets_created}, "
            f"sources created: {self.sources_created}, sources updated: {self.sources_updated}"
        )


class CellError(ValueError):
    def __init__(self, reason: str, accepted: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.accepted = accepted


# --------------------------------------------------------------------------- cell parsers

SEX_ACCEPTED = "male, female, unknown (or m, f; any case)"
SEX_VALUES = {"male": Sex.MALE, "m": Sex.MALE, "female": Sex.FEMALE, "f": Sex.FEMALE, "unknown": Sex.UNKNOWN}

COUNTRY_ACCEPTED = (
    "an ISO 3166-1 alpha-2 or alpha-3 code (GB, SYR), an English name (Syria, Syrian Arab Republic, United Kingdom), "
    "XX for a country unnamed in the sources, or empty when no source gives one"
)
# Names the press uses that ISO does not. England, Scotland, Wales and Northern
# Ireland have no ISO 3166-1 code of their own: they are recorded as GB, which
# is how the ICSR 2015 study counts "Britain".
COUNTRY_VARIANTS = {
    "uk": "GB",
    "britain": "GB",
    "great britain": "GB",
    "united kingdom of great britain and northern ireland": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "us": "US",
    "america": "US",
    "united states": "US",
    "united states of america": "US",
    "holland": "NL",
    "netherlands": "NL",
    "ivory coast": "CI",
    "russia": "RU",
    "south korea": "KR",
    "north korea": "KP",
    "czech republic": "CZ",
    "macedonia": "MK",
    "palestine": "PS",
    "turkey": "TR",
    "bosnia": "BA",
}

PARTIAL_DATE_ACCEPTED = "YYYY, YYYY-MM or YYYY-MM-DD (not in the future)"
DATE_ACCEPTED = "YYYY-MM-DD (not in the future)"
LANGUAGE_ACCEPTED = "an ISO 639-1 code (en, ar, fr, ...) or an English language name (Arabic)"
PARTIAL_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
LANGUAGES_BY_NAME = {language_name(code).lower(): code for code in ISO_639_1}
CASE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_url_validator = URLValidator(schemes=["http", "https"])
# The everyday shape of a press URL, which URLValidator accepts too; checking it
# first skips URLValidator's (slow) full check for nearly every row of a big file.
PLAIN_URL_RE = re.compile(
    r"^https?://(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}(?::\d{1,5})?(?:[/?#][^\s]*)?$", re.IGNORECASE
)


def _future(value: datetime.date) -> bool:
    return value > timezone.localdate()


@functools.lru_cache(maxsize=4096)
def parse_country(value: str) -> str:
    """An ISO 3166-1 alpha-2 code (``""`` for none) from a code, a name or a common variant."""
    text = value.strip()
    if not text:
        return ""
    if text.isdigit():  # numeric ISO codes are too easily a typo in a spreadsheet
        raise CellError(f"{text!r} is not a country", COUNTRY_ACCEPTED)
    key = re.sub(r"\s+", " ", text.replace(".", "")).lower()
    key = key.removeprefix("the ")
    if key in COUNTRY_VARIANTS:
        return COUNTRY_VARIANTS[key]
    code = countries.alpha2(key) or countries.by_name(key, insensitive=True)
    if not code:
        raise CellError(f"{text!r} is not a country", COUNTRY_ACCEPTED)
    return code


def parse_sex(value: str) -> str:
    try:
        return SEX_VALUES[value.strip().lower()]
    except KeyError:
        raise CellError(f"{value.strip()!r} is not a sex" if value.strip() else "is empty", SEX_ACCEPTED) from None


@functools.lru_cache(maxsize=4096)
def parse_partial_date(value: str) -> tuple[datetime.date, str]:
    """``2015`` -> (2015-01-01, year), ``2015-08`` -> (2015-08-01, month), ``2015-08-14`` -> day."""
    text = value.strip()
    match = PARTIAL_DATE_RE.match(text)
    if not match:
        raise CellError(f"{text!r} is not a date" if text else "is empty", PARTIAL_DATE_ACCEPTED)
    year, month, day = match.groups()
    precision = Precision.DAY if day else Precision.MONTH if month else Precision.YEAR
    try:
        date = datetime.date(int(year), int(month or 1), int(day or 1))
    except ValueError as exc:
        raise CellError(f"{text!r} is not a date ({exc})", PARTIAL_DATE_ACCEPTED) from None
    if _future(date):
        raise CellError(f"{text} is in the future", PARTIAL_DATE_ACCEPTED)
    return date, precision.value


@functools.lru_cache(maxsize=4096)
def parse_date(value: str) -> datetime.date:
    text = value.strip()
    match = DATE_RE.match(text)
    try:
        date = datetime.date(*map(int, match.groups())) if match else None
    except ValueError:
        date = None
    if date is None:
        raise CellError(f"{text!r} is not a date", DATE_ACCEPTED)
    if _future(date):
        raise CellError(f"{text} is in the future", DATE_ACCEPTED)
    return date


@functools.lru_cache(maxsize=1024)
def parse_language(value: str) -> str:
    text = value.strip().lower()
    if text in ISO_639_1:
        return text
    if text in LANGUAGES_BY_NAME:
        return LANGUAGES_BY_NAME[text]
    raise CellError(f"{value.strip()!r} is not a language" if text else "is empty", LANGUAGE_ACCEPTED)


def parse_narratives(value: str, valid_codes: Iterable[str]) -> tuple[str, ...]:
    """Codes separated by ``;`` (spaces and empty items ignored), in file order, without repeats."""
    codes = [code.strip().lower() for code in value.split(";") if code.strip()]
    unknown = [code for code in codes if code not in valid_codes]
    if unknown:
        raise CellError(
            f"unknown narrative code{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}",
            "; ".join(valid_codes) + ", separated by ;",
        )
    return tuple(dict.fromkeys(codes))


@functools.cache
def _choice_values(choices) -> frozenset[str]:
    return frozenset(choices.values)


def parse_choice(value: str, choices) -> str:
    text = value.strip().lower()
    if text not in _choice_values(choices):
        raise CellError(f"{value.strip()!r} is not allowed", ", ".join(choices.values))
    return text


@functools.lru_cache(maxsize=8192)
def parse_url(value: str, max_length: int = 1000) -> str:
    text = value.strip()
    if not text:
        return ""
    if len(text) > max_length:
        raise CellError(f"is {len(text)} characters long", f"a URL of at most {max_length} characters")
    try:
        if not PLAIN_URL_RE.match(text):
            _url_validator(text)
    except ValidationError:
        raise CellError(f"{text!r} is not a URL", "an http:// or https:// address") from None
    return text


def parse_text(value: str, max_length: int, *, required: bool = False, strip: bool = True) -> str:
    text = value.strip() if strip else value
    if required and not text.strip():
        raise CellError("is empty", f"text of 1 to {max_length} characters")
    if len(text) > max_length:
        raise CellError(f"is {len(text)} characters long", f"text of at most {max_length} characters")
    return text


def parse_case_id(value: str) -> str:
    text = value.strip()
    if not text or len(text) > 32 or not CASE_ID_RE.match(text):
        raise CellError(
            f"{text!r} is not a case ID" if text else "is empty",
            "1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. ICSR15-001)",
        )
    return text


# --------------------------------------------------------------------------- rows


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


DEFECTOR_CELLS = (
    "case_id", "name", "sex", "country", "reported_on",
    "provenance", "visibility", "role", "status", "notes", "defected_on",
)  # fmt: skip
SOURCE_CELLS = (
    "outlet", "source_title", "source_url", "source_published_on",
    "source_language", "source_archived_url", "source_accessed_on",
)  # fmt: skip
CACHE_SIZE = 4096


def parse_row(
    line: int, record: dict[str, str], present: frozenset[str], narrative_codes, cache: dict | None = None
) -> tuple[ParsedRow, list]:
    """Parse one long-form record. Columns absent from the file are left out of the
    result (the import then keeps the stored value); see the README's table.

    ``cache`` (one dict per pass over a file) remembers the parsed defector and
    source cells of recent rows: the rows of a case repeat them, and parsing
    them once per case instead of once per row halves the time of a pass.
    """
    errors: list[RowError] = []
    values: dict[str, Any] = {}
    if cache is None:
        cache = {}
    elif len(cache) > CACHE_SIZE:
        cache.clear()

    def cell(column: str, parser: Callable[[str], Any]) -> None:
        try:
            values[column] = parser(record.get(column) or "")
        except CellError as exc:
            errors.append(RowError(line, column, exc.reason, exc.accepted))

    def optional_choice(column, choices):
        if column in present and (record.get(column) or "").strip():
            cell(column, lambda v: parse_choice(v, choices))

    get = record.get
    defector_key = ("defector", *map(get, DEFECTOR_CELLS))
    if defector_key in cache:
        values.update(cache[defector_key])
    else:
        cell("case_id", parse_case_id)
        cell("name", lambda v: parse_text(v, 200, required=True))
        cell("sex", parse_sex)
        cell("country", parse_country)
        cell("reported_on", parse_partial_date)
        optional_choice("provenance", Provenance)
        optional_choice("visibility", Visibility)
        optional_choice("role", Role)
        optional_choice("status", Status)
        if "notes" in present:
            values["notes"] = record.get("notes") or ""
        if "defected_on" in present:
            cell("defected_on", lambda v: parse_partial_date(v) if v.strip() else (None, ""))
        if not errors:
            cache[defector_key] = dict(values)

    source_key_ = ("source", *map(get, SOURCE_CELLS))
    if source_key_ in cache:
        values.update(cache[source_key_])
    else:
        before, parsed = len(errors), set(values)
        cell("outlet", lambda v: parse_text(v, 200))
        cell("source_title", lambda v: parse_text(v, 500))
        cell("source_url", parse_url)
        cell("source_published_on", lambda v: parse_date(v) if v.strip() else None)
        if "source_language" in present and (record.get("source_language") or "").strip():
            cell("source_language", parse_language)
        if "source_archived_url" in present:
            cell("source_archived_url", parse_url)
        if "source_accessed_on" in present:
            cell("source_accessed_on", lambda v: parse_date(v) if v.strip() else None)
        if len(errors) == before:
            cache[source_key_] = {k: v for k, v in values.items() if k not in parsed}

    # The quote cells change on every row: parsed inline, without cell()'s closures.
    quote_text = get("quote") or ""
    if not quote_text.strip():
        quote_text = ""
    translation = get("translation") or ""
    values["translation"] = translation if translation.strip() else ""
    if "quote_locator" in present:
        try:
            values["quote_locator"] = parse_text(get("quote_locator") or "", 100)
        except CellError as exc:
            errors.append(RowError(line, "quote_locator", exc.reason, exc.accepted))
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
        for column in ("quote_language", "translation", "narratives", "quote_locator"):
            if (record.get(column) or "").strip():
                errors.append(RowError(line, column, "is given but the quote is empty", "a quote in the quote column"))

    outlet, title, url = values.get("outlet", ""), values.get("source_title", ""), values.get("source_url", "")
    has_source = bool(outlet or title or url or values.get("source_published_on"))
    if has_source or quote_text:
        for column, value in (("outlet", outlet), ("source_title", title)):
            if not value and not any(e.column == column for e in errors):
                reason = "is empty but the row quotes a source" if quote_text else "is empty but the row names a source"
                errors.append(RowError(line, column, reason, "the outlet and title of the source"))

    if errors:
        return None, errors

    # The defector and source dicts of a cached case or source are built once and
    # shared by its rows (read-only for every consumer).
    fields_key = ("defector fields", defector_key)
    defector = cache.get(fields_key)
    if defector is None:
        reported_on, reported_precision = values["reported_on"]
        defector = {
            "name": values["name"],
            "sex": values["sex"],
            "country": values["country"],
            "reported_on": reported_on,
            "reported_precision": reported_precision,
        }
        for column in ("provenance", "visibility", "role", "status", "notes"):
            if column in values:
                defector[column] = values[column]
        if "defected_on" in values:
            defector["defected_on"], defector["defected_precision"] = values["defected_on"]
        cache[fields_key] = defector

    row = ParsedRow(line=line, case_id=values["case_id"], defector=defector)
    if has_source:
        fields_key = ("source fields", source_key_)
        source = cache.get(fields_key)
        if source is None:
            fields = {"outlet": outlet, "title": title, "url": url, "published_on": values["source_published_on"]}
            for column, attr in (
                ("source_language", "language"),
                ("source_archived_url", "archived_url"),
                ("source_accessed_on", "accessed_on"),
            ):
                if column in values:
                    fields[attr] = values[column]
            source = cache[fields_key] = (source_key(outlet, title, url), fields)
        row.source_key, row.source = source
    if quote_text:
        row.quote = {
            "text": quote_text,
            "language": values["quote_language"],
            "translation": values["translation"],
            "narratives": values["narratives"],
        }
        if "quote_locator" in values:
            row.quote["locator"] = values["quote_locator"]
    return row, []


def fingerprint(values: dict) -> int:
    return hash(tuple(sorted(values.items())))


# --------------------------------------------------------------------------- reading files

OPTIONAL_COLUMNS = [c for c in COLUMNS if c not in CONTRACT_COLUMNS]


def check_header(columns: list[str]) -> list[RowError]:
    errors = []
    seen = set()
    for column in columns:
        if column in seen:
            errors.append(RowError(1, column, "appears twice in the header"))
        seen.add(column)
        if column not in COLUMNS:
            errors.append(RowError(1, column or "(empty)", "is not a column of the long form", ", ".join(COLUMNS)))
    missing = [c for c in CONTRACT_COLUMNS if c not in seen]
    if missing:
        errors.append(
            RowError(1, None, f"the header lacks {', '.join(missing)}", "the columns " + ", ".join(CONTRACT_COLUMNS))
        )
    return errors


class RowSource:
    """Rows that can be read twice (the import validates, then writes).

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
            records = rows() if callable(rows) else rows
            header_checked = False
            for number, record in enumerate(records, start=2):
                if not header_checked:
                    self.columns = [str(c) for c in record]
                    errors.extend(check_header(self.columns))
                    header_checked = True
                    if errors:
                        return
                yield number, {k: "" if v is None else str(v) for k, v in record.items()}

    def _read_csv(self, handle, errors: list[RowError]) -> Iterator[tuple[int, dict]]:
        reader = csv.reader(_decoded_lines(handle, errors))
        try:
            header = next(reader, None)
        except csv.Error as exc:
            errors.append(RowError(1, None, f"the header is not valid CSV ({exc})"))
            return
        if header is None:
            errors.append(RowError(1, None, "the file is empty", "a header row: " + ", ".join(CONTRACT_COLUMNS)))
            return
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
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            if len(cells) != width:
                errors.append(RowError(start, None, f"has {len(cells)} fields but the header has {width}"))
                continue
            yield start, dict(zip(self.columns, cells, strict=True))


def _decoded_lines(handle, errors: list[RowError]) -> Iterator[str]:
    for number, raw in enumerate(handle, start=1):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            errors.append(RowError(number, None, "is not valid UTF-8", "a file saved as UTF-8 (with or without BOM)"))
            yield raw.decode("utf-8", "replace")


# --------------------------------------------------------------------------- pass 1: validate


@dataclass
class _Index:
    """What pass 1 remembers: per case its first line, row count and a fingerprint
    of the defector columns; per source its first line and a fingerprint."""

    cases: dict[str, list] = field(default_factory=dict)
    sources: dict[tuple, tuple[int, int]] = field(default_factory=dict)
    rows: int = 0


def _validate(source: RowSource, narrative_codes, errors: list[RowError], progress) -> _Index:
    index = _Index()
    case_conflicts: list[tuple[int, str, int]] = []
    source_conflicts: list[tuple[int, tuple, int]] = []
    present = None
    cache: dict = {}
    for line, record in source.read(errors):
        if present is None:
            present = frozenset(source.columns)
        index.rows += 1
        if progress and index.rows % PROGRESS_EVERY == 0:
            progress("validate", index.rows, None)
        row, row_errors = parse_row(line, record, present, narrative_codes, cache)
        if row_errors:
            errors.extend(row_errors)
            continue
        signature = fingerprint(row.defector)
        entry = index.cases.get(row.case_id)
        if entry is None:
            index.cases[row.case_id] = [line, 1, signature]
        else:
            entry[1] += 1
            if entry[2] != signature:
                case_conflicts.append((line, row.case_id, entry[0]))
        if row.source_key is not None:
            signature = fingerprint(row.source)
            first = index.sources.get(row.source_key)
            if first is None:
                index.sources[row.source_key] = (line, signature)
            elif first[1] != signature:
                source_conflicts.append((line, row.source_key, first[0]))
    if progress:
        progress("validate", index.rows, None)
    if case_conflicts or source_conflicts:
        errors.extend(_describe_conflicts(source, narrative_codes, case_conflicts, source_conflicts))
    errors.sort(key=lambda e: (e.line, COLUMNS.index(e.column) if e.column in COLUMNS else -1))
    return index


SOURCE_COLUMNS = {
    "outlet": "outlet",
    "title": "source_title",
    "url": "source_url",
    "published_on": "source_published_on",
    "language": "source_language",
    "archived_url": "source_archived_url",
    "accessed_on": "source_accessed_on",
}
DEFECTOR_COLUMNS = {"reported_precision": "reported_on", "defected_precision": "defected_on"}


def _describe_conflicts(source, narrative_codes, case_conflicts, source_conflicts) -> list[RowError]:
    """Name the disagreeing columns. Only runs when pass 1 found conflicts, so the
    rows compared are re-read here instead of being kept in memory."""
    wanted = {first for _, _, first in case_conflicts} | {first for _, _, first in source_conflicts}
    wanted |= {line for line, _, _ in case_conflicts} | {line for line, _, _ in source_conflicts}
    present = frozenset(source.columns)
    parsed = {}
    for line, record in source.read([]):
        if line in wanted:
            parsed[line] = parse_row(line, record, present, narrative_codes)[0]
    errors = []
    for line, case_id, first in case_conflicts:
        here, there = parsed[line].defector, parsed[first].defector
        differing = [k for k in here.keys() | there.keys() if here.get(k) != there.get(k)]
        columns = dict.fromkeys(DEFECTOR_COLUMNS.get(k, k) for k in differing)
        for column in sorted(columns, key=COLUMNS.index):
            errors.append(
                RowError(
                    line,
                    column,
                    f"case {case_id} has a different {column} on line {first}",
                    "the same defector columns on every row of a case",
                )
            )
    for line, key, first in source_conflicts:
        here, there = parsed[line].source, parsed[first].source
        for attr in [a for a in SOURCE_COLUMNS if here.get(a) != there.get(a)]:
            errors.append(
                RowError(
                    line,
                    SOURCE_COLUMNS[attr],
                    f"the source {key[-1]!r} has a different {SOURCE_COLUMNS[attr]} on line {first}",
                    "the same source columns on every row naming a source",
                )
            )
    return errors


# --------------------------------------------------------------------------- pass 2: write


@dataclass
class _DefectorPlan:
    case_id: str
    line: int
    remaining: int
    fields: dict[str, Any]
    sources: dict[tuple, dict] = field(default_factory=dict)
    quotes: list[dict] = field(default_factory=list)


class _Writer:
    """Writes batches of complete defectors, caching outlet ids across batches."""

    def __init__(self, *, user, reason: str, result: ImportResult):
        self.user = user
        self.reason = reason
        self.result = result
        self.may_change_restricted = user is None or can_view_restricted(user)
        self.narrative_ids = dict(Narrative.objects.values_list("code", "pk"))
        self.outlet_ids: dict[str, int] = {}
        self.source_ids: dict[tuple, int] = {}
        self.through = Defector.sources.through
        self.m2m_history = apps.get_model("testimony", "HistoricalDefector_sources")

    # ----- helpers

    def _history(self, **kwargs) -> dict:
        return {"default_user": self.user, "default_change_reason": self.reason, "batch_size": 2000, **kwargs}

    def _delete_with_history(self, objects) -> None:
        # Deleting object by object lets simple_history record who deleted what;
        # only corrected files take this path, never a first import.
        for obj in objects:
            obj._history_user = self.user
            obj._change_reason = self.reason
            obj.delete()

    def copy_history(self, model, pks: list[int], history_type: str = "+") -> str:
        """Historical rows for ``pks`` copied from the stored rows by the database.

        Returns the (adapted) history date shared by these records, so that
        defector records can be joined to their m2m snapshot.
        """
        history = model.history.model
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in history.tracked_fields)
        date = connection.ops.adapt_datetimefield_value(timezone.now())
        user_id = self.user.pk if self.user is not None else None
        sql = (
            f"INSERT INTO {quote(history._meta.db_table)} ({columns}, history_date, history_user_id, "
            f"history_change_reason, history_type) SELECT {columns}, %s, %s, %s, %s "
            f"FROM {quote(model._meta.db_table)} WHERE {quote(model._meta.pk.column)} IN "
        )
        with connection.cursor() as cursor:
            for chunk in _chunks(pks, 900):  # SQLite allows 999 parameters per statement
                placeholders = ", ".join(["%s"] * len(chunk))
                cursor.execute(sql + f"({placeholders})", [date, user_id, self.reason, history_type, *chunk])
        return date

    def record_defector_history(self, defectors: list[Defector], *, update: bool) -> None:
        """Historical defector rows plus the snapshot of their sources, as a save() would make."""
        if not defectors:
            return
        pks = [d.pk for d in defectors]
        date = self.copy_history(Defector, pks, "~" if update else "+")
        quote = connection.ops.quote_name
        sql = (
            f"INSERT INTO {quote(self.m2m_history._meta.db_table)} (id, defector_id, source_id, history_id) "
            f"SELECT link.id, link.defector_id, link.source_id, record.history_id "
            f"FROM {quote(self.through._meta.db_table)} link "
            f"JOIN {quote(Defector.history.model._meta.db_table)} record ON record.id = link.defector_id "
            f"WHERE record.history_date = %s AND link.defector_id IN "
        )
        with connection.cursor() as cursor:
            for chunk in _chunks(pks, 900):
                cursor.execute(sql + f"({', '.join(['%s'] * len(chunk))})", [date, *chunk])

    def create_with_history(self, model, objects: list) -> list:
        created = model.objects.bulk_create(objects, batch_size=2000)
        self.copy_history(model, [obj.pk for obj in created])
        return created

    # ----- outlets and sources

    def resolve_sources(self, plans: list[_DefectorPlan]) -> None:
        wanted: dict[tuple, dict] = {}
        for plan in plans:
            for key, values in plan.sources.items():
                if key not in self.source_ids:
                    wanted.setdefault(key, values)
        if not wanted:
            return
        names = {values["outlet"] for values in wanted.values()} - self.outlet_ids.keys()
        if names:
            self.outlet_ids.update(Outlet.objects.filter(name__in=names).values_list("name", "pk"))
            new = [Outlet(name=name) for name in sorted(names - self.outlet_ids.keys())]
            for outlet in self.create_with_history(Outlet, new):
                self.outlet_ids[outlet.name] = outlet.pk
            self.result.outlets_created += len(new)

        found: dict[tuple, Source] = {}
        urls = [key[1] for key in wanted if key[0] == "url"]
        for chunk in _chunks(urls, 1000):
            found.update((("url", s.url), s) for s in Source.objects.filter(url__in=chunk))
        titled = [key for key in wanted if key[0] == "title"]
        if titled:
            names_by_id = {self.outlet_ids[key[1]]: key[1] for key in titled}
            for chunk in _chunks(titled, 1000):
                candidates = Source.objects.filter(
                    title__in={key[2] for key in chunk}, outlet_id__in={self.outlet_ids[key[1]] for key in chunk}
                ).order_by("pk")
                for candidate in candidates:
                    key = ("title", names_by_id.get(candidate.outlet_id), candidate.title)
                    # Several sources may share an outlet and title: prefer one without URL, then the oldest.
                    if key in wanted and (key not in found or (found[key].url and not candidate.url)):
                        found[key] = candidate

        to_create, to_update, changed_fields = [], [], set()
        for key, values in wanted.items():
            attrs = {k: v for k, v in values.items() if k != "outlet"}
            attrs["outlet_id"] = self.outlet_ids[values["outlet"]]
            existing = found.get(key)
            if existing is None:
                to_create.append((key, Source(**attrs)))
                continue
            if key[0] == "title":
                attrs.pop("url")  # a file without the URL does not erase a stored one
            changes = {k for k, v in attrs.items() if getattr(existing, k) != v}
            for name in changes:
                setattr(existing, name, attrs[name])
            if changes:
                to_update.append(existing)
                changed_fields |= changes
            self.source_ids[key] = existing.pk
        created = self.create_with_history(Source, [s for _, s in to_create])
        for (key, _), source in zip(to_create, created, strict=True):
            self.source_ids[key] = source.pk
        if to_update:
            bulk_update_with_history(to_update, Source, sorted(changed_fields), **self._history())
        self.result.sources_created += len(to_create)
        self.result.sources_updated += len(to_update)

    # ----- defectors, quotes and tags

    def flush(self, plans: list[_DefectorPlan]) -> None:
        if not plans:
            return
        # Source ids are looked up again for every batch (one query) rather than
        # remembered for the whole file, so that memory does not grow with it.
        self.source_ids.clear()
        self.resolve_sources(plans)
        tags = Prefetch("tags", queryset=Tag.objects.order_by("id"))
        existing = {
            d.case_id: d
            for d in Defector.objects.filter(case_id__in=[p.case_id for p in plans]).prefetch_related(
                Prefetch("quotes", queryset=Quote.objects.order_by("id").prefetch_related(tags))
            )
        }
        links = defaultdict(set)
        for defector_id, source_id in self.through.objects.filter(
            defector_id__in=[d.pk for d in existing.values()]
        ).values_list("defector_id", "source_id"):
            links[defector_id].add(source_id)

        new_defectors, new_links, new_quotes = [], [], []  # new_quotes: (quote, codes)
        updated, updated_fields, quote_updates, quote_fields = [], {"updated_at"}, [], set()
        removed_links, removed_quotes, removed_tags, new_tags = [], [], [], []
        for plan in plans:
            source_ids = [self.source_ids[key] for key in plan.sources]
            quotes = [self._quote(q) for q in plan.quotes]
            defector = existing.get(plan.case_id)
            if defector is None:
                defector = Defector(case_id=plan.case_id, **plan.fields)
                new_defectors.append(defector)
                new_links.extend((defector, sid) for sid in source_ids)
                new_quotes.extend((defector, quote, codes) for quote, codes, _ in quotes)
                self.result.count("created", plan.case_id)
                continue
            if defector.visibility == Visibility.RESTRICTED and not self.may_change_restricted:
                self.result.errors.append(
                    RowError(
                        plan.line,
                        "case_id",
                        f"case {plan.case_id} is restricted and you may not change it",
                        "case IDs of cases you can see",
                    )
                )
                continue
            changed = {name for name, value in plan.fields.items() if _stored(defector, name) != value}
            for name in changed:
                setattr(defector, name, plan.fields[name])
            current_links = links[defector.pk]
            add_links = [sid for sid in dict.fromkeys(source_ids) if sid not in current_links]
            drop_links = current_links - set(source_ids)

            # Quotes are matched on (source, text): a match keeps its id and history,
            # everything else in the file is new, everything unmatched is deleted.
            pool = defaultdict(list)
            for stored in defector.quotes.all():
                pool[(stored.source_id, stored.text)].append(stored)
            quote_changed = False
            for quote, codes, given in quotes:
                matches = pool.get((quote.source_id, quote.text))
                if not matches:
                    new_quotes.append((defector, quote, codes))
                    quote_changed = True
                    continue
                stored = matches.pop(0)
                fields = {
                    name
                    for name in ("language", "translation", "locator")
                    if name in given and getattr(stored, name) != getattr(quote, name)
                }
                for name in fields:
                    setattr(stored, name, getattr(quote, name))
                if fields:
                    stored.updated_at = timezone.now()
                    quote_updates.append(stored)
                    quote_fields |= fields | {"updated_at"}
                stored_tags = list(stored.tags.all())
                wanted_ids = {self.narrative_ids[code] for code in codes}
                drop = [tag for tag in stored_tags if tag.narrative_id not in wanted_ids]
                have = {tag.narrative_id for tag in stored_tags}
                add = [Tag(quote=stored, narrative_id=nid) for nid in wanted_ids - have]
                removed_tags.extend(drop)
                new_tags.extend(add)
                quote_changed |= bool(fields or drop or add)
            leftovers = [q for matches in pool.values() for q in matches]
            removed_quotes.extend(leftovers)
            if not (changed or add_links or drop_links or quote_changed or leftovers):
                self.result.count("unchanged", plan.case_id)
                continue
            self.result.count("updated", plan.case_id)
            defector.updated_at = timezone.now()
            updated.append(defector)
            updated_fields |= changed
            new_links.extend((defector, sid) for sid in add_links)
            removed_links.extend((defector.pk, sid) for sid in drop_links)

        if self.result.errors:
            return  # the transaction will be rolled back; skip the writes

        Defector.objects.bulk_create(new_defectors, batch_size=2000)
        if updated:
            Defector.objects.bulk_update(updated, sorted(updated_fields), batch_size=1000)
        for defector_id, source_id in removed_links:
            self.through.objects.filter(defector_id=defector_id, source_id=source_id).delete()
        self.through.objects.bulk_create(
            [self.through(defector_id=d.pk, source_id=sid) for d, sid in new_links], batch_size=5000
        )
        self.record_defector_history(new_defectors, update=False)
        self.record_defector_history(updated, update=True)

        self._delete_with_history(removed_tags)
        for quote in removed_quotes:
            self._delete_with_history(quote.tags.all())
        self._delete_with_history(removed_quotes)
        if quote_updates:
            bulk_update_with_history(quote_updates, Quote, sorted(quote_fields), **self._history())
        for defector, quote, _ in new_quotes:
            quote.defector_id = defector.pk
        created_quotes = self.create_with_history(Quote, [q for _, q, _ in new_quotes])
        for quote, (_, _, codes) in zip(created_quotes, new_quotes, strict=True):
            new_tags.extend(Tag(quote_id=quote.pk, narrative_id=self.narrative_ids[code]) for code in codes)
        self.create_with_history(Tag, new_tags)

    def _quote(self, values: dict) -> tuple[Quote, tuple[str, ...], set[str]]:
        """The quote to create, its narrative codes, and the fields the file gives."""
        attrs = {k: v for k, v in values.items() if k not in ("narratives", "source_key")}
        return Quote(source_id=self.source_ids[values["source_key"]], **attrs), values["narratives"], set(attrs)


def _stored(defector: Defector, name: str):
    value = getattr(defector, name)
    return value.code or "" if name == "country" else value


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _write(source: RowSource, index: _Index, writer: _Writer, progress) -> None:
    present = frozenset(source.columns)
    narrative_codes = writer.narrative_ids.keys()
    pending: dict[str, _DefectorPlan] = {}
    ready: list[_DefectorPlan] = []
    done = 0
    cache: dict = {}
    for line, record in source.read([]):
        row, _ = parse_row(line, record, present, narrative_codes, cache)
        plan = pending.get(row.case_id)
        if plan is None:
            first_line, count, _ = index.cases[row.case_id]
            plan = pending[row.case_id] = _DefectorPlan(row.case_id, first_line, count, row.defector)
        if row.source_key is not None:
            plan.sources.setdefault(row.source_key, row.source)
        if row.quote is not None:
            plan.quotes.append({**row.quote, "source_key": row.source_key})
        plan.remaining -= 1
        if plan.remaining == 0:
            ready.append(pending.pop(row.case_id))
            if len(ready) >= BATCH_DEFECTORS:
                writer.flush(ready)
                ready = []
        done += 1
        if progress and done % PROGRESS_EVERY == 0:
            progress("write", done, index.rows)
    writer.flush(ready)
    if progress:
        progress("write", done, index.rows)


# --------------------------------------------------------------------------- the service


def defector_import(
    *,
    rows,
    user=None,
    dry_run: bool = False,
    progress: Callable[[str, int, int | None], None] | None = None,
    change_reason: str = "Imported from a long-form CSV",
) -> ImportResult:
    """Import long-form rows, all or nothing.

    Returns an :class:`ImportResult`; when ``result.errors`` is not empty
    nothing was written. ``progress(stage, rows_done, total_rows)`` is called
    every few thousand rows, with stage ``"validate"`` (total unknown: None)
    then ``"write"``. A dry run writes
    inside a transaction that is rolled back, so its counts are the real ones.
    ``user`` is recorded in the change history; without
    ``testimony.view_restricted`` a user may not change restricted cases.
    """
    result = ImportResult(dry_run=dry_run)
    change_reason = change_reason[:100]  # simple_history's column width
    source = RowSource(rows)
    narrative_codes = list(Narrative.objects.order_by("display_order", "code").values_list("code", flat=True))
    if BULK and bulk.available():
        writer = _Writer(user=user, reason=change_reason, result=result)
        try:
            with transaction.atomic():
                bulk.run(source, narrative_codes, writer, result, result.errors, progress)
                if result.errors or dry_run:
                    transaction.set_rollback(True)
                committing = time.perf_counter()
            bulk.timings["commit"] = time.perf_counter() - committing
        except DatabaseError as exc:
            result.errors.append(RowError(0, None, f"the database refused the import and nothing was written: {exc}"))
        return _finish(result)
    index = _validate(source, narrative_codes, result.errors, progress)
    result.rows = index.rows
    if result.errors:
        return result
    writer = _Writer(user=user, reason=change_reason, result=result)
    try:
        with transaction.atomic():
            _write(source, index, writer, progress)
            if result.errors or dry_run:
                transaction.set_rollback(True)
    except DatabaseError as exc:
        result.errors.append(RowError(0, None, f"the database refused the import and nothing was written: {exc}"))
    return _finish(result)


def _finish(result: ImportResult) -> ImportResult:
    """Counts are only reported for an import that was (or would be) written."""
    if result.errors:
        result.created = result.updated = result.unchanged = 0
        result.outlets_created = result.sources_created = result.sources_updated = 0
        result.case_ids = {"created": [], "updated": [], "unchanged": []}
    return result
