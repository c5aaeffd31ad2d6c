"""Inter-coder reliability statistics on reliability data: an array with one
row per coder and one column per unit, ``nan`` where a coder did not code
the unit (Krippendorff's layout). Pure functions, no database.

- Krippendorff's alpha (nominal) comes from the ``krippendorff`` package
  (Castro's implementation, tested against Krippendorff's own examples);
  ``krippendorff_alpha`` only turns its "undefined" into ``None``.
- Percent agreement, Cohen's kappa and Fleiss' kappa are a few lines of
  numpy each, written here rather than pulling in statsmodels or
  scikit-learn (tens of megabytes, scipy with them) for three formulas; they
  are tested against the published worked examples (tests/coding/test_reliability.py).
- Each has a bootstrap 95% interval, seeded so that the same decisions give
  the same interval on every run (``SEED``, ``RESAMPLES``).
"""

from dataclasses import dataclass

import krippendorff
import numpy as np

RESAMPLES = 1000
SEED = 2007  # Hayes and Krippendorff (2007); any fixed seed makes intervals reproducible
RELIABLE, TENTATIVE = 0.800, 0.667  # Krippendorff (2004, p. 241): rely on alpha >= .800, tentative >= .667


def as_reliability_data(rows) -> np.ndarray:
    """Coders x units as floats, ``None`` (or ``nan``) meaning not coded."""
    return np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float)


def pairable(data: np.ndarray) -> np.ndarray:
    """The units (columns) with at least two values: only they carry information on agreement."""
    return data[:, (~np.isnan(data)).sum(axis=0) >= 2]


def pairable_values(data: np.ndarray) -> int:
    """n in Krippendorff's notation: the values in units coded at least twice."""
    return int((~np.isnan(pairable(data))).sum())


def verdict(alpha) -> str | None:
    if alpha is None:
        return None
    if alpha >= RELIABLE:
        return "reliable"
    return "tentative" if alpha >= TENTATIVE else "not reliable"


def _defined(value) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def krippendorff_alpha(data: np.ndarray) -> float | None:
    """Nominal alpha, any number of coders, missing values allowed; ``None``
    when undefined (fewer than two pairable values, or a single value used
    throughout, so that no disagreement is expected)."""
    data = pairable(data)
    values = np.unique(data[~np.isnan(data)])
    if data.shape[1] == 0 or len(values) < 2:
        return None
    return _defined(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal", value_domain=values))


def _unit_agreement(data: np.ndarray) -> np.ndarray:
    """Per pairable unit: the share of pairs of its values that agree."""
    data = pairable(data)
    shares = []
    for column in data.T:
        values = column[~np.isnan(column)]
        m = len(values)
        _, counts = np.unique(values, return_counts=True)
        shares.append((counts * (counts - 1)).sum() / (m * (m - 1)))
    return np.array(shares)


def percent_agreement(data: np.ndarray) -> float | None:
    """Mean over pairable units of the share of agreeing pairs of values (for
    two coders: the share of units they code alike)."""
    shares = _unit_agreement(data)
    return float(shares.mean()) if len(shares) else None


def cohen_kappa_from_table(table) -> float | None:
    """Cohen's kappa from a square table of counts (rows: coder A's categories, columns: B's)."""
    table = np.asarray(table, dtype=float)
    total = table.sum()
    if total == 0:
        return None
    observed = np.trace(table) / total
    expected = (table.sum(axis=1) * table.sum(axis=0)).sum() / total**2
    return None if expected == 1 else float((observed - expected) / (1 - expected))


def _pair_codes(first: np.ndarray, second: np.ndarray):
    both = ~np.isnan(first) & ~np.isnan(second)
    categories = np.unique(np.concatenate([first[both], second[both]]))
    a = np.searchsorted(categories, first[both])
    b = np.searchsorted(categories, second[both])
    return a, b, len(categories)


def cohen_kappa(first, second) -> float | None:
    """Cohen's kappa of two coders over the units both coded."""
    a, b, k = _pair_codes(np.asarray(first, dtype=float), np.asarray(second, dtype=float))
    if k == 0:
        return None
    return cohen_kappa_from_table(np.bincount(a * k + b, minlength=k * k).reshape(k, k))


def fleiss_kappa_from_counts(counts) -> float | None:
    """Fleiss' kappa from a subjects x categories table of how many raters chose
    each category; every subject needs the same number of raters."""
    counts = np.asarray(counts, dtype=float)
    raters = counts.sum(axis=1)
    if len(counts) == 0 or raters[0] < 2 or not np.all(raters == raters[0]):
        return None
    n = raters[0]
    p_i = ((counts * (counts - 1)).sum(axis=1)) / (n * (n - 1))
    p_j = counts.sum(axis=0) / counts.sum()
    expected = (p_j**2).sum()
    return None if expected == 1 else float((p_i.mean() - expected) / (1 - expected))


def complete_units(data: np.ndarray) -> np.ndarray:
    """The units every coder coded (Fleiss' kappa needs the same raters per subject)."""
    return data[:, ~np.isnan(data).any(axis=0)]


def category_counts(data: np.ndarray) -> np.ndarray:
    """Units x categories: how many coders gave each value."""
    categories = np.unique(data[~np.isnan(data)])
    return np.stack([(data == c).sum(axis=0) for c in categories], axis=1) if len(categories) else np.zeros((0, 0))


def fleiss_kappa(data: np.ndarray) -> float | None:
    complete = complete_units(data)
    return fleiss_kappa_from_counts(category_counts(complete)) if complete.shape[1] else None


def _interval(samples: np.ndarray) -> list[float] | None:
    samples = samples[np.isfinite(samples)]
    if len(samples) == 0:
        return None
    low, high = np.percentile(samples, [2.5, 97.5])
    return [float(low), float(high)]


def alpha_interval(data: np.ndarray, *, resamples: int = RESAMPLES, seed: int = SEED) -> list[float] | None:
    """Bootstrap 95% interval of nominal alpha after Hayes and Krippendorff (2007).

    As in their KALPHA macro, pairs of values are resampled, not units, and
    the expected disagreement ``De`` stays at its observed value: each
    unordered pair of values within a unit of m values carries the weight
    2/(m-1) it has in the observed disagreement (the weights sum to n, the
    pairable values); each resample draws n/2 pairs (the number of units
    when two coders code each) in proportion to those weights, and its
    alpha is 1 - Do*/De with Do* the share of drawn pairs that disagree.
    """
    data = pairable(data)
    values = data[~np.isnan(data)]
    n = len(values)
    if n < 2 or len(np.unique(values)) < 2:
        return None
    _, totals = np.unique(values, return_counts=True)
    expected = (n * n - (totals**2).sum()) / (n * (n - 1))  # De for nominal data
    disagree, weights = [], []
    for column in data.T:
        unit = column[~np.isnan(column)]
        m = len(unit)
        for i in range(m):
            for j in range(i + 1, m):
                disagree.append(unit[i] != unit[j])
                weights.append(2 / (m - 1))
    disagree, weights = np.array(disagree, dtype=float), np.array(weights)
    rng = np.random.default_rng(seed)
    draws = max(1, round(n / 2))
    picked = rng.choice(len(disagree), size=(resamples, draws), p=weights / weights.sum())
    return _interval(1 - disagree[picked].mean(axis=1) / expected)


def _resampled_units(units: int, resamples: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, units, size=(resamples, units))


def percent_agreement_interval(data, *, resamples: int = RESAMPLES, seed: int = SEED):
    """Units resampled with replacement (percentile interval)."""
    shares = _unit_agreement(data)
    if len(shares) == 0:
        return None
    return _interval(shares[_resampled_units(len(shares), resamples, seed)].mean(axis=1))


def cohen_kappa_interval(first, second, *, resamples: int = RESAMPLES, seed: int = SEED):
    """Units both coders coded resampled with replacement (percentile interval)."""
    a, b, k = _pair_codes(np.asarray(first, dtype=float), np.asarray(second, dtype=float))
    if k == 0:
        return None
    picked = _resampled_units(len(a), resamples, seed)
    cells = (a * k + b)[picked] + (np.arange(resamples) * k * k)[:, None]
    tables = np.bincount(cells.ravel(), minlength=resamples * k * k).reshape(resamples, k, k).astype(float)
    total = len(a)
    observed = np.trace(tables, axis1=1, axis2=2) / total
    expected = (tables.sum(axis=2) * tables.sum(axis=1)).sum(axis=1) / total**2
    with np.errstate(divide="ignore", invalid="ignore"):
        return _interval((observed - expected) / (1 - expected))


def fleiss_kappa_interval(data, *, resamples: int = RESAMPLES, seed: int = SEED):
    """Complete units resampled with replacement (percentile interval)."""
    counts = category_counts(complete_units(data)).astype(float)
    if len(counts) == 0 or counts.shape[1] < 1:
        return None
    n = counts[0].sum()
    if n < 2:
        return None
    p_i = (counts * (counts - 1)).sum(axis=1) / (n * (n - 1))
    picked = _resampled_units(len(counts), resamples, seed)
    p_j = counts[picked].sum(axis=1) / (len(counts) * n)
    expected = (p_j**2).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _interval((p_i[picked].mean(axis=1) - expected) / (1 - expected))


@dataclass(frozen=True)
class Reliability:
    """Every statistic of one set of reliability data (one narrative, or the codebook pooled)."""

    units: int
    pairable_values: int
    alpha: float | None
    alpha_ci: list | None
    percent_agreement: float | None
    percent_agreement_ci: list | None
    kappa: float | None  # Cohen's, for exactly two coders
    kappa_ci: list | None
    fleiss_kappa: float | None
    fleiss_kappa_ci: list | None
    fleiss_units: int  # units every coder coded, the ones Fleiss' kappa uses

    @property
    def verdict(self):
        return verdict(self.alpha)

    def as_dict(self) -> dict:
        return {**self.__dict__, "verdict": self.verdict}


def reliability(data: np.ndarray, *, resamples: int = RESAMPLES, seed: int = SEED) -> Reliability:
    data = np.asarray(data, dtype=float)
    two = data.shape[0] == 2
    return Reliability(
        units=int(pairable(data).shape[1]),
        pairable_values=pairable_values(data),
        alpha=krippendorff_alpha(data),
        alpha_ci=alpha_interval(data, resamples=resamples, seed=seed),
        percent_agreement=percent_agreement(data),
        percent_agreement_ci=percent_agreement_interval(data, resamples=resamples, seed=seed),
        kappa=cohen_kappa(data[0], data[1]) if two else None,
        kappa_ci=cohen_kappa_interval(data[0], data[1], resamples=resamples, seed=seed) if two else None,
        fleiss_kappa=fleiss_kappa(data) if data.shape[0] >= 2 else None,
        fleiss_kappa_ci=fleiss_kappa_interval(data, resamples=resamples, seed=seed) if data.shape[0] >= 2 else None,
        fleiss_units=int(complete_units(data).shape[1]),
    )
