"""Parameter recovery: fits on cohorts simulated from known truth cover it at ~95 %.

Cohorts are drawn from exactly ``cadence_spm ~ speed_c + week * group + (1 + week | runner)``
(SCIENCE.md) by ``clinic_cohort`` in ``test_models``; over 20 seeds the 95 % intervals of the
cadence–speed slope and of the group × week effect must contain the truth in ≥ 85 % of them.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from test_models import clinic_cohort, van_oeveren_cohort

from runlab.models import cadence_speed, progression

SEEDS = range(100, 120)
TRUTH = {"speed_c": 6.01, "week_group": 1.0, "week": 0.2}


def _covers(fixed: pl.DataFrame, term: str, value: float) -> bool:
    row = fixed.filter(pl.col("term") == term).row(0, named=True)
    return row["ci_low"] <= value <= row["ci_high"]


@pytest.mark.slow
def test_progression_recovers_slope_and_group_by_week():
    hits = {"speed_c": [], "week:group[clinic]": []}
    for seed in SEEDS:
        runs = clinic_cohort(seed, n_runners=40, weeks=8, per_week=3, truth=TRUTH)
        fixed = progression.cadence(runs).fixed
        hits["speed_c"].append(_covers(fixed, "speed_c", TRUTH["speed_c"]))
        hits["week:group[clinic]"].append(
            _covers(fixed, "week:group[clinic]", TRUTH["week_group"]))
    coverage = {k: float(np.mean(v)) for k, v in hits.items()}
    print(f"coverage over {len(SEEDS)} seeds: {coverage}")
    assert all(c >= 0.85 for c in coverage.values()), coverage


@pytest.mark.slow
def test_cadence_speed_recovers_population_slope():
    hits = []
    for seed in SEEDS:
        runs = van_oeveren_cohort(seed, n_runners=40, runs=10, slope_sd=1.0)
        hits.append(_covers(cadence_speed(runs).fixed, "speed_mps", 6.01))
    coverage = float(np.mean(hits))
    print(f"cadence_speed slope coverage over {len(SEEDS)} seeds: {coverage}")
    assert coverage >= 0.85
