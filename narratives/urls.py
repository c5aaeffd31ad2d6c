from django.urls import path

from . import views

app_name = "narratives"

urlpatterns = [
    path("", views.NarrativeListView.as_view(), name="narrative-list"),
    path("<slug:code>/", views.NarrativeDetailView.as_view(), name="narrative-detail"),
]
