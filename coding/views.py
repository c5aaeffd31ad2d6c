"""The coding pages: the blind queue, reliability, adjudication."""

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from narratives.models import Narrative, Tag

from .agreement import agreement_report, choose_coders_and_narratives, quote_filterset
from .exchange import codings_export, codings_spreadsheet
from .models import CodingDecision
from .refi import codebook_qdc, project_qdpx
from .selectors import Status, with_coding_status
from .services import coding_decide, quote_adjudicate

SHORTCUT_KEYS = "123456789"


def _query(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _with_query(url: str, query: str) -> str:
    return f"{url}?{query}" if query else url


class CoderRequiredMixin(LoginRequiredMixin, PermissionRequiredMixin):
    """Coding writes tags: researchers (narratives.add_tag)."""

    permission_required = "narratives.add_tag"


def _coding_set(request):
    filterset = quote_filterset(request.GET, request=request)
    quotes = filterset.qs.order_by("pk") if filterset.is_valid() else None
    return filterset, quotes


class CodingQueueView(CoderRequiredMixin, View):
    """``/coding/?<quote filters>``: the next quote of the set you have not coded."""

    def get(self, request):
        filterset, quotes = _coding_set(request)
        if quotes is None:
            return render(
                request, "coding/queue_done.html", {"filter": filterset, "errors": filterset.errors}, status=400
            )
        uncoded = quotes.exclude(coding_decisions__coder=request.user)
        first = uncoded.values_list("pk", flat=True).first()
        if first is not None:
            return redirect(_with_query(reverse("coding:quote", args=[first]), _query(request)))
        context = {"total": quotes.count(), "query": _query(request)}
        return render(request, "coding/queue_done.html", context)


class QuoteCodingView(CoderRequiredMixin, View):
    """One quote to code. Other coders' tags stay hidden until you have coded it."""

    def get(self, request, pk):
        return self.show(request, pk)

    def post(self, request, pk):
        filterset, quotes = _coding_set(request)
        quote = get_object_or_404(quotes if quotes is not None else filterset.queryset.none(), pk=pk)
        codes = request.POST.getlist("narrative")
        none_applies = request.POST.get("none") == "1"
        if not codes and not none_applies:
            return self.show(
                request, pk, error="Tick the narratives that apply, or choose \u201cNone applies\u201d (0)."
            )
        if codes and none_applies:
            return self.show(request, pk, error="\u201cNone applies\u201d cannot go with ticked narratives.")
        narratives = list(Narrative.objects.filter(code__in=codes))
        if len(narratives) != len(set(codes)):
            return self.show(request, pk, error="Unknown narrative code.")
        coding_decide(quote=quote, coder=request.user, narratives=narratives)
        next_uncoded = (
            quotes.exclude(coding_decisions__coder=request.user).filter(pk__gt=pk).values_list("pk", flat=True).first()
        )
        if next_uncoded is None:
            return redirect(_with_query(reverse("coding:queue"), _query(request)))
        return redirect(_with_query(reverse("coding:quote", args=[next_uncoded]), _query(request)))

    def show(self, request, pk, error=None):
        filterset, quotes = _coding_set(request)
        if quotes is None:
            return render(
                request, "coding/queue_done.html", {"filter": filterset, "errors": filterset.errors}, status=400
            )
        quote = get_object_or_404(quotes.select_related("defector", "source__outlet"), pk=pk)
        narratives = list(Narrative.objects.order_by("display_order", "code"))
        decision = CodingDecision.objects.filter(quote=quote, coder=request.user).first()
        mine = set(Tag.objects.filter(quote=quote, coder=request.user).values_list("narrative__code", flat=True))
        others = None
        if decision is not None:
            # Revealed only now that this coder's own decision is on record (blind coding).
            others = {}
            for username in (
                CodingDecision.objects.filter(quote=quote)
                .exclude(coder=request.user)
                .values_list("coder__username", flat=True)
            ):
                others[username] = []
            for tag in Tag.objects.filter(quote=quote).exclude(coder=request.user).select_related("coder", "narrative"):
                others.setdefault(tag.coder.username if tag.coder else "(imported, no coder)", []).append(tag.narrative)
        query = _query(request)
        previous = quotes.filter(pk__lt=pk).order_by("-pk").values_list("pk", flat=True).first()
        following = quotes.filter(pk__gt=pk).values_list("pk", flat=True).first()
        context = {
            "quote": quote,
            "choices": [
                {"narrative": n, "key": SHORTCUT_KEYS[i] if i < len(SHORTCUT_KEYS) else "", "checked": n.code in mine}
                for i, n in enumerate(narratives)
            ],
            "decision": decision,
            "none_applies": decision is not None and not mine,
            "others": others,
            "error": error,
            "query": query,
            "previous_url": _with_query(reverse("coding:quote", args=[previous]), query) if previous else None,
            "next_url": _with_query(reverse("coding:quote", args=[following]), query) if following else None,
            "remaining": quotes.exclude(coding_decisions__coder=request.user).count(),
        }
        return render(request, "coding/quote_coding.html", context, status=400 if error else 200)


def reliability_request(params, *, request=None, include_restricted: bool = False):
    """Parse a reliability request (the page, the API, the command): errors name the parameter."""
    filterset = quote_filterset(params, request=request, include_restricted=include_restricted)
    getlist = params.getlist if hasattr(params, "getlist") else (lambda k: params.get(k, []))
    coders, narratives, errors = choose_coders_and_narratives(coders=getlist("coder"), narratives=getlist("narrative"))
    if not filterset.is_valid():
        errors.update({k: list(v) for k, v in filterset.errors.items()})
    return filterset, coders, narratives, errors


class ReliabilityView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    """``/coding/reliability/?coder=..&narrative=..&<quote filters>``."""

    permission_required = "narratives.view_tag"
    template_name = "coding/reliability.html"

    def get(self, request, *args, **kwargs):
        filterset, coders, narratives, errors = reliability_request(request.GET, request=request)
        context = {"errors": errors, "query": _query(request), "all_narratives": Narrative.objects.all()}
        if errors:
            return self.render_to_response(context, status=400)
        report = agreement_report(quotes=filterset.qs, coders=coders, narratives=narratives)
        names = {n.code: n.name for n in narratives}
        context.update(
            report=report,
            rows=[{"code": code, "name": names[code], **stats} for code, stats in report["narratives"].items()],
            chosen_coders=set(report["coders"]),
            chosen_narratives={n.code for n in narratives},
        )
        return self.render_to_response(context)


class AdjudicationListView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    """``/coding/adjudication/?status=disputed&<quote filters>``: quotes with their coding status."""

    permission_required = "coding.adjudicate"
    template_name = "coding/adjudication_list.html"

    def get(self, request, *args, **kwargs):
        filterset = quote_filterset(request.GET, request=request)
        status = request.GET.get("status", Status.DISPUTED)
        errors = {} if filterset.is_valid() else dict(filterset.errors)
        if status not in Status.ALL:
            errors["status"] = [f"Choose one of: {', '.join(Status.ALL)}."]
        if errors:
            return self.render_to_response({"errors": errors, "statuses": Status.ALL}, status=400)
        quotes = with_coding_status(filterset.qs).select_related("defector")
        counts = {s: 0 for s in Status.ALL}
        for row in with_coding_status(filterset.qs.order_by()).values("coding_status"):
            counts[row["coding_status"]] += 1
        query = request.GET.copy()
        query.pop("status", None)
        context = {
            "quotes": quotes.filter(coding_status=status).order_by("pk")[:200],
            "status": status,
            "statuses": [{"name": s, "count": counts[s]} for s in Status.ALL],
            "query": query.urlencode(),
        }
        return self.render_to_response(context)


class AdjudicateView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """Both codings of one quote side by side; the reviewer records the agreed narratives and a note."""

    permission_required = "coding.adjudicate"

    def get(self, request, pk):
        return self.show(request, pk)

    def post(self, request, pk):
        filterset = quote_filterset(request.GET, request=request)
        quote = get_object_or_404(filterset.qs if filterset.is_valid() else filterset.queryset.none(), pk=pk)
        narratives = list(Narrative.objects.filter(code__in=request.POST.getlist("narrative")))
        try:
            quote_adjudicate(
                quote=quote, reviewer=request.user, narratives=narratives, note=request.POST.get("note", "")
            )
        except ValidationError as error:
            return self.show(request, pk, error=" ".join(m for ms in error.message_dict.values() for m in ms))
        return redirect(_with_query(reverse("coding:adjudication"), _query(request)))

    def show(self, request, pk, error=None):
        filterset = quote_filterset(request.GET, request=request)
        quote = get_object_or_404(
            with_coding_status(filterset.qs if filterset.is_valid() else filterset.queryset.none()).select_related(
                "defector", "source__outlet"
            ),
            pk=pk,
        )
        codings = {
            username: []
            for username in CodingDecision.objects.filter(quote=quote).values_list("coder__username", flat=True)
        }
        applied = []
        for tag in Tag.objects.filter(quote=quote).select_related("coder", "narrative"):
            codings.setdefault(tag.coder.username if tag.coder else "(imported, no coder)", []).append(tag.narrative)
            if tag.narrative not in applied:
                applied.append(tag.narrative)
        adjudication = getattr(quote, "adjudication", None)
        agreed = set(adjudication.narratives.values_list("code", flat=True)) if adjudication else set()
        context = {
            "quote": quote,
            "codings": sorted(codings.items()),
            "choices": [{"narrative": n, "checked": n.code in agreed} for n in applied],
            "adjudication": adjudication,
            "error": error,
            "query": _query(request),
        }
        return render(request, "coding/adjudicate.html", context, status=400 if error else 200)


class CodingExportView(LoginRequiredMixin, PermissionRequiredMixin, View):
    """``/coding/export/<format>/?<quote filters>``: the decisions (csv), the wide
    spreadsheet, a REFI-QDA project or the codebook, of the quotes you may see
    (restricted ones only with testimony.view_restricted); never identity fields."""

    permission_required = "narratives.view_tag"
    formats = {
        "csv": ("text/csv; charset=utf-8", "codings.csv"),
        "wide": ("text/csv; charset=utf-8", "codings-wide.csv"),
        "qdpx": ("application/zip", "codings.qdpx"),
        "qdc": ("application/xml", "codebook.qdc"),
    }

    def get(self, request, kind):
        if kind not in self.formats:
            raise Http404("Unknown format.")
        filterset = quote_filterset(request.GET, request=request)
        if not filterset.is_valid():
            return JsonResponse({"detail": "Invalid input.", "errors": filterset.errors}, status=400)
        quotes = filterset.qs
        content = {
            "csv": lambda: codings_export(quotes),
            "wide": lambda: codings_spreadsheet(quotes),
            "qdpx": lambda: project_qdpx(quotes, name="Defector testimony"),
            "qdc": codebook_qdc,
        }[kind]()
        content_type, filename = self.formats[kind]
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
