"""The ICSR 2015 fixture regenerates every published figure (golden file), and
its records keep the rules of the figures file: no invented names or quotes."""

import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from testimony.models import Defector, Quote

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "icsr_2015_report.json"
# The project's record of the study's sources; the press articles themselves are not in the repository.
STUDY_DOC = Path(settings.BASE_DIR) / "docs" / "icsr-2015.md"

pytestmark = pytest.mark.django_db


def regenerate(*args) -> str:
    out = io.StringIO()
    call_command("regenerate_report", "icsr-2015", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def icsr_report(icsr_2015_rows, django_db_blocker):
    """The report's JSON on the study fixture, computed once for the module."""
    with django_db_blocker.unblock():
        return json.loads(regenerate("--format", "json"))


def test_report_json_equals_the_golden_file(icsr_study):
    # Regenerate with: python manage.py regenerate_report icsr-2015 --format json > tests/golden/icsr_2015_report.json
    assert json.loads(regenerate("--format", "json")) == json.loads(GOLDEN.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("key", "computed", "verdict"),
    [
        ("total_defectors", 58, "consistent"),
        ("window", "2014-01/2015-08", "consistent"),
        ("male_defectors", 51, "consistent"),
        ("female_defectors", 7, "consistent"),
        ("country_count", 17, "consistent"),
        ("defectors_from_GB", 2, "consistent"),
        ("defectors_from_SY", 21, "consistent"),
        ("defectors_from_SA", 9, "consistent"),
        ("defectors_from_AU", 2, "consistent"),
        ("defectors_from_DE", 2, "consistent"),
        ("defectors_from_IN", 2, "consistent"),
        ("defectors_from_FR", 1, "consistent"),
        ("defectors_from_BE", 1, "consistent"),
        ("defectors_from_CH", 1, "consistent"),
        ("defectors_from_TN", 4, "consistent"),
        ("defectors_from_ID", 4, "consistent"),
        ("defectors_from_countries_without_counts", 9, "consistent"),
        ("defectors_from_western_europe_australia", 9, "consistent"),
        ("defectors_jan_aug_2014", 10, "consistent"),
        ("defectors_sep_2014_aug_2015", 48, "consistent"),
        ("defectors_2015", 36, "consistent"),
        ("share_2015_jan_aug", 0.6207, "consistent"),  # nearly two thirds
        ("share_2015_jan_aug_almost_60", 0.6207, "approximately consistent"),  # not quite "almost 60%"
        ("share_2015_jan_aug_two_thirds", 0.6207, "approximately consistent"),
        ("defectors_jun_aug_2015", 17, "consistent"),
        ("share_2015_jun_aug", 0.2931, "approximately consistent"),  # "One third"
        ("share_2015_jun_aug_nearly_a_third", 0.2931, "consistent"),
        ("defectors_2015_07", 6, "consistent"),
        ("peak_month", "2015-08", "consistent"),
        ("defectors_sep_dec_2014", 12, "consistent"),
        ("defectors_jan_may_2015", 18, "approximately consistent"),  # + Shukee Begum, dated 2015 only
        ("chosen_as_suicide_bombers", None, "not computable"),
        ("narrative_count", 4, "consistent"),
    ],
)
def test_each_published_figure_and_its_verdict(icsr_report, key, computed, verdict):
    figures = {f["key"]: f for f in icsr_report["figures"]}
    assert (figures[key]["computed"], figures[key]["verdict"]) == (computed, verdict)


def test_every_row_of_the_figures_table_has_a_published_figure(icsr_study):
    # One per row of the figures table, and the three of its public record added later (migration 0004).
    assert icsr_study.figures.count() == 33 + 3
    assert not icsr_study.figures.filter(wording="", status="V").exclude(outlet__in=["Mint", "Deccan Herald"]).exists()


def test_month_and_period_tables(icsr_report):
    tables = icsr_report["tables"]
    by_month = tables["by_month"]
    assert by_month["2015-07"] == 6
    assert by_month["2015-08"] == max(v for k, v in by_month.items() if k != "date_not_precise_enough")
    assert by_month["2015-06"] <= 4
    assert by_month["date_not_precise_enough"] == 1  # Shukee Begum: 2015, month unverified
    assert sum(by_month.values()) == 58
    assert tables["by_country"]["XX"] >= 1


def test_published_cases_and_reconstructed_records(icsr_study):
    published = Defector.objects.filter(provenance="published")
    assert sorted(published.values_list("name", flat=True)) == [
        "Abu Ibrahim",
        "Areeb Majeed",
        "Shukee Begum",
        "Usaid Barho",
        "anonymous defector (BBC case study)",
        "unnamed girl, 17, living in Qatar",
    ]
    reconstructed = Defector.objects.filter(provenance="reconstructed")
    assert reconstructed.count() == 52
    assert not reconstructed.filter(quotes__isnull=False).exists()
    assert set(reconstructed.values_list("name", flat=True)) == {"anonymous defector (reconstructed)"}
    assert not reconstructed.filter(notes="").exists()
    assert sorted(Defector.objects.values_list("case_id", flat=True)) == [f"ICSR15-{n:03d}" for n in range(1, 59)]
    assert not Defector.objects.exclude(legal_name="", current_location="", contact_notes="").exists()


def documented_quotes():
    """(case ID, quote, narrative) rows of docs/icsr-2015.md, "The fixture's quotes, as printed"."""
    section = STUDY_DOC.read_text(encoding="utf-8").split("## The fixture's quotes, as printed")[1].split("\n## ")[0]
    rows = [line.strip("| ").split(" | ") for line in section.splitlines() if line.startswith("| ICSR15-")]
    return {(case.split(",")[0], quote, narrative) for case, quote, _where, narrative in rows}


def test_every_quote_is_tagged_and_printed_verbatim_as_the_study_doc_records(icsr_study):
    quotes = list(Quote.objects.select_related("defector").prefetch_related("narratives"))
    fixture = {(q.defector.case_id, q.text, n.code) for q in quotes for n in q.narratives.all()}
    assert len(quotes) == 4 and all(q.narratives.exists() for q in quotes)
    assert fixture == documented_quotes()


def test_loading_the_fixture_twice_changes_nothing(icsr_study):
    before = json.loads(regenerate("--format", "json"))
    call_command("loaddata", "icsr_2015", verbosity=0)
    assert json.loads(regenerate("--format", "json")) == before


# The study's records are loaded once for the tests that read them (tests/shared_rows.py):
# what one test writes is rolled back before the next, and tests that do not ask for the
# study see none of it. These three run in this order, after the tests above.
def test_a_test_may_delete_the_study_s_records_for_itself(icsr_study):
    Defector.objects.all().delete()
    assert not Quote.objects.exists()


def test_the_next_test_finds_them_all_again(icsr_study):
    assert Defector.objects.count() == 58
    assert Quote.objects.count() == 4


def test_a_test_that_does_not_ask_for_the_study_sees_none_of_it(db):
    assert not Defector.objects.exists()
    assert not Quote.objects.exists()
