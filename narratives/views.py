from django.views.generic import DetailView, ListView

from testimony.access import BrowseRequiredMixin

from .models import Narrative


class NarrativeListView(BrowseRequiredMixin, ListView):
    model = Narrative
    template_name = "narratives/narrative_list.html"


class NarrativeDetailView(BrowseRequiredMixin, DetailView):
    model = Narrative
    slug_field = "code"
    slug_url_kwarg = "code"
    template_name = "narratives/narrative_detail.html"
