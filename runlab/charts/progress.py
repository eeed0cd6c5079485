"""Progress over a programme: weekly cadence and the walk–run ratio."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import polars as pl

from runlab.charts._base import (
    _HEIGHT,
    _WIDTH,
    MAX_SERIES,
    _n_runners,
    _need,
    _pick_runner,
    _titled,
    _week_axis,
)
from runlab.errors import SchemaError
from runlab.schema import axis_title


def _cohort_summary(frame: pl.DataFrame, value: str, by: Sequence[str]) -> pl.DataFrame:
    """Mean of ``value`` with a normal 95 % interval per ``by``."""
    return (frame.filter(pl.col(value).is_finite())
            .group_by(*by).agg(pl.col(value).mean().alias("mean"),
                               pl.col(value).std().alias("sd"), pl.len().alias("n"))
            .with_columns(half=1.96 * pl.col("sd").fill_null(0) / pl.col("n").sqrt())
            .with_columns(low=pl.col("mean") - pl.col("half"),
                          high=pl.col("mean") + pl.col("half"))
            .drop("half").sort(*by))


def weekly_cadence(runs_or_weekly: pl.DataFrame, *,
                   target_spm: float | tuple[float, float] | None = None,
                   runner_id: str | None = None,
                   trend: pl.DataFrame | None = None) -> alt.LayerChart:
    """Weekly easy-run cadence — the clinic's progress metric — with the target.

    Parameters
    ----------
    runs_or_weekly : polars.DataFrame
        Runs (``schema.RUNS``; summarised with :func:`runlab.metrics.weekly`) or a frame
        with ``runner_id``, ``week`` (Date, or an integer week of the programme) and
        ``easy_cadence_spm``; a ``group`` column splits the cohort summary.
    target_spm : float or (low, high), optional
        Target cadence [steps/min]: a line, or a zone band.
    trend : polars.DataFrame, optional
        A fitted trend to overlay as dashed lines with 95 % bands, e.g.
        ``runlab.models.progression.cadence(runs).summary`` (``week``, ``cadence_spm``,
        ``ci_low``, ``ci_high``, optional ``group``); needs integer programme weeks. That
        trend is at each runner's usual pace, so slower easy runs sit a little below it.

    Up to :data:`MAX_SERIES` runners are drawn one line each; larger cohorts as the weekly
    mean with a 95 % interval (per ``group`` when present).
    """
    from runlab import metrics

    frame = _pick_runner(runs_or_weekly, runner_id, "weekly_cadence")
    if "easy_cadence_spm" not in frame.columns:
        if "week" in frame.columns and frame.schema["week"].is_integer():
            frame = _programme_weeks(frame)
        else:
            frame = metrics.weekly(frame)
    _need(frame, "weekly_cadence", "runner_id", "week", "easy_cadence_spm")
    frame = frame.filter(pl.col("easy_cadence_spm").is_finite())
    x = _week_axis(frame)
    y_title = "Easy-run " + axis_title("cadence_spm").lower()
    n_runners = _n_runners(frame)
    layers = []
    if target_spm is not None:
        lo, hi = (target_spm, target_spm) if np.isscalar(target_spm) else target_spm
        band = pl.DataFrame({"low": [float(lo)], "high": [float(hi)]})
        if hi > lo:
            layers.append(alt.Chart(band).mark_rect(opacity=0.2, color="#54a24b").encode(
                y="low:Q", y2="high:Q"))
        rule = alt.Chart(band).mark_rule(color="#54a24b", strokeDash=[6, 4], strokeWidth=2)
        layers += [rule.encode(y="low:Q")] + ([rule.encode(y="high:Q")] if hi > lo else [])
    if n_runners <= MAX_SERIES:
        data = frame.select("runner_id", "week", "easy_cadence_spm").sort("runner_id", "week")
        layers.append(alt.Chart(data).mark_line(point=True).encode(
            x=x, y=alt.Y("easy_cadence_spm:Q", title=y_title, scale=alt.Scale(zero=False)),
            color=alt.Color("runner_id:N", title="Runner"),
            tooltip=["runner_id", "week", alt.Tooltip("easy_cadence_spm", format=".1f")]))
        sub = f"{n_runners} runner(s), mean running cadence of easy runs each week"
    else:
        by = ["group", "week"] if "group" in frame.columns else ["week"]
        summary = _cohort_summary(frame, "easy_cadence_spm", by)
        color = {"color": alt.Color("group:N", title="Group")} if "group" in by else {}
        y = alt.Y("mean:Q", title=y_title, scale=alt.Scale(zero=False))
        layers += [
            alt.Chart(summary).mark_area(opacity=0.25).encode(x=x, y=alt.Y("low:Q", title=y_title),
                                                               y2="high:Q", **color),
            alt.Chart(summary).mark_line(point=True).encode(
                x=x, y=y, **color,
                tooltip=[*by, alt.Tooltip("mean", format=".1f"), "n"]),
        ]
        sub = f"{n_runners} runners: weekly mean with 95 % interval"
    if trend is not None:
        layers += _trend_layers(trend, frame, x, y_title, by_group=n_runners > MAX_SERIES)
        sub += "; dashed: model trend with 95 % interval"
    if target_spm is not None:
        sub += "; green: target"
    return _titled(alt.layer(*layers).properties(width=_WIDTH, height=_HEIGHT),
                   "Weekly easy-run cadence", sub)


def _programme_weeks(runs: pl.DataFrame) -> pl.DataFrame:
    """Easy-run cadence per runner and programme ``week`` (integer weeks since the start),
    weighted by moving time like :func:`runlab.metrics.weekly`'s calendar weeks."""
    from runlab import metrics

    _need(runs, "weekly_cadence", "runner_id", "cadence_spm", "speed_mps")
    easy = runs["easy"] if "easy" in runs.columns else pl.Series("easy", [None] * runs.height,
                                                                  pl.Boolean)
    frame = runs.with_columns(easy=pl.coalesce(easy, metrics.easy_flags(runs)).fill_null(False))
    w = pl.col("moving_s") if "moving_s" in frame.columns else pl.lit(1.0)
    use = pl.col("easy") & pl.col("cadence_spm").is_not_null()
    by = [c for c in ("runner_id", "group", "week") if c in frame.columns]
    return (frame.group_by(*by).agg(
        ((pl.col("cadence_spm") * w).filter(use).sum() / w.filter(use).sum())
        .alias("easy_cadence_spm")).sort(*by))


def _trend_layers(trend: pl.DataFrame, frame: pl.DataFrame, x: alt.X, y_title: str, *,
                  by_group: bool) -> list:
    """Dashed trend lines with interval bands: coloured by group over a cohort summary,
    black (one line per group) over individual runners' coloured lines."""
    _need(trend, "weekly_cadence trend", "week", "cadence_spm", "ci_low", "ci_high")
    if frame.schema["week"].is_temporal():
        raise SchemaError("weekly_cadence: a model trend is indexed by programme week; pass "
                          "runs with an integer 'week' column, not calendar weeks")
    by = ["group"] if "group" in trend.columns and trend["group"].null_count() == 0 else []
    data = trend.select(*by, "week", "cadence_spm", "ci_low", "ci_high").sort(*by, "week")
    color = ({"color": alt.Color("group:N", title="Group")} if by and by_group
             else {"color": alt.value("black")})
    detail = {"detail": "group:N"} if by else {}
    base = alt.Chart(data)
    return [base.mark_area(opacity=0.12).encode(x=x, y=alt.Y("ci_low:Q", title=y_title),
                                                y2="ci_high:Q", **detail, **color),
            base.mark_line(strokeDash=[6, 3], strokeWidth=2).encode(**detail,
                x=x, y=alt.Y("cadence_spm:Q", title=y_title), **color,
                tooltip=[*by, "week", alt.Tooltip("cadence_spm", format=".1f"),
                         alt.Tooltip("ci_low", format=".1f"), alt.Tooltip("ci_high", format=".1f")])]


def walk_run_progression(runs: pl.DataFrame, *, runner_id: str | None = None
                         ) -> alt.LayerChart:
    """Run:walk ratio per week against the clinic's 1:1 → 2:1 → 3:1 progression.

    Takes runs with ``run_walk_ratio`` (run time / walk time; runs without walking have no
    ratio and are left out) and ``week`` or ``start_time``. Each runner's weekly median is a
    line for small groups; larger cohorts show the weekly median with the interquartile
    range.
    """
    from runlab.gait import PATTERNS

    _need(runs, "walk_run_progression", "run_walk_ratio")
    frame = _pick_runner(runs, runner_id, "walk_run_progression")
    if "week" not in frame.columns:
        _need(frame, "walk_run_progression", "start_time")
        frame = frame.with_columns(week=pl.col("start_time").dt.truncate("1w").dt.date())
    if "runner_id" not in frame.columns:
        frame = frame.with_columns(runner_id=pl.lit("runner"))
    frame = frame.filter(pl.col("run_walk_ratio").cast(pl.Float64).is_finite())
    x = _week_axis(frame)
    y_title = "Run:walk ratio (run time / walk time)"
    refs = pl.DataFrame({"ratio": list(PATTERNS.values()), "pattern": list(PATTERNS)})
    layers = [
        alt.Chart(refs).mark_rule(color="grey", strokeDash=[4, 4]).encode(y="ratio:Q"),
        alt.Chart(refs).mark_text(align="right", dy=-6, color="grey").encode(
            y="ratio:Q", x=alt.value(_WIDTH - 4), text="pattern:N"),
    ]
    n_runners = _n_runners(frame)
    if n_runners <= MAX_SERIES:
        data = (frame.group_by("runner_id", "week").agg(pl.col("run_walk_ratio").median())
                .sort("runner_id", "week"))
        layers.append(alt.Chart(data).mark_line(point=True).encode(
            x=x, y=alt.Y("run_walk_ratio:Q", title=y_title),
            color=alt.Color("runner_id:N", title="Runner"),
            tooltip=["runner_id", "week", alt.Tooltip("run_walk_ratio", format=".2f")]))
    else:
        summary = (frame.group_by("week").agg(
            pl.col("run_walk_ratio").median().alias("median"),
            pl.col("run_walk_ratio").quantile(0.25).alias("q25"),
            pl.col("run_walk_ratio").quantile(0.75).alias("q75"), pl.len().alias("n"))
            .sort("week"))
        layers += [
            alt.Chart(summary).mark_area(opacity=0.25).encode(
                x=x, y=alt.Y("q25:Q", title=y_title), y2="q75:Q"),
            alt.Chart(summary).mark_line(point=True).encode(
                x=x, y=alt.Y("median:Q", title=y_title),
                tooltip=["week", alt.Tooltip("median", format=".2f"), "n"]),
        ]
    sub = (f"{n_runners} runner(s)" + ("" if n_runners <= MAX_SERIES else
                                        ": weekly median, band = interquartile range")
           + "; dashed: the clinic's 1:1, 2:1 and 3:1 patterns")
    return _titled(alt.layer(*layers).properties(width=_WIDTH, height=_HEIGHT),
                   "Walk–run ratio progression", sub)


# --------------------------------------------------------------------------- journal
