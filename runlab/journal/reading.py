"""Reading journal files.

Reading and validation
----------------------
:func:`read_journal` reads CSV (``,``, ``;`` or tab separated), JSON Lines and spreadsheets
(``.xlsx``, ``.xls``, ``.ods`` through python-calamine). Every bad cell of every row is
reported as ``(line, field, message)`` — the line is the file's physical line (the header is
line 1) or the spreadsheet row. ``errors="raise"`` raises :class:`~runlab.errors.JournalError`
listing all of them; ``errors="collect"`` returns ``(frame, problems)`` with the good rows
only. A file that cannot be a journal at all (no ``date`` or ``runner_id`` column, not text)
raises in both modes.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import polars as pl

from runlab.errors import JournalError
from runlab.journal.fields import _LINE, Problem
from runlab.journal.validation import _check, _finish, _header_name, _require_columns, _text

__all__ = ["read_journal"]


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
