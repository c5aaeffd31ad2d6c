"""The analysts' pages: home, the filtered defector list with its CSV export, and one defector."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import UserPassesTestMixin
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db.models import Count
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.module_loading import import_string
from django.views import View
from django.views.generic import DetailView
from django_filters.views import FilterView

from accounts.access import BrowseRequiredMixin, can_browse, can_view_identity, masked, min_cell_for
from audit.models import Action
from audit.services import record_access, record_identity_view
from narratives.models import Narrative

from . import selectors, services
from .active_filters import active_filters
from .duplicates import merged_into, possible_duplicates
from .filters import DefectorFilterSet
from .forms import ExistingDefectorForm, NewDefectorForm, NewSourceForm, QuoteFormSet, SourceChoiceForm
from .generation import CountedPaginator
from .kept_pages import KeptPageMixin
from .longform import stream_csv
from .models import Defector, Outlet, Quote, Source

PAGE_SIZES = (25, 50, 100, 200)
CASE_SUGGESTIONS = 500  # existing cases offered on the entry page's case ID field
QUOTE_PREFIX = "quotes"
BOTH_SOURCES = "Choose an existing source or fill in a new one, not both."
BOTH_DEFECTORS = "Give an existing case ID or fill in a new case, not both."
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


class DefectorListView(BrowseRequiredMixin, KeptPageMixin, FilterView):
    """The defector table. Stays a django-filter FilterView so ``filter`` and
    ``paginator`` are in the context like on any FilterView. Kept until the data
    changes (kept_pages.py)."""

    kept_page_name = "defector_list"
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

    def get_paginator(self, queryset, per_page, **kwargs):
        # The page's rows read by id from the visible defectors (the ids came from them).
        rows = lambda ids: self.get_queryset().filter(pk__in=ids)  # noqa: E731
        if self.filterset.is_bound and not self.filterset.is_valid():
            return CountedPaginator(queryset, per_page, count=lambda: 0, rows=rows, **kwargs)  # no rows to count
        # Counted with the facets, in the scan that counts the facets no filter narrows.
        user, query = self.request.user, self.request.GET
        count = lambda: selectors.defector_set_count(query, user=user, request=self.request)  # noqa: E731
        return CountedPaginator(queryset, per_page, count=count, rows=rows, **kwargs)

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
                    querydict_without(query, *self.filterset.errors), user=user, selected=query, request=self.request
                ),
                "total_count": selectors.defector_totals(user=user, request=self.request),
                **self.restricted_notice(query, valid),
                "columns": self.column_headers(ordering),
                "page_sizes": PAGE_SIZES,
                "page_size": context["paginator"].per_page,
                "page_querystring": querystring_without(query, "page"),
                "export_querystring": querystring_without(query, "page", "page_size"),
                "active_filters": active_filters(self.filterset, query, path=self.request.path),
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
        count = selectors.restricted_hidden_count(query, user=self.request.user, request=self.request)
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

    def get_object(self, queryset=None):
        return selectors.defector_detail(self.kwargs["case_id"], user=self.request.user)

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            # A merged case ID (services.defector_merge): published links keep working.
            kept = merged_into(kwargs["case_id"], user=request.user)
            if kept is None:
                raise
            return HttpResponsePermanentRedirect(kept.get_absolute_url())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["show_identity"] = can_view_identity(self.request.user)
        if context["show_identity"]:
            record_identity_view(request=self.request, defectors=[self.object])
        return context


class CaseEntryView(UserPassesTestMixin, View):
    """One newspaper article on one page (/entry/): its source chosen or created once,
    then the defector (new or existing) and any number of its quotes from that source,
    saved together by ``services.case_entry_save`` or not at all.

    Works without JavaScript: "Add another quote" is a submit button that redisplays
    the form with one more quote; static/testimony/case_entry.js only adds it in place.
    """

    template_name = "testimony/case_entry.html"
    permissions = ("testimony.add_defector", "testimony.add_source", "testimony.add_quote")

    def test_func(self):
        user = self.request.user
        return user.is_authenticated and user.is_staff and user.has_perms(self.permissions)

    def get_permission_denied_message(self):
        return "Entering cases needs a researcher's account."

    def get(self, request):
        fixed_source = self.fixed_source()
        forms_ = self.build_forms(data=None, fixed_source=fixed_source)
        return self.render(forms_, fixed_source=fixed_source)

    def post(self, request):
        fixed_source = self.fixed_source()
        data = request.POST
        if "add_quote" in data:
            # Without JavaScript: show the same entries with one more empty quote, save nothing.
            data = data.copy()
            total = f"{QUOTE_PREFIX}-TOTAL_FORMS"
            shown = int(data[total]) if data.get(total, "").isdigit() else 0
            data[total] = str(min(shown + 1, QuoteFormSet.max_num))
            forms_ = self.build_forms(data=data, fixed_source=fixed_source)
            return self.render(forms_, fixed_source=fixed_source)
        forms_ = self.build_forms(data=data, fixed_source=fixed_source)
        entry = self.valid_entry(forms_)
        if entry is None:
            return self.render(forms_, fixed_source=fixed_source, status=400)
        source, defector, quotes = entry
        if defector.pk is None and not data.get("not_duplicate"):
            # A new case that may be someone already recorded waits for "this is not a duplicate".
            candidates = possible_duplicates(
                {
                    "name": defector.name,
                    "country": defector.country.code or "",
                    "reported_on": defector.reported_on,
                    "sources": [source] if source.pk else [],
                },
                user=request.user,
            )
            if candidates:
                forms_["duplicates_to_confirm"] = True
                return self.render(forms_, fixed_source=fixed_source, status=200, duplicates=candidates)
        try:
            defector, saved = services.case_entry_save(
                source=source, defector=defector, quotes=quotes, coder=request.user
            )
        except ValidationError as error:
            forms_["errors"] = error.messages
            return self.render(forms_, fixed_source=fixed_source, status=400)
        messages.success(
            request,
            f"Saved case {defector.case_id} with {len(saved)} quote{'s' if len(saved) != 1 else ''} "
            f"from \u201c{source.title}\u201d. Enter another case from this source below.",
        )
        return redirect(
            f"{reverse('testimony:case-entry')}?{urlencode({'source': source.pk, 'saved': defector.case_id})}"
        )

    def fixed_source(self):
        raw = self.request.GET.get("source", "")
        return Source.objects.select_related("outlet").filter(pk=raw).first() if raw.isdigit() else None

    def build_forms(self, *, data, fixed_source):
        user = self.request.user
        source_initial = {"source": fixed_source.pk} if fixed_source else {}
        return {
            "source_form": SourceChoiceForm(data, prefix="source", initial=source_initial),
            "new_source_form": NewSourceForm(data, prefix="new_source", use_required_attribute=False),
            "existing_form": ExistingDefectorForm(data, prefix="existing", defectors=Defector.objects.visible_to(user)),
            "defector_form": NewDefectorForm(
                data,
                prefix="defector",
                user=user,
                initial={"case_id": selectors.case_id_suggestion()},
                use_required_attribute=False,
            ),
            # Quotes are in the source's language unless said otherwise.
            "quote_formset": QuoteFormSet(
                data,
                prefix=QUOTE_PREFIX,
                form_kwargs={"initial": {"language": fixed_source.language}} if fixed_source else {},
            ),
            "errors": [],
        }

    def valid_entry(self, forms_):
        """(source, defector, quotes) when every part the entry uses is valid, else None
        (each form then carries its errors). Parts not used (the new-source fields when
        an existing source is chosen) are not validated."""
        ok = forms_["source_form"].is_valid()
        source = forms_["source_form"].cleaned_data.get("source") if ok else None
        # The new source's fields are absent once the source is fixed; its language select alone says nothing.
        if source is not None and set(forms_["new_source_form"].changed_data) - {"language"}:
            forms_["source_form"].add_error("source", BOTH_SOURCES)
            ok = False
        if ok and source is None:
            ok = forms_["new_source_form"].is_valid()
            if ok:
                source = forms_["new_source_form"].save(commit=False)
                source.outlet = forms_["new_source_form"].outlet()
        existing_ok = forms_["existing_form"].is_valid()
        defector = forms_["existing_form"].cleaned_data.get("existing_case_id") if existing_ok else None
        ok = ok and existing_ok
        # The suggested case ID may have moved on since the page was shown: it alone is no new case.
        if defector is not None and set(forms_["defector_form"].changed_data) - {"case_id"}:
            forms_["existing_form"].add_error("existing_case_id", BOTH_DEFECTORS)
            ok = False
        if existing_ok and defector is None:
            defector_ok = forms_["defector_form"].is_valid()
            ok = ok and defector_ok
            if defector_ok:
                defector = forms_["defector_form"].save(commit=False)
        formset = forms_["quote_formset"]
        ok = formset.is_valid() and ok
        if not ok:
            return None
        quotes = [
            services.QuoteEntry(quote=form.save(commit=False), narratives=list(form.cleaned_data["narratives"]))
            for form in formset.forms
            if form.has_changed()
        ]
        return source, defector, quotes

    def render(self, forms_, *, fixed_source, status=200, duplicates=None):
        user = self.request.user
        visible = Defector.objects.visible_to(user)
        saved_case = self.request.GET.get("saved", "")
        context = {
            **forms_,
            "fixed_source": fixed_source,
            "outlet_names": Outlet.objects.values_list("name", flat=True),
            # Suggestions only (any visible case ID typed is accepted): the latest entered, so that
            # the page stays small on a database of 100,000 cases.
            "cases": visible.order_by("-created_at", "-pk").values_list("case_id", "name")[:CASE_SUGGESTIONS],
            "saved_defector": visible.filter(case_id=saved_case).first() if saved_case else None,
            "shows_identity": can_view_identity(user),
            # testimony.duplicates: stored cases the new one may repeat, shown before it is saved.
            "possible_duplicates": duplicates,
        }
        return render(self.request, self.template_name, context, status=status)
