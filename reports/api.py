"""``/api/v1/reports/``: the studies; ``/api/v1/reports/<code>/``: the JSON of
``regenerate_report --format json``, in a scope (``?scope=published|today``),
over the whole study or over the defectors chosen by DefectorFilterSet's
parameters (``?sex=female``); ``/api/v1/reports/<code>/members/``: its case list."""

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from accounts.access import can_browse
from testimony.filters import DefectorFilterSet
from testimony.models import Defector

from .models import Study, StudyMembership
from .scopes import SCOPES
from .subset import scope_error, subset_filterset, subset_report


class CanBrowse(BasePermission):
    """Anonymous readers only while TESTIMONY_PUBLIC_READ is on (accounts.access)."""

    def has_permission(self, request, view):
        return can_browse(request.user)


def _filter_parameters() -> list[OpenApiParameter]:
    return [
        OpenApiParameter(name, str, description=str(f.extra.get("help_text", "")))
        for name, f in DefectorFilterSet.base_filters.items()
        if name not in ("ordering", "study")
    ] + [
        OpenApiParameter(
            "scope",
            str,
            enum=list(SCOPES),
            description="published: the case list as recorded when the study was frozen (default for a study "
            "with one); today: the study's inclusion criteria over the whole database now.",
        )
    ]


class StudySerializer(serializers.ModelSerializer):
    window = serializers.SerializerMethodField()
    member_count = serializers.IntegerField(read_only=True)
    report = serializers.SerializerMethodField()
    members = serializers.SerializerMethodField()

    class Meta:
        model = Study
        fields = [
            "code",
            "title",
            "author",
            "published_on",
            "window",
            "criteria",
            "frozen_at",
            "member_count",
            "report",
            "members",
        ]

    def get_window(self, study) -> dict:
        return {"start": study.window_start.isoformat(), "end": study.window_end.isoformat()}

    def get_report(self, study) -> str:
        return reverse("api:study-report", args=[study.code], request=self.context.get("request"))

    def get_members(self, study) -> str:
        return reverse("api:study-members", args=[study.code], request=self.context.get("request"))


class StudyListAPIView(generics.ListAPIView):
    """The studies, each with its criteria, freezing moment and case list size."""

    permission_classes = [CanBrowse]
    serializer_class = StudySerializer

    def get_queryset(self):
        from django.db.models import Count

        return Study.objects.annotate(member_count=Count("memberships")).order_by("code")


class MembershipSerializer(serializers.ModelSerializer):
    case_id = serializers.CharField(source="defector.case_id")

    class Meta:
        model = StudyMembership
        fields = ["case_id", "note", "source"]


class StudyMembersAPIView(generics.ListAPIView):
    """A study's case list: the defectors it counted (restricted ones only for view_restricted)."""

    permission_classes = [CanBrowse]
    serializer_class = MembershipSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI document's introspection
            return StudyMembership.objects.none()
        study = get_object_or_404(Study, code=self.kwargs["code"])
        visible = Defector.objects.visible_to(self.request.user)
        return (
            StudyMembership.objects.filter(study=study, defector__in=visible)
            .select_related("defector")
            .order_by("defector__case_id")
        )


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
        if error := scope_error(request.query_params):
            raise ValidationError({"scope": [error]})
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        scope = request.query_params.get("scope") or None
        return Response(subset_report(study=study, filterset=filterset, request=request, scope=scope))
