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

from collections import Counter, defaultdict

from django.db import connections
from django.db.models import Case, Count, Max, Min, Q, Sum, Value, When
from django.db.models.functions import ExtractYear, TruncMonth

from coding.selectors import counted_tags, tags_counted_notice
from narratives.models import Narrative, Tag
from testimony.models import Defector, Precision
from testimony.regions import UNKNOWN, partition, region_q
from testimony.selectors import country_name as testimony_country_name

from .measures import Measure
from .models import Study
from .reconcile import NOT_COMPARABLE, NOT_COMPUTABLE, judge
from .scopes import differences, study_scope

SEXES = [s for s, _ in Defector.Sex.choices]
PRECISE = [Precision.DAY, Precision.MONTH]
NOT_PRECISE = "date_not_precise_enough"


def study_get(*, code: str) -> Study:
    return Study.objects.get(code=code)


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
    narrative comes back, never one per defector. ``scope.tags(counted)`` gives each
    tag its defector's id, sex and country (as of freezing in the published scope);
    ``counted`` is the tags the study's tag rule counts (coding.selectors.counted_tags),
    which decides among today's tags.
    """
    tags = scope.tags(counted)
    defector = "d_id"
    counts = {
        "defectors": Count(defector, distinct=True),
        "quotes": Count("quote_id", distinct=True),
        **{f"sex_{i}": Count(defector, distinct=True, filter=Q(d_sex=sex)) for i, sex in enumerate(SEXES)},
        **{
            f"region_{i}": Count(defector, distinct=True, filter=region_q(slug, prefix="d_"))
            for i, slug in enumerate(regions)
        },
    }
    rows = {row["narrative__code"]: row for row in tags.values("narrative__code").annotate(**counts).order_by()}
    # Pairs: defectors of one narrative's tags who are among those of the other's, from
    # the combinations of narratives defectors carry (a few dozen, whatever the number of
    # defectors). A conditional count per narrative instead ran the tag rule once more
    # for each: 0.6 s at 100,000 cases.
    index = {n.code: i for i, n in enumerate(narratives)}
    pair_rows = defaultdict(lambda: defaultdict(int))
    for carried, defectors in _narrative_combinations(tags, defector, index):
        for code in carried:
            for other in carried:
                pair_rows[code][f"also_{index[other]}"] += defectors
    empty = dict.fromkeys([*counts, *(f"also_{i}" for i in index.values())], 0)
    return {n.code: {**empty, **rows.get(n.code, {}), **pair_rows.get(n.code, {})} for n in narratives}


# Narratives a 64-bit integer mask holds (the sign bit left alone).
MASK_BITS = 62


def _narrative_combinations(tags, defector: str, index: dict) -> list[tuple[list, int]]:
    """(the narrative codes one tagged defector carries, how many defectors carry
    exactly those), per combination. In the database, each defector's narratives as
    a bit mask (a sum of distinct powers of two) grouped by mask; in Python from each
    defector's codes for a codebook too large for one integer mask."""
    if len(index) > MASK_BITS:
        codes_of = defaultdict(set)
        for defector_id, code in tags.values_list(defector, "narrative__code").distinct().order_by():
            codes_of[defector_id].add(code)
        return list(Counter(frozenset(codes) for codes in codes_of.values()).items())
    bit = Case(*(When(narrative__code=code, then=Value(1 << i)) for code, i in index.items()), default=Value(0))
    masks = tags.values(defector).annotate(mask=Sum(bit, distinct=True)).order_by()
    sql, params = masks.query.sql_with_params()
    with connections[masks.db].cursor() as cursor:
        cursor.execute(f"SELECT masks.mask, COUNT(*) FROM ({sql}) masks GROUP BY masks.mask", params)
        per_mask = cursor.fetchall()
    return [([code for code, i in index.items() if int(mask or 0) & (1 << i)], n) for mask, n in per_mask]


def country_name(code: str) -> str:
    return testimony_country_name(code) if code else "Country unknown"


def _figure_measures(figures) -> dict[int, Measure]:
    return {f.pk: measure for f in figures if (measure := Measure.of(f)) is not None}


def _measure_aggregates(scope, measures: dict[int, Measure]) -> dict:
    """Each measure's conditional aggregates, to be computed in the summary query."""

    def count(condition: Q):
        return Count("id", filter=condition) if condition else Count("id")

    aggregates = {}
    for pk, measure in measures.items():
        chosen = scope.q(measure.selection)
        if measure.aggregate in ("count", "share"):
            over = scope.q(measure.denominator)
            aggregates[f"m{pk}"] = count(chosen & over)
            aggregates[f"m{pk}:of"] = count(over)
            undated = measure.undated_selection(scope.study)
            if undated is None:
                aggregates[f"m{pk}:np"] = Count("id", filter=Q(pk__isnull=True))
            else:
                rest, years = undated
                aggregates[f"m{pk}:np"] = count(
                    scope.q(rest) & over & Q(reported_precision=Precision.YEAR, reported_on__in=years) & ~chosen
                    if chosen
                    else Q(pk__isnull=True)
                )
        elif measure.aggregate == "distinct_countries":
            aggregates[f"m{pk}"] = Count("country", distinct=True, filter=~Q(country="") & chosen)
        elif measure.aggregate == "reported_months":
            precise = Q(reported_precision__in=PRECISE) & chosen
            aggregates[f"m{pk}:first"] = Min("reported_on", filter=precise)
            aggregates[f"m{pk}:last"] = Max("reported_on", filter=precise)
    return aggregates


def _summary(scope, *, measures) -> dict:
    """One conditional aggregate for the headline counts, regions and every measure."""
    regions = partition()
    aggregates = {
        "total": Count("id"),
        # Who may see a record is today's question in either scope.
        "restricted": Count("id", filter=Q(id__in=Defector.objects.filter(visibility="restricted").values("pk"))),
        "not_precise": Count("id", filter=Q(reported_precision=Precision.YEAR)),
        "country_count": Count("country", distinct=True, filter=~Q(country="")),
        "first_day": Min("reported_on", filter=Q(reported_precision__in=PRECISE)),
        "last_day": Max("reported_on", filter=Q(reported_precision__in=PRECISE)),
        **{f"sex:{sex}": Count("id", filter=Q(sex=sex)) for sex in SEXES},
        **{f"region:{slug}": Count("id", filter=region_q(slug)) for slug in regions},
        **_measure_aggregates(scope, measures),
    }
    return scope.defectors.aggregate(**aggregates)


def _months(rows, study) -> dict:
    counts = {row["month"].strftime("%Y-%m"): row["n"] for row in rows}
    return {month: counts.get(month, 0) for month in window_months(study)}


def _by_month_rows(defectors):
    return (
        defectors.filter(reported_precision__in=PRECISE)
        .annotate(month=TruncMonth("reported_on"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by("month")
    )


def _measure_value(pk: int, measure: Measure, summary: dict, *, scope, by_month: dict, narratives: list):
    key = f"m{pk}"
    if measure.aggregate in ("count", "distinct_countries"):
        return summary[key]
    if measure.aggregate == "share":
        return round(summary[key] / summary[f"{key}:of"], 4) if summary[f"{key}:of"] else None
    if measure.aggregate == "reported_months":
        return _reported_months(summary[f"{key}:first"], summary[f"{key}:last"])
    if measure.aggregate == "peak_month":
        # Over the whole scope the monthly table has it; a selection takes one grouped query.
        if not measure.selection:
            return _peak_month(by_month)
        months = _months(_by_month_rows(scope.select(measure.selection)), scope.study)
        return _peak_month(months)
    return len(narratives)  # narrative_count


def study_report(
    *,
    study: Study,
    defectors=None,
    include_synthetic: bool = False,
    scope: str | None = None,
    subset=None,
) -> dict:
    """The study's figures and tables in one scope (or over a subset of defectors).

    ``scope`` is ``published`` or ``today`` (reports/scopes.py; by default
    *as published* for a study with a case list). ``subset`` is the subset's
    query (a QueryDict of defector filters): figures not about that subset
    are "not comparable (subset)".

    Returns the JSON shape of docs/contract.md (``study``, ``window``, ``figures``,
    ``tables``) plus extra keys: ``title``, ``scope``, ``criteria``,
    ``countries`` (with names), ``measures`` (every computed quantity by
    name), ``restricted_defectors`` and, in the today scope of a study with a
    case list, ``differences``.
    """
    figures = list(study.figures.all())
    narratives = list(Narrative.objects.filter(parent__isnull=True).order_by("display_order", "code"))
    measures = _figure_measures(figures)
    chosen = study_scope(study=study, scope=scope, defectors=defectors, include_synthetic=include_synthetic)
    rows = chosen.defectors

    summary = _summary(chosen, measures=measures)
    by_country_rows = rows.values("country").annotate(n=Count("id")).order_by("-n", "country")
    by_year_rows = rows.annotate(year=ExtractYear("reported_on")).values("year").annotate(n=Count("id")).order_by()
    by_month = _months(_by_month_rows(rows), study)
    regions = partition()
    per_narrative = narrative_tables(chosen, narratives, regions, counted_tags(study=study))

    total = summary["total"]
    by_country = {row["country"] or UNKNOWN: row["n"] for row in by_country_rows}
    by_month[NOT_PRECISE] = summary["not_precise"]
    by_year = {str(row["year"]): row["n"] for row in sorted(by_year_rows, key=lambda r: r["year"])}
    codes = [n.code for n in narratives]

    computed = {
        "total_defectors": total,
        "country_count": summary["country_count"],
        "narrative_count": len(narratives),
        "peak_month": _peak_month(by_month),
        "reported_months": _reported_months(summary["first_day"], summary["last_day"]),
        **{f"{sex}_defectors" if sex != "unknown" else "unknown_sex_defectors": summary[f"sex:{sex}"] for sex in SEXES},
        **{f"defectors_from_{code}": n for code, n in by_country.items() if code != UNKNOWN},
        **{f"defectors_{year}": n for year, n in by_year.items()},
    }
    values = {}
    for pk, measure in measures.items():
        values[pk] = _measure_value(pk, measure, summary, scope=chosen, by_month=by_month, narratives=narratives)
        computed[measure.name] = values[pk]
    # Figures about a period of whole months make the period table.
    periods = {m.period: pk for pk, m in measures.items() if m.period}
    by_period = {
        period.label: {"title": period.title, "defectors": summary[f"m{pk}"], NOT_PRECISE: summary[f"m{pk}:np"]}
        for period, pk in sorted(periods.items(), key=lambda item: (item[0].start, item[0].end))
    }

    return {
        "study": study.code,
        "title": study.title,
        "window": {"start": study.window_start.isoformat(), "end": study.window_end.isoformat()},
        "criteria": {"window": True, "filters": study.criteria},
        "scope": chosen.as_dict(subset=defectors is not None, include_synthetic=include_synthetic),
        "restricted_defectors": summary["restricted"],
        "figures": [_figure_entry(f, measures.get(f.pk), values.get(f.pk), summary, subset=subset) for f in figures],
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
        **({"differences": diff} if (diff := differences(chosen, defectors=defectors)) is not None else {}),
    }


def counted_tags_notice(*, study: Study, scope: str | None = None, defectors=None) -> dict:
    """What the report page says about the tags its narrative figures count (rule, codebook versions)."""
    chosen = study_scope(study=study, scope=scope, defectors=defectors)
    return tags_counted_notice(
        study=study, tags_in_scope=Tag.objects.filter(quote__defector_id__in=chosen.defectors.values("id"))
    )


def _peak_month(by_month: dict) -> str | None:
    dated = {month: n for month, n in by_month.items() if month != NOT_PRECISE and n}
    if not dated:
        return None
    top = max(dated.values())
    return ",".join(month for month, n in dated.items() if n == top)


def _reported_months(first_day, last_day) -> str | None:
    if first_day is None:
        return None
    return f"{first_day:%Y-%m}/{last_day:%Y-%m}"


def _figure_entry(figure, measure: Measure | None, value, summary, *, subset=None) -> dict:
    if figure.kind in ("count", "share"):
        published = int(figure.value) if figure.kind == "count" else float(figure.value)
    else:
        published = figure.value_text
    entry = {
        "key": figure.key,
        "measure": figure.measure_name if measure else figure.measure,
        "kind": figure.kind,
        "computed": value,
        "published": published,
        "qualifier": figure.qualifier,
        "published_wording": figure.wording,
        "source": " \u2014 ".join(part for part in (figure.outlet, figure.source) if part),
        "source_url": figure.source_url,
        "status": figure.status,
        "aggregate": figure.aggregate,
        "selection": figure.selection,
        "denominator_selection": figure.denominator,
        "counts_people": bool(measure and measure.counts_people),
    }
    if measure is None:
        entry.update(verdict=NOT_COMPUTABLE, reason="The database records nothing to compute this from.")
        entry["consistent"] = None
        return entry
    key = f"m{figure.pk}"
    if measure.aggregate == "share":
        entry.update(numerator=summary[key], denominator=summary[f"{key}:of"])
    undated = summary.get(f"{key}:np", 0)
    entry[NOT_PRECISE] = undated
    if subset and not measure.is_about(subset):
        verdict, reason = NOT_COMPARABLE, "Computed over a subset; the published figure is about the whole study."
    elif entry["computed"] is None:
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
