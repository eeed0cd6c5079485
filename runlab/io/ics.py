"""iCalendar (RFC 5545) export of a plan: one VEVENT per session.

Written by hand because the rules are few and exact: CRLF line ends (§3.1), lines folded
at 75 octets with a leading space on continuation lines, never inside a UTF-8 character
(§3.1), TEXT values escaped (``\\``, ``;``, ``,`` and newlines, §3.3.11), a UID and a
DTSTAMP in every VEVENT (§3.6.1). Session times are floating local times (§3.3.5), so a
runner's calendar shows them at ``start_time`` wherever they are.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import polars as pl

__all__ = ["to_ics", "write_ics", "escape_text", "fold_line"]

PRODID = "-//runlab//runlab plan//EN"


def escape_text(value: str) -> str:
    """Escape a TEXT property value (RFC 5545 §3.3.11)."""
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold_line(line: str, limit: int = 75) -> str:
    """Fold one content line into CRLF-joined pieces of at most ``limit`` octets.

    Continuation lines start with one space, which counts toward their octets; a UTF-8
    character is never split.
    """
    out, current, size = [], [], 0
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            out.append("".join(current))
            current, size = [" "], 1
        current.append(ch)
        size += n
    out.append("".join(current))
    return "\r\n".join(out)


def _uid(row: dict) -> str:
    key = f"{row.get('runner_id')}|{row['date']}|{row.get('session')}|{row.get('program')}"
    return f"{hashlib.sha256(key.encode()).hexdigest()[:24]}@runlab"


def _summary(row: dict) -> str:
    kind = (row.get("session_type") or "session").replace("_", " ")
    target = row.get("cadence_target_spm")
    pattern = row.get("run_walk_pattern")
    parts = [f"runlab: {kind}"]
    if pattern in {"1:1", "2:1", "3:1"}:
        parts.append(f"run:walk {pattern}")
    if target is not None:
        parts.append(f"{target:.0f} spm")
    return ", ".join(parts)


def _description(row: dict) -> str:
    lines = [row.get("description") or ""]
    for label, key in (("Drills", "drills"), ("Mobility", "mobility"), ("Cues", "cues"),
                       ("Adapted", "reason")):
        if row.get(key):
            lines.append(f"{label}: {row[key]}")
    return "\n".join(lines)


def to_ics(plan: pl.DataFrame, *, start_time: dt.time = dt.time(7, 0),
           dtstamp: dt.datetime | None = None, calendar_name: str = "runlab plan") -> str:
    """The plan as an iCalendar document (RFC 5545 text with CRLF line ends).

    Parameters
    ----------
    plan : polars.DataFrame
        A plan frame (:data:`runlab.plan.PLAN`): ``date``, ``duration_s``,
        ``session_type``, ``description`` ... one VEVENT per row.
    start_time : datetime.time
        Local (floating) start time of every session.
    dtstamp : datetime.datetime, optional
        Creation time written as DTSTAMP [UTC]; now by default.
    calendar_name : str
        ``X-WR-CALNAME`` shown by calendar apps.
    """
    for name in ("date", "duration_s", "session_type", "description"):
        if name not in plan.columns:
            raise ValueError(f"plan frame lacks column {name!r} needed for ICS; "
                             f"has {plan.columns}")
    stamp = (dtstamp or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{escape_text(calendar_name)}"]
    for row in plan.iter_rows(named=True):
        start = dt.datetime.combine(row["date"], start_time)
        minutes = max(1, round((row["duration_s"] or 0) / 60))
        lines += [
            "BEGIN:VEVENT",
            f"UID:{_uid(row)}",
            f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}",
            f"DTSTART:{start:%Y%m%dT%H%M%S}",
            f"DURATION:PT{minutes}M",
            f"SUMMARY:{escape_text(_summary(row))}",
            f"DESCRIPTION:{escape_text(_description(row))}",
            f"CATEGORIES:{escape_text(row['session_type'] or 'session')},RUNLAB",
            "TRANSP:OPAQUE",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold_line(line) + "\r\n" for line in lines)


def write_ics(plan: pl.DataFrame, path: str | Path, **kw) -> Path:
    """Write :func:`to_ics` to ``path`` (bytes, so the CRLFs stay) and return the path."""
    path = Path(path)
    path.write_bytes(to_ics(plan, **kw).encode("utf-8"))
    return path
