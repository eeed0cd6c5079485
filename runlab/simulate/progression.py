"""How a runner's cadence boost unfolds over the weeks, and the truth of each model."""

from __future__ import annotations

import numpy as np
import polars as pl

from runlab import plan as _plan
from runlab.simulate.params import (
    ACHIEVED_RATIO,
    BETWEEN_RUNNER_SD_SPM,
    CADENCE_AT_REF_SPM,
    HEIGHT_SPM_PER_M,
    RETENTION,
    RETENTION_DECAY_WEEKS,
    RUN_NOISE_SD_SPM,
    SLOPE_MEAN_SPM_PER_MPS,
)
from runlab.simulate.population import _boost_of


def _boost_fraction(runner: dict, week: np.ndarray, clinic_weeks: int) -> np.ndarray:
    """Achieved cadence boost [fraction of habitual] in each week: the plan's metronome
    ramp during the clinic, then decay to the retained fraction."""
    ramp = np.array([_plan.boost_for_week(int(w), clinic_weeks, 1.0)
                     if w <= clinic_weeks else 1.0 for w in week])
    after = np.clip(week - clinic_weeks, 0, None)
    kept = np.where(after > 0, runner["retention"] + (1 - runner["retention"])
                    * np.exp(-after / RETENTION_DECAY_WEEKS), 1.0)
    return runner["achieved_boost"] * ramp * kept


def _mixed_effects(groups, boosts, effects) -> dict[str, float]:
    """True parameters of ``cadence_spm ~ speed_c + week * group + (1 + week | runner)``."""
    base = {"Intercept": 160.0, "speed_c": SLOPE_MEAN_SPM_PER_MPS, "week": 0.1,
            "sd_intercept": BETWEEN_RUNNER_SD_SPM, "sd_week": 0.3,
            "corr_intercept_week": 0.0, "residual_sd": RUN_NOISE_SD_SPM}
    allowed = set(base) - {"corr_intercept_week"}
    bad = set(effects or {}) - allowed
    if bad:
        raise ValueError(f"unknown effect(s) {sorted(bad)}; known: {sorted(allowed)}")
    base.update(effects or {})
    ref = groups[0]
    for g in groups[1:]:
        base[f"group[T.{g}]"] = 0.0  # randomised groups: no baseline difference
        # the boost accrues linearly over ten weeks relative to the reference group
        base[f"week:group[T.{g}]"] = (boosts[g] - boosts[ref]) * base["Intercept"] / 10.0
    return base


def _clinic_effects(groups, runners: pl.DataFrame) -> dict[str, float]:
    """Population values of the clinic model (plus realised means)."""
    out = {"cadence_at_2.5_mps_spm": CADENCE_AT_REF_SPM,
           "slope_spm_per_mps": SLOPE_MEAN_SPM_PER_MPS,
           "height_spm_per_m": HEIGHT_SPM_PER_M, "sd_between_runner_spm": BETWEEN_RUNNER_SD_SPM,
           "residual_sd": RUN_NOISE_SD_SPM, "retention": RETENTION[0],
           "achieved_ratio": ACHIEVED_RATIO[0]}
    for g in groups:
        rows = runners.filter(pl.col("group") == g)
        out[f"target_boost[{g}]"] = _boost_of(g)
        out[f"achieved_boost[{g}]"] = float(rows["achieved_boost"].mean() or 0.0)
    return out
