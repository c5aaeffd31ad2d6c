"""The analysts' pages: home, the filtered defector list with its CSV export, and one defector."""

from django.conf import settings
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db.models import Count
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.module_loading import import_string
from django.views import View
from django.views.generic import DetailView
from django_filters.views import FilterView

from accounts.access import BrowseRequiredMixin, can_browse, can_view_identity, masked, min_cell_for
from audit.models import Action
from audit.services import record_access, record_identity_view
from narratives.models import Narrative

from . import selectors
from .filters import DefectorFilterSet
from .longform import stream_csv
from .models import Defector, Outlet, Quote, Source

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50

# The table's columns: (label, ordering field of DefectorFilterSet or None when the
# column holds several values per row and has no single order).
COLUMNS = [
    ("Case", "case_id"),
    ("Name as published", "name"),
    ("Sex", "sex"),
    ("Country", "country"),
    ("Reported", "reported_on"),
    ("Outlets", None),
    ("Narratives", None),
    ("Quotes", "quote_count"),
]


def home(request):
    if not can_browse(request.user):
        # Public read is off: say what the site is and offer the login, but no figures.
        return render(request, "home.html", {"browse": False})
    visible = Defector.objects.visible_to(request.user)
    context = {
        "browse": True,
        "defector_count": visible.count(),
        "women_count": visible.filter(sex="female").count(),
        "country_count": visible.exclude(country="").aggregate(n=Count("country", distinct=True))["n"],
        "quote_count": Quote.objects.visible_to(request.user).count(),
        "source_count": Source.objects.count(),
        "outlet_count": Outlet.objects.count(),
        "narratives": Narrative.objects.all(),
    }
    return render(request, "home.html", context)


def querydict_without(query, *keys):
    query = query.copy()
    for key in keys:
        query.pop(key, None)
    return query


def querystring_without(query, *keys):
    return querydict_without(query, *keys).urlencode()


class DefectorListView(BrowseRequiredMixin, FilterView):
    """The defector table. Stays a django-filter FilterView so ``filter`` and
    ``paginator`` are in the context like on any FilterView."""

    filterset_class = DefectorFilterSet
    template_name = "testimony/defector_list.html"
    paginate_by = DEFAULT_PAGE_SIZE

    def get_queryset(self):
        return selectors.defector_base_queryset(user=self.request.user)

    def get(self, request, *args, **kwargs):
        # FilterView.get with the selector's rule for invalid filters and a stable order.
        self.notices = []
        self.filterset = self.get_filterset(self.get_filterset_class())
        self.object_list = selectors.stable_order(selectors.filtered_defectors(self.filterset))
        context = self.get_context_data(filter=self.filterset, object_list=self.object_list)
        return self.render_to_response(context)

    def get_paginate_by(self, queryset):
        raw = self.request.GET.get("page_size")
        if raw in (None, ""):
            return DEFAULT_PAGE_SIZE
        if raw.isdigit() and int(raw) in PAGE_SIZES:
            return int(raw)
        sizes = ", ".join(map(str, PAGE_SIZES))
        self.notices.append(f"Page size \u201c{raw}\u201d is not one of {sizes}; showing {DEFAULT_PAGE_SIZE} per page.")
        return DEFAULT_PAGE_SIZE

    def paginate_queryset(self, queryset, page_size):
        """Like Django's, but a page out of range shows the last page (and a bad
        page number the first) with a notice instead of a 404."""
        paginator = self.get_paginator(queryset, page_size, allow_empty_first_page=True)
        raw = self.request.GET.get("page") or 1
        try:
            page = paginator.page(raw)
        except PageNotAnInteger:
            self.notices.append(f"Page \u201c{raw}\u201d is not a page number; showing page 1.")
            page = paginator.page(1)
        except EmptyPage:
            page = paginator.page(paginator.num_pages)
            self.notices.append(
                f"Page {raw} is out of range; showing the last page ({paginator.num_pages} of {paginator.num_pages})."
            )
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        query = self.request.GET
        valid = not self.filterset.is_bound or self.filterset.is_valid()
        selectors.defector_page_extras(context["object_list"])
        ordering = query.get("ordering", "") if valid else ""
        context.update(
            {
                "filter_valid": valid,
                "notices": self.notices,
                # With bad parameters the facets count what the valid ones select, so the panel
                # still shows the choices while the errors are fixed.
                "facets": selectors.defector_facets(
                    querydict_without(query, *self.filterset.errors), user=user, selected=query
                ),
                "total_count": selectors.defector_totals(user=user),
                **self.restricted_notice(query, valid),
                "columns": self.column_headers(ordering),
                "page_sizes": PAGE_SIZES,
                "page_size": context["paginator"].per_page,
                "page_querystring": querystring_without(query, "page"),
                "export_querystring": querystring_without(query, "page", "page_size"),
                "is_filtered": bool(querystring_without(query, "page", "page_size", "ordering")),
            }
        )
        return context

    def restricted_notice(self, query, valid):
        """The line about restricted records this user may not see: how many match
        the filters (masked like a report cell), or, when the filters choose by text,
        the same sentence whatever was typed, since they were not searched."""
        if not valid:
            return {"restricted_hidden": 0, "restricted_not_searched": False}
        count = selectors.restricted_hidden_count(query, user=self.request.user)
        return {
            "restricted_hidden": 0 if count is None else masked(count, min_cell_for(self.request.user)),
            "restricted_not_searched": count is None,
        }

    def column_headers(self, ordering):
        """Each sortable column links to the list sorted by it, ascending first,
        flipping when it is already the sort column."""
        headers = []
        for label, field in COLUMNS:
            header = {"label": label, "url": None, "sort": None}
            if field:
                if ordering == field:
                    header["sort"], next_ordering = "ascending", f"-{field}"
                elif ordering == f"-{field}":
                    header["sort"], next_ordering = "descending", field
                else:
                    next_ordering = field
                query = self.request.GET.copy()
                query.pop("page", None)
                query["ordering"] = next_ordering
                header["url"] = "?" + query.urlencode()
            headers.append(header)
        return headers


class DefectorExportView(BrowseRequiredMixin, View):
    """The long-form CSV of exactly the list's filtered set, every page of it."""

    def get(self, request):
        filterset = selectors.defector_filterset(request.GET, user=request.user, request=request)
        if not filterset.is_valid():
            lines = [
                f"{name}: {' '.join(errors)}" if name != "__all__" else " ".join(errors)
                for name, errors in filterset.errors.items()
            ]
            return HttpResponse(
                "The filters are invalid; nothing was exported.\n" + "\n".join(lines) + "\n",
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        count = filterset.qs.count()
        if count > settings.TESTIMONY_EXPORT_STREAM_MAX_DEFECTORS:
            return self.export_job(request, count)
        record_access(request_or_user=request, action=Action.EXPORT_CSV, record_count=count)
        response = StreamingHttpResponse(stream_csv(filterset.qs), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="defectors.csv"'
        return response

    def export_job(self, request, count):
        """A set too large to stream within the server's worker timeout becomes a
        background job (README, "Background jobs"): a file with its row count and
        checksum, kept for its owner, rather than a stream that could be cut short."""
        limit = settings.TESTIMONY_EXPORT_STREAM_MAX_DEFECTORS
        if not request.user.is_authenticated:
            return HttpResponse(
                f"{count:,} defectors match; exports of more than {limit:,} run as background jobs, "
                "which need an account. Sign in, or narrow the filters.\n",
                status=403,
                content_type="text/plain; charset=utf-8",
            )
        start_export = import_string(settings.TESTIMONY_EXPORT_JOB)
        job = start_export(owner=request.user, query=request.GET.urlencode())
        return redirect(job, permanent=False)


class DefectorDetailView(BrowseRequiredMixin, DetailView):
    template_name = "testimony/defector_detail.html"
    slug_field = "case_id"
    slug_url_kwarg = "case_id"

    def get_queryset(self):
        return selectors.defector_detail_queryset(user=self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["show_identity"] = can_view_identity(self.request.user)
        if context["show_identity"]:
            record_identity_view(request=self.request, defectors=[self.object])
        return context
