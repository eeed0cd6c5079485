"""Cost of validated journal reading and safe appends, against plain peers in the same run.

- ``read``: :func:`runlab.read_journal` of an N-row journal CSV (every cell validated, line
  numbers kept) against ``polars.read_csv`` and ``pandas.read_csv`` of the same file
  (parsing only, no validation);
- ``append``: :func:`runlab.journal.append` (exclusive lock, copy, fsync, atomic rename)
  against a bare ``open(path, "a").write(row)`` without lock or fsync, on a journal of
  ``append_rows`` rows;
- ``chart``: :func:`runlab.charts.journal_calendar` built and serialised (``to_dict``).

Run: ``python benchmarks/journal.py [rows] [repeats]``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

import runlab
from runlab import charts, journal


def sample_journal(rows: int, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    start = date(2025, 1, 6)
    return pl.DataFrame({
        "date": [start + timedelta(days=int(d)) for d in rng.integers(0, 365, rows)],
        "runner_id": [f"R{int(r):03d}" for r in rng.integers(0, 200, rows)],
        "run_id": [f"run-{i}" for i in range(rows)],
        "perceived_tempo": rng.integers(1, 6, rows),
        "foot_strike": rng.choice(journal.FOOT_STRIKES, rows),
        "comfort": rng.integers(1, 6, rows),
        "rpe": rng.integers(0, 11, rows),
        "surface": rng.choice(journal.SURFACES, rows),
        "temperature_c": rng.uniform(-5, 35, rows).round(1),
        "humidity_pct": rng.uniform(10, 100, rows).round(0),
        "notes": rng.choice(["", "felt light", "hot, sticky", "quiet feet"], rows),
    })


def best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(rows: int = 20_000, repeats: int = 5, append_rows: int = 2_000,
         appends: int = 50) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = journal.write(Path(tmp) / "journal.csv", sample_journal(rows))
        t_ours = best(lambda: runlab.read_journal(path), repeats)
        t_pl = best(lambda: pl.read_csv(path), repeats)
        t_pd = best(lambda: pd.read_csv(path), repeats)
        print(f"read {rows} rows: runlab.read_journal {t_ours * 1e3:.1f} ms, "
              f"polars.read_csv {t_pl * 1e3:.1f} ms, pandas.read_csv {t_pd * 1e3:.1f} ms")
        print(f"  ratio read_journal / polars.read_csv = {t_ours / t_pl:.1f}; "
              f"/ pandas.read_csv = {t_ours / t_pd:.1f}")

        small = journal.write(Path(tmp) / "small.csv", sample_journal(append_rows, seed=1))
        plain = Path(tmp) / "plain.csv"
        plain.write_bytes(small.read_bytes())
        entry = {"date": "2025-06-02", "runner_id": "R001", "comfort": 4, "rpe": 3}
        row = "2025-06-02,R001,,,,4,3,,,,,,,,\n"

        def ours():
            for _ in range(appends):
                journal.append(small, entry)

        def bare():
            for _ in range(appends):
                with open(plain, "a") as fh:
                    fh.write(row)

        t_app, t_bare = best(ours, 1) / appends, best(bare, 1) / appends
        print(f"append to a {append_rows}-row journal: journal.append {t_app * 1e3:.2f} ms, "
              f"bare open('a').write {t_bare * 1e3:.3f} ms; ratio {t_app / t_bare:.0f} "
              "(lock + validation + fsync + atomic rename)")

        frame = runlab.read_journal(path)
        t_chart = best(lambda: charts.journal_calendar(frame).to_dict(), repeats)
        print(f"journal_calendar of {rows} entries built and serialised: "
              f"{t_chart * 1e3:.1f} ms; ratio / polars.read_csv = {t_chart / t_pl:.1f}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
