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
import polars as pl

import runlab
from runlab import datasets, metrics

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
# ```python
# cleaned = runlab.read_activity("my_mile.fit").clean()
# runlab.metrics.find_mile_tests(cleaned)
# ```
