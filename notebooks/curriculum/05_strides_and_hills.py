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
# # 05 · Strides and hills
#
# Technique days add **30-second strides** on a measured path — quick, light, relaxed, to
# reinforce timing and hip extension — and later **short hill reps**: stay tall, lean
# slightly from the ankles, quick light steps on the way up, relaxed and controlled on the
# way down. runlab finds both in the file, with cadence and step length on each.

# %%
from pathlib import Path

import altair as alt
import polars as pl

import runlab
from runlab import charts, datasets, gait

MY_FILES = []  # your own runs with strides or hill reps, e.g. ["~/runs/2026-09-01.fit"]; empty: the sample

_ = alt.renderers.enable("jupyter", offline=True)
sample = datasets.sample()
strides_day = runlab.read_activity(sample / "R04" / "2026-06-26_2.fit").clean()
strides = gait.strides(strides_day)
strides

# %%
charts.run_timeline(strides_day, gait.segments(strides_day), strides=strides,
                    title="Technique day: 30-s strides")

# %% [markdown]
# A stride counts when more than the speed says so: the step rate rises with it, or — in a
# GPS-only file without cadence — it is one of a set of four or more alike, with easy
# recoveries between. A single surge of GPS speed, running down a descent, or a long fast
# finish is not a stride; a short finishing sprint, with the step rate up, is
# (`set_size` says how many strides its set has).
#
# Hill reps: repeated climbs of the same hill. A climb is a rep when it is one of three or
# more climbs from the same foot to the same top — at the same place when the file has GPS
# — each within 5 minutes of the last, so rolling terrain (different hills) gives none.

# %%
hill_day = runlab.read_activity(sample / "R04" / "2026-06-19_2.fit").clean()
hills = gait.hills(hill_day)
hills

# %%
charts.run_timeline(hill_day, gait.segments(hill_day), hills=hills,
                    title="Hill reps: cadence up the hill")

# %% [markdown]
# ## Your data
# List your own files in `MY_FILES` (first cell) and run all cells: this cell counts the
# strides and hill reps runlab finds in each run (`gait.strides(cleaned)` and
# `gait.hills(cleaned)` list them one by one). On real watch files labelled by hand
# (`benchmarks/smart_recording_efforts.py`): run hill reps 67 of 67 and sprints 41 of 43
# on one trail runner's files (looked at while tuning); 5 of 10 10-s sprints on another
# runner's unseen files (sprints whose cadence barely rises are missed); laps of a loop,
# track intervals and walked climbs are not counted.

# %%
(pl.concat([runlab.summarize(runlab.read_activity(Path(p).expanduser())) for p in MY_FILES],
           how="diagonal").select("start_time", "strides", "hill_reps")
 if MY_FILES else "MY_FILES is empty: the sample runner's strides and hills are above")
