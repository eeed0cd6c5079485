"""GPX 1.0 and 1.1 (plain, Garmin TrackPointExtension v1/v2, cluetrust gpxdata): reader, writer.

Reading
-------
``read_activity_bytes(data, path)`` returns one :class:`~runlab.activity.Activity` whose
records are the ``trkpt`` of every track and segment, sorted by time:

- position from ``lat``/``lon``, ``altitude_m`` from ``ele``, ``timestamp`` from ``time``
  (UTC). Points without ``time`` are left out when others have one (records are ordered by
  time); when none has one (a drawn track) all are kept in file order with null timestamps;
  both with a warning;
- ``heart_rate_bpm`` from ``hr`` (TrackPointExtension) or ``gpxdata:hr``; ``temperature_c``
  from ``atemp`` or ``gpxdata:temp``; ``speed_mps`` from GPX 1.0 ``speed`` or TPX v2 ``speed``;
  ``power_w`` from the ``power`` extension (Garmin/Strava); ``distance_m`` from
  ``gpxdata:distance``;
- nothing else: a track without speed or distance has null ``speed_mps``/``distance_m``.
  :func:`runlab.clean` derives them from the positions (flagged ``speed_derived``,
  ``distance_derived``).

Cadence rule (``meta["cadence_unit"]``): GPX ``cad`` is "revolutions per minute" in the
Garmin schema, and for running the writers that matter put one leg's strides/min there (the
FIT ``cadence`` value). So:

1. the creator is Garmin (Connect, a device), Strava (``StravaGPX``) or runlab → per leg,
   doubled to steps/min;
2. any other creator → decided from the data by :func:`runlab.io._records.cadence_to_spm`: a
   median of positive values below 100 is per leg (doubled), else already steps/min.

Events: a ``("segment", "marker")`` event at the first point of every track segment after
the first. These are NOT timer events (GPX has none); a segment gap is usually, but not
always, a pause, and :func:`runlab.clean` finds pauses from the records.

A GPX with only waypoints or only a route (a planned course, no recorded times) raises
:class:`~runlab.errors.NotAnActivityError`.

Writing
-------
:func:`write_gpx` writes GPX 1.1 with a Garmin TrackPointExtension v2 per point (``atemp``,
``hr``, ``cad`` = steps/min ÷ 2 rounded, as Garmin Connect writes running cadence, and
``speed``) and a ``power`` extension; points without a position cannot be ``trkpt`` and are
left out with a warning.
"""

from __future__ import annotations

import os
import warnings as _warnings
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import polars as pl

from runlab import schema
from runlab.activity import Activity
from runlab.errors import CorruptFileError, NotAnActivityError, RunlabWarning
from runlab.io import _records, _xml_safe, _xml_scan, _xml_write

__all__ = ["read_activity_bytes", "read_gpx", "write_gpx", "cadence_per_leg", "NS11",
           "NS_TPX2"]

NS10 = "http://www.topografix.com/GPX/1/0"
NS11 = "http://www.topografix.com/GPX/1/1"
NS_TPX2 = "http://www.garmin.com/xmlschemas/TrackPointExtension/v2"
NS_GPXDATA = "http://www.cluetrust.com/XML/GPXDATA/1/0"

#: trkpt descendant (full "{ns}tag" or local name) → records column.
POINT_NAMES = {
    "ele": "altitude_m",
    "hr": "heart_rate_bpm",
    "heartrate": "heart_rate_bpm",
    "cad": "cadence",
    "cadence": "cadence",
    "atemp": "temperature_c",
    "temp": "temperature_c",
    "speed": "speed_mps",
    "power": "power_w",
    f"{{{NS_GPXDATA}}}distance": "distance_m",
}

#: Creators (lower case substrings) that write running cadence per leg.
PER_LEG_CREATORS = ("garmin", "stravagpx", "strava", "runlab", "etrex", "forerunner", "fenix",
                    "edge ")

#: trk <type> → runlab sport (Strava writes numeric activity types: 9 run, 1 ride, ...).
SPORTS = {"run": "running", "running": "running", "9": "running", "ride": "cycling",
          "biking": "cycling", "cycling": "cycling", "1": "cycling", "walk": "walking",
          "walking": "walking", "10": "walking", "hike": "hiking", "hiking": "hiking",
          "4": "hiking"}


def read_gpx(path: str | os.PathLike, **kwargs) -> Activity:
    """Read a GPX file into an :class:`~runlab.activity.Activity` (see the module notes)."""
    from runlab.io import read_activity

    return read_activity(path, **kwargs)


def cadence_per_leg(creator: str | None) -> bool | None:
    """True when ``creator`` is known to write per-leg running cadence, else None (unknown)."""
    low = (creator or "").lower()
    return True if any(name in low for name in PER_LEG_CREATORS) else None


def read_activity_bytes(data: bytes, path: str, *, strict: bool = True) -> Activity:
    """The recorded track(s) of GPX bytes as one activity; ``strict=False`` keeps the points
    before the first fault of a damaged document (``meta["partial"]``)."""
    doc = _xml_scan.load(data, path, point="trkpt", names=POINT_NAMES, texts=("time",),
                         attrs=("lat", "lon"), containers=("trkseg",), strict=strict)
    root = doc.root
    _xml_safe.check_root(root, ["gpx"], path, "GPX")
    ns = _xml_safe.namespace(root.tag)
    if not doc.n:
        has = {what for what in ("rte", "wpt") if root.find(f"{ns}{what}") is not None}
        kind = ("a route (planned course)" if "rte" in has else
                "waypoints only" if has else "no track points")
        raise NotAnActivityError(path, f"GPX with {kind}, not a recorded activity")
    if not strict:
        doc = _sound_points(doc, path)
    warnings: list[str] = []
    times, w, offset = _xml_scan.point_times(doc, "time", path)
    warnings += w
    cols = dict(doc.cols)
    for src, col in (("lat", "lat_deg"), ("lon", "lon_deg")):
        cols[col] = _coordinate(doc.attrs[src], src, path)
    creator = root.get("creator")
    unit = None
    if "cadence" in cols:
        cols["cadence_spm"], unit = _records.cadence_to_spm(cols.pop("cadence"),
                                                        per_leg=cadence_per_leg(creator))
    records = _records.finish_records(cols, times, path, warnings)
    if doc.fault:
        _records.partial_read(path, doc.fault, records, warnings)

    seg = doc.within["trkseg"]
    starts = np.flatnonzero(np.r_[False, seg[1:] != seg[:-1]])
    seg_times = times.gather(starts.tolist())
    events = schema.conform(pl.DataFrame({
        "timestamp": seg_times, "event": ["segment"] * len(seg_times),
        "event_type": ["marker"] * len(seg_times)}), "events").drop_nulls("timestamp")
    sport = _records.lower_sport(root.findtext(f"{ns}trk/{ns}type"), SPORTS)
    meta = _records.meta("gpx", records, warnings, sport=sport, creator=creator,
                     offset_s=offset or None,
                     gpx_version=root.get("version"), name=root.findtext(f"{ns}trk/{ns}name"),
                     tracks=len(root.findall(f"{ns}trk")), segments=len(np.unique(seg)),
                     cadence_unit=unit, partial=doc.fault is not None)
    return Activity(path=path, records=records, events=events, meta=meta)


def _sound_points(doc: _xml_scan.Doc, path: str) -> _xml_scan.Doc:
    """The points before the first whose ``lat`` or ``lon`` is not a number (all if none;
    :class:`CorruptFileError` when the first point is bad)."""
    firsts = []
    for src in ("lat", "lon"):
        raw = doc.attrs[src].str.strip_chars()
        bad = raw.is_not_null() & raw.cast(pl.Float64, strict=False).is_null()
        if bad.any():
            k = int(bad.arg_max())
            firsts.append((k, f"trkpt {k + 1} has {src}={raw[k]!r}, not a number"))
    if not firsts:
        return doc
    k, fault = min(firsts)
    if k == 0:
        raise CorruptFileError(path, fault)
    return doc.head(k, fault)


def _coordinate(raw: pl.Series, src: str, path: str) -> np.ndarray:
    """``lat``/``lon`` attribute texts → degrees (null → NaN); blanks around a number are
    allowed, anything else that is not a number raises :class:`CorruptFileError`."""
    values = raw.cast(pl.Float64, strict=False)
    if values.null_count() > raw.null_count():  # padded (" 47.1 ") or not a number
        raw = raw.str.strip_chars()
        values = raw.cast(pl.Float64, strict=False)
        if values.null_count() > raw.null_count():
            bad = raw.filter(values.is_null() & raw.is_not_null())[0]
            raise CorruptFileError(path, f"trkpt has {src}={bad!r}, not a number")
    return values.to_numpy().astype(np.float64)


# --------------------------------------------------------------------------- writing

def write_gpx(records: pl.DataFrame, path: str | os.PathLike, *, creator: str = "runlab",
              sport: str | None = "running") -> Path:
    """Write canonical records as GPX 1.1 with Garmin TrackPointExtension v2.

    Parameters
    ----------
    records
        Canonical records (:data:`runlab.schema.RECORDS`) with ``timestamp``, ``lat_deg``
        and ``lon_deg``; null columns are left out.
    path
        Output file.
    creator
        The ``creator`` attribute. Cadence is always written per leg (``cad`` = steps/min ÷ 2
        rounded); a reader applying runlab's rule reads it back as steps/min for creators it
        knows (runlab, Garmin, Strava) or by the data otherwise.
    sport
        ``trk/type`` (``None`` leaves it out).

    Returns
    -------
    pathlib.Path
        ``path``. Positions and floats are written in shortest exact form, heart rate,
        cadence and power as integers, times to the millisecond (or microsecond).
    """
    rec = _xml_write.prepare_records(records)
    missing = rec["lat_deg"].is_null() | rec["lon_deg"].is_null()
    if missing.any():
        _warnings.warn(f"{int(missing.sum())} records without a position are not written "
                       f"(a GPX trkpt needs lat and lon): {path}", RunlabWarning, stacklevel=2)
        rec = rec.filter(~missing)
    if rec.height == 0:
        raise ValueError("no records with a position: nothing to write")
    c = pl.col
    tpx = pl.concat_str([
        _xml_write.elem("gpxtpx:atemp", c("temperature_c")),
        _xml_write.elem("gpxtpx:hr", c("heart_rate_bpm").round(0).cast(pl.Int64)),
        _xml_write.elem("gpxtpx:cad", (c("cadence_spm") / 2).round(0).cast(pl.Int64)),
        _xml_write.elem("gpxtpx:speed", c("speed_mps")),
    ])
    ext = pl.concat_str([
        _xml_write.elem("power", c("power_w").round(0).cast(pl.Int64)),
        pl.when(tpx != "").then(pl.concat_str([
            pl.lit("<gpxtpx:TrackPointExtension>"), tpx,
            pl.lit("</gpxtpx:TrackPointExtension>")])).otherwise(pl.lit("")),
    ])
    point = pl.concat_str([
        pl.lit('<trkpt lat="'), c("lat_deg").cast(pl.String), pl.lit('" lon="'),
        c("lon_deg").cast(pl.String), pl.lit('">'),
        _xml_write.elem("ele", c("altitude_m")),
        _xml_write.elem("time", _xml_write.time_strings(rec["timestamp"])),
        pl.when(ext != "").then(pl.concat_str([pl.lit("<extensions>"), ext,
                                               pl.lit("</extensions>")])).otherwise(pl.lit("")),
        pl.lit("</trkpt>"),
    ])
    body = "\n".join(rec.select(point).to_series().to_list())
    start = rec.select(_xml_write.time_strings(rec["timestamp"])).item(0, 0)
    kind = f"<type>{sport}</type>" if sport else ""
    text = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<gpx version="1.1" creator={quoteattr(creator)} xmlns="{NS11}" '
            f'xmlns:gpxtpx="{NS_TPX2}">\n<metadata><time>{start}</time></metadata>\n'
            f"<trk>{kind}<trkseg>\n{body}\n</trkseg></trk>\n</gpx>\n")
    out = Path(path)
    out.write_bytes(text.encode("utf-8"))
    return out
