"""A personal target cadence zone, relative to the runner's own habitual cadence at a pace.

Retraining prescriptions are +5 % to +10 % above habitual cadence at the same pace
(Heiderscheit et al., 2011). Because runners differ by ~8 spm at a given speed and vary
only ~3 spm from run to run (SCIENCE.md), the zone starts from *this runner's* cadence at
*this pace*; the population line (van Oeveren et al., 2019) is only a fallback.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np
import polars as pl
from scipy import stats

from runlab.errors import ModelError, RunlabWarning
from runlab.models._tidy import group_column, ols_by
from runlab.models.cadence import (
    BETWEEN_RUNNER_SD_SPM,
    WITHIN_RUNNER_SD_SPM,
    population_cadence,
    running_rows,
    running_speed,
)

__all__ = [
    "CadenceZone",
    "cadence_zone",
    "height_adjustment_spm",
    "HEIGHT_REF_M",
    "HEIGHT_SLOPE_SPM_PER_M",
]

#: Reference stature of the population line [m] (adult runners' typical height).
HEIGHT_REF_M = 1.75
#: Cadence change per metre of extra height at the same speed [steps/min per m].
#:
#: Cavanagh & Kram (1989) found correlations of stature and leg length with preferred stride
#: variables of at most |r| ≈ 0.36, not significantly different from zero. We take
#: r = −0.3 (a deliberately small value below that ceiling; negative because taller runners
#: step slightly slower) and turn it into a regression slope r · SD_cadence / SD_height with
#: SD_cadence = 8 spm (between-runner SD at a given speed, SCIENCE.md) and SD_height = 0.07 m
#: (typical adult stature SD): −0.3 · 8 / 0.07 ≈ −34 spm per m, i.e. about −3.4 spm per 10 cm.
#: It is a small nudge to the population fallback only; a runner's own data overrides it.
HEIGHT_SLOPE_SPM_PER_M = -0.3 * BETWEEN_RUNNER_SD_SPM / 0.07
_HEIGHT_CLIP_M = 0.25
_BOOST_MAX = 0.20


def height_adjustment_spm(height_m: float | None) -> float:
    """Height adjustment of the population cadence [steps/min] (see HEIGHT_SLOPE_SPM_PER_M).

    The deviation from 1.75 m is clipped to ±0.25 m so an outlier cannot dominate.
    """
    if height_m is None:
        return 0.0
    h = float(height_m)
    if not np.isfinite(h) or not 1.0 <= h <= 2.5:
        raise ModelError(f"cadence_zone: height_m must be a stature in metres 1.0..2.5, got {h}")
    return HEIGHT_SLOPE_SPM_PER_M * float(np.clip(h - HEIGHT_REF_M, -_HEIGHT_CLIP_M,
                                                  _HEIGHT_CLIP_M))


@dataclass(frozen=True)
class CadenceZone:
    """A target cadence zone at one pace (see :func:`cadence_zone`). Units in the names.

    ``source`` is ``"runner_line"`` (the runner's own cadence–speed line),
    ``"runner_level"`` (the runner's own level, population slope, shrunk toward the
    population when runs are few) or ``"population"`` (no usable runs).
    ``step_length_change_*_pct`` is the step-length change implied at constant speed,
    1/(1 + boost) − 1.
    """

    speed_mps: float
    habitual_spm: float
    habitual_low_spm: float
    habitual_high_spm: float
    boost_low: float
    boost_high: float
    target_low_spm: float
    target_high_spm: float
    step_length_m: float
    step_length_change_low_pct: float
    step_length_change_high_pct: float
    height_adjustment_spm: float
    n_runs: int
    source: str
    explanation: str

    def to_frame(self) -> pl.DataFrame:
        """One-row polars frame of the zone (column names as the attributes)."""
        return pl.DataFrame([asdict(self)])

    def __str__(self) -> str:
        return self.explanation


def cadence_zone(runner_history: pl.DataFrame | None, speed: float,
                 boost: float | tuple[float, float] = (0.05, 0.10), height_m: float | None = None,
                 *, runner: str | None = None, min_runs: int = 5,
                 min_speed_range_mps: float = 0.4, alpha: float = 0.05) -> CadenceZone:
    """Target cadence zone at ``speed`` [m/s] relative to the runner's habitual cadence.

    Habitual cadence at ``speed`` comes from, in order of preference:

    1. the runner's own OLS line of cadence on speed — with at least ``min_runs`` runs
       spanning at least ``min_speed_range_mps``;
    2. the runner's own level with the population slope, 6.01 spm per m/s (van Oeveren et
       al., 2019): the mean residual of their runs from the population line, shrunk by
       ``n τ² / (n τ² + σ²)`` (τ = 8 spm between runners, σ = 3 spm within, SCIENCE.md);
    3. the population line 150.0 + 6.01 · v adjusted for ``height_m``
       (:data:`HEIGHT_SLOPE_SPM_PER_M`, Cavanagh & Kram, 1989).

    Fewer than ``min_runs`` runs gives a :class:`~runlab.errors.RunlabWarning`.

    Parameters
    ----------
    runner_history : polars.DataFrame or None
        The runner's run summaries or running segments: ``speed_mps`` (a running-only
        ``run_speed_mps`` is preferred when present), ``cadence_spm`` (and ``runner_id`` if
        several runners are present).
    speed : float
        Pace of the zone [m/s].
    boost : float or (float, float)
        Step-up above habitual [fraction]; +5 % to +10 % (Heiderscheit et al., 2011).
    height_m : float, optional
        Stature [m]; adjusts the population fallback only.
    runner : str, optional
        Which ``runner_id`` of ``runner_history`` to use.
    min_runs, min_speed_range_mps, alpha
        Data needed for the runner's own line; 1 − confidence of the habitual interval.

    Examples
    --------
    >>> z = cadence_zone(None, 3.5, height_m=1.75)  # doctest: +SKIP
    >>> round(z.target_low_spm), round(z.target_high_spm)  # doctest: +SKIP
    (180, 188)
    """
    v = float(speed)
    if not np.isfinite(v) or not 0.5 <= v <= 10.0:
        raise ModelError(f"cadence_zone: speed must be a running speed 0.5..10 m/s, got {speed}")
    lo, hi = _boosts(boost)
    history = _history(runner_history, runner)
    adj = height_adjustment_spm(height_m)
    z = stats.norm.ppf(1 - alpha / 2)
    n = history.height
    if n < min_runs:
        warnings.warn(f"cadence_zone: {n} usable run(s) (< {min_runs}); habitual cadence leans "
                      "on the population line (van Oeveren et al., 2019)", RunlabWarning,
                      stacklevel=2)
    line = _own_line(history, min_runs, min_speed_range_mps, alpha)
    if line is not None:
        habitual = line["intercept"] + line["slope"] * v
        se = np.sqrt(line["residual_sd"] ** 2 / n
                     + (v - line["x_mean"]) ** 2 * line["slope_se"] ** 2)
        source, adj = "runner_line", 0.0
        if not line["x_min"] - 0.25 <= v <= line["x_max"] + 0.25:
            warnings.warn(f"cadence_zone: {v:.2f} m/s is outside this runner's observed speeds "
                          f"({line['x_min']:.2f}-{line['x_max']:.2f} m/s); the line is "
                          "extrapolated", RunlabWarning, stacklevel=2)
    else:
        prior = float(population_cadence(v)) + adj
        if n:
            resid = history["cadence_spm"].to_numpy() - (
                population_cadence(history["speed_mps"].to_numpy()) + adj)
            tau2, sigma2 = BETWEEN_RUNNER_SD_SPM**2, WITHIN_RUNNER_SD_SPM**2
            weight = n * tau2 / (n * tau2 + sigma2)
            habitual = prior + weight * float(resid.mean())
            se = float(np.sqrt(1.0 / (n / sigma2 + 1.0 / tau2)))
            source = "runner_level"
        else:
            habitual, se, source = prior, BETWEEN_RUNNER_SD_SPM, "population"
    step = v / (habitual / 60.0)
    zone = dict(
        speed_mps=v, habitual_spm=float(habitual), habitual_low_spm=float(habitual - z * se),
        habitual_high_spm=float(habitual + z * se), boost_low=lo, boost_high=hi,
        target_low_spm=float(habitual * (1 + lo)), target_high_spm=float(habitual * (1 + hi)),
        step_length_m=float(step),
        step_length_change_low_pct=(1 / (1 + lo) - 1) * 100,
        step_length_change_high_pct=(1 / (1 + hi) - 1) * 100,
        height_adjustment_spm=float(adj), n_runs=n, source=source)
    return CadenceZone(**zone, explanation=_explain(zone, height_m))


def _boosts(boost) -> tuple[float, float]:
    pair = (boost, boost) if np.isscalar(boost) else tuple(boost)
    if len(pair) != 2:
        raise ModelError(f"cadence_zone: boost must be a fraction or (low, high), got {boost!r}")
    lo, hi = (float(b) for b in pair)
    if not (0.0 <= lo <= hi <= _BOOST_MAX):
        raise ModelError(f"cadence_zone: boost must satisfy 0 <= low <= high <= {_BOOST_MAX} "
                         f"(fractions: 0.05 = +5 %), got {boost!r}")
    return lo, hi


def _history(frame: pl.DataFrame | None, runner: str | None) -> pl.DataFrame:
    empty = pl.DataFrame(schema={"speed_mps": pl.Float64, "cadence_spm": pl.Float64})
    if frame is None:
        return empty
    if not isinstance(frame, pl.DataFrame):
        raise ModelError(f"cadence_zone: runner_history must be a polars DataFrame or None, "
                         f"got {type(frame).__name__}")
    col = group_column(frame, "runner")
    if runner is not None:
        if col not in frame.columns:
            raise ModelError(f"cadence_zone: runner={runner!r} given but runner_history has no "
                             f"{col!r} column")
        frame = frame.filter(pl.col(col).cast(pl.String) == str(runner))
    elif col in frame.columns and frame[col].drop_nulls().n_unique() > 1:
        raise ModelError(f"cadence_zone: runner_history holds {frame[col].n_unique()} runners; "
                         "pass runner=... to choose one")
    if frame.height == 0:
        return empty
    rows = running_rows(running_speed(frame), ("speed_mps", "cadence_spm"), "cadence_zone")
    return rows.select(pl.col("speed_mps", "cadence_spm").cast(pl.Float64))


def _own_line(history: pl.DataFrame, min_runs: int, min_range: float, alpha: float):
    if history.height < min_runs:
        return None
    speeds = history["speed_mps"]
    if speeds.max() - speeds.min() < min_range:
        return None
    fit = ols_by(history.with_columns(_g=pl.lit(0)), "_g", "speed_mps", "cadence_spm",
                 alpha=alpha, min_n=min_runs).row(0, named=True)
    return fit if fit["slope"] is not None and fit["slope_se"] is not None else None


def _pace(v: float) -> str:
    seconds = round(1000.0 / v)
    return f"{seconds // 60}:{seconds % 60:02d} min/km"


def _explain(z: dict, height_m: float | None) -> str:
    basis = {
        "runner_line": f"from your own cadence-speed line over {z['n_runs']} runs",
        "runner_level": (f"from your {z['n_runs']} run(s), with the typical rise of 6 steps/min "
                         "per m/s (van Oeveren et al., 2019)"),
        "population": "from the population average (van Oeveren et al., 2019) since there are "
                      "no usable runs of yours yet",
    }[z["source"]]
    text = (f"At {z['speed_mps']:.2f} m/s ({_pace(z['speed_mps'])}) your habitual cadence is "
            f"about {z['habitual_spm']:.0f} steps/min ({z['habitual_low_spm']:.0f}-"
            f"{z['habitual_high_spm']:.0f}), {basis}. ")
    if z["source"] != "runner_line" and height_m is not None:
        text += (f"Your height ({height_m:.2f} m) shifts that by {z['height_adjustment_spm'] + 0.0:+.1f} "
                 "steps/min; height matters only a little (Cavanagh & Kram, 1989). ")
    text += (f"A step-up of +{z['boost_low'] * 100:.0f} % to +{z['boost_high'] * 100:.0f} % "
             f"(Heiderscheit et al., 2011) gives a target zone of {z['target_low_spm']:.0f}-"
             f"{z['target_high_spm']:.0f} steps/min. At the same pace each step becomes "
             f"{-z['step_length_change_low_pct']:.1f} % to {-z['step_length_change_high_pct']:.1f} % "
             f"shorter (now about {z['step_length_m']:.2f} m): quicker, lighter steps landing "
             "closer under the body.")
    return text
