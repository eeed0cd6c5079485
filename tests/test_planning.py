"""Study planning: power of a clinic design by simulation, and the sample size for a target."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import stats

from runlab.errors import ModelError
from runlab.models import Design, planning, power, sample_size


def change_test(cohort, design) -> float:
    """A plain analysis for the tests: per-runner change from the first two weeks to the
    last clinic weeks, control vs retrained (Welch t)."""
    runs = planning._sessions(cohort.runs, design.sessions_per_week)
    per = runs.group_by("runner_id", "group").agg(
        base=pl.col("cadence_spm").filter(pl.col("week") <= 1).mean(),
        end=pl.col("cadence_spm").filter(pl.col("week").is_between(7, 9)).mean()).drop_nulls()
    change = per.with_columns(ch=pl.col("end") - pl.col("base"))
    a = change.filter(pl.col("group") == "control")["ch"].to_numpy()
    b = change.filter(pl.col("group") != "control")["ch"].to_numpy()
    if min(a.size, b.size) < 2:
        raise ModelError("too few runners")
    return float(stats.ttest_ind(b, a, equal_var=False).pvalue)


def test_power_rises_with_the_effect_and_is_reproducible():
    kw = dict(runners_per_group=6, weeks=10, n_studies=24, seed=3, analyse=change_test)
    null = power(effect_pct=0.0, **kw)
    big = power(effect_pct=6.0, **kw)
    assert null["power"][0] <= 0.25 and big["power"][0] >= 0.75
    assert null["ci_low"][0] <= null["power"][0] <= null["ci_high"][0]
    assert power(effect_pct=6.0, **kw)["power"][0] == big["power"][0]
    assert big["runners_per_group"][0] == 6 and big["n_studies"][0] == 24


def test_sessions_per_week_thins_the_runs():
    cohort = planning.simulate_study(Design(runners_per_group=3, weeks=4), seed=1)
    thin = planning._sessions(cohort.runs, 1)
    assert thin.group_by("runner_id", "week").len()["len"].max() == 1
    assert cohort.runs.group_by("runner_id", "week").len()["len"].max() > 1


def test_dropout_and_missed_sessions_reach_the_simulator():
    heavy = planning.simulate_study(Design(runners_per_group=20, weeks=10, missed=0.5,
                                           dropout=0.6), seed=2)
    light = planning.simulate_study(Design(runners_per_group=20, weeks=10, missed=0.0,
                                           dropout=0.0), seed=2)
    assert heavy.runs.height < 0.7 * light.runs.height


def test_sample_size_bisects_to_the_first_size_reaching_the_target():
    calls = []

    def fake_analyse(cohort, design):  # power = n / 20, exactly, whatever the study
        calls.append(design.runners_per_group)
        return 0.0 if np.random.default_rng(len(calls)).uniform() < (
            design.runners_per_group / 20) else 1.0

    def fake_simulate(design, seed):
        return None

    out = sample_size(0.5, low=2, high=20, n_studies=400, simulate=fake_simulate,
                      analyse=fake_analyse, effect_pct=5.0)
    chosen = out.filter(pl.col("chosen"))
    assert chosen.height == 1 and 8 <= chosen["runners_per_group"][0] <= 12
    assert out["runners_per_group"].is_sorted()
    with pytest.raises(ModelError, match="raise high"):
        sample_size(0.99, low=2, high=4, n_studies=100, simulate=fake_simulate,
                    analyse=fake_analyse)


def test_power_errors():
    with pytest.raises(ModelError, match="effect_pct"):
        power(effect_pct=20.0)
    with pytest.raises(ModelError, match="n_studies"):
        power(n_studies=5)
    with pytest.raises(ModelError, match="dropout"):
        power(dropout=1.0)


def test_power_by_default_analyses_with_clinic_effect():
    design = Design(runners_per_group=5, weeks=5, effect_pct=8.0, dropout=0.0)
    cohort = planning.simulate_study(design, seed=4)
    p = planning.analyse_study(cohort, design)
    assert 0.0 <= p < 0.05  # +8 % with 5 runners per group is plain to see
    out = power(design, n_studies=20, seed=4)
    assert out["power"][0] >= 0.7 and out["n_failed"][0] == 0
