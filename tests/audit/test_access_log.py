"""The access log as users leave it: exports, identity views and report downloads."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
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


@pytest.mark.parametrize("file_format", ["csv", "json"])
def test_the_export_command_logs_the_operating_system_login(monkeypatch, defectors, file_format):
    monkeypatch.setenv("USER", "ops-alice")
    monkeypatch.setenv("LOGNAME", "ops-alice")
    call_command("export_defectors", "--format", file_format, stdout=io.StringIO())

    event = AccessEvent.objects.get()
    assert (event.user, event.username, event.action) == (None, "ops-alice (command line)", f"export_{file_format}")
    assert (event.path, event.parameters) == ("manage.py export_defectors", {"format": file_format, "output": "stdout"})
    assert event.record_count == 2  # two defectors without quotes: two CSV rows, two JSON objects


def test_the_export_command_logs_the_account_it_is_told(researcher, defectors, tmp_path):
    out = tmp_path / "cases.csv"
    call_command("export_defectors", "--user", "researcher", "--output", str(out), stderr=io.StringIO())
    event = AccessEvent.objects.get()
    assert (event.user, event.username, event.parameters["output"]) == (researcher, "researcher", str(out))


def test_the_export_command_refuses_an_unknown_account_before_writing(defectors, tmp_path):
    out = tmp_path / "cases.csv"
    with pytest.raises(CommandError, match="--user nobody: no such user"):
        call_command("export_defectors", "--user", "nobody", "--output", str(out))
    assert not out.exists() and not AccessEvent.objects.exists()


def test_a_backup_logs_who_took_it_and_where_it_went(researcher, tmp_path):
    out = tmp_path / "backup.dump"
    call_command("backup_database", "--user", "researcher", "--output", str(out), stdout=io.StringIO())
    event = AccessEvent.objects.get()
    assert (event.user, event.action, event.parameters) == (researcher, "backup", {"output": str(out)})
