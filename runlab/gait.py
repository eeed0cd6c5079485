"""Gait structure of a session: run/walk/stop segments, walk–run pattern, strides, hills.

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

__all__ = ["segments", "walk_run_pattern", "strides", "hills", "steps", "step_records",
           "footfalls", "footfall_summary", "PATTERNS", "STEP_BAND_HZ", "FOOTFALL_BAND_HZ"]

#: The clinic's walk–run progressions (run minutes : walk minutes), CLINIC.md / SCIENCE.md.
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
    ``speed / (cadence / 60)`` of those means (SCIENCE.md); distance is the rise of
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
    around them. ``run_walk_ratio`` is the median run interval over the
    median walk interval in that block (a 2:1 session of 2-min runs and 1-min walks gives 2.0
    whatever the number of repeats). The pattern is ``"continuous"`` when walking is under
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
        One row: ``pattern``, ``run_walk_ratio`` (null when continuous or no running),
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
    ratio = run_med / walk_med
    name, target = min(PATTERNS.items(), key=lambda kv: abs(np.log(ratio / kv[1])))
    pattern = name if abs(ratio / target - 1.0) <= tolerance else "other"
    return _pattern_row(pattern, ratio, run_med, walk_med, run.size, walk.size, run_s, walk_s)


def _pattern_row(pattern, ratio, run_med, walk_med, n_run, n_walk, run_s, walk_s):
    return pl.DataFrame({
        "pattern": [pattern], "run_walk_ratio": [ratio], "run_interval_s": [run_med],
        "walk_interval_s": [walk_med], "run_intervals": [n_run], "walk_intervals": [n_walk],
        "run_s": [run_s], "walk_s": [walk_s],
    }, schema={"pattern": pl.String, "run_walk_ratio": pl.Float64,
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
            max_s: float = 60.0, smooth_n: int = 5) -> pl.DataFrame:
    """Short fast efforts (the clinic's 30-second strides) with cadence and step length.

    A stride is a running stretch whose speed (centred mean of ``smooth_n`` running samples)
    is at least ``min_gain`` (15 %) above the session's median running speed for
    ``min_s``–``max_s`` seconds (dips under 3 s are bridged). Longer fast stretches are
    tempo or progression running, not strides.

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
    with np.errstate(invalid="ignore"):
        fast = running & (smooth >= base * (1.0 + min_gain))
    starts, ends = _episodes(fast, _elapsed(cleaned), bridge_s=3.0, min_s=min_s, max_s=max_s)
    out = _episode_frame(cleaned, starts, ends)
    gain = 100.0 * (out["speed_mps"].to_numpy().astype(np.float64) / base - 1.0)
    return out.hstack([pl.Series("speed_gain_pct", gain, dtype=pl.Float64)])


def hills(cleaned: pl.DataFrame, *, min_grade_pct: float = 3.0, min_gain_m: float = 1.0,
          min_s: float = 15.0, gain_ratio: float = 2.0) -> pl.DataFrame:
    """Climbs of a session, and which of them repeat a hill (the clinic's hill reps).

    A climb is a moving stretch with ``grade_pct`` ≥ ``min_grade_pct`` (dips up to 10 s
    bridged) lasting ≥ ``min_s`` and gaining ≥ ``min_gain_m`` (a 30-s rep at 1.3 m/s up
    6 % gains ~2 m). A climb is a ``repeat`` when another climb of the session gains
    within a factor ``gain_ratio`` of it from the same foot of the hill: a start altitude
    within max(3 m, half the gain). Altitude, not GPS, decides, so treadmill inclines and
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
    foot = np.maximum(3.0, 0.5 * np.minimum(gain[:, None], gain[None, :]))
    same_place = np.abs(alt0[:, None] - alt0[None, :]) <= foot
    similar = (np.maximum(gain[:, None], gain[None, :])
               <= gain_ratio * np.minimum(gain[:, None], gain[None, :]))
    repeat = (same_place & similar & ~np.eye(gain.size, dtype=bool)).any(axis=1)
    return _episode_frame(cleaned, starts, ends, {"gain_m": ("span", alt),
                                                  "grade_pct": ("mean", grade),
                                                  "repeat": ("given", repeat)})


def _empty_episodes(extra: dict) -> pl.DataFrame:
    return pl.DataFrame(schema={**_SEGMENT_SCHEMA, **extra})


# --- steps from a phone accelerometer (issue 15) -----------------------------------------------

#: Step-frequency band [Hz]: 42–240 steps/min covers slow walking to sprinting.
STEP_BAND_HZ = (0.7, 4.0)


def steps(imu: pl.DataFrame, *, band_hz: tuple[float, float] = STEP_BAND_HZ,
          rate_hz: float = 100.0, min_prominence_mps2: float = 0.3,
          relative_prominence: float = 0.25, max_gap_s: float = 0.5) -> pl.DataFrame:
    """Step events from a phone's accelerometer (:func:`runlab.read_imu` frame).

    Method (orientation-free, so a pocket, armband or hand all work):

    1. the acceleration magnitude ``|a|`` is interpolated onto a regular ``rate_hz`` grid
       (phones sample irregularly; gaps over ``max_gap_s`` are left out);
    2. a zero-phase 2nd-order Butterworth band-pass ``band_hz`` (0.7–4 Hz, i.e. 42–240
       steps/min) removes gravity, drift and hand tremor;
    3. peaks at least 0.25 s apart whose prominence exceeds both ``min_prominence_mps2``
       and ``relative_prominence`` × the local RMS of the filtered signal (±2 s) are step
       candidates — the threshold adapts to how hard the phone is shaken;
    4. of two candidates closer than 0.6 × the local step interval (median of the
       surrounding intervals), the weaker is dropped (heel-strike double bumps).

    Returns
    -------
    polars.DataFrame
        One row per step: ``time_s`` [s from the first sample], ``timestamp`` (UTC, null
        for a relative clock), ``interval_s`` (time since the previous step; null for the
        first of a bout) and ``prominence_mps2`` [m/s²].
    """
    from scipy import signal

    for col in ("time_s", "acc_x_mps2", "acc_y_mps2", "acc_z_mps2"):
        if col not in imu.columns:
            raise SchemaError(f"expected an IMU frame (runlab.read_imu) with column {col!r}; "
                              f"has {imu.columns}")
    t = imu["time_s"].to_numpy().astype(np.float64)
    acc = imu.select("acc_x_mps2", "acc_y_mps2", "acc_z_mps2").to_numpy().astype(np.float64)
    empty = pl.DataFrame(schema={"time_s": pl.Float64, "timestamp": schema.TIMESTAMP,
                                 "interval_s": pl.Float64, "prominence_mps2": pl.Float64})
    if t.size < 2 or t[-1] - t[0] < 2.0:
        return empty
    grid = np.arange(t[0], t[-1], 1.0 / rate_hz)
    magnitude = np.interp(grid, t, np.linalg.norm(acc, axis=1))
    k = np.clip(np.searchsorted(t, grid, side="right") - 1, 0, t.size - 2)
    in_gap = (t[k + 1] - t[k]) > max_gap_s
    magnitude[in_gap] = np.median(magnitude)  # flat through gaps: no steps there
    sos = signal.butter(2, band_hz, btype="bandpass", fs=rate_hz, output="sos")
    y = signal.sosfiltfilt(sos, magnitude)
    y[in_gap] = 0.0
    half = int(2.0 * rate_hz)
    rms = np.sqrt(centred_mean(y * y, half))
    peaks, props = signal.find_peaks(y, distance=max(1, int(0.25 * rate_hz)),
                                     prominence=min_prominence_mps2)
    prominence = props["prominences"]
    strong = prominence >= relative_prominence * rms[peaks]
    peaks, prominence = peaks[strong], prominence[strong]
    keep = _drop_double_bumps(grid[peaks], prominence)
    at = grid[peaks][keep]
    interval = np.diff(at, prepend=np.nan)
    interval[interval > 2.0] = np.nan  # a new bout after a 2-s pause
    stamps = imu["timestamp"]
    if stamps.null_count() == stamps.len():
        ts = pl.Series("timestamp", [None] * at.size, dtype=schema.TIMESTAMP)
    else:
        first_us = epoch_us(stamps.drop_nulls().head(1))[0] - int(round(t[0] * 1e6))
        ts = timestamps("timestamp", first_us + np.round(at * 1e6).astype(np.int64))
    return pl.DataFrame([pl.Series("time_s", at), ts,
                         pl.Series("interval_s", interval, nan_to_null=True),
                         pl.Series("prominence_mps2", prominence[keep])])


def _drop_double_bumps(at: np.ndarray, strength: np.ndarray, *, fraction: float = 0.6,
                       neighbours: int = 4) -> np.ndarray:
    """Mask of peaks kept: of two closer than ``fraction`` × the local median interval,
    the weaker goes."""
    if at.size < 3:
        return np.ones(at.size, dtype=bool)
    gaps = np.diff(at)
    pad = np.pad(gaps, neighbours, mode="edge")
    local = np.median(np.lib.stride_tricks.sliding_window_view(pad, 2 * neighbours + 1),
                      axis=1)  # local median interval around each gap
    keep = np.ones(at.size, dtype=bool)
    last = 0
    for i in range(1, at.size):  # sequential by nature; steps are few (≤ 4 per second)
        if at[i] - at[last] < fraction * local[i - 1]:
            if strength[i] > strength[last]:
                keep[last] = False
                last = i
            else:
                keep[i] = False
        else:
            last = i
    return keep


def step_records(step_events: pl.DataFrame, *, every_s: float = 1.0, window_steps: int = 4,
                 max_gap_s: float = 2.0, start_time=None) -> pl.DataFrame:
    """Canonical records (:data:`runlab.schema.RECORDS`) with ``cadence_spm`` from steps.

    On a grid of ``every_s`` seconds, cadence is 60 / the median interval of the
    ``window_steps`` steps either side [steps/min], and 0 where the nearest step is more
    than ``max_gap_s`` away (standing). All other sensors are null, so :func:`runlab.clean`,
    :func:`segments`, :func:`runlab.summarize` and the charts work on phone data.

    Timestamps are the steps' own (absolute phone clock) or ``start_time`` + ``time_s``;
    with neither, they count from 1970-01-01 UTC (a relative clock).
    """
    for col in ("time_s", "timestamp", "interval_s"):
        if col not in step_events.columns:
            raise SchemaError(f"expected step events (runlab.gait.steps) with column {col!r}; "
                              f"has {step_events.columns}")
    at = step_events["time_s"].to_numpy().astype(np.float64)
    if at.size < 2:
        return schema.empty("records")
    grid = np.arange(np.floor(at[0]), at[-1] + every_s, every_s)
    interval = np.diff(at)
    mid = (at[1:] + at[:-1]) / 2  # each interval sits between its two steps
    pos = np.searchsorted(mid, grid)
    lo = np.clip(pos - window_steps, 0, interval.size)
    hi = np.clip(pos + window_steps, 0, interval.size)
    valid = interval <= max_gap_s
    med = np.array([np.median(interval[a:b][valid[a:b]]) if valid[a:b].any() else np.nan
                    for a, b in zip(lo, hi, strict=True)])
    nearest = np.min(np.abs(at[np.clip(np.searchsorted(at, grid)[:, None] + [-1, 0], 0,
                                       at.size - 1)] - grid[:, None]), axis=1)
    cadence = np.where(nearest <= max_gap_s, 60.0 / med, 0.0)
    cadence = np.where(np.isfinite(cadence), cadence, 0.0)
    stamps = step_events["timestamp"]
    if start_time is not None:
        origin_us = int(round(start_time.timestamp() * 1e6))
    elif stamps.null_count() == 0:  # absolute phone clock: time_s 0 is this instant
        origin_us = int(epoch_us(stamps)[0] - round(at[0] * 1e6))
    else:
        origin_us = 0  # relative clock: from 1970-01-01 UTC
    rec = pl.DataFrame([timestamps("timestamp", origin_us + np.round(grid * 1e6)
                                   .astype(np.int64)),
                        pl.Series("elapsed_s", grid - grid[0]),
                        pl.Series("cadence_spm", cadence)])
    return schema.conform(rec, "records")


# --- footfalls from sound (issue 15) -----------------------------------------------------------

#: Footfall band [Hz]: the thud of a landing sits in the low mids; wind rumble is below it.
FOOTFALL_BAND_HZ = (60.0, 5000.0)


def footfalls(audio, *, band_hz: tuple[float, float] = FOOTFALL_BAND_HZ,
              window_s: float = 0.010, hop_s: float = 0.0025, min_interval_s: float = 0.25,
              rise_db: float = 6.0, min_above_floor_db: float = 10.0) -> pl.DataFrame:
    """Footfall onsets and their loudness from the sound of a run.

    ``audio`` is an :class:`runlab.io.audio.Audio` (:func:`runlab.io.audio.read_audio`: a
    WAV file or a video's soundtrack).

    Method: band-pass ``band_hz`` (4th-order Butterworth, zero phase) → short-time RMS level
    [dBFS] over ``window_s`` windows every ``hop_s`` → onset strength = rise of the level
    over the previous 20 ms. An onset is a local maximum of the strength that rises at
    least ``rise_db`` above the median strength of the surrounding 2 s (adaptive to the
    noise), reaches ``min_above_floor_db`` over the noise floor (the 20th percentile level
    of the recording), and is at least ``min_interval_s`` after the previous one (240
    steps/min at most). Its time is the start of the window where the level first climbs
    halfway (in dB) from the level before the onset to the peak that follows.

    Loudness is the footfall's peak RMS level within 60 ms of the onset [dBFS]: quieter
    landings score lower (the clinic's "landing quietness"). Levels are relative to the
    recording — compare sessions recorded with the same phone at the same distance.

    Returns
    -------
    polars.DataFrame
        One row per footfall: ``time_s`` [s], ``loudness_db`` [dBFS], ``interval_s`` (to the
        previous footfall, null for the first or after a 2-s pause) and ``cadence_spm``
        (60 / interval).
    """
    from scipy import signal

    x = np.asarray(audio.samples, dtype=np.float64)
    fs = float(audio.rate_hz)
    empty = pl.DataFrame(schema={"time_s": pl.Float64, "loudness_db": pl.Float64,
                                 "interval_s": pl.Float64, "cadence_spm": pl.Float64})
    if x.size < int(0.5 * fs):
        return empty
    hi = min(band_hz[1], 0.45 * fs)
    sos = signal.butter(4, (band_hz[0], hi), btype="bandpass", fs=fs, output="sos")
    y = signal.sosfiltfilt(sos, x)
    win, hop = max(1, int(round(window_s * fs))), max(1, int(round(hop_s * fs)))
    power = np.lib.stride_tricks.sliding_window_view(y * y, win)[::hop].mean(axis=1)
    level = 10.0 * np.log10(power + 1e-12)  # dBFS of each window
    lag = max(1, int(round(0.020 / hop_s)))
    strength = np.r_[np.zeros(lag), level[lag:] - level[:-lag]]
    floor = np.percentile(level, 20)
    span = int(round(1.0 / hop_s))
    local = signal.medfilt(strength, 2 * (span // 2) + 1) if strength.size > span else \
        np.full(strength.size, np.median(strength))
    peaks, _ = signal.find_peaks(strength, height=local + rise_db,
                                 distance=max(1, int(min_interval_s / hop_s)))
    after = max(1, int(round(0.060 / hop_s)))
    peak_level = np.array([level[p:p + after].max() for p in peaks]) if peaks.size else \
        np.zeros(0)
    loud = peak_level >= floor + min_above_floor_db
    peaks, peak_level = peaks[loud], peak_level[loud]
    onsets = np.empty(peaks.size)
    for i, p in enumerate(peaks):  # onsets are few (≤ 4 per second)
        before = level[max(0, p - lag)]
        half = before + 0.5 * (peak_level[i] - before)
        seg = level[max(0, p - lag):p + after]
        first = int(np.argmax(seg >= half))
        onsets[i] = ((max(0, p - lag) + first) * hop + win / 2) / fs  # exact hop, not hop_s
    interval = np.diff(onsets, prepend=np.nan)
    interval[interval > 2.0] = np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        cadence = 60.0 / interval
    return pl.DataFrame([pl.Series("time_s", onsets), pl.Series("loudness_db", peak_level),
                         pl.Series("interval_s", interval, nan_to_null=True),
                         pl.Series("cadence_spm", cadence, nan_to_null=True)])


def footfall_summary(found: pl.DataFrame) -> pl.DataFrame:
    """One row per recording: ``footfalls``, ``cadence_spm`` (60 / median interval),
    ``loudness_db`` (median) and ``loudness_p90_db`` (the loudest tenth) [dBFS], and
    ``loudness_sd_db`` (how even the landings are) — for comparing sessions."""
    interval = found["interval_s"].drop_nulls()
    return pl.DataFrame({
        "footfalls": [found.height],
        "cadence_spm": [60.0 / interval.median() if interval.len() else None],
        "loudness_db": [found["loudness_db"].median()],
        "loudness_p90_db": [found["loudness_db"].quantile(0.9) if found.height else None],
        "loudness_sd_db": [found["loudness_db"].std() if found.height > 1 else None],
    }, schema={"footfalls": pl.Int64, "cadence_spm": pl.Float64, "loudness_db": pl.Float64,
               "loudness_p90_db": pl.Float64, "loudness_sd_db": pl.Float64})
