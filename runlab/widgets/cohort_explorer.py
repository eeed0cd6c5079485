"""CohortExplorer: filter a cohort by group, week and runner; linked charts; runs table."""

from __future__ import annotations

import ipywidgets as w
import polars as pl

from runlab.errors import SchemaError
from runlab.widgets._common import (
    chart_spec,
    chart_view,
    css,
    frame_html,
    set_spec,
    timed,
    unvalidated,
)

__all__ = ["CohortExplorer", "cohort_runs"]

ALL = "all"
BRUSH = "speed_brush"
SPEC_CACHE = 128  # chart specs of recent filter states kept for instant revisits
TABLE_COLUMNS = ("runner_id", "group", "week", "start_time", "distance_m", "speed_mps",
                 "cadence_spm", "step_length_m", "run_walk_ratio", "easy")


def cohort_runs(store_or_runs, runners: pl.DataFrame | None = None) -> pl.DataFrame:
    """The runs of a Store (or a runs frame) with ``group`` and ``week`` columns.

    ``group`` comes from the runs, else from ``runners`` (runner_id, group), else "all";
    ``week`` (1-based) from the runs, else counted from each runner's first run.
    """
    runs = store_or_runs if isinstance(store_or_runs, pl.DataFrame) else store_or_runs.runs
    for name in ("runner_id", "start_time", "speed_mps", "cadence_spm"):
        if name not in runs.columns:
            raise SchemaError(f"CohortExplorer: runs lack column {name!r}; has {runs.columns}")
    if "group" not in runs.columns:
        if runners is not None and "group" in runners.columns:
            runs = runs.join(runners.select("runner_id", pl.col("group").cast(pl.String)),
                             on="runner_id", how="left")
        else:
            runs = runs.with_columns(group=pl.lit(ALL))
    if "week" not in runs.columns:
        first = pl.col("start_time").min().over("runner_id")
        runs = runs.with_columns(
            week=((pl.col("start_time") - first).dt.total_days() // 7 + 1).cast(pl.Int64))
    return runs.with_columns(pl.col("group").fill_null(ALL).cast(pl.String),
                             pl.col("week").cast(pl.Int64))


class CohortExplorer(w.VBox):
    """Explore a cohort: group and runner filters drive two linked charts — cadence
    against speed (:func:`runlab.charts.cadence_speed`, aggregated for big cohorts) and
    weekly easy-run cadence by group over the whole programme — while the weeks filter
    narrows the scatter and the runs table. Brushing a speed range in the scatter (an
    altair selection returned to Python) narrows the table to those runs. Chart specs of
    recent filter states are kept, so going back is instant.

    Parameters
    ----------
    store : runlab.Store or polars.DataFrame
        A cohort store (its ``.runs``) or a runs frame.
    runners : polars.DataFrame, optional
        ``runner_id``, ``group`` when the runs carry no group (e.g. ``runners.csv``).
    """

    def __init__(self, store, runners: pl.DataFrame | None = None):
        self.runs = cohort_runs(store, runners)
        self.timings_s: list[float] = []
        groups = sorted(self.runs["group"].unique().to_list())
        week_max = int(self.runs["week"].max() or 1)
        self.group = css(w.Dropdown(options=[ALL, *[g for g in groups if g != ALL]], value=ALL,
                                    description="group"), "cohort-group")
        self.weeks = css(w.IntRangeSlider(value=(1, week_max), min=1, max=max(week_max, 2),
                                          description="weeks", continuous_update=False),
                         "cohort-weeks")
        self.runner = css(w.Dropdown(options=[ALL], value=ALL, description="runner"),
                          "cohort-runner")
        self.summary = css(w.HTML(), "cohort-summary")
        self.table = css(w.HTML(layout=w.Layout(max_height="420px", overflow="auto")),
                         "cohort-table")
        self.speed_range: tuple[float, float] | None = None
        self._specs: dict[tuple, dict] = {}
        self._refresh_runner_options()
        filtered = self.filtered()
        self.scatter = chart_view(self._scatter(filtered))
        self.weekly = chart_view(self._weekly(self.filtered(all_weeks=True)))
        self._show(filtered)
        for control in (self.group, self.weeks, self.runner):
            control.observe(lambda _: self.update(), "value")
        self._watch_selection()
        super().__init__([w.HBox([self.group, self.weeks, self.runner]), self.summary,
                          self.scatter, self.weekly, self.table])
        css(self, "cohort-explorer")

    def filtered(self, all_weeks: bool = False) -> pl.DataFrame:
        """Runs passing the group, week (unless ``all_weeks``) and runner filters."""
        runs = self.runs
        if not all_weeks:
            runs = runs.filter(pl.col("week").is_between(*self.weeks.value))
        if self.group.value != ALL:
            runs = runs.filter(pl.col("group") == self.group.value)
        if self.runner.value != ALL:
            runs = runs.filter(pl.col("runner_id") == self.runner.value)
        return runs

    def _refresh_runner_options(self) -> None:
        runs = self.runs if self.group.value == ALL else self.runs.filter(
            pl.col("group") == self.group.value)
        options = [ALL, *sorted(runs["runner_id"].unique().to_list())]
        if list(self.runner.options) != options:
            keep = self.runner.value if self.runner.value in options else ALL
            self.runner.options = options
            self.runner.value = keep

    @timed
    def update(self) -> None:
        """Re-filter and redraw after a control change."""
        self._refresh_runner_options()
        filtered = self.filtered()
        group, weeks, runner = self.group.value, self.weeks.value, self.runner.value
        set_spec(self.scatter, self._spec(("scatter", group, weeks, runner),
                                          lambda: self._scatter(filtered)))
        # the weekly chart shows every week of the group/runner (the weeks filter is the
        # window the scatter and table look through), so a weeks change leaves it alone
        set_spec(self.weekly, self._spec(("weekly", group, runner),
                                         lambda: self._weekly(self.filtered(all_weeks=True))))
        self.speed_range = None  # the new chart starts without a brush
        self._show(filtered)

    def _spec(self, key: tuple, build) -> dict:
        """The chart spec for a filter state: from the cache, else built (least recently
        used states are dropped beyond :data:`SPEC_CACHE`)."""
        spec = self._specs.pop(key, None)
        if spec is None:
            with unvalidated():
                spec = chart_spec(build())
        self._specs[key] = spec
        while len(self._specs) > SPEC_CACHE:
            self._specs.pop(next(iter(self._specs)))
        return spec

    def _show(self, filtered: pl.DataFrame) -> None:
        rows = filtered
        if self.speed_range:
            rows = rows.filter(pl.col("speed_mps").is_between(*self.speed_range))
        self.summary.value = (
            f"{filtered.height} runs of {filtered['runner_id'].n_unique()} runners"
            + (f"; brushed {self.speed_range[0]:.2f}–{self.speed_range[1]:.2f} m/s: "
               f"{rows.height} runs" if self.speed_range else ""))
        cols = [c for c in TABLE_COLUMNS if c in rows.columns]
        self.table.value = frame_html(rows.sort("start_time").select(cols), max_rows=25)

    def _watch_selection(self) -> None:
        selections = getattr(self.scatter, "selections", None)
        if selections is not None and BRUSH in selections.trait_names():
            selections.observe(self._on_select, BRUSH)

    def _on_select(self, change) -> None:
        """A speed range brushed in the scatter narrows the table to those runs."""
        value = getattr(change["new"], "value", None) or {}
        self.speed_range = tuple(value["speed_mps"]) if "speed_mps" in value else None
        self._show(self.filtered())

    def _scatter(self, runs: pl.DataFrame):
        import altair as alt

        from runlab import charts

        runner = self.runner.value if self.runner.value != ALL else None
        chart = charts.cadence_speed(runs, runner_id=runner)
        return chart.add_params(alt.selection_interval(name=BRUSH, encodings=["x"]))

    def _weekly(self, runs: pl.DataFrame):
        from runlab import charts

        easy = pl.col("easy").fill_null(True) if "easy" in runs.columns else pl.lit(True)
        weekly = (runs.filter(easy).group_by("runner_id", "group", "week")
                  .agg(easy_cadence_spm=pl.col("cadence_spm").mean()).sort("runner_id", "week"))
        return charts.weekly_cadence(weekly)
