"""Walk/run segmentation where walking and jogging cadences overlap: accuracy per cadence
gap (jog − walk cadence), with speed, with running dynamics only, and with cadence only.

Sessions from :func:`runlab.simulate.walk_run_session` (walks 120–145 spm, jogs from 128
spm, 1:1, 2:1, 3:1 and 90 s:90 s, cadence noise SD 3 spm per second) are written as FIT
files, read back and cleaned; the share of seconds whose ``gait`` is right is scored with
5 s around each switch left out. Targets (issue 21): ≥ 95 % with speed or dynamics,
≥ 90 % cadence only.

Run: ``python benchmarks/validate_gait.py [--seeds 12]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_walkrun import gait_of_file, scored, session

GAPS_SPM = (0.0, 2.0, 4.0, 6.0, 8.0, 12.0, 20.0)
MODES = {"speed": {"speed": True}, "dynamics only": {"speed": False, "dynamics": True},
         "cadence only": {"speed": False}, "speed, smart recording":
         {"speed": True, "smart_recording": True}}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=12)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="runlab-gait-"))
    print(f"{'gap [spm]':>10} " + " ".join(f"{m:>24}" for m in MODES))
    for gap in GAPS_SPM:
        cells = []
        for kw in MODES.values():
            s = [scored(gait_of_file(folder, rec), rec, truth)
                 for rec, truth in (session(seed, gap, **kw) for seed in range(args.seeds))]
            cells.append(f"{np.mean(s):7.1%} (min {np.min(s):6.1%})")
        print(f"{gap:>10.0f} " + " ".join(f"{c:>24}" for c in cells), flush=True)


if __name__ == "__main__":
    main()
