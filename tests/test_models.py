"""Tests of runlab.models: numbers against numpy/statsmodels, docs/science.md values, errors."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm
from statsmodels.stats.proportion import proportion_confint

import runlab
from runlab.errors import ModelError, RunlabWarning
from runlab.models import (
    baseline_mile,
    cadence_speed,
    cadence_zone,
    comfort,
    progression,
    retention,
    rpe,
    step_length_speed,
    target_attainment,
    walk_run,
)
from runlab.models import targets as targets_mod
from runlab.models._tidy import TIDY_COLUMNS, ols_by


def van_oeveren_cohort(seed: int, n_runners: int = 60, runs: int = 12, *, slope_sd: float = 0.0,
                       height: bool = False) -> pl.DataFrame:
    """Runs from cadence = 150.0 + 6.01 v + b_i (+ c_i (v - 3.5)) + e (docs/science.md SDs 8 / 3)."""
    rng = np.random.default_rng(seed)
    rid = np.repeat(np.arange(n_runners), runs)
    base_speed = rng.uniform(2.6, 3.8, n_runners)
    v = np.clip(base_speed[rid] + rng.normal(0, 0.35, rid.size), 2.0, 5.5)
    b = rng.normal(0, 8.0, n_runners)
    c = rng.normal(0, slope_sd, n_runners)
    cad = 150.0 + 6.01 * v + b[rid] + c[rid] * (v - 3.5) + rng.normal(0, 3.0, rid.size)
    frame = pl.DataFrame({"runner_id": [f"r{i:03d}" for i in rid], "speed_mps": v,
                          "cadence_spm": cad})
    if height:
        frame = frame.with_columns(height_m=pl.Series(rng.normal(1.75, 0.07, n_runners)[rid]))
    return frame


def clinic_cohort(seed: int, n_runners: int = 40, weeks: int = 8, per_week: int = 3,
                  truth: dict | None = None) -> pl.DataFrame:
    """Runs from exactly ``cadence ~ speed_c + week * group + (1 + week | runner)``."""
    t = {"intercept": 160.0, "speed_c": 6.0, "week": 0.1, "group": 0.0, "week_group": 1.2,
         "sd_intercept": 8.0, "sd_week": 0.3, "sd_resid": 3.0} | (truth or {})
    rng = np.random.default_rng(seed)
    rid = np.repeat(np.arange(n_runners), weeks * per_week)
    week = np.tile(np.repeat(np.arange(weeks), per_week), n_runners).astype(float)
    g = (np.arange(n_runners) % 2)[rid].astype(float)
    speed = rng.normal(3.0, 0.3, n_runners)[rid] + rng.normal(0, 0.25, rid.size)
    speed_c = speed - (np.bincount(rid, speed) / np.bincount(rid))[rid]
    u0 = rng.normal(0, t["sd_intercept"], n_runners)[rid]
    u1 = rng.normal(0, t["sd_week"], n_runners)[rid]
    cad = (t["intercept"] + t["speed_c"] * speed_c + t["week"] * week + t["group"] * g
           + t["week_group"] * week * g + u0 + u1 * week + rng.normal(0, t["sd_resid"], rid.size))
    return pl.DataFrame({"runner_id": [f"r{i:03d}" for i in rid], "week": week,
                         "group": np.where(g == 1, "clinic", "control"), "speed_mps": speed,
                         "cadence_spm": cad})


# --------------------------------------------------------------------------- cadence_speed


def test_per_runner_ols_equals_numpy_and_statsmodels():
    runs = van_oeveren_cohort(1, n_runners=8, runs=15, slope_sd=1.0)
    fit = ols_by(runs, "runner_id", "speed_mps", "cadence_spm")
    for row in fit.iter_rows(named=True):
        sub = runs.filter(pl.col("runner_id") == row["runner_id"])
        x, y = sub["speed_mps"].to_numpy(), sub["cadence_spm"].to_numpy()
        design = np.column_stack([np.ones_like(x), x])
        coef, *_ = np.linalg.lstsq(design, y, rcond=None)
        ref = sm.OLS(y, design).fit()
        assert row["intercept"] == pytest.approx(coef[0], abs=1e-9)
        assert row["slope"] == pytest.approx(coef[1], abs=1e-9)
        assert row["intercept_se"] == pytest.approx(ref.bse[0], abs=1e-9)
        assert row["slope_se"] == pytest.approx(ref.bse[1], abs=1e-9)
        lo, hi = ref.conf_int()[1]
        assert (row["slope_ci_low"], row["slope_ci_high"]) == pytest.approx((lo, hi), abs=1e-9)
        assert row["r2"] == pytest.approx(ref.rsquared, abs=1e-9)
        assert row["residual_sd"] == pytest.approx(np.sqrt(ref.scale), abs=1e-9)


def test_cadence_speed_per_runner_matches_ols_and_keeps_thin_runners():
    runs = van_oeveren_cohort(2, n_runners=10, runs=10)
    runs = pl.concat([runs, pl.DataFrame({"runner_id": ["thin", "thin"], "speed_mps": [3.0, 3.2],
                                          "cadence_spm": [170.0, 172.0]})])
    with pytest.warns(RunlabWarning, match="no own line for 1 runner"):
        fit = cadence_speed(runs)
    per = fit.per_runner
    assert per.columns[:10] == ["runner_id", "n_runs", "intercept_spm", "intercept_se_spm",
                                "slope_spm_per_mps", "slope_se_spm_per_mps",
                                "slope_ci_low_spm_per_mps", "slope_ci_high_spm_per_mps", "r2",
                                "residual_sd_spm"]
    thin = per.filter(pl.col("runner_id") == "thin").row(0, named=True)
    assert thin["n_runs"] == 2 and thin["slope_spm_per_mps"] is None
    sub = runs.filter(pl.col("runner_id") == "r003")
    ref = sm.OLS(sub["cadence_spm"].to_numpy(),
                 sm.add_constant(sub["speed_mps"].to_numpy())).fit()
    row = per.filter(pl.col("runner_id") == "r003").row(0, named=True)
    assert row["slope_spm_per_mps"] == pytest.approx(ref.params[1], abs=1e-9)
    assert fit.fixed.columns == TIDY_COLUMNS
    assert fit.fixed["term"].to_list() == ["intercept", "speed_mps", "cadence_at_ref"]
    assert fit.random["term"].to_list() == ["intercept", "speed_mps", "intercept:speed_mps",
                                            "residual"]


@pytest.mark.slow
def test_cohort_model_predicts_van_oeveren_171_at_3_5():
    runs = van_oeveren_cohort(3, n_runners=400, runs=10, slope_sd=1.0)
    fit = cadence_speed(runs)
    pop = fit.predict(None, [2.5, 3.5, 4.5])
    assert pop["source"].to_list() == ["population"] * 3
    assert pop["cadence_spm"][1] == pytest.approx(171.0, abs=1.0)
    assert pop["cadence_spm"].to_list() == pytest.approx([165.0, 171.0, 177.0], abs=1.5)
    slope = fit.fixed.filter(pl.col("term") == "speed_mps").row(0, named=True)
    assert slope["ci_low"] < 6.01 < slope["ci_high"]
    # the population interval spans the between-runner spread (SD 8 spm)
    assert pop["std_error"][1] == pytest.approx(8.0, abs=1.0)
    intercept_sd = fit.random.filter(pl.col("term") == "intercept")["sd"][0]
    assert intercept_sd == pytest.approx(8.0, abs=1.0)
    assert fit.random.filter(pl.col("term") == "residual")["sd"][0] == pytest.approx(3.0, abs=0.2)


def test_predict_known_runner_uses_blup_and_is_tighter():
    runs = van_oeveren_cohort(4, n_runners=30, runs=20)
    fit = cadence_speed(runs)
    row = runs.filter(pl.col("runner_id") == "r007")
    pred = fit.predict("r007", 3.0)
    assert pred["source"][0] == "runner"
    own = ols_by(row, "runner_id", "speed_mps", "cadence_spm").row(0, named=True)
    assert pred["cadence_spm"][0] == pytest.approx(own["intercept"] + 3.0 * own["slope"], abs=2.0)
    assert pred["std_error"][0] < fit.predict(None, 3.0)["std_error"][0] / 3
    with pytest.warns(RunlabWarning, match="not in the fitted data"):
        unknown = fit.predict("nobody", 3.0)
    assert unknown["source"][0] == "population"
    with pytest.raises(ModelError, match="positive"):
        fit.predict("r007", -1.0)


def test_random_intercept_only_model_predicts():
    runs = van_oeveren_cohort(15, n_runners=12, runs=10)
    fit = cadence_speed(runs, random_slopes=False)
    assert fit.random["term"].to_list() == ["intercept", "residual"]
    known, pop = fit.predict("r001", 3.2), fit.predict(None, 3.2)
    assert known["std_error"][0] < pop["std_error"][0]
    blup = fit.per_runner.filter(pl.col("runner_id") == "r001")["blup_slope_spm_per_mps"][0]
    assert blup == pytest.approx(fit.fixed["estimate"][1])


def test_cadence_speed_running_segments_and_bad_rows():
    runs = van_oeveren_cohort(5, n_runners=6, runs=8)
    segs = runs.with_columns(gait=pl.lit("run"))
    walk = segs.head(3).with_columns(gait=pl.lit("walk"), cadence_spm=pl.lit(110.0))
    bad = segs.head(2).with_columns(cadence_spm=pl.lit(None, pl.Float64))
    with pytest.warns(RunlabWarning, match="ignored 2 of"):
        fit = cadence_speed(pl.concat([segs, walk, bad]))
    assert fit.fixed["n"][0] == runs.height


def test_cadence_speed_few_runners_falls_back_to_pooled_ols():
    runs = van_oeveren_cohort(6, n_runners=2, runs=12)
    with pytest.warns(RunlabWarning, match="pooled OLS"):
        fit = cadence_speed(runs)
    assert not fit.mixed and fit.random.height == 0
    ref = sm.OLS(runs["cadence_spm"].to_numpy(), sm.add_constant(runs["speed_mps"].to_numpy())).fit()
    assert fit.fixed["estimate"].to_list() == pytest.approx(list(ref.params), abs=1e-9)
    assert fit.predict("r000", 3.0)["source"][0] == "runner"


def test_cadence_speed_errors_name_the_problem():
    runs = van_oeveren_cohort(7, n_runners=3, runs=4)
    with pytest.raises(ModelError, match="speed_mps"):
        cadence_speed(runs.drop("speed_mps"))
    with pytest.raises(ModelError, match="runner_id"):
        cadence_speed(runs.drop("runner_id"))
    with pytest.raises(ModelError, match="usable runs"):
        cadence_speed(runs.head(2))
    with pytest.raises(ModelError, match="same speed"):
        cadence_speed(runs.with_columns(speed_mps=pl.lit(3.0)))
    with pytest.raises(ModelError, match="polars DataFrame"):
        cadence_speed(runs.to_pandas())


def test_non_convergence_is_a_model_error(monkeypatch):
    from statsmodels.regression.mixed_linear_model import MixedLM

    class Unconverged:
        converged = False
        fe_params = np.array([np.nan, np.nan])

    def fake_fit(self, *args, **kwargs):
        warnings.warn("optimization failed", UserWarning, stacklevel=1)
        return Unconverged()

    monkeypatch.setattr(MixedLM, "fit", fake_fit)
    with pytest.raises(ModelError, match="did not converge"):
        cadence_speed(van_oeveren_cohort(8, n_runners=10, runs=5))


def test_public_api_reexports():
    assert runlab.models.cadence_speed is cadence_speed
    assert runlab.models.progression.cadence is progression.cadence
    assert runlab.models.step_length_speed is step_length_speed
    assert runlab.models.step_length.step_length_speed is step_length_speed


def test_stride_is_a_deprecated_alias_of_step_length_speed():
    runs = van_oeveren_cohort(9, n_runners=6, runs=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RunlabWarning)
        with pytest.warns(DeprecationWarning, match="step_length_speed"):
            old = runlab.models.stride(runs)
        new = step_length_speed(runs)
    assert isinstance(old, runlab.models.StepLengthSpeed) and runlab.models.Stride is type(old)
    assert old.elasticities.equals(new.elasticities)


# --------------------------------------------------------------------------- step length


def test_stride_elasticities_sum_to_one_and_decompose():
    runs = van_oeveren_cohort(9, n_runners=20, runs=15, height=True)
    fit = step_length_speed(runs)
    e = dict(zip(fit.elasticities["term"], fit.elasticities["estimate"], strict=True))
    assert e["cadence"] + e["step_length"] == pytest.approx(1.0, abs=1e-12)
    # cadence rises ~6 spm per m/s at ~170 spm and ~3.2 m/s: elasticity ≈ 6.01·3.2/170
    assert e["cadence"] == pytest.approx(6.01 * 3.2 / 170, abs=0.03)
    parts = fit.decompose(3.0, [3.3, 3.6])
    product = (1 + parts["cadence_change_pct"] / 100) * (1 + parts["step_length_change_pct"] / 100)
    assert product.to_list() == pytest.approx([1.1, 1.2], abs=1e-12)
    assert fit.fixed["term"].to_list() == ["step_length_at_ref", "speed_mps", "height_m"]
    with pytest.raises(ModelError):
        fit.decompose(0.0, 3.0)


def test_stride_elasticity_matches_fixed_effects_ols():
    runs = van_oeveren_cohort(10, n_runners=5, runs=12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RunlabWarning)
        fit = step_length_speed(runs)
    dummies = runs["runner_id"].to_dummies().to_numpy().astype(float)
    x = np.column_stack([np.log(runs["speed_mps"].to_numpy()), dummies])
    ref = sm.OLS(np.log(runs["cadence_spm"].to_numpy()), x).fit()
    row = fit.elasticities.row(0, named=True)
    assert row["estimate"] == pytest.approx(ref.params[0], abs=1e-10)
    assert row["std_error"] == pytest.approx(ref.bse[0], abs=1e-10)


def test_overstriding_flags_a_long_step_relative_to_own_line():
    runs = van_oeveren_cohort(11, n_runners=12, runs=20)
    fit = step_length_speed(runs)
    base = runs.filter(pl.col("runner_id") == "r002").row(0, named=True)
    probe = pl.DataFrame({"runner_id": ["r002", "r002", "stranger"],
                          "speed_mps": [base["speed_mps"]] * 3,
                          # 15 % fewer steps at the same speed → a much longer step
                          "cadence_spm": [base["cadence_spm"], base["cadence_spm"] * 0.85,
                                          170.0]})
    out = fit.overstriding(probe)
    assert out["overstriding"].to_list() == [False, True, None]
    assert out["step_length_z"][1] > 3
    step = base["speed_mps"] / (base["cadence_spm"] * 0.85 / 60)
    assert out["step_length_m"][1] == pytest.approx(step)
    assert fit.overstriding().height == runs.height


def test_stride_requires_speed_and_cadence():
    with pytest.raises(ModelError, match="speed_mps"):
        step_length_speed(pl.DataFrame({"runner_id": ["a"], "cadence_spm": [170.0]}))


# --------------------------------------------------------------------------- targets


def test_cadence_zone_population_fallback_is_the_novice_line():
    with pytest.warns(RunlabWarning, match="novice"):
        zone = cadence_zone(None, 2.5)
        assert cadence_zone(None, speed_mps=2.5).habitual_spm == zone.habitual_spm
        with pytest.warns(DeprecationWarning, match="speed_mps"):
            assert cadence_zone(None, speed=2.5).habitual_spm == zone.habitual_spm
    assert zone.source == "population" and zone.population == "novice"
    # de Ruiter et al. (2014): novices' self-selected 77.8 strides/min = 155.6 spm
    assert zone.habitual_spm == pytest.approx(155.6)
    assert zone.habitual_high_spm - zone.habitual_spm == pytest.approx(1.96 * 5.6, abs=0.01)
    with pytest.warns(RunlabWarning):
        fast = cadence_zone(None, 3.5)
        experienced = cadence_zone(None, 3.5, population="experienced")
    assert fast.habitual_spm == pytest.approx(155.6 + 6.01)
    assert experienced.habitual_spm == pytest.approx(150.0 + 6.01 * 3.5)
    assert (experienced.target_low_spm, experienced.target_high_spm) == pytest.approx(
        (171.035 * 1.05, 171.035 * 1.10))
    assert zone.step_length_change_high_pct == pytest.approx(-9.0909, abs=1e-3)
    assert zone.step_length_change_low_pct == pytest.approx(-4.7619, abs=1e-3)
    assert "Heiderscheit" in zone.explanation and "de Ruiter" in zone.explanation
    assert zone.to_frame().height == 1
    with pytest.raises(ModelError, match="novice"):
        cadence_zone(None, 3.0, population="elite")


def test_cadence_zone_explains_the_pace_in_the_chosen_units(monkeypatch):
    monkeypatch.setenv("RUNLAB_UNITS", "mi")
    with pytest.warns(RunlabWarning):
        zone = cadence_zone(None, 3.0)
    assert "(8:56 /mi)" in zone.explanation  # 1609.344 m / 3 m/s = 536 s
    monkeypatch.setenv("RUNLAB_UNITS", "km")
    with pytest.warns(RunlabWarning):
        assert "(5:33 /km)" in cadence_zone(None, 3.0).explanation


def test_cadence_zone_height_adjustment_is_off_by_default():
    with pytest.warns(RunlabWarning):
        tall = cadence_zone(None, 3.0, height_m=1.95)
        short = cadence_zone(None, 3.0, height_m=1.60)
        nudged = cadence_zone(None, 3.0, height_m=1.95, height_slope_spm_per_m=-15.0)
    assert tall.habitual_spm == short.habitual_spm and tall.height_adjustment_spm == 0.0
    assert nudged.height_adjustment_spm == pytest.approx(-15.0 * 0.20)
    assert "height" not in tall.explanation.lower()
    with pytest.raises(ModelError, match="stature"):
        cadence_zone(None, 3.0, height_m=175)


def test_cadence_zone_boost_limits():
    with pytest.warns(RunlabWarning, match="population"):
        ok = cadence_zone(None, 3.0)
    assert (ok.boost_low, ok.boost_high) == (0.05, 0.10)
    with pytest.warns(RunlabWarning, match=r"\+15%.*prescription"):
        high = cadence_zone(None, 3.0, boost=(0.10, 0.15))
    assert high.target_high_spm == pytest.approx(high.habitual_spm * 1.15)
    with pytest.raises(ModelError, match="0.15"):
        cadence_zone(None, 3.0, boost=0.16)
    with pytest.raises(ModelError, match="boost"):
        cadence_zone(None, 3.0, boost=-0.05)


def test_cadence_zone_few_runs_in_a_cohort_use_the_blup():
    cohort = van_oeveren_cohort(40, n_runners=20, runs=12, slope_sd=1.0)
    r = "r000"
    few = pl.concat([cohort.filter(pl.col("runner_id") != r),
                     cohort.filter(pl.col("runner_id") == r).head(3)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RunlabWarning)
        zone = cadence_zone(few, 3.0, runner=r)
        fit = cadence_speed(few)
        own = cadence_zone(few.filter(pl.col("runner_id") == r), 3.0)
    assert zone.source == "cohort_blup" and zone.n_runs == 3
    assert zone.habitual_spm == pytest.approx(fit.predict(r, 3.0)["cadence_spm"][0])
    assert own.source == "runner_level"  # alone, 3 runs: level only, no raw OLS line
    mine = few.filter(pl.col("runner_id") == r)
    raw = np.polyfit(mine["speed_mps"].to_numpy(), mine["cadence_spm"].to_numpy(), 1)
    pop = fit.fixed.filter(pl.col("term") == "cadence_at_ref")["estimate"][0]
    assert zone.habitual_spm != pytest.approx(float(np.polyval(raw, 3.0)), abs=1e-6)
    assert np.isfinite(pop)


def test_cadence_zone_uses_the_runners_own_line():
    rng = np.random.default_rng(12)
    v = rng.uniform(2.5, 3.5, 15)
    history = pl.DataFrame({"runner_id": ["a"] * 15, "speed_mps": v,
                            "cadence_spm": 158 + 4.0 * (v - 3) + rng.normal(0, 1.0, 15)})
    # (15 runs >= min_runs=10 across 1 m/s: the runner's own line)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RunlabWarning)
        zone = cadence_zone(history, 3.0, boost=0.075, height_m=1.9)
    assert zone.source == "runner_line" and zone.n_runs == 15
    assert zone.habitual_spm == pytest.approx(158, abs=1.5)
    assert zone.habitual_low_spm < zone.habitual_spm < zone.habitual_high_spm
    assert zone.target_low_spm == zone.target_high_spm == pytest.approx(zone.habitual_spm * 1.075)
    assert zone.height_adjustment_spm == 0.0


def test_cadence_zone_few_runs_shrinks_toward_population():
    history = pl.DataFrame({"speed_mps": [3.0, 3.05], "cadence_spm": [160.0, 161.0]})
    with pytest.warns(RunlabWarning, match="2 usable run"):
        zone = cadence_zone(history, 3.0)
    assert zone.source == "runner_level"
    pop = 155.6 + 6.01 * 0.5  # the novice line at 3.0 m/s: 158.6
    assert pop < zone.habitual_spm < 160.5  # the runner's level, pulled toward the population
    tau2, n = 5.6**2, 2
    weight = n * tau2 / (n * tau2 + 9.0)
    resid = np.mean([160.0 - pop, 161.0 - (pop + 6.01 * 0.05)])
    assert zone.habitual_spm == pytest.approx(pop + weight * resid)


def test_cadence_zone_errors():
    two = pl.DataFrame({"runner_id": ["a", "b"], "speed_mps": [3.0, 3.0],
                        "cadence_spm": [160.0, 170.0]})
    with pytest.raises(ModelError, match="runner="):
        cadence_zone(two, 3.0)
    with pytest.raises(ModelError, match="boost"):
        cadence_zone(None, 3.0, boost=(0.1, 0.05))
    with pytest.raises(ModelError, match="speed"):
        cadence_zone(None, 0.0)
    with pytest.warns(RunlabWarning):
        assert cadence_zone(two, 3.0, runner="b").n_runs == 1
    assert targets_mod.height_adjustment_spm(None) == 0.0


# --------------------------------------------------------------------------- progression


def test_progression_cadence_terms_and_trend():
    runs = clinic_cohort(13)
    fit = progression.cadence(runs)
    assert fit.fixed.columns == TIDY_COLUMNS
    assert fit.fixed["term"].to_list() == ["intercept", "speed_c", "week", "group[T.clinic]",
                                           "week:group[T.clinic]"]
    est = dict(zip(fit.fixed["term"], fit.fixed["estimate"], strict=True))
    assert est["week:group[T.clinic]"] == pytest.approx(1.2, abs=0.4)
    assert est["speed_c"] == pytest.approx(6.0, abs=1.0)
    trend = fit.summary
    assert trend.columns == ["group", "week", "cadence_spm", "std_error", "ci_low", "ci_high"]
    clinic = trend.filter(pl.col("group") == "clinic").sort("week")["cadence_spm"].to_numpy()
    assert np.diff(clinic) == pytest.approx(est["week"] + est["week:group[T.clinic]"])
    assert fit.model.converged


def test_progression_cadence_derives_week_from_start_time():
    runs = clinic_cohort(14, n_runners=10, weeks=4)
    start = pl.datetime(2026, 3, 2, time_zone="UTC") + pl.duration(
        days=pl.col("week") * 7 + pl.int_range(pl.len()).over("runner_id", "week"))
    timed = runs.with_columns(start_time=start).drop("week")
    a = progression.cadence(timed)
    b = progression.cadence(runs)
    assert a.fixed["estimate"].to_list() == pytest.approx(b.fixed["estimate"].to_list())


def test_progression_errors():
    runs = clinic_cohort(15, n_runners=4, weeks=3)
    with pytest.raises(ModelError, match="at least 5"):
        progression.cadence(runs)
    with pytest.raises(ModelError, match="same week"):
        progression.cadence(clinic_cohort(15, n_runners=6, weeks=1))
    with pytest.raises(ModelError, match="week"):
        progression.cadence(runs.drop("week"))
    with pytest.raises(ModelError, match="reference group"):
        progression.cadence(clinic_cohort(15, n_runners=6), reference="nobody")


def test_retention_recovers_kept_gain_beyond_control():
    # the retrained group's cadence rises 1.2 spm/week in weeks 1-6, then stays (fully
    # retained); both groups drift +0.1 spm/week, which the control's change removes
    runs = clinic_cohort(16, n_runners=30, weeks=12, truth={"week_group": 0.0, "week": 0.1})
    gain = np.minimum(runs["week"].to_numpy(), 6) * 1.2 * (runs["group"] == "clinic").to_numpy()
    runs = runs.with_columns(cadence_spm=pl.col("cadence_spm") + gain)
    fit = retention(runs, baseline_weeks=[0], end_weeks=[6], follow_up_weeks=[10, 11])
    summary = {r["term"]: r for r in fit.summary.iter_rows(named=True)}
    assert set(fit.summary["group"]) == {"clinic"}
    kept = summary["retained_fraction"]  # runners' own week slopes (SD 0.3) blur it
    assert kept["ci_low"] < 1.0 < kept["ci_high"] and kept["ci_high"] - kept["ci_low"] < 1.0
    assert summary["end_change_pct"]["estimate"] == pytest.approx(100 * 7.2 / 160, abs=1.0)
    assert summary["retained_fraction"]["df"] < 30  # small-sample t, not z
    end = fit.fixed.filter(pl.col("term") == "end:clinic").row(0, named=True)
    assert end["ci_low"] < 7.2 < end["ci_high"]
    assert fit.per_runner.height == 30 and fit.per_runner["n_end"].to_list() == [3] * 30
    # a pooled pre–post change would also count the control group's drift and halve the
    # gain; without a control arm it is a warned pre–post estimate
    with pytest.warns(RunlabWarning, match="pre–post"):
        pre_post = retention(runs.filter(pl.col("group") == "clinic"), baseline_weeks=[0],
                             end_weeks=[6], follow_up_weeks=[10, 11])
    assert pre_post.fixed.filter(pl.col("term") == "end:clinic")["estimate"][0] > 7.2
    with pytest.raises(ModelError, match="follow_up"):
        retention(runs, baseline_weeks=[0], end_weeks=[6], follow_up_weeks=[40])


def test_target_attainment_shares_and_wilson_interval():
    runs = clinic_cohort(17, n_runners=20, weeks=6)
    targets = pl.DataFrame({"runner_id": [f"r{i:03d}" for i in range(20)] + ["ghost"],
                            "target_spm": [165.0] * 21, "speed_mps": [3.0] * 21})
    with pytest.warns(RunlabWarning, match="ghost"):
        fit = target_attainment(runs, targets, weeks=[4, 5])
    per = fit.per_runner
    assert per.columns == ["runner_id", "group", "target_spm", "achieved_spm", "gap_spm",
                           "reached", "n_runs", "method", "change_spm", "change_pct"]
    assert set(per.drop_nulls("reached")["method"].to_list()) == {"line"}
    overall = fit.summary.filter(pl.col("group") == "all").row(0, named=True)
    k = int(per["reached"].sum())
    lo, hi = proportion_confint(k, 10, method="wilson")  # the 10 retrained runners
    assert overall["n_reached"] == k and overall["share"] == pytest.approx(k / 10)
    assert (overall["ci_low"], overall["ci_high"]) == pytest.approx((lo, hi))
    assert fit.summary["group"].to_list() == ["clinic", "control", "all"]
    # the control group has no target it could miss: no share, compared on change
    control = per.filter(pl.col("group") == "control")
    assert control["reached"].null_count() == 10 and set(control["method"]) == {"control"}
    assert fit.summary.filter(pl.col("group") == "control")["share"].null_count() == 1
    # without a target pace: mean cadence over the weeks
    plain = target_attainment(runs, targets.drop("speed_mps").head(20), weeks=[5],
                              tolerance_spm=2.0)
    mean5 = runs.filter((pl.col("week") == 5) & (pl.col("runner_id") == "r000"))["cadence_spm"]
    assert plain.per_runner["achieved_spm"][0] == pytest.approx(mean5.mean())
    r001 = plain.per_runner.filter(pl.col("runner_id") == "r001").row(0, named=True)
    mean5 = runs.filter((pl.col("week") == 5) & (pl.col("runner_id") == "r001"))["cadence_spm"]
    assert r001["group"] == "clinic" and r001["reached"] == (mean5.mean() >= 163.0)


def _journal(seed: int, n_runners: int = 30, sessions: int = 20) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    n = n_runners * sessions
    week = np.tile(np.arange(sessions) // 2, n_runners).astype(float)
    temp = rng.normal(20, 6, n)
    hum = rng.uniform(30, 90, n)
    runner = rng.normal(0, 0.8, n_runners)  # a runner-level variance on the latent scale
    group = np.arange(n_runners) % 2
    latent = (0.25 * week - 0.08 * temp - 0.02 * hum + 0.6 * np.repeat(group, sessions)
              + np.repeat(runner, sessions) + rng.logistic(size=n))
    comfort_level = np.digitize(latent, [-4.0, -3.0, -2.0, -1.0]) + 1
    return pl.DataFrame({"runner_id": np.repeat([f"r{i}" for i in range(n_runners)], sessions),
                         "group": np.repeat(np.where(group == 1, "clinic", "control"), sessions),
                         "week": week, "temperature_c": temp, "humidity_pct": hum,
                         "comfort": comfort_level, "rpe": 11 - comfort_level})


def test_comfort_and_rpe_ordinal_recover_signs():
    journal = _journal(18)
    fit = comfort(journal)
    est = dict(zip(fit.fixed["term"], fit.fixed["estimate"], strict=True))
    assert est["week"] == pytest.approx(0.25, abs=0.1)
    assert est["temperature_c"] == pytest.approx(-0.08, abs=0.04)
    assert fit.summary["term"].to_list() == ["1|2", "2|3", "3|4", "4|5"]
    assert fit.summary["estimate"].is_sorted()
    assert fit.fixed["term"].to_list() == ["group[T.clinic]", "week", "temperature_c",
                                           "humidity_pct"]
    group = fit.fixed.row(0, named=True)
    assert group["ci_low"] < 0.6 < group["ci_high"]
    assert fit.fixed["df"].to_list() == [29.0] * 4
    cr1 = comfort(journal, se="cr1")
    scaled = np.asarray(cr1.model.bse)[4:] * np.sqrt(30 / 29)
    assert cr1.fixed["std_error"].to_numpy() == pytest.approx(scaled)
    assert fit.fixed["odds_ratio"][1] == pytest.approx(np.exp(est["week"]))
    slope = rpe(journal).fixed.filter(pl.col("term") == "week")["estimate"][0]
    assert slope == pytest.approx(-est["week"], abs=1e-4)


def test_comfort_errors():
    journal = _journal(19, n_runners=2, sessions=5)
    with pytest.raises(ModelError, match="need at least 20"):
        comfort(journal)
    with pytest.raises(ModelError, match="humidity_pct"):
        comfort(_journal(19).drop("humidity_pct"))
    with pytest.raises(ModelError, match="numeric"):
        comfort(_journal(19).with_columns(pl.col("comfort").cast(pl.String)))
    with pytest.raises(ModelError, match="do not vary"):
        comfort(_journal(19).with_columns(temperature_c=pl.lit(20.0)))
    with pytest.raises(ModelError, match="group=None"):
        comfort(_journal(19).drop("group"))
    # clustered standard errors are refused with too few runners
    with pytest.raises(ModelError, match="at least 12"):
        comfort(_journal(19, n_runners=8, sessions=20))
    single = comfort(_journal(19).filter(pl.col("group") == "clinic"), group=None)
    assert single.fixed["term"].to_list() == ["week", "temperature_c", "humidity_pct"]


def test_walk_run_progression_in_doublings_per_week():
    rng = np.random.default_rng(20)
    runs = clinic_cohort(20, n_runners=24, weeks=8)
    ratio = np.exp2(0.2 * runs["week"].to_numpy() + rng.normal(0, 0.2, runs.height))
    runs = runs.with_columns(run_walk_ratio=ratio)
    runs = pl.concat([runs, runs.head(2).with_columns(run_walk_ratio=pl.lit(float("inf")))])
    with pytest.warns(RunlabWarning, match="2 continuous"):
        fit = walk_run(runs, group=None)
    week = fit.fixed.filter(pl.col("term") == "week").row(0, named=True)
    assert week["ci_low"] < 0.2 < week["ci_high"]
    assert fit.summary["run_walk_ratio"][0] == pytest.approx(1.0, abs=0.15)
    assert fit.summary["group"].null_count() == fit.summary.height


def test_baseline_mile_change_equals_paired_mean():
    rng = np.random.default_rng(21)
    first = rng.normal(158, 6, 12)
    tests = pl.DataFrame({
        "runner_id": [f"r{i}" for i in range(12)] * 2 + ["solo"],
        "week": [0.0] * 12 + [8.0] * 12 + [0.0],
        "cadence_spm": np.concatenate([first, first + rng.normal(8, 3, 12), [160.0]]),
        "rpe": [5] * 12 + [4] * 12 + [5]})
    with pytest.warns(RunlabWarning, match="single test"):
        fit = baseline_mile(tests)
    change = fit.per_runner.drop_nulls("cadence_spm_change")["cadence_spm_change"]
    row = fit.fixed.filter(pl.col("term") == "cadence_spm_change").row(0, named=True)
    assert row["estimate"] == pytest.approx(change.mean())
    assert row["std_error"] == pytest.approx(change.std() / np.sqrt(12))
    assert row["n"] == 12
    assert fit.fixed.filter(pl.col("term") == "rpe_change")["estimate"][0] == pytest.approx(-1)
    assert set(fit.model) == {"cadence_spm", "rpe"}


# --------------------------------------------------------------------------- real files

REAL_RUNS = [
    "files/fit/fitparse__compressed-speed-distance.fit",
    "files/fit/fitparse__activity-small-fenix2-run.fit",
    "files/fit/fitparse__developer-types-sample.fit",
    "files/fit/runpandas__run.fit",
    "files/tcx/runpandas__stopped_example.tcx",
    "files/tcx/runpandas__2020-12-08T06_36_12-300_Running.tcx",
    "files/gpx/runpandas__stopped_example.gpx",
]


def _minute_segments(path) -> pl.DataFrame:
    """Running samples of a real file as one-minute segments (mean speed and cadence)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RunlabWarning)
        cleaned = runlab.clean(runlab.read(path))
    running = cleaned.filter(pl.col("gait") == "run").drop_nulls(["speed_mps", "cadence_spm"])
    return (running.group_by_dynamic("timestamp", every="1m")
            .agg(pl.len().alias("samples"), pl.col("speed_mps", "cadence_spm").mean())
            .filter(pl.col("samples") >= 5)
            .with_columns(runner_id=pl.lit(path.name), gait=pl.lit("run")))


def test_models_on_real_files(corpus):
    segs = pl.concat([_minute_segments(corpus / p) for p in REAL_RUNS])
    assert segs["runner_id"].n_unique() == len(REAL_RUNS)
    fit = cadence_speed(segs)
    assert fit.mixed and fit.model.converged
    for row in fit.per_runner.iter_rows(named=True):
        sub = segs.filter(pl.col("runner_id") == row["runner_id"])
        ref = sm.OLS(sub["cadence_spm"].to_numpy(),
                     sm.add_constant(sub["speed_mps"].to_numpy())).fit()
        assert [row["intercept_spm"], row["slope_spm_per_mps"]] == pytest.approx(
            list(ref.params), abs=1e-9)
        assert row["slope_se_spm_per_mps"] == pytest.approx(ref.bse[1], rel=1e-9)
        # the runner's habitual cadence at their own mean pace lies in their observed range
        pred = fit.predict(row["runner_id"], row["speed_mean_mps"])["cadence_spm"][0]
        assert sub["cadence_spm"].min() <= pred <= sub["cadence_spm"].max()
    elastic = step_length_speed(segs).elasticities["estimate"]
    assert elastic.sum() == pytest.approx(1.0, abs=1e-12)
    one = segs.filter(pl.col("runner_id") == "fitparse__activity-small-fenix2-run.fit")
    zone = cadence_zone(one, float(one["speed_mps"].median()))
    assert zone.source == "runner_line"
    assert one["cadence_spm"].min() <= zone.habitual_spm <= one["cadence_spm"].max()


def test_cli_zone(tmp_path, capsys):
    from runlab.cli import main

    rng = np.random.default_rng(22)
    v = rng.uniform(2.6, 3.4, 10)
    pl.DataFrame({"runner_id": "a", "speed_mps": v, "cadence_spm": 160 + 5 * (v - 3)}).write_csv(
        tmp_path / "runs.csv")
    assert main(["zone", "--speed", "3.0", "--runs", str(tmp_path / "runs.csv")]) == 0
    assert "habitual cadence is about 160 steps/min" in capsys.readouterr().out
    assert main(["zone", "--speed", "3.5", "--height", "1.8"]) == 0
    captured = capsys.readouterr()
    assert "population" in captured.out and "note:" in captured.err
    assert main(["zone", "--speed", "3.0", "--boost", "0.1", "0.05"]) == 2


def test_baseline_mile_from_metrics_rows_and_date_weeks():
    rows = pl.DataFrame({
        "runner_id": ["a", "a", "b", "b"],
        "start": pl.Series([f"2026-03-0{d}T07:00:00" for d in (2, 9)] * 2).str.to_datetime(
            time_zone="UTC"),
        "mile_time_s": [600.0, 570.0, 660.0, 650.0], "cadence_spm": [158.0, 166.0, 150.0, 160.0]})
    fit = baseline_mile(rows)
    est = dict(zip(fit.fixed["term"], fit.fixed["estimate"], strict=True))
    assert est == pytest.approx({"cadence_spm_change": 9.0, "mile_time_s_change": -20.0})
    assert fit.per_runner["last_week"].to_list() == [1.0, 1.0]
    weekly = clinic_cohort(23, n_runners=10, weeks=3).with_columns(
        week=pl.date(2026, 3, 2) + pl.duration(weeks=pl.col("week")))
    assert progression.cadence(weekly).summary["week"].unique().sort().to_list() == [0, 1, 2]


def test_running_only_speed_is_preferred():
    runs = van_oeveren_cohort(24, n_runners=8, runs=10)
    # walk breaks lower the overall speed at random; cadence belongs to the running speed
    rng = np.random.default_rng(24)
    mixed = runs.rename({"speed_mps": "run_speed_mps"}).with_columns(
        speed_mps=pl.col("run_speed_mps") * rng.uniform(0.5, 1.0, runs.height))
    a, b = cadence_speed(mixed), cadence_speed(runs)
    assert a.fixed["estimate"].to_list() == pytest.approx(b.fixed["estimate"].to_list())
    flat = cadence_speed(mixed, speed="speed_mps").fixed["estimate"][1]
    assert flat < b.fixed["estimate"][1]
    with pytest.raises(ModelError, match="pace_mps"):
        cadence_speed(runs, speed="pace_mps")
