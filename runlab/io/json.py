"""Platform JSON: Strava API streams and Nike Run Club activity exports.

- **Strava streams** (``GET /activities/{id}/streams``), keyed by type
  (``{"time": {"data": [...]}, ...}``) or as a list of ``{"type": ..., "data": [...]}``:
  ``time`` s from the start, ``distance`` m, ``latlng`` pairs, ``altitude`` m,
  ``velocity_smooth`` m/s, ``heartrate``, ``cadence`` (per leg for runs: doubled to
  steps/min), ``watts``, ``temp`` °C. Streams carry no start time: pass ``start_time=`` (for
  example the activity's ``start_date``), else timestamps are null and ``elapsed_s`` is kept.
- **Nike Run Club** (``{"start_epoch_ms": ..., "metrics": [{"type", "unit", "values":
  [{"start_epoch_ms", "end_epoch_ms", "value"}]}]}``): the metrics are sampled at different,
  unaligned times. Records are the union of all sample times; each column has values only
  where its metric was sampled (no interpolation). Instantaneous metrics (``latitude``,
  ``longitude``, ``elevation`` m, ``heart_rate``, ``speed`` km/h) sit at their time;
  interval metrics become values at the interval's end: ``distance`` (km per interval,
  summed to cumulative metres) and ``steps`` (→ ``cadence_spm`` = steps / interval minutes).
"""

from __future__ import annotations

import json as _json
import re
from datetime import datetime

import numpy as np
import polars as pl

from runlab.activity import Activity
from runlab.errors import CorruptFileError, NotAnActivityError, UnsupportedFormatError
from runlab.io import _records, _times
from runlab.io.csv import STRAVA, UNIT_TARGETS

__all__ = ["read_activity_bytes", "strava_streams", "nike_run"]

_NIKE_SAMPLES = {"latitude": ("lat_deg", 1.0), "longitude": ("lon_deg", 1.0),
                 "elevation": ("altitude_m", 1.0), "heart_rate": ("heart_rate_bpm", 1.0),
                 "speed": ("speed_mps", 1 / 3.6)}


def read_activity_bytes(data: bytes, path: str, *, strict: bool = True,
                        start_time: datetime | None = None) -> Activity:
    """The activity in a Strava-streams or Nike Run JSON document.

    ``strict=False``: a truncated or damaged document is read as far as it is sound (every
    value before the first fault; streams are then cut to a common length, so the records
    are those before the fault) with ``meta["partial"] = True``.
    """
    fault = None
    try:
        doc = _json.loads(data)
    except UnicodeDecodeError as exc:
        raise CorruptFileError(path, f"invalid UTF-8 at byte {exc.start}") from exc
    except _json.JSONDecodeError as exc:
        fault = f"malformed JSON: {exc}"
        doc = None if strict else sound_prefix(exc.doc, exc.pos)
        if doc is None:
            raise CorruptFileError(path, fault) from exc
    except (ValueError, RecursionError) as exc:
        raise CorruptFileError(path, f"malformed JSON: {exc}") from exc
    try:
        if isinstance(doc, dict) and isinstance(doc.get("metrics"), list):
            act = nike_run(doc, path, partial=fault is not None)
        elif (streams := _streams(doc, partial=fault is not None)) is not None:
            act = strava_streams(streams, path, start_time=start_time,
                                 partial=fault is not None)
        else:
            raise UnsupportedFormatError(path, "JSON that is neither Strava streams nor a Nike "
                                               "Run activity")
    except OverflowError as exc:  # e.g. a 400-digit integer or 1e309 where a value belongs
        raise CorruptFileError(path, f"a number out of range: {exc}") from exc
    except (UnsupportedFormatError, NotAnActivityError) as exc:
        if fault is None:
            raise
        raise CorruptFileError(path, f"{fault} (nothing readable before it)") from exc
    if fault is not None:
        _records.partial_read(path, fault, act.records, act.meta["warnings"])
        act.meta["partial"] = True
    return act


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},]')


def sound_prefix(text: str, fault_at: int):
    """The JSON document in ``text[:fault_at]`` up to its last complete array element or
    object member, with the open brackets closed (None: nothing complete)."""
    depth, safe = 0, None
    for m in _TOKEN.finditer(text, 0, fault_at):
        tok = m.group()
        if tok in "[{":
            depth += 1
        elif tok in "]}":
            depth -= 1
        elif tok == ",":
            safe = m.start()  # what precedes a comma is complete
    if safe is None:
        return None
    stack = [m.group() for m in _TOKEN.finditer(text, 0, safe) if m.group() in "[]{}"]
    open_: list[str] = []
    for tok in stack:
        if tok in "[{":
            open_.append("]" if tok == "[" else "}")
        else:
            open_.pop()
    try:
        return _json.loads(text[:safe] + "".join(reversed(open_)))
    except (ValueError, RecursionError):
        return None


def _streams(doc, *, partial: bool = False) -> dict[str, list] | None:
    if partial and isinstance(doc, list):  # the entry being read at the fault is incomplete
        doc = [s for s in doc if isinstance(s, dict) and "type" in s and "data" in s]
    if partial and isinstance(doc, dict):
        doc = {k: v for k, v in doc.items() if isinstance(v, dict) and "data" in v}
    if isinstance(doc, list) and all(isinstance(s, dict) and "type" in s and "data" in s
                                     for s in doc):
        return {s["type"]: s["data"] for s in doc}
    if isinstance(doc, dict) and "time" in doc and all(
            isinstance(v, dict) and "data" in v for v in doc.values()):
        return {k: v["data"] for k, v in doc.items()}
    return None


def strava_streams(streams: dict[str, list], path: str, *,
                   start_time: datetime | None = None, partial: bool = False) -> Activity:
    """Records from Strava streams (stream type → list of values); ``partial``: the streams
    of a document read up to a fault, cut to the length of the shortest."""
    if partial:
        known = [v for k, v in streams.items() if k in STRAVA and isinstance(v, list)]
        n = min(map(len, known), default=0)
        streams = {k: v[:n] if isinstance(v, list) else v for k, v in streams.items()}
    n = len(streams.get("time", []))
    if n == 0:
        raise NotAnActivityError(path, "Strava streams without a time stream")
    warnings: list[str] = []
    cols: dict[str, np.ndarray] = {}
    for kind, values in streams.items():
        target = STRAVA.get(kind)
        if target is None:
            continue
        if len(values) != n:
            raise CorruptFileError(path, f"stream {kind!r} has {len(values)} values, "
                                         f"'time' has {n}")
        if target == "latlng":
            pairs = np.array([v if v else (np.nan, np.nan) for v in values], dtype=np.float64)
            cols["lat_deg"], cols["lon_deg"] = pairs[:, 0], pairs[:, 1]
            continue
        canonical, factor = UNIT_TARGETS[target]
        arr = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        cols[canonical] = arr * factor
    if start_time is not None:
        times = _times.offset_times(start_time, cols["elapsed_s"])
    else:
        times = pl.Series("timestamp", [None] * n, dtype=pl.Datetime("us", "UTC"))
        warnings.append("Strava streams have no start time; pass start_time= for timestamps")
    records = _records.finish_records(cols, times, path, warnings)
    meta = _records.meta("json", records, warnings, creator="Strava API", profile="strava_streams",
                     moving=streams.get("moving"))
    return Activity(path=path, records=records, meta=meta)


def nike_run(doc: dict, path: str, *, partial: bool = False) -> Activity:
    """Records from a Nike Run Club activity document (see the module notes); ``partial``:
    a document read up to a fault, whose records end at the last whole sample of the metric
    being read there."""
    metrics = {m.get("type"): m.get("values") or [] for m in doc["metrics"]
               if isinstance(m, dict)}
    end_ms = None
    if partial:
        whole = ("start_epoch_ms", "end_epoch_ms", "value")
        metrics = {k: [v for v in vs if isinstance(v, dict) and all(w in v for w in whole)]
                   for k, vs in metrics.items() if isinstance(vs, list)}
        last = [vs for vs in metrics.values() if vs][-1:]
        end_ms = _int_or_none(last[0][-1]["end_epoch_ms"]) if last else None
    parts = []
    for kind, (col, factor) in _NIKE_SAMPLES.items():
        if metrics.get(kind):
            parts.append(_nike_frame(metrics[kind], col, factor, path))
    if metrics.get("distance"):
        d = _nike_frame(metrics["distance"], "distance_m", 1000.0, path)
        parts.append(d.with_columns(pl.col("distance_m").cum_sum()))
    if metrics.get("steps"):
        s = _nike_frame(metrics["steps"], "steps", 1.0, path, keep_span=True)
        minutes = s["span_ms"] / 60000.0
        parts.append(s.select("t_ms", (pl.col("steps") / minutes).alias("cadence_spm"))
                     .filter(minutes > 0))
    if not parts:
        raise NotAnActivityError(path, "a Nike Run activity without sampled metrics")
    frame = parts[0]
    for part in parts[1:]:
        frame = frame.join(part, on="t_ms", how="full", coalesce=True)
    frame = frame.sort("t_ms")
    if end_ms is not None:
        frame = frame.filter(pl.col("t_ms") <= end_ms)
    times = (frame["t_ms"] * 1000).cast(pl.Datetime("us", "UTC")).alias("timestamp")
    cols = {c: frame[c].cast(pl.Float64).to_numpy() for c in frame.columns if c != "t_ms"}
    warnings: list[str] = []
    records = _records.finish_records(cols, times, path, warnings)
    sport = {"run": "running", "walk": "walking"}.get(str(doc.get("type", "")).lower())
    meta = _records.meta("json", records, warnings, sport=sport, creator=doc.get("app_id"),
                     profile="nike_run",
                     active_duration_s=(doc.get("active_duration_ms") or 0) / 1000 or None)
    return Activity(path=path, records=records, meta=meta)


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _nike_frame(values: list, col: str, factor: float, path: str, *,
                keep_span: bool = False) -> pl.DataFrame:
    try:
        frame = pl.DataFrame({
            "t_ms": [int(v["end_epoch_ms"]) for v in values],
            col: [float(v["value"]) * factor for v in values],
            "span_ms": [int(v["end_epoch_ms"]) - int(v["start_epoch_ms"]) for v in values]})
    except (KeyError, TypeError, ValueError) as exc:
        raise CorruptFileError(path, f"Nike metric {col!r} has a malformed value: {exc}") from exc
    # several samples at one time: keep the first, as the other readers do
    frame = frame.unique("t_ms", keep="first", maintain_order=True)
    return frame if keep_span else frame.drop("span_ms")
