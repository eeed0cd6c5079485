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
# patterns as comfort grows."* runlab measures the pattern you actually ran: `clean` finds
# your session's own walking and running (a two-state model on cadence, and speed and
# running dynamics when the file has them; a noisy second does not flip the state, and the
# session's own bout lengths — your programme's intervals — keep a walk break from being
# swallowed into a run) and recognises 1:1, 2:1, 3:1 and continuous running.

# %%
from pathlib import Path

import altair as alt
import polars as pl

import runlab
from runlab import charts, datasets, gait

MY_FILES = []  # your own walk–run sessions, e.g. ["~/runs/2026-09-01.fit"]; empty: the sample

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
# List your own walk–run files in `MY_FILES` (first cell) and run all cells: this cell finds
# the run:walk pattern of each session.

# %%
(pl.concat([gait.walk_run_pattern(runlab.read_activity(Path(p).expanduser()).clean())
            .with_columns(pl.lit(str(p)).alias("file")) for p in MY_FILES], how="diagonal")
 if MY_FILES else "MY_FILES is empty: the sample runner's sessions are above")
