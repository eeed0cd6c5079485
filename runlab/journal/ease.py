"""Heat index and perceived ease (comfort, RPE) in heat and humidity."""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from runlab.errors import JournalError

__all__ = ["HEAT_BANDS", "heat_index_c", "perceived_ease", "weekly_ease"]


#: NWS heat-index risk categories [°C] (80, 90, 103, 124 °F), lower bounds.
HEAT_BANDS = {"none": -math.inf, "caution": 26.7, "extreme caution": 32.2, "danger": 39.4,
              "extreme danger": 51.7}


def heat_index_c(temperature_c, humidity_pct) -> np.ndarray:
    """Heat index [°C] from air temperature [°C] and relative humidity [%].

    The US National Weather Service procedure: Steadman's simple formula
    ``HI = 0.5·(T + 61 + 1.2·(T − 68) + 0.094·RH)`` (°F), and where the mean of that and
    ``T`` reaches 80 °F the Rothfusz (1990) regression with its low-humidity and
    high-humidity adjustments (NWS Technical Attachment SR 90-23; "The Heat Index Equation",
    NWS Weather Prediction Center). Below about 27 °C the heat index is close to the air
    temperature; it is meaningful as heat stress only above that. NaN where either is missing.
    """
    t_c = np.asarray(temperature_c, dtype=float)
    rh = np.asarray(humidity_pct, dtype=float)
    t = t_c * 9 / 5 + 32
    simple = 0.5 * (t + 61.0 + (t - 68.0) * 1.2 + rh * 0.094)
    full = (-42.379 + 2.04901523 * t + 10.14333127 * rh - 0.22475541 * t * rh
            - 6.83783e-3 * t**2 - 5.481717e-2 * rh**2 + 1.22874e-3 * t**2 * rh
            + 8.5282e-4 * t * rh**2 - 1.99e-6 * t**2 * rh**2)
    with np.errstate(invalid="ignore"):
        dry = (rh < 13) & (t >= 80) & (t <= 112)
        full = full - np.where(dry, (13 - rh) / 4 * np.sqrt(np.clip(17 - np.abs(t - 95), 0, None)
                                                            / 17), 0.0)
        humid = (rh > 85) & (t >= 80) & (t <= 87)
        full = full + np.where(humid, (rh - 85) / 10 * (87 - t) / 5, 0.0)
        hi_f = np.where((simple + t) / 2 >= 80, full, simple)
    return (hi_f - 32) * 5 / 9


def _heat_band(expr: pl.Expr) -> pl.Expr:
    out = pl.lit(None, pl.String)
    for name, lower in HEAT_BANDS.items():
        out = pl.when(expr >= lower).then(pl.lit(name)).otherwise(out)
    return out


def perceived_ease(journal: pl.DataFrame, *, hot_c: float = HEAT_BANDS["caution"]
                   ) -> pl.DataFrame:
    """Per-entry perceived ease and the heat it was felt in.

    Adds

    - ``heat_index_c`` [°C]: :func:`heat_index_c` of ``temperature_c`` and ``humidity_pct``
      (null when either is missing);
    - ``heat_band``: the NWS category of the heat index (``none``, ``caution``, ...);
    - ``hot``: heat index ≥ ``hot_c`` (default 26.7 °C = 80 °F, where NWS "caution" starts);
    - ``ease``: 0 (very hard, very uncomfortable) … 1 (effortless, very comfortable), the mean
      of the available ``(comfort − 1) / 4`` and ``1 − rpe / 10`` (Borg CR10);
    - ``ease_vs_cool``: ``ease`` minus the runner's median ease in entries that were not
      hot — negative when heat and humidity make running feel harder than usual for that
      runner. This is the clinic's "perceived ease in heat or humidity" (``docs/clinic.md``); as it
      improves towards 0 the runner copes with heat better.
    """
    for name in ("runner_id", "comfort", "rpe", "temperature_c", "humidity_pct"):
        if name not in journal.columns:
            raise JournalError(f"journal lacks {name!r}; has {journal.columns}")
    hi = heat_index_c(journal["temperature_c"].cast(pl.Float64).to_numpy(),
                      journal["humidity_pct"].cast(pl.Float64).to_numpy())
    comfort_part = (pl.col("comfort").cast(pl.Float64) - 1) / 4
    rpe_part = 1 - pl.col("rpe").cast(pl.Float64) / 10
    out = journal.with_columns(
        pl.Series("heat_index_c", hi, pl.Float64).fill_nan(None),
        pl.mean_horizontal(comfort_part, rpe_part).alias("ease"),
    ).with_columns(
        _heat_band(pl.col("heat_index_c")).alias("heat_band"),
        (pl.col("heat_index_c") >= hot_c).alias("hot"),
    )
    cool = pl.col("ease").filter(pl.col("hot").not_()).median().over("runner_id")
    return out.with_columns((pl.col("ease") - cool).alias("ease_vs_cool"))


def weekly_ease(journal: pl.DataFrame, *, hot_c: float = HEAT_BANDS["caution"]
                ) -> pl.DataFrame:
    """Perceived ease per runner and ISO week (weeks start on Monday).

    Takes a journal (or :func:`perceived_ease`'s output). Columns: ``runner_id``, ``week``
    (the Monday, Date), ``entries``, ``ease`` (mean), ``hot_entries``, ``ease_hot`` and
    ``ease_cool`` (mean ease in hot / not-hot entries), ``heat_gap`` (``ease_hot −
    ease_cool`` within the week, null unless both occur), ``ease_vs_cool`` (mean over the
    hot entries: their ease against the runner's usual cool-weather ease) and
    ``heat_index_c`` (mean).
    """
    if "ease" not in journal.columns:
        journal = perceived_ease(journal, hot_c=hot_c)
    hot = pl.col("hot").fill_null(False)
    weeks = (journal.with_columns(pl.col("date").dt.truncate("1w").alias("week"))
             .group_by("runner_id", "week")
             .agg(pl.len().cast(pl.Int64).alias("entries"),
                  pl.col("ease").mean().alias("ease"),
                  hot.sum().cast(pl.Int64).alias("hot_entries"),
                  pl.col("ease").filter(hot).mean().alias("ease_hot"),
                  pl.col("ease").filter(pl.col("hot") == False).mean()  # noqa: E712
                  .alias("ease_cool"),
                  pl.col("ease_vs_cool").filter(hot).mean().alias("ease_vs_cool"),
                  pl.col("heat_index_c").mean().alias("heat_index_c")))
    return (weeks.with_columns((pl.col("ease_hot") - pl.col("ease_cool")).alias("heat_gap"))
            .sort("runner_id", "week"))
