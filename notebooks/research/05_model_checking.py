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
