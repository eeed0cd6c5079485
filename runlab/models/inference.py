"""Inference a reviewer expects of runlab's models: model comparison, ICC, effect sizes, minimums.

- :func:`compare` — likelihood-ratio test of two nested models on maximum-likelihood refits
  (REML likelihoods of models with different fixed effects are not comparable), with AIC and
  BIC. When the larger model adds random-effect (co)variances the null value is on the
  boundary and the p-value is the 50:50 mixture of χ²(df − 1) and χ²(df) (Self & Liang, 1987,
  doi:10.1080/01621459.1987.10478472; Stram & Lee, 1994, doi:10.2307/2533455).
- :func:`icc` — intraclass correlation and variance components with parametric-bootstrap
  percentile intervals (the fitted model is simulated and refitted by REML ``n_boot`` times).
- :func:`effect_sizes` — standardised fixed effects: estimate / √(τ₀² + σ²), the SD of one
  observation around the population mean (Westfall, Kenny & Judd, 2014,
  doi:10.1037/xge0000014).

Mixed-model fixed effects carry t intervals on Satterthwaite degrees of freedom
(:func:`runlab.models._tidy.mixed_df`). Two minimums are enforced, both measured in
``benchmarks/validate_inference.py``:

- :data:`MIN_RUNNERS_PER_GROUP` — a cohort model with group terms needs at least this many
  runners in every group, else :class:`~runlab.errors.ModelError`;
- :data:`MIN_CLUSTERS` — cluster-robust (sandwich) standard errors are refused with fewer
  runners: with 5 clusters a clustered test of a true null rejected 11 % of the time.

Measured (null studies of an ordinal outcome, runners differing, 200 per count; rejection
rate of the group term at 0.05): a clustered proportional-odds model with z tests rejects
14.0 % with 6 runners, 13.5 % with 8, 10.0 % with 10 and 5.0 % with 12; runlab's ordinal
GEE (Mancl–DeRouen sandwich, t on runners − 1 df) 2.0 %, 5.5 %, 7.0 % and 2.5 %, and
5.0 % with 24 runners, every study counted (none fails: a diverging exchangeable fit is
refitted with the independence working correlation). Before that fallback 6–10 % of these
fits failed (at 12 runners too) and were left out: 2.7 %, 5.8 %, 8.8 % and 2.7 %. With the earlier CR1 sandwich: 8.9 % (6), 13.0 % (8), 11.1 % (10), 6.6 % (12),
4.5 % (16 runners). Mixed models (``progression.cadence``, 300 null studies each): the
``week:group`` term rejects 8.3 % with z intervals and 5.0 % with Satterthwaite t at 5
runners per group, 8.3 % and 6.7 % at 6, 6.7 % and 4.7 % at 12; the ``group`` term 8.0 %
and 4.0 % at 5, 3.3 % and 3.0 % at 6, 4.0 % and 3.7 % at 12 (Monte-Carlo SE 1.0–1.6
points).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from runlab.errors import ModelError, RunlabWarning

__all__ = [
    "MIN_RUNNERS_PER_GROUP",
    "MIN_CLUSTERS",
    "require_runners_per_group",
    "require_clusters",
    "compare",
    "icc",
    "effect_sizes",
]

#: Fewest runners per group for a cohort model with group terms. With 4 per group, random
#: intercept and week-slope variances are estimated from 8 runners and boundary fits are common.
#: At 5 per group the Satterthwaite t tests hold their level (5.0 % and 4.0 % on 300 null
#: studies, against 8.3 % and 8.0 % with z; ``mixed`` in benchmarks/validate_inference.py).
MIN_RUNNERS_PER_GROUP = 5

#: Fewest runners (clusters) for cluster-robust standard errors. Sandwich variances are biased
#: down with few clusters (Mancl & DeRouen, 2001, doi:10.1111/j.0006-341X.2001.00126.x);
#: below this count runlab refuses them: clustered z tests reject a true null 10–14 % of the
#: time with 6–10 runners and 5.0 % with 12 (``clusters`` in benchmarks/validate_inference.py).
MIN_CLUSTERS = 12


def require_runners_per_group(frame: pl.DataFrame, runner: str, group: str | None,
                              what: str, minimum: int = MIN_RUNNERS_PER_GROUP) -> None:
    """Raise :class:`ModelError` when a group of ``frame`` has fewer than ``minimum`` runners."""
    if group is None or group not in frame.columns:
        return
    counts = frame.group_by(group).agg(pl.col(runner).n_unique().alias("n")).sort(group)
    small = counts.filter(pl.col("n") < minimum)
    if small.height:
        listed = ", ".join(f"{g!r}: {n}" for g, n in small.iter_rows())
        raise ModelError(f"{what}: too few runners per group ({listed}); a cohort model with "
                         f"group terms needs at least {minimum} runners in every group "
                         "(runlab.models.inference.MIN_RUNNERS_PER_GROUP)")


def require_clusters(n_clusters: int, what: str, minimum: int = MIN_CLUSTERS) -> None:
    """Refuse cluster-robust standard errors with fewer than ``minimum`` clusters (runners)."""
    if n_clusters < minimum:
        raise ModelError(f"{what}: {n_clusters} runner(s); cluster-robust standard errors need "
                         f"at least {minimum} (with 5 they reject a true null about 11 % of the "
                         "time instead of 5 %); add runners")


# ---------------------------------------------------------------------------------------
# model comparison


def _results(fit) -> Any:
    return getattr(fit, "model", fit) if not hasattr(fit, "llf") else fit


def _is_mixed(res) -> bool:
    return hasattr(res, "cov_re")


def _ml_refit(res):
    """A MixedLM result refitted by maximum likelihood (other results are ML already)."""
    if not _is_mixed(res) or not res.model.reml:
        return res
    import pandas as pd

    from runlab.models._tidy import fit_mixedlm

    m = res.model
    exog = pd.DataFrame(m.exog, columns=m.exog_names)
    exog_re = pd.DataFrame(m.exog_re, columns=m.data.exog_re_names)
    return fit_mixedlm(pd.Series(m.endog), exog, pd.Series(m.groups), exog_re,
                       "compare", reml=False)


def _n_params(res) -> tuple[int, list[str], list[str]]:
    """Number of parameters (fixed, variance, residual), fixed names, random names."""
    if _is_mixed(res):
        fe = list(res.model.exog_names)
        re = list(res.model.data.exog_re_names)
        q = len(re)
        return len(fe) + q * (q + 1) // 2 + 1, fe, re
    names = [str(n) for n in getattr(res.model, "exog_names", [])] or [
        f"x{i}" for i in range(len(np.asarray(res.params)))]
    k = len(np.asarray(res.params))
    has_scale = hasattr(res, "scale") and res.__class__.__name__.startswith(("Regression", "OLS"))
    return k + int(has_scale), names, []


def compare(a, b, *, names: tuple[str, str] = ("a", "b")) -> pl.DataFrame:
    """Likelihood-ratio test, AIC and BIC of two nested models fitted to the same data.

    ``a`` and ``b`` are runlab results (anything with the fitted statsmodels object as
    ``.model``: :class:`~runlab.models.progression.ModelResult`, ``CadenceSpeed``,
    ``Stride``) or statsmodels results. Mixed models are refitted by maximum likelihood.

    Returns
    -------
    polars.DataFrame
        One row per model, smaller first: ``model`` (from ``names``), ``n_params``,
        ``loglik_ml``, ``aic``, ``bic``; the larger model's row also has ``chi2``, ``df``,
        ``p_value`` and ``boundary`` (whether the χ̄² mixture for variance parameters was used).

    Raises
    ------
    ModelError
        The models were fitted to different data or have the same number of parameters.
    """
    ra, rb = _results(a), _results(b)
    ya, yb = np.asarray(ra.model.endog, dtype=float), np.asarray(rb.model.endog, dtype=float)
    if ya.shape != yb.shape or not np.allclose(ya, yb):
        raise ModelError("compare: the two models were fitted to different data (outcome rows "
                         "differ); refit both on the same rows")
    fits = [(names[0], _ml_refit(ra)), (names[1], _ml_refit(rb))]
    info = [(*f, *_n_params(f[1])) for f in fits]
    info.sort(key=lambda r: r[2])
    (n_small, small, k_small, fe_small, re_small), (n_big, big, k_big, fe_big, re_big) = info
    if k_small == k_big:
        raise ModelError(f"compare: both models have {k_small} parameters; a likelihood-ratio "
                         "test needs nested models of different size (compare AIC/BIC instead)")
    nested = set(fe_small) <= set(fe_big) and set(re_small) <= set(re_big)
    if not nested:
        warnings.warn("compare: the smaller model's terms are not a subset of the larger's; "
                      "the likelihood-ratio p-value assumes nesting", RunlabWarning, stacklevel=2)
    nobs = float(ya.size)
    rows = []
    for name, res, k in ((n_small, small, k_small), (n_big, big, k_big)):
        llf = float(res.llf)
        rows.append({"model": name, "n_params": k, "loglik_ml": llf, "aic": 2 * k - 2 * llf,
                     "bic": k * np.log(nobs) - 2 * llf})
    chi2 = max(2.0 * (rows[1]["loglik_ml"] - rows[0]["loglik_ml"]), 0.0)
    df = k_big - k_small
    boundary = _is_mixed(big) and len(re_big) > len(re_small)
    if boundary:
        p = 0.5 * stats.chi2.sf(chi2, df) + 0.5 * (stats.chi2.sf(chi2, df - 1) if df > 1
                                                     else float(chi2 <= 0))
    else:
        p = float(stats.chi2.sf(chi2, df))
    rows[0] |= {"chi2": None, "df": None, "p_value": None, "boundary": None}
    rows[1] |= {"chi2": chi2, "df": df, "p_value": float(p), "boundary": boundary}
    return pl.DataFrame(rows, schema={"model": pl.String, "n_params": pl.Int64,
                                      "loglik_ml": pl.Float64, "aic": pl.Float64,
                                      "bic": pl.Float64, "chi2": pl.Float64, "df": pl.Int64,
                                      "p_value": pl.Float64, "boundary": pl.Boolean})


# ---------------------------------------------------------------------------------------
# ICC and variance components


def _mixed_result(fit, what: str):
    res = _results(fit)
    if not _is_mixed(res):
        raise ModelError(f"{what}: needs a mixed model (MixedLM) fit; got "
                         f"{type(res).__name__} (too few runners for random effects?)")
    return res


def _components(g: np.ndarray, sigma2: float, names: list[str]) -> dict[str, float]:
    out = {f"{n}_variance": float(g[i, i]) for i, n in enumerate(names)}
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            den = np.sqrt(g[i, i] * g[j, j])
            out[f"{names[i]}:{names[j]}_corr"] = float(g[i, j] / den) if den > 0 else np.nan
    out["residual_variance"] = float(sigma2)
    out["icc"] = float(g[0, 0] / (g[0, 0] + sigma2))
    return out


def icc(fit, *, n_boot: int = 200, alpha: float = 0.05, seed: int | None = 0) -> pl.DataFrame:
    """Intraclass correlation and variance components of a mixed model, with intervals.

    ``icc = τ₀² / (τ₀² + σ²)``: the share of a run's variance that is between runners, at the
    centre of the random-effect covariates (with random week slopes: at week 0; with random
    speed slopes: at the reference speed). Intervals are parametric-bootstrap percentiles:
    ``n_boot`` cohorts are simulated from the fitted model and refitted by REML (sufficient
    statistics per runner; :func:`runlab.models._reml.fit_reml`).

    Returns
    -------
    polars.DataFrame
        ``term`` (``<effect>_variance`` per random effect, ``<a>:<b>_corr`` per pair,
        ``residual_variance``, ``icc``), ``estimate``, ``ci_low``, ``ci_high``, ``n_boot``
        (refits that succeeded), ``method``.
    """
    from runlab.models import _reml

    res = _mixed_result(fit, "icc")
    if n_boot < 20:
        raise ModelError(f"icc: n_boot={n_boot}; a percentile interval needs at least 20 refits")
    names = [str(n) for n in res.model.data.exog_re_names]
    g = np.asarray(res.cov_re, dtype=float)
    sigma2 = float(res.scale)
    beta = np.asarray(res.fe_params, dtype=float)
    est = _components(g, sigma2, names)
    blocks = _reml.blocks_of_result(res)
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(n_boot):
        y = _reml.simulate_y(blocks, beta, g, sigma2, rng)
        try:
            gb, sb, _ = _reml.fit_reml(blocks.with_y(y), g, sigma2)
        except (np.linalg.LinAlgError, ValueError):
            continue
        draws.append(_components(gb, sb, names))
    boot = pl.DataFrame(draws)
    rows = []
    for term, value in est.items():
        col = boot[term].drop_nans().drop_nulls().to_numpy()
        lo, hi = (np.quantile(col, [alpha / 2, 1 - alpha / 2]) if col.size
                  else (np.nan, np.nan))
        rows.append((term, value, float(lo), float(hi), int(col.size)))
    return pl.DataFrame(rows, schema={"term": pl.String, "estimate": pl.Float64,
                                      "ci_low": pl.Float64, "ci_high": pl.Float64,
                                      "n_boot": pl.Int64}, orient="row").with_columns(
        method=pl.lit("parametric bootstrap (REML refits), percentile"),
        estimate=pl.col("estimate").fill_nan(None))


# ---------------------------------------------------------------------------------------
# effect sizes


def effect_sizes(fit, *, alpha: float = 0.05) -> pl.DataFrame:
    """Standardised fixed effects of a model: its ``fixed`` frame plus ``sd_total``, ``d``,
    ``d_ci_low`` and ``d_ci_high``.

    ``d = estimate / sd_total`` with ``sd_total = √(τ₀² + σ²)`` for a mixed model (the SD of
    one run around the population mean, at the centre of the random covariates; Westfall,
    Kenny & Judd, 2014, doi:10.1037/xge0000014), ``√σ²`` (residual SD) otherwise. For a slope
    term ``d`` is per unit of its covariate (e.g. per week). The interval is the estimate's
    interval divided by ``sd_total`` (treated as known).
    """
    from runlab.models._tidy import fixed_frame, params_frame

    res = _results(fit)
    fixed = getattr(fit, "fixed", None)
    if _is_mixed(res):
        g = np.asarray(res.cov_re, dtype=float)
        sd = float(np.sqrt(g[0, 0] + res.scale))
        if fixed is None:
            fixed = fixed_frame(res, alpha=alpha)
    else:
        scale = float(getattr(res, "scale", np.nan))
        if not np.isfinite(scale) or scale <= 0:
            raise ModelError("effect_sizes: the model has no residual variance to standardise by "
                             f"({type(res).__name__})")
        sd = float(np.sqrt(scale))
        if fixed is None:
            fixed = params_frame(res, alpha=alpha)
    return fixed.with_columns(sd_total=pl.lit(sd), d=pl.col("estimate") / sd,
                              d_ci_low=pl.col("ci_low") / sd, d_ci_high=pl.col("ci_high") / sd)
