import io
import json

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/icsr-2015/"


def test_same_json_as_the_command(client, icsr_study):
    out = io.StringIO()
    call_command("regenerate_report", "icsr-2015", "--format", "json", stdout=out)
    assert client.get(URL).json() == json.loads(out.getvalue())


def test_figures_over_a_subset(client, icsr_study):
    report = client.get(URL, {"sex": "female"}).json()
    assert report["tables"]["by_sex"] == {"male": 0, "female": 7, "unknown": 0}
    assert report["scope"]["subset"] is True


@pytest.mark.parametrize(
    ("params", "field"),
    [({"sex": "x"}, "sex"), ({"reported_before": "tomorrow"}, "reported_before"), ({"narrative": "nope"}, "narrative")],
)
def test_invalid_filter_is_a_400_naming_the_field(client, icsr_study, params, field):
    response = client.get(URL, params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_unknown_study_is_404(client, db):
    assert client.get("/api/v1/reports/icsr-2016/").status_code == 404


def test_anonymous_readers_need_public_read(client, icsr_study, settings):
    settings.TESTIMONY_PUBLIC_READ = False
    assert client.get(URL).status_code == 401  # no credentials: "WWW-Authenticate: Token"
