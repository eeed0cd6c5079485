"""Altair charts of runlab's frames: one function per chart, frame in → chart out.

Every function returns an altair chart (``alt.Chart`` or a layered/concatenated chart) and
never displays it. Charts are titled and their axes carry units from the column names
(:func:`runlab.schema.axis_title`). Large inputs are aggregated in polars first — scatter
plots turn into binned 2-D counts, long records are averaged over time bins, big forest
plots are grouped by rank — so no chart ships more than :data:`MAX_ROWS` data rows to the
browser.

Offline rendering: notebooks use ``alt.renderers.enable("jupyter", offline=True)``;
``vl_convert.vegalite_to_png(chart.to_json())`` renders without a browser.

=====================  ==========================================================
chart                  input
=====================  ==========================================================
cadence_speed          runs (``schema.RUNS``) or running segments
step_length_speed      runs or running segments
run_timeline           cleaned records (:func:`runlab.clean`) (+ :mod:`runlab.gait`)
weekly_cadence         runs, or :func:`runlab.metrics.weekly`'s frame
walk_run_progression   runs with ``run_walk_ratio``
comfort_heat           journal (:mod:`runlab.journal`)
forest                 tidy per-runner estimates (e.g. ``CadenceSpeed.per_runner``)
journal_calendar       journal
form_clip              :func:`runlab.gait.form`'s result (one clip)
=====================  ==========================================================
"""

from runlab.charts._base import MAX_ROWS, MAX_SERIES
from runlab.charts.clip import form_clip
from runlab.charts.forest import forest
from runlab.charts.journal import comfort_heat, journal_calendar
from runlab.charts.progress import walk_run_progression, weekly_cadence
from runlab.charts.session import run_timeline
from runlab.charts.speed import cadence_speed, step_length_speed

__all__ = [
    "MAX_ROWS", "MAX_SERIES", "cadence_speed", "step_length_speed", "run_timeline",
    "weekly_cadence", "walk_run_progression", "comfort_heat", "forest", "journal_calendar",
    "form_clip",
]
