"""Per-run and per-week summaries: easy-run cadence, step length, fatigue drift, baseline mile.

:func:`summarize` turns one activity into one row of :data:`runlab.schema.RUNS` plus quality
columns; :func:`weekly` turns many rows into the clinic's weekly progress table (average
cadence on easy runs, volume, technique sessions); :func:`find_mile_tests` finds the
comfortable-mile baseline test in a session.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import polars as pl

from runlab import schema
from runlab._series import columns, deciles, equals, median, run_lengths, sharing_columns
from runlab.activity import Activity
from runlab.clean import FLAGS, clean, repair_notes
from runlab.errors import RunlabWarning, SchemaError
from runlab.gait.bouts import climb_values, pattern_values, stride_values
from runlab.science import POPULATION_SLOPE_SPM_PER_MPS
from runlab.sessions import MILE_M

__all__ = ["summarize", "weekly", "find_mile_tests", "baseline_mile", "easy_flags", "cadence_drift",
           "steady_running", "QUALITY", "MILE_M", "EASY_HR_FRACTION", "SPM_PER_MPS",
           "RUN_EDGE_S", "DRIFT_MIN_S"]

#: Easy when mean heart rate is below this fraction of the runner's maximum (≈ the top of
#: the "easy"/zone-1 band of 70–80 % HRmax used in endurance coaching).
EASY_HR_FRACTION = 0.75
#: Cadence rises 6.01 steps/min per m/s overground (van Oeveren et al., 2019,
#: doi:10.1080/02640414.2019.1614137); used to compare cadence at matched speed.
SPM_PER_MPS = POPULATION_SLOPE_SPM_PER_MPS

#: The run cadence and speed of a session leave out this many seconds at each end of every
#: run bout [s]: a watch reports cadence and speed averaged over the last few seconds, so
#: there they still mix in the walking steps (simulated 1:1 walk–run sessions of 1-min
#: bouts, cadence averaged over 4 s: 1.3–1.7 spm low, a continuous run not at all).
RUN_EDGE_S = 3.0

#: Quality and extra columns :func:`summarize` adds after the RUNS columns.
QUALITY: dict[str, pl.DataType] = {
    "run_speed_mps": pl.Float64,
    "step_length_drift_m": pl.Float64,
    "walk_run_pattern": pl.String,
    "heart_rate_bpm": pl.Float64,
    "max_heart_rate_bpm": pl.Float64,
    "run_s": pl.Float64,
    "walk_s": pl.Float64,
    "elapsed_s": pl.Float64,
    "paused_s": pl.Float64,
    "recording_gap_s": pl.Float64,
    "n_records": pl.Int64,
    "cadence_repaired": pl.Boolean,
    "n_spikes": pl.Int64,
    "speed_derived": pl.Boolean,
    "notes": pl.String,
}


def _cleaned(activity_or_records, events=None) -> tuple[pl.DataFrame, str | None]:
    """Cleaned records and a default run id from an Activity, records or cleaned records."""
    if isinstance(activity_or_records, Activity):
        act = activity_or_records
        return act.clean(), Path(act.path).name.split(".")[0] or None
    if isinstance(activity_or_records, pl.DataFrame):
        frame = activity_or_records
        if all(c in frame.columns for c in ("gait", "moving", "sample_s")):
            return frame, None
        return clean(frame, events), None
    if isinstance(activity_or_records, (str, os.PathLike)):
        warnings.warn("summarize(path) is deprecated and will be removed in the next release: "
                      "read the file first, summarize(runlab.read_activity(path))",
                      DeprecationWarning, stacklevel=3)
        from runlab.io import read_activity

        return _cleaned(read_activity(activity_or_records))
    raise SchemaError(f"summarize() needs an Activity, records or cleaned records, got "
                      f"{type(activity_or_records).__name__}")


def steady_running(running: np.ndarray, t_s: np.ndarray, *,
                   edge_s: float = RUN_EDGE_S) -> np.ndarray:
    """The running samples at least ``edge_s`` seconds from either end of their run bout
    (:data:`RUN_EDGE_S`); every running sample when no bout is long enough to have any."""
    running = np.asarray(running, dtype=bool)
    if edge_s <= 0 or not running.any():
        return running
    starts, lengths = run_lengths(running)
    bout = np.repeat(np.arange(starts.size), lengths)
    t = np.asarray(t_s, dtype=np.float64)
    steady = (running & (t - t[starts][bout] >= edge_s)
              & (t[starts + lengths - 1][bout] - t >= edge_s))
    return steady if steady.any() else running


def _wmean(x: np.ndarray, w: np.ndarray) -> float | None:
    ok = np.isfinite(x) & (w > 0)
    return float(_weighted_average(x[ok], w[ok])) if ok.any() else None


def _weighted_average(x: np.ndarray, w: np.ndarray) -> np.float64:
    """``np.average(x, weights=w)``'s arithmetic, without its checks (weights sum > 0)."""
    return (x * w).sum() / w.sum()


def summarize(activity_or_records, *, run_id: str | None = None,
              runner_id: str | None = None, events: pl.DataFrame | None = None,
              history: pl.DataFrame | None = None,
              max_hr_bpm: float | None = None) -> pl.DataFrame:
    """One-row run summary (:data:`runlab.schema.RUNS` + :data:`QUALITY` columns).

    Parameters
    ----------
    activity_or_records : Activity or polars.DataFrame
        An activity, its records (cleaned here with ``events``) or cleaned records. A path
        still works for one release, with a ``DeprecationWarning``: read it first
        (:func:`runlab.read_activity`).
    run_id, runner_id : str, optional
        Identifiers; ``run_id`` defaults to the file name without extensions.
    history : polars.DataFrame, optional
        The runner's other run summaries (RUNS + ``heart_rate_bpm``, ``max_heart_rate_bpm``),
        the reference for the easy-run flag (:func:`easy_flags`).
    max_hr_bpm : float, optional
        The runner's known maximum heart rate [beats/min].

    Returns
    -------
    polars.DataFrame
        ``moving_s`` (samples moving, pauses and gaps excluded), ``distance_m``,
        ``speed_mps`` (distance / moving time, walk breaks included), ``run_speed_mps``
        (mean speed while running: the speed that goes with ``cadence_spm`` in cadence–speed
        models), ``cadence_spm`` and ``cadence_cv`` (running
        samples only, time-weighted, leaving out :data:`RUN_EDGE_S` at each end of a run
        bout: :func:`steady_running`), ``step_length_m`` (running speed / (cadence / 60),
        step length = speed / step frequency), ``run_walk_ratio`` (:func:`runlab.gait.walk_run_pattern`), ``easy``,
        ``temperature_c``, ``strides``, ``hill_reps`` (climbs that repeat a hill),
        ``cadence_drift_spm`` and ``step_length_drift_m`` (:func:`cadence_drift`), and
        quality columns: elapsed and paused time, record count, repairs, ``notes``.
    """
    cleaned, default_id = _cleaned(activity_or_records, events)
    with sharing_columns(cleaned):  # the gait functions below convert each column once
        return _summarize(cleaned, run_id or default_id, runner_id, history, max_hr_bpm)


def _summarize(cleaned: pl.DataFrame, run_id: str | None, runner_id: str | None,
               history: pl.DataFrame | None, max_hr_bpm: float | None) -> pl.DataFrame:
    cols = columns(cleaned)
    w, cad, speed, hr, dist, temp = cols.floats(
        "sample_s", "cadence_spm", "speed_mps", "heart_rate_bpm", "distance_m",
        "temperature_c")
    moving = cols.raw("moving").astype(bool)
    running = cols.equals("gait", "run")
    moving_s = float(w[moving].sum())
    distance = float(np.nanmax(dist) - np.nanmin(dist)) if np.isfinite(dist).any() else None
    ts = cleaned["timestamp"]
    us = cols.epoch_us()
    run_w = np.where(steady_running(running, us / 1e6), w, 0.0)
    run_cad = _wmean(cad, run_w)
    run_speed = _wmean(speed, run_w)
    cv = None
    if run_cad:
        ok = np.isfinite(cad) & (run_w > 0)
        cv = float(np.sqrt(np.average((cad[ok] - run_cad) ** 2, weights=run_w[ok])) / run_cad)
    pattern = pattern_values(cleaned)  # the gait functions' values, without their frames
    drift = _drift(cleaned) or (None, None)
    climbs, found_strides = climb_values(cleaned), stride_values(cleaned)
    elapsed = float(us[-1] - us[0]) / 1e6 if us.size else 0.0
    gaps_s = (float(cleaned["recording_gap_s"].sum()) if "recording_gap_s" in cleaned.columns
              else 0.0)
    spikes = sum(int(np.count_nonzero(cols.raw(c))) for c in FLAGS
                 if c.endswith("_spike"))
    notes = repair_notes(cleaned)
    row = {
        "run_id": run_id,
        "runner_id": runner_id,
        "start_time": ts[0] if ts.len() else None,
        "moving_s": moving_s,
        "distance_m": distance,
        "speed_mps": distance / moving_s if distance is not None and moving_s > 0 else None,
        "cadence_spm": run_cad,
        "cadence_cv": cv,
        "step_length_m": run_speed / (run_cad / 60.0) if run_cad and run_speed else None,
        "run_walk_ratio": pattern.run_walk_ratio,
        "easy": None,
        "temperature_c": _wmean(temp, w + 1e-9),
        "strides": 0 if found_strides is None else int(found_strides.starts.size),
        "hill_reps": 0 if climbs is None else int(climbs.repeat.sum()),
        "cadence_drift_spm": drift[0],
        "run_speed_mps": run_speed,
        "step_length_drift_m": drift[1],
        "walk_run_pattern": pattern.pattern,
        "heart_rate_bpm": _wmean(hr, np.where(moving, w, 0.0)),
        "max_heart_rate_bpm": float(np.nanmax(hr)) if np.isfinite(hr).any() else None,
        "run_s": pattern.run_s,
        "walk_s": pattern.walk_s,
        "elapsed_s": elapsed,
        # pauses: timer stops and stands the distance shows; recording gaps apart
        "paused_s": max(elapsed - float(w.sum()) - gaps_s, 0.0),
        "recording_gap_s": gaps_s,
        "n_records": cleaned.height,
        "cadence_repaired": bool(np.any(cols.raw("cadence_repaired"))),
        "n_spikes": spikes,
        "speed_derived": bool(np.any(cols.raw("speed_derived"))),
        "notes": "; ".join(notes) or None,
    }
    out = pl.DataFrame([row], schema={**schema.RUNS, **QUALITY})
    if history is None and max_hr_bpm is None:
        return out  # one run alone cannot be judged against the runner's own effort
    # the easy flag compares this run with the runner's history (all rows: one runner)
    cols = {"speed_mps": pl.Float64, "heart_rate_bpm": pl.Float64,
            "max_heart_rate_bpm": pl.Float64}
    frames = [out] if history is None else [history, out]
    reference = pl.concat([f.select([pl.col(c).cast(t) if c in f.columns
                                     else pl.lit(None, t).alias(c) for c, t in cols.items()])
                           for f in frames]).with_columns(runner_id=pl.lit("runner"))
    easy = easy_flags(reference, max_hr_bpm=max_hr_bpm)[-1]
    return out.with_columns(easy=pl.lit(easy, pl.Boolean))


def easy_flags(runs: pl.DataFrame, *, max_hr_bpm: float | None = None,
               hr_fraction: float = EASY_HR_FRACTION, usual_margin: float = 0.05,
               min_runs: int = 3) -> pl.Series:
    """Easy-run flag of each run, relative to the same runner's own runs.

    A run with 30-s strides or hill reps is a technique session, never easy (``docs/clinic.md``:
    "most days easy runs ... one or two days for targeted technique work"). Otherwise the
    first rule that applies:

    1. **Heart rate, known maximum** — with ``max_hr_bpm``: easy when the run's mean moving
       heart rate is below ``hr_fraction`` (75 %) of it.
    2. **Heart rate, the runner's usual** — once the runner has ``min_runs`` runs with heart
       rate: easy when the run's mean heart rate is at most ``usual_margin`` (5 %) above the
       runner's median run. (The highest heart rate seen is no stand-in for a maximum: a
       beginner's clinic may never include a maximal effort.)
    3. **Pace** — otherwise, once the runner has ``min_runs`` runs with speed: easy when the
       run's speed is at or below the runner's median speed (slower than their usual pace).
    4. Otherwise unknown (null): a single run without a known maximum heart rate cannot be
       judged against the runner's own effort.

    Parameters
    ----------
    runs : polars.DataFrame
        Run summaries with ``runner_id``, ``speed_mps`` and optionally ``heart_rate_bpm``,
        ``strides``, ``hill_reps``.
    """
    if "speed_mps" not in runs.columns:
        raise SchemaError(f"runs frame lacks column 'speed_mps'; has {runs.columns}")
    frame = runs.with_columns(
        [pl.lit(None, pl.Float64).alias("heart_rate_bpm")] if "heart_rate_bpm" not in runs.columns
        else []).with_columns(
        [pl.lit(0, pl.Int64).alias(c) for c in ("strides", "hill_reps") if c not in runs.columns]
        + ([pl.lit(None, pl.String).alias("runner_id")] if "runner_id" not in runs.columns
           else []))
    by = "runner_id"
    hr = pl.col("heart_rate_bpm")
    if max_hr_bpm is not None:
        hr_rule = hr < hr_fraction * float(max_hr_bpm)
    else:
        hr_rule = pl.when(hr.count().over(by) >= min_runs).then(
            hr <= (1.0 + usual_margin) * hr.median().over(by))
    pace_rule = (pl.when(pl.col("speed_mps").count().over(by) >= min_runs)
                 .then(pl.col("speed_mps") <= pl.col("speed_mps").median().over(by)))
    technique = (pl.col("strides").fill_null(0) > 0) | (pl.col("hill_reps").fill_null(0) > 0)
    return frame.select(pl.when(technique).then(False)
                        .otherwise(pl.coalesce(hr_rule, pace_rule)).alias("easy")).to_series()


_DRIFT_SCHEMA = {"cadence_drift_spm": pl.Float64, "step_length_drift_m": pl.Float64}
#: :func:`cadence_drift` needs this much matched running in the first and the last third [s].
DRIFT_MIN_S = 30.0


def cadence_drift(cleaned: pl.DataFrame, *, min_s: float = DRIFT_MIN_S) -> pl.DataFrame:
    """Cadence and step-length change from the first to the last third of running.

    Running samples are split into thirds of running time. Only speeds inside both thirds'
    10–90 % ranges are compared (matched speed), and cadence is adjusted to their common
    median speed with the overground slope :data:`SPM_PER_MPS` (van Oeveren et al., 2019).
    A fatigue signal is falling cadence and lengthening steps at the same speed (``docs/clinic.md``).

    Returns
    -------
    polars.DataFrame
        One row: ``cadence_drift_spm`` [steps/min] and ``step_length_drift_m`` [m] (last
        third minus first third; null with less than ``min_s`` of matched running in either).
    """
    return pl.DataFrame([_drift(cleaned, min_s) or (None, None)], schema=_DRIFT_SCHEMA,
                        orient="row")


def _drift(cleaned: pl.DataFrame, min_s: float = DRIFT_MIN_S) -> tuple[float, float] | None:
    """:func:`cadence_drift`'s two values; None when there is too little matched running."""
    cols = columns(cleaned)
    w, cad, v = cols.floats("sample_s", "cadence_spm", "speed_mps")
    ok = cols.compare("gait", "run") & np.isfinite(cad) & np.isfinite(v) & (v > 0)
    if not ok.any():
        return None
    w, cad, v = w[ok], cad[ok], v[ok]
    clock = np.cumsum(w)
    total = clock[-1]
    first, last = clock <= total / 3, clock > 2 * total / 3
    if w[first].sum() < min_s or w[last].sum() < min_s:
        return None
    (lo_first, hi_first), (lo_last, hi_last) = deciles(v[first]), deciles(v[last])
    lo, hi = max(lo_first, lo_last), min(hi_first, hi_last)
    matched = (v >= lo) & (v <= hi)
    a, b = first & matched, last & matched
    if w[a].sum() < min_s or w[b].sum() < min_s:
        return None
    v_ref = median(v[matched])
    adj = cad - SPM_PER_MPS * (v - v_ref)
    step = v_ref / (adj / 60.0)
    # weights summing to ≥ min_s > 0 in both thirds
    return (float(_weighted_average(adj[b], w[b]) - _weighted_average(adj[a], w[a])),
            float(_weighted_average(step[b], w[b]) - _weighted_average(step[a], w[a])))


def find_mile_tests(cleaned: pl.DataFrame, *, distance_m: float = MILE_M,
                  max_speed_cv: float = 0.10, min_fraction: float = 0.98) -> pl.DataFrame:
    """The comfortable-mile baseline test: the first continuous mile of steady running.

    Searches uninterrupted running (``gait == "run"`` throughout; a timer pause such as a
    traffic light does not break it, and its time is not counted) for the earliest stretch
    of ``distance_m`` whose speed varies by at most ``max_speed_cv`` (coefficient of
    variation) — the clinic's "comfortable mile with cadence data" (``docs/clinic.md``). A stretch that ends
    a little short (≥ ``min_fraction`` of the distance: the walk→run transitions at either
    end eat a few metres of a test run to the exact mile) counts, and ``mile_time_s`` scales
    its time to the full distance.

    Returns
    -------
    polars.DataFrame
        One row (none when the session has no such mile: then a
        :class:`~runlab.errors.RunlabWarning` says why): ``start``, ``end``, ``time_s``,
        ``distance_m``, ``mile_time_s``, ``speed_mps``, ``speed_cv``, ``cadence_spm``,
        ``step_length_m``, ``heart_rate_bpm``.
    """
    out_schema = {"start": schema.TIMESTAMP, "end": schema.TIMESTAMP, "time_s": pl.Float64,
                  "distance_m": pl.Float64, "mile_time_s": pl.Float64,
                  "speed_mps": pl.Float64, "speed_cv": pl.Float64,
                  "cadence_spm": pl.Float64, "step_length_m": pl.Float64,
                  "heart_rate_bpm": pl.Float64}
    n = cleaned.height
    if n < 2 or cleaned["distance_m"].null_count() == n:
        return _no_mile(out_schema, "the session has no distance data")
    t = np.cumsum(cleaned["sample_s"].to_numpy().astype(np.float64))  # moving clock [s]
    d = np.fmax.accumulate(np.nan_to_num(cleaned["distance_m"].to_numpy().astype(np.float64),
                                         nan=-np.inf))
    d = np.where(np.isfinite(d), d, 0.0)
    running = equals(cleaned["gait"], "run")
    breaks = ~running
    stretch = np.cumsum(breaks)  # same id ⇔ no walk or stop in between
    last = np.searchsorted(stretch, stretch, side="right") - 1  # last sample of the stretch
    v = np.nan_to_num(cleaned["speed_mps"].to_numpy().astype(np.float64))
    cs1 = np.concatenate([[0.0], np.cumsum(v)])
    cs2 = np.concatenate([[0.0], np.cumsum(v * v)])
    i = np.arange(n)
    j_full = np.searchsorted(d, d + distance_m, side="left")
    j_min = np.minimum(np.searchsorted(d, d + min_fraction * distance_m, side="left"), n - 1)
    valid = running & (stretch[j_min] == stretch) & (d[j_min] - d >= min_fraction
                                                                * distance_m)
    end = np.where((j_full < n) & (stretch[np.minimum(j_full, n - 1)] == stretch),
                   np.minimum(j_full, n - 1), last)
    cnt = end - i + 1
    mean = (cs1[end + 1] - cs1[i]) / cnt
    var = np.maximum((cs2[end + 1] - cs2[i]) / cnt - mean**2, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = np.sqrt(var) / mean
    ok = np.flatnonzero(valid & (cv <= max_speed_cv))
    if ok.size == 0:
        if not running.any():
            why = "no running samples (gait 'run')"
        elif not valid.any():
            longest = max(float(d[last[k]] - d[k]) for k in np.flatnonzero(running))
            why = (f"the longest stretch of running without a walk or stop is {longest:.0f} m, "
                   f"short of {min_fraction * distance_m:.0f} m")
        else:
            why = (f"no mile of running is steady: its speed varies by at least "
                   f"{np.nanmin(cv[valid]):.0%} (coefficient of variation; allowed "
                   f"{max_speed_cv:.0%}, max_speed_cv)")
        return _no_mile(out_schema, why)
    a = int(ok[0])
    b = int(end[a])
    part = cleaned.slice(a, b - a + 1)
    time_s = float(t[b] - t[a])
    dist = float(d[b] - d[a])
    cadence = part["cadence_spm"].mean()
    speed = dist / time_s
    return pl.DataFrame([{
        "start": cleaned["timestamp"][a], "end": cleaned["timestamp"][b], "time_s": time_s,
        "distance_m": dist, "mile_time_s": time_s * distance_m / dist, "speed_mps": speed,
        "speed_cv": float(cv[a]), "cadence_spm": cadence,
        "step_length_m": speed / (cadence / 60.0) if cadence else None,
        "heart_rate_bpm": part["heart_rate_bpm"].mean(),
    }], schema=out_schema)


def _no_mile(out_schema: dict, why: str) -> pl.DataFrame:
    """The empty result of :func:`find_mile_tests`, with a warning that says why."""
    warnings.warn(f"find_mile_tests: no mile test found: {why}", RunlabWarning, stacklevel=3)
    return pl.DataFrame(schema=out_schema)


def baseline_mile(cleaned: pl.DataFrame, **kwargs) -> pl.DataFrame:
    """Deprecated: :func:`find_mile_tests` (``runlab.models.baseline_mile`` is the model of
    the tests' change; removed in the next release)."""
    warnings.warn("runlab.metrics.baseline_mile() is deprecated; use "
                  "runlab.metrics.find_mile_tests()", DeprecationWarning, stacklevel=2)
    return find_mile_tests(cleaned, **kwargs)


def weekly(runs: pl.DataFrame, *, max_hr_bpm: float | None = None) -> pl.DataFrame:
    """Weekly progress per runner: easy-run cadence, volume and technique sessions.

    Weeks start on Monday (UTC). Missing ``easy`` flags are filled with :func:`easy_flags`
    over all of each runner's runs. A technique session is a run with strides or hill reps.

    Returns
    -------
    polars.DataFrame
        ``runner_id``, ``week`` (Monday's date), ``runs``, ``easy_runs``,
        ``easy_cadence_spm`` (mean running cadence of easy runs weighted by moving time —
        the clinic's progress metric), ``cadence_spm`` (all runs), ``distance_m``,
        ``moving_s``, ``technique_sessions``, ``strides``, ``hill_reps``.
    """
    for col in ("start_time", "moving_s", "cadence_spm", "speed_mps"):
        if col not in runs.columns:
            raise SchemaError(f"runs frame lacks column {col!r}; has {runs.columns}")
    frame = schema.conform(runs, "runs")
    frame = frame.with_columns(easy=pl.coalesce(pl.col("easy"),
                                                easy_flags(frame, max_hr_bpm=max_hr_bpm)))
    w = pl.col("moving_s")
    has_cad = pl.col("cadence_spm").is_not_null()
    easy_cad = has_cad & pl.col("easy").fill_null(False)
    return (frame.with_columns(week=pl.col("start_time").dt.truncate("1w").dt.date())
            .group_by("runner_id", "week", maintain_order=True)
            .agg(runs=pl.len(),
                 easy_runs=pl.col("easy").fill_null(False).sum().cast(pl.Int64),
                 easy_cadence_spm=(pl.col("cadence_spm") * w).filter(easy_cad).sum()
                 / w.filter(easy_cad).sum(),
                 cadence_spm=(pl.col("cadence_spm") * w).filter(has_cad).sum()
                 / w.filter(has_cad).sum(),
                 distance_m=pl.col("distance_m").sum(),
                 moving_s=w.sum(),
                 technique_sessions=((pl.col("strides").fill_null(0) > 0)
                                     | (pl.col("hill_reps").fill_null(0) > 0)).sum()
                 .cast(pl.Int64),
                 strides=pl.col("strides").fill_null(0).sum(),
                 hill_reps=pl.col("hill_reps").fill_null(0).sum())
            .with_columns(pl.col("easy_cadence_spm", "cadence_spm").fill_nan(None))
            .sort("runner_id", "week"))
