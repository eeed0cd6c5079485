"""Each runner's planned sessions and what happened at each: status, weather, pace,
cadence, quirks."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from runlab import plan as _plan
from runlab import schema
from runlab.journal import heat_index_c
from runlab.simulate.params import (
    BASELINE_DAYS,
    FATIGUE_DROP_SPM,
    FATIGUE_MIN_RUN_S,
    FOLLOW_UP_DAYS,
    RUN_NOISE_SD_SPM,
    V_REF_MPS,
)
from runlab.simulate.progression import _boost_fraction


def _baseline_rows(runner: dict, baseline_weeks: int) -> list[dict]:
    """Metronome-free baseline weeks (1 − ``baseline_weeks`` .. 0) before the clinic: the
    baseline mile opens the last one, the other sessions are 1:1 run/walks by feel."""
    rows = []
    for week in range(1 - baseline_weeks, 1):
        for slot, offset in enumerate(BASELINE_DAYS):
            test = week == 0 and slot == 0
            rows.append({
                "date": runner["start_date"] + dt.timedelta(days=7 * (week - 1) + offset),
                "week": week, "session": slot + 1, "runner_id": runner["runner_id"],
                "program": "baseline", "session_type": "baseline_test" if test else "easy",
                "run_walk_pattern": "test" if test else "1:1",
                "run_s": None if test else _plan.WALK_UNIT_S,
                "walk_s": None if test else _plan.WALK_UNIT_S,
                "repeats": 0 if test else 10,
                "warmup_s": _plan.WARMUP_S, "cooldown_s": _plan.COOLDOWN_S, "strides": 0,
                "stride_s": _plan.STRIDE_S, "hill_reps": 0, "hill_rep_s": _plan.HILL_REP_S,
                "test_distance_m": _plan.MILE_M if test else None, "video_review": False,
                "description": "Baseline: " + ("a comfortable mile by feel, no metronome."
                                               if test else "easy run/walk by feel, no "
                                               "metronome.")})
    return rows


def _runner_plan(runner: dict, weeks: int, clinic_weeks: int, model: str,
                 baseline_weeks: int = 0) -> pl.DataFrame:
    """The runner's planned sessions: metronome-free baseline weeks, the clinic, then
    follow-up easy runs."""
    p = _plan.clinic(runner["start_date"], clinic_weeks, runner=runner["runner_id"],
                     days_per_week=runner["days_per_week"],
                     # a very slow jogger's line can fall under the 120 spm a plan accepts
                     # (115.6 spm at one of 1,000 seeds of an 12-runner study): the plan's
                     # targets then start from 120; the simulated cadence does not use them
                     habitual_cadence_spm=round(float(np.clip(
                         runner["habitual_cadence_spm"], *_plan.HABITUAL_CADENCE_SPM)), 1),
                     boost=float(runner["target_boost"]))
    extra = _baseline_rows(runner, baseline_weeks)
    for week in range(clinic_weeks + 1, weeks + 1):
        for slot, offset in enumerate(FOLLOW_UP_DAYS):
            kind = "baseline_test" if (week == weeks and slot == 0) else "easy"
            extra.append({
                "date": runner["start_date"] + dt.timedelta(days=7 * (week - 1) + offset),
                "week": week, "session": slot + 1, "runner_id": runner["runner_id"],
                "program": "follow_up", "session_type": kind,
                "run_walk_pattern": "test" if kind == "baseline_test" else "continuous",
                "run_s": None if kind == "baseline_test" else 1800.0,
                "walk_s": None if kind == "baseline_test" else 0.0,
                "repeats": 0 if kind == "baseline_test" else 1,
                "warmup_s": _plan.WARMUP_S, "cooldown_s": _plan.COOLDOWN_S, "strides": 0,
                "stride_s": _plan.STRIDE_S, "hill_reps": 0, "hill_rep_s": _plan.HILL_REP_S,
                "test_distance_m": _plan.MILE_M if kind == "baseline_test" else None,
                "video_review": False,
                "description": "Follow-up: easy run by feel, no metronome."})
    if extra:
        p = pl.concat([p, pl.DataFrame(extra).cast({k: v for k, v in _plan.PLAN.items()
                                                     if k in extra[0]})],
                      how="diagonal_relaxed").sort("date", "session")
    if model == "mixed":  # every session a continuous run of 20–35 min, no walking
        p = p.with_columns(session_type=pl.lit("easy"), run_walk_pattern=pl.lit("continuous"),
                           run_s=1200.0 + 60.0 * (pl.col("week") % 4) * 5,
                           walk_s=pl.lit(0.0), repeats=pl.lit(1), warmup_s=pl.lit(0.0),
                           cooldown_s=pl.lit(0.0), strides=pl.lit(0), hill_reps=pl.lit(0),
                           test_distance_m=pl.lit(None, pl.Float64))
    return p.with_columns(
        run_id=pl.format("{}/{}_{}", "runner_id", pl.col("date").dt.strftime("%Y-%m-%d"),
                         "session"))


def _outcomes(p: pl.DataFrame, runner: dict, groups: tuple[str, ...], clinic_weeks: int, rng,
              rates, quirks: bool, weather, tz: str, model: str, mixed, seed: int,
              index: int) -> pl.DataFrame:
    """What happened at each planned session: status, weather, pace, cadence, quirks."""
    n = p.height
    week = p["week"].to_numpy()
    kind = p["session_type"].to_numpy()
    status = np.where(rng.uniform(size=n) < runner["miss_rate"], "missed", "done")
    if runner["dropout_week"] is not None:
        status = np.where(week >= runner["dropout_week"], "dropped_out", status)
    status = np.where((kind == "baseline_test") & (status == "missed")
                      & (rng.uniform(size=n) < 0.7), "done", status)  # tests are rarely missed
    dates = p["date"].to_list()
    hour = (runner["start_hour"] + rng.normal(0, 0.6, n)).clip(5.5, 21.0)
    zone = ZoneInfo(tz)
    local = [dt.datetime.combine(d, dt.time()) + dt.timedelta(hours=float(h))
             for d, h in zip(dates, hour, strict=True)]
    local = [t.replace(second=0, microsecond=0) for t in local]
    start_utc = [t.replace(tzinfo=zone).astimezone(dt.UTC) for t in local]
    offset_s = [int(t.replace(tzinfo=zone).utcoffset().total_seconds()) for t in local]
    day_t = np.array([weather[d][0] for d in dates])
    day_h = np.array([weather[d][1] for d in dates])
    diurnal = -3.0 * np.cos((hour - 4.0) / 24 * 2 * np.pi)  # coolest before dawn
    temp = (day_t + diurnal + rng.normal(0, 1.0, n)).round(1)
    humid = (day_h - 2.0 * diurnal + rng.normal(0, 4, n)).clip(20, 100).round(0)
    heat = heat_index_c(temp, humid)
    bad_weather = (temp < 3) | (heat > 29)
    treadmill = ((rng.uniform(size=n) < runner["treadmill_rate"] * (1 + 3 * bad_weather))
                 & (kind != "hills") & quirks)
    speed = (runner["easy_speed_mps"] * (1 + 0.004 * (week - 1))
             * (1 - 0.006 * np.clip(heat - 18, 0, None)) * np.exp(rng.normal(0, 0.04, n)))
    boost = _boost_fraction(runner, week, clinic_weeks)
    # the mile that opens the clinic comes before any metronome session: no boost yet
    boost = np.where((kind == "baseline_test") & (week <= 1), 0.0, boost)
    if model == "mixed":
        speed = runner["easy_speed_mps"] + rng.normal(0, 0.25, n)
        speed_c = speed - speed.mean()
        g = runner["group"]
        fixed = (mixed["Intercept"] + mixed["speed_c"] * speed_c + mixed["week"] * week
                 + mixed.get(f"group[T.{g}]", 0.0)
                 + mixed.get(f"week:group[T.{g}]", 0.0) * week)
        cadence = (fixed + runner["u_intercept"] + runner["u_week"] * week
                   + rng.normal(0, mixed["residual_sd"], n))
        slope_eff = np.full(n, mixed["speed_c"])
    else:
        line = (runner["cadence_at_ref_spm"] + runner["slope_spm_per_mps"] * (speed - V_REF_MPS)
                + runner["u_week"] * week)
        cadence = line * (1 + boost) + rng.normal(0, RUN_NOISE_SD_SPM, n)
        slope_eff = runner["slope_spm_per_mps"] * (1 + boost)
    long_run = (p["run_walk_pattern"].to_numpy() == "continuous") & (
        p["run_s"].fill_null(0).to_numpy() >= FATIGUE_MIN_RUN_S)
    fatigue = np.where(long_run & (model == "clinic"),
                       rng.normal(*FATIGUE_DROP_SPM, n).clip(0.5, None)
                       * (1 + 0.04 * np.clip(heat - 20, 0, None)), 0.0)
    outdoor = ~treadmill
    pauses = np.where((rng.uniform(size=n) < rates["pause"]) & quirks,
                      1 + (rng.uniform(size=n) < 0.3), 0)
    pause_at = [np.sort(rng.uniform(0.1, 0.9, k)).round(4).tolist() for k in pauses]
    pause_s = [rng.integers(20, 150, k).astype(float).tolist() for k in pauses]
    spikes = np.where(outdoor & (rng.uniform(size=n) < rates["gps_spike"]) & quirks,
                      rng.integers(1, 4, n), 0)
    doubled = quirks & ((treadmill & runner["doubles_on_treadmill"])
                        | (outdoor & (rng.uniform(size=n) < rates["doubled_cadence_outdoor"])))
    fmt = np.full(n, runner["format"], dtype=object)
    if runner["format"] == "fit" and quirks:
        other = rng.uniform(size=n) < rates["other_format_run"]
        fmt = np.where(other, rng.choice(["tcx", "gpx"], n), fmt)
    fmt = np.where(treadmill & (fmt == "gpx"), "tcx", fmt)  # GPX needs positions
    seeds = np.random.SeedSequence(seed, spawn_key=(2, index)).generate_state(n, np.uint64)
    return p.with_columns(
        status=pl.Series(status.tolist(), dtype=pl.String),
        group=pl.lit(runner["group"], dtype=pl.Enum(list(groups))),
        start_time=pl.Series(start_utc, dtype=schema.TIMESTAMP),
        local_time_offset_s=pl.Series(offset_s, dtype=pl.Int64),
        local_time=pl.Series([t.time() for t in local], dtype=pl.Time),
        temperature_c=pl.Series(temp), humidity_pct=pl.Series(humid),
        heat_index_c=pl.Series(heat),
        treadmill=pl.Series(treadmill), target_speed_mps=pl.Series(speed),
        target_cadence_spm=pl.Series(cadence), slope_eff_spm_per_mps=pl.Series(slope_eff),
        boost_fraction=pl.Series(boost if model == "clinic" else np.zeros(n)),
        fatigue_drop_spm=pl.Series(fatigue), pauses=pl.Series(pauses.astype(np.int64)),
        pause_at=pl.Series(pause_at, dtype=pl.List(pl.Float64)),
        pause_s=pl.Series(pause_s, dtype=pl.List(pl.Float64)),
        paused_s=pl.Series([float(sum(x)) for x in pause_s]),
        gps_spikes=pl.Series(np.asarray(spikes, dtype=np.int64)),
        doubled_cadence=pl.Series(np.asarray(doubled, dtype=bool)),
        format=pl.Series(fmt.tolist(), dtype=pl.String),
        seed=pl.Series(seeds.astype(np.int64) & 0x7FFF_FFFF_FFFF_FFFF),
        walk_speed_mps=pl.lit(runner["walk_speed_mps"]),
        walk_cadence_spm=pl.lit(runner["walk_cadence_spm"]),
        device=pl.lit(runner["device"]), smart_recording=pl.lit(runner["smart_recording"]),
        mass_kg=pl.lit(runner["mass_kg"]),
        home_lat_deg=pl.lit(runner["home_lat_deg"]), home_lon_deg=pl.lit(runner["home_lon_deg"]),
    )
