"""URLs under /api/v1/ (CONTRACT.md, "REST API")."""

from django.urls import path

from reports.api import StudyReportAPIView

app_name = "api"

urlpatterns: list = [
    path("reports/<slug:code>/", StudyReportAPIView.as_view(), name="study-report"),
]
