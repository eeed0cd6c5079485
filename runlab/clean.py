"""Cleaning of records: cadence units, pauses, spikes, derived speed, grade and gait.

:func:`clean` turns canonical records (:data:`runlab.schema.RECORDS`) into cleaned records
(:data:`runlab.schema.CLEANED`) in one pass of small, pure, vectorized steps:

1. rows without a timestamp are dropped (with a warning) and the rest sorted by time;
2. cadence unit repair — a file whose cadence is doubled (treadmills) or halved (wrist IMUs,
   strides/min written as steps/min) is detected from the step length it implies at the
   measured speed and fixed (``cadence_repaired``);
3. speed from distance or from GPS positions when the device gave none (``speed_derived``),
   distance from positions or speed when it is missing (``distance_derived``);
4. spikes in speed, heart rate and cadence found with a Hampel filter and replaced by the
   window median (``speed_spike``, ``heart_rate_spike``, ``cadence_spike`` keep the trace),
   and jumps in distance (GPS spikes) replaced by speed × time (``distance_spike``);
5. optional resampling to a regular grid (``every="1s"``) for smart recording;
6. pauses and recording gaps, one definition each. A *pause* is time the timer was stopped
   (timer events), or a gap over ``pause_gap_s`` across which the distance shows the
   runner stood (under ``moving_speed_mps``). A *recording gap* is a gap over
   ``pause_gap_s`` without distance to tell (signal lost, the watch asleep):
   ``recording_gap_s`` holds its length on the sample after it. A gap the distance shows
   was covered at moving speed is neither (smart recording). ``moving`` and ``sample_s``
   (the seconds of recording each sample closes; 0 after a pause or recording gap, so
   ``sample_s`` summed over moving samples is the moving time);
7. altitude smoothing and ``grade_pct``;
8. ``gait`` run/walk/stop: moving samples by a per-session two-state model on cadence,
   speed and running dynamics (:func:`runlab.walkrun.running_states`), then a minimum
   segment duration.

Every repair is flagged in a column, announced with a
:class:`~runlab.errors.DataRepairWarning`, and listed by :func:`repair_notes`.
"""

from __future__ import annotations

import functools
import re
import warnings

import numpy as np
import polars as pl

from runlab import schema
from runlab._series import (
    centred_mean,
    columns,
    epoch_us,
    otsu_index,
    run_lengths,
    seconds_since,
    timestamps,
)
from runlab.errors import DataRepairWarning, SchemaError
from runlab.geo import path_distance_m
from runlab.science import POPULATION_INTERCEPT_SPM, POPULATION_SLOPE_SPM_PER_MPS
from runlab.walkrun import running_states

__all__ = ["clean", "repair_notes", "hampel", "cadence_unit_factor", "run_lengths",
           "run_thresholds", "epoch_us", "timestamps", "derive_speed_mps", "FLAGS",
           "RUN_ENTER_SPM", "RUN_LEAVE_SPM", "MIN_SEGMENT_S", "PAUSE_GAP_S",
           "MOVING_SPEED_MPS", "SPEED_HALF_WINDOW"]

#: Walk→run when cadence rises above this [steps/min] (135–140 spm separates
#: walking from running for ~91 % of samples; hysteresis 140/130). Only the deprecated
#: :func:`run_thresholds` uses it and RUN_LEAVE_SPM; ``clean`` uses :mod:`runlab.walkrun`.
RUN_ENTER_SPM = 140.0
#: Run→walk when cadence falls below this [steps/min] (hysteresis; :data:`runlab.science.WALK_RUN_THRESHOLD_SPM`).
RUN_LEAVE_SPM = 130.0
#: A run or walk bout shorter than this [s] is merged into its neighbour.
MIN_SEGMENT_S = 10.0
#: A gap between samples longer than this [s] is a pause (smart recording spaces samples
#: by up to ~8 s, so 10 s is the smallest safe gap).
PAUSE_GAP_S = 10.0
#: Slower than this [m/s] is standing still (GPS jitter at a stop reaches ~0.3–0.4 m/s).
MOVING_SPEED_MPS = 0.5
#: Cadence below this [steps/min] is no stepping at all (sensor zero or dropout).
MIN_STEPPING_SPM = 40.0
#: Half-width of the centred difference of :func:`derive_speed_mps` [samples].
SPEED_HALF_WINDOW = 2

#: Flag columns :func:`clean` adds after the canonical ones.
FLAGS = ("sample_s", "recording_gap_s", "cadence_repaired", "speed_derived", "distance_derived",
         "speed_spike", "heart_rate_spike", "cadence_spike", "distance_spike")

#: Hampel filter: column → (flag column, smallest deviation that counts as a spike).
#: The absolute floor keeps flat stretches (MAD = 0) from flagging sensor quantisation.
_SPIKES = {
    "speed_mps": ("speed_spike", 1.0),
    "heart_rate_bpm": ("heart_rate_spike", 15.0),
    "cadence_spm": ("cadence_spike", 20.0),
}

_TIMER_STOP = {"stop", "stop_all", "stop_disable", "stop_disable_all"}
_TIMER_START = {"start"}
_TIMER_KINDS = _TIMER_STOP | _TIMER_START


def clean(records: pl.DataFrame, events: pl.DataFrame | None = None, *,
          every: str | float | None = None, repair_cadence: bool = True,
          pause_gap_s: float = PAUSE_GAP_S, moving_speed_mps: float = MOVING_SPEED_MPS,
          hampel_half_window: int = 3, hampel_n_sigma: float = 3.0,
          altitude_window_s: float = 9.0, grade_distance_m: float = 30.0,
          min_segment_s: float = MIN_SEGMENT_S) -> pl.DataFrame:
    """Cleaned records: repaired units, pauses, spikes, grade and gait, every change flagged.

    Parameters
    ----------
    records : polars.DataFrame
        Canonical records (:data:`runlab.schema.RECORDS`; missing columns are added as nulls).
    events : polars.DataFrame, optional
        Timer events (:data:`runlab.schema.EVENTS`); ``timer``/``stop*`` … ``timer``/``start``
        intervals are pauses.
    every : str or float, optional
        Resample to a regular grid of this spacing (``"1s"``, ``"500ms"``, ``2.0`` [s]).
        Values are interpolated linearly between neighbouring samples; no grid point is made
        inside a gap longer than ``pause_gap_s``.
    repair_cadence : bool
        Detect and repair doubled/halved cadence (:func:`cadence_unit_factor`).
    pause_gap_s : float
        A gap between samples longer than this is a pause [s], unless the distance covered
        across it implies at least ``moving_speed_mps``.
    moving_speed_mps : float
        Slower than this is standing still [m/s].
    hampel_half_window : int
        Half width of the Hampel window [samples] (7 samples at the default 3).
    hampel_n_sigma : float
        A sample is a spike when it deviates from the window median by more than this many
        robust standard deviations (1.4826 × MAD) *and* by the column's floor (1 m/s,
        15 beats/min, 20 steps/min).
    altitude_window_s : float
        Centred moving-average window for altitude [s] (time-based, so smart recording
        is smoothed as much as 1 Hz recording).
    grade_distance_m : float
        ``grade_pct`` is the altitude change over this distance centred on the sample [m].
    min_segment_s : float
        Run and walk bouts shorter than this are merged into a neighbour [s].

    Returns
    -------
    polars.DataFrame
        :data:`runlab.schema.CLEANED` columns, then the flag columns :data:`FLAGS`, then any
        extra columns of ``records``. ``altitude_m`` is smoothed; spikes hold the window median.

    Notes
    -----
    Walk/run is a per-session two-state hidden Markov model on every gait feature the
    file holds (:mod:`runlab.walkrun`), so brisk walks and slow jogs whose cadences overlap
    are told apart by speed, stance time and vertical oscillation; bouts shorter than
    ``min_segment_s`` are merged. Repairs raise a
    :class:`~runlab.errors.DataRepairWarning`; :func:`repair_notes` lists them afterwards.
    """
    frame = _prepare(records)
    a = _arrays(frame)
    notes: list[str] = []
    a["cadence_repaired"] = (_repair_cadence(a, notes) if repair_cadence
                             else np.zeros(frame.height, dtype=bool))
    _derive_motion(a)
    for column, (flag, floor) in _SPIKES.items():
        a[column], a[flag] = hampel(a[column], half_window=hampel_half_window,
                                    n_sigma=hampel_n_sigma, floor=floor)
        if a[flag].any():
            notes.append(f"{int(a[flag].sum())} {column} spike(s) replaced by the median of "
                         f"{2 * hampel_half_window + 1} samples ({flag})")
    a["distance_m"], a["distance_spike"] = _repair_distance(a)
    if a["distance_spike"].any():
        notes.append(f"{int(a['distance_spike'].sum())} distance_m jump(s) (GPS spikes) "
                     f"replaced by speed × time (distance_spike)")
    if every is not None:
        frame = _resample(_assemble(frame, a), _seconds(every), pause_gap_s)
        a = _arrays(frame)
    a["moving"], a["sample_s"], a["recording_gap_s"] = _pauses(
        a, frame["timestamp"], events, pause_gap_s, moving_speed_mps)
    a["altitude_m"], a["grade_pct"] = _grade(a, altitude_window_s, grade_distance_m)
    a["gait"] = _gait(a, min_segment_s, frame)
    for note in notes:
        warnings.warn(note, DataRepairWarning, stacklevel=2)
    extra = [c for c in frame.columns if c not in schema.CLEANED and c not in FLAGS]
    return _assemble(frame, a, [*schema.CLEANED, *FLAGS, *extra])


def repair_notes(cleaned: pl.DataFrame) -> list[str]:
    """Human-readable list of what :func:`clean` changed, read back from the flag columns."""
    def count(flag: str) -> int:
        if flag not in cleaned.columns:
            return 0
        # None counts as False; the array is shared within summarize()
        return int(np.count_nonzero(columns(cleaned).raw(flag)))

    notes = []
    if count("cadence_repaired"):
        notes.append(f"cadence unit repaired on {count('cadence_repaired')} of "
                     f"{cleaned.height} samples (doubled or halved by the device)")
    for flag in ("speed_derived", "distance_derived"):
        if count(flag):
            notes.append(f"{flag.split('_')[0]} derived from positions/other channels")
    for flag in (f for f in FLAGS if f.endswith("_spike")):
        if count(flag):
            notes.append(f"{count(flag)} {flag.replace('_', ' ')}(s) replaced")
    return notes


# ---------------------------------------------------------------------------------------
# steps


def _prepare(records: pl.DataFrame) -> pl.DataFrame:
    if not isinstance(records, pl.DataFrame):
        raise SchemaError(f"clean() needs a polars DataFrame of records, got "
                          f"{type(records).__name__}")
    if "timestamp" not in records.columns:
        raise SchemaError(f"records frame lacks column 'timestamp'; has {records.columns}")
    derived = [c for c in (*FLAGS, "moving", "gait", "grade_pct") if c in records.columns]
    frame = records.drop(derived) if derived else records
    have = frame.schema
    if any(have.get(c) != t for c, t in schema.RECORDS.items()):
        try:
            frame = schema.conform(frame, "records")
        except pl.exceptions.PolarsError as exc:
            raise SchemaError(f"records do not fit the canonical dtypes: {exc}") from exc
    missing = frame["timestamp"].null_count()
    if missing:
        warnings.warn(f"{missing} record(s) without a timestamp dropped", DataRepairWarning,
                      stacklevel=3)
        frame = frame.filter(pl.col("timestamp").is_not_null())
    if (np.diff(epoch_us(frame["timestamp"])) < 0).any():
        frame = frame.sort("timestamp", maintain_order=True)
    return frame


def cadence_unit_factor(speed_mps: np.ndarray, cadence_spm: np.ndarray, *,
                        min_samples: int = 20) -> float:
    """Factor that puts a file's cadence in steps/min: 1, 2 (halved file) or 0.5 (doubled).

    The step length a cadence implies at the measured speed, ``60 v / c``, is compared with
    the expected one: running (v ≥ 2.2 m/s) ``60 v / (150.0 + 6.01 v)`` (van Oeveren et al.,
    2019, doi:10.1080/02640414.2019.1614137), walking (1.0–2.2 m/s) ``0.40 + 0.25 v`` m (≈ 0.75 m, 112 steps/min
    at 1.4 m/s). A median ratio above 1.6 means the cadence is half the truth (one arm's
    swing, strides/min); below 0.65 it is double (treadmill files). Without enough speed,
    cadence above 250 steps/min on the median moving sample means doubled.

    Parameters
    ----------
    speed_mps, cadence_spm : numpy.ndarray
        Per-sample speed [m/s] and cadence [steps/min] (NaN where missing).
    min_samples : int
        Fewest samples with both speed ≥ 1 m/s and cadence ≥ 20 steps/min needed to decide.
    """
    v = np.asarray(speed_mps, dtype=np.float64)
    c = np.asarray(cadence_spm, dtype=np.float64)
    ok = (v >= 1.0) & (c >= 20.0) & np.isfinite(v) & np.isfinite(c)
    if ok.sum() >= min_samples:
        v, c = v[ok], c[ok]
        line = POPULATION_INTERCEPT_SPM + POPULATION_SLOPE_SPM_PER_MPS * v
        expected = np.where(v >= 2.2, 60.0 * v / line, 0.40 + 0.25 * v)
        ratio = float(np.median(60.0 * v / c / expected))
        if ratio > 1.6:
            return 2.0
        if ratio < 0.65:
            return 0.5
        return 1.0
    moving = c[np.isfinite(c) & (c >= 20.0)]
    if moving.size >= min_samples and np.median(moving) > 250.0:
        return 0.5
    return 1.0


_FLOATS = ("elapsed_s", "distance_m", "speed_mps", "cadence_spm", "heart_rate_bpm",
           "altitude_m", "lat_deg", "lon_deg", "step_length_m")
_BOOLS = ("cadence_repaired", "speed_derived", "distance_derived", "speed_spike",
          "heart_rate_spike", "cadence_spike", "distance_spike", "moving")


def _arrays(frame: pl.DataFrame) -> dict[str, np.ndarray]:
    """The columns :func:`clean` works on as float64 arrays (NaN for null), ``t`` = seconds
    since the first sample, and flag columns already present (after resampling)."""
    a = {c: frame[c].to_numpy().astype(np.float64) for c in _FLOATS}
    a["t"] = seconds_since(frame["timestamp"])
    for c in _BOOLS:
        if c in frame.columns:
            a[c] = frame[c].to_numpy().astype(bool)
    return a


def _assemble(frame: pl.DataFrame, a: dict[str, np.ndarray], order: list[str] | None = None
              ) -> pl.DataFrame:
    """``frame`` with the arrays of ``a`` written back (NaN → null), columns in ``order``
    (default: frame's, then new ones); built directly from Series, without a query."""
    new: dict[str, pl.Series] = {}
    for c in (*_FLOATS, "grade_pct", "sample_s", "recording_gap_s"):
        if c in a:
            new[c] = pl.Series(c, a[c], nan_to_null=True)
    for c in _BOOLS:
        if c in a:
            new[c] = pl.Series(c, a[c], dtype=pl.Boolean)
    if "gait" in a:
        new["gait"] = pl.Series("gait", _GAIT_LABELS, dtype=pl.String).gather(a["gait"])
    names = order or [*frame.columns, *(c for c in new if c not in frame.columns)]
    return pl.DataFrame([new[c] if c in new else frame.get_column(c) for c in names])


def _repair_cadence(a: dict[str, np.ndarray], notes: list[str]) -> np.ndarray:
    """Fix ``a["cadence_spm"]`` (and step length) in place; return the repaired-sample mask."""
    factor = cadence_unit_factor(a["speed_mps"], a["cadence_spm"])
    if factor == 1.0:
        return np.zeros(a["t"].size, dtype=bool)
    word = "halved" if factor == 2.0 else "doubled"
    notes.append(f"cadence_spm looked {word} for the measured speed (implied step length "
                 f"implausible); multiplied by {factor:g} (cadence_repaired)")
    a["cadence_spm"] = a["cadence_spm"] * factor
    a["step_length_m"] = a["step_length_m"] / factor
    return np.isfinite(a["cadence_spm"])


def _derive_motion(a: dict[str, np.ndarray]) -> None:
    """Distance from positions or speed, speed from distance, where the file has none.

    Updates ``a`` in place; this is the only place runlab derives motion (readers return
    what the file holds). ``distance_m`` from GPS positions (:func:`runlab.geo.path_distance_m`,
    gaps bridged) or else the integral of speed; ``speed_mps`` from distance by
    :func:`derive_speed_mps`. Derived channels are flagged (``speed_derived``,
    ``distance_derived``), not warned about: they add what the device did not record and
    change nothing it did. ``elapsed_s`` is filled from the timestamps where missing.
    """
    t, speed, dist = a["t"], a["speed_mps"], a["distance_m"]
    have_speed, have_dist = np.isfinite(speed).any(), np.isfinite(dist).any()
    speed_derived = dist_derived = False
    if not have_dist and (np.isfinite(a["lat_deg"]) & np.isfinite(a["lon_deg"])).sum() >= 2:
        dist, dist_derived = path_distance_m(a["lat_deg"], a["lon_deg"]), True
    if not have_speed and np.isfinite(dist).sum() >= 2:
        speed, speed_derived = derive_speed_mps(dist, t), True
    if not have_dist and not dist_derived and have_speed:
        dt = np.diff(t, prepend=t[:1])
        dist = np.nancumsum(np.where(np.isfinite(speed), speed, 0.0) * dt)
        dist_derived = True
    a["speed_mps"], a["distance_m"] = speed, dist
    a["elapsed_s"] = np.where(np.isfinite(a["elapsed_s"]), a["elapsed_s"], t)
    a["speed_derived"] = np.full(t.size, speed_derived)
    a["distance_derived"] = np.full(t.size, dist_derived)


def derive_speed_mps(distance_m: np.ndarray, t_s: np.ndarray,
                     half_window: int = SPEED_HALF_WINDOW) -> np.ndarray:
    """Speed from cumulative distance and sample times, a centred difference [m/s].

    ``speed[i] = (d[i+k] - d[i-k]) / (t[i+k] - t[i-k])`` with ``k = half_window`` (the
    window shrinks at the ends): the mean speed over 2k+1 samples, which at 1 Hz averages
    out the 2–5 m jitter of consumer GPS fixes without lagging the pace, and weights
    unevenly spaced samples (smart recording) by their time. Samples whose window has no
    time span or a missing distance get NaN. Against the device speed of the 19 corpus
    files that record both speed and positions, speed from positions this way is off by
    0.28 m/s on average (RMSE 0.59 m/s; a 3-sample mean of backward differences: 0.43 m/s,
    RMSE 10 m/s, blown up by sub-second samples).
    """
    d = np.asarray(distance_m, dtype=np.float64)
    t = np.asarray(t_s, dtype=np.float64)
    n = d.size
    if n < 2:
        return np.full(n, np.nan)
    i = np.arange(n)
    lo, hi = np.clip(i - half_window, 0, n - 1), np.clip(i + half_window, 0, n - 1)
    dt = t[hi] - t[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        speed = (d[hi] - d[lo]) / dt
    speed[~(dt > 0)] = np.nan
    return speed


def _repair_distance(a: dict[str, np.ndarray], *, factor: float = 3.0,
                     margin_mps: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """Distance with GPS-spike jumps removed, and the mask of repaired samples.

    An increment is a jump when it implies more than ``factor`` × the (spike-filtered)
    speed + ``margin_mps``; it is replaced by speed × time, and later samples shift with it.
    """
    dist, t, speed = a["distance_m"], a["t"], a["speed_mps"]
    n = dist.size
    if n < 2 or not np.isfinite(dist).any() or not np.isfinite(speed).any():
        return dist, np.zeros(n, dtype=bool)
    step = np.diff(dist, prepend=dist[:1])
    dt = np.diff(t, prepend=t[:1])
    with np.errstate(invalid="ignore"):
        jump = (step > (factor * speed + margin_mps) * dt) & np.isfinite(speed)
    if not jump.any():
        return dist, jump
    fixed = np.where(jump, speed * dt, step)
    first = np.flatnonzero(np.isfinite(dist))[0]
    out = dist[first] + np.nancumsum(np.where(np.arange(n) > first, fixed, 0.0))
    return np.where(np.isfinite(dist), out, np.nan), jump


def hampel(values: np.ndarray, *, half_window: int = 3, n_sigma: float = 3.0,
           floor: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Hampel filter: replace outliers by the median of their centred window.

    A sample is an outlier when ``|x - median| > max(n_sigma · 1.4826 · MAD, floor)`` in the
    window of ``2·half_window + 1`` samples around it (Pearson 2002, "Outliers in process
    modeling and identification"). Medians keep step changes (walk↔run) intact. NaN is
    ignored in windows and stays NaN.

    Returns
    -------
    (values, spikes) : (numpy.ndarray, numpy.ndarray of bool)
        Filtered copy and the outlier mask.
    """
    x = np.asarray(values, dtype=np.float64)
    n = x.size
    if n == 0 or not np.isfinite(x).any():
        return x.copy(), np.zeros(n, dtype=bool)
    h, w = half_window, 2 * half_window + 1
    view = np.lib.stride_tricks.sliding_window_view
    if n > 2 * h and np.isfinite(x).all():
        # fast path: full windows need no NaN handling (a median network over the window's
        # shifted copies, no per-row partition); the h edge windows either side (NaN-padded)
        # from the 2h samples at each end
        shifted = [x[i:n - 2 * h + i] for i in range(w)]
        med, mad = np.empty(n), np.empty(n)
        inner = med[h:n - h]
        inner[:] = _middle(shifted)
        mad[h:n - h] = _middle([np.abs(c - inner) for c in shifted])
        if h:
            pad = np.full(h, np.nan)
            edges = np.concatenate([view(np.concatenate([pad, x[:2 * h]]), w),
                                    view(np.concatenate([x[n - 2 * h:], pad]), w)])
            edge_med = _nanmedian_rows(edges)
            med[:h], med[n - h:] = edge_med[:h], edge_med[h:]
            edge_mad = _nanmedian_rows(np.abs(edges - edge_med[:, None]))
            mad[:h], mad[n - h:] = edge_mad[:h], edge_mad[h:]
    else:
        windows = view(np.pad(x, h, constant_values=np.nan), w)
        med = _nanmedian_rows(windows)
        mad = _nanmedian_rows(np.abs(windows - med[:, None]))
    threshold = np.maximum(n_sigma * 1.4826 * mad, floor)
    with np.errstate(invalid="ignore"):
        spikes = np.abs(x - med) > threshold
    spikes &= np.isfinite(x)
    out = np.where(spikes, med, x)
    return out, spikes


def _middle(arrays: list[np.ndarray]) -> np.ndarray:
    """Elementwise median of an odd number of equal-length arrays (no NaN): the middle
    output of a sorting network (:func:`_median_network`), or a partition past 15."""
    if len(arrays) > 15:
        return np.partition(np.stack(arrays, axis=1), len(arrays) // 2, axis=1)[
            :, len(arrays) // 2]
    c: list = list(arrays)
    for i, j, low, high in _median_network(len(c)):
        c[i], c[j] = (np.minimum(c[i], c[j]) if low else None,
                      np.maximum(c[i], c[j]) if high else None)
    return c[len(c) // 2]


@functools.cache
def _median_network(width: int) -> tuple[tuple[int, int, bool, bool], ...]:
    """Comparators (i, j, keep the min on i, keep the max on j) of Batcher's odd–even merge
    sort on ``width`` inputs (Knuth, TAOCP vol. 3, §5.3.4) that the middle output depends
    on (16 → 14 for a window of 7)."""
    size = 1 << max(width - 1, 0).bit_length()
    net, p = [], 1
    while p < size:
        k = p
        while k >= 1:
            for j in range(k % p, size - k, 2 * k):
                for i in range(min(k, size - j - k)):
                    if (i + j) // (2 * p) == (i + j + k) // (2 * p):
                        net.append((i + j, i + j + k))
            k //= 2
        p *= 2
    live, kept = {width // 2}, []
    for i, j in reversed([c for c in net if c[1] < width]):  # wires past width hold +inf
        if i in live or j in live:
            kept.append((i, j, i in live, j in live))
            live |= {i, j}
    return tuple(reversed(kept))


def _nanmedian_rows(windows: np.ndarray) -> np.ndarray:
    """Row medians ignoring NaN (sort-based; faster than ``np.nanmedian`` on short rows)."""
    s = np.sort(windows, axis=1)  # NaN sorts last
    count = np.isfinite(s).sum(axis=1)
    lo = np.maximum((count - 1) // 2, 0)
    hi = np.maximum(count // 2, 0)
    rows = np.arange(s.shape[0])
    med = 0.5 * (s[rows, lo] + s[rows, hi])
    return np.where(count > 0, med, np.nan)


def _seconds(every: str | float) -> float:
    if isinstance(every, (int, float)):
        step = float(every)
    else:
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min)?\s*", str(every))
        if not m:
            raise ValueError(f"every={every!r} is not a duration like '1s', '500ms' or 2.0")
        step = float(m.group(1)) * {"ms": 1e-3, "s": 1.0, None: 1.0, "m": 60.0,
                                    "min": 60.0}[m.group(2)]
    if not step > 0:
        raise ValueError(f"every={every!r} must be a positive duration")
    return step


def _resample(frame: pl.DataFrame, step_s: float, gap_s: float) -> pl.DataFrame:
    """Linear interpolation onto a regular grid; no grid points inside gaps > ``gap_s``."""
    if frame.height < 2:
        return frame
    t = seconds_since(frame["timestamp"])
    grid = np.arange(0.0, t[-1] + 1e-9, step_s)
    k = np.clip(np.searchsorted(t, grid, side="right") - 1, 0, len(t) - 1)
    k1 = np.minimum(k + 1, len(t) - 1)
    span = t[k1] - t[k]
    exact = np.isclose(grid, t[k], atol=1e-6)
    keep = exact | ((span > 0) & (span <= gap_s))
    grid, k, k1, span, exact = grid[keep], k[keep], k1[keep], span[keep], exact[keep]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(exact, 0.0, (grid - t[k]) / np.where(span > 0, span, 1.0))
    nearest = np.where(frac < 0.5, k, k1)
    start = frame["timestamp"][0]
    cols = [pl.Series("timestamp", (grid * 1e6).round().astype(np.int64))
            .cast(pl.Duration("us")).alias("timestamp")]
    for name, dtype in frame.schema.items():
        if name == "timestamp":
            continue
        if dtype == pl.Float64:
            v = frame[name].to_numpy().astype(np.float64)
            lo, hi = v[k], v[k1]
            cols.append(pl.Series(name, np.where(exact, lo, lo + (hi - lo) * frac))
                        .fill_nan(None))
        else:
            cols.append(frame[name].gather(nearest))
    return pl.DataFrame(cols).with_columns(pl.col("timestamp") + pl.lit(start))


def _pauses(a: dict[str, np.ndarray], timestamp: pl.Series, events: pl.DataFrame | None,
            gap_s: float, moving_speed_mps: float) -> tuple[np.ndarray, np.ndarray]:
    """``moving`` and ``sample_s`` from timer events, time gaps and speed/cadence."""
    t = a["t"]
    n = len(t)
    stopped_before = np.zeros(n, dtype=bool)  # last timer event before the sample is a stop
    stopped_at = np.zeros(n, dtype=bool)  # ... and none restarted it at the sample's time
    ev_t, ev_stop = _timer_events(events, timestamp)
    if ev_t.size and n:
        before = np.searchsorted(ev_t, t, side="left") - 1
        upto = np.searchsorted(ev_t, t, side="right") - 1
        stopped_before = (before >= 0) & ev_stop[np.maximum(before, 0)]
        stopped_at = (upto >= 0) & ev_stop[np.maximum(upto, 0)]
    paused = stopped_before & stopped_at
    dt = np.diff(t, prepend=t[:1]) if n else t
    # a long gap is a pause unless the distance covered across it says the runner kept going
    # (smart recording spaces samples up to ~15 s on a straight, steady stretch)
    dist = a["distance_m"]
    with np.errstate(invalid="ignore", divide="ignore"):
        across = np.diff(dist, prepend=dist[:1]) / np.where(dt > 0, dt, np.nan)
        kept_going = across >= moving_speed_mps
    with np.errstate(invalid="ignore"):
        stood = np.isfinite(across) & (across < moving_speed_mps)  # distance says: no travel
    gap = (dt > gap_s) & ~kept_going & ~stopped_before
    sample_s = np.where(stopped_before | gap, 0.0, dt)
    # a gap is a pause only when the distance says the runner stood; without distance it
    # is a recording gap (signal lost, watch asleep), counted apart
    recording_gap_s = np.where(gap & ~stood, dt, 0.0)
    speed, cad = a["speed_mps"], a["cadence_spm"]
    with np.errstate(invalid="ignore"):
        by_speed = speed >= moving_speed_mps
        by_cadence = cad >= MIN_STEPPING_SPM
    moving = np.where(np.isfinite(speed), by_speed,
                      np.where(np.isfinite(cad), by_cadence, True)) & ~paused
    return moving, sample_s, recording_gap_s


def _timer_events(events: pl.DataFrame | None, timestamp: pl.Series
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Times of timer start/stop events [s since the first record] and whether each stops."""
    if events is None or events.height == 0 or timestamp.len() == 0:
        return np.zeros(0), np.zeros(0, dtype=bool)
    for col in ("timestamp", "event", "event_type"):
        if col not in events.columns:
            raise SchemaError(f"events frame lacks column {col!r}; has {events.columns}")
    kind = events["event_type"].to_numpy().astype(str)
    t = seconds_since(events["timestamp"], timestamp)
    # set look-ups, not np.isin: a few events, where its setup costs more than the test
    keep = ((events["event"].to_numpy().astype(str) == "timer")
            & np.array([k in _TIMER_KINDS for k in kind], dtype=bool) & np.isfinite(t))
    order = np.argsort(t[keep], kind="stable")
    return t[keep][order], np.array([k in _TIMER_STOP for k in kind[keep][order]], dtype=bool)


def _grade(a: dict[str, np.ndarray], window_s: float, distance_m: float
           ) -> tuple[np.ndarray, np.ndarray]:
    """Smoothed ``altitude_m`` and ``grade_pct`` over ``distance_m`` of travel."""
    alt = a["altitude_m"]
    if not np.isfinite(alt).any():
        return alt, np.full(alt.size, np.nan)
    smooth = np.where(np.isfinite(alt), centred_mean(alt, window_s / 2, a["t"]), np.nan)
    dist = np.fmax.accumulate(np.nan_to_num(a["distance_m"], nan=-np.inf))
    dist = np.where(np.isfinite(dist), dist, 0.0)  # forward-filled, never runs backwards
    # a distance recorded only now and then (a watch writing it every few records) grew
    # in between as time went on, not all at once at the next record
    known = np.flatnonzero(np.isfinite(a["distance_m"]))
    if known.size >= 2 and known.size < known[-1] - known[0] + 1:
        inside = np.arange(known[0], known[-1])
        dist[inside] = np.interp(a["t"][inside], a["t"][known], dist[known])
    # the samples just outside ±distance_m/2 (inside when none is): with smart recording
    # (samples up to ~20 m apart) a window cut at the nearest inner sample is one-sided
    # and under-reads a short climb
    lo = np.clip(np.searchsorted(dist, dist - distance_m / 2, side="right") - 1, 0,
                 len(dist) - 1)
    hi = np.clip(np.searchsorted(dist, dist + distance_m / 2, side="left"), 0, len(dist) - 1)
    run = dist[hi] - dist[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        grade = np.where(run >= distance_m / 3, 100.0 * (smooth[hi] - smooth[lo]) / run, np.nan)
    return smooth, np.clip(grade, -45.0, 45.0)


#: ``gait`` labels by code (:func:`_gait` works on codes; :func:`_assemble` writes labels).
_GAIT_LABELS = ("stop", "run", "walk")
_STOP, _RUN, _WALK = range(3)


def _gait(a: dict[str, np.ndarray], min_segment_s: float, frame: pl.DataFrame) -> np.ndarray:
    """run/walk/stop codes (:data:`_GAIT_LABELS`): moving samples by the session's two-state
    model (:func:`runlab.walkrun.running_states`) on every gait feature the file holds."""
    if a["t"].size == 0:
        return np.zeros(0, dtype=np.int64)
    moving, cad = a["moving"], a["cadence_spm"]
    with np.errstate(invalid="ignore"):
        stepping = np.isfinite(cad) & (cad >= MIN_STEPPING_SPM)
    features = {"cadence_spm": np.where(stepping, cad, np.nan), "speed_mps": a["speed_mps"],
                "step_length_m": a["step_length_m"]}
    for col in ("stance_time_ms", "vertical_oscillation_mm"):
        if col in frame.columns:
            features[col] = frame[col].to_numpy().astype(np.float64)
    go = np.flatnonzero(moving)
    dt = np.diff(a["t"][go], prepend=a["t"][go][:1] if go.size else a["t"][:0])
    running = np.zeros(a["t"].size, dtype=bool)
    running[go] = running_states({k: v[go] for k, v in features.items()}, dt)
    label = np.where(~moving, _STOP, np.where(running, _RUN, _WALK))
    return _merge_short(label, a["sample_s"], min_segment_s)


def run_thresholds(cadence_spm: np.ndarray, *, min_samples: int = 60,
                   min_gap_spm: float = 15.0, band_spm: tuple[float, float] = (115.0, 140.0)
                   ) -> tuple[float, float]:
    """Walk→run and run→walk cadence thresholds for one session [steps/min].

    The default is enter > 140, leave < 130. A runner whose running cadence sits
    near or below 140 (slow, short-legged or very relaxed joggers: between-runner SD is
    ~8 spm) would flicker between walk and run, so when the session's moving cadence is
    clearly bimodal — Otsu's threshold (Otsu, 1979) splits it into a walking and a running
    mode at least ``min_gap_spm`` apart, each ≥ 5 % of samples, and the split lies in
    ``band_spm`` — the thresholds are the split ± 5 spm instead.

    Deprecated: ``clean`` labels walk and run with :func:`runlab.walkrun.running_states`
    and no longer uses these thresholds.
    """
    warnings.warn("clean.run_thresholds is deprecated: clean labels walk and run with "
                  "runlab.walkrun.running_states (a per-session two-state model)",
                  DeprecationWarning, stacklevel=2)
    c = np.asarray(cadence_spm, dtype=np.float64)
    c = c[np.isfinite(c)]
    if c.size < min_samples:
        return RUN_ENTER_SPM, RUN_LEAVE_SPM
    hist, edges = np.histogram(np.clip(c, 40.0, 240.0), bins=200, range=(40.0, 240.0))
    k = otsu_index(hist, edges)
    if k is None:
        return RUN_ENTER_SPM, RUN_LEAVE_SPM
    s0 = np.cumsum(hist * (edges[:-1] + edges[1:]) / 2)
    w0 = int(hist[:k + 1].sum())
    w1 = c.size - w0
    gap = (s0[-1] - s0[k]) / w1 - s0[k] / w0  # running-mode mean − walking-mode mean
    split = float(edges[k + 1])
    bimodal = (min(w0, w1) >= 0.05 * c.size and gap >= min_gap_spm
               and band_spm[0] <= split <= band_spm[1])
    return (split + 5.0, split - 5.0) if bimodal else (RUN_ENTER_SPM, RUN_LEAVE_SPM)


def _merge_short(label: np.ndarray, sample_s: np.ndarray, min_s: float) -> np.ndarray:
    """Merge run/walk bouts (codes) shorter than ``min_s`` into the previous (else next)
    bout."""
    starts, lengths = run_lengths(label)
    if starts.size <= 1:
        return label
    csum = np.concatenate([[0.0], np.cumsum(sample_s)])
    dur = csum[starts + lengths] - csum[starts]
    seg = label[starts].copy()
    short = (dur < min_s) & (seg != _STOP)
    if not short.any():
        return label
    for i in np.flatnonzero(short):  # segments are few; order matters, so a plain loop
        if i > 0 and seg[i - 1] != _STOP:
            seg[i] = seg[i - 1]
        elif i + 1 < seg.size and seg[i + 1] != _STOP and not short[i + 1]:
            seg[i] = seg[i + 1]
    return np.repeat(seg, lengths)
