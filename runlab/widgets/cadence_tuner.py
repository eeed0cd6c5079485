"""CadenceTuner: pick a pace, slide the boost, see the target zone, hear it, export it."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import ipywidgets as w
import polars as pl

from runlab.errors import RunlabWarning, SchemaError
from runlab.widgets._common import chart_view, css, export_dir, set_chart, timed, unvalidated

__all__ = ["CadenceTuner", "pace_label"]


def pace_label(speed_mps: float) -> str:
    """``3.0`` m/s → ``"5:33 /km"``."""
    seconds = round(1000.0 / speed_mps)
    return f"{seconds // 60}:{seconds % 60:02d} /km"


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
                 boost_pct: float | None = None):
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
        self.height_m = height_m
        self.out_dir = out_dir
        self.timings_s: list[float] = []
        speeds = self.runs["speed_mps"]
        v0 = speed_mps or (float(speeds.median()) if self.runs.height else 2.8)

        self.pace = css(w.FloatSlider(value=round(1000 / v0 / 60, 2), min=3.5, max=9.0,
                                      step=0.05, description="pace [min/km]",
                                      continuous_update=False, readout_format=".2f",
                                      style={"description_width": "100px"}), "pace")
        self.boost = css(w.IntSlider(value=int(round(boost * 100)), min=0, max=15, step=1,
                                     description="boost [%]", continuous_update=False,
                                     style={"description_width": "70px"}), "boost")
        self.zone_text = css(w.HTML(), "zone")
        self.step_text = css(w.HTML(), "step-length")
        self.audio = css(w.Audio(value=b"", format="wav", autoplay=False, loop=True,
                                 controls=True), "metronome-audio")
        self.audio.layout.display = "none"
        self.play = css(w.Button(description="Metronome", icon="music",
                                 tooltip="click track at the target cadence"), "metronome")
        self.export_buttons = {
            kind: css(w.Button(description=f"Export {kind.upper()}"), f"export-{kind}")
            for kind in ("fit", "wav", "ics")}
        self.status = css(w.HTML(), "export-status")
        self.zone = None
        self._base = None
        self._update()
        self.view = chart_view(self._chart())
        self.pace.observe(self._on_change, "value")
        self.boost.observe(self._on_change, "value")
        self.play.on_click(lambda _: self.metronome())
        for kind, button in self.export_buttons.items():
            button.on_click(lambda _, k=kind: self.export(k))
        super().__init__([
            w.HBox([self.pace, self.boost]), self.zone_text, self.step_text, self.view,
            w.HBox([self.play, *self.export_buttons.values()]), self.audio, self.status])
        css(self, "cadence-tuner")

    # --- state ---------------------------------------------------------------------------
    @property
    def speed_mps(self) -> float:
        """The chosen pace as speed [m/s]."""
        return 1000.0 / (self.pace.value * 60.0)

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

    def _update(self) -> None:
        from runlab.models.targets import cadence_zone

        boost = self.boost.value / 100
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RunlabWarning)  # few runs: explained in the text
            self.zone = cadence_zone(self.runs.select("speed_mps", "cadence_spm"),
                                     self.speed_mps, (boost, boost), self.height_m)
        z, (lo, hi) = self.zone, self.zone_spm
        self.zone_text.value = (
            f"<b>{pace_label(self.speed_mps)}</b>: habitual <b>{z.habitual_spm:.0f}</b> "
            f"steps/min → target <b>{self.target_spm:.0f}</b> "
            f"(zone {lo:.0f}–{hi:.0f} steps/min, +{self.boost.value} %)"
            f" <small>[{z.source.replace('_', ' ')}, {z.n_runs} runs]</small>")
        target_step = self.speed_mps / (self.target_spm / 60)
        self.step_text.value = (
            f"step length {z.step_length_m:.2f} m → <b>{target_step:.2f} m</b> "
            f"({(target_step / z.step_length_m - 1) * 100:+.1f} % at the same pace)")

    def _chart(self):
        """The runner's cadence–speed chart (runlab.charts, built once) with this pace's
        habitual and target cadence and the ±3 spm zone drawn on top."""
        import altair as alt

        if self._base is None:
            from runlab import charts

            self._base = charts.cadence_speed(self.runs)
        lo, hi = self.zone_spm
        v = self.speed_mps
        marks = pl.DataFrame({
            "speed_mps": [v, v], "cadence_spm": [self.zone.habitual_spm, self.target_spm],
            "low_spm": [lo, lo], "high_spm": [hi, hi],
            "label": [f"habitual {self.zone.habitual_spm:.0f}",
                      f"target {self.target_spm:.0f}"]})
        base = alt.Chart(marks).encode(x="speed_mps:Q")
        zone = base.mark_rule(strokeWidth=8, opacity=0.5, color="#e45756").encode(
            y="low_spm:Q", y2="high_spm:Q")
        points = base.mark_point(filled=True, size=90).encode(
            y="cadence_spm:Q",
            color=alt.Color("label:N", legend=None,
                            scale=alt.Scale(range=["#333333", "#e45756"])),
            tooltip=["label", alt.Tooltip("speed_mps", format=".2f"),
                     alt.Tooltip("low_spm", format=".0f"), alt.Tooltip("high_spm", format=".0f")])
        text = base.mark_text(align="left", dx=8).encode(y="cadence_spm:Q", text="label:N")
        return self._base + zone + points + text

    # --- actions -------------------------------------------------------------------------
    def metronome(self, seconds: float = 30.0):
        """Render the click track at the target and show the player."""
        from runlab.cues import metronome

        track = metronome(round(self.target_spm, 1), seconds, sample_rate=22050)
        self.audio.value = track.wav_bytes()
        self.audio.layout.display = None
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
