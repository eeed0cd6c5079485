"""The journal's fields: names, dtypes, allowed values and units (see :mod:`runlab.journal`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import polars as pl

from runlab import schema

__all__ = ["SCHEMA", "FIELDS", "FOOT_STRIKES", "SURFACES", "PRIVATE", "FORM", "Field",
           "Problem"]

#: Measured form of a scored clip (:func:`runlab.gait.form` summary): journal column →
#: summary column. Measures only; landmarks and frames are never journaled.
FORM = {
    "form_steps": "steps", "form_cadence_spm": "cadence_spm",
    "form_cadence_cv_pct": "cadence_cv_pct", "form_overstride_leg": "overstride_leg",
    "form_foot_strike": "foot_strike", "form_foot_strike_angle_deg": "foot_strike_angle_deg",
    "form_trunk_lean_deg": "trunk_lean_deg", "form_knee_flexion_deg": "knee_flexion_deg",
    "form_vertical_oscillation_leg": "vertical_oscillation_leg",
}

#: The journal's columns: ``schema.JOURNAL`` plus the scored clip's file reference. (The
#: ``form_*`` fields are optional columns: validated and typed when present, not added to
#: every journal.)
SCHEMA: dict[str, pl.DataType] = {**schema.JOURNAL, "video": pl.String}

FOOT_STRIKES = ("heel", "midfoot", "forefoot", "unsure")
SURFACES = ("road", "track", "trail", "grass", "treadmill", "sand", "other")
#: Columns that hold free text or personal media; :func:`for_export` drops them.
PRIVATE = ("notes", "video")

Problem = tuple[int, str, str]  # (line, field, message), as in JournalError.problems


@dataclass(frozen=True)
class Field:
    """One journal field: its dtype, what is allowed, and in which unit."""

    name: str
    dtype: pl.DataType
    kind: Literal["date", "time", "id", "text", "int", "float", "choice"]
    allowed: str
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] = ()
    required: bool = False
    labels: dict[int, str] = field(default_factory=dict)


_TEMPO = {1: "very slow", 2: "slow", 3: "moderate", 4: "fast", 5: "very fast"}
_COMFORT = {1: "very uncomfortable", 2: "uncomfortable", 3: "neutral", 4: "comfortable",
            5: "very comfortable"}
_RUBRIC = {1: "poor", 2: "fair", 3: "good", 4: "very good", 5: "excellent"}

#: Every journal field with its allowed values (see the module docstring for the table).
FIELDS: dict[str, Field] = {f.name: f for f in [
    Field("date", pl.Date, "date", "an ISO date YYYY-MM-DD", required=True),
    Field("runner_id", pl.String, "id", "a non-empty runner id", required=True),
    Field("run_id", pl.String, "id", "a run id or empty"),
    Field("time", pl.Time, "time", "a local time HH:MM or HH:MM:SS, or empty"),
    Field("perceived_tempo", pl.Int64, "int", "an integer 1-5 (1 very slow ... 5 very fast)",
          1, 5, labels=_TEMPO),
    Field("foot_strike", pl.String, "choice", "one of " + ", ".join(FOOT_STRIKES),
          choices=FOOT_STRIKES),
    Field("comfort", pl.Int64, "int",
          "an integer 1-5 (1 very uncomfortable ... 5 very comfortable)", 1, 5, labels=_COMFORT),
    Field("rpe", pl.Int64, "int", "an integer 0-10 (Borg CR10 perceived exertion)", 0, 10),
    Field("surface", pl.String, "choice", "one of " + ", ".join(SURFACES), choices=SURFACES),
    Field("temperature_c", pl.Float64, "float", "a temperature -30 to 50 [°C]", -30, 50),
    Field("humidity_pct", pl.Float64, "float", "a relative humidity 0 to 100 [%]", 0, 100),
    Field("rubric_cadence_consistency", pl.Int64, "int", "a rubric score 1-5", 1, 5,
          labels=_RUBRIC),
    Field("rubric_landing_quietness", pl.Int64, "int", "a rubric score 1-5", 1, 5,
          labels=_RUBRIC),
    Field("rubric_upright_posture", pl.Int64, "int", "a rubric score 1-5", 1, 5,
          labels=_RUBRIC),
    Field("notes", pl.String, "text", "free text"),
    Field("video", pl.String, "text", "a video file reference"),
    Field("form_steps", pl.Int64, "int", "a step count 0-100000 (measured on the clip)",
          0, 100000),
    Field("form_cadence_spm", pl.Float64, "float", "a cadence 30 to 300 [steps/min]",
          30, 300),
    Field("form_cadence_cv_pct", pl.Float64, "float",
          "a step-time variation 0 to 100 [%]", 0, 100),
    Field("form_overstride_leg", pl.Float64, "float",
          "an ankle-ahead-of-hip distance -1 to 2 [leg lengths]", -1, 2),
    Field("form_foot_strike", pl.String, "choice", "one of heel, midfoot, forefoot",
          choices=("heel", "midfoot", "forefoot")),
    Field("form_foot_strike_angle_deg", pl.Float64, "float",
          "a foot strike angle -60 to 60 [deg]", -60, 60),
    Field("form_trunk_lean_deg", pl.Float64, "float", "a trunk lean -45 to 60 [deg]",
          -45, 60),
    Field("form_knee_flexion_deg", pl.Float64, "float",
          "a knee flexion at contact -10 to 120 [deg]", -10, 120),
    Field("form_vertical_oscillation_leg", pl.Float64, "float",
          "a hip oscillation 0 to 1 [leg lengths]", 0, 1),
]}

_LINE = "__line"
