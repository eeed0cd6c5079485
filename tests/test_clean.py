"""runlab.clean on constructed sessions with known units, pauses, spikes, hills and gaits."""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import polars as pl
import pytest

import runlab
from runlab import schema
from runlab.clean import FLAGS, cadence_unit_factor, hampel, repair_notes
from runlab.errors import DataRepairWarning, SchemaError

T0 = dt.datetime(2025, 8, 12, 7, 0, tzinfo=dt.UTC)
#: typical bouts (docs/science.md): running 165 spm at 2.8 m/s, walking 112 spm at 1.4 m/s
BOUTS = {"run": (165.0, 2.8), "walk": (112.0, 1.4), "stop": (0.0, 0.0)}


def session(plan, *, seed=0, cadence_sd=3.0, speed_sd=0.08, ramp_s=3, hz=1.0):
    """Records of a constructed session and the true gait per sample.

    ``plan`` is a list of ``(gait, seconds)`` or ``(gait, seconds, cadence_spm, speed_mps)``;
    cadence and speed ramp linearly over ``ramp_s`` at each change, plus Gaussian noise.
    """
    rng = np.random.default_rng(seed)
    truth, cad, speed = [], [], []
    for bout in plan:
        name, seconds = bout[0], bout[1]
        c, v = bout[2:] if len(bout) == 4 else BOUTS[name]
        k = int(round(seconds * hz))
        truth += [name] * k
        cad += [c] * k
        speed += [v] * k
    cad, speed = np.array(cad), np.array(speed)
    if ramp_s:
        kernel = np.ones(int(ramp_s * hz)) / int(ramp_s * hz)
        cad = np.convolve(np.pad(cad, (len(kernel), len(kernel)), mode="edge"), kernel,
                          mode="same")[len(kernel):-len(kernel)]
        speed = np.convolve(np.pad(speed, (len(kernel), len(kernel)), mode="edge"), kernel,
                            mode="same")[len(kernel):-len(kernel)]
    n = len(truth)
    moving = np.array(truth) != "stop"
    cad = np.where(moving, cad + rng.normal(0, cadence_sd, n), 0.0)
    speed = np.where(moving, np.maximum(speed + rng.normal(0, speed_sd, n), 0.0), 0.0)
    t = np.arange(n) / hz
    ts = pl.Series([T0 + dt.timedelta(seconds=float(s)) for s in t]).cast(schema.TIMESTAMP)
    dist = np.concatenate([[0.0], np.cumsum(speed[1:] / hz)])
    rec = pl.DataFrame({"timestamp": ts, "elapsed_s": t, "distance_m": dist,
                        "speed_mps": speed, "cadence_spm": cad,
                        "heart_rate_bpm": 120 + 20 * moving + rng.normal(0, 2, n)})
    return schema.conform(rec, "records"), np.array(truth)


def quiet_clean(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataRepairWarning)
        return runlab.clean(*args, **kwargs)


def test_output_conforms_to_cleaned_schema_with_flags():
    rec, _ = session([("run", 120), ("walk", 60)])
    out = runlab.clean(rec)
    schema.validate(out, "cleaned")
    assert out.columns[: len(schema.CLEANED)] == list(schema.CLEANED)
    for flag in FLAGS:
        assert flag in out.columns
    assert out.height == rec.height
    assert out["sample_s"][0] == 0.0 and out["sample_s"][1:].eq(1.0).all()


@pytest.mark.parametrize(("factor", "word"), [(0.5, "halved"), (2.0, "doubled")])
def test_cadence_unit_repair_is_detected_fixed_and_flagged(factor, word):
    rec, _ = session([("run", 300), ("walk", 60), ("run", 300)], seed=3)
    bad = rec.with_columns(pl.col("cadence_spm") * factor)
    with pytest.warns(DataRepairWarning, match=f"looked {word}"):
        out = runlab.clean(bad)
    assert out["cadence_repaired"].all()
    running = out.filter(pl.col("gait") == "run")["cadence_spm"]
    assert 160 < running.median() < 170
    assert any("cadence unit repaired" in n for n in repair_notes(out))


def test_plausible_cadence_is_not_repaired_walk_or_run():
    for plan in ([("run", 600)], [("walk", 600)], [("walk", 200), ("run", 200)] * 3):
        rec, _ = session(plan, seed=5)
        with warnings.catch_warnings():
            warnings.simplefilter("error", DataRepairWarning)
            out = runlab.clean(rec, hampel_n_sigma=6.0)
        assert not out["cadence_repaired"].any()


def test_cadence_unit_factor_without_speed_uses_absolute_limit():
    cad = np.full(100, 330.0)
    assert cadence_unit_factor(np.full(100, np.nan), cad) == 0.5
    assert cadence_unit_factor(np.full(100, np.nan), np.full(100, 170.0)) == 1.0
    assert cadence_unit_factor(np.full(5, 3.0), np.full(5, 85.0)) == 1.0  # too few to judge


def test_hampel_flags_isolated_outliers_but_keeps_steps():
    x = np.r_[np.full(20, 110.0), np.full(20, 165.0)]
    x[[5, 30]] = [0.0, 250.0]
    out, spikes = hampel(x, half_window=3, n_sigma=3.0, floor=20.0)
    assert np.flatnonzero(spikes).tolist() == [5, 30]
    assert out[5] == 110.0 and out[30] == 165.0
    assert np.array_equal(out[[19, 20]], [110.0, 165.0])  # the walk→run step survives
    nan = np.r_[np.nan, x[:10]]
    assert np.isnan(hampel(nan)[0][0])


def test_spikes_in_speed_heart_rate_and_cadence_are_replaced_and_flagged():
    rec, _ = session([("run", 300)], seed=2)
    rec = rec.with_columns(
        pl.when(pl.int_range(pl.len()) == 50).then(12.0).otherwise(pl.col("speed_mps"))
        .alias("speed_mps"),
        pl.when(pl.int_range(pl.len()) == 80).then(230.0).otherwise(pl.col("heart_rate_bpm"))
        .alias("heart_rate_bpm"),
        pl.when(pl.int_range(pl.len()) == 120).then(0.0).otherwise(pl.col("cadence_spm"))
        .alias("cadence_spm"))
    with pytest.warns(DataRepairWarning, match="spike"):
        out = runlab.clean(rec)
    assert np.flatnonzero(out["speed_spike"].to_numpy()).tolist() == [50]
    assert np.flatnonzero(out["heart_rate_spike"].to_numpy()).tolist() == [80]
    assert np.flatnonzero(out["cadence_spike"].to_numpy()).tolist() == [120]
    assert abs(out["speed_mps"][50] - 2.8) < 0.3
    assert abs(out["heart_rate_bpm"][80] - 140) < 8
    assert abs(out["cadence_spm"][120] - 165) < 10
    assert (out["gait"] == "run").all()  # the cadence dropout does not become a walk


def test_timer_pause_excluded_from_moving_time():
    rec, _ = session([("run", 200), ("stop", 60), ("run", 200)])
    # device keeps recording during the pause (auto-pause off), timer stopped in between
    events = pl.DataFrame({
        "timestamp": [T0, T0 + dt.timedelta(seconds=200), T0 + dt.timedelta(seconds=260)],
        "event": ["timer"] * 3, "event_type": ["start", "stop_all", "start"],
    })
    out = quiet_clean(rec, schema.conform(events, "events"))
    paused = out.filter((pl.col("elapsed_s") > 200) & (pl.col("elapsed_s") < 260))
    assert not paused["moving"].any()
    assert (paused["gait"] == "stop").all()
    assert out.filter(pl.col("moving"))["sample_s"].sum() == pytest.approx(398, abs=1)
    assert out["moving"][199] and out["moving"][261]  # running either side of the pause


def test_timer_pause_without_records_and_time_gap():
    rec, _ = session([("run", 400)])
    # the device wrote nothing during a 90-s timer pause and nothing during a 40-s gap
    t = rec["elapsed_s"]
    rec = rec.with_columns(
        pl.col("timestamp") + pl.when(t >= 100).then(pl.duration(seconds=90))
        .otherwise(pl.duration(seconds=0))
        + pl.when(t >= 300).then(pl.duration(seconds=40)).otherwise(pl.duration(seconds=0)))
    events = schema.conform(pl.DataFrame({
        "timestamp": [T0 + dt.timedelta(seconds=99), T0 + dt.timedelta(seconds=190)],
        "event": ["timer", "timer"], "event_type": ["stop", "start"]}), "events")
    out = quiet_clean(rec, events)
    assert out["sample_s"][100] == 0.0 and out["sample_s"][300] == 0.0
    assert out["sample_s"].sum() == pytest.approx(397)
    assert out["moving"].all()


def test_speed_and_distance_from_positions():
    n = 300
    lat = 46.0 + np.arange(n) * 3.0 / 111_195.0  # 3.0 m north per second
    rec = schema.conform(pl.DataFrame({
        "timestamp": pl.Series([T0 + dt.timedelta(seconds=i) for i in range(n)])
        .cast(schema.TIMESTAMP), "lat_deg": lat, "lon_deg": np.full(n, 14.0),
        "cadence_spm": np.full(n, 170.0)}), "records")
    rec = rec.with_columns(pl.when(pl.int_range(pl.len()).is_between(100, 104))
                           .then(None).otherwise(pl.col("lat_deg")).alias("lat_deg"))
    out = quiet_clean(rec)
    assert out["speed_derived"].all() and out["distance_derived"].all()
    assert out["speed_mps"].median() == pytest.approx(3.0, rel=0.01)
    assert out["distance_m"][-1] == pytest.approx(3.0 * (n - 1), rel=0.01)  # fix gap bridged


def test_readers_leave_motion_to_clean_on_real_files(corpus):
    # a GPX with positions only: read() says what the file says, clean() derives (flagged)
    rec = runlab.read(corpus / "files/gpx/runpandas__run.gpx")
    assert rec["speed_mps"].null_count() == rec["distance_m"].null_count() == rec.height
    out = quiet_clean(rec)
    assert out["speed_derived"].all() and out["distance_derived"].all()
    assert out["speed_mps"].null_count() == 0
    assert 2.0 < out["speed_mps"].median() < 5.0  # a run
    # files with the device's speed keep it, unflagged
    for name in ("gpx/gpxpy__track_with_speed.gpx", "tcx/runpandas__run.tcx"):
        rec = runlab.read(corpus / "files" / name)
        assert rec["speed_mps"].is_not_null().any(), name
        out = quiet_clean(rec, hampel_half_window=0)
        assert not out["speed_derived"].any(), name
        kept = rec["speed_mps"].is_not_null() & rec["timestamp"].is_not_null()
        assert out.filter(kept.filter(rec["timestamp"].is_not_null()))["speed_mps"].to_list() \
            == rec.filter(kept)["speed_mps"].to_list(), name


def test_speed_derivation_tracks_device_speed_on_real_files(corpus):
    # speed from positions against the device's own speed, on a 1 Hz run (not tuned on it)
    rec = runlab.read(corpus / "files/tcx/runpandas__run.tcx")
    out = quiet_clean(rec.with_columns(speed_mps=None, distance_m=None),
                      hampel_half_window=0)
    assert out["speed_derived"].all() and out["distance_derived"].all()
    device = rec.filter(rec["timestamp"].is_not_null())["speed_mps"].to_numpy()
    err = np.abs(out["speed_mps"].to_numpy() - device)
    moving = device > 0.5
    assert np.nanmean(err[moving]) < 0.35  # m/s; measured 0.28


def test_altitude_smoothing_and_grade():
    rec, _ = session([("run", 600)], speed_sd=0.0, cadence_sd=0.0)
    rng = np.random.default_rng(1)
    alt = 100 + 0.05 * rec["distance_m"].to_numpy() + rng.normal(0, 0.5, rec.height)
    out = quiet_clean(rec.with_columns(altitude_m=pl.Series(alt)))
    grade = out["grade_pct"].drop_nulls()
    assert grade.len() > 500
    assert grade.median() == pytest.approx(5.0, abs=0.5)
    noise_in = np.std(np.diff(alt))
    assert np.std(np.diff(out["altitude_m"].to_numpy())) < noise_in / 2


def test_grade_when_distance_is_recorded_only_now_and_then():
    # a watch writing distance in one record of six (a 2015 Suunto's FIT): the runner
    # still went on between those records, so a steady 5 % climb reads 5 % all along
    # (forward-filled distance had the runner stand, then jump: grades of 0 and ±45 %)
    rec, _ = session([("run", 600)], speed_sd=0.0, cadence_sd=0.0)
    alt = 100 + 0.05 * rec["distance_m"].to_numpy()
    sparse = np.where(np.arange(rec.height) % 6 == 0, rec["distance_m"].to_numpy(), np.nan)
    out = quiet_clean(rec.with_columns(altitude_m=pl.Series(alt),
                                       distance_m=pl.Series(sparse, nan_to_null=True)))
    grade = out["grade_pct"].to_numpy()[30:-30]
    assert np.isfinite(grade).all() and np.abs(grade - 5.0).max() < 0.5


def test_gait_hysteresis_and_minimum_segment():
    plan = [("walk", 60), ("run", 60), ("run", 30, 136.0, 2.5),  # tired: between thresholds
            ("run", 4, 120.0, 2.0), ("run", 60), ("walk", 60)]  # a 4-s dip is not a walk
    rec, _ = session(plan, cadence_sd=1.0, ramp_s=0)
    out = quiet_clean(rec)
    g = out["gait"].to_numpy()
    assert (g[:60] == "walk").all() and (g[60:214] == "run").all() and (g[214:] == "walk").all()


def test_gait_accuracy_on_constructed_walk_run_sessions():
    plan = [("walk", 300)] + [("run", 120), ("walk", 60)] * 8 + [("stop", 30), ("walk", 240)]
    for seed in range(3):
        rec, truth = session(plan, seed=seed, cadence_sd=5.0)
        g = quiet_clean(rec)["gait"].to_numpy()
        assert (g == truth).mean() >= 0.97


def test_gait_without_cadence_falls_back_to_speed():
    rec, truth = session([("walk", 120), ("run", 120)], ramp_s=0)
    g = quiet_clean(rec.with_columns(cadence_spm=pl.lit(None, pl.Float64)))["gait"].to_numpy()
    assert (g == truth).mean() > 0.97


def test_resampling_smart_recording_to_one_second():
    rng = np.random.default_rng(4)
    gaps = rng.integers(1, 9, 200).astype(float)
    gaps[100] = 60.0  # a real gap
    t = np.concatenate([[0.0], np.cumsum(gaps)])
    moved = np.where(t >= t[101], t - 60.0, t)  # standing still during the gap
    rec = schema.conform(pl.DataFrame({
        "timestamp": pl.Series([T0 + dt.timedelta(seconds=float(s)) for s in t])
        .cast(schema.TIMESTAMP), "elapsed_s": t, "distance_m": 3.0 * moved,
        "speed_mps": np.full(t.size, 3.0), "cadence_spm": np.full(t.size, 170.0)}), "records")
    out = quiet_clean(rec, every="1s")
    step = out["timestamp"].diff().dt.total_seconds().drop_nulls()
    assert step.max() > 10 and (step == 1).sum() == step.len() - 1  # one hole: the gap
    assert out.height == pytest.approx(t[-1] + 1 - 59, abs=1)
    e = out["elapsed_s"].to_numpy()
    assert np.allclose(out["distance_m"].to_numpy(), 3.0 * np.where(e >= t[101], e - 60, e))
    assert out["sample_s"].sum() == pytest.approx(t[-1] - 60, abs=1)
    # the same gap while the distance kept growing (smart recording, GPS) is not a pause
    kept = quiet_clean(rec.with_columns(distance_m=pl.Series(3.0 * t)))
    assert kept["sample_s"].sum() == pytest.approx(t[-1])


def test_bad_input_is_named():
    with pytest.raises(SchemaError, match="timestamp"):
        runlab.clean(pl.DataFrame({"speed_mps": [1.0]}))
    with pytest.raises(SchemaError, match="DataFrame"):
        runlab.clean([1, 2, 3])
    rec, _ = session([("run", 30)])
    with pytest.raises(ValueError, match="every="):
        runlab.clean(rec, every="fast")
    with pytest.raises(SchemaError, match="event_type"):
        runlab.clean(rec, pl.DataFrame({"timestamp": [T0], "event": ["timer"]}))


def test_empty_and_unsorted_records():
    assert runlab.clean(schema.empty("records")).height == 0
    rec, _ = session([("run", 60)])
    out = quiet_clean(rec.reverse())
    assert out["timestamp"].is_sorted()
    with pytest.warns(DataRepairWarning, match="without a timestamp"):
        runlab.clean(pl.concat([rec, rec.head(1).with_columns(
            pl.lit(None, schema.TIMESTAMP).alias("timestamp"))]))


# --- the real corpus (MANIFEST facts) ---------------------------------------------------------


def corpus_activity(corpus, path):
    from conftest import facts, manifest

    row = manifest().filter(pl.col("path") == path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataRepairWarning)
        act = runlab.read_activity(corpus / path)
        return act, act.clean(), facts(row["expect"][0]) | {"_tricky": row["tricky"][0]}


@pytest.mark.parametrize("path", [
    "files/fit/fitparse__2015-10-13-08-43-15.fit",  # 6 timer pauses
    "files/fit/fitparse__sample-activity.fit",  # pauses, no-fix positions
    "files/fit/fitparse__2019-02-17-062644-ELEMNT-297E-195-0.fit",  # 57 stop events, 6.5 h
    "files/fit/hns__B47I2852.FIT",  # tiny, paused
    "files/fit/runpandas__run.fit",
    "files/fit/fitparse__activity-small-fenix2-run.fit",
])
def test_recorded_time_matches_device_timer_on_corpus(corpus, path):
    act, out, fact = corpus_activity(corpus, path)
    assert "pauses" in fact["_tricky"] or act.events.filter(
        pl.col("event_type") == "stop_all").height == 1
    timer_s = act.sessions["total_timer_time_s"].sum()
    # sample_s sums the time the device's timer ran (pauses excluded), to within 1 %
    assert out["sample_s"].sum() == pytest.approx(timer_s, rel=0.01, abs=2.0)
    schema.validate(out, "cleaned")


def test_corpus_run_moving_time_and_no_false_repairs(corpus):
    _, out, fact = corpus_activity(corpus, "files/fit/fitparse__garmin-fenix-5-run.fit")
    assert out.filter(pl.col("moving"))["sample_s"].sum() == float(fact["moving_time_s"])
    assert not out["cadence_repaired"].any()
    assert (out.filter(pl.col("moving"))["gait"] == "run").all()  # 176–180 steps/min
    _, out, fact = corpus_activity(corpus, "files/fit/runpandas__run.fit")
    assert not out["cadence_repaired"].any()  # strides/min in the file, steps/min here
    # mean cadence over all samples is twice the raw FIT strides/min mean (spikes aside)
    assert out["cadence_spm"].mean() == pytest.approx(2 * float(fact["mean_raw_cadence"]),
                                                      rel=0.02)
    assert {"run", "walk"} <= set(out["gait"])  # a run with walk breaks


def test_corpus_walk_is_walking(corpus):
    act, out, fact = corpus_activity(corpus, "files/fit/fitparse__garmin-fenix-5-walk.fit")
    assert "walk-cadence" in fact["_tricky"] and act.sport == "walking"
    assert (out["gait"] == "walk").all()
    assert not out["cadence_repaired"].any()
    # a 14-s smart-recording gap covered at walking pace is not a pause
    assert out["sample_s"].sum() == pytest.approx(46.0)


@pytest.mark.parametrize("half_window", [0, 1, 2, 3, 5, 7, 8])
def test_hampel_matches_a_plain_nanmedian_filter(half_window):
    """The fast path (a median network on full windows) gives the plain definition's
    answer, ties and NaN included."""
    rng = np.random.default_rng(half_window)
    for trial in range(60):
        n = int(rng.integers(1, 80))
        x = rng.integers(0, 6, n).astype(float) * 10.0  # many ties
        if trial % 3 == 0:
            x[rng.random(n) < 0.1] = np.nan
        padded = np.pad(x, half_window, constant_values=np.nan)
        windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half_window + 1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows
            med = np.nanmedian(windows, axis=1)
            mad = np.nanmedian(np.abs(windows - med[:, None]), axis=1)
        with np.errstate(invalid="ignore"):
            expected = np.isfinite(x) & (np.abs(x - med) > np.maximum(3.0 * 1.4826 * mad, 5.0))
        out, spikes = hampel(x, half_window=half_window, n_sigma=3.0, floor=5.0)
        assert np.array_equal(spikes, expected)
        assert np.array_equal(out, np.where(expected, med, x), equal_nan=True)
