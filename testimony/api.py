"""/api/v1/defectors/, quotes/, sources/ and outlets/ (docs/contract.md, "REST API").

Thin viewsets: the queryset comes from the selectors (``visible_to(user)``,
so a restricted record is a 404 for whoever may not see it), filtering from
the same FilterSets as the pages, writes from the services, access from
accounts.access. Identity fields are in a defector's JSON only for holders
of ``testimony.view_identity``; each response that shows them is logged.
"""

from django.db.models import Prefetch
from django.http import Http404
from django_countries.serializers import CountryFieldMixin
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.response import Response
from rest_framework.reverse import reverse

from accounts.access import can_view_identity
from audit.models import Action
from audit.services import record_identity_view
from config.api import with_tiebreak
from config.api_schema import filter_parameters
from config.services import model_update
from narratives.models import Narrative
from narratives.services import quote_set_narratives

from . import selectors, services
from .duplicates import merged_into
from .filters import QUOTE_DEFECTOR_FILTERS, DefectorFilterSet, OutletFilterSet, QuoteFilterSet, SourceFilterSet
from .generation import kept
from .kept_pages import page_identity
from .models import Defector, Outlet, Quote, Source

IDENTITY_HELP = "Identity field: present only for holders of testimony.view_identity, who alone may set it."


def _shows_identity(serializer) -> bool:
    view = serializer.context.get("view")
    if getattr(view, "swagger_fake_view", False):
        return True  # the OpenAPI document describes the fields, marked as identity fields
    request = serializer.context.get("request")
    return bool(request and can_view_identity(request.user))


class DefectorSerializer(CountryFieldMixin, serializers.ModelSerializer):
    sources = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=Source.objects.all(),
        required=False,
        help_text="IDs of the sources covering the defector. Sources the defector is quoted from are always kept.",
    )
    narratives = serializers.SerializerMethodField(help_text="Codes of the narratives the defector's quotes carry.")
    quote_count = serializers.IntegerField(read_only=True, help_text="Number of quotes.")

    class Meta:
        model = Defector
        fields = [
            "case_id",
            "name",
            "sex",
            "country",
            "reported_on",
            "reported_precision",
            "defected_on",
            "defected_precision",
            "role",
            "status",
            "visibility",
            "provenance",
            "notes",
            "sources",
            "narratives",
            "quote_count",
            *Defector.IDENTITY_FIELDS,
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {
            "case_id": {"help_text": "Stable public identifier, e.g. ICSR15-001; set on creation, never changed."},
            **{name: {"help_text": IDENTITY_HELP} for name in Defector.IDENTITY_FIELDS},
        }

    def get_fields(self):
        fields = super().get_fields()
        if not _shows_identity(self):
            for name in Defector.IDENTITY_FIELDS:
                fields.pop(name)
        return fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_narratives(self, defector) -> list[str]:
        if not hasattr(defector, "narrative_codes"):
            selectors.attach_narrative_codes([defector])
        return defector.narrative_codes

    def validate(self, attrs):
        if self.instance is not None and "case_id" in attrs:
            services.defector_case_id_check(defector=self.instance, case_id=attrs["case_id"])
        # Refused rather than ignored: a client that believes it saved a location must learn it did not.
        refused = [name for name in Defector.IDENTITY_FIELDS if name in self.initial_data]
        if refused and not _shows_identity(self):
            raise serializers.ValidationError(
                {name: ["You may not set identity fields (needs testimony.view_identity)."] for name in refused}
            )
        return attrs


class QuoteSerializer(serializers.ModelSerializer):
    defector = serializers.SlugRelatedField(
        slug_field="case_id", queryset=Defector.objects.all(), help_text="Case ID of the defector quoted."
    )
    narratives = serializers.SlugRelatedField(
        many=True,
        slug_field="code",
        queryset=Narrative.objects.all(),
        required=False,
        help_text="Codes of the narratives the quote is tagged with. On writes, exactly these (tagged by you).",
    )

    class Meta:
        model = Quote
        fields = ["id", "defector", "source", "text", "language", "translation", "locator", "narratives"]
        fields += ["created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        # A restricted defector's case ID is as unknown as a missing one.
        fields["defector"].queryset = Defector.objects.visible_to(request.user if request else None)
        return fields


class SourceSerializer(serializers.ModelSerializer):
    outlet = serializers.SlugRelatedField(
        slug_field="name", queryset=Outlet.objects.all(), help_text="Exact name of the outlet, e.g. 'BBC News'."
    )

    class Meta:
        model = Source
        fields = ["id", "outlet", "title", "url", "published_on", "language", "archived_url", "accessed_on"]


class OutletSerializer(CountryFieldMixin, serializers.ModelSerializer):
    class Meta:
        model = Outlet
        fields = ["id", "name", "country", "website", "kind"]


# --- Views ------------------------------------------------------------------

DEFECTOR_EXAMPLE = OpenApiExample(
    "A defector",
    response_only=True,
    value={
        "case_id": "ICSR15-001",
        "name": "Abu Ibrahim",
        "sex": "male",
        "country": "SY",
        "reported_on": "2014-06-01",
        "reported_precision": "month",
        "defected_on": None,
        "defected_precision": "",
        "role": "fighter",
        "status": "in_third_country",
        "visibility": "public",
        "provenance": "published",
        "notes": "",
        "sources": [3, 17],
        "narratives": ["infighting", "brutality"],
        "quote_count": 2,
        "created_at": "2025-01-01T00:00:00Z",
        "updated_at": "2025-01-01T00:00:00Z",
    },
)


class IdentityLoggingMixin:
    """Logs (audit.AccessEvent, action api_identity_view) every response that shows identity fields."""

    def log_identity(self, defectors):
        record_identity_view(request=self.request, defectors=defectors, action=Action.API_IDENTITY_VIEW)


@extend_schema_view(
    list=extend_schema(
        summary="Defectors, filtered like /defectors/",
        description="The same query parameters as the /defectors/ page; an invalid one is a 400 naming it.",
        examples=[DEFECTOR_EXAMPLE],
    ),
    retrieve=extend_schema(summary="One defector by case ID", examples=[DEFECTOR_EXAMPLE]),
    create=extend_schema(summary="Add a defector (researchers)"),
    update=extend_schema(summary="Replace a defector (researchers)"),
    partial_update=extend_schema(summary="Change some fields of a defector (researchers)"),
    destroy=extend_schema(summary="Delete a defector and its quotes (researchers)"),
)
class DefectorViewSet(IdentityLoggingMixin, viewsets.ModelViewSet):
    serializer_class = DefectorSerializer
    filterset_class = DefectorFilterSet
    queryset = Defector.objects.all()  # narrowed per user in get_queryset
    lookup_field = "case_id"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return selectors.defector_base_queryset(user=self.request.user).prefetch_related(
            Prefetch("sources", queryset=Source.objects.only("pk"))
        )

    def filter_queryset(self, queryset):
        return selectors.stable_order(super().filter_queryset(queryset))

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        selectors.attach_narrative_codes(page)
        self.shown = page
        return page

    def list(self, request, *args, **kwargs):
        if can_view_identity(request.user):
            # Every response that shows identity fields is logged with the case IDs it showed.
            response = super().list(request, *args, **kwargs)
            self.log_identity(self.shown)
            return response
        # The page's data, kept until the data changes like the list page
        # (testimony/kept_pages.py); every format renders from it.
        answer = super().list
        key = page_identity("api_defector_list", request)
        return Response(kept(key, lambda: answer(request, *args, **kwargs).data, request=request))

    def retrieve(self, request, *args, **kwargs):
        try:
            defector = self.get_object()
        except Http404:
            # A merged case ID (services.defector_merge) points to the record it became.
            kept = merged_into(kwargs["case_id"], user=request.user)
            if kept is None:
                raise
            location = reverse("api:defector-detail", args=[kept.case_id], request=request)
            detail = {  # the API's error shape (docs/contract.md), with the pointer
                "detail": f"{kwargs['case_id']} was merged into {kept.case_id}.",
                "errors": {},
                "merged_into": kept.case_id,
            }
            return Response(detail, status=301, headers={"Location": location})
        data = self.get_serializer(defector).data
        self.log_identity([defector])
        return Response(data)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        sources = data.pop("sources", None)
        serializer.instance = services.defector_save(defector=Defector(**data), sources=sources)
        serializer.instance.quote_count = 0  # the list's annotation; a new defector has no quotes yet
        self.log_identity([serializer.instance])

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        sources = data.pop("sources", None)
        defector = serializer.instance
        model_update(instance=defector, fields=serializer.fields, data=data)  # identity ones only if shown
        serializer.instance = services.defector_save(defector=defector, sources=sources)
        self.log_identity([defector])

    def create(self, request, *args, **kwargs):
        return self.with_study_warnings(super().create(request, *args, **kwargs))

    def update(self, request, *args, **kwargs):
        return self.with_study_warnings(super().update(request, *args, **kwargs))

    def with_study_warnings(self, response):
        """A saved case that a frozen study does not count says so (``warnings``, a list of strings)."""
        warnings = services.case_warnings(Defector.objects.filter(case_id=response.data["case_id"]))
        if warnings:
            response.data["warnings"] = warnings
        return response


@extend_schema_view(
    list=extend_schema(
        summary="Quotes, filtered by their own fields and by the defector filters",
        parameters=filter_parameters(DefectorFilterSet, QUOTE_DEFECTOR_FILTERS),
    ),
    retrieve=extend_schema(summary="One quote"),
    create=extend_schema(summary="Add a quote (researchers)"),
)
class QuoteViewSet(viewsets.ModelViewSet):
    serializer_class = QuoteSerializer
    filterset_class = QuoteFilterSet
    queryset = Quote.objects.all()

    def get_queryset(self):
        return (
            Quote.objects.visible_to(self.request.user)
            .select_related("defector")
            .prefetch_related(Prefetch("narratives", queryset=Narrative.objects.distinct()))
        )

    def filter_queryset(self, queryset):
        return with_tiebreak(super().filter_queryset(queryset))

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        narratives = data.pop("narratives", None)
        serializer.instance = self._save(Quote(**data), narratives)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        narratives = data.pop("narratives", None)
        quote = serializer.instance
        model_update(instance=quote, fields=serializer.fields, data=data)
        serializer.instance = self._save(quote, narratives)

    def _save(self, quote, narratives):
        quote = services.quote_save(quote=quote)
        if narratives is not None:
            quote_set_narratives(quote=quote, narratives=narratives, coder=self.request.user)
        return Quote.objects.prefetch_related(Prefetch("narratives", queryset=Narrative.objects.distinct())).get(
            pk=quote.pk
        )


@extend_schema_view(list=extend_schema(summary="Sources (published items)"))
class SourceViewSet(viewsets.ModelViewSet):
    serializer_class = SourceSerializer
    filterset_class = SourceFilterSet
    queryset = Source.objects.select_related("outlet")

    def filter_queryset(self, queryset):
        return with_tiebreak(super().filter_queryset(queryset))

    def perform_create(self, serializer):
        serializer.instance = services.source_save(source=Source(**serializer.validated_data))

    def perform_update(self, serializer):
        source = serializer.instance
        model_update(instance=source, fields=serializer.fields, data=serializer.validated_data)
        serializer.instance = services.source_save(source=source)


@extend_schema_view(list=extend_schema(summary="Media outlets"))
class OutletViewSet(viewsets.ModelViewSet):
    serializer_class = OutletSerializer
    filterset_class = OutletFilterSet
    queryset = Outlet.objects.all()

    def filter_queryset(self, queryset):
        return with_tiebreak(super().filter_queryset(queryset))

    def perform_create(self, serializer):
        serializer.instance = services.outlet_save(outlet=Outlet(**serializer.validated_data))

    def perform_update(self, serializer):
        outlet = serializer.instance
        model_update(instance=outlet, fields=serializer.fields, data=serializer.validated_data)
        serializer.instance = services.outlet_save(outlet=outlet)
