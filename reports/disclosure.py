"""Statistical disclosure control: small counts are not shown to users who may
not see identities, so that a figure cannot single out a person ("one woman
from one country in one month").

``TESTIMONY_MIN_CELL`` is the smallest count shown to users without
``testimony.view_identity``: a count from 1 to ``min_cell - 1`` is replaced
by the text ``"<min_cell"`` (zeros stay: they point at nobody). Shares whose
numerator is hidden are hidden too, since share x total gives it back.

This is primary suppression only: where a table's total is shown, one hidden
cell can still be worked out by subtraction (README, "Security").
"""

import copy

from accounts.access import masked, min_cell_for

HIDDEN = "hidden"  # the verdict of a figure whose computed value is not shown

# Figures that count things other than people (narratives of the codebook,
# countries, months): a small value of these points at nobody.
NOT_PERSON_COUNTS = frozenset({"narrative_count", "country_count", "peak_month", "reported_months"})


def is_masked(value) -> bool:
    return isinstance(value, str) and value.startswith("<")


def protect(report: dict, *, min_cell: int) -> dict:
    """A copy of ``study_report``'s dict with small counts hidden; the report itself when ``min_cell`` <= 1."""
    if min_cell <= 1:
        return report
    report = copy.deepcopy(report)
    hidden = 0

    def mask(value):
        nonlocal hidden
        result = masked(value, min_cell)
        hidden += result is not value
        return result

    def walk(node):
        if isinstance(node, dict):
            return {key: walk(value) for key, value in node.items()}
        return mask(node)

    report["tables"] = walk(report["tables"])
    report["restricted_defectors"] = mask(report["restricted_defectors"])
    for country in report["countries"]:
        country["defectors"] = mask(country["defectors"])
    total = report["measures"].get("total_defectors") or 0

    def mask_measure(name, value):
        if name in NOT_PERSON_COUNTS:
            return value
        if isinstance(value, float):  # a share of the total
            return None if is_masked(masked(round(value * total), min_cell)) else value
        return mask(value)

    report["measures"] = {name: mask_measure(name, value) for name, value in report["measures"].items()}
    for figure in report["figures"]:
        if "date_not_precise_enough" in figure:
            figure["date_not_precise_enough"] = mask(figure["date_not_precise_enough"])
        if figure["kind"] == "share" and "numerator" in figure:
            figure["numerator"] = mask(figure["numerator"])
            if is_masked(figure["numerator"]):
                figure["computed"] = None
        elif figure["kind"] == "count" and figure.get("counts_people"):
            figure["computed"] = mask(figure["computed"])
        if is_masked(figure["computed"]) or is_masked(figure.get("numerator")):
            # The verdict and its reason quote the computed value; beside a published
            # figure they would give it back.
            figure.update(
                verdict=HIDDEN,
                consistent=None,
                reason=f"Fewer than {min_cell} defectors: not shown (disclosure control).",
            )
    report["disclosure_control"] = {
        "min_cell": min_cell,
        "hidden_cells": hidden,
        "rule": f"counts from 1 to {min_cell - 1} are shown as <{min_cell}; shares built on them are hidden",
    }
    return report


def protect_for(report: dict, user) -> dict:
    return protect(report, min_cell=min_cell_for(user))
