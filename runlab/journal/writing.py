"""Writing journals.

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
import os
from collections.abc import Mapping, Sequence
from datetime import date, time
from pathlib import Path
from typing import Any

import polars as pl

from runlab._files import atomic_write, file_lock
from runlab.errors import JournalError
from runlab.journal.fields import _LINE
from runlab.journal.reading import _checked_file, _decode, _format_of, _Raw, _read_csv_raw
from runlab.journal.validation import (
    _conform,
    _header_name,
    _text,
    _text_cells,
    _typed_value,
    validate,
)

__all__ = ["write", "append", "update"]


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
    # csv quotes cells holding the line terminator ("\n") but not a lone "\r", which other
    # readers take for a line end: rows with one are written fully quoted
    quoted = csv.writer(out, delimiter=delimiter, lineterminator="\n", quoting=csv.QUOTE_ALL)
    if header is None:
        writer.writerow(cols)
    for row in cells.iter_rows(named=True):
        values = ["" if (v := row.get(by_norm.get(_header_name(c), ""))) is None else v
                  for c in cols]
        (quoted if any("\r" in str(v) for v in values) else writer).writerow(values)
    return out.getvalue().encode()


def _json_value(v: Any) -> Any:
    return v.isoformat() if isinstance(v, date | time) else v


def _writable_format(path: Path) -> str:
    fmt = _format_of(path, b"")
    if fmt == "sheet":
        raise JournalError(f"{path}: runlab does not write spreadsheets; write the journal "
                           "as .csv or .jsonl")
    return fmt


def write(path: str | os.PathLike, frame: pl.DataFrame, *,
          escape_formulas: bool = False) -> Path:
    """Write a whole journal atomically (CSV or JSON Lines by extension); return the path.

    The frame is validated first (:class:`~runlab.errors.JournalError` lists every bad row)
    and written in :data:`SCHEMA` column order, extra columns after. The file is replaced
    with ``os.replace`` after an fsync, so readers never see a partial file; through a
    symbolic link, with the file's permissions kept (:func:`runlab._files.atomic_write`).
    ``escape_formulas`` (for CSV meant for a spreadsheet, e.g. an export) prefixes text
    cells beginning with ``= + - @``, tab or CR with ``'`` (:mod:`runlab._csv_safe`).
    """
    path = Path(path)
    fmt = _writable_format(path)
    typed = validate(frame, "raise", source=str(path))
    if escape_formulas and fmt == "csv":
        from runlab._csv_safe import formula_safe

        typed = formula_safe(typed)
    atomic_write(path, _encode(typed, fmt))
    return path


def _lock(path: Path):
    return file_lock(os.fspath(path) + ".lock")


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
            atomic_write(path, _encode(_conform(typed), fmt))
            return typed.height
        old = path.read_bytes()
        if old and not old.endswith(b"\n"):
            old += b"\n"
        if fmt == "jsonl":
            atomic_write(path, old + _encode(typed, "jsonl"))
            return typed.height
        raw = _read_csv_raw(path, _decode(path, old))
        known = {_header_name(h) for h in raw.header}
        new_cols = [c for c in typed.columns
                    if c not in known and typed[c].null_count() < typed.height]
        if new_cols:
            raw.header = raw.header + new_cols
            old = _raw_bytes(raw)
        atomic_write(path, old + _encode(typed, "csv", raw.header, raw.delimiter))
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
        atomic_write(path, _raw_bytes(raw))
    return len(lines)
