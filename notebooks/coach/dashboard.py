# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # runlab coach
#
# Tune one runner's cadence target, log their journal, explore the cohort and build a
# clinic plan. `runlab coach` serves this page with Voila on 127.0.0.1; the data come from
# `RUNLAB_COACH_STORE` (a cohort store from `runlab ingest`) or, without one, a simulated
# demo cohort. Journal entries go to `RUNLAB_COACH_JOURNAL`.

# %%
import os
from pathlib import Path

import altair as alt
import polars as pl

from runlab import datasets, simulate
from runlab.widgets import CadenceTuner, CohortExplorer, JournalForm, PlanBuilder

_ = alt.renderers.enable("jupyter", offline=True)  # vega from vl-convert-python, no CDN

STORE = os.environ.get("RUNLAB_COACH_STORE")
JOURNAL = Path(os.environ.get("RUNLAB_COACH_JOURNAL", "coach-journal.csv"))
EXPORTS = Path(os.environ.get("RUNLAB_COACH_EXPORTS", "coach-exports"))

if STORE:
    from runlab.cohort import Store

    runs = Store(STORE).runs
else:
    demo = datasets.DEMO  # the demo cohort's simulation, held in memory (no files written)
    runs = simulate.cohort(demo["n_runners"], demo["weeks"], tuple(demo["groups"]),
                           seed=demo["seed"]).runs
runner = os.environ.get("RUNLAB_COACH_RUNNER") or runs["runner_id"].sort()[0]
print(f"{runs.height} runs of {runs['runner_id'].n_unique()} runners; tuning {runner}")

# %% [markdown]
# ## Cadence target for one runner
# Pick a pace and a boost; the zone, the step length and the chart follow. *Metronome*
# plays the target; the exports write a watch workout, the click track and a calendar.

# %%
CadenceTuner(runs.filter(pl.col("runner_id") == runner), runner=runner, out_dir=EXPORTS)

# %% [markdown]
# ## Journal
# Perceived tempo, foot strike, comfort and RPE after each session (validated on save).

# %%
JournalForm(JOURNAL, runner)

# %% [markdown]
# ## Cohort

# %%
CohortExplorer(runs)

# %% [markdown]
# ## Plan

# %%
PlanBuilder(runner=runner, out_dir=EXPORTS)
