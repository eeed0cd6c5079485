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
# # 07 · Fatigue signals and form
#
# *"Listen for fatigue signals that alter form, then pause to reassess cadence and foot
# placement."* When form fades, cadence drops and steps get longer at the same speed —
# heel-first landings creep back. runlab compares the last third of a run with the first
# third **at matched speed**, so a slower finish is not mistaken for a form change.

# %%
from pathlib import Path

import altair as alt
import polars as pl

import runlab
from runlab import charts, datasets, metrics

MY_FILES = []  # your own long runs, e.g. ["~/runs/2026-09-01.fit"]; empty: the sample

_ = alt.renderers.enable("jupyter", offline=True)
sample = datasets.sample()
store = datasets.sample_store()  # runlab.ingest(sample, <cache>/sample-store): incremental
runs = store.select_runs("R04")
runs.select("start_time", "moving_s", "cadence_spm", "cadence_drift_spm",
            "step_length_drift_m").sort("cadence_drift_spm").head(6)

# %%
alt.Chart(runs.select("start_time", "cadence_drift_spm", "moving_s")).mark_circle(size=60).encode(
    x=alt.X("start_time:T", title="Date"),
    y=alt.Y("cadence_drift_spm:Q", title="Cadence drift, last vs first third [steps/min]"),
    size=alt.Size("moving_s:Q", title="Moving time [s]"),
    tooltip=["start_time:T", "cadence_drift_spm:Q"],
).properties(title="Fatigue signal: cadence drift at matched speed", width=560)

# %% [markdown]
# The run with the largest drop, second by second:

# %%
worst = runs.sort("cadence_drift_spm").row(0, named=True)
cleaned = store.scan_records(worst["runner_id"]).filter(
    pl.col("timestamp") >= worst["start_time"]).filter(
    pl.col("timestamp") <= worst["end_time"]).collect()
metrics.cadence_drift(cleaned)

# %%
charts.run_timeline(cleaned, title="Where form faded")

# %% [markdown]
# Reset cues when it happens: relax the jaw, soften the face, unwind the neck; a short
# planned pause, then back to quick light steps under the body.
#
# ## Your data
# List your own long-run files in `MY_FILES` (first cell) and run all cells: this cell gives
# each run's cadence and step-length drift from its first to its last part.

# %%
(pl.concat([metrics.cadence_drift(runlab.read_activity(Path(p).expanduser()).clean())
            .with_columns(pl.lit(str(p)).alias("file")) for p in MY_FILES], how="diagonal")
 if MY_FILES else "MY_FILES is empty: the sample runner's long run is above")
