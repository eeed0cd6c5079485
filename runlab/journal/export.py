"""The journal as it may leave the clinic."""

from __future__ import annotations

import polars as pl

from runlab.journal.fields import PRIVATE

__all__ = ["for_export"]


def for_export(frame: pl.DataFrame, include_notes: bool = False) -> pl.DataFrame:
    """The journal as it may leave the clinic: free-text ``notes`` and ``video`` file
    references are dropped unless ``include_notes=True``."""
    if include_notes:
        return frame
    return frame.drop([c for c in PRIVATE if c in frame.columns])
