"""Small-sample inference of runlab's mixed models: Satterthwaite df, compare, ICC, effect sizes."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest
import statsmodels.formula.api as smf
from test_models import clinic_cohort, van_oeveren_cohort

from runlab.errors import ModelError
from runlab.models import _reml, cadence_speed, inference, progression
from runlab.models._tidy import fit_mixedlm, mixed_df


def _intercept_cohort(seed: int, n_runners: int, runs: int, tau: float = 4.0,
                      sigma: float = 3.0) -> pl.DataFrame:
    """Balanced: cadence = 160 + 2·clinic + b_i + e, one week column for the model."""
    rng = np.random.default_rng(seed)
    rid = np.repeat(np.arange(n_runners), runs)
    g = (np.arange(n_runners) % 2)[rid]
    week = np.tile(np.arange(runs) % 4, n_runners).astype(float)
    y = 160 + 2.0 * g + rng.normal(0, tau, n_runners)[rid] + rng.normal(0, sigma, rid.size)
    return pl.DataFrame({"runner_id": [f"r{i:02d}" for i in rid], "week": week,
                         "group": np.where(g == 1, "clinic", "control"),
                         "speed_mps": 3.0 + rng.normal(0, 0.2, rid.size), "cadence_spm": y})


def test_reml_likelihood_and_refit_match_statsmodels():
    fit = progression.cadence(clinic_cohort(31, n_runners=16, weeks=5))
    res = fit.model
    b = _reml.blocks_of_result(res)
    g, s2 = np.asarray(res.cov_re), float(res.scale)
    assert _reml.reml_loglik(b, g, s2) == pytest.approx(res.llf, abs=1e-6)
    assert np.sqrt(np.diag(_reml.fe_cov(b, g, s2)))[[0, 2, 3, 4]] == pytest.approx(
        np.asarray(res.bse_fe)[[0, 2, 3, 4]], rel=1e-4)
    g2, s22, beta = _reml.fit_reml(b, 2 * g + np.eye(2) * 0.1, 0.5 * s2)
    assert _reml.reml_loglik(b, g2, s22) >= res.llf - 1e-3
    assert beta == pytest.approx(np.asarray(res.fe_params), abs=0.05)


def test_satterthwaite_df_of_a_between_runner_contrast_is_runners_minus_two():
    # balanced random-intercept design y ~ group + (1 | runner): the exact df is m - 2
    runs = _intercept_cohort(32, n_runners=12, runs=8)
    pdf = runs.with_columns(i=pl.lit(1.0), g=(pl.col("group") == "clinic").cast(pl.Float64),
                            ).to_pandas()
    res = fit_mixedlm(pdf["cadence_spm"], pdf[["i", "g"]], pdf["runner_id"], pdf[["i"]], "t")
    assert mixed_df(res, np.eye(2)) == pytest.approx([10.0, 10.0], abs=1e-3)
    fit = progression.cadence(runs, random_week=False)
    df = dict(zip(fit.fixed["term"], fit.fixed["df"], strict=True))
    assert 9 < df["group[T.clinic]"] < 13  # week:group mixes in within-runner information
    assert df["speed_c"] > 60  # within-runner term: ~ n - p
    row = fit.fixed.filter(pl.col("term") == "group[T.clinic]").row(0, named=True)
    from scipy import stats

    q = stats.t.ppf(0.975, row["df"])
    assert row["ci_high"] - row["estimate"] == pytest.approx(q * row["std_error"])
    assert row["ci_high"] - row["estimate"] > 1.96 * row["std_error"] * 1.05


def test_cadence_speed_intervals_use_satterthwaite_df():
    cs = cadence_speed(van_oeveren_cohort(3, n_runners=30, runs=10, slope_sd=1.0))
    df = cs.fixed["df"].to_numpy()
    assert np.all((df > 20) & (df < 30))  # 30 runners: between-runner information


def test_compare_likelihood_ratio_on_ml_refits():
    runs = clinic_cohort(33, n_runners=20, weeks=6)
    full = progression.cadence(runs, random_week=False)
    small = progression.cadence(runs, group=None, random_week=False)
    out = inference.compare(full, small, names=("full", "no group"))
    assert out["model"].to_list() == ["no group", "full"]
    pdf = runs.with_columns(speed_c=pl.col("speed_mps") - pl.col("speed_mps").mean().over(
        "runner_id")).to_pandas()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = smf.mixedlm("cadence_spm ~ speed_c + week * group", pdf,
                        groups="runner_id").fit(reml=False)
        b = smf.mixedlm("cadence_spm ~ speed_c + week", pdf, groups="runner_id").fit(reml=False)
    row = out.row(1, named=True)
    assert row["chi2"] == pytest.approx(2 * (a.llf - b.llf), abs=0.05)
    assert row["df"] == 2 and row["p_value"] < 1e-6 and not row["boundary"]
    assert out["aic"][1] < out["aic"][0]
    # adding random week slopes: variance parameters on the boundary → chi-bar mixture
    slopes = inference.compare(full, progression.cadence(runs))
    assert slopes["boundary"][1] and slopes["df"][1] == 2
    with pytest.raises(ModelError, match="different data"):
        inference.compare(full, progression.cadence(runs.head(300), random_week=False))


def test_icc_bootstrap_interval_covers_truth():
    runs = _intercept_cohort(34, n_runners=30, runs=10, tau=4.0, sigma=3.0)
    fit = progression.cadence(runs, random_week=False)
    out = inference.icc(fit, n_boot=60, seed=1)
    row = out.filter(pl.col("term") == "icc").row(0, named=True)
    assert row["ci_low"] < 16 / 25 < row["ci_high"]
    assert row["ci_low"] < row["estimate"] < row["ci_high"] and row["n_boot"] == 60
    res = out.filter(pl.col("term") == "residual_variance").row(0, named=True)
    assert res["ci_low"] < 9.0 < res["ci_high"]
    again = inference.icc(fit, n_boot=60, seed=1)
    assert again["ci_low"].to_list() == out["ci_low"].to_list()
    with pytest.raises(ModelError, match="n_boot"):
        inference.icc(fit, n_boot=5)


def test_effect_sizes_standardise_by_total_sd():
    fit = progression.cadence(_intercept_cohort(35, n_runners=20, runs=8), random_week=False)
    out = inference.effect_sizes(fit)
    sd = np.sqrt(float(fit.model.cov_re.iloc[0, 0]) + fit.model.scale)
    row = out.filter(pl.col("term") == "group[T.clinic]").row(0, named=True)
    assert row["sd_total"] == pytest.approx(sd)
    assert row["d"] == pytest.approx(row["estimate"] / sd)
    assert row["d_ci_low"] == pytest.approx(row["ci_low"] / sd)


def test_minimum_runners_per_group():
    runs = clinic_cohort(36, n_runners=10, weeks=3)
    progression.cadence(runs)  # 5 + 5 runners: allowed
    fewer = runs.filter(pl.col("runner_id") != "r001")  # 4 in the clinic group
    with pytest.raises(ModelError, match="'clinic': 4.*at least 5"):
        progression.cadence(fewer)
    progression.cadence(fewer, group=None)  # no group terms: no per-group minimum


def test_require_clusters():
    with pytest.raises(ModelError, match="at least 12"):
        inference.require_clusters(5, "x")
    inference.require_clusters(12, "x")
