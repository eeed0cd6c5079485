"""runlab._series: the whole-second lookup gives numpy's searchsorted answers; the row-wise
log-sum-exp is scipy's; the quick median, deciles and nanargmax are numpy's to the bit; the
weighted median's 1 Hz shortcut and the time-window means agree with their definitions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logsumexp

from runlab._series import (
    deciles,
    logsumexp_rows,
    median,
    nanargmax,
    prefix_sums,
    sorted_search,
    weighted_median,
    whole_second_counts,
    window_bounds,
    window_mean,
    window_sums,
)


@pytest.mark.parametrize("seed", range(20))
def test_whole_second_lookup_is_searchsorted(seed):
    rng = np.random.default_rng(seed)
    gaps = rng.choice([1, 1, 1, 2, 3, 7], size=int(rng.integers(1, 300)))
    t = np.concatenate([[0.0], np.cumsum(gaps)[:-1]]).astype(float)
    grid = whole_second_counts(t)
    assert grid is not None
    q = np.concatenate([t, t - 7.5, t + 7.5, t + 0.5, [-100.0, t[-1] + 100.0]])
    for side in ("left", "right"):
        assert np.array_equal(sorted_search(t, q, side, grid), np.searchsorted(t, q, side=side))
    lo, hi = window_bounds(t, 7.5)
    assert np.array_equal(lo, np.searchsorted(t, t - 7.5, "left"))
    assert np.array_equal(hi, np.searchsorted(t, t + 7.5, "right"))


def test_other_times_take_searchsorted():
    assert whole_second_counts(np.array([0.0, 0.5, 1.0])) is None  # not whole seconds
    assert whole_second_counts(np.array([1.0, 2.0])) is None  # not from 0
    assert whole_second_counts(np.array([0.0, 1e6])) is None  # too sparse for a table
    assert whole_second_counts(np.array([])) is None


@pytest.mark.parametrize("seed", range(5))
def test_logsumexp_rows_is_scipys(seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(0, 300, (7, 13))
    a[rng.random(a.shape) < 0.3] = -np.inf  # impossible terms (a row keeps a finite one)
    a[:, 0] = rng.normal(0, 300, 7)
    extra = rng.normal(0, 300, 7)
    np.testing.assert_allclose(logsumexp_rows(a), logsumexp(a, axis=1), rtol=1e-12)
    both = logsumexp(np.column_stack([a, extra]), axis=1)
    np.testing.assert_allclose(logsumexp_rows(a, extra), both, rtol=1e-12)
    # with the extra term, rows may be all -inf or have no columns: the term alone
    assert np.array_equal(logsumexp_rows(np.full((7, 3), -np.inf), extra), extra)
    assert np.array_equal(logsumexp_rows(np.zeros((7, 0)), extra), extra)


def test_deciles_and_median_are_numpys():
    rng = np.random.default_rng(5)
    for n in (1, 2, 3, 10, 11, 257, 1000):
        for x in (rng.normal(2.5, 0.4, n), np.round(rng.normal(2.5, 0.4, n), 1)):
            kept = x.copy()
            assert deciles(x).tobytes() == np.quantile(x, (0.1, 0.9)).tobytes()
            assert median(x) == float(np.median(x))
            assert np.array_equal(x, kept)  # partitioned copies, the input untouched


def test_nanargmax_is_numpys():
    rng = np.random.default_rng(3)
    for n in (1, 2, 5, 40):
        for _ in range(50):
            x = np.round(rng.normal(0, 1, n), 1)  # ties: the first of them, as numpy
            x[rng.random(n) < 0.3] = np.nan
            if np.isnan(x).all():
                with pytest.raises(ValueError):
                    nanargmax(x)
            else:
                assert nanargmax(x) == np.nanargmax(x)


def _weighted_median_sorted(x, w):
    order = np.argsort(x, kind="stable")
    cw = np.cumsum(np.nan_to_num(w[order]))
    return float(x[order[np.searchsorted(cw, 0.5 * cw[-1])]])


@pytest.mark.parametrize("seed", range(10))
def test_weighted_median_shortcut_is_the_definition(seed):
    # 1 Hz weights (1, or 0/NaN for the first sample and pauses) take a selection instead
    # of a sort: the same value, ties included; other weights take the sort
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 200))
    x = np.round(rng.normal(3, 0.3, n), 1)
    w = rng.choice([1.0, 1.0, 1.0, 0.0, np.nan], n)
    w[0] = 1.0
    assert weighted_median(x, w) == _weighted_median_sorted(x, w)
    w2 = rng.uniform(0.5, 7, n)
    assert weighted_median(x, w2) == _weighted_median_sorted(x, w2)


def test_window_mean_is_the_mean_over_each_window_and_window_sums_its_weight():
    rng = np.random.default_rng(4)
    t = np.cumsum(rng.choice([1.0, 1.0, 2.0, 7.0], 300)) - 1.0
    x = rng.normal(0, 1, t.size)
    x[rng.random(t.size) < 0.1] = np.nan
    w = rng.uniform(0.5, 2, t.size)
    lo, hi = t - 9.5, t + 4.0
    for grid in (None, whole_second_counts(t)):
        got = window_mean(t, prefix_sums(x, w), lo, hi, grid)
        _, weight = window_sums(t, prefix_sums(x, w), lo, hi, grid)
        for k in range(t.size):
            inside = (t > lo[k]) & (t <= hi[k]) & np.isfinite(x)
            want = (x[inside] * w[inside]).sum() / w[inside].sum() if inside.any() else np.nan
            np.testing.assert_allclose(got[k], want, rtol=1e-9, atol=1e-12)
            np.testing.assert_allclose(weight[k], w[inside].sum(), rtol=1e-9, atol=1e-9)
