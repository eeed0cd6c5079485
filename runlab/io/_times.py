"""Times of the text formats: ISO-8601 strings → UTC µs, device times parsed with numpy."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pyarrow as pa

from runlab import schema
from runlab.errors import CorruptFileError

__all__ = ["parse_times", "utc_offset_s", "first_text", "device_times", "zulu_rows",
           "offset_times"]

_OFFSET = r"[+-]\d\d:?\d\d$"


def parse_times(texts: Iterable[str | None] | pl.Series, path: str) -> tuple[pl.Series, list[str]]:
    """ISO-8601 times (``Z``, ``±hh:mm`` or no offset; up to 9 fractional digits) → UTC µs.

    Returns the series and warnings (times without an offset are taken as UTC, as the
    GPX and TCX schemas intend). A time that is present but unreadable raises a
    :class:`~runlab.errors.CorruptFileError` naming it.
    """
    # device files: "...Z" with or without fractional seconds, parsed in one pass
    if isinstance(texts, pl.Series):
        orig, micros = texts, _zulu_micros(texts)
    else:  # a few strings (lap times): no frame unless the general parser needs one
        texts = list(texts)
        orig, micros = None, _zulu_strings(texts)
    parsed = device_times(micros)
    if parsed is not None:
        return parsed, []
    if orig is None:
        orig = pl.Series("t", texts, dtype=pl.String)
    warnings = []
    if micros is not None:
        out = pl.Series("timestamp", micros).cast(schema.TIMESTAMP)
    else:
        out = orig.str.to_datetime("%Y-%m-%dT%H:%M:%S%.fZ", time_unit="us", time_zone="UTC",
                                   strict=False)
    if out.null_count() != orig.null_count():
        orig = orig.str.strip_chars()
        s = orig.str.replace(r"(?i)z$", "+00:00")
        has_offset = s.str.contains(_OFFSET)
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
    first = out.min()
    if first is not None and first < _UNKNOWN_TIME + timedelta(seconds=1):
        unknown = (out >= _UNKNOWN_TIME) & (out < _UNKNOWN_TIME + timedelta(seconds=1))
        if unknown.any():
            warnings.append(f"{int(unknown.sum())} times are 1901-12-13T20:45:52 (a 32-bit "
                            "time_t of -2**31, GPSBabel's 'no time'); taken as missing")
            out = pl.select(pl.when(unknown).then(None).otherwise(out)).to_series()
    return out.alias("timestamp"), warnings


#: Byte layout of "YYYY-MM-DDTHH:MM:SS[.fff[fff]]Z": separator positions and their bytes.
_ZULU_SEPS = {4: 45, 7: 45, 10: 84, 13: 58, 16: 58, 19: 46}
_ZULU_FIELDS = ((0, 4), (5, 7), (8, 10), (11, 13), (14, 16), (17, 19))
_DAYS_BEFORE_MONTH = np.array([0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334])
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


@functools.lru_cache(maxsize=4)
def _zulu_layout(width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Separator columns, their bytes, digit columns and digit weights of a time layout:
    ``digits @ weights`` gives year, month, day, hour, minute, second and µs."""
    seps = {**_ZULU_SEPS, width - 1: 90} if width > 20 else {**_ZULU_SEPS, 19: 90}
    digit = np.ones(width, dtype=bool)
    digit[list(seps)] = False
    weights = np.zeros((width, 7))
    frac = (20, width - 1) if width > 20 else (20, 20)
    for k, (a, b) in enumerate((*_ZULU_FIELDS, frac)):
        weights[a:b, k] = 10.0 ** np.arange(b - a - 1, -1, -1)
    weights[20: width - 1, 6] *= 10.0 ** (27 - width)  # 3 digits are ms, 6 are µs
    # float32 is exact here: every field and every partial sum stays below 2**24
    return (np.array(list(seps)), np.array(list(seps.values()), np.uint8), digit,
            weights.astype(np.float32))


def _zulu_micros(texts: pl.Series) -> np.ndarray | None:
    """UTC µs since 1970 of device times of one fixed layout, ``YYYY-MM-DDTHH:MM:SSZ`` with
    0, 3 or 6 fractional digits, parsed with numpy; None (the general parser decides) when
    any text is missing, of another length or layout, or not a valid calendar time."""
    n = len(texts)
    if n == 0 or texts.null_count():
        return None
    arrow = texts.to_arrow()
    if arrow.type not in (pa.string(), pa.large_string()):
        arrow = arrow.cast(pa.large_string())
    offsets = np.frombuffer(arrow.buffers()[1], np.int32 if arrow.type == pa.string()
                            else np.int64)[arrow.offset: arrow.offset + n + 1]
    width = int(offsets[1] - offsets[0])
    if width not in (20, 24, 27) or (np.diff(offsets) != width).any():
        return None
    return zulu_rows(np.frombuffer(arrow.buffers()[2], np.uint8)[offsets[0]: offsets[-1]]
                      .reshape(n, width))


def device_times(micros: np.ndarray | None) -> pl.Series | None:
    """Device times (µs) as timestamps; None without them or when one is the 1901 "no
    time", which :func:`parse_times`'s general path sets missing with a warning."""
    if micros is None or ((micros >= _UNKNOWN_US) & (micros < _UNKNOWN_US + 1_000_000)).any():
        return None
    return pl.Series("timestamp", micros).cast(schema.TIMESTAMP)


def _zulu_strings(texts: list[str | None]) -> np.ndarray | None:
    """:func:`_zulu_micros` of a list of strings."""
    if not texts or None in texts or len({len(t) for t in texts}) != 1:
        return None
    raw = "".join(texts).encode()
    if len(raw) != len(texts) * len(texts[0]) or len(texts[0]) not in (20, 24, 27):
        return None  # (not ASCII)
    return zulu_rows(np.frombuffer(raw, np.uint8).reshape(len(texts), -1))


def zulu_rows(raw: np.ndarray) -> np.ndarray | None:
    """:func:`_zulu_micros` of times given as the rows of a byte matrix."""
    sep_at, sep_byte, digit, weights = _zulu_layout(raw.shape[1])
    digits = raw - np.uint8(48)  # wraps below '0'
    if (raw[:, sep_at] != sep_byte).any() or (digits[:, digit] > 9).any():
        return None
    year, month, day, hour, minute, sec, micros = (digits @ weights).astype(np.int64).T
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    if ((year < 1) | (month < 1) | (month > 12) | (day < 1) | (hour > 23) | (minute > 59)
            | (sec > 59)).any() or (day > _MONTH_DAYS[month] + (leap & (month == 2))).any():
        return None
    y = year - 1  # days from 0001-01-01 (proleptic Gregorian) to 1970-01-01: 719162
    days = (y * 365 + y // 4 - y // 100 + y // 400 - 719162
            + _DAYS_BEFORE_MONTH[month] + (leap & (month > 2)) + day - 1)
    seconds = ((days * 24 + hour) * 60 + minute) * 60 + sec
    return seconds * 1_000_000 + micros


#: -2**31 s from the Unix epoch: what a signed 32-bit ``time_t`` "unknown" prints as.
_UNKNOWN_TIME = datetime(1901, 12, 13, 20, 45, 52, tzinfo=UTC)
_UNKNOWN_US = int(_UNKNOWN_TIME.timestamp()) * 1_000_000


def first_text(texts: pl.Series) -> str | None:
    """The first non-null string of ``texts`` (None if there is none)."""
    if texts.null_count() == 0:
        return texts[0] if len(texts) else None
    rest = texts.drop_nulls()
    return rest[0] if len(rest) else None


def utc_offset_s(text: str | None) -> int | None:
    """Offset east of UTC of one ISO time string [s]; None without an explicit offset."""
    m = re.search(_OFFSET, (text or "").strip())
    if not m:
        return None
    off = m.group(0).replace(":", "")
    sign = -1 if off[0] == "-" else 1
    return sign * (int(off[1:3]) * 3600 + int(off[3:5]) * 60)


def offset_times(start: datetime, elapsed_s: np.ndarray) -> pl.Series:
    """UTC times ``start + elapsed_s`` (µs; missing elapsed → null)."""
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    base = (start - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    micros = pl.Series(base + np.round(elapsed_s * 1e6)).cast(pl.Int64, strict=False)
    return micros.cast(pl.Datetime("us", "UTC")).alias("timestamp")
