"""Drill-down links: for each count of a report, the ``/defectors/`` query
that lists exactly the defectors behind it (DefectorFilterSet parameters).

The page's own subset filters are kept and intersected with the bucket's, so
that a count on "the study for women only" links to those women only.
"""

import datetime

from django.http import QueryDict
from django.urls import reverse

from testimony.models import Precision
from testimony.regions import UNKNOWN

from .measures import Period, overlapping_years

PRECISE = [Precision.DAY, Precision.MONTH]
# Parameters whose values are intersected (any-of filters) or accumulated (all-of filters).
INTERSECTED = ("country", "reported_precision")
ACCUMULATED = ("narrative_all", "country_not", "provenance_not")


def period_params(period: Period, study) -> dict | None:
    """Parameters selecting the defectors a table places in a period; None if filters cannot express it.

    The date filters count a year-only date as 1 January of its year; where that would place
    one the table does not (its year only overlaps the period), only precise dates are asked for.
    """
    params = {"reported_after": period.start.isoformat(), "reported_before": period.end.isoformat()}
    misplaced = [
        jan1
        for jan1 in overlapping_years(period.start, period.end, study.window_start, study.window_end)
        if period.start <= jan1 <= period.end
    ]
    if not misplaced:
        return params
    years = range(max(period.start.year, study.window_start.year), min(period.end.year, study.window_end.year) + 1)
    placed = [
        datetime.date(year, 1, 1)
        for year in years
        if datetime.date(year, 1, 1) not in misplaced and period.start <= datetime.date(year, 1, 1) <= period.end
    ]
    return None if placed else {**params, "reported_precision": list(PRECISE)}


def not_precise_params(period: Period, study) -> dict | None:
    years = overlapping_years(period.start, period.end, study.window_start, study.window_end)
    if not years:
        return None
    return {"reported_precision": [Precision.YEAR], "reported_after": min(years), "reported_before": max(years)}


def measure_params(figure: dict) -> dict | None:
    """A figure's drill-down: its own selection (with its denominator's for a share)."""
    if not figure.get("counts_people"):
        return None
    from .measures import Measure, selection_query

    # The report computed this figure from these selections, validated then; a link needs
    # only their parameters (validating each again cost the page 40 ms of FilterSets).
    measure = Measure(
        figure["measure"],
        figure["aggregate"],
        selection_query(figure["selection"]),
        selection_query(figure["denominator_selection"]),
    )
    query = measure.drilldown()
    return None if query is None else {key: query.getlist(key) for key in query}


def country_params(code: str) -> dict:
    return {"region": UNKNOWN} if code == UNKNOWN else {"country": [code]}


def _date(value):
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return None


def merge(subset: QueryDict, bucket: dict) -> QueryDict | None:
    """The subset's parameters narrowed by the bucket's; None when they cannot both hold."""
    query = subset.copy()
    for key, value in bucket.items():
        values = [str(v) for v in (value if isinstance(value, list | tuple) else [value])]
        existing = query.getlist(key)
        if existing and key in ("reported_after", "reported_before"):
            dates = [d for d in (_date(existing[0]), _date(values[0])) if d]
            values = [(max if key == "reported_after" else min)(dates).isoformat()]
        elif existing and key in INTERSECTED:
            values = [v for v in values if v in existing]
        elif key in ACCUMULATED:
            values = existing + values
        elif existing and existing != values:
            return None  # e.g. sex=female on a male count: it is 0 and has no list
        if not values:
            return None
        query.setlist(key, values)
    return query


def drilldown_url(study, subset: QueryDict, bucket: dict | None, count: int, *, scope: str = "today") -> str | None:
    """Link for a count, or None for zero counts and buckets the filters cannot express.

    As published, a count lists the study's members (``member_of``); today, the
    defectors meeting its criteria (``study``).
    """
    if bucket is None or not count:
        return None
    query = merge(subset, {**bucket, ("member_of" if scope == "published" else "study"): study.code})
    if query is None:
        return None
    return f"{reverse('testimony:defector-list')}?{query.urlencode()}"
