"""Simulator and FIT-writer speed: a 40-runner × 12-week cohort written as files, and
runlab's FIT writer against the Garmin FIT SDK ``Encoder`` on the same activity.

1. ``simulate.cohort(40, 12)`` (truth only), then ``Cohort.write`` with 2 worker processes
   (≈ 1,500 FIT/TCX/GPX files + journal): the target (issue 7) is under 60 s on 2 cores.
2. One 60-minute 1 Hz activity encoded by ``runlab.io.fit_write.write_activity_bytes``
   (numpy structured rows) and by the official SDK ``Encoder`` (one dict per record), both
   in this run; both outputs are decoded by the SDK to check they hold the same records.

Run: ``python benchmarks/simulate.py`` (needs the ``test`` extra for the SDK).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import timeit
from pathlib import Path

import numpy as np
import polars as pl

from runlab import simulate
from runlab.io.fit_write import write_activity_bytes

N_RUNNERS, WEEKS, WORKERS = 40, 12, 2


def cohort_timing() -> None:
    t0 = time.perf_counter()
    c = simulate.cohort(N_RUNNERS, WEEKS, seed=1)
    t_truth = time.perf_counter() - t0
    folder = Path(tempfile.mkdtemp(prefix="runlab-bench-"))
    try:
        t0 = time.perf_counter()
        c.write(folder, workers=WORKERS)
        t_write = time.perf_counter() - t0
        files = [p for p in folder.rglob("*") if p.is_file()]
        size = sum(p.stat().st_size for p in files)
        counts = c.runs["format"].value_counts().sort("format")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    per = ", ".join(f"{r['count']} {r['format']}" for r in counts.iter_rows(named=True))
    print(f"cohort {N_RUNNERS} runners x {WEEKS} weeks: {c.runs.height} runs ({per}), "
          f"{size / 2**20:.0f} MiB")
    print(f"  truth (simulate.cohort):        {t_truth:6.2f} s")
    print(f"  write ({WORKERS} workers, files+journal): {t_write:6.2f} s  "
          f"({1000 * t_write / c.runs.height:.1f} ms/run; target < 60 s)  "
          f"cpus={os.cpu_count()}")


def activity(n: int = 3600) -> pl.DataFrame:
    c = simulate.cohort(1, 1, seed=2, quirks=False)
    row = c.runs.row(0, named=True)
    rec = c.records(row["run_id"])
    reps = -(-n // rec.height)
    frames = [rec.with_columns(pl.col("timestamp") + pl.duration(seconds=i * rec.height))
              for i in range(reps)]
    return pl.concat(frames).head(n)


def sdk_encode(rec: pl.DataFrame) -> bytes:
    from garmin_fit_sdk import Encoder, Profile

    num = {name: k for k, name in Profile["types"]["mesg_num"].items()}
    enc = Encoder()
    start = rec["timestamp"][0]
    enc.on_mesg(num["file_id"], {"type": "activity", "manufacturer": "development",
                                 "product": 0, "serial_number": 1, "time_created": start})
    semi = 2**31 / 180
    for r in rec.iter_rows(named=True):
        strides = r["cadence_spm"] / 2
        enc.on_mesg(num["record"], {
            "timestamp": r["timestamp"], "position_lat": round(r["lat_deg"] * semi),
            "position_long": round(r["lon_deg"] * semi), "distance": r["distance_m"],
            "enhanced_speed": r["speed_mps"], "enhanced_altitude": r["altitude_m"],
            "heart_rate": int(r["heart_rate_bpm"]), "cadence": int(strides),
            "fractional_cadence": strides - int(strides),
            "temperature": int(r["temperature_c"])})
    return enc.close()


def writer_timing() -> None:
    from garmin_fit_sdk import Decoder, Stream

    rec = activity().select("timestamp", "distance_m", "speed_mps", "cadence_spm",
                            "heart_rate_bpm", "altitude_m", "lat_deg", "lon_deg",
                            "temperature_c")
    ours = min(timeit.repeat(lambda: write_activity_bytes(rec), number=1, repeat=5))
    theirs = min(timeit.repeat(lambda: sdk_encode(rec), number=1, repeat=2))
    a, b = write_activity_bytes(rec), sdk_encode(rec)
    ra = Decoder(Stream.from_byte_array(bytearray(a))).read()[0]["record_mesgs"]
    rb = Decoder(Stream.from_byte_array(bytearray(b))).read()[0]["record_mesgs"]
    def spm(m: dict) -> float:
        return 2 * (m["cadence"] + m["fractional_cadence"])

    same = len(ra) == len(rb) and all(
        np.isclose(x["enhanced_speed"], y["enhanced_speed"]) and x["timestamp"] == y["timestamp"]
        and abs(spm(x) - spm(y)) <= 1 / 64 + 1e-9 for x, y in zip(ra, rb, strict=True))
    print(f"FIT encode, {rec.height} records (60 min at 1 Hz), same records decoded: {same}")
    print(f"  runlab write_activity_bytes: {1000 * ours:8.1f} ms  ({len(a)} bytes, "
          "with laps/session/activity)")
    print(f"  garmin_fit_sdk Encoder:      {1000 * theirs:8.1f} ms  ({len(b)} bytes)  "
          f"ratio {theirs / ours:.0f}x slower")


if __name__ == "__main__":
    writer_timing()
    cohort_timing()
