"""Readable names for published figures' keys (``defectors_from_SA`` reads
"Defectors from Saudi Arabia"): the report shows the name and keeps the key,
which the CSV, JSON and admin use, in small print beside it."""

import calendar
import re

from django_countries import countries

# Keys whose words alone do not make the sentence.
NAMES = {
    "total_defectors": "Defectors in total",
    "window": "Study window",
    "country_count": "Countries named",
    "peak_month": "Month with the most defectors",
    "narrative_count": "Narratives",
    "defectors_from_western_europe_australia": "Defectors from Western Europe and Australia",
    "defectors_from_countries_without_counts": "Defectors from countries named without counts",
}

MONTHS = {calendar.month_abbr[n].lower(): calendar.month_name[n] for n in range(1, 13)}
MONTH = "(" + "|".join(MONTHS) + ")"


def _month(match, group):
    return MONTHS[match.group(group)]


def figure_label(key: str) -> str:
    if key in NAMES:
        return NAMES[key]
    text = key
    # 2015_07 -> July 2015
    text = re.sub(r"(\d{4})_(\d{2})\b", lambda m: f"{calendar.month_name[int(m[2])]} {m[1]}", text)
    # sep_2014_aug_2015 -> September 2014 to August 2015
    text = re.sub(
        rf"{MONTH}_(\d{{4}})_{MONTH}_(\d{{4}})", lambda m: f"{_month(m, 1)} {m[2]} to {_month(m, 3)} {m[4]}", text
    )
    # jan_aug_2014 and 2015_jan_aug -> January to August 2014/2015
    text = re.sub(rf"{MONTH}_{MONTH}_(\d{{4}})", lambda m: f"{_month(m, 1)} to {_month(m, 2)} {m[3]}", text)
    text = re.sub(rf"(\d{{4}})_{MONTH}_{MONTH}", lambda m: f"{_month(m, 2)} to {_month(m, 3)} {m[1]}", text)
    # from_SA -> from Saudi Arabia
    text = re.sub(r"from_([A-Z]{2})\b", lambda m: f"from {countries.name(m[1]) or m[1]}", text)
    text = re.sub(r"(male|female)_defectors", r"\1 defectors", text)
    text = re.sub(r"^share_", "share of defectors, ", text)
    text = text.replace("_", " ")
    text = re.sub(r"^defectors (?=\d{4}|" + "|".join(MONTHS.values()) + ")", "defectors in ", text)
    # A second wording of one share: share_2015_jan_aug_almost_60 -> ... (“almost 60%”)
    text = re.sub(r"(\d{4}) (almost|nearly|about|over) (\d+)$", r"\1 (“\2 \3%”)", text)
    text = re.sub(r"^(share of defectors, .*\d{4}) ([a-z ]+)$", r"\1 (“\2”)", text)
    return text[:1].upper() + text[1:]
