"""The names of the quantities a report computes, and what each one means.

A published figure names its ``measure``; this module parses the name into
a spec the selector can aggregate. The grammar is small and readable so that
researchers can add figures of later studies in the admin:

- ``total_defectors``, ``male_defectors``, ``female_defectors``,
  ``unknown_sex_defectors``, ``country_count``, ``narrative_count``;
- ``defectors_from_SY`` (one country), ``defectors_from_western_europe``
  (a region or grouping of testimony/regions.py), ``defectors_not_from_GB_SY``
  (anyone but these countries, including unknown);
- periods, counted at month precision: ``defectors_2015`` (a year),
  ``defectors_2015_07`` (a month), ``defectors_jun_aug_2015``,
  ``defectors_sep_2014_aug_2015``; and shares of the window's total:
  ``share_2015_jan_aug``, ``share_jun_aug_2015``;
- ``peak_month`` (the month with most defectors) and ``reported_months``
  (first and last month with a defector, to check a stated window).
"""

import calendar
import datetime
import re
from dataclasses import dataclass

from testimony.regions import COUNTRY_GROUPS, REGIONS

MONTHS = {name: number for number, name in enumerate(calendar.month_abbr) if name}
MONTHS = {name.lower(): number for name, number in MONTHS.items()}
_MON = "(" + "|".join(MONTHS) + ")"

SEX_MEASURES = {"male_defectors": "male", "female_defectors": "female", "unknown_sex_defectors": "unknown"}
SIMPLE_MEASURES = {"total_defectors", "country_count", "narrative_count", "peak_month", "reported_months"}


class UnknownMeasureError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    """Whole months from ``start`` (a first day) to ``end`` (a last day), inclusive."""

    start: datetime.date
    end: datetime.date

    @classmethod
    def months(cls, year: int, first: int, last_year: int, last: int) -> "Period":
        if (last_year, last) < (year, first):
            raise UnknownMeasureError("The period ends before it starts.")
        end_day = calendar.monthrange(last_year, last)[1]
        return cls(datetime.date(year, first, 1), datetime.date(last_year, last, end_day))

    @property
    def label(self) -> str:
        first, last = self.start.strftime("%Y-%m"), self.end.strftime("%Y-%m")
        return first if first == last else f"{first}/{last}"

    @property
    def title(self) -> str:
        first, last = self.start.strftime("%b %Y"), self.end.strftime("%b %Y")
        return first if first == last else f"{first} \u2013 {last}"


@dataclass(frozen=True)
class Measure:
    name: str
    what: str  # total | sex | country | countries | not_countries | period | share | simple names
    arg: object = None


def _parse_period(rest: str) -> Period | None:
    if m := re.fullmatch(r"(\d{4})", rest):
        year = int(m[1])
        return Period.months(year, 1, year, 12)
    if m := re.fullmatch(r"(\d{4})_(\d{2})", rest):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise UnknownMeasureError(f"No month {month} in {rest!r}.")
        return Period.months(year, month, year, month)
    if m := re.fullmatch(rf"{_MON}_{_MON}_(\d{{4}})", rest):
        year = int(m[3])
        return Period.months(year, MONTHS[m[1]], year, MONTHS[m[2]])
    if m := re.fullmatch(rf"(\d{{4}})_{_MON}_{_MON}", rest):
        year = int(m[1])
        return Period.months(year, MONTHS[m[2]], year, MONTHS[m[3]])
    if m := re.fullmatch(rf"{_MON}_(\d{{4}})_{_MON}_(\d{{4}})", rest):
        return Period.months(int(m[2]), MONTHS[m[1]], int(m[4]), MONTHS[m[3]])
    return None


def parse_measure(name: str) -> Measure:
    if name in SIMPLE_MEASURES:
        return Measure(name, name)
    if name in SEX_MEASURES:
        return Measure(name, "sex", SEX_MEASURES[name])
    if m := re.fullmatch(r"defectors_from_([A-Z]{2})", name):
        return Measure(name, "country", m[1])
    if m := re.fullmatch(r"defectors_from_([a-z_]+)", name):
        groups = {**REGIONS, **COUNTRY_GROUPS}
        if m[1] not in groups:
            raise UnknownMeasureError(f"Unknown region {m[1]!r}; known: {', '.join(groups)}.")
        return Measure(name, "countries", tuple(groups[m[1]][1]))
    if m := re.fullmatch(r"defectors_not_from_((?:[A-Z]{2}_)*[A-Z]{2})", name):
        return Measure(name, "not_countries", tuple(m[1].split("_")))
    if name.startswith("defectors_") and (period := _parse_period(name.removeprefix("defectors_"))):
        return Measure(name, "period", period)
    if name.startswith("share_") and (period := _parse_period(name.removeprefix("share_"))):
        return Measure(name, "share", period)
    raise UnknownMeasureError(
        f"Unknown measure {name!r}: use e.g. total_defectors, defectors_from_SY, defectors_jun_aug_2015, "
        "share_2015_jan_aug or peak_month (see reports/measures.py)."
    )
