"""Cadence against speed: per-runner lines and a cohort mixed model.

Cadence rises roughly linearly with speed over the running range: overground,
spm ≈ 150.0 + 6.01 · v (van Oeveren et al., 2019, doi:10.1080/02640414.2019.1614137), with a between-runner SD of about
8 spm at a given speed and a within-runner run-to-run SD of about 3 spm. So each runner
gets their own line (OLS), and the cohort a mixed model with random intercepts and
slopes whose BLUPs give each runner's habitual cadence at any pace.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
import polars as pl

from runlab.errors import ModelError, RunlabWarning
from runlab.models._tidy import (
    combination_frame,
    fit_mixedlm,
    group_column,
    mixed_df,
    ols_by,
    params_frame,
    random_frame,
    random_frame_empty,
    to_pandas,
    usable,
    with_units,
)
from runlab.science import (
    BETWEEN_RUNNER_SD_SPM,
    POPULATION_INTERCEPT_SPM,
    POPULATION_SLOPE_SPM_PER_MPS,
    WITHIN_RUNNER_SD_SPM,
)

__all__ = [
    "POPULATION_INTERCEPT_SPM",
    "POPULATION_SLOPE_SPM_PER_MPS",
    "BETWEEN_RUNNER_SD_SPM",
    "WITHIN_RUNNER_SD_SPM",
    "CadenceSpeed",
    "cadence_speed",
    "population_cadence",
    "running_rows",
    "running_speed",
]


_NEEDED = ("speed_mps", "cadence_spm")


def population_cadence(speed_mps) -> np.ndarray:
    """Population cadence at ``speed_mps`` [m/s]: 150.0 + 6.01 · v [steps/min].

    van Oeveren et al. (2019), large overground wearable cohort: ~165 / 171 / 177 spm
    at 2.5 / 3.5 / 4.5 m/s.
    """
    return POPULATION_INTERCEPT_SPM + POPULATION_SLOPE_SPM_PER_MPS * np.asarray(
        speed_mps, dtype=float)


#: Running-only speed of a run summary, preferred over ``speed_mps`` when present.
RUN_SPEED = "run_speed_mps"


def running_speed(data: pl.DataFrame, speed: str | None = None) -> pl.DataFrame:
    """``data`` with ``speed_mps`` holding the speed that goes with ``cadence_spm``.

    Run summaries give ``cadence_spm`` over running only but ``speed_mps`` over all moving
    time, walk breaks included; pairing the two flattens the cadence–speed line of walk–run
    sessions. So by default (``speed=None``) a running-only ``run_speed_mps`` column is used
    when it has values, else ``speed_mps``; ``speed`` names another column explicitly.
    """
    if speed is None:
        speed = RUN_SPEED if RUN_SPEED in data.columns and (
            data[RUN_SPEED].null_count() < data.height) else "speed_mps"
    if speed == "speed_mps":
        return data
    if speed not in data.columns:
        raise ModelError(f"speed column {speed!r} not in data; has {data.columns}")
    return data.with_columns(pl.col(speed).alias("speed_mps"))


def running_rows(data: pl.DataFrame, columns, what: str) -> pl.DataFrame:
    """Rows usable for a running model: running gait only (when a ``gait`` column says so),
    complete ``columns``, positive speed and cadence."""
    if "gait" in data.columns:
        data = data.filter(pl.col("gait") == "run")
    data = usable(data, columns, what)
    bad = data.filter((pl.col("speed_mps") <= 0) | (pl.col("cadence_spm") <= 0))
    if bad.height:
        warnings.warn(f"{what}: ignored {bad.height} rows with non-positive speed_mps or "
                      "cadence_spm", RunlabWarning, stacklevel=3)
        data = data.filter((pl.col("speed_mps") > 0) & (pl.col("cadence_spm") > 0))
    return data


@dataclass(frozen=True)
class CadenceSpeed:
    """Fitted cadence–speed models (see :func:`cadence_speed`).

    Attributes
    ----------
    per_runner : polars.DataFrame
        One OLS line per runner: ``<by>``, ``n_runs``, ``intercept_spm``,
        ``intercept_se_spm``, ``slope_spm_per_mps``, ``slope_se_spm_per_mps``,
        ``slope_ci_low_spm_per_mps``, ``slope_ci_high_spm_per_mps``, ``r2``,
        ``residual_sd_spm``, ``speed_mean_mps``, ``speed_min_mps``, ``speed_max_mps``,
        ``cadence_mean_spm``; with a mixed model also ``blup_slope_spm_per_mps`` and
        ``cadence_at_ref_spm`` (habitual cadence at ``speed_ref_mps``). Runners with too few
        runs or a single speed keep their row with null estimates.
    fixed : polars.DataFrame
        ``term`` (``intercept`` = cadence at 0 m/s, ``speed_mps`` = slope,
        ``cadence_at_ref`` = cadence at ``speed_ref_mps``), ``estimate``, ``std_error``,
        ``statistic``, ``p_value``, ``ci_low``, ``ci_high``, ``n``.
    random : polars.DataFrame
        ``term`` (``intercept`` at ``speed_ref_mps``, ``speed_mps``, their pair,
        ``residual``), ``variance``, ``sd``, ``corr``; empty without a mixed model.
    model : statsmodels results
        ``MixedLMResults`` (fitted on speed centred at ``speed_ref_mps``), or pooled OLS
        results when there are too few runners for a mixed model.
    """

    per_runner: pl.DataFrame
    fixed: pl.DataFrame
    random: pl.DataFrame
    model: Any
    by: str
    speed_ref_mps: float
    alpha: float

    @property
    def mixed(self) -> bool:
        """Whether the cohort model is a mixed model (else pooled OLS)."""
        return hasattr(self.model, "random_effects")

    def predict(self, runner: str | None, speed_mps, *, alpha: float | None = None
                ) -> pl.DataFrame:
        """Habitual cadence of ``runner`` at ``speed_mps`` [m/s], with an interval.

        A known runner gets fixed effects + their BLUP; the interval covers the
        uncertainty of both (the conditional covariance of the BLUP). An unknown runner
        (or ``None``) gets the population line; its interval is where a new runner's
        habitual cadence lies (fixed-effect uncertainty + between-runner spread).

        Returns
        -------
        polars.DataFrame
            ``<by>``, ``speed_mps``, ``cadence_spm``, ``std_error``, ``ci_low``,
            ``ci_high`` [steps/min], ``source`` (``"runner"`` or ``"population"``).
        """
        alpha = self.alpha if alpha is None else alpha
        v = np.atleast_1d(np.asarray(speed_mps, dtype=float))
        if not np.all(np.isfinite(v)) or np.any(v <= 0):
            raise ModelError(f"predict: speed_mps must be positive and finite, got {v.tolist()}")
        if self.mixed:
            mean, var, source = self._predict_mixed(runner, v)
        else:
            mean, var, source = self._predict_ols(runner, v)
        se = np.sqrt(var)
        z = NormalDist().inv_cdf(1 - alpha / 2)
        return pl.DataFrame({
            self.by: pl.Series([runner] * v.size, dtype=pl.String),
            "speed_mps": v, "cadence_spm": mean, "std_error": se,
            "ci_low": mean - z * se, "ci_high": mean + z * se,
            "source": [source] * v.size,
        })

    def _known(self, runner) -> bool:
        if runner is None:
            return False
        known = runner in set(self.per_runner[self.by].to_list())
        if not known:
            warnings.warn(f"predict: runner {runner!r} is not in the fitted data; "
                          "using population values", RunlabWarning, stacklevel=4)
        return known

    def _predict_mixed(self, runner, v):
        res = self.model
        x = np.column_stack([np.ones_like(v), v - self.speed_ref_mps])
        beta = np.asarray(res.fe_params, dtype=float)
        k = beta.size
        cov_fe = np.asarray(res.cov_params(), dtype=float)[:k, :k]
        mean = x @ beta
        var = np.einsum("ij,jk,ik->i", x, cov_fe, x)
        g = np.asarray(res.cov_re, dtype=float)
        z = x[:, :g.shape[0]]  # random intercept (and slope) columns
        if self._known(runner):
            u = np.asarray(res.random_effects[runner], dtype=float)
            cond = np.asarray(res.random_effects_cov[runner], dtype=float)
            return mean + z @ u, var + np.einsum("ij,jk,ik->i", z, cond, z), "runner"
        return mean, var + np.einsum("ij,jk,ik->i", z, g, z), "population"

    def _predict_ols(self, runner, v):
        if self._known(runner):
            row = self.per_runner.filter(pl.col(self.by) == runner).row(0, named=True)
            slope, slope_se = row["slope_spm_per_mps"], row["slope_se_spm_per_mps"]
            if slope is not None and slope_se is not None:
                mean = row["intercept_spm"] + slope * v
                var = (row["residual_sd_spm"] ** 2 / row["n_runs"]
                       + (v - row["speed_mean_mps"]) ** 2 * slope_se ** 2)
                return mean, var, "runner"
            warnings.warn(f"predict: runner {runner!r} has too few runs for a line; "
                          "using population values", RunlabWarning, stacklevel=3)
        res = self.model
        x = np.column_stack([np.ones_like(v), v])
        mean = x @ np.asarray(res.params, dtype=float)
        var = np.einsum("ij,jk,ik->i", x, np.asarray(res.cov_params(), dtype=float), x)
        return mean, var + float(res.scale), "population"


def cadence_speed(data: pl.DataFrame, by: str = "runner", *, speed: str | None = None,
                  alpha: float = 0.05, min_runs: int = 3, min_runners: int = 5,
                  random_slopes: bool = True) -> CadenceSpeed:
    """Fit cadence [steps/min] on speed [m/s]: one OLS line per runner and a cohort model.

    The cohort model is ``cadence_spm ~ speed + (1 + speed | runner)`` (statsmodels
    MixedLM, REML), fitted with speed centred at the cohort mean so the random intercept
    means "habitual cadence at a typical pace". With fewer than ``min_runners`` runners it
    is a pooled OLS line instead (with a :class:`~runlab.errors.RunlabWarning`).

    Parameters
    ----------
    data : polars.DataFrame
        Run summaries (``schema.RUNS``) or running segments: ``speed_mps``,
        ``cadence_spm`` and the ``by`` column. Rows with ``gait`` other than ``"run"``
        (when present) and incomplete rows are left out, with a warning.
    by : str
        Grouping: ``"runner"`` (column ``runner_id``) or any column name.
    speed : str, optional
        Speed column; default ``run_speed_mps`` when present, else ``speed_mps``
        (:func:`running_speed`).
    alpha : float
        1 − confidence level of the intervals.
    min_runs : int
        Fewest runs for a runner's own OLS line.
    min_runners : int
        Fewest runners for the mixed model.
    random_slopes : bool
        Random slopes as well as intercepts (van Oeveren's runners differ in both).

    Raises
    ------
    ModelError
        Missing columns, fewer than ``min_runs`` usable rows, no speed spread, or a
        mixed model that does not converge.
    """
    if not isinstance(data, pl.DataFrame):
        raise ModelError(f"cadence_speed: expected a polars DataFrame, got {type(data).__name__}")
    col = group_column(data, by)
    frame = running_rows(running_speed(data, speed), (col, *_NEEDED), "cadence_speed")
    frame = frame.with_columns(pl.col(col).cast(pl.String), pl.col(_NEEDED).cast(pl.Float64))
    if frame.height < min_runs:
        raise ModelError(f"cadence_speed: {frame.height} usable runs; need at least {min_runs}")
    if frame["speed_mps"].std() <= 1e-9:
        raise ModelError("cadence_speed: all runs have the same speed_mps; cadence cannot be "
                         "related to speed")
    per = _per_runner(frame, col, alpha, min_runs)
    thin = per.filter(pl.col("slope_spm_per_mps").is_null())[col].to_list()
    if thin:
        warnings.warn(f"cadence_speed: no own line for {len(thin)} runner(s) with fewer than "
                      f"{min_runs} runs or a single speed: {thin[:10]}", RunlabWarning,
                      stacklevel=2)
    ref = float(frame["speed_mps"].mean())
    n_groups = frame[col].n_unique()
    if n_groups < min_runners:
        warnings.warn(f"cadence_speed: {n_groups} {col} value(s) < {min_runners}; fitting a "
                      "pooled OLS line instead of a mixed model", RunlabWarning, stacklevel=2)
        model = _pooled_ols(frame)
        fixed = params_frame(model, alpha=alpha).with_columns(
            pl.col("term").replace({"const": "intercept", "x1": "speed_mps"}))
        return CadenceSpeed(per, fixed, random_frame_empty(), model, col, ref, alpha)
    model = _mixed(frame, col, ref, random_slopes)
    beta = np.asarray(model.fe_params, dtype=float)
    cov = np.asarray(model.cov_params(), dtype=float)[:2, :2]
    weights = np.array([[1.0, -ref], [0.0, 1.0], [1.0, 0.0]])
    fixed = combination_frame(beta, cov, weights, ["intercept", "speed_mps", "cadence_at_ref"],
                              alpha=alpha, n=int(model.nobs), df=mixed_df(model, weights))
    random = random_frame(model).with_columns(
        pl.col("term").str.replace_all("speed_c", "speed_mps"))
    per = per.join(_blups(model, col, beta), on=col, how="left")
    return CadenceSpeed(per, fixed, random, model, col, ref, alpha)


def _per_runner(frame: pl.DataFrame, col: str, alpha: float, min_runs: int) -> pl.DataFrame:
    lines = ols_by(frame, col, "speed_mps", "cadence_spm", alpha=alpha, min_n=min_runs).rename({
        "x_mean": "speed_mean_mps", "x_min": "speed_min_mps", "x_max": "speed_max_mps",
        "y_mean": "cadence_mean_spm"})
    return with_units(lines, "spm", "spm_per_mps")


def _pooled_ols(frame: pl.DataFrame):
    import statsmodels.api as sm

    x = sm.add_constant(frame["speed_mps"].to_numpy(), has_constant="add")
    return sm.OLS(frame["cadence_spm"].to_numpy(), x).fit()


def _mixed(frame: pl.DataFrame, col: str, ref: float, random_slopes: bool):
    pdf = to_pandas(frame.with_columns(speed_c=pl.col("speed_mps") - ref,
                                       intercept=pl.lit(1.0)),
                    [col, "cadence_spm", "intercept", "speed_c"])
    re_cols = ["intercept", "speed_c"] if random_slopes else ["intercept"]
    return fit_mixedlm(pdf["cadence_spm"], pdf[["intercept", "speed_c"]], pdf[col],
                       pdf[re_cols], "cadence_speed")


def _blups(model, col: str, beta: np.ndarray) -> pl.DataFrame:
    names = list(model.random_effects)
    re = np.array([np.asarray(model.random_effects[g], dtype=float) for g in names])
    slope_re = re[:, 1] if re.shape[1] > 1 else np.zeros(len(names))
    return pl.DataFrame({col: [str(g) for g in names],
                         "blup_slope_spm_per_mps": beta[1] + slope_re,
                         "cadence_at_ref_spm": beta[0] + re[:, 0]})

