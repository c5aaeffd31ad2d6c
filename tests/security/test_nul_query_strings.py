"""A NUL character in any query string is a 400 naming the parameter, never a 500.

PostgreSQL refuses NUL in text parameters, so before config.middleware.RefuseNulMiddleware
``/defectors/?outlet=%00`` raised ValueError there (and matched nothing on SQLite).
"""

import json

import pytest

pytestmark = pytest.mark.django_db

PAGES = [
    "/defectors/?outlet=%00",
    "/defectors/?q=a%00b",
    "/defectors/export.csv?q=%00",
    "/narratives/brutality/?q=%00",
    "/reports/icsr-2015/?outlet=%00",
    "/reports/icsr-2015/figures.csv?q=%00",
    "/defectors/?a%00b=1",
]
API = [
    "/api/v1/defectors/?outlet=%00",
    "/api/v1/quotes/?q=%00",
    "/api/v1/sources/?q=%00",
    "/api/v1/outlets/?q=%00",
    "/api/v1/reports/icsr-2015/?q=%00",
]


@pytest.mark.parametrize("url", PAGES)
def test_a_nul_in_a_page_query_string_is_a_400_naming_the_parameter(client, url):
    response = client.get(url)

    assert response.status_code == 400
    assert "contains a NUL character" in response.content.decode()


@pytest.mark.parametrize("url", API)
def test_a_nul_in_an_api_query_string_is_a_400_naming_the_field(client, url):
    response = client.get(url)

    assert response.status_code == 400
    body = json.loads(response.content)
    (field, messages), *_ = body["errors"].items()
    assert body["detail"] == "Invalid input." and field in url and "NUL" in messages[0]


def test_the_admin_refuses_it_too(client, researcher):
    client.force_login(researcher)

    response = client.get("/admin/autocomplete/?app_label=testimony&model_name=quote&field_name=defector&term=%00")

    assert response.status_code == 400
