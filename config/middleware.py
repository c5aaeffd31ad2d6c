"""Content-Security-Policy on every response.

Django 5.2 has no CSP support, and django-csp would be one more dependency
for what is a single header. This middleware reads ``settings.SECURE_CSP``,
a dict of directive -> list of sources shaped like Django 6.0's setting of the
same name, so that upgrading means deleting this file and adding
``django.middleware.csp.ContentSecurityPolicyMiddleware``.

A view that needs a different policy (for example an API docs page that loads
a worker from ``blob:``) is wrapped in ``csp_override({...})``; a response that
already carries the header is left alone.
"""

from functools import wraps

from django.conf import settings

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
