"""The one FilterSet behind the defector list page, its CSV export, the API
and the report drill-downs, so a permalink means the same set everywhere."""

import django_filters as filters
from django_countries import countries

from narratives.models import Narrative
from reports.models import Study
from reports.regions import region_choices, region_q

from .models import Defector, Outlet, Precision


def country_choices():
    return [(code, name) for code, name in countries]


class DefectorFilterSet(filters.FilterSet):
    sex = filters.ChoiceFilter(choices=Defector.Sex.choices, help_text="male, female or unknown.")
    country = filters.MultipleChoiceFilter(
        choices=country_choices,
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
    # Report drill-downs: each count on /reports/<code>/ links to the defectors behind it.
    study = filters.ModelChoiceFilter(
        queryset=Study.objects.all(),
        to_field_name="code",
        method="filter_study",
        help_text="Study code, e.g. icsr-2015: defectors reported inside its window, synthetic records excluded.",
    )
    reported_precision = filters.MultipleChoiceFilter(
        choices=Precision.choices,
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
    country_not = filters.MultipleChoiceFilter(
        choices=country_choices,
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

    def filter_narrative(self, queryset, name, value):
        return queryset.tagged_with(n.code for n in value) if value else queryset

    def filter_outlet(self, queryset, name, value):
        return queryset.filter(pk__in=Defector.objects.filter(sources__outlet=value).values("pk"))

    def filter_study(self, queryset, name, value):
        return queryset.in_window(value.window_start, value.window_end).excluding_synthetic()

    def filter_narrative_all(self, queryset, name, value):
        for narrative in value:
            queryset = queryset.tagged_with([narrative.code])
        return queryset

    def filter_region(self, queryset, name, value):
        return queryset.filter(region_q(value))

    def filter_search(self, queryset, name, value):
        return queryset.search(value)
