"""Walk or run, second by second: a per-session two-state hidden Markov model.

Cadence alone cannot tell a beginner's brisk walk (up to ~145 steps/min) from their slow
jog (from ~128 steps/min). What does differ is the session's own two clusters: within one
session the jog is faster, longer-stepped, and — where a strap or pod measures it — has a
short stance and a large vertical oscillation (running has a flight phase, walking none;
Cavagna et al. 1977, doi:10.1152/ajpregu.1977.233.5.R243). :func:`running_states` fits a
two-state Gaussian HMM (Rabiner 1989, doi:10.1109/5.18626) to the features the file holds
— ``cadence_spm`` always, ``speed_mps``, ``stance_time_ms``, ``vertical_oscillation_mm``
and ``step_length_m`` when present — starting from walking/running priors and re-estimating
each state's means and one pooled spread per feature for the session (EM, a few rounds;
pooled as in linear discriminant analysis, so neither state widens into a catch-all for
another feature's drift). The states persist:
a switch is expected once a minute (``mean_bout_s``), so a noisy second does not flip the
label, and there is no dead band as with fixed hysteresis thresholds. A switch is also
weighed by how abruptly the features change there (the 15 s after a sample against the
15 s before, :func:`_switch_evidence`): a gait change steps by the states' difference at
once, while one gait's drift (fatigue, terrain) moves the level over minutes, and can carry
a walk's level up to a jog's. This enters each transition as a likelihood ratio, as in
change-point detection (Page 1954, doi:10.1093/biomet/41.1-2.100), on 1 Hz records only
(smart recording's 1–7 s spacing leaves too few samples in 15 s).

A hidden Markov model expects bouts of any length (geometric), so where the features are
ambiguous — a jog 4 spm above the walk under 3 spm of noise a second and a level that
drifts by ~1 spm — it swallows a walk break into a run or splits a run. Walk–run sessions
have bouts of their own typical lengths (a programme's "run 2 min, walk 1 min", or a
walker's habit), so 1 Hz sessions whose states lie under 3 pooled spreads apart
(:data:`_AMBIGUOUS_SEPARATION`) are re-decoded by a hidden semi-Markov model
(explicit durations; Yu 2010, doi:10.1016/j.artint.2009.11.011; :mod:`runlab._hsmm`)
whose walk and run bout-length distributions are estimated for the session by EM with the
states' means, from two starts, the likelier kept (:func:`_semi_markov`): free bouts (a peak
and a broad rest, started from the two-state fit's bouts), and an interval programme found
from the period of the session's running score (:func:`_programme`; 95 % of bouts within a
few seconds of the intervals). Bouts are not assumed periodic: the runner switches a few
seconds after each beep, and free walk breaks (any 20–300 s) lose nothing. A programme's
beeps, though, are: a timer grid (:mod:`runlab._intervals`; period, phase, run length,
first and last cycle, each switch within 12 s after its beep) is fitted too, and replaces
the bout-length fit where it explains the session better by the Bayesian information
criterion (:func:`runlab._intervals.preferred`) — bout lengths alone let the phase drift
a few seconds a bout and can split the period wrongly.

Two states are kept only when they differ by a gait's worth in the features together,
or when a second state adds to the cadence's likelihood what two gaits add and a single
gait's drift does not (with cadence only, this gain decides alone; with speed, a fit adding
little to the cadence must add a gait's worth to cadence and speed together, as speed
drifts with cadence; :func:`_ordered`):
a brisk walk at 1.9–2.1 m/s and a slow jog at the same speed and cadence
(people switch gait near 2.0 m/s; Hreljac 1993, doi:10.1249/00005768-199310000-00012)
look like one gait drifting, and only running dynamics — written while walking too — can
tell them apart: stance is over half the stride when walking and under half when running
(Alexander 1989, doi:10.1152/physrev.1989.69.4.1199).

A session with one cluster only (all walking, a continuous jog) is labelled as a whole:
running when its median speed is at least :data:`JOG_MIN_MPS` (or, without speed, its
median cadence at least :data:`RUN_MIN_SPM`), or when running dynamics (stance under
400 ms) say so.

Measured (``benchmarks/validate_gait.py --holdout``: simulated beginner sessions written as
FIT files and read back, 1:1 to 3:1 and 90 s:90 s programmes with each switch a few seconds
after its beep, or free walk breaks of 20–300 s; cadence noise SD 3 spm a second and a
drifting level; 5 s around each switch not scored; 200 held-out seeds 7000–7199, fixed
before the programme grid and the gain decision were developed and run once on them),
share of seconds right, mean (worst session):

==========================================  ==============================  ==================
the file holds                              jog vs walk                     right
==========================================  ==============================  ==================
stance time and vertical oscillation        any, even same cadence & speed  100 %
speed and cadence (1 Hz)                    4 spm and 0.1 m/s               99.9 % (95 %)
speed and cadence (1 Hz)                    4 spm, same speed               98.7 % (59 %†)
speed and cadence (1 Hz)                    4 spm, same, free walk breaks   95.8 % (67 %)
speed and cadence (1 Hz)                    < 4 spm and < 0.2 m/s           79–81 %
speed and cadence (smart recording)         ≥ 8 spm, or ≥ 0.3 m/s, or       ≥ 98.8 %
                                            ≥ 2 spm and ≥ 0.2 m/s
speed and cadence (smart recording)         same speed, 6 spm               95.5 %
cadence only (a phone, most footpods)       6 spm                           99.8–99.9 % (94 %)
cadence only                                4 spm, a programme              99.4 % (59 %†)
cadence only                                4 spm, free walk breaks         96.5 % (83 %)
cadence only                                0–2 spm                         76–77 %
==========================================  ==============================  ==================

(The < 4 spm, smart-recording and 0–2 spm rows are from earlier held-out runs.) Continuous
slow jogs at 140–148 spm: ≥ 99.9 % "run" with speed or cadence alone (fresh seeds
8000–8399 with speed: all 1,200 100 %). A decoder that knows each session's true cadences,
noise and bout lengths gets 99.4 % (worst 90 %) on the 4 spm programmes and 97.1 % (85 %)
with free breaks (seeds 5000–5199): free breaks are near what the file allows. † 7196
(60 s:60 s, 3.7 spm apart), one gait, is decided on its timer grid since
(:data:`_MIN_PROGRAMME_GAIN`): 100 % and 89.5 %. Fourth round (half of each candidate
period tried, :func:`runlab._intervals.fit`), fresh seeds 10000–10199 run once: 4 spm at
the same speed 99.02 % (84.3 %) → 99.22 % (84.7 %), +0.1 m/s 99.91 → 99.92 %, no session
worse, the rest unchanged.

Where nothing in the file differs (same cadence and speed, no running dynamics) the
task is impossible in principle: the session then gets one label throughout.
"""

from __future__ import annotations

import numpy as np

from runlab import _hsmm, _intervals
from runlab._series import (
    centred_mean,
    otsu_index,
    sorted_search,
    whole_second_counts,
    window_bounds,
)

__all__ = ["running_states", "PRIORS", "JOG_MIN_MPS", "RUN_MIN_SPM"]

#: Feature → (walking mean, running mean, spread) of the starting model and the floor of a
#: state's SD. Walking 1.2–1.9 m/s at 100–145 spm; jogging from ~1.9–2.0 m/s, 128+ spm;
#: stance ~600+ ms walking vs 200–320 ms running; vertical oscillation ~40 vs 60–110 mm.
PRIORS: dict[str, tuple[float, float, float, float]] = {
    "cadence_spm": (118.0, 158.0, 12.0, 2.0),
    "speed_mps": (1.5, 2.6, 0.35, 0.08),
    "stance_time_ms": (620.0, 280.0, 60.0, 10.0),
    "vertical_oscillation_mm": (40.0, 85.0, 15.0, 3.0),
    "step_length_m": (0.78, 1.0, 0.15, 0.03),
}
#: A one-cluster session is a jog from this median speed [m/s] (a brisk walk stays below).
JOG_MIN_MPS = 1.95
#: ... or, without speed, from this median cadence [steps/min] (2–3 spm below the slowest
#: jog of 140, so a session-long jog there is not a coin toss on its median).
RUN_MIN_SPM = 137.0


def running_states(features: dict[str, np.ndarray], dt_s: np.ndarray, *,
                   mean_bout_s: float = 60.0, rounds: int = 3,
                   min_share: float = 0.04) -> np.ndarray:
    """True where the runner runs, for samples that are all moving and stepping.

    Parameters
    ----------
    features : dict of str → numpy.ndarray
        Per-sample values of any :data:`PRIORS` features (NaN where not recorded); features
        recorded on under 30 % of the samples (10 % for running dynamics) are left out.
    dt_s : numpy.ndarray
        Seconds since the previous sample (smart recording spaces samples 1–7 s): the
        chance of a switch between two samples grows with the time between them.
    mean_bout_s : float
        Expected time between switches [s].
    min_share : float
        Each state must hold this share of the samples, else the session is one cluster.
    """
    n = dt_s.size
    if n == 0:
        return np.zeros(0, dtype=bool)
    # dynamics are written while running only: a tenth of the session is enough
    x = {k: np.asarray(v, dtype=np.float64) for k, v in features.items()
         if k in PRIORS and np.isfinite(v).mean() >= (0.1 if k in _DYNAMICS else 0.3)}
    if not x:
        return np.zeros(n, dtype=bool)
    stay = np.exp(-np.clip(dt_s, 1.0, None) / mean_bout_s)
    # straps and pods write running dynamics while running: whether a second has them
    # is itself evidence (a Bernoulli feature per state)
    recorded = next((np.isfinite(x[k]) for k in _DYNAMICS if k in x), None)
    t_s = np.cumsum(np.clip(dt_s, 0.0, None))
    # EM finds the nearest local optimum only: start from the features together and from
    # each alone (a hill session's uphill jog can be slower than the flat walk, so speed
    # and cadence split the session differently), keep the likeliest fit
    parts, bounds = _standardised(x), window_bounds(t_s, _SMOOTH_S / 2)
    starts = [_initial(list(parts.values()), bounds)] + [
        _initial([p], bounds) for p in parts.values()] * (len(x) > 1)
    fits = []
    # abrupt changes are weighed on 1 Hz records only (smart recording: 1–7 s apart)
    steps = _local_steps(x, t_s, STEP_WINDOW_S) if np.median(dt_s) <= 1.0 else {}
    # a second state's likelihood gain decides only with cadence alone (_ordered)
    # (measured on cadence alone: speed drifts by more, relative to its noise, than
    # cadence does, and a single gait's speed split gains as much as two gaits')
    cad = {k: v for k, v in x.items() if k == "cadence_spm"}
    one = _one_state_log_likelihood(cad, stay) if cad and not set(x) & set(_DYNAMICS) \
        else None
    # ... and what it adds to the features together (cadence and speed)
    one_all = _one_state_log_likelihood(x, stay) if one is not None and len(x) > 1 \
        else None
    observed = _observed(x)
    for gamma in _distinct(starts, min_share):
        mean = {k: np.array(PRIORS[k][:2]) for k in x}
        sd = {k: np.full(2, PRIORS[k][2]) for k in x}
        for _ in range(rounds):
            mean, sd = _reestimate(x, gamma, observed)
            terms: dict = {}
            log_em = _log_emission(x, mean, sd, observed, terms)
            log_e = log_em + _log_presence(recorded, gamma)
            switch = _switch_evidence(steps, mean, sd)
            gamma = _posterior(log_e, stay, switch)
        run = gamma > 0.5
        # cadence's own emission under the last round's fit: its term, from 0 as
        # _log_emission(cad, mean, sd, observed) sums it (not computed twice)
        gain = 0.0 if one is None else (_log_likelihood(
            0.0 + terms["cadence_spm"], run, stay) - one) / n
        gain_all = None if one_all is None else (_log_likelihood(
            log_em, run, stay) - one_all) / n
        fits.append((_log_likelihood(log_e, run, stay, switch), run, mean, gain, sd,
                     gain_all))
    # the likeliest fit whose two states are walking and running
    for _, run, mean, gain, sd, gain_all in sorted(fits, key=lambda f: -f[0]):
        if not (min_share <= run.mean() <= 1 - min_share and _plausible(mean)):
            continue
        if _ordered(mean, gain, gain_all):
            if steps:  # 1 Hz records: bout lengths in samples are seconds
                return _semi_markov(x, parts, run, mean, sd, observed, recorded, steps)[0]
            return run
        if steps and one is not None and gain > 0.0 and _ordered(mean, np.inf):
            # under a gait's worth by the two-state fit's labels, yet a second state adds
            # to the cadence's likelihood: decide on the labels decoded with the
            # session's bout lengths or programme (bimodal in bouts), or on the
            # programme's timer grid found in them (periodic in bouts)
            decoded, grid = _semi_markov(x, parts, run, mean, sd, observed, recorded, steps)
            if decoded is not run and _decoded_gain(cad, decoded, observed, stay, one) \
                    >= _MIN_GAIN:
                return decoded
            if grid is not None:
                programme_gain, p_run = _programme_gain(cad, grid, observed, steps)
                if programme_gain >= _MIN_PROGRAMME_GAIN:
                    return p_run > 0.5
    return np.full(n, _one_cluster_runs(x))


def _decoded_gain(cad: dict, run: np.ndarray, observed: dict, stay: np.ndarray,
                  one: float) -> float:
    """Cadence log-likelihood per sample that two states with labels ``run`` (their means
    and pooled spread re-estimated on them) add to one state (``one``)."""
    mean, sd = _reestimate(cad, run.astype(np.float64), observed)
    return (_log_likelihood(_log_emission(cad, mean, sd, observed), run, stay) - one) \
        / run.size


#: Time [s] the starting score is smoothed over (not samples: smart recording spaces them
#: 1–7 s apart).
_SMOOTH_S = 15.0


def _observed(x: dict[str, np.ndarray]) -> dict[str, tuple]:
    """Per feature, found once per session rather than in every EM round: where it is
    recorded, whether everywhere, the recorded values' mean, their deviations from it,
    and the deviations' sum and sum of squares."""
    out = {}
    for k, v in x.items():
        ok = np.isfinite(v)
        every = bool(ok.all())
        vok = v if every else v[ok]
        centre = float(vok.mean()) if vok.size else 0.0
        dev = vok - centre
        out[k] = (ok, every, centre, dev, float(dev.sum()), float(dev @ dev))
    return out


def _standardised(x: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each feature standardised for the session (median, SD), signed so that running is
    high; NaN where not recorded."""
    sign = {"stance_time_ms": -1.0}
    parts = {}
    for k, v in x.items():
        ok = np.isfinite(v)
        centre = np.median(v[ok])
        spread = max(float(np.std(v[ok])), PRIORS[k][3])
        parts[k] = np.where(ok, sign.get(k, 1.0) * (v - centre) / spread, np.nan)
    return parts


def _initial(parts: list[np.ndarray], bounds: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Starting P(run): a running score (the :func:`_standardised` features averaged and
    smoothed over :data:`_SMOOTH_S` seconds, ``bounds`` from
    :func:`runlab._series.window_bounds`) split in two by Otsu's threshold
    (:func:`runlab._series.otsu_index`)."""
    if len(parts) == 1:  # one feature: itself where recorded (+ 0.0 turns -0 into 0, as nansum)
        score = np.where(np.isfinite(parts[0]), parts[0], 0.0) + 0.0
    else:
        stack = np.stack(parts)
        have = np.isfinite(stack).sum(axis=0)
        score = np.where(have > 0, np.nansum(stack, axis=0) / np.maximum(have, 1), 0.0)
    score = centred_mean(score, _SMOOTH_S / 2, bounds=bounds)
    hist, edges = np.histogram(score, bins=64)
    k = otsu_index(hist, edges)
    cut = np.inf if k is None else edges[k + 1]
    return (score > cut).astype(np.float64)


#: Half-width [s] of the windows compared either side of a sample for an abrupt change.
STEP_WINDOW_S = 15.0
#: Fewest samples either side for a step to count: fewer (smart recording's 1–7 s spacing)
#: make it noisy and mostly the samples' own values, which the emissions already weigh.
_STEP_MIN_SAMPLES = 8


def _local_steps(x: dict[str, np.ndarray], t_s: np.ndarray, window_s: float) -> dict:
    """Per feature: the mean of the ``window_s`` seconds from each sample minus the mean of
    the ``window_s`` seconds before it and 1/n_after + 1/n_before, at every sample (0 and 1
    where it does not count), and the samples with enough either side (a mask)."""
    out = {}
    grid = whole_second_counts(t_s)
    lo = sorted_search(t_s, t_s - window_s, "left", grid)
    hi = sorted_search(t_s, t_s + window_s, "left", grid)
    for k, v in x.items():
        ok = np.isfinite(v)
        c_sum = np.concatenate([[0.0], np.cumsum(np.where(ok, v, 0.0))])
        c_cnt = np.concatenate([[0], np.cumsum(ok)])
        sum_i, cnt_i = c_sum[:-1], c_cnt[:-1]  # the prefix before each sample
        n_b, n_a = cnt_i - c_cnt[lo], c_cnt[hi] - cnt_i
        with np.errstate(invalid="ignore", divide="ignore"):
            step = (c_sum[hi] - sum_i) / n_a - (sum_i - c_sum[lo]) / n_b
            inv_n = 1.0 / n_a + 1.0 / n_b
        good = (n_a >= _STEP_MIN_SAMPLES) & (n_b >= _STEP_MIN_SAMPLES) & np.isfinite(step)
        # full length, so that each EM round adds where the mask allows (no gather/scatter)
        out[k] = (np.where(good, step, 0.0), np.where(good, inv_n, 1.0), good)
    return out


def _switch_evidence(steps: dict, mean: dict, sd: dict, *, cap: float = 20.0
                     ) -> tuple[np.ndarray, np.ndarray] | None:
    """Log-likelihood ratio of a walk→run and a run→walk switch at each sample against
    none, from the abrupt change there: a switch steps by the states' difference at once,
    while a single gait's drift (hills, fatigue) changes the level slowly."""
    if not steps:
        return None
    n = next(iter(steps.values()))[2].size
    up, down = np.zeros(n), np.zeros(n)
    for k, (step, inv_n, good) in steps.items():
        delta = mean[k][1] - mean[k][0]
        var = sd[k][0] ** 2 * inv_n
        np.add(up, (step * delta - 0.5 * delta * delta) / var, out=up, where=good)
        np.add(down, (-step * delta - 0.5 * delta * delta) / var, out=down, where=good)
    return np.clip(up, -cap, cap, out=up), np.clip(down, -cap, cap, out=down)


def _distinct(starts: list[np.ndarray], share: float) -> list[np.ndarray]:
    """The starting splits that differ from every earlier one (or its complement) on more
    than ``share`` of the samples: nearly the same start leads EM to the same fit."""
    out: list[np.ndarray] = []
    for g in starts:
        n = g.size
        if all(min(c, n - c) > share * n
               for c in (np.count_nonzero(g != h) for h in out)):
            out.append(g)
    return out


def _log_likelihood(log_e: np.ndarray, run: np.ndarray, stay: np.ndarray,
                    switch=None) -> float:
    """Classification log-likelihood of a fit (Celeux & Govaert 1992,
    doi:10.1016/0167-9473(92)90042-E): each sample's emission under its state plus the
    log-probability of each stay or switch, so fits started apart compare on one scale."""
    switched = run[1:] != run[:-1]
    moves = np.where(switched, np.log1p(-np.minimum(stay[1:], 1 - 1e-12)),
                     np.log(stay[1:]))
    if switch is not None:
        up, down = switch
        moves = moves + np.where(switched & run[1:], up[1:], 0.0) \
            + np.where(switched & ~run[1:], down[1:], 0.0)
    return float(log_e[np.arange(run.size), run.astype(int)].sum() + moves.sum())


def _plausible(mean: dict) -> bool:
    """The run state could be running (not the faster of two walking paces): short stance,
    a large vertical oscillation, a jogging speed or a running cadence. Where stance time
    is recorded it decides alone: it is what running is (a flight phase), while a brisk
    walker's oscillation, speed and cadence can all reach a slow jog's. A faster state under
    :data:`_WALKING_MPS` and :data:`_WALKING_SPM` is a walking pace: walks at 1.4 and
    1.75 m/s, the faster at 116–142 spm, were walk and run in 15 of 500 simulated sessions
    (48 % right), now all walking; a jog under 1.8 m/s (9:15 min/km) is called walking."""
    checks = {"stance_time_ms": lambda m: m < 400.0,
              "vertical_oscillation_mm": lambda m: m >= 60.0,
              "speed_mps": lambda m: m >= _JOG_FROM_MPS,
              "cadence_spm": lambda m: m >= 140.0}
    if "stance_time_ms" in mean:
        return bool(checks["stance_time_ms"](mean["stance_time_ms"][1]))
    said = [checks[k](mean[k][1]) for k in checks if k in mean]
    if "speed_mps" in mean and mean["speed_mps"][0] > 2.3:
        return False  # the "walk" state runs too: two running paces
    if "speed_mps" in mean and mean["speed_mps"][1] < _WALKING_MPS \
            and mean.get("cadence_spm", np.zeros(2))[1] < _WALKING_SPM \
            and not ("vertical_oscillation_mm" in mean
                     and checks["vertical_oscillation_mm"](mean["vertical_oscillation_mm"][1])):
        return False  # a walking speed at a cadence walkers reach: two walking paces
    if len(said) == 1 and "cadence_spm" in mean:  # cadence only: overlapping ranges
        return bool(mean["cadence_spm"][1] >= 125.0 and mean["cadence_spm"][0] <= 150.0)
    return any(said)


#: Over ground, people mix walking and running from 1.9 m/s average speed up (Baker, Long &
#: Srinivasan 2025, arXiv:2501.00720): a faster state slower than this is a brisk walk.
_JOG_FROM_MPS = 1.9
#: A faster state under this speed [m/s] (0.1 below :data:`_JOG_FROM_MPS`) and this cadence
#: [steps/min] (brisk walks reach 145) is a walking pace, whatever its cadence alone says.
_WALKING_MPS, _WALKING_SPM = 1.8, 150.0
_DYNAMICS = ("stance_time_ms", "vertical_oscillation_mm")
_NU = 4.0


def _log_presence(recorded: np.ndarray | None, gamma: np.ndarray) -> np.ndarray:
    """(n, 2) log-probability of a sample having (or lacking) running dynamics under walk
    and run, the rates re-estimated from ``gamma`` (bounded to 2–98 %)."""
    if recorded is None:
        return np.zeros((gamma.size, 2))
    w = np.stack([1 - gamma, gamma])
    rate = np.clip((w @ recorded + 1.0) / (w.sum(axis=1) + 2.0), 0.02, 0.98)
    return np.where(recorded[:, None], np.log(rate)[None, :], np.log1p(-rate)[None, :])


def _log_emission(x: dict[str, np.ndarray], mean: dict, sd: dict,
                  observed: dict | None = None, terms: dict | None = None) -> np.ndarray:
    """(n, 2) log-likelihood of each sample under walk (0) and run (1): Student t with
    :data:`_NU` degrees of freedom, so a sample far from both (a transition second, a
    spike) is not forced into the nearer; missing values add nothing. ``terms``, when
    given, receives each feature's own (n, 2) term."""
    n = next(iter(x.values())).size
    out = np.zeros((n, 2))
    for k, v in x.items():
        z = v[:, None] - mean[k]
        z /= sd[k]
        z *= z
        z /= _NU
        term = np.log1p(z, out=z)
        term *= -0.5 * (_NU + 1)
        term -= np.log(sd[k])
        if observed is None or not observed[k][1]:
            ok = np.isfinite(v) if observed is None else observed[k][0]
            term[~ok] = 0.0
        out += term
        if terms is not None:
            terms[k] = term
    return out


def _reestimate(x: dict[str, np.ndarray], gamma: np.ndarray, observed: dict, *,
                prior_share: float = 0.008) -> tuple[dict, dict]:
    """Weighted means per state, pulled towards the priors by pseudo-samples worth
    ``prior_share`` of the session's samples (at least 2; so a near-empty state stays put,
    and the pull is the same at 1 s as at smart recording's 1–7 s), and a pooled SD per
    feature."""
    new_mean, new_sd = {}, {}
    prior_weight = max(2.0, prior_share * gamma.size)
    for k in x:
        ok, every, centre, dev, dev_sum, dev_sq = observed[k]
        g = gamma if every else gamma[ok]
        # sums over the samples, weighted by P(walk) = 1 - g and P(run) = g, of 1 and of
        # the deviation from the feature's mean (two dot products, no (2, n) temporaries)
        w1, s1 = float(g.sum()), float(g @ dev)
        w0, s0 = dev.size - w1, dev_sum - s1
        prior_m, floor = np.array(PRIORS[k][:2]), PRIORS[k][3]
        a = (np.array([s0, s1]) + prior_weight * (prior_m - centre)) \
            / (np.array([w0, w1]) + prior_weight)
        # one spread for both states (pooled, as in linear discriminant analysis): a state
        # cannot widen into a catch-all for another feature's outliers, and a feature
        # whose means agree adds nothing to either side
        # (pooled over every sample, it needs no prior: only the means are pulled):
        # Σ (1-g)(d-a0)² + g(d-a1)² = Σ (d-a0)² - (a1-a0) Σ g (2d - a0 - a1)
        spread = (dev_sq - 2 * a[0] * dev_sum + dev.size * a[0] ** 2
                  - (a[1] - a[0]) * (2 * s1 - (a[0] + a[1]) * w1))
        var = max(spread, 0.0) / max(dev.size, 1.0)
        new_mean[k], new_sd[k] = a + centre, np.full(2, max(np.sqrt(var), floor))
    return new_mean, new_sd


def _posterior(log_e: np.ndarray, stay: np.ndarray, switch=None) -> np.ndarray:
    """P(run) per sample by forward–backward, as prefix products of 2×2 matrices (a
    log-depth scan over elementwise arrays, no Python loop over samples). The forward
    products and the backward ones (of the reversed transposes) are one stacked scan."""
    e = np.exp(log_e - np.maximum(log_e[:, 0], log_e[:, 1])[:, None])
    e0, e1 = e[:, 0], e[:, 1]
    go = 1 - stay
    go_up, go_down = (go, go) if switch is None else (go * np.exp(switch[0]),
                                                      go * np.exp(switch[1]))
    n = e0.size
    # M_t = T_t diag(e_t): [[stay e0, go e1], [go e0, stay e1]]; M_0 = diag(e_0), stored
    # as p[i, j] = entry (i, j). Row 0 scans M_0 … M_t; row 1 scans I, M_{n-1}ᵀ, M_{n-2}ᵀ, …
    # (the backward pass)
    p = np.empty((2, 2, 2, n))
    (a, b), (c, d) = p
    a[0], b[0], c[0], d[0] = stay * e0, go_up * e1, go_down * e0, stay * e1
    a[:, 0], b[:, 0], c[:, 0], d[:, 0] = (e0[0], 1.0), 0.0, 0.0, (e1[0], 1.0)
    a[1, 1:], b[1, 1:], c[1, 1:], d[1, 1:] = a[0, :0:-1], c[0, :0:-1], b[0, :0:-1], d[0, :0:-1]
    _scan(p)
    alpha0, alpha1 = a[0] + c[0], b[0] + d[0]  # 1ᵀ M_0 … M_t
    # beta_t = M_{t+1} … M_{n-1} 1: the column sums of the backward product n-1-t
    beta0, beta1 = (a[1] + c[1])[::-1], (b[1] + d[1])[::-1]
    p0, p1 = alpha0 * beta0, alpha1 * beta1
    return p1 / np.maximum(p0 + p1, 1e-300)


def _scan(p: np.ndarray) -> np.ndarray:
    """Inclusive prefix products, in place, along the last axis of 2×2 matrices stored as
    ``p[i, j]`` = entry (i, j) (any axes between), each rescaled to a largest entry of 1:
    an up-sweep forms the products of aligned blocks of 2, 4, 8, … and a down-sweep
    completes the prefixes from them (Blelloch 1990, CMU-CS-90-190) — about 2n matrix
    products in 2·log2(n) strided steps, no copies."""
    n = p.shape[-1]
    s = 1
    while 2 * s <= n:  # up: the block ending at k·2s−1 = the block before it · itself
        _times(p[..., s - 1:n - s:2 * s], p[..., 2 * s - 1::2 * s])
        s *= 2
    while s > 1:  # down: the block ending at (2k+1)·s−1 gets the prefix ending at 2ks−1
        s //= 2
        if 3 * s <= n:
            _times(p[..., 2 * s - 1:n - s:2 * s], p[..., 3 * s - 1::2 * s])
    return p


def _times(left: np.ndarray, right: np.ndarray) -> None:
    """``right`` = ``left`` · ``right`` (2×2 matrices as in :func:`_scan`), rescaled."""
    if right.shape[-1] <= 256:  # few matrices: one call costs less than three
        out = np.einsum("ijrm,jkrm->ikrm", left, right)
    else:  # column k of left times row k of right, k = 0 then + k = 1
        out = left[:, 0:1] * right[0:1, :]
        out += left[:, 1:2] * right[1:2, :]
    big = out.max(axis=(0, 1))
    np.divide(out, np.maximum(big, 1e-300, out=big), out=right)


def _ordered(mean: dict, gain: float = 0.0, gain_all: float | None = None) -> bool:
    """The run state differs from walking by a gait's worth in the features together, and is
    not clearly slower or lower in cadence.

    Each feature's difference is measured in :data:`_MARGIN` (the smallest walk–run
    difference that feature alone can vouch for); the differences add as a distance
    (Σ (Δ/margin)² ≥ 1), so a jog 3 spm quicker *and* 0.15 m/s faster counts, as either
    would at 4 spm or 0.25 m/s alone. Smaller differences are what a single gait drifts by
    over a session (hills, fatigue), which two states must not be fitted to — unless the
    two states explain the session's cadence much better than one (``gain``, the
    log-likelihood per sample they add to the cadence, at least :data:`_MIN_GAIN`; a
    drifting single gait gains less, its values being one cluster, not two) and the
    distance is at least half a gait's worth. With cadence only the gain decides both ways:
    a continuous jog drifting over 4 spm is one cluster whatever its two halves' means.
    With speed and no running dynamics (``gain_all``, what the second state adds to the
    features together), a fit adding under :data:`_MIN_GAIN` to the cadence and under
    :data:`_MIN_GAIN_ALL` to the features together is one gait drifting, however far apart
    its means: speed, stepped out at the cadence, drifts with it, and the distance would
    count one drift twice.
    A fit that fails only on the gain is given a second chance in :func:`running_states`
    on 1 Hz records: its labels decoded with the session's bout lengths or programme
    (:func:`_semi_markov`) and the gain measured again on them (:func:`_decoded_gain`),
    or, where a programme's timer grid explains the session best, on the grid with each
    switch's delay summed out (:func:`_programme_gain`, :data:`_MIN_PROGRAMME_GAIN`).
    (The gain is measured on cadence alone: speed drifts by more, relative to its noise,
    than cadence does — a continuous jog's speed split gains up to 0.14.)
    (The number of hidden states chosen by likelihood; cf. Celeux & Durand 2008,
    doi:10.1007/s00180-007-0097-1.)"""
    dist = sum(max((mean[k][1] - mean[k][0]) / _MARGIN[k], 0.0) ** 2 for k in mean)
    inverted = [mean[k][1] - mean[k][0] <= -_MARGIN[k]
                for k in ("cadence_spm", "speed_mps") if k in mean]
    by_gain = "cadence_spm" in mean and dist >= 0.25 and gain >= _MIN_GAIN
    if set(mean) == {"cadence_spm"}:  # cadence only: the likelihood decides
        return by_gain and not any(inverted)
    drift = gain_all is not None and gain < _MIN_GAIN and gain_all < _MIN_GAIN_ALL
    return (dist >= 1.0 and not drift or by_gain) and not any(inverted)


#: Log-likelihood per sample a second state must add to the cadence: simulated single gaits
#: drifting 1 spm (SD, over a minute) under 3 spm noise per second gain at most 0.04 from a
#: second state (continuous jogs at 140–148 spm, dev seeds 6000–6099: at most 0.043), walks
#: and jogs 3–4 spm apart at least 0.06 (4 spm programmes and free breaks: at least 0.064).
_MIN_GAIN = 0.055
#: ... and to cadence and speed together, where the cadence adds under :data:`_MIN_GAIN`:
#: fits a gait's worth apart on continuous jogs at 144–148 spm with speed (fresh seeds
#: 8000–8199) add at most 0.073; walks and jogs 2–4 spm and 0.1–0.3 m/s apart at least
#: 0.21 (dev seeds 6000–6029).
_MIN_GAIN_ALL = 0.12
#: ... or to the cadence on an interval programme's timer grid (:func:`_programme_gain`):
#: continuous jogs at 140–148 spm whose grid won (411 dev sessions) add at most 0.061,
#: 60 s:60 s programmes left one gait by :data:`_MIN_GAIN` at least 0.098 (37 of 38).
_MIN_PROGRAMME_GAIN = 0.08


def _one_state_log_likelihood(x: dict[str, np.ndarray], stay: np.ndarray) -> float:
    """Classification log-likelihood of the session as one state (each feature's own
    median and SD), on the scale of :func:`_log_likelihood` without switches."""
    return _one_state_emission(x) + float(np.log(stay[1:]).sum())


def _programme_gain(cad: dict, grid: tuple[np.ndarray, int], observed: dict,
                    steps: dict) -> tuple[float, np.ndarray | None]:
    """Log-likelihood per sample an interval programme's two states add to the cadence as
    one state, and its P(run): the timer grid (:func:`runlab._intervals.fit`) at the period
    :func:`_semi_markov` found (``grid``: its P(run), period), refitted on the cadence with
    the states re-estimated on its labels. Each switch's delay is summed out (a switch costs
    log 13, its reaction window, not log 60 as in :func:`_decoded_gain`): a 60 s:60 s
    programme 3.7 spm apart (seed 7196) gains 0.13, its free-switch labels 0.029."""
    p_run, period = grid
    mean, sd = _reestimate(cad, p_run, observed)
    fit = _grid_fit(_log_emission(cad, mean, sd, observed), {k: steps[k] for k in cad},
                    mean, sd, [period])
    if fit is None:
        return -np.inf, None
    return (fit[0] - _one_state_emission(cad)) / p_run.size, fit[1]


def _grid_fit(log_e: np.ndarray, steps: dict, mean: dict, sd: dict, periods: list[int]
              ) -> tuple[float, np.ndarray, int] | None:
    """An interval programme's timer grid (:func:`runlab._intervals.fit`) on per-sample
    walk/run log-emissions ``log_e``, with each switch's evidence from the states' means:
    the session's log-likelihood under it (the all-walk term included), its P(run) per
    sample and its period; None when no grid fits."""
    switch = _switch_evidence(steps, mean, sd)
    fit = _intervals.fit(log_e[:, 1] - log_e[:, 0], periods, *(switch or (None, None)))
    return None if fit is None else (fit[0] + log_e[:, 0].sum(), fit[1], fit[2])


def _one_state_emission(x: dict[str, np.ndarray]) -> float:
    """Log-likelihood of the samples as one state (each feature's own median and SD)."""
    mean = {k: np.full(2, np.nanmedian(v)) for k, v in x.items()}
    sd = {k: np.full(2, max(float(np.nanstd(v)), PRIORS[k][3])) for k, v in x.items()}
    return float(_log_emission(x, mean, sd)[:, 0].sum())


#: Smallest walk→run difference per feature (signed: stance shortens when running).
_MARGIN = {"cadence_spm": 4.0, "speed_mps": 0.25, "stance_time_ms": -60.0,
           "vertical_oscillation_mm": 10.0, "step_length_m": 0.08}


def _one_cluster_runs(x: dict[str, np.ndarray]) -> bool:
    def median(k):
        v = x.get(k)
        return float(np.nanmedian(v)) if v is not None and np.isfinite(v).any() else None
    stance = median("stance_time_ms")
    if stance is not None:
        return stance < 400.0
    speed = median("speed_mps")
    if speed is not None:
        return speed >= JOG_MIN_MPS
    cadence = median("cadence_spm")
    return cadence is not None and cadence >= RUN_MIN_SPM


#: Interior bouts longer than this [s] in the two-state fit: not an interval session, and
#: the hidden semi-Markov pass (cost ∝ samples × longest bout) is skipped.
_LONGEST_BOUT_S = 900
#: States at least this far apart (pooled spreads, the features together) need no bout
#: lengths: a second is then misread alone with chance Φ(−1.5) ≈ 7 % and the two-state fit's
#: persistence already labels every bout (100 % on 12 spm sessions with or without the
#: semi-Markov pass); the pass, ~20–100× the cost of the fit, runs only below it.
_AMBIGUOUS_SEPARATION = 3.0
#: A programme's intervals: share of bouts that follow it, and their spread (a few seconds
#: to react to the beep; at least 3 s, or 5 % of the interval).
_PROGRAMME_SHARE, _PROGRAMME_SPREAD = 0.95, (3.0, 0.05)


def _semi_markov(x: dict, parts: dict, run: np.ndarray, mean: dict, sd: dict,
                 observed: dict, recorded, steps: dict, rounds: int = 3
                 ) -> tuple[np.ndarray, tuple[np.ndarray, int] | None]:
    """Walk/run of a 1 Hz session re-decoded by a hidden semi-Markov model whose walk and
    run bout lengths are the session's own (Yu 2010, doi:10.1016/j.artint.2009.11.011):
    each state's length distribution is re-estimated by EM with the means and spreads,
    from two starts, and the likelier fit kept:

    - *free bouts*: a peak (centre, width, share) and a broad log-uniform rest, started
      from the two-state fit's median bout lengths;
    - *an interval programme* (run X s, walk Y s, repeated, as run–walk plans prescribe):
      95 % of bouts within a few seconds of X or Y, started from the period of the
      session's running score (:func:`_programme`).

    The first and last bouts are cut by the recording (weighted by the survivor function).
    Where the features are ambiguous (a 4 spm gap under 3 spm noise and a drifting level)
    the lengths decide: a 60-s walk is not swallowed into a 5-min run when every other walk
    lasts 60 s. Returns the labels and, where the timer grid won, its P(run) per sample and
    period (for :func:`_programme_gain`), else None."""
    n = run.size
    cut = np.flatnonzero(run[1:] != run[:-1]) + 1
    longest = int(np.diff(cut).max()) if cut.size > 1 else 0
    if longest > _LONGEST_BOUT_S or n < 120 or _separation(mean, sd) >= _AMBIGUOUS_SEPARATION:
        return run, None
    d_max = int(min(n, max(600, 2 * longest)))
    decoded = _hsmm.decoded_bouts(run, d_max)
    starts = [(False, [_free_start(decoded[j]) for j in range(2)])]
    score, acf = _score_acf(parts, cut)
    programme = _programme(score, acf)
    if programme is not None:
        starts.append((True, [(_PROGRAMME_SHARE, s, max(_PROGRAMME_SPREAD[0],
                                                        _PROGRAMME_SPREAD[1] * s))
                              for s in programme]))
    best = (-np.inf, run)
    for fixed, params in starts:
        m, s, counts, gamma = mean, sd, decoded, run.astype(np.float64)
        for r in range(rounds):
            # a programme's first pass uses its guessed intervals as they are
            log_len, params = _hsmm.programme_lengths(
                counts, params, fixed=fixed, iterations=0 if fixed and r == 0 else 5)
            log_e = _log_emission(x, m, s, observed) + _log_presence(recorded, gamma)
            switch = _switch_evidence(steps, m, s)
            entry = None if switch is None else np.stack([switch[1], switch[0]], axis=1)
            gamma, counts, log_like = _hsmm.posterior(log_e, log_len, entry,
                                                      _hsmm.survivor(log_len, n))
            if r < rounds - 1:
                m, s = _reestimate(x, gamma, observed)
        if log_like > best[0]:
            best = (log_like, gamma > 0.5, gamma)
    _, labels, gamma = best
    # an interval programme's timer grid: switches locked to the beeps (_intervals),
    # its states' means re-estimated on its own labels (EM, as the bout-length fits)
    periods = _periods(acf) + _decoded_cycle(gamma > 0.5)
    m, s, grid = mean, sd, None
    for _ in range(rounds):
        g = gamma if grid is None else grid[1]
        if grid is not None:
            m, s = _reestimate(x, g, observed)
        log_e = _log_emission(x, m, s, observed) + _log_presence(recorded, g)
        grid = _grid_fit(log_e, steps, m, s, periods)
        if grid is None:
            break
        periods = [grid[2]]  # later rounds refine the period found
    if grid is not None and _intervals.preferred(grid[0], best[0], labels, n):
        return grid[1] > 0.5, (grid[1], periods[0])
    return labels, None


def _separation(mean: dict, sd: dict) -> float:
    """Distance between the two states' means in pooled spreads, the features together."""
    return float(np.sqrt(sum(((mean[k][1] - mean[k][0]) / sd[k][0]) ** 2 for k in mean)))


def _free_start(counts: np.ndarray) -> tuple[float, float, float]:
    """(share, centre, width) of a state's length peak from its decoded bouts' median."""
    lengths = np.repeat(np.arange(counts.size), counts.astype(int))
    centre = float(np.median(lengths)) if lengths.size else 60.0
    return 0.5, centre, max(0.1 * centre, 3.0)


def _programme(score: np.ndarray, acf: np.ndarray) -> tuple[float, float] | None:
    """(walk, run) interval lengths [s] of a repeating programme, or None: the period is
    the running score's autocorrelation (``acf``) peak (40–900 s, correlation > 0.1),
    refined and split into its two levels on the score folded over that period (Otsu's
    split of the folded profile). ``score``, ``acf``: :func:`_score_acf`."""
    m = score.size
    hi = min(m // 2, 900)
    below = np.flatnonzero(acf[:hi] < 0)
    lo = max(40, int(below[0])) if below.size else hi
    if lo >= hi:
        return None
    lag = lo + int(np.argmax(acf[lo:hi]))
    if acf[lag] <= 0.1:
        return None
    period, profile = _folded(score, float(lag))
    hist, edges = np.histogram(profile, bins=32)
    k = otsu_index(hist, edges)
    if k is None:
        return None
    run_share = float((profile > edges[k + 1]).mean())
    return (1.0 - run_share) * period, run_share * period


def _score_acf(parts: dict, cut: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The running score (``parts``, the session's :func:`_standardised` features, averaged)
    between the fit's first and last switch (warm-up and cool-down left out), and its
    autocorrelation by lag."""
    stack = np.stack(list(parts.values()))
    score = np.where(np.isfinite(stack), stack, 0.0).mean(axis=0)
    score = score[cut[0]:cut[-1]] if cut.size > 1 else score
    g = score - score.mean()
    m = g.size
    f = np.fft.rfft(g, 2 * m)
    acf = np.fft.irfft(f * np.conj(f))[:m]
    return score, acf / max(acf[0], 1e-12)


def _periods(acf: np.ndarray, count: int = 3) -> list[int]:
    """The ``count`` highest local maxima (lags 40–900 s, correlation > 0) of the running
    score's autocorrelation (:func:`_score_acf`): candidate periods of an interval
    programme."""
    hi = min(acf.size - 1, 901)
    if hi <= 41:
        return []
    inner = acf[40:hi]
    peak = np.flatnonzero((inner[1:-1] > inner[:-2]) & (inner[1:-1] >= inner[2:])
                          & (inner[1:-1] > 0)) + 41
    return [int(k) for k in peak[np.argsort(-acf[peak])][:count]]


def _decoded_cycle(run: np.ndarray) -> list[int]:
    """Median run bout plus median walk bout of a decoded session (complete bouts only),
    as a candidate period; empty when either is missing."""
    cut = np.flatnonzero(run[1:] != run[:-1]) + 1
    if cut.size < 3:
        return []
    lengths, state = np.diff(cut), run[cut[:-1]]
    if not state.any() or state.all():
        return []
    return [int(round(np.median(lengths[state]) + np.median(lengths[~state])))]


def _folded(score: np.ndarray, lag: float) -> tuple[float, np.ndarray]:
    """The period within ±3 s of ``lag`` (0.25 s steps) whose folded mean profile (1-s
    bins) varies most, and that profile."""
    t = np.arange(score.size, dtype=np.float64)
    best = (-1.0, lag, np.zeros(1))
    for period in np.arange(lag - 3.0, lag + 3.01, 0.25):
        bins = int(round(period))
        b = np.minimum((np.mod(t, period) / period * bins).astype(int), bins - 1)
        profile = np.bincount(b, score, bins) / np.maximum(np.bincount(b, None, bins), 1)
        if profile.var() > best[0]:
            best = (float(profile.var()), float(period), profile)
    return best[1], best[2]
