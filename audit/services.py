"""The one way every surface writes the access log.

Web views, the API, the exports and the admin call ``record_access`` with the
request (or, for management commands, the user); ``record_identity_view`` is
the shortcut for pages that show identity fields, and records only when the
viewer may actually see them (accounts.access.can_view_identity).
"""

from collections.abc import Iterable, Mapping

from django.http import HttpRequest

from accounts.access import can_view_identity

from .models import AccessEvent, Action


def record_access(
    *,
    request_or_user,
    action: str,
    path: str | None = None,
    parameters: Mapping | None = None,
    record_count: int | None = None,
    case_ids: Iterable[str] = (),
    username: str = "",
) -> AccessEvent:
    """Append one event. From a request, the path, query string, filter
    parameters and client address are taken from it unless given.
    ``username`` names whoever acted without an account (a command run by an
    operating-system user); a signed-in user's own name always wins."""
    if action not in Action.values:
        raise ValueError(f"Unknown audit action {action!r}; expected one of {', '.join(Action.values)}.")
    # A Django HttpRequest or a DRF Request (which wraps one and is not a subclass).
    is_request = isinstance(request_or_user, HttpRequest) or hasattr(request_or_user, "_request")
    request = request_or_user if is_request else None
    user = request.user if request is not None else request_or_user
    query_string = ""
    ip_address = None
    if request is not None:
        path = request.path if path is None else path
        query_string = request.META.get("QUERY_STRING", "")
        parameters = {key: request.GET.getlist(key) for key in request.GET} if parameters is None else parameters
        ip_address = request.META.get("REMOTE_ADDR") or None
    authenticated = bool(user is not None and user.is_authenticated)
    return AccessEvent.objects.create(
        user=user if authenticated else None,
        username=user.get_username() if authenticated else username,
        action=action,
        path=path or "",
        query_string=query_string,
        parameters=dict(parameters or {}),
        record_count=record_count,
        case_ids=sorted(set(case_ids)),
        ip_address=ip_address,
    )


def record_identity_view(*, request, defectors: Iterable, action: str = Action.IDENTITY_VIEW) -> AccessEvent | None:
    """Log that ``defectors``' identity fields were shown to ``request.user``, if they were."""
    if not can_view_identity(request.user):
        return None
    case_ids = [defector.case_id for defector in defectors if defector is not None]
    if not case_ids:
        return None
    return record_access(request_or_user=request, action=action, record_count=len(case_ids), case_ids=case_ids)
