"""Figures become measure objects: each old ``measure`` name (the string grammar
of the former reports/measures.py) is translated into an aggregate over a
selection in the /defectors/ query-string vocabulary. The name stays as the
figure's ``measure``, so every key and value of the report is unchanged.

Every study gets the inclusion criteria it had implicitly (its window, and
``provenance_not=synthetic``); ICSR 2015 is frozen at the moment its fixture
records were made (fixtures/build_icsr_2015.py, RECORDED_AT), and gains the
public-record figures it lacked: NPR's "about half ... from the Middle East"
and "about 10 ... from Western countries", and Vox's contradicting window.

The grammar is copied here, frozen, so that later code cannot change history.
"""

import calendar
import datetime
import re
from decimal import Decimal
from urllib.parse import urlencode

from django.db import migrations

MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}
_MON = "(" + "|".join(MONTHS) + ")"
GROUPS = {
    "western_europe": "region=western_europe",
    "oceania": "region=oceania",
    "middle_east": "region=middle_east",
    "north_africa": "region=north_africa",
    "central_asia": "region=central_asia",
    "south_asia": "region=south_asia",
    "southeast_asia": "region=southeast_asia",
    "americas": "region=americas",
    "western_europe_australia": "region=western_europe_australia",
}
SEXES = {"male_defectors": "male", "female_defectors": "female", "unknown_sex_defectors": "unknown"}
FROZEN_AT = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)


def _months(year, first, last_year, last):
    return datetime.date(year, first, 1), datetime.date(last_year, last, calendar.monthrange(last_year, last)[1])


def _period(rest):
    if m := re.fullmatch(r"(\d{4})", rest):
        return _months(int(m[1]), 1, int(m[1]), 12)
    if m := re.fullmatch(r"(\d{4})_(\d{2})", rest):
        return _months(int(m[1]), int(m[2]), int(m[1]), int(m[2]))
    if m := re.fullmatch(rf"{_MON}_{_MON}_(\d{{4}})", rest):
        return _months(int(m[3]), MONTHS[m[1]], int(m[3]), MONTHS[m[2]])
    if m := re.fullmatch(rf"(\d{{4}})_{_MON}_{_MON}", rest):
        return _months(int(m[1]), MONTHS[m[2]], int(m[1]), MONTHS[m[3]])
    if m := re.fullmatch(rf"{_MON}_(\d{{4}})_{_MON}_(\d{{4}})", rest):
        return _months(int(m[2]), MONTHS[m[1]], int(m[4]), MONTHS[m[3]])
    return None


def _period_selection(start, end, study):
    """The old period rule: a year-only date counts in a period only if its year, clipped to
    the window, lies wholly inside it. The date filters count it as 1 January, so where
    that 1 January is in the period but the year is not wholly inside, only precise dates."""
    query = [("reported_after", start.isoformat()), ("reported_before", end.isoformat())]
    for year in range(study.window_start.year, study.window_end.year + 1):
        low = max(datetime.date(year, 1, 1), study.window_start)
        high = min(datetime.date(year, 12, 31), study.window_end)
        if start <= datetime.date(year, 1, 1) <= end and not (start <= low and high <= end):
            return urlencode([*query, ("reported_precision", "day"), ("reported_precision", "month")])
    return urlencode(query)


def translate(name, study):
    """(aggregate, selection) of an old measure name; ("", "") when it is not one."""
    simple = {
        "total_defectors": ("count", ""),
        "country_count": ("distinct_countries", ""),
        "narrative_count": ("narrative_count", ""),
        "peak_month": ("peak_month", ""),
        "reported_months": ("reported_months", ""),
    }
    if name in simple:
        return simple[name]
    if name in SEXES:
        return "count", f"sex={SEXES[name]}"
    if m := re.fullmatch(r"defectors_from_([A-Z]{2})", name):
        return "count", f"country={m[1]}"
    if (m := re.fullmatch(r"defectors_from_([a-z_]+)", name)) and m[1] in GROUPS:
        return "count", GROUPS[m[1]]
    if m := re.fullmatch(r"defectors_not_from_((?:[A-Z]{2}_)*[A-Z]{2})", name):
        return "count", urlencode([("country_not", code) for code in m[1].split("_")])
    if name.startswith("defectors_") and (period := _period(name.removeprefix("defectors_"))):
        return "count", _period_selection(*period, study)
    if name.startswith("share_") and (period := _period(name.removeprefix("share_"))):
        return "share", _period_selection(*period, study)
    return "", ""


NEW_FIGURES = [
    {
        "key": "share_from_middle_east_about_half",
        "measure": "share_from_middle_east",
        "aggregate": "share",
        "selection": "region=middle_east",
        "kind": "share",
        "value": Decimal("0.5000"),
        "qualifier": "about",
        "wording": (
            "about half of them are from the Middle East. About 10 are from Western countries, and the rest is "
            "from all over the world"
        ),
        "outlet": "NPR",
        "source": "All Things Considered (Peter Neumann), as published by WUNC, 2015-09-23",
        "notes": (
            "Which countries are 'the Middle East' is not said; ours are listed in testimony/regions.py "
            "(the Levant, Iraq, the Arabian Peninsula, Turkey, Iran; not North Africa)."
        ),
        "display_order": 185,
    },
    {
        "key": "defectors_from_western_countries_about_10",
        "measure": "defectors_from_western_countries",
        "aggregate": "count",
        "selection": "region=western",
        "kind": "count",
        "value": Decimal("10"),
        "qualifier": "about",
        "wording": "About 10 are from Western countries",
        "outlet": "NPR",
        "source": "All Things Considered (Peter Neumann), as published by WUNC, 2015-09-23",
        "notes": (
            "'Western countries': Western Europe, North America, Australia and New Zealand (testimony/regions.py). "
            "Compare The New York Times' nine from Western Europe and Australia; Abu Ibrahim, whom the BBC calls a "
            "Westerner, has no recorded country."
        ),
        "display_order": 186,
    },
    {
        "key": "window_jan_aug_2015_vox",
        "measure": "reported_months",
        "aggregate": "reported_months",
        "selection": "",
        "kind": "range",
        "value": None,
        "value_text": "2015-01/2015-08",
        "qualifier": "exact",
        "wording": "58 publicly-reported cases between January and August of this year alone",
        "outlet": "Vox",
        "source": "2015-09-21, as quoted by faustusnotes.com, 2015-09-22 (second-hand)",
        "notes": "Contradicts the report's 'Since January 2014': the cases run from January 2014.",
        "display_order": 25,
    },
]


def forwards(apps, schema_editor):
    Study = apps.get_model("reports", "Study")
    PublishedFigure = apps.get_model("reports", "PublishedFigure")
    for study in Study.objects.all():
        if not study.criteria:
            study.criteria = "provenance_not=synthetic"
        if study.code == "icsr-2015" and study.frozen_at is None:
            study.frozen_at = FROZEN_AT
        study.save(update_fields=["criteria", "frozen_at"])
        for figure in PublishedFigure.objects.filter(study=study).exclude(measure=""):
            figure.aggregate, figure.selection = translate(figure.measure, study)
            figure.save(update_fields=["aggregate", "selection"])
    icsr = Study.objects.filter(code="icsr-2015").first()
    if icsr is not None:
        for figure in NEW_FIGURES:
            PublishedFigure.objects.update_or_create(study=icsr, key=figure["key"], defaults=figure)


def backwards(apps, schema_editor):
    PublishedFigure = apps.get_model("reports", "PublishedFigure")
    PublishedFigure.objects.filter(study__code="icsr-2015", key__in=[f["key"] for f in NEW_FIGURES]).delete()


class Migration(migrations.Migration):
    dependencies = [("reports", "0003_study_case_lists_and_measure_objects")]

    operations = [migrations.RunPython(forwards, backwards)]
