from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.faults import healthz
from config.middleware import csp_override

# Swagger UI (assets from drf-spectacular-sidecar, served by us: works offline)
# starts with an inline script and styles itself inline; only this page gets
# a policy allowing that, the rest of the site keeps the strict one.
DOCS_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'", "'unsafe-inline'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "worker-src": ["'self'", "blob:"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

# A 503, not a 500, when the error was the database connection (config/faults.py).
handler500 = "config.faults.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", include("testimony.urls")),
    path("narratives/", include("narratives.urls")),
    path("reports/", include("reports.urls")),
    path("coding/", include("coding.urls")),
    path("jobs/", include("jobs.urls")),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        csp_override(DOCS_CSP)(SpectacularSwaggerView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path("accounts/", include("accounts.urls")),  # the login with the optional TOTP step, before auth's own
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
