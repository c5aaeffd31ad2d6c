"""Statistical disclosure control (TESTIMONY_MIN_CELL): users without identity
access never see a count of people from 1 to min_cell - 1, in any report surface."""

import json

import pytest
from django.urls import reverse

from reports.disclosure import NOT_PERSON_COUNTS, protect
from reports.selectors import study_report
from tests.factories import DefectorFactory

pytestmark = pytest.mark.django_db

FIGURES_JSON = "/reports/icsr-2015/figures.json"


def small_counts(node, min_cell, path=""):
    """Every count of people from 1 to min_cell - 1 left in a report, with where it is."""
    if isinstance(node, dict):
        return [
            found
            for key, value in node.items()
            if key not in NOT_PERSON_COUNTS
            for found in small_counts(value, min_cell, f"{path}/{key}")
        ]
    if isinstance(node, list):
        return [found for i, value in enumerate(node) for found in small_counts(value, min_cell, f"{path}/{i}")]
    if isinstance(node, int) and not isinstance(node, bool) and 0 < node < min_cell:
        return [(path, node)]
    return []


def report_parts(report):
    """The parts of a report that count people (figures also hold published values, which are public)."""
    return {
        "tables": report["tables"],
        "countries": report["countries"],
        "measures": report["measures"],
        "computed": [f["computed"] for f in report["figures"] if f["measure"] not in NOT_PERSON_COUNTS],
        "numerators": [f.get("numerator") for f in report["figures"]],
        "restricted": report["restricted_defectors"],
    }


@pytest.fixture
def min_cell_3(settings):
    settings.TESTIMONY_MIN_CELL = 3


@pytest.mark.parametrize("subset", ["", "?sex=female", "?country=GB", "?narrative=corruption&sex=female"])
def test_no_small_count_of_people_reaches_an_analyst(client, analyst, icsr_study, min_cell_3, subset):
    client.force_login(analyst)
    raw = study_report(study=icsr_study)
    assert small_counts(report_parts(raw), 3), "the fixture has small cells, or this test proves nothing"

    report = client.get(FIGURES_JSON + subset).json()

    assert small_counts(report_parts(report), 3) == []
    assert report["disclosure_control"]["min_cell"] == 3


def test_a_hidden_figure_loses_its_value_verdict_and_reason(client, analyst, icsr_study, min_cell_3):
    client.force_login(analyst)
    report = client.get(FIGURES_JSON).json()
    figures = {f["key"]: f for f in report["figures"]}

    british = figures["defectors_from_GB"]
    assert british["computed"] == "<3"
    assert (british["verdict"], british["consistent"]) == ("hidden", None)
    assert "2" not in british["reason"]
    assert report["tables"]["by_country"]["GB"] == "<3"
    # Large counts and the published wording stay as they are.
    assert figures["total_defectors"]["computed"] == 58
    assert figures["female_defectors"]["computed"] == 7
    assert british["published"] == 2


def test_a_share_built_on_a_hidden_count_is_hidden_too(client, analyst, icsr_study, min_cell_3):
    client.force_login(analyst)
    report = client.get(FIGURES_JSON + "?sex=female&country=GB").json()

    shares = [f for f in report["figures"] if f["kind"] == "share"]
    assert shares and all(f["computed"] is None for f in shares if f.get("numerator") == "<3")
    assert all(value is None for name, value in report["measures"].items() if name.startswith("share_") and value != 0)


def test_identity_custodians_see_every_count(client, custodian, icsr_study, min_cell_3):
    client.force_login(custodian)
    report = client.get(FIGURES_JSON).json()

    assert report["tables"]["by_country"]["GB"] == 2
    assert "disclosure_control" not in report


def test_off_by_default_in_development(client, analyst, icsr_study, settings):
    settings.TESTIMONY_MIN_CELL = 0
    client.force_login(analyst)
    report = client.get(FIGURES_JSON).json()

    assert report["tables"]["by_country"]["GB"] == 2
    assert "disclosure_control" not in report


def test_report_page_shows_hidden_counts_without_links(client, analyst, icsr_study, min_cell_3):
    client.force_login(analyst)
    page = client.get(reverse("reports:study-report", args=["icsr-2015"]))
    html = page.content.decode()

    assert page.status_code == 200
    assert "&lt;3" in html
    # The British row still names the country but neither counts nor links to its two defectors.
    assert "country=GB&amp;study=icsr-2015" not in html
    assert 'data-count="2"' not in html and 'data-count="1"' not in html


def test_figures_csv_and_api_are_protected_alike(client, analyst, icsr_study, min_cell_3):
    client.force_login(analyst)
    csv_text = client.get(reverse("reports:study-csv", args=["icsr-2015"])).content.decode()
    api = client.get(reverse("api:study-report", args=["icsr-2015"])).json()

    assert "by_country,GB,<3" in csv_text
    assert api["tables"]["by_country"]["GB"] == "<3"


def test_protect_leaves_zeros_and_counts_of_things(icsr_study):
    report = protect(study_report(study=icsr_study), min_cell=3)

    assert report["tables"]["by_sex"]["unknown"] == 0
    assert report["measures"]["narrative_count"] == 4


def test_the_list_does_not_count_a_few_hidden_restricted_records(client, analyst, icsr_study, min_cell_3):
    DefectorFactory(visibility="restricted", sex="female", country="GB")
    client.force_login(analyst)
    page = client.get(reverse("testimony:defector-list") + "?country=GB")

    assert "&lt;3 restricted records hidden" in page.content.decode()


def test_the_report_json_is_serialisable_after_protection(icsr_study):
    assert json.loads(json.dumps(protect(study_report(study=icsr_study), min_cell=5)))["disclosure_control"]
