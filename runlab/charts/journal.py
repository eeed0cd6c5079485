"""Journal charts: comfort against weather, and the training calendar."""

from __future__ import annotations

import altair as alt
import polars as pl

from runlab.charts._base import _HEIGHT, _WIDTH, _n_runners, _need, _pick_runner, _titled
from runlab.schema import axis_title

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
