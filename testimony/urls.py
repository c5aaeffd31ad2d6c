from django.urls import path

from . import views

app_name = "testimony"

urlpatterns = [
    path("", views.home, name="home"),
    path("entry/", views.CaseEntryView.as_view(), name="case-entry"),
    path("defectors/", views.DefectorListView.as_view(), name="defector-list"),
    # Before the <case_id> route, which would otherwise take "export.csv" for a case.
    path("defectors/export.csv", views.DefectorExportView.as_view(), name="defector-export"),
    path("defectors/<str:case_id>/", views.DefectorDetailView.as_view(), name="defector-detail"),
]
