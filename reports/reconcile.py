"""Judging a computed value against a published figure and its wording.

Three verdicts, each with a one-line reason:

- ``consistent``: the wording is a fair description of the computed value;
- ``approximately consistent``: close, but not what the words say (a share a
  few points off an unqualified "two thirds", a value *above* a figure
  called "almost" or "nearly", a count that only fits if a defector whose
  date is known just to the year falls in the period);
- ``inconsistent``: the data contradict the figure.

A figure with no measure cannot be computed from the database and gets
``not computable`` (``consistent`` is then null and ``--strict`` ignores it).
Over a subset (``?sex=female``) a figure not about that subset is ``not
comparable (subset)``: 7 women beside the study's 58 say nothing about it.

"Nearly" and "almost" imply slightly *below*: 36/58 = 62.1% is "nearly two
thirds" (66.7%) but not quite "almost 60%".
"""

from decimal import Decimal

CONSISTENT = "consistent"
APPROXIMATELY = "approximately consistent"
INCONSISTENT = "inconsistent"
NOT_COMPUTABLE = "not computable"
NOT_COMPARABLE = "not comparable (subset)"  # a subset's figure beside the whole study's

# Share tolerances, as fractions of the whole (0.05 = 5 percentage points):
# (consistent within, approximately consistent within).
SHARE_TOLERANCE = {
    "exact": (0.01, 0.05),
    "about": (0.05, 0.10),
}
# "nearly"/"almost": consistent when below the stated share by at most this;
# approximately consistent when above it by at most SLIGHTLY_ABOVE, or below
# it by at most twice BELOW.
BELOW = 0.05
SLIGHTLY_ABOVE = 0.03


def pct(value: float) -> str:
    return f"{value * 100:.1f}%"


def points(value: float) -> str:
    return f"{abs(value) * 100:.1f} points"


def judge_share(*, qualifier: str, published: float, computed: float) -> tuple[str, str]:
    diff = computed - published
    said = f"{pct(computed)} against {pct(published)}"
    if qualifier in ("nearly", "almost"):
        if -BELOW <= diff < 0:
            return CONSISTENT, f"{said}: slightly below, as '{qualifier}' says."
        if 0 <= diff <= SLIGHTLY_ABOVE:
            return APPROXIMATELY, f"{said}: at or above it, while '{qualifier}' implies slightly below."
        if -2 * BELOW <= diff < 0:
            return APPROXIMATELY, f"{said}: {points(diff)} below, more than '{qualifier}' suggests."
        return INCONSISTENT, f"{said}: too far for '{qualifier}'."
    if qualifier == "over":
        if diff > 0:
            return CONSISTENT, f"{said}: above it, as 'over' says."
        return INCONSISTENT, f"{said}: not above it."
    if qualifier == "at_least":
        if diff >= 0:
            return CONSISTENT, f"{said}: at least that."
        return INCONSISTENT, f"{said}: below it."
    close, near = SHARE_TOLERANCE.get(qualifier, SHARE_TOLERANCE["exact"])
    if abs(diff) <= close:
        return CONSISTENT, f"{said}: within {points(close)}."
    if abs(diff) <= near:
        return APPROXIMATELY, f"{said}: {points(diff)} apart, a loose rounding."
    return INCONSISTENT, f"{said}: {points(diff)} apart."


def judge_count(*, qualifier: str, published: int, computed: int, undated: int = 0) -> tuple[str, str]:
    """``undated`` defectors have a year-only date that may or may not fall in the period."""
    if qualifier == "at_least":
        if computed >= published:
            return CONSISTENT, f"{computed} counted, at least {published}."
        if computed + undated >= published:
            return APPROXIMATELY, _undated_reason(computed, published, undated)
        return INCONSISTENT, f"{computed} counted, fewer than {published}."
    if qualifier == "over":
        return (
            (CONSISTENT, f"{computed} counted, over {published}.")
            if computed > published
            else (
                INCONSISTENT,
                f"{computed} counted, not over {published}.",
            )
        )
    if computed == published:
        return CONSISTENT, f"{computed} counted, as published."
    if computed < published <= computed + undated:
        return APPROXIMATELY, _undated_reason(computed, published, undated)
    if qualifier in ("about", "nearly", "almost") and abs(computed - published) <= max(1, round(published * 0.05)):
        return APPROXIMATELY, f"{computed} counted against '{qualifier} {published}'."
    return INCONSISTENT, f"{computed} counted, {published} published."


def _undated_reason(computed: int, published: int, undated: int) -> str:
    return (
        f"{computed} dated in the period, plus {undated} whose date is known only to the year; "
        f"{published} if {published - computed} of them falls in it."
    )


def judge_text(*, published: str, computed: str | None) -> tuple[str, str]:
    if computed is None:
        return INCONSISTENT, f"no defector to compare with {published}."
    if computed == published:
        return CONSISTENT, f"{computed}, as published."
    return INCONSISTENT, f"{computed} computed, {published} published."


def judge(*, kind: str, qualifier: str, published, computed, undated: int = 0) -> tuple[str, str]:
    if kind == "share":
        return judge_share(qualifier=qualifier, published=float(published), computed=float(computed))
    if kind == "count":
        published = int(Decimal(published))
        return judge_count(qualifier=qualifier, published=published, computed=int(computed), undated=undated)
    return judge_text(published=str(published), computed=computed)
