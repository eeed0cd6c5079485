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
    """Achieved cadence boost [fraction of habitual] in each week: none in the
    metronome-free baseline (weeks ≤ 0), the plan's metronome ramp and plateau during the
    clinic (weeks 1..clinic_weeks), then decay to the retained fraction."""
    ramp = np.array([0.0 if w < 1 else _plan.boost_for_week(int(w), clinic_weeks, 1.0)
                     if w <= clinic_weeks else 1.0 for w in np.asarray(week)])
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


def default_phases(clinic_weeks: int, weeks: int, baseline_weeks: int) -> dict[str, list[int]]:
    """The clinic's phases by week: ``"baseline"`` (the metronome-free weeks ≤ 0), ``"end"``
    (the last two clinic weeks) and, when followed on, ``"follow_up"`` (the weeks after)."""
    phases = {"baseline": list(range(1 - baseline_weeks, 1)),
              "end": list(range(max(1, clinic_weeks - 1), clinic_weeks + 1))}
    if weeks > clinic_weeks:
        phases["follow_up"] = list(range(clinic_weeks + 1, weeks + 1))
    return phases


def phase_truth(runners: pl.DataFrame, phases: dict[str, list[int]], clinic_weeks: int,
                reference: str | None, retention_mean: float = RETENTION[0]) -> pl.DataFrame:
    """The clinic's true effect in every non-baseline phase and group: the change from the
    baseline at the runner's own pace beyond the reference group's change.

    ``effect_spm`` and ``effect_pct`` are this cohort's realised values (mean boost × the
    runner's habitual cadence, in spm and in % of the group's baseline cadence);
    ``population_pct`` is the expectation over runners (what a study estimates), from the
    target, the mean achieved ratio and the mean retention.
    """
    rows = []
    groups = runners["group"].cast(pl.String).unique(maintain_order=True).to_list()
    ref = reference if reference in groups else None
    for name, weeks in phases.items():
        if name == "baseline":
            continue
        wk = np.asarray(weeks, dtype=float)
        mean_of = {}
        for g in groups:
            sub = runners.filter(pl.col("group").cast(pl.String) == g)
            boost = np.array([_boost_fraction(r, wk, clinic_weeks).mean()
                              for r in sub.iter_rows(named=True)]) if sub.height else np.zeros(0)
            habit = sub["habitual_cadence_spm"].to_numpy()
            expected = (_boost_of(g) * ACHIEVED_RATIO[0]
                        * _boost_fraction({"achieved_boost": 1.0, "retention": retention_mean},
                                          wk, clinic_weeks).mean())
            mean_of[g] = (float(np.mean(boost * habit)) if sub.height else np.nan,
                          float(np.mean(habit)) if sub.height else np.nan,
                          float(np.mean(boost)) if sub.height else np.nan, expected)
        base = mean_of[ref] if ref is not None else (0.0, np.nan, 0.0, 0.0)
        for g in groups:
            if g == ref:
                continue
            spm, habit, frac, expected = mean_of[g]
            rows.append({"phase": name, "group": g, "weeks": [int(w) for w in weeks],
                         "effect_spm": spm - base[2] * habit,
                         "effect_pct": 100 * (spm / habit - base[2]),
                         "population_pct": 100 * (expected - base[3])})
    return pl.DataFrame(rows, schema={"phase": pl.String, "group": pl.String,
                                      "weeks": pl.List(pl.Int64), "effect_spm": pl.Float64,
                                      "effect_pct": pl.Float64, "population_pct": pl.Float64})
