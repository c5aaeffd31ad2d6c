"""What a report computes: a published figure is a *measure*, an aggregate
over a selection of the study's defectors, optionally over a denominator.

Selections are written in the query-string vocabulary of ``/defectors/``
(``DefectorFilterSet``): ``country=SY``, ``sex=female&region=western_europe``,
``narrative=brutality``, ``reported_after=2015-06-01&reported_before=2015-08-31``.
So a figure drills down by construction (its link is its own selection) and
researchers add figures of later studies in the admin without code.

Aggregates (``Aggregate`` in reports/models.py): ``count`` and ``share``
(defectors; a share is the selection's count over the denominator's, both
inside the scope), ``distinct_countries``, ``peak_month`` and
``reported_months`` (first and last month with a precisely dated defector),
and ``narrative_count`` (the codebook's top-level codes).

Dates: a selection's ``reported_after``/``reported_before`` count a year-only
date as 1 January of its year, as on ``/defectors/``. A figure about a period
that a year-only date may or may not fall in says how many such defectors
there are (``date_not_precise_enough``): those its selection would hold, but
for the dates, whose year (clipped to the window) overlaps the period.
"""

import calendar
import datetime
from dataclasses import dataclass, field

from django.http import QueryDict

# Query parameters of /defectors/ that do not choose defectors.
NOT_SELECTING = ("page", "page_size", "ordering", "format")
DATE_KEYS = ("reported_after", "reported_before", "reported_precision")


class SelectionError(ValueError):
    pass


def selection_query(text, *, mutable: bool = False) -> QueryDict:
    """A selection's query string as parameters, unvalidated (see parse_selection)."""
    return QueryDict(str(text or "").strip().lstrip("?"), mutable=mutable)


def parse_selection(text, *, allow_study: bool = True) -> QueryDict:
    """A selection's query string, validated by DefectorFilterSet (the one filter vocabulary)."""
    from testimony.filters import DefectorFilterSet

    query = selection_query(text, mutable=True)
    filterset = DefectorFilterSet(query)
    unknown = [key for key in query if key not in filterset.filters or key in NOT_SELECTING]
    if not allow_study:
        unknown += [key for key in ("study", "member_of") if key in query]
    if unknown:
        known = ", ".join(name for name in filterset.filters if name not in NOT_SELECTING)
        raise SelectionError(f"Unknown filter {', '.join(unknown)!s}; use the /defectors/ filters: {known}.")
    if not filterset.is_valid():
        reasons = "; ".join(f"{key}: {' '.join(errors)}" for key, errors in filterset.errors.items())
        raise SelectionError(f"Invalid selection {query.urlencode()!r}: {reasons}")
    return query


def select(defectors, params: QueryDict):
    """The defectors of a (Defector) queryset that a selection chooses."""
    from testimony.filters import DefectorFilterSet

    if not params:
        return defectors
    return DefectorFilterSet(params, queryset=defectors).qs


@dataclass(frozen=True)
class Period:
    """Whole months from ``start`` (a first day) to ``end`` (a last day), inclusive."""

    start: datetime.date
    end: datetime.date

    @classmethod
    def months(cls, year: int, first: int, last_year: int, last: int) -> "Period":
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


def overlapping_years(after, before, window_start, window_end) -> list[datetime.date]:
    """1 January of each window year whose (clipped) span overlaps [after, before] without lying inside it."""
    years = []
    for year in range(window_start.year, window_end.year + 1):
        low = max(datetime.date(year, 1, 1), window_start)
        high = min(datetime.date(year, 12, 31), window_end)
        if low <= before and after <= high and not (after <= low and high <= before):
            years.append(datetime.date(year, 1, 1))
    return years


@dataclass
class Measure:
    """One computed quantity: its aggregate over a selection (and denominator) of the scope."""

    name: str
    aggregate: str
    selection: QueryDict = field(default_factory=QueryDict)
    denominator: QueryDict = field(default_factory=QueryDict)

    @classmethod
    def of(cls, figure) -> "Measure | None":
        if not figure.aggregate:
            return None
        # Checked when the figure was saved (PublishedFigure.clean); building a FilterSet per
        # figure again here would cost more than the report's queries.
        return cls(
            figure.measure_name,
            figure.aggregate,
            QueryDict(figure.selection.strip().lstrip("?")),
            QueryDict(figure.denominator.strip().lstrip("?")),
        )

    @property
    def counts_people(self) -> bool:
        """A small value of a count of people could single someone out (disclosure control)."""
        return self.aggregate in ("count", "share")

    def dates(self) -> tuple[datetime.date | None, datetime.date | None]:
        after, before = self.selection.get("reported_after"), self.selection.get("reported_before")
        return (
            datetime.date.fromisoformat(after) if after else None,
            datetime.date.fromisoformat(before) if before else None,
        )

    @property
    def period(self) -> Period | None:
        """The period of a count of a pure date selection whose bounds are whole months."""
        after, before = self.dates()
        if not after or not before or self.aggregate not in ("count", "share") or self.denominator:
            return None
        if any(key not in DATE_KEYS for key in self.selection) or after.day != 1:
            return None
        if before.day != calendar.monthrange(before.year, before.month)[1]:
            return None
        return Period(after, before)

    def undated_selection(self, study) -> tuple[QueryDict, list[datetime.date]] | None:
        """The selection without its dates and the years whose year-only dates may fall in them."""
        after, before = self.dates()
        if not after and not before:
            return None
        start, end = study.window_start, study.window_end
        years = overlapping_years(after or start, before or end, start, end)
        if not years:
            return None
        rest = self.selection.copy()
        for key in DATE_KEYS:
            rest.pop(key, None)
        return rest, years

    def drilldown(self) -> QueryDict | None:
        """The /defectors/ parameters listing the defectors counted (the numerator of a share)."""
        if not self.counts_people:
            return None
        query = self.selection.copy()
        for key, values in self.denominator.lists():
            if key in query and query.getlist(key) != values:
                return None  # the two do not combine into one query string
            query.setlist(key, values)
        return query

    def is_about(self, subset: QueryDict) -> bool:
        """Whether the figure's selection holds the subset's every filter (a subset report can judge it)."""
        chosen = self.drilldown()
        if chosen is None:
            return False
        return all(sorted(chosen.getlist(key)) == sorted(values) for key, values in subset.lists())


def field_q(params: QueryDict):
    """The selection as a plain condition on the defector's own fields, or None when a filter
    needs a join (narratives, outlets, search, studies).

    The same as DefectorFilterSet for these filters, but inline: a report's dozens of figures
    then cost conditions in one aggregate instead of a subquery each (bench/bench_report.py).
    """
    from django.db.models import Q

    from testimony.regions import region_q

    condition = Q()
    for key, values in params.lists():
        values = [v for v in values if v]
        if not values:
            continue
        if key in ("sex", "provenance"):
            condition &= Q(**{key: values[-1]})
        elif key in ("country", "reported_precision"):
            condition &= Q(**{f"{key}__in": values})
        elif key in ("country_not", "provenance_not"):
            condition &= ~Q(**{f"{key.removesuffix('_not')}__in": values})
        elif key == "reported_after":
            condition &= Q(reported_on__gte=values[-1])
        elif key == "reported_before":
            condition &= Q(reported_on__lte=values[-1])
        elif key == "region":
            condition &= region_q(values[-1])
        else:
            return None
    return condition
