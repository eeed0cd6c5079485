"""The journal as it may leave the clinic."""

from __future__ import annotations

import polars as pl

from runlab.journal.fields import FIELDS, PRIVATE, SCHEMA

__all__ = ["for_export"]

#: Columns a store adds to journal rows (kept: they key the rows to their file).
_STORE_KEYS = ("source_path", "file_sha256", "ingested_at")


def for_export(frame: pl.DataFrame, include_notes: bool = False,
               include_unknown: bool = False) -> pl.DataFrame:
    """The journal as it may leave the clinic: free-text ``notes`` and ``video`` file
    references are dropped unless ``include_notes=True``, and so are columns the journal
    schema does not know (a clinic's own free-text columns) unless ``include_unknown=True``.
    A clip's measured form (``form_*``) is kept: measures, not landmarks or frames.
    Written as CSV for people, pass it through :func:`runlab.journal.write` with
    ``escape_formulas=True``."""
    if not include_unknown:
        frame = frame.select([c for c in frame.columns
                              if c in SCHEMA or c in FIELDS or c in _STORE_KEYS])
    if include_notes:
        return frame
    return frame.drop([c for c in PRIVATE if c in frame.columns])
