"""URLs under /api/v1/ (docs/contract.md, "REST API")."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from coding.api import ReliabilityAPIView
from jobs.views import JobAPIView
from narratives.api import NarrativeViewSet
from reports.api import StudyListAPIView, StudyMembersAPIView, StudyReportAPIView
from testimony.api import DefectorViewSet, OutletViewSet, QuoteViewSet, SourceViewSet

app_name = "api"

router = DefaultRouter()
router.register("defectors", DefectorViewSet, basename="defector")
router.register("quotes", QuoteViewSet, basename="quote")
router.register("sources", SourceViewSet, basename="source")
router.register("outlets", OutletViewSet, basename="outlet")
router.register("narratives", NarrativeViewSet, basename="narrative")

urlpatterns: list = [
    # No router prefix is "reports", so the order does not matter; both resolve (tests/api/test_urls.py).
    path("reports/", StudyListAPIView.as_view(), name="study-list"),
    path("reports/<slug:code>/", StudyReportAPIView.as_view(), name="study-report"),
    path("reliability/", ReliabilityAPIView.as_view(), name="reliability"),
    path("reports/<slug:code>/members/", StudyMembersAPIView.as_view(), name="study-members"),
    path("jobs/<uuid:pk>/", JobAPIView.as_view(), name="job-detail"),
    path("", include(router.urls)),
]
