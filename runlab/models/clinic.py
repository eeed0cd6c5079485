"""The clinic's effect: a difference in differences at matched speed, per phase and group.

:func:`clinic_effect` answers "did cadence retraining work, by how much, and did it last?"
for a clinic design: a metronome-free baseline (week 0), the clinic's weeks, follow-up weeks.
For every phase (a named set of clinic weeks) and every retrained group it estimates the
change in cadence from the baseline, at the runner's own pace, beyond the control group's
change over the same weeks (difference in differences), in steps/min and in % of that
group's baseline cadence.

Method (a two-stage random-effects analysis, the "summary measures" approach of Matthews
et al., 1990, DOI 10.1136/bmj.300.6719.230; Frison & Pocock, 1992,
DOI 10.1002/sim.4780111304):

1. Within runners: ``cadence_spm ~ speed_c + runner × cell`` by least squares, where a cell
   is the baseline, a named phase or an unnamed week (modelled on its own, never pooled
   into a phase) and ``speed_c`` is speed centred per runner (``run_speed_mps`` when
   present). This gives each runner's cadence in each cell at their own usual pace, with one
   cadence–speed slope shared by all runners and cells.
2. Between runners: each runner's change from the baseline in a phase carries their own
   runner × phase effect (how much of the boost *they* achieved, their drift) plus
   measurement noise. The group means of these changes and their between-runner variances
   give the effect and its standard error, so the interval covers the population effect
   (the mean achieved boost), not just this cohort's runners.

Small-sample inference: t intervals with Welch–Satterthwaite degrees of freedom (the
retrained and control groups have different runner × phase variances — retrained runners
differ in how much boost they achieve). With equal variances and groups this is n − 2, the
exact degrees of freedom of the balanced design (where Kenward–Roger and Satterthwaite
agree). The percent scale uses the delta method on the same runner-level terms. A
parametric bootstrap was not chosen: it is ~1000× slower and the t reference is exact
under normal runner effects.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl
from scipy import stats

from runlab.errors import ModelError, RunlabWarning
from runlab.models._result import ModelResult
from runlab.models._tidy import require
from runlab.models.cadence import running_speed

__all__ = ["clinic_effect", "clinic_weeks", "phases_from_plan"]

RUNNER = "runner_id"
WHAT = "progression.clinic_effect"


# ---------------------------------------------------------------------------------------
# weeks and phases


def _local_date(runs: pl.DataFrame) -> pl.Expr:
    """Each run's local calendar date: ``start_time`` shifted by ``local_time_offset_s``
    (when present), else a ``date`` column."""
    if "start_time" in runs.columns:
        t = pl.col("start_time")
        if isinstance(runs.schema["start_time"], pl.Datetime) and \
                runs.schema["start_time"].time_zone is not None:
            t = t.dt.replace_time_zone(None)
        if "local_time_offset_s" in runs.columns:
            t = t + pl.duration(seconds=pl.col("local_time_offset_s").fill_null(0))
        return t.dt.date()
    if "date" in runs.columns:
        return pl.col("date").cast(pl.Date)
    raise ModelError(f"{WHAT}: runs have no week column and no start_time or date to date "
                     f"them by; has {runs.columns}")


def clinic_weeks(runs: pl.DataFrame, plan: pl.DataFrame, *, week: str = "week") -> pl.DataFrame:
    """``runs`` with clinic weeks from each run's local date minus the clinic start.

    The clinic start is the first day of week 1 of the runner's plan (a plan row of week w
    dated d starts its week on d − 7·(w − 1) days at the earliest); a plan without
    ``runner_id`` applies to every runner. Week 0 is the week before the clinic (the
    metronome-free baseline), negative weeks earlier. Never the runner's first run: runners
    who join late or miss their first sessions would have every week misplaced.
    """
    require(plan, ("date", "week"), f"{WHAT} (plan)")
    start = pl.col("date").cast(pl.Date) - pl.duration(days=7 * (pl.col("week") - 1))
    if RUNNER in plan.columns:
        starts = plan.group_by(pl.col(RUNNER).cast(pl.String)).agg(_start=start.min())
        out = runs.with_columns(pl.col(RUNNER).cast(pl.String)).join(starts, on=RUNNER,
                                                                     how="left")
        unknown = out.filter(pl.col("_start").is_null())[RUNNER].unique().to_list()
        if unknown:
            raise ModelError(f"{WHAT}: runner(s) {sorted(unknown)[:10]} have no plan rows to "
                             "date their weeks by")
    else:
        out = runs.with_columns(_start=pl.lit(plan.select(start.min()).item(), pl.Date))
    days = (_local_date(runs) - pl.col("_start")).dt.total_days()
    return out.with_columns(((days // 7) + 1).cast(pl.Int64).alias(week)).drop("_start")


def phases_from_plan(plan: pl.DataFrame, *, week: str = "week") -> dict[str, list[int]]:
    """The phases of a plan: ``"baseline"`` = its weeks ≤ 0 (metronome-free), ``"end"`` =
    the last two clinic weeks (``program == "clinic"``, else weeks with a cadence target),
    ``"follow_up"`` = the weeks after the clinic, when the plan has any."""
    require(plan, (week,), f"{WHAT} (plan)")
    weeks = sorted(int(w) for w in plan[week].drop_nulls().unique().to_list())
    if "program" in plan.columns:
        clinic = plan.filter(pl.col("program") == "clinic")[week]
    elif "cadence_target_spm" in plan.columns:
        clinic = plan.filter(pl.col("cadence_target_spm").is_not_null())[week]
    else:
        clinic = pl.Series([w for w in weeks if w >= 1])
    baseline = [w for w in weeks if w <= 0]
    if not baseline:
        raise ModelError(f"{WHAT}: the plan has no metronome-free baseline week (week ≤ 0); "
                         "pass phases= naming the baseline weeks")
    if clinic.len() == 0:
        raise ModelError(f"{WHAT}: the plan has no clinic weeks")
    last = int(clinic.max())
    phases = {"baseline": baseline, "end": [w for w in (last - 1, last) if w >= 1]}
    after = [w for w in weeks if w > last]
    if after:
        phases["follow_up"] = after
    return phases


def _check_phases(phases: Mapping[str, Sequence[float]]) -> dict[str, list[float]]:
    if not isinstance(phases, Mapping) or "baseline" not in phases:
        raise ModelError(f"{WHAT}: phases needs a 'baseline' key (the metronome-free weeks); "
                         f"got {list(phases) if isinstance(phases, Mapping) else phases!r}")
    out, owner = {}, {}
    for name, weeks in phases.items():
        wk = [float(w) for w in (weeks if isinstance(weeks, Sequence) else [weeks])]
        if not wk:
            raise ModelError(f"{WHAT}: phase {name!r} names no weeks")
        for w in wk:
            if w in owner and owner[w] != name:
                raise ModelError(f"{WHAT}: phases {owner[w]!r} and {name!r} overlap "
                                 f"(week {w:g})")
            owner[w] = name
        out[str(name)] = wk
    return out


# ---------------------------------------------------------------------------------------
# stage 1: runner × cell cadence at the runner's own pace


def _cells(frame: pl.DataFrame, phases: dict[str, list[float]], week: str) -> pl.DataFrame:
    """Each run's cell: its named phase, or ``"week <w>"`` for weeks no phase names."""
    expr = pl.lit(None, pl.String)
    for name, wk in phases.items():
        expr = pl.when(pl.col(week).is_in(wk)).then(pl.lit(name)).otherwise(expr)
    fallback = pl.format("week {}", pl.col(week).cast(pl.Int64))
    return frame.with_columns(_cell=pl.coalesce(expr, fallback))


def _runner_cells(frame: pl.DataFrame) -> tuple[pl.DataFrame, float, float]:
    """Runner × cell cadence at the runner's mean speed (one shared slope), the slope
    [spm per m/s] and the within-cell residual SD [spm]."""
    f = frame.with_columns(
        speed_c=pl.col("speed_mps") - pl.col("speed_mps").mean().over(RUNNER))
    f = f.with_columns(
        _x=pl.col("speed_c") - pl.col("speed_c").mean().over(RUNNER, "_cell"),
        _y=pl.col("cadence_spm") - pl.col("cadence_spm").mean().over(RUNNER, "_cell"))
    sxx = float((f["_x"] ** 2).sum())
    slope = float((f["_x"] * f["_y"]).sum()) / sxx if sxx > 1e-12 else 0.0
    resid = f["_y"] - slope * f["_x"]
    cells = f.group_by(RUNNER, "_group", "_cell").agg(
        n_runs=pl.len().cast(pl.Int64),
        cadence_spm=(pl.col("cadence_spm") - slope * pl.col("speed_c")).mean())
    dof = f.height - cells.height - 1
    sigma = float(np.sqrt((resid ** 2).sum() / dof)) if dof > 0 else float("nan")
    return cells, slope, sigma


# ---------------------------------------------------------------------------------------
# stage 2: between-runner contrasts


def welch_variance(parts: list[tuple[np.ndarray, float]]) -> tuple[float, float]:
    """Variance and Welch–Satterthwaite df of Σ sign · mean(x) over independent groups."""
    terms = [(float(np.var(x, ddof=1)) / x.size if x.size > 1 else np.nan, x.size)
             for x, _ in parts]
    var = sum(t for t, _ in terms)
    denom = sum(t * t / (n - 1) for t, n in terms if n > 1 and t > 0)
    df = var * var / denom if denom > 0 else float(sum(n for _, n in terms) - len(terms))
    return var, df


def pct_variance(pct: float, b: float, base_t: np.ndarray, d_t: np.ndarray,
                 d_c: np.ndarray | None) -> tuple[float, float]:
    """Variance and Welch–Satterthwaite df of a difference in differences as % of the
    treated group's mean baseline ``b`` (estimate ``pct``), by the delta method: the
    runner-level influence terms 100·d/b − pct·base/b (treated ``base_t``, ``d_t``) and
    100·d/b (control changes ``d_c``, or None for a pre–post change)."""
    parts = [(100 / b * d_t - pct / b * base_t, 1.0)]
    if d_c is not None:
        parts.append((100 / b * d_c, -1.0))
    return welch_variance(parts)


def t_interval(estimate: float, var: float, df: float,
               alpha: float) -> tuple[float, float, float]:
    """Standard error and two-sided 1 − ``alpha`` t interval (low, high) of ``estimate``."""
    se = float(np.sqrt(var))
    q = stats.t.ppf(1 - alpha / 2, df)
    return se, estimate - q * se, estimate + q * se


def effect_row(phase, group, treated, control, alpha) -> dict:
    """One (phase, group) effect from runner-level baselines and changes."""
    base_t, d_t = treated
    b = float(base_t.mean())
    eff = float(d_t.mean()) - (float(control[1].mean()) if control is not None else 0.0)
    pct = 100 * eff / b
    spm_parts = [(d_t, 1.0)] + ([(control[1], -1.0)] if control is not None else [])
    var_spm, df = welch_variance(spm_parts)
    var_pct, df_pct = pct_variance(pct, b, base_t, d_t, control[1] if control is not None else None)
    se, low, high = t_interval(eff, var_spm, df, alpha)
    se_pct, low_pct, high_pct = t_interval(pct, var_pct, df_pct, alpha)
    t = eff / se if se > 0 else np.inf
    return {"phase": phase, "group": group, "effect_spm": eff, "std_error_spm": se,
            "ci_low_spm": low, "ci_high_spm": high,
            "baseline_spm": b, "effect_pct": pct, "std_error_pct": se_pct,
            "ci_low_pct": low_pct, "ci_high_pct": high_pct,
            "df": float(df), "statistic": float(t),
            "p_value": float(2 * stats.t.sf(abs(t), df)),
            "n_runners": int(d_t.size),
            "n_control": int(control[1].size) if control is not None else 0}


def clinic_effect(runs: pl.DataFrame, *, phases: Mapping[str, Sequence[float]] | None = None,
                  plan: pl.DataFrame | None = None, control: str | None = "control",
                  group: str = "group", week: str = "week", speed: str | None = None,
                  alpha: float = 0.05) -> ModelResult:
    """The clinic's effect on cadence per phase and group: a difference in differences at
    matched speed (method in :mod:`runlab.models.clinic`).

    Parameters
    ----------
    runs : polars.DataFrame
        One row per run: ``runner_id``, ``cadence_spm``, a speed (``run_speed_mps`` when
        present, else ``speed_mps``; see :func:`runlab.models.cadence.running_speed`), the
        ``group`` column and clinic weeks in ``week`` (week 0 the metronome-free baseline,
        1.. the clinic, then follow-up). Without a ``week`` column, weeks come from each
        run's local date minus the runner's clinic start in ``plan``
        (:func:`clinic_weeks`).
    phases : mapping, optional
        Phase name → weeks, e.g. ``{"baseline": [0], "end": [9, 10], "follow_up": [14]}``.
        Needs ``"baseline"``; phases must not share weeks. Weeks no phase names are
        modelled on their own. Exactly one of ``phases`` and ``plan``.
    plan : polars.DataFrame, optional
        A plan (:data:`runlab.plan.PLAN` rows, e.g. :attr:`runlab.simulate.Cohort.plan`):
        phases default to :func:`phases_from_plan`, and it dates the runs when they have
        no ``week`` column.
    control : str or None
        The control group. ``None`` (a single-arm clinic): a pre–post change, with a
        :class:`~runlab.errors.RunlabWarning` (it cannot separate the clinic from
        anything else that changed over the weeks).
    group, week : str
        Column names.
    speed : str, optional
        Speed column (default ``run_speed_mps`` when present, else ``speed_mps``).
    alpha : float
        1 − confidence level.

    Returns
    -------
    ModelResult
        ``summary``: one row per non-baseline phase × non-control group: ``phase``,
        ``group``, ``effect_spm``, ``std_error_spm``, ``ci_low_spm``, ``ci_high_spm``,
        ``baseline_spm`` (the group's baseline cadence at its runners' own pace),
        ``effect_pct``, ``std_error_pct``, ``ci_low_pct``, ``ci_high_pct`` [% of that
        baseline], ``df`` (Welch–Satterthwaite), ``statistic``, ``p_value``,
        ``n_runners``, ``n_control``; ``fixed``: the same effects as tidy terms
        ``<phase>:<group>`` [spm]; ``per_runner``: ``runner_id``, ``group``, ``phase``,
        ``baseline_spm``, ``phase_spm``, ``change_spm``, ``n_baseline``, ``n_phase``;
        ``random``: per phase and group, the between-runner SD of the changes (the
        runner × phase variation plus noise) and the within-cell residual SD; ``model``:
        a dict with the shared ``speed_slope_spm_per_mps``, the ``cells`` frame and the
        ``phases`` used.

    Raises
    ------
    ModelError
        Both or neither of ``phases``/``plan``, no ``"baseline"`` phase, overlapping
        phases, an unknown control group, or a phase × group cell without at least two
        runners who also have baseline runs (named in the message).
    """
    if (phases is None) == (plan is None):
        raise ModelError(f"{WHAT}: pass exactly one of phases= and plan=")
    if not 0 < alpha < 1:
        raise ModelError(f"{WHAT}: alpha must be in (0, 1), got {alpha!r}")
    require(runs, (RUNNER, "cadence_spm"), WHAT)
    frame = runs
    if week not in frame.columns or frame.schema[week].is_temporal():
        if plan is None:
            raise ModelError(f"{WHAT}: runs have no numeric {week!r} column (clinic weeks, 0 "
                             "= baseline); pass plan= to date them by the clinic start")
        frame = clinic_weeks(frame.drop(week, strict=False), plan, week=week)
    phases = _check_phases(phases if phases is not None else phases_from_plan(plan, week=week))
    frame = running_speed(frame, speed)
    if control is not None:
        require(frame, (group,), WHAT)
        frame = frame.with_columns(_group=pl.col(group).cast(pl.String))
    else:
        warnings.warn(f"{WHAT}: control=None, a pre–post change without a control group: it "
                      "also contains whatever else changed over the weeks (season, fitness, "
                      "devices)", RunlabWarning, stacklevel=2)
        frame = frame.with_columns(_group=(pl.col(group).cast(pl.String)
                                           if group in frame.columns else pl.lit("all")))
    frame = frame.with_columns(pl.col(RUNNER).cast(pl.String),
                               pl.col(week).cast(pl.Float64)).filter(
        pl.col("cadence_spm").is_not_null() & pl.col("cadence_spm").is_finite()
        & pl.col("speed_mps").is_not_null() & pl.col("speed_mps").is_finite()
        & pl.col(week).is_not_null() & pl.col("_group").is_not_null())
    if frame.height == 0:
        raise ModelError(f"{WHAT}: no runs with cadence, speed, week and group")
    if frame.group_by(RUNNER).agg(pl.col("_group").n_unique())["_group"].max() > 1:
        raise ModelError(f"{WHAT}: some runners belong to more than one {group!r}")
    groups = sorted(frame["_group"].unique().to_list())
    if control is not None and control not in groups:
        raise ModelError(f"{WHAT}: control group {control!r} not among {groups}")
    treated = [g for g in groups if g != control]
    if not treated:
        raise ModelError(f"{WHAT}: no group other than the control {control!r}")
    cells, slope, sigma = _runner_cells(_cells(frame, phases, week))
    base = cells.filter(pl.col("_cell") == "baseline").select(
        RUNNER, baseline_spm="cadence_spm", n_baseline="n_runs")
    per_rows, rows, random_rows = [], [], []
    for name in phases:
        if name == "baseline":
            continue
        ph = cells.filter(pl.col("_cell") == name).select(
            RUNNER, "_group", phase_spm="cadence_spm", n_phase="n_runs").join(
            base, on=RUNNER, how="inner").with_columns(
            change_spm=pl.col("phase_spm") - pl.col("baseline_spm"), phase=pl.lit(name))
        per_rows.append(ph)
        by = {g: ph.filter(pl.col("_group") == g) for g in groups}
        for g in groups:
            if by[g].height < 2:
                raise ModelError(f"{WHAT}: phase {name!r} × group {g!r} has "
                                 f"{by[g].height} runner(s) with runs in both the baseline "
                                 f"and {name!r}; need at least 2")
            random_rows.append({"phase": name, "group": g,
                                "sd_change_spm": float(by[g]["change_spm"].std()),
                                "n_runners": by[g].height})
        ctrl = None if control is None else (by[control]["baseline_spm"].to_numpy(),
                                             by[control]["change_spm"].to_numpy())
        for g in treated:
            rows.append(effect_row(name, g, (by[g]["baseline_spm"].to_numpy(),
                                             by[g]["change_spm"].to_numpy()), ctrl, alpha))
    if not rows:
        raise ModelError(f"{WHAT}: phases name no phase besides 'baseline'")
    summary = pl.DataFrame(rows)
    fixed = summary.select(
        term=pl.format("{}:{}", "phase", "group"), estimate="effect_spm",
        std_error="std_error_spm", statistic="statistic", p_value="p_value",
        ci_low="ci_low_spm", ci_high="ci_high_spm", df="df",
        n=(pl.col("n_runners") + pl.col("n_control")).cast(pl.Int64))
    per = pl.concat(per_rows).select(RUNNER, pl.col("_group").alias("group"), "phase",
                                     "baseline_spm", "phase_spm", "change_spm", "n_baseline",
                                     "n_phase").sort("phase", RUNNER)
    random = pl.DataFrame(random_rows).with_columns(residual_sd_spm=pl.lit(sigma))
    model = {"speed_slope_spm_per_mps": slope, "residual_sd_spm": sigma,
             "cells": cells.rename({"_group": "group", "_cell": "cell"}),
             "phases": phases, "control": control, "alpha": alpha}
    return ModelResult(fixed, model, random, per, summary)

