"""URLs under /api/v1/ (CONTRACT.md, "REST API")."""

app_name = "api"

urlpatterns: list = []
