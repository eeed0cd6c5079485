"""The result of a progression model: tidy frames plus the fitted model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from runlab.models._tidy import random_frame_empty


@dataclass(frozen=True)
class ModelResult:
    """Tidy results of a progression model.

    Attributes
    ----------
    fixed : polars.DataFrame
        ``term``, ``estimate``, ``std_error``, ``statistic``, ``p_value``, ``ci_low``,
        ``ci_high``, ``n`` (plus extra columns documented per function).
    model : statsmodels results (or a dict of them, :func:`baseline_mile`)
    random : polars.DataFrame
        ``term``, ``variance``, ``sd``, ``corr`` (empty without random effects).
    per_runner : polars.DataFrame or None
    summary : polars.DataFrame or None
        Function-specific derived table (trend per week and group, shares, thresholds...).
    """

    fixed: pl.DataFrame
    model: Any
    random: pl.DataFrame = field(default_factory=random_frame_empty)
    per_runner: pl.DataFrame | None = None
    summary: pl.DataFrame | None = None
