"""audit.services: what one call writes to the access log."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from audit.models import AccessEvent
from audit.services import record_access, record_identity_view
from tests.factories import DefectorFactory

pytestmark = pytest.mark.django_db


def make_request(user, path="/defectors/export.csv", query="sex=female&country=GB&country=SY"):
    request = RequestFactory().get(f"{path}?{query}", REMOTE_ADDR="198.51.100.4")
    request.user = user
    return request


def test_an_export_records_who_which_filters_and_how_many(analyst):
    record_access(request_or_user=make_request(analyst), action="export_csv", record_count=12)
    event = AccessEvent.objects.get()
    assert (event.user, event.username, event.action) == (analyst, "analyst", "export_csv")
    assert event.path == "/defectors/export.csv"
    assert event.query_string == "sex=female&country=GB&country=SY"
    assert event.parameters == {"sex": ["female"], "country": ["GB", "SY"]}
    assert (event.record_count, event.ip_address) == (12, "198.51.100.4")


def test_a_command_records_the_user_without_a_request(analyst):
    event = record_access(
        request_or_user=analyst, action="export_json", path="manage.py export_defectors", parameters={"format": "json"}
    )
    event.refresh_from_db()
    assert (event.username, event.path, event.parameters, event.ip_address) == (
        "analyst",
        "manage.py export_defectors",
        {"format": "json"},
        None,
    )


def test_anonymous_visitors_are_recorded_without_a_user():
    event = record_access(request_or_user=make_request(AnonymousUser()), action="report_download")
    assert (event.user, event.username) == (None, "")


def test_an_unknown_action_is_refused(analyst):
    with pytest.raises(ValueError, match="Unknown audit action 'export_xml'"):
        record_access(request_or_user=analyst, action="export_xml")
    assert not AccessEvent.objects.exists()


def test_the_log_names_a_user_after_the_account_is_deleted(analyst):
    event = record_access(request_or_user=analyst, action="export_csv")
    analyst.delete()
    event.refresh_from_db()
    assert (event.user, event.username) == (None, "analyst")


@pytest.mark.parametrize("role, recorded", [("custodian", True), ("researcher", False), ("analyst", False)])
def test_identity_views_are_recorded_only_when_identity_was_shown(request, role, recorded):
    user = request.getfixturevalue(role)
    defectors = [DefectorFactory(case_id="B-2"), DefectorFactory(case_id="A-1")]
    record_identity_view(request=make_request(user, path="/defectors/A-1/", query=""), defectors=defectors)
    events = list(AccessEvent.objects.values_list("action", "case_ids", "record_count"))
    assert events == ([("identity_view", ["A-1", "B-2"], 2)] if recorded else [])
