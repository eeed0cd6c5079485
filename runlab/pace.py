"""Pace and duration as people read and type them; frames stay SI (m/s, s).

``"5:30"`` / ``"5:30/km"`` / ``"8:50/mi"`` ↔ speed [m/s], and seconds ↔ ``"1:17:46"``.
A bare pace is per kilometre, whatever the locale; the display unit (``"km"`` or ``"mi"``)
is a setting: ``RUNLAB_UNITS``, else the locale (miles in the US, UK, Liberia and
Myanmar), else kilometres.
"""

from __future__ import annotations

import math
import os
import re
from typing import TYPE_CHECKING

from runlab.sessions import MILE_M

if TYPE_CHECKING:
    import polars as pl

__all__ = ["UNITS", "parse_pace", "format_pace", "pace_s", "format_duration", "default_units",
           "check_units", "pace_label_expr", "readable"]

#: metres per pace unit
UNITS = {"km": 1000.0, "mi": MILE_M}

_PACE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*(?:(?:min)?\s*/\s*(km|mi))?\s*$", re.IGNORECASE)
_MILE_TERRITORIES = ("US", "GB", "LR", "MM")


def check_units(units: str) -> str:
    """``units`` if it is ``"km"`` or ``"mi"``; else a ValueError naming the allowed ones."""
    if units not in UNITS:
        raise ValueError(f"invalid units {units!r}; allowed: km, mi")
    return units


def parse_pace(text: str) -> float:
    """``"M:SS[/km|/mi]"`` → speed [m/s]; a bare value is per km.

    >>> round(parse_pace("5:30"), 3), round(parse_pace("8:50/mi"), 3)
    (3.03, 3.036)

    Raises ValueError for anything else (``"6:75"``, ``"abc"``, ``"0:00"``).
    """
    m = _PACE.match(str(text))
    if not m or int(m.group(2)) > 59 or int(m.group(1)) * 60 + int(m.group(2)) == 0:
        raise ValueError(f"invalid pace {text!r}; allowed: M:SS with seconds 00-59, "
                         "optionally /km or /mi (e.g. 5:30, 5:30/km, 8:50/mi)")
    seconds = int(m.group(1)) * 60 + int(m.group(2))
    return UNITS[(m.group(3) or "km").lower()] / seconds


def pace_s(speed_mps: float, units: str = "km") -> float:
    """Seconds per ``units`` at ``speed_mps`` [m/s]."""
    return UNITS[check_units(units)] / speed_mps


def format_pace(speed_mps: float | None, units: str = "km", *, suffix: bool = True) -> str:
    """Speed [m/s] → ``"5:33 /km"`` (``"-"`` for missing, zero or negative speed)."""
    if speed_mps is None or not math.isfinite(speed_mps) or speed_mps <= 0:
        return "-"
    seconds = round(pace_s(speed_mps, units))
    text = f"{seconds // 60}:{seconds % 60:02d}"
    return f"{text} /{units}" if suffix else text


def format_duration(seconds: float | None) -> str:
    """Seconds → ``"h:mm:ss"`` (``"m:ss"`` under an hour; ``"-"`` when missing)."""
    if seconds is None or not math.isfinite(seconds):
        return "-"
    total = round(seconds)
    sign, total = ("-" if total < 0 else ""), abs(total)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{sign}{h}:{m:02d}:{s:02d}" if h else f"{sign}{m}:{s:02d}"


def default_units(environ: dict | None = None) -> str:
    """``RUNLAB_UNITS`` if set, else miles for a US/UK/LR/MM locale, else kilometres."""
    env = os.environ if environ is None else environ
    if env.get("RUNLAB_UNITS"):
        return check_units(env["RUNLAB_UNITS"].strip().lower())
    for name in ("LC_ALL", "LC_MEASUREMENT", "LANG"):
        if value := env.get(name):
            territory = value.split(".")[0].split("_")[-1].upper()
            return "mi" if territory in _MILE_TERRITORIES else "km"
    return "km"


def pace_label_expr(units: str = "km") -> str:
    """A Vega expression that labels a speed axis [m/s] with pace ``M:SS`` per ``units``
    (the data stay in m/s; only the tick labels change)."""
    metres = UNITS[check_units(units)]
    sec = f"round({metres} / datum.value)"
    return (f"datum.value > 0 ? floor({sec} / 60) + ':' + "
            f"(({sec} % 60) < 10 ? '0' : '') + ({sec} % 60) : ''")


def readable(frame: pl.DataFrame, units: str | None = None) -> pl.DataFrame:
    """A frame for reading (frame in, frame out; the data stay SI elsewhere): distances
    ``*distance_m`` in km or mi, durations ``*_s`` as h:mm:ss, speeds ``*speed_mps`` as
    pace M:SS per km or mi (``units``: default :func:`runlab.pace.default_units`)."""
    import polars as pl

    units = units or default_units()
    out = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if not dtype.is_numeric():
            out.append(col)
        elif name.endswith("distance_m"):
            out.append((col / UNITS[units]).round(2).alias(
                f"{name[:-len('_m')]} [{units}]"))
        elif name.endswith("_s") and not name.endswith("_per_s"):
            out.append(col.map_elements(format_duration, return_dtype=pl.String)
                       .alias(f"{name[:-len('_s')]} [h:mm:ss]"))
        elif name.endswith("speed_mps"):
            out.append(col.map_elements(lambda v: format_pace(v, units, suffix=False),
                                        return_dtype=pl.String)
                       .alias(f"{name[:-len('speed_mps')]}pace [min/{units}]"))
        else:
            out.append(col)
    return frame.select(out)
