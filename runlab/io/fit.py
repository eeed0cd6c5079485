"""FIT activities (``.fit``, ``.fit.gz``): records, laps, sessions, events, device and meta.

Engine
------
runlab decodes FIT with its own small decoder (:mod:`runlab.io._fit_decode`): one lean
Python loop walks the message headers and notes where each data message starts, then
numpy cuts the fields of all messages of a definition out of the buffer at once; the CRC
is checked with a vectorized table method. ``fitfast`` (Rust) was the first candidate and
is the benchmark peer, but on the corpus it
  * rejects 4 of the 30 intact files, whose 14-byte header stores CRC 0 ("not computed",
    which the FIT protocol allows): ``fitparse__2013-02-06-12-11-14.fit``,
    ``fitparse__2015-10-13-08-43-15.fit``, ``fitparse__sample-activity-indoor-trainer.fit``,
    ``fitparse__Settings.fit``;
  * drops ``compressed_speed_distance`` (Forerunner 70 files lose speed and distance) and
    reads FIT "system time" (< 0x10000000) as dates in 1990 without saying so;
  * has no partial read: a truncated file gives nothing, not the sound records before
    the cut, and its error does not say truncated vs corrupt;
  * needs one full decode per message kind (records, laps, sessions, events...), so an
    Activity costs several decodes.
The own decoder handles all of these and is faster for a whole Activity than fitfast is
for the records alone (``benchmarks/read_fit.py``, 2 shared cores: 60-min file 4.0 ms vs
3.9 ms, 4-h file 8.2 ms vs 18.0 ms; the Garmin SDK is 33–64×, fitdecode 68–135× and
fitparse 110–210× slower; ~2 ms fixed + ~0.3 µs per record), so fitfast is not used.

Units (canonical records, :data:`runlab.schema.RECORDS`)
--------------------------------------------------------
FIT epoch → UTC; semicircles × 180 / 2³¹ → degrees; profile scale/offset applied;
``enhanced_speed``/``enhanced_altitude`` preferred over the 16-bit fields;
"invalid" sentinels (e.g. 0x7FFFFFFF positions before a GPS fix) → null.
Running dynamics: ``stance_time`` ms, ``vertical_oscillation`` mm, ``step_length`` mm → m.
Cadence: FIT ``record.cadence`` is strides (cycles) per minute. For foot sports (running,
walking, hiking, and treadmill/track/trail sub-sports) ``cadence_spm = 2 × (cadence +
fractional_cadence)``; for other sports ``cadence_spm`` is null and the raw value is kept
as ``cadence_rpm`` (pedal or stroke rate). Timestamps below 0x10000000 are seconds since
the device powered on (FIT "system time"); they are kept relative to the FIT epoch and a
warning says so. Developer fields become extra columns named from their field
description (``form_power_w``, ``leg_spring_stiffness_kn_m``...); one whose name is a
standard column gets a ``dev_`` prefix (``dev_power_w``, ``dev_cadence_rpm``): standard
columns hold standard fields only. A developer field linked to a native record field is
listed in ``meta["developer_links"]`` (column → standard column), never copied into it.
Heart rate stored in ``hr`` messages is merged into the records as the FIT SDK does
(:mod:`runlab.io._fit_hr`; ``heart_rate_merged`` flags the rows filled).

Structure is capped (:data:`MAX_DEV_FIELDS`, :data:`MAX_FIELDS_PER_MESSAGE`, and at most
:data:`CELLS_PER_BYTE` values per input byte + :data:`CELLS_SLACK` in all tables), so
memory grows linearly with the file: beyond, :class:`~runlab.errors.FileTooLargeError`.

Bad input raises a :class:`~runlab.errors.ReadError` subclass naming the file:
:class:`~runlab.errors.TruncatedFileError`, :class:`~runlab.errors.CorruptFileError`
(bad CRC, undefined local message, impossible structure),
:class:`~runlab.errors.UnsupportedFormatError` (not FIT),
:class:`~runlab.errors.NotAnActivityError` (settings, course, workout, monitoring...).
``strict=False`` returns the sound messages before a fault with ``meta["partial"] = True``
and a :class:`~runlab.errors.DataRepairWarning`.
"""

from __future__ import annotations

import bisect
import math
import re
import warnings
from datetime import UTC, datetime
from typing import Any

import numpy as np
import polars as pl

from runlab import schema
from runlab.activity import Activity
from runlab.errors import (
    DataRepairWarning,
    FileTooLargeError,
    NotAnActivityError,
    UnsupportedFormatError,
)
from runlab.io._fit_decode import Decoded, decode, field_columns, message_rows
from runlab.io._fit_hr import HR_MESG, HrStreamError, hr_samples, merge_heart_rates
from runlab.io._fit_profile import MESSAGES, PROFILE_VERSION, TYPES

__all__ = ["read_activity_bytes", "FIT_EPOCH", "MAX_RECORDS", "FOOT_SPORTS", "MAX_DEV_FIELDS",
           "MAX_FIELDS_PER_MESSAGE", "CELLS_PER_BYTE", "CELLS_SLACK"]

#: 1989-12-31T00:00:00Z, the FIT epoch.
FIT_EPOCH = datetime(1989, 12, 31, tzinfo=UTC)
_FIT_EPOCH_US = int(FIT_EPOCH.timestamp()) * 1_000_000
#: Timestamps below this are seconds since device power-on, not since the FIT epoch.
_SYSTEM_TIME_MAX = 0x10000000
#: Most record messages runlab reads from one file: 7 days at 10 Hz.
MAX_RECORDS = 7 * 24 * 3600 * 10
#: Most developer fields described in one file (distinct developer index and field number;
#: real files describe up to ~35).
MAX_DEV_FIELDS = 256
#: Most distinct fields (native and developer) one message kind may have over all its
#: definitions (real files: up to ~130); each is a column of that kind's table.
MAX_FIELDS_PER_MESSAGE = 512
#: Values (rows × columns of every table, hr samples) allowed per input byte, plus a fixed
#: allowance: a field present in one message becomes a column as long as the table, so
#: this bounds memory by the input size (real files: up to 1.9 per byte beyond the slack).
CELLS_PER_BYTE = 8
CELLS_SLACK = 4 * 2**20
#: Sports (and sub-sports) whose FIT cadence counts strides of a foot: spm = 2 × cadence.
FOOT_SPORTS = frozenset({"running", "walking", "hiking"})
FOOT_SUB_SPORTS = frozenset({"treadmill", "street", "trail", "track", "indoor_running",
                             "indoor_walking", "casual_walking", "speed_walking"})
_SEMICIRCLE_DEG = 180.0 / 2**31

_FILE_ID, _DEVICE_INFO, _EVENT, _RECORD, _LAP, _SESSION, _ACTIVITY = 0, 23, 21, 20, 19, 18, 34
_SPORT, _FILE_CREATOR, _FIELD_DESCRIPTION = 12, 49, 206

#: FIT record field number → (canonical column, divide-by) after profile scale/offset.
_CANONICAL = {
    5: ("distance_m", 1.0),
    3: ("heart_rate_bpm", 1.0),
    0: ("lat_deg", 1.0),
    1: ("lon_deg", 1.0),
    7: ("power_w", 1.0),
    13: ("temperature_c", 1.0),
    41: ("stance_time_ms", 1.0),
    39: ("vertical_oscillation_mm", 1.0),
    85: ("step_length_m", 1000.0),
}
#: Native record fields kept as extra columns (running dynamics beyond the canonical set).
_EXTRA = {83: "vertical_ratio_pct", 84: "stance_time_balance_pct"}
#: Native record fields read: the above, timestamp, cadence (+ fractional), speed and
#: altitude (enhanced and 16-bit), compressed speed/distance.
_RECORD_KEYS = frozenset({253, 4, 53, 73, 6, 78, 2, 8, *_CANONICAL, *_EXTRA})
#: Record columns that hold standard fields only: a developer field never writes them.
STANDARD_COLUMNS = frozenset({*schema.RECORDS, *_EXTRA.values(), "cadence_rpm",
                              "heart_rate_merged"})

#: FIT unit → column suffix (canonical units only; others are spelled out).
_UNIT_SUFFIX = {
    "s": "_s", "m": "_m", "m/s": "_mps", "bpm": "_bpm", "watts": "_w", "w": "_w", "c": "_c",
    "mm": "_mm", "ms": "_ms", "%": "_pct", "percent": "_pct", "kcal": "_kcal", "rpm": "_rpm",
    "semicircles": "_deg", "km/h": "_kmh", "hz": "_hz", "spm": "_spm", "steps/min": "_spm",
    "min": "_min", "j": "_j", "kj": "_kj", "kg": "_kg", "cm": "_cm", "meters": "_m",
    "seconds": "_s", "metres": "_m", "m/min": "_m_per_min",
}


def read_activity_bytes(data: bytes, path: str, *, strict: bool = True,
                        merge_heart_rates: bool = True) -> Activity:
    """Decode a FIT activity from ``data``; ``path`` names the file in errors.

    Parameters
    ----------
    data : the FIT bytes (already gunzipped), possibly several chained FIT files.
    path : file name used in error messages and ``Activity.path``.
    strict : raise on any damage (default), also in a later part of a chained file. With
        ``False``, a truncated or corrupt file gives the sound messages before the fault,
        ``meta["partial"] = True`` and a :class:`~runlab.errors.DataRepairWarning`.
    merge_heart_rates : merge heart rate stored in ``hr`` messages (HRM-Pro/Tri/Swim, pool
        swims) into the records as the FIT SDK does; the rows filled are flagged in a
        ``heart_rate_merged`` column (present when the file has ``hr`` messages).
    """
    if len(data) < 12 or data[8:12] != b".FIT":
        raise UnsupportedFormatError(path, "not a FIT file (no '.FIT' signature at byte 8)")
    dec = decode(data, path)
    notes = list(dec.warnings)
    partial = False
    if dec.fault is not None:
        if strict or not dec.headers:
            raise dec.fault
        partial = True
        notes.append(f"partial read: {dec.fault.reason}; kept the messages before it")
    msgs = _Messages(dec, np.frombuffer(data, dtype=np.uint8), path,
                     CELLS_PER_BYTE * len(data) + CELLS_SLACK)
    file_id = msgs.first(_FILE_ID)
    sessions = msgs.frame(_SESSION)
    n_records = msgs.count(_RECORD)
    _check_activity(file_id, n_records, sessions, path)
    if n_records > MAX_RECORDS:
        raise FileTooLargeError(path, f"{n_records} records is over the {MAX_RECORDS} limit")
    sport, sub_sport, sports = _sports(sessions, msgs)
    records = _records(msgs, sessions, sport, sub_sport, notes, merge_heart_rates)
    if msgs.system_time:
        notes.append("timestamps are seconds since device power-on (FIT system time < "
                     "0x10000000), shown relative to the FIT epoch 1989-12-31; the real "
                     "date is unknown")
    for note in notes:
        if partial or any(w in note for w in ("ignored", "dropped", "not merged")):
            warnings.warn(f"{path}: {note}", DataRepairWarning, stacklevel=2)
    activity_msg = msgs.first(_ACTIVITY)
    meta = _meta(file_id, msgs, activity_msg, sessions, records, dec, sport, sub_sport, sports)
    meta.update(partial=partial, warnings=notes)
    return Activity(path=path, records=records, events=_events(msgs), laps=msgs.frame(_LAP),
                    sessions=sessions, device=msgs.frame(_DEVICE_INFO), meta=meta)


# --------------------------------------------------------------------------------------
# message tables


class _Messages:
    """Decoded columns of each global message number, merged over its definitions."""

    def __init__(self, dec: Decoded, buf: np.ndarray, path: str, cells: int):
        self.dec, self.buf, self.path = dec, buf, path
        self.cells_left = cells  # values the tables may still hold (CELLS_PER_BYTE)
        self._rows: dict[int, np.ndarray] = {}
        self._frames: dict[int, pl.DataFrame] = {}
        self.system_time = False
        self.dev_links: dict[str, str] = {}  # developer column → native column it mirrors
        self._compressed = self._compressed_timestamps() if dec.compressed else None
        self.dev_descriptions = self._dev_descriptions()

    def rows(self, defn) -> np.ndarray:
        key = id(defn)
        if key not in self._rows:
            self._rows[key] = message_rows(self.buf, defn)
        return self._rows[key]

    def count(self, gnum: int) -> int:
        return sum(len(d.offsets) for d in self.dec.of(gnum))

    def charge(self, cells: int, what: str) -> None:
        """Count ``cells`` values against the file's budget (FileTooLargeError beyond)."""
        self.cells_left -= cells
        if self.cells_left < 0:
            raise FileTooLargeError(self.path, f"{what}: more values than {CELLS_PER_BYTE} "
                                    f"per byte of the file (+{CELLS_SLACK}) allow; a field "
                                    "in one message makes a column of every message")

    def columns(self, gnum: int, *, dev: bool = False, keys=None) -> tuple[np.ndarray, dict]:
        """(positions, {field number: values}) in file order; NaN/None where absent.
        ``keys``: the native field numbers wanted (default: all)."""
        defs = self.dec.of(gnum)
        sizes = [len(d.offsets) for d in defs]
        total = sum(sizes)
        pos = np.concatenate([np.frombuffer(d.offsets, dtype=np.int64) for d in defs]) \
            if defs else np.zeros(0, dtype=np.int64)
        merged: dict = {}
        start = 0
        for defn, size in zip(defs, sizes, strict=True):
            rows = self.rows(defn)
            cols = field_columns(rows, defn, keys=keys)
            if dev and defn.dev_fields:
                types = {k: v["base"] for k, v in self._dev_for(defn).items()}
                cols.update(field_columns(rows, defn, wanted=types, dev=True))
            for key, values in cols.items():
                if not _typed_as_profile(gnum, key, values):
                    continue  # a damaged definition gave the field an impossible type
                if key not in merged:
                    if len(merged) >= MAX_FIELDS_PER_MESSAGE:
                        raise FileTooLargeError(
                            self.path, f"message {gnum} has more than "
                            f"{MAX_FIELDS_PER_MESSAGE} distinct fields (the limit)")
                    width = 1 if isinstance(values, list) or values.ndim == 1 \
                        else values.shape[1]
                    self.charge(total * width, f"message {gnum}")
                    merged[key] = _empty_like(values, total)
                _put(merged[key], values, start, size)
            start += size
        if len(defs) > 1 and np.any(np.diff(pos) < 0):
            order = np.argsort(pos, kind="stable")
            pos = pos[order]
            merged = {k: _take(v, order) for k, v in merged.items()}
        if 253 in merged or self._compressed is not None:
            merged[253] = self._timestamps(pos, merged.get(253))
        return pos, merged

    def first(self, gnum: int) -> dict[str, Any]:
        frame = self.frame(gnum)
        return frame.row(0, named=True) if frame.height else {}

    def frame(self, gnum: int) -> pl.DataFrame:
        """A message kind as a polars frame: profile names with unit suffixes, enums as
        names, date_time as UTC datetimes, semicircles as degrees."""
        if gnum not in self._frames:
            self._frames[gnum] = self._frame(gnum)
        return self._frames[gnum]

    def _frame(self, gnum: int) -> pl.DataFrame:
        if not self.dec.of(gnum):
            return pl.DataFrame()
        name, profile = MESSAGES[gnum]
        _, cols = self.columns(gnum, keys=profile.keys())
        out = {}
        for num, values in cols.items():
            if num not in profile or (isinstance(values, np.ndarray) and values.ndim != 1):
                continue
            fname, ftype, scale, offset, units = profile[num]
            col = fname if ftype in ("date_time", "local_date_time") else \
                _column_name(fname, units)
            out[col] = self._convert(values, ftype, scale, offset, units)
        if gnum in (_LAP, _SESSION):
            out.update(_foot_cadence(out))
        return _frame_of(out)

    def _convert(self, values, ftype: str, scale, offset, units: str):
        if isinstance(values, list):
            return pl.Series(values, dtype=pl.String)
        if ftype in ("date_time", "local_date_time"):
            return _datetimes(values)
        if ftype in TYPES:
            names = TYPES[ftype]
            return pl.Series([names.get(int(v), str(int(v))) if math.isfinite(v) else None
                              for v in values.tolist()], dtype=pl.String)
        if units == "semicircles":
            return values * _SEMICIRCLE_DEG
        if scale != 1 or offset != 0:
            return values / scale - offset
        if ftype.startswith(("uint", "sint", "message_index", "device_index")):
            # a damaged definition may give an integer field a float type: out of range → null
            return pl.Series(values, nan_to_null=True).cast(pl.Int64, strict=False)
        return values


    def _timestamps(self, pos: np.ndarray, ts: np.ndarray | None) -> np.ndarray:
        ts = np.full(pos.size, np.nan) if ts is None else ts
        if self._compressed is not None:
            cpos, cval = self._compressed
            idx = np.searchsorted(cpos, pos)
            hit = (idx < cpos.size) & (cpos[np.minimum(idx, cpos.size - 1)] == pos)
            ts[hit] = cval[idx[hit]]
        finite = ts[np.isfinite(ts)]
        if finite.size and finite.min() < _SYSTEM_TIME_MAX:
            self.system_time = True
        return ts

    def _compressed_timestamps(self) -> tuple[np.ndarray, np.ndarray]:
        """Resolve compressed-timestamp headers against the last full timestamp before
        them: the first adds ``(offset − full) mod 32`` to it, each next one
        ``(offset − previous offset) mod 32`` (vectorized; NaN before any full one)."""
        comp = np.asarray(self.dec.compressed, dtype=np.int64).reshape(-1, 2)
        cpos, coff = comp[:, 0], comp[:, 1]
        fpos, fval = [np.zeros(0, dtype=np.int64)], [np.zeros(0)]
        for defn in self.dec.definitions:
            if defn.offsets and any(f[0] == 253 for f in defn.fields):
                ts = field_columns(self.rows(defn), defn, keys={253}).get(253)
                if isinstance(ts, np.ndarray) and ts.ndim == 1:
                    fpos.append(np.frombuffer(defn.offsets, dtype=np.int64))
                    fval.append(ts)
        full_p, full_v = np.concatenate(fpos), np.concatenate(fval)
        ok = (full_v >= 0) & (full_v < 2**32) & ~np.isin(full_p, cpos)  # valid uint32 dates
        order = np.argsort(full_p[ok], kind="stable")
        full_p, full_v = full_p[ok][order], full_v[ok][order]
        idx = np.searchsorted(full_p, cpos) - 1  # the last full timestamp before each
        n = cpos.size
        first = np.ones(n, dtype=bool)
        first[1:] = idx[1:] != idx[:-1]
        base = np.where(idx >= 0, full_v[np.maximum(idx, 0)] if full_v.size else 0.0, np.nan)
        base_int = np.nan_to_num(base).astype(np.int64)
        prev = np.concatenate([np.zeros(1, dtype=np.int64), coff[:-1]])
        delta = np.where(first, (coff - base_int) & 0x1F, (coff - prev) & 0x1F)
        csum = np.cumsum(delta)
        start = np.maximum.accumulate(np.where(first, np.arange(n), 0)) if n else idx
        return cpos, base + (csum - csum[start] + delta[start])

    def _dev_descriptions(self) -> list[tuple[int, tuple[int, int], dict]]:
        """(position, (developer_data_index, field number), description) in file order."""
        if not self.dec.of(_FIELD_DESCRIPTION):
            return []
        pos, cols = self.columns(_FIELD_DESCRIPTION, keys={0, 1, 2, 3, 8, 6, 7, 14, 15})
        n = pos.size

        def number(key: int) -> list[float]:
            values = cols.get(key)
            ok = isinstance(values, np.ndarray) and values.ndim == 1
            return values.tolist() if ok else [np.nan] * n

        def text(key: int) -> list[str | None]:
            values = cols.get(key)
            return values if isinstance(values, list) else [None] * n

        out = []
        rows = zip(pos.tolist(), number(0), number(1), number(2), text(3), text(8), number(6),
                   number(7), number(14), number(15), strict=True)
        for p, index, num, base, name, units, scale, offset, n_mesg, n_field in rows:
            if not (index == index and num == num and base == base):
                continue
            out.append((p, (int(index), int(num)), {
                "name": name or f"field_{int(index)}_{int(num)}", "units": units or "",
                "base": int(base) & 0x1F,
                "scale": scale if scale == scale and scale else 1.0,
                "offset": offset if offset == offset else 0.0,
                "native": tuple(int(v) if v == v else None for v in (n_mesg, n_field))}))
        keys = {key for _, key, _ in out}
        if len(keys) > MAX_DEV_FIELDS:
            raise FileTooLargeError(self.path, f"{len(keys)} developer fields described; "
                                    f"the limit is {MAX_DEV_FIELDS}")
        self._described: dict[tuple[int, int], tuple[list[int], list[dict]]] = {}
        for p, key, desc in out:  # in file order: positions ascending per key
            where, descs = self._described.setdefault(key, ([], []))
            where.append(p)
            descs.append(desc)
        return out

    def _dev_for(self, defn) -> dict[tuple[int, int], dict]:
        """Descriptions in force at a definition (the latest before it, else the first)."""
        found: dict[tuple[int, int], dict] = {}
        for num, _, _, index in defn.dev_fields:
            key = (index, num)
            if key in found or key not in getattr(self, "_described", {}):
                continue
            where, descs = self._described[key]
            found[key] = descs[max(bisect.bisect_left(where, defn.position) - 1, 0)]
        return found


def _frame_of(columns: dict) -> pl.DataFrame:
    """Frame of numpy/polars columns, NaN → null (per Series: far cheaper for small frames
    than ``DataFrame(nan_to_null=True)`` or a ``fill_nan`` query)."""
    return pl.DataFrame([
        v.alias(k) if isinstance(v, pl.Series) else
        pl.Series(k, v, nan_to_null=True) if isinstance(v, np.ndarray) and v.dtype.kind == "f"
        else pl.Series(k, v) for k, v in columns.items()])


def _typed_as_profile(gnum: int, key, values) -> bool:
    """Is a decoded field shaped as its profile type says (text, scalar or byte array)?"""
    is_text = isinstance(values, list)
    scalar = isinstance(values, np.ndarray) and values.ndim == 1
    if isinstance(key, tuple):  # developer field: numbers only
        return scalar
    field = MESSAGES.get(gnum, ("", {}))[1].get(key)
    if field is None:
        return scalar
    if field[1] == "string":
        return is_text
    if field[1] == "byte":
        return isinstance(values, np.ndarray) and values.ndim == 2
    return scalar or (isinstance(values, np.ndarray) and values.ndim == 2 and key != 253)


def _empty_like(values, n: int):
    if isinstance(values, list):
        return [None] * n
    if values.ndim == 1:
        return np.full(n, np.nan)
    return np.zeros((n, values.shape[1]), dtype=values.dtype)


def _put(target, values, start: int, size: int) -> None:
    if isinstance(target, list):
        if isinstance(values, list):
            target[start:start + size] = values
    elif isinstance(values, np.ndarray) and values.shape[1:] == target.shape[1:]:
        target[start:start + size] = values


def _take(values, order: np.ndarray):
    if isinstance(values, list):
        return [values[i] for i in order.tolist()]
    return values[order]


def _datetimes(values: np.ndarray) -> pl.Series:
    """FIT seconds (NaN = invalid) → UTC datetimes (µs; exact below 2**53 µs). A FIT
    date_time is a uint32: anything outside [0, 2**32) s (a damaged type) is null."""
    values = np.where((values >= 0) & (values < 2**32), values, np.nan)
    us = pl.Series(values * 1e6 + _FIT_EPOCH_US, nan_to_null=True)
    return us.cast(pl.Int64).cast(pl.Datetime("us", "UTC"))


def _column_name(name: str, units: str) -> str:
    suffix = _UNIT_SUFFIX.get((units or "").strip().lower(), "")
    if name.endswith(suffix):
        return name
    if suffix == "_deg":
        return name.replace("position_long", "position_lon") + suffix
    return name + suffix


def _foot_cadence(columns: dict) -> dict[str, np.ndarray]:
    """avg/max ``_cadence_spm`` (steps/min) of foot-sport laps and sessions (else null)."""
    if "sport" not in columns:
        return {}
    sport = columns["sport"].to_list()
    sub = columns["sub_sport"].to_list() if "sub_sport" in columns else [None] * len(sport)
    foot = np.array([_is_foot(a, b) for a, b in zip(sport, sub, strict=True)], dtype=bool)
    adds = {}
    for kind in ("avg", "max"):
        raw = columns.get(f"{kind}_cadence_rpm")
        if isinstance(raw, np.ndarray):
            frac = columns.get(f"{kind}_fractional_cadence_rpm")
            strides = raw + (np.nan_to_num(frac) if isinstance(frac, np.ndarray) else 0.0)
            adds[f"{kind}_cadence_spm"] = np.where(foot, 2.0 * strides, np.nan)
    return adds


# --------------------------------------------------------------------------------------
# activity parts


def _check_activity(file_id: dict, n_records: int, sessions: pl.DataFrame, path: str) -> None:
    kind = file_id.get("type")
    if kind is not None and kind != "activity":
        what = {"course": "a course (a planned route, not a recorded activity)",
                "settings": "a device settings file", "workout": "a planned workout",
                "monitoring_a": "daily monitoring data", "monitoring_b": "daily monitoring data",
                "monitoring_daily": "daily monitoring data", "sport": "sport settings",
                "device": "a device description", "totals": "activity totals",
                "goals": "goals", "schedules": "a schedule", "weight": "weight scale data",
                "blood_pressure": "blood pressure data", "segment": "a segment",
                "segment_list": "a segment list"}.get(kind, "not a recorded activity")
        raise NotAnActivityError(path, f"FIT file type {kind!r} ({what}), not an activity")
    if kind is None and n_records == 0 and sessions.height == 0:
        raise NotAnActivityError(path, "a FIT file with no record or session messages")


def _sports(sessions: pl.DataFrame, msgs: _Messages) -> tuple[str | None, str | None, list]:
    sports: list[tuple[str | None, str | None]] = []
    if sessions.height and "sport" in sessions.columns:
        subs = sessions["sub_sport"] if "sub_sport" in sessions.columns else [None] * sessions.height
        sports = list(zip(sessions["sport"].to_list(), list(subs), strict=True))
    if not sports:
        sport_msg = msgs.first(_SPORT) or msgs.first(_LAP)
        if sport_msg.get("sport"):
            sports = [(sport_msg.get("sport"), sport_msg.get("sub_sport"))]
    kinds = [s for s, _ in sports if s not in (None, "transition")]
    if not kinds:
        return None, None, []
    if len(set(kinds)) > 1:
        return "multisport", None, [s for s, _ in sports]
    subs = [sub for s, sub in sports if s == kinds[0] and sub]
    return kinds[0], subs[0] if subs else None, [s for s, _ in sports]


def _is_foot(sport: str | None, sub_sport: str | None) -> bool:
    return sport in FOOT_SPORTS or sub_sport in FOOT_SUB_SPORTS


def _records(msgs: _Messages, sessions: pl.DataFrame, sport, sub_sport,
             notes: list[str], merge_hr: bool = True) -> pl.DataFrame:
    pos, cols = msgs.columns(_RECORD, dev=True, keys=_RECORD_KEYS)
    cols = {k: v for k, v in cols.items() if k == 8 or v.ndim == 1}  # scalars (+ packed)
    n = pos.size
    msgs.charge(n * len(schema.RECORDS), "record messages")
    nan = np.full(n, np.nan)
    out: dict[str, np.ndarray] = {}
    ts = cols.get(253, nan)
    keep = (ts >= 0) & (ts < 2**32)  # a FIT date_time is a uint32 (NaN compares False)
    if n and not keep.all():
        notes.append(f"{int((~keep).sum())} record messages without a timestamp dropped")
    for num, (name, div) in _CANONICAL.items():
        if num in cols:
            fname, _, scale, offset, units = MESSAGES[_RECORD][1][num]
            values = cols[num] * _SEMICIRCLE_DEG if units == "semicircles" else \
                cols[num] / scale - offset
            out[name] = values / div if div != 1 else values
    speed, distance = _speed_distance(cols, nan)
    out["speed_mps"] = speed
    if distance is not None and "distance_m" not in out:
        out["distance_m"] = distance
    out["altitude_m"] = _prefer(cols, 78, 2, nan, scale=5.0, offset=500.0)
    for num, name in _EXTRA.items():
        if num in cols:
            out[name] = cols[num] / MESSAGES[_RECORD][1][num][2]
    if 4 in cols:
        strides = cols[4] + np.nan_to_num(cols[53] / 128.0 if 53 in cols else nan, nan=0.0)
        if sport is None and any(k in cols for k in (39, 41, 85)):
            # no session/lap/sport message (e.g. a truncated file), but running dynamics
            # (stance time, vertical oscillation, step length) only come from foot sports
            sport = "running"
            notes.append("sport not recorded; running dynamics present, so cadence is read "
                         "as strides/min of a foot sport")
        elif sport is None:
            notes.append("sport not recorded: cadence kept as cadence_rpm, cadence_spm null")
        foot = _foot_mask(ts, sessions, sport, sub_sport)
        if foot.any():
            out["cadence_spm"] = np.where(foot, 2.0 * strides, np.nan)
        if not foot.all():
            out["cadence_rpm"] = np.where(foot, np.nan, strides)
    if merge_hr and msgs.dec.of(HR_MESG):
        _merge_hr(msgs, ts, out, notes)
    _developer_columns(msgs, cols, out)
    if not keep.all():
        ts = ts[keep]
        out = {k: v[keep] for k, v in out.items()}
    if ts.size > 1 and np.any(np.diff(ts) < 0):
        order = np.argsort(ts, kind="stable")
        ts = ts[order]
        out = {k: v[order] for k, v in out.items()}
        notes.append("record messages were out of time order; sorted by timestamp")
    columns: dict = {"timestamp": _datetimes(ts), "elapsed_s": ts - ts[0] if ts.size else ts}
    null = np.full(ts.size, np.nan)
    for name in schema.RECORDS:
        if name not in columns:
            columns[name] = out.pop(name, null)
    columns.update(out)  # developer fields and other extras after the canonical columns
    return _frame_of(columns)


def _speed_distance(cols: dict, nan: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Speed (enhanced preferred) and, for old devices, the compressed speed/distance."""
    speed = _prefer(cols, 73, 6, nan, scale=1000.0, offset=0.0)
    distance = None
    packed = cols.get(8)
    if isinstance(packed, np.ndarray) and packed.ndim == 2 and packed.shape[1] >= 3:
        raw = packed[:, :3].astype(np.int64)
        present = ~(raw == 0xFF).all(axis=1)
        value = raw[:, 0] | raw[:, 1] << 8 | raw[:, 2] << 16
        comp_speed = np.where(present, (value & 0xFFF) / 100.0, np.nan)
        speed = np.where(np.isnan(speed), comp_speed, speed)
        dist12 = (value >> 12) & 0xFFF
        distance = np.full(nan.size, np.nan)
        idx = np.flatnonzero(present)
        if idx.size:  # 12-bit accumulated distance in 1/16 m, rolling over at 4096
            steps = np.diff(dist12[idx]) & 0xFFF
            distance[idx] = (dist12[idx[0]] + np.concatenate([[0], np.cumsum(steps)])) / 16.0
    return speed, distance


def _prefer(cols: dict, enhanced: int, base: int, nan: np.ndarray, *, scale: float,
            offset: float) -> np.ndarray:
    """The enhanced field where valid, else the 16-bit field (same scale/offset)."""
    value = cols[enhanced] / scale - offset if enhanced in cols else nan
    if base in cols:
        value = np.where(np.isnan(value), cols[base] / scale - offset, value)
    return value


def _foot_mask(ts: np.ndarray, sessions: pl.DataFrame, sport, sub_sport) -> np.ndarray:
    """Per record: does its session's sport count cadence in strides of a foot?"""
    if sessions.height > 1 and {"start_time", "sport"} <= set(sessions.columns):
        s = sessions.select("start_time", "sport",
                            pl.col("sub_sport") if "sub_sport" in sessions.columns
                            else pl.lit(None, pl.String).alias("sub_sport"))
        s = s.filter(pl.col("start_time").is_not_null()).sort("start_time")
        if s.height:
            start = (s["start_time"].dt.epoch("us").to_numpy() - _FIT_EPOCH_US) / 1e6
            foot = np.array([_is_foot(a, b) for a, b in
                             zip(s["sport"].to_list(), s["sub_sport"].to_list(), strict=True)])
            idx = np.clip(np.searchsorted(start, ts, side="right") - 1, 0, s.height - 1)
            return foot[idx]
    return np.full(ts.size, _is_foot(sport, sub_sport))


def _merge_hr(msgs: _Messages, ts: np.ndarray, out: dict, notes: list[str]) -> None:
    """Heart rate of ``hr`` messages into the records (:mod:`runlab.io._fit_hr`)."""
    limit = max(msgs.cells_left // 2, 0)
    try:
        hr_t, hr_b = hr_samples(msgs, limit)
    except HrStreamError as exc:
        notes.append(f"hr messages not merged into the records: {exc}")
        return
    msgs.charge(2 * hr_t.size, "hr samples")
    hr = out.get("heart_rate_bpm", np.full(ts.size, np.nan))
    out["heart_rate_bpm"], out["heart_rate_merged"] = merge_heart_rates(ts, hr_t, hr_b, hr)


def _developer_columns(msgs: _Messages, cols: dict, out: dict) -> None:
    """Developer fields as their own columns, named from their descriptions. A name that is
    a standard column gets a ``dev_`` prefix (standard columns hold standard fields only);
    repeated names get ``_2``, ``_3``... (linear in the number of fields). A developer field
    whose description links it to a native record field is listed in ``msgs.dev_links``
    (column → standard column) for :func:`runlab.clean` to decide about."""
    names: dict[tuple[int, int], dict] = {}
    for _, key, desc in msgs.dev_descriptions:
        names[key] = desc
    taken = set(out) | STANDARD_COLUMNS
    counters: dict[str, int] = {}
    for key, values in cols.items():
        if not isinstance(key, tuple) or key not in names:
            continue
        if not isinstance(values, np.ndarray) or values.ndim != 1:
            continue  # strings and arrays are not record columns
        desc = names[key]
        name = _dev_name(desc["name"], desc["units"])
        if name in STANDARD_COLUMNS:
            name = f"dev_{name}"
        name = _unique(name, taken, counters)
        out[name] = values / desc["scale"] - desc["offset"]
        standard = _native_standard(desc["native"])
        if standard:
            msgs.dev_links[name] = standard


def _unique(name: str, taken: set[str], counters: dict[str, int]) -> str:
    """``name``, or ``name_2``, ``name_3``... the first not taken; adds it to ``taken``.
    Each name's counter only grows, so n equal names cost O(n) in all."""
    if name in taken:
        k = counters.get(name, 1)
        while f"{name}_{k + 1}" in taken:
            k += 1
        counters[name] = k + 1
        name = f"{name}_{k + 1}"
    taken.add(name)
    return name


def _native_standard(native: tuple) -> str | None:
    mesg, num = native
    if mesg != _RECORD or num not in _CANONICAL:
        return None
    return _CANONICAL[num][0] if _CANONICAL[num][1] == 1.0 else None


def _dev_name(name: str, units: str) -> str:
    base = re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_") or "field"
    unit = (units or "").strip().lower()
    if unit in _UNIT_SUFFIX:
        suffix = _UNIT_SUFFIX[unit]
    else:
        suffix = "_" + re.sub(r"[^0-9a-z]+", "_", unit.replace("%", "pct")).strip("_") \
            if unit else ""
    return base if suffix in ("_", "") or base.endswith(suffix) else base + suffix


def _events(msgs: _Messages) -> pl.DataFrame:
    frame = msgs.frame(_EVENT)
    if not frame.height or "timestamp" not in frame.columns:
        return schema.empty("events")
    keep = [c for c in ("data", "event_group", "timer_trigger") if c in frame.columns]
    return schema.conform(frame.select("timestamp", "event", "event_type", *keep)
                          if {"event", "event_type"} <= set(frame.columns)
                          else frame.select("timestamp", *keep), "events")


def _meta(file_id: dict, msgs: _Messages, activity_msg: dict, sessions: pl.DataFrame,
          records: pl.DataFrame, dec: Decoded, sport, sub_sport, sports) -> dict[str, Any]:
    start = None
    if sessions.height and "start_time" in sessions.columns:
        start = sessions["start_time"].min()
    if start is None and records.height:
        start = records["timestamp"].min()
    offset = None
    local, stamp = activity_msg.get("local_timestamp"), activity_msg.get("timestamp")
    if local is not None and stamp is not None:
        offset = int((local - stamp).total_seconds())
        if abs(offset) > 14 * 3600:  # not a time-zone offset: a device clock error
            offset = None
    creator = msgs.first(_FILE_CREATOR)
    product = file_id.get("product_name") or file_id.get("product")
    if file_id.get("manufacturer") in ("garmin", "dynastream", "dynastream_oem", "tacx"):
        product = TYPES["garmin_product"].get(file_id.get("product"), product)
    device = " ".join(str(v) for v in (file_id.get("manufacturer"), product)
                      if v is not None) or None
    if creator.get("software_version") is not None:
        device = f"{device or 'unknown'} (software {creator['software_version']:g})"
    described = {key: d for _, key, d in msgs.dev_descriptions}  # one per field
    dev_fields = [f"{d['name']} [{d['units']}]".replace(" []", "") for d in described.values()]
    return {
        "format": "fit", "sport": sport, "sub_sport": sub_sport, "sports": sports,
        "start_time": start,
        "local_time_offset_s": offset, "creator": device,
        "file_type": file_id.get("type"), "manufacturer": file_id.get("manufacturer"),
        "product": file_id.get("product"), "serial_number": file_id.get("serial_number"),
        "time_created": file_id.get("time_created"),
        "fit_files": len(dec.headers),
        "protocol_version": dec.headers[0]["protocol_version"] if dec.headers else None,
        "profile_version": dec.headers[0]["profile_version"] if dec.headers else None,
        "decoder_profile": PROFILE_VERSION, "developer_fields": dev_fields,
        "developer_links": dict(msgs.dev_links),
        "system_time": msgs.system_time,
    }
