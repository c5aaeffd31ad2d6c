from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.StudyListView.as_view(), name="study-list"),
    path("<slug:code>/", views.StudyReportView.as_view(), name="study-report"),
    path("<slug:code>/print/", views.StudyPrintView.as_view(), name="study-print"),
    path("<slug:code>/report.pdf", views.StudyPdfView.as_view(), name="study-pdf"),
    path("<slug:code>/figures.csv", views.StudyDownloadView.as_view(), {"format": "csv"}, name="study-csv"),
    path("<slug:code>/figures.json", views.StudyDownloadView.as_view(), {"format": "json"}, name="study-json"),
]
