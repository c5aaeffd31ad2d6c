"""Migration testimony 0003 reports stored clashes instead of failing on a bare
IntegrityError, and folds what does not clash. (Case IDs differing in case can
no longer be stored once it has run; outlet names differing in inner spacing
and URL variants still can, and they are what it folds.)"""

import importlib

import pytest
from django.apps import apps

from testimony.models import Outlet, Source
from tests.factories import OutletFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("testimony.migrations.0003_case_id_outlet_url_folded")


def test_clashes_are_listed_with_how_to_fix_them_and_nothing_changes():
    Outlet.objects.create(name="BBC News")
    Outlet.objects.create(name="BBC  News")
    outlet = OutletFactory(name="Al Jazeera")
    Source.objects.create(outlet=outlet, title="A", url="https://aljazeera.example.org/a")
    Source.objects.create(outlet=outlet, title="B", url="https://AlJazeera.example.org/a/?utm_source=x")
    with pytest.raises(RuntimeError) as stopped:
        migration.report_clashes_and_fold(apps, None)
    message = str(stopped.value)
    assert "outlet names that differ only in case or spacing: 'BBC  News', 'BBC News'" in message
    assert "source URLs of one address: https://AlJazeera.example.org/a/?utm_source=x, " in message
    assert "Resolve them before migrating" in message
    assert Outlet.objects.filter(name="BBC  News").exists()


def test_without_clashes_names_are_folded_and_urls_normalised():
    outlet = Outlet.objects.create(name="Al  Jazeera")
    Source.objects.create(outlet=outlet, title="A", url="HTTPS://AlJazeera.example.org:443/a/#top")
    migration.report_clashes_and_fold(apps, None)
    assert Outlet.objects.get(pk=outlet.pk).name == "Al Jazeera"
    assert Source.objects.get().url == "https://aljazeera.example.org/a"
