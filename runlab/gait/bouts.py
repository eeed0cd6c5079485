"""Bouts of a cleaned session: run/walk/stop segments, walk–run pattern, strides, hills.

All functions take cleaned records (:func:`runlab.clean`) and return polars frames with
units in the column names. Segment ``duration_s`` is the recorded time of its samples
(``sample_s`` summed), so pauses and recording gaps do not count.

The walk–run pattern, strides and hills are found as plain values first
(:func:`pattern_values`, :func:`stride_values`, :func:`climb_values`: their rules and the
rules' defaults are defined there, once); the public functions pass their keyword rules on
and turn the values into frames, :func:`runlab.summarize` takes the values as they are.
"""

from __future__ import annotations

import functools
import inspect
from typing import NamedTuple

import numpy as np
import polars as pl

from runlab import schema
from runlab._series import (
    columns,
    label_runs,
    median,
    nanargmax,
    prefix_sums,
    run_lengths,
    timestamps,
    weighted_median,
    whole_second_counts,
    window_mean,
    window_sums,
)
from runlab.errors import SchemaError
from runlab.geo import distance_to_path_m, local_xy_m

__all__ = ["segments", "walk_run_pattern", "run_walk_ratio", "strides", "hills", "PATTERNS"]

#: The clinic's walk–run progressions (run minutes : walk minutes), as beginners' walk–run programmes progress (``docs/clinic.md``).
PATTERNS = {"1:1": 1.0, "2:1": 2.0, "3:1": 3.0}
_GAITS = ("run", "walk", "stop")

_SEGMENT_SCHEMA = {
    "start": schema.TIMESTAMP, "end": schema.TIMESTAMP, "gait": pl.String,
    "duration_s": pl.Float64, "distance_m": pl.Float64, "cadence_spm": pl.Float64,
    "speed_mps": pl.Float64, "step_length_m": pl.Float64,
}


def _need_cleaned(cleaned: pl.DataFrame, *columns: str) -> None:
    for col in ("timestamp", "sample_s", *columns):
        if col not in cleaned.columns:
            raise SchemaError(f"expected cleaned records (runlab.clean) with column {col!r}; "
                              f"has {cleaned.columns}")


def _columns(cleaned: pl.DataFrame, *names: str) -> list[np.ndarray]:
    """Float columns as float64 arrays (NaN for null; read-only, shared within
    :func:`runlab.summarize`)."""
    return columns(cleaned).floats(*names)


def _episode_frame(cleaned: pl.DataFrame, starts: np.ndarray, ends: np.ndarray,
                   extra: dict[str, tuple[str, np.ndarray]] | None = None) -> pl.DataFrame:
    """One row per episode ``starts[i]..ends[i]`` (inclusive sample indexes).

    Cadence and speed are time-weighted means (weights ``sample_s``); step length is
    ``speed / (cadence / 60)`` of those means; distance is the rise of
    ``distance_m`` over the episode; ``gait`` the most frequent label. ``extra`` maps a
    column name to ``("span" | "mean" | "given", values)``: range or time-weighted mean of
    per-sample ``values`` over each episode, or one given value per episode.
    """
    starts = np.asarray(starts, dtype=np.int64)
    ends = np.asarray(ends, dtype=np.int64)
    if starts.size == 0:
        return _empty_episodes({k: pl.Boolean if kind == "given" else pl.Float64
                                for k, (kind, _) in (extra or {}).items()})
    # the episodes' samples only, end to end (sums over each are of the same values in
    # the same order as over the whole session)
    lengths = ends - starts + 1
    first = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    idx = np.repeat(starts - first, lengths) + np.arange(int(lengths.sum()))
    if idx.size == cleaned.height and (idx[1:] > idx[:-1]).all():
        idx = slice(None)  # the whole session (segments): no copies
    cols = columns(cleaned)
    w, cad, speed, dist = (x[idx] for x in cols.floats(
        "sample_s", "cadence_spm", "speed_mps", "distance_m"))

    def total(x: np.ndarray) -> np.ndarray:  # sums over episodes (NaN-free x)
        return np.add.reduceat(x, first)

    def wmean(x: np.ndarray) -> np.ndarray:
        ok = np.isfinite(x)
        with np.errstate(invalid="ignore", divide="ignore"):
            return total(np.where(ok, x * w, 0.0)) / total(np.where(ok, w, 0.0))

    def span(x: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return np.fmax.reduceat(x, first) - np.fmin.reduceat(x, first)

    if "gait" in cleaned.columns:
        # compared whole: a string gather costs more
        counts = np.stack([total(cols.equals("gait", g)[idx].astype(np.float64))
                           for g in _GAITS])
        majority = np.array(_GAITS, dtype=object)[np.argmax(counts, axis=0)]
    else:
        majority = np.full(starts.size, None, dtype=object)
    c, v = wmean(cad), wmean(speed)
    with np.errstate(invalid="ignore", divide="ignore"):
        step = v / (c / 60.0)
    us = cols.epoch_us()
    how = {"span": span, "mean": wmean}
    return pl.DataFrame([
        timestamps("start", us[starts]), timestamps("end", us[ends]),
        pl.Series("gait", majority, dtype=pl.String),
        pl.Series("duration_s", total(w), dtype=pl.Float64),
        pl.Series("distance_m", span(dist), nan_to_null=True),
        pl.Series("cadence_spm", c, nan_to_null=True),
        pl.Series("speed_mps", v, nan_to_null=True),
        pl.Series("step_length_m", step, nan_to_null=True),
        *(pl.Series(name, x if kind == "given" else how[kind](x[idx]),
                    nan_to_null=kind != "given")
          for name, (kind, x) in (extra or {}).items()),
    ])


def segments(cleaned: pl.DataFrame) -> pl.DataFrame:
    """Consecutive run/walk/stop bouts of a cleaned session.

    Returns
    -------
    polars.DataFrame
        One row per bout: ``start``, ``end`` (first/last sample time, UTC), ``gait``,
        ``duration_s`` [s], ``distance_m`` [m], ``cadence_spm`` [steps/min], ``speed_mps``
        [m/s] (time-weighted means) and ``step_length_m`` [m].
    """
    _need_cleaned(cleaned, "gait")
    starts, lengths = label_runs(cleaned["gait"])
    return _episode_frame(cleaned, starts, starts + lengths - 1)


def walk_run_pattern(cleaned_or_segments: pl.DataFrame, **rules: float) -> pl.DataFrame:
    """Measured run:walk ratio and interval lengths, matched to the clinic's progressions.

    Only the block from the first to the last run interval counts, so a warm-up and
    cool-down walk do not distort the ratio; run bouts shorter than ``min_interval_s`` are
    drills (30-s strides, hill reps), not intervals, and are left out with the walks
    around them. ``run_walk_ratio`` is :func:`run_walk_ratio`: the median run interval over
    the median walk interval in that block (a 2:1 session of 2-min runs and 1-min walks
    gives 2.0 whatever the number of repeats). The pattern is ``"continuous"`` when walking is under
    ``continuous_walk_fraction`` (10 %) of the block (a 3:1 session walks 25 %), the nearest
    of :data:`PATTERNS` when the ratio is within ``tolerance`` (relative) of it, else
    ``"other"``; ``"none"`` without running.

    Parameters
    ----------
    cleaned_or_segments : polars.DataFrame
        Cleaned records or the frame of :func:`segments`.
    tolerance, continuous_walk_fraction, min_interval_s : float
        The rules above (defaults: :func:`pattern_values`).

    Returns
    -------
    polars.DataFrame
        One row: ``pattern``, ``run_walk_ratio`` (:func:`run_walk_ratio`; null when
        continuous or no running), ``run_walk_time_ratio`` (total run interval time over
        total walk interval time in the block: 3 runs of 2 min and the 2 walks between
        give 3.0 where ``run_walk_ratio`` is 2.0),
        ``run_interval_s``, ``walk_interval_s`` (medians [s]), ``run_intervals``,
        ``walk_intervals`` (counts), ``run_s``, ``walk_s`` [s].
    """
    return _pattern_row(*pattern_values(cleaned_or_segments, **rules))


class PatternValues(NamedTuple):
    """:func:`walk_run_pattern`'s row as values (``run_walk_time_ratio`` follows from
    ``run_s`` and ``walk_s``)."""

    pattern: str
    run_walk_ratio: float | None
    run_interval_s: float | None
    walk_interval_s: float | None
    run_intervals: int
    walk_intervals: int
    run_s: float
    walk_s: float


def pattern_values(frame: pl.DataFrame, *, tolerance: float = 0.2,
                   continuous_walk_fraction: float = 0.10,
                   min_interval_s: float = 45.0) -> PatternValues:
    """:func:`walk_run_pattern` as values, without its frame; its rules and their
    defaults."""
    if "duration_s" in frame.columns:  # a segments frame
        label = frame["gait"].to_numpy()
        dur = frame["duration_s"].to_numpy().astype(np.float64)
    else:
        _need_cleaned(frame, "gait")
        starts, label = _bouts(frame)
        w = np.append(frame["sample_s"].to_numpy().astype(np.float64), 0.0)
        dur = np.add.reduceat(w, starts) if label.size else np.zeros(0)
    # bouts split only by a stop are one interval: drop stops, merge equal neighbours
    go = label != "stop"
    label, dur = label[go], dur[go]
    starts, lengths = run_lengths(label)
    dur = np.add.reduceat(dur, starts) if starts.size else dur
    label = label[starts]
    runs_at = np.flatnonzero((label == "run") & (dur >= min_interval_s))
    if runs_at.size == 0:
        runs_at = np.flatnonzero(label == "run")  # only drills: judge those
    if runs_at.size == 0:
        return PatternValues("none", None, None, None, 0, 0, 0.0, 0.0)
    block = slice(int(runs_at[0]), int(runs_at[-1]) + 1)
    lab, d = label[block], dur[block]
    interval = (lab == "run") & (d >= min(min_interval_s, d[lab == "run"].max()))
    # a walk counts when it separates two intervals (not the recovery after a drill)
    after_interval = np.concatenate([[False], interval[:-1]])
    before_interval = np.concatenate([interval[1:], [False]])
    run = d[interval]
    walk = d[(lab == "walk") & after_interval & before_interval]
    run_s, walk_s = float(run.sum()), float(walk.sum())
    run_med = median(run)
    walk_med = median(walk) if walk.size else None
    if walk_s <= continuous_walk_fraction * (run_s + walk_s):
        return PatternValues("continuous", None, run_med, walk_med, run.size, walk.size,
                             run_s, walk_s)
    ratio = run_walk_ratio(run, walk)
    name, target = min(PATTERNS.items(), key=lambda kv: abs(np.log(ratio / kv[1])))
    pattern = name if abs(ratio / target - 1.0) <= tolerance else "other"
    return PatternValues(pattern, ratio, run_med, walk_med, run.size, walk.size, run_s, walk_s)


def _bouts(cleaned: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """First sample and label (object array) of each run of equal ``gait`` labels: from
    the run/walk/stop comparisons (shared within :func:`runlab.summarize`) when those are
    the only labels, else by ``rle`` in polars."""
    gait = cleaned["gait"]
    if gait.dtype == pl.String:
        cols = columns(cleaned)
        code = sum((k + 1) * cols.equals("gait", g).view(np.int8)
                   for k, g in enumerate(_GAITS))
        if code.all():  # no null or other label
            starts, _ = run_lengths(code)
            return starts, np.array((None, *_GAITS), dtype=object)[code[starts]]
    runs = gait.rle().struct.unnest()
    lengths, label = runs["len"].to_numpy(), runs["value"].to_numpy()
    return np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64), label


def run_walk_ratio(run_intervals_s, walk_intervals_s) -> float | None:
    """The run:walk ratio, defined once: the median run interval over the median walk
    interval of a walk–run block [s/s] — 2.0 for 2-min runs with 1-min walks, however
    many repeats (the clinic's 1:1, 2:1, 3:1). The simulator's truth uses this function.
    Total running over total walking time is :func:`walk_run_pattern`'s separate
    ``run_walk_time_ratio``. None without a walk interval."""
    run = np.asarray(run_intervals_s, dtype=np.float64)
    walk = np.asarray(walk_intervals_s, dtype=np.float64)
    if run.size == 0 or walk.size == 0:
        return None
    return float(np.median(run) / np.median(walk))


def _pattern_row(pattern, ratio, run_med, walk_med, n_run, n_walk, run_s, walk_s):
    time_ratio = run_s / walk_s if pattern not in ("continuous", "none") and walk_s > 0 \
        else None
    # one row, built as a row (a third of the time of nine one-element columns)
    return pl.DataFrame([(pattern, ratio, time_ratio, run_med, walk_med, n_run, n_walk, run_s,
                          walk_s)], schema=_PATTERN_SCHEMA, orient="row")


_PATTERN_SCHEMA = {"pattern": pl.String, "run_walk_ratio": pl.Float64,
                   "run_walk_time_ratio": pl.Float64,
                   "run_interval_s": pl.Float64, "walk_interval_s": pl.Float64,
                   "run_intervals": pl.Int64, "walk_intervals": pl.Int64,
                   "run_s": pl.Float64, "walk_s": pl.Float64}


def _episodes(mask: np.ndarray, t: np.ndarray, *, bridge_s: float, min_s: float,
              max_s: float | None) -> tuple[np.ndarray, np.ndarray]:
    """First and last sample of each run of ``mask`` (runs closer than ``bridge_s``, or
    split by one sample, joined: smart recording may space samples 7 s apart) that lasts
    ``min_s``–``max_s`` seconds."""
    starts, lengths = run_lengths(mask)
    on = mask[starts] if starts.size else np.zeros(0, bool)
    s, e = starts[on], starts[on] + lengths[on] - 1
    if s.size == 0:
        return s, e
    join = (t[s[1:]] - t[e[:-1]] <= bridge_s) | (s[1:] - e[:-1] == 2)  # a short dip
    first = np.concatenate([[True], ~join])
    s, e = s[first], e[np.concatenate([~join, [True]])]
    dur = t[e] - t[s]
    keep = (dur >= min_s) & (dur <= (np.inf if max_s is None else max_s))
    return s[keep], e[keep]


def _elapsed(cleaned: pl.DataFrame) -> np.ndarray:
    return columns(cleaned).elapsed_s()


def _sets(start_s: np.ndarray, end_s: np.ndarray, linked: np.ndarray,
          max_gap_s: float) -> np.ndarray:
    """Set label of each effort (the smallest index in its set): efforts are joined when
    ``linked`` (pairwise) and one starts within ``max_gap_s`` of the other's end."""
    n = start_s.size
    between = start_s[None, :] - end_s[:, None]  # from the end of i to the start of j
    edge = linked & (np.maximum(between, between.T) <= max_gap_s)
    np.fill_diagonal(edge, True)
    label = np.arange(n)
    for _ in range(n):  # few efforts: each takes the smallest label among its neighbours
        new = np.array([label[edge[k]].min() for k in range(n)], dtype=np.int64)
        if (new == label).all():
            break
        label = new
    return label


def _set_sizes(label: np.ndarray) -> np.ndarray:
    return np.bincount(label, minlength=label.size)[label]


def _trim(starts: np.ndarray, ends: np.ndarray, keep: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray]:
    """Each episode narrowed to its first and last ``keep`` sample (unchanged without one)."""
    idx = np.flatnonzero(keep)
    if not idx.size:
        return starts, ends
    a = np.searchsorted(idx, starts)
    b = np.searchsorted(idx, ends, side="right") - 1
    inside = (a < idx.size) & (a <= b)
    return (np.where(inside, idx[np.clip(a, 0, idx.size - 1)], starts),
            np.where(inside, idx[np.clip(b, 0, idx.size - 1)], ends))


def _core_median(t: np.ndarray, x: np.ndarray, starts: np.ndarray, ends: np.ndarray, *,
                 trim_s: float) -> np.ndarray:
    """Median of ``x`` over each episode without its first and last ``trim_s`` seconds
    (the speeding up and easing off); NaN where nothing is left."""
    out = np.full(starts.size, np.nan)
    for k, (a, b) in enumerate(zip(starts, ends, strict=True)):
        core = x[a:b + 1][(t[a:b + 1] >= t[a] + trim_s) & (t[a:b + 1] <= t[b] - trim_s)]
        if np.isfinite(core).any():
            out[k] = np.nanmedian(core)
    return out


def strides(cleaned: pl.DataFrame, **rules: float) -> pl.DataFrame:
    """Short fast efforts (the clinic's 30-second strides) with cadence and step length.

    Built for smart recording (a point every 1–7 s) and GPS error: no single sample's speed
    decides. A candidate is a running stretch of ``min_s``–``max_s`` seconds whose recorded
    speed, averaged over a centred ``window_s`` (10 s) time window, stays ``settle_gain``
    (5 %) above the session's median running speed (in a longer such stretch, a warm-up
    quicker than a session of walks and jogs, a flat part ``min_gain`` above its median),
    narrowed to its width at half height (the samples around its peak at least half-way
    from that median to its upper quartile: a sprint running on into slightly faster
    running is the sprint), and whose distance over its time (from its first to its last
    sample at least ``min_gain`` (15 %) above that median) is ``settle_gain`` above it.
    Strides are short accelerations of ~20 s (the clinic's 30 s); a tempo block or a long
    fast finish is longer than ``max_s``. An effort running on to the end counts only as a lone
    effort (below) that steps up from running at the session's pace — a finishing sprint,
    not the last minute of a progression. Speed alone cannot tell a stride from a
    descent or a GPS error, so a candidate is a stride only when a second sensor agrees or
    the runner repeats it, as the clinic prescribes strides: in sets, 4–8 × 30 s with walks
    between (:mod:`runlab.plan`). Cadence around an effort is the running cadence
    ``context_s`` (60 s) either side, or the session's median running cadence where that
    is higher (where the runner walked); both leave the other candidates' samples out (a
    fartlek's surges are a minute apart and half its running is fast); a side with under
    10 s of running there (an effort walked off: its run-out is all the running) is left
    out. An effort's cadence is its median without its first and last 3 s and its zeros
    (pod dropouts).

    - A lone effort needs cadence ``min_cadence_gain`` (3 %) above the cadence around it
      and a speed 1.5 × ``min_gain`` (22.5 %) above the median: faster running comes with
      a faster step rate (Cavanagh & Kram 1989, doi:10.1249/00005768-198906000-00013),
      GPS noise and a descent's roll do not raise it that much; and at the speed it would
      take on the flat (below) it must still be no slower than the median — running down a
      steep descent is fast and quick-stepped without being an effort.
    - A set is ``min_set`` (3: a set of 4–8 with one missed) or more similar efforts
      (durations within a factor 2, speeds on the flat within 25 %), each starting within
      ``max_recovery_s`` (5 min) of another's end after an easy recovery (distance over
      time ``settle_gain`` below the median: a walk or a slow jog, where a phone's speed
      noise runs on at the same pace) — or, with cadence recorded for both, a recovery
      ``min_gain`` slower than both efforts (a fartlek's jog, at about the median when
      half the running is fast). With cadence (of the members that have it: the others
      go with their set), the set's median effort is ``min_gain`` faster than the median
      and ``min_set_cadence_gain`` (1 %) above the cadence around it, and none is below
      it; without cadence (GPS-only files) only the speed decides. Either way the set's
      median effort is ``min_gain`` faster than the median at the speed it would take on
      the flat: its speed times the energy cost of running at its grade over that on the
      flat (Minetti et al. 2002, doi:10.1152/japplphysiol.01177.2001), since speed rises
      by itself on a descent; an altitude change under ``min_drop_m`` (3 m) over an effort
      counts as flat (GPS altitude wanders that much on flat ground).

    Measured (``benchmarks/smart_recording_efforts.py``, which holds the history): files
    simulated, written, read back (seeds 1000–1004, 2000–2004, not tuned on; FIT, TCX,
    GPX, 1–7 s or 4–7 s apart, rough courses, GPS spikes): 98.9–99.7 % of 963 and
    96.7–99.7 % of 978 found, none invented. Real, hand-labelled: the corpus 1 of 2; 17
    held-out 3 of 3, 1 invented; fresh sets 1–5: 17 of 21; 5 of 10 (unseen); sprints 18
    of 19, hill sprints 16/16, fast repeats 6/7, 1 invented; 23 of 24; set 5 none invented.

    The rules' defaults are :func:`stride_values`'.

    Returns
    -------
    polars.DataFrame
        One row per stride: ``start``, ``end``, ``gait``, ``duration_s``, ``distance_m``,
        ``cadence_spm``, ``speed_mps``, ``step_length_m``, ``speed_gain_pct`` (distance over
        the effort's time over the session's median running speed [%]) and ``set_size``
        (similar efforts in its set, itself included).
    """
    found = stride_values(cleaned, **rules)
    if found is None:
        return _empty_episodes({"speed_gain_pct": pl.Float64, "set_size": pl.Int64})
    return _episode_frame(cleaned, found.starts, found.ends).hstack([
        pl.Series("speed_gain_pct", found.speed_gain_pct, dtype=pl.Float64),
        pl.Series("set_size", found.set_size, dtype=pl.Int64)])


class StrideValues(NamedTuple):
    """:func:`strides` as arrays, one value per stride."""

    starts: np.ndarray  # first sample
    ends: np.ndarray  # last sample
    speed_gain_pct: np.ndarray
    set_size: np.ndarray


def stride_values(cleaned: pl.DataFrame, *, min_gain: float = 0.15, min_s: float = 10.0,
                  max_s: float = 75.0, window_s: float = 10.0, settle_gain: float = 0.05,
                  context_s: float = 60.0, min_cadence_gain: float = 0.03,
                  min_set_cadence_gain: float = 0.01, min_set: int = 3,
                  max_recovery_s: float = 300.0, min_drop_m: float = 3.0
                  ) -> StrideValues | None:
    """:func:`strides` as arrays, without its frame (None when there is none); its rules
    and their defaults."""
    _need_cleaned(cleaned, "gait", "speed_mps")
    running = columns(cleaned).compare("gait", "run")
    w, speed, dist, cad, alt = _columns(cleaned, "sample_s", "speed_mps", "distance_m",
                                        "cadence_spm", "altitude_m")
    t = _elapsed(cleaned)
    if not np.isfinite(dist).any():  # no distance at all: speed × time
        dist = np.cumsum(np.nan_to_num(speed) * np.diff(t, prepend=t[:1]))
    dist = np.fmax.accumulate(np.where(np.isfinite(dist), dist, -np.inf))
    dist = np.where(np.isfinite(dist), dist, 0.0)
    ok = running & np.isfinite(speed)
    if ok.sum() < 10:
        return None
    base = weighted_median(speed[ok], w[ok])
    half = window_s / 2.0
    grid = whole_second_counts(t)  # 1 Hz records: windows found by lookup
    run_speed = np.where(running, speed, np.nan)
    smooth = window_mean(t, prefix_sums(run_speed), t - half, t + half, grid)
    with np.errstate(invalid="ignore"):
        quick = ok & (smooth >= base * (1.0 + settle_gain))
    starts, ends = _episodes(quick, t, bridge_s=5.0, min_s=min_s, max_s=None)
    # in a longer one (a warm-up quicker than walks and jogs), a flat effort quick against
    # its own median (a climb in it is no sprint)
    for a, b in zip(*(x[t[ends] - t[starts] > max_s] for x in (starts, ends)), strict=True):
        k = slice(a, b + 1)
        with np.errstate(invalid="ignore"):
            sub = quick[k] & (smooth[k] >= (1.0 + min_gain) * weighted_median(speed[k][ok[k]],
                                                                               w[k][ok[k]]))
        quick[k] = False
        for c, d in zip(*_episodes(sub, t[k], bridge_s=5.0, min_s=min_s, max_s=max_s), strict=True):
            quick[a + c:a + d + 1] = not abs(alt[a + d] - alt[a + c]) >= min_drop_m
    starts, ends = _episodes(quick, t, bridge_s=5.0, min_s=min_s, max_s=max_s)
    at_end = t[ends] >= t[-1]  # runs on to the end of the recording
    starts, ends = _trim(starts, ends, ok & (speed >= base * (1.0 + min_gain)))
    starts, ends = _around_peak(t, np.where(ok, speed, np.nan), smooth, starts, ends, base)
    span_s = t[ends] - t[starts]
    with np.errstate(invalid="ignore", divide="ignore"):
        v = (dist[ends] - dist[starts]) / span_s
        drop_m = alt[starts] - alt[ends]
        # a few metres over an effort are within the altitude's own error: flat
        drop_m = np.where(np.abs(drop_m) >= min_drop_m, drop_m, 0.0)
        drop_pct = 100.0 * drop_m / (dist[ends] - dist[starts])
        # the running before it: at the session's pace (a step up), not a progression's tail
        lead = window_mean(t, prefix_sums(run_speed, w), t[starts] - context_s,
                           t[starts] - 5.0, grid)
        step_up = ~(lead >= base * (1.0 + settle_gain))  # no running before: a step up
    keep = v >= base * (1.0 + settle_gain)  # each; a set's median or a lone effort: more
    starts, ends, span_s, v, drop_pct, at_end, step_up = (
        x[keep] for x in (starts, ends, span_s, v, drop_pct, at_end, step_up))
    # cadence: the effort's against the running around it (or the session's)
    c_ok = running & np.isfinite(cad)
    run_cad = np.where(c_ok, cad, np.nan)
    with np.errstate(invalid="ignore"):  # an effort's zeros are a dropout, not a step rate
        stepping = c_ok & (cad > 0)
    effort_cad = _core_median(t, np.where(stepping, cad, np.nan), starts, ends, trim_s=3.0)
    n_cad = window_mean(t, prefix_sums(stepping.astype(float)), t[starts] - 1e-9, t[ends],
                        grid)
    # the running around it, other efforts left out (a fartlek's surges are a minute apart)
    in_effort = np.zeros(t.size, dtype=bool)
    for a, b in zip(starts, ends, strict=True):
        in_effort[a:b + 1] = True
    around_cad = np.where(in_effort, np.nan, run_cad)
    around = prefix_sums(around_cad, w)
    (cad_before, ran_before), (cad_after, ran_after) = (
        window_sums(t, around, lo, hi, grid)
        for lo, hi in ((t[starts] - context_s, t[starts] - 5.0),
                       (t[ends] + 5.0, t[ends] + context_s)))
    with np.errstate(invalid="ignore", divide="ignore"):
        before, after = cad_before / ran_before, cad_after / ran_after
    # a side walked all but a few seconds (an effort's own run-out) tells nothing of the
    # running around it: under 10 s of it there, the other side or the session's decides
    before[ran_before < 10.0] = np.nan
    after[ran_after < 10.0] = np.nan
    c_out = c_ok & ~in_effort
    session_cad = weighted_median(cad[c_out], w[c_out]) if c_out.sum() >= 10 else np.nan
    context_cad = np.fmax(np.fmax(before, after), session_cad)
    has_cad = n_cad >= 0.5
    # recovery: distance over time from one effort's end to the other's start
    with np.errstate(invalid="ignore", divide="ignore"):
        rest = np.subtract.outer(dist[starts], dist[ends]) / np.subtract.outer(t[starts], t[ends])
    easy = np.fmin(rest, rest.T) <= base * (1.0 - settle_gain)
    # with cadence to confirm them, efforts of a fartlek (half the running fast, so the
    # median lies between jog and surge) need only a recovery min_gain slower than both
    slower = np.fmin(rest, rest.T) * (1.0 + min_gain) <= np.minimum.outer(v, v)
    easy |= slower & np.logical_and.outer(has_cad, has_cad)
    # the speed the effort would take on the flat (no altitude: flat): efforts up a hill
    # and on the flat are alike by it, not by their speeds
    flat_v = v * _cost_ratio(-np.nan_to_num(drop_pct) / 100.0)
    similar = ((np.maximum.outer(span_s, span_s) <= 2.0 * np.minimum.outer(span_s, span_s))
               & (np.maximum.outer(flat_v, flat_v) <= 1.25 * np.minimum.outer(flat_v, flat_v))
               & easy)
    similar &= ~np.logical_or.outer(at_end, at_end)  # an effort at the end joins no set
    label = _sets(t[starts], t[ends], similar, max_recovery_s)
    set_size = _set_sizes(label)
    with np.errstate(invalid="ignore", divide="ignore"):
        cad_ratio = np.where(has_cad, effort_cad / context_cad, np.nan)
        by_cadence = ((cad_ratio >= 1.0 + min_cadence_gain)
                      & (v >= base * (1.0 + 1.5 * min_gain)) & (flat_v >= base))
    by_set = np.zeros(starts.size, dtype=bool)
    for k in np.unique(label):
        member = label == k
        if member.sum() < min_set:
            continue
        fast = np.median(flat_v[member]) >= base * (1.0 + min_gain)
        timed = member & np.isfinite(cad_ratio)  # the set's cadence, where it was recorded
        if timed.any():  # members without cadence go with the set; the others need a rise
            ratio = np.where(timed, cad_ratio, np.inf)
            by_set |= (member & (ratio >= 1.0) & fast
                       & (np.median(cad_ratio[timed]) >= 1.0 + min_set_cadence_gain))
        elif fast:
            by_set |= member
    # an effort running on to the end stands alone: a finishing sprint, not a fast finish
    stride = np.where(at_end, by_cadence & step_up, by_cadence | by_set)
    if not stride.any():
        return None
    return StrideValues(starts[stride], ends[stride], 100.0 * (v[stride] / base - 1.0),
                        set_size[stride])


def _around_peak(t: np.ndarray, speed: np.ndarray, smooth: np.ndarray, starts: np.ndarray,
                 ends: np.ndarray, base: float, min_s: float = 5.0
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Each episode narrowed to the samples around its peak (of ``smooth``, so that one
    sample is not the peak) whose ``speed`` stays at least half-way from ``base`` to the
    episode's upper quartile — its width at half height: a 15-s sprint that runs on into
    slightly faster running is the sprint. Unchanged when that leaves less than ``min_s``
    seconds."""
    starts, ends = starts.copy(), ends.copy()
    for k, (a, b) in enumerate(zip(starts, ends, strict=True)):  # few episodes
        seg, top = speed[a:b + 1], smooth[a:b + 1]
        if not (np.isfinite(seg).any() and np.isfinite(top).any()):
            continue
        with np.errstate(invalid="ignore"):
            low = ~(seg >= base + 0.5 * (np.nanpercentile(seg, 75) - base))
        peak = int(np.nanargmax(top))
        if low[peak]:
            continue
        lo = peak - (np.flatnonzero(low[:peak][::-1])[:1].tolist() or [peak])[0]
        hi = peak + (np.flatnonzero(low[peak + 1:])[:1].tolist() or [seg.size - 1 - peak])[0]
        if t[a + hi] - t[a + lo] >= min_s:
            starts[k], ends[k] = a + lo, a + hi
    return starts, ends


def _cost_ratio(grade: np.ndarray) -> np.ndarray:
    """Energy cost of running per metre up (+) or down (−) a ``grade`` [m/m] over that on
    the flat (Minetti et al. 2002, doi:10.1152/japplphysiol.01177.2001; fitted for grades
    −0.45 to +0.45): a speed times this ratio is the flat speed of the same effort."""
    i = np.clip(grade, -0.45, 0.45)
    cost = (((((155.4 * i - 30.4) * i - 43.3) * i + 46.3) * i + 19.5) * i + 3.6)
    return cost / 3.6


def _came_back(xy: np.ndarray, fix: np.ndarray, first: tuple[int, int, int],
               then: tuple[int, int], same_place_m: float) -> bool:
    """Whether the runner came back down a hill between two climbs of it (``first``: foot,
    top and last samples; ``then``: foot and top): a fix in between heads down past the
    midpoint of either — the way they came up or the way they go up next — within
    ``same_place_m`` or half the foot-to-top distance, whichever is less. A lap of a loop
    goes on round instead. True without fixes in between or a climb too short to tell."""
    foot, top, end = first
    between = np.arange(end + 1, then[0])
    if not fix[between].any():
        return True
    heading = xy[np.minimum(between + 1, xy.shape[0] - 1)] - xy[between - 1]
    for a, b in ((foot, top), then):
        half = (a + b) // 2
        if not (fix[half] and fix[a] and fix[b]):
            return True
        radius = min(same_place_m, 0.5 * float(np.hypot(*(xy[b] - xy[a]))))
        off = xy[between] - xy[half]  # rows without a fix give NaN: never within radius
        with np.errstate(invalid="ignore"):
            down = (np.hypot(off[:, 0], off[:, 1]) <= radius) & (heading @ (xy[b] - xy[a]) < 0)
        if radius <= 0 or down.any():
            return True
    return False


def hills(cleaned: pl.DataFrame, **rules: float) -> pl.DataFrame:
    """Climbs of a session, and which of them repeat a hill (the clinic's hill reps).

    A climb is a moving stretch with ``grade_pct`` ≥ ``min_grade_pct`` (dips up to 10 s,
    or of one sample, bridged: smart recording may space samples 7 s apart) lasting
    ≥ ``min_s`` and gaining ≥ ``min_gain_m`` (a 30-s rep at 1.3 m/s up 6 % gains ~2 m),
    its foot and top read from the samples either side too; climbs joined by a landing
    (moving, under ``max_landing_s``, never 3 m — the altitude's error — below the top
    reached, above 3 m of climbing) are one: a hill with a flatter middle. Hill reps run up
    the same hill and go back down it (:mod:`runlab.plan`: 4–8 × 30 s up, walk down), so
    two climbs are the same hill when

    - they reach the same top (within max(3 m, half the smaller gain)) from feet within
      max(3 m, half the larger gain) — a rep may start lower down, or its first record
      late — gaining within a factor ``gain_ratio`` (a staircase of climbs is not);
    - with GPS positions (else altitude decides: treadmill inclines, imprecise fixes),
      the shorter one's foot and top lie within ``same_place_m`` (30 m; a fifth of its
      length on a long hill, whose foot and top are wide) of the other's track — rolling
      terrain climbs different hills in different places — and between them the runner
      came back down, heading down past the midpoint of either (the way they came, or the
      way they go up next) — laps of a loop, a track's oval, go on round instead;

    and a climb is a ``repeat`` when it is run (where cadence tells: the clinic's incline
    walks are not reps) in a set of ``min_reps`` (3) or more run climbs of the same hill,
    each starting within ``max_recovery_s`` (5 min of moving time) of the end of another
    (a walked climb of the hill keeps the set going; a loop run twice is too far apart).

    Measured (``benchmarks/smart_recording_efforts.py``, which holds the history): files
    simulated, written, read back (as for :func:`strides`): 96.1–100 % of 741 and
    96.5–100 % of 711 reps found (95.8 and 96.2 % before the landing, lower-foot,
    walked-rep, either-way-down and sparse-distance rules), none invented. Real files
    labelled by hand before it ran on them: none invented on the corpus's 8, 17 held-out
    and 21 fresh files (laps of a track's oval and of hilly loops, walked repeats, rolling
    terrain; set 5 scored once); set 3's run reps up four hills 36 of 36; set 4, six 1-s
    hill sessions thinned to 1–7 s: 8 of 31 before those rules, 31 of 31 after (seen).

    The rules' defaults are :func:`climb_values`'.

    Returns
    -------
    polars.DataFrame
        One row per climb: ``start``, ``end``, ``gait``, ``duration_s``, ``distance_m``,
        ``cadence_spm``, ``speed_mps``, ``step_length_m``, ``gain_m``, ``grade_pct``
        (mean over the climb [%]), ``repeat`` (bool) and ``set_size`` (climbs of the same
        hill in its set, itself included).
    """
    found = climb_values(cleaned, **rules)
    if found is None:
        return _empty_episodes({"gain_m": pl.Float64, "grade_pct": pl.Float64,
                                "repeat": pl.Boolean, "set_size": pl.Int64})
    return _episode_frame(cleaned, found.starts, found.ends,
                          {"gain_m": ("span", found.altitude_m),
                           "grade_pct": ("mean", found.grade_pct),
                           "repeat": ("given", found.repeat),
                           "set_size": ("given", found.set_size)})


class ClimbValues(NamedTuple):
    """:func:`hills`' climbs as arrays: one value per climb, or per sample of the session
    (``altitude_m``, ``grade_pct``)."""

    starts: np.ndarray  # first sample
    ends: np.ndarray  # last sample
    altitude_m: np.ndarray
    grade_pct: np.ndarray
    repeat: np.ndarray
    set_size: np.ndarray


def climb_values(cleaned: pl.DataFrame, *, min_grade_pct: float = 3.0,
                 min_gain_m: float = 1.0, min_s: float = 10.0, gain_ratio: float = 2.0,
                 same_place_m: float = 30.0, max_recovery_s: float = 300.0,
                 min_reps: int = 3, max_landing_s: float = 60.0) -> ClimbValues | None:
    """:func:`hills`' climbs as arrays, without its frame (None when there is none); its
    rules and their defaults."""
    _need_cleaned(cleaned, "grade_pct", "moving")
    grade, alt = _columns(cleaned, "grade_pct", "altitude_m")
    if not np.isfinite(grade).any():
        return None
    moving = columns(cleaned).raw("moving")
    with np.errstate(invalid="ignore"):
        up = moving & (grade >= min_grade_pct)
    t = _elapsed(cleaned)
    starts, ends = _episodes(up, t, bridge_s=10.0, min_s=0.0, max_s=None)
    starts, ends = _landings(t, alt, moving, starts, ends, max_s=max_landing_s, min_s=min_s)
    # foot and top from the samples either side too: sparse samples start a climb late
    wide = [(max(a - 1, 0), min(b + 1, alt.size - 1)) for a, b in zip(starts, ends, strict=True)]
    with np.errstate(invalid="ignore"):
        # few climbs (fmin/fmax.reduce: what nanmin/nanmax do for arrays, without a check)
        alt0 = np.array([np.fmin.reduce(alt[a:b + 1]) for a, b in wide])
        top = np.array([np.fmax.reduce(alt[a:b + 1]) for a, b in wide])
        big = top - alt0 >= min_gain_m
    starts, ends, alt0, top = starts[big], ends[big], alt0[big], top[big]
    if starts.size == 0:
        return None
    gain = top - alt0
    w, cad = _columns(cleaned, "sample_s", "cadence_spm")
    # reps are run, not walked; speed alone cannot tell an uphill jog from a brisk walk
    run_w = np.where(columns(cleaned).equals("gait", "run"), w, 0.0) \
        if "gait" in cleaned.columns and np.isfinite(cad).any() else w
    ran = np.array([run_w[a:b + 1].sum() >= 0.5 * w[a:b + 1].sum()
                    for a, b in zip(starts, ends, strict=True)])
    # the same top; a rep may start lower down (walked further down, a late first record)
    foot = np.maximum(3.0, 0.5 * np.maximum.outer(gain, gain))
    summit = np.maximum(3.0, 0.5 * np.minimum.outer(gain, gain))
    same = ((np.abs(np.subtract.outer(alt0, alt0)) <= foot)
            & (np.abs(np.subtract.outer(top, top)) <= summit)
            & (np.maximum.outer(gain, gain) <= gain_ratio * np.minimum.outer(gain, gain)))
    if {"lat_deg", "lon_deg"} <= set(cleaned.columns):
        xy = local_xy_m(*_columns(cleaned, "lat_deg", "lon_deg"))
        top_at = np.array([a + nanargmax(alt[a:b + 1])
                           for a, b in zip(starts, ends, strict=True)])
        fix = np.isfinite(xy[:, 0]) & np.isfinite(xy[:, 1])  # not .all(axis=1): slow
        # a long hill's foot and top are wide: the same within a fifth of its length
        length = np.hypot(*(xy[top_at] - xy[starts]).T)
        near = np.fmax(same_place_m, 0.2 * np.minimum.outer(length, length))
        for i in range(starts.size):
            track = xy[starts[i]:ends[i] + 1]
            for j in range(starts.size):
                if i != j and same[i, j] and gain[j] <= gain[i]:
                    # the shorter on the longer's track; no fix: the altitude's verdict
                    if any(distance_to_path_m(xy[k], track) > near[i, j]
                           for k in (starts[j], top_at[j])):
                        same[i, j] = same[j, i] = False
        for i, j in zip(*np.nonzero(np.triu(same, 1)), strict=True):
            if not _came_back(xy, fix, (starts[i], top_at[i], ends[i]),
                              (starts[j], top_at[j]), same_place_m):
                same[i, j] = same[j, i] = False
    moving_s = np.cumsum(np.nan_to_num(w))  # pauses left out
    # sets go on through a walked climb of the hill; reps: run climbs of a set of min_reps
    label = _sets(moving_s[starts], moving_s[ends], same, max_recovery_s)
    set_size = _set_sizes(label)
    run_reps = np.bincount(label, weights=ran, minlength=label.size)[label]
    return ClimbValues(starts, ends, alt, grade, ran & (run_reps >= min_reps), set_size)


def _landings(t: np.ndarray, alt: np.ndarray, moving: np.ndarray, starts: np.ndarray,
              ends: np.ndarray, *, max_s: float, min_s: float, max_dip_m: float = 3.0
              ) -> tuple[np.ndarray, np.ndarray]:
    """Climbs one after another joined where the way between is a landing of one hill:
    moving (a stop starts a new climb), under ``max_s``, never ``max_dip_m`` (the
    altitude's error) below the top reached, above a climb of more than that; those
    lasting ``min_s`` or more."""
    ends, keep = ends.copy(), np.ones(starts.size, dtype=bool)
    first = 0
    with np.errstate(invalid="ignore"):
        for k in range(1, starts.size):  # few climbs
            top = np.fmax.reduce(alt[starts[first]:ends[k - 1] + 1])
            low = np.fmin.reduce(alt[ends[k - 1]:starts[k] + 1])
            below = top - np.fmin.reduce(alt[starts[first]:ends[k - 1] + 1])
            if (t[starts[k]] - t[ends[k - 1]] <= max_s and low >= top - max_dip_m
                    and below >= max_dip_m and moving[ends[k - 1]:starts[k]].all()):
                keep[k] = False
                ends[first] = ends[k]
            else:
                first = k
    keep &= t[ends] - t[starts] >= min_s
    return starts[keep], ends[keep]


def _empty_episodes(extra: dict) -> pl.DataFrame:
    """No episodes: the segment columns and ``extra`` (name → dtype), no rows."""
    return _empty_template(tuple(extra.items())).clear()


@functools.lru_cache(maxsize=16)
def _empty_template(extra: tuple) -> pl.DataFrame:  # a frame from a schema costs ~20 µs
    return pl.DataFrame(schema={**_SEGMENT_SCHEMA, **dict(extra)})


def _rules_of(frame_fn, values_fn) -> None:
    """Show ``frame_fn`` (which passes ``**rules`` on to ``values_fn``) with the keyword
    rules of ``values_fn`` and their defaults as its signature (``help``,
    :func:`inspect.signature`)."""
    own = inspect.signature(frame_fn)
    rules = [p for p in inspect.signature(values_fn).parameters.values()
             if p.kind is inspect.Parameter.KEYWORD_ONLY]
    frame_fn.__signature__ = own.replace(parameters=[
        *(p for p in own.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD),
        *rules])


_rules_of(walk_run_pattern, pattern_values)
_rules_of(strides, stride_values)
_rules_of(hills, climb_values)
