# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # runlab coach
#
# The squad at a glance, one runner's cadence target, their journal, the cohort and a
# clinic plan. `runlab coach` serves this page with Voila on 127.0.0.1; the data come from
# `RUNLAB_COACH_STORE` (a cohort store from `runlab ingest`) or the demo store, built once
# into runlab's cache (`runlab.datasets.demo_store`) and only opened here. Journal entries go
# to `RUNLAB_COACH_JOURNAL`. Paces are per km or per mile (`RUNLAB_UNITS` or the locale).

# %%
import os
from pathlib import Path

import altair as alt
import ipywidgets as widgets
import polars as pl

from runlab import datasets
from runlab.cohort import Store
from runlab.widgets import CadenceTuner, CohortExplorer, JournalForm, PlanBuilder, SquadOverview

_ = alt.renderers.enable("jupyter", offline=True)  # vega from vl-convert-python, no CDN

STORE = os.environ.get("RUNLAB_COACH_STORE")
JOURNAL = Path(os.environ.get("RUNLAB_COACH_JOURNAL", "coach-journal.csv"))
EXPORTS = Path(os.environ.get("RUNLAB_COACH_EXPORTS", "coach-exports"))

store = Store(STORE) if STORE else datasets.demo_store()  # cached: opened, not simulated
runs = store.runs
runner = os.environ.get("RUNLAB_COACH_RUNNER") or runs["runner_id"].sort()[0]
print(f"{runs.height} runs of {runs['runner_id'].n_unique()} runners; tuning {runner}")

# %% [markdown]
# Squad: one row per runner (sort by any column; *open runner* tunes them). Tuner: pick a
# pace and a boost; the band, the marker and the text show the same target zone. Journal:
# comfort and RPE are required. Plan: starts from the tuned runner's habitual cadence.

# %%
STYLE = widgets.HTML("""<style>
.runlab-table { border-collapse: collapse; font-size: 0.9em; }
.runlab-table th, .runlab-table td { padding: 2px 6px; border-bottom: 1px solid #ddd;
  text-align: right; white-space: nowrap; }
.runlab-table td:first-child, .runlab-table th:first-child { text-align: left; }
.runlab-squad-table, .runlab-plan-table { max-width: 100%; overflow: auto; }
.runlab-error { color: #b00020; } .runlab-ok { color: #2f7d32; } .runlab-flag { color: #b00020; }
.jp-OutputArea-output, .widget-tab, .widget-vbox, .widget-hbox { max-width: 100%; min-width: 0; }
.widget-slider, .widget-dropdown, .widget-text, .widget-textarea, .widget-datepicker {
  max-width: 100%; }
.runlab-chart, .runlab-chart .vega-embed { max-width: 100%; overflow-x: auto; }
@media (max-width: 600px) { #rendered_cells { padding: 0 !important; }
  #rendered_cells > div { padding: 1ex !important; } body { overflow-x: hidden; } }
</style>""")

tabs = widgets.Tab()


def panels(name: str) -> list:
    """The tuner, journal and plan of one runner (the plan follows the tuner)."""
    tuner = CadenceTuner(runs.filter(pl.col("runner_id") == name), runner=name,
                         out_dir=EXPORTS)
    plan = PlanBuilder(runner=name, out_dir=EXPORTS).follow(tuner)
    return [tuner, JournalForm(JOURNAL, name), plan]


def open_runner(name: str) -> None:
    tuner, journal, plan = panels(name)
    tabs.children = [squad, tuner, journal, cohort, plan]
    tabs.selected_index = 1


squad = SquadOverview(store, on_select=open_runner)
cohort = widgets.VBox()  # the cohort explorer is built when its tab is first opened


def build_cohort(change) -> None:
    if change["new"] == 3 and not cohort.children:
        cohort.children = [CohortExplorer(runs)]


tabs.observe(build_cohort, "selected_index")
tuner, journal, plan = panels(runner)
tabs.children = [squad, tuner, journal, cohort, plan]
for i, title in enumerate(["Squad", "Tuner", "Journal", "Cohort", "Plan"]):
    tabs.set_title(i, title)
widgets.VBox([STYLE, tabs])
