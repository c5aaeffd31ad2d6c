"""A database that cannot be reached: 503 with Retry-After, never a 500, and recovery without a restart.

The outage is real, not mocked: the connection's settings are pointed at a
database that does not exist (a closed port on PostgreSQL, a file in a missing
folder on SQLite), so Django's own connect fails as it does when the server is down.
"""

from contextlib import contextmanager

import pytest
from django.db import connections
from django.test import Client

from tests.factories import DefectorFactory


@contextmanager
def database_down():
    """Swap in a connection to nowhere for this thread, then give the real one back."""
    real = connections["default"]
    broken = dict(real.settings_dict)
    if real.vendor == "postgresql":
        broken["PORT"] = "1"  # nothing listens there: "connection refused"
    else:
        broken["NAME"] = "/nonexistent-folder/testimony.sqlite3"  # "unable to open database file"
    connections["default"] = type(real)(broken, alias="default")
    try:
        yield
    finally:
        connections["default"].close()
        connections["default"] = real


@pytest.fixture
def client():
    # The test client re-raises what reached handler500; a browser gets the response.
    return Client(raise_request_exception=False)


@pytest.mark.django_db
def test_pages_are_503_with_retry_after_while_the_database_is_down_and_200_after(client):
    defector = DefectorFactory()
    with database_down():
        page = client.get("/defectors/")
        detail = client.get(f"/defectors/{defector.case_id}/")
    assert page.status_code == 503 and detail.status_code == 503
    assert page["Retry-After"] == "5"
    assert "Temporarily unavailable" in page.content.decode()
    assert "Traceback" not in page.content.decode()
    # Same process, same client, no restart: the next request reconnects.
    assert client.get("/defectors/").status_code == 200


@pytest.mark.django_db
def test_api_is_503_json_while_the_database_is_down(client, researcher):
    client.force_login(researcher)
    with database_down():
        response = client.get("/api/v1/defectors/")
        posted = client.post("/api/v1/defectors/", {"case_id": "X"}, content_type="application/json")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"].startswith("The database is temporarily unavailable")
    assert response["Retry-After"] == "5"
    # A write in flight is reported as possibly not saved, never as done.
    assert posted.status_code == 503
    assert "may not have been saved" in posted.json()["detail"]


@pytest.mark.django_db
def test_a_signed_in_users_session_lookup_failing_in_middleware_is_503_not_500(client, researcher, settings):
    # The session is read by middleware (Cache-Control for signed-in users), which
    # process_exception never sees: handler500 answers 503 for it. The session must
    # come from the database, so no cache in front of it here.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    client.force_login(researcher)
    with database_down():
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert client.get("/healthz").status_code == 200


def test_healthz_answers_without_the_database():
    # No db mark: pytest-django refuses any query here, so "ok" proves none was made.
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"
