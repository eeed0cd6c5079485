"""Shared pieces of runlab's charts: row limits, colours, axis helpers, aggregation."""

from __future__ import annotations

import altair as alt
import numpy as np
import polars as pl

from runlab.errors import SchemaError
from runlab.schema import axis_title

MAX_ROWS = 5000
#: Most runners drawn as separate coloured series; above it charts show the cohort summary.
MAX_SERIES = 12

_GAIT_COLORS = {"run": "#4c78a8", "walk": "#f58518", "stop": "#bab0ac"}
_POPULATION = "Population line (van Oeveren et al., 2019)"
_WIDTH, _HEIGHT = 560, 320


# --------------------------------------------------------------------------- helpers

def _need(frame: pl.DataFrame, what: str, *columns: str) -> None:
    if not isinstance(frame, pl.DataFrame):
        raise SchemaError(f"{what}: expected a polars DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SchemaError(f"{what}: frame lacks column(s) {missing}; has {frame.columns}")


def _running(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """Rows with finite ``columns`` (and running gait, where a ``gait`` column exists)."""
    if "gait" in frame.columns:
        frame = frame.filter(pl.col("gait") == "run")
    ok = [pl.col(c).cast(pl.Float64).is_finite() for c in columns]
    return frame.filter(pl.all_horizontal(ok)).with_columns(pl.col(columns).cast(pl.Float64))


def _pick_runner(frame: pl.DataFrame, runner_id: str | None, what: str) -> pl.DataFrame:
    if runner_id is None:
        return frame
    _need(frame, what, "runner_id")
    out = frame.filter(pl.col("runner_id") == runner_id)
    if out.height == 0:
        raise SchemaError(f"{what}: no rows for runner_id {runner_id!r}")
    return out


def _n_runners(frame: pl.DataFrame) -> int:
    return frame["runner_id"].n_unique() if "runner_id" in frame.columns else 1


def _bin_width(lo: float, hi: float, bins: int) -> float:
    """A 1-2-5 step that splits [lo, hi] into at most ``bins`` bins."""
    span = max(hi - lo, 1e-9)
    raw = span / bins
    mag = 10 ** np.floor(np.log10(raw))
    return float(next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw))


def _binned_counts(frame: pl.DataFrame, x: str, y: str, bins: int = 40) -> pl.DataFrame:
    """2-D histogram of ``x``, ``y``: ``x``, ``x2``, ``y``, ``y2`` bin edges and ``runs``."""
    wx = _bin_width(frame[x].min(), frame[x].max(), bins)
    wy = _bin_width(frame[y].min(), frame[y].max(), bins)
    return (frame.select((pl.col(x) / wx).floor() * wx, (pl.col(y) / wy).floor() * wy)
            .group_by(x, y).agg(pl.len().alias("runs"))
            .with_columns((pl.col(x) + wx).alias(f"{x}_end"), (pl.col(y) + wy).alias(f"{y}_end"))
            .sort(x, y))


def _x(column: str, channel=alt.X, faster: str = "→"):
    """A position encoding (x, or ``channel=alt.Y``) titled with the column's unit; speed
    [m/s] reads as pace (M:SS per km or mi, :func:`runlab.pace.default_units`; faster
    toward ``faster``): the data stay in m/s, only the axis labels change."""
    from runlab.pace import default_units, pace_label_expr

    if column != "speed_mps":
        return channel(f"{column}:Q", title=axis_title(column), scale=alt.Scale(zero=False))
    units = default_units()
    return channel(f"{column}:Q", title=f"Pace [min/{units}] (faster {faster})",
                   scale=alt.Scale(zero=False), axis=alt.Axis(labelExpr=pace_label_expr(units)))


def _scatter(frame: pl.DataFrame, x: str, y: str, *, color_by_runner: bool,
             max_points: int) -> alt.Chart:
    """Points, coloured by runner for small cohorts; a 2-D count heat map for large ones."""
    xs, ys = _x(x), alt.Y(y, title=axis_title(y))
    if frame.height > max_points:
        counts = _binned_counts(frame, x, y)
        return alt.Chart(counts).mark_rect(opacity=0.8).encode(
            x=xs, x2=f"{x}_end",
            y=alt.Y(y, title=axis_title(y), scale=alt.Scale(zero=False)), y2=f"{y}_end",
            color=alt.Color("runs:Q", title="Runs", scale=alt.Scale(scheme="greys")),
            tooltip=[x, y, "runs"])
    cols = [c for c in ("runner_id", "run_id", "start_time") if c in frame.columns]
    data = frame.select(*cols, x, y)
    enc = {"x": xs, "y": ys.scale(zero=False),
           "tooltip": [*cols, alt.Tooltip(x, format=".2f"), alt.Tooltip(y, format=".1f")]}
    if color_by_runner and "runner_id" in data.columns:
        enc["color"] = alt.Color("runner_id:N", title="Runner")
    return alt.Chart(data).mark_circle(size=40, opacity=0.6, color="#4c78a8").encode(**enc)


def _speed_grid(frame: pl.DataFrame, n: int = 40) -> np.ndarray:
    if frame.height:
        lo, hi = float(frame["speed_mps"].min()), float(frame["speed_mps"].max())
    else:
        lo, hi = 2.0, 5.0
    if hi - lo < 0.2:
        lo, hi = lo - 0.25, hi + 0.25
    return np.linspace(lo, hi, n)


def _runner_lines(frame: pl.DataFrame, y: str, grid: np.ndarray) -> pl.DataFrame:
    """Each runner's OLS line of ``y`` on speed over the runner's own speed range."""
    from runlab.models._tidy import ols_by

    if "runner_id" not in frame.columns:
        frame = frame.with_columns(runner_id=pl.lit("runner"))
    fits = ols_by(frame, "runner_id", "speed_mps", y).filter(pl.col("slope").is_not_null())
    rows = []
    for fit in fits.iter_rows(named=True):
        v = grid[(grid >= fit["x_min"]) & (grid <= fit["x_max"])]
        v = np.unique(np.r_[fit["x_min"], v, fit["x_max"]])
        rows.append(pl.DataFrame({"runner_id": fit["runner_id"], "speed_mps": v,
                                  y: fit["intercept"] + fit["slope"] * v}))
    return pl.concat(rows) if rows else pl.DataFrame(
        schema={"runner_id": pl.String, "speed_mps": pl.Float64, y: pl.Float64})


def _titled(chart, title: str, subtitle: str | None = None):
    return chart.properties(title=alt.Title(title, subtitle=subtitle) if subtitle else title)


def _week_axis(frame: pl.DataFrame) -> alt.X:
    if frame.schema["week"].is_temporal():
        return alt.X("week:T", title="Week", axis=alt.Axis(format="%d %b %Y"))
    return alt.X("week:Q", title="Week of programme", axis=alt.Axis(tickMinStep=1))
