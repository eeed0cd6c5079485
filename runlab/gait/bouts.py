"""Bouts of a cleaned session: run/walk/stop segments, walk–run pattern, strides, hills.

All functions take cleaned records (:func:`runlab.clean`) and return polars frames with
units in the column names. Segment ``duration_s`` is the recorded time of its samples
(``sample_s`` summed), so pauses and recording gaps do not count.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from runlab import schema
from runlab._series import centred_mean, epoch_us, run_lengths, timestamps
from runlab.errors import SchemaError

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
    """Float columns as float64 arrays (NaN for null)."""
    return [cleaned[c].to_numpy().astype(np.float64) for c in names]


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
        return pl.DataFrame(schema={**_SEGMENT_SCHEMA, **{
            k: pl.Boolean if kind == "given" else pl.Float64
            for k, (kind, _) in (extra or {}).items()}})
    w, cad, speed, dist = _columns(cleaned, "sample_s", "cadence_spm", "speed_mps",
                                   "distance_m")
    edges = np.column_stack([starts, ends + 1]).ravel()

    def total(x: np.ndarray) -> np.ndarray:  # sums over episodes (NaN-free x)
        return np.add.reduceat(np.append(x, 0.0), edges)[::2]

    def wmean(x: np.ndarray) -> np.ndarray:
        ok = np.isfinite(x)
        with np.errstate(invalid="ignore", divide="ignore"):
            return total(np.where(ok, x * w, 0.0)) / total(np.where(ok, w, 0.0))

    def span(x: np.ndarray) -> np.ndarray:
        padded = np.append(x, np.nan)
        with np.errstate(invalid="ignore"):
            return (np.fmax.reduceat(padded, edges)[::2] - np.fmin.reduceat(padded, edges)[::2])

    label = cleaned["gait"].to_numpy() if "gait" in cleaned.columns else None
    if label is not None:
        counts = np.stack([total((label == g).astype(np.float64)) for g in _GAITS])
        majority = np.array(_GAITS, dtype=object)[np.argmax(counts, axis=0)]
    else:
        majority = np.full(starts.size, None, dtype=object)
    c, v = wmean(cad), wmean(speed)
    with np.errstate(invalid="ignore", divide="ignore"):
        step = v / (c / 60.0)
    us = epoch_us(cleaned["timestamp"])
    how = {"span": span, "mean": wmean, "given": lambda x: x}
    return pl.DataFrame([
        timestamps("start", us[starts]), timestamps("end", us[ends]),
        pl.Series("gait", majority, dtype=pl.String),
        pl.Series("duration_s", total(w), dtype=pl.Float64),
        pl.Series("distance_m", span(dist), nan_to_null=True),
        pl.Series("cadence_spm", c, nan_to_null=True),
        pl.Series("speed_mps", v, nan_to_null=True),
        pl.Series("step_length_m", step, nan_to_null=True),
        *(pl.Series(name, how[kind](x), nan_to_null=kind != "given")
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
    starts, lengths = run_lengths(cleaned["gait"].to_numpy())
    return _episode_frame(cleaned, starts, starts + lengths - 1)


def walk_run_pattern(cleaned_or_segments: pl.DataFrame, *, tolerance: float = 0.2,
                     continuous_walk_fraction: float = 0.10,
                     min_interval_s: float = 45.0) -> pl.DataFrame:
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
    frame = cleaned_or_segments
    if "duration_s" in frame.columns:  # a segments frame
        label = frame["gait"].to_numpy()
        dur = frame["duration_s"].to_numpy().astype(np.float64)
    else:
        _need_cleaned(frame, "gait")
        label = frame["gait"].to_numpy()
        starts, lengths = run_lengths(label)
        w = np.append(frame["sample_s"].to_numpy().astype(np.float64), 0.0)
        dur = np.add.reduceat(w, starts) if starts.size else np.zeros(0)
        label = label[starts]
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
        return _pattern_row("none", None, None, None, 0, 0, 0.0, 0.0)
    block = slice(int(runs_at[0]), int(runs_at[-1]) + 1)
    lab, d = label[block], dur[block]
    interval = (lab == "run") & (d >= min(min_interval_s, d[lab == "run"].max()))
    # a walk counts when it separates two intervals (not the recovery after a drill)
    after_interval = np.r_[False, interval[:-1]]
    before_interval = np.r_[interval[1:], False]
    run = d[interval]
    walk = d[(lab == "walk") & after_interval & before_interval]
    run_s, walk_s = float(run.sum()), float(walk.sum())
    run_med = float(np.median(run))
    walk_med = float(np.median(walk)) if walk.size else None
    if walk_s <= continuous_walk_fraction * (run_s + walk_s):
        return _pattern_row("continuous", None, run_med, walk_med, run.size, walk.size,
                            run_s, walk_s)
    ratio = run_walk_ratio(run, walk)
    name, target = min(PATTERNS.items(), key=lambda kv: abs(np.log(ratio / kv[1])))
    pattern = name if abs(ratio / target - 1.0) <= tolerance else "other"
    return _pattern_row(pattern, ratio, run_med, walk_med, run.size, walk.size, run_s, walk_s)


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
    return pl.DataFrame({
        "pattern": [pattern], "run_walk_ratio": [ratio], "run_walk_time_ratio": [time_ratio],
        "run_interval_s": [run_med],
        "walk_interval_s": [walk_med], "run_intervals": [n_run], "walk_intervals": [n_walk],
        "run_s": [run_s], "walk_s": [walk_s],
    }, schema={"pattern": pl.String, "run_walk_ratio": pl.Float64,
               "run_walk_time_ratio": pl.Float64,
               "run_interval_s": pl.Float64, "walk_interval_s": pl.Float64,
               "run_intervals": pl.Int64, "walk_intervals": pl.Int64,
               "run_s": pl.Float64, "walk_s": pl.Float64})


def _episodes(mask: np.ndarray, t: np.ndarray, *, bridge_s: float, min_s: float,
              max_s: float | None) -> tuple[np.ndarray, np.ndarray]:
    """First and last sample of each run of ``mask`` (runs closer than ``bridge_s`` joined)
    that lasts ``min_s``–``max_s`` seconds."""
    starts, lengths = run_lengths(mask)
    on = mask[starts] if starts.size else np.zeros(0, bool)
    s, e = starts[on], starts[on] + lengths[on] - 1
    if s.size == 0:
        return s, e
    join = t[s[1:]] - t[e[:-1]] <= bridge_s  # gap to the previous run is short
    first = np.r_[True, ~join]
    s, e = s[first], e[np.r_[~join, True]]
    dur = t[e] - t[s]
    keep = (dur >= min_s) & (dur <= (np.inf if max_s is None else max_s))
    return s[keep], e[keep]


def _elapsed(cleaned: pl.DataFrame) -> np.ndarray:
    us = epoch_us(cleaned["timestamp"]).astype(np.float64)
    return (us - us[0]) / 1e6 if us.size else us


def strides(cleaned: pl.DataFrame, *, min_gain: float = 0.15, min_s: float = 15.0,
            max_s: float = 60.0, smooth_n: int = 5, settle_gain: float = 0.05,
            ramp_s: float = 30.0) -> pl.DataFrame:
    """Short fast efforts (the clinic's 30-second strides) with cadence and step length.

    A stride is a running stretch whose speed (centred mean of ``smooth_n`` running samples)
    is at least ``min_gain`` (15 %) above the session's median running speed for
    ``min_s``–``max_s`` seconds (dips under 3 s are bridged), and stands alone: the
    stretch around it still ``settle_gain`` (5 %) above that median, acceleration and
    easing off included, lasts at most ``max_s`` + ``ramp_s``. Longer fast stretches are
    tempo or progression running, or a hilly session's faster running on the flat, not
    strides (on real smart-recording files these made up every invented stride).

    Returns
    -------
    polars.DataFrame
        One row per stride: ``start``, ``end``, ``gait``, ``duration_s``, ``distance_m``,
        ``cadence_spm``, ``speed_mps``, ``step_length_m`` and ``speed_gain_pct`` (speed over
        the session's median running speed [%]).
    """
    _need_cleaned(cleaned, "gait", "speed_mps")
    running = (cleaned["gait"] == "run").to_numpy()
    speed = cleaned["speed_mps"].to_numpy().astype(np.float64)
    run_speed = speed[running & np.isfinite(speed)]
    if run_speed.size < 10:
        return _empty_episodes({"speed_gain_pct": pl.Float64})
    base = float(np.median(run_speed))
    smooth = centred_mean(np.where(running, speed, np.nan), smooth_n // 2)  # running only
    t = _elapsed(cleaned)
    with np.errstate(invalid="ignore"):
        fast = running & (smooth >= base * (1.0 + min_gain))
        quick = running & (smooth >= base * (1.0 + settle_gain))
    starts, ends = _episodes(fast, t, bridge_s=3.0, min_s=min_s, max_s=max_s)
    q_start, q_end = _episodes(quick, t, bridge_s=3.0, min_s=0.0, max_s=None)
    around = np.searchsorted(q_start, starts, side="right") - 1  # quick stretch holding it
    alone = (t[q_end[around]] - t[q_start[around]] <= max_s + ramp_s) if starts.size else \
        np.zeros(0, dtype=bool)
    out = _episode_frame(cleaned, starts[alone], ends[alone])
    gain = 100.0 * (out["speed_mps"].to_numpy().astype(np.float64) / base - 1.0)
    return out.hstack([pl.Series("speed_gain_pct", gain, dtype=pl.Float64)])


def hills(cleaned: pl.DataFrame, *, min_grade_pct: float = 3.0, min_gain_m: float = 1.0,
          min_s: float = 15.0, gain_ratio: float = 2.0) -> pl.DataFrame:
    """Climbs of a session, and which of them repeat a hill (the clinic's hill reps).

    A climb is a moving stretch with ``grade_pct`` ≥ ``min_grade_pct`` (dips up to 10 s
    bridged) lasting ≥ ``min_s`` and gaining ≥ ``min_gain_m`` (a 30-s rep at 1.3 m/s up
    6 % gains ~2 m). A climb is a ``repeat`` when another climb of the session gains
    within a factor ``gain_ratio`` of it from the same foot to the same top of the hill: start
    and top altitudes each within max(3 m, half the gain). Altitude, not GPS, decides, so treadmill inclines and
    imprecise fixes work; a climb staircase (each climb starting higher) gives no repeats.

    Returns
    -------
    polars.DataFrame
        One row per climb: ``start``, ``end``, ``gait``, ``duration_s``, ``distance_m``,
        ``cadence_spm``, ``speed_mps``, ``step_length_m``, ``gain_m``, ``grade_pct``
        (mean over the climb [%]) and ``repeat`` (bool).
    """
    _need_cleaned(cleaned, "grade_pct", "moving")
    grade, alt = _columns(cleaned, "grade_pct", "altitude_m")
    if not np.isfinite(grade).any():
        return _empty_episodes({"gain_m": pl.Float64, "grade_pct": pl.Float64,
                                "repeat": pl.Boolean})
    with np.errstate(invalid="ignore"):
        up = cleaned["moving"].to_numpy() & (grade >= min_grade_pct)
    starts, ends = _episodes(up, _elapsed(cleaned), bridge_s=10.0, min_s=min_s, max_s=None)
    with np.errstate(invalid="ignore"):
        gain = np.array([np.nanmax(alt[a:b + 1]) - np.nanmin(alt[a:b + 1])
                         for a, b in zip(starts, ends, strict=True)])  # few climbs
        big = gain >= min_gain_m
    starts, ends, gain = starts[big], ends[big], gain[big]
    alt0 = alt[starts]
    top = alt0 + gain
    foot = np.maximum(3.0, 0.5 * np.minimum(gain[:, None], gain[None, :]))
    same_place = ((np.abs(alt0[:, None] - alt0[None, :]) <= foot)
                  & (np.abs(top[:, None] - top[None, :]) <= foot))
    similar = (np.maximum(gain[:, None], gain[None, :])
               <= gain_ratio * np.minimum(gain[:, None], gain[None, :]))
    repeat = (same_place & similar & ~np.eye(gain.size, dtype=bool)).any(axis=1)
    return _episode_frame(cleaned, starts, ends, {"gain_m": ("span", alt),
                                                  "grade_pct": ("mean", grade),
                                                  "repeat": ("given", repeat)})


def _empty_episodes(extra: dict) -> pl.DataFrame:
    return pl.DataFrame(schema={**_SEGMENT_SCHEMA, **extra})
