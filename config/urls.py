from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("testimony.urls")),
    path("narratives/", include("narratives.urls")),
    path("reports/", include("reports.urls")),
    path("api/v1/", include("config.api_urls")),
    path("accounts/", include("accounts.urls")),  # the login with the optional TOTP step, before auth's own
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
