"""HuGaDB (Chereshnev & Kertész-Farkas 2018, doi:10.1007/978-3-319-73013-4_12) for
benchmarks/gait_steps.py: 18 people, IMUs strapped to both thighs, shins and feet, walking
and running (running "at various pace") labelled per sample. The thigh accelerometer is
the phone (front trouser pocket; strapped 5 cm above the knee, ±2 g range, so running
clips it); counted steps come from the FEET and SHINS only.

Reference steps in a labelled segment: for each foot, the mid-swing peaks of its gyroscope's
dominant axis (6-Hz low-pass; the stride period from the autocorrelation's highest peak at
0.45–1.6 s; peaks at least 0.6 of a stride apart and over 0.35 of the 98th percentile) —
one per stride. The same rule on each shin checks it: a segment's reference is kept only
when each leg's foot and shin counts agree within one stride and the two feet within one;
steps = left + right foot counts. The files carry no time stamps: the rate is the
README's samples per second (71,653 running samples in 1,218 s: 58.8 Hz)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
from scipy.signal import butter, find_peaks, sosfiltfilt

RATE_HZ = 58.8
LSB_PER_G = 16384.0  # int16 over ±2 g
LSB_PER_DPS = 16.4  # int16 over ±2000 °/s (the data set's ReadMe)
SENSORS = ("rf", "rs", "rt", "lf", "ls", "lt")  # the files' column order, 6 columns each
ACTIVITIES = {1: "walking", 2: "running"}
MIN_SEGMENT_S = {1: 10.0, 2: 5.0}


@cache
def load(path: Path) -> np.ndarray:
    """The 36 IMU columns and the activity code (last column) of one file, as floats."""
    return np.loadtxt(path, comments="#", skiprows=4, dtype=float, ndmin=2)


def segments(act: np.ndarray, code: int) -> list[tuple[int, int]]:
    """[start, end) sample ranges labelled ``code``."""
    d = np.diff(np.r_[0, (act == code).astype(int), 0])
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True))


def swing_count(a: np.ndarray, sensor: str, start: int, end: int) -> int:
    """Mid-swing peaks (one per stride) of ``sensor``'s dominant gyroscope axis in
    [start, end)."""
    i = SENSORS.index(sensor)
    g = a[start:end, 6 * i + 3: 6 * i + 6]
    x = sosfiltfilt(butter(2, 6.0, fs=RATE_HZ, output="sos"), g - g.mean(axis=0), axis=0)
    x = x[:, np.argmax(x.std(axis=0))]
    if abs(np.percentile(x, 1)) > abs(np.percentile(x, 99)):
        x = -x
    ac = np.correlate(x, x, "full")[x.size - 1:]
    lo, hi = int(0.45 * RATE_HZ), int(1.6 * RATE_HZ)
    stride = (lo + int(np.argmax(ac[lo:hi]))) / RATE_HZ
    peaks, _ = find_peaks(x, distance=max(1, int(0.6 * stride * RATE_HZ)),
                          height=0.35 * np.percentile(x, 98))
    return int(peaks.size)


def reference(a: np.ndarray, start: int, end: int) -> dict:
    """Reference steps of one segment from the feet, checked against the shins."""
    n = {s: swing_count(a, s, start, end) for s in ("rf", "lf", "rs", "ls")}
    ok = (abs(n["rf"] - n["rs"]) <= 1 and abs(n["lf"] - n["ls"]) <= 1
          and abs(n["rf"] - n["lf"]) <= 1)
    return {"steps": n["rf"] + n["lf"], "reference_ok": ok,
            "foot_shin_diff": abs(n["rf"] - n["rs"]) + abs(n["lf"] - n["ls"])}


def thigh(a: np.ndarray, side: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Time [s], the ``side`` ("r"/"l") thigh acceleration [m/s²] and its gyroscope [°/s]
    of a whole file."""
    i = SENSORS.index(f"{side}t")
    return (np.arange(len(a)) / RATE_HZ, a[:, 6 * i: 6 * i + 3] / LSB_PER_G * 9.80665,
            a[:, 6 * i + 3: 6 * i + 6] / LSB_PER_DPS)
