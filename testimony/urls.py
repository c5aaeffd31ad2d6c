from django.urls import path

from . import views

app_name = "testimony"

urlpatterns = [
    path("", views.home, name="home"),
    path("defectors/", views.DefectorListView.as_view(), name="defector-list"),
    path("defectors/<str:case_id>/", views.DefectorDetailView.as_view(), name="defector-detail"),
]
