from django.urls import path

from . import views

app_name = "narratives"

urlpatterns = [
    path("", views.NarrativeListView.as_view(), name="narrative-list"),
    path("colours.css", views.narrative_colours, name="narrative-colours"),
    path("<slug:code>/", views.NarrativeDetailView.as_view(), name="narrative-detail"),
]
