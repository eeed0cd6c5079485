"""The runners: per-runner truth drawn once per cohort, and the weather they run in."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
from scipy.signal import lfilter

from runlab import plan as _plan
from runlab.simulate.params import (
    ACHIEVED_RATIO,
    BETWEEN_RUNNER_SD_SPM,
    BRISK_WALK_BELOW_JOG_SPM,
    BRISK_WALK_CADENCE_SPM,
    BRISK_WALK_SPEED_MPS,
    CADENCE_AT_REF_SPM,
    COMFORT_RUNNER_SD,
    DRIFT_SD_SPM_PER_WEEK,
    GROUP_PATTERN,
    HEIGHT_MEAN_M,
    HEIGHT_SD_M,
    HEIGHT_SPM_PER_M,
    RETENTION,
    RPE_RUNNER_SD,
    SLOPE_MEAN_SPM_PER_MPS,
    SLOPE_SD_SPM_PER_MPS,
    V_REF_MPS,
    WALK_CADENCE_SPM,
)


def _boost_of(group: str) -> float:
    m = GROUP_PATTERN.match(group)
    if not m:
        raise ValueError(f"group {group!r} is not 'control' or 'cadence+<percent>%' "
                         f"(e.g. 'cadence+7.5%')")
    boost = 0.0 if m.group(2) is None else float(m.group(2)) / 100.0
    if boost > _plan.BOOST_RANGE[1]:
        raise ValueError(f"group {group!r}: a boost above {_plan.BOOST_RANGE[1]:.0%} is not "
                         "a clinic prescription (+5 to +10 %, Heiderscheit et al., 2011)")
    return boost


def _draw_runners(n: int, weeks: int, groups, boosts, rng, rates, quirks, start,
                  mixed, baseline_weeks: int = 0,
                  retention_mean_sd: tuple[float, float] = RETENTION) -> pl.DataFrame:
    """Per-runner truth (vectorized draws); ``mixed`` adds the model's random effects.
    ``start_date`` is the runner's clinic week 1, after ``baseline_weeks`` weeks from
    ``start`` (plus 0–9 days: runners join within the first two weeks)."""
    width = max(2, len(str(n)))
    ids = [f"R{i + 1:0{width}d}" for i in range(n)]
    group = np.array(groups)[rng.permutation(np.arange(n) % len(groups))]
    target = np.array([boosts[g] for g in group])
    height = rng.normal(HEIGHT_MEAN_M, HEIGHT_SD_M, n).clip(1.5, 2.0)
    c_ref = (CADENCE_AT_REF_SPM + HEIGHT_SPM_PER_M * (height - HEIGHT_MEAN_M)
             + rng.normal(0, BETWEEN_RUNNER_SD_SPM, n))
    slope = rng.normal(SLOPE_MEAN_SPM_PER_MPS, SLOPE_SD_SPM_PER_MPS, n).clip(3, 14)
    easy = rng.normal(2.55, 0.3, n).clip(1.9, 3.4)
    achieved = target * rng.normal(*ACHIEVED_RATIO, n).clip(0.6, 1.3)
    retention = rng.normal(*retention_mean_sd, n).clip(0.0, 1.0)
    hazard = rates["dropout_per_week"]
    dropout = 1 + rng.geometric(hazard, n) if hazard > 0 else np.full(n, weeks + 1)
    if mixed is not None:
        u_intercept = rng.normal(0, mixed["sd_intercept"], n)
        u_week = rng.normal(0, mixed["sd_week"], n)
    else:
        u_intercept = c_ref - CADENCE_AT_REF_SPM
        u_week = rng.normal(0, DRIFT_SD_SPM_PER_WEEK, n)
    device = rng.choice(["wrist", "wrist+hrm", "wrist+pod"], n, p=[0.6, 0.25, 0.15])
    u = rng.uniform(size=n)
    fmt = np.where(u < rates["tcx_runner"], "tcx",
                   np.where(u < rates["tcx_runner"] + rates["gpx_runner"], "gpx", "fit"))
    if not quirks:
        fmt = np.full(n, "fit")
    return pl.DataFrame({
        "runner_id": ids,
        "group": pl.Series(group.tolist(), dtype=pl.Enum(list(groups))),
        "target_boost": target,
        "height_m": height.round(3),
        "mass_kg": (22.5 * height**2 * rng.lognormal(0.05, 0.1, n)).round(1),
        "easy_speed_mps": easy,
        "walk_speed_mps": rng.normal(1.45, 0.08, n).clip(1.2, 1.7),
        "walk_cadence_spm": rng.normal(*WALK_CADENCE_SPM[:2], n).clip(*WALK_CADENCE_SPM[2:]),
        "intercept_spm": c_ref - slope * V_REF_MPS,
        "slope_spm_per_mps": slope,
        "cadence_at_ref_spm": c_ref,
        "habitual_cadence_spm": c_ref + slope * (easy - V_REF_MPS),
        "achieved_boost": achieved,
        "retention": retention,
        "u_intercept": u_intercept,
        "u_week": u_week,
        "dropout_week": pl.Series([int(d) if d <= weeks else None for d in dropout],
                                  dtype=pl.Int64),
        "days_per_week": rng.choice([3, 4], n, p=[0.4, 0.6]).astype(np.int64),
        "start_date": [start + dt.timedelta(days=7 * baseline_weeks + int(d))
                       for d in rng.integers(0, 10, n)],
        "start_hour": rng.choice([6.5, 7.5, 12.25, 17.5, 18.5, 19.25], n),
        "miss_rate": rng.beta(2, 18, n) * rates["missed_session"] / 0.1,
        "treadmill_rate": rates["treadmill"] * rng.gamma(2.0, 0.5, n) if quirks else np.zeros(n),
        "device": device.tolist(),
        "doubles_on_treadmill": (rng.uniform(size=n) < rates["doubling_device"]) & quirks,
        "smart_recording": (rng.uniform(size=n) < rates["smart_recording"]) & quirks,
        "format": fmt.tolist(),
        "heel_strike_p": rng.beta(6, 2.5, n),
        "home_lat_deg": 52.37 + rng.normal(0, 0.03, n),
        "home_lon_deg": 4.90 + rng.normal(0, 0.05, n),
    })


def _brisk_walkers(runners: pl.DataFrame, rng, share: float) -> pl.DataFrame:
    """A ``share`` of runners walk their breaks briskly (``brisk_walker`` column): cadence
    and speed from :data:`BRISK_WALK_CADENCE_SPM`/:data:`BRISK_WALK_SPEED_MPS`, overlapping
    a slow jog's, but :data:`BRISK_WALK_BELOW_JOG_SPM` below their own jog's cadence. Drawn
    from its own generator, so ``share=0`` leaves every other draw as it was."""
    n = runners.height
    brisk = rng.uniform(size=n) < share
    cad = np.minimum(
        rng.normal(*BRISK_WALK_CADENCE_SPM[:2], n).clip(*BRISK_WALK_CADENCE_SPM[2:]),
        runners["habitual_cadence_spm"].to_numpy() - BRISK_WALK_BELOW_JOG_SPM)
    speed = rng.normal(*BRISK_WALK_SPEED_MPS[:2], n).clip(*BRISK_WALK_SPEED_MPS[2:])
    return runners.with_columns(
        brisk_walker=pl.Series(brisk),
        walk_cadence_spm=pl.when(pl.Series(brisk)).then(pl.Series(cad))
        .otherwise(pl.col("walk_cadence_spm")),
        walk_speed_mps=pl.when(pl.Series(brisk)).then(pl.Series(speed))
        .otherwise(pl.col("walk_speed_mps")))


def _rating_offsets(runners: pl.DataFrame, rng) -> pl.DataFrame:
    """Each runner's own level of comfort and RPE (latent scale): runners rate the same
    session differently."""
    n = runners.height
    return runners.with_columns(comfort_offset=rng.normal(0, COMFORT_RUNNER_SD, n),
                                rpe_offset=rng.normal(0, RPE_RUNNER_SD, n))


def _weather(start: dt.date, weeks: int, rng) -> dict[dt.date, tuple[float, float]]:
    """Daily mean temperature [°C] and humidity [%]: warming through the season, with
    persistent day-to-day anomalies and a few hot, humid spells."""
    days = 7 * weeks + 14
    anomaly = lfilter([1.0], [1.0, -0.7], rng.normal(0, 2.6, days))
    temp = 13.0 + 9.0 * np.arange(days) / days + anomaly
    humid = (78 - 1.2 * (temp - 15) + rng.normal(0, 9, days)).clip(30, 99)
    return {start + dt.timedelta(days=d): (float(temp[d]), float(humid[d]))
            for d in range(days)}
