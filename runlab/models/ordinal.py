"""Ordinal journal outcomes (comfort, RPE) of a cohort, accounting for the runner.

Repeated sessions of one runner are not independent: a runner who finds every run hard
rates every session low. The model is a cumulative-logit (proportional-odds) marginal model
fitted by generalized estimating equations with runners as clusters and an exchangeable
working correlation, or independence when the exchangeable iterations diverge (statsmodels
``OrdinalGEE``; Lipsitz, Kim & Zhao, 1994, doi:10.1002/sim.4780131105)::

    logit P(outcome > j) = α_j + group + week + temperature_c + humidity_pct

Standard errors (``se=``), all with t tests on G − 1 degrees of freedom (G runners) and
refused below :data:`runlab.models.inference.MIN_CLUSTERS` runners:

- ``"mancl-derouen"`` (default): the bias-reduced sandwich of Mancl & DeRouen (2001,
  doi:10.1111/j.0006-341X.2001.00126.x), each runner's residuals inflated by
  (I − H_i)⁻¹ for the leverage H_i of their own sessions. The plain sandwich is biased
  down with few clusters, most for a cluster-level term such as the group.
- ``"kauermann-carroll"``: (I − H_i)^{−1/2} (Kauermann & Carroll, 2001,
  doi:10.1198/016214501753382309), recommended with t tests by Li & Redden (2015,
  doi:10.1002/sim.6344) for binary outcomes.
- ``"cr1"``: the sandwich scaled by G/(G − 1) (Cameron & Miller, 2015,
  doi:10.3368/jhr.50.2.317), the previous default.

Measured over 1,000 null studies of 12 runners per group, 24 sessions each, runner-level
SD 1 on the logit scale (the generator and seeds of ``benchmarks/validate_inference.py``,
which prints the rates), rejections of a true null at 0.05 for group / week; every study
counted (none failed; 10, 34 and 122 refitted with the independence working correlation,
see :func:`_fit`):

============  ================  ==================  =============
outcome       CR1 (before)      Kauermann–Carroll   Mancl–DeRouen
============  ================  ==================  =============
5 levels      5.4 % / 4.5 %     4.9 % / 4.5 %       4.1 % / 3.8 %
7 levels      6.7 % / 4.0 %     6.4 % / 4.0 %       5.7 % / 3.8 %
11 levels     6.9 % / 4.3 %     6.2 % / 4.2 %       5.2 % / 3.4 %
============  ================  ==================  =============

(Monte-Carlo SE 0.6–0.8 points.) Mancl–DeRouen is the default: with every study counted
all three are within 3–7 %, but CR1 (6.7–6.9 %) and Kauermann–Carroll (6.2–6.4 %) sit
near the upper edge for the group with 7 and 11 levels, Mancl–DeRouen at 4.1–5.7 %.
Before the fallback, the studies whose exchangeable fit diverged (8, 31 and
101) were dropped and some runaway fits kept (a group log-odds of 124): the rates were
4.1, 5.9 and 6.7 % for the group. The dropped studies are not a random subset: the
exchangeable iterations cycle or diverge where the group difference is near zero
(refitted, they rejected the group in 0 of 10, 0 of 34 and 0 of 122; group |t| 0.53 on
average against 0.85 in the other studies, first 300 of 11 levels), so dropping them
pushed the rate up.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import polars as pl

from runlab.errors import ModelError, RunlabWarning
from runlab.models._tidy import coef_frame, require, usable
from runlab.models.inference import require_clusters
from runlab.models.progression import ModelResult, add_week

__all__ = ["ordinal", "comfort", "rpe", "PREDICTORS"]

RUNNER = "runner_id"
#: Default numeric predictors besides the group.
PREDICTORS = ("week", "temperature_c", "humidity_pct")


def _group_levels(frame: pl.DataFrame, group: str, reference: str | None, what: str
                  ) -> list[str]:
    levels = sorted(frame[group].cast(pl.String).unique().to_list())
    if reference is None:
        reference = "control" if "control" in levels else levels[0]
    if reference not in levels:
        raise ModelError(f"{what}: reference group {reference!r} not among {levels}")
    return [reference, *[g for g in levels if g != reference]]


#: Power of (I − H_i) applied to each runner's residuals (see :func:`_corrected_cov`).
_SE_POWER = {"mancl-derouen": -1.0, "kauermann-carroll": -0.5}


def _corrected_cov(model, result, power: float) -> np.ndarray:
    """Sandwich covariance with each runner's residuals scaled by (I − H_i)^power, H_i the
    runner's leverage block: power −1/2 is Kauermann & Carroll (2001,
    doi:10.1198/016214501753382309), −1 Mancl & DeRouen (2001,
    doi:10.1111/j.0006-341X.2001.00126.x), 0 the plain sandwich.

    With V_i = L Lᵀ (Cholesky) and C the model-based covariance, H_i = D_i C D_iᵀ V_i⁻¹ =
    L Hs L⁻¹ with Hs = M Mᵀ, M = L⁻¹ D_i chol(C), symmetric and of rank ≤ p; its power is
    taken on the p singular vectors of M (no n × n eigenproblem).
    """
    cov_naive = np.asarray(result.cov_naive, dtype=float)
    root_c = np.linalg.cholesky((cov_naive + cov_naive.T) / 2)
    scale = float(model.estimate_scale())
    meat = np.zeros_like(cov_naive)
    for i in range(model.num_group):
        expval, lpr = model.cached_means[i]
        resid = model.endog_li[i] - expval
        dmat = model.mean_deriv(model.exog_li[i], lpr)
        sdev = np.sqrt(model.family.variance(expval))
        cmat, is_cor = model.cov_struct.covariance_matrix(expval, i)
        v = scale * (cmat * np.outer(sdev, sdev) if is_cor else cmat)
        bz = np.linalg.solve(np.linalg.cholesky(v), np.column_stack([dmat, resid]))
        b, z = bz[:, :-1], bz[:, -1]
        u, sv, _ = np.linalg.svd(b @ root_c, full_matrices=False)
        shrink = np.clip(1.0 - sv ** 2, 1e-8, None) ** power - 1.0
        score = b.T @ (z + u @ (shrink * (u.T @ z)))
        meat += np.outer(score, score)
    return cov_naive @ meat @ cov_naive


#: Largest |linear predictor| of a fit that has not diverged: beyond it the cumulative
#: probabilities are within e^-40 of 0 or 1 and the Fisher-scoring steps have run away.
_MAX_LINEAR_PREDICTOR = 40.0


def _divergence(model, result, caught) -> str | None:
    """Why a GEE fit is unusable (``None`` if it is usable): no result, the iterations
    did not settle (statsmodels flags NaN steps as neither converged nor at the iteration
    limit, so ``converged`` is checked, not only warnings), non-finite or runaway
    parameters, or a model-based covariance that is not positive definite."""
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    if result is None or any(issubclass(w.category, ConvergenceWarning) for w in caught):
        return "no convergence: " + "; ".join(
            str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning))[:200]
    params = np.asarray(result.params, dtype=float)
    if not np.all(np.isfinite(params)):
        return "the iterations diverged (non-finite parameters)"
    if not result.converged:
        return f"no convergence in {result.maxiter} iterations"
    if np.abs(np.asarray(model.exog, dtype=float) @ params).max() > _MAX_LINEAR_PREDICTOR:
        return "the iterations diverged (fitted log-odds beyond ±40)"
    try:
        np.linalg.cholesky(np.asarray(result.cov_naive, dtype=float))
    except np.linalg.LinAlgError:
        return "its model-based covariance is not positive definite"
    return None


def _fit(endog, exog, codes, what: str):
    """The ordinal GEE (model, result): exchangeable working correlation, or, when its
    Fisher scoring diverges, the independence working correlation, with a
    :class:`~runlab.errors.RunlabWarning`.

    The exchangeable correlation is estimated from the current parameters at every step,
    and in ~1 % (5 levels) to ~10 % (11 levels) of small null studies the two feed each
    other until the parameters run to ±∞ (traced on ``_ordinal_null(8, levels=11)`` of
    ``benchmarks/validate_inference.py``: group log-odds 0.61 → −394 in 19 steps, the
    correlation 0.18 → 0.53, then NaN). GEE estimates are consistent under any working
    correlation and the sandwich does not rely on it (Liang & Zeger, 1986,
    doi:10.1093/biomet/73.1.13); independence has no correlation to feed back (its
    estimating equations are a logistic regression's), so it is the fallback rather than
    dropping the study. ``ModelError`` only when both fail.
    """
    from statsmodels.genmod import cov_struct
    from statsmodels.genmod.generalized_estimating_equations import OrdinalGEE

    problems = []
    for name, working in (("exchangeable", cov_struct.Exchangeable),
                          ("independence", cov_struct.Independence)):
        model = OrdinalGEE(endog, exog, codes, cov_struct=working())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = model.fit(maxiter=200, cov_type="robust")
            except (np.linalg.LinAlgError, ValueError, FloatingPointError) as exc:
                problems.append(f"{name}: {exc}")
                continue
        problem = _divergence(model, result, caught)
        if problem is None:
            if problems:
                warnings.warn(f"{what}: the exchangeable working correlation did not give a "
                              f"usable fit ({problems[0]}); refitted with the independence "
                              "working correlation (consistent, sandwich standard errors)",
                              RunlabWarning, stacklevel=3)
            return model, result
        problems.append(f"{name}: {problem}")
    raise ModelError(f"{what}: the ordinal GEE could not be fitted ({'; '.join(problems)})")


def ordinal(journal_runs: pl.DataFrame, outcome: str, *,
            predictors: Sequence[str] = PREDICTORS, group: str | None = "group",
            reference: str | None = None, distr: str = "logit", alpha: float = 0.05,
            min_rows: int = 20, runner: str = RUNNER, se: str = "mancl-derouen"
            ) -> ModelResult:
    """An ordinal outcome (comfort, RPE) against group and ``predictors``, by runner cluster.

    Parameters
    ----------
    journal_runs : polars.DataFrame
        One row per journal entry: ``runner_id``, the integer ``outcome``, the numeric
        ``predictors`` (``week`` is derived from ``start_time``/``date`` when absent) and the
        ``group`` column (e.g. :func:`runlab.datasets.demo_journal_runs`).
    group : str or None
        Group column; its levels enter as ``group[T.<g>]`` against ``reference`` (default
        ``"control"`` when present). ``None`` for a single-arm cohort.
    se : {"mancl-derouen", "kauermann-carroll", "cr1"}
        Small-sample sandwich (module docstring); t tests on runners − 1 df throughout.
    distr : {"logit"}
        The link (cumulative logit, the only one of the GEE ordinal model).

    Returns
    -------
    ModelResult
        ``fixed``: one row per term (``group[T.<g>]``, then the predictors): log-odds of a
        higher category per unit, tidy columns with t intervals on ``runners − 1`` degrees of
        freedom (standard errors as ``se`` says), plus ``odds_ratio``, ``odds_ratio_ci_low``,
        ``odds_ratio_ci_high``; ``summary``: thresholds between levels on the latent scale
        (``term`` like ``"2|3"``, ``estimate``, increasing); ``model``: the ``GEEResults``
        (its own ``bse`` is the plain sandwich; the ``fixed`` standard errors are the ``se``
        ones).

    Raises
    ------
    ModelError
        Missing or non-numeric columns, fewer than ``min_rows`` complete rows, a constant
        predictor, a single outcome level or group, fewer than ``MIN_CLUSTERS`` runners, or
        no usable fit with either working correlation (exchangeable, then independence,
        with a :class:`~runlab.errors.RunlabWarning`; ``model.cov_struct`` says which).
    """
    what = f"progression.{outcome}"
    if se not in (*_SE_POWER, "cr1"):
        raise ModelError(f"{what}: se must be one of {[*_SE_POWER, 'cr1']}, got {se!r}")
    if distr != "logit":
        raise ModelError(f"{what}: distr must be 'logit' (cumulative logit GEE), got {distr!r}")
    frame = journal_runs
    if "week" in predictors:
        frame = add_week(frame, "week")
    needed = [outcome, *predictors, runner]
    if group is not None:
        if group not in frame.columns:
            raise ModelError(f"{what}: no {group!r} column; join the runners' groups (e.g. "
                             "datasets.demo_journal_runs) or pass group=None for a single-arm "
                             "cohort")
        needed.append(group)
    require(frame, needed, what)
    not_numeric = [c for c in (outcome, *predictors) if not frame.schema[c].is_numeric()]
    if not_numeric:
        raise ModelError(f"{what}: column(s) {not_numeric} must be numeric (ordinal scores "
                         "as integers, predictors in their units)")
    frame = usable(frame, needed, what)
    if frame.height < min_rows:
        raise ModelError(f"{what}: {frame.height} complete rows; need at least {min_rows}")
    levels = sorted(frame[outcome].unique().to_list())
    if len(levels) < 2:
        raise ModelError(f"{what}: every row has {outcome}={levels}; nothing to model")
    constant = [p for p in predictors if frame[p].cast(pl.Float64).std() <= 1e-12]
    if constant:
        raise ModelError(f"{what}: predictor(s) {constant} do not vary")
    n_runners = frame[runner].n_unique()
    require_clusters(n_runners, what)
    names, cols = [], []
    if group is not None:
        glevels = _group_levels(frame, group, reference, what)
        if len(glevels) < 2:
            raise ModelError(f"{what}: one {group!r} level ({glevels}); pass group=None for a "
                             "single-arm cohort")
        for g in glevels[1:]:
            names.append(f"group[T.{g}]")
            cols.append((pl.col(group).cast(pl.String) == g).cast(pl.Float64))
    names += list(predictors)
    cols += [pl.col(p).cast(pl.Float64) for p in predictors]
    frame = frame.sort(runner)
    exog = frame.select([c.alias(n) for c, n in zip(cols, names, strict=True)]).to_numpy()
    endog = frame[outcome].to_numpy()
    codes = frame[runner].cast(pl.String).to_numpy()
    model, result = _fit(endog, exog, codes, what)
    params = np.asarray(result.params, dtype=float)
    if se == "cr1":
        cov = np.asarray(result.cov_robust, dtype=float) * n_runners / (n_runners - 1)
    else:
        try:
            cov = _corrected_cov(model, result, _SE_POWER[se])
        except np.linalg.LinAlgError as exc:
            raise ModelError(f"{what}: the {se} standard errors could not be computed "
                             f"({exc})") from exc
    bse = np.sqrt(np.clip(np.diag(cov), 0, None))
    k = len(levels) - 1
    if not np.all(np.isfinite(bse)):
        warnings.warn(f"{what}: standard errors are not finite (a level is empty in a group?)",
                      RunlabWarning, stacklevel=2)
    fixed = coef_frame(names, params[k:], bse[k:], alpha, frame.height, dist="t",
                       df=float(n_runners - 1))
    fixed = fixed.with_columns(odds_ratio=pl.col("estimate").exp(),
                               odds_ratio_ci_low=pl.col("ci_low").exp(),
                               odds_ratio_ci_high=pl.col("ci_high").exp())
    labels = [f"{a}|{b}" for a, b in zip(levels[:-1], levels[1:], strict=True)]
    summary = pl.DataFrame({"term": labels, "estimate": -params[:k]})
    return ModelResult(fixed, result, summary=summary)


def comfort(journal_runs: pl.DataFrame, **kw) -> ModelResult:
    """Comfort (ordinal journal score) against group, week, temperature and humidity;
    see :func:`ordinal`. A positive ``week`` estimate means comfort improves over the weeks."""
    return ordinal(journal_runs, "comfort", **kw)


def rpe(journal_runs: pl.DataFrame, **kw) -> ModelResult:
    """RPE (ordinal rating of perceived exertion) against group, week, temperature and
    humidity; see :func:`ordinal`."""
    return ordinal(journal_runs, "rpe", **kw)
