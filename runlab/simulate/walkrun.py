"""Walk–run sessions at the cadences where walking and jogging overlap, with their truth.

The cohort's runners walk at 98–126 spm and run from ~140; beginners also walk briskly at up
to 145 spm and jog slowly from 128 spm. :func:`walk_run_session` renders such a session as
canonical records (1 Hz or smart recording), with or without speed and running dynamics,
and the true gait of every record, so a walk/run segmentation can be scored on files.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from runlab import schema

__all__ = ["walk_run_session"]

_T0 = dt.datetime(2026, 5, 4, 7, 0, tzinfo=dt.UTC)


def walk_run_session(*, run_s: float = 120.0, walk_s: float = 60.0, repeats: int = 6,
                     walk_cadence_spm: float = 138.0, jog_cadence_spm: float = 142.0,
                     walk_speed_mps: float = 1.8, jog_speed_mps: float = 2.2,
                     cadence_sd_spm: float = 3.0, warmup_s: float = 120.0,
                     cooldown_s: float = 120.0, speed: bool = True, dynamics: bool = False,
                     smart_recording: bool = False, seed: int = 0
                     ) -> tuple[pl.DataFrame, np.ndarray]:
    """Records of a walk–run session and the true ``"run"``/``"walk"`` of each record.

    Warm-up walk, ``repeats`` × (``run_s`` jogging, ``walk_s`` walking; the last walk is the
    cool-down), each second's cadence the bout's cadence plus a slow drift (±1 spm) and
    per-second noise of SD ``cadence_sd_spm``; speed ±3 % per second. ``dynamics`` adds
    stance time and vertical oscillation while jogging (a strap records none while
    walking) and step length; ``speed=False`` leaves speed and distance out (cadence only);
    ``smart_recording`` keeps records 1–7 s apart (irregular), as watches in smart mode do.
    ``repeats=0`` gives a continuous jog of ``run_s`` between the walks.
    """
    rng = np.random.default_rng(seed)
    parts = [("walk", warmup_s)]
    for i in range(max(repeats, 1)):
        parts.append(("run", run_s))
        if i < max(repeats, 1) - 1:
            parts.append(("walk", walk_s))
    parts.append(("walk", cooldown_s))
    truth = np.concatenate([np.full(int(round(s)), g, dtype=object) for g, s in parts if s > 0])
    n = truth.size
    running = truth == "run"
    drift = np.convolve(rng.normal(0, 1, n + 59), np.ones(60) / np.sqrt(60), "valid")
    cadence = (np.where(running, jog_cadence_spm, walk_cadence_spm) + drift
               + rng.normal(0, cadence_sd_spm, n))
    v = np.where(running, jog_speed_mps, walk_speed_mps) * (1 + rng.normal(0, 0.03, n))
    cols: dict[str, np.ndarray] = {"cadence_spm": cadence}
    if speed:
        cols["speed_mps"] = v
        cols["distance_m"] = np.r_[0.0, np.cumsum(v[1:])]
    if dynamics:
        cols["stance_time_ms"] = np.where(running, 300 - 40 * (v - 2.5) + rng.normal(0, 6, n),
                                          np.nan)
        cols["vertical_oscillation_mm"] = np.where(running, 75 + rng.normal(0, 4, n), np.nan)
        cols["step_length_m"] = v / (cadence / 60.0)
    keep = np.ones(n, dtype=bool)
    if smart_recording:
        at = np.cumsum(rng.integers(1, 8, n))
        keep = np.zeros(n, dtype=bool)
        keep[at[at < n]] = True
        keep[[0, -1]] = True
    t = np.flatnonzero(keep)
    frame = pl.DataFrame({
        "timestamp": pl.Series([_T0 + dt.timedelta(seconds=int(s)) for s in t])
        .cast(schema.TIMESTAMP),
        "elapsed_s": t.astype(np.float64),
        **{k: pl.Series(k, val[keep], nan_to_null=True) for k, val in cols.items()},
    })
    return schema.conform(frame, "records"), truth[keep]
