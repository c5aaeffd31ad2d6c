"""The statistics against published worked examples (parametrized tables)."""

import krippendorff
import numpy as np
import pytest

from coding import reliability as r

N = None
# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C:
# nominal data, 4 observers x 12 units, with missing values.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]
# Fleiss (1971) as on Wikipedia ("Fleiss' kappa", worked example): 10 subjects, 14 raters, 5 categories.
FLEISS_1971 = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


@pytest.mark.parametrize(
    ("data", "alpha", "pairable_values"),
    [
        (KRIPPENDORFF_2011, 0.743, 40),  # the paper's nominal alpha and its n
        ([[1, 1, 0, 0], [1, 1, 0, 0]], 1.0, 8),  # perfect agreement
        ([[1, 1, N], [1, 1, 1]], None, 4),  # one value throughout: no disagreement expected, alpha undefined
    ],
)
def test_krippendorff_alpha(data, alpha, pairable_values):
    data = r.as_reliability_data(data)
    computed = r.krippendorff_alpha(data)
    assert (computed is None) if alpha is None else computed == pytest.approx(alpha, abs=5e-4)
    assert r.pairable_values(data) == pairable_values


@pytest.mark.parametrize(
    ("table", "kappa"),
    [
        # Wikipedia, "Cohen's kappa", worked example: 50 proposals, yes/yes 20, yes/no 5, no/yes 10, no/no 15.
        ([[20, 5], [10, 15]], 0.40),
        # Wikipedia, same article, "same percentages but different numbers": both agree on 60%.
        ([[45, 15], [25, 15]], 0.1304),
        ([[25, 35], [5, 35]], 0.2593),
        ([[10, 0], [0, 10]], 1.0),
    ],
)
def test_cohen_kappa_from_published_tables(table, kappa):
    assert r.cohen_kappa_from_table(table) == pytest.approx(kappa, abs=5e-5)
    # The same table as two coders' decisions gives the same kappa.
    first, second = [], []
    for i, row in enumerate(table):
        for j, count in enumerate(row):
            first += [i] * count
            second += [j] * count
    assert r.cohen_kappa(first, second) == pytest.approx(kappa, abs=5e-5)


def test_fleiss_kappa_from_fleiss_1971():
    assert r.fleiss_kappa_from_counts(FLEISS_1971) == pytest.approx(0.210, abs=5e-4)


def test_fleiss_kappa_needs_the_same_raters_per_subject():
    assert r.fleiss_kappa_from_counts([[2, 0], [1, 2]]) is None


@pytest.mark.parametrize(
    ("data", "agreement"),
    [
        ([[1, 1, 0, 0], [1, 0, 0, 1]], 0.5),
        ([[1, 1, N], [1, 1, 0]], 1.0),  # the third unit has one value: not pairable
        ([[1, 1], [1, 0], [1, 0]], (1 + 1 / 3) / 2),  # three coders: pairs agreeing per unit, averaged
    ],
)
def test_percent_agreement(data, agreement):
    assert r.percent_agreement(r.as_reliability_data(data)) == pytest.approx(agreement)


def test_alpha_equals_the_package_on_random_binary_decisions_with_gaps():
    rng = np.random.default_rng(1)
    data = rng.integers(0, 2, size=(3, 40)).astype(float)
    data[rng.random(data.shape) < 0.2] = np.nan
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal", value_domain=[0, 1])
    assert r.krippendorff_alpha(data) == pytest.approx(expected)


@pytest.mark.parametrize("interval", ["alpha_interval", "percent_agreement_interval", "fleiss_kappa_interval"])
def test_intervals_are_seeded_and_bracket_the_estimate(interval):
    data = r.as_reliability_data(KRIPPENDORFF_2011)
    first, again = getattr(r, interval)(data), getattr(r, interval)(data)
    assert first == again
    estimate = {
        "alpha_interval": r.krippendorff_alpha,
        "percent_agreement_interval": r.percent_agreement,
        "fleiss_kappa_interval": r.fleiss_kappa,
    }[interval](data)
    if estimate is not None:
        assert first[0] <= estimate <= first[1]


def test_kappa_interval_brackets_kappa_and_narrows_with_more_units():
    small = r.cohen_kappa_interval([1] * 4 + [0] * 3 + [1] * 3, [1] * 4 + [0] * 3 + [0] * 3)
    large = r.cohen_kappa_interval(([1] * 4 + [0] * 3 + [1] * 3) * 10, ([1] * 4 + [0] * 3 + [0] * 3) * 10)
    assert large[1] - large[0] < small[1] - small[0]


@pytest.mark.parametrize(
    ("alpha", "verdict"),
    [(0.85, "reliable"), (0.8, "reliable"), (0.7, "tentative"), (0.5, "not reliable"), (None, None)],
)
def test_thresholds(alpha, verdict):
    assert r.verdict(alpha) == verdict
