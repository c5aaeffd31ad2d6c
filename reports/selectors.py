"""Every figure of a study's report, computed with database aggregates.

The HTML report, ``regenerate_report``, the CSV/JSON downloads and the API all
call :func:`study_report`, so a number has one home. Each table is one
grouped or conditional aggregate query; nothing loops over defector rows in
Python, so the whole report costs a small constant number of queries however
many defectors, countries or months there are.

Counting rules
- A study counts the defectors whose ``reported_on`` lies in its window,
  synthetic records excluded (unless ``include_synthetic``); restricted
  records are counted (they are hidden from lists, not from aggregates).
- A defector is placed in a month or period only if its date is precise
  enough to lie wholly inside it: a month- or day-precision date in the
  period, or a year-only date whose year (clipped to the window) lies wholly
  inside it (a year-only 2015 is inside "2015" and inside "Sep 2014 - Aug
  2015" for a window ending in August 2015, but not inside "Jun - Aug 2015").
  Year-only dates that overlap a period without fitting it are reported
  beside it as ``date_not_precise_enough``, never dropped or misplaced.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Max, Min, Q
from django.db.models.functions import ExtractYear, TruncMonth
from django_countries import countries

from coding.selectors import counted_tags, tags_counted_notice
from narratives.models import Narrative, Tag
from testimony.models import Defector, Precision
from testimony.regions import UNKNOWN, partition, region_q

from .measures import Measure, Period, parse_measure
from .models import Study
from .reconcile import NOT_COMPUTABLE, judge

SEXES = [s for s, _ in Defector.Sex.choices]
PRECISE = [Precision.DAY, Precision.MONTH]
NOT_PRECISE = "date_not_precise_enough"
NEVER = Q(pk__isnull=True)  # no row meets it; unlike pk__in=[] it compiles to SQL instead of emptying the query


def study_get(*, code: str) -> Study:
    return Study.objects.get(code=code)


def study_scope(*, study: Study, defectors=None, include_synthetic: bool = False):
    """The defectors a study counts, optionally within a pre-filtered subset."""
    scope = Defector.objects.all() if defectors is None else Defector.objects.filter(pk__in=defectors.values("pk"))
    scope = scope.in_window(study.window_start, study.window_end)
    return scope if include_synthetic else scope.excluding_synthetic()


@dataclass(frozen=True)
class PeriodRule:
    """The conditions that place a defector in a period, or leave it beside it."""

    placed: Q
    not_precise: Q
    placed_years: tuple  # 1 January of each year whose year-only dates count in the period
    overlapping_years: tuple  # ... of each year whose year-only dates may or may not fall in it


def period_rule(period: Period, study: Study) -> PeriodRule:
    placed_years, overlapping_years = [], []
    for year in range(study.window_start.year, study.window_end.year + 1):
        low = max(datetime.date(year, 1, 1), study.window_start)
        high = min(datetime.date(year, 12, 31), study.window_end)
        if period.start <= low and high <= period.end:
            placed_years.append(datetime.date(year, 1, 1))
        elif low <= period.end and period.start <= high:
            overlapping_years.append(datetime.date(year, 1, 1))
    precise = Q(reported_precision__in=PRECISE, reported_on__gte=period.start, reported_on__lte=period.end)
    year_only = Q(reported_precision=Precision.YEAR)
    placed = precise | (year_only & Q(reported_on__in=placed_years)) if placed_years else precise
    not_precise = year_only & Q(reported_on__in=overlapping_years) if overlapping_years else NEVER
    return PeriodRule(
        placed=placed,
        not_precise=not_precise,
        placed_years=tuple(placed_years),
        overlapping_years=tuple(overlapping_years),
    )


def window_months(study: Study) -> list[str]:
    """Every month of the window as YYYY-MM (the window, not the rows, is iterated)."""
    months, year, month = [], study.window_start.year, study.window_start.month
    while (year, month) <= (study.window_end.year, study.window_end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def narrative_tables(scope, narratives, regions, counted) -> dict:
    """Per narrative: defectors with a tagged quote (all, by sex, by region), tagged quotes,
    and defectors who also carry each other narrative.

    Grouped from the tag side, two queries for any codebook: one row per
    narrative comes back, never one per defector.
    """
    tags = counted.filter(quote__defector__in=scope)
    defector = "quote__defector"
    counts = {
        "defectors": Count(defector, distinct=True),
        "quotes": Count("quote", distinct=True),
        **{
            f"sex_{i}": Count(defector, distinct=True, filter=Q(quote__defector__sex=sex))
            for i, sex in enumerate(SEXES)
        },
        **{
            f"region_{i}": Count(defector, distinct=True, filter=region_q(slug, prefix="quote__defector__"))
            for i, slug in enumerate(regions)
        },
    }
    rows = {row["narrative__code"]: row for row in tags.values("narrative__code").annotate(**counts).order_by()}
    # Pairs join each tag to every tag of the same defector.
    also = {
        f"also_{i}": Count(defector, distinct=True, filter=Q(quote__defector__quotes__tags__narrative=n))
        for i, n in enumerate(narratives)
    }
    # The filter before annotate() restricts the joined tags themselves to counted ones (one subquery).
    paired = tags.filter(quote__defector__quotes__tags__in=counted.values("pk"))
    pair_rows = {row["narrative__code"]: row for row in paired.values("narrative__code").annotate(**also).order_by()}
    empty = dict.fromkeys([*counts, *also], 0)
    return {n.code: {**empty, **rows.get(n.code, {}), **pair_rows.get(n.code, {})} for n in narratives}


def country_name(code: str) -> str:
    return countries.name(code) or code if code else "Country unknown"


def _measures_of(figures) -> dict[str, Measure]:
    return {f.measure: parse_measure(f.measure) for f in figures if f.measure}


def _periods_of(measures: dict[str, Measure]) -> list[Period]:
    return sorted({m.arg for m in measures.values() if m.what in ("period", "share")}, key=lambda p: (p.start, p.end))


def _summary(scope, *, study, periods, measures) -> dict:
    """One conditional aggregate for the headline counts, periods and regions."""
    regions = partition()
    aggregates = {
        "total": Count("pk"),
        "restricted": Count("pk", filter=Q(visibility=Defector.Visibility.RESTRICTED)),
        "not_precise": Count("pk", filter=Q(reported_precision=Precision.YEAR)),
        "country_count": Count("country", distinct=True, filter=~Q(country="")),
        "first_day": Min("reported_on", filter=Q(reported_precision__in=PRECISE)),
        "last_day": Max("reported_on", filter=Q(reported_precision__in=PRECISE)),
        **{f"sex:{sex}": Count("pk", filter=Q(sex=sex)) for sex in SEXES},
        **{f"region:{slug}": Count("pk", filter=region_q(slug)) for slug in regions},
    }
    for i, period in enumerate(periods):
        rule = period_rule(period, study)
        aggregates[f"period:{i}"] = Count("pk", filter=rule.placed)
        aggregates[f"period:{i}:not_precise"] = Count("pk", filter=rule.not_precise)
    for name, measure in measures.items():
        if measure.what == "countries":
            aggregates[f"measure:{name}"] = Count("pk", filter=Q(country__in=measure.arg))
        elif measure.what == "not_countries":
            aggregates[f"measure:{name}"] = Count("pk", filter=~Q(country__in=measure.arg))
    return scope.aggregate(**aggregates)


def study_report(*, study: Study, defectors=None, include_synthetic: bool = False) -> dict:
    """The study's figures and tables over its window (or over a subset of defectors).

    Returns the JSON shape of docs/contract.md (``study``, ``window``, ``figures``,
    ``tables``) plus extra keys: ``title``, ``scope``, ``countries`` (with
    names), ``measures`` (every computed quantity by name) and
    ``restricted_defectors``.
    """
    figures = list(study.figures.all())
    narratives = list(Narrative.objects.filter(parent__isnull=True).order_by("display_order", "code"))
    measures = _measures_of(figures)
    periods = _periods_of(measures)
    scope = study_scope(study=study, defectors=defectors, include_synthetic=include_synthetic)

    summary = _summary(scope, study=study, periods=periods, measures=measures)
    by_country_rows = scope.values("country").annotate(n=Count("pk")).order_by("-n", "country")
    by_month_rows = (
        scope.filter(reported_precision__in=PRECISE)
        .annotate(month=TruncMonth("reported_on"))
        .values("month")
        .annotate(n=Count("pk"))
        .order_by("month")
    )
    by_year_rows = scope.annotate(year=ExtractYear("reported_on")).values("year").annotate(n=Count("pk")).order_by()
    regions = partition()
    per_narrative = narrative_tables(scope, narratives, regions, counted_tags(study=study))

    total = summary["total"]
    by_country = {row["country"] or UNKNOWN: row["n"] for row in by_country_rows}
    month_counts = {row["month"].strftime("%Y-%m"): row["n"] for row in by_month_rows}
    by_month = {month: month_counts.get(month, 0) for month in window_months(study)}
    by_month[NOT_PRECISE] = summary["not_precise"]
    by_year = {str(row["year"]): row["n"] for row in sorted(by_year_rows, key=lambda r: r["year"])}
    by_period = {
        period.label: {
            "title": period.title,
            "defectors": summary[f"period:{i}"],
            NOT_PRECISE: summary[f"period:{i}:not_precise"],
        }
        for i, period in enumerate(periods)
    }
    codes = [n.code for n in narratives]

    computed = {
        "total_defectors": total,
        "country_count": summary["country_count"],
        "narrative_count": len(narratives),
        "peak_month": _peak_month(by_month),
        "reported_months": _reported_months(summary),
        **{f"{sex}_defectors" if sex != "unknown" else "unknown_sex_defectors": summary[f"sex:{sex}"] for sex in SEXES},
        **{f"defectors_from_{code}": n for code, n in by_country.items() if code != UNKNOWN},
        **{f"defectors_{year}": n for year, n in by_year.items()},
    }
    not_precise = {}
    for i, period in enumerate(periods):
        for name, measure in measures.items():
            if measure.arg == period and measure.what == "period":
                computed[name] = summary[f"period:{i}"]
                not_precise[name] = summary[f"period:{i}:not_precise"]
            elif measure.arg == period and measure.what == "share":
                computed[name] = round(summary[f"period:{i}"] / total, 4) if total else None
                not_precise[name] = summary[f"period:{i}:not_precise"]
    for name, measure in measures.items():
        if measure.what in ("countries", "not_countries"):
            computed[name] = summary[f"measure:{name}"]
        elif measure.what == "country":
            computed.setdefault(name, 0)

    return {
        "study": study.code,
        "title": study.title,
        "window": {"start": study.window_start.isoformat(), "end": study.window_end.isoformat()},
        "scope": {
            "subset": defectors is not None,
            "includes_synthetic": include_synthetic,
            "rule": "reported_on inside the window" + ("" if include_synthetic else "; synthetic records excluded"),
        },
        "restricted_defectors": summary["restricted"],
        "figures": [_figure_entry(f, measures, computed, not_precise, summary, periods) for f in figures],
        "tables": {
            "by_sex": {sex: summary[f"sex:{sex}"] for sex in SEXES},
            "by_country": by_country,
            "by_month": by_month,
            "by_year": by_year,
            "by_period": by_period,
            "by_region": {slug: summary[f"region:{slug}"] for slug in regions},
            "by_narrative": {
                code: {"defectors": row["defectors"], "quotes": row["quotes"]} for code, row in per_narrative.items()
            },
            "narrative_pairs": {
                f"{first}+{second}": per_narrative[first][f"also_{j}"]
                for i, first in enumerate(codes)
                for j, second in enumerate(codes)
                if j > i
            },
            "narrative_by_sex": {
                code: {sex: row[f"sex_{i}"] for i, sex in enumerate(SEXES)} for code, row in per_narrative.items()
            },
            "narrative_by_region": {
                code: {slug: row[f"region_{i}"] for i, slug in enumerate(regions)}
                for code, row in per_narrative.items()
            },
        },
        "countries": [
            {"code": code, "name": country_name("" if code == UNKNOWN else code), "defectors": n}
            for code, n in by_country.items()
        ],
        "narratives": [{"code": n.code, "name": n.name, "colour": n.colour} for n in narratives],
        "measures": computed,
    }


def counted_tags_notice(*, study: Study, defectors=None) -> dict:
    """What the report page says about the tags its narrative figures count (rule, codebook versions)."""
    scope = study_scope(study=study, defectors=defectors)
    return tags_counted_notice(study=study, tags_in_scope=Tag.objects.filter(quote__defector__in=scope))


def _peak_month(by_month: dict) -> str | None:
    dated = {month: n for month, n in by_month.items() if month != NOT_PRECISE and n}
    if not dated:
        return None
    top = max(dated.values())
    return ",".join(month for month, n in dated.items() if n == top)


def _reported_months(summary: dict) -> str | None:
    if summary["first_day"] is None:
        return None
    return f"{summary['first_day']:%Y-%m}/{summary['last_day']:%Y-%m}"


def _figure_entry(figure, measures, computed, not_precise, summary, periods) -> dict:
    if figure.kind in ("count", "share"):
        published = int(figure.value) if figure.kind == "count" else float(figure.value)
    else:
        published = figure.value_text
    entry = {
        "key": figure.key,
        "measure": figure.measure,
        "kind": figure.kind,
        "computed": computed.get(figure.measure) if figure.measure else None,
        "published": published,
        "qualifier": figure.qualifier,
        "published_wording": figure.wording,
        "source": " \u2014 ".join(part for part in (figure.outlet, figure.source) if part),
        "source_url": figure.source_url,
        "status": figure.status,
    }
    measure = measures.get(figure.measure)
    if measure is None:
        entry.update(verdict=NOT_COMPUTABLE, reason="The database records nothing to compute this from.")
        entry["consistent"] = None
        return entry
    if measure.what == "share":
        index = periods.index(measure.arg)
        entry.update(numerator=summary[f"period:{index}"], denominator=summary["total"])
    undated = not_precise.get(figure.measure, 0)
    entry[NOT_PRECISE] = undated
    if entry["computed"] is None:
        verdict, reason = "inconsistent", "No defector in the window to compute it from."
    else:
        verdict, reason = judge(
            kind=figure.kind,
            qualifier=figure.qualifier,
            published=published,
            computed=entry["computed"],
            undated=undated,
        )
    entry.update(verdict=verdict, reason=reason, consistent=verdict == "consistent")
    return entry
