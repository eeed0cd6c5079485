"""The journal's fields: names, dtypes, allowed values and units (see :mod:`runlab.journal`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import polars as pl

from runlab import schema

__all__ = ["SCHEMA", "FIELDS", "FOOT_STRIKES", "SURFACES", "PRIVATE", "Field", "Problem"]

#: The journal's columns: ``schema.JOURNAL`` plus the scored clip's file reference.
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
]}

_LINE = "__line"
