"""Shared plumbing of runlab's models: the one place polars meets statsmodels.

Input checks (:func:`require`, :func:`usable`), per-group closed-form OLS (:func:`ols_by`),
a MixedLM fit that tries several optimizers and turns non-convergence into a
:class:`~runlab.errors.ModelError` (:func:`fit_mixedlm`), and the conversion of fitted
statsmodels results into tidy polars frames (:func:`fixed_frame`, :func:`random_frame`,
:func:`params_frame`). pandas appears only here, at the statsmodels boundary.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

if TYPE_CHECKING:
    import pandas as pd

from runlab.errors import ModelError, RunlabWarning

__all__ = [
    "TIDY_COLUMNS",
    "require",
    "usable",
    "group_column",
    "centre_within",
    "to_pandas",
    "ols_by",
    "fit_mixedlm",
    "fixed_frame",
    "mixed_df",
    "random_frame",
    "params_frame",
    "combination_frame",
    "coef_frame",
    "random_frame_empty",
]

#: Columns of every tidy coefficient frame (``.fixed`` of the model results).
#: ``df`` is the reference distribution's degrees of freedom: Satterthwaite's for mixed models
#: (small-sample t intervals, :func:`runlab.models._reml.satterthwaite_df`), the residual
#: degrees of freedom for OLS, ``inf`` for likelihood models with Wald z intervals.
TIDY_COLUMNS = ["term", "estimate", "std_error", "statistic", "df", "p_value", "ci_low",
                "ci_high", "n"]

#: MixedLM optimizers in the order tried. Powell (derivative-free) first: on cohorts with a
#: small random week-slope variance next to a large intercept variance the gradient
#: methods often stop early, or report convergence at a worse likelihood.
_MIXEDLM_METHODS = ("powell", "lbfgs", "bfgs", "cg")


def require(frame: pl.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise :class:`ModelError` naming every column of ``columns`` that ``frame`` lacks."""
    if not isinstance(frame, pl.DataFrame):
        raise ModelError(f"{what}: expected a polars DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ModelError(f"{what}: data lacks column(s) {missing}; has {frame.columns}")


def usable(frame: pl.DataFrame, columns: Sequence[str], what: str) -> pl.DataFrame:
    """Rows of ``frame`` whose ``columns`` are all present and finite (numeric ones).

    Dropped rows are never silent: a :class:`RunlabWarning` says how many and why.
    """
    require(frame, columns, what)
    ok = pl.lit(True)
    for c in columns:
        cond = pl.col(c).is_not_null()
        if frame.schema[c].is_numeric():
            cond = cond & pl.col(c).cast(pl.Float64).is_finite()
        ok = ok & cond
    kept = frame.filter(ok)
    dropped = frame.height - kept.height
    if dropped:
        warnings.warn(f"{what}: ignored {dropped} of {frame.height} rows with missing or "
                      f"non-finite values in {list(columns)}", RunlabWarning, stacklevel=3)
    return kept


def group_column(frame: pl.DataFrame, by: str) -> str:
    """``by="runner"`` means column ``runner_id``; any other value is a column name."""
    return by if by in frame.columns or by.endswith("_id") else f"{by}_id"


def centre_within(column: str, by: str) -> pl.Expr:
    """``column`` minus its mean within each ``by`` group (e.g. speed centred per runner)."""
    return pl.col(column) - pl.col(column).mean().over(by)


def to_pandas(frame: pl.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The selected columns as a pandas frame with a fresh RangeIndex (statsmodels input)."""
    return frame.select(columns).to_pandas().reset_index(drop=True)


def ols_by(frame: pl.DataFrame, by: str, x: str, y: str, *, alpha: float = 0.05,
           min_n: int = 3) -> pl.DataFrame:
    """Simple linear regression ``y = intercept + slope · x`` within each ``by`` group.

    Closed form on centred sums (numerically stable, vectorized over groups); equal to
    ``numpy.linalg.lstsq`` / statsmodels OLS on each group. Groups with fewer than
    ``min_n`` rows or no spread in ``x`` keep their row with null estimates.

    Returns
    -------
    polars.DataFrame
        ``by``, ``n``, ``intercept``, ``intercept_se``, ``slope``, ``slope_se``,
        ``slope_ci_low``, ``slope_ci_high`` (``1 - alpha`` t interval), ``r2``,
        ``residual_sd``, ``x_mean``, ``x_min``, ``x_max``, ``y_mean``, sorted by ``by``.
    """
    from scipy.special import stdtrit  # not scipy.stats: the coach's tuner fits lines at start

    dx = pl.col(x) - pl.col(x).mean().over(by)
    dy = pl.col(y) - pl.col(y).mean().over(by)
    sums = (
        frame.with_columns(_dx=dx, _dy=dy)
        .group_by(by)
        .agg(
            n=pl.len().cast(pl.Int64),
            x_mean=pl.col(x).mean(),
            x_min=pl.col(x).min(),
            x_max=pl.col(x).max(),
            y_mean=pl.col(y).mean(),
            sxx=(pl.col("_dx") ** 2).sum(),
            sxy=(pl.col("_dx") * pl.col("_dy")).sum(),
            syy=(pl.col("_dy") ** 2).sum(),
        )
        .sort(by)
    )
    n = sums["n"].to_numpy().astype(float)
    sxx, sxy, syy = (sums[c].to_numpy() for c in ("sxx", "sxy", "syy"))
    xbar, ybar = sums["x_mean"].to_numpy(), sums["y_mean"].to_numpy()
    spread = sxx > 1e-12 * np.maximum(1.0, xbar**2) * n
    ok = (n >= min_n) & spread
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(ok, sxy / sxx, np.nan)
        intercept = ybar - slope * xbar
        rss = np.maximum(syy - slope * sxy, 0.0)
        dof = n - 2
        sigma2 = np.where(ok & (dof > 0), rss / dof, np.nan)
        slope_se = np.sqrt(sigma2 / sxx)
        intercept_se = np.sqrt(sigma2 * (1.0 / n + xbar**2 / sxx))
        r2 = np.where(syy > 0, 1.0 - rss / syy, np.nan)
        tq = stdtrit(np.where(dof > 0, dof, np.nan), 1 - alpha / 2)  # t quantile
    out = sums.select(by, "n").with_columns(
        _f("intercept", intercept), _f("intercept_se", intercept_se),
        _f("slope", slope), _f("slope_se", slope_se),
        _f("slope_ci_low", slope - tq * slope_se), _f("slope_ci_high", slope + tq * slope_se),
        _f("r2", r2), _f("residual_sd", np.sqrt(sigma2)),
    )
    return out.with_columns(sums.select("x_mean", "x_min", "x_max", "y_mean"))


def with_units(lines: pl.DataFrame, y_unit: str, slope_unit: str) -> pl.DataFrame:
    """:func:`ols_by`'s lines with units in the column names (``intercept_spm``,
    ``slope_spm_per_mps``, ``residual_sd_spm``...) and ``n`` as ``n_runs``."""
    names = {"n": "n_runs", "intercept": f"intercept_{y_unit}",
             "intercept_se": f"intercept_se_{y_unit}", "residual_sd": f"residual_sd_{y_unit}",
             **{c: f"{c}_{slope_unit}" for c in ("slope", "slope_se", "slope_ci_low",
                                                  "slope_ci_high")}}
    return lines.rename({k: v for k, v in names.items() if k in lines.columns})


def _f(name: str, values: np.ndarray) -> pl.Series:
    return pl.Series(name, values, dtype=pl.Float64).fill_nan(None)


def fit_mixedlm(endog: pd.Series, exog: pd.DataFrame, groups: pd.Series,
                exog_re: pd.DataFrame | None, what: str, *, reml: bool = True):
    """Fit ``statsmodels`` MixedLM, trying optimizers in turn until one converges.

    Convergence warnings of the accepted fit are re-issued as :class:`RunlabWarning`
    (e.g. a random-effect variance on the boundary); if no optimizer converges a
    :class:`ModelError` lists what each reported.
    """
    from statsmodels.regression.mixed_linear_model import MixedLM
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    model = MixedLM(endog, exog, groups=groups, exog_re=exog_re)
    failures: list[str] = []
    for method in _MIXEDLM_METHODS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = model.fit(reml=reml, method=method)
            except (np.linalg.LinAlgError, ValueError) as exc:
                failures.append(f"{method}: {exc}")
                continue
        if result.converged and np.all(np.isfinite(result.fe_params)):
            for w in caught:
                if issubclass(w.category, ConvergenceWarning):
                    warnings.warn(f"{what}: {w.message}", RunlabWarning, stacklevel=3)
            if not np.all(np.isfinite(result.bse_fe)):
                warnings.warn(f"{what}: standard errors are not finite (singular fit); "
                              "intervals are unreliable", RunlabWarning, stacklevel=3)
            return result
        failures.append(f"{method}: " + "; ".join(str(w.message) for w in caught)[:200])
    raise ModelError(f"{what}: the mixed model did not converge with any optimizer "
                     f"({' | '.join(failures)}); simplify it or add data")


def fixed_frame(result, *, alpha: float = 0.05) -> pl.DataFrame:
    """Tidy fixed effects of a MixedLM result: :data:`TIDY_COLUMNS`, t intervals on
    Satterthwaite degrees of freedom (:func:`mixed_df`)."""
    names = list(result.model.exog_names)
    est = np.asarray(result.fe_params, dtype=float)
    se = np.asarray(result.bse_fe, dtype=float)
    return coef_frame(names, est, se, alpha, int(result.nobs), dist="t",
                      df=mixed_df(result, np.eye(est.size)))


def mixed_df(result, contrasts) -> np.ndarray:
    """Satterthwaite degrees of freedom of the combinations ``contrasts @ β`` of a MixedLM
    fit (one per row; see :func:`runlab.models._reml.satterthwaite_df`)."""
    from runlab.models import _reml

    b = _reml.blocks_of_result(result)
    return _reml.satterthwaite_df(b, np.asarray(result.cov_re, dtype=float),
                                  float(result.scale), contrasts)


def params_frame(result, *, alpha: float = 0.05, names: Sequence[str] | None = None,
                 dist: str = "t") -> pl.DataFrame:
    """Tidy coefficients of an OLS / GLM / OrderedModel result: :data:`TIDY_COLUMNS`.

    ``names`` restricts (and orders) the terms; ``dist`` is ``"t"`` (OLS, residual
    degrees of freedom) or ``"z"`` (likelihood models).
    """
    import pandas as pd

    all_names = list(result.model.exog_names)
    if len(all_names) != len(np.asarray(result.params)):
        all_names = list(pd.Series(result.params).index)
    params = pd.Series(np.asarray(result.params, dtype=float), index=all_names)
    bse = pd.Series(np.asarray(result.bse, dtype=float), index=all_names)
    keep = list(names) if names is not None else all_names
    df_resid = float(getattr(result, "df_resid", np.inf)) if dist == "t" else np.inf
    return coef_frame(keep, params[keep].to_numpy(), bse[keep].to_numpy(), alpha,
                       int(result.nobs), dist="t" if np.isfinite(df_resid) else "z",
                       df=df_resid)


def coef_frame(names, est, se, alpha, n, *, dist: str = "z", df=np.inf) -> pl.DataFrame:
    """Tidy frame (:data:`TIDY_COLUMNS`) from estimates and standard errors.

    ``dist="t"`` uses ``df`` (a number, or one per term); ``"z"`` the normal (``df = inf``).
    """
    from scipy import stats

    est = np.asarray(est, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = est / se
    df = np.broadcast_to(np.asarray(df, dtype=float), est.shape) if dist == "t" else (
        np.full(est.shape, np.inf))
    if dist == "t":
        q = stats.t.ppf(1 - alpha / 2, df)
        p = 2 * stats.t.sf(np.abs(stat), df)
    else:
        q = stats.norm.ppf(1 - alpha / 2)
        p = 2 * stats.norm.sf(np.abs(stat))
    return pl.DataFrame({
        "term": [str(t) for t in names],
        "estimate": est, "std_error": se, "statistic": stat, "df": df, "p_value": p,
        "ci_low": est - q * se, "ci_high": est + q * se,
        "n": [n] * len(names),
    }, schema={"term": pl.String, **{c: pl.Float64 for c in TIDY_COLUMNS[1:-1]},
               "n": pl.Int64}).with_columns(pl.col(pl.Float64).fill_nan(None))


def random_frame(result) -> pl.DataFrame:
    """Tidy random-effects (co)variances of a MixedLM result plus the residual variance.

    Columns ``term``, ``variance`` (covariance for a ``a:b`` pair), ``sd`` (null for a
    pair), ``corr`` (correlation for a pair, null otherwise).
    """
    cov = np.asarray(result.cov_re, dtype=float)
    names = list(result.model.data.exog_re_names)
    rows = []
    for i, a in enumerate(names):
        rows.append((a, cov[i, i], np.sqrt(max(cov[i, i], 0.0)), None))
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            denom = np.sqrt(cov[i, i] * cov[j, j])
            corr = cov[i, j] / denom if denom > 0 else None
            rows.append((f"{names[i]}:{names[j]}", cov[i, j], None, corr))
    rows.append(("residual", float(result.scale), float(np.sqrt(result.scale)), None))
    return pl.DataFrame(rows, schema={"term": pl.String, "variance": pl.Float64,
                                      "sd": pl.Float64, "corr": pl.Float64}, orient="row")


def combination_frame(estimate: np.ndarray, cov: np.ndarray, weights: np.ndarray,
                      names: Sequence[str], *, alpha: float, n: int, df=None) -> pl.DataFrame:
    """Tidy linear combinations ``weights @ estimate``: t intervals on ``df`` (one per
    combination, e.g. :func:`mixed_df`), Wald z intervals when ``df`` is None.

    ``weights`` has one row per combination (``names``); standard errors are
    ``sqrt(diag(W Σ Wᵀ))`` with ``Σ = cov``.
    """
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    est = w @ np.asarray(estimate, dtype=float)
    se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", w, np.asarray(cov, dtype=float), w), 0.0))
    if df is None:
        return coef_frame(list(names), est, se, alpha, n, dist="z")
    return coef_frame(list(names), est, se, alpha, n, dist="t", df=df)


def random_frame_empty() -> pl.DataFrame:
    """The empty ``.random`` frame of a fit without random effects."""
    return pl.DataFrame(schema={"term": pl.String, "variance": pl.Float64, "sd": pl.Float64,
                                "corr": pl.Float64})
