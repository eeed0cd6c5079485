"""Garmin Training Center XML (TCX) v1 and v2: reader and writer.

Reading
-------
``read_activity_bytes(data, path, activity=None)`` returns one :class:`~runlab.activity.Activity`:

- records: one row per ``Trackpoint`` of every lap and track, merged where a writer repeats
  the lap-boundary point (same ``Time``); ``distance_m`` from ``DistanceMeters``,
  ``speed_mps`` from ``ns3:TPX/Speed``, ``power_w`` from ``TPX/Watts``, ``heart_rate_bpm``
  from ``HeartRateBpm`` (v2 ``Value`` or v1 text). Nothing is derived: where the file has
  no speed or distance the column is null and :func:`runlab.clean` derives it (flagged).
- cadence: ``TPX/RunCadence`` is per leg (strides/min) and is doubled to steps/min.
  The trackpoint ``Cadence`` element is a bike's crank rpm in the schema: for ``Biking`` it
  goes to an extra ``cadence_rpm`` column; for other sports (some writers put running cadence
  there) the unit is decided from the data with :func:`runlab.io._records.cadence_to_spm`.
- laps: one row per ``Lap`` (``start_time``, ``total_timer_s``, ``distance_m``,
  ``max_speed_mps``, ``calories_kcal``, heart rate, ``intensity``, ``trigger_method`` and the
  ``LX`` averages in canonical units).
- events: a ``("lap", "marker")`` event at each lap's ``StartTime``. These are NOT timer
  events: TCX has no timer start/stop, so pauses must be found from the records
  (:func:`runlab.clean`).
- several activities in one file (a multisport export): ``activity=None`` raises a
  :class:`~runlab.errors.ReadError` saying how many there are; ``activity=i`` picks the i-th
  (0-based, in document order). A file with courses or workouts but no activity raises
  :class:`~runlab.errors.NotAnActivityError`.

Writing
-------
:func:`write_tcx` writes canonical records as a schema-valid TCX v2 activity with one lap;
cadence goes to ``ns3:TPX/RunCadence`` per leg, rounded to an integer as the schema requires
(so steps/min are kept to the nearest even number), heart rate and power as integers.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import polars as pl

from runlab import schema
from runlab.activity import Activity
from runlab.errors import NotAnActivityError, ReadError
from runlab.io import _records, _times, _xml_safe, _xml_scan, _xml_write

__all__ = ["read_activity_bytes", "read_tcx", "write_tcx", "NS", "NS_TPX"]

NS = "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
NS_TPX = "http://www.garmin.com/xmlschemas/ActivityExtension/v2"

#: Trackpoint descendant (local name) → records column.
POINT_NAMES = {
    "LatitudeDegrees": "lat_deg",
    "LongitudeDegrees": "lon_deg",
    "AltitudeMeters": "altitude_m",
    "DistanceMeters": "distance_m",
    "Value": "heart_rate_bpm",  # v2: HeartRateBpm/Value
    "HeartRateBpm": "heart_rate_bpm",  # v1: the number is the element's text
    "Speed": "speed_mps",
    "Watts": "power_w",
    "RunCadence": "run_cadence",
    "Cadence": "cadence",
}

#: TCX Sport attribute (v2) or History child (v1) → runlab sport.
SPORTS = {"running": "running", "biking": "cycling", "other": "generic",
          "multisport": "multisport"}


def read_tcx(path: str | os.PathLike, **kwargs) -> Activity:
    """Read a TCX file into an :class:`~runlab.activity.Activity` (see the module notes)."""
    from runlab.io import read_activity

    return read_activity(path, **kwargs)


def read_activity_bytes(data: bytes, path: str, *, strict: bool = True,
                        activity: int | None = None) -> Activity:
    """The activity in TCX bytes; ``activity`` picks one of several (0-based);
    ``strict=False`` keeps the trackpoints before the first fault of a damaged document
    (``meta["partial"]``)."""
    doc = _xml_scan.load(data, path, point="Trackpoint", names=POINT_NAMES, texts=("Time",),
                         containers=("Activity", "Run"), strict=strict)
    root = doc.root
    _xml_safe.check_root(root, ["TrainingCenterDatabase"], path, "TCX")
    ns = _xml_safe.namespace(root.tag)
    acts = _activities(root, ns)
    if not acts:
        what = [_xml_safe.local(e.tag) for e in root if _xml_safe.local(e.tag) != "Author"]
        raise NotAnActivityError(path, f"a TCX file without activities (has {what or 'nothing'})")
    if activity is None:
        if len(acts) > 1:
            raise ReadError(path, f"{len(acts)} activities in one TCX file; pass activity=0.."
                                  f"{len(acts) - 1} to choose one")
        activity = 0
    if not -len(acts) <= activity < len(acts):
        raise ReadError(path, f"activity={activity} but the file has {len(acts)}")
    act, sport_label = acts[activity % len(acts)]
    kind = _xml_safe.local(act.tag)
    same_kind = [a for a, _ in acts if _xml_safe.local(a.tag) == kind]
    mine = doc.within[kind] == next(i for i, a in enumerate(same_kind) if a is act)
    if not mine.any():
        raise NotAnActivityError(path, "the TCX activity has no trackpoints (laps only)")
    laps = act.findall(f"{ns}Lap")
    warnings: list[str] = []
    everything = mine.all()  # (the usual file: one activity)
    times, w, offset = _xml_scan.point_times(doc, "Time", path, None if everything else mine)
    warnings += w
    cols = dict(doc.cols) if everything else {k: v[mine] for k, v in doc.cols.items()}
    sport = _records.lower_sport(sport_label, SPORTS)
    _cadence(cols, sport, warnings)
    records = _records.finish_records(cols, times, path, warnings)
    if doc.fault:
        _records.partial_read(path, doc.fault, records, warnings)

    lap_frame = _laps(laps, ns, path)
    starts = lap_frame["start_time"].drop_nulls()
    events = schema.conform(pl.DataFrame({
        "timestamp": starts, "event": ["lap"] * len(starts),
        "event_type": ["marker"] * len(starts)},
        schema={"timestamp": schema.TIMESTAMP, "event": pl.String, "event_type": pl.String}),
        "events")
    # TCX times are UTC by schema; a writer that used local time with an offset says so
    meta = _records.meta("tcx", records, warnings, sport=sport, creator=_creator(act, ns),
                     offset_s=offset or None,
                     author=root.findtext(f"{ns}Author/{ns}Name"),
                     tcx_version="v1" if ns.endswith("v1}") else "v2",
                     activities_in_file=len(acts), partial=doc.fault is not None)
    return Activity(path=path, records=records, events=events, laps=lap_frame, meta=meta)


def _activities(root: ET.Element, ns: str) -> list[tuple[ET.Element, str | None]]:
    """(activity element, sport label) in document order: v2 ``Activity`` (also inside a
    ``MultiSportSession``), v1 ``History/<Sport>/Run``."""
    acts = [(el, el.get("Sport")) for el in root.iter(f"{ns}Activity")]
    for history in root.iter(f"{ns}History"):
        acts += [(run, _xml_safe.local(group.tag)) for group in history
                 for run in group.iter(f"{ns}Run")]
    return acts


def _cadence(cols: dict[str, np.ndarray], sport: str | None, warnings: list[str]) -> None:
    run = cols.pop("run_cadence", None)
    bike = cols.pop("cadence", None)
    if run is not None:
        cols["cadence_spm"], _ = _records.cadence_to_spm(run, per_leg=True)
    if bike is not None:
        if sport == "cycling":
            cols["cadence_rpm"] = bike
        elif run is None:
            cols["cadence_spm"], unit = _records.cadence_to_spm(bike, per_leg=None)
            warnings.append(f"running cadence read from <Cadence>, taken as {unit} "
                            "(decided from its values)")


def _creator(act: ET.Element, ns: str) -> str | None:
    name = act.findtext(f"{ns}Creator/{ns}Name")
    if name is None:
        return None
    major = act.findtext(f"{ns}Creator/{ns}Version/{ns}VersionMajor")
    minor = act.findtext(f"{ns}Creator/{ns}Version/{ns}VersionMinor")
    return f"{name.strip()} {major}.{minor}" if major is not None else name.strip()


_LAP_FIELDS = {  # lap child path (v2 names) → lap column
    "TotalTimeSeconds": "total_timer_s",
    "DistanceMeters": "distance_m",
    "MaximumSpeed": "max_speed_mps",
    "Calories": "calories_kcal",
    "AverageHeartRateBpm/Value": "avg_heart_rate_bpm",
    "MaximumHeartRateBpm/Value": "max_heart_rate_bpm",
}
_LX_FIELDS = {"AvgSpeed": ("avg_speed_mps", 1.0), "AvgRunCadence": ("avg_cadence_spm", 2.0),
              "MaxRunCadence": ("max_cadence_spm", 2.0), "AvgWatts": ("avg_power_w", 1.0),
              "MaxWatts": ("max_power_w", 1.0), "Steps": ("steps", 1.0)}


def _laps(laps: list[ET.Element], ns: str, path: str) -> pl.DataFrame:
    """One row per lap, canonical units; LX extension averages where present."""
    rows = []
    for lap in laps:
        row: dict[str, object] = {"start_time": lap.get("StartTime")}
        for sub, col in _LAP_FIELDS.items():
            row[col] = _number(lap.findtext("/".join(f"{ns}{p}" for p in sub.split("/"))))
        row["intensity"] = lap.findtext(f"{ns}Intensity")
        row["trigger_method"] = lap.findtext(f"{ns}TriggerMethod")
        ext = lap.find(f"{ns}Extensions")
        lx = {} if ext is None else {_xml_safe.local(e.tag): e.text for e in ext.iter()}
        for name, (col, factor) in _LX_FIELDS.items():
            v = _number(lx.get(name))
            row[col] = None if v is None else v * factor
        rows.append(row)
    starts, _ = _times.parse_times([r.pop("start_time") for r in rows], path)
    frame = pl.DataFrame(rows, schema={**{c: pl.Float64 for c in _LAP_FIELDS.values()},
                                       "intensity": pl.String, "trigger_method": pl.String,
                                       **{c: pl.Float64 for c, _ in _LX_FIELDS.values()}})
    return frame.insert_column(0, starts.alias("start_time"))


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


# --------------------------------------------------------------------------- writing

def write_tcx(records: pl.DataFrame, path: str | os.PathLike, *,
              sport: str = "Running") -> Path:
    """Write canonical records as a TCX v2 activity (one lap, one track).

    Parameters
    ----------
    records
        Frame with canonical columns (:data:`runlab.schema.RECORDS`); ``timestamp`` must be
        set. Missing or null columns are left out of the file.
    path
        Output file.
    sport
        TCX ``Sport``: ``"Running"``, ``"Biking"`` or ``"Other"``.

    Returns
    -------
    pathlib.Path
        ``path``. Cadence is written as ``RunCadence`` = steps/min ÷ 2 rounded (the schema's
        integer per-leg unit), heart rate and power rounded to integers; times to the
        millisecond (microseconds when any sample has them); floats in shortest exact form.
    """
    if sport not in ("Running", "Biking", "Other"):
        raise ValueError(f"sport must be 'Running', 'Biking' or 'Other', not {sport!r}")
    rec = _xml_write.prepare_records(records)
    if rec.height == 0:
        raise ValueError("records are empty: nothing to write")
    time = _xml_write.time_strings(rec["timestamp"])
    c = pl.col
    ext = pl.concat_str([
        _xml_write.elem("ns3:Speed", c("speed_mps")),
        _xml_write.elem("ns3:RunCadence", (c("cadence_spm") / 2).round(0).cast(pl.Int64)),
        _xml_write.elem("ns3:Watts", c("power_w").round(0).cast(pl.Int64)),
    ])
    point = pl.concat_str([
        pl.lit("<Trackpoint><Time>"), time, pl.lit("</Time>"),
        pl.when(c("lat_deg").is_not_null() & c("lon_deg").is_not_null()).then(pl.concat_str([
            pl.lit("<Position><LatitudeDegrees>"), c("lat_deg").cast(pl.String),
            pl.lit("</LatitudeDegrees><LongitudeDegrees>"), c("lon_deg").cast(pl.String),
            pl.lit("</LongitudeDegrees></Position>")])).otherwise(pl.lit("")),
        _xml_write.elem("AltitudeMeters", c("altitude_m")),
        _xml_write.elem("DistanceMeters", c("distance_m")),
        pl.when(c("heart_rate_bpm").is_not_null()).then(pl.concat_str([
            pl.lit("<HeartRateBpm><Value>"),
            c("heart_rate_bpm").round(0).cast(pl.Int64).cast(pl.String),
            pl.lit("</Value></HeartRateBpm>")])).otherwise(pl.lit("")),
        pl.when(ext != "").then(pl.concat_str([
            pl.lit("<Extensions><ns3:TPX>"), ext, pl.lit("</ns3:TPX></Extensions>")]))
        .otherwise(pl.lit("")),
        pl.lit("</Trackpoint>"),
    ])
    body = "\n".join(rec.select(point).to_series().to_list())
    start = time_first = rec.select(time).item(0, 0)
    elapsed = (rec["timestamp"][-1] - rec["timestamp"][0]).total_seconds()
    dist = rec["distance_m"].drop_nulls()
    lap_dist = float(dist[-1] - dist[0]) if dist.len() else 0.0
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<TrainingCenterDatabase xmlns="{NS}" xmlns:ns3="{NS_TPX}">\n'
        f'<Activities>\n<Activity Sport="{sport}">\n<Id>{start}</Id>\n'
        f'<Lap StartTime="{time_first}">\n<TotalTimeSeconds>{elapsed!r}</TotalTimeSeconds>\n'
        f"<DistanceMeters>{lap_dist!r}</DistanceMeters>\n<Calories>0</Calories>\n"
        "<Intensity>Active</Intensity>\n<TriggerMethod>Manual</TriggerMethod>\n<Track>\n"
    )
    tail = ("\n</Track>\n</Lap>\n</Activity>\n</Activities>\n</TrainingCenterDatabase>\n")
    out = Path(path)
    out.write_bytes((head + body + tail).encode("utf-8"))
    return out
