"""Altair charts of runlab's frames: one function per chart, frame in → chart out.

Every function returns an altair chart (``alt.Chart`` or a layered/concatenated chart) and
never displays it. Charts are titled and their axes carry units from the column names
(:func:`runlab.schema.axis_title`). Large inputs are aggregated in polars first — scatter
plots turn into binned 2-D counts, long records are averaged over time bins, big forest
plots are grouped by rank — so no chart ships more than :data:`MAX_ROWS` data rows to the
browser.

Offline rendering: notebooks use ``alt.renderers.enable("jupyter", offline=True)``;
``vl_convert.vegalite_to_png(chart.to_json())`` renders without a browser.

=====================  ==========================================================
chart                  input
=====================  ==========================================================
cadence_speed          runs (``schema.RUNS``) or running segments
step_length_speed      runs or running segments
run_timeline           cleaned records (:func:`runlab.clean`) (+ :mod:`runlab.gait`)
weekly_cadence         runs, or :func:`runlab.metrics.weekly`'s frame
walk_run_progression   runs with ``run_walk_ratio``
comfort_heat           journal (:mod:`runlab.journal`)
forest                 tidy per-runner estimates (e.g. ``CadenceSpeed.per_runner``)
journal_calendar       journal
form_clip              :func:`runlab.gait.form`'s result (one clip)
=====================  ==========================================================
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import polars as pl

from runlab.clip_chart import form_clip
from runlab.errors import SchemaError
from runlab.schema import axis_title

__all__ = [
    "MAX_ROWS", "MAX_SERIES", "cadence_speed", "step_length_speed", "run_timeline",
    "weekly_cadence", "walk_run_progression", "comfort_heat", "forest", "journal_calendar",
    "form_clip",
]

#: Most data rows a chart ships to the browser (all layers together).
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


# --------------------------------------------------------------------------- cadence, stride

def cadence_speed(runs: pl.DataFrame, runner_id: str | None = None, *,
                  boost: tuple[float, float] = (0.05, 0.10),
                  max_points: int = 2000) -> alt.LayerChart:
    """Cadence against speed with the runner's line, the population line and the target zone.

    Points are runs (or running segments): one colour per runner for up to
    :data:`MAX_SERIES` runners, a binned count map above ``max_points``. Each runner's OLS
    line is drawn over their own speed range; the population line is spm = 150.0 + 6.01 · v
    (van Oeveren et al., 2019). The target zone is the habitual line — the runner's own
    line for a single runner, else the population line — raised by ``boost`` (+5 % to
    +10 %, Heiderscheit et al., 2011).

    Parameters
    ----------
    runs : polars.DataFrame
        ``speed_mps`` [m/s], ``cadence_spm`` [steps/min], optionally ``runner_id``,
        ``run_id``, ``gait`` (only ``"run"`` rows are used). Run summaries' running-only
        ``run_speed_mps`` replaces ``speed_mps`` when present (walk breaks excluded).
    runner_id : str, optional
        Show only this runner.
    boost : (float, float)
        Target zone as fractions above habitual cadence.
    """
    from runlab.models.cadence import population_cadence, running_speed

    _need(runs, "cadence_speed", "speed_mps", "cadence_spm")
    data = _running(_pick_runner(running_speed(runs), runner_id, "cadence_speed"),
                    "speed_mps", "cadence_spm")
    grid = _speed_grid(data)
    n_runners = _n_runners(data)
    few = n_runners <= MAX_SERIES
    lines = _runner_lines(data, "cadence_spm", grid) if few and data.height else None
    single = lines is not None and lines["runner_id"].n_unique() == 1
    habitual = (np.interp(grid, lines["speed_mps"].to_numpy(), lines["cadence_spm"].to_numpy())
                if single else population_cadence(grid))
    lo, hi = boost
    zone = pl.DataFrame({"speed_mps": grid, "low": habitual * (1 + lo), "high": habitual * (1 + hi),
                         "series": f"Target zone +{lo:.0%} to +{hi:.0%}"})
    pop = pl.DataFrame({"speed_mps": grid, "cadence_spm": population_cadence(grid),
                        "series": _POPULATION})
    x = _x("speed_mps")
    y_title = axis_title("cadence_spm")
    zone_chart = alt.Chart(zone)
    layers = [
        zone_chart.mark_area(opacity=0.25, color="#54a24b").encode(
            x=x, y=alt.Y("low:Q", title=y_title, scale=alt.Scale(zero=False)), y2="high:Q",
            tooltip=[alt.Tooltip("speed_mps", format=".2f"), alt.Tooltip("low", format=".0f"),
                     alt.Tooltip("high", format=".0f"), "series"]),
        _scatter(data, "speed_mps", "cadence_spm", color_by_runner=few and n_runners > 1,
                 max_points=max_points),
        # the zone's edges on top, so a dense cohort's count map cannot hide it
        zone_chart.mark_line(color="#2f7d32", strokeWidth=1.5).encode(x=x, y="low:Q"),
        zone_chart.mark_line(color="#2f7d32", strokeWidth=1.5).encode(x=x, y="high:Q"),
        alt.Chart(pop).mark_line(strokeDash=[6, 4], color="black").encode(
            x=x, y=alt.Y("cadence_spm:Q", title=y_title), tooltip=["series"]),
    ]
    if lines is not None and lines.height:
        enc = {"x": x, "y": alt.Y("cadence_spm:Q", title=y_title), "detail": "runner_id:N",
               "tooltip": ["runner_id"]}
        if n_runners > 1:
            enc["color"] = alt.Color("runner_id:N", title="Runner")
        layers.append(alt.Chart(lines).mark_line(strokeWidth=2.5, color="#4c78a8").encode(**enc))
    who = f"runner {runner_id}" if runner_id else (
        f"{n_runners} runners" if n_runners > 1 else "one runner")
    own = "solid: runner's own line; " if lines is not None and lines.height else ""
    around = "the runner's line" if single else "the population line"
    sub = (f"{data.height} runs of {who}; {own}dashed: population 150.0 + 6.01·v; "
           f"green: target zone +{lo:.0%} to +{hi:.0%} above {around}")
    return _titled(alt.layer(*layers).properties(width=_WIDTH, height=_HEIGHT),
                   "Cadence vs speed", sub)


def step_length_speed(runs: pl.DataFrame, runner_id: str | None = None, *,
                      max_points: int = 2000) -> alt.LayerChart:
    """Step length against speed, with each runner's line and the population's.

    Step length is ``speed / (cadence / 60)`` where the frame has no ``step_length_m``
    (the definition). The dashed line is the step length implied by the population cadence
    line (van Oeveren et al., 2019, doi:10.1080/02640414.2019.1614137). Faster running with longer steps is expected; a runner far
    above the line at a given speed is a candidate for overstriding.
    """
    from runlab.models.cadence import population_cadence, running_speed
    from runlab.models.step_length import step_length_m

    _need(runs, "step_length_speed", "speed_mps")
    data = _pick_runner(running_speed(runs), runner_id, "step_length_speed")
    if "step_length_m" not in data.columns or data["step_length_m"].null_count() == data.height:
        _need(data, "step_length_speed", "cadence_spm")
        data = data.with_columns(step_length_m=pl.Series(step_length_m(
            data["speed_mps"].to_numpy(), data["cadence_spm"].to_numpy())))
    data = _running(data, "speed_mps", "step_length_m")
    grid = _speed_grid(data)
    n_runners = _n_runners(data)
    few = n_runners <= MAX_SERIES
    x = _x("speed_mps")
    y = alt.Y("step_length_m:Q", title=axis_title("step_length_m"), scale=alt.Scale(zero=False))
    pop = pl.DataFrame({"speed_mps": grid,
                        "step_length_m": step_length_m(grid, population_cadence(grid))})
    layers = [_scatter(data, "speed_mps", "step_length_m", color_by_runner=few and n_runners > 1,
                       max_points=max_points),
              alt.Chart(pop).mark_line(strokeDash=[6, 4], color="black").encode(x=x, y=y)]
    if few and data.height:
        lines = _runner_lines(data, "step_length_m", grid)
        enc = {"x": x, "y": y, "detail": "runner_id:N", "tooltip": ["runner_id"]}
        if n_runners > 1:
            enc["color"] = alt.Color("runner_id:N", title="Runner")
        layers.append(alt.Chart(lines).mark_line(strokeWidth=2.5, color="#4c78a8").encode(**enc))
    sub = (f"{data.height} runs; solid: runner's own line; dashed: step length implied by the "
           "population cadence line")
    return _titled(alt.layer(*layers).properties(width=_WIDTH, height=_HEIGHT),
                   "Step length vs speed", sub)


# --------------------------------------------------------------------------- one run

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

_HUMIDITY_BANDS = [(0, 40, "< 40 %"), (40, 60, "40–60 %"), (60, 80, "60–80 %"),
                   (80, 100.01, "≥ 80 %")]


def comfort_heat(journal: pl.DataFrame, *, value: str = "comfort", bin_c: float = 2.0,
                 runner_id: str | None = None) -> alt.LayerChart:
    """Comfort (or ease, RPE) against temperature: points per humidity band, sized by
    entries, with a smoothed (loess) trend per band.

    Entries are grouped in ``bin_c`` [°C] temperature bins and four relative-humidity bands
    and averaged, so the chart stays small for any journal; point size is the number of
    entries. ``value="ease"`` uses :func:`runlab.journal.perceived_ease`.
    """
    from runlab import journal as jr

    _need(journal, "comfort_heat", "temperature_c", "humidity_pct")
    frame = _pick_runner(journal, runner_id, "comfort_heat")
    if value == "ease":
        frame = jr.perceived_ease(frame)
    _need(frame, "comfort_heat", value)
    band = pl.lit(None, pl.String)
    for lo, hi, label in _HUMIDITY_BANDS:
        band = pl.when((pl.col("humidity_pct") >= lo) & (pl.col("humidity_pct") < hi)) \
            .then(pl.lit(label)).otherwise(band)
    data = (frame.filter(pl.col("temperature_c").is_not_null() & pl.col(value).is_not_null())
            .with_columns(((pl.col("temperature_c") / bin_c).floor() * bin_c + bin_c / 2)
                          .alias("temperature_c"),
                          band.fill_null("unknown").alias("humidity"))
            .group_by("temperature_c", "humidity")
            .agg(pl.col(value).cast(pl.Float64).mean().alias(value), pl.len().alias("entries"))
            .sort("humidity", "temperature_c"))
    spec = jr.FIELDS.get(value)
    y_title = {"comfort": "Comfort (1 very uncomfortable – 5 very comfortable)",
               "rpe": "RPE (Borg CR10, 0–10)",
               "ease": "Perceived ease (0 hard – 1 easy)"}.get(
        value, spec.allowed if spec else axis_title(value))
    palette = dict(zip([b[2] for b in _HUMIDITY_BANDS] + ["unknown"],  # distinct hues
                       ["#e69f00", "#009e73", "#0072b2", "#cc79a7", "#999999"], strict=True))
    present = [b for b in palette if b in set(data["humidity"].to_list())]
    color = alt.Color("humidity:N", title="Relative humidity", sort=present,
                      scale=alt.Scale(domain=present, range=[palette[b] for b in present]))
    x = alt.X("temperature_c:Q", title=axis_title("temperature_c"))
    y = alt.Y(f"{value}:Q", title=y_title, scale=alt.Scale(zero=False))
    base = alt.Chart(data)
    chart = alt.layer(
        base.mark_circle(opacity=0.8).encode(
            x=x, y=y, color=color,
            size=alt.Size("entries:Q", title="Entries", scale=alt.Scale(range=[40, 400]),
                          legend=alt.Legend(tickMinStep=1)),
            tooltip=["humidity", alt.Tooltip("temperature_c", format=".0f"),
                     alt.Tooltip(value, format=".2f"), "entries"]),
        # a smoothed trend per band instead of lines joining sparse bins (one entry made a V)
        # (only for bands with 4 or more bins: fewer cannot show a trend)
        base.transform_joinaggregate(bins="count()", groupby=["humidity"])
        .transform_filter("datum.bins >= 4")
        .transform_loess("temperature_c", value, groupby=["humidity"], bandwidth=1.0)
        .mark_line(strokeWidth=2).encode(x=x, y=y, color=color),
    ).properties(width=_WIDTH, height=_HEIGHT)
    title = {"ease": "Perceived ease"}.get(value, value.replace("_", " ").capitalize())
    sub = (f"{frame.height} journal entries, mean per {bin_c:g} °C bin and humidity band")
    return _titled(chart, f"{title} vs temperature and humidity", sub)


def journal_calendar(journal: pl.DataFrame, value: str | None = "comfort", *,
                     runner_id: str | None = None) -> alt.Chart:
    """Calendar heat map of the journal: weeks across, weekdays down.

    Colour is the day's mean ``value`` (e.g. ``comfort``, ``rpe``, ``perceived_tempo``, a
    rubric score) or, with ``value=None``, the number of entries. Entries of several runners
    on one day are averaged (filter with ``runner_id``).
    """
    _need(journal, "journal_calendar", "date")
    frame = _pick_runner(journal, runner_id, "journal_calendar")
    if value is not None:
        _need(frame, "journal_calendar", value)
    agg = [pl.len().alias("entries")]
    if value is not None:
        agg.append(pl.col(value).cast(pl.Float64).mean().alias(value))
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    data = (frame.filter(pl.col("date").is_not_null()).group_by("date").agg(*agg)
            .with_columns(pl.col("date").dt.truncate("1w").alias("week"),
                          pl.col("date").dt.strftime("%a").alias("weekday"))
            .sort("date"))
    shown = value or "entries"
    from runlab.journal import FIELDS

    spec = FIELDS.get(shown)
    scaled = spec is not None and spec.kind == "int"
    legend = f"{axis_title(shown)} ({int(spec.lo)}–{int(spec.hi)})" if scaled else \
        axis_title(shown)
    # a journal scale keeps its full range, so calendars of different runners compare
    domain = {"domain": [spec.lo, spec.hi]} if scaled else {}
    chart = alt.Chart(data).mark_rect(stroke="white", strokeWidth=1).encode(
        x=alt.X("week:O", title="Week starting", timeUnit="yearmonthdate",
                axis=alt.Axis(format="%d %b", labelAngle=-45)),
        y=alt.Y("weekday:N", title="Day", sort=days, scale=alt.Scale(domain=days)),
        color=alt.Color(f"{shown}:Q", title=legend, scale=alt.Scale(scheme="viridis", **domain)),
        tooltip=[alt.Tooltip("date:T", format="%a %d %b %Y"), "entries",
                 *([alt.Tooltip(value, format=".1f")] if value else [])],
    ).properties(width=max(_WIDTH // 2, 14 * data["week"].n_unique()), height=160)
    who = f"runner {runner_id}" if runner_id else f"{_n_runners(frame)} runner(s)"
    return _titled(chart, "Training journal calendar",
                   f"{frame.height} entries of {who}; colour: {legend.lower()}")


# --------------------------------------------------------------------------- cohort

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
