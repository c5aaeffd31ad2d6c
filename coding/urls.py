from django.urls import path

from . import views

app_name = "coding"

urlpatterns = [
    path("", views.CodingQueueView.as_view(), name="queue"),
    path("<int:pk>/", views.QuoteCodingView.as_view(), name="quote"),
    path("reliability/", views.ReliabilityView.as_view(), name="reliability"),
    path("adjudication/", views.AdjudicationListView.as_view(), name="adjudication"),
    path("adjudication/<int:pk>/", views.AdjudicateView.as_view(), name="adjudicate"),
    path("export/<slug:kind>/", views.CodingExportView.as_view(), name="export"),
]
