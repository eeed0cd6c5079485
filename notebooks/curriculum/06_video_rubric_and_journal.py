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
# # 06 · Video rubric and journal
#
# *"Record short clips after warm-up, focusing on foot strike, knee alignment and hip
# extension. Provide a simple rubric: cadence consistency, landing quietness, and upright
# posture."* Score each 1–5, with the clinic's cues in mind: **quiet feet**, **soft knees**,
# **gentle arm swing**. Scores go into the same journal as your sessions, so they can be
# charted against cadence.

# %%
import shutil
import tempfile
from pathlib import Path

import altair as alt
import polars as pl

import runlab
from runlab import charts, datasets, gait, simulate, widgets

_ = alt.renderers.enable("jupyter", offline=True)
sample = datasets.sample()
journal = runlab.read_journal(sample / "journal.csv").filter(pl.col("runner_id") == "R04")
scored = journal.drop_nulls("rubric_landing_quietness")
scored.select("date", "rubric_cadence_consistency", "rubric_landing_quietness",
              "rubric_upright_posture", "foot_strike")

# %%
charts.journal_calendar(journal, "rubric_landing_quietness")

# %% [markdown]
# ## Journal a session
# The form validates every field and appends atomically: a crash or a second writer at the
# same moment never corrupts earlier entries. (Here it writes to a scratch copy of the
# sample journal.)

# %%
scratch = Path(tempfile.mkdtemp()) / "journal.csv"
shutil.copy(sample / "journal.csv", scratch)
form = widgets.JournalForm(scratch, runner="R04")
form

# %% [markdown]
# ## Score a clip
# `RubricScorer` plays the clip and saves the three scores to the journal. The sample has
# a short week-6 clip of R04 (simulated: a dot bouncing once per footfall, with the sound).

# %%
clip = sample / "R04" / "clip_week6.mp4"
scorer = widgets.RubricScorer(clip, scratch, runner="R04")
scorer

# %% [markdown]
# ## Listen to the landings
# The soundtrack gives a number for "quiet feet": `gait.footfalls` finds every footfall and
# its loudness (dB relative to the loudest sound the phone can record). Compare clips
# recorded the same way — same phone, same distance. Here the week-6 clip is compared with
# a louder, slower week-1 clip made by `runlab.simulate` for the comparison.

# %%
week1 = scratch.with_name("clip_week1.mp4")
simulate.footfall_clip(week1, spm=168, seconds=4, loudness_db=-8, seed=1)
pl.concat([gait.footfall_summary(gait.footfalls(runlab.read_audio(path)))
           .insert_column(0, pl.lit(path.name).alias("clip"))
           for path in (week1, clip)])

# %% [markdown]
# ## Your data
# ```python
# runlab.widgets.JournalForm("my_journal.csv", runner="me")
# runlab.widgets.RubricScorer("after_warmup.mp4", "my_journal.csv", runner="me")
# runlab.gait.footfall_summary(runlab.gait.footfalls(runlab.read_audio("after_warmup.mp4")))
# ```
