"""Text cells made safe for spreadsheets (CSV formula injection, OWASP's rule).

A spreadsheet opening a CSV runs a cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return as a formula (``=HYPERLINK(...)`` leaks data, ``=cmd|' /C calc'!A0`` runs a
program). Such text cells get a leading ``'`` so they show as text; number columns, and text
cells that are plain numbers (``-3.5``), are left alone.
"""

from __future__ import annotations

import polars as pl

__all__ = ["formula_safe", "formula_safe_text", "FORMULA_STARTS"]

#: First characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


def formula_safe_text(value: str | None) -> str | None:
    """One text cell made safe (see the module docstring)."""
    import re

    if value and value.startswith(FORMULA_STARTS) and not re.match(_NUMBER, value):
        return "'" + value
    return value


def formula_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text column of ``frame`` made safe for spreadsheets; other columns unchanged."""
    starts = "^[" + "".join("\\" + c if c in "-+" else c for c in FORMULA_STARTS) + "]"
    return frame.with_columns(
        pl.when(pl.col(c).str.contains(starts) & ~pl.col(c).str.contains(_NUMBER))
        .then(pl.lit("'") + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c, t in frame.schema.items() if t == pl.String)
