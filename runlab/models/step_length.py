"""Step length against speed, and how a runner splits a speed change into cadence and step.

Speed = cadence × step length (v = c/60 · L), so ``ln v = ln(c/60) + ln L`` and the
elasticities of cadence and of step length with speed sum to exactly 1. Within the
distance-running range runners speed up mostly by lengthening the step (Cavanagh & Kram,
1989: stride frequency +4 %, stride length +28 % from 3.15 to 4.12 m/s). Height and leg
length explain little of it (Cavanagh & Kram, 1989), so they enter only as covariates
when known. Overstriding is judged against the runner's own step-length line, not a
population norm.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from runlab.errors import ModelError, RunlabWarning
from runlab.models._tidy import (
    fit_mixedlm,
    fixed_frame,
    group_column,
    ols_by,
    params_frame,
    random_frame,
    random_frame_empty,
    to_pandas,
    with_units,
)
from runlab.models.cadence import running_rows, running_speed

__all__ = ["StepLengthSpeed", "step_length_speed", "step_length_m", "Stride", "stride"]

_BODY = ("height_m", "leg_length_m")


def step_length_m(speed_mps, cadence_spm) -> np.ndarray:
    """Step length [m] = speed [m/s] / (cadence [steps/min] / 60)."""
    return np.asarray(speed_mps, dtype=float) / (np.asarray(cadence_spm, dtype=float) / 60.0)


@dataclass(frozen=True)
class StepLengthSpeed:
    """Fitted step-length models (see :func:`stride`).

    Attributes
    ----------
    fixed : polars.DataFrame
        Step-length model, tidy: ``term`` (``step_length_at_ref`` [m] at ``speed_ref_mps``
        and mean body size, ``speed_mps`` [m per m/s], ``height_m`` / ``leg_length_m``
        [m per m] when used), ``estimate``, ``std_error``, ``statistic``, ``p_value``,
        ``ci_low``, ``ci_high``, ``n``.
    random : polars.DataFrame
        ``term``, ``variance``, ``sd``, ``corr`` of the runner random effects (empty for OLS).
    elasticities : polars.DataFrame
        Within-runner log-log elasticities with speed, tidy, ``term`` ``cadence`` and
        ``step_length``; the two estimates sum to 1.
    per_runner : polars.DataFrame
        Each runner's own step-length line: ``<by>``, ``n_runs``, ``intercept_m``,
        ``slope_m_per_mps``, ``slope_se_m_per_mps``, ``slope_ci_low_m_per_mps``,
        ``slope_ci_high_m_per_mps``, ``r2``, ``residual_sd_m``, ``speed_mean_mps``,
        ``speed_min_mps``, ``speed_max_mps``, ``step_length_mean_m`` (plus
        ``intercept_se_m``).
    model : statsmodels results
        Step-length MixedLM (or pooled OLS with few runners).
    elasticity_model : statsmodels results
        OLS of ln(cadence) on ln(speed) with one intercept per runner.
    data : polars.DataFrame
        The rows fitted (with ``step_length_m``).
    """

    fixed: pl.DataFrame
    random: pl.DataFrame
    elasticities: pl.DataFrame
    per_runner: pl.DataFrame
    model: Any
    elasticity_model: Any
    by: str
    speed_ref_mps: float
    data: pl.DataFrame

    def decompose(self, speed_from_mps, speed_to_mps) -> pl.DataFrame:
        """Split a speed change into its cadence and step-length parts.

        With elasticities ``e_c + e_L = 1``: cadence changes by ``(v2/v1)^e_c``, step length
        by ``(v2/v1)^e_L``, and their product is exactly ``v2/v1``.

        Returns
        -------
        polars.DataFrame
            ``speed_from_mps``, ``speed_to_mps``, ``speed_change_pct``,
            ``cadence_change_pct``, ``step_length_change_pct``, ``cadence_share``,
            ``step_length_share`` (shares of the log change).
        """
        v1 = np.atleast_1d(np.asarray(speed_from_mps, dtype=float))
        v2 = np.atleast_1d(np.asarray(speed_to_mps, dtype=float))
        if np.any(~np.isfinite(v1) | ~np.isfinite(v2) | (v1 <= 0) | (v2 <= 0)):
            raise ModelError("decompose: speeds must be positive and finite")
        e = dict(zip(self.elasticities["term"], self.elasticities["estimate"], strict=True))
        ratio = v2 / v1
        return pl.DataFrame({
            "speed_from_mps": v1 * np.ones_like(ratio), "speed_to_mps": v2 * np.ones_like(ratio),
            "speed_change_pct": (ratio - 1) * 100,
            "cadence_change_pct": (ratio ** e["cadence"] - 1) * 100,
            "step_length_change_pct": (ratio ** e["step_length"] - 1) * 100,
            "cadence_share": np.full(ratio.shape, e["cadence"]),
            "step_length_share": np.full(ratio.shape, e["step_length"]),
        })

    def overstriding(self, runs: pl.DataFrame | None = None, *, z_threshold: float = 2.0
                     ) -> pl.DataFrame:
        """Flag runs whose step is long for the speed, relative to the runner's own line.

        Parameters
        ----------
        runs : polars.DataFrame, optional
            ``<by>``, ``speed_mps`` and ``step_length_m`` (or ``cadence_spm``); default the
            fitted data.
        z_threshold : float
            ``step_length_z`` above which ``overstriding`` is true.

        Returns
        -------
        polars.DataFrame
            ``runs`` plus ``step_length_expected_m`` (own line at that speed),
            ``step_length_residual_m``, ``step_length_z`` (residual / the runner's residual
            SD) and ``overstriding``; null for runners without their own line.
        """
        runs = self.data if runs is None else _with_step_length(runs, "overstriding")
        if self.by not in runs.columns or "speed_mps" not in runs.columns:
            raise ModelError(f"overstriding: runs need columns {self.by!r} and 'speed_mps'; "
                             f"has {runs.columns}")
        lines = self.per_runner.select(self.by, _a="intercept_m", _b="slope_m_per_mps",
                                       _sd="residual_sd_m")
        expected = pl.col("_a") + pl.col("_b") * pl.col("speed_mps")
        out = runs.with_columns(pl.col(self.by).cast(pl.String)).join(
            lines, on=self.by, how="left").with_columns(step_length_expected_m=expected)
        out = out.with_columns(
            step_length_residual_m=pl.col("step_length_m") - pl.col("step_length_expected_m"))
        out = out.with_columns(
            step_length_z=pl.when(pl.col("_sd") > 0)
            .then(pl.col("step_length_residual_m") / pl.col("_sd")))
        return out.with_columns(overstriding=pl.col("step_length_z") > z_threshold).drop(
            "_a", "_b", "_sd")


def _with_step_length(data: pl.DataFrame, what: str) -> pl.DataFrame:
    if "step_length_m" in data.columns and data["step_length_m"].null_count() < data.height:
        if "cadence_spm" in data.columns:
            return data.with_columns(pl.col("step_length_m").fill_null(
                pl.col("speed_mps") / (pl.col("cadence_spm") / 60.0)))
        return data
    if "cadence_spm" not in data.columns or "speed_mps" not in data.columns:
        raise ModelError(f"{what}: need step_length_m, or speed_mps and cadence_spm; "
                         f"has {data.columns}")
    return data.with_columns(step_length_m=pl.col("speed_mps") / (pl.col("cadence_spm") / 60.0))


def step_length_speed(data: pl.DataFrame, by: str = "runner", *, speed: str | None = None,
                      alpha: float = 0.05, min_runs: int = 3, min_runners: int = 5
                      ) -> StepLengthSpeed:
    """Fit step length [m] against speed [m/s] (and height/leg length when known).

    - Step-length model: ``step_length_m ~ speed + height + leg_length + (1 + speed | runner)``
      (MixedLM, REML; covariates centred; body columns used only when present and varying),
      pooled OLS with fewer than ``min_runners`` runners.
    - Elasticities: OLS of ln(cadence) and ln(step length) on ln(speed) with one intercept
      per runner (within-runner); step length is taken as v / (c/60) so they sum to 1.
    - Each runner's own OLS step-length line, for :meth:`StepLengthSpeed.overstriding`.

    Parameters
    ----------
    data : polars.DataFrame
        Run summaries or running segments with ``speed_mps``, ``cadence_spm`` (and
        optionally ``step_length_m``, ``height_m``, ``leg_length_m``) and the ``by`` column.
    by, speed, alpha, min_runs, min_runners
        As in :func:`runlab.models.cadence_speed` (running-only speed preferred).

    Raises
    ------
    ModelError
        Missing columns, too few runs, no speed spread, or non-convergence.
    """
    if not isinstance(data, pl.DataFrame):
        raise ModelError(f"stride: expected a polars DataFrame, got {type(data).__name__}")
    col = group_column(data, by)
    data = running_speed(data, speed)
    body = [c for c in _BODY if c in data.columns and data[c].null_count() < data.height]
    frame = running_rows(data, (col, "speed_mps", "cadence_spm"), "stride")
    frame = _with_step_length(frame, "stride").with_columns(pl.col(col).cast(pl.String))
    frame = frame.filter(pl.col("step_length_m").is_finite() & (pl.col("step_length_m") > 0))
    if body:
        missing = frame.filter(pl.any_horizontal(pl.col(body).is_null())).height
        if missing:
            warnings.warn(f"stride: {missing} rows lack {body}; fitting without body size",
                          RunlabWarning, stacklevel=2)
            body = []
        else:
            body = [c for c in body if frame[c].std() > 1e-9]
    if frame.height < min_runs:
        raise ModelError(f"stride: {frame.height} usable runs; need at least {min_runs}")
    if frame["speed_mps"].std() <= 1e-9:
        raise ModelError("stride: all runs have the same speed_mps")
    per = with_units(ols_by(frame, col, "speed_mps", "step_length_m", alpha=alpha,
                            min_n=min_runs).rename({
        "x_mean": "speed_mean_mps", "x_min": "speed_min_mps", "x_max": "speed_max_mps",
        "y_mean": "step_length_mean_m"}), "m", "m_per_mps")
    elastic_model, elasticities = _elasticities(frame, col, alpha)
    ref = float(frame["speed_mps"].mean())
    centred = frame.with_columns(
        pl.lit(1.0).alias("intercept"), (pl.col("speed_mps") - ref).alias("speed_mps_c"),
        *[(pl.col(c) - pl.col(c).mean()).alias(f"{c}_c") for c in body])
    x_cols = ["intercept", "speed_mps_c", *[f"{c}_c" for c in body]]
    names = ["step_length_at_ref", "speed_mps", *body]
    if frame[col].n_unique() < min_runners:
        warnings.warn(f"stride: fewer than {min_runners} {col} values; pooled OLS instead of a "
                      "mixed model", RunlabWarning, stacklevel=2)
        import statsmodels.api as sm

        pdf = to_pandas(centred, ["step_length_m", *x_cols])
        model = sm.OLS(pdf["step_length_m"], pdf[x_cols]).fit()
        fixed = params_frame(model, alpha=alpha).with_columns(
            pl.col("term").replace(dict(zip(x_cols, names, strict=True))))
        random = random_frame_empty()
    else:
        pdf = to_pandas(centred, [col, "step_length_m", *x_cols])
        model = fit_mixedlm(pdf["step_length_m"], pdf[x_cols], pdf[col],
                            pdf[["intercept", "speed_mps_c"]], "stride")
        fixed = fixed_frame(model, alpha=alpha).with_columns(
            pl.col("term").replace(dict(zip(x_cols, names, strict=True))))
        random = random_frame(model).with_columns(
            pl.col("term").str.replace_all("speed_mps_c", "speed_mps"))
    return StepLengthSpeed(fixed, random, elasticities, per, model, elastic_model, col, ref, frame)



#: Deprecated name of :class:`StepLengthSpeed` (removed in the next release).
Stride = StepLengthSpeed


def stride(*args, **kwargs) -> StepLengthSpeed:
    """Deprecated: :func:`step_length_speed` (the function hid its module; removed in the
    next release)."""
    warnings.warn("runlab.models.stride() is deprecated; use "
                  "runlab.models.step_length_speed()", DeprecationWarning, stacklevel=2)
    return step_length_speed(*args, **kwargs)

def _elasticities(frame: pl.DataFrame, col: str, alpha: float):
    """Within-runner OLS of ln c and ln L on ln v (one intercept per runner)."""
    import pandas as pd
    import statsmodels.api as sm

    ln_v = np.log(frame["speed_mps"].to_numpy())
    ln_c = np.log(frame["cadence_spm"].to_numpy())
    ln_l = np.log(step_length_m(frame["speed_mps"].to_numpy(), frame["cadence_spm"].to_numpy()))
    groups = frame[col].to_pandas()
    x = pd.get_dummies(groups, dtype=float)
    x.insert(0, "ln_speed", ln_v)
    model = sm.OLS(ln_c, x).fit()
    step = sm.OLS(ln_l, x).fit()
    tidy = pl.concat([params_frame(m, alpha=alpha, names=["ln_speed"]) for m in (model, step)])
    return model, tidy.with_columns(term=pl.Series(["cadence", "step_length"]))
