"""Platform CSV exports and any tabular sample file: ``runlab.read_csv``.

Recognised by their header (``runlab.read`` does this on its own):

- **Garmin FIT CSV** — what the FIT SDK's ``FitCSVTool`` (and Garmin Connect's FIT-to-CSV
  route) writes: ``Type,Local Number,Message,Field 1,Value 1,Units 1,...``; the ``record``
  data rows become records (semicircles → degrees, FIT seconds → UTC, ``cadence`` strides/min
  plus ``fractional_cadence`` → steps/min, ``step_length`` mm → m).
- **Strava streams** — one column per stream: ``time`` (s from the start), ``distance``,
  ``latlng`` (``"[lat, lng]"``) or ``lat``/``lng``, ``altitude``, ``velocity_smooth``,
  ``heartrate``, ``cadence``, ``watts``, ``temp``. Strava's running ``cadence`` stream is per
  leg (strides/min) and is doubled. Streams have no absolute time: pass ``start_time=`` (UTC)
  or timestamps stay null (``elapsed_s`` is kept).
- **Unit-labelled headers** (Stryd PowerCenter and most "export to CSV" buttons):
  ``Name (unit)`` or ``Name [unit]``, e.g. ``Heart Rate (bpm)``, ``Cadence (spm)``,
  ``Ground Time (ms)``, ``Vertical Oscillation (cm)``, ``Stryd Speed (m/s)``. The name picks
  the quantity (:data:`QUANTITIES`), the unit the conversion (:data:`UNIT_TARGETS`); a
  quantity that appears twice (Stryd's and the watch's speed) is taken from the first column
  whose name starts with ``Stryd``, else the first.

Anything else: ``read_csv(path, columns={"source column": "target", ...})`` where a target is
a canonical records column (:data:`runlab.schema.RECORDS`) or a unit-converting target of
:data:`UNIT_TARGETS` (``"speed_kmh"``, ``"cadence_per_leg"``, ``"timestamp_unix_ms"`` ...).
A Garmin Connect *splits* or *activities* CSV (laps or one row per run, no samples) raises
:class:`~runlab.errors.NotAnActivityError`.
"""

from __future__ import annotations

import csv as _csv
import io
import os
import re
from datetime import datetime

import numpy as np
import polars as pl

from runlab.activity import Activity
from runlab.errors import (
    CorruptFileError,
    NotAnActivityError,
    ReadError,
    TruncatedFileError,
    UnsupportedFormatError,
)
from runlab.io import _records, _times
from runlab.io._text import check_csv_columns, count_csv_columns, header_record
from runlab.io.sniff import csv_separator

__all__ = ["read_csv", "read_activity_bytes", "UNIT_TARGETS", "QUANTITIES"]

#: Target → (canonical column, factor): the value in canonical units is ``factor × value``
#: (``None`` factors are special conversions done in code: times, pace, lat/lng pairs).
UNIT_TARGETS: dict[str, tuple[str, float | None]] = {
    **{c: (c, 1.0) for c in ("elapsed_s", "distance_m", "speed_mps", "cadence_spm",
                             "heart_rate_bpm", "altitude_m", "lat_deg", "lon_deg", "power_w",
                             "temperature_c", "stance_time_ms", "vertical_oscillation_mm",
                             "step_length_m")},
    "timestamp": ("timestamp", None),
    "time_auto": ("timestamp", None),
    "timestamp_unix_s": ("timestamp", None),
    "timestamp_unix_ms": ("timestamp", None),
    "elapsed_min": ("elapsed_s", 60.0),
    "elapsed_hms": ("elapsed_s", None),
    "distance_km": ("distance_m", 1000.0),
    "distance_mi": ("distance_m", 1609.344),
    "speed_kmh": ("speed_mps", 1 / 3.6),
    "speed_mph": ("speed_mps", 0.44704),
    "pace_s_per_km": ("speed_mps", None),
    "pace_min_per_km": ("speed_mps", None),
    "cadence_per_leg": ("cadence_spm", 2.0),
    "cadence_auto": ("cadence_spm", None),
    "altitude_ft": ("altitude_m", 0.3048),
    "temperature_f": ("temperature_c", None),
    "vertical_oscillation_cm": ("vertical_oscillation_mm", 10.0),
    "stance_time_s": ("stance_time_ms", 1000.0),
    "step_length_mm": ("step_length_m", 0.001),
    "step_length_cm": ("step_length_m", 0.01),
    "stride_length_m": ("step_length_m", 0.5),  # a stride is two steps
    "latlng": ("lat_deg", None),
}

#: Normalised header name (lower case, unit removed) → quantity.
QUANTITIES = {
    "timestamp": "timestamp", "date": "timestamp", "datetime": "timestamp",
    "date time": "timestamp", "time stamp": "timestamp", "utc": "timestamp",
    "time": "time", "elapsed": "elapsed", "elapsed time": "elapsed", "duration": "elapsed",
    "distance": "distance", "stryd distance": "distance", "watch distance": "distance",
    "speed": "speed", "stryd speed": "speed", "watch speed": "speed", "velocity": "speed",
    "pace": "pace", "cadence": "cadence", "run cadence": "cadence", "heart rate": "hr",
    "heartrate": "hr", "hr": "hr", "elevation": "altitude", "altitude": "altitude",
    "latitude": "lat", "lat": "lat", "longitude": "lon", "lon": "lon", "lng": "lon",
    "long": "lon", "power": "power", "watts": "power", "temperature": "temperature",
    "temp": "temperature", "ground time": "stance", "ground contact time": "stance",
    "stance time": "stance", "gct": "stance", "vertical oscillation": "vo",
    "stride length": "stride", "step length": "step",
}

#: (quantity, unit) → target of :data:`UNIT_TARGETS`; ``None`` unit = no unit in the header.
_BY_UNIT = {
    ("timestamp", None): "timestamp", ("time", None): "time_auto", ("time", "s"): "elapsed_s", ("elapsed", "s"): "elapsed_s",
    ("elapsed", "min"): "elapsed_min", ("elapsed", None): "elapsed_hms",
    ("distance", "m"): "distance_m", ("distance", "meters"): "distance_m",
    ("distance", None): "distance_m", ("distance", "km"): "distance_km",
    ("distance", "mi"): "distance_mi", ("speed", "m/s"): "speed_mps",
    ("speed", None): "speed_mps", ("speed", "km/h"): "speed_kmh", ("speed", "kph"): "speed_kmh",
    ("speed", "mph"): "speed_mph", ("pace", "s/km"): "pace_s_per_km",
    ("pace", "min/km"): "pace_min_per_km", ("cadence", "spm"): "cadence_spm",
    ("cadence", "steps/min"): "cadence_spm", ("cadence", "rpm"): "cadence_per_leg",
    ("cadence", "strides/min"): "cadence_per_leg", ("cadence", None): "cadence_auto",
    ("hr", "bpm"): "heart_rate_bpm", ("hr", None): "heart_rate_bpm",
    ("altitude", "m"): "altitude_m", ("altitude", None): "altitude_m",
    ("altitude", "ft"): "altitude_ft", ("lat", None): "lat_deg", ("lat", "deg"): "lat_deg",
    ("lat", "°"): "lat_deg", ("lon", None): "lon_deg", ("lon", "deg"): "lon_deg",
    ("lon", "°"): "lon_deg", ("power", "w"): "power_w", ("power", None): "power_w",
    ("temperature", "c"): "temperature_c", ("temperature", "°c"): "temperature_c",
    ("temperature", None): "temperature_c", ("temperature", "f"): "temperature_f",
    ("temperature", "°f"): "temperature_f", ("stance", "ms"): "stance_time_ms",
    ("stance", None): "stance_time_ms", ("stance", "s"): "stance_time_s",
    ("vo", "cm"): "vertical_oscillation_cm", ("vo", "mm"): "vertical_oscillation_mm",
    ("vo", None): "vertical_oscillation_cm", ("stride", "m"): "stride_length_m",
    ("stride", None): "stride_length_m", ("step", "m"): "step_length_m",
    ("step", "cm"): "step_length_cm", ("step", "mm"): "step_length_mm",
}

#: Strava stream name → target.
STRAVA = {"time": "elapsed_s", "distance": "distance_m", "latlng": "latlng", "lat": "lat_deg",
          "lng": "lon_deg", "altitude": "altitude_m", "velocity_smooth": "speed_mps",
          "heartrate": "heart_rate_bpm", "cadence": "cadence_per_leg", "watts": "power_w",
          "temp": "temperature_c"}
_STRAVA_ONLY = {"velocity_smooth", "heartrate", "latlng", "grade_smooth", "watts", "moving"}

_FIT_EPOCH_S = 631065600  # 1989-12-31T00:00:00Z
_SEMICIRCLE_DEG = 180.0 / 2**31
_FIT_FIELDS = {"timestamp": "timestamp", "position_lat": "lat_deg", "position_long": "lon_deg",
               "distance": "distance_m", "speed": "speed_mps", "enhanced_speed": "speed_mps",
               "heart_rate": "heart_rate_bpm", "altitude": "altitude_m",
               "enhanced_altitude": "altitude_m", "power": "power_w",
               "temperature": "temperature_c", "stance_time": "stance_time_ms",
               "vertical_oscillation": "vertical_oscillation_mm", "step_length": "step_length_m",
               "cadence": "cadence", "fractional_cadence": "fractional_cadence"}
_UNIT = re.compile(r"^(.*?)\s*[(\[]\s*([^)\]]*?)\s*[)\]]\s*$")


def read_csv(path: str | os.PathLike, columns: dict[str, str] | None = None, *,
             strict: bool = True, start_time: datetime | None = None,
             timestamp_format: str | None = None, separator: str | None = None) -> pl.DataFrame:
    """Canonical records from a CSV file (see the module notes for what is recognised).

    Parameters
    ----------
    path
        The file (UTF-8, or UTF-16 with a BOM).
    columns
        Source column → target (canonical column or a key of :data:`UNIT_TARGETS`). Without
        it the header decides.
    strict
        False: a damaged file (invalid UTF-8, a value that is not a number, a last row cut
        short) gives the rows before the first fault (see :func:`runlab.read_activity`).
    start_time
        UTC start for files with relative time only (``elapsed_s``).
    timestamp_format
        ``strftime`` format of a ``timestamp`` column that is not ISO 8601 or Unix time.
    separator
        Field separator (default: sniffed from the header: ``,``, ``;`` or tab).

    Examples
    --------
    >>> rec = runlab.read_csv("run.csv", columns={"Time": "timestamp", "HR": "heart_rate_bpm",
    ...                                          "Pace": "pace_min_per_km"})  # doctest: +SKIP
    """
    from runlab.io import MAX_FILE_BYTES, read_activity
    from runlab.io._files import read_file_bytes

    name = os.fspath(path)
    if columns is None and start_time is None and timestamp_format is None and separator is None:
        return read_activity(name, strict=strict).records  # any format, by its content
    return read_activity_bytes(read_file_bytes(name, MAX_FILE_BYTES), name, strict=strict,
                               columns=columns, start_time=start_time,
                               timestamp_format=timestamp_format, separator=separator).records


def read_activity_bytes(data: bytes, path: str, *, strict: bool = True,
                        columns: dict[str, str] | None = None,
                        start_time: datetime | None = None,
                        timestamp_format: str | None = None,
                        separator: str | None = None) -> Activity:
    """An :class:`~runlab.activity.Activity` from CSV bytes (``meta["profile"]`` tells which
    layout was recognised). Faults ``strict=False`` reads past (keeping the rows before
    the first): invalid UTF-8, a last row cut short (fewer fields than the header and no
    line end), a value that is not a number."""
    faults: list[str] = []
    text = _decode(data, path, strict, faults)
    first = header_record(text)
    sep = separator or csv_separator(first)
    width = check_csv_columns(first, path, separator=sep)  # before polars allocates per column
    text = _whole_rows(text, width, sep, path, strict, faults)
    if columns is None and first.replace(" ", "").startswith("Type,LocalNumber,Message"):
        return _fit_csv(text, path, strict, faults)
    try:
        frame = pl.read_csv(io.StringIO(text), separator=sep, infer_schema=False,
                            truncate_ragged_lines=True)
    except pl.exceptions.PolarsError as exc:
        raise CorruptFileError(path, f"not a readable CSV table: {exc}") from exc
    if frame.height == 0:
        raise NotAnActivityError(path, "the CSV has a header but no rows")
    warnings: list[str] = []
    if columns is not None:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise ReadError(path, f"no column {missing[0]!r}; the file has {frame.columns}")
        mapping, profile = dict(columns), "mapping"
    else:
        mapping, profile = _auto_mapping(frame.columns, path)
    for target in mapping.values():
        if target not in UNIT_TARGETS:
            raise ValueError(f"unknown target {target!r}; use a records column or one of "
                             f"{sorted(UNIT_TARGETS)}")
    cols, times, bad = _convert(frame, mapping, path, timestamp_format, warnings)
    if bad is not None:  # (row, what): a value that is not a number
        if strict or bad[0] == 0:
            raise CorruptFileError(path, bad[1])
        faults.append(bad[1])
        cols = {k: v[:bad[0]] for k, v in cols.items()}
        times = None if times is None else times.head(bad[0])
    n = len(next(iter(cols.values()))) if cols else frame.height
    if times is None and start_time is not None and "elapsed_s" in cols:
        times = _times.offset_times(start_time, cols["elapsed_s"])
    elif times is None:
        times = pl.Series("timestamp", [None] * n, dtype=pl.Datetime("us", "UTC"))
        if "elapsed_s" in cols:
            warnings.append("no absolute time in the file; pass start_time= for timestamps")
    records = _records.finish_records(cols, times, path, warnings)
    if faults:
        _records.partial_read(path, faults[-1], records, warnings)  # the last is the earliest
    meta = _records.meta("csv", records, warnings, creator=profile, profile=profile,
                         partial=bool(faults))
    return Activity(path=path, records=records, meta=meta)


def _decode(data: bytes, path: str, strict: bool = True, faults: list[str] | None = None
            ) -> str:
    """Text of UTF-8 (BOM optional) or UTF-16 (BOM) bytes. Invalid bytes raise, or with
    ``strict=False`` end the text at the last line break before them (noted in ``faults``)."""
    codec = "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        fault = f"invalid {'UTF-16' if codec == 'utf-16' else 'UTF-8'} at byte {exc.start}"
        if strict or faults is None:
            raise CorruptFileError(path, fault) from exc
        text = data[:exc.start].decode(codec, errors="ignore")
        if "\n" not in text:  # not even the header is whole
            raise CorruptFileError(path, fault) from exc
        faults.append(fault)
        return text[:text.rindex("\n") + 1]


def _whole_rows(text: str, width: int, sep: str, path: str, strict: bool,
                faults: list[str]) -> str:
    """``text`` without a last row cut short: no line end after it and fewer fields than
    the header (or an open quote) — a truncated file. Raises
    :class:`~runlab.errors.TruncatedFileError`, or with ``strict=False`` drops the row."""
    if text.endswith("\n") or "\n" not in text:
        return text
    cut = text.rindex("\n") + 1
    last = text[cut:]
    if last.count('"') % 2 == 0 and count_csv_columns(last, sep) >= width:
        return text
    fault = (f"the last row is cut short ({count_csv_columns(last, sep)} of {width} fields, "
             "no line end): the file is truncated")
    if strict or not text[:cut].strip("\r\n").count("\n"):  # (no whole row: nothing sound)
        raise TruncatedFileError(path, fault)
    faults.append(fault)
    return text[:cut]


def _auto_mapping(header: list[str], path: str) -> tuple[dict[str, str], str]:
    """Source column → target from the header alone."""
    from runlab.io.imu import is_imu_header

    if is_imu_header(header):
        raise UnsupportedFormatError(path, "an accelerometer log, not activity samples: read it "
                                           "with runlab.read_imu and find steps with "
                                           "runlab.gait.steps")
    low = {h: h.strip().lower() for h in header}
    if "time" in low.values() and _STRAVA_ONLY & set(low.values()):
        return {h: STRAVA[v] for h, v in low.items() if v in STRAVA}, "strava_streams"
    if {"split", "laps"} & set(low.values()) or "activity type" in low.values():
        raise NotAnActivityError(path, "a laps/splits or activities-list CSV (one row per lap "
                                       "or run), not samples")
    mapping: dict[str, str] = {}
    taken: dict[str, str] = {}
    for h in header:
        m = _UNIT.match(h.strip())
        name, unit = (m.group(1), m.group(2)) if m else (h.strip(), None)
        quantity = QUANTITIES.get(name.lower())
        target = _BY_UNIT.get((quantity, unit.lower() if unit else None)) if quantity else None
        if target is None:
            continue
        canonical = UNIT_TARGETS[target][0]
        if canonical in taken and not (name.lower().startswith("stryd")
                                       and not taken[canonical].lower().startswith("stryd")):
            continue
        if canonical in taken:
            mapping.pop(next(s for s, t in mapping.items() if UNIT_TARGETS[t][0] == canonical))
        mapping[h], taken[canonical] = target, h
    if not mapping:
        raise ReadError(path, f"no known columns in the header {header[:8]}; pass columns="
                              "{...} (an accelerometer log? use runlab.read_imu)")
    stryd = any("stryd" in h.lower() or "form power" in h.lower() for h in header)
    return mapping, "stryd" if stryd else "unit_header"


def _convert(frame: pl.DataFrame, mapping: dict[str, str], path: str,
             timestamp_format: str | None, warnings: list[str]):
    """Canonical columns and times of ``frame``, and the first value that is not a number
    as ``(row, message)`` (None: all are), the earliest over all columns."""
    cols: dict[str, np.ndarray] = {}
    times = None
    bad: tuple[int, str] | None = None

    def numbers(raw: pl.Series, source: str) -> np.ndarray:
        nonlocal bad
        values, row = _numbers(raw)
        if row is not None and (bad is None or row < bad[0]):
            bad = (row, f"column {source!r} has {raw[row]!r}, not a number (row {row + 1})")
        return values

    for source, target in mapping.items():
        raw = frame[source].str.strip_chars()
        if target == "time_auto":  # a "Time" column: clock times, seconds or h:m:s
            sample = raw.drop_nulls()
            if sample.len() and sample.cast(pl.Float64, strict=False).null_count() == 0:
                target = "elapsed_s"
            elif sample.len() and not sample.str.contains(r"\d{4}-\d\d-\d\d").any():
                target = "elapsed_hms"
        canonical, factor = UNIT_TARGETS[target]
        if canonical == "timestamp":
            times = _timestamps(raw, target, path, timestamp_format, warnings)
            continue
        if target == "latlng":
            pair = raw.str.strip_chars("[]()").str.split_exact(",", 1)
            cols["lat_deg"] = numbers(pair.struct.field("field_0"), source)
            cols["lon_deg"] = numbers(pair.struct.field("field_1"), source)
            continue
        if target == "elapsed_hms":
            parts = raw.str.split(":").list.eval(pl.element().cast(pl.Float64, strict=False))
            value = parts.list.eval(pl.element() * 60.0 ** (pl.len() - 1 - pl.int_range(pl.len())))
            cols["elapsed_s"] = value.list.sum().cast(pl.Float64).to_numpy()
            continue
        value = numbers(raw, source)
        if target in ("pace_s_per_km", "pace_min_per_km"):
            scale = 1.0 if target == "pace_s_per_km" else 60.0
            with np.errstate(divide="ignore"):
                value = np.where(value > 0, 1000.0 / (value * scale), np.nan)
        elif target == "temperature_f":
            value = (value - 32.0) * 5.0 / 9.0
        elif target == "cadence_auto":
            value, unit = _records.cadence_to_spm(value, per_leg=None)
            warnings.append(f"cadence column {source!r} has no unit; taken as {unit} from its "
                            "values")
        else:
            value = value * factor
        cols[canonical] = value
    return cols, times, bad


def _numbers(raw: pl.Series) -> tuple[np.ndarray, int | None]:
    """Floats of a text column (blank → NaN) and the row of the first value that is not a
    number (None: every value is)."""
    values = raw.str.strip_chars().cast(pl.Float64, strict=False)
    bad = values.is_null() & raw.is_not_null() & (raw.str.strip_chars() != "")
    row = int(bad.arg_max()) if bad.any() else None
    return values.to_numpy().astype(np.float64), row


def _timestamps(raw: pl.Series, target: str, path: str, fmt: str | None,
                warnings: list[str]) -> pl.Series:
    if fmt is not None:
        out = raw.str.to_datetime(fmt, time_unit="us", strict=False)
        if out.dtype.time_zone is None:
            out = out.dt.replace_time_zone("UTC")
        bad = out.is_null() & raw.is_not_null()
        if bad.any():
            raise CorruptFileError(path, f"time {raw.filter(bad)[0]!r} does not match {fmt!r}")
        return out.dt.convert_time_zone("UTC").alias("timestamp")
    number = raw.cast(pl.Float64, strict=False)
    if target not in ("timestamp", "time_auto") or (number.null_count() == raw.null_count()
                                                    and raw.len()):
        ms = target == "timestamp_unix_ms" or (target in ("timestamp", "time_auto")
                                              and (number.abs().max() or 0) > 1e11)
        micros = (number * (1e3 if ms else 1e6)).round(0).cast(pl.Int64)
        return micros.cast(pl.Datetime("us", "UTC")).alias("timestamp")
    iso = raw.str.replace(r"^(\d{4}-\d\d-\d\d)[ _](\d)", "${1}T${2}")
    times, w = _times.parse_times(iso, path)
    warnings += w
    return times


def _fit_csv(text: str, path: str, strict: bool, faults: list[str]) -> Activity:
    """Record rows of a FIT SDK ``FitCSVTool`` file; with ``strict=False`` a value that is
    not a number ends the records there (noted in ``faults``)."""
    rows: list[dict[str, float]] = []
    for row in _csv.reader(io.StringIO(text)):
        if len(row) < 6 or row[0] != "Data" or row[2] != "record":
            continue
        rec: dict[str, float] = {}
        for i in range(3, len(row) - 2, 3):
            name = _FIT_FIELDS.get(row[i])
            if name and row[i + 1] != "":
                try:
                    rec[name] = float(row[i + 1].split("|")[0])
                except ValueError as exc:
                    fault = f"record field {row[i]}={row[i + 1]!r} is not a number"
                    if strict or not rows:
                        raise CorruptFileError(path, fault) from exc
                    faults.append(fault)
                    break
        else:
            rows.append(rec)
            continue
        break
    if not rows:
        raise NotAnActivityError(path, "a FIT CSV without record messages")
    frame = pl.DataFrame(rows, infer_schema_length=None)
    cols = {c: frame[c].cast(pl.Float64).to_numpy() for c in frame.columns if c != "timestamp"}
    for c in ("lat_deg", "lon_deg"):
        if c in cols and np.nanmax(np.abs(cols[c]), initial=0) > 180:  # still semicircles
            cols[c] = cols[c] * _SEMICIRCLE_DEG
    if "cadence" in cols:
        frac = cols.pop("fractional_cadence", np.zeros_like(cols["cadence"]))
        cols["cadence_spm"] = 2.0 * (cols.pop("cadence") + np.nan_to_num(frac))
    cols.pop("fractional_cadence", None)
    if "step_length_m" in cols:
        cols["step_length_m"] = cols["step_length_m"] / 1000.0
    if "timestamp" not in frame.columns:
        raise CorruptFileError(path, "record rows have no timestamp")
    seconds = frame["timestamp"].cast(pl.Float64)
    times = ((seconds + _FIT_EPOCH_S) * 1e6).round(0).cast(pl.Int64).cast(
        pl.Datetime("us", "UTC")).alias("timestamp")
    warnings: list[str] = []
    records = _records.finish_records(cols, times, path, warnings)
    if faults:
        _records.partial_read(path, faults[-1], records, warnings)
    meta = _records.meta("csv", records, warnings, creator="FitCSVTool",
                         profile="garmin_fit_csv", partial=bool(faults))
    return Activity(path=path, records=records, meta=meta)
