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
# # 03 · Your target cadence zone and a metronome
#
# *"Establish a target cadence zone aligned with pace and height, then track changes using a
# simple metronome."* The zone starts from **your own** cadence at your easy pace (runners
# differ by ~8 steps/min at the same speed, so one number for everyone does not work) and
# adds a modest boost: +5 % to +10 % (Heiderscheit et al., 2011).
#
# ### Why cadence?
# At the same pace, more steps per minute means shorter steps, and every step then lands
# with less load. Heiderscheit et al. (2011, *Med Sci Sports Exerc* 43(2):296–302,
# doi:10.1249/MSS.0b013e3181ebedf4) had 45 recreational runners run at their usual pace
# with their usual cadence and with it raised by 5 % and 10 %: at +5 % the energy absorbed
# at the knee per step fell, at +10 % the hip's load fell as well, and the foot landed
# closer under the body. A small change is enough, it costs no speed, and
# it can be learned with a metronome; it is a change of load per step, not a promise
# against injury (the study measured mechanics, not injuries).

# %%
import altair as alt
import polars as pl
from IPython.display import Audio, display

import runlab
from runlab import charts, cues, datasets, models

MY_FILES = []  # your own runs, for your own zone, e.g. ["~/runs/2026-09-01.fit"]; empty: the sample

_ = alt.renderers.enable("jupyter", offline=True)
sample = datasets.sample()
store = datasets.sample_store()  # runlab.ingest(sample, <cache>/sample-store): incremental
runs = store.select_runs("R04")
# the habitual cadence comes from metronome-free runs only: here the baseline mile that
# opens the clinic (the runner's first run); the clinic's first weeks are already boosted
baseline = runs.filter(pl.col("start_time") == pl.col("start_time").min())
zone = models.cadence_zone(baseline, speed_mps=2.5, boost=(0.05, 0.10), height_m=1.75)
print(zone.explanation)
zone.to_frame()

# %%
charts.cadence_speed(baseline, "R04", boost=(0.05, 0.10))

# %% [markdown]
# ## The metronome
# A click on every step at the bottom of the zone, with an accent every 4 steps. The ramp
# starts at your habitual cadence and eases up to the target over the first minute.

# %%
click = cues.metronome(zone.target_low_spm, seconds=90, accent_every=4,
                       ramp_from_spm=zone.habitual_spm, ramp_s=60)
display(Audio(click.samples, rate=click.sample_rate))
print(f"{click.spm:.0f} steps/min after a ramp from {zone.habitual_spm:.0f}")

# %% [markdown]
# ## Take it to your watch
# The next technique session as a watch workout (FIT) with the cadence zone as its target;
# copy it to your watch's `NewFiles` folder (Garmin) or import it in your app.

# %%
import tempfile
from pathlib import Path

plan = runlab.plan.clinic("2026-08-03", weeks=2, runner="R04",
                          habitual_cadence_spm=zone.habitual_spm, boost=0.05)
technique = plan.filter(pl.col("session_type") == "technique").row(0, named=True)
out = Path(tempfile.mkdtemp())
workout = cues.fit_workout(technique, out / "technique.fit")
click.save(out / "metronome.wav")
sorted(p.name for p in out.iterdir())

# %% [markdown]
# ## Your data
# List your own easy-run files in `MY_FILES` (first cell) and run all cells: this cell gives
# your zone at 2.6 m/s (change `speed_mps` to your easy pace). With fewer than 10 runs your
# line is pulled toward the novice population line. A metronome for it:
# `cues.metronome(zone.target_low_spm, seconds=600).save("metronome.wav")`.

# %%
(models.cadence_zone(pl.concat([runlab.summarize(runlab.read_activity(Path(p).expanduser()))
                                 for p in MY_FILES], how="diagonal"), speed_mps=2.6)
 if MY_FILES else "MY_FILES is empty: the sample runner's zone is above")
