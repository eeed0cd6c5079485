"""Gait structure of a session: run/walk/stop segments, walk–run pattern, strides, hills.

All functions take cleaned records (:func:`runlab.clean`) and return polars frames with
units in the column names. Segment ``duration_s`` is the recorded time of its samples
(``sample_s`` summed), so pauses and recording gaps do not count.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from runlab import geo, schema
from runlab.clean import run_lengths
from runlab.errors import SchemaError

__all__ = ["segments", "walk_run_pattern", "strides", "hills", "PATTERNS"]

#: The clinic's walk–run progressions (run minutes : walk minutes), CLINIC.md / SCIENCE.md.
PATTERNS = {"1:1": 1.0, "2:1": 2.0, "3:1": 3.0}

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


def _episode_frame(cleaned: pl.DataFrame, ids: np.ndarray, extra: dict | None = None
                   ) -> pl.DataFrame:
    """Aggregate samples grouped by episode id (-1 = none) into one row per episode.

    Cadence and speed are time-weighted means (weights ``sample_s``); step length is
    ``speed / (cadence / 60)`` of those means (SCIENCE.md).
    """
    w = pl.col("sample_s")
    frame = cleaned.with_columns(_id=pl.Series(ids)).filter(pl.col("_id") >= 0)

    def wmean(col: str) -> pl.Expr:
        ok = pl.col(col).is_not_null()
        return ((pl.col(col) * w).filter(ok).sum() / w.filter(ok).sum()).alias(col)

    out = (frame.group_by("_id", maintain_order=True)
           .agg(start=pl.col("timestamp").first(), end=pl.col("timestamp").last(),
                gait=pl.col("gait").mode().first() if "gait" in frame.columns
                else pl.lit(None, pl.String),
                duration_s=w.sum(),
                distance_m=pl.col("distance_m").max() - pl.col("distance_m").min(),
                **{c: wmean(c) for c in ("cadence_spm", "speed_mps")},
                **(extra or {}))
           .with_columns(step_length_m=pl.col("speed_mps") / (pl.col("cadence_spm") / 60.0))
           .drop("_id"))
    return out.with_columns(pl.col(c).cast(t) for c, t in _SEGMENT_SCHEMA.items())


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
    label = cleaned["gait"].to_numpy()
    starts, lengths = run_lengths(label)
    ids = np.repeat(np.arange(starts.size), lengths)
    if ids.size == 0:
        return pl.DataFrame(schema=_SEGMENT_SCHEMA)
    return _episode_frame(cleaned, ids).select(*_SEGMENT_SCHEMA)


def walk_run_pattern(cleaned_or_segments: pl.DataFrame, *, tolerance: float = 0.2,
                     continuous_walk_fraction: float = 0.10) -> pl.DataFrame:
    """Measured run:walk ratio and interval lengths, matched to the clinic's progressions.

    Only the block from the first to the last run bout counts, so a warm-up and cool-down
    walk do not distort the ratio. ``run_walk_ratio`` is the median run interval over the
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
    seg = (cleaned_or_segments if "duration_s" in cleaned_or_segments.columns
           else segments(cleaned_or_segments)).filter(pl.col("gait") != "stop")
    # bouts split only by a stop are one interval: merge neighbours with the same gait
    if seg.height:
        seg = (seg.with_columns(_b=(pl.col("gait") != pl.col("gait").shift()).cum_sum())
               .group_by("_b", maintain_order=True)
               .agg(pl.col("gait").first(), pl.col("duration_s").sum()))
    is_run = (seg["gait"] == "run").to_numpy() if seg.height else np.zeros(0, bool)
    runs_at = np.flatnonzero(is_run)
    if runs_at.size == 0:
        return _pattern_row("none", None, None, None, 0, 0, 0.0, 0.0)
    block = seg.slice(int(runs_at[0]), int(runs_at[-1] - runs_at[0] + 1))
    run = block.filter(pl.col("gait") == "run")["duration_s"]
    walk = block.filter(pl.col("gait") == "walk")["duration_s"]
    run_s, walk_s = float(run.sum()), float(walk.sum())
    run_med = float(run.median())
    walk_med = float(walk.median()) if walk.len() else None
    if walk_s <= continuous_walk_fraction * (run_s + walk_s):
        return _pattern_row("continuous", None, run_med, walk_med, run.len(), walk.len(),
                            run_s, walk_s)
    ratio = run_med / walk_med
    name, target = min(PATTERNS.items(), key=lambda kv: abs(np.log(ratio / kv[1])))
    pattern = name if abs(ratio / target - 1.0) <= tolerance else "other"
    return _pattern_row(pattern, ratio, run_med, walk_med, run.len(), walk.len(), run_s, walk_s)


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
              max_s: float | None) -> np.ndarray:
    """Episode id per sample (-1 outside) for runs of ``mask`` joined across short gaps."""
    ids = np.full(mask.size, -1)
    starts, lengths = run_lengths(mask)
    on = mask[starts] if starts.size else np.zeros(0, bool)
    s, e = starts[on], starts[on] + lengths[on] - 1
    if s.size == 0:
        return ids
    keep_s, keep_e = [s[0]], [e[0]]
    for a, b in zip(s[1:], e[1:], strict=True):  # few episodes; join those close in time
        if t[a] - t[keep_e[-1]] <= bridge_s:
            keep_e[-1] = b
        else:
            keep_s.append(a)
            keep_e.append(b)
    n = 0
    for a, b in zip(keep_s, keep_e, strict=True):
        dur = t[b] - t[a]
        if dur >= min_s and (max_s is None or dur <= max_s):
            ids[a:b + 1] = n
            n += 1
    return ids


def _elapsed(cleaned: pl.DataFrame) -> np.ndarray:
    ts = cleaned["timestamp"]
    return (ts - ts[0]).dt.total_microseconds().to_numpy() / 1e6 if ts.len() else np.zeros(0)


def strides(cleaned: pl.DataFrame, *, min_gain: float = 0.15, min_s: float = 15.0,
            max_s: float = 60.0, smooth_s: int = 5) -> pl.DataFrame:
    """Short fast efforts (the clinic's 30-second strides) with cadence and step length.

    A stride is a running stretch whose speed (``smooth_s``-sample centred mean) is at least
    ``min_gain`` (15 %) above the session's median running speed for ``min_s``–``max_s``
    seconds (dips under 3 s are bridged). Longer fast stretches are tempo or progression
    running, not strides.

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
    kernel = np.ones(smooth_s) / smooth_s
    filled = np.where(np.isfinite(speed), speed, base)
    smooth = np.convolve(filled, kernel, mode="same")
    fast = running & (smooth >= base * (1.0 + min_gain))
    ids = _episodes(fast, _elapsed(cleaned), bridge_s=3.0, min_s=min_s, max_s=max_s)
    out = _episode_frame(cleaned, ids)
    return out.with_columns(speed_gain_pct=100.0 * (pl.col("speed_mps") / base - 1.0))


def hills(cleaned: pl.DataFrame, *, min_grade_pct: float = 3.0, min_gain_m: float = 4.0,
          min_s: float = 15.0, same_start_m: float = 60.0, same_gain: float = 0.3
          ) -> pl.DataFrame:
    """Climbs of a session, and which of them repeat a hill (the clinic's hill reps).

    A climb is a moving stretch with ``grade_pct`` ≥ ``min_grade_pct`` (short dips up to
    5 s bridged) lasting ≥ ``min_s`` and gaining ≥ ``min_gain_m``. A climb is a ``repeat``
    when another climb of the session gains within ``same_gain`` (±30 %) of it and starts
    at the same place: within ``same_start_m`` with GPS positions, else within 3 m of the
    same altitude. Rolling terrain climbs different hills, so it gives no repeats.

    Returns
    -------
    polars.DataFrame
        One row per climb: ``start``, ``end``, ``gait``, ``duration_s``, ``distance_m``,
        ``cadence_spm``, ``speed_mps``, ``step_length_m``, ``gain_m``, ``grade_pct``
        (mean over the climb [%]) and ``repeat`` (bool).
    """
    _need_cleaned(cleaned, "grade_pct", "moving")
    grade = cleaned["grade_pct"].to_numpy().astype(np.float64)
    extra = {"gain_m": pl.col("altitude_m").max() - pl.col("altitude_m").min(),
             "grade_pct": pl.col("grade_pct").mean(),
             "_alt": pl.col("altitude_m").first(), "_lat": pl.col("lat_deg").first(),
             "_lon": pl.col("lon_deg").first()}
    if not np.isfinite(grade).any():
        return _empty_episodes({"gain_m": pl.Float64, "grade_pct": pl.Float64,
                                "repeat": pl.Boolean})
    with np.errstate(invalid="ignore"):
        up = cleaned["moving"].to_numpy() & (grade >= min_grade_pct)
    ids = _episodes(up, _elapsed(cleaned), bridge_s=5.0, min_s=min_s, max_s=None)
    out = _episode_frame(cleaned, ids, extra).filter(pl.col("gain_m") >= min_gain_m)
    gain = out["gain_m"].to_numpy()
    lat, lon = (out[c].cast(pl.Float64).to_numpy() for c in ("_lat", "_lon"))
    if np.isfinite(lat).all() and np.isfinite(lon).all():
        apart = geo.haversine_m(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
        same_place = apart <= same_start_m
    else:
        alt = out["_alt"].to_numpy()
        same_place = np.abs(alt[:, None] - alt[None, :]) <= 3.0
    similar = np.abs(gain[:, None] / gain[None, :] - 1.0) <= same_gain
    pair = same_place & similar & ~np.eye(gain.size, dtype=bool)
    return out.drop("_alt", "_lat", "_lon").with_columns(
        repeat=pl.Series(pair.any(axis=1), dtype=pl.Boolean))


def _empty_episodes(extra: dict) -> pl.DataFrame:
    return pl.DataFrame(schema={**_SEGMENT_SCHEMA, **extra})
