"""The access log as users leave it: exports, identity views and report downloads."""

import pytest
from django.urls import reverse

from audit.models import AccessEvent
from tests.factories import DefectorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def defectors(db):
    return [DefectorFactory(sex="female", legal_name="Marker Legal"), DefectorFactory(sex="male")]


def test_a_csv_export_logs_who_exported_which_filtered_set(client, analyst, defectors):
    client.force_login(analyst)
    response = client.get(reverse("testimony:defector-export") + "?sex=female")
    b"".join(response.streaming_content)

    event = AccessEvent.objects.get()
    assert (event.username, event.action, event.record_count) == ("analyst", "export_csv", 1)
    assert event.parameters == {"sex": ["female"]}


def test_an_invalid_export_is_not_logged_as_an_export(client, analyst, defectors):
    client.force_login(analyst)
    assert client.get(reverse("testimony:defector-export") + "?sex=nobody").status_code == 400
    assert not AccessEvent.objects.exists()


def test_opening_a_defector_logs_an_identity_view_only_when_identity_is_shown(client, analyst, custodian, defectors):
    url = reverse("testimony:defector-detail", args=[defectors[0].case_id])
    client.force_login(analyst)
    client.get(url)
    assert not AccessEvent.objects.exists()

    client.force_login(custodian)
    assert "Marker Legal" in client.get(url).content.decode()
    event = AccessEvent.objects.get()
    assert (event.username, event.action, event.case_ids) == ("custodian", "identity_view", [defectors[0].case_id])


@pytest.mark.parametrize("file_format", ["csv", "json"])
def test_a_report_download_is_logged_with_its_subset(client, analyst, file_format):
    client.force_login(analyst)
    assert client.get(reverse(f"reports:study-{file_format}", args=["icsr-2015"]) + "?sex=female").status_code == 200

    event = AccessEvent.objects.get()
    assert event.action == "report_download"
    assert event.parameters == {"study": ["icsr-2015"], "format": [file_format], "sex": ["female"]}
