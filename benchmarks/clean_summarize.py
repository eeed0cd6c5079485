"""Cost of cleaning and summarizing a run relative to reading it, measured in the same run.

A synthetic 60-minute 1 Hz walk–run session (GPS, altitude with hill repeats, distance,
speed, heart rate, cadence with spikes, a timer pause) is written as a FIT file with
:func:`runlab.io.fit_write.write_activity`. The script times, best of N:

- ``read``: :func:`runlab.read_activity` of that file;
- ``clean``: :func:`runlab.clean` of its records and events;
- ``summarize``: :func:`runlab.summarize` of the cleaned records (gait segments, walk–run
  pattern, strides, hills, drift, easy flag);

in interleaved rounds, and prints the ratio (clean + summarize) / read. The target is ≤ 2.
The ratio is printed twice: from wall time and from the process's CPU time
(:func:`time.process_time`, every thread of the process). On a machine shared with other
work the wall times include waiting for a core, which need not hit the three alike; the CPU
times do not.

Run: ``python benchmarks/clean_summarize.py [minutes] [repeats]``.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import polars as pl

import runlab
from runlab import schema
from runlab.errors import DataRepairWarning
from runlab.io.fit_write import write_activity


def walk_run_session(minutes: int, seed: int = 0) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Records and timer events of a 1 Hz 3:1 walk–run session of ``minutes``."""
    n = minutes * 60
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    running = (t // 60) % 4 != 3  # 3 min run, 1 min walk
    speed = np.where(running, 2.8, 1.4) + rng.normal(0, 0.08, n)
    cadence = np.where(running, 166.0, 112.0) + rng.normal(0, 3, n)
    cadence[rng.choice(n, 20, replace=False)] = 0.0  # dropouts: spikes for the filter
    heading = np.cumsum(rng.normal(0, 0.02, n))
    north, east = np.cumsum(speed * np.cos(heading)), np.cumsum(speed * np.sin(heading))
    t0 = dt.datetime(2026, 5, 1, 6, 0, tzinfo=dt.UTC)
    records = schema.conform(pl.DataFrame({
        "timestamp": pl.Series([t0 + dt.timedelta(seconds=int(s)) for s in t]),
        "elapsed_s": t.astype(float),
        "lat_deg": 47.37 + north / 111_195.0,
        "lon_deg": 8.54 + east / (111_195.0 * np.cos(np.radians(47.37))),
        "altitude_m": 410 + 8 * np.abs(np.sin(t / 120)),
        "distance_m": np.cumsum(speed),
        "speed_mps": speed,
        "heart_rate_bpm": np.round(120 + 20 * running + rng.normal(0, 2, n)),
        "cadence_spm": 2 * np.round(cadence / 2),
    }), "records")
    events = schema.conform(pl.DataFrame({
        "timestamp": [t0 + dt.timedelta(seconds=s) for s in (0, 1800, 1860)],
        "event": ["timer"] * 3, "event_type": ["start", "stop", "start"]}), "events")
    return records, events


def best_of(fns: dict, repeat: int) -> tuple[dict[str, float], dict[str, float]]:
    """Best wall and best CPU time of each function over ``repeat`` rounds [s]; the
    functions take turns within a round, so a burst of load on the machine hits them
    alike."""
    wall, cpu = dict.fromkeys(fns, float("inf")), dict.fromkeys(fns, float("inf"))
    for _ in range(repeat):
        for name, fn in fns.items():
            c0, w0 = time.process_time(), time.perf_counter()
            fn()
            wall[name] = min(wall[name], time.perf_counter() - w0)
            cpu[name] = min(cpu[name], time.process_time() - c0)
    return wall, cpu


def main(minutes: int = 60, repeat: int = 20) -> float:
    warnings.simplefilter("ignore", DataRepairWarning)
    records, events = walk_run_session(minutes)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_activity(records, Path(tmp) / "session.fit", events=events)
        act = runlab.read_activity(path)
        cleaned = runlab.clean(act.records, act.events)
        best, cpu = best_of({"read": lambda: runlab.read_activity(path),
                             "clean": lambda: runlab.clean(act.records, act.events),
                             "summarize": lambda: runlab.summarize(cleaned)}, repeat)
    t_read, t_clean, t_sum = best["read"], best["clean"], best["summarize"]
    ratio = (t_clean + t_sum) / t_read
    print(f"{minutes}-min 1 Hz FIT, {act.records.height} records, best of {repeat}")
    print("                    wall      CPU")
    for label, key in (("read_activity", "read"), ("clean", "clean"), ("summarize", "summarize")):
        print(f"  {label:14s}{best[key] * 1e3:7.1f} ms{cpu[key] * 1e3:7.1f} ms")
    print(f"  (clean + summarize) / read = {ratio:.2f} (wall), "
          f"{(cpu['clean'] + cpu['summarize']) / cpu['read']:.2f} (CPU)  (target <= 2)")
    return ratio


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*args)
