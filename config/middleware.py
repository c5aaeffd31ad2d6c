"""Headers every response gets: Content-Security-Policy, and Cache-Control for signed-in users.

*Content-Security-Policy.*

Django 5.2 has no CSP support, and django-csp would be one more dependency
for what is a single header. This middleware reads ``settings.SECURE_CSP``,
a dict of directive -> list of sources shaped like Django 6.0's setting of the
same name, so that upgrading means deleting this file and adding
``django.middleware.csp.ContentSecurityPolicyMiddleware``.

A view that needs a different policy (for example an API docs page that loads
a worker from ``blob:``) is wrapped in ``csp_override({...})``; a response that
already carries the header is left alone.

*Cache-Control* (``PrivateResponsesMiddleware``): see its docstring.
"""

from functools import wraps

from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.cache import patch_cache_control

HEADER = "Content-Security-Policy"


def build_policy(directives: dict) -> str:
    return "; ".join(
        " ".join([name, *sources]) if sources else name for name, sources in directives.items() if sources is not None
    )


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if HEADER not in response:
            directives = getattr(response, "_csp_config", None) or settings.SECURE_CSP
            response[HEADER] = build_policy(directives)
        return response


def csp_override(directives: dict):
    """Replace the site's policy for one view (directives as in SECURE_CSP)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            response._csp_config = directives
            return response

        return wrapped

    return decorator


class PrivateResponsesMiddleware:
    """``Cache-Control: no-store, private`` on every response to a signed-in user.

    Identity fields and restricted records are only ever shown to signed-in
    users, so this one rule covers every page, export, admin view and API
    response that could show them, without each view having to remember: no
    shared proxy and no browser cache keeps a copy (the browser's back button
    after a logout included). Token requests count too: DRF authenticates
    inside the view and sets ``request.user`` on the Django request, which is
    read here, after the view. Anonymous responses (public records only, while
    ``TESTIMONY_PUBLIC_READ`` is on) stay cacheable.

    It sits outside ``ConditionalGetMiddleware`` so that API responses keep
    their ``ETag`` (Django computes none for a response already marked
    ``no-store``) and scripts can still ask whether a list changed.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response


class RefuseNulMiddleware:
    """A 400 naming the parameter for a NUL character anywhere in a query string.

    PostgreSQL refuses NUL in text parameters (Django raises ValueError while
    running the query, long after a form or the admin validated the value), so
    ``/defectors/?outlet=%00``, an admin ``?sex__exact=a%00b`` or an autocomplete
    ``term=%00`` would be a 500 there and a plain no-match on SQLite. No page or
    endpoint has a use for one; refusing it before any view runs covers them all
    on both databases. (Form fields already refuse NUL in bodies: Django's
    CharField validates it.) API paths get the API's error shape (config.api):
    ``{"detail": "Invalid input.", "errors": {"<parameter>": ["..."]}}``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                name = key.replace("\x00", "\\x00")
                message = f"The query string parameter {name!r} contains a NUL character."
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": "Invalid input.", "errors": {name: [message]}}, status=400)
                return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
