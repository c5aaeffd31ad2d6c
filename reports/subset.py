"""A report over a subset of defectors chosen with the list page's filters.

The page, its printable version, the CSV/JSON downloads and the API all go
through :func:`subset_filterset` and :func:`subset_report`, so they count the
same defectors and protect the figures alike.
"""

from django.http import QueryDict

from accounts.access import can_view_identity, min_cell_for
from audit.models import Action
from audit.services import record_access
from testimony.filters import DefectorFilterSet
from testimony.generation import cached_count
from testimony.selectors import aggregate_defectors, filter_params, text_leaves_out_restricted

from .disclosure import protect
from .scopes import SCOPES, differences_for
from .selectors import study_report

# Parameters of the list page that do not choose defectors.
IGNORED = ("page", "ordering", "format", "study", "scope")

TEXT_SCOPE_NOTICE = (
    "Restricted records are left out of this subset because it is chosen by text (q): "
    "a figure that moved with a restricted record's words would reveal them."
)


def scope_error(params) -> str | None:
    scope = params.get("scope")
    if scope and scope not in SCOPES:
        return f"Unknown scope \u201c{scope}\u201d: published or today."
    return None


def subset_params(params: QueryDict) -> QueryDict:
    query = params.copy()
    for key in IGNORED:
        query.pop(key, None)
    for key in [k for k, values in query.lists() if not any(values)]:
        query.pop(key)
    return query


def subset_filterset(params: QueryDict, *, user) -> DefectorFilterSet:
    """DefectorFilterSet over what figures count for this user: every defector
    (restricted records too), except for a subset chosen by text, which is chosen
    among the records the user may see (testimony.selectors.aggregate_defectors)."""
    data = subset_params(params)
    return DefectorFilterSet(data, queryset=aggregate_defectors(user=user, params=data))


def subset_defectors(filterset: DefectorFilterSet):
    """The filtered queryset, or None when no filter is given (the whole study)."""
    return filterset.qs if filterset.data else None


def subset_report(*, study, filterset: DefectorFilterSet, request, scope: str | None = None, log: bool = True) -> dict:
    """The study's report over the subset, as ``request.user`` may see it: computed
    over the defectors the filterset selects, saying so when restricted records were
    left out, in ``scope`` (published or today; the study's default when None), with
    small counts protected (reports.disclosure) and today's differences as the user may
    see them (reports.scopes), and, with ``log``,
    the request recorded (record_subset_request). Downloads pass ``log=False``:
    they record every download themselves."""
    user = request.user
    min_cell = min_cell_for(user)

    def computed():
        report = study_report(
            study=study, defectors=subset_defectors(filterset), scope=scope, subset=filterset.data or None
        )
        # The true total for the access log, and the report as this user's small-count rule shows it.
        return report["measures"]["total_defectors"], protect(report, min_cell=min_cell)

    # Kept until the data changes (testimony/generation.py: every table a report reads
    # moves the generation), with its protection (the secondary suppression is the
    # page's costliest Python): keyed by what the user may count and the smallest cell
    # they may see. The differences shown are chosen per user below.
    if filterset.data and not isinstance(filterset.data, QueryDict):
        total, report = computed()  # a subset named in code, not by a query string: not kept
    else:
        params = filter_params(filterset.data or QueryDict())
        key = f"report:{study.code}:{scope or ''}:{min_cell}"
        total, report = cached_count(key, user=user, params=params, request=request, compute=computed)
    if filterset.data and text_leaves_out_restricted(filterset.data, user=user):
        report["scope"]["restricted_left_out"] = TEXT_SCOPE_NOTICE
    if log:
        record_subset_request(request, study=study, filterset=filterset, total=total)
    return differences_for(report, user)


def record_subset_request(request, *, study, filterset: DefectorFilterSet, total: int):
    """Log a subset of a report requested by a user without identity access.

    Small counts are masked for them, but two subsets that differ by a few people
    (all, and all but one country) give a masked count back by subtraction; no
    single response can stop that, so the requests are kept for audit. The
    number logged is the subset's true total, for whoever reads the log.
    """
    if not filterset.data or can_view_identity(request.user):
        return None
    return record_access(
        request_or_user=request,
        action=Action.REPORT_SUBSET,
        parameters={"study": [study.code], **{key: filterset.data.getlist(key) for key in filterset.data}},
        record_count=total,
    )
