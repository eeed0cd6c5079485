"""Two-state explicit-duration hidden semi-Markov model: forward–backward and bout lengths.

A hidden semi-Markov model (HSMM) lets each state last a length drawn from its own
distribution instead of the geometric one a hidden Markov model implies (Yu 2010,
doi:10.1016/j.artint.2009.11.011). With two states that alternate, a path is a sequence of
bouts; the first and last bouts are cut by the recording's ends (censored: weighted by the
probability of lasting at least that long, :func:`survivor`). :func:`posterior` gives each
sample's state probability and the expected number of complete bouts of each length (the
E-step of Yu's EM); :func:`programme_lengths` re-estimates from those counts a length
distribution per state: a Gaussian peak (an interval programme's "run X s, walk Y s", with
a few seconds' jitter) mixed with a broad log-uniform rest, so bouts off the programme keep
some probability. The recursions loop over samples with numpy vectors over bout lengths:
cost ∝ samples × longest bout.
"""

from __future__ import annotations

import numpy as np

from runlab._series import logsumexp_rows

__all__ = ["posterior", "decoded_bouts", "programme_lengths", "survivor"]


def posterior(log_e: np.ndarray, log_len: np.ndarray, entry: np.ndarray | None = None,
              log_edge: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """State probabilities of a two-state explicit-duration HSMM.

    Parameters
    ----------
    log_e : (n, 2) log-likelihood of each sample under state 0 and 1.
    log_len : (2, D + 1) log-probability of a complete bout of each state lasting d samples
        (d = 1 … D; column 0 unused). Interior bouts are at most D samples; the first and
        last bouts may be of any length and carry no length weight (censored).
    entry : (n, 2) log-likelihood ratio added where a bout of a state starts at a sample
        after the first (e.g. evidence of an abrupt change there), or None.

    Returns
    -------
    P(state 1) per sample, the (2, D + 1) expected number of complete bouts per state and
    length, and the log-likelihood.
    """
    n = log_e.shape[0]
    d_max = log_len.shape[1] - 1
    c = np.zeros((n + 1, 2))
    np.cumsum(log_e, axis=0, out=c[1:])
    sw = np.zeros((n, 2)) if entry is None else np.asarray(entry, dtype=np.float64)
    # a[s, j]: log-probability of the samples before s and a bout of j starting at s, minus
    # c[s, j] (so a bout s..t adds c[t + 1, j]); a[0] is the start (both states equally)
    a = np.full((n, 2), -np.inf)
    a[0] = np.log(0.5)
    log_f = np.empty((n, 2))  # a bout of j ends at t, samples 0..t seen
    edge = np.zeros((2, n + 1)) if log_edge is None else log_edge
    rev = log_len[:, :0:-1]  # rev[:, k] is length d_max - k
    for t in range(n):
        if t:
            a[t] = log_f[t - 1, ::-1] + sw[t] - c[t]
        lo = max(1, t - d_max + 1)
        if t == n - 1:  # the last bout: any length, censored
            terms = a[1:n].T + edge[:, n - 1:0:-1]
        else:
            terms = a[lo:t + 1].T + rev[:, d_max - (t - lo + 1):]
        log_f[t] = logsumexp_rows(terms, a[0] + edge[:, t + 1]) + c[t + 1]
    log_like = float(np.logaddexp(log_f[-1, 0], log_f[-1, 1]))
    # b[s, j]: log-probability of the samples from s on given a bout of j starts at s
    b = np.empty((n, 2))
    r = np.full((n + 1, 2), -np.inf)  # r[u, j] = c[u, j] + (next bout, of 1 - j, from u)
    counts = np.zeros((2, d_max + 1))
    for s in range(n - 1, -1, -1):
        hi = min(n - 1, s + d_max)  # u = t + 1 runs s + 1 .. hi (interior ends t <= n - 2)
        last = c[n] + edge[:, n - s]  # the bout runs to the end: censored
        if s == 0:  # the first bout: any length, censored
            terms = r[1:n].T + edge[:, 1:n]
        else:
            terms = r[s + 1:hi + 1].T + log_len[:, 1:hi - s + 1]
        b[s] = logsumexp_rows(terms, last) - c[s]
        if s:
            r[s] = c[s] + sw[s, ::-1] + b[s, ::-1]
            if terms.shape[1]:  # (s = 0 is the first bout: not counted)
                counts[:, 1:hi - s + 1] += np.exp(terms + (a[s] - log_like)[:, None])
    with np.errstate(invalid="ignore"):
        start = np.exp(a + c[:-1] + b - log_like)
        end = np.zeros((n, 2))
        end[:-1] = np.exp(log_f[:-1] + r[1:n] - c[1:n] - log_like)
    inside = np.cumsum(start, axis=0) - np.r_[np.zeros((1, 2)), np.cumsum(end, axis=0)[:-1]]
    inside = np.clip(inside, 0.0, None)
    total = inside.sum(axis=1)
    return inside[:, 1] / np.maximum(total, 1e-300), counts, log_like


def decoded_bouts(state: np.ndarray, d_max: int) -> np.ndarray:
    """(2, d_max + 1) count of complete bouts (not the first or last) per state and length
    in a decoded 0/1 sequence (lengths beyond d_max counted at d_max)."""
    counts = np.zeros((2, d_max + 1))
    s = np.asarray(state).astype(int)
    cut = np.flatnonzero(s[1:] != s[:-1]) + 1
    np.add.at(counts, (s[cut[:-1]], np.minimum(np.diff(cut), d_max)), 1.0)
    return counts


def _log_uniform(d_max: int) -> np.ndarray:
    """Probability of lengths 1 … d_max, ∝ 1/d."""
    base = 1.0 / np.arange(1, d_max + 1, dtype=np.float64)
    return base / base.sum()


def _peak(d_max: int, centre: float, width: float) -> np.ndarray:
    """Probability of lengths 1 … d_max under a discretised Gaussian."""
    d = np.arange(1, d_max + 1, dtype=np.float64)
    p = np.exp(-0.5 * ((d - centre) / width) ** 2)
    return p / max(p.sum(), 1e-300)


def programme_lengths(counts: np.ndarray, params: list[tuple[float, float, float]], *,
                      iterations: int = 5, min_width_s: float = 2.0,
                      rel_width: float = 0.03, fixed: bool = False) -> tuple[np.ndarray, list]:
    """(2, D + 1) log length distribution per state, and its parameters: a mixture of a
    peak (Gaussian; a programme's interval) with weight ``share`` and a broad log-uniform
    rest. ``params`` per state ``(share, centre, width)`` are re-estimated by EM from the
    (expected) bout ``counts`` in ``iterations`` rounds (a Beta(1, 1) prior on the share;
    width at least ``min_width_s`` and ``rel_width`` of the centre); ``fixed`` keeps share
    and width and moves the centre only."""
    d_max = counts.shape[1] - 1
    d = np.arange(1, d_max + 1, dtype=np.float64)
    base = _log_uniform(d_max)
    out = np.full((2, d_max + 1), -np.inf)
    new = []
    for j in range(2):
        w = counts[j, 1:]
        share, centre, width = params[j]
        for _ in range(iterations):
            peak = share * _peak(d_max, centre, width)
            resp = peak / np.maximum(peak + (1 - share) * base, 1e-300)
            wr = w * resp
            k = float(wr.sum())
            if not fixed:
                share = (k + 1.0) / (float(w.sum()) + 2.0)
            if k > 1e-6:
                centre = float(wr @ d) / k
                if not fixed:
                    spread = np.sqrt(float(wr @ (d - centre) ** 2) / k)
                    width = max(spread, min_width_s, rel_width * centre)
        dens = share * _peak(d_max, centre, width) + (1 - share) * base
        with np.errstate(divide="ignore"):
            out[j, 1:] = np.log(dens)
        new.append((share, centre, width))
    return out, new


def survivor(log_len: np.ndarray, n: int) -> np.ndarray:
    """(2, n + 1) log-probability of a bout lasting at least d samples (d = 1 … n), from a
    length distribution over 1 … D (0 beyond D, floored at 1e-12)."""
    p = np.exp(log_len[:, 1:])
    tail = np.cumsum(p[:, ::-1], axis=1)[:, ::-1]
    out = np.full((2, n + 1), 1e-12)
    m = min(n, tail.shape[1])
    out[:, 1:m + 1] = np.maximum(tail[:, :m], 1e-12)
    return np.log(out)
