"""A report over a subset of defectors chosen with the list page's filters."""

from django.http import QueryDict

from testimony.filters import DefectorFilterSet
from testimony.models import Defector

# Parameters of the list page that do not choose defectors.
IGNORED = ("page", "ordering", "format", "study", "scope")


def subset_params(params: QueryDict) -> QueryDict:
    query = params.copy()
    for key in IGNORED:
        query.pop(key, None)
    for key in [k for k, values in query.lists() if not any(values)]:
        query.pop(key)
    return query


def subset_filterset(params: QueryDict) -> DefectorFilterSet:
    """DefectorFilterSet on every defector: figures count restricted records too."""
    return DefectorFilterSet(subset_params(params), queryset=Defector.objects.all())


def subset_defectors(filterset: DefectorFilterSet):
    """The filtered queryset, or None when no filter is given (the whole study)."""
    return filterset.qs if filterset.data else None
