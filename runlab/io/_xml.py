"""Shared, safe and fast helpers of the XML readers (TCX, GPX).

Safety
------
A document with a document type declaration (``<!DOCTYPE``) is refused before it is parsed:
without a DTD there can be no entity declarations, so no entity expansion ("billion laughs"),
no external entities and no DTD fetched from the network. What remains — the five predefined
entities and character references — is parsed by the C expat parser of the standard library
(``xml.etree.ElementTree.XMLParser``, which never resolves anything over a network). A DTD
may only appear in the prolog, so the check is exact (a ``<!DOCTYPE`` inside a comment is
refused too, harmlessly). UTF-16 documents are transcoded to UTF-8 before the check.

Speed
-----
Points (TCX ``Trackpoint``, GPX ``trkpt``) are flattened with one comprehension over C
iterators into (point index, local tag, text) triples; values are then converted column by
column with polars/numpy, never per element in Python.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from runlab import schema
from runlab.errors import CorruptFileError, FileTooLargeError, NotAnActivityError, ReadError
from runlab.geo import step_distances_m

__all__ = ["MAX_XML_BYTES", "parse", "local", "namespace", "point_columns", "parse_times",
           "utc_offset_s", "finish_records", "derive_speed_mps", "cadence_to_spm",
           "SPEED_HALF_WINDOW", "PER_LEG_MEDIAN_MAX", "lower_sport", "check_root",
           "prepare_records", "time_strings", "elem"]

#: Largest XML document parsed [bytes]: a 24-hour 1 Hz TCX with every sensor is ~40 MiB.
MAX_XML_BYTES = 256 * 2**20

_BOM8 = b"\xef\xbb\xbf"
_DECL = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"'][^\"']*[\"']")


def parse(data: bytes, path: str, *, max_bytes: int = MAX_XML_BYTES) -> ET.Element:
    """Root element of an XML document, refusing DTDs, huge input and malformed bytes.

    Leading BOMs and whitespace (Strava writes both) are skipped; UTF-16 is transcoded.

    Raises
    ------
    FileTooLargeError
        More than ``max_bytes`` [bytes].
    UnsupportedFormatError
        The document has a DTD (entities could expand or point outside the file).
    CorruptFileError
        Not well-formed XML or not valid in its encoding; the message gives line and column.
    """
    from runlab.errors import UnsupportedFormatError

    if len(data) > max_bytes:
        raise FileTooLargeError(path, f"{len(data)} bytes of XML is over the {max_bytes} limit")
    utf16 = _utf16(data[:4])
    if utf16:
        try:
            text = data.decode(utf16)
        except UnicodeDecodeError as exc:
            raise CorruptFileError(path, f"invalid UTF-16 at byte {exc.start}") from exc
        data = _DECL.sub(b'<?xml version="1.0" encoding="UTF-8"', text.encode("utf-8"))
    if data.startswith(_BOM8):
        data = data[3:]
    data = data.lstrip()
    if b"<!DOCTYPE" in data:
        raise UnsupportedFormatError(
            path, "XML with a document type declaration (<!DOCTYPE>) is refused: its entities "
                  "could expand without bound or load external files")
    parser = ET.XMLParser()
    try:
        parser.feed(data)
        return parser.close()
    except ET.ParseError as exc:
        line, col = exc.position
        reason = str(exc).split(":")[0]
        if "invalid token" in reason and not _decodes(data):
            reason = "invalid UTF-8 (or undeclared encoding)"
        raise CorruptFileError(path, f"malformed XML at line {line}, column {col}: "
                                     f"{reason}") from exc


def _utf16(head: bytes) -> str | None:
    """The UTF-16 codec of a document, from its BOM or its first ``<`` (None if not UTF-16)."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "utf-16"
    if head[:2] == b"<\x00" or head[1:2] == b"<" and head[:1] == b"\x00":
        return "utf-16-le" if head[:1] == b"<" else "utf-16-be"
    return None


def _decodes(data: bytes) -> bool:
    m = re.match(rb"<\?xml[^>]*encoding\s*=\s*[\"']([^\"']+)", data)
    try:
        data.decode(m.group(1).decode("ascii") if m else "utf-8")
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def namespace(tag: str) -> str:
    """``"{ns}name"`` → ``"{ns}"`` (``""`` without a namespace)."""
    return tag[: tag.index("}") + 1] if tag.startswith("{") else ""


def local(tag: str) -> str:
    """``"{ns}name"`` → ``"name"``."""
    return tag.rsplit("}", 1)[-1]


def point_columns(points: Sequence[ET.Element], names: dict[str, str]) -> dict[str, np.ndarray]:
    """Numeric columns of ``points`` from their descendants' text, by local tag name.

    Parameters
    ----------
    points
        The point elements, one output row each.
    names
        Tag → output column, by full ``"{ns}name"`` (checked first) or by local name. The
        first numeric text of a tag within a point wins; text that is not a number (or blank)
        is missing.

    Returns
    -------
    dict
        Column → float64 array of ``len(points)`` (NaN where a point lacks the tag); only
        columns present in at least one point.
    """
    triples = [(i, e.tag, e.text) for i, p in enumerate(points) for e in p.iter()]
    if not triples:
        return {}
    idx, tags, texts = zip(*triples, strict=True)
    tag_col = {t: names.get(t, names.get(local(t))) for t in set(tags)}
    frame = pl.DataFrame({"i": np.fromiter(idx, np.int64, len(idx)),
                          "col": [tag_col[t] for t in tags], "text": list(texts)},
                         schema={"i": pl.Int64, "col": pl.String, "text": pl.String})
    frame = (frame.filter(pl.col("col").is_not_null())
             .with_columns(pl.col("text").str.strip_chars().cast(pl.Float64, strict=False))
             .drop_nulls("text")
             .unique(["i", "col"], keep="first", maintain_order=True))
    out: dict[str, np.ndarray] = {}
    for (col,), part in frame.group_by("col", maintain_order=True):
        arr = np.full(len(points), np.nan)
        arr[part["i"].to_numpy()] = part["text"].to_numpy()
        out[col] = arr
    return out


_OFFSET = r"[+-]\d\d:?\d\d$"


def parse_times(texts: Iterable[str | None], path: str) -> tuple[pl.Series, list[str]]:
    """ISO-8601 times (``Z``, ``±hh:mm`` or no offset; up to 9 fractional digits) → UTC µs.

    Returns the series and warnings (times without an offset are taken as UTC, as the
    GPX and TCX schemas intend). A time that is present but unreadable raises a
    :class:`~runlab.errors.CorruptFileError` naming it.
    """
    orig = pl.Series("t", list(texts), dtype=pl.String).str.strip_chars()
    s = orig.str.replace(r"(?i)z$", "+00:00")
    has_offset = s.str.contains(_OFFSET)
    warnings = []
    naive = (~has_offset & s.is_not_null()).sum()
    if naive:
        warnings.append(f"{naive} times have no UTC offset; taken as UTC")
        s = pl.select(pl.when(has_offset).then(s).otherwise(s + "+00:00")).to_series()
    # %.f takes 1-9 fractional digits; %z takes "+hh:mm" and "+hhmm"
    out = s.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%z", time_unit="us", time_zone="UTC",
                            strict=False)
    bad = out.is_null() & s.is_not_null()
    if bad.any():
        raise CorruptFileError(path, f"unreadable time {orig.filter(bad)[0]!r}")
    unknown = (out >= _UNKNOWN_TIME) & (out < _UNKNOWN_TIME + timedelta(seconds=1))
    if unknown.any():
        warnings.append(f"{int(unknown.sum())} times are 1901-12-13T20:45:52 (a 32-bit time_t "
                        "of -2**31, GPSBabel's 'no time'); taken as missing")
        out = pl.select(pl.when(unknown).then(None).otherwise(out)).to_series()
    return out.alias("timestamp"), warnings


#: -2**31 s from the Unix epoch: what a signed 32-bit ``time_t`` "unknown" prints as.
_UNKNOWN_TIME = datetime(1901, 12, 13, 20, 45, 52, tzinfo=UTC)


def utc_offset_s(text: str | None) -> int | None:
    """Offset east of UTC of one ISO time string [s]; None without an explicit offset."""
    m = re.search(_OFFSET, (text or "").strip())
    if not m:
        return None
    off = m.group(0).replace(":", "")
    sign = -1 if off[0] == "-" else 1
    return sign * (int(off[1:3]) * 3600 + int(off[3:5]) * 60)


#: Half-width of the centred window of :func:`derive_speed_mps` [samples].
SPEED_HALF_WINDOW = 2


def derive_speed_mps(distance_m: np.ndarray, elapsed_s: np.ndarray,
                     half_window: int = SPEED_HALF_WINDOW) -> np.ndarray:
    """Speed from cumulative distance and time, smoothed over a centred window [m/s].

    ``speed[i] = (d[i+k] - d[i-k]) / (t[i+k] - t[i-k])`` with ``k = half_window`` (the
    window shrinks at the ends): a central difference over 2k+1 samples, which at 1 Hz
    averages out the 2–5 m jitter of consumer GPS fixes without lagging the pace. Samples
    whose window has no time span or a missing value get NaN.
    """
    n = len(distance_m)
    if n < 2:
        return np.full(n, np.nan)
    i = np.arange(n)
    lo, hi = np.clip(i - half_window, 0, n - 1), np.clip(i + half_window, 0, n - 1)
    dt = elapsed_s[hi] - elapsed_s[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        speed = (distance_m[hi] - distance_m[lo]) / dt
    speed[~(dt > 0)] = np.nan
    return speed


#: A median raw cadence below this is per leg [1/min]: per-leg running cadence is 75–100 and
#: walking 50–65, while steps/min of both feet are ≥ 100 for walking and ≥ 140 for running.
PER_LEG_MEDIAN_MAX = 100.0


def cadence_to_spm(raw: np.ndarray, *, per_leg: bool | None) -> tuple[np.ndarray, str]:
    """Cadence in steps/min (both feet) from a format's raw cadence values.

    ``per_leg=True`` doubles (TCX ``RunCadence``, Garmin-style GPX ``cad``), ``False`` keeps,
    ``None`` decides from the data: a median of positive values below 100 is per leg
    (nobody steps under 100/min while moving on foot; per-leg running cadence is 75–100),
    otherwise the values are already steps/min. Returns the converted values and the unit
    that was assumed (``"per_leg"`` or ``"steps"``).
    """
    if per_leg is None:
        positive = raw[np.isfinite(raw) & (raw > 0)]
        per_leg = positive.size == 0 or float(np.median(positive)) < PER_LEG_MEDIAN_MAX
    return (raw * 2.0, "per_leg") if per_leg else (raw.astype(np.float64), "steps")


def finish_records(cols: dict[str, np.ndarray], times: pl.Series, path: str,
                   warnings: list[str]) -> pl.DataFrame:
    """Canonical records from parsed point columns and their times.

    Sorts by time (stable), merges points that share a timestamp (first non-missing value
    of each column wins; TCX writers repeat the lap-boundary point), adds ``elapsed_s``,
    derives ``distance_m`` from positions (haversine, :mod:`runlab.geo`) and ``speed_mps``
    from distance (:func:`derive_speed_mps`) when the file has none, and conforms to
    :data:`runlab.schema.RECORDS`. When no point has a time, all are kept in file order with
    null timestamps; when only some have one, those without are left out (with a warning).
    """
    frame = pl.DataFrame({"timestamp": times, **{k: pl.Series(k, v).fill_nan(None)
                                                 for k, v in cols.items()}})
    if frame.height == 0:
        raise NotAnActivityError(path, "no track points")
    has_time = frame["timestamp"].is_not_null()
    if not has_time.any():
        warnings.append("no point has a time; records keep file order with null timestamps")
    elif has_time.all():
        frame = _sorted(frame, warnings)
    else:
        warnings.append(f"{int((~has_time).sum())} points without a time are left out "
                        "(records are ordered by time)")
        frame = frame.filter(has_time)
        frame = _sorted(frame, warnings)
    t = frame["timestamp"]
    elapsed = ((t - t.drop_nulls().min()).dt.total_microseconds() / 1e6
               if has_time.any() else pl.Series([None] * frame.height, dtype=pl.Float64))
    frame = frame.with_columns(elapsed.alias("elapsed_s"))
    frame = _derive_motion(frame, warnings)
    return schema.conform(frame, "records")


def _sorted(frame: pl.DataFrame, warnings: list[str]) -> pl.DataFrame:
    if not frame["timestamp"].is_sorted():
        warnings.append("points were not in time order; sorted")
        frame = frame.sort("timestamp", maintain_order=True)
    return _merge_repeats(frame, warnings)


def _merge_repeats(frame: pl.DataFrame, warnings: list[str]) -> pl.DataFrame:
    """Merge a point into the one before when it has the same time and no conflicting value.

    TCX writers repeat the last point of a lap as the first of the next; such a pair (equal
    or complementary values) becomes one record. Points sharing a time but disagreeing are
    all kept, with a warning.
    """
    same = (frame["timestamp"] == frame["timestamp"].shift(1)).fill_null(False)
    if not same.any():
        return frame
    values = [c for c in frame.columns if c != "timestamp"]
    conflict = pl.any_horizontal([
        pl.col(c).is_not_null() & pl.col(c).shift(1).is_not_null()
        & (pl.col(c) != pl.col(c).shift(1)) for c in values] or [pl.lit(False)])
    merge = frame.select((pl.lit(same) & ~conflict.fill_null(False)).alias("m")).to_series()
    nxt = merge.shift(-1, fill_value=False)
    frame = frame.with_columns(
        pl.when(pl.lit(nxt) & pl.col(c).is_null()).then(pl.col(c).shift(-1))
        .otherwise(pl.col(c)).alias(c) for c in values).filter(~merge)
    if merge.sum():
        warnings.append(f"{int(merge.sum())} points repeat the previous point's time and "
                        "values; merged")
    if (same & ~merge).any():
        warnings.append(f"{int((same & ~merge).sum())} points share a time with a different "
                        "point; kept")
    return frame


def _derive_motion(frame: pl.DataFrame, warnings: list[str]) -> pl.DataFrame:
    has = {c for c in frame.columns if frame[c].null_count() < frame.height}
    if "distance_m" not in has and {"lat_deg", "lon_deg"} <= has:
        dist = _bridge_gaps(frame["lat_deg"].to_numpy(), frame["lon_deg"].to_numpy())
        frame = frame.with_columns(pl.Series("distance_m", dist).fill_nan(None))
        warnings.append("distance_m derived from positions (haversine)")
        has.add("distance_m")
    if "speed_mps" not in has and "distance_m" in has and frame["elapsed_s"].null_count() == 0:
        dist = frame["distance_m"].to_numpy().astype(np.float64)
        speed = derive_speed_mps(dist, frame["elapsed_s"].to_numpy())
        frame = frame.with_columns(pl.Series("speed_mps", speed).fill_nan(None))
        warnings.append(f"speed_mps derived from distance (central difference over "
                        f"{2 * SPEED_HALF_WINDOW + 1} samples)")
    return frame


def _bridge_gaps(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Cumulative distance; a run of points without a fix is bridged from the last fix."""
    ok = np.isfinite(lat) & np.isfinite(lon)
    if not ok.any():
        return np.full(lat.size, np.nan)
    fixed = np.flatnonzero(ok)
    hop = np.zeros(fixed.size)
    hop[1:] = step_distances_m(lat[fixed], lon[fixed])[1:]
    cum_at_fix = np.cumsum(hop)
    # every point carries the distance of the last fix at or before it; NaN before the first
    last_fix = np.maximum.accumulate(np.where(ok, np.arange(lat.size), -1))
    out = np.where(last_fix >= 0, cum_at_fix[np.searchsorted(fixed, np.maximum(last_fix, 0))],
                   np.nan)
    return out


def lower_sport(value: str | None, table: dict[str, str]) -> str | None:
    """A sport label → runlab's lower-case FIT-style name (None if not known)."""
    if value is None:
        return None
    key = value.strip().lower()
    return table.get(key, key.replace(" ", "_") or None)


def check_root(root: ET.Element, names: Iterable[str], path: str, what: str) -> None:
    """Raise a :class:`ReadError` unless the root element's local name is one of ``names``."""
    if local(root.tag) not in set(names):
        raise ReadError(path, f"not a {what} document (root element <{local(root.tag)}>)")


# --------------------------------------------------------------------------- writing

def prepare_records(records: pl.DataFrame) -> pl.DataFrame:
    """Canonical columns, NaN → null, rows without a timestamp refused, sorted by time."""
    if "timestamp" not in records.columns:
        raise ValueError("records lack the 'timestamp' column")
    rec = schema.conform(records, "records").select(list(schema.RECORDS))
    if rec["timestamp"].null_count():
        raise ValueError(f"{rec['timestamp'].null_count()} records have no timestamp")
    floats = [c for c, t in schema.RECORDS.items() if t == pl.Float64]
    return rec.with_columns(pl.col(floats).fill_nan(None)).sort("timestamp", maintain_order=True)


def time_strings(ts: pl.Series) -> pl.Expr:
    """ISO-8601 UTC times: milliseconds, or microseconds when any sample needs them."""
    sub_ms = (ts.dt.microsecond() % 1000 != 0).any()
    return pl.col("timestamp").dt.strftime("%Y-%m-%dT%H:%M:%S%.6fZ" if sub_ms
                                           else "%Y-%m-%dT%H:%M:%S%.3fZ")


def elem(tag: str, value: pl.Expr) -> pl.Expr:
    """``<tag>value</tag>`` where the value is present, else an empty string."""
    return pl.when(value.is_not_null()).then(
        pl.concat_str([pl.lit(f"<{tag}>"), value.cast(pl.String), pl.lit(f"</{tag}>")])
    ).otherwise(pl.lit(""))
