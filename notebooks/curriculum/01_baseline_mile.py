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
# # 01 · Baseline mile test
#
# The clinic starts (and each phase ends) with a **baseline test**: a comfortable mile with
# cadence data and perceived exertion. Not a race — a pace you could hold while talking.
# runlab finds the first continuous mile of steady running in the file and reports its
# time, cadence and step length; the journal gives the RPE.

# %%
from pathlib import Path

import polars as pl

import runlab
from runlab import datasets, metrics

MY_FILES = []  # your own baseline-test files, e.g. ["my_mile.fit"]; empty: the sample runner

sample = datasets.sample()
journal = runlab.read_journal(sample / "journal.csv")
week1 = sample / "R04" / "2026-05-13_1.fit"  # the clinic's first baseline test...
week10 = sample / "R04" / "2026-07-15_1.fit"  # ...and its last, ten weeks later

tests = pl.concat([
    metrics.find_mile_tests(runlab.read_activity(path).clean()).with_columns(
        pl.lit(path.name).alias("file")) for path in (week1, week10)
])
tests.select("file", "mile_time_s", "speed_mps", "cadence_spm", "step_length_m",
             "heart_rate_bpm")

# %% [markdown]
# Perceived exertion on those days (RPE 0–10, from the journal):

# %%
days = pl.Series([p.name[:10] for p in (week1, week10)]).str.to_date()
journal.filter((pl.col("runner_id") == "R04") & pl.col("date").is_in(days.implode())).select(
    "date", "rpe", "comfort", "foot_strike")

# %% [markdown]
# Same comfortable effort, more steps per minute and a shorter step: the retraining
# worked without the runner speeding up. Baseline tests of five more runners are in
# `data/R01`…`R06`.

# %% [markdown]
# ## Your data
# List your own baseline-test files in `MY_FILES` (first cell) and run all cells: this cell
# looks for the mile in each of them. When a file has none, runlab says why (too short,
# walk breaks, pace too uneven).

# %%
pl.concat([metrics.find_mile_tests(runlab.read_activity(Path(p).expanduser()).clean())
           .with_columns(pl.lit(str(p)).alias("file")) for p in MY_FILES], how="diagonal") \
    if MY_FILES else "MY_FILES is empty: the sample runner's tests are above"
