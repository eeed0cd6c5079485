"""The training journal and the video rubric as data.

The clinic (CLINIC.md) asks runners to journal every session — perceived tempo, foot strike,
comfort, and later how cadence feels on different surfaces and temperatures — and coaches to
score short clips on a three-part rubric (cadence consistency, landing quietness, upright
posture). This module is the one place where the journal's fields, scales and units are
defined (:data:`FIELDS`), and where journals are read, validated, written, appended to,
linked to runs and summarised as *perceived ease in heat and humidity*.

Fields (one row per session, and per scored video)
--------------------------------------------------
=============================  ========  =====================================================
field                          type      allowed values [unit]
=============================  ========  =====================================================
date                           Date      ISO date ``YYYY-MM-DD`` (required; the runner's
                                         local date of the session)
runner_id                      String    non-empty (required)
run_id                         String    the run's id in the runs table (optional)
time                           Time      ``HH:MM`` or ``HH:MM:SS``, local start time
                                         (optional column, used to link runs on busy days)
perceived_tempo                Int64     1–5: 1 very slow, 2 slow, 3 moderate, 4 fast,
                                         5 very fast (how the rhythm felt, not the pace)
foot_strike                    String    heel, midfoot, forefoot, unsure (self-observed)
comfort                        Int64     1–5: 1 very uncomfortable, 2 uncomfortable,
                                         3 neutral, 4 comfortable, 5 very comfortable
rpe                            Int64     0–10, Borg CR10 rating of perceived exertion
                                         (0 nothing at all, 3 moderate, 5 hard, 10 maximal)
surface                        String    road, track, trail, grass, treadmill, sand, other
temperature_c                  Float64   −30 … 50 [°C], air temperature during the session
humidity_pct                   Float64   0 … 100 [%], relative humidity
rubric_cadence_consistency     Int64     1–5 (video rubric; 1 erratic … 5 steady rhythm)
rubric_landing_quietness       Int64     1–5 (1 loud, heavy heel contact … 5 "quiet feet",
                                         "soft knees")
rubric_upright_posture         Int64     1–5 (1 collapsed/over-leaning … 5 tall torso,
                                         "gentle arm swing")
notes                          String    free text (private: dropped by :func:`for_export`)
video                          String    file reference of the scored clip (private)
=============================  ========  =====================================================

Text fields are stripped; ``foot_strike`` and ``surface`` are case-insensitive and stored in
lower case. Empty cells are missing values. Column headers are matched after lower-casing
and turning spaces and hyphens into underscores (``"Runner ID"`` → ``runner_id``); columns
the journal does not define are kept (as text) after the canonical ones.

Reading and validation
----------------------
:func:`read_journal` reads CSV (``,``, ``;`` or tab separated), JSON Lines and spreadsheets
(``.xlsx``, ``.xls``, ``.ods`` through python-calamine). Every bad cell of every row is
reported as ``(line, field, message)`` — the line is the file's physical line (the header is
line 1) or the spreadsheet row. ``errors="raise"`` raises :class:`~runlab.errors.JournalError`
listing all of them; ``errors="collect"`` returns ``(frame, problems)`` with the good rows
only. A file that cannot be a journal at all (no ``date`` or ``runner_id`` column, not text)
raises in both modes.

Writing
-------
:func:`write` replaces a journal atomically (temporary file in the same folder, fsync,
``os.replace``, fsync of the folder), so a reader sees the old or the new file, never half of
one. :func:`append` and :func:`update` take an exclusive lock (``<file>.lock``, released by
the kernel if the writer dies) and rewrite atomically; earlier lines are carried over
verbatim, so even rows that do not validate are never lost.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from runlab import schema
from runlab.errors import JournalError

__all__ = [
    "SCHEMA", "FIELDS", "FOOT_STRIKES", "SURFACES", "PRIVATE", "HEAT_BANDS",
    "read_journal", "validate", "write", "append", "update", "attach",
    "heat_index_c", "perceived_ease", "weekly_ease", "for_export", "problems_frame",
]

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


# --------------------------------------------------------------------------- validation

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


# --------------------------------------------------------------------------- raw files

@dataclass
class _Raw:
    """A journal file as written: header, rows of text, the line each row starts on.

    ``records`` keeps every non-blank record in file order, so a rewrite loses nothing: an
    ``int`` is an index into ``rows`` (a well-formed row), anything else is carried over
    verbatim (a CSV record with the wrong number of fields as its cells, a JSON line that
    is not an object as its text). For JSON Lines ``objects`` holds each row as parsed.
    """

    fmt: Literal["csv", "jsonl", "sheet"]
    header: list[str]
    rows: list[dict[str, str | None]]
    lines: list[int]
    problems: list[Problem]
    delimiter: str = ","
    records: list[int | list[str] | str] = field(default_factory=list)
    objects: list[dict[str, Any]] = field(default_factory=list)

    def text_frame(self) -> pl.DataFrame:
        data: dict[str, list[str | None]] = {}
        for key in self.header:  # column by column; headers equal once normalised merge
            name, col = _header_name(key), [row.get(key) for row in self.rows]
            old = data.get(name)
            data[name] = col if old is None else [a if b is None else b
                                                  for a, b in zip(old, col, strict=True)]
        frame = pl.DataFrame(data, schema=dict.fromkeys(data, pl.String))
        return frame.with_columns(pl.Series(_LINE, self.lines, pl.Int64))


def _format_of(path: Path, head: bytes) -> str:
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}:
        return "sheet"
    if suffix in {".jsonl", ".ndjson", ".json"}:
        return "jsonl"
    if suffix in {".csv", ".tsv", ".txt"}:
        return "csv"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"\xd0\xcf\x11\xe0"):
        return "sheet"
    return "jsonl" if head.lstrip().startswith(b"{") else "csv"


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise JournalError(f"{path}: not UTF-8 text (byte {exc.start}); save the journal as "
                           "UTF-8 CSV or JSON Lines") from None


def _delimiter(first_line: str, path: Path) -> str:
    if path.suffix.lower() == ".tsv":
        return "\t"
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    return max(counts, key=counts.get) if max(counts.values()) else ","


def _read_csv_raw(path: Path, text: str) -> _Raw:
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    delim = _delimiter(first, path)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    header: list[str] | None = None
    rows, lines, problems, records = [], [], [], []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append((start, "<row>", f"unreadable CSV: {exc}"))
            continue
        if not any(c.strip() for c in cells):
            continue
        if header is None:
            header = [c.strip() for c in cells]
            continue
        if len(cells) != len(header):
            problems.append((start, "<row>", f"has {len(cells)} fields, the header has "
                                             f"{len(header)}"))
            records.append(cells)
            continue
        records.append(len(rows))
        rows.append(dict(zip(header, cells, strict=True)))
        lines.append(start)
    return _Raw("csv", header or [], rows, lines, problems, delimiter=delim, records=records)


def _read_jsonl_raw(path: Path, text: str) -> _Raw:
    if text.lstrip().startswith("["):
        raise JournalError(f"{path}: a JSON array; write the journal as JSON Lines "
                           "(one object per line)")
    header: dict[str, None] = {}
    rows, lines, problems, records, objects = [], [], [], [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append((number, "<row>", f"not valid JSON: {exc.msg}"))
            records.append(line)
            continue
        if not isinstance(obj, dict):
            problems.append((number, "<row>", "not a JSON object"))
            records.append(line)
            continue
        header.update(dict.fromkeys(obj))
        records.append(len(rows))
        rows.append({k: _text(v) for k, v in obj.items()})
        lines.append(number)
        objects.append(obj)
    return _Raw("jsonl", list(header), rows, lines, problems, records=records, objects=objects)


def _read_sheet_raw(path: Path, sheet: int | str) -> _Raw:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(os.fspath(path))
        ws = (book.get_sheet_by_index(sheet) if isinstance(sheet, int)
              else book.get_sheet_by_name(sheet))
        cells = ws.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for damaged books
        raise JournalError(f"{path}: cannot read spreadsheet ({type(exc).__name__}: {exc})") \
            from None
    header: list[str] | None = None
    rows, lines = [], []
    for number, values in enumerate(cells, start=1):
        texts = [_text(v) for v in values]
        if not any(t is not None for t in texts):
            continue
        if header is None:
            header = [t or f"column_{i + 1}" for i, t in enumerate(texts)]
            continue
        rows.append(dict(zip(header, texts, strict=False)))
        lines.append(number)
    return _Raw("sheet", header or [], rows, lines, [])


def _read_raw(path: Path, sheet: int | str = 0) -> _Raw:
    with open(path, "rb") as fh:
        head = fh.read(8)
    fmt = _format_of(path, head)
    if fmt == "sheet":
        return _read_sheet_raw(path, sheet)
    text = _decode(path, path.read_bytes())
    return _read_jsonl_raw(path, text) if fmt == "jsonl" else _read_csv_raw(path, text)


def _checked_file(path: Path, sheet: int | str = 0) -> tuple[_Raw, pl.DataFrame, list[Problem]]:
    raw = _read_raw(path, sheet)
    text = raw.text_frame()
    _require_columns(text.columns, str(path))
    checked, problems = _check(text)
    problems = sorted(raw.problems + problems, key=lambda p: p[0])
    return raw, checked, problems


def read_journal(path: str | os.PathLike, errors: Literal["raise", "collect"] = "raise", *,
                 sheet: int | str = 0):
    """Read and validate a training journal (CSV, JSON Lines, or a spreadsheet).

    Parameters
    ----------
    path
        ``.csv``/``.tsv`` (``,`` ``;`` or tab separated, UTF-8), ``.jsonl``/``.ndjson``
        (one JSON object per line) or ``.xlsx``/``.xls``/``.ods`` (first sheet, or ``sheet``).
    errors
        ``"raise"``: any bad row raises :class:`~runlab.errors.JournalError` whose
        ``problems`` lists every bad cell as ``(line, field, message)``. ``"collect"``:
        return ``(frame, problems)`` — the frame holds only the rows without problems.

    Returns
    -------
    polars.DataFrame or (polars.DataFrame, list[tuple[int, str, str]])
        Columns of :data:`SCHEMA` (plus ``time`` and any extra columns of the file).
    """
    path = Path(path)
    _, checked, problems = _checked_file(path, sheet)
    return _finish(checked, problems, errors, str(path))


# --------------------------------------------------------------------------- writing

def _atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: temp file in the same folder, fsync, rename, fsync dir."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _text_cells(frame: pl.DataFrame) -> pl.DataFrame:
    """Typed journal rows → text cells as written to files (ISO dates, HH:MM:SS times)."""
    return frame.with_columns(
        pl.col(c).dt.strftime("%H:%M:%S") if frame.schema[c] == pl.Time
        else pl.col(c).cast(pl.String) for c in frame.columns)


def _encode(frame: pl.DataFrame, fmt: str, header: Sequence[str] | None = None,
            delimiter: str = ",") -> bytes:
    """Typed rows as CSV (in ``header`` order, without the header line) or JSON Lines."""
    if fmt == "jsonl":
        rows = frame.to_dicts()
        return "".join(json.dumps({k: _json_value(v) for k, v in r.items() if v is not None},
                                  ensure_ascii=False) + "\n" for r in rows).encode()
    cells = _text_cells(frame)
    cols = list(header) if header is not None else cells.columns
    by_norm = {_header_name(c): c for c in cells.columns}
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    if header is None:
        writer.writerow(cols)
    for row in cells.iter_rows(named=True):
        writer.writerow(["" if (v := row.get(by_norm.get(_header_name(c), ""))) is None else v
                         for c in cols])
    return out.getvalue().encode()


def _json_value(v: Any) -> Any:
    return v.isoformat() if isinstance(v, date | time) else v


def _writable_format(path: Path) -> str:
    fmt = _format_of(path, b"")
    if fmt == "sheet":
        raise JournalError(f"{path}: runlab does not write spreadsheets; write the journal "
                           "as .csv or .jsonl")
    return fmt


def write(path: str | os.PathLike, frame: pl.DataFrame) -> Path:
    """Write a whole journal atomically (CSV or JSON Lines by extension); return the path.

    The frame is validated first (:class:`~runlab.errors.JournalError` lists every bad row)
    and written in :data:`SCHEMA` column order, extra columns after. The file is replaced
    with ``os.replace`` after an fsync, so readers never see a partial file.
    """
    path = Path(path)
    fmt = _writable_format(path)
    typed = validate(frame, "raise", source=str(path))
    _atomic_write(path, _encode(typed, fmt))
    return path


def _lock(path: Path):
    from filelock import FileLock

    return FileLock(os.fspath(path) + ".lock")


def _raw_bytes(raw: _Raw) -> bytes:
    """Re-encode a raw file as text: every record, well-formed or not, in file order."""
    if raw.fmt == "jsonl":
        return "".join((json.dumps(raw.objects[r], ensure_ascii=False) if isinstance(r, int)
                        else r) + "\n" for r in raw.records).encode()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=raw.delimiter, lineterminator="\n")
    writer.writerow(raw.header)
    for r in raw.records:
        if isinstance(r, int):
            row = raw.rows[r]
            writer.writerow(["" if row.get(h) is None else row[h] for h in raw.header])
        else:
            writer.writerow(r)
    return out.getvalue().encode()


def append(path: str | os.PathLike,
           entry: Mapping[str, Any] | Sequence[Mapping[str, Any]] | pl.DataFrame) -> int:
    """Append one entry (a dict), several, or a frame to a journal file; return rows added.

    The entry is validated before anything is written. Under an exclusive lock on
    ``<path>.lock`` the file's existing bytes are copied verbatim, the new rows added, and
    the result replaces the file atomically (:func:`write`'s procedure). A writer killed at
    any moment leaves the old or the new file; concurrent writers queue on the lock.
    A CSV gains a column (rewritten, values kept) when an entry brings a new one.
    """
    path = Path(path)
    fmt = _writable_format(path)
    typed = validate(entry, "raise", source=str(path))
    with _lock(path):
        if not path.exists() or path.stat().st_size == 0:
            _atomic_write(path, _encode(_conform(typed), fmt))
            return typed.height
        old = path.read_bytes()
        if old and not old.endswith(b"\n"):
            old += b"\n"
        if fmt == "jsonl":
            _atomic_write(path, old + _encode(typed, "jsonl"))
            return typed.height
        raw = _read_csv_raw(path, _decode(path, old))
        known = {_header_name(h) for h in raw.header}
        new_cols = [c for c in typed.columns
                    if c not in known and typed[c].null_count() < typed.height]
        if new_cols:
            raw.header = raw.header + new_cols
            old = _raw_bytes(raw)
        _atomic_write(path, old + _encode(typed, "csv", raw.header, raw.delimiter))
    return typed.height


def update(path: str | os.PathLike, match: Mapping[str, Any], changes: Mapping[str, Any]) -> int:
    """Change the entries whose columns equal all of ``match``; return how many changed.

    ``match`` and ``changes`` map journal column → value (``{"run_id": "r12"}``,
    ``{"runner_id": "ana", "date": date(2025, 6, 3)}``). Only rows that validate can match;
    the changed rows are validated again before the file is replaced atomically under the
    journal's lock. No matching entry raises :class:`~runlab.errors.JournalError`.
    """
    path = Path(path)
    _writable_format(path)
    if not match:
        raise JournalError(f"{path}: update needs a non-empty match")
    with _lock(path):
        raw, checked, _ = _checked_file(path)
        good = checked.filter(~pl.col("__bad"))
        cond = pl.lit(True)
        for key, value in match.items():
            name = _header_name(key)
            if name not in good.columns:
                raise JournalError(f"{path}: cannot match on {key!r}; no such column")
            cond = cond & (pl.col(name) == _typed_value(name, value, path))
        lines = set(good.filter(cond)[_LINE].to_list())
        if not lines:
            raise JournalError(f"{path}: no entry matches {dict(match)}")
        changes = {_header_name(k): v for k, v in changes.items()}
        by_norm = {_header_name(h): h for h in raw.header}
        raw.header += [k for k in changes if k not in by_norm]
        by_norm.update({k: k for k in changes if k not in by_norm})
        hits = [i for i, line in enumerate(raw.lines) if line in lines]
        for i in hits:
            raw.rows[i].update({by_norm[k]: _text(v) for k, v in changes.items()})
        validate([raw.rows[i] for i in hits], "raise", source=str(path))
        if raw.fmt == "jsonl":  # keep JSON types: numbers stay numbers
            for i in hits:
                keys = {_header_name(k): k for k in raw.objects[i]}
                raw.objects[i].update({keys.get(k, k): _json_value(v)
                                       for k, v in changes.items()})
        _atomic_write(path, _raw_bytes(raw))
    return len(lines)


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


# --------------------------------------------------------------------------- joining

def attach(runs: pl.DataFrame, journal: pl.DataFrame, *, tz: str = "UTC",
           time_tolerance_s: float = 3 * 3600) -> pl.DataFrame:
    """Link journal entries to runs; report what could not be linked unambiguously.

    An entry with a ``run_id`` links to that run. Otherwise it links to the runs of the
    same ``runner_id`` that started on its ``date`` (``start_time`` converted to ``tz``,
    the runners' local time zone). When that is more than one run and the entry has a
    ``time``, only runs starting within ``time_tolerance_s`` of it remain. Nothing is guessed.

    Returns
    -------
    polars.DataFrame
        The journal with ``run_id`` filled where linked, and ``link`` — how: ``"run_id"``,
        ``"date"``, ``"date_time"``, ``"ambiguous"`` (several runs fit; ``run_id`` stays
        null), ``"unmatched"`` (no run that day) or ``"unknown_run_id"`` (the given id is not
        in ``runs``) — and ``candidates``, the list of run ids that fit (for review).
    """
    for name in ("run_id", "runner_id", "start_time"):
        if name not in runs.columns:
            raise JournalError(f"runs frame lacks {name!r}; has {runs.columns}")
    for name in ("date", "runner_id"):
        if name not in journal.columns:
            raise JournalError(f"journal lacks {name!r}; has {journal.columns}")
    if "run_id" not in journal.columns:
        journal = journal.with_columns(run_id=pl.lit(None, pl.String))
    has_time = "time" in journal.columns
    if has_time and journal.schema["time"] != pl.Time:  # a hand-made frame: "07:30" text
        journal = journal.with_columns(_typed_column("time"))
    start = pl.col("start_time")
    if runs.schema["start_time"].time_zone is None:  # naive times are UTC in runlab
        start = start.dt.replace_time_zone("UTC")
    local = runs.select(
        pl.col("run_id").alias("__cand"), pl.col("runner_id"),
        start.dt.convert_time_zone(tz).alias("__local"),
    ).with_columns(pl.col("__local").dt.date().alias("date"))
    jr = journal.with_row_index("__row")
    by_day = (jr.filter(pl.col("run_id").is_null())
              .select("__row", "runner_id", "date", *(["time"] if has_time else []))
              .join(local, on=["runner_id", "date"], how="inner"))
    if has_time:
        start_s = (pl.col("__local").dt.hour().cast(pl.Float64) * 3600
                   + pl.col("__local").dt.minute() * 60 + pl.col("__local").dt.second())
        entry_s = (pl.col("time").dt.hour().cast(pl.Float64) * 3600
                   + pl.col("time").dt.minute() * 60 + pl.col("time").dt.second())
        by_day = by_day.with_columns(
            ((start_s - entry_s).abs() <= time_tolerance_s).fill_null(True).alias("__near"),
            pl.col("time").is_not_null().alias("__timed"))
    else:
        by_day = by_day.with_columns(pl.lit(True).alias("__near"), pl.lit(False).alias("__timed"))
    per_entry = by_day.sort("__local").group_by("__row").agg(
        pl.col("__cand").alias("candidates"),
        pl.col("__cand").filter(pl.col("__near")).alias("__near_ids"),
        pl.col("__timed").first(),
    )
    known = runs["run_id"].drop_nulls().unique().implode()
    out = jr.join(per_entry, on="__row", how="left").with_columns(
        pl.col("candidates").fill_null(pl.lit([], pl.List(pl.String))))
    n_all = pl.col("candidates").list.len()
    n_near = pl.col("__near_ids").list.len().fill_null(0)
    timed = pl.col("__timed").fill_null(False)
    link = (
        pl.when(pl.col("run_id").is_not_null())
        .then(pl.when(pl.col("run_id").is_in(known)).then(pl.lit("run_id"))
              .otherwise(pl.lit("unknown_run_id")))
        .when(n_all == 0).then(pl.lit("unmatched"))
        .when((n_all == 1) & ~timed).then(pl.lit("date"))
        .when(timed & (n_near == 1)).then(pl.lit("date_time"))
        .when(timed & (n_near == 0)).then(pl.lit("unmatched"))
        .otherwise(pl.lit("ambiguous"))
    )
    resolved = (pl.when(pl.col("link") == "date").then(pl.col("candidates").list.first())
                .when(pl.col("link") == "date_time").then(pl.col("__near_ids").list.first())
                .otherwise(pl.col("run_id")))
    out = out.with_columns(link.alias("link"))
    out = out.with_columns(
        resolved.alias("run_id"),
        pl.when(pl.col("link").is_in(["run_id", "unknown_run_id"]))
        .then(pl.lit([], pl.List(pl.String))).otherwise(pl.col("candidates")).alias("candidates"),
    )
    return out.sort("__row").drop("__row", "__near_ids", "__timed")


# --------------------------------------------------------------------------- heat and ease

#: NWS heat-index risk categories [°C] (80, 90, 103, 124 °F), lower bounds.
HEAT_BANDS = {"none": -math.inf, "caution": 26.7, "extreme caution": 32.2, "danger": 39.4,
              "extreme danger": 51.7}


def heat_index_c(temperature_c, humidity_pct) -> np.ndarray:
    """Heat index [°C] from air temperature [°C] and relative humidity [%].

    The US National Weather Service procedure: Steadman's simple formula
    ``HI = 0.5·(T + 61 + 1.2·(T − 68) + 0.094·RH)`` (°F), and where the mean of that and
    ``T`` reaches 80 °F the Rothfusz (1990) regression with its low-humidity and
    high-humidity adjustments (NWS Technical Attachment SR 90-23; "The Heat Index Equation",
    NWS Weather Prediction Center). Below about 27 °C the heat index is close to the air
    temperature; it is meaningful as heat stress only above that. NaN where either is missing.
    """
    t_c = np.asarray(temperature_c, dtype=float)
    rh = np.asarray(humidity_pct, dtype=float)
    t = t_c * 9 / 5 + 32
    simple = 0.5 * (t + 61.0 + (t - 68.0) * 1.2 + rh * 0.094)
    full = (-42.379 + 2.04901523 * t + 10.14333127 * rh - 0.22475541 * t * rh
            - 6.83783e-3 * t**2 - 5.481717e-2 * rh**2 + 1.22874e-3 * t**2 * rh
            + 8.5282e-4 * t * rh**2 - 1.99e-6 * t**2 * rh**2)
    with np.errstate(invalid="ignore"):
        dry = (rh < 13) & (t >= 80) & (t <= 112)
        full = full - np.where(dry, (13 - rh) / 4 * np.sqrt(np.clip(17 - np.abs(t - 95), 0, None)
                                                            / 17), 0.0)
        humid = (rh > 85) & (t >= 80) & (t <= 87)
        full = full + np.where(humid, (rh - 85) / 10 * (87 - t) / 5, 0.0)
        hi_f = np.where((simple + t) / 2 >= 80, full, simple)
    return (hi_f - 32) * 5 / 9


def _heat_band(expr: pl.Expr) -> pl.Expr:
    out = pl.lit(None, pl.String)
    for name, lower in HEAT_BANDS.items():
        out = pl.when(expr >= lower).then(pl.lit(name)).otherwise(out)
    return out


def perceived_ease(journal: pl.DataFrame, *, hot_c: float = HEAT_BANDS["caution"]
                   ) -> pl.DataFrame:
    """Per-entry perceived ease and the heat it was felt in.

    Adds

    - ``heat_index_c`` [°C]: :func:`heat_index_c` of ``temperature_c`` and ``humidity_pct``
      (null when either is missing);
    - ``heat_band``: the NWS category of the heat index (``none``, ``caution``, ...);
    - ``hot``: heat index ≥ ``hot_c`` (default 26.7 °C = 80 °F, where NWS "caution" starts);
    - ``ease``: 0 (very hard, very uncomfortable) … 1 (effortless, very comfortable), the mean
      of the available ``(comfort − 1) / 4`` and ``1 − rpe / 10`` (Borg CR10);
    - ``ease_vs_cool``: ``ease`` minus the runner's median ease in entries that were not
      hot — negative when heat and humidity make running feel harder than usual for that
      runner. This is the clinic's "perceived ease in heat or humidity" (CLINIC.md); as it
      improves towards 0 the runner copes with heat better.
    """
    for name in ("runner_id", "comfort", "rpe", "temperature_c", "humidity_pct"):
        if name not in journal.columns:
            raise JournalError(f"journal lacks {name!r}; has {journal.columns}")
    hi = heat_index_c(journal["temperature_c"].cast(pl.Float64).to_numpy(),
                      journal["humidity_pct"].cast(pl.Float64).to_numpy())
    comfort_part = (pl.col("comfort").cast(pl.Float64) - 1) / 4
    rpe_part = 1 - pl.col("rpe").cast(pl.Float64) / 10
    out = journal.with_columns(
        pl.Series("heat_index_c", hi, pl.Float64).fill_nan(None),
        pl.mean_horizontal(comfort_part, rpe_part).alias("ease"),
    ).with_columns(
        _heat_band(pl.col("heat_index_c")).alias("heat_band"),
        (pl.col("heat_index_c") >= hot_c).alias("hot"),
    )
    cool = pl.col("ease").filter(pl.col("hot").not_()).median().over("runner_id")
    return out.with_columns((pl.col("ease") - cool).alias("ease_vs_cool"))


def weekly_ease(journal: pl.DataFrame, *, hot_c: float = HEAT_BANDS["caution"]
                ) -> pl.DataFrame:
    """Perceived ease per runner and ISO week (weeks start on Monday).

    Takes a journal (or :func:`perceived_ease`'s output). Columns: ``runner_id``, ``week``
    (the Monday, Date), ``entries``, ``ease`` (mean), ``hot_entries``, ``ease_hot`` and
    ``ease_cool`` (mean ease in hot / not-hot entries), ``heat_gap`` (``ease_hot −
    ease_cool`` within the week, null unless both occur), ``ease_vs_cool`` (mean over the
    hot entries: their ease against the runner's usual cool-weather ease) and
    ``heat_index_c`` (mean).
    """
    if "ease" not in journal.columns:
        journal = perceived_ease(journal, hot_c=hot_c)
    hot = pl.col("hot").fill_null(False)
    weeks = (journal.with_columns(pl.col("date").dt.truncate("1w").alias("week"))
             .group_by("runner_id", "week")
             .agg(pl.len().cast(pl.Int64).alias("entries"),
                  pl.col("ease").mean().alias("ease"),
                  hot.sum().cast(pl.Int64).alias("hot_entries"),
                  pl.col("ease").filter(hot).mean().alias("ease_hot"),
                  pl.col("ease").filter(pl.col("hot") == False).mean()  # noqa: E712
                  .alias("ease_cool"),
                  pl.col("ease_vs_cool").filter(hot).mean().alias("ease_vs_cool"),
                  pl.col("heat_index_c").mean().alias("heat_index_c")))
    return (weeks.with_columns((pl.col("ease_hot") - pl.col("ease_cool")).alias("heat_gap"))
            .sort("runner_id", "week"))


# --------------------------------------------------------------------------- privacy

def for_export(frame: pl.DataFrame, include_notes: bool = False) -> pl.DataFrame:
    """The journal as it may leave the clinic: free-text ``notes`` and ``video`` file
    references are dropped unless ``include_notes=True``."""
    if include_notes:
        return frame
    return frame.drop([c for c in PRIVATE if c in frame.columns])
