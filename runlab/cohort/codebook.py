"""Tables of a store for R (lme4, brms) users, with a codebook: every column, its unit, levels.

:func:`export_for_r` writes ``runs`` and ``journal`` as CSV (missing values ``NA``, times in
ISO 8601 UTC, booleans ``true``/``false``) or parquet, plus ``codebook.csv`` (one row per
table × column: ``table``, ``column``, ``r_type``, ``unit``, ``description``, ``levels``,
``n_missing``) and ``codebook.md`` (the same, with the R lines that load the tables with the
right types and factor levels). Columns that name files (``source_path``, ``file_sha256``,
``creator``, ``warnings``) and journal free text (``notes``, ``video``) are never written;
share the output of :func:`runlab.cohort.export` (masked, pseudonymised) when the tables
leave the lab.
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from runlab.schema import UNITS

__all__ = ["codebook", "export_for_r", "DESCRIPTIONS", "NOT_EXPORTED"]

#: Columns that identify files or hold free text: never in an R export.
NOT_EXPORTED = ("source_path", "file_sha256", "creator", "warnings", "notes", "video")

#: What each known column means (units are in the names; see :data:`runlab.schema.UNITS`).
DESCRIPTIONS = {
    "run_id": "identifier of the run (pseudonym in a shared export)",
    "runner_id": "identifier of the runner (pseudonym in a shared export); the grouping "
                 "factor of mixed models, e.g. (1 | runner_id)",
    "group": "study arm (reference level first)",
    "week": "clinic week (0 = metronome-free baseline)",
    "start_time": "start of the run, UTC",
    "end_time": "end of the run, UTC",
    "ingested_at": "when runlab read the file, UTC",
    "moving_s": "moving time",
    "distance_m": "distance",
    "speed_mps": "mean moving speed, walk breaks included",
    "run_speed_mps": "mean speed while running (walk breaks excluded)",
    "cadence_spm": "mean cadence while running, steps (not strides) per minute",
    "cadence_cv": "coefficient of variation of cadence while running (fraction)",
    "step_length_m": "mean step length while running",
    "run_walk_ratio": "median run interval / median walk interval of the walk-run block (runlab.gait.run_walk_ratio)",
    "easy": "an easy run by the runner's own heart rate or pace",
    "temperature_c": "air temperature",
    "humidity_pct": "relative humidity",
    "strides": "number of strides (short accelerations) detected",
    "hill_reps": "number of hill repetitions detected",
    "cadence_drift_spm": "cadence change from the first to the last part of the run",
    "sport": "device sport",
    "sub_sport": "device sub-sport (e.g. treadmill)",
    "format": "file format the run came from",
    "local_time_offset_s": "local time minus UTC at the run, as the file says (FIT); clinic weeks count local dates",
    "partial": "the file was damaged and read up to the damage",
    "date": "local date of the session",
    "perceived_tempo": "perceived tempo, 1 (slow) to 5 (quick), ordinal",
    "foot_strike": "self-reported foot strike",
    "comfort": "comfort, 1 (poor) to 5 (very comfortable), ordinal",
    "rpe": "rating of perceived exertion, 0 to 10 (CR10), ordinal",
    "surface": "running surface",
    "rubric_cadence_consistency": "video rubric: cadence consistency, 1 to 5, ordinal",
    "rubric_landing_quietness": "video rubric: landing quietness, 1 to 5, ordinal",
    "rubric_upright_posture": "video rubric: upright posture, 1 to 5, ordinal",
}

#: Integer columns that are ordinal scores (R: ordered factors when modelled with clmm/brms).
_ORDINAL = ("perceived_tempo", "comfort", "rpe", "rubric_cadence_consistency",
            "rubric_landing_quietness", "rubric_upright_posture")
#: Text columns that are identifiers, not factors with levels.
_IDS = ("run_id", "runner_id")
_MAX_LEVELS = 50


def _unit(column: str) -> str:
    for suffix in sorted(UNITS, key=len, reverse=True):
        if column.endswith(suffix):
            return UNITS[suffix]
    return {"cadence_cv": "fraction", "run_walk_ratio": "ratio"}.get(column, "")


def _r_type(frame: pl.DataFrame, column: str) -> str:
    dtype = frame.schema[column]
    if column in _IDS:
        return "factor (identifier)"
    if column in _ORDINAL:
        return "ordered"
    if dtype == pl.Boolean:
        return "logical"
    if dtype == pl.Date:
        return "Date"
    if dtype.is_temporal():
        return "POSIXct (UTC)"
    if dtype.is_integer():
        return "integer"
    if dtype.is_numeric():
        return "numeric"
    levels = frame[column].drop_nulls().n_unique()
    return "factor" if levels <= _MAX_LEVELS else "character"


def _levels(frame: pl.DataFrame, column: str, r_type: str) -> str:
    if r_type not in ("factor", "ordered"):
        return ""
    values = frame[column].drop_nulls().unique().sort().to_list()
    if column == "group" and "control" in values:  # the reference level first
        values = ["control", *[v for v in values if v != "control"]]
    return "|".join(str(v) for v in values)


def codebook(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """One row per table × column: ``table``, ``column``, ``r_type``, ``unit``,
    ``description``, ``levels`` (``|``-separated, reference first), ``n_missing``."""
    rows = []
    for name, frame in tables.items():
        for column in frame.columns:
            r_type = _r_type(frame, column)
            rows.append({"table": name, "column": column, "r_type": r_type,
                         "unit": _unit(column), "description": DESCRIPTIONS.get(column, ""),
                         "levels": _levels(frame, column, r_type),
                         "n_missing": frame[column].null_count()})
    return pl.DataFrame(rows, schema={"table": pl.String, "column": pl.String,
                                      "r_type": pl.String, "unit": pl.String,
                                      "description": pl.String, "levels": pl.String,
                                      "n_missing": pl.Int64})


def _for_csv(frame: pl.DataFrame) -> pl.DataFrame:
    """Times as ISO 8601 UTC text (R: as.POSIXct(x, tz = "UTC", format = ...))."""
    out = []
    for column, dtype in frame.schema.items():
        if isinstance(dtype, pl.Datetime):
            expr = pl.col(column)
            if dtype.time_zone is not None:
                expr = expr.dt.convert_time_zone("UTC")
            out.append(expr.dt.strftime("%Y-%m-%dT%H:%M:%SZ").alias(column))
        elif isinstance(dtype, pl.Duration | pl.List | pl.Struct | pl.Object):
            out.append(pl.col(column).cast(pl.String))
        else:
            out.append(pl.col(column))
    return frame.select(out)


def _r_lines(book: pl.DataFrame, fmt: str) -> str:
    lines = []
    for table in book["table"].unique(maintain_order=True).to_list():
        part = book.filter(pl.col("table") == table)
        if fmt == "csv":
            lines.append(f'{table} <- read.csv("{table}.csv", na.strings = "NA", '
                         "stringsAsFactors = FALSE)")
        else:
            lines.append(f'{table} <- as.data.frame(arrow::read_parquet("{table}.parquet"))')
        for column, r_type, levels in part.select("column", "r_type", "levels").iter_rows():
            ref = f"{table}${column}"
            if r_type == "factor (identifier)":
                lines.append(f"{ref} <- factor({ref})")
            elif r_type in ("factor", "ordered") and levels:
                quoted = ", ".join(f'"{v}"' if r_type == "factor" else v
                                   for v in levels.split("|"))
                ordered = ", ordered = TRUE" if r_type == "ordered" else ""
                lines.append(f"{ref} <- factor({ref}, levels = c({quoted}){ordered})")
            elif r_type == "POSIXct (UTC)" and fmt == "csv":
                lines.append(f'{ref} <- as.POSIXct({ref}, tz = "UTC", '
                             'format = "%Y-%m-%dT%H:%M:%SZ")')
            elif r_type == "Date" and fmt == "csv":
                lines.append(f"{ref} <- as.Date({ref})")
    return "\n".join(lines)


def _markdown(book: pl.DataFrame, fmt: str) -> str:
    text = ["# Codebook", "",
            "Units are in the column names and in the `unit` column; `NA` is missing. "
            "Load in R:", "", "```r", _r_lines(book, fmt), "```", "",
            "Example: `lme4::lmer(cadence_spm ~ speed_mps + (1 + speed_mps | runner_id), "
            "data = runs)`.", ""]
    for table in book["table"].unique(maintain_order=True).to_list():
        text += [f"## {table}", "", "| column | R type | unit | description | levels | missing |",
                 "|---|---|---|---|---|---|"]
        for r in book.filter(pl.col("table") == table).iter_rows(named=True):
            text.append(f"| {r['column']} | {r['r_type']} | {r['unit']} | {r['description']} "
                        f"| {r['levels'].replace('|', ', ')} | {r['n_missing']} |")
        text.append("")
    return "\n".join(text)


def export_for_r(store, out: str | os.PathLike, *, runners: pl.DataFrame | None = None,
                 fmt: str = "csv") -> pl.DataFrame:
    """Write a store's runs and journal for R, with ``codebook.csv`` and ``codebook.md``.

    Parameters
    ----------
    store : Store or path
        A runlab store (share an exported one, :func:`runlab.cohort.export`).
    out : path
        A new or empty folder.
    runners : polars.DataFrame, optional
        Per-runner columns to join to both tables by ``runner_id`` (e.g. ``group``,
        ``height_m``); ``group`` becomes a factor with ``control`` as reference level.
    fmt : {"csv", "parquet"}

    Returns
    -------
    polars.DataFrame
        The codebook.
    """
    from runlab._csv_safe import formula_safe
    from runlab.cohort.store import Store

    if fmt not in ("csv", "parquet"):
        raise ValueError(f"export_for_r: fmt must be 'csv' or 'parquet', got {fmt!r}")
    src = store if isinstance(store, Store) else Store(store)
    folder = Path(out)
    if folder.exists() and any(folder.iterdir()):
        raise ValueError(f"{folder}: R export folder must be new or empty")
    tables = {"runs": src.runs, "journal": src.journal}
    if runners is not None:
        if "runner_id" not in runners.columns or runners["runner_id"].is_duplicated().any():
            raise ValueError("export_for_r: runners needs one row per runner_id")
        extra = runners.with_columns(pl.col("runner_id").cast(pl.String))
        tables = {k: v.join(extra, on="runner_id", how="left") for k, v in tables.items()}
    tables = {k: v.drop(NOT_EXPORTED, strict=False) for k, v in tables.items()}
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        if fmt == "csv":
            formula_safe(_for_csv(frame)).write_csv(folder / f"{name}.csv", null_value="NA")
        else:
            frame.write_parquet(folder / f"{name}.parquet")
    book = codebook(tables)
    book.write_csv(folder / "codebook.csv")
    (folder / "codebook.md").write_text(_markdown(book, fmt), encoding="utf-8")
    return book
