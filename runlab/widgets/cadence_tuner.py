"""CadenceTuner: pick a pace, slide the boost, see the target zone, hear it, export it."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import ipywidgets as w
import polars as pl

from runlab.errors import RunlabWarning, SchemaError
from runlab.widgets._common import chart_view, css, export_dir, set_chart, timed, unvalidated

__all__ = ["CadenceTuner", "pace_options", "PACE_RANGE_S_PER_KM"]

#: Pace range of the slider [s/km]: 3:00 to 15:00 /km covers walk-run beginners.
PACE_RANGE_S_PER_KM = (180, 900)


def pace_options(units: str = "km", step_s: int = 5) -> list[tuple[str, int]]:
    """Slider options ``("M:SS", seconds per unit)`` over :data:`PACE_RANGE_S_PER_KM`."""
    from runlab.pace import UNITS

    lo, hi = (round(s * UNITS[units] / 1000) for s in PACE_RANGE_S_PER_KM)
    start = lo - lo % step_s
    return [(f"{s // 60}:{s % 60:02d}", s) for s in range(start, hi + 1, step_s)]


class CadenceTuner(w.VBox):
    """A coach's cadence tuner for one runner.

    Pick a pace, slide the boost (0–15 %), and see the runner's habitual cadence at that
    pace (their own cadence–speed line, :func:`runlab.models.targets.cadence_zone`), the
    target and its ±3 spm zone, the implied step length, and the chart of their runs with
    the zone. *Metronome* renders a click track at the target; the export buttons write a
    FIT workout, the WAV and an ICS clinic plan for that target into ``out_dir``.

    Parameters
    ----------
    runner_data : polars.DataFrame
        The runner's runs (``speed_mps``, ``cadence_spm``; ``runner_id`` if several).
    runner : str, optional
        Which runner of ``runner_data``.
    height_m : float, optional
        Stature [m] (only used when there are too few runs).
    boost : float
        Initial boost above habitual [fraction], 0..0.15 (0.05 = +5 %; the slider shows it
        in percent). ``boost_pct=`` (percent) still works for one release, with a
        ``DeprecationWarning``.
    out_dir : str or Path
        Where exports go.

    Examples
    --------
    >>> CadenceTuner(store.runs.filter(pl.col("runner_id") == "r007"))  # doctest: +SKIP
    """

    def __init__(self, runner_data: pl.DataFrame, *, runner: str | None = None,
                 height_m: float | None = None, boost: float = 0.05,
                 speed_mps: float | None = None, out_dir: str | Path | None = None,
                 units: str | None = None, boost_pct: float | None = None):
        from runlab.pace import UNITS, check_units, default_units

        if boost_pct is not None:
            warnings.warn("CadenceTuner(boost_pct=) is deprecated; give boost= as a fraction "
                          "(0.05 = +5 %)", DeprecationWarning, stacklevel=2)
            boost = boost_pct / 100
        for name in ("speed_mps", "cadence_spm"):
            if name not in runner_data.columns:
                raise SchemaError(f"CadenceTuner: runner_data lacks column {name!r}; "
                                  f"has {runner_data.columns}")
        if runner is not None and "runner_id" in runner_data.columns:
            runner_data = runner_data.filter(pl.col("runner_id") == runner)
        elif "runner_id" in runner_data.columns and runner_data.height:
            runner = runner_data["runner_id"].drop_nulls().first()
            runner_data = runner_data.filter(pl.col("runner_id") == runner)
        self.runs = runner_data.filter(pl.col("speed_mps") > 0, pl.col("cadence_spm") > 0)
        self.runner = runner or "runner"
        self.units = check_units(units) if units else default_units()
        self._metres = UNITS[self.units]
        self.height_m = height_m
        self.out_dir = out_dir
        self.timings_s: list[float] = []
        speeds = self.runs["speed_mps"]
        v0 = speed_mps or (float(speeds.median()) if self.runs.height else 2.8)

        options = pace_options(self.units)
        wanted = self._metres / v0
        start = min(options, key=lambda o: abs(o[1] - wanted))[1]
        self.pace = css(w.SelectionSlider(options=options, value=start,
                                          description=f"pace [/{self.units}]",
                                          continuous_update=False,
                                          style={"description_width": "80px"}), "pace")
        self.boost = css(w.IntSlider(value=int(round(boost * 100)), min=0, max=15, step=1,
                                     description="boost [%]", continuous_update=False,
                                     style={"description_width": "70px"}), "boost")
        self.zone_text = css(w.HTML(), "zone")
        self.step_text = css(w.HTML(), "step-length")
        # the player appears with the first click track (an empty one is an error in a browser)
        self.audio = css(w.Audio(format="wav", autoplay=False, loop=True, controls=True),
                         "metronome-audio")
        self.play = css(w.Button(description="Metronome",
                                 tooltip="click track at the target cadence"), "metronome")
        self.export_buttons = {
            kind: css(w.Button(description=f"Export {kind.upper()}"), f"export-{kind}")
            for kind in ("fit", "wav", "ics")}
        self.status = css(w.HTML(), "export-status")
        self.zone = None
        self._line = self._habitual_line()
        self._update()
        self.view = chart_view(self._chart())
        self.pace.observe(self._on_change, "value")
        self.boost.observe(self._on_change, "value")
        self.play.on_click(lambda _: self.metronome())
        for kind, button in self.export_buttons.items():
            button.on_click(lambda _, k=kind: self.export(k))
        super().__init__([
            w.HBox([self.pace, self.boost], layout=w.Layout(flex_flow="row wrap")),
            self.zone_text, self.step_text, self.view,
            w.HBox([self.play, *self.export_buttons.values()],
                   layout=w.Layout(flex_flow="row wrap")), self.status])
        css(self, "cadence-tuner")

    # --- state ---------------------------------------------------------------------------
    @property
    def speed_mps(self) -> float:
        """The chosen pace as speed [m/s]."""
        return self._metres / self.pace.value

    @property
    def target_spm(self) -> float:
        """Target cadence [steps/min]: habitual at this pace × (1 + boost)."""
        return self.zone.habitual_spm * (1 + self.boost.value / 100)

    @property
    def zone_spm(self) -> tuple[float, float]:
        """The target zone [steps/min], ±3 spm around the target (runlab.plan.zone)."""
        from runlab.plan import zone

        return zone(self.target_spm)

    def _on_change(self, _change=None) -> None:
        self.update()

    @timed
    def update(self) -> None:
        """Recompute zone, texts and chart after a control change."""
        self._update()
        with unvalidated():
            set_chart(self.view, self._chart())

    def _zone(self, speed_mps: float, boost: float):
        from runlab.models.targets import cadence_zone

        cols = [c for c in ("speed_mps", "run_speed_mps", "cadence_spm") if c in self.runs.columns]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RunlabWarning)  # few runs: explained in the text
            return cadence_zone(self.runs.select(cols), speed_mps, (boost, boost),
                                self.height_m)

    def _habitual_line(self) -> tuple[float, float]:
        """(intercept, slope) of the habitual cadence line [spm, spm per m/s]: every source
        of :func:`runlab.models.targets.cadence_zone` is a straight line in speed, so two
        speeds give it; the chart draws this line, and the marker sits on it."""
        a, b = 2.0, 4.0
        ya, yb = self._zone(a, 0.0).habitual_spm, self._zone(b, 0.0).habitual_spm
        slope = (yb - ya) / (b - a)
        return ya - slope * a, slope

    def _update(self) -> None:
        from runlab.pace import format_pace

        boost = self.boost.value / 100
        self.zone = self._zone(self.speed_mps, boost)
        z, (lo, hi) = self.zone, self.zone_spm
        self.zone_text.value = (
            f"<b>{format_pace(self.speed_mps, self.units)}</b>: habitual <b>{z.habitual_spm:.0f}</b> "
            f"steps/min → target <b>{self.target_spm:.0f}</b> "
            f"(zone {lo:.0f}–{hi:.0f} steps/min, +{self.boost.value} %)"
            f" <small>[{z.source.replace('_', ' ')}, {z.n_runs} runs]</small>")
        target_step = self.speed_mps / (self.target_spm / 60)
        self.step_text.value = (
            f"step length {z.step_length_m:.2f} m → <b>{target_step:.2f} m</b> "
            f"({(target_step / z.step_length_m - 1) * 100:+.1f} % at the same pace)")

    def _chart(self):
        """The runner's runs, their habitual line, the target band (habitual × (1 + boost)
        ± 3 spm) and, at the chosen pace, the habitual and target markers with the zone:
        band, marker and text show the same numbers. The speed axis is labelled in pace."""
        import altair as alt
        import numpy as np

        from runlab.pace import pace_label_expr
        from runlab.plan import ZONE_HALF_WIDTH_SPM

        a, b = self._line
        speed = ("run_speed_mps" if "run_speed_mps" in self.runs.columns else "speed_mps")
        runs = self.runs.select(pl.col(speed).alias("speed_mps"), "cadence_spm").drop_nulls()
        v = self.speed_mps
        span = [float(runs["speed_mps"].min()), float(runs["speed_mps"].max())] \
            if runs.height else [v, v]
        grid = np.linspace(min(span[0], v) - 0.1, max(span[1], v) + 0.1, 20)
        gain = 1 + self.boost.value / 100
        line = pl.DataFrame({"speed_mps": grid, "habitual_spm": a + b * grid,
                             "low_spm": (a + b * grid) * gain - ZONE_HALF_WIDTH_SPM,
                             "high_spm": (a + b * grid) * gain + ZONE_HALF_WIDTH_SPM})
        lo, hi = self.zone_spm
        marks = pl.DataFrame({
            "speed_mps": [v, v], "cadence_spm": [self.zone.habitual_spm, self.target_spm],
            "low_spm": [lo, lo], "high_spm": [hi, hi],
            "label": [f"habitual {self.zone.habitual_spm:.0f}",
                      f"target {self.target_spm:.0f} ({lo:.0f}–{hi:.0f})"]})
        x = alt.X("speed_mps:Q", title=f"pace [min/{self.units}] (faster →)",
                  scale=alt.Scale(zero=False),
                  axis=alt.Axis(labelExpr=pace_label_expr(self.units)))
        y = alt.Y("cadence_spm:Q", title="cadence [steps/min]", scale=alt.Scale(zero=False))
        band = alt.Chart(line).mark_area(opacity=0.25, color="#54a24b").encode(
            x=x, y=alt.Y("low_spm:Q", title="cadence [steps/min]"), y2="high_spm:Q")
        habit = alt.Chart(line).mark_line(color="#333333").encode(
            x=x, y=alt.Y("habitual_spm:Q", title="cadence [steps/min]"))
        points = alt.Chart(runs).mark_circle(size=30, opacity=0.5, color="#4c78a8").encode(
            x=x, y=y)
        base = alt.Chart(marks).encode(x=x)
        rule = base.mark_rule(strokeWidth=8, opacity=0.6, color="#2f7d32").encode(
            y=alt.Y("low_spm:Q", title="cadence [steps/min]"), y2="high_spm:Q")
        dots = base.mark_point(filled=True, size=90).encode(
            y=y, color=alt.Color("label:N", legend=None,
                                 scale=alt.Scale(range=["#333333", "#2f7d32"])),
            tooltip=["label"])
        text = base.mark_text(align="left", dx=8).encode(y=y, text="label:N")
        return (band + habit + points + rule + dots + text).properties(
            width=330, height=280)

    # --- actions -------------------------------------------------------------------------
    def metronome(self, seconds: float = 30.0):
        """Render the click track at the target and show the player."""
        from runlab.cues import metronome

        track = metronome(round(self.target_spm, 1), seconds, sample_rate=22050)
        self.audio.value = track.wav_bytes()
        if self.audio not in self.children:
            self.children = (*self.children[:-1], self.audio, self.children[-1])
        return track

    def session(self) -> dict:
        """A 30-min continuous easy session at the target zone (a runlab.plan row)."""
        from runlab.plan import clinic

        row = clinic(dt.date.today(), 1, runner=self.runner, days_per_week=3).row(1, named=True)
        main_s = 1800.0
        lo, hi = self.zone_spm
        return row | {"session_type": "easy", "run_walk_pattern": "continuous",
                      "run_s": main_s, "walk_s": 0.0, "repeats": 1, "strides": 0,
                      "hill_reps": 0, "cadence_target_spm": self.target_spm,
                      "cadence_low_spm": lo, "cadence_high_spm": hi,
                      "duration_s": row["warmup_s"] + main_s + row["cooldown_s"]}

    def export(self, kind: str) -> Path:
        """Write ``"fit"`` (workout), ``"wav"`` (5-min metronome) or ``"ics"`` (an 8-week
        clinic plan toward this target) into ``out_dir``; returns the path."""
        from runlab import cues, plan
        from runlab.io.ics import write_ics

        folder = export_dir(self.out_dir)
        stem = f"{self.runner}_{self.target_spm:.0f}spm"
        if kind == "fit":
            path = cues.fit_workout(self.session(), folder / f"{stem}.fit")
        elif kind == "wav":
            path = cues.metronome(round(self.target_spm, 1), 300,
                                  sample_rate=22050).save(folder / f"{stem}.wav")
        elif kind == "ics":
            frame = plan.clinic(dt.date.today(), 8, runner=self.runner,
                                habitual_cadence_spm=round(self.zone.habitual_spm, 1),
                                boost=self.boost.value / 100)
            path = write_ics(frame, folder / f"{stem}_plan.ics")
        else:
            raise ValueError(f"invalid export kind {kind!r}; allowed: fit, wav, ics")
        self.status.value = f"wrote <code>{path}</code>"
        return path
