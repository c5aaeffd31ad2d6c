"""Parsers of single cells of the long-form CSV: text in, a model value out or a
:class:`~testimony.imports.result.CellError` naming what is accepted.

Also the spreadsheet-formula rule every CSV export and the import share
(:func:`protect_formula`, :func:`unprotect_formula`).
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils import timezone
from django_countries import countries

from ..languages import ISO_639_1, language_name
from ..models import Precision, Sex, fold_outlet_name
from ..urls_normal import normal_url
from .result import CellError

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
    # The source is found by this form, as the admin and the API store it.
    return normal_url(text)


def parse_outlet(value: str) -> str:
    """An outlet's name, spaces folded as the admin and the API store it."""
    return fold_outlet_name(parse_text(value, 200))


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


# --------------------------------------------------------------------------- spreadsheet formulas

# OWASP's "CSV injection" rule: a spreadsheet reads a cell starting with one of
# these as a formula. An export writes such a cell with a leading ', which the
# spreadsheet shows as text; the import removes exactly that '.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# A value that itself starts with apostrophes before a trigger gets one more on
# export and loses one on import, so the round trip is exact for any value;
# a value starting with ' before anything else is left alone both ways.
_PROTECTED = re.compile(r"'*[=+\-@\t\r]")
_WRITTEN_PROTECTED = re.compile(r"'+[=+\-@\t\r]")


def protect_formula(value: str) -> str:
    """The cell as an export writes it: ``=SUM(A1)`` -> ``'=SUM(A1)``."""
    return "'" + value if value and _PROTECTED.match(value) else value


def unprotect_formula(cell: str) -> str:
    """The value of a cell an export may have protected: ``'=SUM(A1)`` -> ``=SUM(A1)``."""
    return cell[1:] if _WRITTEN_PROTECTED.match(cell) else cell
