"""Cache-Control: no-store, private on every response to a signed-in user (issue 12, finding 10):
no browser or shared cache may keep a page, export or API response that can show identity
fields or restricted records. Anonymous public pages stay cacheable."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tests.security.test_permission_matrix import ROLES, STAFF, SURFACES, marked_defectors  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

SIGNED_IN = [role for role, groups in ROLES.items() if groups is not None]
EXTRA_SURFACES = [
    "/admin/testimony/defector/import/",
    "/reports/icsr-2015/print/",
    "/reports/icsr-2015/figures.json",
    "/api/v1/",
    "/api/v1/outlets/",
    "/no-such-page/",
]


def directives(response) -> set[str]:
    return {part.strip().lower() for part in response.get("Cache-Control", "").split(",") if part.strip()}


@pytest.mark.parametrize("url", [s.url for s in SURFACES] + EXTRA_SURFACES)
@pytest.mark.parametrize("role", SIGNED_IN)
def test_every_response_to_a_signed_in_user_is_no_store_and_private(client, marked_defectors, role, url):  # noqa: F811
    client.force_login(UserFactory(username=role, is_staff=role in STAFF, roles=ROLES[role]))
    response = client.get(url.format(**marked_defectors))
    assert {"no-store", "private"} <= directives(response), (response.status_code, response.get("Cache-Control"))


@pytest.mark.parametrize("url", ["/api/v1/defectors/", "/api/v1/defectors/MX-PUBLIC/", "/api/v1/reports/icsr-2015/"])
def test_token_requests_are_no_store_and_keep_their_etag(marked_defectors, url):  # noqa: F811
    api = APIClient()
    key = Token.objects.create(user=UserFactory(roles=["Analyst"])).key
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.get(url)
    assert response.status_code == 200
    assert {"no-store", "private"} <= directives(response)
    # Scripts still ask whether a list changed: the conditional GET of the README keeps working.
    again = api.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and {"no-store", "private"} <= directives(again)


@pytest.mark.parametrize("url", ["/", "/defectors/", "/defectors/MX-PUBLIC/", "/api/v1/defectors/", "/narratives/"])
def test_anonymous_public_pages_stay_cacheable(client, marked_defectors, url):  # noqa: F811
    response = client.get(url)
    assert response.status_code == 200
    assert "no-store" not in directives(response) and "private" not in directives(response)
