import datetime

import pytest

from reports.measures import UnknownMeasureError, parse_measure


@pytest.mark.parametrize(
    ("name", "what", "arg"),
    [
        ("total_defectors", "total_defectors", None),
        ("female_defectors", "sex", "female"),
        ("defectors_from_GB", "country", "GB"),
        ("defectors_not_from_GB_SY", "not_countries", ("GB", "SY")),
        ("peak_month", "peak_month", None),
    ],
)
def test_named_measures(name, what, arg):
    measure = parse_measure(name)
    assert (measure.what, measure.arg) == (what, arg)


@pytest.mark.parametrize(
    ("name", "start", "end"),
    [
        ("defectors_2015", "2015-01-01", "2015-12-31"),
        ("defectors_2015_07", "2015-07-01", "2015-07-31"),
        ("defectors_2016_02", "2016-02-01", "2016-02-29"),
        ("defectors_jun_aug_2015", "2015-06-01", "2015-08-31"),
        ("defectors_sep_2014_aug_2015", "2014-09-01", "2015-08-31"),
        ("share_2015_jan_aug", "2015-01-01", "2015-08-31"),
        ("share_jun_aug_2015", "2015-06-01", "2015-08-31"),
    ],
)
def test_period_measures(name, start, end):
    period = parse_measure(name).arg
    assert (period.start, period.end) == (datetime.date.fromisoformat(start), datetime.date.fromisoformat(end))


def test_region_grouping_lists_its_countries():
    assert set(parse_measure("defectors_from_western_europe_australia").arg) >= {"GB", "DE", "FR", "BE", "CH", "AU"}


@pytest.mark.parametrize(
    "name", ["defectors", "defectors_2015_13", "defectors_aug_jun_2015", "defectors_from_atlantis", "share_", "x"]
)
def test_unknown_measures_are_refused_with_a_hint(name):
    with pytest.raises(UnknownMeasureError):
        parse_measure(name)
