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
import altair as alt

import runlab
from runlab import charts, datasets, gait

_ = alt.renderers.enable("jupyter", offline=True)
sample = datasets.sample()
strides_day = runlab.read_activity(sample / "R04" / "2026-06-26_2.fit").clean()
strides = gait.strides(strides_day)
strides

# %%
charts.run_timeline(strides_day, gait.segments(strides_day), strides=strides,
                    title="Technique day: 30-s strides")

# %% [markdown]
# Hill reps: repeated climbs from the same spot.

# %%
hill_day = runlab.read_activity(sample / "R04" / "2026-06-19_2.fit").clean()
hills = gait.hills(hill_day)
hills

# %%
charts.run_timeline(hill_day, gait.segments(hill_day), hills=hills,
                    title="Hill reps: cadence up the hill")

# %% [markdown]
# ## Your data
# `gait.strides(cleaned)` and `gait.hills(cleaned)` on any cleaned run.
