"""Reads of lists from the replica, writes and the reads of someone who just wrote from the primary.

The ``replica`` alias is the primary's test database under a second connection
(``TEST: {"MIRROR": "default"}``), so each query can be told apart by the
connection that ran it. Transactional tests: a second connection only sees
committed rows, as a real replica does.
"""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from config.db_router import RECENT_WRITE_COOKIE
from tests.factories import DefectorFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True, databases=["default", "replica"])
PASSWORD = "correct horse battery staple"


def queries_on_each(client, path):
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        response = client.get(path)
    assert response.status_code == 200
    return response, len(primary), len(replica)


@pytest.fixture
def with_replica(settings):
    settings.DATABASE_REPLICA_URL = "postgres://replica.example/testimony"  # only its being set matters here


def test_list_and_detail_read_from_the_replica(client, researcher, with_replica):
    defector = DefectorFactory(case_id="REPLICA-1")
    client.force_login(researcher)
    response, on_primary, on_replica = queries_on_each(client, "/defectors/")
    assert "REPLICA-1" in response.content.decode()
    assert on_replica > 0 and on_primary == 0
    _, on_primary, on_replica = queries_on_each(client, f"/defectors/{defector.case_id}/")
    assert on_replica > 0 and on_primary == 0


def test_a_streamed_export_reads_the_replica_while_it_streams(client, researcher, with_replica):
    DefectorFactory(case_id="REPLICA-3")
    client.force_login(researcher)
    response = client.get("/defectors/export.csv")
    assert response.streaming
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        body = b"".join(response.streaming_content).decode()
    assert "REPLICA-3" in body
    assert len(replica) > 0 and len(primary) == 0


def test_after_a_write_that_browser_reads_from_the_primary(client, researcher, with_replica, settings):
    DefectorFactory(case_id="REPLICA-2")
    # Logging in writes (the session, last_login): the response pins this browser to the primary.
    response = client.post("/accounts/login/", {"username": researcher.username, "password": PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies[RECENT_WRITE_COOKIE]
    assert cookie["max-age"] == settings.DATABASE_READ_YOUR_WRITES_SECONDS
    response, on_primary, on_replica = queries_on_each(client, "/defectors/")
    assert "REPLICA-2" in response.content.decode()
    assert on_primary > 0 and on_replica == 0
    # Once the cookie has expired the same browser reads the replica again.
    client.cookies[RECENT_WRITE_COOKIE] = "0"
    _, on_primary, on_replica = queries_on_each(client, "/defectors/")
    assert on_replica > 0 and on_primary == 0


def test_admin_reads_the_primary(client, researcher, with_replica):
    client.force_login(researcher)
    _, on_primary, on_replica = queries_on_each(client, "/admin/")
    assert on_primary > 0 and on_replica == 0


def test_without_a_replica_everything_reads_the_primary(client, researcher):
    client.force_login(researcher)
    _, on_primary, on_replica = queries_on_each(client, "/defectors/")
    assert on_primary > 0 and on_replica == 0
