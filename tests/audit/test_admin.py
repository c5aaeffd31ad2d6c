"""The access log in the admin: recorded from the defector change page, readable by site admins only."""

import pytest
from django.urls import reverse

from audit.models import AccessEvent
from audit.services import record_access
from tests.factories import DefectorFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db):
    """A site admin."""
    return UserFactory(username="siteadmin", is_staff=True, is_superuser=True)


@pytest.fixture
def event(analyst):
    """One CSV export by the analyst."""
    return record_access(request_or_user=analyst, action="export_csv", path="/defectors/export.csv", record_count=3)


def test_opening_a_defector_in_the_admin_as_custodian_is_logged(client, custodian):
    defector = DefectorFactory(case_id="LOG-1", legal_name="someone")
    client.force_login(custodian)
    url = reverse("admin:testimony_defector_change", args=[defector.pk])
    assert client.get(url).status_code == 200
    event = AccessEvent.objects.get()
    assert (event.username, event.action, event.case_ids, event.path) == ("custodian", "identity_view", ["LOG-1"], url)


def test_opening_a_defector_in_the_admin_without_identity_rights_is_not_logged(client, researcher):
    defector = DefectorFactory(case_id="LOG-2")
    client.force_login(researcher)
    assert client.get(reverse("admin:testimony_defector_change", args=[defector.pk])).status_code == 200
    assert not AccessEvent.objects.exists()


def test_site_admins_read_and_filter_the_log(client, superuser, event):
    record_access(request_or_user=superuser, action="identity_view", case_ids=["X-1"])
    client.force_login(superuser)
    changelist = reverse("admin:audit_accessevent_changelist")
    response = client.get(changelist, {"action__exact": "export_csv"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [event]
    assert client.get(reverse("admin:audit_accessevent_change", args=[event.pk])).status_code == 200
    assert "Access events" in client.get(reverse("admin:index")).content.decode()


def test_site_admins_cannot_edit_add_or_delete_events(client, superuser, event):
    client.force_login(superuser)
    assert client.get(reverse("admin:audit_accessevent_add")).status_code == 403
    assert client.post(reverse("admin:audit_accessevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    client.post(reverse("admin:audit_accessevent_change", args=[event.pk]), {"username": "someone else"})
    event.refresh_from_db()
    assert event.username == "analyst"


@pytest.mark.parametrize("role", ["researcher", "custodian"])
def test_other_staff_cannot_see_the_log(client, request, role, event):
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse("admin:audit_accessevent_changelist")).status_code == 403
    assert client.get(reverse("admin:audit_accessevent_change", args=[event.pk])).status_code == 403
    assert "Access events" not in client.get(reverse("admin:index")).content.decode()
