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
import tempfile
from pathlib import Path

import altair as alt

import runlab
from runlab import charts, datasets, gait, simulate

MY_FILES = []  # your own exports, e.g. ["~/Downloads/my_run.fit"]; empty: the sample runner

_ = alt.renderers.enable("jupyter", offline=True)

sample = datasets.sample()
first_run = (Path(MY_FILES[0]).expanduser() if MY_FILES
             else sorted((sample / "R04").glob("*.fit"))[0])
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

# %% [markdown]
# **Walk or run?** A beginner's brisk walk (up to ~145 steps/min, ~2 m/s) and slow jog (from
# ~128 steps/min) overlap, so `clean` fits a two-state model to each session on everything
# the file holds. How often a second is labelled right, on simulated beginner sessions
# written as files and read back (200 seeds not used for tuning; `benchmarks/validate_gait.py`):
#
# | your file holds | your jog differs from your walk by | seconds right |
# |---|---|---|
# | stance time / vertical oscillation (chest strap, foot pod) | anything, even same cadence and speed | 100 % |
# | speed and cadence (watch) | ≥ 6 steps/min, or ≥ 0.3 m/s | 99–100 % |
# | speed and cadence (watch) | 4 steps/min, same speed, a programme (walk breaks at will) | 99 % (96 %) |
# | speed and cadence (watch) | < 4 steps/min and < 0.2 m/s | 79–81 % |
# | speed and cadence, smart recording | same speed, 6 (8) steps/min | 95 % (99 %) |
# | cadence only (phone steps below) | ≥ 6 steps/min | 99.5 % |
# | cadence only | 4 steps/min, a run–walk programme | 99 % |
# | cadence only | 4 steps/min, walk breaks at will | 96 % (worst session 83 %) |
# | cadence only | 0–2 steps/min | ~77 %: nothing in the file tells them apart |
#
# A whole session at one pace gets one label: running from 137 steps/min, or from 1.95 m/s
# when speed is recorded, is running.

# %%
charts.run_timeline(cleaned, segments, title=f"First session · {first_run.name}")

# %% [markdown]
# The whole run in one row — the summary every later notebook builds on:

# %%
runlab.summarize(activity, runner_id="R04")

# %% [markdown]
# ## No watch? Use your phone
# A phone in your pocket feels every footfall. Record the accelerometer with a free app
# such as phyphox ("Acceleration with g", then export CSV) and runlab finds your steps:
# every step is a jolt, and the time between jolts is your cadence. `R04/phone_pocket.csv`
# is 30 s of the sample runner's easy run, recorded that way (simulated, so we know how many
# steps there really were).

# %%
phone = runlab.read_imu(sample / "R04" / "phone_pocket.csv")
found = gait.steps(phone)
# the sample was written by this call: running it again gives the true step times
truth = simulate.phone_log(Path(tempfile.mkdtemp()) / "phone.csv", **datasets.SAMPLE_PHONE)
print(f"steps found: {found.height}, true steps: {truth.size}")
found.select("bout", "method", "placement", "confidence").unique()

# %% [markdown]
# ### Where to carry the phone
# Any usual place works: runlab finds how the phone moves. Held in front, in a neck pouch,
# a chest or hip pocket or most bags it bumps once a step (`placement` = `"trunk"`); in a
# trouser pocket or a swinging hand it repeats once a stride — one strong and one weak
# bump — and runlab counts two steps a stride (`"limb"`). `confidence` says how regular
# the rhythm was (0–1). On real walks whose steps were counted (Oxford Step Counter data
# set; people whose walks were *not* used to tune the detector), the count was within:
#
# | position | error of the total count |
# |---|---|
# | hand (held in front) | within ±0.6 % (4 walks) |
# | armband | within ±2.9 % (4 walks) |
# | back trouser pocket | within ±2.5 % (4 walks) |
# | front trouser pocket | within ±2.9 % (4 walks) |
# | neck pouch | within ±1.3 % (4 walks) |
# | bag or handbag | within ±2.3 % (4 walks) |
#
# On strangers' walks it is less exact. In WeAllWalk (people never used for tuning: 9
# walkers, sighted or blind with a cane or a guide dog, two iPhones in pockets of their
# choice, indoor routes with turns, doors and short stops) the count came out 0.2 % high on
# average and within ±3 % on 83 of 104 recordings (sighted walkers 34 of 36); one cane
# walker's slow, irregular walking was counted up to 45 % short. Stopping for a moment is
# fine — a second or more of standing still, or turning on the spot, adds no steps — but
# the seconds around pocketing the phone can: start the recording with the phone already
# in place, stop it when you stop, and read the count as ±3–5 %.
#
# Moving the phone mid-walk (pocket to hand, say) is fine: the walk is cut where the phone
# was handled, and each part gets its own `bout`, `placement` and `confidence`.
#
# A loose phone — a coat pocket, a bag bumping on the hip — wobbles on its own; runlab then
# counts from the clicks of the landings instead of the swing (checked on simulated walks
# only). A snug pocket is still the safer place.
#
# On a belt (a sensor on the lower back; 10-m walks with a U-turn, about 30 steps each)
# runlab was within ±3 % on 23 of 50 walks (19 without the gyroscope), 1.8 steps off on
# average: turning round and stopping cost a step or two, so count long walks, not short
# ones. A log that holds the gyroscope too (Sensor Logger's JSON, or a CSV with gyroscope
# columns) lets runlab see the turns.
#
# Those are walks (about 95–130 steps/min). For running, the only counted real runs found
# had the sensor strapped to the thigh, like a snug front trouser pocket (HuGaDB, 8 people
# never used for tuning): 61 of 78 runs within ±3 %, the total within 0.1 %, at 153–199
# steps/min; above about 215 steps/min a stride can be taken for a step. Other places at
# running cadences are checked on simulated signals only: a phone that bounces loose in a
# pocket or bag is the weakest place; an armband or a snug pocket is the safest. Sampling
# must be at least 20 Hz (phyphox records ~100 Hz).

# %% [markdown]
# `step_records` turns the steps into the same records frame a watch gives (cadence only),
# so cleaning, run/walk bouts and summaries work on phone data too (phyphox logs time from
# the start of the recording, so the clock starts at 00:00):

# %%
phone_cleaned = runlab.clean(gait.step_records(found))
gait.segments(phone_cleaned)

# %% [markdown]
# ## Your data
# Export your runs from your watch or app (FIT, TCX, GPX or a platform CSV), list them in
# `MY_FILES` in the first cell and run all cells: the notebook then reads your first file
# above, and this cell describes every file you listed (`runlab info my_run.fit` does the
# same in a terminal). A phone log instead (phyphox, Sensor Logger or any `t, x, y, z`
# CSV): `runlab.gait.steps(runlab.read_imu("my_phone.csv"))`.

# %%
for path in MY_FILES:
    mine = runlab.read_activity(Path(path).expanduser())
    print(path, "→", runlab.summarize(mine).select("start_time", "distance_m", "moving_s",
                                                   "cadence_spm").row(0, named=True))
