"""runlab._hsmm against brute-force enumeration of every path, and the walk/run
programme finder."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from runlab import _hsmm, walkrun


def _brute_force(log_e, log_len, entry, edge):
    n, d_max = log_e.shape[0], log_len.shape[1] - 1
    total, marginal, counts = -np.inf, np.zeros(n), np.zeros((2, d_max + 1))
    paths = []
    for seq in itertools.product([0, 1], repeat=n):
        seq = np.array(seq)
        edges = np.r_[0, np.flatnonzero(seq[1:] != seq[:-1]) + 1, n]
        lp = np.log(0.5) + log_e[np.arange(n), seq].sum()
        if edges.size == 2:
            lp += edge[seq[0], n]
        for a, b in zip(edges[:-1], edges[1:], strict=True):
            lp += entry[a, seq[a]] if a else 0.0
            if 0 < a and b < n:
                lp += log_len[seq[a], b - a] if b - a <= d_max else -np.inf
            elif edges.size > 2:
                lp += edge[seq[a], b - a]
        paths.append((lp, seq, edges))
        total = np.logaddexp(total, lp)
    for lp, seq, edges in paths:
        w = np.exp(lp - total)
        marginal += w * seq
        for a, b in zip(edges[1:-2], edges[2:-1], strict=True):
            if b - a <= d_max:
                counts[seq[a], b - a] += w
    return marginal, counts, total


@pytest.mark.parametrize("seed", range(4))
def test_posterior_is_the_sum_over_every_path(seed):
    rng = np.random.default_rng(seed)
    n, d_max = 8, 4
    log_e = rng.normal(size=(n, 2))
    log_len = np.c_[np.full(2, -np.inf), np.log(rng.dirichlet(np.ones(d_max), size=2))]
    entry, edge = rng.normal(size=(n, 2)), rng.normal(size=(2, n + 1))
    p, counts, log_like = _hsmm.posterior(log_e, log_len, entry, edge)
    want_p, want_counts, want_like = _brute_force(log_e, log_len, entry, edge)
    np.testing.assert_allclose(p, want_p, atol=1e-12)
    np.testing.assert_allclose(counts, want_counts, atol=1e-12)
    assert log_like == pytest.approx(want_like)


def test_programme_lengths_find_the_interval_and_keep_the_rest_possible():
    counts = np.zeros((2, 301))
    counts[0, [58, 60, 61, 63, 200]] = 1.0  # walks: 60 s, and one long break
    counts[1, [118, 120, 121, 124, 30]] = 1.0
    log_len, params = _hsmm.programme_lengths(counts, [(0.5, 80.0, 10.0), (0.5, 100.0, 10.0)])
    assert params[0][1] == pytest.approx(60.5, abs=1.0)
    assert params[1][1] == pytest.approx(120.8, abs=1.5)
    assert 0.6 < params[0][0] < 0.9  # the 200-s walk belongs to the broad rest
    assert np.exp(log_len[:, 1:]).sum(axis=1) == pytest.approx([1.0, 1.0])
    assert log_len[0, 200] > np.log(1e-4)


@pytest.mark.parametrize(("run_s", "walk_s"), [(60, 60), (120, 60), (180, 60), (90, 90)])
def test_programme_found_from_the_cadence_alone(run_s, walk_s):
    from runlab import simulate
    rec, truth = simulate.walk_run_session(run_s=run_s, walk_s=walk_s, repeats=6,
                                           walk_cadence_spm=130, jog_cadence_spm=136,
                                           speed=False, seed=run_s + walk_s)
    run = truth == "run"
    cut = np.flatnonzero(run[1:] != run[:-1]) + 1
    parts = walkrun._standardised({"cadence_spm": rec["cadence_spm"].to_numpy()})
    found = walkrun._programme(*walkrun._score_acf(parts, cut))
    assert found == pytest.approx((walk_s, run_s), abs=8.0)
