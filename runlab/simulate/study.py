"""The cohort: :func:`cohort` draws it, :class:`Cohort` holds its truth and writes files."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from runlab import plan as _plan
from runlab.simulate.diary import _journal_rows
from runlab.simulate.params import DEFAULT_TZ, RATES, RETENTION
from runlab.simulate.population import (
    _boost_of,
    _brisk_walkers,
    _draw_runners,
    _rating_offsets,
    _weather,
)
from runlab.simulate.progression import (
    _clinic_effects,
    _mixed_effects,
    default_phases,
    phase_truth,
)
from runlab.simulate.records import _finish_runs, _task_row, run_records
from runlab.simulate.sessions import _outcomes, _runner_plan
from runlab.simulate.writing import _write_runner


@dataclass
class Cohort:
    """A simulated cohort: the truth, and :meth:`write` to render it as files.

    Attributes
    ----------
    runners : polars.DataFrame
        One row per runner: ``runner_id``, ``group`` (a polars Enum in the order of
        ``groups``, so pandas/statsmodels take the first group as reference), ``target_boost``, ``height_m``,
        ``intercept_spm`` (cadence at 0 m/s) and ``slope_spm_per_mps`` of the cadence–speed
        line, ``cadence_at_ref_spm`` (at 2.5 m/s), ``habitual_cadence_spm`` (at the runner's
        easy speed ``easy_speed_mps``), ``achieved_boost``, ``retention``, ``dropout_week``,
        ``walk_cadence_spm``/``walk_speed_mps`` of the walk breaks (``brisk_walker`` for
        those who walk at 126–145 spm, where slow jogs sit too), device and format.
    plan : polars.DataFrame
        Every planned session (:data:`runlab.plan.PLAN` columns) with ``status``
        (``"done"``, ``"missed"``, ``"dropped_out"``).
    runs : polars.DataFrame
        One row per completed run: :data:`runlab.schema.RUNS` columns (the true values;
        on a treadmill, speed and distance are the foot pod's, off by its calibration: no
        file can carry the belt's) plus
        ``week``, ``group``, ``session_type``, quirks, ``format`` and, once written, ``path``
        (relative to the folder).
    journal : polars.DataFrame
        Journal rows (:data:`runlab.journal.SCHEMA` plus the local start ``time``). As in a
        real journal, ``run_id`` is empty: :func:`runlab.journal.attach` links entries to
        runs by local date and time (``tz``); ``true_run_id`` (not written to files) is the
        run each entry really belongs to.
    truth_effects : dict
        The parameters the data were drawn from (see :func:`cohort`).
    clinic_weeks, baseline_weeks : int
        Weeks of retraining (1..clinic_weeks) and metronome-free baseline weeks before it
        (weeks 1 − baseline_weeks .. 0); later weeks are follow-up.
    """

    runners: pl.DataFrame
    plan: pl.DataFrame
    runs: pl.DataFrame
    journal: pl.DataFrame
    truth_effects: dict[str, float]
    seed: int
    model: str
    tz: str
    folder: Path | None = field(default=None)
    clinic_weeks: int = 10
    baseline_weeks: int = 0
    retention_mean: float = RETENTION[0]

    @property
    def phases(self) -> dict[str, list[int]]:
        """The design's phases by week: ``"baseline"`` (weeks ≤ 0), ``"end"`` (the last two
        clinic weeks) and ``"follow_up"`` (the weeks after the clinic, if any)."""
        weeks = int(self.plan["week"].max()) if self.plan.height else self.clinic_weeks
        return default_phases(self.clinic_weeks, weeks, self.baseline_weeks)

    def truth(self, phases: dict[str, list[int]] | None = None,
              reference: str | None = "control") -> pl.DataFrame:
        """The true clinic effect per non-baseline phase (default :attr:`phases`) and
        non-reference group, as :func:`runlab.models.progression.clinic_effect` estimates
        it: ``phase``, ``group``, ``weeks``, ``effect_spm`` and ``effect_pct`` (this
        cohort's runners: the mean achieved boost beyond the reference group's, in spm and
        in % of the group's baseline cadence at the runners' own pace) and
        ``population_pct`` (the expectation over runners)."""
        if self.model != "clinic":
            raise ValueError("truth() describes the clinic model; model='mixed' has its "
                             "parameters in truth_effects")
        return phase_truth(self.runners, phases or self.phases, self.clinic_weeks, reference,
                           self.retention_mean)

    def mile_truth(self, week: int | None = None,
                   reference: str | None = "control") -> pl.DataFrame:
        """The true baseline-mile contrast that :func:`runlab.models.progression.baseline_mile`
        estimates from each runner's boost-free mile (week 0, or the week-1 mile that opens
        the clinic before any metronome session) to their mile in ``week`` (default: the
        plan's last week with a mile test): each retrained group's change beyond the
        reference group's. Columns as :meth:`truth` (``phase`` = ``"mile"``): the cohort's
        ``effect_spm``/``effect_pct`` (the boost the group's runners hold in that week, at
        their own pace) and ``population_pct`` (its expectation over runners). The mile's
        pace drifts with the weeks and the weather alike in every group, so it cancels
        from the contrast."""
        miles = self.plan.filter(pl.col("session_type") == "baseline_test")["week"]
        week = int(miles.max()) if week is None else int(week)
        if week < 2 or week not in set(miles.to_list()):
            raise ValueError(f"no mile test after the clinic's first week in week {week}; "
                             f"mile weeks: {sorted(set(miles.to_list()))}")
        return self.truth({"baseline": [0], "mile": [week]}, reference)

    def retention_truth(self, phases: dict[str, list[int]] | None = None,
                        reference: str | None = "control") -> pl.DataFrame:
        """The true retention contrasts that :func:`runlab.models.progression.retention`
        estimates, per retrained group, for this cohort's runners and in expectation
        (``population_`` prefix): the follow-up effect minus the end-of-clinic effect
        (:meth:`truth` of ``"follow_up"`` − ``"end"``, points of % of baseline:
        ``follow_up_minus_end_pct``) and their ratio (``retained_fraction``)."""
        t = self.truth(phases, reference)
        if not {"end", "follow_up"} <= set(t["phase"]):
            raise ValueError("retention needs 'end' and 'follow_up' phases (weeks after the "
                             "clinic)")
        end = t.filter(pl.col("phase") == "end")
        fu = t.filter(pl.col("phase") == "follow_up")
        return end.join(fu, on="group", suffix="_fu").select(
            "group", retained_fraction=pl.col("effect_spm_fu") / pl.col("effect_spm"),
            population_retained_fraction=pl.col("population_pct_fu")
            / pl.col("population_pct"),
            follow_up_minus_end_pct=pl.col("effect_pct_fu") - pl.col("effect_pct"),
            population_follow_up_minus_end_pct=pl.col("population_pct_fu")
            - pl.col("population_pct"))

    def filter(self, predicate: pl.Expr) -> Cohort:
        """The cohort restricted to the runs matching ``predicate`` (a polars expression
        on :attr:`runs`), with their runners, plan rows and journal entries."""
        runs = self.runs.filter(predicate)
        ids = runs["run_id"].implode()
        who = runs["runner_id"].unique().implode()
        return replace(self, runs=runs,
                       runners=self.runners.filter(pl.col("runner_id").is_in(who)),
                       plan=self.plan.filter(pl.col("run_id").is_in(ids)),
                       journal=self.journal.filter(pl.col("true_run_id").is_in(ids)))

    def records(self, run_id: str) -> pl.DataFrame:
        """The records of one run exactly as :meth:`write` writes them (quirks included)."""
        return run_records(self._run(run_id))[0]

    def events(self, run_id: str) -> pl.DataFrame:
        """The timer events (pauses) of one run, as :meth:`write` writes them."""
        return run_records(self._run(run_id))[1]

    def _run(self, run_id: str) -> dict:
        rows = self.runs.filter(pl.col("run_id") == run_id)
        if rows.height != 1:
            raise KeyError(f"no run {run_id!r} in this cohort")
        return _task_row(rows.row(0, named=True))

    def write(self, folder: str | os.PathLike, *, workers: int | None = None) -> Path:
        """Write every run as a file, plus ``journal.csv``, ``runners.csv`` and
        ``runs_truth.csv``; returns the folder.

        Layout: ``folder/<runner_id>/<date>_<session>.fit`` (``.tcx``/``.gpx`` for runners
        whose app exports those). ``workers`` processes render files in parallel (default:
        up to 4 CPUs; 1 renders in this process). The workers are *spawned*, so a script
        calling this needs the usual ``if __name__ == "__main__":`` guard (notebooks do
        not). Deterministic: the same cohort writes the same bytes.
        """
        from runlab import journal as _journal

        root = Path(folder)
        root.mkdir(parents=True, exist_ok=True)
        tasks: dict[str, list[dict]] = {}
        for row in self.runs.iter_rows(named=True):
            tasks.setdefault(row["runner_id"], []).append(_task_row(row))
        for runner_id in tasks:
            (root / runner_id).mkdir(exist_ok=True)
        jobs = [(str(root), runs) for runs in tasks.values()]
        workers = min(os.cpu_count() or 1, 4) if workers is None else workers
        if workers <= 1 or len(jobs) <= 1:
            for job in jobs:
                _write_runner(job)
        else:
            with ProcessPoolExecutor(min(workers, len(jobs)),
                                     mp_context=get_context("spawn")) as pool:
                list(pool.map(_write_runner, jobs))
        _journal.write(root / "journal.csv", self.journal.drop("true_run_id"))
        self.runners.write_csv(root / "runners.csv")
        lists = [c for c, t in self.runs.schema.items() if isinstance(t, pl.List)]
        self.runs.with_columns(
            pl.col(c).list.eval(pl.element().cast(pl.String)).list.join(";") for c in lists
        ).write_csv(root / "runs_truth.csv")
        self.folder = root
        return root



def cohort(n_runners: int, weeks: int, groups: Sequence[str] = ("control", "cadence+7.5%"),
           seed: int = 0, *, model: str = "clinic", clinic_weeks: int | None = None,
           start_date: dt.date | str = "2026-05-04", tz: str = DEFAULT_TZ,
           quirks: bool | None = None, rates: dict[str, float] | None = None,
           effects: dict[str, float] | None = None, baseline_weeks: int | None = None,
           retention: tuple[float, float] = RETENTION) -> Cohort:
    """Simulate a cohort with known truth.

    Parameters
    ----------
    n_runners : int
        Runners (1..10000), assigned to ``groups`` in balanced random order.
    weeks : int
        Weeks followed (1..52).
    groups : sequence of str
        ``"control"`` and/or ``"cadence+<p>%"`` (target boost p % above habitual cadence).
        The first is the reference level of the ``group`` term.
    seed : int
        Everything is deterministic for a seed.
    model : {"clinic", "mixed"}
        ``"clinic"``: the full generative model of this module's docstring. ``"mixed"``:
        continuous runs whose mean cadence is drawn from exactly
        ``cadence_spm ~ speed_c + week * group + (1 + week | runner)``.
    clinic_weeks : int, optional
        Weeks of retraining (default ``min(weeks, 10)``), numbered 1..clinic_weeks; the
        metronome boost follows the plan's ramp and plateau
        (:func:`runlab.plan.boost_for_week`). Later weeks (up to ``weeks``) are follow-up
        easy runs without the metronome, where the boost is partly retained.
    baseline_weeks : int, optional
        Metronome-free weeks before the clinic, numbered 1 − baseline_weeks .. 0 (default
        1 for ``"clinic"``, 0 for ``"mixed"``): easy run/walks by feel and, in week 0, the
        baseline mile. No boost at all: the baseline is the runner's habitual cadence.
    retention : (float, float)
        Mean and between-runner SD of the fraction of the boost kept after the clinic
        (default 0.85 ± 0.08: most of the gain is kept a month on, Willy et al., 2016,
        doi:10.1111/sms.12413: step rate +8.6 %, kept at 30 days).
    start_date : date or str
        The Monday the cohort starts: the baseline weeks, then the clinic (runners start
        within its first two weeks).
    tz : str
        The runners' time zone (journal dates and times are local).
    quirks : bool, optional
        Device quirks, treadmills and pauses (default: on for ``"clinic"``, off for
        ``"mixed"``).
    rates : dict, optional
        Overrides of :data:`RATES` (e.g. ``{"brisk_walker": 0.0}``: no brisk walkers).
    effects : dict, optional
        ``model="mixed"`` overrides of the true parameters: ``Intercept``, ``speed_c``,
        ``week``, ``sd_intercept``, ``sd_week``, ``residual_sd``.

    Returns
    -------
    Cohort
        ``truth_effects`` holds, for ``"mixed"``, the fixed effects under statsmodels
        formula names (``Intercept``, ``speed_c``, ``week``, ``group[T.<g>]``,
        ``week:group[T.<g>]``; ``week`` counts from 1, so the intercept is the cadence at
        week 0 and the runner's mean speed; ``week:group[T.<g>]`` is the group's boost over
        the reference × ``Intercept`` / 10, the change reached over a ten-week clinic) plus
        ``sd_intercept``, ``sd_week``,
        ``corr_intercept_week`` and ``residual_sd``; for ``"clinic"``, the population values
        of the generative model.
    """
    if not isinstance(n_runners, int) or not 1 <= n_runners <= 10_000:
        raise ValueError(f"n_runners must be an integer 1..10000, got {n_runners!r}")
    if not isinstance(weeks, int) or not 1 <= weeks <= 52:
        raise ValueError(f"weeks must be an integer 1..52, got {weeks!r}")
    if model not in ("clinic", "mixed"):
        raise ValueError(f"model must be 'clinic' or 'mixed', got {model!r}")
    groups = tuple(groups)
    if not groups or len(set(groups)) != len(groups):
        raise ValueError(f"groups must be distinct names, got {groups!r}")
    boosts = {g: _boost_of(g) for g in groups}
    clinic_weeks = min(weeks, 10) if clinic_weeks is None else clinic_weeks
    if not isinstance(clinic_weeks, int) or not 1 <= clinic_weeks <= weeks:
        raise ValueError(f"clinic_weeks must be an integer 1..weeks ({weeks}), "
                         f"got {clinic_weeks!r}")
    baseline_weeks = (1 if model == "clinic" else 0) if baseline_weeks is None else baseline_weeks
    if not isinstance(baseline_weeks, int) or not 0 <= baseline_weeks <= 8:
        raise ValueError(f"baseline_weeks must be an integer 0..8, got {baseline_weeks!r}")
    if (len(retention) != 2 or not 0 <= retention[0] <= 1 or retention[1] < 0):
        raise ValueError(f"retention must be (mean 0..1, SD >= 0), got {retention!r}")
    rates = {**RATES, **(rates or {})}
    unknown = set(rates) - set(RATES)
    if unknown:
        raise ValueError(f"unknown rate(s) {sorted(unknown)}; known: {sorted(RATES)}")
    quirks = (model == "clinic") if quirks is None else bool(quirks)
    start = dt.date.fromisoformat(start_date) if isinstance(start_date, str) else start_date
    ZoneInfo(tz)  # fails early on an unknown zone

    root = np.random.SeedSequence(seed)
    cohort_rng = np.random.default_rng(root.spawn(1)[0])
    mixed = _mixed_effects(groups, boosts, effects) if model == "mixed" else None
    runners = _draw_runners(n_runners, weeks, groups, boosts, cohort_rng, rates, quirks, start,
                            mixed, baseline_weeks, tuple(retention))
    weather = _weather(start, weeks + baseline_weeks + 3, cohort_rng)
    runners = _rating_offsets(runners, cohort_rng)
    runners = _brisk_walkers(runners, np.random.default_rng(
        np.random.SeedSequence(seed, spawn_key=(3,))), rates["brisk_walker"])
    plans, runs, journals = [], [], []
    for i, runner in enumerate(runners.iter_rows(named=True)):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, i)))
        p = _runner_plan(runner, weeks, clinic_weeks, model, baseline_weeks)
        p = _outcomes(p, runner, groups, clinic_weeks, rng, rates, quirks, weather, tz, model,
                      mixed, seed, i)
        plans.append(p)
        done = p.filter(pl.col("status") == "done")
        runs.append(done)
        journals.append(_journal_rows(done, runner, clinic_weeks, rng, rates))
    plan_all = pl.concat(plans, how="diagonal_relaxed")
    runs_all = _finish_runs(pl.concat(runs, how="diagonal_relaxed"), model)
    journal_all = pl.concat(journals, how="diagonal_relaxed")
    truth = mixed if mixed is not None else _clinic_effects(groups, runners)
    if mixed is None:
        phases = default_phases(clinic_weeks, weeks, baseline_weeks) if baseline_weeks else None
        for row in (phase_truth(runners, phases, clinic_weeks, "control", retention[0])
                    .iter_rows(named=True) if phases else ()):
            key = f"[{row['phase']}][{row['group']}]"
            truth |= {f"effect_spm{key}": row["effect_spm"],
                      f"effect_pct{key}": row["effect_pct"],
                      f"population_pct{key}": row["population_pct"]}
    plan_cols = [*_plan.PLAN, "run_id", "status"]
    return Cohort(runners=runners, plan=plan_all.select(plan_cols), runs=runs_all,
                  journal=journal_all, truth_effects=truth, seed=seed, model=model, tz=tz,
                  clinic_weeks=clinic_weeks, baseline_weeks=baseline_weeks,
                  retention_mean=float(retention[0]))
