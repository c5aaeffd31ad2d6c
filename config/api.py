"""What every endpoint under /api/v1/ shares: who may read and write, the
pagination and the one JSON shape of every error (README, "REST API").

Errors always look like ``{"detail": "...", "errors": {"field": ["message"]}}``:
``errors`` names each bad field (query parameter or body field), and is empty
for errors that concern no field (401, 403, 404 of a record, 429...).
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import InvalidPage, Paginator
from django.db.models import ProtectedError, RestrictedError
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import SAFE_METHODS, DjangoModelPermissions

from accounts.access import can_browse

NON_FIELD = "non_field_errors"


class ReadOrModelPermissions(DjangoModelPermissions):
    """Reads follow accounts.access.can_browse (anonymous visitors only while
    TESTIMONY_PUBLIC_READ is on); writes need the model's add/change/delete
    permission, which the Researcher role has and the Analyst role has not."""

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return can_browse(request.user)
        return super().has_permission(request, view)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The record is still referred to by other records."
    default_code = "conflict"


# --- Pagination -------------------------------------------------------------

MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50


class Pagination(PageNumberPagination):
    """``?page=N&page_size=M`` (1..200, default 50). Unlike DRF's own, a bad
    ``page_size`` is a 400 rather than silently the default, ``page=abc`` a 400
    and a page past the end a 404, each naming the parameter."""

    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    last_page_strings = ()

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw in (None, ""):
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [f"Give a number from 1 to {self.max_page_size}; got \u201c{raw}\u201d."]}
            )
        return int(raw)

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        paginator = Paginator(queryset, self.get_page_size(request))
        raw = request.query_params.get(self.page_query_param) or "1"
        if not raw.isdigit() or int(raw) < 1:
            raise exceptions.ValidationError(
                {self.page_query_param: [f"Give a page number from 1; got \u201c{raw}\u201d."]}
            )
        try:
            self.page = paginator.page(int(raw))
        except InvalidPage:
            raise exceptions.NotFound(
                {self.page_query_param: [f"Page {raw} is past the last page ({paginator.num_pages})."]}
            ) from None
        return list(self.page)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update({"minimum": 1, "maximum": self.max_page_size})
                parameter["description"] = f"Results per page, 1 to {self.max_page_size} (default {self.page_size})."
            elif parameter["name"] == self.page_query_param:
                parameter["schema"].update({"minimum": 1})
                parameter["description"] = "Page number from 1; a page past the last one is a 404."
        return parameters


# --- Errors -----------------------------------------------------------------


def _field_errors(detail) -> dict:
    """DRF's error detail as ``{field: [messages]}``; a list (non-field errors)
    goes under ``non_field_errors``. Nested details (a list field) are kept."""
    if isinstance(detail, dict):
        return {(NON_FIELD if key == "__all__" else key): value for key, value in detail.items()}
    if isinstance(detail, list):
        return {NON_FIELD: detail}
    return {}


def exception_handler(exc, context):
    """DRF's handler, then every error body reshaped to ``{"detail", "errors"}``.

    Model validation from the services (``full_clean()``) arrives as Django's
    ValidationError and becomes a 400 with the model's field names; deleting
    a record that others still refer to (PROTECT) is a 409.
    """
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD: exc.messages})
    elif isinstance(exc, ProtectedError | RestrictedError):
        exc = Conflict()
    from rest_framework.views import exception_handler as drf_exception_handler  # imports these settings

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"detail": "Invalid input.", "errors": _field_errors(data)}
    elif isinstance(data, dict) and set(data) == {"detail"}:
        response.data = {"detail": str(data["detail"]), "errors": {}}
    else:  # e.g. the pagination's NotFound naming "page"
        response.data = {"detail": str(getattr(exc, "default_detail", "Error.")), "errors": _field_errors(data)}
    return response


def with_tiebreak(queryset, field: str = "pk"):
    """Append the primary key to an ordering so that pages never overlap."""
    ordering = list(queryset.query.order_by) or list(queryset.model._meta.ordering)
    if field in ordering or f"-{field}" in ordering:
        return queryset
    return queryset.order_by(*ordering, field)
