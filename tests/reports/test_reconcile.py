import pytest

from reports.reconcile import APPROXIMATELY, CONSISTENT, INCONSISTENT, judge_count, judge_share


@pytest.mark.parametrize(
    ("qualifier", "published", "computed", "verdict"),
    [
        # The ICSR 2015 study: 36/58 = 0.621 and 17/58 = 0.293.
        ("nearly", 2 / 3, 36 / 58, CONSISTENT),  # "nearly two thirds"
        ("almost", 0.60, 36 / 58, APPROXIMATELY),  # "almost 60%": 62% is above, almost implies below
        ("exact", 2 / 3, 36 / 58, APPROXIMATELY),  # "two-thirds": 4.6 points off
        ("exact", 1 / 3, 17 / 58, APPROXIMATELY),  # "One third"
        ("nearly", 1 / 3, 17 / 58, CONSISTENT),  # "nearly a third"
        ("exact", 0.5, 0.5, CONSISTENT),
        ("exact", 0.5, 0.3, INCONSISTENT),
        ("almost", 0.60, 0.60, APPROXIMATELY),  # exactly the figure is not "almost" it
        ("almost", 0.60, 0.45, INCONSISTENT),
        ("almost", 0.60, 0.64, INCONSISTENT),
        ("about", 0.30, 0.27, CONSISTENT),
        ("over", 0.5, 0.51, CONSISTENT),
        ("over", 0.5, 0.5, INCONSISTENT),
    ],
)
def test_share_verdicts(qualifier, published, computed, verdict):
    got, reason = judge_share(qualifier=qualifier, published=published, computed=computed)
    assert got == verdict, reason
    assert reason


@pytest.mark.parametrize(
    ("qualifier", "published", "computed", "undated", "verdict"),
    [
        ("exact", 58, 58, 0, CONSISTENT),
        ("exact", 58, 57, 0, INCONSISTENT),
        ("exact", 19, 18, 1, APPROXIMATELY),  # one year-only date may fall in the period
        ("exact", 19, 17, 1, INCONSISTENT),
        ("exact", 17, 18, 1, INCONSISTENT),
        ("at_least", 58, 60, 0, CONSISTENT),
        ("at_least", 58, 57, 0, INCONSISTENT),
        ("about", 100, 96, 0, APPROXIMATELY),
    ],
)
def test_count_verdicts(qualifier, published, computed, undated, verdict):
    assert judge_count(qualifier=qualifier, published=published, computed=computed, undated=undated)[0] == verdict
