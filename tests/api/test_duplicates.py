"""The API refuses the duplicates the admin refuses, naming the field (issue 15)."""

import pytest

from testimony.models import Source
from tests.factories import DefectorFactory, OutletFactory

pytestmark = pytest.mark.django_db


def test_a_case_id_differing_only_in_case_is_a_400_naming_it(api, researcher):
    DefectorFactory(case_id="UX-2015-001")
    api.force_authenticate(researcher)
    new = {"case_id": "ux-2015-001", "name": "Abu Test", "reported_on": "2015-01-05"}
    response = api.post("/api/v1/defectors/", new, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["case_id"] == ["a case UX-2015-001 already exists (differs only in case)"]


def test_an_outlet_differing_only_in_case_and_spaces_is_a_400(api, researcher):
    OutletFactory(name="Asharq Al-Awsat")
    api.force_authenticate(researcher)
    response = api.post("/api/v1/outlets/", {"name": "asharq  al-awsat ", "kind": "newspaper"}, format="json")
    assert response.status_code == 400
    refusal = "an outlet 'Asharq Al-Awsat' already exists (differs only in case or spacing)"
    assert response.json()["errors"]["name"] == [refusal]


def test_a_source_url_is_stored_normalised_and_a_variant_is_a_400(api, researcher):
    outlet = OutletFactory(name="BBC News")
    api.force_authenticate(researcher)
    first = {"outlet": outlet.name, "title": "A", "url": "https://BBC.example.org/a/?utm_source=x"}
    created = api.post("/api/v1/sources/", first, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["url"] == "https://bbc.example.org/a"
    again = api.post("/api/v1/sources/", {**first, "title": "B", "url": "https://bbc.example.org/a#x"}, format="json")
    assert again.status_code == 400 and list(again.json()["errors"]) == ["url"]
    assert Source.objects.count() == 1
