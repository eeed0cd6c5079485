"""The IPOL gait data set loader of benchmarks/gait_steps.py: counted steps are the
annotated footsteps of both feet, the lower-back file is read at 100 Hz in m/s², and the
hold-out list puts each subject in exactly one group (written in the data set's own
format; the real files are AGPL and stay outside the repository)."""

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import gait_steps


def _write_walk(root: Path, name: str, subject: int) -> None:
    data = root / "GaitData"
    data.mkdir(exist_ok=True)
    t = np.arange(600)
    acc = np.column_stack([9.81 + np.sin(2 * np.pi * 1.8 * t / 100), 0.1 * np.cos(t / 7),
                           np.full(t.size, 0.2)])
    rows = "\n".join("\t".join(f"{v:.6f}" for v in (i, *a, 0, 0, 0, 0, 0, 0))
                     for i, a in zip(t, acc, strict=True))
    (data / f"{name}_lb.txt").write_text(
        "Acquisition frequency: 100 Hz\nPacketCounter\tAcc_X\tAcc_Y\tAcc_Z\tGyr_X\tGyr_Y\t"
        f"Gyr_Z\tMag_X\tMag_Y\tMag_Z\n{rows}\n")
    # left steps at 1.0, 2.1, 3.2 s; right at 1.55, 2.65 s: 5 steps, 0.55 s apart
    (data / f"{name}.json").write_text(json.dumps(
        {"Subject": subject, "LeftFootEvents": [[100, 140], [210, 250], [320, 360]],
         "RightFootEvents": [[155, 195], [265, 305]], "Weight": float("nan")}))


def test_ipol_counted_steps_and_groups(tmp_path):
    _write_walk(tmp_path, "2-1", 2)
    _write_walk(tmp_path, "3-1", 3)
    recs = {r["rel"]: r for r in gait_steps.ipol_recordings(tmp_path)}
    assert recs["ipol/GaitData/2-1"]["set"] == "ipol fresh"
    assert recs["ipol/GaitData/3-1"]["set"] == "ipol dev"
    r = recs["ipol/GaitData/2-1"]
    assert r["steps"] == 5 and r["same_foot"] == 0
    assert abs(r["truth_cadence_spm"] - 60 / 0.55) < 0.01
    imu = gait_steps.read_ipol(r["path"])
    assert imu.height == 600
    assert abs(imu["time_s"][-1] - 5.99) < 1e-9
    assert abs(imu["acc_x_mps2"][0] - 9.81) < 1e-6  # m/s², not rescaled as g


def test_ipol_hold_out_list_splits_every_subject_once():
    fresh = gait_steps._held_out("ipol-fresh")
    dev = gait_steps._held_out("ipol-dev")
    subjects = sorted(int(p.split("/")[-1].split("-")[0]) for p in fresh + dev)
    assert subjects == list(range(1, 20))
