"""Synthetic runners with known truth, written as real FIT/TCX/GPX files plus a journal.

:func:`cohort` draws a cohort of beginner runners, gives each the clinic plan
(:func:`runlab.plan.clinic`), decides what happened at every planned session (done, missed,
dropped out; weather, pace, cadence, device quirks) and keeps all of it as truth.
:meth:`Cohort.write` renders every completed run second by second and writes it as the file
a watch or an app would have produced, so the whole pipeline — read, clean, summarize,
ingest, model — can be checked against what is really there.

The generative model follows SCIENCE.md:

- Cadence rises linearly with speed, per runner: ``c_i(v) = c_ref,i + s_i·(v − 2.5)`` with
  the cadence at 2.5 m/s around 157 spm (novices sit at 154–160 at easy pace), between-runner
  SD 8 spm at a given speed and slopes around 8 spm per m/s (6.0 overground, van Oeveren et
  al., 2019; 10.8 on a treadmill, Fukuchi et al., 2017). Run-to-run noise 3 spm; per-sample
  sensor noise ±2 spm (wrist/foot pod agree within ~1 %). Height is a small adjustment
  (−1.5 spm per 10 cm; Cavanagh & Kram, 1989).
- Retrained groups (``"cadence+7.5%"``) follow the plan's metronome ramp to an achieved
  boost near target (×0.95 ± 0.10; +7–9 % for +7.5–10 % targets, Heiderscheit et al., 2011;
  Willy et al., 2016) at the same pace, and retain most of it (85 ± 8 %) once retraining
  stops (follow-up weeks after ``clinic_weeks``; Willy et al. report +8.6 % a month later).
- Sessions follow the plan: walk–run 1:1 → 2:1 → 3:1 → continuous, 30-s strides on
  technique days, 30-s hill reps, easy days between, a baseline mile in the first and last
  week; weather (temperature, humidity) slows pace and lowers comfort through the heat
  index; cadence falls late in long continuous runs (fatigue); runners miss sessions and
  some drop out.
- Devices: wrist watches (some with running-dynamics straps or a power pod), a few export
  TCX or GPX, some use smart recording; quirks at realistic rates (:data:`RATES`): treadmill
  runs without GPS, treadmill files with doubled cadence, timer pauses, GPS spikes.

``model="mixed"`` instead draws run summaries from exactly
``cadence_spm ~ speed_c + week * group + (1 + week | runner)`` (speed centred per runner;
continuous runs only), with the true fixed effects and variance components in
:attr:`Cohort.truth_effects`, so a fitted model can be checked against known parameters.

Example
-------
>>> from runlab import simulate
>>> c = simulate.cohort(4, 2, seed=1)
>>> c.runs.select("runner_id", "week", "session_type", "cadence_spm").height > 0
True
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
from scipy.signal import lfilter

from runlab import plan as _plan
from runlab import schema
from runlab.journal import heat_index_c

__all__ = ["Cohort", "cohort", "RATES", "GROUP_PATTERN", "run_records", "phone_walk",
           "phone_log", "footfall_audio", "footfall_clip", "FOOTFALL_LEVELS"]

DEFAULT_TZ = "Europe/Amsterdam"  # the simulated runners' time zone
V_REF_MPS = 2.5  # reference speed of the per-runner cadence line [m/s]
CADENCE_AT_REF_SPM = 157.0  # novices at easy pace: 154–160 spm (SCIENCE.md)
BETWEEN_RUNNER_SD_SPM = 8.0  # SD of cadence between runners at a given speed
RUN_NOISE_SD_SPM = 3.0  # within-runner, run-to-run noise at the same speed
SAMPLE_NOISE_SD_SPM = 2.0  # per-second sensor noise (wrist/pod within ±3 spm)
SLOPE_MEAN_SPM_PER_MPS = 8.0  # between 6.0 overground and 10.8 on a treadmill
SLOPE_SD_SPM_PER_MPS = 1.5
HEIGHT_SPM_PER_M = -15.0  # taller runners step slightly slower (Cavanagh & Kram, 1989)
HEIGHT_MEAN_M, HEIGHT_SD_M = 1.72, 0.09
ACHIEVED_RATIO = (0.95, 0.10)  # achieved / target boost (mean, SD)
RETENTION = (0.85, 0.08)  # fraction of the boost kept after retraining stops
RETENTION_DECAY_WEEKS = 2.0
DRIFT_SD_SPM_PER_WEEK = 0.1  # small individual drift of cadence over weeks (clinic model)
FATIGUE_MIN_RUN_S = 1200.0  # continuous runs at least this long show fatigue drift
FATIGUE_DROP_SPM = (3.0, 1.2)  # cadence drop reached at the end of a long run (mean, SD)
FOLLOW_UP_DAYS = (0, 2, 5)  # easy runs a week after the clinic

#: Realistic rates of what goes wrong or differs (per session, run, runner or file).
RATES: dict[str, float] = {
    "missed_session": 0.10,  # per planned session (runner rates vary around this)
    "dropout_per_week": 0.012,  # hazard per week: ~13 % drop out over 12 weeks
    "treadmill": 0.07,  # per run (more in bad weather); no GPS, sub_sport treadmill
    "doubling_device": 0.3,  # runners whose watch doubles cadence on the treadmill
    "doubled_cadence_outdoor": 0.004,  # per outdoor file (foot-pod misconfiguration)
    "pause": 0.25,  # runs with timer pauses (one, sometimes two)
    "gps_spike": 0.05,  # outdoor runs with 1–3 GPS position spikes
    "smart_recording": 0.10,  # runners whose device records irregularly (1–6 s)
    "tcx_runner": 0.08,  # runners whose app exports TCX
    "gpx_runner": 0.07,  # runners whose app exports GPX
    "other_format_run": 0.04,  # FIT runners' runs exported in TCX/GPX once in a while
    "no_journal": 0.10,  # completed runs without a journal entry
}

#: A group name: ``"control"`` or ``"cadence+<percent>%"`` (target boost above habitual).
GROUP_PATTERN = re.compile(r"^(control|cadence\+(\d+(?:\.\d+)?)%)$")

_KIND_WALK, _KIND_RUN, _KIND_STRIDE, _KIND_HILL_UP, _KIND_HILL_DOWN = range(5)
_RUNNING_KINDS = (_KIND_RUN, _KIND_STRIDE, _KIND_HILL_UP)
_HILL_GRADE = 0.06
_EASY_TYPES = ("easy", "reflective_cooldown")


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
        device and format.
    plan : polars.DataFrame
        Every planned session (:data:`runlab.plan.PLAN` columns) with ``status``
        (``"done"``, ``"missed"``, ``"dropped_out"``).
    runs : polars.DataFrame
        One row per completed run: :data:`runlab.schema.RUNS` columns (the true values) plus
        ``week``, ``group``, ``session_type``, quirks, ``format`` and, once written, ``path``
        (relative to the folder).
    journal : polars.DataFrame
        Journal rows (:data:`runlab.journal.SCHEMA` plus the local start ``time``). As in a
        real journal, ``run_id`` is empty: :func:`runlab.journal.attach` links entries to
        runs by local date and time (``tz``); ``true_run_id`` (not written to files) is the
        run each entry really belongs to.
    truth_effects : dict
        The parameters the data were drawn from (see :func:`cohort`).
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


# --- the cohort ---------------------------------------------------------------------------


def _boost_of(group: str) -> float:
    m = GROUP_PATTERN.match(group)
    if not m:
        raise ValueError(f"group {group!r} is not 'control' or 'cadence+<percent>%' "
                         f"(e.g. 'cadence+7.5%')")
    boost = 0.0 if m.group(2) is None else float(m.group(2)) / 100.0
    if boost > _plan.BOOST_RANGE[1]:
        raise ValueError(f"group {group!r}: a boost above {_plan.BOOST_RANGE[1]:.0%} is not "
                         "a clinic prescription (+5 to +10 %, Heiderscheit et al., 2011)")
    return boost


def cohort(n_runners: int, weeks: int, groups: Sequence[str] = ("control", "cadence+7.5%"),
           seed: int = 0, *, model: str = "clinic", clinic_weeks: int | None = None,
           start_date: dt.date | str = "2026-05-04", tz: str = DEFAULT_TZ,
           quirks: bool | None = None, rates: dict[str, float] | None = None,
           effects: dict[str, float] | None = None) -> Cohort:
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
        Weeks of retraining (default ``min(weeks, 10)``); later weeks are follow-up easy
        runs without the metronome, where the boost is partly retained.
    start_date : date or str
        The Monday the cohort starts (runners start within its first two weeks).
    tz : str
        The runners' time zone (journal dates and times are local).
    quirks : bool, optional
        Device quirks, treadmills and pauses (default: on for ``"clinic"``, off for
        ``"mixed"``).
    rates : dict, optional
        Overrides of :data:`RATES`.
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
                            mixed)
    weather = _weather(start, weeks + 3, cohort_rng)
    plans, runs, journals = [], [], []
    for i, runner in enumerate(runners.iter_rows(named=True)):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, i)))
        p = _runner_plan(runner, weeks, clinic_weeks, model)
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
    plan_cols = [*_plan.PLAN, "run_id", "status"]
    return Cohort(runners=runners, plan=plan_all.select(plan_cols), runs=runs_all,
                  journal=journal_all, truth_effects=truth, seed=seed, model=model, tz=tz)


def _draw_runners(n: int, weeks: int, groups, boosts, rng, rates, quirks, start,
                  mixed) -> pl.DataFrame:
    """Per-runner truth (vectorized draws); ``mixed`` adds the model's random effects."""
    width = max(2, len(str(n)))
    ids = [f"R{i + 1:0{width}d}" for i in range(n)]
    group = np.array(groups)[rng.permutation(np.arange(n) % len(groups))]
    target = np.array([boosts[g] for g in group])
    height = rng.normal(HEIGHT_MEAN_M, HEIGHT_SD_M, n).clip(1.5, 2.0)
    c_ref = (CADENCE_AT_REF_SPM + HEIGHT_SPM_PER_M * (height - HEIGHT_MEAN_M)
             + rng.normal(0, BETWEEN_RUNNER_SD_SPM, n))
    slope = rng.normal(SLOPE_MEAN_SPM_PER_MPS, SLOPE_SD_SPM_PER_MPS, n).clip(3, 14)
    easy = rng.normal(2.55, 0.3, n).clip(1.9, 3.4)
    achieved = target * rng.normal(*ACHIEVED_RATIO, n).clip(0.6, 1.3)
    retention = rng.normal(*RETENTION, n).clip(0.5, 1.0)
    hazard = rates["dropout_per_week"]
    dropout = 1 + rng.geometric(hazard, n) if hazard > 0 else np.full(n, weeks + 1)
    if mixed is not None:
        u_intercept = rng.normal(0, mixed["sd_intercept"], n)
        u_week = rng.normal(0, mixed["sd_week"], n)
    else:
        u_intercept = c_ref - CADENCE_AT_REF_SPM
        u_week = rng.normal(0, DRIFT_SD_SPM_PER_WEEK, n)
    device = rng.choice(["wrist", "wrist+hrm", "wrist+pod"], n, p=[0.6, 0.25, 0.15])
    u = rng.uniform(size=n)
    fmt = np.where(u < rates["tcx_runner"], "tcx",
                   np.where(u < rates["tcx_runner"] + rates["gpx_runner"], "gpx", "fit"))
    if not quirks:
        fmt = np.full(n, "fit")
    return pl.DataFrame({
        "runner_id": ids,
        "group": pl.Series(group.tolist(), dtype=pl.Enum(list(groups))),
        "target_boost": target,
        "height_m": height.round(3),
        "mass_kg": (22.5 * height**2 * rng.lognormal(0.05, 0.1, n)).round(1),
        "easy_speed_mps": easy,
        "walk_speed_mps": rng.normal(1.45, 0.08, n).clip(1.2, 1.7),
        "walk_cadence_spm": rng.normal(112, 5, n).clip(98, 126),
        "intercept_spm": c_ref - slope * V_REF_MPS,
        "slope_spm_per_mps": slope,
        "cadence_at_ref_spm": c_ref,
        "habitual_cadence_spm": c_ref + slope * (easy - V_REF_MPS),
        "achieved_boost": achieved,
        "retention": retention,
        "u_intercept": u_intercept,
        "u_week": u_week,
        "dropout_week": pl.Series([int(d) if d <= weeks else None for d in dropout],
                                  dtype=pl.Int64),
        "days_per_week": rng.choice([3, 4], n, p=[0.4, 0.6]).astype(np.int64),
        "start_date": [start + dt.timedelta(days=int(d)) for d in rng.integers(0, 10, n)],
        "start_hour": rng.choice([6.5, 7.5, 12.25, 17.5, 18.5, 19.25], n),
        "miss_rate": rng.beta(2, 18, n) * rates["missed_session"] / 0.1,
        "treadmill_rate": rates["treadmill"] * rng.gamma(2.0, 0.5, n) if quirks else np.zeros(n),
        "device": device.tolist(),
        "doubles_on_treadmill": (rng.uniform(size=n) < rates["doubling_device"]) & quirks,
        "smart_recording": (rng.uniform(size=n) < rates["smart_recording"]) & quirks,
        "format": fmt.tolist(),
        "heel_strike_p": rng.beta(6, 2.5, n),
        "home_lat_deg": 52.37 + rng.normal(0, 0.03, n),
        "home_lon_deg": 4.90 + rng.normal(0, 0.05, n),
    })


def _weather(start: dt.date, weeks: int, rng) -> dict[dt.date, tuple[float, float]]:
    """Daily mean temperature [°C] and humidity [%]: warming through the season, with
    persistent day-to-day anomalies and a few hot, humid spells."""
    days = 7 * weeks + 14
    anomaly = lfilter([1.0], [1.0, -0.7], rng.normal(0, 2.6, days))
    temp = 13.0 + 9.0 * np.arange(days) / days + anomaly
    humid = (78 - 1.2 * (temp - 15) + rng.normal(0, 9, days)).clip(30, 99)
    return {start + dt.timedelta(days=d): (float(temp[d]), float(humid[d]))
            for d in range(days)}


def _runner_plan(runner: dict, weeks: int, clinic_weeks: int, model: str) -> pl.DataFrame:
    """The runner's planned sessions: the clinic, then follow-up easy runs."""
    p = _plan.clinic(runner["start_date"], clinic_weeks, runner=runner["runner_id"],
                     days_per_week=runner["days_per_week"],
                     habitual_cadence=round(float(runner["habitual_cadence_spm"]), 1),
                     boost=float(runner["target_boost"]))
    extra = []
    for week in range(clinic_weeks + 1, weeks + 1):
        for slot, offset in enumerate(FOLLOW_UP_DAYS):
            kind = "baseline_test" if (week == weeks and slot == 0) else "easy"
            extra.append({
                "date": runner["start_date"] + dt.timedelta(days=7 * (week - 1) + offset),
                "week": week, "session": slot + 1, "runner_id": runner["runner_id"],
                "program": "follow_up", "session_type": kind,
                "run_walk_pattern": "test" if kind == "baseline_test" else "continuous",
                "run_s": None if kind == "baseline_test" else 1800.0,
                "walk_s": None if kind == "baseline_test" else 0.0,
                "repeats": 0 if kind == "baseline_test" else 1,
                "warmup_s": _plan.WARMUP_S, "cooldown_s": _plan.COOLDOWN_S, "strides": 0,
                "stride_s": _plan.STRIDE_S, "hill_reps": 0, "hill_rep_s": _plan.HILL_REP_S,
                "test_distance_m": _plan.MILE_M if kind == "baseline_test" else None,
                "video_review": False,
                "description": "Follow-up: easy run by feel, no metronome."})
    if extra:
        p = pl.concat([p, pl.DataFrame(extra).cast({k: v for k, v in _plan.PLAN.items()
                                                     if k in extra[0]})],
                      how="diagonal_relaxed")
    if model == "mixed":  # every session a continuous run of 20–35 min, no walking
        p = p.with_columns(session_type=pl.lit("easy"), run_walk_pattern=pl.lit("continuous"),
                           run_s=1200.0 + 60.0 * (pl.col("week") % 4) * 5,
                           walk_s=pl.lit(0.0), repeats=pl.lit(1), warmup_s=pl.lit(0.0),
                           cooldown_s=pl.lit(0.0), strides=pl.lit(0), hill_reps=pl.lit(0),
                           test_distance_m=pl.lit(None, pl.Float64))
    return p.with_columns(
        run_id=pl.format("{}/{}_{}", "runner_id", pl.col("date").dt.strftime("%Y-%m-%d"),
                         "session"))


def _boost_fraction(runner: dict, week: np.ndarray, clinic_weeks: int) -> np.ndarray:
    """Achieved cadence boost [fraction of habitual] in each week: the plan's metronome
    ramp during the clinic, then decay to the retained fraction."""
    ramp = np.array([_plan.boost_for_week(int(w), clinic_weeks, 1.0)
                     if w <= clinic_weeks else 1.0 for w in week])
    after = np.clip(week - clinic_weeks, 0, None)
    kept = np.where(after > 0, runner["retention"] + (1 - runner["retention"])
                    * np.exp(-after / RETENTION_DECAY_WEEKS), 1.0)
    return runner["achieved_boost"] * ramp * kept


def _outcomes(p: pl.DataFrame, runner: dict, groups: tuple[str, ...], clinic_weeks: int, rng,
              rates, quirks: bool, weather, tz: str, model: str, mixed, seed: int,
              index: int) -> pl.DataFrame:
    """What happened at each planned session: status, weather, pace, cadence, quirks."""
    n = p.height
    week = p["week"].to_numpy()
    kind = p["session_type"].to_numpy()
    status = np.where(rng.uniform(size=n) < runner["miss_rate"], "missed", "done")
    if runner["dropout_week"] is not None:
        status = np.where(week >= runner["dropout_week"], "dropped_out", status)
    status = np.where((kind == "baseline_test") & (status == "missed")
                      & (rng.uniform(size=n) < 0.7), "done", status)  # tests are rarely missed
    dates = p["date"].to_list()
    hour = (runner["start_hour"] + rng.normal(0, 0.6, n)).clip(5.5, 21.0)
    zone = ZoneInfo(tz)
    local = [dt.datetime.combine(d, dt.time()) + dt.timedelta(hours=float(h))
             for d, h in zip(dates, hour, strict=True)]
    local = [t.replace(second=0, microsecond=0) for t in local]
    start_utc = [t.replace(tzinfo=zone).astimezone(dt.UTC) for t in local]
    offset_s = [int(t.replace(tzinfo=zone).utcoffset().total_seconds()) for t in local]
    day_t = np.array([weather[d][0] for d in dates])
    day_h = np.array([weather[d][1] for d in dates])
    diurnal = -3.0 * np.cos((hour - 4.0) / 24 * 2 * np.pi)  # coolest before dawn
    temp = (day_t + diurnal + rng.normal(0, 1.0, n)).round(1)
    humid = (day_h - 2.0 * diurnal + rng.normal(0, 4, n)).clip(20, 100).round(0)
    heat = heat_index_c(temp, humid)
    bad_weather = (temp < 3) | (heat > 29)
    treadmill = ((rng.uniform(size=n) < runner["treadmill_rate"] * (1 + 3 * bad_weather))
                 & (kind != "hills") & quirks)
    speed = (runner["easy_speed_mps"] * (1 + 0.004 * (week - 1))
             * (1 - 0.006 * np.clip(heat - 18, 0, None)) * np.exp(rng.normal(0, 0.04, n)))
    boost = _boost_fraction(runner, week, clinic_weeks)
    if model == "mixed":
        speed = runner["easy_speed_mps"] + rng.normal(0, 0.25, n)
        speed_c = speed - speed.mean()
        g = runner["group"]
        fixed = (mixed["Intercept"] + mixed["speed_c"] * speed_c + mixed["week"] * week
                 + mixed.get(f"group[T.{g}]", 0.0)
                 + mixed.get(f"week:group[T.{g}]", 0.0) * week)
        cadence = (fixed + runner["u_intercept"] + runner["u_week"] * week
                   + rng.normal(0, mixed["residual_sd"], n))
        slope_eff = np.full(n, mixed["speed_c"])
    else:
        line = (runner["cadence_at_ref_spm"] + runner["slope_spm_per_mps"] * (speed - V_REF_MPS)
                + runner["u_week"] * week)
        cadence = line * (1 + boost) + rng.normal(0, RUN_NOISE_SD_SPM, n)
        slope_eff = runner["slope_spm_per_mps"] * (1 + boost)
    long_run = (p["run_walk_pattern"].to_numpy() == "continuous") & (
        p["run_s"].fill_null(0).to_numpy() >= FATIGUE_MIN_RUN_S)
    fatigue = np.where(long_run & (model == "clinic"),
                       rng.normal(*FATIGUE_DROP_SPM, n).clip(0.5, None)
                       * (1 + 0.04 * np.clip(heat - 20, 0, None)), 0.0)
    outdoor = ~treadmill
    pauses = np.where((rng.uniform(size=n) < rates["pause"]) & quirks,
                      1 + (rng.uniform(size=n) < 0.3), 0)
    pause_at = [np.sort(rng.uniform(0.1, 0.9, k)).round(4).tolist() for k in pauses]
    pause_s = [rng.integers(20, 150, k).astype(float).tolist() for k in pauses]
    spikes = np.where(outdoor & (rng.uniform(size=n) < rates["gps_spike"]) & quirks,
                      rng.integers(1, 4, n), 0)
    doubled = quirks & ((treadmill & runner["doubles_on_treadmill"])
                        | (outdoor & (rng.uniform(size=n) < rates["doubled_cadence_outdoor"])))
    fmt = np.full(n, runner["format"], dtype=object)
    if runner["format"] == "fit" and quirks:
        other = rng.uniform(size=n) < rates["other_format_run"]
        fmt = np.where(other, rng.choice(["tcx", "gpx"], n), fmt)
    fmt = np.where(treadmill & (fmt == "gpx"), "tcx", fmt)  # GPX needs positions
    seeds = np.random.SeedSequence(seed, spawn_key=(2, index)).generate_state(n, np.uint64)
    return p.with_columns(
        status=pl.Series(status.tolist(), dtype=pl.String),
        group=pl.lit(runner["group"], dtype=pl.Enum(list(groups))),
        start_time=pl.Series(start_utc, dtype=schema.TIMESTAMP),
        local_time_offset_s=pl.Series(offset_s, dtype=pl.Int64),
        local_time=pl.Series([t.time() for t in local], dtype=pl.Time),
        temperature_c=pl.Series(temp), humidity_pct=pl.Series(humid),
        heat_index_c=pl.Series(heat),
        treadmill=pl.Series(treadmill), target_speed_mps=pl.Series(speed),
        target_cadence_spm=pl.Series(cadence), slope_eff_spm_per_mps=pl.Series(slope_eff),
        boost_fraction=pl.Series(boost if model == "clinic" else np.zeros(n)),
        fatigue_drop_spm=pl.Series(fatigue), pauses=pl.Series(pauses.astype(np.int64)),
        pause_at=pl.Series(pause_at, dtype=pl.List(pl.Float64)),
        pause_s=pl.Series(pause_s, dtype=pl.List(pl.Float64)),
        paused_s=pl.Series([float(sum(x)) for x in pause_s]),
        gps_spikes=pl.Series(np.asarray(spikes, dtype=np.int64)),
        doubled_cadence=pl.Series(np.asarray(doubled, dtype=bool)),
        format=pl.Series(fmt.tolist(), dtype=pl.String),
        seed=pl.Series(seeds.astype(np.int64) & 0x7FFF_FFFF_FFFF_FFFF),
        walk_speed_mps=pl.lit(runner["walk_speed_mps"]),
        walk_cadence_spm=pl.lit(runner["walk_cadence_spm"]),
        device=pl.lit(runner["device"]), smart_recording=pl.lit(runner["smart_recording"]),
        mass_kg=pl.lit(runner["mass_kg"]),
        home_lat_deg=pl.lit(runner["home_lat_deg"]), home_lon_deg=pl.lit(runner["home_lon_deg"]),
    )


def _mixed_effects(groups, boosts, effects) -> dict[str, float]:
    """True parameters of ``cadence_spm ~ speed_c + week * group + (1 + week | runner)``."""
    base = {"Intercept": 160.0, "speed_c": SLOPE_MEAN_SPM_PER_MPS, "week": 0.1,
            "sd_intercept": BETWEEN_RUNNER_SD_SPM, "sd_week": 0.3,
            "corr_intercept_week": 0.0, "residual_sd": RUN_NOISE_SD_SPM}
    allowed = set(base) - {"corr_intercept_week"}
    bad = set(effects or {}) - allowed
    if bad:
        raise ValueError(f"unknown effect(s) {sorted(bad)}; known: {sorted(allowed)}")
    base.update(effects or {})
    ref = groups[0]
    for g in groups[1:]:
        base[f"group[T.{g}]"] = 0.0  # randomised groups: no baseline difference
        # the boost accrues linearly over ten weeks relative to the reference group
        base[f"week:group[T.{g}]"] = (boosts[g] - boosts[ref]) * base["Intercept"] / 10.0
    return base


def _clinic_effects(groups, runners: pl.DataFrame) -> dict[str, float]:
    """Population values of the clinic model (plus realised means)."""
    out = {"cadence_at_2.5_mps_spm": CADENCE_AT_REF_SPM,
           "slope_spm_per_mps": SLOPE_MEAN_SPM_PER_MPS,
           "height_spm_per_m": HEIGHT_SPM_PER_M, "sd_between_runner_spm": BETWEEN_RUNNER_SD_SPM,
           "residual_sd": RUN_NOISE_SD_SPM, "retention": RETENTION[0],
           "achieved_ratio": ACHIEVED_RATIO[0]}
    for g in groups:
        rows = runners.filter(pl.col("group") == g)
        out[f"target_boost[{g}]"] = _boost_of(g)
        out[f"achieved_boost[{g}]"] = float(rows["achieved_boost"].mean() or 0.0)
    return out


# --- the runs: latent per-second series and their truth ----------------------------------


def _segments(run: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-second kind, target speed [m/s], target cadence [spm] and grade of a session."""
    v, c, s = run["target_speed_mps"], run["target_cadence_spm"], run["slope_eff_spm_per_mps"]
    wv, wc = run["walk_speed_mps"], run["walk_cadence_spm"]
    parts: list[tuple[int, float, float, float, float]] = []  # kind, seconds, v, c, grade

    def walk(seconds, grade=0.0, kind=_KIND_WALK):
        if seconds and seconds > 0:
            parts.append((kind, seconds, wv if kind == _KIND_WALK else wv * 0.9, wc, grade))

    def run_at(seconds, factor=1.0, kind=_KIND_RUN, grade=0.0, extra=0.0):
        if seconds and seconds > 0:
            parts.append((kind, seconds, v * factor, c + s * v * (factor - 1) + extra, grade))

    walk(run.get("warmup_s") or 0.0)
    for _ in range(run.get("strides") or 0):
        run_at(run.get("stride_s") or 30.0, 1.3, _KIND_STRIDE)
        walk(_plan.STRIDE_RECOVERY_S)
    for _ in range(run.get("hill_reps") or 0):
        run_at(run.get("hill_rep_s") or 30.0, 0.8, _KIND_HILL_UP, _HILL_GRADE, 4.0)
        climb_m = _HILL_GRADE * (run.get("hill_rep_s") or 30.0) * 0.8 * v
        walk(_plan.HILL_RECOVERY_S, -climb_m / (_plan.HILL_RECOVERY_S * 0.9 * wv),
             _KIND_HILL_DOWN)
    if run.get("test_distance_m"):
        run_at(round(run["test_distance_m"] / v))
    else:
        for _ in range(run.get("repeats") or 0):
            run_at(run.get("run_s") or 0.0)
            walk(run.get("walk_s") or 0.0)
    walk(run.get("cooldown_s") or 0.0)
    secs = np.array([max(1, round(p[1])) for p in parts])
    kind = np.repeat([p[0] for p in parts], secs)
    return (kind, np.repeat([p[2] for p in parts], secs), np.repeat([p[3] for p in parts], secs),
            np.repeat([p[4] for p in parts], secs))


def _fatigue(kind: np.ndarray, drop: float) -> np.ndarray:
    """Cadence drop [spm] over the last third of the longest continuous running stretch."""
    out = np.zeros(len(kind))
    if drop <= 0:
        return out
    running = kind == _KIND_RUN
    edges = np.flatnonzero(np.diff(np.r_[0, running.astype(np.int8), 0]))
    starts, ends = edges[::2], edges[1::2]
    k = int(np.argmax(ends - starts))
    a, b = starts[k], ends[k]
    onset = a + 2 * (b - a) // 3
    out[onset:b] = drop * np.linspace(0, 1, b - onset)
    return out


def _truth(run: dict) -> dict:
    """True per-run values from the noise-free series (what summarize should recover)."""
    kind, speed, cad, _ = _segments(run)
    fat = _fatigue(kind, run["fatigue_drop_spm"])
    cad = cad - fat
    running = np.isin(kind, _RUNNING_KINDS)
    walking = ~running
    run_s, walk_s = float(running.sum()), float(walking.sum())
    third = np.cumsum(running) * running
    total = running.sum()
    first = running & (third <= total / 3)
    last = running & (third > 2 * total / 3)
    return {
        "moving_s": float(len(kind)),
        "elapsed_s": float(len(kind)) + float(run["paused_s"]),
        "distance_m": float(speed.sum()),
        "speed_mps": float(speed.mean()),
        "cadence_spm": float(cad[running].mean()) if running.any() else None,
        "run_speed_mps": float(speed[running].mean()) if running.any() else None,
        "running_s": run_s, "walking_s": walk_s,
        # the walk–run block's ratio, as runlab.gait.walk_run_pattern measures it
        "run_walk_ratio": (run["run_s"] / run["walk_s"]
                           if run.get("walk_s") and not run.get("test_distance_m") else None),
        "cadence_drift_spm": (float(fat[first].mean() - fat[last].mean())
                              if first.any() and last.any() else None),
    }


def _pause_plan(run: dict, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Sample indexes after which the timer stops, and the pause lengths [s]."""
    at = (np.asarray(run["pause_at"] or [], dtype=float) * (n - 2)).astype(np.int64)
    return np.clip(at, 1, max(n - 2, 1)), np.asarray(run["pause_s"] or [], dtype=float)


def _task_row(row: dict) -> dict:
    """A run row reduced to plain Python values for a worker process."""
    keep = ("run_id", "runner_id", "date", "session", "session_type", "warmup_s", "strides",
            "stride_s", "hill_reps", "hill_rep_s", "repeats", "run_s", "walk_s", "cooldown_s",
            "test_distance_m", "start_time", "local_time_offset_s", "temperature_c",
            "treadmill", "target_speed_mps", "target_cadence_spm", "slope_eff_spm_per_mps",
            "fatigue_drop_spm", "pause_at", "pause_s", "paused_s", "gps_spikes", "doubled_cadence",
            "format", "seed", "walk_speed_mps", "walk_cadence_spm", "device",
            "smart_recording", "mass_kg", "home_lat_deg", "home_lon_deg", "heat_index_c")
    return {k: row.get(k) for k in keep}


def run_records(run: dict) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Records and timer events of one run as its device writes them.

    ``run`` is a row of :attr:`Cohort.runs` (as a dict). The series is the noise-free
    plan (:func:`_segments`) plus AR(1) pace variation, sensor noise, heart-rate lag,
    terrain, a GPS track, and the run's quirks: pauses (no samples while the timer is
    stopped), GPS spikes, treadmill (no position, pod-calibrated speed), doubled cadence,
    smart recording.
    """
    rng = np.random.default_rng(run["seed"])
    kind, v_target, c_target, grade = _segments(run)
    n = len(kind)
    running = np.isin(kind, _RUNNING_KINDS)
    smooth = np.ones(4) / 4
    pace = lfilter([0.05], [1, -0.95], rng.normal(0, 1, n)) * 0.6  # AR(1) ±~3 %
    speed = np.convolve(np.r_[np.repeat(v_target[0], 3), v_target], smooth, "valid")
    speed = speed * (1 + 0.03 * pace)
    fatigue = _fatigue(kind, run["fatigue_drop_spm"])
    cad_clean = np.convolve(np.r_[np.repeat(c_target[0], 3), c_target], smooth, "valid")
    noise_sd = np.where(running, SAMPLE_NOISE_SD_SPM, 3.0)
    cadence = cad_clean - fatigue + rng.normal(0, 1, n) * noise_sd
    speed = speed * (1 - 0.01 * fatigue / max(run["fatigue_drop_spm"], 1e-9))  # −1 % at the end
    heat = max(0.0, (run["heat_index_c"] or 15.0) - 15.0)
    hr_target = 62 + 26 * speed + 0.9 * heat + 12 * (grade > 0)
    hr = lfilter([1 / 25], [1, -(1 - 1 / 25)], hr_target - hr_target[0]) + hr_target[0]
    hr = hr + np.linspace(0, 0.08 * n / 60, n) + rng.normal(0, 1.0, n)
    alt = (4.0 + np.cumsum(grade * speed) + 3 * np.sin(np.arange(n) / 300.0)
           + rng.normal(0, 0.2, n))
    distance = np.r_[0.0, np.cumsum(speed[1:])]
    heading = np.cumsum(rng.normal(0, 0.03, n)) + rng.uniform(0, 2 * np.pi)
    lat0, lon0 = run["home_lat_deg"], run["home_lon_deg"]
    north, east = np.cumsum(speed * np.cos(heading)), np.cumsum(speed * np.sin(heading))
    lat = lat0 + north / 111_320.0
    lon = lon0 + east / (111_320.0 * np.cos(np.radians(lat0)))
    temp = (run["temperature_c"] if not run["treadmill"] else 20.0) + rng.normal(0, 0.3, n)
    cols: dict[str, Any] = {
        "distance_m": distance, "speed_mps": speed, "cadence_spm": cadence,
        "heart_rate_bpm": np.round(hr), "altitude_m": alt, "lat_deg": lat, "lon_deg": lon,
        "temperature_c": np.round(temp),
    }
    if run["device"] == "wrist+hrm":
        cols["stance_time_ms"] = np.where(running, 300 - 40 * (speed - 2.5)
                                          + rng.normal(0, 4, n), np.nan)
        cols["vertical_oscillation_mm"] = np.where(running, 85 - 0.3 * (cadence - 160), 45)
        cols["step_length_m"] = speed / (cadence / 60.0)
    elif run["device"] == "wrist+pod":
        cols["power_w"] = np.round(run["mass_kg"] * speed * np.where(running, 1.04, 0.8)
                                   * (1 + 4 * grade) + rng.normal(0, 5, n)).clip(0, None)
        cols["step_length_m"] = speed / (cadence / 60.0)
    if run["treadmill"]:
        calib = 1 + rng.normal(0, 0.04)
        cols["speed_mps"] = speed * calib
        cols["distance_m"] = distance * calib
        for c in ("lat_deg", "lon_deg", "altitude_m"):
            cols[c] = np.full(n, np.nan)
    if run["gps_spikes"]:
        at = rng.choice(np.arange(30, n - 30), run["gps_spikes"], replace=False)
        jump = rng.uniform(150, 400, len(at))
        cols["lat_deg"] = lat.copy()
        cols["lat_deg"][at] += jump / 111_320.0
        detour = np.zeros(n)
        detour[at] = 2 * jump
        cols["distance_m"] = distance + np.cumsum(detour)
        cols["speed_mps"] = speed + detour / 2  # the jump out, in one second
    if run["doubled_cadence"]:
        cols["cadence_spm"] = cols["cadence_spm"] * 2
    elapsed = np.arange(n, dtype=float)
    at, length = _pause_plan(run, n)
    shift = np.zeros(n)
    for a, g in zip(at, length, strict=True):
        shift[a + 1:] += g
    elapsed += shift
    keep = np.ones(n, dtype=bool)
    if run["smart_recording"]:
        keep = rng.uniform(size=n) < 0.4
        keep[[0, -1]] = True
        keep[np.r_[at, at + 1].astype(np.int64)] = True
    start = np.datetime64(run["start_time"].replace(tzinfo=None), "us")
    stamps = start + (elapsed * 1e6).astype("timedelta64[us]")
    rec = pl.DataFrame({"timestamp": stamps[keep], "elapsed_s": elapsed[keep],
                        **{k: np.asarray(v, dtype=float)[keep] for k, v in cols.items()}},
                       nan_to_null=True)
    rec = schema.conform(rec.with_columns(pl.col("timestamp").dt.replace_time_zone("UTC")),
                         "records")
    ev_t = []
    for a, g in zip(at, length, strict=True):
        stop = stamps[a]
        ev_t += [(stop, "stop"), (stop + np.timedelta64(int(g * 1e6), "us"), "start")]
    events = schema.conform(pl.DataFrame({
        "timestamp": pl.Series(np.array([t for t, _ in ev_t], dtype="datetime64[us]")),
        "event": ["timer"] * len(ev_t), "event_type": [e for _, e in ev_t]},
        schema_overrides={"event": pl.String, "event_type": pl.String}).with_columns(
        pl.col("timestamp").dt.replace_time_zone("UTC")), "events")
    return rec, events


def _finish_runs(runs: pl.DataFrame, model: str) -> pl.DataFrame:
    """Completed runs: truth summaries (RUNS columns first), quirks, plan and seeds."""
    truths = [_truth(r) for r in runs.iter_rows(named=True)]
    t = pl.DataFrame(truths, schema={"moving_s": pl.Float64, "elapsed_s": pl.Float64,
                                     "distance_m": pl.Float64, "speed_mps": pl.Float64,
                                     "cadence_spm": pl.Float64, "run_speed_mps": pl.Float64,
                                     "running_s": pl.Float64, "walking_s": pl.Float64,
                                     "run_walk_ratio": pl.Float64,
                                     "cadence_drift_spm": pl.Float64})
    runs = pl.concat([runs, t], how="horizontal")
    runs = runs.with_columns(
        step_length_m=pl.col("run_speed_mps") / (pl.col("cadence_spm") / 60.0),
        easy=pl.col("session_type").is_in(_EASY_TYPES),
        cadence_cv=pl.lit(None, pl.Float64),
        strides=pl.col("strides").cast(pl.Int64), hill_reps=pl.col("hill_reps").cast(pl.Int64),
        speed_c=pl.col("run_speed_mps") - pl.col("run_speed_mps").mean().over("runner_id"),
        ext=pl.col("format"),
    )
    if model == "mixed":  # the model's cadence is the run's mean; centred speed as drawn
        runs = runs.with_columns(
            cadence_spm=pl.col("target_cadence_spm"),
            speed_c=pl.col("target_speed_mps")
            - pl.col("target_speed_mps").mean().over("runner_id"))
    runs = runs.with_columns(path=pl.format("{}/{}_{}.{}", "runner_id",
                                            pl.col("date").dt.strftime("%Y-%m-%d"), "session",
                                            "ext")).drop("ext")
    first = list(schema.RUNS)
    rest = [c for c in runs.columns if c not in first and c not in _plan.PLAN
            and c not in ("status",)]
    plan_cols = ["date", "week", "session", "program", "session_type", "run_walk_pattern",
                 "warmup_s", "run_s", "walk_s", "repeats", "stride_s", "hill_rep_s",
                 "cooldown_s", "test_distance_m", "cadence_target_spm", "video_review"]
    return runs.select(first + [c for c in plan_cols if c not in first] + rest).sort(
        "runner_id", "start_time")


# --- journal ------------------------------------------------------------------------------

_NOTES = ("windy on the way back", "left calf a bit tight", "felt quick and light",
          "metronome hard to hear in traffic", "hot and sticky", "legs heavy after work",
          "focused on quiet feet", "great run, relaxed shoulders")


def _journal_rows(done: pl.DataFrame, runner: dict, clinic_weeks: int, rng,
                  rates) -> pl.DataFrame:
    """One journal entry per completed run (some skipped): tempo, foot strike, comfort..."""
    n = done.height
    if n == 0:
        return pl.DataFrame()
    week = done["week"].to_numpy()
    kind = done["session_type"].to_numpy()
    boost = done["boost_fraction"].to_numpy()
    target = runner["target_boost"]
    progress = boost / target if target > 0 else np.zeros(n)
    adapt = np.clip(week / max(clinic_weeks, 1), 0, 1)
    heat = done["heat_index_c"].to_numpy()
    hot = np.clip(heat - 22, 0, None)
    effort = np.select([kind == "hills", kind == "technique", kind == "baseline_test",
                        kind == "reflective_cooldown"], [6.0, 5.0, 4.0, 2.0], 3.0)
    rpe = np.rint(effort + 0.15 * hot + 0.6 * (1 - adapt) + rng.normal(0, 0.9, n)).clip(0, 10)
    tempo = np.rint(3 + 12 * boost * (1 - 0.6 * adapt) + (kind == "technique") * 0.6
                    + rng.normal(0, 0.6, n)).clip(1, 5)
    comfort = np.rint(3.9 - 0.12 * hot - 0.25 * np.clip(rpe - 5, 0, None)
                      - 6 * boost * (1 - adapt) + 0.4 * adapt + rng.normal(0, 0.6, n)).clip(1, 5)
    p_heel = runner["heel_strike_p"] * (1 - 0.75 * progress)
    u = rng.uniform(size=n)
    foot = np.where(u < 0.07, "unsure", np.where(u < 0.07 + 0.93 * p_heel, "heel",
                    np.where(rng.uniform(size=n) < 0.12, "forefoot", "midfoot")))
    treadmill = done["treadmill"].to_numpy()
    surface = np.where(treadmill, "treadmill",
                       np.where(kind == "technique", rng.choice(["track", "grass"], n),
                                np.where(kind == "hills", "road",
                                         rng.choice(["road", "road", "road", "trail", "grass"],
                                                    n))))
    video = done["video_review"].fill_null(False).to_numpy()
    skill = 2.3 + 1.6 * progress + 0.6 * adapt

    def rubric() -> list[int | None]:
        score = np.rint(skill + rng.normal(0, 0.5, n)).clip(1, 5).astype(np.int64)
        return [int(s) if v else None for s, v in zip(score, video, strict=True)]

    notes = [str(rng.choice(_NOTES)) if x < 0.15 else None for x in rng.uniform(size=n)]
    keep = rng.uniform(size=n) >= rates["no_journal"]
    frame = pl.DataFrame({
        "date": done["date"], "runner_id": done["runner_id"],
        # runners note the day and time, not a file's id: link with journal.attach
        "run_id": pl.Series([None] * n, dtype=pl.String),
        "perceived_tempo": tempo.astype(np.int64), "foot_strike": foot.tolist(),
        "comfort": comfort.astype(np.int64), "rpe": rpe.astype(np.int64),
        "surface": surface.tolist(), "temperature_c": done["temperature_c"],
        "humidity_pct": done["humidity_pct"],
        "rubric_cadence_consistency": pl.Series(rubric(), dtype=pl.Int64),
        "rubric_landing_quietness": pl.Series(rubric(), dtype=pl.Int64),
        "rubric_upright_posture": pl.Series(rubric(), dtype=pl.Int64),
        "notes": pl.Series(notes, dtype=pl.String), "video": pl.Series([None] * n, dtype=pl.String),
        "time": done["local_time"], "true_run_id": done["run_id"],
    })
    return frame.filter(pl.Series(keep))


# --- writing ------------------------------------------------------------------------------


def _write_runner(job: tuple[str, list[dict]]) -> int:
    """Render and write one runner's runs (runs in a worker process)."""
    from runlab.io.fit_write import write_activity

    root, runs = job
    n = 0
    for run in runs:
        rec, events = run_records(run)
        name = f"{run['date']:%Y-%m-%d}_{run['session']}.{run['format']}"
        path = Path(root) / run["runner_id"] / name
        if run["format"] == "tcx":
            from runlab.io.tcx import write_tcx

            write_tcx(rec, path, sport="Running")
        elif run["format"] == "gpx":
            from runlab.io.gpx import write_gpx

            write_gpx(rec.filter(pl.col("lat_deg").is_not_null()) if not run["treadmill"]
                      else rec, path, creator="runlab")
        else:
            write_activity(rec, path, sport="running",
                           sub_sport="treadmill" if run["treadmill"] else "street",
                           events=events, local_time_offset_s=run["local_time_offset_s"])
        n += 1
    return n


# --- phone sensors: accelerometer logs and footfall soundtracks ----------------------------

#: Footfall amplitudes of :func:`footfall_audio` (6 dB apart), as fractions of full scale.
FOOTFALL_LEVELS = (0.05, 0.1, 0.2, 0.4)
_PLACEMENTS = ("pocket", "armband", "hand")
_PHYPHOX_HEADER = ('"Time (s)","Acceleration x (m/s^2)","Acceleration y (m/s^2)",'
                   '"Acceleration z (m/s^2)","Absolute acceleration (m/s^2)"')


def phone_walk(seconds: float = 60.0, cadence_spm: float = 170.0, *,
               placement: str = "pocket", rate_hz: float = 100.0, jitter_s: float = 0.004,
               seed: int = 0) -> tuple[np.ndarray, ...]:
    """Synthetic phone accelerometer of a run: one impact per step, irregular sample times.

    Steps are ``cadence_spm`` apart with 2 % step-to-step variability; each is a sharp
    heel-strike peak (Gaussian, 30 ms) followed by a softer rebound. Sample intervals vary
    ±30 % around ``1/rate_hz`` plus timestamp jitter (``jitter_s``), as phones deliver them.
    ``placement`` changes the signal: ``"pocket"`` (sharp vertical impacts, phone upright),
    ``"armband"`` (softer, tilted), ``"hand"`` (weak impacts plus arm swing at half the
    step rate, tilted further).

    Returns
    -------
    t, x, y, z, steps : numpy.ndarray
        Sample times [s], acceleration including gravity [m/s²] and the true step times [s].
    """
    from runlab.io.imu import STANDARD_GRAVITY_MPS2 as g

    if placement not in _PLACEMENTS:
        raise ValueError(f"placement={placement!r}: expected one of {_PLACEMENTS}")
    rng = np.random.default_rng(seed)
    period = 60.0 / cadence_spm
    true_steps = np.cumsum(period * (1 + rng.normal(0, 0.02, int(seconds / period))))
    true_steps = true_steps[true_steps < seconds - 0.5]
    t = np.cumsum(rng.uniform(1 - 0.3, 1 + 0.3, int(seconds * rate_hz)) / rate_hz)
    t += rng.normal(0, jitter_s / 4, t.size)
    t.sort()
    d = t[:, None] - true_steps[None, :]
    impact = {"pocket": 6.0, "armband": 3.5, "hand": 2.0}[placement]
    vertical = (impact * np.exp(-0.5 * (d / 0.03) ** 2)  # heel strike
                - 0.4 * impact * np.exp(-0.5 * ((d - 0.12) / 0.05) ** 2)).sum(axis=1)
    swing = 0.8 * np.sin(np.pi * t / period) if placement == "hand" else 0.0
    tilt = {"pocket": 0.2, "armband": 0.7, "hand": 1.0}[placement]
    z = (g + vertical) * np.cos(tilt) + rng.normal(0, 0.3, t.size)
    y = (g + vertical) * np.sin(tilt) + swing + rng.normal(0, 0.3, t.size)
    x = 0.5 * np.sin(2 * np.pi * 0.3 * t) + rng.normal(0, 0.3, t.size)
    return t, x, y, z, true_steps


def phone_log(path: str | os.PathLike, *, spm: float = 168.0, seconds: float = 30.0,
              placement: str = "pocket", rate_hz: float = 100.0, seed: int = 0) -> np.ndarray:
    """Write a phone accelerometer log of a run as a phyphox "Acceleration with g" CSV.

    The signal is :func:`phone_walk` (irregular sampling, the phone in a pocket, an armband
    or the hand); the file is what phyphox exports (comma-separated, ``"Time (s)"`` from the
    first sample, x/y/z and absolute acceleration in m/s², 7 significant digits), so
    :func:`runlab.read_imu` and :func:`runlab.gait.steps` read it like a real recording.

    Parameters
    ----------
    path : path
        The CSV to write (its folder is created).
    spm : float
        True cadence [steps/min].
    seconds : float
        Length of the log [s].
    placement : {"pocket", "armband", "hand"}
        Where the phone is carried.
    rate_hz : float
        Nominal sampling rate [Hz]; actual intervals vary ±30 %.
    seed : int
        The same seed writes the same bytes.

    Returns
    -------
    numpy.ndarray
        The true step times [s] on the file's clock (``time_s`` of :func:`runlab.read_imu`).
    """
    t, x, y, z, steps = phone_walk(seconds, spm, placement=placement, rate_hz=rate_hz,
                                   seed=seed)
    table = np.column_stack([t - t[0], x, y, z, np.sqrt(x * x + y * y + z * z)])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savetxt(path, table, fmt="%.6E", delimiter=",", header=_PHYPHOX_HEADER, comments="")
    return steps - t[0]


def footfall_audio(seconds: float = 30.0, cadence_spm: float = 170.0,
                   rate_hz: int = 22_050, *, seed: int = 0,
                   levels: Sequence[float] = FOOTFALL_LEVELS,
                   noise: float = 0.003) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Synthetic run soundtrack: a thud per footfall over hiss and 30 Hz wind.

    Each thud (2-ms attack, 20-ms decay, low-passed noise plus a 150 Hz body) starts at a
    known onset (``cadence_spm`` apart, 3 % variability, from 0.5 s) with a peak amplitude
    drawn from ``levels`` (fractions of full scale).

    Returns
    -------
    samples, onsets, amplitudes : numpy.ndarray
        Mono samples at ``rate_hz`` [Hz], the true onset times [s] and peak amplitudes.
    """
    rng = np.random.default_rng(seed)
    period = 60.0 / cadence_spm
    onsets = 0.5 + np.cumsum(period * (1 + rng.normal(0, 0.03, int(seconds / period))))
    onsets = onsets[onsets < seconds - 0.3]
    amp = rng.choice(levels, onsets.size)
    n = int(seconds * rate_hz)
    t = np.arange(n) / rate_hz
    x = rng.normal(0, noise, n) + 0.01 * np.sin(2 * np.pi * 30 * t)
    k = np.arange(int(0.08 * rate_hz)) / rate_hz
    envelope = (1 - np.exp(-k / 0.002)) * np.exp(-k / 0.02)
    for onset, a in zip(onsets, amp, strict=True):
        i = int(round(onset * rate_hz))
        thud = lfilter([0.15], [1, -0.85], rng.normal(0, 1, k.size)) \
            + 0.5 * np.sin(2 * np.pi * 150 * k)
        x[i:i + k.size] += a * envelope * thud / np.abs(thud).max()
    return x, onsets, amp


def _runner_frames(onsets: np.ndarray, seconds: float, fps: int, width: int,
                   height: int) -> np.ndarray:
    """RGB frames (n, height, width, 3) of a dot crossing the frame that bounces once per
    footfall: on the ground line at each onset, highest halfway between."""
    times = np.arange(int(round(seconds * fps))) / fps
    edges = np.concatenate([[2 * onsets[0] - onsets[1]], onsets, [2 * onsets[-1] - onsets[-2]]])
    j = np.clip(np.searchsorted(edges, times, side="right") - 1, 0, edges.size - 2)
    phase = np.clip((times - edges[j]) / (edges[j + 1] - edges[j]), 0.0, 1.0)
    ground = int(height * 0.8)
    radius = max(2, height // 20)
    cy = ground - radius - np.sin(np.pi * phase) * height * 0.3
    cx = width * (0.1 + 0.8 * times / seconds)
    yy, xx = np.mgrid[:height, :width]
    frames = np.full((times.size, height, width, 3), 235, np.uint8)
    frames[:, ground:ground + 2] = 90  # the ground line
    dot = (yy[None] - cy[:, None, None]) ** 2 + (xx[None] - cx[:, None, None]) ** 2 \
        <= radius ** 2
    frames[dot] = (200, 60, 40)
    return frames


def footfall_clip(path: str | os.PathLike, *, spm: float = 170.0, seconds: float = 4.0,
                  loudness_db: float = -14.0, seed: int = 0, fps: int = 10,
                  size: tuple[int, int] = (160, 120)) -> np.ndarray:
    """Write a short run video (MP4: H.264 video, FLAC audio) whose soundtrack has
    footfalls at known times: the clinic's "record a clip after warm-up".

    The sound is :func:`footfall_audio` at 22.05 kHz with every footfall at one peak level;
    the picture is a dot bouncing across the frame once per footfall. It is encoded by the
    ffmpeg that ``imageio-ffmpeg`` ships, single-threaded with bit-exact flags; both codecs
    are integer (x264's assembly matches its C code; FLAC is lossless), so the same
    arguments write the same bytes on any CPU with the same ffmpeg build, and browsers
    play the clip (``runlab.widgets.RubricScorer``).

    Parameters
    ----------
    path : path
        The ``.mp4`` to write (its folder is created).
    spm : float
        True cadence [footfalls/min].
    seconds : float
        Length of the clip [s].
    loudness_db : float
        Peak level of each footfall [dB re full scale]; quieter landings are lower.
    seed : int
        Random seed of the sound (onset variability, thuds, hiss).
    fps, size : int, (int, int)
        Frame rate [1/s] and frame size (width, height) [px].

    Returns
    -------
    numpy.ndarray
        The true footfall onset times [s] from the start of the clip.
    """
    import subprocess
    import tempfile

    import imageio_ffmpeg

    from runlab.io.audio import write_wav

    rate_hz = 22_050
    samples, onsets, _ = footfall_audio(seconds, spm, rate_hz, seed=seed,
                                        levels=(10 ** (loudness_db / 20),))
    width, height = size
    frames = _runner_frames(onsets, seconds, fps, width, height)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wav = write_wav(Path(tmp) / "sound.wav", samples, rate_hz)
        cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-v", "error", "-y",
               "-fflags", "+bitexact", "-f", "rawvideo", "-pix_fmt", "rgb24",
               "-s", f"{width}x{height}", "-r", str(fps), "-i", "-", "-i", str(wav),
               "-map", "0:v", "-map", "1:a", "-map_metadata", "-1", "-threads", "1",
               "-c:v", "libx264", "-crf", "28", "-pix_fmt", "yuv420p", "-flags:v", "+bitexact",
               "-c:a", "flac", "-flags:a", "+bitexact",
               "-fflags", "+bitexact", "-shortest", str(path)]
        run = subprocess.run(cmd, input=frames.tobytes(), capture_output=True, check=False)
    if run.returncode != 0:
        raise RuntimeError(f"{path}: ffmpeg failed: {run.stderr.decode(errors='replace')}")
    return onsets
