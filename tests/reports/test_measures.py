"""Measures as objects: the old measure names translate into selections of the
/defectors/ vocabulary (migration 0004), and selections are checked by
DefectorFilterSet itself."""

import datetime
import importlib
from types import SimpleNamespace

import pytest
from django.http import QueryDict

from reports.measures import Measure, SelectionError, parse_selection

translate = importlib.import_module("reports.migrations.0004_measures_as_selections").translate
ICSR = SimpleNamespace(window_start=datetime.date(2014, 1, 1), window_end=datetime.date(2015, 8, 31))


@pytest.mark.parametrize(
    ("name", "aggregate", "selection"),
    [
        ("total_defectors", "count", ""),
        ("female_defectors", "count", "sex=female"),
        ("defectors_from_GB", "count", "country=GB"),
        ("defectors_not_from_GB_SY", "count", "country_not=GB&country_not=SY"),
        ("defectors_from_western_europe_australia", "count", "region=western_europe_australia"),
        ("country_count", "distinct_countries", ""),
        ("peak_month", "peak_month", ""),
        ("reported_months", "reported_months", ""),
        # A year-only 2015 is 1 January 2015 to the date filters; the window's 2015 (Jan-Aug) lies
        # wholly inside these periods, so it counts in them and no precision filter is needed...
        ("defectors_2015", "count", "reported_after=2015-01-01&reported_before=2015-12-31"),
        ("share_2015_jan_aug", "share", "reported_after=2015-01-01&reported_before=2015-08-31"),
        ("defectors_sep_2014_aug_2015", "count", "reported_after=2014-09-01&reported_before=2015-08-31"),
        # ...but not inside these, whose range holds a 1 January: only precise dates count.
        (
            "defectors_jan_may_2015",
            "count",
            "reported_after=2015-01-01&reported_before=2015-05-31&reported_precision=day&reported_precision=month",
        ),
        (
            "defectors_jan_aug_2014",
            "count",
            "reported_after=2014-01-01&reported_before=2014-08-31&reported_precision=day&reported_precision=month",
        ),
        ("defectors_jun_aug_2015", "count", "reported_after=2015-06-01&reported_before=2015-08-31"),
        ("defectors_2015_07", "count", "reported_after=2015-07-01&reported_before=2015-07-31"),
        ("chosen_as_suicide_bombers", "", ""),
    ],
)
def test_old_measure_names_become_selections(db, name, aggregate, selection):
    assert translate(name, ICSR) == (aggregate, selection)
    parse_selection(selection)  # every translation is valid in today's vocabulary


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("countryy=SY", "Unknown filter countryy"),
        ("country=ZZZ", "country"),
        ("reported_after=2015-13-40", "reported_after"),
        ("narrative=nonsense", "narrative"),
        ("page=2", "Unknown filter page"),
    ],
)
def test_bad_selections_are_refused_naming_the_filter(db, text, message):
    with pytest.raises(SelectionError, match=message):
        parse_selection(text)


def test_criteria_cannot_refer_to_a_study(db):
    with pytest.raises(SelectionError, match="study"):
        parse_selection("study=icsr-2015", allow_study=False)


def test_a_figure_is_about_a_subset_only_if_its_selection_holds_every_filter_of_it():
    women = Measure("female_defectors", "count", QueryDict("sex=female"))
    assert women.is_about(QueryDict("sex=female"))
    assert not women.is_about(QueryDict("sex=female&country=SY"))
    assert not Measure("total_defectors", "count").is_about(QueryDict("sex=female"))
    assert not Measure("country_count", "distinct_countries").is_about(QueryDict("sex=female"))


def test_a_share_drills_down_to_its_numerator_inside_its_denominator():
    share = Measure("x", "share", QueryDict("narrative=brutality"), QueryDict("sex=female"))
    assert share.drilldown().urlencode() == "narrative=brutality&sex=female"
    assert Measure("y", "peak_month").drilldown() is None
