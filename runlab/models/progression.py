"""Progression outcomes of a cadence-retraining cohort.

The core model of the clinic (``docs/science.md``, "A model that fits the clinic")::

    cadence_spm ~ speed_c + week * group + (1 + week | runner)

with speed centred per runner, fitted with statsmodels MixedLM (:func:`cadence`). Around
it: retention after retraining stops (:func:`retention`; Willy et al., 2016 report +8.6 %
retained one month on), the share of runners reaching their target (:func:`target_attainment`),
walk–run ratio progression 1:1 → 2:1 → 3:1 (:func:`walk_run`) and the baseline
comfortable-mile change (:func:`baseline_mile`). Comfort and RPE (ordinal) are in
:mod:`runlab.models.ordinal`.

Each returns a :class:`ModelResult`: tidy polars frames plus the fitted statsmodels object.
A runs frame without a ``week`` column gets one from ``start_time`` (or journal ``date``):
whole weeks since the runner's first run.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import polars as pl
from scipy import stats

from runlab.errors import ModelError, RunlabWarning
from runlab.models._result import ModelResult
from runlab.models._tidy import (
    centre_within,
    fit_mixedlm,
    fixed_frame,
    mixed_df,
    ols_by,
    params_frame,
    random_frame,
    require,
    to_pandas,
    usable,
)
from runlab.models.cadence import running_rows, running_speed
from runlab.models.clinic import (
    clinic_effect,
    effect_row,
    pct_variance,
    phases_from_plan,
    t_interval,
    welch_variance,
)
from runlab.models.inference import require_runners_per_group

__all__ = [
    "ModelResult",
    "cadence",
    "clinic_effect",
    "retention",
    "target_attainment",
    "walk_run",
    "baseline_mile",
    "add_week",
]

RUNNER = "runner_id"
_MILE_OUTCOMES = ("cadence_spm", "speed_mps", "mile_time_s", "step_length_m", "heart_rate_bpm",
                  "rpe")


# ---------------------------------------------------------------------------------------
# shared pieces


def add_week(frame: pl.DataFrame, week: str = "week") -> pl.DataFrame:
    """``frame`` with a numeric ``week`` column: kept if present and numeric; a date column
    ``week`` (e.g. the Monday of :func:`runlab.metrics.weekly`), or else ``start_time``,
    ``date`` or ``start``, becomes whole weeks since each runner's first."""
    if week in frame.columns and not frame.schema[week].is_temporal():
        return frame
    source = week if week in frame.columns else next(
        (c for c in ("start_time", "date", "start") if c in frame.columns), None)
    if source is None or RUNNER not in frame.columns:
        raise ModelError(f"data lacks a {week!r} column and has no start_time/date/start with "
                         f"runner_id to derive it from; has {frame.columns}")
    t = pl.col(source).cast(pl.Datetime("us"))
    days = (t - t.min().over(RUNNER)).dt.total_seconds() / 86400.0
    return frame.with_columns((days // 7).cast(pl.Float64).alias(week))


def _levels(frame: pl.DataFrame, group: str | None, reference: str | None) -> list[str]:
    """Group levels, reference first (default "control" when present, else the first)."""
    if group is None or group not in frame.columns:
        return []
    levels = sorted(frame[group].cast(pl.String).drop_nulls().unique().to_list())
    if len(levels) < 2:
        return []
    if reference is None:
        reference = "control" if "control" in levels else levels[0]
    if reference not in levels:
        raise ModelError(f"reference group {reference!r} not among {levels}")
    return [reference, *[g for g in levels if g != reference]]


def _week_design(frame: pl.DataFrame, week: str, group: str, levels: list[str],
                 covariates: Sequence[str] = ()) -> pl.DataFrame:
    """Fixed-effect design: intercept, covariates, week, group[T.g], week:group[T.g]."""
    cols = [pl.lit(1.0).alias("intercept"), *[pl.col(c).cast(pl.Float64) for c in covariates],
            pl.col(week).cast(pl.Float64).alias("week")]
    for g in levels[1:]:
        cols.append((pl.col(group).cast(pl.String) == g).cast(pl.Float64).alias(f"group[T.{g}]"))
    for g in levels[1:]:
        cols.append(((pl.col(group).cast(pl.String) == g).cast(pl.Float64)
                     * pl.col(week).cast(pl.Float64)).alias(f"week:group[T.{g}]"))
    return frame.select(cols)


def _trend(model, names: list[str], levels: list[str], weeks: np.ndarray, alpha: float,
           value: str, transform=None) -> pl.DataFrame:
    """Fixed-effect prediction per group and week (covariates at 0), with t intervals on
    Satterthwaite degrees of freedom."""
    beta = np.asarray(model.fe_params, dtype=float)
    cov = np.asarray(model.cov_params(), dtype=float)[:beta.size, :beta.size]
    groups = levels or [None]
    rows = []
    for g in groups:
        for w in weeks:
            x = dict.fromkeys(names, 0.0)
            x["intercept"], x["week"] = 1.0, float(w)
            if g is not None and g != levels[0]:
                x[f"group[T.{g}]"], x[f"week:group[T.{g}]"] = 1.0, float(w)
            rows.append((g, float(w), np.array([x[n] for n in names])))
    xm = np.array([r[2] for r in rows])
    est = xm @ beta
    se = np.sqrt(np.einsum("ij,jk,ik->i", xm, cov, xm))
    z = stats.t.ppf(1 - alpha / 2, mixed_df(model, xm))
    lo, hi = est - z * se, est + z * se
    if transform is not None:
        est, lo, hi = transform(est), transform(lo), transform(hi)
    return pl.DataFrame({"group": [r[0] for r in rows], "week": [r[1] for r in rows],
                         value: est, "std_error": se, "ci_low": lo, "ci_high": hi},
                        schema_overrides={"group": pl.String})


def _weekly_mixed(frame: pl.DataFrame, y: str, week: str, group: str | None,
                  reference: str | None, covariates: Sequence[str], random_week: bool,
                  min_runners: int, what: str, alpha: float):
    runners = frame[RUNNER].n_unique()
    if runners < min_runners:
        raise ModelError(f"{what}: {runners} runner(s) with usable runs; a cohort model needs "
                         f"at least {min_runners} (use cadence_speed for one runner)")
    if frame[week].n_unique() < 2:
        raise ModelError(f"{what}: all runs are in the same week; nothing to progress over")
    levels = _levels(frame, group, reference)
    if levels:
        require_runners_per_group(frame, RUNNER, group, what)
    design = _week_design(frame, week, group, levels, covariates)
    names = design.columns
    pdf = to_pandas(pl.concat([frame.select(RUNNER, y), design], how="horizontal"),
                    [RUNNER, y, *names])
    re_cols = ["intercept", "week"] if random_week else ["intercept"]
    model = fit_mixedlm(pdf[y], pdf[names], pdf[RUNNER], pdf[re_cols], what)
    return model, list(names), levels


# ---------------------------------------------------------------------------------------
# cadence over weeks


def cadence(runs: pl.DataFrame, *, group: str | None = "group", week: str = "week",
            reference: str | None = None, speed: str | None = None, random_week: bool = True,
            min_runners: int = 5, alpha: float = 0.05) -> ModelResult:
    """Cadence over weeks by group: ``cadence_spm ~ speed_c + week * group + (1 + week | runner)``.

    ``speed_c`` is speed centred per runner, so ``intercept`` is the reference group's
    cadence at week 0 and at each runner's usual pace.

    Parameters
    ----------
    runs : polars.DataFrame
        ``runner_id``, ``speed_mps``, ``cadence_spm``, ``week`` (or ``start_time``) and the
        ``group`` column (optional: without it, or with one group, no group terms).
    group, week : str
        Column names. ``reference`` is the baseline group (default ``"control"`` if present,
        else the alphabetically first).
    speed : str, optional
        Speed column; default ``run_speed_mps`` (running only) when present, else
        ``speed_mps`` (see :func:`runlab.models.cadence.running_speed`).
    random_week : bool
        Random week slopes as well as intercepts.

    Returns
    -------
    ModelResult
        ``fixed`` terms ``intercept``, ``speed_c`` [spm per m/s], ``week`` [spm/week],
        ``group[T.<g>]``, ``week:group[T.<g>]`` (the group × week effect, spm/week);
        ``random`` (``intercept``, ``week``, ``intercept:week``, ``residual``);
        ``summary`` = trend: ``group``, ``week``, ``cadence_spm``, ``std_error``,
        ``ci_low``, ``ci_high`` (fixed effects at the runner's usual pace);
        ``model`` the MixedLMResults.
    """
    frame = _prepared(running_speed(runs, speed), week, ("speed_mps", "cadence_spm"),
                      "progression.cadence", group)
    frame = running_rows(frame, (RUNNER, week, "speed_mps", "cadence_spm"), "progression.cadence")
    frame = frame.with_columns(speed_c=centre_within("speed_mps", RUNNER))
    model, names, levels = _weekly_mixed(frame, "cadence_spm", week, group, reference,
                                         ["speed_c"], random_week, min_runners,
                                         "progression.cadence", alpha)
    fixed = fixed_frame(model, alpha=alpha)
    weeks = np.sort(frame[week].unique().to_numpy())
    trend = _trend(model, names, levels, weeks, alpha, "cadence_spm")
    return ModelResult(fixed, model, random_frame(model), summary=trend)


def _prepared(frame, week, needed, what, group=None) -> pl.DataFrame:
    require(frame, (RUNNER, *needed), what)
    frame = add_week(frame, week).with_columns(pl.col(RUNNER).cast(pl.String))
    if group is not None and group in frame.columns:
        frame = usable(frame.with_columns(pl.col(group).cast(pl.String)), (group,), what)
    return frame


# ---------------------------------------------------------------------------------------
# retention


def retention(runs: pl.DataFrame, *, baseline_weeks: Sequence[float],
              end_weeks: Sequence[float], follow_up_weeks: Sequence[float],
              week: str = "week", speed: str | None = None, group: str = "group",
              control: str | None = "control", min_runners: int = 5,
              alpha: float = 0.05) -> ModelResult:
    """How much of the clinic's cadence gain is kept after retraining stops, per group,
    beyond the control group's change.

    The three phases (baseline, end of retraining, follow-up) go to
    :func:`runlab.models.clinic.clinic_effect`: each runner's change from the baseline at
    their own pace, minus the control group's mean change (difference in differences).
    ``control=None`` (or runs without ``group``): a pre–post change, with a
    :class:`~runlab.errors.RunlabWarning`.

    The headline retention contrast is ``follow_up_minus_end_pct``, the follow-up effect
    minus the end effect in points of % of the group's baseline (0: all of the gain kept;
    −end: all lost). It is linear in the runner-level changes, hence unbiased, and has a t
    interval (Welch–Satterthwaite df) over the runners who have both phases. The retained
    fraction (follow-up effect / end effect) is a secondary term: a ratio of two estimates
    is biased in small samples, so its estimate carries the second-order bias correction
    and its interval is Fieller's (details in :func:`_retention_terms`). Over 1,599
    simulated clinic studies (``benchmarks/validate_clinic.py --studies 1600``) the
    difference covered the truth in 1,523 (95.2 %; bias −0.02 points, Monte-Carlo SE
    0.02; with no effect it rejected in 53 of 1,000 studies), the corrected fraction in
    1,524 (bias −0.30 points, Monte-Carlo SE 0.24; the plain ratio −0.06 ± 0.25: the
    +0.7 points first seen over 400 studies, +2.3 with 12 runners, were Monte-Carlo
    noise, and the correction averages 0.24 points). The fraction moves
    by (Δf − R·Δe)/e for small changes Δe, Δf of the effects, ~14× either (e ≈ 7 % of
    baseline): written as files and read back, the difference agreed with memory within
    0.2 points in 40 of 40 cohorts (worst 0.035), the fraction in 29 of 40 (worst 0.61).

    Returns
    -------
    ModelResult
        ``fixed``: ``end:<group>`` and ``follow_up:<group>`` effects [spm] (tidy, with
        ``df``); ``summary``: per retrained ``group``, terms ``end_change_pct``,
        ``follow_up_change_pct`` [% of the group's baseline], ``follow_up_minus_end_pct``
        [points] and ``retained_fraction`` (bias-corrected follow-up effect / end effect,
        Fieller interval): ``group``, ``term``, ``estimate``,
        ``std_error``, ``statistic``, ``p_value``, ``ci_low``, ``ci_high``, ``df``, ``n``;
        ``per_runner``: ``runner_id``, ``group``, ``baseline_spm``, ``end_spm``,
        ``follow_up_spm`` (at the runner's own pace), ``n_baseline``, ``n_end``,
        ``n_follow_up``, ``end_change_pct``, ``follow_up_change_pct``,
        ``retained_fraction``; ``random``: the between-runner SDs of the changes.
    """
    what = "progression.retention"
    phases = {"baseline": baseline_weeks, "end": end_weeks, "follow_up": follow_up_weeks}
    for name, wk in phases.items():
        if not len(wk):
            raise ModelError(f"{what}: {name}_weeks is empty")
    frame = _prepared(running_speed(runs, speed), week, ("speed_mps", "cadence_spm"), what)
    if control is not None and (group not in frame.columns
                                or control not in set(frame[group].cast(pl.String))):
        control = None  # no control arm in the data: a pre–post change (warned below)
    present = set(frame.filter(pl.col(week).cast(pl.Float64).is_in(
        [float(w) for wk in phases.values() for w in wk]) & pl.col("cadence_spm").is_not_null())
        .select(pl.col(week).cast(pl.Float64))[week].to_list())
    empty = [n for n, wk in phases.items() if not present & {float(w) for w in wk}]
    if empty:
        raise ModelError(f"{what}: no usable runs in phase(s) {empty}")
    if frame[RUNNER].n_unique() < min_runners:
        raise ModelError(f"{what}: {frame[RUNNER].n_unique()} runner(s); need {min_runners}")
    try:
        fit = clinic_effect(frame, phases=phases, control=control, group=group, week=week,
                            alpha=alpha)
    except ModelError as e:
        raise ModelError(str(e).replace("progression.clinic_effect", what)) from None
    s = fit.summary
    per = fit.per_runner.pivot(on="phase", index=[RUNNER, "group"],
                               values=["phase_spm", "change_spm", "n_phase"])
    base = fit.per_runner.group_by(RUNNER).agg(pl.col("baseline_spm", "n_baseline").first())
    per = per.join(base, on=RUNNER, how="left")
    # runners with both the end and the follow-up phase, for the retention contrasts
    paired = per.select(RUNNER, "group", "baseline_spm", end="change_spm_end",
                        follow_up="change_spm_follow_up").drop_nulls(
        [RUNNER, "group", "end", "follow_up"])
    per = per.select(
        RUNNER, "group", "baseline_spm", end_spm="phase_spm_end",
        follow_up_spm="phase_spm_follow_up", n_baseline="n_baseline",
        n_end="n_phase_end", n_follow_up="n_phase_follow_up").with_columns(
        end_change_pct=100 * (pl.col("end_spm") / pl.col("baseline_spm") - 1),
        follow_up_change_pct=100 * (pl.col("follow_up_spm") / pl.col("baseline_spm") - 1))
    per = per.with_columns(retained_fraction=pl.col("follow_up_change_pct")
                           / pl.col("end_change_pct")).sort(RUNNER)
    rows = []
    for g in s["group"].unique(maintain_order=True).to_list():
        end = s.filter((pl.col("group") == g) & (pl.col("phase") == "end")).row(0, named=True)
        fu = s.filter((pl.col("group") == g) & (pl.col("phase") == "follow_up")).row(
            0, named=True)
        for term, r in (("end_change_pct", end), ("follow_up_change_pct", fu)):
            rows.append({"group": g, "term": term, "estimate": r["effect_pct"],
                         "std_error": r["std_error_pct"], "ci_low": r["ci_low_pct"],
                         "ci_high": r["ci_high_pct"], "df": r["df"],
                         "n": r["n_runners"] + r["n_control"]})
        rows += [{"group": g, **r} for r in _retention_terms(paired, g, control,
                                                             end, fu, alpha, what)]
    summary = pl.DataFrame(rows).with_columns(
        statistic=pl.col("estimate") / pl.col("std_error"))
    summary = summary.with_columns(p_value=pl.Series(
        2 * stats.t.sf(np.abs(summary["statistic"].to_numpy()), summary["df"].to_numpy())))
    summary = summary.select("group", "term", "estimate", "std_error", "statistic", "p_value",
                             "ci_low", "ci_high", "df", pl.col("n").cast(pl.Int64))
    return ModelResult(fit.fixed, fit.model, fit.random, per, summary)


def _t_row(estimate: float, var: float, df: float, alpha: float, n: int) -> dict:
    se, low, high = t_interval(estimate, var, df, alpha)
    return {"estimate": estimate, "std_error": se, "ci_low": low, "ci_high": high,
            "df": float(df), "n": n}


def _retention_terms(both: pl.DataFrame, g: str, control: str | None, end: dict, fu: dict,
                     alpha: float, what: str) -> list[dict]:
    """The retention contrasts of group ``g`` over the runners in ``both``, who have both
    phases (``runner_id``, ``group``, ``baseline_spm`` and the ``end`` and ``follow_up``
    changes [spm]).

    ``follow_up_minus_end_pct``: the follow-up effect minus the end effect, in points of
    % of the group's baseline (a difference of two difference-in-differences, linear, so
    unbiased); t interval on the runner-level changes (delta method for the baseline),
    Welch–Satterthwaite df.

    ``retained_fraction``: follow-up effect / end effect. A ratio of two estimates is
    biased by (R·Var(e) − Cov(e, f)) / e² to second order (Cochran, 1977, *Sampling
    Techniques*, §6.8; the delta method taken one order further): that term is
    subtracted. Its interval is Fieller's (Fieller, 1954,
    doi:10.1111/j.2517-6161.1954.tb00159.x): the R with (f − R·e)² ≤ t²·Var(f − R·e),
    asymmetric like the ratio's sampling distribution; unbounded (±inf, with a
    :class:`~runlab.errors.RunlabWarning`) when the end effect is not itself significant.
    """
    treated = both.filter(pl.col("group") == g)
    ctrl = both.filter(pl.col("group") == control) if control is not None else None
    groups = [x for x in (treated, ctrl) if x is not None]
    n = int(sum(x.height for x in groups))
    # the difference: runner-level influence terms of 100·(f − e)/b
    b = float(treated["baseline_spm"].mean())
    diff = float(fu["effect_pct"] - end["effect_pct"])
    var_d, df_d = pct_variance(diff, b, treated["baseline_spm"].to_numpy(),
                               (treated["follow_up"] - treated["end"]).to_numpy(),
                               (ctrl["follow_up"] - ctrl["end"]).to_numpy()
                               if ctrl is not None else None)
    rows = [{"term": "follow_up_minus_end_pct", **_t_row(diff, var_d, df_d, alpha, n)}]
    # the ratio: Var(e), Var(f), Cov(e, f) of the two difference-in-differences
    e, f = float(end["effect_spm"]), float(fu["effect_spm"])
    ve = vf = cef = 0.0
    for x in groups:
        if x.height > 1:
            c = np.cov(x["end"].to_numpy(), x["follow_up"].to_numpy(), ddof=1) / x.height
            ve, vf, cef = ve + c[0, 0], vf + c[1, 1], cef + c[0, 1]
    ratio = f / e
    lin = [((x["follow_up"] - ratio * x["end"]).to_numpy() / e, 1.0) for x in groups]
    var_r, df_r = welch_variance(lin)
    q2 = stats.t.ppf(1 - alpha / 2, df_r) ** 2
    a_, b_, c_ = e * e - q2 * ve, -2 * (e * f - q2 * cef), f * f - q2 * vf
    disc = b_ * b_ - 4 * a_ * c_
    row = _t_row(ratio, var_r, df_r, alpha, n)
    if a_ > 0 and disc >= 0:
        root = np.sqrt(disc)
        row["ci_low"], row["ci_high"] = (-b_ - root) / (2 * a_), (-b_ + root) / (2 * a_)
        row["estimate"] = ratio - (ratio * ve - cef) / (e * e)
    else:
        warnings.warn(f"{what}: group {g!r}: the end effect is not significant at "
                      f"alpha={alpha}, so the retained fraction's Fieller interval is "
                      "unbounded (uncorrected ratio shown); use follow_up_minus_end_pct",
                      RunlabWarning, stacklevel=3)
        row["ci_low"], row["ci_high"] = -np.inf, np.inf
    rows.append({"term": "retained_fraction", **row})
    return rows


# ---------------------------------------------------------------------------------------
# target attainment


def target_attainment(runs: pl.DataFrame, targets: pl.DataFrame, *,
                      weeks: Sequence[float] | None = None, tolerance_spm: float = 0.0,
                      group: str | None = "group", week: str = "week",
                      speed: str | None = None, min_runs: int = 3, alpha: float = 0.05,
                      phases: dict[str, Sequence[float]] | None = None,
                      plan: pl.DataFrame | None = None, phase: str = "end",
                      control: str | None = "control") -> ModelResult:
    """Share of runners whose cadence reached their target, judged in one phase.

    The phase: ``weeks`` if given, else ``phases[phase]`` (or the ``phase`` of
    :func:`runlab.models.clinic.phases_from_plan` for ``plan``), else the last two weeks
    with a metronome target (``cadence_target_spm``) in ``runs`` — by default the last two
    clinic weeks, never all weeks. A runner's achieved cadence comes from their runs in
    those weeks: with a target pace (``targets.speed_mps``) and enough runs, their own
    cadence–speed line at that pace (``method="line"``), else their mean cadence
    (``method="mean"``). Reached means achieved ≥ target − ``tolerance_spm``.

    The ``control`` group has no target it could miss (its "target" is its own habitual
    cadence): its runners get no ``reached`` and no share; they are compared on change
    (``change_spm``, ``change_pct`` from ``targets.habitual_spm`` when given), and the
    group contrast belongs to :func:`runlab.models.clinic.clinic_effect`.

    Parameters
    ----------
    runs : polars.DataFrame
        ``runner_id``, ``cadence_spm`` (``speed_mps`` for the line), ``week`` (or
        ``start_time``), optional ``group``.
    targets : polars.DataFrame
        ``runner_id``, ``target_spm`` and optionally ``speed_mps`` (the target's pace) and
        ``habitual_spm`` (the baseline the change is measured from).

    Returns
    -------
    ModelResult
        ``per_runner``: ``runner_id``, ``group``, ``target_spm``, ``achieved_spm``,
        ``gap_spm``, ``reached``, ``n_runs``, ``method`` (``"control"`` for the control
        group), ``change_spm`` and ``change_pct`` (from ``habitual_spm``; null without);
        ``summary``: ``group``, ``n_runners``, ``n_reached``, ``share``, ``ci_low``,
        ``ci_high`` (Wilson interval), ``mean_change_pct``, one row per group and one
        for ``"all"`` (the retrained groups); the control row has no share;
        ``fixed`` the log-odds of reaching (``intercept`` and ``group[T.<g>]``) from a
        binomial GLM, which is ``model``.
    """
    what = "progression.target_attainment"
    require(runs, (RUNNER, "cadence_spm"), what)
    require(targets, (RUNNER, "target_spm"), f"{what} (targets)")
    frame = running_speed(runs, speed).with_columns(pl.col(RUNNER).cast(pl.String))
    weeks = _attainment_weeks(frame, weeks, phases, plan, phase, week, what)
    frame = add_week(frame, week).filter(
        pl.col(week).cast(pl.Float64).is_in(list(map(float, weeks))))
    use_line = "speed_mps" in targets.columns and "speed_mps" in frame.columns
    needed = (RUNNER, "cadence_spm", "speed_mps") if use_line else (RUNNER, "cadence_spm")
    frame = usable(frame, needed, what)
    tg = usable(targets.with_columns(pl.col(RUNNER).cast(pl.String)),
                (RUNNER, "target_spm"), f"{what} (targets)")
    if tg[RUNNER].is_duplicated().any():
        raise ModelError(f"{what}: targets has more than one row for some runner_id")
    achieved = frame.group_by(RUNNER).agg(n_runs=pl.len().cast(pl.Int64),
                                         mean_spm=pl.col("cadence_spm").mean())
    if use_line:
        lines = ols_by(frame, RUNNER, "speed_mps", "cadence_spm", min_n=min_runs).select(
            RUNNER, "intercept", "slope")
        achieved = achieved.join(lines, on=RUNNER, how="left")
    per = tg.select(RUNNER, "target_spm", *(["speed_mps"] if use_line else [])).join(
        achieved, on=RUNNER, how="left")
    if use_line:
        line = pl.col("intercept") + pl.col("slope") * pl.col("speed_mps")
        per = per.with_columns(
            achieved_spm=pl.coalesce(line, pl.col("mean_spm")),
            method=pl.when(line.is_not_null()).then(pl.lit("line")).otherwise(pl.lit("mean")))
    else:
        per = per.with_columns(achieved_spm=pl.col("mean_spm"), method=pl.lit("mean"))
    per = per.with_columns(pl.col("n_runs").fill_null(0),
                           gap_spm=pl.col("achieved_spm") - pl.col("target_spm"))
    groups = _runner_groups(runs, group)
    per = per.join(groups, on=RUNNER, how="left") if groups is not None else per.with_columns(
        group=pl.lit(None, pl.String))
    is_control = (pl.col("group") == control).fill_null(False) if control else pl.lit(False)
    habitual = (tg.select(RUNNER, "habitual_spm") if "habitual_spm" in tg.columns
                else tg.select(RUNNER, habitual_spm=pl.lit(None, pl.Float64)))
    per = per.join(habitual, on=RUNNER, how="left").with_columns(
        reached=pl.when(is_control).then(None).otherwise(pl.col("gap_spm") >= -tolerance_spm),
        method=pl.when(is_control).then(pl.lit("control")).otherwise(pl.col("method")),
        change_spm=pl.col("achieved_spm") - pl.col("habitual_spm"),
        change_pct=100 * (pl.col("achieved_spm") / pl.col("habitual_spm") - 1))
    controls = per.filter(is_control & pl.col("achieved_spm").is_not_null())
    per = per.select(RUNNER, "group", "target_spm", "achieved_spm", "gap_spm", "reached",
                     "n_runs", "method", "change_spm", "change_pct").sort(RUNNER)
    missing = per.filter(pl.col("achieved_spm").is_null())[RUNNER].to_list()
    if missing:
        warnings.warn(f"{what}: {len(missing)} runner(s) with a target have no usable runs and "
                      f"are left out of the share: {missing[:10]}", RunlabWarning, stacklevel=2)
    scored = per.filter(pl.col("reached").is_not_null())
    if scored.height == 0:
        raise ModelError(f"{what}: no retrained runner with a target has usable runs in "
                         f"weeks {list(weeks)}")
    summary = _shares(scored, alpha)
    change = pl.concat([scored, controls.select(scored.columns)]).group_by("group").agg(
        mean_change_pct=pl.col("change_pct").mean())
    summary = summary.join(change, on="group", how="left")
    if controls.height:
        summary = pl.concat([summary, pl.DataFrame({
            "group": [control], "n_runners": [controls.height], "n_reached": [None],
            "share": [None], "ci_low": [None], "ci_high": [None],
            "mean_change_pct": [controls["change_pct"].mean()]})], how="diagonal_relaxed").sort(
            pl.col("group") == "all", "group")
    summary = summary.with_columns(mean_change_pct=pl.when(pl.col("group") == "all").then(
        pl.lit(scored["change_pct"].mean(), pl.Float64)).otherwise("mean_change_pct"))
    model, fixed = _attainment_glm(scored, alpha)
    return ModelResult(fixed, model, per_runner=per, summary=summary)


def _attainment_weeks(frame, weeks, phases, plan, phase, week, what) -> list[float]:
    """The weeks attainment is judged in (see :func:`target_attainment`)."""
    if weeks is not None:
        return [float(w) for w in weeks]
    if phases is None and plan is not None:
        phases = phases_from_plan(plan, week=week)
    if phases is not None:
        if phase not in phases:
            raise ModelError(f"{what}: phase {phase!r} not among {list(phases)}")
        return [float(w) for w in phases[phase]]
    if "cadence_target_spm" in frame.columns and week in frame.columns:
        clinic = frame.filter(pl.col("cadence_target_spm").is_not_null())[week].unique()
        if clinic.len():
            last = float(clinic.max())
            return [w for w in (last - 1, last) if w in set(clinic.cast(pl.Float64))]
    raise ModelError(f"{what}: name the weeks to judge attainment in (weeks=, phases= or "
                     "plan=); without a plan the default is the last two weeks with a "
                     "metronome target (cadence_target_spm), which runs do not have")


def _runner_groups(runs: pl.DataFrame, group: str | None) -> pl.DataFrame | None:
    if group is None or group not in runs.columns:
        return None
    g = runs.select(pl.col(RUNNER).cast(pl.String), pl.col(group).cast(pl.String).alias("group"))
    g = g.drop_nulls().unique()
    if g[RUNNER].is_duplicated().any():
        raise ModelError(f"some runners belong to more than one {group!r}")
    return g


def _shares(scored: pl.DataFrame, alpha: float) -> pl.DataFrame:
    from statsmodels.stats.proportion import proportion_confint

    parts = [scored.with_columns(group=pl.lit("all"))]
    if scored["group"].drop_nulls().n_unique() >= 1:
        parts.insert(0, scored.filter(pl.col("group").is_not_null()))
    counts = pl.concat(parts).group_by("group", maintain_order=True).agg(
        n_runners=pl.len().cast(pl.Int64), n_reached=pl.col("reached").sum().cast(pl.Int64))
    lo, hi = proportion_confint(counts["n_reached"].to_numpy(), counts["n_runners"].to_numpy(),
                                alpha=alpha, method="wilson")
    return counts.with_columns(share=pl.col("n_reached") / pl.col("n_runners"),
                               ci_low=pl.Series(lo), ci_high=pl.Series(hi)).sort(
        pl.col("group") == "all", "group")


def _attainment_glm(scored: pl.DataFrame, alpha: float):
    import statsmodels.api as sm

    levels = _levels(scored, "group", None)
    design = scored.select(pl.repeat(1.0, scored.height).alias("intercept"), *[
        (pl.col("group") == g).cast(pl.Float64).alias(f"group[T.{g}]") for g in levels[1:]])
    y = scored["reached"].cast(pl.Float64).to_numpy()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = sm.GLM(y, design.to_pandas(), family=sm.families.Binomial()).fit()
    for w in caught:
        if "separation" in str(w.message).lower() or "overflow" in str(w.message).lower():
            warnings.warn("progression.target_attainment: (quasi-)perfect separation, every "
                          "runner of a group reached (or missed) the target; the log-odds and "
                          "their intervals are not meaningful, use the shares", RunlabWarning,
                          stacklevel=3)
            break
    return model, params_frame(model, alpha=alpha, dist="z")


# ---------------------------------------------------------------------------------------
# walk–run ratio


def walk_run(runs: pl.DataFrame, *, group: str | None = "group", week: str = "week",
             ratio: str = "run_walk_ratio", reference: str | None = None,
             random_week: bool = True, min_runners: int = 5, alpha: float = 0.05
             ) -> ModelResult:
    """Walk–run ratio progression: ``log2(ratio) ~ week * group + (1 + week | runner)``.

    On the log2 scale one unit is a doubling of run time per walk time (1:1 → 2:1). Runs
    with no walking (infinite ratio: continuous running) or no ratio are left out, with a
    warning that counts them.

    Returns
    -------
    ModelResult
        ``fixed`` on the log2 scale (``week`` = doublings per week); ``summary`` trend:
        ``group``, ``week``, ``run_walk_ratio`` (back-transformed), ``std_error`` (log2
        scale), ``ci_low``, ``ci_high``; ``model`` the MixedLMResults.
    """
    what = "progression.walk_run"
    frame = _prepared(runs, week, (ratio,), what, group)
    continuous = frame.filter(pl.col(ratio).is_infinite()).height
    if continuous:
        warnings.warn(f"{what}: {continuous} continuous run(s) (no walking, infinite "
                      f"{ratio}) are left out of the ratio model", RunlabWarning, stacklevel=2)
        frame = frame.filter(~pl.col(ratio).is_infinite())
    frame = usable(frame, (RUNNER, week, ratio), what).filter(pl.col(ratio) > 0)
    frame = frame.with_columns(log2_ratio=pl.col(ratio).cast(pl.Float64).log(2))
    model, names, levels = _weekly_mixed(frame, "log2_ratio", week, group, reference, (),
                                         random_week, min_runners, what, alpha)
    weeks = np.sort(frame[week].unique().to_numpy())
    trend = _trend(model, names, levels, weeks, alpha, "run_walk_ratio",
                   transform=lambda x: np.exp2(x))
    return ModelResult(fixed_frame(model, alpha=alpha), model, random_frame(model),
                       summary=trend)


# ---------------------------------------------------------------------------------------
# baseline mile


def baseline_mile(tests: pl.DataFrame, *, time: str = "week",
                  outcomes: Sequence[str] | None = None, alpha: float = 0.05,
                  group: str | None = "group", control: str | None = "control",
                  first_weeks: Sequence[float] | None = None,
                  last_weeks: Sequence[float] | None = None) -> ModelResult:
    """Change from the first to the last baseline comfortable-mile test of each runner and,
    with a ``group`` column holding the ``control`` group, each retrained group's change
    beyond the control group's (difference in differences, Welch–Satterthwaite t interval)
    — never one change pooled over both groups.

    Parameters
    ----------
    tests : polars.DataFrame
        One row per baseline-mile test (e.g. :func:`runlab.metrics.find_mile_tests` rows with
        ``runner_id`` added, journal ``rpe`` joined): ``runner_id``, ``time`` (``week``, or
        derived from ``start_time``/``date``/``start``) and outcomes (default: those present
        of ``cadence_spm``, ``speed_mps``, ``mile_time_s``, ``step_length_m``,
        ``heart_rate_bpm``, ``rpe``).
    first_weeks, last_weeks : sequence, optional
        The ``time`` values a runner's first test (their earliest in ``first_weeks``) and
        last test (their latest in ``last_weeks``) must come from, e.g. ``[0, 1]`` (the
        boost-free miles) and ``[12]`` (the follow-up mile). Runners without a test in
        both are left out (warned). Without them every runner's first and last tests
        are used, and when the runners' last tests fall in different weeks (dropout, a
        missed test) a :class:`~runlab.errors.RunlabWarning` says the contrast mixes
        them: a runner whose last test is the clinic's first week adds a change of zero.

    Returns
    -------
    ModelResult
        ``per_runner``: ``runner_id``, ``first_<time>``, ``last_<time>``, ``n_tests`` and
        ``<outcome>_first``, ``<outcome>_last``, ``<outcome>_change`` per outcome;
        ``fixed``: mean change per outcome, ``term`` ``<outcome>_change`` (t interval from
        an intercept-only OLS on the changes; ``n`` runners); ``model``: dict outcome → OLS.
        With groups: ``fixed`` holds the contrasts, ``term`` ``<outcome>_change:<group>``
        (retrained group's mean change minus control's, with ``df``; ``estimate_pct``,
        ``std_error_pct``, ``ci_low_pct``, ``ci_high_pct`` in % of the retrained group's
        mean first test, delta method), and ``summary`` each group's mean change
        (``group``, ``term``, ``estimate``, ``n``). The truth of a simulated cohort's
        cadence contrast is :meth:`runlab.simulate.Cohort.mile_truth`.
    """
    import statsmodels.api as sm

    what = "progression.baseline_mile"
    frame = tests if time != "week" else add_week(tests, "week")
    require(frame, (RUNNER, time), what)
    if outcomes is None:
        outcomes = [c for c in _MILE_OUTCOMES
                    if c in frame.columns and frame[c].null_count() < frame.height]
        if not outcomes:
            raise ModelError(f"{what}: no outcome columns {list(_MILE_OUTCOMES)}; "
                             f"has {frame.columns}")
    frame = usable(frame, (RUNNER, time, *outcomes), what).with_columns(
        pl.col(RUNNER).cast(pl.String)).sort(RUNNER, time)
    chosen = first_weeks is not None or last_weeks is not None
    def _among(values):
        if values is None:
            return pl.lit(True)
        return pl.col(time).is_in(pl.Series(list(values)).cast(frame.schema[time]).implode())

    is_first, is_last = _among(first_weeks), _among(last_weeks)
    per = frame.group_by(RUNNER, maintain_order=True).agg(
        pl.col(time).filter(is_first).first().alias(f"first_{time}"),
        pl.col(time).filter(is_last).last().alias(f"last_{time}"),
        pl.len().cast(pl.Int64).alias("n_tests"),
        *[pl.col(o).cast(pl.Float64).filter(is_first).first().alias(f"{o}_first")
          for o in outcomes],
        *[pl.col(o).cast(pl.Float64).filter(is_last).last().alias(f"{o}_last")
          for o in outcomes])
    has_pair = ((pl.col(f"last_{time}") > pl.col(f"first_{time}")).fill_null(False) if chosen
                else pl.col("n_tests") >= 2)
    per = per.with_columns(_pair=has_pair)
    per = per.with_columns([
        pl.when(pl.col("_pair")).then(pl.col(f"{o}_last") - pl.col(f"{o}_first"))
        .alias(f"{o}_change") for o in outcomes])
    single = per.filter(~pl.col("_pair"))[RUNNER].to_list()
    if single:
        which = ("without a test in both first_weeks and last_weeks" if chosen
                 else "with a single test")
        warnings.warn(f"{what}: {len(single)} runner(s) {which} have no change: "
                      f"{single[:10]}", RunlabWarning, stacklevel=2)
    lasts = sorted(per.filter(pl.col("_pair"))[f"last_{time}"].unique().to_list())
    if not chosen and len(lasts) > 1:
        warnings.warn(f"{what}: the runners' last tests fall in different {time}s {lasts}: "
                      "the change mixes them (a runner whose last test comes before the "
                      "clinic has changed nothing yet); pass first_weeks=/last_weeks=",
                      RunlabWarning, stacklevel=2)
    paired = per.filter(pl.col("_pair")).drop("_pair")
    per = per.drop("_pair")
    if paired.height < 2:
        raise ModelError(f"{what}: {paired.height} runner(s) with a first and a last test; "
                         "need 2")
    groups = _runner_groups(frame, group) if group is not None else None
    if groups is not None and control is not None and control in set(groups["group"]):
        return _mile_contrasts(paired.join(groups, on=RUNNER, how="inner"), per, outcomes,
                               control, alpha)
    models, rows = {}, []
    for o in outcomes:
        y = paired[f"{o}_change"].to_numpy()
        models[o] = sm.OLS(y, np.ones((y.size, 1))).fit()
        rows.append(params_frame(models[o], alpha=alpha).with_columns(term=pl.lit(f"{o}_change")))
    return ModelResult(pl.concat(rows), models, per_runner=per)


def _mile_contrasts(paired: pl.DataFrame, per: pl.DataFrame, outcomes, control: str,
                    alpha: float) -> ModelResult:
    """Each retrained group's mean mile change minus the control group's (Welch t), in the
    outcome's unit and in % of the group's mean first test (delta method), as
    :func:`runlab.models.clinic.clinic_effect` computes its effects."""
    rows, means = [], []
    treated = sorted(g for g in paired["group"].unique().to_list() if g != control)
    for o in outcomes:
        col = f"{o}_change"
        ok = paired.filter(pl.col(col).is_not_null())
        by = {g: (ok.filter(pl.col("group") == g)[f"{o}_first"].to_numpy(),
                  ok.filter(pl.col("group") == g)[col].to_numpy()) for g in [control, *treated]}
        means += [{"group": g, "term": col, "estimate": float(np.mean(x)) if x.size else None,
                   "n": int(x.size)} for g, (_, x) in by.items()]
        for g in treated:
            if by[g][1].size < 2 or by[control][1].size < 2:
                raise ModelError(f"progression.baseline_mile: group {g!r} or {control!r} has "
                                 f"fewer than 2 runners with two tests ({col})")
            r = effect_row(col, g, by[g], by[control], alpha)
            rows.append({"term": f"{col}:{g}", "estimate": r["effect_spm"],
                         "std_error": r["std_error_spm"], "statistic": r["statistic"],
                         "p_value": r["p_value"], "ci_low": r["ci_low_spm"],
                         "ci_high": r["ci_high_spm"], "df": r["df"],
                         "n": r["n_runners"] + r["n_control"],
                         "estimate_pct": r["effect_pct"], "std_error_pct": r["std_error_pct"],
                         "ci_low_pct": r["ci_low_pct"], "ci_high_pct": r["ci_high_pct"]})
    per = per.join(paired.select(RUNNER, "group"), on=RUNNER, how="left")
    return ModelResult(pl.DataFrame(rows), None, per_runner=per, summary=pl.DataFrame(means))
