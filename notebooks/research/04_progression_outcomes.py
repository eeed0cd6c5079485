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
# # Progression outcomes of a cadence-retraining intervention
#
# The clinic's model (`docs/science.md`): `cadence_spm ~ speed_c + week * group + (1 + week | runner)`
# with speed centred per runner. The `week:group` term is the weekly gain of the retrained
# group over control. Around it: the share of runners reaching their target, comfort and
# RPE as ordinal outcomes against week, temperature and humidity, and the walk–run ratio
# progression 1:1 → 2:1 → 3:1 → continuous.

# %%
import altair as alt
import polars as pl

from runlab import charts, datasets, models

_ = alt.renderers.enable("jupyter", offline=True)
runs = datasets.demo_runs()
prog = models.progression.cadence(runs)
prog.fixed

# %%
charts.weekly_cadence(runs, trend=prog.summary)

# %% [markdown]
# ## Who reached their target?
# Target = habitual cadence at the runner's own pace in the first two weeks × (1 + boost).

# %%
targets = datasets.demo_targets()
reached = models.progression.target_attainment(runs, targets)
reached.summary

# %% [markdown]
# ## Comfort and perceived effort in heat and humidity
# Ordinal models of journal comfort (1–5) and RPE (0–10): cumulative-logit GEE with runners as
# clusters (bias-reduced sandwich), group in the model.

# %%
journal_runs = datasets.demo_journal_runs()
comfort = models.comfort(journal_runs)
comfort.fixed

# %%
charts.comfort_heat(journal_runs)

# %% [markdown]
# ## Walk–run progression

# %%
walk_run = models.progression.walk_run(runs)
walk_run.fixed

# %%
charts.walk_run_progression(runs)
