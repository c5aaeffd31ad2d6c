"""Statistical disclosure control: small counts are not shown to users who may
not see identities, so that a figure cannot single out a person ("one woman
from one country in one month").

``TESTIMONY_MIN_CELL`` is the smallest count shown to users without
``testimony.view_identity``.

- Primary suppression: a count from 1 to ``min_cell - 1`` is replaced by the
  text ``"<min_cell"`` (zeros stay: they point at nobody).
- Secondary suppression: a hidden count must not follow from the counts that
  are shown. Every count of people in the report is a sum of *atoms* (the
  defectors of one month, one country, one sex, a narrative's defectors of one
  sex and region...): a table's total is the sum of its cells, a region the
  sum of its countries, a year its months plus its year-only dates, a period
  its months. A hidden count whose atoms are a linear combination of shown
  counts can be worked out (total minus the other cells), so further counts
  are hidden, shown as ``"≥min_cell"``, until none can: the smallest non-zero
  count of the same table first (the classic rule), the grand total only when
  nothing else will do (every cell of a table small: 7 women from 7 countries).
  Hidden counts whose known sum pins each of them (two hidden cells adding up
  to 2, or to 2 x (min_cell - 1)) are treated alike.
- The same quantity is hidden everywhere it appears: a table cell, the list
  of countries, the measures, a figure's computed value, numerator and
  denominator; a share is hidden with its numerator or denominator.

What this does not stop: differencing across requests (a subset and the same
subset without one country) and comparing a report (which counts restricted
records) with the defector list (which does not). Subset requests of users
without identity access are recorded in the access log for that reason
(reports.subset.record_subset_request; README, "Security").
"""

import copy
import datetime
import re
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations

from django.http import QueryDict

from accounts.access import masked
from testimony.regions import COUNTRY_GROUPS, MAPPED_COUNTRIES, OTHER, REGIONS, UNKNOWN

from .measures import Measure, Period

HIDDEN = "hidden"  # the verdict of a figure whose computed value is not shown
NOT_PRECISE = "date_not_precise_enough"

# Figures that count things other than people (narratives of the codebook,
# countries, months): a small value of these points at nobody.
NOT_PERSON_COUNTS = frozenset({"narrative_count", "country_count", "peak_month", "reported_months"})

TOTAL = ("total",)


def is_masked(value) -> bool:
    return isinstance(value, str) and value[:1] in ("<", "\u2265")


def suppressed_text(min_cell: int) -> str:
    return f"\u2265{min_cell}"


# --- Which counts are sums of which atoms -------------------------------------


@dataclass(frozen=True)
class Cell:
    key: tuple  # where the count lives (TOTAL, ("by_sex", "male"), ...), one key per quantity
    value: int
    atoms: frozenset  # what it adds up, within its dimension


def _months(start: datetime.date, end: datetime.date) -> list[str]:
    months, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _period_years(label: str, window_start, window_end):
    """Years whose year-only dates a period counts (placed) or reports beside it
    (overlapping): reports.selectors.period_rule's rule, on the period's label."""
    first, _, last = label.partition("/")
    last = last or first
    start = datetime.date(int(first[:4]), int(first[5:7]), 1)
    end_year, end_month = int(last[:4]), int(last[5:7])
    end = datetime.date(end_year + (end_month == 12), end_month % 12 + 1, 1) - datetime.timedelta(days=1)
    placed, overlapping = [], []
    for year in range(window_start.year, window_end.year + 1):
        low = max(datetime.date(year, 1, 1), window_start)
        high = min(datetime.date(year, 12, 31), window_end)
        if start <= low and high <= end:
            placed.append(year)
        elif low <= end and start <= high:
            overlapping.append(year)
    return start, end, placed, overlapping


def _region_countries(slug: str, present) -> set:
    if slug in REGIONS:
        return set(REGIONS[slug][1]) & present
    if slug == UNKNOWN:
        return {UNKNOWN} & present
    if slug == OTHER:
        return {c for c in present if c not in MAPPED_COUNTRIES and c != UNKNOWN}
    return set()


@dataclass(frozen=True)
class _Spec:
    """What a measure counts, read from its figure's selection: ``what`` is total, sex,
    country, countries, not_countries, period or share, ``arg`` its value."""

    what: str
    arg: object = None


def measure_spec(name: str, report: dict) -> _Spec | None:
    """The quantity a report measure counts, from the selection of the figure that names it
    (reports.measures.Measure), or None when it is no count of people or not one of the
    report's tables' cells (then it is masked on its own)."""
    if name in NOT_PERSON_COUNTS:
        return None
    figure = next((f for f in report["figures"] if f["measure"] == name), None)
    if figure is None:
        return _built_in_spec(name)
    if not figure.get("counts_people") or figure.get("denominator_selection"):
        return None
    selection = QueryDict(figure["selection"].strip().lstrip("?"))
    measure = Measure(name, figure["aggregate"], selection)
    if figure["aggregate"] == "share":
        return _Spec("share", measure.period) if measure.period else None
    keys = set(selection)
    values = {key: [v for v in selection.getlist(key) if v] for key in keys}
    if not keys:
        return _Spec("total_defectors")
    if keys == {"sex"} and len(values["sex"]) == 1:
        return _Spec("sex", values["sex"][0])
    if keys == {"country"}:
        countries = tuple(values["country"])
        return _Spec("country", countries[0]) if len(countries) == 1 else _Spec("countries", countries)
    if keys == {"country_not"}:
        return _Spec("not_countries", tuple(values["country_not"]))
    if keys == {"region"} and len(values["region"]) == 1:
        groups = {**REGIONS, **COUNTRY_GROUPS}
        return _Spec("countries", tuple(groups[values["region"][0]][1])) if values["region"][0] in groups else None
    if measure.period:
        return _Spec("period", measure.period)
    return None


def _built_in_spec(name: str) -> _Spec | None:
    """The measures every report computes without a figure (reports.selectors.study_report:
    the total, each sex, each country, each year)."""
    if name == "total_defectors":
        return _Spec("total_defectors")
    sexes = {"male_defectors": "male", "female_defectors": "female", "unknown_sex_defectors": "unknown"}
    if name in sexes:
        return _Spec("sex", sexes[name])
    if match := re.fullmatch(r"defectors_from_([A-Z]{2})", name):
        return _Spec("country", match[1])
    if match := re.fullmatch(r"defectors_(\d{4})", name):
        year = int(match[1])
        return _Spec("period", Period.months(year, 1, year, 12))
    return None


def measure_key(name: str, report: dict):
    """The key of the quantity a measure names, or None when it is not a count of people."""
    spec = measure_spec(name, report)
    if spec is None:
        return None
    if spec.what == "total_defectors":
        return TOTAL
    if spec.what == "sex":
        return ("by_sex", spec.arg)
    if spec.what == "country":
        return ("by_country", spec.arg)
    if spec.what in ("countries", "not_countries"):
        return ("measure", name)
    if spec.what == "period":
        if spec.arg.label in report["tables"]["by_period"]:
            return ("by_period", spec.arg.label, "defectors")
        if spec.arg.start.month == 1 and spec.arg.end.month == 12 and spec.arg.start.year == spec.arg.end.year:
            year = str(spec.arg.start.year)
            if year in report["tables"]["by_year"]:
                return ("by_year", year)
    return None


def dimensions(report: dict) -> list[list[Cell]]:
    """The report's counts of people, grouped by what they add up (time, sex,
    place, each narrative); the grand total belongs to the first three."""
    tables = report["tables"]
    window_start = datetime.date.fromisoformat(report["window"]["start"])
    window_end = datetime.date.fromisoformat(report["window"]["end"])
    total = report["measures"]["total_defectors"]

    months = _months(window_start, window_end)
    years = list(range(window_start.year, window_end.year + 1))
    year_only = {year: ("year only", year) for year in years}
    time = [Cell(TOTAL, total, frozenset(months) | frozenset(year_only.values()))]
    time += [Cell(("by_month", m), n, frozenset({m})) for m, n in tables["by_month"].items() if m != NOT_PRECISE]
    time.append(Cell(("by_month", NOT_PRECISE), tables["by_month"][NOT_PRECISE], frozenset(year_only.values())))
    for year in years:
        atoms = frozenset(m for m in months if m.startswith(f"{year:04d}-")) | {year_only[year]}
        # A year absent from the table is a zero anyone can read.
        time.append(Cell(("by_year", str(year)), tables["by_year"].get(str(year), 0), atoms))
    for label, row in tables["by_period"].items():
        start, end, placed, overlapping = _period_years(label, window_start, window_end)
        inside = {m for m in months if start.strftime("%Y-%m") <= m <= end.strftime("%Y-%m")}
        time.append(
            Cell(
                ("by_period", label, "defectors"), row["defectors"], frozenset(inside | {year_only[y] for y in placed})
            )
        )
        time.append(
            Cell(("by_period", label, NOT_PRECISE), row[NOT_PRECISE], frozenset(year_only[y] for y in overlapping))
        )

    sex = [Cell(TOTAL, total, frozenset(tables["by_sex"]))]
    sex += [Cell(("by_sex", s), n, frozenset({s})) for s, n in tables["by_sex"].items()]

    present = set(tables["by_country"])
    place = [Cell(TOTAL, total, frozenset(present))]
    place += [Cell(("by_country", c), n, frozenset({c})) for c, n in tables["by_country"].items()]
    place += [
        Cell(("by_region", r), n, frozenset(_region_countries(r, present))) for r, n in tables["by_region"].items()
    ]
    for name, value in report["measures"].items():
        key = measure_key(name, report)
        if key and key[0] == "measure" and isinstance(value, int):
            spec = measure_spec(name, report)
            chosen = present & set(spec.arg)
            place.append(Cell(key, value, frozenset(chosen if spec.what == "countries" else present - chosen)))

    found = [time, sex, place]
    for code, row in tables["narrative_by_sex"].items():
        regions = list(tables["narrative_by_region"].get(code, {}))
        grid = frozenset((s, r) for s in row for r in regions)
        narrative = [Cell(("by_narrative", code, "defectors"), tables["by_narrative"][code]["defectors"], grid)]
        narrative += [
            Cell(("narrative_by_sex", code, s), n, frozenset((s, r) for r in regions)) for s, n in row.items()
        ]
        narrative += [
            Cell(("narrative_by_region", code, r), n, frozenset((s, r) for s in row))
            for r, n in tables["narrative_by_region"].get(code, {}).items()
        ]
        found.append(narrative)
    return found


# --- Which hidden counts could be worked out ---------------------------------


class _Span:
    """The linear span of some cells' atom sets, over the rationals (reduced row echelon)."""

    def __init__(self, cells):
        self.rows: dict = {}  # pivot atom -> row (atom -> Fraction), pivot coefficient 1
        for cell in cells:
            self.add(dict.fromkeys(cell.atoms, Fraction(1)))

    @staticmethod
    def _eliminate(target: dict, pivot, row: dict) -> None:
        """Subtract from ``target`` the multiple of ``row`` (pivot coefficient 1) that clears ``pivot``."""
        factor = target.get(pivot)
        if factor:
            for atom, coefficient in row.items():
                value = target.get(atom, 0) - factor * coefficient
                if value:
                    target[atom] = value
                else:
                    target.pop(atom, None)

    def reduce(self, vector: dict) -> dict:
        vector = dict(vector)
        for pivot, row in self.rows.items():
            self._eliminate(vector, pivot, row)
        return vector

    def add(self, vector: dict) -> None:
        vector = self.reduce(vector)
        if not vector:
            return
        pivot = min(vector, key=repr)
        scale = vector[pivot]
        vector = {atom: value / scale for atom, value in vector.items()}
        for row in self.rows.values():
            self._eliminate(row, pivot, vector)
        self.rows[pivot] = vector

    def contains(self, atoms) -> bool:
        return not self.reduce(dict.fromkeys(atoms, Fraction(1)))


def _sum_of(cells) -> dict:
    vector: dict = {}
    for cell in cells:
        for atom in cell.atoms:
            vector[atom] = vector.get(atom, 0) + Fraction(1)
    return vector


def _exposed(cells, hidden: set, min_cell: int):
    """Hidden cells whose sum the shown cells give away, one cell alone or small
    ones pinned by their known sum; None when there are none."""
    span = _Span(c for c in cells if c.key not in hidden)
    hidden_cells = [c for c in cells if c.key in hidden and c.value]
    for cell in hidden_cells:
        if span.contains(cell.atoms):
            return (cell,)
    # A known sum of small hidden counts at the edge of what they can be (1 + 1, or
    # (min_cell - 1) twice) pins every one of them.
    small = [c for c in hidden_cells if c.value < min_cell]
    groups = [pair for pair in combinations(small, 2)]
    by_table: dict = {}
    for c in small:
        by_table.setdefault(c.key[:-1], []).append(c)
    groups += [tuple(group) for group in by_table.values() if len(group) > 2]
    # ... and those of one table inside another count (the countries of a region).
    for outer in cells:
        inside: dict = {}
        for c in small:
            if c is not outer and c.atoms <= outer.atoms:
                inside.setdefault(c.key[:-1], []).append(c)
        groups += [tuple(group) for group in inside.values() if len(group) > 1]
    for group in groups:
        known = sum(c.value for c in group)
        if known in (len(group), len(group) * (min_cell - 1)) and not span.reduce(_sum_of(group)):
            return group
    return None


def _still_known(cells, hidden: set, group) -> bool:
    return not _Span(c for c in cells if c.key not in hidden).reduce(_sum_of(group))


def secondary_suppression(cells, hidden: set, min_cell: int) -> set:
    """The keys to hide besides ``hidden`` so that no hidden count of ``cells`` can be worked out.

    Greedy: while some hidden count follows from the shown ones, hide the
    smallest non-zero shown count (of the same table first) whose hiding alone
    covers it; failing that, the grand total if that covers it (every cell of a
    table is small and the total is their sum: 7 women from 7 countries);
    failing that, the smallest count touching it, and look again."""
    hidden = set(hidden)
    added = set()
    while (group := _exposed(cells, hidden, min_cell)) is not None:
        target = group[0]
        atoms = frozenset().union(*(c.atoms for c in group))
        shown = [c for c in cells if c.key not in hidden and c.value]
        candidates = sorted(
            (c for c in shown if c.key != TOTAL), key=lambda c: (c.key[:-1] != target.key[:-1], c.value, repr(c.key))
        )
        total = [c for c in shown if c.key == TOTAL]
        choice = next((c for c in candidates if not _still_known(cells, hidden | {c.key}, group)), None)
        if choice is None:
            # No one count covers it: hide counts touching it one by one if together
            # they can, else the total.
            touching = [c for c in candidates if c.atoms & atoms] or candidates
            without_all = hidden | {c.key for c in candidates}
            if touching and not _still_known(cells, without_all, group):
                choice = touching[0]
            elif total:
                choice = total[0]
            else:  # everything is hidden already
                break
        hidden.add(choice.key)
        added.add(choice.key)
    return added


# --- The protected report ------------------------------------------------------


def protect(report: dict, *, min_cell: int) -> dict:
    """A copy of ``study_report``'s dict with small counts hidden, and the counts
    that would give them back; the report itself when ``min_cell`` <= 1."""
    if min_cell <= 1:
        return report
    report = copy.deepcopy(report)
    groups = dimensions(report)
    primary = {c.key for cells in groups for c in cells if 0 < c.value < min_cell}
    secondary = set()
    # Dimensions share the grand total: hiding it in one can expose it in another.
    while True:
        before = len(secondary)
        for cells in groups:
            secondary |= secondary_suppression(cells, primary | secondary, min_cell)
        if len(secondary) == before:
            break
    shown_as = {}  # key -> what replaced its count, to count each hidden quantity once

    def show(key, value):
        result = suppressed_text(min_cell) if key in secondary else masked(value, min_cell)
        if result is not value:
            shown_as[key] = result
        return result

    def walk(node, path):
        if isinstance(node, dict):
            return {key: walk(value, (*path, key)) for key, value in node.items()}
        return show(path, node)

    def share_hidden(period_label) -> bool:
        key = ("by_period", period_label, "defectors")
        return TOTAL in primary | secondary or key in primary | secondary

    def mask_measure(name, value):
        if name in NOT_PERSON_COUNTS:
            return value
        spec = measure_spec(name, report)
        if spec is not None and spec.what == "share":  # a share of the total gives its period's count back
            return None if share_hidden(spec.arg.label) else value
        return show(measure_key(name, report) or ("measure", name), value)

    report["tables"] = walk(report["tables"], ())
    report["restricted_defectors"] = show(("restricted",), report["restricted_defectors"])
    for country in report["countries"]:
        country["defectors"] = show(("by_country", country["code"]), country["defectors"])
    report["measures"] = {name: mask_measure(name, value) for name, value in report["measures"].items()}
    for figure in report["figures"]:
        _protect_figure(figure, report, show, share_hidden, min_cell)
    report["disclosure_control"] = {
        "min_cell": min_cell,
        "hidden_cells": len(shown_as),
        "rule": (
            f"counts from 1 to {min_cell - 1} are shown as <{min_cell}; counts from which one of them could be "
            f"worked out (a total less the other cells) as \u2265{min_cell}; shares built on them are hidden"
        ),
    }
    return report


def _protect_figure(figure, report, show, share_hidden, min_cell) -> None:
    measure = figure["measure"]
    period = None
    if measure and figure["kind"] in ("count", "share"):
        spec = measure_spec(measure, report)
        if spec and spec.what in ("period", "share"):
            period = spec.arg.label
    if NOT_PRECISE in figure:
        key = ("by_period", period, NOT_PRECISE) if period else ("figure", figure["key"], NOT_PRECISE)
        figure[NOT_PRECISE] = show(key, figure[NOT_PRECISE])
    if figure["kind"] == "share" and "numerator" in figure:
        figure["numerator"] = show(("by_period", period, "defectors"), figure["numerator"])
        figure["denominator"] = show(TOTAL, figure["denominator"])
        if share_hidden(period) or is_masked(figure["numerator"]):  # share x total gives the count back
            figure["computed"] = None
    elif figure["kind"] == "count" and figure.get("counts_people") and figure["computed"] is not None:
        key = measure_key(measure, report) if measure else None
        figure["computed"] = show(key or ("figure", figure["key"]), figure["computed"])
    share_gone = (
        figure["kind"] == "share" and "numerator" in figure and (share_hidden(period) or is_masked(figure["numerator"]))
    )
    if share_gone or is_masked(figure["computed"]):
        # The verdict and its reason quote the computed value; beside a published
        # figure they would give it back.
        figure.update(
            verdict=HIDDEN,
            consistent=None,
            reason=f"Fewer than {min_cell} defectors, or a count that would give one back: "
            "not shown (disclosure control).",
        )
