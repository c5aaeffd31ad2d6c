"""The one FilterSet behind the defector list page, its CSV export, the API
and the report drill-downs, so a permalink means the same set everywhere;
and the API's FilterSets for quotes, sources and outlets."""

import django_filters as filters
from django import forms
from django.apps import apps
from django.conf import settings
from django.db.models import Q
from django.forms.utils import ErrorDict
from django_countries import countries
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from narratives.models import Narrative

from .languages import LANGUAGE_CHOICES
from .models import Defector, Outlet, Precision, Quote, Source
from .regions import region_choices, region_q


def country_choices():
    return [(code, name) for code, name in countries]


class CountryCodesField(forms.MultipleChoiceField):
    """ISO codes in any case: ``?country=sy`` means Syria, as ``SY`` does."""

    def to_python(self, value):
        return [code.strip().upper() for code in super().to_python(value)]


class CountryCodesFilter(filters.MultipleChoiceFilter):
    field_class = CountryCodesField


def studies(request):
    """The studies a report drill-down may name. Their model lives in reports,
    which imports testimony, so settings.TESTIMONY_STUDY_MODEL names it instead of
    an import here (the layers in pyproject.toml, README "Development")."""
    return apps.get_model(settings.TESTIMONY_STUDY_MODEL)._default_manager.all()


class DefectorFilterSet(filters.FilterSet):
    # The filters that match what a user typed against records' text (names, quotes).
    # For users who may not see restricted records, a set chosen by one of them is
    # chosen among visible records only, in counts too (testimony.selectors.aggregate_defectors).
    text_filters = ("q",)

    sex = filters.ChoiceFilter(choices=Defector.Sex.choices, help_text="male, female or unknown.")
    # distinct=False on the multiple-choice filters of the defector's own columns: no
    # join, so no duplicate, and DISTINCT made the paginator count sort every column.
    country = CountryCodesFilter(
        choices=country_choices,
        distinct=False,
        help_text="ISO 3166-1 alpha-2 code of the country of origin; repeat for several (any of them).",
    )
    narrative = filters.ModelMultipleChoiceFilter(
        queryset=Narrative.objects.all(),
        to_field_name="code",
        method="filter_narrative",
        help_text="Narrative code; repeat for several: defectors with a quote tagged with any of them.",
    )
    outlet = filters.ModelChoiceFilter(
        queryset=Outlet.objects.all(),
        to_field_name="name",
        method="filter_outlet",
        help_text="Exact outlet name, e.g. 'BBC News': defectors covered by one of its sources.",
    )
    reported_after = filters.DateFilter(
        field_name="reported_on",
        lookup_expr="gte",
        help_text="Inclusive ISO date. A month-precision report counts as the 1st of its month.",
    )
    reported_before = filters.DateFilter(field_name="reported_on", lookup_expr="lte", help_text="Inclusive ISO date.")
    provenance = filters.ChoiceFilter(
        choices=Defector.Provenance.choices, help_text="published, reconstructed or synthetic."
    )
    provenance_not = filters.MultipleChoiceFilter(
        choices=Defector.Provenance.choices,
        field_name="provenance",
        exclude=True,
        help_text="Exclude these provenances, e.g. synthetic; repeat for several.",
    )
    # Report drill-downs: each count on /reports/<code>/ links to the defectors behind it.
    study = filters.ModelChoiceFilter(
        queryset=studies,
        to_field_name="code",
        method="filter_study",
        help_text="Study code, e.g. icsr-2015: defectors meeting its inclusion criteria (window and filters) today.",
    )
    member_of = filters.ModelChoiceFilter(
        queryset=studies,
        to_field_name="code",
        field_name="study_memberships__study",
        help_text="Study code, e.g. icsr-2015: the defectors on its case list (the study counted them).",
    )
    reported_precision = filters.MultipleChoiceFilter(
        choices=Precision.choices,
        distinct=False,
        help_text="day, month or year; repeat for several. A monthly table counts only day and month.",
    )
    narrative_all = filters.ModelMultipleChoiceFilter(
        queryset=Narrative.objects.all(),
        to_field_name="code",
        method="filter_narrative_all",
        help_text="Narrative code; repeat for several: defectors with quotes tagged with every one of them.",
    )
    region = filters.ChoiceFilter(
        choices=region_choices, method="filter_region", help_text="World region of the country of origin."
    )
    country_not = CountryCodesFilter(
        choices=country_choices,
        distinct=False,
        field_name="country",
        exclude=True,
        help_text="Exclude these countries of origin (defectors of unknown country stay).",
    )
    q = filters.CharFilter(method="filter_search", help_text="Words in names as published and quote text.")
    ordering = filters.OrderingFilter(
        fields=["case_id", "name", "sex", "country", "reported_on", "quote_count"],
        help_text="A column, '-' before it for descending.",
    )

    class Meta:
        model = Defector
        fields = ["sex", "country", "provenance"]

    @extend_schema_field(OpenApiTypes.STR)  # a code or name; documents the API parameter
    def filter_narrative(self, queryset, name, value):
        return queryset.tagged_with(n.code for n in value) if value else queryset

    @extend_schema_field(OpenApiTypes.STR)  # a code or name; documents the API parameter
    def filter_outlet(self, queryset, name, value):
        return queryset.filter(pk__in=Defector.objects.filter(sources__outlet=value).values("pk"))

    @extend_schema_field(OpenApiTypes.STR)  # a code or name; documents the API parameter
    def filter_study(self, queryset, name, value):
        return value.meeting_criteria(queryset)

    @extend_schema_field(OpenApiTypes.STR)  # a code or name; documents the API parameter
    def filter_narrative_all(self, queryset, name, value):
        for narrative in value:
            queryset = queryset.tagged_with([narrative.code])
        return queryset

    @extend_schema_field(OpenApiTypes.STR)  # a code or name; documents the API parameter
    def filter_region(self, queryset, name, value):
        return queryset.filter(region_q(value))

    def filter_search(self, queryset, name, value):
        # With the request, the page, its count and its facets search once (generation.kept).
        return queryset.search(value, request=self.request)


# The defector filters that also choose quotes (of the defectors they select).
# Not narrative, q, outlet or ordering: on quotes those mean the quote's own tags,
# text, source and order.
QUOTE_DEFECTOR_FILTERS = (
    "sex",
    "country",
    "country_not",
    "region",
    "reported_after",
    "reported_before",
    "reported_precision",
    "provenance",
    "provenance_not",
    "study",
    "member_of",
)


def visible_defectors(request):
    """Case IDs a user may name: a restricted one is as unknown as a missing one."""
    return Defector.objects.visible_to(getattr(request, "user", None))


class QuoteFilterSet(filters.FilterSet):
    """Quotes for /api/v1/quotes/. Besides its own filters it takes the defector
    filters of QUOTE_DEFECTOR_FILTERS under the same names, applied by
    DefectorFilterSet itself, so ``?sex=female`` means the same women here as on
    /defectors/."""

    # The queryset depends on the user, so the API document is told the type.
    defector = extend_schema_field(OpenApiTypes.STR)(
        filters.ModelMultipleChoiceFilter(
            queryset=visible_defectors,
            field_name="defector__case_id",
            to_field_name="case_id",
            help_text="Case ID of the defector quoted; repeat for several.",
        )
    )
    narrative = filters.ModelMultipleChoiceFilter(
        queryset=Narrative.objects.all(),
        to_field_name="code",
        method="filter_narrative",
        help_text="Narrative code; repeat for several: quotes tagged with any of them.",
    )
    language = filters.MultipleChoiceFilter(
        choices=LANGUAGE_CHOICES, help_text="ISO 639-1 code of the quote's language; repeat for several."
    )
    source = filters.ModelChoiceFilter(queryset=Source.objects.all(), help_text="ID of the source that printed it.")
    outlet = filters.ModelChoiceFilter(
        queryset=Outlet.objects.all(),
        to_field_name="name",
        field_name="source__outlet",
        help_text="Exact name of the outlet that printed it, e.g. 'BBC News'.",
    )
    q = filters.CharFilter(method="filter_search", help_text="Words in the quote text or its English translation.")
    ordering = filters.OrderingFilter(
        fields=[("defector__case_id", "defector"), "language", "created_at", "id"],
        help_text="defector, language, created_at or id, '-' before it for descending.",
    )

    class Meta:
        model = Quote
        fields = ["defector", "language", "source"]

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        data = data or {}
        getlist = data.getlist if hasattr(data, "getlist") else (lambda key: [data[key]])
        chosen = {key: getlist(key) for key in QUOTE_DEFECTOR_FILTERS if key in data}
        self.defector_filterset = DefectorFilterSet(
            _querydict(chosen), queryset=Defector.objects.all(), request=self.request
        )

    def is_valid(self):
        return super().is_valid() and self.defector_filterset.is_valid()

    @property
    def errors(self):
        return ErrorDict({**self.defector_filterset.errors, **self.form.errors})

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.defector_filterset.data:
            queryset = queryset.filter(defector__in=self.defector_filterset.qs.order_by().values("pk"))
        return queryset

    @extend_schema_field(OpenApiTypes.STR)  # a code or name; documents the API parameter
    def filter_narrative(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(pk__in=Quote.objects.filter(tags__narrative__in=value).values("pk"))

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(text__icontains=value) | Q(translation__icontains=value))


def _querydict(lists: dict):
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    for key, values in lists.items():
        query.setlist(key, values)
    return query


class SourceFilterSet(filters.FilterSet):
    outlet = filters.ModelChoiceFilter(
        queryset=Outlet.objects.all(), to_field_name="name", help_text="Exact outlet name, e.g. 'BBC News'."
    )
    language = filters.MultipleChoiceFilter(
        choices=LANGUAGE_CHOICES, help_text="ISO 639-1 code of the item's language; repeat for several."
    )
    published_after = filters.DateFilter(field_name="published_on", lookup_expr="gte", help_text="Inclusive ISO date.")
    published_before = filters.DateFilter(field_name="published_on", lookup_expr="lte", help_text="Inclusive ISO date.")
    q = filters.CharFilter(field_name="title", lookup_expr="icontains", help_text="Words in the title.")
    ordering = filters.OrderingFilter(
        fields=["published_on", "title", "id"], help_text="published_on, title or id, '-' before it for descending."
    )

    class Meta:
        model = Source
        fields = ["outlet", "language"]


class OutletFilterSet(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=Outlet.Kind.choices, help_text="newspaper, broadcaster, news_agency, ...")
    country = filters.MultipleChoiceFilter(
        choices=country_choices, help_text="ISO 3166-1 alpha-2 code of the outlet's country; repeat for several."
    )
    q = filters.CharFilter(field_name="name", lookup_expr="icontains", help_text="Words in the name.")
    ordering = filters.OrderingFilter(fields=["name", "id"], help_text="name or id, '-' before it for descending.")

    class Meta:
        model = Outlet
        fields = ["kind", "country"]
