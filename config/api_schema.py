"""The OpenAPI document's shared parts (drf-spectacular): the error shape of
config.api.exception_handler on every operation, and parameters for filters a
view takes through another FilterSet. Apart from config.api because DRF
imports that module while loading its settings."""

import django_filters
from drf_spectacular import openapi
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "detail": serializers.CharField(help_text="What went wrong, in a sentence."),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            help_text="Messages per bad field or query parameter ('non_field_errors' for the whole input).",
        ),
    },
)


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema, with the error responses every operation may give."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["400", "401", "403", "404", "429"] + (["409"] if self.method == "DELETE" else [])
        for code in codes:
            responses.setdefault(code, self._get_response_for_code(ErrorSerializer, code, direction=direction))
        return responses


def filter_parameters(filterset_class, names) -> list[OpenApiParameter]:
    """OpenAPI parameters for filters that a view accepts through another
    FilterSet (QuoteFilterSet hands the defector filters to DefectorFilterSet)."""

    parameters = []
    for name in names:
        f = filterset_class.base_filters[name]
        many = isinstance(f, django_filters.MultipleChoiceFilter | django_filters.ModelMultipleChoiceFilter)
        choices = f.extra.get("choices")
        enum = None
        if choices is not None:
            enum = [value for value, _ in (choices() if callable(choices) else choices)]
        parameters.append(
            OpenApiParameter(
                name,
                OpenApiTypes.DATE if isinstance(f, django_filters.DateFilter) else OpenApiTypes.STR,
                description=str(f.extra.get("help_text", "")),
                enum=enum,
                many=many,
            )
        )
    return parameters


class FilterHelpTextExtension(DjangoFilterExtension):
    """drf-spectacular's django-filter support, keeping a filter's help_text as
    its description also when its type is given with ``extend_schema_field``
    (the filters whose queryset or method hides it)."""

    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
        help_text = filter_field.extra.get("help_text")
        for parameter in parameters:
            if help_text and not parameter.get("description"):
                parameter["description"] = str(help_text)
        return parameters
