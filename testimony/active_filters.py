"""The filters a page is under, for the pages that show the defector side panel
(the defector list and a narrative's page): a removable chip for each, and
hidden inputs for those the panel has no control for, so pressing "Apply
filters" refines the set instead of silently dropping a report drill-down's
``study`` or ``country_not``."""

from dataclasses import dataclass

from django.http import QueryDict

from .filters import DefectorFilterSet

# The parameters the side panel (templates/includes/defector_filters.html) has a
# control for; every other filter of DefectorFilterSet rides along hidden.
PANEL_FIELDS = frozenset(
    {"q", "sex", "country", "narrative", "outlet", "reported_after", "reported_before", "provenance", "ordering"}
)

# Chip labels, in the order the chips are shown. Ordering is not a filter: it
# changes no count, so it gets no chip.
CHIP_LABELS = {
    "study": "Study",
    "q": "Search",
    "sex": "Sex",
    "country": "Country",
    "country_not": "Country not",
    "region": "Region",
    "narrative": "Narrative",
    "narrative_all": "All narratives",
    "outlet": "Outlet",
    "reported_after": "Reported from",
    "reported_before": "Reported to",
    "reported_precision": "Date precision",
    "provenance": "Provenance",
}


@dataclass(frozen=True)
class Chip:
    name: str
    label: str
    value: str
    remove_url: str


def _values(name, raw, cleaned):
    """What the chip says: names for records and choices, as typed when invalid."""
    field = DefectorFilterSet.base_filters[name]
    if cleaned in (None, "", [], ()):
        return ", ".join(raw)
    if name in ("country", "country_not"):
        return ", ".join(cleaned)  # ISO codes, as the report's links name them
    if name == "study":
        return str(cleaned)
    if name in ("narrative", "narrative_all"):
        return ", ".join(n.name for n in cleaned)
    if name == "outlet":
        return cleaned.name
    choices = getattr(field, "extra", {}).get("choices")
    if choices:
        labels = dict(choices() if callable(choices) else choices)
        values = cleaned if isinstance(cleaned, list | tuple) else [cleaned]
        return ", ".join(str(labels.get(v, v)) for v in values)
    if hasattr(cleaned, "isoformat"):
        return cleaned.isoformat()
    return str(cleaned)


def active_filters(filterset: DefectorFilterSet, query: QueryDict, *, path: str) -> dict:
    """``{"chips": [Chip], "hidden": [(name, value)]}`` for the template include
    includes/active_filters.html and the panel's hidden inputs."""
    filterset.is_valid()  # fills cleaned_data for the valid fields even when another is not
    cleaned = getattr(filterset.form, "cleaned_data", {})
    chips = []
    for name, label in CHIP_LABELS.items():
        raw = [value for value in query.getlist(name) if value != ""]
        if not raw:
            continue
        rest = query.copy()
        rest.pop(name, None)
        rest.pop("page", None)
        remaining = rest.urlencode()
        chips.append(
            Chip(name, label, _values(name, raw, cleaned.get(name)), f"{path}?{remaining}" if remaining else path)
        )
    hidden = [
        (name, value)
        for name in CHIP_LABELS
        if name not in PANEL_FIELDS
        for value in query.getlist(name)
        if value != ""
    ]
    return {"chips": chips, "hidden": hidden}
