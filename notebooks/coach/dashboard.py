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
# The page opens on the squad; each other tab is built the first time it is shown, so the
# page opens in seconds.

# %%
import os
import sys
from pathlib import Path

import ipywidgets as widgets
import polars as pl

from runlab import datasets
from runlab.cohort import Store
from runlab.widgets import CadenceTuner, CohortExplorer, JournalForm, PlanBuilder, SquadOverview

# jsonschema (under altair) compiles an IRI grammar when rfc3987-syntax is installed, about
# 2 s at import (python-jsonschema/jsonschema#1392); altair's Vega-Lite schema has no IRI
# formats, so this kernel goes without that checker and the tuner opens 2 s sooner.
sys.modules.setdefault("rfc3987_syntax", None)

STORE = os.environ.get("RUNLAB_COACH_STORE")
JOURNAL = Path(os.environ.get("RUNLAB_COACH_JOURNAL", "coach-journal.csv"))
EXPORTS = Path(os.environ.get("RUNLAB_COACH_EXPORTS", "coach-exports"))

store = Store(STORE) if STORE else datasets.demo_store()  # cached: opened, not simulated
runs = store.runs
runner = os.environ.get("RUNLAB_COACH_RUNNER") or runs["runner_id"].sort()[0]
print(f"{runs.height} runs of {runs['runner_id'].n_unique()} runners; the tuner opens on {runner}")

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
current = {"runner": runner}
TITLES = ["Squad", "Tuner", "Journal", "Cohort", "Plan"]


def placeholder(title: str) -> widgets.HTML:
    return widgets.HTML(f"<i>Opening the {title.lower()}…</i>")


def build(index: int) -> None:
    """Build a tab the first time it is shown, for the current runner (the plan follows
    the tuner, so it builds the tuner first)."""
    box = tabs.children[index]
    if index == 0 or not isinstance(box.children[0], widgets.HTML):
        return
    name = current["runner"]
    if index == 1:
        made = CadenceTuner(runs.filter(pl.col("runner_id") == name), runner=name,
                            out_dir=EXPORTS)
    elif index == 2:
        made = JournalForm(JOURNAL, name)
    elif index == 3:
        made = CohortExplorer(runs)
    else:
        build(1)
        made = PlanBuilder(runner=name, out_dir=EXPORTS).follow(tabs.children[1].children[0])
    box.children = [made]


def open_runner(name: str) -> None:
    """The squad's *open runner*: the tuner, journal and plan of ``name``."""
    current["runner"] = name
    for i in (1, 2, 4):
        tabs.children[i].children = [placeholder(TITLES[i])]
    if tabs.selected_index == 1:
        build(1)
    tabs.selected_index = 1  # built by the observer below


squad = SquadOverview(store, on_select=open_runner)
tabs.children = [squad] + [widgets.VBox([placeholder(t)]) for t in TITLES[1:]]
for i, title in enumerate(TITLES):
    tabs.set_title(i, title)
tabs.observe(lambda change: build(change["new"]), "selected_index")
widgets.VBox([STYLE, tabs])
