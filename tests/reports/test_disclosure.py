"""Statistical disclosure control (TESTIMONY_MIN_CELL): users without identity
access never see a count of people from 1 to min_cell - 1, in any report surface."""

import datetime
import json

import pytest
from django.urls import reverse

from reports.disclosure import NOT_PERSON_COUNTS, protect
from reports.selectors import study_report
from testimony.regions import REGIONS
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


# --- Secondary suppression: no hidden count follows from the counts shown -------------


def hidden(value) -> bool:
    return isinstance(value, str)


def additive_relations(report):
    """(name, total, parts) for every published total that is the sum of published parts."""
    tables, total = report["tables"], report["measures"]["total_defectors"]
    for name in ("by_sex", "by_country", "by_month", "by_year", "by_region"):
        yield name, total, list(tables[name].values())
    for code, row in tables["narrative_by_sex"].items():
        yield f"narrative_by_sex {code}", tables["by_narrative"][code]["defectors"], list(row.values())
    for code, row in tables["narrative_by_region"].items():
        yield f"narrative_by_region {code}", tables["by_narrative"][code]["defectors"], list(row.values())
    for slug, (_, codes) in REGIONS.items():
        yield (
            f"region {slug}",
            tables["by_region"][slug],
            [tables["by_country"][c] for c in codes if c in tables["by_country"]],
        )


def given_away(report, min_cell, relations=additive_relations):
    """Relations from which a hidden count can be worked out: total less the other
    cells, a hidden total as the sum of shown cells, or small hidden cells whose known
    sum pins them (1 + 1, or (min_cell - 1) twice)."""
    found = []
    for name, total, parts in relations(report):
        shown = [p for p in parts if not hidden(p)]
        secret = [p for p in parts if hidden(p)]
        if hidden(total):
            if not secret and sum(shown):
                found.append((name, "hidden total = sum of its cells"))
            continue
        if len(secret) == 1:
            found.append((name, f"the hidden cell = {total} - {sum(shown)}"))
        elif secret and all(p.startswith("<") for p in secret):
            rest = total - sum(shown)
            if rest in (len(secret), len(secret) * (min_cell - 1)):
                found.append((name, f"{len(secret)} hidden cells add up to {rest}"))
    return found


@pytest.fixture
def five_defectors(small_study):
    """Four Syrian men reported in March 2015 and one British woman in July: the woman,
    her country, her month and her region are each a cell of 1 beside a total of 5."""
    for _ in range(4):
        DefectorFactory(sex="male", country="SY", reported_on=datetime.date(2015, 3, 14), provenance="published")
    DefectorFactory(sex="female", country="GB", reported_on=datetime.date(2015, 7, 2), provenance="published")
    return small_study


def test_a_single_hidden_cell_takes_the_next_smallest_with_it(five_defectors):
    raw = study_report(study=five_defectors)
    assert given_away({**raw, "tables": protect_cells_only(raw)}, 3), "the dataset must be attackable"

    report = protect(raw, min_cell=3)
    tables = report["tables"]

    assert report["measures"]["total_defectors"] == 5  # the grand total stays
    assert (tables["by_sex"]["female"], tables["by_sex"]["male"]) == ("<3", "\u22653")
    assert (tables["by_country"]["GB"], tables["by_country"]["SY"]) == ("<3", "\u22653")
    assert (tables["by_month"]["2015-07"], tables["by_month"]["2015-03"]) == ("<3", "\u22653")
    assert (tables["by_region"]["western_europe"], tables["by_region"]["middle_east"]) == ("<3", "\u22653")
    assert given_away(report, 3) == []


def test_a_quantity_is_hidden_alike_wherever_it_appears(five_defectors):
    report = protect(study_report(study=five_defectors), min_cell=3)
    figures = {f["key"]: f for f in report["figures"]}

    syria = [c["defectors"] for c in report["countries"] if c["code"] == "SY"]
    assert (
        syria == [report["measures"]["defectors_from_SY"]] == [figures["defectors_from_SY"]["computed"]] == ["\u22653"]
    )
    assert report["measures"]["male_defectors"] == "\u22653"
    assert (figures["defectors_from_SY"]["verdict"], figures["defectors_from_SY"]["consistent"]) == ("hidden", None)
    assert "4" not in figures["defectors_from_SY"]["reason"]
    # The share of June-August is the hidden July over the total: hidden with it.
    assert figures["share_2015_jun_aug"]["computed"] is None
    assert report["measures"]["share_2015_jun_aug"] is None


def test_small_hidden_cells_with_a_known_sum_are_not_pinned(small_study):
    """Female 1 and unknown 1 beside male 5 and a total of 7: each hidden cell is "<3",
    but together they are 7 - 5 = 2, so each is 1. The men are hidden too."""
    for sex in ["male"] * 5 + ["female", "unknown"]:
        DefectorFactory(sex=sex, provenance="published")
    report = protect(study_report(study=small_study), min_cell=3)

    assert report["tables"]["by_sex"] == {"male": "\u22653", "female": "<3", "unknown": "<3"}
    assert given_away(report, 3) == []


def test_a_hidden_total_is_not_the_sum_of_shown_cells(small_study):
    DefectorFactory(sex="female", country="SY", provenance="published")
    report = protect(study_report(study=small_study), min_cell=3)

    assert report["measures"]["total_defectors"] == "<3"
    assert report["tables"]["by_sex"]["female"] == "<3"
    assert given_away(report, 3) == []


def icsr_relations(report):
    """The study's own figures add up too: its four periods and the year-only dates
    make the whole window (Shukee Begum's "2015" is the only year-only date)."""
    yield from additive_relations(report)
    periods = report["tables"]["by_period"]
    parts = ["2014-01/2014-08", "2014-09/2014-12", "2015-01/2015-05", "2015-06/2015-08"]
    yield (
        "four periods",
        report["measures"]["total_defectors"],
        [periods[p]["defectors"] for p in parts] + [report["tables"]["by_month"]["date_not_precise_enough"]],
    )


@pytest.mark.parametrize("min_cell", [3, 5])
@pytest.mark.parametrize(
    "subset", ["", "?sex=female", "?country_not=GB", "?region=middle_east", "?narrative=brutality"]
)
def test_no_hidden_count_of_the_study_can_be_worked_out(client, analyst, icsr_study, settings, min_cell, subset):
    settings.TESTIMONY_MIN_CELL = min_cell
    client.force_login(analyst)
    report = client.get(FIGURES_JSON + subset).json()

    assert given_away(report, min_cell, relations=icsr_relations) == []
    assert small_counts(report_parts(report), min_cell) == []


def test_the_whole_study_loses_only_what_it_must(client, analyst, icsr_study, settings):
    """At 3, the headline figures of the study stay: 58 defectors, 51 men, 7 women,
    Syria 21, June-August 17; the year-only date's count (1) takes one period with it."""
    settings.TESTIMONY_MIN_CELL = 3
    client.force_login(analyst)
    report = client.get(FIGURES_JSON).json()
    measures = report["measures"]

    assert (measures["total_defectors"], measures["male_defectors"], measures["female_defectors"]) == (58, 51, 7)
    assert (measures["defectors_from_SY"], measures["defectors_jun_aug_2015"]) == (21, 17)
    periods = report["tables"]["by_period"]
    assert any(
        hidden(periods[p]["defectors"])
        for p in ["2014-01/2014-08", "2014-09/2014-12", "2015-01/2015-05", "2015-06/2015-08"]
    )
    assert report["disclosure_control"]["rule"].count("\u22653") == 1


def protect_cells_only(report):
    """The tables with primary suppression only (what the code did before secondary suppression)."""
    from accounts.access import masked

    def walk(node):
        return {k: walk(v) for k, v in node.items()} if isinstance(node, dict) else masked(node, 3)

    return walk(report["tables"])
