"""A database that cannot be reached is a 503 with Retry-After, never a 500.

Two entry points, because Django turns an exception into a response in two
places: ``DatabaseUnavailableMiddleware.process_exception`` for errors raised
by a view (pages, the API, the admin), and ``server_error`` (``handler500`` in
config/urls.py) for errors raised by a middleware, such as the session or user
lookup, which never reach ``process_exception``. Both answer without touching
the database again: the page is a standalone template (no ``user``, no
``base.html`` navigation), API paths get the API's ``{"detail", "errors"}``.

Only errors of the connection (``OperationalError``, ``InterfaceError``) count:
an ``IntegrityError`` or a bad query is still a bug and still a 500. Recovery
needs no restart: ``CONN_HEALTH_CHECKS`` lets the next request of each worker
open a fresh connection once the database answers again.
"""

import logging
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views.defaults import server_error as django_server_error

logger = logging.getLogger(__name__)

CONNECTION_ERRORS = (OperationalError, InterfaceError)
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def database_unavailable(request) -> HttpResponse:
    retry_after = settings.DATABASE_UNAVAILABLE_RETRY_AFTER
    writes = request.method in UNSAFE_METHODS
    if request.path.startswith("/api/"):
        detail = "The database is temporarily unavailable; try again later."
        if writes:
            detail += " The change may not have been saved: check before sending it again."
        response = JsonResponse({"detail": detail, "errors": {}}, status=503)
    else:
        html = render_to_string("503_database.html", {"retry_after": retry_after, "method_writes": writes})
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, CONNECTION_ERRORS):
            logger.warning("Database unavailable on %s %s: %s", request.method, request.path, exception)
            return database_unavailable(request)
        return None


def server_error(request, *args, **kwargs):
    """handler500: a 503 when the error being handled is the database's connection."""
    exception = sys.exc_info()[1]
    if isinstance(exception, CONNECTION_ERRORS):
        return database_unavailable(request)
    return django_server_error(request, *args, **kwargs)


def healthz(request):
    """For load balancers: this process answers. No database, no session, no template."""
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")
