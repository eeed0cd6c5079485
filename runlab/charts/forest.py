"""Forest plot of per-runner (or per-group) estimates with intervals."""

from __future__ import annotations

import altair as alt
import numpy as np
import polars as pl

from runlab.charts._base import _WIDTH, _need, _titled
from runlab.schema import axis_title


def forest(effects: pl.DataFrame, *, label: str = "runner_id", estimate: str = "estimate",
           ci_low: str = "ci_low", ci_high: str = "ci_high", reference: float | None = None,
           x_title: str | None = None, title: str = "Per-runner effects",
           max_rows: int = 400) -> alt.LayerChart:
    """Forest plot of per-runner estimates with their intervals, sorted by estimate.

    Parameters
    ----------
    effects : polars.DataFrame
        One row per runner, e.g. ``CadenceSpeed.per_runner`` with ``estimate="slope"``,
        ``ci_low="slope_ci_low"``, ``ci_high="slope_ci_high_spm_per_mps"``, or a tidy model frame
        (``term``/``estimate``/``ci_low``/``ci_high`` with ``label="term"``).
    reference : float, optional
        A vertical reference line (e.g. 6.01 spm per m/s, van Oeveren et al., 2019).
    x_title : str, optional
        Axis title with unit; defaults to :func:`runlab.schema.axis_title` of ``estimate``.
    max_rows : int
        More runners than this are grouped into ``max_rows`` bins of neighbouring ranks
        (mean estimate and interval per bin), so large cohorts stay readable and small.
    """
    _need(effects, "forest", label, estimate, ci_low, ci_high)
    data = (effects.select(pl.col(label).cast(pl.String), pl.col(estimate, ci_low, ci_high)
                           .cast(pl.Float64))
            .filter(pl.col(estimate).is_finite()).sort(estimate))
    n = data.height
    if n > max_rows:
        size = int(np.ceil(n / max_rows))
        data = (data.with_row_index("_rank").with_columns((pl.col("_rank") // size).alias("_bin"))
                .group_by("_bin").agg(
                    pl.format("{} … {}", pl.col(label).first(), pl.col(label).last()).alias(label),
                    pl.col(estimate, ci_low, ci_high).mean())
                .sort("_bin").drop("_bin"))
    data = data.with_row_index("rank")
    x_title = x_title or axis_title(estimate)
    y = alt.Y(f"{label}:N", title=None if n > max_rows else label.replace("_", " ").capitalize(),
              sort=alt.EncodingSortField("rank", order="ascending"),
              axis=alt.Axis(labels=data.height <= 60))
    base = alt.Chart(data)
    layers = [
        base.mark_rule(color="#4c78a8").encode(
            x=alt.X(f"{ci_low}:Q", title=x_title, scale=alt.Scale(zero=False)), x2=f"{ci_high}:Q",
            y=y),
        base.mark_point(filled=True, color="black", size=30).encode(
            x=alt.X(f"{estimate}:Q", title=x_title), y=y,
            tooltip=[label, alt.Tooltip(estimate, format=".2f"), alt.Tooltip(ci_low, format=".2f"),
                     alt.Tooltip(ci_high, format=".2f")]),
    ]
    if reference is not None:
        layers.append(alt.Chart(pl.DataFrame({"reference": [float(reference)]})).mark_rule(
            color="#e45756", strokeDash=[6, 4]).encode(x="reference:Q"))
    sub = f"{n} runners, sorted by estimate" + (
        f", in {data.height} bins of {int(np.ceil(n / max_rows))}" if n > max_rows else "") + (
        f"; dashed: reference {reference:g}" if reference is not None else "")
    height = max(120, min(12 * data.height, 700))
    return _titled(alt.layer(*layers).properties(width=_WIDTH, height=height), title, sub)
