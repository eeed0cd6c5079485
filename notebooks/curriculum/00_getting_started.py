# %% [markdown]
# # 00 · Getting started: load your watch file
#
# Welcome to the run-technique clinic. Over the next weeks you will work on foot strike,
# cadence (steps per minute) and stride, with short drills, walk–run progressions, strides
# and hills, a journal and a little video. These notebooks turn what your watch records
# into the numbers the clinic talks about.
#
# We start with the sample runner **R04** (simulated, 10 weeks of the clinic; see
# `data/README.md`). At the end of every notebook a *your data* cell shows how to do the
# same with your own files.

# %%
import altair as alt

import runlab
from runlab import charts, datasets, gait

_ = alt.renderers.enable("jupyter", offline=True)

sample = datasets.sample()
first_run = sorted((sample / "R04").glob("*.fit"))[0]
activity = runlab.read_activity(first_run)
activity

# %% [markdown]
# Every reader returns the same **records** frame: one row per sample, units in the column
# names (`speed_mps`, `cadence_spm` in steps per minute for both feet, `heart_rate_bpm`...).

# %%
activity.records.head()

# %% [markdown]
# `clean` marks pauses, removes spikes (flagged, not hidden), repairs cadence units when a
# device doubled or halved them, and labels every second as run, walk or stop.

# %%
cleaned = activity.clean()
segments = gait.segments(cleaned)
segments

# %%
charts.run_timeline(cleaned, segments, title=f"First session · {first_run.name}")

# %% [markdown]
# The whole run in one row — the summary every later notebook builds on:

# %%
runlab.summarize(activity, runner_id="R04")

# %% [markdown]
# ## Your data
# Export your run from your watch or app (FIT, TCX, GPX or a platform CSV) and point runlab at it:
# ```python
# activity = runlab.read_activity("my_run.fit")    # format found from the content
# cleaned = activity.clean()
# runlab.summarize(activity)
# ```
# From a terminal: `runlab info my_run.fit`.
