from django.shortcuts import render
from django.views.generic import DetailView
from django_filters.views import FilterView

from .access import BrowseRequiredMixin
from .filters import DefectorFilterSet
from .models import Defector


def home(request):
    return render(request, "home.html", {"defector_count": Defector.objects.count()})


class DefectorListView(BrowseRequiredMixin, FilterView):
    filterset_class = DefectorFilterSet
    template_name = "testimony/defector_list.html"
    paginate_by = 50

    def get_queryset(self):
        return Defector.objects.visible_to(self.request.user).with_quote_count()


class DefectorDetailView(BrowseRequiredMixin, DetailView):
    template_name = "testimony/defector_detail.html"
    slug_field = "case_id"
    slug_url_kwarg = "case_id"

    def get_queryset(self):
        return Defector.objects.visible_to(self.request.user).prefetch_related("sources__outlet", "quotes__narratives")
