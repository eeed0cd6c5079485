"""Runs second by second: the latent series, their truth summaries and the records a
device writes."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
from scipy.signal import lfilter

from runlab import plan as _plan
from runlab import schema
from runlab._series import run_lengths
from runlab.gait.bouts import run_walk_ratio
from runlab.simulate.params import (
    _EASY_TYPES,
    _HILL_GRADE,
    _KIND_HILL_DOWN,
    _KIND_HILL_UP,
    _KIND_RUN,
    _KIND_STRIDE,
    _KIND_WALK,
    _RUNNING_KINDS,
    SAMPLE_NOISE_SD_SPM,
)


def _segments(run: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-second kind, target speed [m/s], target cadence [spm] and grade of a session."""
    v, c, s = run["target_speed_mps"], run["target_cadence_spm"], run["slope_eff_spm_per_mps"]
    wv, wc = run["walk_speed_mps"], run["walk_cadence_spm"]
    parts: list[tuple[int, float, float, float, float]] = []  # kind, seconds, v, c, grade

    def walk(seconds, grade=0.0, kind=_KIND_WALK):
        if seconds and seconds > 0:
            parts.append((kind, seconds, wv if kind == _KIND_WALK else wv * 0.9, wc, grade))

    def run_at(seconds, factor=1.0, kind=_KIND_RUN, grade=0.0, extra=0.0):
        if seconds and seconds > 0:
            parts.append((kind, seconds, v * factor, c + s * v * (factor - 1) + extra, grade))

    walk(run.get("warmup_s") or 0.0)
    for _ in range(run.get("strides") or 0):
        run_at(run.get("stride_s") or 30.0, 1.3, _KIND_STRIDE)
        walk(_plan.STRIDE_RECOVERY_S)
    for _ in range(run.get("hill_reps") or 0):
        run_at(run.get("hill_rep_s") or 30.0, 0.8, _KIND_HILL_UP, _HILL_GRADE, 4.0)
        climb_m = _HILL_GRADE * (run.get("hill_rep_s") or 30.0) * 0.8 * v
        walk(_plan.HILL_RECOVERY_S, -climb_m / (_plan.HILL_RECOVERY_S * 0.9 * wv),
             _KIND_HILL_DOWN)
    if run.get("test_distance_m"):
        run_at(round(run["test_distance_m"] / v))
    else:
        for _ in range(run.get("repeats") or 0):
            run_at(run.get("run_s") or 0.0)
            walk(run.get("walk_s") or 0.0)
    walk(run.get("cooldown_s") or 0.0)
    secs = np.array([max(1, round(p[1])) for p in parts])
    kind = np.repeat([p[0] for p in parts], secs)
    return (kind, np.repeat([p[2] for p in parts], secs), np.repeat([p[3] for p in parts], secs),
            np.repeat([p[4] for p in parts], secs))


def _fatigue(kind: np.ndarray, drop: float) -> np.ndarray:
    """Cadence drop [spm] over the last third of the longest continuous running stretch."""
    out = np.zeros(len(kind))
    if drop <= 0:
        return out
    running = kind == _KIND_RUN
    edges = np.flatnonzero(np.diff(np.r_[0, running.astype(np.int8), 0]))
    starts, ends = edges[::2], edges[1::2]
    k = int(np.argmax(ends - starts))
    a, b = starts[k], ends[k]
    onset = a + 2 * (b - a) // 3
    out[onset:b] = drop * np.linspace(0, 1, b - onset)
    return out


def _hill_course(kind: np.ndarray, speed: np.ndarray, grade: np.ndarray,
                 heading: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Grade, heading [rad], share of each second's distance moved along that heading and
    terrain clock [s] of a session whose hill reps climb the same hill and go back down it.

    Every rep runs up the same line (the heading at the first rep's start); the recovery
    walks back down that line at the rep's grade until the distance climbed is undone, then
    walks out along the flat at the foot and back to it, turning within one second, so the
    next rep starts where this one did. The rolling terrain (a function of the clock
    returned) stands still while on the hill, so the foot keeps its altitude. Sessions
    without hill reps are returned unchanged (share 1).
    """
    clock = np.arange(kind.size, dtype=np.float64)
    along = np.ones(kind.size)
    up = kind == _KIND_HILL_UP
    if not up.any():
        return grade, heading, along, clock
    grade, heading = grade.copy(), heading.copy()
    starts, lengths = run_lengths(up)
    starts, lengths = starts[up[starts]], lengths[up[starts]]
    line = heading[starts[0]]
    slope = float(grade[starts[0]])
    for a, n_up in zip(starts, lengths, strict=True):
        b = a + n_up
        heading[a:b] = line
        climbed = float(speed[a:b].sum())
        rest = np.flatnonzero(kind[b:] != _KIND_HILL_DOWN)
        down = b + int(rest[0]) if rest.size else kind.size
        v = speed[b:down]
        before = np.cumsum(v) - v  # distance walked back when each second starts
        on_slope = before < climbed
        share = np.clip((climbed - before) / np.maximum(v, 1e-9), 0.0, 1.0)
        grade[b:down] = np.where(on_slope, -slope * share, 0.0)
        heading[b:down] = line + np.pi  # back down, then on out along the flat
        flat = np.flatnonzero(~on_slope) + b
        if flat.size:
            beyond = float(v[on_slope].sum()) - climbed  # past the foot when the slope ends
            out_m = 0.5 * (float(speed[flat].sum()) - beyond)  # further out, then back
            done = np.cumsum(speed[flat]) - speed[flat]
            turn = max(int(np.searchsorted(done, out_m, side="right")) - 1, 0)
            heading[flat[turn + 1:]] = line
            s = speed[flat[turn]]
            along[flat[turn]] = np.clip((2.0 * (out_m - done[turn]) - s) / max(s, 1e-9), -1, 1)
    hill = np.flatnonzero(np.isin(kind, (_KIND_HILL_UP, _KIND_HILL_DOWN)))
    first, last = int(hill[0]), int(hill[-1])
    clock[first:last + 1] = clock[first]
    clock[last + 1:] -= last - first
    return grade, heading, along, clock


#: A foot pod reads a treadmill run's speed off by its calibration: SD 4 % run to run.
POD_CALIBRATION_SD = 0.04


def _pod_calibration(run: dict) -> float:
    """The factor a run's device reads speed and distance by: the foot pod's calibration on
    a treadmill (no GPS), 1 outdoors. Drawn from the run's own stream, so :func:`_truth`
    and :func:`run_records` agree on it."""
    if not run.get("treadmill"):
        return 1.0
    return 1.0 + float(np.random.default_rng([run["seed"], 1]).normal(0, POD_CALIBRATION_SD))


def _truth(run: dict) -> dict:
    """True per-run values from the noise-free series (what summarize should recover).

    Speed and distance are what the device measures: on a treadmill the foot pod's
    (:func:`_pod_calibration`), since no reader of the file can know the belt's speed."""
    kind, speed, cad, _ = _segments(run)
    speed = speed * _pod_calibration(run)
    fat = _fatigue(kind, run["fatigue_drop_spm"])
    cad = cad - fat
    running = np.isin(kind, _RUNNING_KINDS)
    walking = ~running
    run_s, walk_s = float(running.sum()), float(walking.sum())
    third = np.cumsum(running) * running
    total = running.sum()
    first = running & (third <= total / 3)
    last = running & (third > 2 * total / 3)
    return {
        "moving_s": float(len(kind)),
        "elapsed_s": float(len(kind)) + float(run["paused_s"]),
        "distance_m": float(speed.sum()),
        "speed_mps": float(speed.mean()),
        "cadence_spm": float(cad[running].mean()) if running.any() else None,
        "run_speed_mps": float(speed[running].mean()) if running.any() else None,
        "running_s": run_s, "walking_s": walk_s,
        # the walk–run block's ratio, defined once (runlab.gait.run_walk_ratio)
        "run_walk_ratio": (run_walk_ratio([run["run_s"]] * run["repeats"],
                                          [run["walk_s"]] * (run["repeats"] - 1)
                                          or [run["walk_s"]])
                           if run.get("walk_s") and run.get("repeats")
                           and not run.get("test_distance_m") else None),
        "cadence_drift_spm": (float(fat[first].mean() - fat[last].mean())
                              if first.any() and last.any() else None),
    }


def _pause_plan(run: dict, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Sample indexes after which the timer stops, and the pause lengths [s]."""
    at = (np.asarray(run["pause_at"] or [], dtype=float) * (n - 2)).astype(np.int64)
    return np.clip(at, 1, max(n - 2, 1)), np.asarray(run["pause_s"] or [], dtype=float)


def _task_row(row: dict) -> dict:
    """A run row reduced to plain Python values for a worker process."""
    keep = ("run_id", "runner_id", "date", "session", "session_type", "warmup_s", "strides",
            "stride_s", "hill_reps", "hill_rep_s", "repeats", "run_s", "walk_s", "cooldown_s",
            "test_distance_m", "start_time", "local_time_offset_s", "temperature_c",
            "treadmill", "target_speed_mps", "target_cadence_spm", "slope_eff_spm_per_mps",
            "fatigue_drop_spm", "pause_at", "pause_s", "paused_s", "gps_spikes", "doubled_cadence",
            "format", "seed", "walk_speed_mps", "walk_cadence_spm", "device",
            "smart_recording", "mass_kg", "home_lat_deg", "home_lon_deg", "heat_index_c")
    return {k: row.get(k) for k in keep}


def run_records(run: dict) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Records and timer events of one run as its device writes them.

    ``run`` is a row of :attr:`Cohort.runs` (as a dict). The series is the noise-free
    plan (:func:`_segments`) plus AR(1) pace variation, sensor noise, heart-rate lag,
    terrain, a GPS track, and the run's quirks: pauses (no samples while the timer is
    stopped), GPS spikes, treadmill (no position, pod-calibrated speed), doubled cadence,
    smart recording.
    """
    rng = np.random.default_rng(run["seed"])
    kind, v_target, c_target, grade = _segments(run)
    n = len(kind)
    running = np.isin(kind, _RUNNING_KINDS)
    smooth = np.ones(4) / 4
    pace = lfilter([0.05], [1, -0.95], rng.normal(0, 1, n)) * 0.6  # AR(1) ±~3 %
    speed = np.convolve(np.r_[np.repeat(v_target[0], 3), v_target], smooth, "valid")
    speed = speed * (1 + 0.03 * pace)
    fatigue = _fatigue(kind, run["fatigue_drop_spm"])
    cad_clean = np.convolve(np.r_[np.repeat(c_target[0], 3), c_target], smooth, "valid")
    noise_sd = np.where(running, SAMPLE_NOISE_SD_SPM, 3.0)
    cadence = cad_clean - fatigue + rng.normal(0, 1, n) * noise_sd
    speed = speed * (1 - 0.01 * fatigue / max(run["fatigue_drop_spm"], 1e-9))  # −1 % at the end
    heat = max(0.0, (run["heat_index_c"] or 15.0) - 15.0)
    hr_target = 62 + 26 * speed + 0.9 * heat + 12 * (grade > 0)
    hr = lfilter([1 / 25], [1, -(1 - 1 / 25)], hr_target - hr_target[0]) + hr_target[0]
    hr = hr + np.linspace(0, 0.08 * n / 60, n) + rng.normal(0, 1.0, n)
    alt_noise = rng.normal(0, 0.2, n)
    distance = np.r_[0.0, np.cumsum(speed[1:])]
    heading = np.cumsum(rng.normal(0, 0.03, n)) + rng.uniform(0, 2 * np.pi)
    grade, heading, along, terrain_s = _hill_course(kind, speed, grade, heading)
    alt = 4.0 + np.cumsum(grade * speed) + 3 * np.sin(terrain_s / 300.0) + alt_noise
    lat0, lon0 = run["home_lat_deg"], run["home_lon_deg"]
    north = np.cumsum(speed * along * np.cos(heading))
    east = np.cumsum(speed * along * np.sin(heading))
    lat = lat0 + north / 111_320.0
    lon = lon0 + east / (111_320.0 * np.cos(np.radians(lat0)))
    temp = (run["temperature_c"] if not run["treadmill"] else 20.0) + rng.normal(0, 0.3, n)
    cols: dict[str, Any] = {
        "distance_m": distance, "speed_mps": speed, "cadence_spm": cadence,
        "heart_rate_bpm": np.round(hr), "altitude_m": alt, "lat_deg": lat, "lon_deg": lon,
        "temperature_c": np.round(temp),
    }
    if run["device"] == "wrist+hrm":
        cols["stance_time_ms"] = np.where(running, 300 - 40 * (speed - 2.5)
                                          + rng.normal(0, 4, n), np.nan)
        cols["vertical_oscillation_mm"] = np.where(running, 85 - 0.3 * (cadence - 160), 45)
        cols["step_length_m"] = speed / (cadence / 60.0)
    elif run["device"] == "wrist+pod":
        cols["power_w"] = np.round(run["mass_kg"] * speed * np.where(running, 1.04, 0.8)
                                   * (1 + 4 * grade) + rng.normal(0, 5, n)).clip(0, None)
        cols["step_length_m"] = speed / (cadence / 60.0)
    if run["treadmill"]:
        calib = _pod_calibration(run)
        cols["speed_mps"] = speed * calib
        cols["distance_m"] = distance * calib
        for c in ("lat_deg", "lon_deg", "altitude_m"):
            cols[c] = np.full(n, np.nan)
    if run["gps_spikes"]:
        at = rng.choice(np.arange(30, n - 30), run["gps_spikes"], replace=False)
        jump = rng.uniform(150, 400, len(at))
        cols["lat_deg"] = lat.copy()
        cols["lat_deg"][at] += jump / 111_320.0
        detour = np.zeros(n)
        detour[at] = 2 * jump
        cols["distance_m"] = distance + np.cumsum(detour)
        cols["speed_mps"] = speed + detour / 2  # the jump out, in one second
    if run["doubled_cadence"]:
        cols["cadence_spm"] = cols["cadence_spm"] * 2
    elapsed = np.arange(n, dtype=float)
    at, length = _pause_plan(run, n)
    shift = np.zeros(n)
    for a, g in zip(at, length, strict=True):
        shift[a + 1:] += g
    elapsed += shift
    keep = np.ones(n, dtype=bool)
    if run["smart_recording"]:
        keep = rng.uniform(size=n) < 0.4
        keep[[0, -1]] = True
        keep[np.r_[at, at + 1].astype(np.int64)] = True
    start = np.datetime64(run["start_time"].replace(tzinfo=None), "us")
    stamps = start + (elapsed * 1e6).astype("timedelta64[us]")
    rec = pl.DataFrame({"timestamp": stamps[keep], "elapsed_s": elapsed[keep],
                        **{k: np.asarray(v, dtype=float)[keep] for k, v in cols.items()}},
                       nan_to_null=True)
    rec = schema.conform(rec.with_columns(pl.col("timestamp").dt.replace_time_zone("UTC")),
                         "records")
    ev_t = []
    for a, g in zip(at, length, strict=True):
        stop = stamps[a]
        ev_t += [(stop, "stop"), (stop + np.timedelta64(int(g * 1e6), "us"), "start")]
    events = schema.conform(pl.DataFrame({
        "timestamp": pl.Series(np.array([t for t, _ in ev_t], dtype="datetime64[us]")),
        "event": ["timer"] * len(ev_t), "event_type": [e for _, e in ev_t]},
        schema_overrides={"event": pl.String, "event_type": pl.String}).with_columns(
        pl.col("timestamp").dt.replace_time_zone("UTC")), "events")
    return rec, events


def _finish_runs(runs: pl.DataFrame, model: str) -> pl.DataFrame:
    """Completed runs: truth summaries (RUNS columns first), quirks, plan and seeds."""
    truths = [_truth(r) for r in runs.iter_rows(named=True)]
    t = pl.DataFrame(truths, schema={"moving_s": pl.Float64, "elapsed_s": pl.Float64,
                                     "distance_m": pl.Float64, "speed_mps": pl.Float64,
                                     "cadence_spm": pl.Float64, "run_speed_mps": pl.Float64,
                                     "running_s": pl.Float64, "walking_s": pl.Float64,
                                     "run_walk_ratio": pl.Float64,
                                     "cadence_drift_spm": pl.Float64})
    runs = pl.concat([runs, t], how="horizontal")
    runs = runs.with_columns(
        step_length_m=pl.col("run_speed_mps") / (pl.col("cadence_spm") / 60.0),
        easy=pl.col("session_type").is_in(_EASY_TYPES),
        cadence_cv=pl.lit(None, pl.Float64),
        strides=pl.col("strides").cast(pl.Int64), hill_reps=pl.col("hill_reps").cast(pl.Int64),
        speed_c=pl.col("run_speed_mps") - pl.col("run_speed_mps").mean().over("runner_id"),
        ext=pl.col("format"),
    )
    if model == "mixed":  # the model's cadence is the run's mean; centred speed as drawn
        runs = runs.with_columns(
            cadence_spm=pl.col("target_cadence_spm"),
            speed_c=pl.col("target_speed_mps")
            - pl.col("target_speed_mps").mean().over("runner_id"))
    runs = runs.with_columns(path=pl.format("{}/{}_{}.{}", "runner_id",
                                            pl.col("date").dt.strftime("%Y-%m-%d"), "session",
                                            "ext")).drop("ext")
    first = list(schema.RUNS)
    rest = [c for c in runs.columns if c not in first and c not in _plan.PLAN
            and c not in ("status",)]
    plan_cols = ["date", "week", "session", "program", "session_type", "run_walk_pattern",
                 "warmup_s", "run_s", "walk_s", "repeats", "stride_s", "hill_rep_s",
                 "cooldown_s", "test_distance_m", "cadence_target_spm", "video_review"]
    return runs.select(first + [c for c in plan_cols if c not in first] + rest).sort(
        "runner_id", "start_time")
