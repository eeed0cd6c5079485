"""Write FIT files: a low-level :class:`FitWriter` and whole activity files from records.

FIT is little-endian here: a 14-byte file header (size, protocol 2.0, profile version,
data size, ``".FIT"``, header CRC), definition and data messages, and a CRC-16 of
everything before it. :func:`write_activity` turns canonical records
(:data:`runlab.schema.RECORDS`) into a complete activity file — ``file_id``,
``device_info``, timer events, ``record`` rows, laps, ``session`` and ``activity`` — that
the official Garmin FIT SDK decodes without errors.

Unit conversions are the ones the FIT profile defines: degrees → semicircles
(``2**31 / 180``), ``enhanced_speed`` m/s × 1000, ``enhanced_altitude`` (m + 500) × 5,
``distance`` m × 100, ``cadence_spm`` → strides/min ``cadence`` plus
``fractional_cadence`` × 128 (``spm = 2 × (cadence + fractional_cadence)``),
``stance_time`` ms × 10, ``vertical_oscillation`` mm × 10, ``step_length`` mm × 10. A null
becomes the base type's invalid value. Message and field numbers, scales, offsets and enum
values come from the reader's profile tables (:mod:`runlab.io._fit_profile`, FIT SDK 21.x)
and base types from :mod:`runlab.io._fit_decode`; ``tests/test_fit_write.py`` checks every
one of them against the installed SDK (``garmin_fit_sdk.profile``).

Example::

    from runlab.io.fit_write import FitWriter, write_activity
    write_activity(records, "run.fit", sport="running")
    w = FitWriter().define_message(0, "file_id", ["type", "manufacturer", "time_created"])
    data = w.write(0, {"type": "workout", "manufacturer": "development",
                       "time_created": start}).to_bytes()
"""

from __future__ import annotations

import os
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from runlab import schema
from runlab.io import _fit_profile as _profile
from runlab.io._fit_decode import BASE_TYPES as _DECODE_BASE_TYPES
from runlab.io._fit_decode import crc16

__all__ = [
    "FitWriter",
    "Field",
    "PROFILE",
    "TYPES",
    "BASE_TYPES",
    "FIT_EPOCH_S",
    "crc16",
    "write_activity",
    "write_activity_bytes",
]

#: Seconds from the Unix epoch to the FIT epoch, 1989-12-31T00:00:00Z.
FIT_EPOCH_S = 631_065_600
#: Profile version written in the header (major × 1000 + minor), from the profile tables.
_MAJOR, _MINOR = _profile.PROFILE_VERSION.split(".")
PROFILE_VERSION = 1000 * int(_MAJOR) + int(_MINOR)
PROTOCOL_VERSION = 0x20  # 2.0
_SEMICIRCLES_PER_DEG = 2**31 / 180.0


@dataclass(frozen=True)
class BaseType:
    """A FIT base type: its code in definition messages, numpy dtype and invalid value."""

    code: int
    dtype: str
    invalid: int | float | bytes


def _base_type(code: int) -> BaseType:
    """The writer's view of the decoder's base type table entry for ``code``: little-endian
    dtype; floats invalid as NaN (all bits set), strings as empty."""
    kind, size, invalid = _DECODE_BASE_TYPES[code & 0x1F]
    dtype = kind if size == 1 or kind == "S" else f"<{kind}"
    if invalid is None:
        invalid = b"" if kind == "S" else float("nan")
    return BaseType(code, dtype, invalid)


#: FIT base types by name (FIT protocol, "Base Types" table).
BASE_TYPES: dict[str, BaseType] = {
    name: _base_type(code) for code, name in _profile.TYPES["fit_base_type"].items()}


def _writer_profile() -> dict[str, tuple[int, dict[str, tuple[int, str, float, float, str]]]]:
    """:data:`runlab.io._fit_profile.MESSAGES` keyed by name, with each field's base type.

    ``byte`` fields are left out: they are arrays, which the writer does not write.
    """
    out = {}
    for num, (message, fields) in _profile.MESSAGES.items():
        spec = {}
        for fnum, (name, ftype, scale, offset, _units) in fields.items():
            base = _profile.BASE_TYPE_OF.get(ftype, ftype)
            if base != "byte":
                spec[name] = (fnum, base, scale, offset, ftype)
        out[message] = (num, spec)
    return out


#: The FIT profile messages runlab knows: message → (global number,
#: {field: (number, base type, scale, offset, profile type)}). The profile type names an
#: enum in :data:`TYPES` (values may then be given by name) or ``date_time``.
PROFILE: dict[str, tuple[int, dict[str, tuple[int, str, float, float, str]]]] = _writer_profile()

#: Enum values by name, for the profile types :data:`PROFILE` refers to (FIT profile).
TYPES: dict[str, dict[str, int]] = {
    type_name: {name: value for value, name in values.items()}
    for type_name, values in (_profile.TYPES | _profile.NAMED_INTEGERS).items()}


@dataclass(frozen=True)
class Field:
    """One field of a definition message.

    ``scale``/``offset`` follow the FIT profile: stored = (value + offset) × scale.
    ``size`` is in bytes (strings: including the terminating NUL); ``type`` is the profile
    type name (enum values may then be given by name; ``date_time`` accepts datetimes).
    """

    num: int
    base_type: str
    size: int | None = None
    scale: float = 1.0
    offset: float = 0.0
    name: str = ""
    type: str = ""

    def __post_init__(self):
        if self.base_type not in BASE_TYPES:
            raise ValueError(f"field {self.name or self.num}: unknown FIT base type "
                             f"{self.base_type!r}; one of {sorted(BASE_TYPES)}")
        if self.base_type == "string":
            if not self.size or not 1 <= self.size <= 255:
                raise ValueError(f"string field {self.name or self.num} needs a size in "
                                 f"bytes (1..255), got {self.size}")
        else:
            natural = np.dtype(BASE_TYPES[self.base_type].dtype).itemsize
            if self.size not in (None, natural):
                raise ValueError(f"field {self.name or self.num}: {self.base_type} is "
                                 f"{natural} bytes, got size {self.size} (arrays unsupported)")
            object.__setattr__(self, "size", natural)

    @property
    def dtype(self) -> str:
        """numpy dtype of the stored value."""
        bt = BASE_TYPES[self.base_type]
        return f"S{self.size}" if self.base_type == "string" else bt.dtype


# --- the low-level writer -----------------------------------------------------------------


class FitWriter:
    """Build a FIT file message by message; :meth:`to_bytes` adds header and CRC.

    ``define`` writes a definition message for a local message number (0–15) and
    ``write`` data messages for it. Values are physical (scale/offset applied here);
    ``None``/NaN become the base type's invalid value.

    Examples
    --------
    >>> w = FitWriter()
    >>> w.define(0, 0, [Field(0, "enum", name="type"), Field(1, "uint16")])  # doctest: +ELLIPSIS
    <...FitWriter...>
    >>> len(w.write(0, [4, 255]).to_bytes())
    32
    """

    def __init__(self, *, profile_version: int = PROFILE_VERSION):
        self.profile_version = profile_version
        self._parts: list[bytes] = []
        self._defs: dict[int, tuple[int, tuple[Field, ...], np.dtype]] = {}
        self._formats: dict[int, struct.Struct] = {}

    def define(self, local_num: int, global_num: int,
               fields: Sequence[Field | tuple]) -> FitWriter:
        """Write a definition message: ``fields`` are :class:`Field` or
        ``(num, base_type[, size[, scale[, offset]]])`` tuples."""
        if not 0 <= local_num <= 15:
            raise ValueError(f"local message number must be 0..15, got {local_num}")
        if not 0 <= global_num <= 0xFFFE:
            raise ValueError(f"global message number must be 0..65534, got {global_num}")
        fs = tuple(f if isinstance(f, Field) else Field(*f) for f in fields)
        if not fs or len(fs) > 255:
            raise ValueError(f"a message needs 1..255 fields, got {len(fs)}")
        dtype = np.dtype([("_header", "u1")] + [(f"f{i}", f.dtype) for i, f in enumerate(fs)])
        header = struct.pack("<BBBHB", 0x40 | local_num, 0, 0, global_num, len(fs))
        body = b"".join(bytes((f.num, f.size, BASE_TYPES[f.base_type].code)) for f in fs)
        self._parts.append(header + body)
        self._defs[local_num] = (global_num, fs, dtype)
        self._formats[local_num] = struct.Struct(
            "<B" + "".join(f"{f.size}s" if f.base_type == "string" else _STRUCT[f.dtype]
                           for f in fs))
        return self

    def define_message(self, local_num: int, message: str, field_names: Sequence[str], *,
                       string_sizes: Mapping[str, int] | None = None) -> FitWriter:
        """Define a profile message by name: ``define_message(3, "record", ["timestamp",
        "enhanced_speed"])``; strings need their byte size in ``string_sizes``."""
        global_num, fields = _profile_message(message)
        sizes = dict(string_sizes or {})
        out = []
        for name in field_names:
            if name not in fields:
                raise ValueError(f"FIT message {message!r} has no field {name!r} in runlab's "
                                 f"profile; known: {sorted(fields)}")
            num, base, scale, offset, ftype = fields[name]
            out.append(Field(num, base, sizes.get(name) if base == "string" else None,
                             scale, offset, name, ftype))
        return self.define(local_num, global_num, out)

    def write(self, local_num: int, values: Sequence[Any] | Mapping[str | int, Any]) -> FitWriter:
        """Write one data message. ``values`` is a sequence in field order or a mapping by
        field name or number (missing fields are written invalid)."""
        _, fields, _ = self._definition(local_num)
        if isinstance(values, Mapping):
            unknown = set(values) - {f.name for f in fields} - {f.num for f in fields}
            if unknown:
                raise ValueError(f"local message {local_num} has no field(s) {sorted(map(str, unknown))}")
            row = [values.get(f.name, values.get(f.num)) if f.name else values.get(f.num)
                   for f in fields]
        else:
            row = list(values)
            if len(row) != len(fields):
                raise ValueError(f"local message {local_num} has {len(fields)} fields, "
                                 f"got {len(row)} values")
        raw = [_encode_one(_scalar(v, f), f) for v, f in zip(row, fields, strict=True)]
        self._parts.append(self._formats[local_num].pack(local_num, *raw))
        return self

    def write_columns(self, local_num: int, columns: Sequence[Any]) -> FitWriter:
        """Write many data messages at once from one array per field (physical values,
        NaN/None invalid; ``date_time`` fields accept datetime64 arrays): vectorized."""
        self._parts.append(self.encode_columns(local_num, columns))
        return self

    def encode_columns(self, local_num: int, columns: Sequence[Any]) -> bytes:
        """The data messages :meth:`write_columns` would write, as bytes (not appended):
        one numpy structured array of fixed-size rows, ``.tobytes()``."""
        _, fields, dtype = self._definition(local_num)
        if len(columns) != len(fields):
            raise ValueError(f"local message {local_num} has {len(fields)} fields, "
                             f"got {len(columns)} columns")
        n = len(columns[0]) if len(columns) else 0
        rows = np.zeros(n, dtype=dtype)
        rows["_header"] = local_num
        for i, (col, f) in enumerate(zip(columns, fields, strict=True)):
            if len(col) != n:
                raise ValueError(f"column for field {f.name or f.num} has {len(col)} values, "
                                 f"expected {n}")
            rows[f"f{i}"] = _encode(col, f)
        return rows.tobytes()

    def write_raw(self, data: bytes) -> FitWriter:
        """Append already-encoded message bytes (e.g. rows built by the caller)."""
        self._parts.append(bytes(data))
        return self

    def _definition(self, local_num: int):
        try:
            return self._defs[local_num]
        except KeyError:
            raise ValueError(f"local message {local_num} has not been defined") from None

    def to_bytes(self) -> bytes:
        """The complete file: header (with data size and header CRC), messages, file CRC."""
        body = b"".join(self._parts)
        header = struct.pack("<BBHI4s", 14, PROTOCOL_VERSION, self.profile_version,
                             len(body), b".FIT")
        header += struct.pack("<H", crc16(header))
        data = header + body
        return data + struct.pack("<H", crc16(data))


def _profile_message(message: str):
    try:
        return PROFILE[message]
    except KeyError:
        raise ValueError(f"unknown FIT message {message!r}; runlab knows "
                         f"{sorted(PROFILE)}") from None


def _scalar(value: Any, field: Field) -> Any:
    """One physical value → something :func:`_encode` takes (names → enum numbers)."""
    if value is None:
        return None
    if isinstance(value, str) and field.base_type != "string":
        try:
            return TYPES[field.type][value]
        except KeyError:
            raise ValueError(f"field {field.name or field.num}: unknown {field.type or 'enum'} "
                             f"value {value!r}; known: {sorted(TYPES.get(field.type, {}))}"
                             ) from None
    if isinstance(value, datetime):
        return _fit_seconds(value)
    return value


def _fit_seconds(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp()) - FIT_EPOCH_S


#: numpy dtype → struct code (floats are packed by their bit pattern, so that the FIT
#: invalid value — all bits set — survives)
_STRUCT = {"u1": "B", "i1": "b", "<u2": "H", "<i2": "h", "<u4": "I", "<i4": "i", "<u8": "Q",
           "<i8": "q", "<f4": "I", "<f8": "Q"}


@cache
def _valid_range(base_type: str) -> tuple[int, int]:
    """Smallest and largest valid stored value of an integer base type."""
    bt = BASE_TYPES[base_type]
    info = np.iinfo(np.dtype(bt.dtype))
    lo = info.min + 1 if bt.invalid == info.min else info.min
    hi = info.max - 1 if bt.invalid == info.max else info.max
    return (max(lo, 1) if bt.invalid == 0 else lo), hi


def _range_error(field: Field, value: float) -> ValueError:
    return ValueError(f"field {field.name or field.num}: value {value!r} does not fit FIT "
                      f"{field.base_type} (scale {field.scale}, offset {field.offset})")


def _encode_one(value: Any, field: Field) -> int | float | bytes:
    """One physical value → what :data:`_STRUCT` packs for ``field``."""
    bt = BASE_TYPES[field.base_type]
    if field.base_type == "string":
        return b"" if value is None else str(value).encode("utf-8")[: field.size - 1]
    floating = field.base_type.startswith("float")
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return (1 << (8 * field.size)) - 1 if floating else bt.invalid
    x = (float(value) + field.offset) * field.scale
    if floating:
        code = "<f" if field.size == 4 else "<d"
        return int.from_bytes(struct.pack(code, x), "little")
    raw = round(x)
    lo, hi = _valid_range(field.base_type)
    if not lo <= raw <= hi:
        raise _range_error(field, value)
    return raw


def _encode(col: Any, field: Field) -> np.ndarray:
    """Physical values → stored values of ``field`` (invalid where null), vectorized."""
    bt = BASE_TYPES[field.base_type]
    if field.base_type == "string":
        raw = [b"" if v is None else str(v).encode("utf-8")[: field.size - 1] for v in col]
        return np.array(raw, dtype=field.dtype)
    arr = np.asarray(col)
    if arr.dtype.kind == "M":
        secs = arr.astype("datetime64[s]").astype(np.int64)
        values = np.where(np.isnat(arr), np.nan, secs - FIT_EPOCH_S).astype(np.float64)
    elif arr.dtype == object:
        values = np.array([np.nan if v is None else v for v in arr], dtype=np.float64)
    else:
        values = arr.astype(np.float64)
    if field.scale != 1 or field.offset != 0:
        values = (values + field.offset) * field.scale
    if bt.dtype.endswith("f4") or bt.dtype.endswith("f8"):
        out = values.astype(bt.dtype)
        out.view(f"u{field.size}")[~np.isfinite(values)] = (1 << (8 * field.size)) - 1
        return out
    raw = np.rint(values)
    valid = np.isfinite(raw)
    lo, hi = _valid_range(field.base_type)
    bad = valid & ((raw < lo) | (raw > hi))
    if bad.any():
        raise _range_error(field, float(values[bad][0] / field.scale - field.offset))
    out = np.where(valid, raw, 0).astype(bt.dtype)
    out[~valid] = bt.invalid
    return out


# --- activity files -----------------------------------------------------------------------

#: canonical record column → (FIT record field, multiplier from canonical to FIT physical)
_RECORD_COLUMNS = {
    "distance_m": ("distance", 1.0),
    "speed_mps": ("enhanced_speed", 1.0),
    "altitude_m": ("enhanced_altitude", 1.0),
    "heart_rate_bpm": ("heart_rate", 1.0),
    "power_w": ("power", 1.0),
    "temperature_c": ("temperature", 1.0),
    "stance_time_ms": ("stance_time", 1.0),
    "vertical_oscillation_mm": ("vertical_oscillation", 1.0),
    "step_length_m": ("step_length", 1000.0),  # FIT step_length is in mm
}

_DEFAULT_DEVICE = {"manufacturer": "development", "product": 0, "serial_number": 1,
                   "software_version": 1.0, "product_name": "runlab"}

_LOCAL = {"file_id": 0, "device_info": 1, "event": 2, "record": 3, "lap": 4, "session": 5,
          "activity": 6}


def write_activity(records: pl.DataFrame, path: str | os.PathLike, *, sport: str = "running",
                   sub_sport: str | None = None, events: pl.DataFrame | None = None,
                   laps: pl.DataFrame | None = None, device: Mapping[str, Any] | None = None,
                   local_time_offset_s: int = 0) -> Path:
    """Write canonical records as a FIT activity file; returns the path.

    The file is written to a temporary name and renamed, so a reader never sees half a
    file. See :func:`write_activity_bytes` for the parameters.
    """
    data = write_activity_bytes(records, sport=sport, sub_sport=sub_sport, events=events,
                                laps=laps, device=device,
                                local_time_offset_s=local_time_offset_s)
    out = Path(path)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, out)
    return out


def write_activity_bytes(records: pl.DataFrame, *, sport: str = "running",
                         sub_sport: str | None = None, events: pl.DataFrame | None = None,
                         laps: pl.DataFrame | None = None,
                         device: Mapping[str, Any] | None = None,
                         local_time_offset_s: int = 0) -> bytes:
    """A complete FIT activity file, as bytes, from canonical records.

    Parameters
    ----------
    records
        Canonical records (:data:`runlab.schema.RECORDS`; missing columns are treated as
        absent sensors), sorted by ``timestamp``. FIT stores whole seconds: sub-second
        timestamps are truncated.
    sport, sub_sport
        FIT sport names (``"running"``, ``"walking"``; ``"treadmill"``, ``"street"``...).
    events
        Timer events (:data:`runlab.schema.EVENTS`): pauses as ``timer``/``stop`` then
        ``timer``/``start``. The opening ``start`` and closing ``stop_all`` are added when
        absent. Total timer time excludes the pauses.
    laps
        Frame with ``start_time`` and ``end_time`` (UTC datetimes) and optionally
        ``intensity`` (``"active"``, ``"rest"``, ``"warmup"``...) and ``lap_trigger``;
        default one lap over the whole activity. Lap totals come from the records.
    device
        ``manufacturer`` (name or number), ``product``, ``serial_number``,
        ``software_version``, ``product_name``; default a ``development`` device named
        ``"runlab"``.
    local_time_offset_s
        Local time minus UTC [s], stored in ``activity.local_timestamp``.

    Returns
    -------
    bytes
        The FIT file (header, messages, CRC).
    """
    rec = _prepare_records(records)
    ts = rec["timestamp"].to_numpy().astype("datetime64[s]")
    secs = ts.astype(np.int64)
    start, end = int(secs[0]), int(secs[-1])
    timer = _timer_events(events, start, end)
    dev = {**_DEFAULT_DEVICE, **(device or {})}
    sub_sport = sub_sport or "generic"

    w = FitWriter()
    w.define_message(_LOCAL["file_id"], "file_id",
                     ["type", "manufacturer", "product", "serial_number", "time_created",
                      "product_name"], string_sizes={"product_name": 32})
    w.write(_LOCAL["file_id"], {"type": "activity", "manufacturer": dev["manufacturer"],
                                "product": dev["product"], "serial_number": dev["serial_number"],
                                "time_created": start - FIT_EPOCH_S,
                                "product_name": dev["product_name"]})
    w.define_message(_LOCAL["device_info"], "device_info",
                     ["timestamp", "device_index", "manufacturer", "serial_number", "product",
                      "software_version", "product_name"], string_sizes={"product_name": 32})
    w.write(_LOCAL["device_info"], {"timestamp": start - FIT_EPOCH_S, "device_index": 0,
                                    "manufacturer": dev["manufacturer"],
                                    "serial_number": dev["serial_number"],
                                    "product": dev["product"],
                                    "software_version": dev["software_version"],
                                    "product_name": dev["product_name"]})
    w.define_message(_LOCAL["event"], "event", ["timestamp", "event", "event_type", "data"])

    data = _numpy_columns(rec)
    names, columns = _record_columns(data, secs)
    w.define_message(_LOCAL["record"], "record", names)
    rows = w.encode_columns(_LOCAL["record"], columns)
    row_size = len(rows) // len(secs)
    # interleave timer events with the records, in time order
    cut_prev = 0
    for t, event, event_type in timer:
        cut = int(np.searchsorted(secs, t, side="left" if event_type == "start" else "right"))
        w.write_raw(rows[cut_prev * row_size: cut * row_size])
        cut_prev = max(cut, cut_prev)
        w.write(_LOCAL["event"], [t - FIT_EPOCH_S, event, event_type, 0])
    w.write_raw(rows[cut_prev * row_size:])

    lap_rows = _lap_bounds(laps, start, end)
    lap_fields = ["message_index", "timestamp", "event", "event_type", "start_time",
                  "total_elapsed_time", "total_timer_time", "total_distance",
                  "enhanced_avg_speed", "enhanced_max_speed", "avg_heart_rate",
                  "max_heart_rate", "avg_cadence", "avg_fractional_cadence", "max_cadence",
                  "avg_temperature", "intensity", "lap_trigger", "sport", "sub_sport"]
    w.define_message(_LOCAL["lap"], "lap", lap_fields)
    for i, (a, b, intensity, trigger) in enumerate(lap_rows):
        stats = _totals(data, secs, timer, a, b)
        w.write(_LOCAL["lap"], {**stats, "message_index": i, "timestamp": b - FIT_EPOCH_S,
                                "event": "lap", "event_type": "stop",
                                "start_time": a - FIT_EPOCH_S, "intensity": intensity,
                                "lap_trigger": trigger, "sport": sport,
                                "sub_sport": sub_sport})
    stats = _totals(data, secs, timer, start, end)
    w.define_message(_LOCAL["session"], "session",
                     ["message_index", "timestamp", "event", "event_type", "start_time",
                      "total_elapsed_time", "total_timer_time", "total_distance",
                      "enhanced_avg_speed", "enhanced_max_speed", "avg_heart_rate",
                      "max_heart_rate", "avg_cadence", "avg_fractional_cadence", "max_cadence",
                      "avg_temperature", "sport", "sub_sport", "first_lap_index", "num_laps",
                      "trigger"])
    w.write(_LOCAL["session"], {**stats, "message_index": 0, "timestamp": end - FIT_EPOCH_S,
                                "event": "session", "event_type": "stop",
                                "start_time": start - FIT_EPOCH_S, "sport": sport,
                                "sub_sport": sub_sport, "first_lap_index": 0,
                                "num_laps": len(lap_rows), "trigger": "activity_end"})
    w.define_message(_LOCAL["activity"], "activity",
                     ["timestamp", "total_timer_time", "num_sessions", "type", "event",
                      "event_type", "local_timestamp"])
    w.write(_LOCAL["activity"], {"timestamp": end - FIT_EPOCH_S,
                                 "total_timer_time": stats["total_timer_time"],
                                 "num_sessions": 1, "type": "manual", "event": "activity",
                                 "event_type": "stop",
                                 "local_timestamp": end - FIT_EPOCH_S + local_time_offset_s})
    return w.to_bytes()


def _prepare_records(records: pl.DataFrame) -> pl.DataFrame:
    if not isinstance(records, pl.DataFrame):
        raise TypeError(f"records must be a polars DataFrame, got {type(records).__name__}")
    if "timestamp" not in records.columns:
        raise schema.SchemaError("records frame lacks column 'timestamp'")
    have = records.schema
    canonical = all(have.get(k) == v for k, v in schema.RECORDS.items())
    rec = records if canonical else schema.conform(records, "records")
    if rec.height == 0:
        raise ValueError("cannot write a FIT activity without records")
    if rec["timestamp"].null_count():
        raise schema.SchemaError("records column 'timestamp' has nulls")
    if not rec["timestamp"].is_sorted():
        raise schema.SchemaError("records column 'timestamp' is not sorted")
    return rec


def _numpy_columns(rec: pl.DataFrame) -> dict[str, np.ndarray | None]:
    """Canonical measurement columns as float64 arrays (NaN for null); None when the
    sensor is absent (all null)."""
    out: dict[str, np.ndarray | None] = {}
    for name in schema.RECORDS:
        if name == "timestamp":
            continue
        s = rec[name]
        out[name] = None if s.null_count() == s.len() else s.to_numpy().astype(np.float64)
    return out


def _record_columns(data: dict[str, np.ndarray | None],
                    secs: np.ndarray) -> tuple[list[str], list[np.ndarray]]:
    names: list[str] = ["timestamp"]
    cols: list[np.ndarray] = [(secs - FIT_EPOCH_S).astype(np.float64)]
    lat, lon = data["lat_deg"], data["lon_deg"]
    if lat is not None and lon is not None:
        lon = (lon + 180.0) % 360.0 - 180.0
        names += ["position_lat", "position_long"]
        cols += [lat * _SEMICIRCLES_PER_DEG, lon * _SEMICIRCLES_PER_DEG]
    spm = data["cadence_spm"]
    if spm is not None:
        strides = spm / 2.0
        whole = np.floor(strides)
        frac = np.rint((strides - whole) * 128.0)
        whole = np.where(frac >= 128, whole + 1, whole)
        frac = np.where(frac >= 128, 0.0, frac) / 128.0
        names += ["cadence", "fractional_cadence"]
        cols += [whole, frac]
    for column, (field, factor) in _RECORD_COLUMNS.items():
        values = data[column]
        if values is not None:
            names.append(field)
            cols.append(values * factor)
    return names, cols


def _timer_events(events: pl.DataFrame | None, start: int, end: int) -> list[tuple[int, str, str]]:
    """Timer events as (unix s, event, event_type), with the opening start and closing
    stop_all added when absent."""
    out: list[tuple[int, str, str]] = []
    if events is not None and events.height:
        ev = schema.conform(events, "events").sort("timestamp")
        if ev["timestamp"].null_count():
            raise schema.SchemaError("events column 'timestamp' has nulls")
        t = ev["timestamp"].to_numpy().astype("datetime64[s]").astype(np.int64)
        for ti, e, et in zip(t.tolist(), ev["event"].to_list(), ev["event_type"].to_list(),
                             strict=True):
            if e not in TYPES["event"] or et not in TYPES["event_type"]:
                raise ValueError(f"event {e!r}/{et!r} is not a FIT event/event_type runlab "
                                 f"writes; events: {sorted(TYPES['event'])}, types: "
                                 f"{sorted(TYPES['event_type'])}")
            out.append((ti, e, et))
    timers = [x for x in out if x[1] == "timer"]
    if not timers or timers[0][2] != "start" or timers[0][0] > start:
        out.insert(0, (start, "timer", "start"))
    if not timers or timers[-1][2] not in ("stop", "stop_all") or timers[-1][0] < end:
        out.append((end, "timer", "stop_all"))
    return sorted(out, key=lambda x: x[0])


def _running_seconds(timer: list[tuple[int, str, str]], a: int, b: int) -> float:
    """Seconds within [a, b] during which the timer ran."""
    total, since = 0.0, None
    for t, event, event_type in timer:
        if event != "timer":
            continue
        if event_type == "start" and since is None:
            since = t
        elif event_type in ("stop", "stop_all") and since is not None:
            total += max(0, min(t, b) - max(since, a))
            since = None
    if since is not None:
        total += max(0, b - max(since, a))
    return total


def _lap_bounds(laps: pl.DataFrame | None, start: int, end: int) -> list[tuple[int, int, str, str]]:
    if laps is None or laps.height == 0:
        return [(start, end, "active", "session_end")]
    for col in ("start_time", "end_time"):
        if col not in laps.columns:
            raise schema.SchemaError(f"laps frame lacks column {col!r}; has {laps.columns}")
    a = laps["start_time"].to_numpy().astype("datetime64[s]").astype(np.int64).tolist()
    b = laps["end_time"].to_numpy().astype("datetime64[s]").astype(np.int64).tolist()
    intensity = (laps["intensity"].to_list() if "intensity" in laps.columns
                 else ["active"] * laps.height)
    trigger = (laps["lap_trigger"].to_list() if "lap_trigger" in laps.columns
               else ["manual"] * (laps.height - 1) + ["session_end"])
    return list(zip(a, b, intensity, trigger, strict=True))


def _totals(data: dict[str, np.ndarray | None], secs: np.ndarray, timer: list, a: int,
            b: int) -> dict:
    """Lap/session totals over records with a <= timestamp <= b (physical FIT values)."""
    i, j = int(np.searchsorted(secs, a, "left")), int(np.searchsorted(secs, b, "right"))

    def stat(col: str, how) -> float | None:
        values = data[col]
        if values is None:
            return None
        part = values[i:j]
        part = part[np.isfinite(part)]
        return float(how(part)) if part.size else None

    distance = None
    if data["distance_m"] is not None:
        # laps share their boundary sample: distance runs from the reading at ``a`` to
        # ``b`` (from 0 for the lap that opens the activity)
        dist = data["distance_m"]
        upto_b = dist[:j][np.isfinite(dist[:j])]
        k = int(np.searchsorted(secs, a, "right"))
        upto_a = dist[:k][np.isfinite(dist[:k])]
        base = float(upto_a.max()) if a > secs[0] and upto_a.size else 0.0
        distance = float(upto_b.max()) - base if upto_b.size else None
    spm = stat("cadence_spm", np.mean)
    avg_cad = frac = max_cad = None
    if spm is not None:
        strides = spm / 2.0
        avg_cad = float(np.floor(strides))
        frac = min(round((strides - avg_cad) * 128), 127) / 128.0
        max_cad = float(np.floor((stat("cadence_spm", np.max) or 0.0) / 2.0))
    return {"total_elapsed_time": float(b - a),
            "total_timer_time": _running_seconds(timer, a, b),
            "total_distance": distance, "enhanced_avg_speed": stat("speed_mps", np.mean),
            "enhanced_max_speed": stat("speed_mps", np.max),
            "avg_heart_rate": stat("heart_rate_bpm", np.mean),
            "max_heart_rate": stat("heart_rate_bpm", np.max),
            "avg_cadence": avg_cad, "avg_fractional_cadence": frac, "max_cadence": max_cad,
            "avg_temperature": stat("temperature_c", np.mean)}
