"""JournalForm: one validated journal entry, appended atomically through runlab.journal."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import ipywidgets as w

from runlab._csv_safe import formula_safe_text
from runlab.errors import JournalError
from runlab.widgets._common import css, timed

__all__ = ["JournalForm"]

#: fields the form asks for, in order (runner_id and date come from the form itself)
#: fields a saved entry must have: the plan's decisions (runlab.plan.decisions) read them
REQUIRED_FIELDS = ("comfort", "rpe")

FORM_FIELDS = ("run_id", "perceived_tempo", "foot_strike", "comfort", "rpe", "surface",
               "temperature_c", "humidity_pct", "notes")


def _control(spec):
    """An input widget for one :data:`runlab.journal.FIELDS` entry (empty = not given)."""
    from runlab.schema import axis_title

    label = {"rpe": "RPE (0-10)", "run_id": "Run id"}.get(spec.name, axis_title(spec.name))
    style = {"description_width": "150px"}
    if spec.kind == "int":
        options = [("", None)] + [(f"{v} {spec.labels.get(v, '')}".strip(), v)
                                  for v in range(int(spec.lo), int(spec.hi) + 1)]
        return w.Dropdown(options=options, value=None, description=label, style=style)
    if spec.kind == "choice":
        return w.Dropdown(options=[("", None)] + [(c, c) for c in spec.choices], value=None,
                          description=label, style=style)
    if spec.kind == "text":
        return w.Textarea(description=label, placeholder="how did cadence feel?", style=style)
    return w.Text(description=label, placeholder=spec.allowed, style=style)


class JournalForm(w.VBox):
    """A journal entry form for one runner; *Save* validates and appends atomically.

    Fields and allowed values come from :data:`runlab.journal.FIELDS` (perceived tempo,
    foot strike, comfort, RPE, surface, temperature, humidity, notes). A bad value is shown
    in the status line with the journal's own message, and nothing is written.

    Parameters
    ----------
    path : str or Path
        Journal file (CSV or JSON Lines), created on the first save.
    runner : str
        ``runner_id`` of the entries.
    """

    def __init__(self, path: str | Path, runner: str):
        from runlab.journal import FIELDS

        if not isinstance(runner, str) or not runner:
            raise ValueError(f"invalid runner {runner!r}; allowed: a non-empty runner_id")
        self.path = Path(path)
        self.runner = runner
        self.timings_s: list[float] = []
        self.date = css(w.DatePicker(value=dt.date.today(), description="Date",
                                     style={"description_width": "150px"}), "journal-date")
        self.controls = {name: css(_control(FIELDS[name]), f"journal-{name.replace('_', '-')}")
                         for name in FORM_FIELDS}
        self.save = css(w.Button(description="Save entry", button_style="primary"),
                        "journal-save")
        self.status = css(w.HTML(), "journal-status")
        self.save.on_click(lambda _: self.submit())
        super().__init__([w.HTML(f"<b>Journal of {runner}</b> → <code>{self.path}</code>"),
                          self.date, *self.controls.values(), self.save, self.status])
        css(self, "journal-form")

    def entry(self) -> dict:
        """The entry as typed (strings for numbers; the journal validates them)."""
        out = {"date": self.date.value, "runner_id": self.runner}
        for name, control in self.controls.items():
            value = control.value
            if isinstance(value, str):  # never a formula when the CSV is opened
                value = formula_safe_text(value.strip()) or None
            out[name] = value
        return out

    @timed
    def submit(self) -> bool:
        """Validate and append the entry; True if it was written."""
        from runlab import journal

        entry = self.entry()
        missing = [n for n in REQUIRED_FIELDS if entry.get(n) is None]
        if entry["date"] is None:
            missing.insert(0, "date")
        if missing:
            names = ", ".join(n.replace("rpe", "RPE") for n in missing)
            self.status.value = (f'<span class="runlab-error">not saved: required '
                                 f'{"field" if len(missing) == 1 else "fields"} missing: '
                                 f"{names}</span>")
            return False
        try:
            journal.append(self.path, entry)
        except (JournalError, ValueError) as exc:
            problems = getattr(exc, "problems", None)
            detail = ("; ".join(f"{field}: {msg}" for _, field, msg in problems)
                      if problems else str(exc))
            self.status.value = f'<span class="runlab-error">not saved: {detail}</span>'
            return False
        self.status.value = (f'<span class="runlab-ok">saved {entry["date"]} for '
                             f'{self.runner} to {self.path.name}</span>')
        for name in ("run_id", "notes"):
            self.controls[name].value = ""
        return True
