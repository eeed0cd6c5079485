"""Small-sample standard errors of the ordinal comfort/RPE models (runlab.models.ordinal)."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from runlab.errors import ModelError, RunlabWarning
from runlab.models import ordinal as ordinal_mod

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from validate_inference import _ordinal_null


def _group(fit) -> dict:
    return fit.fixed.filter(pl.col("term") == "group[T.clinic]").row(0, named=True)


def test_mancl_derouen_matches_statsmodels_bias_reduced_sandwich():
    """runlab's low-rank (I − H)^power equals statsmodels' own Mancl–DeRouen matrix, and
    power 0 the plain sandwich: the correction is the published one, not a rescaling."""
    from statsmodels.genmod import cov_struct
    from statsmodels.genmod.generalized_estimating_equations import OrdinalGEE

    frame = _ordinal_null(7, levels=7).sort("runner_id")
    exog = frame.select((pl.col("group") == "clinic").cast(pl.Float64), "week",
                        "temperature_c", "humidity_pct").to_numpy()
    model = OrdinalGEE(frame["score"].to_numpy(), exog, frame["runner_id"].to_numpy(),
                       cov_struct=cov_struct.Exchangeable())
    res = model.fit(maxiter=200, cov_type="bias_reduced")
    md = ordinal_mod._corrected_cov(model, res, -1.0)
    assert md == pytest.approx(np.asarray(res.cov_robust_bc), rel=1e-6, abs=1e-12)
    assert ordinal_mod._corrected_cov(model, res, 0.0) == pytest.approx(
        np.asarray(res.cov_robust), rel=1e-6, abs=1e-12)
    kc = ordinal_mod._corrected_cov(model, res, -0.5)
    d0, dkc, dmd = (np.diag(np.asarray(c)) for c in (res.cov_robust, kc, md))
    assert np.all(d0 < dkc) and np.all(dkc < dmd)  # KC lies between the plain and MD


def test_default_standard_errors_are_wider_than_cr1_on_null_studies():
    """On a fixed slice of the validation's 7-level null studies (12 runners per group), the
    default (Mancl–DeRouen) group SE exceeds the old CR1 one in every study and rejects no
    more often: CR1 rejected 6.7 % over 1,000 such studies, MD 5.7 %. Reverting the default to
    CR1 (or to the plain sandwich) fails the SE comparison."""
    rejected = {"mancl-derouen": 0, "cr1": 0}
    for seed in range(8):
        frame = _ordinal_null(seed, levels=7)
        md = _group(ordinal_mod.ordinal(frame, "score"))
        cr1 = _group(ordinal_mod.ordinal(frame, "score", se="cr1"))
        assert md["estimate"] == pytest.approx(cr1["estimate"])
        assert md["std_error"] > 1.02 * cr1["std_error"]
        assert md["df"] == cr1["df"] == 23.0
        rejected["mancl-derouen"] += md["p_value"] < 0.05
        rejected["cr1"] += cr1["p_value"] < 0.05
    assert rejected["mancl-derouen"] <= rejected["cr1"]


def test_kauermann_carroll_and_unknown_se():
    frame = _ordinal_null(3, levels=5)
    kc = _group(ordinal_mod.ordinal(frame, "score", se="kauermann-carroll"))
    md = _group(ordinal_mod.ordinal(frame, "score"))
    cr1 = _group(ordinal_mod.ordinal(frame, "score", se="cr1"))
    assert cr1["std_error"] < kc["std_error"] < md["std_error"]
    with pytest.raises(ModelError, match="se must be one of"):
        ordinal_mod.ordinal(frame, "score", se="hc3")


def test_diverging_exchangeable_fit_falls_back_to_independence():
    """Seed 8 of the 11-level null studies: the exchangeable working correlation and the
    parameters feed each other to NaN (statsmodels raises no warning; the Mancl–DeRouen
    SVD then failed and the study was dropped). Seed 34 ran to a group log-odds of 124 and
    was accepted. Both now refit with the independence working correlation, warned."""
    from statsmodels.genmod.cov_struct import Independence

    for seed in (8, 34):
        frame = _ordinal_null(seed, levels=11)
        with pytest.warns(RunlabWarning, match="independence working correlation"):
            fit = ordinal_mod.ordinal(frame, "score")
        assert isinstance(fit.model.cov_struct, Independence)
        g = _group(fit)
        assert abs(g["estimate"]) < 1.0 and np.isfinite(g["std_error"])
        assert 0.0 < g["p_value"] <= 1.0


def test_converging_exchangeable_fit_is_kept():
    from statsmodels.genmod.cov_struct import Exchangeable

    with warnings.catch_warnings():
        warnings.simplefilter("error", RunlabWarning)
        fit = ordinal_mod.ordinal(_ordinal_null(0, levels=11), "score")
    assert isinstance(fit.model.cov_struct, Exchangeable)
