"""Cohort ingest at scale: 2,000 one-hour FIT files on 2 workers.

Prints files/s end to end, peak memory of the whole process tree (and whether it grows with
the file count), the time of a re-run with nothing new, where a worker's time goes, and a
serial peer (fitparse, the most used Python FIT reader, on the same files) measured in the
same run.

    python benchmarks/ingest.py [--files 2000] [--workers 2] [--cache DIR]

The files are generated once (runlab.io.fit_write, 1 Hz records with GPS, speed,
cadence, heart rate and altitude) into the cache folder and reused.
Targets (issue 8): >= 50 files/s, peak < 1.5 GB and flat, re-run < 3 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import polars as pl
import psutil

from runlab import cohort

HOUR_S = 3600


def one_file(args: tuple[Path, int]) -> None:
    """Write the ``seed``-th one-hour run (unique content, 40 runners)."""
    from runlab.io.fit_write import write_activity

    folder, seed = args
    path = folder / f"r{seed % 40:03d}" / f"run{seed:05d}.fit"
    if path.exists():
        return
    rng = np.random.default_rng(seed)
    speed = np.clip(2.8 + 0.3 * rng.standard_normal() + 0.1 * rng.standard_normal(HOUR_S),
                    0.5, None)
    dist = np.cumsum(speed)
    start = pl.datetime(2026, 1, 1, 6, time_zone="UTC") + pl.duration(hours=seed)
    heading = rng.uniform(0, 2 * np.pi)
    rec = pl.select(timestamp=pl.datetime_range(start, start + pl.duration(seconds=HOUR_S - 1),
                                                "1s")).with_columns(
        distance_m=dist, speed_mps=speed,
        cadence_spm=150 + 6 * speed + 2 * rng.standard_normal(HOUR_S),
        heart_rate_bpm=130 + 10 * speed + 3 * rng.standard_normal(HOUR_S),
        altitude_m=100 + 20 * np.sin(dist / 800),
        lat_deg=48.1 + np.cos(heading) * dist / 111_000,
        lon_deg=11.5 + np.sin(heading) * dist / 74_000,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_activity(rec, path)


def generate(folder: Path, n: int, workers: int) -> float:
    t0 = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(one_file, [(folder, i) for i in range(n)], chunksize=20))
    return time.perf_counter() - t0


class TreeMemory:
    """Peak resident memory of this process plus all its children, sampled every 50 ms."""

    def __init__(self):
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                try:
                    total += proc.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            time.sleep(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def timed_ingest(source, store: Path, workers: int) -> tuple[float, int, float, cohort.Store]:
    """(wall seconds, peak RSS of the process tree, CPU seconds of the tree, store)."""
    before = os.times()
    with TreeMemory() as mem:
        t0 = time.perf_counter()
        st = cohort.ingest(source, store, workers=workers, progress=False)
        seconds = time.perf_counter() - t0
    after = os.times()  # pool workers are joined by now, so their CPU time is counted
    cpu = sum(getattr(after, a) - getattr(before, a)
              for a in ("user", "system", "children_user", "children_system"))
    return seconds, mem.peak, cpu, st


def profile_worker(files: list[Path], store: Path) -> dict[str, float]:
    """CPU time per file [s] of each step a worker runs (``cohort.worker._ingest_one``'s steps)."""
    import warnings

    import runlab

    steps = dict.fromkeys(["read (runlab.io.read_activity: FIT reader)", "clean (runlab.clean)",
                           "summarize (runlab.summarize)",
                           "records frame + parquet file (cohort.store._write_parquet)"], 0.0)
    names = list(steps)
    warnings.simplefilter("ignore")
    runlab.summarize(runlab.read_activity(files[0]))  # warm imports
    for f in files:
        t = time.process_time()
        act = runlab.read_activity(f)
        t = _lap(steps, names[0], t)
        cleaned = runlab.clean(act.records, events=act.events)
        t = _lap(steps, names[1], t)
        runlab.summarize(cleaned, run_id="x", runner_id="p")
        t = _lap(steps, names[2], t)
        stored = cleaned.with_columns(pl.lit("x").alias("run_id")).select(
            [pl.col(c).cast(d) for c, d in cohort.RECORDS_STORED.items()])
        cohort.store._write_parquet(stored, store / f"{f.stem}.parquet", durable=False)
        _lap(steps, names[3], t)
    return {k: v / len(files) for k, v in steps.items()}


def _lap(steps: dict[str, float], name: str, t: float) -> float:
    now = time.process_time()
    steps[name] += now - t
    return now


def fitparse_peer(files: list[Path]) -> float:
    """files/s of fitparse reading every record message of each file, serially."""
    import fitparse

    t0 = time.perf_counter()
    for f in files:
        rows = [m.get_values() for m in fitparse.FitFile(str(f)).get_messages("record")]
        assert rows
    return len(files) / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cache", type=Path,
                    default=Path(tempfile.gettempdir()) / "runlab-bench-ingest")
    args = ap.parse_args()
    src = args.cache / f"fit-{args.files}"
    took = generate(src, args.files, args.workers)
    files = sorted(src.rglob("*.fit"))
    size = sum(f.stat().st_size for f in files)
    print(f"{len(files)} one-hour FIT files, {size / 2**20:.0f} MiB "
          f"(generated/checked in {took:.1f} s) on {os.cpu_count()} CPUs, "
          f"{args.workers} workers")

    work = Path(tempfile.mkdtemp(prefix="runlab-bench-"))
    try:
        small = files[: len(files) // 4]
        _, peak_small, _, _ = timed_ingest(small, work / "small", args.workers)
        load0 = os.getloadavg()[0]
        seconds, peak, cpu, st = timed_ingest(src, work / "store", args.workers)
        load1 = os.getloadavg()[0]
        rate = len(files) / seconds
        assert st.runs.height == len(files), st.last_report.summary()
        again, peak_again, _, st2 = timed_ingest(src, work / "store", args.workers)
        assert st2.last_report.read == 0
        cpu_rate = args.workers / (cpu / len(files))
        print(f"ingest:   {rate:7.1f} files/s end to end ({seconds:.1f} s)   target >= 50  "
              f"{'OK' if rate >= 50 else 'MISSED'}   (machine load average {load0:.1f} → "
              f"{load1:.1f} on {os.cpu_count()} CPUs)")
        print(f"          {cpu / len(files) * 1000:7.1f} ms CPU per file (process tree) → "
              f"{cpu_rate:.0f} files/s if {args.workers} cores were free for it")
        print(f"memory:   peak {peak / 2**20:7.0f} MiB (process tree) for {len(files)} files, "
              f"{peak_small / 2**20:.0f} MiB for {len(small)}  ratio "
              f"{peak / peak_small:.2f}   target < 1536 MiB and flat  "
              f"{'OK' if peak < 1.5 * 2**30 and peak / peak_small < 1.25 else 'MISSED'}")
        print(f"re-run:   {again:7.2f} s with nothing new (peak {peak_again / 2**20:.0f} MiB)"
              f"   target < 3 s  {'OK' if again < 3 else 'MISSED'}")
        rec_bytes = sum(p.stat().st_size for p in (work / "store/records").rglob("*.parquet"))
        rows = st.records.select(pl.len()).collect().item()
        print(f"store:    {rec_bytes / 2**20:.0f} MiB of records parquet "
              f"({rec_bytes / size:.2f} × the FIT bytes), {rows:,} rows")

        sample = files[:40]
        peer = fitparse_peer(sample[:8])
        print(f"peer:     fitparse reads {peer:.2f} files/s serially (records only, no "
              f"cleaning or summary); runlab ingest is {rate / peer:.0f}× faster end to end")
        steps = profile_worker(sample, work / "profile")
        total = sum(steps.values())
        print(f"worker CPU per file, serial over {len(sample)} files: {total * 1000:.1f} ms")
        for label, share in steps.items():
            print(f"  {share * 1000:6.1f} ms {share / total:6.1%}  {label}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
