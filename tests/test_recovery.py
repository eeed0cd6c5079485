"""Parameter recovery: fits on cohorts simulated from known truth cover it at ~95 %.

- ``progression.cadence`` on :func:`runlab.simulate.cohort` (``model="mixed"``: run
  summaries drawn from exactly ``cadence_spm ~ speed_c + week * group + (1 + week | runner)``,
  true fixed effects in ``Cohort.truth_effects``);
- ``cadence_speed`` on runners drawn from van Oeveren's line with random intercepts and
  slopes (``van_oeveren_cohort`` in ``test_models``).

Over 20 seeds the 95 % intervals must contain the truth in ≥ 85 % of them.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from test_models import van_oeveren_cohort

from runlab import simulate
from runlab.models import cadence_speed, progression

SEEDS = range(20)
GROUP = "cadence+7.5%"


def _covers(fixed: pl.DataFrame, term: str, value: float) -> bool:
    row = fixed.filter(pl.col("term") == term).row(0, named=True)
    return row["ci_low"] <= value <= row["ci_high"]


@pytest.mark.slow
def test_progression_recovers_speed_slope_and_group_by_week():
    terms = ["speed_c", f"week:group[T.{GROUP}]"]  # runlab terms = simulate truth names
    hits: dict[str, list[bool]] = {t: [] for t in terms}
    for seed in SEEDS:
        cohort = simulate.cohort(24, 8, groups=("control", GROUP), seed=seed, model="mixed")
        fixed = progression.cadence(cohort.runs).fixed
        for term in terms:
            hits[term].append(_covers(fixed, term, cohort.truth_effects[term]))
    coverage = {t: float(np.mean(h)) for t, h in hits.items()}
    print(f"progression.cadence coverage over {len(SEEDS)} seeds: {coverage}")
    assert all(c >= 0.85 for c in coverage.values()), coverage


@pytest.mark.slow
def test_cadence_speed_recovers_population_slope():
    hits = []
    for seed in SEEDS:
        runs = van_oeveren_cohort(100 + seed, n_runners=30, runs=8, slope_sd=1.0)
        hits.append(_covers(cadence_speed(runs).fixed, "speed_mps", 6.01))
    coverage = float(np.mean(hits))
    print(f"cadence_speed slope coverage over {len(SEEDS)} seeds: {coverage}")
    assert coverage >= 0.85
