"""Agreement among coders over a set of quotes, from the database: the
reliability data the statistics (coding/reliability.py) read, per narrative
and for the whole codebook, a confusion table per pair of coders, and the
quotes they disagree on. The page, the API and ``manage.py reliability``
all call :func:`agreement_report`.

Per narrative, a unit is a quote coded by at least two of the coders; a
coder's value is 1 (applied the narrative), 0 (coded the quote without it)
or missing (did not code it). The whole codebook pools these: each quote and
narrative is one present/absent unit.
"""

from itertools import combinations

import numpy as np
from django.contrib.auth import get_user_model
from django.http import QueryDict

from narratives.models import Narrative, Tag
from testimony.filters import QuoteFilterSet
from testimony.models import Quote

from .models import CodingDecision
from .reliability import RESAMPLES, SEED, reliability

# Parameters of a reliability request that are not quote filters: on quotes,
# ``narrative`` would mean "tagged with" (which would also leak others' tags
# into a blind queue), so here it chooses the narratives to measure.
OWN_PARAMETERS = ("coder", "narrative", "page", "resamples", "format")


def quote_filterset(params, *, request=None, user=None, include_restricted: bool = False):
    """The quote filters of /api/v1/quotes/ (with the defector filters), over the quotes ``user``
    may see (every quote with ``include_restricted``, for commands run by the custodian)."""
    query = QueryDict(mutable=True)
    for key in params:
        if key not in OWN_PARAMETERS:
            query.setlist(key, params.getlist(key) if hasattr(params, "getlist") else [params[key]])
    user = user if user is not None else getattr(request, "user", None)
    quotes = Quote.objects.all() if include_restricted else Quote.objects.visible_to(user)
    return QuoteFilterSet(query, queryset=quotes, request=request)


def choose_coders_and_narratives(*, coders, narratives) -> tuple[list, list, dict]:
    """Users by username and narratives by code; errors name the parameter and the unknown values."""
    errors = {}
    # PostgreSQL refuses NUL in a string literal: such a name is simply unknown.
    if any("\x00" in value for value in [*coders, *narratives]):
        return None, [], {"coder" if any("\x00" in c for c in coders) else "narrative": ["Contains a NUL character."]}
    users = list(get_user_model().objects.filter(username__in=coders).order_by("username")) if coders else None
    if coders:
        unknown = sorted(set(coders) - {u.username for u in users})
        if unknown:
            errors["coder"] = [f"Unknown coder {', '.join(unknown)}."]
        elif len(users) < 2:
            errors["coder"] = ["Name at least two coders (or none: everyone who coded these quotes)."]
    chosen = list(Narrative.objects.order_by("display_order", "code"))
    if narratives:
        unknown = sorted(set(narratives) - {n.code for n in chosen})
        if unknown:
            known = ", ".join(n.code for n in chosen)
            errors["narrative"] = [f"Unknown narrative {', '.join(unknown)}; codes: {known}."]
        chosen = [n for n in chosen if n.code in set(narratives)]
    return users, chosen, errors


def _round(value):
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, list):
        return [_round(v) for v in value]
    return value


def agreement_report(*, quotes, coders=None, narratives, resamples: int = RESAMPLES, seed: int = SEED) -> dict:
    """Reliability of ``coders`` (default: everyone who coded these quotes) over ``quotes``."""
    decisions = CodingDecision.objects.filter(quote__in=quotes.order_by().values("pk"))
    if coders is not None:
        decisions = decisions.filter(coder__in=coders)
    coded: dict[int, set] = {}
    for quote_id, coder_id in decisions.values_list("quote_id", "coder_id"):
        coded.setdefault(quote_id, set()).add(coder_id)
    if coders is None:
        ids = {c for who in coded.values() for c in who}
        coders = list(get_user_model().objects.filter(pk__in=ids).order_by("username"))
    coder_ids = [c.pk for c in coders]
    units = sorted(q for q, who in coded.items() if len(who) >= 2)
    tags = Tag.objects.filter(quote_id__in=units, coder_id__in=coder_ids)
    applied = set(tags.values_list("quote_id", "coder_id", "narrative_id"))

    def matrix(narrative) -> np.ndarray:
        return np.array(
            [
                [(1.0 if (q, c, narrative.pk) in applied else 0.0) if c in coded[q] else np.nan for q in units]
                for c in coder_ids
            ]
        ).reshape(len(coder_ids), len(units))

    matrices = {n.code: matrix(n) for n in narratives}
    pooled = np.hstack(list(matrices.values())) if matrices else np.zeros((len(coder_ids), 0))

    def stats(data):
        return {k: _round(v) for k, v in reliability(data, resamples=resamples, seed=seed).as_dict().items()}

    usernames = [c.get_username() for c in coders]
    pairs = []
    for (i, first), (j, second) in combinations(enumerate(usernames), 2):
        rows = []
        for n in narratives:
            a, b = matrices[n.code][i], matrices[n.code][j]
            both = ~np.isnan(a) & ~np.isnan(b)
            rows.append(
                {
                    "narrative": n.code,
                    "name": n.name,
                    "both": int(((a == 1) & (b == 1) & both).sum()),
                    "first_only": int(((a == 1) & (b == 0) & both).sum()),
                    "second_only": int(((a == 0) & (b == 1) & both).sum()),
                    "neither": int(((a == 0) & (b == 0) & both).sum()),
                }
            )
        total = {k: sum(r[k] for r in rows) for k in ("both", "first_only", "second_only", "neither")}
        pairs.append({"first": first, "second": second, "narratives": rows, "total": total})

    codes = {n.pk: n.code for n in narratives}
    by_coding: dict[tuple, list] = {}
    for q, c, n in sorted(applied):
        if n in codes:
            by_coding.setdefault((q, c), []).append(codes[n])
    disputed = []
    for q in units:
        sets = {c: sorted(by_coding.get((q, c), [])) for c in coded[q]}
        if len({tuple(v) for v in sets.values()}) > 1:
            disputed.append((q, sets))
    shown = Quote.objects.select_related("defector").in_bulk([q for q, _ in disputed])
    names = dict(zip(coder_ids, usernames, strict=True))
    return {
        "coders": usernames,
        "quotes": len(coded),
        "units": len(units),
        "resamples": resamples,
        "seed": seed,
        "narratives": {code: stats(data) for code, data in matrices.items()},
        "overall": stats(pooled),
        "pairs": pairs,
        "disagreements": [
            {
                "quote": q,
                "case_id": shown[q].defector.case_id,
                "text": shown[q].text,
                "codings": {names[c]: v for c, v in sorted(sets.items(), key=lambda kv: names[kv[0]])},
            }
            for q, sets in disputed
        ],
    }
