"""The HuGaDB loader of benchmarks/gait_steps.py: reference steps come from the foot
gyroscopes, one per mid-swing peak, kept only where the shins agree; the thigh
accelerometer is read in m/s² (int16 over ±2 g). Written in the data set's own format
(the real files carry no licence and stay outside the repository)."""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import _hugadb
import gait_steps


def _write(root: Path, name: str, shin_hz: float = 1.5) -> None:
    """10 s standing, 12 s running (strides at 1.5 Hz: 18 per foot), 10 s standing."""
    rate = _hugadb.RATE_HZ
    n0, n1 = int(10 * rate), int(12 * rate)
    n = 2 * n0 + n1
    t = np.arange(n) / rate
    act = np.full(n, 8)
    act[n0:n0 + n1] = 2
    moving = act == 2
    cols = np.zeros((n, 36))
    for i, sensor in enumerate(_hugadb.SENSORS):
        cols[:, 6 * i + 2] = 16384.0  # 1 g on z
        hz = shin_hz if sensor.endswith("s") else 1.5
        phase = 0.0 if sensor.startswith("r") else np.pi
        cols[:, 6 * i + 4] = np.where(moving, 8000 * np.sin(2 * np.pi * hz * t + phase), 0)
    rows = np.column_stack([cols, np.full((n, 2), 120), act]).astype(int)
    header = "\t".join(f"{k}_{s}_{a}" for s in _hugadb.SENSORS for k in ("acc", "gyro")
                       for a in "xyz") + "\tEMG_r\tEMG_l\tact"
    body = "\n".join("\t".join(map(str, r)) for r in rows)
    (root / name).write_text("#Activity\tstanding running standing \n#ActivityID\t8 2 8 \n"
                             f"#Date 01-01-00-00\n{header}\n{body}\n")


def test_reference_steps_from_the_feet(tmp_path):
    _write(tmp_path, "HuGaDB_v1_various_02_00.txt")
    recs = gait_steps.hugadb_segments(tmp_path)
    assert [(r["side"], r["activity"], r["set"]) for r in recs] == [
        ("r", "running", "hugadb fresh"), ("l", "running", "hugadb fresh")]
    r = recs[0]
    assert r["reference_ok"] and abs(r["steps"] - 36) <= 2
    assert abs(r["window"][1] - r["window"][0] - 12.0) < 0.05
    imu = gait_steps.read_hugadb(r["path"], "r")
    assert abs(imu["acc_z_mps2"][0] - 9.80665) < 1e-6


def test_reference_dropped_when_the_shins_disagree(tmp_path):
    _write(tmp_path, "HuGaDB_v1_various_03_00.txt", shin_hz=1.2)
    recs = gait_steps.hugadb_segments(tmp_path)
    assert recs and not any(r["reference_ok"] for r in recs)
    assert all(r["set"] == "hugadb dev" for r in recs)
