from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import condition
from django.views.generic import ListView

from accounts.access import BrowseRequiredMixin
from testimony import selectors as testimony_selectors
from testimony.active_filters import active_filters
from testimony.kept_pages import KeptPageMixin
from testimony.views import querydict_without

from . import selectors
from .models import Narrative


class NarrativeListView(BrowseRequiredMixin, ListView):
    template_name = "narratives/narrative_list.html"
    context_object_name = "narratives"

    def get_queryset(self):
        return selectors.narrative_codebook(user=self.request.user, request=self.request)


class NarrativeDetailView(BrowseRequiredMixin, KeptPageMixin, ListView):
    """One code and its quotes, narrowed by the defector list's own filters; kept
    until the data changes (testimony/kept_pages.py)."""

    kept_page_name = "narrative_detail"
    template_name = "narratives/narrative_detail.html"
    context_object_name = "quotes"
    paginate_by = 50

    def get_queryset(self):
        self.narrative = get_object_or_404(Narrative, code=self.kwargs["code"])
        self.filterset = testimony_selectors.defector_filterset(
            self.request.GET, user=self.request.user, request=self.request
        )
        defectors = testimony_selectors.filtered_defectors(self.filterset)
        return selectors.narrative_quotes(narrative=self.narrative, defectors=defectors)

    def get_paginator(self, queryset, per_page, **kwargs):
        name = f"narrative_quotes:{self.narrative.code}"
        return testimony_selectors.counted_paginator(queryset, per_page, name=name, request=self.request, **kwargs)

    def paginate_queryset(self, queryset, page_size):
        # A stale page number shows the last page rather than a 404.
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get("page"))
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        testimony_selectors.attach_quote_badges(context["quotes"])
        query = self.request.GET.copy()
        query.pop("page", None)
        errors = self.filterset.errors if self.filterset.is_bound else {}
        context.update(
            {
                "narrative": self.narrative,
                "filter": self.filterset,
                "filter_valid": self.filterset.is_valid(),
                # The defector list's panel, with its counts and choices (a country list, not a code box).
                "facets": testimony_selectors.defector_facets(
                    querydict_without(self.request.GET, *errors),
                    user=self.request.user,
                    selected=self.request.GET,
                    request=self.request,
                ),
                "active_filters": active_filters(self.filterset, self.request.GET, path=self.request.path),
                "page_querystring": query.urlencode(),
                "defector_list_querystring": self.defector_list_querystring(),
            }
        )
        return context

    def defector_list_querystring(self):
        """The same filters plus this narrative, for the link to the defector list."""
        query = self.request.GET.copy()
        query.pop("page", None)
        if self.narrative.code not in query.getlist("narrative"):
            query.setlist("narrative", [self.narrative.code])
        return query.urlencode()


def codebook_changed_at(request):
    return Narrative.history.order_by("-history_date").values_list("history_date", flat=True).first()


@condition(last_modified_func=codebook_changed_at)
def narrative_colours(request):
    """Each narrative's colour as a CSS class (``narrative-<code>``).

    The colours live in the database, and the Content-Security-Policy forbids
    inline ``style`` attributes, so pages link this small stylesheet instead.
    """
    narratives = Narrative.objects.only("code", "colour")
    return render(request, "narratives/colours.css", {"narratives": narratives}, content_type="text/css")
