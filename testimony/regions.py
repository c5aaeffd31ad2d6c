"""World regions for the report's "by region" tables and the drill-down
``region`` filter. Countries not listed fall under ``other``; a defector
with no country falls under ``unknown``.

``western_europe_australia`` is the grouping The New York Times used for the
ICSR 2015 study ("nine of them from Western Europe and Australia").

``middle_east`` is the Levant (Syria, Lebanon, Jordan, Israel, Palestine),
Iraq, the Arabian Peninsula (Saudi Arabia, Yemen, Oman, the UAE, Qatar,
Bahrain, Kuwait), Turkey and Iran: the usual core of the term in English-
language news. It leaves out North Africa (Tunisia, Libya, Egypt, ...),
which "MENA" would add: NPR's "about half of them are from the Middle East"
(ICSR 2015) does not say which it means, so the report names this list and
judges the wording against it.

``western`` ("Western countries", NPR) is Western Europe, North America,
Australia and New Zealand.
"""

REGIONS: dict[str, tuple[str, list[str]]] = {
    "western_europe": (
        "Western Europe",
        ["GB", "IE", "FR", "BE", "NL", "LU", "DE", "AT", "CH", "DK", "SE", "NO", "FI", "IS", "ES", "PT", "IT"],
    ),
    "oceania": ("Australia and Oceania", ["AU", "NZ"]),
    "middle_east": (
        "Middle East",
        ["SY", "IQ", "JO", "LB", "SA", "YE", "OM", "AE", "QA", "BH", "KW", "TR", "IL", "PS", "IR"],
    ),
    "north_africa": ("North Africa", ["TN", "LY", "EG", "MA", "DZ", "SD"]),
    "central_asia": ("Central Asia and the Caucasus", ["TJ", "UZ", "KZ", "KG", "TM", "AZ", "GE", "RU"]),
    "south_asia": ("South Asia", ["IN", "PK", "BD", "AF", "LK", "MV"]),
    "southeast_asia": ("Southeast Asia", ["ID", "MY", "PH", "SG", "TH"]),
    "americas": ("The Americas", ["US", "CA", "TT", "BR", "AR"]),
}

# Groupings that published figures use but that are not regions of their own.
COUNTRY_GROUPS: dict[str, tuple[str, list[str]]] = {
    "western_europe_australia": ("Western Europe and Australia", REGIONS["western_europe"][1] + ["AU"]),
    "western": ("Western countries", REGIONS["western_europe"][1] + REGIONS["oceania"][1] + ["US", "CA"]),
}

OTHER = "other"
UNKNOWN = "unknown"
MAPPED_COUNTRIES = sorted({code for _, codes in REGIONS.values() for code in codes})


def partition() -> list[str]:
    """Regions that split the defectors between them, each counted once."""
    return [*REGIONS, OTHER, UNKNOWN]


def region_choices() -> list[tuple[str, str]]:
    return [
        *((slug, name) for slug, (name, _) in REGIONS.items()),
        *((slug, name) for slug, (name, _) in COUNTRY_GROUPS.items()),
        (OTHER, "Other countries (incl. unnamed)"),
        (UNKNOWN, "Country unknown"),
    ]


def region_label(slug: str) -> str:
    return dict(region_choices()).get(slug, slug)


def region_q(slug: str, *, prefix: str = ""):
    """The defectors of one region or grouping, as a Q on Defector (or on a relation to it)."""
    from django.db.models import Q

    country = f"{prefix}country"
    if slug in REGIONS:
        return Q(**{f"{country}__in": REGIONS[slug][1]})
    if slug in COUNTRY_GROUPS:
        return Q(**{f"{country}__in": COUNTRY_GROUPS[slug][1]})
    if slug == UNKNOWN:
        return Q(**{country: ""})
    if slug == OTHER:
        return ~Q(**{f"{country}__in": MAPPED_COUNTRIES}) & ~Q(**{country: ""})
    raise KeyError(slug)
