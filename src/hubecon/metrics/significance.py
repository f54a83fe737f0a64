"""Significance tests for shifts between periods (DESIGN.md §3, Trends).

A shift is called significant only by a test at α = 0.05, two-sided, with
models or developers (never single downloads) as units:
- Mann–Kendall for a monotone trend over the period series (from 4 periods;
  below 8 periods the result carries a note that the test has little power);
- Mann–Whitney U for size distributions between the first and last period;
- chi-square on model counts for category shares (first vs last period);
- bootstrap CIs (1,000 resamples of developers within each period, seed
  recorded) for download-weighted shares and means. Resampling runs in numpy,
  outside the query engine, so every engine gives the same numbers.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pymannkendall
from scipy import stats

ALPHA = 0.05
MIN_TREND_PERIODS = 4
POWERFUL_TREND_PERIODS = 8
BOOTSTRAP_RESAMPLES = 1000
DEFAULT_SEED = 20251203


def mann_kendall(values) -> dict:
    """Mann–Kendall test on a series in period order: S, Kendall's tau, two-sided p, number of periods."""
    series = [float(value) for value in values if value is not None and not pd.isna(value)]
    n = len(series)
    out = {"test": "Mann-Kendall", "statistic": None, "tau": None, "p_value": None, "periods": n, "significant": None, "note": ""}
    if n < MIN_TREND_PERIODS:
        out["note"] = f"not tested: {n} periods (needs at least {MIN_TREND_PERIODS})"
        return out
    result = pymannkendall.original_test(np.asarray(series))
    p_value = float(result.p) if not math.isnan(result.p) else 1.0
    out.update(statistic=float(result.s), tau=float(result.Tau), p_value=p_value, significant=p_value < ALPHA)
    if n < POWERFUL_TREND_PERIODS:
        out["note"] = f"{n} periods: little power (fewer than {POWERFUL_TREND_PERIODS})"
    return out


def mann_whitney(first, last) -> dict:
    """Mann–Whitney U (two-sided) between the first and last period's values (model sizes)."""
    first = np.asarray([value for value in first if not pd.isna(value)], dtype=float)
    last = np.asarray([value for value in last if not pd.isna(value)], dtype=float)
    out = {"test": "Mann-Whitney U", "statistic": None, "p_value": None, "n_first": len(first), "n_last": len(last), "significant": None, "note": ""}
    if len(first) == 0 or len(last) == 0:
        out["note"] = "not tested: a period has no models with a known value"
        return out
    result = stats.mannwhitneyu(first, last, alternative="two-sided")
    out.update(statistic=float(result.statistic), p_value=float(result.pvalue), significant=float(result.pvalue) < ALPHA)
    return out


def chi_square(in_first: int, n_first: int, in_last: int, n_last: int) -> dict:
    """Pearson chi-square (no continuity correction) on the 2×2 table of model counts: in the category or not × first or last period."""
    out = {"test": "chi-square", "statistic": None, "p_value": None, "n_first": int(n_first), "n_last": int(n_last), "significant": None, "note": ""}
    table = np.array([[in_first, n_first - in_first], [in_last, n_last - in_last]], dtype=float)
    if n_first == 0 or n_last == 0 or table.sum(axis=0).min() == 0:
        out["note"] = "not tested: a period or a column of the table is empty"
        return out
    statistic, p_value, _, expected = stats.chi2_contingency(table, correction=False)
    out.update(statistic=float(statistic), p_value=float(p_value), significant=float(p_value) < ALPHA)
    if expected.min() < 5:
        out["note"] = "expected count below 5: the chi-square approximation is rough"
    return out


def resample_counts(n_units: int, rng: np.random.Generator, resamples: int = BOOTSTRAP_RESAMPLES) -> np.ndarray:
    """How often each unit is drawn in each resample (resamples × units), drawing units with replacement."""
    if n_units == 0:
        return np.zeros((resamples, 0))
    draws = rng.integers(0, n_units, size=(resamples, n_units))
    # A bincount per resample: about 3× faster than np.add.at over the whole matrix, and than one bincount
    # over every (resample, unit) cell once the cells outgrow the CPU's cache (50,000 units × 1,000).
    counts = np.empty((resamples, n_units))
    for resample, drawn in enumerate(draws):
        counts[resample] = np.bincount(drawn, minlength=n_units)
    return counts


def bootstrap_ratio(counts: np.ndarray, numerators: np.ndarray, denominators: np.ndarray) -> np.ndarray:
    """Resampled ratio Σ num / Σ den over units drawn (one value per resample; NaN where Σ den = 0)."""
    num = counts @ numerators
    den = counts @ denominators
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def bootstrap_shift(first: np.ndarray, last: np.ndarray, estimate_first: float, estimate_last: float, n_first: int, n_last: int) -> dict:
    """The shift last − first of a download-weighted ratio, from developer resamples drawn within each period.

    Each period's bootstrap variance is scaled by k/(k − 1) for its k
    developers, and the difference is referred to Student's t with
    min(k) − 1 degrees of freedom: with few, heavy-tailed developers the plain
    percentile interval is too narrow (it rejected 9–10% of null fixtures at
    α = 0.05). Reported: t statistic, two-sided p, the 95% CI of the
    difference in the note, and the percentile 95% CI of the multiplier
    last/first.
    """
    out = {"test": "bootstrap (developers)", "statistic": None, "p_value": None, "ci_low": None, "ci_high": None, "n_first": n_first, "n_last": n_last, "significant": None, "note": ""}
    first, last = first[~np.isnan(first)], last[~np.isnan(last)]
    if len(first) < 2 or len(last) < 2 or min(n_first, n_last) < 2:
        out["note"] = "not tested: a period has fewer than 2 developers with downloads"
        return out
    variance = np.var(first, ddof=1) * n_first / (n_first - 1) + np.var(last, ddof=1) * n_last / (n_last - 1)
    difference = estimate_last - estimate_first
    df = min(n_first, n_last) - 1
    critical = float(stats.t.ppf(1 - ALPHA / 2, df))
    if variance > 0:
        statistic = difference / math.sqrt(variance)
        p_value = float(2 * stats.t.sf(abs(statistic), df))
        out.update(statistic=float(statistic), p_value=p_value, significant=p_value < ALPHA)
    else:
        out.update(p_value=1.0 if difference == 0 else 0.0, significant=difference != 0)
    half = critical * math.sqrt(variance)
    paired = min(len(first), len(last))
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = last[:paired] / first[:paired]
    ratio = ratio[np.isfinite(ratio)]
    if len(ratio) and estimate_first > 0:
        low, high = np.percentile(ratio, [2.5, 97.5])
        out.update(ci_low=float(low), ci_high=float(high))
    out["note"] = f"95% CI of the difference last − first: [{difference - half:.4g}, {difference + half:.4g}] (t, {df} df)"
    return out
