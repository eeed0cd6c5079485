"""An interval programme's timer grid fitted to a walk/run session.

A run–walk programme ("run R s, walk W s", repeated) is timed by a watch that beeps every
R and W seconds; the runner changes gait a few seconds after each beep. The switches are
therefore locked to a grid of period P = R + W: the k-th run starts at φ + kP plus a
reaction delay, and ends at φ + kP + R plus another, for the cycles k0 … k1 - 1 between a
warm-up and a cool-down walk. Bout lengths alone (a semi-Markov model) let the phase
drift by a few seconds a bout; the grid does not, so each switch is found within its own
reaction window, and a walk break the per-second evidence hardly shows is still placed.

:func:`fit` searches the grid (P near the candidate periods, every phase φ and run length
R, the best run of cycles k0 … k1 by a maximum-subarray scan) on the log-likelihood ratio
run vs walk of each sample; each switch's delay is summed out (a discrete uniform prior
over 0 … :data:`MAX_DELAY_S`), so the score is the session's log-likelihood under the
programme (up to the all-walk term), comparable with the semi-Markov model's. A template
fitted to free walk breaks explains them worse than the bout-length model does, which is
how :func:`runlab.walkrun._semi_markov` chooses between them (:func:`preferred`).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from runlab._series import logsumexp_rows

__all__ = ["fit", "preferred", "MAX_DELAY_S"]

#: Longest reaction [s] between a beep and the gait change (a few seconds to hear it and
#: finish the stride; the delay of each switch is summed out over 0 … this, uniformly).
MAX_DELAY_S = 12
#: Shortest run or walk interval [s] of a programme.
MIN_INTERVAL_S = 10
#: Shortest programme period [s] tried as half a candidate (the running score's
#: autocorrelation is searched from this lag, :func:`runlab.walkrun._periods`).
SHORTEST_PERIOD_S = 40


def _switch_scores(c: np.ndarray, up: np.ndarray, down: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Log-score of a run starting (a) or ending (b) within the reaction window after each
    grid point g = 0 … n - 1, the delay summed out. ``c[s]`` is the run-vs-walk
    log-likelihood ratio summed over the samples before s (a run over s0 … s1 - 1 adds
    c[s1] - c[s0]); ``up``/``down`` the evidence of a switch into/out of running at s."""
    n = c.size - 1
    d = np.arange(MAX_DELAY_S + 1)
    idx = np.minimum(np.arange(n)[:, None] + d[None, :], n - 1)
    start = -c[idx] + up[idx]
    end = c[idx] + down[idx]
    log_p = -np.log(d.size)
    return (logsumexp_rows(start) + log_p, logsumexp_rows(end) + log_p)


def fit(llr: np.ndarray, periods: list[int], up: np.ndarray | None = None,
        down: np.ndarray | None = None) -> tuple[float, np.ndarray, int] | None:
    """The best programme grid: (log-likelihood relative to walking throughout, P(run)
    per sample, period), or None when no period fits two whole cycles.

    Parameters
    ----------
    llr : (n,) log-likelihood of each sample under running minus under walking.
    periods : candidate periods [samples] (the best refined within ±3).
    up, down : (n,) log-likelihood ratio of a switch into / out of running at each sample
        against none (abrupt-change evidence), or None.
    """
    n = llr.size
    up = np.zeros(n) if up is None else up
    down = np.zeros(n) if down is None else down
    c = np.concatenate([[0.0], np.cumsum(llr)])
    a, b = _switch_scores(c, up, down)
    best = (-np.inf, 0, 0, 0, 0, 0)
    tried: set[int] = set()

    def search(candidates):
        nonlocal best
        for p in candidates:
            if 2 * MIN_INTERVAL_S <= p <= n // 2 and p not in tried:
                tried.add(p)
                grid = _best_grid(a, b, p)
                if grid[0] > best[0]:
                    best = (grid[0], p, *grid[1:])

    # each candidate and its half (a running score whose cycles differ, one walk break
    # hardly showing, peaks at twice the period; halves from SHORTEST_PERIOD_S, the
    # shortest lag a period is sought at), then ±3 around the best
    search(int(p) for p in periods)
    search(int(p) // 2 for p in periods if int(p) // 2 >= SHORTEST_PERIOD_S)
    if np.isfinite(best[0]):
        search(range(best[1] - 3, best[1] + 4))
    score, p, phi, r, k0, k1 = best
    if not np.isfinite(score):
        return None
    return score, _labels(c, up, down, p, phi, r, k0, k1), p


def _best_grid(a: np.ndarray, b: np.ndarray, p: int) -> tuple[float, int, int, int, int]:
    """For period ``p``: the best (score, phase, run length, first cycle, end cycle)."""
    n = a.size
    rows = n // p  # whole cycles of grid points 0 … rows·p - 1
    # cycle k's run starts at φ + kp and ends at φ + kp + R (R < p); the end may fall in
    # the next row of the p-wide layout, so lay out b two rows wide
    a2 = a[:rows * p].reshape(rows, p)
    b_pad = np.concatenate([b, np.full(2 * p, -np.inf)])
    r_all = np.arange(MIN_INTERVAL_S, p - MIN_INTERVAL_S + 1)
    if r_all.size == 0 or rows < 2:
        return -np.inf, 0, 0, 0, 0
    # per (phase, run length, cycle): the cycle's start + end score; the end's score
    # b[φ + R + kp] read through a sliding window over the table b[s + kp] (no gather;
    # past the session b_pad is -inf, so such cycles cannot be used)
    table = b_pad[np.arange(2 * p)[:, None] + p * np.arange(rows)[None, :]]
    window = sliding_window_view(table, r_all.size, axis=0)[MIN_INTERVAL_S:MIN_INTERVAL_S + p]
    cyc = a2.T[:, None, :] + window.transpose(0, 2, 1)  # (p, R, rows)
    np.copyto(cyc, -1e9, where=~np.isfinite(cyc))
    # best run of consecutive cycles (maximum subarray over k), at least two cycles
    cs = np.zeros((p, r_all.size, rows + 1))
    np.cumsum(cyc, axis=2, out=cs[:, :, 1:])
    low = np.minimum.accumulate(cs[:, :, :-2], axis=2)  # min over k0 ≤ k1 - 2
    gain = cs[:, :, 2:] - low
    flat = int(np.argmax(gain))
    i, j, k = np.unravel_index(flat, gain.shape)
    k1 = k + 2
    k0 = int(np.argmin(cs[i, j, :k1 - 1]))
    return float(gain[i, j, k]), int(i), int(r_all[j]), k0, int(k1)


def _labels(c: np.ndarray, up: np.ndarray, down: np.ndarray, p: int, phi: int, r: int,
            k0: int, k1: int) -> np.ndarray:
    """P(run) per sample under the grid: each switch's delay posterior, its cumulative
    share giving the chance the switch has happened by then."""
    n = c.size - 1
    out = np.zeros(n)
    d = np.arange(MAX_DELAY_S + 1)
    for k in range(k0, k1):
        for g, sign, ev in ((phi + k * p, -1.0, up), (phi + k * p + r, 1.0, down)):
            s = np.minimum(g + d, n - 1)
            w = sign * c[s] + ev[s]
            w = np.exp(w - w.max())
            cdf = np.cumsum(w / w.sum())  # P(switched by g + d)
            have = np.zeros(n)
            have[s[-1]:] = 1.0
            have[s] = cdf
            out -= sign * have
    return np.clip(out, 0.0, 1.0)


def preferred(grid_log_like: float, free_log_like: float, free_labels: np.ndarray,
              n: int) -> bool:
    """Whether the programme grid explains the session better than the bout-length fit, by
    the Bayesian information criterion (Schwarz 1978, doi:10.1214/aos/1176344136): the
    grid has five parameters (period, phase, run length, first and last cycle; each
    switch's delay is summed out), the bout-length fit its six length parameters and a
    position per switch (its length distribution is estimated from the bouts it decodes,
    so their ends are fitted, not integrated over)."""
    switches = int(np.count_nonzero(free_labels[1:] != free_labels[:-1]))
    half_log_n = 0.5 * np.log(n)
    return grid_log_like - 5 * half_log_n > free_log_like - (6 + switches) * half_log_n
