"""The report pages: the list of studies, a study's figures with charts and
drill-down links, its CSV/JSON downloads and a printable page."""

import logging
import mimetypes
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Count
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.generic import ListView, TemplateView

from accounts.access import BrowseRequiredMixin, can_view_identity, can_view_restricted
from audit.models import Action
from audit.services import record_access
from testimony.active_filters import active_filters
from testimony.generation import cached_count
from testimony.kept_pages import KeptPageMixin
from testimony.models import Defector
from testimony.regions import region_label
from testimony.selectors import defector_facets, filter_params

from . import charts, links
from .disclosure import HIDDEN, is_masked
from .labels import figure_label
from .measures import Period
from .models import Qualifier, Study
from .render import as_csv, as_json
from .scopes import SCOPES
from .selectors import NOT_PRECISE, counted_tags_notice
from .subset import scope_error, subset_defectors, subset_filterset, subset_params, subset_report


class StudyListView(BrowseRequiredMixin, ListView):
    """The studies; ``/reports/?sex=female`` (the list's "report on this set") passes the set to each."""

    template_name = "reports/study_list.html"
    context_object_name = "studies"

    def get_queryset(self):
        return Study.objects.annotate(member_count=Count("memberships"))

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "subset_query": subset_params(self.request.GET).urlencode()}


def _period_of_month(month: str) -> Period:
    year, number = int(month[:4]), int(month[5:])
    return Period.months(year, number, year, number)


def _period_of_label(label: str) -> Period:
    first, _, last = label.partition("/")
    last = last or first
    return Period.months(int(first[:4]), int(first[5:]), int(last[:4]), int(last[5:]))


def _display(figure: dict, value, *, qualified: bool = False) -> str:
    if value is None:
        return "hidden" if figure["verdict"] == HIDDEN else "\u2013"
    if is_masked(value):
        return value
    text = f"{value * 100:.1f}%" if figure["kind"] == "share" else str(value)
    qualifier = figure["qualifier"]
    if qualified and qualifier != "exact":
        text = f"{dict(Qualifier.choices)[qualifier]} {text}"
    return text


def page_tables(study: Study, report: dict, subset) -> dict:
    """Rows for the template: each count with the link to the defectors behind it."""
    tables = report["tables"]
    scope = report["scope"]["name"]

    def link(bucket, count):
        # A count hidden by disclosure control gets no link: the list would count it.
        return None if is_masked(count) else links.drilldown_url(study, subset, bucket, count, scope=scope)

    def cell(bucket, count):
        return {"count": count, "url": link(bucket, count)}

    sex_labels = dict(Defector.Sex.choices)
    narratives = {n["code"]: n["name"] for n in report["narratives"]}
    months = [(m, n) for m, n in tables["by_month"].items() if m != NOT_PRECISE]
    figures = []
    for figure in report["figures"]:
        count = figure.get("numerator", figure["computed"])
        bucket = links.measure_params(figure) if isinstance(count, int) else None
        figures.append(
            {
                **figure,
                "url": link(bucket, count),
                "figure_link": cell(bucket, count),
                "label": figure_label(figure["key"]),
                "published_display": _display(figure, figure["published"], qualified=True),
                "computed_display": _display(figure, figure["computed"]),
            }
        )
    return {
        "headline_total": cell({}, report["measures"]["total_defectors"]),
        "figures": figures,
        "sex": [{"label": sex_labels[s], **cell({"sex": s}, n)} for s, n in tables["by_sex"].items()],
        "countries": [
            {"label": c["name"], "code": c["code"], **cell(links.country_params(c["code"]), c["defectors"])}
            for c in report["countries"]
        ],
        "months": [{"label": m, **cell(links.period_params(_period_of_month(m), study), n)} for m, n in months],
        "months_not_precise": cell({"reported_precision": ["year"]}, tables["by_month"][NOT_PRECISE]),
        "years": [
            {"label": y, **cell(links.period_params(Period.months(int(y), 1, int(y), 12), study), n)}
            for y, n in tables["by_year"].items()
        ],
        "periods": [
            {
                "label": row["title"],
                **cell(links.period_params(_period_of_label(label), study), row["defectors"]),
                "not_precise": cell(links.not_precise_params(_period_of_label(label), study), row[NOT_PRECISE]),
            }
            for label, row in tables["by_period"].items()
        ],
        "regions": [{"label": region_label(r), **cell({"region": r}, n)} for r, n in tables["by_region"].items()],
        "narratives": [
            {
                "code": code,
                "label": narratives[code],
                **cell({"narrative_all": [code]}, row["defectors"]),
                "quotes": row["quotes"],
                "quotes_url": reverse("narratives:narrative-detail", args=[code]),
            }
            for code, row in tables["by_narrative"].items()
        ],
        "pairs": [
            {
                "label": " + ".join(narratives[c] for c in pair.split("+")),
                **cell({"narrative_all": pair.split("+")}, n),
            }
            for pair, n in tables["narrative_pairs"].items()
        ],
        "sex_columns": [sex_labels[s] for s in tables["by_sex"]],
        "narrative_by_sex": [
            {"label": narratives[code], "cells": [cell({"narrative_all": [code], "sex": s}, n) for s, n in row.items()]}
            for code, row in tables["narrative_by_sex"].items()
        ],
        "region_columns": [region_label(r) for r in tables["by_region"]],
        "narrative_by_region": [
            {
                "label": narratives[code],
                "cells": [cell({"narrative_all": [code], "region": r}, n) for r, n in row.items()],
            }
            for code, row in tables["narrative_by_region"].items()
        ],
    }


def page_charts(report: dict) -> dict:
    tables = report["tables"]
    codes = [n["code"] for n in report["narratives"]]
    names = [n["name"] for n in report["narratives"]]

    def co_occurrence(a, b):
        if a == b:
            return tables["by_narrative"][codes[a]]["defectors"]
        pair = f"{codes[min(a, b)]}+{codes[max(a, b)]}"
        return tables["narrative_pairs"].get(pair)

    return {
        "months": charts.month_bars(
            "Defectors per month",
            [(m, n) for m, n in tables["by_month"].items() if m != NOT_PRECISE],
            summer_year=report["window"]["end"][:4],
        ),
        "countries": charts.horizontal_bars(
            "Defectors by country", [(c["name"], c["defectors"]) for c in report["countries"]]
        ),
        "sex": charts.horizontal_bars("Defectors by sex", list(tables["by_sex"].items())),
        "narratives": charts.horizontal_bars(
            "Defectors per narrative",
            [(name, tables["by_narrative"][code]["defectors"]) for code, name in zip(codes, names, strict=True)],
            colours=[n["colour"] for n in report["narratives"]],
        ),
        "co_occurrence": charts.matrix("Narratives on the same defector", names, co_occurrence, column_labels=codes),
    }


class StudyReportView(BrowseRequiredMixin, KeptPageMixin, TemplateView):
    """``/reports/<code>/``: the whole study, or ``?sex=female`` etc. for a subset.
    Kept until the data changes (testimony/kept_pages.py); its "Generated" time is
    then the first rendering's, from the same data."""

    template_name = "reports/study_report.html"
    kept_page_name = "study_report"

    def kept_page_served(self, request, *args, **kwargs):
        # A subset asked by a user without identity access is recorded on every view
        # (reports.subset.record_subset_request), also when the page is kept.
        filterset = subset_filterset(request.GET, user=request.user)
        if filterset.data and not can_view_identity(request.user):
            study = get_object_or_404(Study, code=kwargs["code"])
            subset_report(study=study, filterset=filterset, request=request, scope=request.GET.get("scope") or None)

    def get(self, request, *args, **kwargs):
        self.study = get_object_or_404(Study, code=kwargs["code"])
        self.filterset = subset_filterset(request.GET, user=request.user)
        self.scope_error = scope_error(request.GET)
        if self.scope_error or not self.filterset.is_valid():
            context = self.get_context_data(report=None)
            return self.render_to_response(context, status=400)
        scope = request.GET.get("scope") or None
        self.report = subset_report(study=self.study, filterset=self.filterset, request=request, scope=scope)
        return self.render_to_response(self.get_context_data(report=self.report))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        subset = subset_params(self.request.GET)
        scope = self.request.GET.get("scope", "")
        context.update(
            study=self.study,
            filter=self.filterset,
            scope_error=self.scope_error,
            query=_with_scope(subset, scope),
            subset_query=subset.urlencode(),
            # The first page of a printed or PDF copy says when and under which filters it was made.
            generated_at=timezone.now().replace(microsecond=0),
            active_filters=active_filters(self.filterset, subset, path=self.request.path),
        )
        if context["report"] is not None:
            report_scope = context["report"]["scope"]["name"]
            context["scope_links"] = [
                {"name": name, "url": f"?{_with_scope(subset, name)}", "current": name == report_scope}
                for name in SCOPES
            ]
            context["list_url"] = reverse("testimony:defector-list")
            context.update(page_tables(self.study, context["report"], subset), charts=page_charts(context["report"]))
            scope_name = context["report"]["scope"]["name"]
            context["tags_counted"] = cached_count(  # it reads every tag in scope: kept like the report
                f"tags_counted:{self.study.code}:{scope_name}",
                user=self.request.user,
                params=filter_params(subset),
                request=self.request,
                compute=lambda: counted_tags_notice(
                    study=self.study, scope=scope_name, defectors=subset_defectors(self.filterset)
                ),
            )
            context["hidden_restricted"] = (
                0 if can_view_restricted(self.request.user) else context["report"]["restricted_defectors"]
            )
        # The list's side panel, with its facet counts over the database.
        valid_params = subset.copy()
        for key in self.filterset.errors:
            valid_params.pop(key, None)
        context["facets"] = defector_facets(valid_params, user=self.request.user, selected=subset, request=self.request)
        return context


def _with_scope(subset, scope: str) -> str:
    query = subset.copy()
    if scope:
        query["scope"] = scope
    return query.urlencode()


class StudyPrintView(StudyReportView):
    template_name = "reports/study_report_print.html"
    kept_page_name = None  # a printed copy says when it was made


def static_only_fetcher():
    """WeasyPrint's fetcher for report.pdf: the site's own static files, read from
    disk (fetching them over HTTP from this server could wait on itself), and
    nothing else, so a report can never make the server fetch an outside address."""
    from django.contrib.staticfiles import finders
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnly(URLFetcher):
        def fetch(self, url, headers=None):
            path = urlsplit(url).path
            if path == reverse("narratives:narrative-colours"):
                # Narrative badges' colours: the report draws none, and the stylesheet is a view.
                return URLFetcherResponse(url, b"", {"Content-Type": "text/css"})
            found = path.startswith(settings.STATIC_URL) and finders.find(path.removeprefix(settings.STATIC_URL))
            if not found:
                raise ValueError(f"not fetched for the PDF: {url}")
            with open(found, "rb") as file:
                body = file.read()
            return URLFetcherResponse(url, body, {"Content-Type": mimetypes.guess_type(found)[0] or "text/plain"})

    return StaticOnly()


class StudyPdfView(StudyReportView):
    """``report.pdf``: the printable page, same filters, rendered on the server by
    WeasyPrint with the print stylesheet, for researchers who file the report."""

    template_name = "reports/study_report_print.html"
    kept_page_name = None  # a PDF, made when asked

    def render_to_response(self, context, **response_kwargs):
        if context["report"] is None:
            return super().render_to_response(context, **response_kwargs)
        from weasyprint import HTML  # imported here: it loads Pango, which only this view needs

        # WeasyPrint warns of every screen-only CSS property it skips (box-shadow, overflow...).
        logging.getLogger("weasyprint").setLevel(logging.ERROR)

        record_access(
            request_or_user=self.request,
            action=Action.REPORT_DOWNLOAD,
            parameters={"study": [self.study.code], "format": ["pdf"], **dict(self.request.GET.lists())},
        )
        page = render_to_string(self.template_name, context, request=self.request)
        pdf = HTML(string=page, base_url=self.request.build_absolute_uri("/"), url_fetcher=static_only_fetcher())
        response = HttpResponse(pdf.write_pdf(), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{self.study.code}-report.pdf"'
        return response


class StudyDownloadView(BrowseRequiredMixin, TemplateView):
    """``figures.csv`` and ``figures.json``: the same report as ``regenerate_report``."""

    formats = {"csv": ("text/csv; charset=utf-8", as_csv), "json": ("application/json", as_json)}

    def get(self, request, *args, **kwargs):
        study = get_object_or_404(Study, code=kwargs["code"])
        filterset = subset_filterset(request.GET, user=request.user)
        if error := scope_error(request.GET):
            return JsonResponse({"scope": [{"message": error, "code": "invalid"}]}, status=400)
        if not filterset.is_valid():
            return HttpResponse(filterset.errors.as_json(), status=400, content_type="application/json")
        content_type, render = self.formats[kwargs["format"]]
        scope = request.GET.get("scope") or None
        report = subset_report(study=study, filterset=filterset, request=request, scope=scope, log=False)
        record_access(
            request_or_user=request,
            action=Action.REPORT_DOWNLOAD,
            parameters={
                "study": [study.code],
                "format": [kwargs["format"]],
                **{k: request.GET.getlist(k) for k in request.GET},
            },
        )
        response = HttpResponse(render(report), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{study.code}-figures.{kwargs["format"]}"'
        return response
