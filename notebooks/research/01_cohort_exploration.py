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
# # Cohort exploration
#
# A sport scientist's first look at a cohort: what was ingested, what failed and why,
# who the runners are, and how cadence relates to speed across everyone.
#
# The demo cohort is simulated with known truth (`runlab.simulate`, see `docs/science.md`): two
# groups — control, and cadence retraining toward +7.5 % — followed for 12 weeks. It is written
# as real FIT/TCX/GPX files and a journal, then ingested like any folder of exports.
# Point `runlab.ingest` at your own folder (`<root>/<runner_id>/<files>`) to do the same.

# %%
import altair as alt
import polars as pl

import runlab
from runlab import charts, datasets

_ = alt.renderers.enable("jupyter", offline=True)

store = datasets.demo_store()  # runlab.ingest(datasets.demo_cohort(), ...) — cached, incremental
runs = datasets.demo_runs()  # store.runs joined with the runners table (group, height) and week
store

# %% [markdown]
# ## What landed, what did not
# Every input file is either a run or an error row; nothing is dropped silently.

# %%
print(f"{runs.height} runs from {runs['runner_id'].n_unique()} runners; "
      f"{store.errors.height} files in the error table")
store.errors.group_by("error_type").agg(pl.len().alias("files")).sort("files", descending=True)

# %%
runs.group_by("group").agg(
    pl.col("runner_id").n_unique().alias("runners"),
    pl.len().alias("runs"),
    (pl.col("distance_m").sum() / 1000).round(0).alias("distance_km"),
    pl.col("cadence_spm").mean().round(1).alias("mean_cadence_spm"),
).sort("group")

# %% [markdown]
# ## Cadence and speed across the cohort
# Each runner has their own line (between-runner SD ≈ 8 spm at a given speed); the
# population line is van Oeveren et al. (2019): spm ≈ 150.0 + 6.01·v.

# %%
charts.cadence_speed(runs)

# %%
charts.weekly_cadence(runlab.metrics.weekly(runs))

# %% [markdown]
# ## Your data
# ```python
# store = runlab.ingest("path/to/exports/", "my-store/")   # folder, bulk-export zip or list
# store.runs, store.errors, store.journal, store.records    # records is a LazyFrame
# ```
