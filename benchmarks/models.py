"""Benchmark runlab.models on a cohort of 200 runners × 12 weeks of run summaries.

Times, in the same run:

- ``progression.cadence`` (``cadence_spm ~ speed_c + week * group + (1 + week | runner)``)
  against the same model through statsmodels' formula API with its default optimizers;
- ``cadence_speed`` (per-runner OLS + cohort MixedLM with random intercepts and slopes);
- the per-runner OLS lines (vectorized polars) against a loop of statsmodels OLS fits.

- ``progression.clinic_effect`` on a ``model="clinic"`` cohort of 200 runners × 12 weeks
  (target < 10 s);
- ``models.power`` for one design (12 runners per group, 12 weeks, +1.5 %, 200 simulated
  studies, in memory, each analysed with ``clinic_effect``) in 2 spawned workers (one
  BLAS/polars thread each).

Targets: the cohort mixed model fits in < 10 s here; power for one design in < 2 min.
Run: ``nice python benchmarks/models.py``.
"""

from __future__ import annotations

import os
import time
import warnings

import numpy as np
import polars as pl
import statsmodels.api as sm
import statsmodels.formula.api as smf

from runlab import simulate
from runlab.models import Design, cadence_speed, power, progression
from runlab.models._tidy import ols_by

N_RUNNERS, WEEKS = 200, 12


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def statsmodels_formula(runs: pl.DataFrame):
    pdf = runs.with_columns(
        speed_c=pl.col("speed_mps") - pl.col("speed_mps").mean().over("runner_id")).to_pandas()
    model = smf.mixedlm("cadence_spm ~ speed_c + week * C(group, Treatment('control'))", pdf,
                        groups="runner_id", re_formula="~week")
    return model.fit()


def statsmodels_ols_loop(runs: pl.DataFrame):
    out = []
    for (_,), sub in runs.group_by(["runner_id"]):
        x = sm.add_constant(sub["speed_mps"].to_numpy())
        out.append(sm.OLS(sub["cadence_spm"].to_numpy(), x).fit().params)
    return out


def main() -> None:
    cohort, t_sim = timed(simulate.cohort, N_RUNNERS, WEEKS, seed=1, model="mixed")
    runs = cohort.runs
    print(f"cohort: {N_RUNNERS} runners x {WEEKS} weeks = {runs.height} run summaries "
          f"(simulated in {t_sim:.2f} s)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prog, t_prog = timed(progression.cadence, runs)
        ref, t_ref = timed(statsmodels_formula, runs)
        cs, t_cs = timed(cadence_speed, runs)
    per, t_ols = timed(ols_by, runs, "runner_id", "speed_mps", "cadence_spm")
    _, t_loop = timed(statsmodels_ols_loop, runs)

    est = dict(zip(prog.fixed["term"], prog.fixed["estimate"], strict=True))
    truth = cohort.truth_effects
    print(f"progression.cadence (MixedLM)      {t_prog:7.2f} s  "
          f"{'OK' if t_prog < 10 else 'SLOW'} (target < 10 s)")
    print(f"statsmodels formula, default fit   {t_ref:7.2f} s  converged={ref.converged}  "
          f"ratio runlab/statsmodels = {t_prog / t_ref:.2f}")
    print(f"  llf runlab {prog.model.llf:.2f} vs statsmodels {ref.llf:.2f}")
    g = "week:group[T.cadence+7.5%]"
    print(f"  {g}: {est[g]:.3f} (truth {truth[g]:.3f}); "
          f"speed_c: {est['speed_c']:.3f} (truth {truth['speed_c']:.3f})")
    print(f"cadence_speed (OLS + MixedLM)      {t_cs:7.2f} s  "
          f"{'OK' if t_cs < 10 else 'SLOW'} (target < 10 s)")
    print(f"per-runner OLS, vectorized polars  {t_ols * 1e3:7.1f} ms  "
          f"vs statsmodels loop {t_loop * 1e3:.1f} ms  ratio = {t_ols / t_loop:.3f}")
    assert per.height == N_RUNNERS and np.isfinite(cs.fixed["estimate"].to_numpy()).all()
    clinic, t_csim = timed(simulate.cohort, N_RUNNERS, WEEKS, seed=1)
    effect, t_eff = timed(progression.clinic_effect, clinic.runs, plan=clinic.plan)
    end = effect.summary.filter(pl.col("phase") == "end").row(0, named=True)
    truth = clinic.truth().filter(pl.col("phase") == "end")["effect_pct"][0]
    print(f"progression.clinic_effect, {clinic.runs.height} runs of {N_RUNNERS} runners "
          f"{t_eff:7.2f} s  {'OK' if t_eff < 10 else 'SLOW'} (target < 10 s)  end effect "
          f"{end['effect_pct']:+.2f} % [{end['ci_low_pct']:+.2f}, {end['ci_high_pct']:+.2f}] "
          f"(truth {truth:+.2f} %)")
    design = Design(runners_per_group=12, weeks=12, effect_pct=1.5)
    pw, t_pow = timed(power, design, n_studies=200, seed=0, workers=2)
    print(f"models.power, 200 studies of {design.runners_per_group}/group x {design.weeks} "
          f"weeks, 2 spawned workers {t_pow:7.1f} s ({t_pow / 200:.2f} s/study)  "
          f"{'OK' if t_pow < 120 else 'SLOW'} (target < 120 s)  power "
          f"{pw['power'][0]:.1%} [{pw['ci_low'][0]:.1%}, {pw['ci_high'][0]:.1%}]", flush=True)
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
