"""The OpenAPI document and its docs page, the study report via the API, tokens and throttles."""

import io
import json
import re
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

from testimony.filters import DefectorFilterSet, QuoteFilterSet

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "icsr_2015_report.json"


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_schema_lists_every_endpoint(schema):
    paths = set(schema["paths"])
    for name, lookup in [("defectors", "case_id"), ("quotes", "id"), ("sources", "id"), ("outlets", "id")]:
        assert f"/api/v1/{name}/" in paths
        assert f"/api/v1/{name}/{{{lookup}}}/" in paths
    assert {"/api/v1/narratives/{code}/", "/api/v1/reports/{code}/"} <= paths


@pytest.mark.parametrize(
    ("path", "filterset"), [("/api/v1/defectors/", DefectorFilterSet), ("/api/v1/quotes/", QuoteFilterSet)]
)
def test_every_filter_is_documented_with_its_help_text(schema, path, filterset):
    parameters = {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}
    for name, f in filterset.base_filters.items():
        assert parameters[name]["description"].startswith(str(f.extra["help_text"])), name
    assert {"page", "page_size"} <= set(parameters)


def test_quote_list_documents_the_defector_filters(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/quotes/"]["get"]["parameters"]}
    assert parameters["sex"]["schema"]["enum"] == ["female", "male", "unknown"] or set(
        parameters["sex"]["schema"]["enum"]
    ) == {"male", "female", "unknown"}
    assert parameters["reported_after"]["schema"]["format"] == "date"


def test_errors_and_examples_are_documented(schema):
    list_op = schema["paths"]["/api/v1/defectors/"]["get"]
    assert {"200", "400", "401", "403", "404", "429"} <= set(list_op["responses"])
    assert list_op["responses"]["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    assert "examples" in list_op["responses"]["200"]["content"]["application/json"]


def test_identity_fields_are_documented_as_such(schema):
    properties = schema["components"]["schemas"]["Defector"]["properties"]
    assert "view_identity" in properties["legal_name"]["description"]
    assert "legal_name" not in schema["components"]["schemas"]["Defector"]["required"]


def test_schema_is_served_as_yaml_too(client):
    document = yaml.safe_load(client.get("/api/schema/").content)
    assert document["openapi"].startswith("3.")


def test_docs_load_only_local_assets_under_their_own_policy(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    body = response.content.decode()
    assert not re.search(r"""(src|href)=["']https?://""", body)
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in body
    policy = response["Content-Security-Policy"]
    assert "script-src 'self' 'unsafe-inline'" in policy
    assert "frame-ancestors 'none'" in policy
    # The rest of the site keeps the strict policy.
    assert "'unsafe-inline'" not in client.get("/api/v1/defectors/")["Content-Security-Policy"]


def test_the_report_is_the_golden_json(api, public_read, icsr_study):
    out = io.StringIO()
    call_command("regenerate_report", "icsr-2015", "--format", "json", stdout=out)
    via_api = api.get("/api/v1/reports/icsr-2015/").json()
    assert via_api == json.loads(out.getvalue()) == json.loads(GOLDEN.read_text())


def test_api_study_data(api, public_read, icsr_study):
    """The study fixture through the API: 58 defectors, 7 of them women."""
    assert api.get("/api/v1/defectors/").json()["count"] == 58
    women = api.get("/api/v1/defectors/", {"sex": "female", "page_size": 200}).json()
    assert women["count"] == 7
    quotes = api.get("/api/v1/quotes/", {"sex": "female", "page_size": 200}).json()
    assert {q["defector"] for q in quotes["results"]} <= {d["case_id"] for d in women["results"]}
    report = api.get("/api/v1/reports/icsr-2015/", {"sex": "female"}).json()
    assert report["tables"]["by_sex"]["female"] == 7


def test_issue_token_prints_a_key_that_authenticates(client, researcher, no_public_read):
    out = io.StringIO()
    call_command("issue_token", "researcher", stdout=out)
    key = out.getvalue().strip()
    assert key == Token.objects.get(user=researcher).key
    again = io.StringIO()
    call_command("issue_token", "researcher", stdout=again)
    assert again.getvalue().strip() == key
    assert client.get("/api/v1/defectors/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    assert client.get("/api/v1/defectors/", HTTP_AUTHORIZATION="Token wrong").status_code == 401
    rotated = io.StringIO()
    call_command("issue_token", "researcher", "--rotate", stdout=rotated)
    assert rotated.getvalue().strip() != key


def test_issue_token_for_an_unknown_user_fails(db):
    with pytest.raises(CommandError, match="No user named"):
        call_command("issue_token", "nobody")


def test_session_login_reads_the_api(client, analyst, no_public_read):
    client.force_login(analyst)
    assert client.get("/api/v1/defectors/").status_code == 200


def test_session_writes_need_the_csrf_token(researcher, no_public_read):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(researcher)
    response = client.post("/api/v1/outlets/", {"name": "X"})
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_tokens_are_in_the_admin(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    assert client.get("/admin/authtoken/tokenproxy/").status_code == 200


@pytest.mark.parametrize(("who", "setting"), [("anonymous", "anon"), ("analyst", "user")])
def test_throttles(api, public_read, analyst, settings, who, setting):
    from rest_framework.throttling import SimpleRateThrottle

    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], setting: "2/minute"}
    original = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = rates
    try:
        if who == "analyst":
            api.force_authenticate(analyst)
        assert [api.get("/api/v1/narratives/").status_code for _ in range(3)] == [200, 200, 429]
        response = api.get("/api/v1/narratives/")
        assert set(response.json()) == {"detail", "errors"}
        assert "Retry-After" in response
    finally:
        SimpleRateThrottle.THROTTLE_RATES = original
