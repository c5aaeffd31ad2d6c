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

from .measures import Period, parse_measure
from .selectors import PRECISE, period_rule

# Parameters whose values are intersected (any-of filters) or accumulated (all-of filters).
INTERSECTED = ("country", "reported_precision")
ACCUMULATED = ("narrative_all", "country_not")


def period_params(period: Period, study) -> dict | None:
    """Parameters selecting the defectors placed in a period; None if filters cannot express it."""
    rule = period_rule(period, study)
    params = {"reported_after": period.start.isoformat(), "reported_before": period.end.isoformat()}
    if not rule.placed_years:
        return {**params, "reported_precision": list(PRECISE)}
    if any(period.start <= jan1 <= period.end for jan1 in rule.overlapping_years):
        return None  # some year-only dates in the range count and others do not
    return params


def not_precise_params(period: Period, study) -> dict | None:
    years = period_rule(period, study).overlapping_years
    if not years:
        return None
    return {"reported_precision": [Precision.YEAR], "reported_after": min(years), "reported_before": max(years)}


def measure_params(measure_name: str, study) -> dict | None:
    if not measure_name:
        return None
    measure = parse_measure(measure_name)
    if measure.what == "total_defectors":
        return {}
    if measure.what == "sex":
        return {"sex": measure.arg}
    if measure.what == "country":
        return {"country": [measure.arg]}
    if measure.what == "countries":
        return {"country": list(measure.arg)}
    if measure.what == "not_countries":
        return {"country_not": list(measure.arg)}
    if measure.what in ("period", "share"):
        return period_params(measure.arg, study)
    return None  # not a count of defectors


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


def drilldown_url(study, subset: QueryDict, bucket: dict | None, count: int) -> str | None:
    """Link for a count, or None for zero counts and buckets the filters cannot express."""
    if bucket is None or not count:
        return None
    query = merge(subset, {**bucket, "study": study.code})
    if query is None:
        return None
    return f"{reverse('testimony:defector-list')}?{query.urlencode()}"
