"""``runlab demo``: the whole pipeline on the embedded sample and the demo cohort.

Loads the sample runner's 10-week clinic (``data/``) and the simulated demo cohort,
ingests both into parquet stores (incrementally, in the runlab cache), summarizes,
fits the cadence–speed and progression models, and writes an offline HTML report with the
key charts and tables.
"""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from runlab import charts, datasets, metrics, models
from runlab.errors import RunlabWarning
from runlab.gait import segments, strides
from runlab.io import read_activity
from runlab.journal import read_journal, weekly_ease
from runlab.pace import default_units, format_pace
from runlab.report import Section, write_report

__all__ = ["DemoResult", "run_demo", "demo_cached"]

SAMPLE_RUNNER = "R04"
#: A technique day of the sample runner with 30-s strides (see data/README.md).
STRIDES_SESSION = "2026-06-26_2.fit"


@dataclass
class DemoResult:
    """What ``runlab demo`` made: the report and the numbers it prints."""

    report: Path
    seconds: float
    sample_runs: int
    cohort_runs: int
    cohort_runners: int
    cohort_errors: int
    habitual_spm: float
    target_low_spm: float
    target_high_spm: float
    easy_cadence_first_spm: float
    easy_cadence_last_spm: float
    cadence_at_3_5_spm: float
    #: the clinic's effect per phase (``runlab.models.progression.clinic_effect``) beside
    #: the simulated truth: phase → (weeks, effect %, CI low %, CI high %, effect spm,
    #: truth %)
    clinic: dict[str, tuple[list[int], float, float, float, float, float]]
    attainment: str

    def summary(self) -> str:
        """A few lines for the terminal (speeds as pace, in the locale's units)."""
        effects = [
            f"  clinic effect, {phase.replace('_', '-')} (weeks {w[0]}–{w[-1]}, vs control "
            f"at matched speed): {pct:+.1f} % (95 % CI {lo:+.1f} to {hi:+.1f} %; "
            f"{spm:+.1f} steps/min); simulated truth {truth:+.1f} %"
            for phase, (w, pct, lo, hi, spm, truth) in self.clinic.items()]
        return "\n".join([
            f"runlab demo finished in {self.seconds:.0f} s",
            f"  sample runner {SAMPLE_RUNNER}: {self.sample_runs} runs; easy-run cadence "
            f"{self.easy_cadence_first_spm:.0f} → {self.easy_cadence_last_spm:.0f} steps/min; "
            f"target zone {self.target_low_spm:.0f}–{self.target_high_spm:.0f} "
            f"(habitual {self.habitual_spm:.0f}) at {_pace(2.5)}",
            f"  demo cohort: {self.cohort_runs} runs of {self.cohort_runners} runners "
            f"({self.cohort_errors} files in the error table)",
            f"  cohort cadence at 3.5 m/s ({_pace(3.5)}): "
            f"{self.cadence_at_3_5_spm:.1f} steps/min",
            *effects,
            f"  {self.attainment}",
            f"  report: {self.report}",
        ])


def demo_cached() -> bool:
    """True when this runlab's sample, demo cohort and demo store are in the cache already
    (the demo then only reads them; else it simulates and ingests them first)."""
    import json

    from runlab import __version__

    base = datasets.cache_dir()
    for name in ("sample", "demo-cohort"):
        try:
            if json.loads((base / name / datasets._MARKER).read_text()).get("runlab") \
                    != __version__:
                return False
        except (OSError, ValueError, AttributeError):
            return False
    return (base / "demo-store").is_dir() and (base / "sample-store").is_dir()


def run_demo(out_dir: str | os.PathLike = "runlab-report", *,
             workers: int | None = None) -> DemoResult:
    """Run the demo and write ``<out_dir>/index.html``; return what it found."""
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RunlabWarning)  # the report shows what matters
        sample_sections, sample_numbers = _sample_sections(workers)
        cohort_sections, cohort_numbers = _cohort_sections(workers)
    path = write_report(
        Path(out_dir) / "index.html", "runlab demo: a run-technique clinic in numbers",
        sample_sections + cohort_sections,
        intro="All data here is simulated with known truth (runlab.simulate) and written as "
              "real FIT, TCX and GPX files and journals, then read back like any export.")
    return DemoResult(report=path.resolve(), seconds=time.perf_counter() - started,
                      **sample_numbers, **cohort_numbers)


def _pace(speed_mps: float) -> str:
    return format_pace(speed_mps, default_units())


def _sample_sections(workers) -> tuple[list[Section], dict]:
    sample = datasets.sample()
    store = datasets.sample_store(workers=workers)
    runs = store.select_runs(SAMPLE_RUNNER)
    weekly = metrics.weekly(runs)
    first_weeks = runs.filter(pl.col("start_time")
                              < pl.col("start_time").min() + pl.duration(days=14))
    zone = models.cadence_zone(first_weeks, speed_mps=2.5)
    journal = read_journal(sample / "journal.csv").filter(
        pl.col("runner_id") == SAMPLE_RUNNER)
    session = read_activity(sample / SAMPLE_RUNNER / STRIDES_SESSION).clean()
    easy = weekly["easy_cadence_spm"].drop_nulls()
    sections = [
        Section(
            f"One runner's clinic ({SAMPLE_RUNNER}, 10 weeks)",
            "Average cadence on easy runs is the clinic's progress metric; the band is the "
            "target zone, +5 % to +10 % above the runner's own habitual cadence. "
            + zone.explanation,
            charts=[charts.weekly_cadence(weekly, target_spm=(zone.target_low_spm,
                                                              zone.target_high_spm)),
                    charts.cadence_speed(first_weeks, SAMPLE_RUNNER)],
            tables=[("Target cadence zone", zone.to_frame().drop("explanation")),
                    ("Weekly summary", weekly)]),
        Section(
            "Walk–run progression, strides and the journal",
            "Run:walk ratios measured from cadence (1:1 → 2:1 → 3:1 → continuous), one "
            "technique day with its 30-second strides, and the journal.",
            charts=[charts.walk_run_progression(runs),
                    charts.run_timeline(session, segments(session), strides=strides(session),
                                        title=f"Technique day {STRIDES_SESSION[:10]}"),
                    charts.journal_calendar(journal, "comfort"),
                    charts.comfort_heat(journal)],
            tables=[("Perceived ease by week (heat index)", weekly_ease(journal))]),
    ]
    numbers = {"sample_runs": runs.height, "habitual_spm": zone.habitual_spm,
               "target_low_spm": zone.target_low_spm, "target_high_spm": zone.target_high_spm,
               "easy_cadence_first_spm": float(easy[0]) if easy.len() else float("nan"),
               "easy_cadence_last_spm": float(easy[-1]) if easy.len() else float("nan")}
    return sections, numbers


def _cohort_sections(workers) -> tuple[list[Section], dict]:
    store = datasets.demo_store(workers=workers)
    runs = datasets.demo_runs(store)
    sim = datasets.demo_simulation()
    phases = sim.phases  # baseline week 0, end = last two clinic weeks, follow-up
    # cadence–speed lines from runs no retraining has changed: every control run and the
    # metronome-free baseline week
    baseline = runs.filter((pl.col("group") == "control") | (pl.col("week") <= 0))
    speed = models.cadence_speed(baseline)
    effect = models.progression.clinic_effect(runs, phases=phases)
    truth = sim.truth(phases)
    headline = effect.summary.join(truth.select("phase", "group", truth_pct="effect_pct",
                                                population_pct="population_pct"),
                                   on=["phase", "group"], how="left")
    prog = models.progression.cadence(runs)
    targets = datasets.demo_targets(runs)
    # reached: within the run-to-run noise (≈ 3 steps/min) of the target, in the last two
    # clinic weeks; the control group is compared on change, not on a target
    reached = models.target_attainment(runs, targets, phases=phases, phase="end",
                                       tolerance_spm=3.0)
    slopes = speed.per_runner.filter(pl.col("n_runs") >= 6,
                                     pl.col("slope_se_spm_per_mps").is_finite())
    errors = store.errors.group_by("error_type").agg(pl.len().alias("files"))
    end_weeks = phases["end"]
    share = reached.summary.filter(pl.col("group") == "all").row(0, named=True)
    ctrl = reached.summary.filter(pl.col("group") == "control")
    attainment = (f"attainment in weeks {end_weeks[0]}–{end_weeks[-1]}: {share['n_reached']} "
                  f"of {share['n_runners']} retrained runners within 3 steps/min of their "
                  "target" + (f"; control (no target) changed {ctrl['mean_change_pct'][0]:+.1f} %"
                              if ctrl.height else ""))
    boundary = _boundary_note(speed.random) + _boundary_note(prog.random)
    sections = [
        Section(
            "Demo cohort: the clinic's effect",
            "The headline: the change in cadence from the metronome-free baseline week (week "
            "0) at each runner's own pace, beyond the control group's change over the same "
            "weeks (difference in differences), with a 95 % interval (t, Welch–Satterthwaite "
            "degrees of freedom) — beside the truth the cohort was simulated with. "
            + attainment + ".",
            tables=[("Clinic effect by phase, with the simulated truth",
                     headline.select("phase", "group", "effect_spm", "effect_pct",
                                     "ci_low_pct", "ci_high_pct", "truth_pct",
                                     "population_pct", "df", "p_value", "n_runners",
                                     "n_control")),
                    ("Target attainment in the last two clinic weeks (control: change only)",
                     reached.summary)]),
        Section(
            "Demo cohort: cadence and speed",
            "Per-runner lines and a cohort mixed model (random intercepts and slopes) on runs "
            "that no retraining changed: all control runs and the metronome-free baseline "
            "week. The forest shows runners with at least 6 such runs." + boundary,
            charts=[charts.cadence_speed(baseline),
                    charts.forest(slopes, estimate="slope_spm_per_mps", ci_low="slope_ci_low_spm_per_mps",
                                  ci_high="slope_ci_high_spm_per_mps", title="Per-runner cadence–speed "
                                  "slopes", x_title="Slope [steps/min per m/s]")],
            tables=[("Cohort model (fixed effects)", speed.fixed),
                    ("Between-runner and residual variance", speed.random)]),
        Section(
            "Demo cohort: progression of a cadence-retraining intervention",
            "Week by week: cadence_spm ~ speed_c + week * group + (1 + week | runner). A "
            "straight line cannot follow the clinic's ramp, plateau and follow-up, so it "
            "describes the trend; the clinic's effect is the headline above.",
            charts=[charts.weekly_cadence(runs, trend=prog.summary)],
            tables=[("Progression model (fixed effects)", prog.fixed),
                    ("Files that could not be ingested", errors)]),
    ]
    at = speed.predict(None, 3.5)  # the population line
    clinic = {r["phase"]: (list(phases[r["phase"]]), r["effect_pct"], r["ci_low_pct"],
                           r["ci_high_pct"], r["effect_spm"], r["truth_pct"])
              for r in headline.iter_rows(named=True)}
    numbers = {"cohort_runs": runs.height, "cohort_runners": runs["runner_id"].n_unique(),
               "cohort_errors": store.errors.height,
               "cadence_at_3_5_spm": float(at["cadence_spm"][0]),
               "clinic": clinic, "attainment": attainment}
    return sections, numbers


def _boundary_note(random: pl.DataFrame) -> str:
    """A sentence when a mixed model's fit is on the boundary (a variance 0, a correlation
    ±1): its random-effect structure is more than the data support."""
    if random is None or random.height == 0:
        return ""
    notes = []
    if "variance" in random.columns:
        zero = random.filter((pl.col("variance") <= 1e-8) & (pl.col("term") != "residual"))
        notes += [f"the variance of {t} is estimated at 0" for t in zero["term"]]
    if "corr" in random.columns:
        one = random.filter(pl.col("corr").abs() >= 0.999)
        notes += [f"the correlation {t} is estimated at ±1" for t in one["term"]]
    if not notes:
        return ""
    return (" Boundary fit: " + "; ".join(notes) + " — the model's random effects are more "
            "than these data support; read its intervals with care.")
