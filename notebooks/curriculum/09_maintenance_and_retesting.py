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
# # 09 · Maintenance and re-testing
#
# *"Design a rotating schedule that revisits foot strike, cadence, and stride mechanics every
# few weeks, with explicit goals for each phase. Include baseline testing to measure
# progress."* `runlab.plan.maintenance` rotates the three phases, opens each with a
# baseline comfortable mile, and exports to your calendar.

# %%
from pathlib import Path

import polars as pl

import runlab
from runlab import datasets, metrics, plan

MY_FILES = []  # your own retest mile, e.g. ["~/runs/retest.fit"]; empty: the sample runner

sample = datasets.sample()
last_test = metrics.find_mile_tests(runlab.read_activity(sample / "R04" / "2026-07-15_1.fit").clean())
target = float(last_test["cadence_spm"][0])
keep = plan.maintenance("2026-08-03", weeks=12, runner="R04", phase_weeks=4,
                        target_cadence=round(target))
keep.select("date", "phase", "session_type", "description", "cadence_target_spm").head(10)

# %%
keep.group_by("phase", maintain_order=True).agg(
    pl.len().alias("sessions"), pl.col("date").min().alias("from"),
    pl.col("date").max().alias("to"))

# %% [markdown]
# The plan as a calendar (RFC 5545, opens in any calendar app):

# %%
ics = plan.to_ics(keep)
print(ics[:600])

# %% [markdown]
# Re-testing: compare every baseline test so far (weeks 1 and 10 of the clinic for the
# sample runners):

# %%
tests = []
for path in sorted(sample.glob("R0*/*.*")):
    if path.suffix not in {".fit", ".tcx"}:
        continue
    mile = metrics.find_mile_tests(runlab.read_activity(path).clean())
    if mile.height and path.parent.name != "R04":
        tests.append(mile.with_columns(pl.lit(path.parent.name).alias("runner_id"),
                                       pl.lit(path.name[:10]).alias("date")))
pl.concat(tests).select("runner_id", "date", "mile_time_s", "cadence_spm", "step_length_m")

# %% [markdown]
# ## Your data
# List your retest file(s) in `MY_FILES` (first cell) and run all cells: this cell finds the
# comfortable mile in each and a 12-week maintenance plan at its cadence. From the shell,
# `runlab plan --start 2026-09-01 --weeks 12 --cadence 168 --out my-plan/` writes the plan as
# CSV and ICS, a FIT workout per session and metronome WAVs.

# %%
my_tests = pl.concat([metrics.find_mile_tests(runlab.read_activity(Path(p).expanduser()).clean())
                      for p in MY_FILES], how="diagonal") if MY_FILES else pl.DataFrame()
(plan.maintenance("2026-09-01", weeks=12, runner="me", phase_weeks=4,
                  target_cadence=round(float(my_tests["cadence_spm"][-1])))
 .select("date", "phase", "session_type", "description", "cadence_target_spm")
 if my_tests.height else "No mile found in MY_FILES (or it is empty): the sample's plan is above")
