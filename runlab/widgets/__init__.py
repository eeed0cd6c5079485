"""Interactive ipywidgets apps for coaches and students, each usable in one line::

    from runlab.widgets import CadenceTuner, CohortExplorer, JournalForm, PlanBuilder
    CadenceTuner(store.runs.filter(pl.col("runner_id") == "r007"))
    JournalForm("journal.csv", runner="r007")

Every widget is an ``ipywidgets.VBox`` built on library functions (models, plan, cues,
journal, charts); controls and outputs carry stable ``runlab-*`` CSS classes, and each
records the duration of its updates in ``timings_s`` (``benchmarks/widgets.py``).
Charts render offline (altair's ``jupyter`` renderer with vl-convert's vega bundle).
"""

from __future__ import annotations

from runlab.widgets.cadence_tuner import CadenceTuner
from runlab.widgets.cohort_explorer import CohortExplorer
from runlab.widgets.journal_form import JournalForm
from runlab.widgets.plan_builder import PlanBuilder
from runlab.widgets.rubric_scorer import RubricScorer
from runlab.widgets.squad import SquadOverview

__all__ = ["CadenceTuner", "CohortExplorer", "JournalForm", "PlanBuilder", "RubricScorer",
           "SquadOverview"]
