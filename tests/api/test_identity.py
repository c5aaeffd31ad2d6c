"""Who sees what through the API: restricted records and identity fields, per role."""

import pytest

from audit.models import AccessEvent

from .conftest import MARKERS

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    "/api/v1/defectors/",
    "/api/v1/defectors/API-001/",
    "/api/v1/defectors/?q=Test",
    "/api/v1/quotes/",
    "/api/v1/sources/",
    "/api/v1/narratives/",
    "/api/v1/outlets/",
]


def _sign_in(api, request, role):
    if role != "anonymous":
        api.force_authenticate(request.getfixturevalue(role))


@pytest.mark.parametrize("url", ENDPOINTS)
@pytest.mark.parametrize("role", ["anonymous", "analyst", "researcher"])
def test_identity_markers_never_reach_users_without_view_identity(api, records, public_read, request, role, url):
    _sign_in(api, request, role)
    response = api.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    for marker in MARKERS.values():
        assert marker not in body
    for field in MARKERS:
        assert f'"{field}"' not in body


def test_custodian_sees_identity_fields_and_the_view_is_logged(api, records, custodian):
    api.force_authenticate(custodian)
    body = api.get("/api/v1/defectors/API-001/").json()
    assert {field: body[field] for field in MARKERS} == MARKERS
    event = AccessEvent.objects.get()
    assert (event.action, event.username, event.case_ids) == ("api_identity_view", "custodian", ["API-001"])


def test_a_list_with_identity_fields_logs_one_event_with_its_case_ids(api, records, custodian):
    api.force_authenticate(custodian)
    results = api.get("/api/v1/defectors/").json()["results"]
    assert [d["legal_name"] for d in results] == [MARKERS["legal_name"]] * 3
    event = AccessEvent.objects.get()
    assert event.case_ids == ["API-001", "API-002", "API-003"]
    assert event.record_count == 3


def test_nothing_is_logged_without_identity_fields(api, records, researcher):
    api.force_authenticate(researcher)
    api.get("/api/v1/defectors/")
    api.get("/api/v1/defectors/API-001/")
    assert not AccessEvent.objects.exists()


def test_token_requests_never_pass_the_totp_step(api, records, custodian, settings):
    settings.TESTIMONY_REQUIRE_OTP_FOR_IDENTITY = True
    from rest_framework.authtoken.models import Token

    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=custodian).key}")
    body = api.get("/api/v1/defectors/API-001/").content.decode()
    assert MARKERS["legal_name"] not in body


@pytest.mark.parametrize("role", ["anonymous", "analyst", "researcher"])
@pytest.mark.parametrize(
    "url",
    ["/api/v1/defectors/API-003/", "/api/v1/quotes/{quote}/"],
)
def test_restricted_records_are_404(api, records, public_read, request, role, url):
    _sign_in(api, request, role)
    response = api.get(url.format(quote=records["quotes"]["API-003"].pk))
    assert response.status_code == 404
    assert response.json() == {"detail": "No Defector matches the given query.", "errors": {}} or (
        response.json()["errors"] == {}
    )


@pytest.mark.parametrize("role", ["anonymous", "analyst", "researcher"])
def test_restricted_records_are_absent_from_lists(api, records, public_read, request, role):
    _sign_in(api, request, role)
    defectors = [d["case_id"] for d in api.get("/api/v1/defectors/").json()["results"]]
    quotes = [q["defector"] for q in api.get("/api/v1/quotes/").json()["results"]]
    assert defectors == ["API-001", "API-002"]
    assert quotes == ["API-001", "API-002"]
    assert "Hidden Person" not in api.get("/api/v1/defectors/?q=Hidden").content.decode()


def test_a_restricted_case_id_is_an_unknown_choice_in_the_quote_filter(api, records, analyst):
    api.force_authenticate(analyst)
    response = api.get("/api/v1/quotes/", {"defector": "API-003"})
    assert response.status_code == 400
    assert "defector" in response.json()["errors"]


def test_custodian_sees_restricted_records(api, records, custodian):
    api.force_authenticate(custodian)
    assert api.get("/api/v1/defectors/API-003/").status_code == 200
    assert api.get("/api/v1/defectors/").json()["count"] == 3


@pytest.mark.parametrize("field", list(MARKERS))
def test_search_never_matches_identity_values(api, records, custodian, field):
    api.force_authenticate(custodian)
    assert api.get("/api/v1/defectors/", {"q": MARKERS[field]}).json()["count"] == 0
    assert api.get("/api/v1/quotes/", {"q": MARKERS[field]}).json()["count"] == 0


@pytest.mark.parametrize(
    ("public", "status"),
    [(True, 200), (False, 401)],
)
@pytest.mark.parametrize("url", ENDPOINTS[:1] + ENDPOINTS[3:] + ["/api/v1/reports/icsr-2015/"])
def test_anonymous_read_follows_public_read(api, records, settings, public, status, url):
    settings.TESTIMONY_PUBLIC_READ = public
    response = api.get(url)
    assert response.status_code == status
    if status == 401:
        assert response["WWW-Authenticate"] == "Token"
        assert set(response.json()) == {"detail", "errors"}


@pytest.mark.parametrize("role", ["analyst", "researcher", "custodian"])
def test_signed_in_users_read_without_public_read(api, records, no_public_read, request, role):
    _sign_in(api, request, role)
    assert api.get("/api/v1/defectors/").status_code == 200
