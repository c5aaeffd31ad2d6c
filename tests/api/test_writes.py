"""Writes: researchers only, through the services (full_clean, history), identity fields refused."""

import pytest

from narratives.models import Narrative
from testimony.models import Defector, Outlet, Quote
from testimony.services import CASE_ID_FIXED

from .conftest import MARKERS

pytestmark = pytest.mark.django_db

NEW_DEFECTOR = {
    "case_id": "API-100",
    "name": "New Person",
    "sex": "female",
    "country": "DE",
    "reported_on": "2015-03-01",
    "reported_precision": "month",
}


def test_researcher_creates_a_defector_with_history(api, records, researcher):
    api.force_authenticate(researcher)
    response = api.post("/api/v1/defectors/", {**NEW_DEFECTOR, "sources": [records["source"].pk]}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["sources"] == [records["source"].pk]
    # The 201 carries the same representation as a later GET (found by schemathesis: quote_count was missing).
    assert response.json() == api.get("/api/v1/defectors/API-100/").json()
    defector = Defector.objects.get(case_id="API-100")
    assert {h.history_user for h in defector.history.all()} == {researcher}


@pytest.mark.parametrize(("role", "status"), [("anonymous", 401), ("analyst", 403)])
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/v1/defectors/"),
        ("patch", "/api/v1/defectors/API-001/"),
        ("delete", "/api/v1/defectors/API-001/"),
        ("post", "/api/v1/quotes/"),
        ("post", "/api/v1/outlets/"),
        ("post", "/api/v1/sources/"),
        ("post", "/api/v1/narratives/"),
    ],
)
def test_only_researchers_write(api, records, public_read, request, role, status, method, url):
    if role != "anonymous":
        api.force_authenticate(request.getfixturevalue(role))
    response = getattr(api, method)(url, {"name": "x"}, format="json")
    assert response.status_code == status
    assert set(response.json()) == {"detail", "errors"}
    assert Defector.objects.filter(case_id="API-001").exists()


def test_model_validation_is_a_400_with_field_names(api, records, researcher):
    api.force_authenticate(researcher)
    # Month precision on the 15th is normalised; a precision without a date is not.
    bad = {**NEW_DEFECTOR, "defected_precision": "day"}
    response = api.post("/api/v1/defectors/", bad, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["defected_precision"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"reported_on": "2999-01-01"}, "reported_on"),
        ({"case_id": "bad id!"}, "case_id"),
        ({"case_id": "API-001"}, "case_id"),  # taken
        ({"sex": "other"}, "sex"),
        ({"country": "ZZ"}, "country"),
        ({"sources": [99999]}, "sources"),
    ],
)
def test_bad_fields_are_named(api, records, researcher, change, field):
    api.force_authenticate(researcher)
    response = api.post("/api/v1/defectors/", {**NEW_DEFECTOR, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


@pytest.mark.parametrize("field", list(MARKERS))
def test_identity_fields_are_refused_without_the_permission(api, records, researcher, field):
    api.force_authenticate(researcher)
    response = api.patch("/api/v1/defectors/API-002/", {field: "Overwritten"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert getattr(Defector.objects.get(case_id="API-002"), field) == MARKERS[field]


def test_a_put_without_identity_fields_keeps_them(api, records, researcher):
    api.force_authenticate(researcher)
    body = api.get("/api/v1/defectors/API-002/").json()
    body["name"] = "Renamed"
    response = api.put("/api/v1/defectors/API-002/", body, format="json")
    assert response.status_code == 200, response.json()
    defector = Defector.objects.get(case_id="API-002")
    assert (defector.name, defector.legal_name) == ("Renamed", MARKERS["legal_name"])
    updated = response.json()
    assert updated.pop("updated_at") != body.pop("updated_at")
    assert updated == {**body, "name": "Renamed"}  # the same representation as a GET, with the change
    assert defector.history.first().history_user == researcher


def test_custodian_researcher_sets_identity_fields(api, records, custodian):
    api.force_authenticate(custodian)
    response = api.patch("/api/v1/defectors/API-002/", {"current_location": "Elsewhere"}, format="json")
    assert response.status_code == 200
    assert Defector.objects.get(case_id="API-002").current_location == "Elsewhere"


@pytest.mark.parametrize("method", ["patch", "put"])
def test_the_case_id_cannot_change(api, records, researcher, method):
    api.force_authenticate(researcher)
    body = {**NEW_DEFECTOR, "case_id": "API-999", "name": "Renamed"}
    response = getattr(api, method)("/api/v1/defectors/API-002/", body, format="json")
    assert response.status_code == 400
    # The service's rule and message (testimony.services.defector_case_id_check), as in the admin.
    assert response.json()["errors"] == {"case_id": [CASE_ID_FIXED]}
    assert Defector.objects.get(pk=records["man"].pk).case_id == "API-002"
    assert Defector.objects.get(pk=records["man"].pk).name == "Abu Test"  # nothing else was saved either


def test_a_put_that_repeats_the_case_id_saves(api, records, researcher):
    api.force_authenticate(researcher)
    body = {**NEW_DEFECTOR, "case_id": "API-002", "name": "Renamed"}
    response = api.put("/api/v1/defectors/API-002/", body, format="json")
    assert response.status_code == 200, response.json()
    assert Defector.objects.get(case_id="API-002").name == "Renamed"


def test_researcher_cannot_write_a_restricted_defector(api, records, researcher):
    api.force_authenticate(researcher)
    assert api.patch("/api/v1/defectors/API-003/", {"name": "x"}, format="json").status_code == 404
    quote = {"defector": "API-003", "source": records["source"].pk, "text": "x"}
    response = api.post("/api/v1/quotes/", quote, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["defector"]


def test_researcher_adds_a_tagged_quote(api, records, researcher):
    api.force_authenticate(researcher)
    body = {
        "defector": "API-002",
        "source": records["source"].pk,
        "text": "They fought each other.",
        "language": "en",
        "narratives": ["infighting", "corruption"],
    }
    response = api.post("/api/v1/quotes/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["narratives"] == ["infighting", "corruption"]
    quote = Quote.objects.get(pk=response.json()["id"])
    assert {t.coder for t in quote.tags.all()} == {researcher}
    assert quote.history.get().history_user == researcher
    response = api.patch(f"/api/v1/quotes/{quote.pk}/", {"narratives": ["brutality"]}, format="json")
    assert response.json()["narratives"] == ["brutality"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": ""}, "text"),
        ({"narratives": ["nope"]}, "narratives"),
        ({"language": "xx"}, "language"),
        ({"source": 99999}, "source"),
    ],
)
def test_bad_quotes_are_400s(api, records, researcher, body, field):
    api.force_authenticate(researcher)
    quote = {"defector": "API-002", "source": records["source"].pk, "text": "Words.", **body}
    response = api.post("/api/v1/quotes/", quote, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_outlet_source_and_narrative_writes(api, records, researcher):
    api.force_authenticate(researcher)
    outlet = api.post("/api/v1/outlets/", {"name": "Der Spiegel", "country": "DE", "kind": "newspaper"}, format="json")
    assert outlet.status_code == 201, outlet.json()
    source = api.post(
        "/api/v1/sources/",
        {"outlet": "Der Spiegel", "title": "Ein Bericht", "url": "https://spiegel.example/1", "language": "de"},
        format="json",
    )
    assert source.status_code == 201, source.json()
    narrative = api.post(
        "/api/v1/narratives/",
        {"code": "boredom", "name": "Boredom", "definition": "Nothing to do.", "colour": "#123456"},
        format="json",
    )
    assert narrative.status_code == 201, narrative.json()
    assert Narrative.objects.get(code="boredom").history.get().history_user == researcher
    bad = api.patch("/api/v1/narratives/boredom/", {"colour": "red"}, format="json")
    assert (bad.status_code, list(bad.json()["errors"])) == (400, ["colour"])


def test_deleting_a_record_still_referred_to_is_a_409(api, records, researcher):
    api.force_authenticate(researcher)
    outlet = Outlet.objects.get(sources=records["source"])
    response = api.delete(f"/api/v1/outlets/{outlet.pk}/")
    assert response.status_code == 409
    assert set(response.json()) == {"detail", "errors"}


def test_researcher_deletes_a_defector(api, records, researcher):
    api.force_authenticate(researcher)
    assert api.delete("/api/v1/defectors/API-002/").status_code == 204
    assert not Defector.objects.filter(case_id="API-002").exists()


def test_a_defection_after_the_report_is_a_400_on_defected_on(api, records, researcher):
    api.force_authenticate(researcher)
    late = {**NEW_DEFECTOR, "defected_on": "2015-04-02", "defected_precision": "day"}  # reported Mar 2015
    response = api.post("/api/v1/defectors/", late, format="json")
    assert response.status_code == 400
    assert "defected_on" in str(response.json())
    assert "after the first report" in str(response.json())
    inside = {**NEW_DEFECTOR, "defected_on": "2015-03-20", "defected_precision": "day"}  # may be before 31 Mar
    assert api.post("/api/v1/defectors/", inside, format="json").status_code == 201
