# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Model checking with simulated cohorts
#
# Before trusting a model on real runners, check that it recovers what is really there.
# `runlab.simulate.cohort(..., model="mixed")` draws run summaries from exactly
# `cadence_spm ~ speed_c + week * group + (1 + week | runner)` with known fixed effects; we
# fit the model on each of several seeds and count how often the 95 % interval covers
# the truth (it should, about 95 % of the time).
#
# This checks the fitting code, **not** the model: data drawn from the estimator's own
# formula cannot show that the formula is wrong for a clinic. That is the second part,
# on `model="clinic"` cohorts (ramp, plateau, follow-up, walk breaks, weather, dropout).

# %%
import altair as alt
import polars as pl

from runlab import charts, models, simulate

_ = alt.renderers.enable("jupyter", offline=True)

rows = []
for seed in range(6):
    sim = simulate.cohort(40, 12, seed=seed, model="mixed")
    fit = models.progression.cadence(sim.runs)
    truth = sim.truth_effects
    for term in ("speed_c", "week:group[T.cadence+7.5%]"):  # same names in truth and fit
        true_value = truth[term]
        est = fit.fixed.filter(pl.col("term") == term).row(0, named=True)
        rows.append({"seed": seed, "term": term, "truth": true_value,
                     "estimate": est["estimate"], "ci_low": est["ci_low"],
                     "ci_high": est["ci_high"]})
recovery = pl.DataFrame(rows).with_columns(
    ((pl.col("ci_low") <= pl.col("truth")) & (pl.col("truth") <= pl.col("ci_high")))
    .alias("covered"))
recovery.group_by("term").agg(pl.col("covered").mean().alias("coverage"),
                              pl.col("truth").first(), pl.col("estimate").mean())

# %%
charts.forest(recovery.filter(pl.col("term") == "week:group[T.cadence+7.5%]")
              .with_columns(pl.format("seed {}", "seed").alias("label")),
              label="label", reference=sim.truth_effects["week:group[T.cadence+7.5%]"],
              x_title="Weekly gain of the retrained group [steps/min per week]",
              title="Recovery of the group × week effect across seeds")

# %% [markdown]
# ## The clinic: is the model right for the design?
# On `model="clinic"` cohorts the truth is the mean achieved boost per phase
# (`Cohort.truth()`). A straight line in week (`week:group` × 10 weeks) cannot follow the
# ramp to a plateau and misses it; `clinic_effect` (difference in differences against the
# metronome-free baseline week, at matched speed) recovers it with honest intervals.

# %%
rows = []
for seed in range(4):
    study = simulate.cohort(24, 12, seed=20_000 + seed, quirks=False)
    truth = study.truth().filter(pl.col("phase") == "end").row(0, named=True)
    did = models.progression.clinic_effect(study.runs, phases=study.phases).summary.filter(
        pl.col("phase") == "end").row(0, named=True)
    line = models.progression.cadence(study.runs).fixed.filter(
        pl.col("term").str.starts_with("week:group")).row(0, named=True)
    base = did["baseline_spm"]
    rows += [{"seed": seed, "method": "clinic_effect", "truth": truth["population_pct"],
              "estimate": did["effect_pct"], "ci_low": did["ci_low_pct"],
              "ci_high": did["ci_high_pct"]},
             {"seed": seed, "method": "linear week:group × 10", "truth": truth["population_pct"],
              "estimate": 1000 * line["estimate"] / base, "ci_low": 1000 * line["ci_low"] / base,
              "ci_high": 1000 * line["ci_high"] / base}]
clinic = pl.DataFrame(rows).with_columns(
    covered=(pl.col("ci_low") <= pl.col("truth")) & (pl.col("truth") <= pl.col("ci_high")))
clinic.group_by("method").agg(coverage=pl.col("covered").mean(),
                              mean_estimate_pct=pl.col("estimate").mean(),
                              truth_pct=pl.col("truth").mean())

# %% [markdown]
# The full check — 400 in-memory studies (also `retention`'s follow-up − end difference
# and retained fraction, and `baseline_mile`'s contrast, against
# `Cohort.retention_truth()` and `mile_truth()`), 40
# cohorts written as files and read back with and without brisk walkers (walk breaks at
# 126–145 steps/min, where slow jogs sit), studies without an effect for the type-I
# error — is `benchmarks/validate_clinic.py`.

# %% [markdown]
# ## What a reviewer asks next
# Fixed effects carry t intervals on Satterthwaite degrees of freedom (column `df`).
# Does the cohort need random week slopes? A likelihood-ratio test on maximum-likelihood
# refits (a variance on its boundary: the χ̄² mixture), with AIC and BIC:

# %%
slopes = models.progression.cadence(sim.runs)
no_slopes = models.progression.cadence(sim.runs, random_week=False)
models.compare(no_slopes, slopes, names=("random intercepts", "+ random week slopes"))

# %% [markdown]
# How much of a run's cadence is the runner (intraclass correlation at week 0), with
# parametric-bootstrap intervals, and the effects in SD units:

# %%
models.icc(slopes, n_boot=50, seed=1)

# %%
models.effect_sizes(slopes).select("term", "estimate", "df", "d", "d_ci_low", "d_ci_high")

# %% [markdown]
# ## Planning the next study: a power curve
# `models.power` simulates a clinic design many times (runlab's simulator, in memory) and
# analyses each study with `clinic_effect`: the share of studies with a significant
# end-of-clinic effect. Here a +3 % achieved boost, 12 weeks, 10 % missed sessions and 10 %
# dropout; 20 studies per point keep the notebook quick (use 200+ to plan for real, and
# `models.sample_size(0.8, effect_pct=3.0)` for the smallest cohort reaching 80 %).

# %%
curve = pl.concat([models.power(runners_per_group=n, weeks=12, effect_pct=3.0, n_studies=20)
                   for n in (4, 8, 12)])
alt.Chart(curve).mark_line(point=True).encode(
    x=alt.X("runners_per_group:Q", title="Runners per group"),
    y=alt.Y("power:Q", title="Power", scale=alt.Scale(domain=[0, 1])),
).properties(title="Power for a +3 % boost (12 weeks, alpha 0.05)")
