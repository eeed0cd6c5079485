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
# # Cadence and speed: per-runner lines and a cohort mixed model
#
# Cadence rises roughly linearly with speed (van Oeveren et al., 2019: 150.0 + 6.01·v spm).
# Runners differ a lot at the same speed (SD ≈ 8 spm) but little from run to run (≈ 3 spm),
# so a cadence target has to start from the runner's *own* line. `runlab.models.cadence_speed`
# fits one OLS line per runner and a cohort MixedLM with random intercepts and slopes.

# %%
import altair as alt

from runlab import charts, datasets, models

_ = alt.renderers.enable("jupyter", offline=True)
runs = datasets.demo_runs()
baseline = runs.filter(runs["week"] < 2)  # before retraining changes anyone's cadence
fit = models.cadence_speed(baseline)
fit.fixed

# %% [markdown]
# Random effects (variances of intercepts and slopes between runners, and the residual):

# %%
fit.random

# %% [markdown]
# Per-runner lines, with 95 % intervals of the slope:

# %%
charts.forest(fit.per_runner, estimate="slope_spm_per_mps", ci_low="slope_ci_low_spm_per_mps", ci_high="slope_ci_high_spm_per_mps",
              x_title="Cadence–speed slope [steps/min per m/s]", title="Per-runner slopes")

# %% [markdown]
# Habitual cadence at a pace, with an interval — for one runner (their own line, shrunk
# toward the cohort) and for someone the model has never seen (the population):

# %%
first = fit.per_runner["runner_id"][0]
fit.predict(first, 3.0).vstack(fit.predict("someone-new", 3.0))

# %% [markdown]
# ## Your data
# `models.cadence_speed(store.runs)` on your own store; `fit.model.summary()` is the
# statsmodels result for experts.
