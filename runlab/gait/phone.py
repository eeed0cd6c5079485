"""Steps from a phone's accelerometer (:func:`runlab.read_imu` frames)."""

from __future__ import annotations

import numpy as np
import polars as pl

from runlab import schema
from runlab.clean import _centred_mean, epoch_us, timestamps
from runlab.errors import SchemaError

__all__ = ["steps", "step_records", "STEP_BAND_HZ"]

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
    rms = np.sqrt(_centred_mean(y * y, half))
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
