"""Canonical frames: column names, dtypes and units (units live in the column name).

``RECORDS`` is what every reader returns, ``CLEANED`` what :func:`runlab.clean` adds,
``RUNS`` one row per run from :func:`runlab.summarize`, ``JOURNAL`` the training journal.
:func:`validate` checks a frame against one of them and names the offending column.
"""

from __future__ import annotations

import polars as pl

from runlab.errors import SchemaError

__all__ = ["RECORDS", "EVENTS", "CLEANED", "RUNS", "JOURNAL", "SCHEMAS", "UNITS", "validate",
           "empty", "conform", "axis_title"]

TIMESTAMP = pl.Datetime("us", "UTC")

#: One row per sample, sorted by time. A sensor the file lacks is an all-null column.
RECORDS: dict[str, pl.DataType] = {
    "timestamp": TIMESTAMP,
    "elapsed_s": pl.Float64,
    "distance_m": pl.Float64,
    "speed_mps": pl.Float64,
    "cadence_spm": pl.Float64,  # steps per minute, both feet
    "heart_rate_bpm": pl.Float64,
    "altitude_m": pl.Float64,
    "lat_deg": pl.Float64,
    "lon_deg": pl.Float64,
    "power_w": pl.Float64,
    "temperature_c": pl.Float64,
    "stance_time_ms": pl.Float64,
    "vertical_oscillation_mm": pl.Float64,
    "step_length_m": pl.Float64,
}

#: Records after :func:`runlab.clean`.
CLEANED: dict[str, pl.DataType] = {
    **RECORDS,
    "moving": pl.Boolean,
    "gait": pl.String,  # "run" | "walk" | "stop"
    "grade_pct": pl.Float64,
}

#: One row per run (:func:`runlab.summarize`).
RUNS: dict[str, pl.DataType] = {
    "run_id": pl.String,
    "runner_id": pl.String,
    "start_time": TIMESTAMP,
    "moving_s": pl.Float64,
    "distance_m": pl.Float64,
    "speed_mps": pl.Float64,
    "cadence_spm": pl.Float64,  # running samples only
    "cadence_cv": pl.Float64,
    "step_length_m": pl.Float64,
    "run_walk_ratio": pl.Float64,
    "easy": pl.Boolean,
    "temperature_c": pl.Float64,
    "strides": pl.Int64,
    "hill_reps": pl.Int64,
    "cadence_drift_spm": pl.Float64,
}

#: The training journal, one row per session (and per scored video).
JOURNAL: dict[str, pl.DataType] = {
    "date": pl.Date,
    "runner_id": pl.String,
    "run_id": pl.String,
    "perceived_tempo": pl.Int64,
    "foot_strike": pl.String,
    "comfort": pl.Int64,
    "rpe": pl.Int64,
    "surface": pl.String,
    "temperature_c": pl.Float64,
    "humidity_pct": pl.Float64,
    "rubric_cadence_consistency": pl.Int64,
    "rubric_landing_quietness": pl.Int64,
    "rubric_upright_posture": pl.Int64,
    "notes": pl.String,
}

#: Timer and other device events of an activity (``Activity.events``).
EVENTS: dict[str, pl.DataType] = {
    "timestamp": TIMESTAMP,
    "event": pl.String,  # "timer", "lap", ...
    "event_type": pl.String,  # "start", "stop", "stop_all", "marker", ...
}

SCHEMAS = {"records": RECORDS, "events": EVENTS, "cleaned": CLEANED, "runs": RUNS, "journal": JOURNAL}

#: Unit suffix of a column name → unit as shown on axes.
UNITS = {
    "_s": "s", "_m": "m", "_mps": "m/s", "_spm": "steps/min", "_bpm": "beats/min",
    "_deg": "°", "_w": "W", "_c": "°C", "_ms": "ms", "_mm": "mm", "_pct": "%",
    "_kmh": "km/h", "_min": "min", "_hz": "Hz",
}


def axis_title(column: str) -> str:
    """Human axis title from a canonical column name: ``speed_mps`` → ``Speed [m/s]``."""
    for suffix in sorted(UNITS, key=len, reverse=True):
        if column.endswith(suffix):
            words = column[: -len(suffix)].replace("_", " ")
            return f"{words[:1].upper()}{words[1:]} [{UNITS[suffix]}]"
    words = column.replace("_", " ")
    return words[:1].upper() + words[1:]


def empty(kind: str) -> pl.DataFrame:
    """An empty frame of a canonical kind."""
    return pl.DataFrame(schema=_schema(kind))


def conform(frame: pl.DataFrame, kind: str) -> pl.DataFrame:
    """Add missing canonical columns as nulls, cast to canonical dtypes, canonical order first.

    Extra columns (developer fields, flags) are kept after the canonical ones.
    """
    schema = _schema(kind)
    have = frame.schema
    if list(have)[:len(schema)] == list(schema) and all(have[c] == t for c, t in schema.items()):
        return frame
    exprs = [
        (pl.col(name).cast(dtype) if name in frame.columns else pl.lit(None, dtype)).alias(name)
        for name, dtype in schema.items()
    ]
    extra = [c for c in frame.columns if c not in schema]
    return frame.select(*exprs, *extra)


def validate(frame: pl.DataFrame, kind: str) -> pl.DataFrame:
    """Check ``frame`` against the canonical schema ``kind``; return it unchanged.

    Raises :class:`~runlab.errors.SchemaError` naming the first missing column or the
    column whose dtype is wrong (with the expected dtype and unit).
    """
    schema = _schema(kind)
    for name, dtype in schema.items():
        if name not in frame.columns:
            raise SchemaError(f"{kind} frame lacks column {name!r} ({dtype}); "
                              f"has {frame.columns}")
        got = frame.schema[name]
        if got != dtype and not (got == pl.Null):
            raise SchemaError(f"{kind} column {name!r} is {got}, expected {dtype} "
                              f"({axis_title(name)})")
    if kind in {"records", "cleaned"} and frame.height > 1:
        if not frame["timestamp"].is_sorted():
            raise SchemaError(f"{kind} column 'timestamp' is not sorted")
    return frame


def _schema(kind: str) -> dict[str, pl.DataType]:
    try:
        return SCHEMAS[kind]
    except KeyError:
        raise ValueError(f"unknown frame kind {kind!r}; one of {sorted(SCHEMAS)}") from None
