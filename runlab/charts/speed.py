"""Cadence and step length against speed, with the population lines."""

from __future__ import annotations

import altair as alt
import numpy as np
import polars as pl

from runlab.charts._base import (
    _HEIGHT,
    _POPULATION,
    _WIDTH,
    MAX_SERIES,
    _n_runners,
    _need,
    _pick_runner,
    _runner_lines,
    _running,
    _scatter,
    _speed_grid,
    _titled,
    _x,
)
from runlab.schema import axis_title


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
