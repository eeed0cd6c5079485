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
# # 08 · Weekly reflective review
#
# *"Track progress with a simple metric: average cadence during easy runs and perceived
# ease in moisture-bearing conditions like heat or humidity."* Each week ends with a light
# jog, focused breathing, a recap of the cues and a short mobility sequence — and this
# review.

# %%
from pathlib import Path

import altair as alt
import polars as pl

import runlab
from runlab import charts, datasets, metrics

MY_FILES = []  # your own runs of the weeks to review, e.g. ["~/runs/2026-09-01.fit"]; empty: the sample

_ = alt.renderers.enable("jupyter", offline=True)
sample = datasets.sample()
store = datasets.sample_store()  # runlab.ingest(sample, <cache>/sample-store): incremental
runs = store.select_runs("R04")
weekly = metrics.weekly(runs)
weekly

# %% [markdown]
# Progress metric 1 — average cadence on easy runs, against the target zone. The zone
# comes from a fixed baseline: the cadence of the metronome-free baseline mile (the
# sample runner's first run, before any metronome session; in a clinic with a baseline
# week, week 0). Never the first clinic week: its metronome already adds a little, and
# every later week would be measured against a baseline that moved.

# %%
baseline_mile = runs.filter(pl.col("start_time") == pl.col("start_time").min())
habitual = baseline_mile["cadence_spm"][0]
print(f"fixed baseline: {habitual:.0f} steps/min (baseline mile, "
      f"{baseline_mile['start_time'][0]:%Y-%m-%d})")
charts.weekly_cadence(weekly, target_spm=(habitual * 1.05, habitual * 1.10))

# %% [markdown]
# Progress metric 2 — perceived ease in heat and humidity (comfort and RPE against the
# heat index, from the journal):

# %%
journal = runlab.read_journal(sample / "journal.csv").filter(pl.col("runner_id") == "R04")
runlab.journal.weekly_ease(journal)

# %%
charts.comfort_heat(journal)

# %% [markdown]
# ## Your data
# List your own files of the week(s) in `MY_FILES` (first cell) and run all cells: this cell
# gives the weekly table; `runlab.journal.weekly_ease(journal)` adds your journal's ease.

# %%
(metrics.weekly(pl.concat([runlab.summarize(runlab.read_activity(Path(p).expanduser()))
                            for p in MY_FILES], how="diagonal"))
 if MY_FILES else "MY_FILES is empty: the sample runner's weeks are above")
