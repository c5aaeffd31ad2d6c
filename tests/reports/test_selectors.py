"""study_report on small hand-made datasets whose answers are computed by hand."""

import datetime

import pytest

from narratives.models import Narrative
from reports.models import Study
from reports.selectors import NOT_PRECISE, study_report
from testimony.models import Defector
from tests.factories import DefectorFactory, QuoteFactory, TagFactory

pytestmark = pytest.mark.django_db

# figures, codebook, case list size, whether any quote was coded in the queue (coding.selectors.counted_tags),
# summary, by country, by month, by year, 2 per narrative
REPORT_QUERIES = 10


def quoted(defector, *codes):
    quote = QuoteFactory(defector=defector)
    for code in codes:
        TagFactory(quote=quote, narrative=Narrative.objects.get(code=code))
    return quote


@pytest.fixture
def dataset(small_study):
    """Four counted defectors (one restricted, one dated to the year only), one before the window,
    one synthetic."""
    a = DefectorFactory(case_id="A", sex="male", country="SY", reported_on="2015-07-10", provenance="published")
    quoted(a, "brutality", "infighting")
    b = DefectorFactory(
        case_id="B",
        sex="female",
        country="GB",
        reported_on="2015-07-01",
        reported_precision="month",
        provenance="published",
        visibility="restricted",
    )
    quoted(b, "brutality")
    DefectorFactory(
        case_id="C", country="SY", reported_on="2015-06-01", reported_precision="month", provenance="published"
    )
    d = DefectorFactory(
        case_id="D", country="IQ", reported_on="2015-01-01", reported_precision="year", provenance="reconstructed"
    )
    quoted(d, "infighting")
    DefectorFactory(case_id="E-before", country="SY", reported_on="2014-12-31", provenance="published")
    DefectorFactory(case_id="F-synthetic", country="SY", reported_on="2015-07-02", provenance="synthetic")
    return small_study


def dig(report, path):
    for part in path.split("."):
        report = report[part]
    return report


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("measures.total_defectors", 4),  # E before the window, F synthetic
        ("tables.by_sex", {"male": 3, "female": 1, "unknown": 0}),
        ("tables.by_country", {"SY": 2, "GB": 1, "IQ": 1}),
        ("measures.country_count", 3),
        ("tables.by_month.2015-06", 1),
        ("tables.by_month.2015-07", 2),
        ("tables.by_month.2015-01", 0),  # D is dated to the year only: not in January
        (f"tables.by_month.{NOT_PRECISE}", 1),
        ("tables.by_year", {"2015": 4}),
        ("measures.defectors_jun_aug_2015", 3),
        ("measures.share_2015_jun_aug", 0.75),
        ("measures.peak_month", "2015-07"),
        ("restricted_defectors", 1),  # counted, though hidden from lists
        ("tables.by_narrative.brutality", {"defectors": 2, "quotes": 2}),
        ("tables.by_narrative.infighting", {"defectors": 2, "quotes": 2}),
        ("tables.by_narrative.corruption", {"defectors": 0, "quotes": 0}),
        ("tables.narrative_pairs.infighting+brutality", 1),
        ("tables.narrative_pairs.brutality+corruption", 0),
        ("tables.narrative_by_sex.brutality", {"male": 1, "female": 1, "unknown": 0}),
        ("tables.narrative_by_region.infighting.middle_east", 2),
        ("tables.by_region.western_europe", 1),
    ],
)
def test_figures_of_a_small_dataset(dataset, path, expected):
    assert dig(study_report(study=dataset), path) == expected


def test_figure_verdicts_of_a_small_dataset(dataset):
    figures = {f["key"]: f for f in study_report(study=dataset)["figures"]}
    assert {k: f["verdict"] for k, f in figures.items()} == {
        "total_defectors": "consistent",
        "female_defectors": "consistent",
        "defectors_from_SY": "consistent",
        "defectors_jun_aug_2015": "inconsistent",  # 3 counted, 2 published
        "share_2015_jun_aug": "inconsistent",  # 75% against "about 50%"
        "peak_month": "consistent",
    }
    assert figures["defectors_jun_aug_2015"]["computed"] == 3
    assert figures["defectors_jun_aug_2015"][NOT_PRECISE] == 1  # D's 2015 may or may not be in the summer
    assert (figures["share_2015_jun_aug"]["numerator"], figures["share_2015_jun_aug"]["denominator"]) == (3, 4)


def test_subset_of_defectors(dataset):
    report = study_report(study=dataset, defectors=Defector.objects.filter(sex="female"))
    assert report["measures"]["total_defectors"] == 1
    assert report["tables"]["by_country"] == {"GB": 1}
    assert report["scope"]["subset"] is True


def test_synthetic_records_count_only_when_asked(dataset):
    assert study_report(study=dataset, include_synthetic=True)["measures"]["total_defectors"] == 5


def test_empty_database_gives_zeros_and_no_crash(small_study):
    report = study_report(study=small_study)
    assert report["measures"]["total_defectors"] == 0
    assert set(report["tables"]["by_month"].values()) == {0}
    assert len(report["tables"]["by_month"]) == 12 + 1
    share = next(f for f in report["figures"] if f["key"] == "share_2015_jun_aug")
    assert (share["computed"], share["verdict"]) == (None, "inconsistent")


@pytest.mark.parametrize(
    ("reported_on", "precision", "measure", "placed", "not_precise"),
    [
        ("2014-01-01", "year", "defectors_jan_aug_2014", 0, 1),  # 2014 overlaps Jan-Aug 2014 without fitting
        ("2014-01-01", "year", "defectors_sep_dec_2014", 0, 1),
        ("2015-01-01", "year", "defectors_2015", 1, 0),  # the window's 2015 is Jan-Aug: it fits
        ("2015-01-01", "year", "defectors_sep_2014_aug_2015", 1, 0),
        ("2015-01-01", "year", "defectors_jun_aug_2015", 0, 1),
        ("2015-01-01", "year", "defectors_jan_aug_2014", 0, 0),
        ("2015-07-01", "month", "defectors_2015_07", 1, 0),
        ("2015-07-31", "day", "defectors_jun_aug_2015", 1, 0),
        ("2015-09-01", "month", "defectors_2015", 0, 0),  # after the window
        ("2013-12-01", "month", "defectors_jan_aug_2014", 0, 0),  # before the window
    ],
)
def test_date_precision_places_a_defector_only_where_it_fits(db, reported_on, precision, measure, placed, not_precise):
    study = Study.objects.get(code="icsr-2015")
    DefectorFactory(reported_on=reported_on, reported_precision=precision, provenance="published")
    report = study_report(study=study)
    figure = next(f for f in report["figures"] if f["measure"] == measure)
    assert (figure["computed"], figure[NOT_PRECISE]) == (placed, not_precise)
    in_window = datetime.date(2014, 1, 1) <= datetime.date.fromisoformat(reported_on) <= datetime.date(2015, 8, 31)
    assert sum(report["tables"]["by_month"].values()) == int(in_window)  # never dropped, never doubled


def test_whole_report_takes_a_constant_number_of_queries(dataset, django_assert_num_queries):
    with django_assert_num_queries(REPORT_QUERIES):
        study_report(study=dataset)
    for i, country in enumerate(["FR", "DE", "TN", "ID", "AU", "XX"]):
        defector = DefectorFactory(country=country, reported_on=f"2015-{i + 2:02d}-01", provenance="published")
        quoted(defector, "corruption", "quality-of-life")
    with django_assert_num_queries(REPORT_QUERIES):
        report = study_report(study=dataset)
    assert report["measures"]["country_count"] == 9


def test_narrative_pairs_are_the_same_for_a_codebook_too_large_for_a_bit_mask(dataset, monkeypatch):
    for i, country in enumerate(["FR", "DE", "TN"]):
        defector = DefectorFactory(country=country, reported_on=f"2015-{i + 2:02d}-01", provenance="published")
        quoted(defector, "corruption", "quality-of-life")
    with_masks = study_report(study=dataset)["tables"]
    monkeypatch.setattr("reports.selectors.MASK_BITS", 1)  # every codebook is "too large": the Python path
    assert study_report(study=dataset)["tables"] == with_masks
    assert any(with_masks["narrative_pairs"].values())
