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
# # 02 · Cadence and foot strike
#
# Land under your body with a light, quick step — midfoot rather than a heavy heel strike.
# The clinic asks you to journal three things after every session: **perceived tempo**,
# **foot strike** and **comfort**. Here we put that journal next to the cadence your watch
# measured.

# %%
from pathlib import Path

import altair as alt
import polars as pl

import runlab
from runlab import charts, datasets

MY_FILES = []  # your own runs (pace, cadence, step length), e.g. ["~/runs/2026-09-01.fit"]; empty: the sample

_ = alt.renderers.enable("jupyter", offline=True)
sample = datasets.sample()
store = datasets.sample_store()  # runlab.ingest(sample, <cache>/sample-store): incremental
runs = store.select_runs("R04")
journal = runlab.read_journal(sample / "journal.csv").filter(pl.col("runner_id") == "R04")
linked = runlab.journal.attach(runs, journal, tz="Europe/Amsterdam")  # by date and time
sessions = linked.join(runs, on=["run_id", "runner_id"], how="inner")
sessions.select("date", "cadence_spm", "speed_mps", "perceived_tempo", "foot_strike",
                "comfort").head()

# %% [markdown]
# How foot strike shifted over the weeks, as the runner journaled it:

# %%
(journal.with_columns(((pl.col("date") - pl.col("date").min()).dt.total_days() // 7 + 1)
                      .alias("week"))
 .group_by("week", "foot_strike").len().sort("week")
 .pivot(on="foot_strike", index="week", values="len").fill_null(0))

# %%
charts.journal_calendar(journal, "comfort")

# %% [markdown]
# And the watch's side of the story — average running cadence on easy runs, week by week:

# %%
charts.weekly_cadence(runlab.metrics.weekly(runs))

# %% [markdown]
# ## Your data
# List your own run files in `MY_FILES` (first cell) and run all cells: this cell gives each
# run's pace, cadence and step length. Add a journal with `runlab.read_journal("journal.csv")`
# and `runlab.journal.attach(runs, journal)` (or the journal form in notebook 06).

# %%
(pl.concat([runlab.summarize(runlab.read_activity(Path(p).expanduser())) for p in MY_FILES],
           how="diagonal").select("start_time", "distance_m", "speed_mps", "cadence_spm",
                                  "step_length_m")
 if MY_FILES else "MY_FILES is empty: the sample runner's runs are above")
