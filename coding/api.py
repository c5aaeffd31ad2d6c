"""``/api/v1/reliability/``: the reliability page's numbers as JSON (the shape of ``manage.py reliability``)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from testimony.filters import QUOTE_DEFECTOR_FILTERS, QuoteFilterSet

from .agreement import agreement_report
from .views import reliability_request


class CanReadCodings(BasePermission):
    """Coders' tags are research data of the team: signed-in holders of narratives.view_tag."""

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.has_perm("narratives.view_tag"))


def _parameters() -> list[OpenApiParameter]:
    quote_filters = [
        OpenApiParameter(name, str, description=str(f.extra.get("help_text", "")))
        for name, f in QuoteFilterSet.base_filters.items()
        if name not in ("narrative", "ordering")
    ]
    return [
        OpenApiParameter("coder", str, many=True, description="Username of a coder; repeat (default: all who coded)."),
        OpenApiParameter("narrative", str, many=True, description="Narrative code to measure; repeat (default: all)."),
        *quote_filters,
        *(
            OpenApiParameter(name, str, description="Defector filter, as on /api/v1/quotes/.")
            for name in QUOTE_DEFECTOR_FILTERS
        ),
    ]


class ReliabilityAPIView(APIView):
    permission_classes = [CanReadCodings]

    @extend_schema(
        summary="Inter-coder reliability over a filtered set of quotes",
        description=(
            "Per narrative and for the whole codebook: Krippendorff's alpha (nominal), percent agreement, "
            "Cohen's kappa (exactly two coders, else null) and Fleiss' kappa, each with a bootstrap 95% interval, "
            "units and pairable values; confusion tables per pair of coders and the quotes they disagree on. "
            "An unknown coder, narrative or filter is a 400 naming the parameter."
        ),
        parameters=_parameters(),
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        filterset, coders, narratives, errors = reliability_request(request.query_params, request=request)
        if errors:
            raise ValidationError(errors)
        return Response(agreement_report(quotes=filterset.qs, coders=coders, narratives=narratives))
