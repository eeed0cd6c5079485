"""Turns from a phone's gyroscope, for :func:`runlab.gait.steps`.

The phone's rotation about gravity — its gyroscope projected on gravity's direction (the
acceleration averaged over 2 s) — is the walker's turning rate wherever a trunk-worn phone
sits. Turns are stretches where that rate, averaged over 1 s (about a stride, so the
trunk's sway from step to step cancels), stays above :data:`TURN_RATE_DPS` and adds up to
at least :data:`TURN_MIN_DEG`: the lower-back yaw-rate turn detection of El-Gohary et al.
(2014, doi:10.3390/s140100356) and Pham et al. (2017, doi:10.3389/fneur.2017.00135), with
thresholds of our own.

That holds only while the phone rides steady on the trunk. On a thigh (a trouser pocket)
the phone swings through tens of degrees every stride, and its rotation leaks into the
projection on the 2-s gravity: strides read as turns. The gyroscope's rotation
perpendicular to gravity tells the two apart (:func:`steady`). Its RMS over a bout, in the
walkers developed on: a lower-back belt (IPOL gait data set 1) under 47 °/s in 90 % of
bouts (13–150), iPhones in trouser pockets (WeAllWalk) median 38, a thigh strapped above
the knee (HuGaDB) 77 °/s and more (median 177); :data:`STEADY_SWING_DPS` sits below the
thighs.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from runlab._series import centred_mean, run_lengths
from runlab.io.imu import GYRO

__all__ = ["GYRO_COLUMNS", "TURN_RATE_DPS", "TURN_MIN_DEG", "STEADY_SWING_DPS", "rotation_dps",
           "steady", "turns", "turn_steps"]

#: Gyroscope columns of an IMU frame (:func:`runlab.read_imu`), when the log has one.
GYRO_COLUMNS = tuple(GYRO)
#: Turning rate [°/s] (averaged over 1 s) above which the walker is turning.
TURN_RATE_DPS = 30.0
#: Smallest turn [°]: a U-turn is 180°, a corner 90°.
TURN_MIN_DEG = 60.0
#: RMS rotation perpendicular to gravity [°/s] under which a phone rides steady (a belt,
#: a hand held in front) rather than swinging with a limb.
STEADY_SWING_DPS = 60.0


def rotation_dps(imu: pl.DataFrame, t: np.ndarray, acc: np.ndarray, grid: np.ndarray,
                 in_gap: np.ndarray, rate_hz: float
                 ) -> tuple[np.ndarray, np.ndarray] | None:
    """The phone's rotation rate about gravity [°/s] on ``grid`` (zero in gaps and outside
    the gyroscope's own span) and the size of its rotation perpendicular to gravity [°/s]
    (NaN there), or None when the frame has no usable gyroscope: no gyroscope columns,
    fewer than 10 complete samples, or every axis constant (a placeholder)."""
    if not all(c in imu.columns for c in GYRO_COLUMNS):
        return None
    w = imu.select(GYRO_COLUMNS).to_numpy().astype(np.float64)
    ok = np.isfinite(w).all(axis=1)
    if ok.sum() < 10 or not (np.ptp(w[ok], axis=0) > 0).any():
        return None
    w_grid = np.column_stack([np.interp(grid, t[ok], w[ok, i]) for i in range(3)])
    raw = np.column_stack([np.interp(grid, t, acc[:, i]) for i in range(3)])
    g = np.column_stack([centred_mean(np.where(in_gap, np.nan, raw[:, i]), int(rate_hz))
                         for i in range(3)])
    g /= np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-9)
    g = np.nan_to_num(g)
    along = np.einsum("ij,ij->i", w_grid, g)
    swing = np.linalg.norm(w_grid - along[:, None] * g, axis=1)
    outside = (grid < t[ok][0]) | (grid > t[ok][-1]) | in_gap
    return (np.where(outside, 0.0, np.degrees(along)),
            np.where(outside, np.nan, np.degrees(swing)))


def steady(swing_dps: np.ndarray, *, max_dps: float = STEADY_SWING_DPS) -> bool:
    """Whether a stretch's rotation perpendicular to gravity (``swing_dps``, from
    :func:`rotation_dps`) has an RMS under ``max_dps``: the phone rides steady, so its
    rotation about gravity is the walker's turning. False where the gyroscope says nothing."""
    ok = np.isfinite(swing_dps)
    return bool(ok.any()) and float(np.sqrt(np.mean(swing_dps[ok] ** 2))) < max_dps


def turns(yaw_dps: np.ndarray, rate_hz: float, *, min_rate_dps: float = TURN_RATE_DPS,
          min_deg: float = TURN_MIN_DEG) -> list[tuple[int, int]]:
    """``(first, end)`` grid indexes of turns: the turning rate averaged over 1 s above
    ``min_rate_dps`` for a stretch that turns by at least ``min_deg`` in all."""
    fast = np.abs(centred_mean(yaw_dps, int(0.5 * rate_hz))) > min_rate_dps
    starts, lengths = run_lengths(fast)
    return [(int(s), int(s + n)) for s, n in zip(starts, lengths, strict=True)
            if fast[s] and abs(yaw_dps[s:s + n].sum()) / rate_hz >= min_deg]


def turn_steps(at: np.ndarray, landing: np.ndarray, span: tuple[int, int], period: float,
               *, floor: float = 0.1, spacing: float = 0.8) -> np.ndarray:
    """Steps ``at`` (grid indexes, sorted) with those inside the turn ``span`` replaced by
    its landings: the landing signal's peaks there reaching ``floor`` × the median landing
    at the steps, strongest first, each at least ``spacing`` × the step ``period``
    [samples] from every other step."""
    from scipy import signal

    lo, hi = span
    if at.size == 0:
        return at
    ref = float(np.median(landing[at]))
    chosen = list(at[(at < lo) | (at >= hi)])
    peaks, _ = signal.find_peaks(landing[lo:hi], height=floor * ref)
    peaks = peaks + lo
    for p in peaks[np.argsort(-landing[peaks], kind="stable")]:
        if not chosen or np.min(np.abs(np.asarray(chosen) - p)) >= spacing * period:
            chosen.append(int(p))
    return np.sort(np.asarray(chosen, np.int64))
