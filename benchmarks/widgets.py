"""How long each widget takes to update after a control change, on the demo cohort.

The budget is 100 ms per update (issue 11). The demo cohort is the simulator's
``runlab.datasets.DEMO`` call (24 runners × 12 weeks), held in memory. Every control change
is timed from the value being set until the widget's outputs (texts, tables, chart specs)
are updated in the kernel; the browser's redraw is not included. Both wall time and the
process's CPU time are printed: on a shared machine wall time includes waiting for a core,
so the budget is judged on CPU time.

The peer is altair's own way of updating a chart widget, ``JupyterChart.chart = new_chart``
(which validates the whole spec against the Vega-Lite schema), measured on the same charts.

The squad overview is timed on a simulated squad of 100 runners (sorting = an update).
Opening the dashboard is timed twice: in this process (open the cached demo store, build
the squad table and the first runner's tuner: the first zone), and as Voila does it (a
fresh kernel runs ``notebooks/coach/dashboard.py`` to the end, via nbclient: the squad
page; the other tabs are built when first shown). Budgets: first page 3 s, first zone 5 s
(issue 23); the browser's drawing is not included here (``benchmarks/dashboard.py`` times
the page in a browser).

Run: ``python benchmarks/widgets.py``.
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

import polars as pl

BUDGET_S = 0.100


def timed(action) -> tuple[float, float]:
    """(wall, CPU) seconds of one call; CPU time is this process's own, so it is not
    inflated when other processes share the cores."""
    wall, cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - wall, time.process_time() - cpu


def changes(control, values) -> list[tuple[float, float]]:
    """Time setting ``control.value`` to each value (observers run synchronously)."""
    return [timed(lambda v=v: setattr(control, "value", v)) for v in values]


def report(name: str, times: list[tuple[float, float]]) -> None:
    wall = sorted(t[0] * 1000 for t in times)
    cpu = sorted(t[1] * 1000 for t in times)
    flag = "ok" if statistics.median(cpu) < BUDGET_S * 1000 else "OVER BUDGET"
    print(f"{name:<40} n={len(wall):>3}  wall median {statistics.median(wall):6.1f} max "
          f"{wall[-1]:6.1f} ms | CPU median {statistics.median(cpu):6.1f} max {cpu[-1]:6.1f} ms"
          f"  CPU median/budget {statistics.median(cpu) / (BUDGET_S * 1000):4.2f}  {flag}")


def main() -> None:
    from runlab import datasets, simulate
    from runlab.widgets import CadenceTuner, CohortExplorer, JournalForm, PlanBuilder

    cohort = simulate.cohort(datasets.DEMO["n_runners"], datasets.DEMO["weeks"],
                             tuple(datasets.DEMO["groups"]), seed=datasets.DEMO["seed"])
    runs = cohort.runs
    runner = runs["runner_id"].sort()[0]
    print(f"demo cohort: {runs.height} runs of {runs['runner_id'].n_unique()} runners "
          f"over {runs['week'].max()} weeks; budget {BUDGET_S * 1000:.0f} ms per update\n")
    out = Path(tempfile.mkdtemp(prefix="runlab-bench-widgets-"))

    tuner = CadenceTuner(runs.filter(pl.col("runner_id") == runner), runner=runner,
                         out_dir=out)
    report("CadenceTuner: pace slider", changes(tuner.pace, (300, 330, 360, 390, 420, 450,
                                                             480, 600)))
    report("CadenceTuner: boost slider", changes(tuner.boost, (0, 3, 6, 9, 12, 15, 7, 5)))
    report("CadenceTuner: metronome button (30 s)", [timed(tuner.metronome)
                                                     for _ in range(5)])

    explorer = CohortExplorer(runs)
    groups = [g for g in explorer.group.options if g != "all"]
    report("CohortExplorer: group (new state)", changes(explorer.group, groups))
    report("CohortExplorer: weeks (new state)", changes(explorer.weeks, ((1, 4), (3, 8),
                                                                         (5, 12), (2, 6))))
    report("CohortExplorer: runner (new state)",
           changes(explorer.runner, explorer.runner.options[1:9]))
    report("CohortExplorer: runner (revisit, cached)",
           changes(explorer.runner, explorer.runner.options[1:9]))

    builder = PlanBuilder(start_date=dt.date(2026, 3, 2), out_dir=out)
    report("PlanBuilder: weeks/days/boost",
           changes(builder.controls["weeks"], (4, 6, 10, 12, 16, 8))
           + changes(builder.controls["days_per_week"], (3, 5, 6, 4))
           + changes(builder.controls["boost"], (3, 7, 10)))

    form = JournalForm(out / "journal.csv", runner)
    form.controls["comfort"].value = 4
    form.controls["rpe"].value = 3

    def save(day):
        form.date.value = dt.date(2026, 3, 1) + dt.timedelta(days=day)
        form.submit()

    report("JournalForm: save (atomic append)", [timed(lambda i=i: save(i)) for i in range(10)])

    # the peer: altair's JupyterChart.chart = chart (validated) for the same tuner charts
    view = tuner.view
    peer, ours = [], []
    for boost in (4, 8, 12, 6):
        tuner.boost.value = boost
        chart = tuner._chart()
        peer.append(timed(lambda c=chart: setattr(view, "chart", c)))
        from runlab.widgets._common import set_chart, unvalidated

        def fast(c=chart):
            with unvalidated():
                set_chart(view, c)

        ours.append(timed(fast))
    print()
    report("chart refresh: JupyterChart.chart = (peer)", peer)
    report("chart refresh: runlab set_chart", ours)
    ratio = statistics.median(t[1] for t in peer) / statistics.median(t[1] for t in ours)
    print(f"runlab set_chart is {ratio:.1f}x faster than altair's validated refresh "
          "(median CPU)")


def squad(n_runners: int = 100) -> None:
    """SquadOverview at ``n_runners``: building it once, and each re-sort (an update)."""
    from runlab import simulate
    from runlab.widgets import SquadOverview

    cohort = simulate.cohort(n_runners, 8, ("control", "cadence+7.5%"), seed=1)
    runs = cohort.runs
    if "moving_s" not in runs.columns:
        runs = runs.with_columns(moving_s=pl.col("distance_m") / pl.col("speed_mps"))
    wall, cpu = timed(lambda: SquadOverview(runs))
    print(f"\nSquadOverview: {runs['runner_id'].n_unique()} runners, {runs.height} runs; "
          f"built in {wall:.2f} s wall / {cpu:.2f} s CPU (once, at start)")
    view = SquadOverview(runs)
    keys = [k for k, _ in ((v, k) for k, v in view.sort_by.options)]
    report(f"SquadOverview: sort ({n_runners} runners)",
           changes(view.sort_by, keys * 2) + changes(view.descending, (True, False) * 3))


def first_page() -> None:
    """Time to the first zone in this process, and the dashboard run by a fresh kernel."""
    import os

    import nbclient
    import nbformat

    from runlab import datasets
    from runlab.cohort import Store
    from runlab.widgets import CadenceTuner, SquadOverview
    from runlab.widgets.coach import dashboard_notebook

    # built once into the cache and found by `runlab coach` before Voila starts (not timed);
    # the page opens the store by its path, as the dashboard does with RUNLAB_COACH_STORE
    path = datasets.demo_store().path
    os.environ["RUNLAB_COACH_STORE"] = str(path)
    started = time.perf_counter()
    store = Store(path)
    runs = store.runs
    SquadOverview(store)
    runner = runs["runner_id"].sort()[0]
    tuner = CadenceTuner(runs.filter(pl.col("runner_id") == runner), runner=runner)
    zone_s = time.perf_counter() - started
    print(f"\nfirst zone in this process: {zone_s:.2f} s (budget 5 s, ratio "
          f"{zone_s / 5:.2f}): {tuner.zone_text.value[:60]}...")
    nb = nbformat.read(dashboard_notebook(tempfile.mkdtemp(prefix="runlab-bench-nb-")), 4)
    started = time.perf_counter()
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3").execute()
    page_s = time.perf_counter() - started
    print(f"dashboard notebook (squad page), fresh kernel to last cell: {page_s:.2f} s (budget "
          f"3 s, ratio {page_s / 3:.2f}; includes the kernel start and imports)")


if __name__ == "__main__":
    main()
    squad()
    first_page()
