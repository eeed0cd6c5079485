"""Validation of journal rows: every bad cell reported as ``(line, field, message)``.

Text fields are stripped; ``foot_strike`` and ``surface`` are case-insensitive and stored in
lower case. Empty cells are missing values. Column headers are matched after lower-casing
and turning spaces and hyphens into underscores (``"Runner ID"`` → ``runner_id``); columns
the journal does not define are kept (as text) after the canonical ones.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Literal

import polars as pl

from runlab.errors import JournalError
from runlab.journal.fields import _LINE, FIELDS, SCHEMA, Field, Problem

__all__ = ["validate", "problems_frame"]


def _header_name(name: Any) -> str:
    return str(name).strip().lower().replace(" ", "_").replace("-", "_")


def _text(value: Any) -> str | None:
    """A cell as text: dates ISO, integral floats without ``.0``, empty → None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value):
            return str(int(value))
        return repr(value)
    if isinstance(value, dict | list):
        return json.dumps(value)
    text = str(value)
    return text if text.strip() else None


def _parsed(spec: Field) -> tuple[pl.Expr, pl.Expr]:
    """(typed value, ok) expressions for a stripped, non-empty text column."""
    s = pl.col(spec.name).str.strip_chars()
    if spec.kind in {"int", "float"}:
        num = s.cast(pl.Float64, strict=False)
        ok = num.is_not_null() & num.is_finite() & num.is_between(spec.lo, spec.hi)
        if spec.kind == "int":
            ok = ok & (num == num.round())
            return num.round().cast(pl.Int64, strict=False), ok
        return num, ok
    if spec.kind == "choice":
        low = s.str.to_lowercase()
        return low, low.is_in(list(spec.choices))
    if spec.kind == "date":
        value = s.str.to_date("%Y-%m-%d", strict=False)
        return value, value.is_not_null()
    if spec.kind == "time":
        value = pl.coalesce(s.str.to_time("%H:%M:%S", strict=False),
                            s.str.to_time("%H:%M", strict=False))
        return value, value.is_not_null()
    if spec.kind == "id":
        return s, pl.lit(True)
    return pl.col(spec.name), pl.lit(True)  # free text: kept as written


def _check(text: pl.DataFrame) -> tuple[pl.DataFrame, list[Problem]]:
    """Validate an all-text frame with a ``__line`` column.

    Returns the typed frame (every row, bad cells null) with ``__line`` and a ``__bad``
    flag, and every problem found, ordered by line then field.
    """
    text = text.with_columns(
        pl.when(pl.col(c).str.strip_chars() == "").then(None).otherwise(pl.col(c)).alias(c)
        for c in text.columns if c != _LINE
    )
    typed, flags, found = [], [], []
    for name in text.columns:
        spec = FIELDS.get(name)
        if name == _LINE or spec is None:
            continue
        _, ok = _parsed(spec)
        present = pl.col(name).is_not_null()
        bad = (present & ~ok.fill_null(False)) | (~present if spec.required else pl.lit(False))
        typed.append(_typed_column(name))
        flags.append(bad.alias(f"__bad_{name}"))
    checked = text.with_columns(*flags)
    for name in (c for c in text.columns if c in FIELDS):
        spec = FIELDS[name]
        rows = checked.filter(pl.col(f"__bad_{name}")).select(_LINE, name)
        for line, value in rows.iter_rows():
            what = "missing" if value is None else f"{value!r} is not allowed"
            found.append((line, list(FIELDS).index(name), (line, name,
                                                           f"{what}; expected {spec.allowed}")))
    problems = [p for *_, p in sorted(found)]
    any_bad = pl.any_horizontal(pl.col("^__bad_.*$")) if flags else pl.lit(False)
    extra = [pl.col(c) for c in text.columns if c not in FIELDS and c != _LINE]
    out = checked.select(pl.col(_LINE), *typed, *extra, any_bad.alias("__bad"))
    return out, problems


def _typed(checked: pl.DataFrame) -> pl.DataFrame:
    """Good rows of a checked frame, conformed to :data:`SCHEMA` (``time`` kept if present)."""
    return _conform(checked.filter(~pl.col("__bad")).drop("__bad", _LINE))


def _conform(frame: pl.DataFrame) -> pl.DataFrame:
    cols = [(pl.col(n) if n in frame.columns else pl.lit(None, d)).cast(d).alias(n)
            for n, d in SCHEMA.items()]
    extra = [c for c in frame.columns if c not in SCHEMA]
    return frame.select(*cols, *extra)


def _frame_as_text(frame: pl.DataFrame | Mapping[str, Any] | Sequence[Mapping[str, Any]]
                   ) -> pl.DataFrame:
    """Any entry/frame → all-text frame with normalised names and a 1-based ``__line``."""
    if isinstance(frame, Mapping):
        frame = [frame]
    if not isinstance(frame, pl.DataFrame):
        rows = [{_header_name(k): _text(v) for k, v in row.items()} for row in frame]
        names = list(dict.fromkeys(k for row in rows for k in row))
        frame = pl.DataFrame({n: [row.get(n) for row in rows] for n in names},
                             schema={n: pl.String for n in names})
    else:
        frame = frame.rename({c: _header_name(c) for c in frame.columns})
        if "date" in frame.columns and isinstance(frame.schema["date"], pl.Datetime):
            frame = frame.with_columns(pl.col("date").dt.date())  # a timestamp's day
        frame = _text_cells(frame)
    return frame.with_row_index(_LINE, offset=1).with_columns(pl.col(_LINE).cast(pl.Int64))


def validate(frame: pl.DataFrame | Mapping[str, Any] | Sequence[Mapping[str, Any]],
             errors: Literal["raise", "collect"] = "raise", *, source: str = "journal"):
    """Validate journal rows given as a frame, one entry (dict) or a list of entries.

    Returns the typed frame (``errors="raise"``) or ``(good_rows, problems)``
    (``errors="collect"``); problem line numbers are 1-based row numbers here.
    """
    checked, problems = _check(_frame_as_text(frame))
    _require_columns(checked.columns, source)
    return _finish(checked, problems, errors, source)


def _require_columns(columns: Iterable[str], source: str) -> None:
    missing = [n for n, f in FIELDS.items() if f.required and n not in columns]
    if missing:
        raise JournalError(f"{source}: no {' or '.join(repr(m) for m in missing)} column; "
                           f"a journal needs {', '.join(n for n, f in FIELDS.items() if f.required)}",
                           [(1, m, "required column is missing") for m in missing])


def _finish(checked, problems, errors, source):
    if errors not in {"raise", "collect"}:
        raise ValueError(f"errors={errors!r}; expected 'raise' or 'collect'")
    frame = _typed(checked)
    if errors == "collect":
        return frame, problems
    if problems:
        shown = "\n".join(f"  line {ln}, {fld}: {msg}" for ln, fld, msg in problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        bad_rows = len({p[0] for p in problems})
        raise JournalError(f"{source}: {len(problems)} problem(s) in {bad_rows} row(s):\n"
                           f"{shown}{more}", problems)
    return frame


def problems_frame(problems: Sequence[Problem]) -> pl.DataFrame:
    """Problems as a table: ``line``, ``field``, ``message``."""
    return pl.DataFrame(list(problems), schema={"line": pl.Int64, "field": pl.String,
                                                "message": pl.String}, orient="row")


def _text_cells(frame: pl.DataFrame) -> pl.DataFrame:
    """Typed journal rows → text cells as written to files (ISO dates, HH:MM:SS times)."""
    return frame.with_columns(
        pl.col(c).dt.strftime("%H:%M:%S") if frame.schema[c] == pl.Time
        else pl.col(c).cast(pl.String) for c in frame.columns)


def _typed_column(name: str) -> pl.Expr:
    """Column ``name`` parsed as :data:`FIELDS` defines it (unparseable → null)."""
    typed, ok = _parsed(FIELDS[name])
    return (pl.when(pl.col(name).is_not_null() & ok).then(typed).otherwise(None)
            .cast(FIELDS[name].dtype).alias(name))


def _typed_value(name: str, value: Any, path: Path) -> Any:
    """``value`` as the journal stores column ``name`` (``"Trail"`` → ``"trail"``, a date
    string → a date); a value the column cannot hold raises :class:`JournalError`."""
    spec = FIELDS.get(name)
    if spec is None:
        return _text(value)
    typed, ok = _parsed(spec)
    got = pl.DataFrame({name: [_text(value)]}, schema={name: pl.String}).select(
        typed.alias("value"), ok.alias("ok"))
    if not got.row(0)[1]:
        raise JournalError(f"{path}: cannot match {name}={value!r}; expected {spec.allowed}")
    return got.row(0)[0]
