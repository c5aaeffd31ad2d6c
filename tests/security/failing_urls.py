"""A URLconf with one view that fails, for test_logging: production mode has no such page."""

from django.urls import path


class PlantedError(RuntimeError):
    pass


def fail(request):
    raise PlantedError("planted failure for the logging test")


urlpatterns = [path("boom/", fail)]
