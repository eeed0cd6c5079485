"""One cleaned run over time: cadence, speed, gait and bouts."""

from __future__ import annotations

import altair as alt
import polars as pl

from runlab.charts._base import _GAIT_COLORS, _WIDTH, _need, _titled, _x
from runlab.errors import SchemaError
from runlab.schema import axis_title


def _minutes(ts: pl.Expr, t0) -> pl.Expr:
    return (ts - pl.lit(t0)).dt.total_milliseconds().cast(pl.Float64) / 60_000.0


def _gait_or_none(fn, cleaned: pl.DataFrame):
    try:
        return fn(cleaned)
    except SchemaError:  # cleaned records without the columns this gait step needs
        return None


def run_timeline(cleaned: pl.DataFrame, segments: pl.DataFrame | None = None, *,
                 strides: pl.DataFrame | None = None, hills: pl.DataFrame | None = None,
                 title: str = "Run timeline", max_points: int = 1500) -> alt.VConcatChart:
    """A run over time: cadence and speed panels on gait bands, plus strides and hills.

    Parameters
    ----------
    cleaned : polars.DataFrame
        Cleaned records (:func:`runlab.clean`): ``timestamp``, ``cadence_spm``,
        ``speed_mps`` (and ``gait``, ``sample_s``, ``grade_pct``, ``moving`` for the gait
        layers).
    segments, strides, hills : polars.DataFrame, optional
        :func:`runlab.gait.segments`, :func:`~runlab.gait.strides`,
        :func:`~runlab.gait.hills` of the run (``start``, ``end``, ...); computed from
        ``cleaned`` when not given and its columns allow.
    max_points : int
        Records are averaged over equal time bins so each line has at most this many points.
    """
    from runlab import gait

    _need(cleaned, "run_timeline", "timestamp", "cadence_spm", "speed_mps")
    if cleaned.height == 0:
        raise SchemaError("run_timeline: no records")
    if segments is None:
        segments = _gait_or_none(gait.segments, cleaned)
    if strides is None:
        strides = _gait_or_none(gait.strides, cleaned)
    if hills is None:
        hills = _gait_or_none(gait.hills, cleaned)
    t0 = cleaned["timestamp"].min()
    rec = cleaned.select(_minutes(pl.col("timestamp"), t0).alias("elapsed_min"),
                         pl.col("cadence_spm", "speed_mps").cast(pl.Float64))
    total = float(rec["elapsed_min"].max()) or 1.0
    if rec.height > max_points:
        width = total / max_points
        rec = (rec.with_columns(((pl.col("elapsed_min") / width).floor() * width)
                                .alias("elapsed_min"))
               .group_by("elapsed_min").agg(pl.col("cadence_spm", "speed_mps").mean())
               .sort("elapsed_min"))
    x = alt.X("elapsed_min:Q", title=axis_title("elapsed_min"),
              scale=alt.Scale(domain=[0, total], nice=False))

    def spans(frame: pl.DataFrame | None, label: str | None = None) -> pl.DataFrame | None:
        if frame is None or frame.height == 0:
            return None
        out = frame.select(_minutes(pl.col("start"), t0).alias("elapsed_min"),
                           _minutes(pl.col("end"), t0).alias("end_min"),
                           *(c for c in ("gait", "cadence_spm", "speed_mps") if c in frame.columns))
        return out.with_columns(kind=pl.lit(label)) if label else out

    bands = spans(segments)

    def panel(col: str, color: str) -> alt.LayerChart:
        layers = []
        if bands is not None:
            layers.append(alt.Chart(bands).mark_rect(opacity=0.18).encode(
                x=x, x2="end_min:Q",
                color=alt.Color("gait:N", title="Gait",
                                scale=alt.Scale(domain=list(_GAIT_COLORS),
                                                range=list(_GAIT_COLORS.values()))),
                tooltip=["gait", alt.Tooltip("elapsed_min", format=".1f"),
                         alt.Tooltip("end_min", format=".1f")]))
        layers.append(alt.Chart(rec).mark_line(color=color, strokeWidth=1.2, clip=True).encode(
            x=x, y=_x(col, alt.Y, "↑")))
        return alt.layer(*layers).properties(width=_WIDTH, height=160)

    charts = [panel("cadence_spm", "#4c78a8"), panel("speed_mps", "#e45756")]
    efforts = [s for s in (spans(strides, "stride"), spans(hills, "hill")) if s is not None]
    if efforts:
        ev = pl.concat(efforts, how="diagonal_relaxed")
        charts.append(alt.Chart(ev).mark_rect(color="#b279a2").encode(
            x=x, x2="end_min:Q", y=alt.Y("kind:N", title=None,
                                         scale=alt.Scale(domain=["stride", "hill"])),
            tooltip=["kind", alt.Tooltip("elapsed_min", format=".1f"),
                     alt.Tooltip("end_min", format=".1f"),
                     alt.Tooltip("cadence_spm", format=".0f"),
                     alt.Tooltip("speed_mps", format=".2f")]).properties(width=_WIDTH, height=50))
    n_str = 0 if strides is None else strides.height
    n_hill = 0 if hills is None else hills.height
    sub = f"{total:.1f} min; {n_str} strides, {n_hill} climbs; bands: run / walk / stop"
    return _titled(alt.vconcat(*charts), title, sub)


# --------------------------------------------------------------------------- progression
