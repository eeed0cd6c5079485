"""FIT writer: every file decodes with the official Garmin FIT SDK, values survive."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runlab import schema
from runlab.io.fit_write import (
    BASE_TYPES,
    PROFILE,
    TYPES,
    Field,
    FitWriter,
    crc16,
    write_activity,
    write_activity_bytes,
)

sdk = pytest.importorskip("garmin_fit_sdk")

T0 = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


def decode(data: bytes) -> dict:
    """Decode with the Garmin SDK, asserting integrity and no errors."""
    assert sdk.Decoder(sdk.Stream.from_byte_array(bytearray(data))).check_integrity()
    messages, errors = sdk.Decoder(sdk.Stream.from_byte_array(bytearray(data))).read(
        convert_datetimes_to_dates=True)
    assert errors == []
    return messages


def make_records(n: int = 600, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    speed = 2.8 + 0.2 * rng.standard_normal(n)
    return schema.conform(pl.DataFrame({
        "timestamp": pl.datetime_range(T0, T0 + timedelta(seconds=n - 1), "1s",
                                       time_zone="UTC", eager=True),
        "elapsed_s": np.arange(n, dtype=float),
        "distance_m": np.cumsum(speed),
        "speed_mps": speed,
        "cadence_spm": 165 + 3 * rng.standard_normal(n),
        "heart_rate_bpm": np.round(140 + 5 * rng.standard_normal(n)),
        "altitude_m": 12 + 3 * np.sin(np.arange(n) / 60),
        "lat_deg": 52.37 + np.arange(n) * 2e-5,
        "lon_deg": -4.89 + np.arange(n) * 1e-5,
        "power_w": np.round(250 + 10 * rng.standard_normal(n)),
        "temperature_c": np.full(n, 21.0),
        "stance_time_ms": 245 + rng.standard_normal(n),
        "vertical_oscillation_mm": 80 + rng.standard_normal(n),
        "step_length_m": 1.0 + 0.01 * rng.standard_normal(n),
    }), "records")


@pytest.mark.parametrize("n", [0, 1, 511, 2048, 2049, 4097, 100_003])
def test_crc16_matches_the_sdk(n):
    data = np.random.default_rng(n).integers(0, 256, n, dtype=np.uint8).tobytes()
    assert crc16(data) == sdk.CrcCalculator.calculate_crc(data, 0, n)
    assert crc16(data[n // 2:], crc16(data[: n // 2])) == crc16(data)


def test_profile_numbers_match_the_sdk_profile():
    profile = sdk.Profile
    for message, (num, fields) in PROFILE.items():
        sdk_msg = profile["messages"][num]
        assert sdk_msg["name"] == message
        for name, (fnum, base, scale, offset, ftype) in fields.items():
            f = sdk_msg["fields"][fnum]
            assert (f["name"], f["base_type"], f["type"]) == (name, base, ftype), (message, name)
            assert f["scale"][0] == scale and f["offset"][0] == offset, (message, name)
    for type_name, values in TYPES.items():
        sdk_values = profile["types"][type_name]
        for name, value in values.items():
            assert sdk_values[value] == name, (type_name, name)
    sdk_base = profile["types"]["fit_base_type"]
    for name, bt in BASE_TYPES.items():
        assert sdk_base[bt.code] == name


def test_activity_decodes_and_values_survive():
    rec = make_records()
    msgs = decode(write_activity_bytes(rec, sport="running", sub_sport="street"))
    r = msgs["record_mesgs"]
    assert len(r) == rec.height
    got = {k: np.array([m.get(k, np.nan) for m in r], dtype=float)
           for k in ("cadence", "fractional_cadence", "enhanced_speed", "distance",
                     "heart_rate", "enhanced_altitude", "position_lat", "position_long",
                     "power", "temperature", "stance_time", "vertical_oscillation",
                     "step_length")}
    spm = 2 * (got["cadence"] + got["fractional_cadence"])
    np.testing.assert_allclose(spm, rec["cadence_spm"], atol=1 / 128 + 1e-9)
    np.testing.assert_allclose(got["enhanced_speed"], rec["speed_mps"], atol=5e-4 + 1e-9)
    np.testing.assert_allclose(got["distance"], rec["distance_m"], atol=5e-3 + 1e-9)
    np.testing.assert_allclose(got["heart_rate"], rec["heart_rate_bpm"])
    np.testing.assert_allclose(got["enhanced_altitude"], rec["altitude_m"], atol=0.1 + 1e-9)
    np.testing.assert_allclose(got["position_lat"] * 180 / 2**31, rec["lat_deg"], atol=1e-7)
    np.testing.assert_allclose(got["position_long"] * 180 / 2**31, rec["lon_deg"], atol=1e-7)
    np.testing.assert_allclose(got["power"], rec["power_w"])
    np.testing.assert_allclose(got["temperature"], rec["temperature_c"])
    np.testing.assert_allclose(got["stance_time"], rec["stance_time_ms"], atol=0.05 + 1e-9)
    np.testing.assert_allclose(got["vertical_oscillation"], rec["vertical_oscillation_mm"],
                               atol=0.05 + 1e-9)
    np.testing.assert_allclose(got["step_length"], rec["step_length_m"] * 1000,
                               atol=0.05 + 1e-9)
    stamps = [m["timestamp"] for m in r]
    assert stamps == rec["timestamp"].to_list()
    session = msgs["session_mesgs"][0]
    assert (session["sport"], session["sub_sport"]) == ("running", "street")
    assert session["total_elapsed_time"] == rec.height - 1
    assert session["total_distance"] == pytest.approx(rec["distance_m"].max(), abs=0.01)
    assert msgs["file_id_mesgs"][0]["type"] == "activity"
    assert msgs["activity_mesgs"][0]["num_sessions"] == 1


def test_nulls_become_invalid_and_absent_sensors_absent():
    rec = make_records(60).with_columns(
        pl.when(pl.int_range(60) == 7).then(None).otherwise(pl.col("cadence_spm"))
        .alias("cadence_spm"),
        pl.lit(None, pl.Float64).alias("lat_deg"), pl.lit(None, pl.Float64).alias("lon_deg"),
        pl.lit(None, pl.Float64).alias("power_w"))
    r = decode(write_activity_bytes(rec))["record_mesgs"]
    assert "cadence" not in r[7] and "fractional_cadence" not in r[7]
    assert "cadence" in r[8]
    assert not any("position_lat" in m or "power" in m for m in r)


def test_pauses_are_timer_events_and_excluded_from_timer_time():
    rec = make_records(600)
    stop, start = T0 + timedelta(seconds=200), T0 + timedelta(seconds=260)
    events = schema.conform(pl.DataFrame({"timestamp": [stop, start],
                                          "event": ["timer", "timer"],
                                          "event_type": ["stop", "start"]}), "events")
    msgs = decode(write_activity_bytes(rec, events=events))
    ev = [(m["timestamp"], m["event"], m["event_type"]) for m in msgs["event_mesgs"]]
    assert ev == [(T0, "timer", "start"), (stop, "timer", "stop"), (start, "timer", "start"),
                  (T0 + timedelta(seconds=599), "timer", "stop_all")]
    assert msgs["session_mesgs"][0]["total_timer_time"] == 599 - 60
    assert msgs["activity_mesgs"][0]["total_timer_time"] == 599 - 60


def test_laps_with_intensity():
    rec = make_records(300)
    laps = pl.DataFrame({"start_time": [T0, T0 + timedelta(seconds=120)],
                         "end_time": [T0 + timedelta(seconds=120), T0 + timedelta(seconds=299)],
                         "intensity": ["warmup", "active"]})
    msgs = decode(write_activity_bytes(rec, laps=laps))
    got = msgs["lap_mesgs"]
    assert [m["intensity"] for m in got] == ["warmup", "active"]
    assert sum(m["total_distance"] for m in got) == pytest.approx(rec["distance_m"].max(),
                                                                  abs=0.02)
    assert msgs["session_mesgs"][0]["num_laps"] == 2


def test_write_activity_writes_a_file(tmp_path):
    out = write_activity(make_records(30), tmp_path / "a.fit", sport="walking")
    assert out == tmp_path / "a.fit"
    assert decode(out.read_bytes())["session_mesgs"][0]["sport"] == "walking"
    assert [p.name for p in tmp_path.iterdir()] == ["a.fit"]


def test_low_level_writer_strings_enums_and_errors():
    w = FitWriter().define_message(0, "workout", ["wkt_name", "sport", "num_valid_steps"],
                                   string_sizes={"wkt_name": 16})
    w.write(0, {"wkt_name": "Cadence +5%", "sport": "running", "num_valid_steps": 3})
    w.define(1, 27, [Field(254, "uint16"), Field(1, "enum"), Field(2, "uint32")])
    w.write(1, [0, 0, 30_000])
    msgs = decode(w.to_bytes())
    assert msgs["workout_mesgs"][0]["wkt_name"] == "Cadence +5%"
    assert msgs["workout_mesgs"][0]["sport"] == "running"
    step = msgs["workout_step_mesgs"][0]
    assert step["duration_type"] == "time" and step["duration_time"] == 30.0
    with pytest.raises(ValueError, match="not been defined"):
        w.write(5, [1])
    with pytest.raises(ValueError, match="does not fit"):
        w.write(1, [0, 0, -1])
    with pytest.raises(ValueError, match="unknown sport"):
        w.write(0, {"sport": "curling"})
    with pytest.raises(ValueError, match="has 3 fields"):
        w.write(1, [0, 0])
    with pytest.raises(ValueError, match="no field"):
        FitWriter().define_message(0, "record", ["cadence_spm"])
    with pytest.raises(ValueError, match="base type"):
        Field(0, "uint7")


def test_bad_records_raise_naming_the_problem():
    rec = make_records(10)
    with pytest.raises(schema.SchemaError, match="not sorted"):
        write_activity_bytes(rec.reverse())
    with pytest.raises(ValueError, match="without records"):
        write_activity_bytes(rec.head(0))
    with pytest.raises(ValueError, match="enhanced_speed"):
        write_activity_bytes(rec.with_columns(pl.lit(-1.0).alias("speed_mps")))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 500, allow_nan=False), min_size=1, max_size=50))
def test_cadence_round_trip_property(spm):
    rec = schema.conform(pl.DataFrame({
        "timestamp": [T0 + timedelta(seconds=i) for i in range(len(spm))],
        "cadence_spm": spm}), "records")
    r = decode(write_activity_bytes(rec))["record_mesgs"]
    got = np.array([2 * (m["cadence"] + m["fractional_cadence"]) for m in r])
    np.testing.assert_allclose(got, spm, atol=1 / 128 + 1e-9)



def test_float_fields_and_invalid_float():
    w = FitWriter().define(0, 20, [Field(253, "uint32"), Field(114, "float32")])
    w.write(0, [1_000_000, None]).write(0, [1_000_001, 1.5])
    w.write_columns(0, [np.array([1_000_002.0, 1_000_003.0]), np.array([np.nan, 2.25])])
    data = w.to_bytes()
    got = [m.get("grit") for m in decode(data)["record_mesgs"]]
    assert np.isnan(got[0]) and np.isnan(got[2]) and got[1::2] == [1.5, 2.25]
    for ts in (1_000_000, 1_000_002):  # FIT's float invalid: all bits set
        assert struct.pack("<BI", 0, ts) + b"\xff" * 4 in data
