"""Phone step counts against counted steps: runlab.gait.steps per carrying position and
per person, the tuning recordings and the held-out ones (benchmarks/gait_steps_holdout.tsv,
fixed before tuning) reported apart.

Data: the Oxford Step Counter data set (Salvi et al., CC-BY-4.0), a checkout of
https://github.com/Oxford-step-counter/DataSet. ``optimisation/`` walks are counted in
``optimisation/stats.csv``; ``validation/`` walks carry the count in the last row.

Run: ``python benchmarks/gait_steps.py PATH/TO/DataSet [--method peaks]``.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
from pathlib import Path

import numpy as np
import polars as pl

from runlab import gait
from runlab.io.imu import read_imu

HOLDOUT = Path(__file__).with_name("gait_steps_holdout.tsv")


def recordings(root: Path) -> list[dict]:
    out = []
    stats = pl.read_csv(root / "optimisation" / "stats.csv", has_header=True,
                        new_columns=["dir", "user", "phone", "position", "surface", "s",
                                     "steps"])
    for r in stats.iter_rows(named=True):
        path = root / "optimisation" / "data" / r["dir"].strip() / "accelerometer.csv"
        if path.exists() and path.stat().st_size:
            out.append({"path": path, "rel": f"optimisation/data/{r['dir'].strip()}",
                        "person": r["user"].strip(), "position": r["position"].strip().lower(),
                        "steps": int(r["steps"])})
    for path in sorted((root / "validation").glob("user*.csv")):
        user, position = path.name.split("_")[:2]
        last = path.read_text().strip().splitlines()[-1].split(",")
        out.append({"path": path, "rel": f"validation/{path.name}", "person": user,
                    "position": position.replace("hand", "inhand"), "steps": int(last[5])})
    held = [line.split("\t")[1] for line in HOLDOUT.read_text().splitlines()
            if line and not line.startswith(("#", "set\t"))]
    for r in out:
        r["set"] = "held out" if any(fnmatch.fnmatch(r["rel"], p) for p in held) else "tuned"
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("root", type=Path)
    ap.add_argument("--method", default="autocorrelation", choices=gait.phone.STEP_METHODS)
    args = ap.parse_args()
    rows = []
    for r in recordings(args.root):
        found = gait.steps(read_imu(r["path"]), method=args.method)
        rows.append({**{k: r[k] for k in ("set", "person", "position", "steps")},
                     "found": found.height, "error_pct": 100 * (found.height / r["steps"] - 1),
                     "placement": found["placement"].mode().first() if found.height else "",
                     "file": os.path.basename(str(r["rel"]))})
    df = pl.DataFrame(rows)
    with pl.Config(tbl_rows=100, tbl_cols=20, fmt_str_lengths=40):
        print(df.sort("set", "person", "position"))
        for key in ("position", "person"):
            print(df.group_by("set", key).agg(
                n=pl.len(), mean_error_pct=pl.col("error_pct").mean().round(1),
                worst_pct=pl.col("error_pct").abs().max().round(1),
                within_3pct=(pl.col("error_pct").abs() <= 3).sum()).sort("set", key))
    for name, part in df.group_by("set"):
        e = part["error_pct"].to_numpy()
        print(f"{name[0]}: {len(e)} walks, {np.mean(np.abs(e) <= 3):.0%} within ±3 %, "
              f"mean |error| {np.mean(np.abs(e)):.1f} %, worst {np.max(np.abs(e)):.1f} %")


if __name__ == "__main__":
    main()
