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
# # Step length and speed
#
# Speed is cadence × step length (step length = speed / (cadence / 60)). At a constant
# speed, +10 % cadence means −9.09 % step length (1/1.1 − 1). `runlab.models.step_length_speed` fits
# step length against speed (and height when known), the log-log elasticities of cadence
# and step length with speed (they add up to 1), splits a speed change into its cadence
# and step-length parts, and flags overstriding relative to the runner's own pattern.

# %%
import altair as alt

from runlab import charts, datasets, models

_ = alt.renderers.enable("jupyter", offline=True)
runs = datasets.demo_runs()
baseline = runs.filter(runs["week"] < 2)
fit = models.step_length_speed(baseline)
fit.fixed

# %% [markdown]
# How much of a speed change comes from cadence and how much from step length:

# %%
fit.elasticities

# %%
fit.decompose(2.5, 3.5)

# %%
charts.step_length_speed(baseline)

# %% [markdown]
# Overstriding indicator: step length above what this runner's own line predicts at that
# speed (a z-score of the residual). High values are runs worth a look at the video.

# %%
fit.overstriding(runs).sort("step_length_z", descending=True).head(8)

# %% [markdown]
# ## Your data
# `models.step_length_speed(store.runs)`; with a `height_m` column the height term is estimated too.
