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
# # Real watch files: one run in three formats, cleaned, segmented and summarized
#
# The simulated data of the other notebooks is clean by construction; real files are not.
# This notebook reads real files from runlab's test corpus (a `shared/corpus` folder beside the checkout, files from
# devices and other projects' test suites; set `RUNLAB_CORPUS` to point elsewhere). Without
# the corpus it falls back to the sample runner's files so it still runs.
#
# Cadence units are the field's most common bug: the same run exported as FIT (strides/min),
# TCX (`RunCadence`, per leg) and GPX (`cad`, writer-dependent) must give the same steps/min.
# `read` gives what each file holds (a GPX has no distance column: `distance_m` is null);
# `clean` derives distance and speed from the positions where a file has none and flags it
# (`distance_derived`, `speed_derived`).

# %%
import os
import warnings
from pathlib import Path

import altair as alt
import polars as pl

import runlab
from runlab import charts, datasets, gait, metrics
from runlab.errors import DataRepairWarning

_ = alt.renderers.enable("jupyter", offline=True)
corpus = Path(os.environ.get("RUNLAB_CORPUS", Path.cwd().parents[2] / "shared" / "corpus"))
if (corpus / "MANIFEST.tsv").exists():
    same_run = [corpus / "files" / d / f"hns__testdata.{d}" for d in ("fit", "tcx", "gpx")]
    long_run = corpus / "files/fit/runpandas__run.fit"
else:  # no corpus: the sample runner's files
    sample = datasets.sample()
    same_run = [sample / "R04" / "2026-06-12_2.gpx", sample / "R04" / "2026-06-14_3.fit"]
    long_run = sample / "R04" / "2026-07-08_1.fit"

pl.concat([
    runlab.read_activity(path).clean().select(
        pl.lit(path.name).alias("file"), pl.len().alias("samples"),
        pl.col("cadence_spm").mean().alias("cadence_spm"),
        pl.col("heart_rate_bpm").mean().alias("heart_rate_bpm"),
        pl.col("distance_m").max().alias("distance_m"),
        pl.col("distance_derived").any().alias("distance_derived"))
    for path in same_run
])

# %% [markdown]
# ## From a watch file to what a coach talks about
# A longer run with walk breaks: clean it (what was repaired is reported as warnings and
# flag columns), find its walk/run bouts, and summarize it as one row.

# %%
act = runlab.read_activity(long_run)
with warnings.catch_warnings(record=True) as repairs:
    warnings.simplefilter("always", DataRepairWarning)
    cleaned = act.clean()
print(act)
[str(w.message) for w in repairs]

# %%
segments = gait.segments(cleaned)
segments.head(10)

# %%
gait.walk_run_pattern(cleaned)

# %%
runlab.summarize(act, runner_id="corpus").transpose(include_header=True,
                                                    column_names=["value"])

# %%
metrics.find_mile_tests(cleaned)

# %%
charts.run_timeline(cleaned, segments, title=f"{long_run.name}: cadence, speed and gait")
