"""/api/v1/narratives/: the codebook, looked up by code (docs/contract.md, "REST API")."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from config.services import model_update

from .models import Narrative
from .services import narrative_save


class NarrativeSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Narrative.objects.all(),
        required=False,
        allow_null=True,
        help_text="Code of the parent narrative, for sub-themes.",
    )

    class Meta:
        model = Narrative
        fields = ["code", "name", "definition", "inclusion_notes", "exclusion_notes", "display_order", "colour"]
        fields += ["parent"]


@extend_schema_view(
    list=extend_schema(summary="The codebook, in display order"),
    retrieve=extend_schema(summary="One narrative by code"),
)
class NarrativeViewSet(viewsets.ModelViewSet):
    serializer_class = NarrativeSerializer
    queryset = Narrative.objects.select_related("parent").order_by("display_order", "code")
    lookup_field = "code"

    def perform_create(self, serializer):
        serializer.instance = narrative_save(narrative=Narrative(**serializer.validated_data), user=self.request.user)

    def perform_update(self, serializer):
        narrative = serializer.instance
        model_update(instance=narrative, fields=serializer.fields, data=serializer.validated_data)
        serializer.instance = narrative_save(narrative=narrative, user=self.request.user)
