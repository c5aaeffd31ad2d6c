"""``/api/v1/reports/<code>/``: the JSON of ``regenerate_report --format json``,
over the whole study or over the defectors chosen by DefectorFilterSet's
parameters (``?sex=female``)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import can_browse
from testimony.filters import DefectorFilterSet

from .models import Study
from .subset import subset_filterset, subset_report


class CanBrowse(BasePermission):
    """Anonymous readers only while TESTIMONY_PUBLIC_READ is on (accounts.access)."""

    def has_permission(self, request, view):
        return can_browse(request.user)


def _filter_parameters() -> list[OpenApiParameter]:
    return [
        OpenApiParameter(name, str, description=str(f.extra.get("help_text", "")))
        for name, f in DefectorFilterSet.base_filters.items()
        if name not in ("ordering", "study")
    ]


class StudyReportAPIView(APIView):
    permission_classes = [CanBrowse]

    @extend_schema(
        summary="A study's figures, regenerated from the database",
        description=(
            "Same JSON as `manage.py regenerate_report <code> --format json`. Defector filters compute the "
            "figures over a subset (restricted records are counted, except in a subset chosen by text for "
            "users who may not see them: see `scope.restricted_left_out`). An invalid filter is a 400 naming the field."
        ),
        parameters=_filter_parameters(),
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, code: str):
        study = get_object_or_404(Study, code=code)
        filterset = subset_filterset(request.query_params, user=request.user)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        return Response(subset_report(study=study, filterset=filterset, request=request))
