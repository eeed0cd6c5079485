"""runlab.gait.steps with a gyroscope: turns, and gyroscope columns in runlab.read_imu."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from runlab import gait
from runlab.errors import ReadError
from runlab.gait._turns import GYRO_COLUMNS, STEADY_SWING_DPS, rotation_dps, steady, turns
from runlab.io.imu import imu_from_arrays, read_imu
from runlab.simulate import phone_turn, phone_walk


def _in_turn(found: pl.DataFrame, t0: float, turn: np.ndarray) -> np.ndarray:
    at = found["time_s"].to_numpy() + t0
    return at[(at > turn[0]) & (at < turn[1])]


@pytest.mark.parametrize(("placement", "cadence"), [("pocket", 100.0), ("pocket", 115.0),
                                                    ("armband", 100.0)])
def test_u_turn_steps_are_found_where_they_land(placement, cadence):
    """A belt or pocket U-turn: two slow steps landing at 0.3 × a walking step, 0.9 s
    apart against 0.5–0.6 s. From the accelerometer alone the tracker keeps its rhythm
    into the turn and misses the soft landings (0–1 of the 2 steps in the turn); the
    gyroscope shows the turn and its landings are counted there."""
    for seed in range(5):
        t, x, y, z, gyro, steps, turn = phone_turn(cadence_spm=cadence, placement=placement,
                                                   seed=seed)
        found = gait.steps(imu_from_arrays(t, x, y, z, gyro=gyro.T))
        inside = _in_turn(found, t[0], turn)
        true_inside = steps[(steps > turn[0]) & (steps < turn[1])]
        assert inside.size == true_inside.size == 2, (seed, inside, true_inside)
        assert np.abs(inside - true_inside).max() < 0.1
        assert found.height == pytest.approx(steps.size, rel=0.03)
        assert (found["placement"] == "trunk").all()


def test_gyroscope_leaves_a_limb_bout_to_the_tracker():
    """A thigh pocket's landings alternate strong and weak: in a turn its weak landings
    are no guide, so a limb bout keeps the tracked steps — the count is the
    accelerometer's own."""
    t, x, y, z, gyro, _, _ = phone_turn(cadence_spm=110.0, placement="thigh", seed=1)
    with_gyro = gait.steps(imu_from_arrays(t, x, y, z, gyro=gyro.T))
    without = gait.steps(imu_from_arrays(t, x, y, z))
    assert (with_gyro["placement"] == "limb").all()
    assert with_gyro.equals(without)


def test_a_swinging_phone_leaves_turns_to_the_tracker():
    """A phone that swings with a limb (a thigh pocket: here 150 °/s once a stride,
    perpendicular to gravity) reads strides as turns about a wobbling gravity — on real
    thighs (HuGaDB) the turn rule dropped a fifth of a walk's steps. Its bout is left to
    the tracker, even where the accelerometer calls it trunk."""
    for seed in range(3):
        t, x, y, z, gyro, _, _ = phone_turn(cadence_spm=110.0, placement="pocket",
                                            swing_dps=150.0, seed=seed)
        with_gyro = gait.steps(imu_from_arrays(t, x, y, z, gyro=gyro.T))
        assert (with_gyro["placement"] == "trunk").all()
        assert with_gyro.equals(gait.steps(imu_from_arrays(t, x, y, z)))


def test_steady_is_the_rms_swing_below_its_limit():
    assert steady(np.full(100, STEADY_SWING_DPS - 1.0))
    assert not steady(np.full(100, STEADY_SWING_DPS + 1.0))
    assert not steady(np.r_[np.full(50, 10.0), np.full(50, 120.0)])  # RMS 85
    assert not steady(np.full(10, np.nan))  # the gyroscope says nothing


def test_turns_are_found_from_rotation_about_gravity():
    t, x, y, z, gyro, _, turn = phone_turn(seed=2)
    imu = imu_from_arrays(t, x, y, z, gyro=gyro.T)
    acc = imu.select("acc_x_mps2", "acc_y_mps2", "acc_z_mps2").to_numpy()
    grid = np.arange(0.0, imu["time_s"][-1], 0.02)
    yaw, swing = rotation_dps(imu, imu["time_s"].to_numpy(), acc, grid,
                              np.zeros(grid.size, bool), 50.0)
    assert steady(swing)  # noise only: no limb swing
    found = turns(yaw, 50.0)
    assert len(found) == 1  # the trunk's sway from step to step is no turn
    a, b = (grid[i] + t[0] for i in (found[0][0], found[0][1] - 1))
    assert turn[0] < a < b < turn[1] and b - a > 0.5 * (turn[1] - turn[0])
    assert abs(yaw[found[0][0]:found[0][1]].sum() / 50.0) == pytest.approx(180, abs=40)


def _walk_frame(gyro):
    t, x, y, z, _ = phone_walk(30, 110.0, seed=4)
    return t, x, y, z, imu_from_arrays(t, x, y, z, gyro=gyro(t)), imu_from_arrays(t, x, y, z)


def test_all_missing_gyroscope_reads_as_accelerometer_only():
    *_, imu, plain = _walk_frame(lambda t: [np.full(t.size, np.nan)] * 3)
    assert imu.columns == plain.columns  # no gyroscope columns at all
    assert gait.steps(imu).equals(gait.steps(plain))


def test_constant_or_partial_gyroscope_is_a_clear_result():
    *_, const, plain = _walk_frame(lambda t: [np.full(t.size, 0.01)] * 3)
    assert all(c in const.columns for c in GYRO_COLUMNS)
    assert gait.steps(const).equals(gait.steps(plain))  # a placeholder: ignored
    # a gyroscope that starts late and drops out: no turn where it says nothing
    rng = np.random.default_rng(0)
    *_, partial, _ = _walk_frame(lambda t: [np.where((t > 10) & (t < 20), rng.normal(0, 0.3, t.size),
                                                     np.nan) for _ in range(3)])
    assert partial["gyro_x_rad_s"].null_count() > 0
    steps = gait.steps(partial)
    assert steps.height == pytest.approx(gait.steps(plain).height, abs=2)


def test_gyroscope_of_another_length_is_a_read_error():
    t, x, y, z, _ = phone_walk(10, 110.0)
    with pytest.raises(ReadError, match="gyroscope has"):
        imu_from_arrays(t, x, y, z, gyro=[np.zeros(t.size // 2)] * 3)


@pytest.mark.parametrize(("header", "factor"), [
    ("t,ax,ay,az,gx,gy,gz", 180 / np.pi),  # no unit in the names: °/s by the values
    ("time_s,acc_x,acc_y,acc_z,gyro_x_rad_s,gyro_y_rad_s,gyro_z_rad_s", 1.0),
    ("Time (s),Acceleration x (m/s^2),Acceleration y (m/s^2),Acceleration z (m/s^2),"
     "Gyroscope x (deg/s),Gyroscope y (deg/s),Gyroscope z (deg/s)", 180 / np.pi),
])
def test_read_imu_reads_gyroscope_columns_in_rad_s(tmp_path, header, factor):
    t, x, y, z, gyro, *_ = phone_turn(seed=0)
    table = np.column_stack([t, x, y, z, gyro * factor])
    path = tmp_path / "log.csv"
    np.savetxt(path, table, delimiter=",", header=header, comments="", fmt="%.6f")
    imu = read_imu(path)
    assert np.allclose(imu.select(GYRO_COLUMNS).to_numpy(), gyro, atol=2e-5 * factor)
    assert gait.steps(imu).height == gait.steps(imu_from_arrays(t, x, y, z, gyro=gyro.T)).height


def test_sensor_logger_json_gyroscope_at_its_own_rate(tmp_path):
    """Sensor Logger samples the gyroscope apart from the accelerometer (here at half the
    rate, on other instants): it is interpolated to the accelerometer's times."""
    t, x, y, z, gyro, steps, turn = phone_turn(seed=3)
    ns = 1_755_000_000_000_000_000 + np.round(t * 1e9).astype(np.int64)
    records = [{"sensor": "TotalAcceleration", "time": str(n), "x": str(a), "y": str(b),
                "z": str(c)} for n, a, b, c in zip(ns, x, y, z, strict=True)]
    records += [{"sensor": "Gyroscope", "time": str(n + 3_000_000), "x": str(a), "y": str(b),
                 "z": str(c)} for n, (a, b, c) in zip(ns[::2], gyro[::2], strict=True)]
    (tmp_path / "log.json").write_text(json.dumps(records))
    imu = read_imu(tmp_path / "log.json")
    assert imu.height == t.size and all(c in imu.columns for c in GYRO_COLUMNS)
    assert imu["gyro_x_rad_s"][0] is None  # before the gyroscope's first sample
    found = gait.steps(imu)
    assert _in_turn(found, t[0], turn).size == 2
