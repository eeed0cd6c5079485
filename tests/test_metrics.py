"""runlab.summarize / runlab.metrics on constructed sessions with known answers."""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import polars as pl
import pytest
from test_clean import T0, session
from test_gait import hill_session

import runlab
from runlab import metrics, schema
from runlab.activity import Activity
from runlab.errors import DataRepairWarning, RunlabWarning, SchemaError


def summarize(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataRepairWarning)
        return runlab.summarize(*args, **kwargs)


def test_summary_row_of_a_walk_run_session():
    plan = [("walk", 300)] + [("run", 120), ("walk", 60)] * 6 + [("run", 120), ("walk", 300)]
    rec, truth = session(plan, seed=1)
    out = summarize(rec, run_id="r1", runner_id="ann")
    schema.validate(out, "runs")
    assert out.columns == [*schema.RUNS, *metrics.QUALITY]
    row = out.row(0, named=True)
    assert row["run_id"] == "r1" and row["runner_id"] == "ann" and row["start_time"] == T0
    assert row["moving_s"] == pytest.approx(len(truth) - 1)
    assert row["distance_m"] == pytest.approx(rec["distance_m"][-1], rel=1e-9)
    assert row["speed_mps"] == pytest.approx(row["distance_m"] / row["moving_s"])
    assert row["cadence_spm"] == pytest.approx(165, abs=1)  # running samples only
    assert row["cadence_cv"] < 0.04
    assert row["step_length_m"] == pytest.approx(2.8 / (165 / 60), rel=0.02)
    assert row["run_walk_ratio"] == pytest.approx(2.0, rel=0.05)
    assert row["walk_run_pattern"] == "2:1"
    assert row["run_s"] == pytest.approx(7 * 120, abs=10)
    assert row["strides"] == 0 and row["hill_reps"] == 0
    assert row["easy"] is None  # one run, no known maximum heart rate: cannot judge
    assert row["n_records"] == len(truth) and row["notes"] is None


def test_summary_counts_strides_hills_and_repairs():
    row = summarize(hill_session()).row(0, named=True)
    assert row["hill_reps"] == 4
    plan = [("run", 900)] + [("run", 30, 182.0, 3.9), ("walk", 60), ("run", 30)] * 4
    rec, _ = session(plan, seed=2)
    row = summarize(rec.with_columns(pl.col("cadence_spm") / 2)).row(0, named=True)
    assert row["strides"] == 4
    assert row["cadence_repaired"] and "cadence unit repaired" in row["notes"]
    assert row["cadence_spm"] == pytest.approx(165, abs=3)


def test_summary_of_activity_with_timer_pause():
    rec, _ = session([("run", 600), ("stop", 120), ("run", 600)], seed=3)
    events = schema.conform(pl.DataFrame({
        "timestamp": [T0 + dt.timedelta(seconds=s) for s in (0, 600, 720)],
        "event": ["timer"] * 3, "event_type": ["start", "stop", "start"]}), "events")
    act = Activity("runs/ann/2025-08-12-easy.fit", rec, events=events)
    row = summarize(act).row(0, named=True)
    assert row["run_id"] == "2025-08-12-easy"
    assert row["moving_s"] == pytest.approx(1198, abs=1)
    assert row["elapsed_s"] == pytest.approx(1319)
    assert row["paused_s"] == pytest.approx(121, abs=1)


def test_summarize_of_a_path_is_deprecated_but_still_works(tmp_path):
    from runlab.io.tcx import write_tcx

    rec, _ = session([("run", 300)], seed=3)
    path = write_tcx(rec, tmp_path / "easy.tcx")
    with pytest.warns(DeprecationWarning, match="read_activity"):
        old = summarize(path)
    new = summarize(runlab.read_activity(path))
    assert old.equals(new) and old["run_id"][0] == "easy"


def test_cadence_drift_at_matched_speed():
    rec, _ = session([("run", 600, 170.0, 2.8), ("run", 600, 167.0, 2.8),
                      ("run", 600, 164.0, 2.8)], seed=4)
    row = summarize(rec).row(0, named=True)
    assert row["cadence_drift_spm"] == pytest.approx(-6.0, abs=0.8)
    expected = 2.8 * 60 / 164 - 2.8 * 60 / 170
    assert row["step_length_drift_m"] == pytest.approx(expected, abs=0.01)
    # faster at the end with the cadence that speed brings (6.01 spm per m/s): no drift
    rec, _ = session([("run", 600, 165.0, 2.8), ("run", 600, 165.0 + 6.01 * 0.1, 2.9),
                      ("run", 600, 165.0 + 6.01 * 0.2, 3.0)], seed=5, speed_sd=0.15)
    assert abs(summarize(rec)["cadence_drift_spm"][0]) < 1.0
    rec, _ = session([("run", 60)])
    assert summarize(rec)["cadence_drift_spm"][0] is None  # too short to compare thirds


def test_easy_flags_rules():
    runs = pl.DataFrame({
        "runner_id": ["a"] * 4 + ["b"] * 4 + ["c"],
        "speed_mps": [2.5, 2.6, 3.4, 2.4, 2.0, 2.2, 2.9, 3.0, 2.5],
        "heart_rate_bpm": [130, 135, 165, 128, None, None, None, None, 140],
        "max_heart_rate_bpm": [160, 165, 190, 150, None, None, None, None, 170],
    })
    easy = metrics.easy_flags(runs).to_list()
    # a: max 190 → easy below 142.5 bpm; b: no heart rate → at or below median speed 2.55
    assert easy == [True, True, False, True, True, True, False, False, None]
    assert metrics.easy_flags(runs, max_hr_bpm=200).to_list()[-1] is True
    with pytest.raises(SchemaError, match="speed_mps"):
        metrics.easy_flags(runs.drop("speed_mps"))


def test_easy_flags_technique_sessions_and_usual_heart_rate():
    runs = pl.DataFrame({
        "runner_id": ["a"] * 5,
        "speed_mps": [2.5, 2.6, 2.4, 2.5, 2.5],
        # a beginner who never goes hard: the highest HR seen is no maximum
        "heart_rate_bpm": [110.0, 112.0, 109.0, 125.0, 111.0],
        "max_heart_rate_bpm": [130.0, 135.0, 128.0, 150.0, 140.0],
        "strides": [0, 0, 0, 0, 6],
        "hill_reps": [0, 0, 0, 0, 0],
    })
    # usual (median) 111 bpm: easy up to 116.55; the strides day is technique, not easy
    assert metrics.easy_flags(runs).to_list() == [True, True, True, False, False]


def test_summary_reports_running_speed():
    rec, _ = session([("run", 300, 170.0, 3.0), ("walk", 300, 110.0, 1.5)], seed=8)
    row = summarize(rec).row(0, named=True)
    assert row["run_speed_mps"] == pytest.approx(3.0, abs=0.1)
    assert row["speed_mps"] < 2.6  # the walk breaks slow the whole session down
    assert row["step_length_m"] == pytest.approx(row["run_speed_mps"] * 60 / row["cadence_spm"])


def test_summary_easy_flag_against_history():
    rec, _ = session([("run", 900)], seed=6)
    history = pl.DataFrame({"speed_mps": [3.1, 3.3, 3.2], "heart_rate_bpm": [None] * 3})
    assert summarize(rec, history=history)["easy"][0] is True  # slower than usual
    assert summarize(rec, max_hr_bpm=200)["easy"][0] is True  # ~140 bpm < 150
    assert summarize(rec, max_hr_bpm=180)["easy"][0] is False


def test_metrics_baseline_mile_is_a_deprecated_alias():
    rec, _ = session([("run", 700)], seed=5)
    cleaned = runlab.clean(rec)
    with pytest.warns(DeprecationWarning, match="find_mile_tests"):
        old = metrics.baseline_mile(cleaned)
    assert old.equals(metrics.find_mile_tests(cleaned))


def test_find_mile_tests():
    rec, _ = session([("walk", 300), ("run", 60, 175.0, 3.4), ("run", 800), ("walk", 300)],
                     seed=7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataRepairWarning)
        cleaned = runlab.clean(rec)
    mile = metrics.find_mile_tests(cleaned).row(0, named=True)
    assert mile["distance_m"] == pytest.approx(metrics.MILE_M, abs=5)
    assert mile["time_s"] == pytest.approx(metrics.MILE_M / 2.8, rel=0.03)
    assert mile["cadence_spm"] == pytest.approx(165, abs=1.5)
    assert mile["step_length_m"] == pytest.approx(2.8 / (165 / 60), rel=0.03)
    # not during the warm-up walk (the second of the switch itself may go either way)
    assert mile["start"] >= T0 + dt.timedelta(seconds=299)
    assert mile["speed_cv"] <= 0.10
    # walk-run: never a continuous mile, and the warning says why
    rec, _ = session([("run", 300), ("walk", 60)] * 4, seed=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataRepairWarning)
        cleaned = runlab.clean(rec)
    with pytest.warns(RunlabWarning, match=r"longest stretch of running .* short of 15\d\d m"):
        assert metrics.find_mile_tests(cleaned).height == 0
    with pytest.warns(RunlabWarning, match="no running samples"):
        metrics.find_mile_tests(cleaned.with_columns(gait=pl.lit("walk")))


def test_weekly_progress_table():
    monday = dt.datetime(2025, 8, 11, 7, tzinfo=dt.UTC)
    runs = schema.conform(pl.DataFrame({
        "runner_id": ["a", "a", "a", "a", "b"],
        "start_time": [monday, monday + dt.timedelta(days=2), monday + dt.timedelta(days=4),
                       monday + dt.timedelta(days=7), monday],
        "moving_s": [1800.0, 1200.0, 1800.0, 1800.0, 1500.0],
        "distance_m": [5000.0, 3500.0, 5200.0, 5100.0, 4000.0],
        "speed_mps": [2.8, 2.9, 2.9, 2.8, 2.7],
        "cadence_spm": [160.0, 172.0, 162.0, 164.0, 170.0],
        "easy": [True, False, True, True, None],
        "strides": [0, 6, 0, 0, 0],
        "hill_reps": [0, 0, 0, 0, 0],
    }), "runs")
    week = metrics.weekly(runs)
    a1 = week.row(0, named=True)
    assert (a1["runner_id"], a1["week"]) == ("a", dt.date(2025, 8, 11))
    assert a1["runs"] == 3 and a1["easy_runs"] == 2 and a1["technique_sessions"] == 1
    assert a1["easy_cadence_spm"] == pytest.approx(161.0)
    assert a1["distance_m"] == pytest.approx(13700)
    assert week.row(1, named=True)["easy_cadence_spm"] == pytest.approx(164.0)
    b = week.row(2, named=True)
    assert b["easy_cadence_spm"] is None and b["cadence_spm"] == 170.0  # one run: unknown
    with pytest.raises(SchemaError, match="moving_s"):
        metrics.weekly(runs.drop("moving_s"))


# --- simulated cohort (runlab.simulate): summaries against the known truth -----------------


@pytest.mark.slow
def test_summaries_recover_simulated_truth():
    from runlab import simulate

    cohort = simulate.cohort(6, 8, seed=3, baseline_weeks=0)  # detectors, not the design
    rows = []
    for run in cohort.runs.iter_rows(named=True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataRepairWarning)
            cleaned = runlab.clean(cohort.records(run["run_id"]), cohort.events(run["run_id"]))
        row = runlab.summarize(cleaned, run_id=run["run_id"]).row(0, named=True)
        mile = metrics.find_mile_tests(cleaned)
        rows.append({
            "moving": row["moving_s"] / run["moving_s"] - 1,
            # treadmill distance is the pod's (calibrated ±4 %), not the plan's
            "distance": None if run["treadmill"] else row["distance_m"] / run["distance_m"] - 1,
            "cadence": row["cadence_spm"] - run["cadence_spm"],
            "repaired_ok": row["cadence_repaired"] == run["doubled_cadence"],
            "strides_ok": row["strides"] == run["strides"],
            "hills_ok": row["hill_reps"] == run["hill_reps"] or run["smart_recording"],
            "pattern_ok": row["walk_run_pattern"] == run["run_walk_pattern"].replace(
                "test", "continuous"),
            "mile": (mile["mile_time_s"][0] * run["target_speed_mps"] / metrics.MILE_M - 1
                     if mile.height else None) if run["session_type"] == "baseline_test"
            else 0.0,
        })
    got = pl.DataFrame(rows)
    assert got["moving"].abs().max() < 0.01
    assert got["distance"].drop_nulls().abs().max() < 0.01  # GPS spikes repaired
    assert got["cadence"].abs().mean() < 1.0 and got["cadence"].abs().max() < 4.0
    assert got["repaired_ok"].all()  # doubled files repaired, no other file touched
    assert got["strides_ok"].all() and got["hills_ok"].all() and got["pattern_ok"].all()
    assert got["mile"].null_count() == 0 and got["mile"].abs().max() < 0.01


def test_run_cadence_leaves_out_the_gait_changes():
    # a watch averages cadence and speed over a few seconds: after every switch the first
    # seconds of a run bout still carry walking steps; 1-min bouts switch 20 times
    plan = [("walk", 120, 110.0, 1.4)] + [("run", 60, 165.0, 2.6),
                                           ("walk", 60, 110.0, 1.4)] * 10
    rec, _ = session(plan, seed=4, ramp_s=4, cadence_sd=1.0, speed_sd=0.02)
    row = summarize(rec).row(0, named=True)
    assert row["run_s"] == pytest.approx(600, abs=30)
    assert row["cadence_spm"] == pytest.approx(165.0, abs=0.3)  # all run samples: 1 spm low
    assert row["run_speed_mps"] == pytest.approx(2.6, abs=0.01)


def test_steady_running_trims_each_bout():
    t = np.arange(40.0)
    running = np.r_[np.zeros(5), np.ones(20), np.zeros(5), np.ones(10)].astype(bool)
    steady = metrics.steady_running(running, t, edge_s=3.0)
    assert np.flatnonzero(steady).tolist() == [*range(8, 22), *range(33, 37)]
    assert not metrics.steady_running(np.zeros(5, bool), t[:5]).any()
    short = np.r_[np.zeros(2), np.ones(4), np.zeros(2)].astype(bool)  # no steady part
    assert metrics.steady_running(short, t[:8]).tolist() == short.tolist()
    assert metrics.steady_running(running, t, edge_s=0).tolist() == running.tolist()


def test_summary_agrees_with_the_gait_functions_it_shares_columns_with():
    # summarize reads strides, hill reps, the walk-run pattern and drift without building
    # their frames, from arrays it converts once: the same numbers as the public functions
    plan = [("run", 900)] + [("run", 30, 182.0, 3.9), ("walk", 60), ("run", 30)] * 4
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataRepairWarning)
        frames = [runlab.clean(hill_session()), runlab.clean(session(plan, seed=2)[0])]
    for cleaned in frames:
        row = summarize(cleaned).row(0, named=True)
        pattern = runlab.gait.walk_run_pattern(cleaned).row(0, named=True)
        drift = metrics.cadence_drift(cleaned).row(0, named=True)
        assert row["strides"] == runlab.gait.strides(cleaned).height
        assert row["hill_reps"] == runlab.gait.hills(cleaned)["repeat"].sum()
        assert row["walk_run_pattern"] == pattern["pattern"]
        for key in ("run_walk_ratio", "run_s", "walk_s"):
            assert row[key] == pattern[key]
        for key in ("cadence_drift_spm", "step_length_drift_m"):
            assert row[key] == drift[key]
    assert sum(summarize(c)["strides"][0] + summarize(c)["hill_reps"][0] for c in frames) >= 8
