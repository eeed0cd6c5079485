"""Phone accelerometer logs: ``runlab.read_imu``.

Recognised by content:

- **phyphox** CSV exports ("Acceleration (with g)" or "Linear Acceleration"):
  ``"Time (s)","Acceleration x (m/s^2)",…`` with comma, tab or semicolon separators (the
  semicolon export writes decimal commas);
- **Sensor Logger** (Kelvin Choi) ``Accelerometer.csv`` / ``TotalAcceleration.csv``
  (``time,seconds_elapsed,z,y,x``; ``time`` in ns since 1970) and its JSON export (a list
  of ``{"sensor": ..., "time": ..., "x": ..., ...}`` objects; total acceleration is used when
  both it and gravity-free acceleration are there);
- **generic** tables, with or without a header: ``t, ax, ay, az`` (names such as ``time``,
  ``timestamp``, ``x``/``acc_x``/``accel_x``…); without a header the first column is time and
  the first three non-integer columns after it are x, y, z (so step-counter and
  sensor-accuracy columns in between are skipped).

Time units are found automatically: the unit (s, ms, µs, ns) in which the median sample
interval gives a phone-like rate of 5–2000 Hz; values that look like Unix time in that unit
become ``timestamp`` (UTC), anything else (time since boot or since the start) leaves
``timestamp`` null unless ``start_time=`` is given. Samples are kept as recorded (irregular
intervals; sorted; repeated timestamps and all-zero start-up rows dropped); acceleration in
g (median magnitude ≈ 1) is converted to m/s².

The result is an IMU frame (:data:`IMU`): ``time_s`` (from the first sample), ``timestamp``,
``acc_x_mps2``, ``acc_y_mps2``, ``acc_z_mps2`` and, when the log has a gyroscope,
``gyro_x_rad_s``, ``gyro_y_rad_s``, ``gyro_z_rad_s`` (:data:`GYRO`; the phone's own axes, as
the accelerometer's). Gyroscope columns are recognised by name (``gyro_x``, ``gyr_x``,
``gx``, ``rotation_rate_x``, ``"Gyroscope x (rad/s)"``…); a Sensor Logger JSON's
``gyroscope`` samples are interpolated to the accelerometer's times (the two sensors
sample apart). Their unit comes from the name (``rad``, ``deg``/``dps``/``°``) or, without
one, from the values: a body turns at under 20 rad/s, so larger values are °/s. A log whose
gyroscope is all missing reads as accelerometer-only. :func:`runlab.gait.steps` finds steps
in the frame (and turns, from the gyroscope).
"""

from __future__ import annotations

import io
import json
import os
import re
from datetime import datetime

import numpy as np
import polars as pl

from runlab import schema
from runlab.errors import CorruptFileError, FileTooLargeError, ReadError, UnsupportedFormatError
from runlab.io.sniff import csv_separator, detect_bytes

__all__ = ["read_imu", "is_imu_header", "is_phone_log", "imu_from_arrays", "IMU", "GYRO", "TIME_UNITS",
           "STANDARD_GRAVITY_MPS2", "MAX_IMU_BYTES"]

#: The IMU frame: one row per accelerometer sample.
IMU: dict[str, pl.DataType] = {
    "time_s": pl.Float64,
    "timestamp": schema.TIMESTAMP,
    "acc_x_mps2": pl.Float64,
    "acc_y_mps2": pl.Float64,
    "acc_z_mps2": pl.Float64,
}

#: The gyroscope columns an IMU frame adds when the log has one [rad/s].
GYRO: dict[str, pl.DataType] = {f"gyro_{a}_rad_s": pl.Float64 for a in "xyz"}

#: Time unit → seconds per unit.
TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
#: Standard gravity [m/s²] (CGPM 1901) for logs in g.
STANDARD_GRAVITY_MPS2 = 9.80665
#: Largest log read [bytes]: a day at 500 Hz is ~2 GB of CSV; a run-length log is < 100 MB.
MAX_IMU_BYTES = 512 * 2**20

_RATE_HZ = (5.0, 2000.0)  # a phone accelerometer's plausible sampling rates
_UNIX_S = (9.0e8, 4.1e9)  # 1998 … 2100 in seconds since 1970
_TIME_NAMES = ("time", "t", "timestamp", "time_s", "time (s)", "seconds_elapsed", "time_ms",
               "time_ns", "time_us", "elapsed", "elapsed_s", "ts")
_AXIS_PATTERNS = {
    axis: re.compile(rf"^(?:(?:linear\s+)?acceleration\s*{axis}\b.*|{axis}|a{axis}|acc_?{axis}"
                     rf"|accel(?:eration)?_?{axis}|acc(?:elerometer)?[ _-]?{axis}"
                     rf"|{axis}_?(?:acc|accel|mps2|g))$", re.IGNORECASE)
    for axis in "xyz"
}
_GYRO_PATTERNS = {
    axis: re.compile(rf"^(?:gyro(?:scope)?|gyr|g|rot(?:ation)?[ _-]?rate|angular[ _-]?velocity)"
                     rf"[ _-]?{axis}(?:[^a-z0-9].*)?$", re.IGNORECASE)
    for axis in "xyz"
}
_GYRO_UNITS = {"rad_s": 1.0, "deg_s": np.pi / 180.0}
_MAX_BODY_RAD_S = 20.0  # a body part turns slower; larger unlabelled values are °/s


def is_imu_header(columns: list[str]) -> bool:
    """True when a table's column names are an accelerometer log's: a time column and x/y/z
    acceleration columns (phyphox, Sensor Logger, ``t,ax,ay,az``...)."""
    names = [c.strip().strip('"').lower() for c in columns]
    has_time = any(n in _TIME_NAMES or n.startswith("time") for n in names)
    return has_time and all(any(p.match(n) for n in names) for p in _AXIS_PATTERNS.values())


def is_phone_log(head: bytes) -> bool:
    """A phone accelerometer log (phyphox, Sensor Logger, ``t,ax,ay,az``) by its header."""
    if detect_bytes(head) != "csv":
        return False
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace").lstrip("\ufeff")
    return is_imu_header(first.split(csv_separator(first)))


def read_imu(path: str | os.PathLike, *, time_unit: str | None = None,
             start_time: datetime | None = None, columns: dict[str, str] | None = None,
             rate_hz: float | None = None, sensor: str | None = None) -> pl.DataFrame:
    """Read a phone accelerometer log into an IMU frame (:data:`IMU`).

    Parameters
    ----------
    path : str or path-like
        phyphox / Sensor Logger CSV or JSON, or a generic ``t, ax, ay, az`` CSV.
    time_unit : {"s", "ms", "us", "ns"}, optional
        Force the unit of the time column (default: found from the sampling interval).
    start_time : datetime, optional
        UTC time of the first sample, for logs whose clock is relative (since boot/start).
    columns : dict, optional
        Source column → ``"t"``, ``"x"``, ``"y"`` or ``"z"``, for headers runlab does not
        recognise.
    rate_hz : float, optional
        Sampling rate [Hz] of a log without a time column (samples numbered 0, 1, 2...).
    sensor : str, optional
        For a two-row header (sensor, axis) with several sensors (gait-lab exports such as
        gaitmap's ``left_sensor``/``right_sensor``): which one (default: the first).

    Raises
    ------
    runlab.errors.ReadError
        Naming the file: unreadable, no time or acceleration columns, too few samples.
    """
    name = os.fspath(path)
    try:
        with open(name, "rb") as fh:
            data = fh.read(MAX_IMU_BYTES + 1)  # bounded: never more than the limit in memory
    except OSError as exc:
        raise ReadError(name, f"cannot open: {exc.strerror or exc}") from exc
    if len(data) > MAX_IMU_BYTES:
        raise FileTooLargeError(name, f"larger than the {MAX_IMU_BYTES}-byte limit")
    return read_imu_bytes(data, name, time_unit=time_unit, start_time=start_time,
                          columns=columns, rate_hz=rate_hz, sensor=sensor)


def read_imu_bytes(data: bytes, path: str = "<bytes>", *, time_unit: str | None = None,
                   start_time: datetime | None = None,
                   columns: dict[str, str] | None = None, rate_hz: float | None = None,
                   sensor: str | None = None) -> pl.DataFrame:
    """:func:`read_imu` for bytes already in memory; ``path`` is used in errors."""
    if time_unit is not None and time_unit not in TIME_UNITS:
        raise ValueError(f"time_unit={time_unit!r}; one of {sorted(TIME_UNITS)}")
    text = _decode(data, path)
    head = text.lstrip()[:1]
    if head in ("[", "{"):
        t, xyz, unit, gyro = _from_json(text, path)
    else:
        t, xyz, unit, gyro = _from_csv(text, path, columns, sensor)
    if t is None:
        if rate_hz is None:
            raise ReadError(path, "no time column: pass rate_hz= (samples per second)")
        t, unit = np.arange(xyz[0].size) / float(rate_hz), "s"
    return imu_from_arrays(t, *xyz, time_unit=time_unit or unit, start_time=start_time,
                           path=path, gyro=gyro[0] if gyro else None,
                           gyro_unit=gyro[1] if gyro else None)


def imu_from_arrays(t, x, y, z, *, time_unit: str | None = None,
                    start_time: datetime | None = None, path: str = "<arrays>",
                    gyro=None, gyro_unit: str | None = None) -> pl.DataFrame:
    """An IMU frame from raw time and acceleration arrays (units found as in
    :func:`read_imu`; acceleration in g is converted to m/s²). ``gyro``: the gyroscope's
    x, y, z arrays at the same samples (NaN where missing), in ``gyro_unit`` ``"rad_s"``
    or ``"deg_s"`` (default: found from the values, as in :func:`read_imu`)."""
    t = np.asarray(t, dtype=np.float64)
    acc = np.column_stack([np.asarray(a, dtype=np.float64) for a in (x, y, z)])
    w = None if gyro is None else _gyro_array(gyro, t.size, gyro_unit, path)
    # all-zero rows are sensor start-up placeholders (a phone at rest reads 1 g, not 0)
    ok = np.isfinite(t) & np.isfinite(acc).all(axis=1) & (acc != 0).any(axis=1)
    t, acc = t[ok], acc[ok]
    if t.size < 10:
        raise ReadError(path, f"only {t.size} complete accelerometer samples (need ≥ 10)")
    order = np.argsort(t, kind="stable")
    t, acc = t[order], acc[order]
    keep = np.r_[True, np.diff(t) > 0]  # duplicated timestamps: keep the first sample
    t, acc = t[keep], acc[keep]
    if w is not None:
        w = w[ok][order][keep]
    unit = time_unit or _time_unit(t, path)
    seconds = (t - t[0]) * TIME_UNITS[unit]
    first_s = t[0] * TIME_UNITS[unit]
    if start_time is None and _UNIX_S[0] <= first_s <= _UNIX_S[1]:
        start_us = int(round(first_s * 1e6))
    elif start_time is not None:
        start_us = int(round(start_time.timestamp() * 1e6))
    else:
        start_us = None
    magnitude = np.median(np.linalg.norm(acc, axis=1))
    if 0.5 < magnitude < 2.0:  # a log in g (gravity included): 1 g at rest
        acc = acc * STANDARD_GRAVITY_MPS2
    stamps = (pl.Series("timestamp", np.round(seconds * 1e6).astype(np.int64) + start_us)
              .cast(schema.TIMESTAMP) if start_us is not None
              else pl.Series("timestamp", [None] * t.size, dtype=schema.TIMESTAMP))
    gyro_cols = [] if w is None or not np.isfinite(w).any() else [
        pl.Series(name, w[:, i], nan_to_null=True) for i, name in enumerate(GYRO)]
    return pl.DataFrame([pl.Series("time_s", seconds), stamps,
                         pl.Series("acc_x_mps2", acc[:, 0]), pl.Series("acc_y_mps2", acc[:, 1]),
                         pl.Series("acc_z_mps2", acc[:, 2]), *gyro_cols])


def _gyro_array(gyro, n: int, unit: str | None, path: str) -> np.ndarray:
    """The gyroscope as an n × 3 array [rad/s]; its unit from ``unit`` or the values."""
    if unit is not None and unit not in _GYRO_UNITS:
        raise ValueError(f"gyro_unit={unit!r}; one of {sorted(_GYRO_UNITS)}")
    try:
        w = np.column_stack([np.asarray(a, dtype=np.float64) for a in gyro])
    except (TypeError, ValueError) as exc:
        raise ReadError(path, f"gyroscope is not three numeric columns: {exc}") from exc
    if w.shape != (n, 3):
        raise ReadError(path, f"gyroscope has {w.shape[0]} samples of {w.shape[1]} axes; the "
                              f"accelerometer {n} of 3 (interpolate it to the same times)")
    finite = np.abs(w[np.isfinite(w)])
    if unit is None:
        unit = ("deg_s" if finite.size and np.percentile(finite, 99) > _MAX_BODY_RAD_S
                else "rad_s")
    return w * _GYRO_UNITS[unit]


def _time_unit(t: np.ndarray, path: str) -> str:
    """The unit in which the median sample interval is a phone-like rate."""
    dt = np.median(np.diff(t))
    for unit, factor in TIME_UNITS.items():
        rate = 1.0 / (dt * factor)
        if _RATE_HZ[0] <= rate <= _RATE_HZ[1]:
            return unit
    raise ReadError(path, f"cannot tell the time unit: median interval {dt:g} is no "
                          f"{_RATE_HZ[0]:g}–{_RATE_HZ[1]:g} Hz rate in s, ms, µs or ns "
                          f"(pass time_unit=)")


def _decode(data: bytes, path: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "utf-16"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise UnsupportedFormatError(path, "not a text accelerometer log (CSV or JSON)")


# --- JSON ----------------------------------------------------------------------------------


def _from_json(text: str, path: str):
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CorruptFileError(path, f"bad JSON at line {exc.lineno}: {exc.msg}") from exc
    if isinstance(doc, dict):  # {"t": [...], "x": [...], ...} or {"data": [...]}
        inner = next((v for v in doc.values() if isinstance(v, list)
                      and v and isinstance(v[0], dict)), None)
        if inner is None:
            frame = pl.DataFrame({k: v for k, v in doc.items() if isinstance(v, list)})
            return _pick(frame, path, None)
        doc = inner
    if not isinstance(doc, list) or not doc or not isinstance(doc[0], dict):
        raise UnsupportedFormatError(path, "JSON is not a list of accelerometer samples")
    sensors = {str(r.get("sensor", "")).lower() for r in doc if isinstance(r, dict)}
    if sensors - {""}:
        want = next((s for s in ("totalacceleration", "accelerometer", "acceleration")
                     if s in sensors), None)
        if want is None:
            raise UnsupportedFormatError(path, f"no accelerometer in the JSON; sensors "
                                               f"{sorted(sensors)}")
        gyro = [r for r in doc if str(r.get("sensor", "")).lower() == "gyroscope"]
        doc = [r for r in doc if str(r.get("sensor", "")).lower() == want]
        if gyro:
            t, xyz, unit, _ = _pick(pl.DataFrame(doc, infer_schema_length=None), path, None)
            return t, xyz, unit, _gyro_at(t, pl.DataFrame(gyro, infer_schema_length=None),
                                          path)
    frame = pl.DataFrame(doc, infer_schema_length=None)
    return _pick(frame, path, None)


def _gyro_at(t: np.ndarray | None, frame: pl.DataFrame, path: str):
    """A separately sampled gyroscope (its own time and x/y/z columns) interpolated to
    the accelerometer's times ``t`` (the same clock); NaN outside its span."""
    tg, xyz, _, _ = _pick(frame, path, None)
    if t is None or tg is None:
        return None
    order = np.argsort(tg, kind="stable")
    tg = tg[order]
    inside = (t >= tg[0]) & (t <= tg[-1])
    w = [np.where(inside, np.interp(t, tg, a[order]), np.nan) for a in xyz]
    return w, "rad_s"  # Sensor Logger's unit


# --- CSV -----------------------------------------------------------------------------------


def _from_csv(text: str, path: str, columns: dict[str, str] | None, sensor: str | None):
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) < 2:
        raise ReadError(path, "fewer than two lines: no accelerometer samples")
    first = lines[0]
    sep = csv_separator(first)
    decimal_comma = sep == ";" and re.search(r"\d,\d", lines[1]) is not None
    body = "\n".join(lines)
    if decimal_comma:
        body = body.replace(",", ".")
    has_header = not _all_numbers(first.split(sep))
    second = lines[1].replace(",", ".") if decimal_comma else lines[1]
    if has_header and not _all_numbers(second.split(sep)):  # (sensor, axis) header rows
        body = _merge_header_rows(lines, sep, sensor, path)
    try:
        frame = pl.read_csv(io.StringIO(body), separator=sep, has_header=has_header,
                            infer_schema_length=10_000, truncate_ragged_lines=True,
                            ignore_errors=True)
    except pl.exceptions.PolarsError as exc:
        raise CorruptFileError(path, f"unreadable CSV: {exc}") from exc
    if not has_header:
        return _pick_headerless(frame, path)
    return _pick(frame, path, columns)


def _merge_header_rows(lines: list[str], sep: str, sensor: str | None, path: str) -> str:
    """One header from two rows (sensor, axis), keeping the columns of one sensor."""
    top = [f.strip().strip('"') for f in lines[0].split(sep)]
    axis = [f.strip().strip('"') for f in lines[1].split(sep)]
    sensors = [s for s in dict.fromkeys(top) if s]
    pick = sensor or (sensors[0] if sensors else "")
    if pick not in sensors:
        raise ReadError(path, f"no sensor {pick!r} in the header; sensors {sensors}")
    keep = [i for i, s in enumerate(top) if s == pick or (not s and i == 0)]
    names = [axis[i] or "index" for i in keep]
    rows = ([sep.join(names)] + [sep.join(r.split(sep)[i] for i in keep)
                                 for r in lines[2:]])
    return "\n".join(rows)


def _all_numbers(fields: list[str]) -> bool:
    try:
        [float(f.strip().strip('"')) for f in fields if f.strip()]
    except ValueError:
        return False
    return True


def _unit_of(name: str) -> str | None:
    m = re.search(r"[\(\[]\s*(s|ms|us|µs|ns)\s*[\)\]]|_(s|ms|us|ns)$", name.strip().lower())
    if not m:
        return None
    unit = (m.group(1) or m.group(2)).replace("µ", "u")
    return unit


def _pick(frame: pl.DataFrame, path: str, columns: dict[str, str] | None):
    """Time and x/y/z columns of a frame with named columns, its time unit (from the
    name) and its gyroscope (x, y, z arrays and unit, or None)."""
    names = {c: c.strip().strip('"').lower() for c in frame.columns}
    chosen: dict[str, str] = {}
    if columns:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise ReadError(path, f"columns {missing} not in the file; it has {frame.columns}")
        chosen = {role: src for src, role in columns.items()}
    if "t" not in chosen:
        # Sensor Logger: absolute ns "time" beats relative "seconds_elapsed"
        for want in _TIME_NAMES:
            hit = next((c for c, n in names.items() if n == want), None)
            if hit is not None:
                chosen["t"] = hit
                break
        else:
            hit = next((c for c, n in names.items() if n.startswith("time")), None)
            if hit is not None:
                chosen["t"] = hit
    for axis, pattern in _AXIS_PATTERNS.items():
        if axis not in chosen:
            hit = next((c for c, n in names.items() if pattern.match(n)), None)
            if hit is not None:
                chosen[axis] = hit
    lacking = [r for r in ("t", "x", "y", "z") if r not in chosen]
    gyro = _pick_gyro(frame, names, path)
    if lacking == ["t"]:  # numbered samples: the caller supplies the rate
        return None, [_floats(frame[chosen[r]], path) for r in ("x", "y", "z")], None, gyro
    if lacking:
        raise ReadError(path, f"no {'/'.join(lacking)} column recognised among "
                              f"{frame.columns} (pass columns={{source: 't'|'x'|'y'|'z'}})")
    out = [_floats(frame[chosen[r]], path) for r in ("t", "x", "y", "z")]
    return out[0], out[1:], _unit_of(chosen["t"]), gyro


def _pick_gyro(frame: pl.DataFrame, names: dict[str, str], path: str):
    """The gyroscope's x, y, z columns and their unit (from the names: ``rad``, or
    ``deg``/``dps``/``°``; None: found from the values), or None without all three."""
    hits = [next((c for c, n in names.items() if p.match(n)), None)
            for p in _GYRO_PATTERNS.values()]
    if None in hits:
        return None
    label = " ".join(names[c] for c in hits)
    unit = ("deg_s" if re.search(r"deg|dps|°", label) else
            "rad_s" if "rad" in label else None)
    return [_floats(frame[c], path) for c in hits], unit


def _pick_headerless(frame: pl.DataFrame, path: str):
    """First column time; x, y, z the first three non-integer columns after it."""
    cols = [_floats(frame[c], path) for c in frame.columns]
    if len(cols) < 4:
        raise ReadError(path, f"{len(cols)} columns without a header; need time, x, y, z")
    fractional = [i for i, c in enumerate(cols[1:], start=1)
                  if np.isfinite(c).any() and (np.mod(c[np.isfinite(c)], 1.0) != 0).mean() > 0.5]
    run = next((i for i in fractional if i + 1 in fractional and i + 2 in fractional), None)
    if run is None:
        raise ReadError(path, "no three adjacent acceleration columns (non-integer values) "
                              "after the time column")
    return cols[0], cols[run:run + 3], None, None


def _floats(series: pl.Series, path: str) -> np.ndarray:
    if series.dtype == pl.String:
        series = series.str.strip_chars().str.strip_chars('"').cast(pl.Float64, strict=False)
    try:
        return series.cast(pl.Float64).to_numpy().astype(np.float64)
    except pl.exceptions.PolarsError as exc:
        raise ReadError(path, f"column {series.name!r} is not numeric") from exc
