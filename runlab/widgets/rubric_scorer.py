"""RubricScorer: watch a short clip, score the clinic's three-item rubric, save it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import ipywidgets as w

from runlab.errors import JournalError
from runlab.widgets._common import css, timed

__all__ = ["RubricScorer", "RUBRIC"]

#: rubric item (journal column) → (label, the clinic's cue for it)
RUBRIC = {
    "rubric_landing_quietness": ("landing quietness", "quiet feet"),
    "rubric_upright_posture": ("upright posture", "soft knees"),
    "rubric_cadence_consistency": ("cadence consistency", "gentle arm swing"),
}
_FORMATS = {".mp4": "mp4", ".webm": "webm", ".ogg": "ogg", ".ogv": "ogg", ".mov": "mp4"}
MAX_VIDEO_BYTES = 200 * 2**20


class RubricScorer(w.VBox):
    """Play a clip (ipywidgets Video) and score it 1–5 on the clinic's rubric.

    Three sliders — landing quietness ("quiet feet"), upright posture ("soft knees"),
    cadence consistency ("gentle arm swing") — and *Save*, which appends a journal entry
    with the scores and the clip's file name (column ``video``) through
    :func:`runlab.journal.append`.

    With ``form`` (:func:`runlab.gait.form` of the clip, or its ``.summary``), each slider
    shows the measured value beside it (step-time variation, overstride, trunk lean) and
    the score it suggests (:func:`runlab.gait.rubric_suggestions`), and the entry
    links the clip's measured summary (``form_*`` fields, :func:`runlab.journal.form_entry`).
    The sliders start at 3, not at the suggestion: the coach's score stays the record
    (*Use suggestions* copies them over when the coach agrees).

    Parameters
    ----------
    video_path : str or Path
        A short clip (mp4, webm, ogg), at most 200 MB.
    journal_path : str or Path
        Journal file (CSV or JSON Lines).
    runner : str
        ``runner_id`` of the entry.
    run_id : str, optional
        The run the clip belongs to.
    form : runlab.gait.Form or polars.DataFrame, optional
        The clip's measured form (landmarks are not kept: only the summary's measures).
    """

    def __init__(self, video_path: str | Path, journal_path: str | Path, *,
                 runner: str = "runner", run_id: str | None = None,
                 date: dt.date | None = None, form=None):
        from runlab.errors import ReadError

        self.video_path = Path(video_path)
        fmt = _FORMATS.get(self.video_path.suffix.lower())
        if fmt is None:
            raise ReadError(self.video_path, f"not a video runlab plays; use one of "
                                             f"{sorted(_FORMATS)}")
        if not self.video_path.is_file():
            raise ReadError(self.video_path, "no such video file")
        if self.video_path.stat().st_size > MAX_VIDEO_BYTES:
            raise ReadError(self.video_path, "video larger than 200 MB; trim the clip")
        self.journal_path = Path(journal_path)
        self.runner, self.run_id = runner, run_id
        self.timings_s: list[float] = []
        self.video = css(w.Video(value=self.video_path.read_bytes(), format=fmt,
                                 autoplay=False, loop=True, controls=True), "video")
        self.video.layout.max_width = "480px"
        self.date = css(w.DatePicker(value=date or dt.date.today(), description="date"),
                        "rubric-date")
        self.sliders = {}
        for column, (label, _cue) in RUBRIC.items():
            slider = w.IntSlider(value=3, min=1, max=5, description=label,
                                 style={"description_width": "140px"})
            self.sliders[column] = css(slider, f"rubric-{column.removeprefix('rubric_')}")
        self.cues = {column: css(w.HTML(f"cue: <i>“{cue}”</i>"), "rubric-cue")
                     for column, (_, cue) in RUBRIC.items()}
        self.summary = getattr(form, "summary", form)
        self.suggestions = None
        self.measured = {c: css(w.HTML(), "rubric-measured") for c in RUBRIC}
        self.use_suggestions = css(w.Button(description="Use suggestions",
                                            disabled=True), "rubric-use-suggestions")
        self.use_suggestions.on_click(lambda _: self.apply_suggestions())
        if self.summary is not None:
            self._show_measures()
        self.notes = css(w.Textarea(description="notes"), "rubric-notes")
        self.save = css(w.Button(description="Save scores", button_style="primary"),
                        "rubric-save")
        self.status = css(w.HTML(), "rubric-status")
        self.save.on_click(lambda _: self.submit())
        rows = [w.HBox([self.sliders[c], self.cues[c], self.measured[c]]) for c in RUBRIC]
        extra = [self.use_suggestions] if self.summary is not None else []
        super().__init__([w.HTML(f"<b>{self.video_path.name}</b>"), self.video, self.date,
                          *rows, *extra, self.notes, self.save, self.status])
        css(self, "rubric-scorer")

    def _show_measures(self) -> None:
        from runlab.gait import rubric_suggestions

        self.suggestions = rubric_suggestions(self.summary)
        for row in self.suggestions.iter_rows(named=True):
            label = row["measure"].replace("_", " ")
            if row["value"] is None:
                text = f"measured: {label} — not measured"
            else:
                text = (f"measured: {label} {row['value']:.2f} {row['unit']} (target "
                        f"{row['band_lo']:g}–{row['band_hi']:g}) → suggests "
                        f"<b>{row['suggested']}</b>")
            self.measured[row["item"]].value = text
        self.use_suggestions.disabled = self.suggestions["suggested"].is_null().all()

    def apply_suggestions(self) -> None:
        """Set each slider to its suggested score (where one was measured)."""
        for row in (self.suggestions.iter_rows(named=True)
                    if self.suggestions is not None else []):
            if row["suggested"] is not None:
                self.sliders[row["item"]].value = row["suggested"]

    def entry(self) -> dict:
        """The journal entry the current scores make (with the measured ``form_*`` fields
        when the clip's form was given)."""
        from runlab.journal import form_entry

        measured = form_entry(self.summary) if self.summary is not None else {}
        return {"date": self.date.value, "runner_id": self.runner, "run_id": self.run_id,
                **{c: s.value for c, s in self.sliders.items()},
                "notes": self.notes.value.strip() or None, "video": self.video_path.name,
                **measured}

    @timed
    def submit(self) -> bool:
        """Append the scores to the journal; True if written."""
        from runlab import journal

        try:
            journal.append(self.journal_path, self.entry())
        except (JournalError, ValueError) as exc:
            self.status.value = f'<span class="runlab-error">not saved: {exc}</span>'
            return False
        self.status.value = f'<span class="runlab-ok">saved scores for {self.video_path.name}</span>'
        return True
