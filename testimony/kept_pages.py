"""Pages kept whole until the data changes: the list, a narrative's quotes, a report.

With every count kept (testimony/generation.py), what is left of a list page at
100,000 defectors is Python: the filterset and its form, fifty rows through the
template engine, country names translated one by one; 30-40 ms against a trivial
view's 2. The same address shows the same thing to everyone in the same audience
until a write moves the data generation, so the page's title and content are kept
under the generation, the audience (accounts.access.audience), the language, the
time zone and the full path with its query string.

The rest of the page (the header with the user's name and a CSRF token, messages)
is rendered for each request from base.html: only what ``{% keep %}`` wraps there
is stored. The kept templates may therefore not use ``user``, ``perms`` or
``csrf_token``; tests/testimony/test_kept_pages.py reads them to check.

A view whose every view must leave a trace (a report subset's audit record)
does that in ``kept_page_served`` when the page comes from the cache.
"""

from django.core.cache import cache
from django.template.response import TemplateResponse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from accounts.access import audience

from .generation import KEY_VERSION, TIMEOUT, generation_key

# What base.html wraps in {% keep %}: a page is stored only when all of them were rendered.
PARTS = ("title", "extra_head", "content")
KEPT_TEMPLATE = "kept_page.html"


def page_identity(name: str, request) -> str:
    """What a kept page is kept under, besides the generation. The absolute address:
    the API's page links are absolute, and two host names may share one cache."""
    return ":".join(
        (
            "page",
            name,
            audience(request.user),
            translation.get_language() or "",
            timezone.get_current_timezone_name(),
            request.build_absolute_uri(),
        )
    )


def page_key(name: str, request) -> str | None:
    return generation_key(page_identity(name, request), request=request)


class KeptPageMixin:
    """A GET answered from the page kept for this address, or rendered and kept.

    Only a 200 TemplateResponse is kept, rendered from a template that extends
    base.html; anything else (a redirect, a 400 for bad filters, a 404) is answered
    afresh every time."""

    kept_page_name = None  # the key's prefix; None turns keeping off (a print view)

    def dispatch(self, request, *args, **kwargs):
        if request.method not in ("GET", "HEAD") or not self.kept_page_name:
            return super().dispatch(request, *args, **kwargs)
        key = page_key(self.kept_page_name, request)
        parts = cache.get(key, version=KEY_VERSION) if key else None
        if parts is not None:
            self.kept_page_served(request, *args, **kwargs)
            context = {"kept": {name: mark_safe(html) for name, html in parts.items()}}  # noqa: S308 (our own render)
            return TemplateResponse(request, KEPT_TEMPLATE, context)
        request.kept_parts = {}
        response = super().dispatch(request, *args, **kwargs)
        if key and response.status_code == 200 and isinstance(response, TemplateResponse):
            response.render()
            if set(request.kept_parts) == set(PARTS):
                cache.set(key, dict(request.kept_parts), TIMEOUT, version=KEY_VERSION)
        return response

    def kept_page_served(self, request, *args, **kwargs):
        """Called when the page comes from the cache, for what every view must do."""
