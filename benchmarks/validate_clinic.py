"""Validate ``clinic_effect``, ``retention`` and ``baseline_mile`` on simulated clinic studies.

Data come from ``runlab.simulate.cohort(..., model="clinic")``: a generative model that is
not the estimators' formula (metronome ramp and plateau, partial retention with decay,
walk breaks, brisk walkers, fatigue, weather, missed sessions, dropout). Nothing here was
tuned on these seeds (they start at 1,000,000, away from the tests' and notebooks').

Estimands (truth from :class:`runlab.simulate.Cohort`, the population value: the mean
achieved boost a study estimates):

- ``end``, ``follow_up``: ``clinic_effect`` in % of baseline vs ``Cohort.truth()``;
- ``follow_up_minus_end``: ``retention``'s headline contrast, the follow-up effect minus
  the end effect [points of % of baseline], and ``retained``: its retained fraction
  (follow-up effect / end effect, bias-corrected, Fieller interval, in %), both vs
  ``Cohort.retention_truth()``;
- ``mile_end``, ``mile_follow_up``: ``baseline_mile``'s cadence contrast (difference in
  differences, % of the retrained group's first mile) from the boost-free mile (weeks 0–1)
  to the mile of week 10 (the clinic's last) or of the last follow-up week, vs
  ``Cohort.mile_truth(week)``.

Prints, exactly as measured:

1. coverage and bias over in-memory studies (default 400: 12 or 24 runners, default or
   heavy missed sessions and dropout); thresholds: coverage ≥ 370/400 (92.5 %),
   |bias| < 0.5 points;
2. file-based seeds (default 40 per condition, 12 or 24 runners, default missed sessions
   and dropout): the cohort's runs of the weeks the estimands use (``FILE_WEEKS``) written
   as FIT/TCX/GPX files, ingested (walk/run segmentation by ``clean``), the estimates
   compared with the in-memory ones of the same runs
   (|difference| ≤ 0.2 points) and their coverage, without brisk walkers and with half of
   the runners brisk walkers (walk breaks at 126–145 spm, where slow jogs sit); the
   same seeds in both conditions, so only the walking differs;
3. type-I error over studies with no effect (``--null``, 12 runners per group):
   share with p < 0.05 (should be 3–7 %), for ``clinic_effect`` and ``retention``.

Measured (2026-12-06 and 07, a loaded 2-core machine):

- in memory, 400 studies (runlab 15fd887): end 376/400 covered (bias +0.02 points),
  follow-up 386/400 (+0.05), ``mile_end`` 374/399 (+0.18), ``mile_follow_up`` 379/399
  (+0.16), ``retained`` 386/400 (+0.7 points of a true 92.3 %, Monte-Carlo SE 0.5), then
  the plain ratio with a symmetric delta interval;
- ``retention`` as of 6497d17 (same 400 seeds): ``follow_up_minus_end`` 381/400 (bias
  +0.03 points, Monte-Carlo SE 0.04; cells of 100: 94, 94, 98, 95), ``retained`` with the
  bias correction and Fieller's interval 384/400 (+0.49, Monte-Carlo SE 0.50; the plain
  ratio +0.71). Files vs memory, computed from the end and follow-up rows of the 20ef212
  file run (the difference is theirs): within 0.2 points 40/40 (worst 0.12) and 40/40
  with brisk walkers (0.16); ``retained`` 9/40 and 8/40, its gaps (Δf − R·Δe)/e, ~14×
  the effects' (correlation 0.9998 with that formula). No-effect studies (``--null
  1000``, 6497d17): ``follow_up_minus_end`` rejected in 53/1000 (5.3 %), end 5.6 %,
  follow-up 4.3 %, retention's follow-up 4.4 %, none refused;
- ``retention`` over 1,599 studies (``--studies 1600``: seeds 0–399 as above, 400–1599
  after df805fa; one refused): ``follow_up_minus_end`` covered 1,523 (95.2 %; bias
  −0.02 points, Monte-Carlo SE 0.02), ``retained`` with the correction and Fieller's
  interval 1,524 (−0.30, SE 0.24), the plain ratio with a delta interval 1,527 (−0.06,
  SE 0.25; on seeds 400–1599 alone the plain ratio −0.31, the corrected −0.57, SE 0.28;
  the difference −0.04, SE 0.02): the fraction's +0.7 over
  400 studies was Monte-Carlo noise, and its remaining bias is below this resolution;
- in memory again once the truth's treadmill speed is the foot pod's (df805fa, same 400
  seeds, ``retained`` still the plain ratio): end 379/400 (+0.02), follow-up 386/400
  (+0.05), miles unchanged, ``retained`` 390/400 (+0.69);
- files, 40 seeds per condition (20 of 12 and 20 of 24 runners; df805fa, 1372 s, the
  plain-ratio ``retained``): within 0.2 points of memory, without brisk walkers end 40/40
  (worst 0.047), follow-up 40/40 (0.043), their difference 40/40 (0.035), miles 40/40 and
  39/39, ``retained`` 29/40 (0.61); with half the runners brisk walkers (358 in all) end
  40/40 (0.049), follow-up 40/40 (0.043), difference 40/40 (0.035), miles 40/40 and
  39/39, ``retained`` 27/40 (0.61). Coverage in both conditions: end 38/40 (bias −0.11),
  follow-up 38/40 (−0.17), miles 39/40 and 37/39, ``retained`` 38/40; the in-memory
  estimates of the same 40 cohorts are off the truth by −0.12 and −0.18 too (these
  seeds', not the files'). Again on 23eb881 (with ``retention``'s corrected fraction and
  walkrun's switch evidence; 334 s, quiet): end and follow-up the same to the third
  decimal (40/40 and 40/40 in both conditions, worst 0.049), ``follow_up_minus_end``
  40/40 (0.035) and 37/40 and 38/40 covered, the corrected ``retained`` 30/40 and 29/40
  within 0.2 points (worst 0.63).

  Before (runlab 20ef212): end 38/40 and 37/40 with brisk walkers (worst 0.28 and 0.39),
  follow-up 38/40 and 37/40 (0.25 and 0.36). Traced per run, three causes: (1) treadmill
  runs: the in-memory truth held the belt's speed, the files the foot pod's (±4 %), which
  moved the speed-adjusted cells (seed 27: 0.28 → 0.02 with the pod's speed in memory);
  (2) walk–run sessions: the first seconds of each run bout still carry the walk's
  cadence (the watch averages it over 4 s), so week 0's 1:1 sessions read 0.9–1.9 spm low
  from files while the continuous runs of the end weeks did not (seed 32: −0.21 → −0.06
  once ``summarize`` left out 3 s at each end of a run bout, +0.01 with (1) too); (3)
  two brisk walkers whose walk stepped quicker than their own jog (139.9 vs 132–140 spm,
  139.0 vs 127–136): no walk/run split could keep those runs (a whole 1:1 session
  labelled run or walk), moving one runner's baseline by 4.5 and 7.1 spm (seeds 0 and 22
  with brisk walkers: −0.32 and +0.39, now +0.002 and +0.015 once a brisk walker walks
  6 spm below their jog).

Run: ``nice python benchmarks/validate_clinic.py [--studies 400] [--files 40]
[--null 0] [--workers 2] [--brisk 0.5]``; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import polars as pl

SEED0 = 1_000_000
HEAVY = {"missed_session": 0.2, "dropout_per_week": 0.03}
ESTIMANDS = ("end", "follow_up", "follow_up_minus_end", "retained", "mile_end",
             "mile_follow_up")
ROWS: str | None = None  # --rows: JSON-lines copy of every result
#: Weeks written as files: every week an estimand uses (baseline 0 and the week-1 mile,
#: end 9–10, follow-up 11–12); the ramp weeks 2–8 only sharpen the shared speed slope,
#: and leaving them out halves the files to write and ingest.
FILE_WEEKS = [0, 1, 9, 10, 11, 12]


def _design(i: int) -> tuple[int, dict | None]:
    """Study i's design: 24 or 12 runners; default or heavy missed sessions and dropout."""
    return (24 if i % 2 == 0 else 12), (HEAVY if i % 4 >= 2 else None)


def _estimates(runs: pl.DataFrame, c) -> dict[str, tuple[float, float, float]]:
    """(estimate, ci_low, ci_high) in % for each estimand; a ModelError (an empty cell
    after dropout) leaves the estimand out."""
    from runlab.errors import ModelError
    from runlab.models import progression

    out = {}
    ph = c.phases
    try:
        s = progression.clinic_effect(runs, phases=ph).summary
        for r in s.iter_rows(named=True):
            out[r["phase"]] = (r["effect_pct"], r["ci_low_pct"], r["ci_high_pct"])
    except ModelError:
        pass
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            k = progression.retention(runs, baseline_weeks=ph["baseline"],
                                      end_weeks=ph["end"], follow_up_weeks=ph["follow_up"])
        r = k.summary.filter(pl.col("term") == "retained_fraction").row(0, named=True)
        out["retained"] = (100 * r["estimate"], 100 * r["ci_low"], 100 * r["ci_high"])
        r = k.summary.filter(pl.col("term") == "follow_up_minus_end_pct").row(0, named=True)
        out["follow_up_minus_end"] = (r["estimate"], r["ci_low"], r["ci_high"])
    except ModelError:
        pass
    last = int(c.plan.filter(pl.col("session_type") == "baseline_test")["week"].max())
    for name, week in (("mile_end", c.clinic_weeks), ("mile_follow_up", last)):
        tests = runs.filter(pl.col("session_type") == "baseline_test").select(
            "runner_id", "week", "group", "cadence_spm")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                f = progression.baseline_mile(tests, outcomes=["cadence_spm"],
                                              first_weeks=[0, 1], last_weeks=[week]).fixed
            r = f.filter(pl.col("term").str.starts_with("cadence_spm_change:")).row(
                0, named=True)
            out[name] = (r["estimate_pct"], r["ci_low_pct"], r["ci_high_pct"])
        except ModelError:
            pass
    return out


def _truths(c) -> dict[str, float]:
    """Population truth of each estimand [%]."""
    t = {r["phase"]: r["population_pct"] for r in c.truth().iter_rows(named=True)}
    kept = c.retention_truth()
    t["retained"] = 100 * kept["population_retained_fraction"][0]
    t["follow_up_minus_end"] = kept["population_follow_up_minus_end_pct"][0]
    last = int(c.plan.filter(pl.col("session_type") == "baseline_test")["week"].max())
    t["mile_end"] = c.mile_truth(c.clinic_weeks)["population_pct"][0]
    t["mile_follow_up"] = c.mile_truth(last)["population_pct"][0]
    return t


def _rows(study: int, n: int, est: dict, truth: dict, **extra) -> list[dict]:
    return [{"study": study, "n_runners": n, "estimand": k, "estimate": e, "ci_low": lo,
             "ci_high": hi, "truth": truth[k], **extra} for k, (e, lo, hi) in est.items()]


def _in_memory(i: int) -> list[dict]:
    from runlab import simulate

    n, rates = _design(i)
    c = simulate.cohort(n, 12, seed=SEED0 + i, rates=rates)
    return _rows(i, n, _estimates(c.runs, c), _truths(c), heavy=rates is not None)


def _null(i: int) -> dict:
    from runlab import simulate
    from runlab.errors import ModelError
    from runlab.models import progression

    c = simulate.cohort(24, 12, ("control", "cadence+0%"), seed=SEED0 + 500_000 + i)
    out = {"study": i}
    try:
        s = progression.clinic_effect(c.runs, phases=c.phases).summary
        out |= {f"p_{r['phase']}": r["p_value"] for r in s.iter_rows(named=True)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kept = progression.retention(c.runs, baseline_weeks=c.phases["baseline"],
                                         end_weeks=c.phases["end"],
                                         follow_up_weeks=c.phases["follow_up"])
        fu = kept.summary.filter(pl.col("term") == "follow_up_change_pct")
        out["p_retention_follow_up"] = float(fu["p_value"][0])
        lost = kept.summary.filter(pl.col("term") == "follow_up_minus_end_pct")
        out["p_retention_follow_up_minus_end"] = float(lost["p_value"][0])
    except ModelError as e:
        out["error"] = str(e)
    return out


def _from_files(job: tuple[int, float]) -> list[dict]:
    from runlab import cohort as rl_cohort
    from runlab import simulate

    i, brisk = job
    n = 24 if i % 2 == 0 else 12
    c = simulate.cohort(n, 12, seed=SEED0 + 900_000 + i, rates={"brisk_walker": brisk})
    c = c.filter(pl.col("week").is_in(FILE_WEEKS))
    mem = _estimates(c.runs, c)
    with tempfile.TemporaryDirectory() as tmp:
        folder = c.write(Path(tmp) / "files", workers=1)
        store = rl_cohort.ingest(folder, Path(tmp) / "store", workers=1, progress=False)
        truth = pl.read_csv(folder / "runs_truth.csv",
                            columns=["path", "week", "group", "session_type"])
        runs = store.runs.join(truth.rename({"path": "source_path"}), on="source_path",
                               how="inner")
    files = _estimates(runs, c)
    truth = _truths(c)
    return [{**r, "memory": mem[r["estimand"]][0] if r["estimand"] in mem else None}
            for r in _rows(i, n, files, truth, brisk_share=brisk,
                           n_brisk=int(c.runners["brisk_walker"].sum()))]


def _map(fn, jobs: list, workers: int, what: str) -> list:
    """fn over jobs (spawned processes), progress to stderr every 5 %; each job's rows are
    also appended to ``--rows`` (JSON lines) when given, so a partial run can be read."""
    out, t0, step = [], time.perf_counter(), max(1, len(jobs) // 20)
    if workers <= 1:
        results = map(fn, jobs)
        pool = None
    else:
        pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"))
        results = pool.map(fn, jobs, chunksize=1)
    try:
        for k, r in enumerate(results, 1):
            out.append(r)
            if ROWS is not None:
                with open(ROWS, "a") as f:
                    for row in (r if isinstance(r, list) else [r]):
                        f.write(json.dumps({"section": what, **row}) + "\n")
            if k % step == 0 or k == len(jobs):
                print(f"   [{what}] {k}/{len(jobs)} in {time.perf_counter() - t0:.0f} s",
                      file=sys.stderr, flush=True)
    finally:
        if pool is not None:
            pool.shutdown()
    return out


def _table(rows: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    rows = rows.with_columns(
        covered=(pl.col("ci_low") <= pl.col("truth")) & (pl.col("truth") <= pl.col("ci_high")),
        error=pl.col("estimate") - pl.col("truth"))
    return rows.group_by(keys).agg(
        studies=pl.len(), covered=pl.col("covered").sum(),
        coverage_pct=100 * pl.col("covered").mean(), bias_points=pl.col("error").mean(),
        rmse_points=(pl.col("error") ** 2).mean().sqrt(),
        mean_truth_pct=pl.col("truth").mean()).sort(keys)


def coverage(studies: int, workers: int) -> None:
    t = time.perf_counter()
    rows = pl.DataFrame([r for rs in _map(_in_memory, list(range(studies)), workers,
                                          "in memory") for r in rs])
    print(f"\n1. in-memory studies: {studies}, {time.perf_counter() - t:.0f} s")
    print_coverage(rows)


def print_coverage(rows: pl.DataFrame) -> None:
    print("   (an estimand missing from a study was refused with ModelError: an empty cell "
          f"after dropout); studies: {rows['study'].n_unique()}")
    print(_table(rows, ["estimand"]))
    print(_table(rows, ["estimand", "n_runners", "heavy"]))


def from_files(seeds: int, workers: int, brisk: float, reverse: bool = False) -> None:
    t = time.perf_counter()
    order = range(seeds - 1, -1, -1) if reverse else range(seeds)
    jobs = [(i, b) for i in order for b in (0.0, brisk)]  # pairs: the same seed
    rows = pl.DataFrame([r for rs in _map(_from_files, jobs, workers, "files") for r in rs])
    print(f"\n2. file-based seeds: {seeds} per condition, {time.perf_counter() - t:.0f} s")
    print_files(rows)


def print_files(rows: pl.DataFrame) -> None:
    rows = rows.with_columns(diff=pl.col("estimate") - pl.col("memory"))
    seeds = rows.group_by("brisk_share").agg(pl.col("study").n_unique()).sort("brisk_share")
    brisk = rows.filter(pl.col("brisk_share") > 0).unique("study")["n_brisk"].sum()
    print(f"   seeds per brisk-walker share: {dict(seeds.iter_rows())}; brisk walkers in the "
          f"brisk condition: {brisk} in all")
    agree = rows.group_by("brisk_share", "estimand").agg(
        seeds=pl.len(), within_0_2=(pl.col("diff").abs() <= 0.2).sum(),
        max_abs_diff=pl.col("diff").abs().max(), mean_diff=pl.col("diff").mean()).sort(
        "brisk_share", "estimand")
    print("   files vs in memory (same cohort), points:")
    print(agree)
    print("   coverage and bias of the file-based intervals:")
    print(_table(rows, ["brisk_share", "estimand"]))
    print(_table(rows, ["brisk_share", "estimand", "n_runners"]))


def type_one(studies: int, workers: int) -> None:
    t = time.perf_counter()
    rows = pl.DataFrame(_map(_null, list(range(studies)), workers, "no effect"))
    print(f"\n3. no-effect studies: {studies}, {time.perf_counter() - t:.0f} s")
    for c in [c for c in rows.columns if c.startswith("p_")]:
        p = rows[c].drop_nulls().to_numpy()
        print(f"   {c}: rejected at 0.05 in {int((p < 0.05).sum())} of {p.size} "
              f"({100 * np.mean(p < 0.05):.1f} %)")
    if "error" in rows.columns:
        print(f"   refused: {rows['error'].drop_nulls().len()}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--studies", type=int, default=400)
    ap.add_argument("--files", type=int, default=40)
    ap.add_argument("--null", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--brisk", type=float, default=0.5)
    ap.add_argument("--rows", help="append every result to this JSON-lines file")
    ap.add_argument("--reverse", action="store_true",
                    help="file-based seeds last to first (a second process can share them)")
    ap.add_argument("--report", help="only print the tables of --rows files (comma-separated; "
                    "partial runs; a study found twice counts once)")
    a = ap.parse_args()
    global ROWS
    ROWS = a.rows
    pl.Config.set_tbl_cols(14)
    pl.Config.set_tbl_rows(60)
    pl.Config.set_float_precision(3)
    if a.report:
        # json, not pl.read_ndjson: an unbounded Fieller interval is written as ±Infinity
        rows = pl.concat([pl.DataFrame([json.loads(line) for line in open(f)],
                                       infer_schema_length=None)
                          for f in a.report.split(",")],
                         how="diagonal_relaxed")
        keys = [k for k in ("section", "study", "estimand", "brisk_share") if k in rows.columns]
        rows = rows.unique(keys, keep="first", maintain_order=True)
        for section, show in (("in memory", print_coverage), ("files", print_files)):
            part = rows.filter(pl.col("section") == section)
            if part.height:
                print(f"\n{section} ({a.report}):")
                show(part.drop("section"))
        return
    if a.studies:
        coverage(a.studies, a.workers)
    if a.null:
        type_one(a.null, a.workers)
    if a.files:
        from_files(a.files, a.workers, a.brisk, a.reverse)


if __name__ == "__main__":
    main()
