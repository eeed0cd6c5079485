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
# # 04 · Walk–run progressions
#
# *"Start with a 1:1 walk-to-run ratio to coach rhythm before transitioning to 2:1 and 3:1
# patterns as comfort grows."* runlab measures the pattern you actually ran from cadence
# (running above ~140 steps/min, walking below ~130, with hysteresis so one noisy second does
# not flip the state) and recognises 1:1, 2:1, 3:1 and continuous running.

# %%
import altair as alt
import polars as pl

import runlab
from runlab import charts, datasets, gait

_ = alt.renderers.enable("jupyter", offline=True)
sample = datasets.sample()
store = datasets.sample_store()  # runlab.ingest(sample, <cache>/sample-store): incremental
runs = store.select_runs("R04")
runs.select("start_time", "walk_run_pattern", "run_walk_ratio", "run_s", "walk_s").head(12)

# %%
charts.walk_run_progression(runs)

# %% [markdown]
# One session up close: the intervals of an early easy run/walk.

# %%
session = runlab.read_activity(sample / "R04" / "2026-05-17_3.fit").clean()
gait.walk_run_pattern(session)

# %%
charts.run_timeline(session, gait.segments(session), title="Easy run/walk, week 1 (1:1)")

# %% [markdown]
# ## Your data
# `runlab.gait.walk_run_pattern(runlab.read_activity("my_run.fit").clean())`
