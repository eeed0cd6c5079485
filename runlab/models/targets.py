"""A personal target cadence zone, relative to the runner's own habitual cadence at a pace.

Retraining prescriptions are +5 % to +10 % above habitual cadence at the same pace
(Heiderscheit et al., 2011, doi:10.1249/MSS.0b013e3181ebedf4); runlab accepts up to +15 % with
a :class:`~runlab.errors.RunlabWarning` and refuses more. Runners differ by ~8 spm at a given
speed but vary only ~3 spm from run to run, so the zone starts from *this runner's* cadence
at *this pace*; a population line is only the prior and the fallback:

- ``"novice"`` (default, runlab's clinic is for beginners): 155.6 spm at 2.5 m/s rising
  6.01 spm per m/s. de Ruiter et al. (2014, doi:10.1080/17461391.2013.783627) measured a
  self-selected 77.8 ± 2.8 strides/min (155.6 ± 5.6 spm) in novices running at 80 % of their
  ventilatory threshold; runlab places that at 2.5 m/s (9 km/h, a novice easy pace: an
  assumption) with van Oeveren et al.'s slope;
- ``"experienced"``: 150.0 + 6.01 · v (van Oeveren et al., 2019,
  doi:10.1080/02640414.2019.1614137; 256 runners' wearable data, SF = 75.01 + 3.006 v
  strides/min), 165 spm at 2.5 m/s.

Height: stature and leg length correlate non-significantly with preferred stride variables
(Cavanagh & Kram, 1989, doi:10.1249/00005768-198908000-00020), so no height adjustment is
applied unless the caller gives a slope (``height_slope_spm_per_m``).
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from statistics import NormalDist

import numpy as np
import polars as pl

from runlab.errors import ModelError, RunlabWarning
from runlab.models._tidy import group_column, ols_by
from runlab.models.cadence import (
    BETWEEN_RUNNER_SD_SPM,
    POPULATION_INTERCEPT_SPM,
    POPULATION_SLOPE_SPM_PER_MPS,
    WITHIN_RUNNER_SD_SPM,
    running_rows,
    running_speed,
)
from runlab.pace import default_units, format_pace
from runlab.science import BOOST_PRESCRIBED, NOVICE_CADENCE_SPM, NOVICE_SD_SPM

__all__ = [
    "CadenceZone",
    "cadence_zone",
    "height_adjustment_spm",
    "population_line",
    "LINES",
    "HEIGHT_REF_M",
    "BOOST_DEFAULT",
    "BOOST_WARN",
    "BOOST_MAX",
]

#: Novices' cadence (:data:`runlab.science.NOVICE_CADENCE_SPM`) placed at an easy pace
#: [m/s] (9 km/h; an assumption, the paper set speed at 80 % of each runner's ventilatory
#: threshold).
NOVICE_SPEED_MPS = 2.5
#: Population lines by name: (cadence at 0 m/s [spm], slope [spm per m/s], between-runner SD [spm]).
LINES = {
    "novice": (NOVICE_CADENCE_SPM - POPULATION_SLOPE_SPM_PER_MPS * NOVICE_SPEED_MPS,
               POPULATION_SLOPE_SPM_PER_MPS, NOVICE_SD_SPM),
    "experienced": (POPULATION_INTERCEPT_SPM, POPULATION_SLOPE_SPM_PER_MPS,
                    BETWEEN_RUNNER_SD_SPM),
}
#: Reference stature [m] of an optional height adjustment.
HEIGHT_REF_M = 1.75
_HEIGHT_CLIP_M = 0.25
#: The prescription (Heiderscheit et al., 2011) [fraction above habitual].
BOOST_DEFAULT = BOOST_PRESCRIBED
#: Boosts above this warn; above :data:`BOOST_MAX` they are refused.
BOOST_WARN = 0.10
BOOST_MAX = 0.15
#: Fewest runners in ``runner_history`` for a cohort mixed model (BLUP of the runner's line).
_COHORT_MIN_RUNNERS = 5


def population_line(speed_mps, line: str = "novice") -> np.ndarray:
    """Cadence [steps/min] of the named population line (:data:`LINES`) at ``speed_mps``."""
    if line not in LINES:
        raise ModelError(f"cadence_zone: population line must be one of {sorted(LINES)}, "
                         f"got {line!r}")
    a, b, _ = LINES[line]
    return a + b * np.asarray(speed_mps, dtype=float)


def height_adjustment_spm(height_m: float | None, slope_spm_per_m: float = 0.0) -> float:
    """Height adjustment of the population line [steps/min]: ``slope_spm_per_m`` × the
    deviation from 1.75 m (clipped to ±0.25 m). Off (0) by default: no published slope is
    significant (Cavanagh & Kram, 1989)."""
    if height_m is None:
        return 0.0
    h = float(height_m)
    if not np.isfinite(h) or not 1.0 <= h <= 2.5:
        raise ModelError(f"cadence_zone: height_m must be a stature in metres 1.0..2.5, got {h}")
    return float(slope_spm_per_m) * float(np.clip(h - HEIGHT_REF_M, -_HEIGHT_CLIP_M,
                                                  _HEIGHT_CLIP_M))


@dataclass(frozen=True)
class CadenceZone:
    """A target cadence zone at one pace (see :func:`cadence_zone`). Units in the names.

    ``source`` is ``"cohort_blup"`` (the runner's line from a cohort mixed model: fixed
    effects + their BLUP, partially pooled toward the cohort), ``"runner_line"`` (the
    runner's own cadence–speed line, many runs), ``"runner_level"`` (the runner's own level
    with the population slope, shrunk toward the population line when runs are few) or
    ``"population"`` (no usable runs). ``population`` names the line used as prior/fallback.
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
    population: str
    explanation: str

    def to_frame(self) -> pl.DataFrame:
        """One-row polars frame of the zone (column names as the attributes)."""
        return pl.DataFrame([asdict(self)])

    def __str__(self) -> str:
        return self.explanation


def cadence_zone(runner_history: pl.DataFrame | None, speed_mps: float | None = None,
                 boost: float | tuple[float, float] = BOOST_DEFAULT,
                 height_m: float | None = None, *, runner: str | None = None,
                 population: str = "novice", height_slope_spm_per_m: float = 0.0,
                 min_runs: int = 10, min_speed_range_mps: float = 0.4,
                 alpha: float = 0.05, speed: float | None = None,
                 units: str | None = None) -> CadenceZone:
    """Target cadence zone at ``speed_mps`` [m/s] relative to the runner's habitual cadence.

    Habitual cadence at ``speed_mps`` comes from, in order of preference:

    1. with a cohort in ``runner_history`` (≥ 5 runners) and ``runner``: the cohort mixed
       model ``cadence ~ speed + (1 + speed | runner)`` (:func:`~runlab.models.cadence_speed`),
       the runner's line = fixed effects + BLUP, partially pooled toward the cohort;
    2. the runner's own OLS line — with at least ``min_runs`` runs spanning at least
       ``min_speed_range_mps`` (with 10 runs the pooling weight of the level is > 0.98);
    3. the runner's own level with the population slope: the mean residual of their runs
       from the population line shrunk by ``n τ² / (n τ² + σ²)`` (the BLUP of a random
       intercept with known τ = the line's between-runner SD, σ = 3 spm within);
    4. the ``population`` line (:data:`LINES`: ``"novice"`` by default, ``"experienced"``).

    Fewer than ``min_runs`` runs gives a :class:`~runlab.errors.RunlabWarning`.

    Parameters
    ----------
    runner_history : polars.DataFrame or None
        Run summaries or running segments: ``speed_mps`` (a running-only ``run_speed_mps``
        is preferred when present), ``cadence_spm`` (and ``runner_id`` if several runners).
    speed_mps : float
        Pace of the zone [m/s]. (``speed=`` still works for one release, with a
        ``DeprecationWarning``.)
    boost : float or (float, float)
        Step-up above habitual [fraction]: +5 % to +10 % by default (Heiderscheit et al.,
        2011); above 0.10 up to 0.15 with a RunlabWarning; above 0.15 a ModelError.
    height_m, height_slope_spm_per_m : float, optional
        Stature [m] and a slope [spm per m] to adjust the population line by; the default
        slope 0 applies no adjustment (no published slope is significant).
    runner : str, optional
        Which ``runner_id`` of ``runner_history`` to use.
    population : {"novice", "experienced"}
        Population line for the prior and the fallback.
    min_runs, min_speed_range_mps, alpha
        Data needed for the runner's own line; 1 − confidence of the habitual interval.
    units : {"km", "mi"}, optional
        Pace unit of the explanation (default :func:`runlab.pace.default_units`).
    """
    if speed is not None:
        warnings.warn("cadence_zone(speed=) is deprecated; use speed_mps=",
                      DeprecationWarning, stacklevel=2)
        speed_mps = speed if speed_mps is None else speed_mps
    if speed_mps is None:
        raise TypeError("cadence_zone() needs speed_mps (the zone's pace [m/s])")
    speed = speed_mps
    v = float(speed)
    if not np.isfinite(v) or not 0.5 <= v <= 10.0:
        raise ModelError(f"cadence_zone: speed must be a running speed 0.5..10 m/s, got {speed}")
    lo, hi = _boosts(boost)
    population_line(v, population)  # validates the name
    tau = LINES[population][2]
    adj = height_adjustment_spm(height_m, height_slope_spm_per_m)
    z = NormalDist().inv_cdf(1 - alpha / 2)
    blup = _cohort_blup(runner_history, runner, v, alpha)
    history = _history(runner_history, runner)
    n = history.height
    if blup is not None:
        habitual, se = blup
        source, adj = "cohort_blup", 0.0
    else:
        if n < min_runs:
            warnings.warn(f"cadence_zone: {n} usable run(s) (< {min_runs}); habitual cadence "
                          f"leans on the {population} population line", RunlabWarning,
                          stacklevel=2)
        line = _own_line(history, min_runs, min_speed_range_mps, alpha)
        if line is not None:
            habitual = line["intercept"] + line["slope"] * v
            se = np.sqrt(line["residual_sd"] ** 2 / n
                         + (v - line["x_mean"]) ** 2 * line["slope_se"] ** 2)
            source, adj = "runner_line", 0.0
            if not line["x_min"] - 0.25 <= v <= line["x_max"] + 0.25:
                warnings.warn(f"cadence_zone: {v:.2f} m/s is outside this runner's observed "
                              f"speeds ({line['x_min']:.2f}-{line['x_max']:.2f} m/s); the line "
                              "is extrapolated", RunlabWarning, stacklevel=2)
        else:
            prior = float(population_line(v, population)) + adj
            if n:
                resid = history["cadence_spm"].to_numpy() - (
                    population_line(history["speed_mps"].to_numpy(), population) + adj)
                tau2, sigma2 = tau**2, WITHIN_RUNNER_SD_SPM**2
                weight = n * tau2 / (n * tau2 + sigma2)
                habitual = prior + weight * float(resid.mean())
                se = float(np.sqrt(1.0 / (n / sigma2 + 1.0 / tau2)))
                source = "runner_level"
            else:
                habitual, se, source = prior, tau, "population"
    step = v / (habitual / 60.0)
    zone = dict(
        speed_mps=v, habitual_spm=float(habitual), habitual_low_spm=float(habitual - z * se),
        habitual_high_spm=float(habitual + z * se), boost_low=lo, boost_high=hi,
        target_low_spm=float(habitual * (1 + lo)), target_high_spm=float(habitual * (1 + hi)),
        step_length_m=float(step),
        step_length_change_low_pct=(1 / (1 + lo) - 1) * 100,
        step_length_change_high_pct=(1 / (1 + hi) - 1) * 100,
        height_adjustment_spm=float(adj), n_runs=n, source=source, population=population)
    return CadenceZone(**zone, explanation=_explain(zone, height_m, units or default_units()))


def _boosts(boost) -> tuple[float, float]:
    pair = (boost, boost) if np.isscalar(boost) else tuple(boost)
    if len(pair) != 2:
        raise ModelError(f"cadence_zone: boost must be a fraction or (low, high), got {boost!r}")
    lo, hi = (float(b) for b in pair)
    if not (0.0 <= lo <= hi <= BOOST_MAX):
        raise ModelError(f"cadence_zone: boost must satisfy 0 <= low <= high <= {BOOST_MAX} "
                         f"(fractions: 0.05 = +5 %; the prescription is +5 % to +10 %), "
                         f"got {boost!r}")
    if hi > BOOST_WARN + 1e-12:
        warnings.warn(f"cadence_zone: a boost of +{hi:.0%} is beyond the +5 % to +10 % "
                      "prescription (Heiderscheit et al., 2011); step up gradually",
                      RunlabWarning, stacklevel=3)
    return lo, hi


def _cohort_blup(frame: pl.DataFrame | None, runner: str | None, v: float, alpha: float):
    """(habitual, se) of ``runner`` from a cohort mixed model, or None without a cohort."""
    if frame is None or runner is None or not isinstance(frame, pl.DataFrame):
        return None
    col = group_column(frame, "runner")
    if col not in frame.columns or frame[col].drop_nulls().n_unique() < _COHORT_MIN_RUNNERS:
        return None
    from runlab.models.cadence import cadence_speed

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RunlabWarning)
        try:
            fit = cadence_speed(frame, min_runners=_COHORT_MIN_RUNNERS, alpha=alpha)
        except ModelError:
            return None
        if not fit.mixed:
            return None
        known = str(runner) in set(fit.per_runner[fit.by].to_list())
        if not known:
            return None
        row = fit.predict(str(runner), v).row(0, named=True)
    return row["cadence_spm"], row["std_error"]


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


def _explain(z: dict, height_m: float | None, units: str) -> str:
    basis = {
        "cohort_blup": (f"from your {z['n_runs']} run(s), pooled with the cohort's cadence-speed "
                        "lines (mixed model)"),
        "runner_line": f"from your own cadence-speed line over {z['n_runs']} runs",
        "runner_level": (f"from your {z['n_runs']} run(s), with the typical rise of 6 steps/min "
                         "per m/s (van Oeveren et al., 2019)"),
        "population": (f"from the {z['population']} population average ("
                       + ("de Ruiter et al., 2014" if z["population"] == "novice"
                          else "van Oeveren et al., 2019")
                       + ") since there are no usable runs of yours yet"),
    }[z["source"]]
    text = (f"At {z['speed_mps']:.2f} m/s ({format_pace(z['speed_mps'], units)}) your habitual cadence is "
            f"about {z['habitual_spm']:.0f} steps/min ({z['habitual_low_spm']:.0f}-"
            f"{z['habitual_high_spm']:.0f}), {basis}. ")
    if z["height_adjustment_spm"] != 0.0 and height_m is not None:
        text += (f"Your height ({height_m:.2f} m) shifts that by {z['height_adjustment_spm'] + 0.0:+.1f} "
                 "steps/min; height matters only a little (Cavanagh & Kram, 1989). ")
    text += (f"A step-up of +{z['boost_low'] * 100:.0f} % to +{z['boost_high'] * 100:.0f} % "
             f"(Heiderscheit et al., 2011) gives a target zone of {z['target_low_spm']:.0f}-"
             f"{z['target_high_spm']:.0f} steps/min. At the same pace each step becomes "
             f"{-z['step_length_change_low_pct']:.1f} % to {-z['step_length_change_high_pct']:.1f} % "
             f"shorter (now about {z['step_length_m']:.2f} m): quicker, lighter steps landing "
             "closer under the body.")
    return text
