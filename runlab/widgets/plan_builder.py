"""PlanBuilder: clinic plan parameters → plan table, summary and exports."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import ipywidgets as w
import polars as pl

from runlab.widgets._common import css, export_dir, frame_html, timed

__all__ = ["PlanBuilder"]

TABLE_COLUMNS = ("date", "week", "session_type", "run_walk_pattern", "repeats", "run_s",
                 "walk_s", "duration_s", "cadence_target_spm", "strides", "hill_reps",
                 "drills")


class PlanBuilder(w.VBox):
    """Build a clinic plan (:func:`runlab.plan.clinic`) from controls and export it.

    Any control change rebuilds the plan and its table; invalid combinations (e.g. two
    technique days with four sessions a week) show the plan's own error message. *Export*
    writes CSV, ICS, FIT workouts and metronome WAVs (:func:`runlab.plan.export`).
    Times show as h:mm:ss (m:ss under an hour), distances in ``units`` (km or mi; default
    :func:`runlab.pace.default_units`), as in reports (:func:`runlab.pace.readable`).
    """

    def __init__(self, *, start_date: dt.date | None = None, runner: str = "runner",
                 habitual_cadence_spm: float = 160.0, boost: float = 0.05,
                 out_dir: str | Path | None = None, habitual_cadence: float | None = None,
                 units: str | None = None):
        from runlab.pace import check_units, default_units

        if habitual_cadence is not None:
            warnings.warn("PlanBuilder(habitual_cadence=) is deprecated; use "
                          "habitual_cadence_spm=", DeprecationWarning, stacklevel=2)
            habitual_cadence_spm = habitual_cadence
        self.out_dir = out_dir
        self.units = check_units(units) if units else default_units()
        self.timings_s: list[float] = []
        self.plan: pl.DataFrame | None = None
        self.controls = {
            "runner": w.Text(value=runner, description="runner"),
            "start_date": w.DatePicker(value=start_date or dt.date.today(),
                                       description="start"),
            "weeks": w.IntSlider(value=8, min=1, max=24, description="weeks"),
            "days_per_week": w.IntSlider(value=4, min=3, max=6, description="days/week"),
            "technique_days": w.ToggleButtons(options=[1, 2], value=1,
                                              description="technique"),
            "habitual_cadence": w.BoundedFloatText(value=habitual_cadence_spm, min=120, max=220,
                                                   step=1, description="habitual [spm]"),
            "boost": w.IntSlider(value=int(round(boost * 100)), min=0, max=15,
                                 description="boost [%]"),
        }
        for name, control in self.controls.items():
            control.style.description_width = "120px"
            css(control, f"plan-{name.replace('_', '-')}")
            control.observe(lambda _: self.update(), "value")
        self.summary = css(w.HTML(), "plan-summary")
        self.table = css(w.HTML(layout=w.Layout(max_height="420px", overflow="auto")),
                         "plan-table")
        self.export_button = css(w.Button(description="Export plan"), "plan-export")
        self.status = css(w.HTML(), "plan-status")
        self.export_button.on_click(lambda _: self.export())
        self.update()
        super().__init__([w.VBox(list(self.controls.values())), self.summary, self.table,
                          self.export_button, self.status])
        css(self, "plan-builder")

    def follow(self, tuner) -> PlanBuilder:
        """Start from a :class:`~runlab.widgets.CadenceTuner`'s runner, habitual cadence
        and boost, and follow its changes; returns self."""
        def sync(_=None):
            with self.hold_trait_notifications():
                self.controls["runner"].value = tuner.runner
                self.controls["habitual_cadence"].value = round(tuner.zone.habitual_spm, 1)
                self.controls["boost"].value = tuner.boost.value

        sync()
        tuner.pace.observe(sync, "value")
        tuner.boost.observe(sync, "value")
        return self

    def params(self) -> dict:
        """Keyword arguments for :func:`runlab.plan.clinic` from the controls."""
        c = {k: v.value for k, v in self.controls.items()}
        return {"start_date": c["start_date"], "weeks": c["weeks"], "runner": c["runner"],
                "days_per_week": c["days_per_week"], "technique_days": c["technique_days"],
                "habitual_cadence_spm": c["habitual_cadence"], "boost": c["boost"] / 100}

    @timed
    def update(self) -> None:
        """Rebuild the plan, summary and table."""
        from runlab import plan
        from runlab.pace import format_duration, readable

        try:
            self.plan = plan.clinic(**self.params())
        except ValueError as exc:
            self.plan = None
            self.summary.value = f'<span class="runlab-error">{exc}</span>'
            self.table.value = ""
            return
        p = self.plan
        counts = p.group_by("session_type").len().sort("session_type")
        targets = p["cadence_target_spm"].drop_nulls()
        self.summary.value = (
            f"{p.height} sessions, {format_duration(p['duration_s'].sum())} (h:mm:ss) over "
            f"{p['week'].max()} weeks; cadence target {targets.min():.0f} → "
            f"{targets.max():.0f} steps/min; "
            + ", ".join(f"{n} {t.replace('_', ' ')}" for t, n in counts.iter_rows()))
        self.table.value = frame_html(readable(p.select(TABLE_COLUMNS), self.units),
                                      max_rows=200)

    def export(self) -> dict | None:
        """Write the plan's files into ``out_dir``; returns :func:`runlab.plan.export`'s dict."""
        from runlab import plan

        if self.plan is None:
            return None
        files = plan.export(self.plan, export_dir(self.out_dir))
        self.status.value = ("wrote " + ", ".join(f"{len(v)} {k.upper()}"
                                                  for k, v in files.items())
                             + f" to <code>{export_dir(self.out_dir)}</code>")
        return files
