"""runlab.gait on constructed sessions with known bouts, strides and hill repeats."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import polars as pl
import pytest
from test_clean import session

import runlab
from runlab import gait
from runlab.errors import DataRepairWarning, SchemaError


def cleaned(plan, **kwargs):
    rec, truth = session(plan, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataRepairWarning)
        return runlab.clean(rec), truth


def stride_starts(out):
    """Start of each of :func:`gait.strides`' efforts [s from the first record]."""
    t0 = out["timestamp"][0]
    return np.array([(s - t0).total_seconds() for s in gait.strides(out)["start"]])


def test_segments_match_constructed_bouts():
    out, _ = cleaned([("walk", 120), ("run", 300), ("stop", 30), ("walk", 90)], seed=1)
    seg = gait.segments(out)
    assert seg["gait"].to_list() == ["walk", "run", "stop", "walk"]
    assert seg["duration_s"].to_list() == pytest.approx([119, 300, 30, 90], abs=3)
    run = seg.row(1, named=True)
    assert run["cadence_spm"] == pytest.approx(165, abs=1.5)
    assert run["speed_mps"] == pytest.approx(2.8, abs=0.05)
    assert run["step_length_m"] == pytest.approx(run["speed_mps"] / (run["cadence_spm"] / 60))
    assert run["distance_m"] == pytest.approx(300 * 2.8, rel=0.03)
    assert seg["start"].is_sorted() and (seg["end"] >= seg["start"]).all()


def test_segments_of_empty_and_uncleaned():
    assert gait.segments(runlab.clean(runlab.schema.empty("records"))).height == 0
    rec, _ = session([("run", 30)])
    with pytest.raises(SchemaError, match="runlab.clean"):
        gait.segments(rec)


@pytest.mark.parametrize(("run_s", "walk_s", "pattern"), [
    (60, 60, "1:1"), (120, 60, "2:1"), (180, 60, "3:1"), (90, 60, "other"),
    (300, 60, "other")])
def test_walk_run_pattern_recognises_progressions(run_s, walk_s, pattern):
    plan = [("walk", 300)] + [("run", run_s), ("walk", walk_s)] * 5 + [("run", run_s),
                                                                       ("walk", 300)]
    out, _ = cleaned(plan, seed=2)
    row = gait.walk_run_pattern(out).row(0, named=True)
    assert row["pattern"] == pattern
    assert row["run_walk_ratio"] == pytest.approx(run_s / walk_s, rel=0.05)
    assert row["run_intervals"] == 6 and row["walk_intervals"] == 5  # warm-up/cool-down out
    assert row["run_interval_s"] == pytest.approx(run_s, abs=3)


def test_walk_run_pattern_continuous_and_none():
    out, _ = cleaned([("walk", 300), ("run", 1800), ("walk", 300)])
    row = gait.walk_run_pattern(out).row(0, named=True)
    assert row["pattern"] == "continuous" and row["run_walk_ratio"] is None
    out, _ = cleaned([("walk", 600)])
    assert gait.walk_run_pattern(out)["pattern"][0] == "none"
    # a segments frame works as input too
    assert gait.walk_run_pattern(gait.segments(out))["pattern"][0] == "none"


def test_strides_found_with_cadence_and_step_length():
    plan = [("run", 900)] + [("run", 30, 182.0, 3.9), ("walk", 60), ("run", 30)] * 5
    out, _ = cleaned(plan, seed=4)
    found = gait.strides(out)
    assert found.height == 5
    assert found["duration_s"].to_list() == pytest.approx([30] * 5, abs=4)
    assert (found["cadence_spm"] - 182).abs().max() < 4
    assert (found["speed_gain_pct"] > 25).all()
    assert np.allclose(found["step_length_m"], found["speed_mps"] / (found["cadence_spm"] / 60))


def test_strides_ignore_steady_and_tempo_running():
    out, _ = cleaned([("run", 600), ("run", 600, 175.0, 3.6), ("run", 600)], seed=5)
    assert gait.strides(out).height == 0  # 10 min faster is tempo, not strides


def hill_session(reps=4, grade=0.06, seed=7, back_down=True, course=None):
    """Hill reps: 60 s up, 90 s back down (``back_down=False``: flat, so each climb starts
    higher). ``course``: no positions (None), ``"same"`` (every rep up and down the same
    line), ``"onward"`` (a straight road: the same profile at new places each time) or
    ``"loop"`` (laps of a ~380-m loop, up one side and down the other)."""
    plan = [("run", 600)]
    for _ in range(reps):
        plan += [("run", 60, 172.0, 2.4), ("run", 90, 160.0, 2.6)]
    plan += [("run", 300)]
    rec, _ = session(plan, seed=seed, speed_sd=0.03)
    # altitude: +grade on each 60-s climb, -grade on the way back down, flat otherwise
    t = rec["elapsed_s"].to_numpy()
    phase = (t - 600) % 150
    on_hill = (t >= 600) & (t < 600 + 150 * reps)
    slope = np.where(on_hill, np.where(phase < 60, grade,
                                       -grade * 60 * 2.4 / (90 * 2.6) if back_down else 0.0),
                     0.0)
    step = np.diff(rec["distance_m"].to_numpy(), prepend=0.0)
    alt = 200 + np.cumsum(slope * step)
    if course is not None:
        dist = rec["distance_m"].to_numpy()
        north = dist - np.clip(dist - dist[t < 600][-1], 0, None) * on_hill  # stops on the hill
        north = np.where(t >= 600 + 150 * reps, north - (dist[on_hill][-1] - dist[on_hill][0]),
                         north)
        east = (alt - 200) / grade  # up and down the hill's line
        if course == "onward":
            north, east = dist, np.zeros_like(dist)
        elif course == "loop":  # laps of a ~380-m loop: climb one side, descend the other
            k = np.clip((t - 600) // 150, 0, reps - 1).astype(int)
            lap_start = np.array([dist[t >= 600 + 150 * i][0] for i in range(reps)])
            arc = np.where(on_hill, dist - lap_start[k], 0.0)
            lap_m = 60 * 2.4 + 90 * 2.6
            angle = 2 * np.pi * arc / lap_m
            r = lap_m / (2 * np.pi)
            east = np.where(on_hill, r * np.sin(angle), 0.0)
            north = np.where(on_hill, r * (1 - np.cos(angle)),
                             np.where(t < 600, dist - dist[t < 600][-1],
                                      -(dist - dist[on_hill][-1])))
        rec = rec.with_columns(lat_deg=pl.Series(52.0 + north / 111_320.0),
                               lon_deg=pl.Series(4.9 + east / (111_320.0 * np.cos(np.radians(52)))))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataRepairWarning)
        return runlab.clean(rec.with_columns(altitude_m=pl.Series(alt)))


@pytest.mark.parametrize("course", [None, "same"])
def test_hill_repeats_found_with_gain_cadence_and_step_length(course):
    out = hill_session(course=course)
    climbs = gait.hills(out)
    assert climbs.height == 4 and climbs["repeat"].all()
    assert (climbs["set_size"] == 4).all()
    assert climbs["gain_m"].to_list() == pytest.approx([60 * 2.4 * 0.06] * 4, rel=0.25)
    assert climbs["grade_pct"].to_list() == pytest.approx([6.0] * 4, abs=1.5)
    assert (climbs["cadence_spm"] - 172).abs().max() < 4
    assert climbs["step_length_m"].to_list() == pytest.approx([2.4 / (172 / 60)] * 4, rel=0.05)


def test_single_climb_is_not_a_repeat_and_flat_has_none():
    climbs = gait.hills(hill_session(reps=1))
    assert climbs.height == 1 and not climbs["repeat"].any()
    out, _ = cleaned([("run", 600)])
    assert gait.hills(out).height == 0  # no altitude at all


def test_rolling_terrain_climbs_are_not_hill_repeats():
    climbs = gait.hills(hill_session(back_down=False))  # a staircase: each climb starts higher
    assert climbs.height == 4 and not climbs["repeat"].any()


def test_climbs_of_the_same_height_in_different_places_are_not_hill_repeats():
    # rolling terrain: the same rise and fall, but each time further along the road
    climbs = gait.hills(hill_session(course="onward"))
    assert climbs.height == 4 and not climbs["repeat"].any()
    assert (climbs["set_size"] == 1).all()


def test_laps_of_a_loop_climbing_the_same_rise_are_not_hill_repeats():
    # a track's oval or a small park loop: the rise is climbed from the same foot to the same
    # top every lap, but the runner goes on round the loop instead of back down the rise
    out = hill_session(course="loop")
    assert out["lat_deg"].is_not_null().all()
    climbs = gait.hills(out)
    assert climbs.height == 4 and not climbs["repeat"].any()
    assert (climbs["set_size"] == 1).all()


def test_hill_repeats_need_a_set():
    climbs = gait.hills(hill_session(reps=2, course="same"))  # two climbs: not yet a set
    assert climbs.height == 2 and not climbs["repeat"].any()
    assert gait.hills(hill_session(reps=2, course="same"), min_reps=2)["repeat"].all()


def test_the_gait_functions_show_the_rules_of_their_values_functions():
    # the rules and their defaults are written once, in the values functions summarize
    # calls; the frame functions pass them on and show them as their own signature
    from runlab.gait import bouts

    def rules(fn):
        return {n: p.default for n, p in inspect.signature(fn).parameters.items()
                if p.kind is p.KEYWORD_ONLY}

    for frame_fn, values_fn in ((gait.hills, bouts.climb_values),
                                (gait.strides, bouts.stride_values),
                                (gait.walk_run_pattern, bouts.pattern_values)):
        assert rules(frame_fn) == rules(values_fn) and rules(values_fn)
    assert rules(gait.hills)["min_reps"] == 3
    with pytest.raises(TypeError, match="min_rep"):
        gait.hills(hill_session(reps=2, course="same"), min_rep=2)  # a misspelt rule


def without_cadence(out):
    return out.with_columns(pl.lit(None, pl.Float64).alias("cadence_spm"))


def stride_plan(n, cadence=182.0, recovery=("walk", 90)):
    return [("walk", 300)] + [("run", 30, cadence, 3.9), recovery] * n + [("run", 900)]


def test_strides_from_gps_alone_need_a_set_of_similar_efforts():
    out, _ = cleaned(stride_plan(5), seed=8)
    found = gait.strides(without_cadence(out))  # a phone app's GPX: speed only
    assert found.height == 5 and (found["set_size"] == 5).all()
    one, _ = cleaned([("run", 600)] + stride_plan(1)[1:], seed=8)
    assert gait.strides(one).height == 1  # a lone surge with a cadence rise is a stride
    assert gait.strides(without_cadence(one)).height == 0  # speed alone: not enough


def test_speed_surges_without_a_cadence_rise_are_not_strides():
    # GPS noise: the speed jumps, the steps do not (cadence as in the easy running)
    out, _ = cleaned(stride_plan(5, cadence=165.0), seed=9)
    assert gait.strides(out).height == 0
    assert gait.strides(without_cadence(out)).height == 5  # the file cannot tell


def test_finishing_sprint_is_a_short_effort_but_a_fast_finish_is_not():
    # a 40-s sprint to the end, straight from easy running, cadence up: a short effort
    out, _ = cleaned([("run", 900), ("run", 40, 182.0, 3.9)], seed=10)
    found = gait.strides(out)
    assert found.height == 1 and found["set_size"][0] == 1
    assert gait.strides(without_cadence(out)).height == 0  # speed alone: not enough
    # the last minute of a progression (each minute faster) is not
    progression = [("run", 900), ("run", 60, 170.0, 3.1), ("run", 60, 174.0, 3.3),
                   ("run", 60, 178.0, 3.6), ("run", 60, 182.0, 3.9)]
    assert gait.strides(cleaned(progression, seed=10)[0]).height == 0
    # nor is a long fast finish (3 min) or a short sprint out of one
    assert gait.strides(cleaned([("run", 900), ("run", 180, 182.0, 3.9)], seed=10)[0]).height == 0
    fast = [("run", 900), ("run", 120, 176.0, 3.4), ("run", 40, 182.0, 3.9)]
    assert gait.strides(cleaned(fast, seed=10)[0]).height == 0


def test_sprint_running_on_into_faster_running_is_found():
    # a 15-s sprint (cadence 195) straight into 40 s of running 18 % above the usual pace
    # at the usual cadence: the effort is the sprint, whose cadence rose
    plan = [("run", 600), ("run", 15, 195.0, 4.5), ("run", 40, 167.0, 3.3), ("run", 600)]
    out, _ = cleaned(plan, seed=12)
    found = gait.strides(out)
    assert found.height == 1
    assert found["duration_s"][0] < 25 and found["cadence_spm"][0] > 185


def descent(rec: pl.DataFrame, start_s: float, end_s: float, grade: float) -> pl.DataFrame:
    """Constructed records with altitude falling at ``grade`` between two times (flat
    elsewhere), cleaned."""
    t = rec["elapsed_s"].to_numpy()
    step = np.diff(rec["distance_m"].to_numpy(), prepend=0.0)
    alt = 300.0 - np.cumsum(np.where((t >= start_s) & (t < end_s), grade * step, 0.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataRepairWarning)
        return runlab.clean(rec.with_columns(altitude_m=pl.Series(alt)))


def test_faster_running_down_a_descent_is_not_a_stride():
    # 45 s down a 10 % descent: 30 % faster and the step rate 5 % up, as descents go
    rec, _ = session([("run", 600), ("run", 45, 173.0, 3.65), ("run", 600)], seed=11)
    down = descent(rec, 600, 645, 0.10)
    assert gait.strides(down).height == 0
    # the same surge on the flat is a stride, and a real stride down a gentle slope too
    assert gait.strides(descent(rec, 600, 645, 0.0)).height == 1
    stride, _ = session([("run", 600), ("run", 30, 182.0, 3.9), ("run", 600)], seed=11)
    assert gait.strides(descent(stride, 600, 630, 0.02)).height == 1


# --- simulated walk–run sessions (runlab.simulate): seconds labelled correctly -------------


def planned_gait(run: dict) -> np.ndarray:
    """True gait per planned second of a walk–run or continuous session: warm-up walk,
    ``repeats`` × (run ``run_s``, walk ``walk_s``), cool-down walk (runlab.plan's layout)."""
    parts = [("walk", run["warmup_s"])]
    for _ in range(run["repeats"] or 0):
        parts += [("run", run["run_s"]), ("walk", run["walk_s"])]
    parts.append(("walk", run["cooldown_s"]))
    return np.concatenate([np.repeat(g, max(1, round(s))) for g, s in parts if s])


def plan_second(cleaned: pl.DataFrame, events: pl.DataFrame) -> np.ndarray:
    """Planned second of each sample: time since the start minus timer pauses before it."""
    t = cleaned["timestamp"].to_physical().to_numpy() / 1e6
    ev = events.sort("timestamp")
    ev_t = ev["timestamp"].to_physical().to_numpy() / 1e6
    kind = ev["event_type"].to_numpy()
    shift = np.zeros(t.size)
    for stop, start in zip(ev_t[kind == "stop"], ev_t[kind == "start"], strict=True):
        shift += np.where(t >= start, start - stop, 0.0)
    return np.round(t - t[0] - shift).astype(np.int64)


@pytest.mark.slow
def test_segmentation_accuracy_on_simulated_walk_run_sessions():
    from runlab import simulate

    cohort = simulate.cohort(8, 6, seed=21)
    runs = cohort.runs.filter((pl.col("strides") == 0) & (pl.col("hill_reps") == 0)
                              & pl.col("test_distance_m").is_null())
    assert set(runs["run_walk_pattern"]) >= {"1:1", "2:1", "3:1", "continuous"}
    right = total = 0.0
    for run in runs.iter_rows(named=True):
        truth = planned_gait(run)
        assert truth.size == run["moving_s"]  # the plan layout still matches the simulator
        events = cohort.events(run["run_id"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataRepairWarning)
            out = runlab.clean(cohort.records(run["run_id"]), events)
        sec = np.clip(plan_second(out, events), 0, truth.size - 1)
        weight = out["sample_s"].to_numpy()  # seconds each sample stands for
        hit = weight * (out["gait"].to_numpy() == truth[sec])
        assert hit.sum() / weight.sum() >= 0.95, run["run_id"]
        assert gait.walk_run_pattern(out)["pattern"][0] == run["run_walk_pattern"]
        right += hit.sum()
        total += weight.sum()
    print(f"segmentation: {right / total:.2%} of {total:.0f} s in {runs.height} sessions")
    assert right / total >= 0.97


@pytest.mark.slow
def test_strides_and_hill_reps_on_smart_recording():
    """Irregular 1–7 s (occasionally longer) spacing: ≥ 95 % found, none invented."""
    from runlab import simulate

    c = simulate.cohort(40, 10, seed=5, baseline_weeks=0)  # detectors, not the design
    runs = c.runs.filter(pl.col("smart_recording")
                         & ((pl.col("strides") > 0) | (pl.col("hill_reps") > 0)))
    assert runs.height >= 10
    found = {"strides": 0, "hill_reps": 0}
    true = {"strides": 0, "hill_reps": 0}
    for run in runs.iter_rows(named=True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataRepairWarning)
            out = runlab.clean(c.records(run["run_id"]), c.events(run["run_id"]))
        climbs = gait.hills(out)
        got = {"strides": gait.strides(out).height,
               "hill_reps": int(climbs["repeat"].sum()) if climbs.height else 0}
        for k in found:
            assert got[k] <= run[k], (run["run_id"], k)  # none invented
            found[k] += got[k]
            true[k] += run[k]
    print(found, true)
    assert found["strides"] >= 0.95 * true["strides"]
    assert found["hill_reps"] >= 0.95 * true["hill_reps"]


def fartlek(surge=("run", 60, 169.0, 3.4), n=10, seed=11):
    """A 1-min on / 1-min off fartlek after 10 min easy: half of the middle running is fast,
    so the session's median speed and cadence lie near the jog's."""
    plan = [("run", 600)] + [surge, ("run", 60)] * n + [("run", 300)]
    out, _ = cleaned(plan, seed=seed)
    return out, [600 + 120 * k for k in range(n)]


def test_fartlek_surges_are_a_set_of_strides():
    # the jog between surges runs at the session's median speed (not 5 % below it), and the
    # running around each surge holds other surges: with cadence confirming each (+2.4 %),
    # the surges are found as one set, however the median sits
    out, planned = fartlek()
    starts = stride_starts(out)
    hit = np.abs(starts[:, None] - np.array(planned)[None, :]) <= 20
    assert hit.any(axis=0).sum() >= 9 and hit.any(axis=1).all()
    assert (gait.strides(out)["set_size"] >= 3).all()


@pytest.mark.parametrize("dropout", [0.0, None])
def test_sprint_with_cadence_dropout_joins_its_set(dropout):
    # 6 × 15-s sprints (185 spm, 4.5 m/s), each followed by a 1-min walk and a 2-min jog;
    # the pod drops out for all of the third sprint (zeros or no values, as real watches
    # record it): a zero step rate while running is a missing value, and a set judged on
    # the cadence of the members that have one takes the sprint without
    plan = [("run", 600)] + [("run", 15, 185.0, 4.5), ("walk", 60), ("run", 120)] * 6
    plan += [("run", 300)]
    rec, _ = session(plan, seed=7)
    third = 600 + 2 * 195
    cad = rec["cadence_spm"].to_list()
    cad[third - 2:third + 17] = [dropout] * 19
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataRepairWarning)
        out = runlab.clean(rec.with_columns(pl.Series("cadence_spm", cad, dtype=pl.Float64)))
    starts = stride_starts(out)
    planned = 600 + 195 * np.arange(6)
    hit = np.abs(starts[:, None] - planned[None, :]) <= 20
    assert hit.any(axis=0).all() and hit.any(axis=1).all()


def hill_sprints(seed):
    """Easy running (2.0 m/s), a walk, a 35-s restart at 2.45 m/s, a walk, then 6 × 30-s
    sprints up a 10 % hill (2.6 m/s, 170 spm) each walked back down in 90 s."""
    plan = [("run", 600, 160.0, 2.0), ("walk", 60), ("run", 35, 162.0, 2.45), ("walk", 60)]
    plan += [("run", 30, 170.0, 2.6), ("walk", 90, 110.0, 1.2)] * 6
    plan += [("run", 300, 160.0, 2.0)]
    rec, _ = session(plan, seed=seed)
    t = rec["elapsed_s"].to_numpy()
    drill = (t >= 755) & (t < 755 + 720)
    up = drill & ((t - 755) % 120 < 30)
    grade = np.where(up, 0.10, np.where(drill, -0.10 * 30 * 2.6 / (90 * 1.2), 0.0))
    alt = 100 + np.cumsum(grade * np.diff(rec["distance_m"].to_numpy(), prepend=0.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataRepairWarning)
        return runlab.clean(rec.with_columns(altitude_m=pl.Series(alt)))


@pytest.mark.parametrize("seed", [3, 6])
def test_restart_after_a_walk_does_not_join_hill_sprints(seed):
    # the restart's speed is within 25 % of the hill sprints' (2.45 vs 2.6 m/s), but on the
    # flat the sprints would run ~4.5 m/s: alike by their speed on the flat, it is no stride
    out = hill_sprints(seed)
    starts = stride_starts(out)
    assert starts.size == 6 and np.abs(starts - (755 + 120 * np.arange(6))).max() <= 10


@pytest.mark.parametrize("seed", [1, 4])
def test_sprints_walked_off_are_judged_against_the_running_around_them(seed):
    # 6 × 12-s sprints (188 spm) whose 9-s run-out steps quicker still (212 spm: GPS speed
    # falls first) before a 2-min walk: the run-out is all the running after each sprint,
    # under 10 s of it — the session's running (165 spm) is the cadence around them
    plan = [("run", 600, 165.0, 2.6)]
    plan += [("run", 12, 188.0, 4.8), ("run", 9, 212.0, 2.4), ("walk", 120)] * 6
    plan += [("run", 300, 165.0, 2.6)]
    out, _ = cleaned(plan, seed=seed)
    starts = stride_starts(out)
    assert starts.size == 6 and np.abs(starts - (600 + 141 * np.arange(6))).max() <= 5


@pytest.mark.parametrize("seed", [1, 4])
def test_a_sprint_ending_a_warm_up_quicker_than_the_session_is_found(seed):
    # a 10-min warm-up at 3.0 m/s, then 6 × 15-s sprints, each walked off and followed by
    # a 2-min jog at 2.3 m/s: the jogs set the session's median running speed, so the
    # warm-up is quick too and the first sprint runs on from it (a 615-s stretch)
    plan = [("run", 600, 168.0, 3.0)]
    plan += [("run", 15, 195.0, 4.8), ("walk", 60), ("run", 120, 160.0, 2.3)] * 6
    out, _ = cleaned(plan, seed=seed)
    starts = stride_starts(out)
    assert starts.size == 6 and np.abs(starts - (600 + 195 * np.arange(6))).max() <= 10


def test_fartlek_without_cadence_rise_is_not_strides():
    # the same speeds with the jog's cadence: speed alone (GPS) does not make a set of
    # strides when cadence is recorded and stays put
    out, _ = fartlek(surge=("run", 60, 165.0, 3.4))
    assert gait.strides(out).height == 0


def reps_from_lower_down(seed, grade=0.2):
    """4 reps up one 20 % hill to the same top (212 m), walked down in 90 s, alternately
    from its foot (200 m) and from 5 m higher up (the walk down stopped short), up and
    down one line; flat running before and after."""
    feet = [200.0, 205.0, 200.0, 205.0]
    plan = [("run", 600)]
    for f in feet:
        plan += [("run", round((212.0 - f) / (2.4 * grade)), 172.0, 2.4), ("walk", 90, 110.0, 1.2)]
    plan += [("run", 300)]
    rec, _ = session(plan, seed=seed, speed_sd=0.03)
    t = rec["elapsed_s"].to_numpy()
    alt, at = np.full(t.size, 200.0), 600
    for f, nxt in zip(feet, feet[1:] + [200.0], strict=True):
        up = round((212.0 - f) / (2.4 * grade))
        climb, down = (t >= at) & (t < at + up), (t >= at + up) & (t < at + up + 90)
        alt[climb] = f + (t[climb] - at) * 2.4 * grade
        alt[down] = 212.0 - (t[down] - at - up) / 90 * (212.0 - nxt)
        at += up + 90
    east = np.where(t < 600, -(600 - t) * 2.6, np.where(t >= at, -(t - at) * 2.6,
                                                         (alt - 200.0) / grade))
    rec = rec.with_columns(altitude_m=pl.Series(alt), lat_deg=pl.Series(np.full(t.size, 52.0)),
                           lon_deg=pl.Series(4.9 + east / (111_320.0 * np.cos(np.radians(52)))))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataRepairWarning)
        return runlab.clean(rec)


def hill_course(legs, seed=1, top_m=212.0, foot_m=200.0):
    """Flat running, then ``legs`` — ``(kind, seconds, cadence, speed, route, up)`` — along
    routes from a hill's foot (200 m, at the origin) to its top: ``"line"`` due east 120 m,
    ``"bend"`` 170 m by way of a point 60 m north (another way up the same hill),
    ``"landing"`` due east 300 m up to 224 m with a 100-m flat half-way. Each leg runs the
    whole route, up or down; then flat running."""
    plan = [("run", 600)] + [leg[:4] for leg in legs] + [("run", 300)]
    rec, _ = session(plan, seed=seed, speed_sd=0.03)
    t = rec["elapsed_s"].to_numpy()
    east, north, alt, at = -(600 - t) * 2.6, np.zeros(t.size), np.full(t.size, foot_m), 600
    for _, secs, _, _, route, up in legs:
        leg = (t >= at) & (t < at + secs)
        f = (t[leg] - at) / secs if up else 1.0 - (t[leg] - at) / secs  # foot 0 → top 1
        if route == "line":
            east[leg], alt[leg] = 120.0 * f, foot_m + (top_m - foot_m) * f
        elif route == "bend":
            east[leg], north[leg] = 120.0 * f, 60.0 * (1.0 - np.abs(2.0 * f - 1.0))
            alt[leg] = foot_m + (top_m - foot_m) * f
        else:  # 100 m up, 100 m flat, 100 m up
            east[leg] = 300.0 * f
            alt[leg] = foot_m + (top_m - foot_m) * (np.clip(300.0 * f, 0, 100)
                                                    + np.clip(300.0 * f - 200, 0, 100)) / 200
        at += secs
    after = t >= at
    east[after], alt[after] = -(t[after] - at) * 2.6, foot_m
    rec = rec.with_columns(altitude_m=pl.Series(alt), lat_deg=pl.Series(52.0 + north / 111_320.0),
                           lon_deg=pl.Series(4.9 + east / (111_320.0 * np.cos(np.radians(52)))))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataRepairWarning)
        return runlab.clean(rec)


@pytest.mark.parametrize("seed", [1, 3])
def test_hill_reps_up_one_side_and_down_the_other_are_reps(seed):
    # 4 reps, each up the way the last one came down (turning at the foot): the runner
    # comes back down the hill between them, by the way of the next rep
    up, down = ("run", 50, 172.0, 2.4), ("walk", 120, 110.0, 1.2)
    legs = [(*up, "line", True), (*down, "bend", False), (*up, "bend", True),
            (*down, "line", False)] * 2
    climbs = gait.hills(hill_course(legs[:-1], seed=seed))
    assert climbs.height == 4 and climbs["repeat"].all()


@pytest.mark.parametrize("seed", [1, 3])
def test_a_hill_with_a_flat_landing_is_climbed_once_per_rep(seed):
    # 4 reps up 24 m with a 100-m flat half-way (40 s): one climb each, not 8 climbs of
    # 12 m (the lower halves and the upper halves would each make a set of reps)
    legs = [("run", 125, 172.0, 2.4, "landing", True), ("walk", 190, 110.0, 1.6, "landing",
                                                        False)] * 4
    climbs = gait.hills(hill_course(legs, seed=seed, top_m=224.0))
    assert climbs.height == 4 and climbs["repeat"].all()
    assert climbs["gain_m"].min() > 20


@pytest.mark.parametrize("seed", [1, 3])
def test_a_rep_walked_keeps_the_set_of_run_reps_going(seed):
    # run, run, walked, run up one line: the last run rep comes 6 min after the second,
    # with the walked climb of the same hill between; the walked one is no rep itself
    up, walk_up, down = ("run", 50, 172.0, 2.4), ("walk", 100, 110.0, 1.2), ("walk", 130,
                                                                            110.0, 0.92)
    legs = [(*up, "line", True), (*down, "line", False), (*up, "line", True),
            (*down, "line", False), (*walk_up, "line", True), (*down, "line", False),
            (*up, "line", True), (*down, "line", False)]
    climbs = gait.hills(hill_course(legs, seed=seed))
    assert climbs["repeat"].to_list() == [True, True, False, True]


@pytest.mark.parametrize("seed", [1, 5])
def test_hill_reps_started_lower_down_are_reps(seed):
    # the same top from feet 5 m apart on the same line (gains 12 and 7 m): one hill
    climbs = gait.hills(reps_from_lower_down(seed))
    assert int(climbs["repeat"].sum()) == 4
