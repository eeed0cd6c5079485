"""runlab.read_imu (phyphox, Sensor Logger, generic logs) and runlab.gait.steps."""

from __future__ import annotations

import datetime as dt
import json
import warnings

import numpy as np
import polars as pl
import pytest
from conftest import corpus_params

import runlab
from runlab import gait
from runlab.errors import DataRepairWarning, ReadError
from runlab.io.imu import STANDARD_GRAVITY_MPS2, read_imu
from runlab.simulate import phone_walk

G = STANDARD_GRAVITY_MPS2


# --- readers --------------------------------------------------------------------------------


def test_phyphox_csv_comma_and_semicolon_decimal_comma(tmp_path):
    t, x, y, z, _ = phone_walk(20)
    head = ('"Time (s)","Acceleration x (m/s^2)","Acceleration y (m/s^2)",'
            '"Acceleration z (m/s^2)","Absolute acceleration (m/s^2)"')
    rows = [f"{a:.6E},{b:.6E},{c:.6E},{d:.6E},{np.sqrt(b*b+c*c+d*d):.6E}"
            for a, b, c, d in zip(t, x, y, z, strict=True)]
    (tmp_path / "comma.csv").write_text("\n".join([head, *rows]))
    semi = [r.replace(",", ";").replace(".", ",") for r in rows]
    (tmp_path / "semi.csv").write_text("\n".join([head.replace(",", ";"), *semi]))
    tab = [r.replace(",", "\t") for r in rows]
    (tmp_path / "tab.csv").write_text("\n".join([head.replace(",", "\t"), *tab]))
    frames = [read_imu(tmp_path / n) for n in ("comma.csv", "semi.csv", "tab.csv")]
    for f in frames:
        assert f.columns == ["time_s", "timestamp", "acc_x_mps2", "acc_y_mps2", "acc_z_mps2"]
        assert f.height == t.size and f["timestamp"].null_count() == t.size  # relative
        assert np.allclose(f["acc_z_mps2"], z, rtol=1e-5)
        assert np.allclose(f["time_s"], t - t[0], atol=1e-5)


def test_sensor_logger_csv_and_json(tmp_path):
    t, x, y, z, _ = phone_walk(20)
    start_ns = 1_755_000_000_000_000_000  # 2025-08-12 UTC in ns
    ns = start_ns + np.round(t * 1e9).astype(np.int64)
    frame = pl.DataFrame({"time": ns, "seconds_elapsed": t, "z": z, "y": y, "x": x})
    frame.write_csv(tmp_path / "TotalAcceleration.csv")
    csv = read_imu(tmp_path / "TotalAcceleration.csv")
    assert csv["timestamp"][0] == dt.datetime(2025, 8, 12, 12, 0, tzinfo=dt.UTC) + \
        dt.timedelta(seconds=float(t[0]))
    assert np.allclose(csv["acc_x_mps2"], x) and np.allclose(csv["acc_z_mps2"], z)
    records = [{"sensor": "Gravity", "time": str(n), "seconds_elapsed": str(s), "x": "0",
                "y": "0", "z": str(G)} for n, s in zip(ns[:50], t[:50], strict=True)]
    records += [{"sensor": "TotalAcceleration", "time": str(n), "seconds_elapsed": str(s),
                 "x": str(a), "y": str(b), "z": str(c)}
                for n, s, a, b, c in zip(ns, t, x, y, z, strict=True)]
    (tmp_path / "log.json").write_text(json.dumps(records))
    js = read_imu(tmp_path / "log.json")
    assert js.height == t.size and np.allclose(js["acc_y_mps2"], y)
    assert js["timestamp"].equals(csv["timestamp"])


@pytest.mark.parametrize(("unit", "factor"), [("s", 1.0), ("ms", 1e3), ("us", 1e6),
                                              ("ns", 1e9)])
def test_generic_logs_time_units_found(tmp_path, unit, factor):
    t, x, y, z, _ = phone_walk(10, rate_hz=50.0)
    raw = np.round(1000 + t * factor, 6 if unit == "s" else 0)  # since boot
    pl.DataFrame({"t": raw, "ax": x, "ay": y, "az": z}).write_csv(tmp_path / "h.csv")
    pl.DataFrame({"a": raw, "b": x, "c": y, "d": z}).write_csv(tmp_path / "n.csv",
                                                               include_header=False)
    for name in ("h.csv", "n.csv"):
        f = read_imu(tmp_path / name)
        assert f["time_s"][-1] == pytest.approx(t[-1] - t[0], abs=2e-3)


def test_g_units_converted_and_headerless_extra_columns_skipped(tmp_path):
    t, x, y, z, _ = phone_walk(10)
    ms = np.round(t * 1000).astype(np.int64)
    # time, an integer accuracy column, x, y, z in g, a step counter
    rows = [f"{a},3,{b / G:.6f},{c / G:.6f},{d / G:.6f},{i // 50}"
            for i, (a, b, c, d) in enumerate(zip(ms, x, y, z, strict=True))]
    (tmp_path / "g.csv").write_text("\n".join(rows))
    f = read_imu(tmp_path / "g.csv")
    assert np.allclose(f["acc_z_mps2"], z, atol=1e-3)


def test_two_row_header_and_rate(tmp_path):
    t, x, y, z, _ = phone_walk(10, rate_hz=102.4)
    lines = [",left,left,left,right,right,right", ",acc_x,acc_y,acc_z,acc_x,acc_y,acc_z"]
    lines += [f"{i},{a},{b},{c},0,0,{G}" for i, (a, b, c) in enumerate(zip(x, y, z,
                                                                             strict=True))]
    (tmp_path / "lab.csv").write_text("\n".join(lines))
    f = read_imu(tmp_path / "lab.csv", rate_hz=102.4)
    assert np.allclose(f["acc_x_mps2"], x) and f["time_s"][1] == pytest.approx(1 / 102.4)
    assert np.allclose(read_imu(tmp_path / "lab.csv", rate_hz=102.4, sensor="right")
                       ["acc_z_mps2"], G)
    with pytest.raises(ReadError, match="rate_hz"):
        read_imu(tmp_path / "lab.csv")


def test_bad_logs_raise_read_error_naming_the_file(tmp_path):
    (tmp_path / "none.csv").write_text("speed,heart_rate\n1,2\n3,4\n")
    (tmp_path / "short.csv").write_text("t,x,y,z\n0,1,2,3\n1,1,2,3\n")
    (tmp_path / "slow.csv").write_text("\n".join(f"{i * 300},0.1,0.2,9.8"  # 3.3 Hz in ms
                                                  for i in range(20)))
    (tmp_path / "bad.json").write_text("[{")
    for name, match in [("none.csv", "no t/x/y/z"), ("short.csv", "only 2"),
                        ("slow.csv", "time unit"), ("bad.json", "bad JSON"),
                        ("missing.csv", "cannot open")]:
        with pytest.raises(ReadError, match=match) as err:
            read_imu(tmp_path / name)
        assert name in str(err.value)


def test_read_imu_is_public():
    assert runlab.read_imu is read_imu


# --- steps ----------------------------------------------------------------------------------


@pytest.mark.parametrize("placement", ["pocket", "armband", "hand"])
@pytest.mark.parametrize("cadence", [110.0, 170.0])
def test_steps_on_synthetic_phone_signals(placement, cadence):
    t, x, y, z, truth = phone_walk(90, cadence, placement=placement, seed=int(cadence))
    imu = runlab.io.imu.imu_from_arrays(t, x, y, z)
    found = gait.steps(imu)
    assert found.height == pytest.approx(truth.size, rel=0.02)
    # each true step has a detected one within 60 ms
    near = np.abs(found["time_s"].to_numpy()[:, None] - (truth - t[0])[None, :]).min(axis=0)
    assert np.mean(near < 0.06) > 0.97
    assert found["interval_s"].drop_nulls().median() == pytest.approx(60 / cadence, rel=0.03)


def test_step_records_work_with_clean_and_summarize():
    t, x, y, z, _ = phone_walk(120, 168.0)
    imu = runlab.io.imu.imu_from_arrays(t, x, y, z, start_time=dt.datetime(
        2025, 8, 12, 7, tzinfo=dt.UTC))
    rec = gait.step_records(gait.steps(imu))
    runlab.schema.validate(rec, "records")
    assert rec["timestamp"][0] >= dt.datetime(2025, 8, 12, 7, tzinfo=dt.UTC)
    assert rec["cadence_spm"].median() == pytest.approx(168, abs=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataRepairWarning)
        row = runlab.summarize(rec).row(0, named=True)
    assert row["cadence_spm"] == pytest.approx(168, abs=3)  # all of it running
    assert row["moving_s"] == pytest.approx(118, abs=3)


def test_still_phone_has_no_steps():
    rng = np.random.default_rng(3)
    t = np.arange(0, 30, 0.01)
    imu = runlab.io.imu.imu_from_arrays(t, rng.normal(0, 0.05, t.size),
                                        rng.normal(0, 0.05, t.size),
                                        G + rng.normal(0, 0.05, t.size))
    assert gait.steps(imu).height == 0


@pytest.mark.parametrize(("path", "facts"), corpus_params("csv"))
def test_corpus_phone_step_counts(corpus, path, facts):
    if "truth_steps" in facts:  # phones with counted steps (Oxford step counter data set)
        found = gait.steps(read_imu(corpus / path))
        truth = int(facts["truth_steps"])
        print(f"{path}: {found.height} steps, truth {truth} "
              f"({found.height / truth - 1:+.1%})")
        assert found.height == pytest.approx(truth, rel=0.03)
    else:  # gaitmap's foot-worn IMUs: the detector's events fall on the annotated ICs
        fs = float(facts["fs_hz"])
        borders = pl.read_csv(corpus / "truth/gaitmap__stride_borders_sample_ic_stride.csv")
        for foot in ("left", "right"):
            imu = read_imu(corpus / path, rate_hz=fs, sensor=f"{foot}_sensor")
            events = gait.steps(imu)["time_s"].to_numpy()
            ic = borders.filter(pl.col("foot") == foot)["start"].to_numpy() / fs
            assert ic.size == int(str(facts[f"strides_{foot}"]).split()[0])
            assert np.abs(events[:, None] - ic[None, :]).min(axis=0).max() < 0.06
