"""The per-session walk/run model (runlab.walkrun, clean's ``gait``) where walking and
jogging cadences overlap: simulated sessions written as FIT files and read back."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import runlab
from runlab import gait, simulate
from runlab.errors import DataRepairWarning
from runlab.io.fit_write import write_activity

PATTERNS = [(60, 60, 8), (120, 60, 6), (180, 60, 5), (90, 90, 6)]  # 1:1, 2:1, 3:1, 90s:90s


def gait_of_file(tmp_path, records):
    path = write_activity(records, tmp_path / "session.fit")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataRepairWarning)
        return runlab.clean(runlab.read_activity(path).records)


def scored(out, records, truth):
    """Share of records right, 5 s around each switch not scored."""
    t_true = records["elapsed_s"].to_numpy()
    t = (out["timestamp"] - out["timestamp"][0]).dt.total_seconds().to_numpy() + t_true[0]
    want = truth[np.clip(np.searchsorted(t_true, t), 0, truth.size - 1)]
    switches = t_true[np.flatnonzero(truth[1:] != truth[:-1]) + 1]
    far = np.abs(t[:, None] - switches[None, :]).min(axis=1) > 5 if switches.size else \
        np.ones(t.size, bool)
    return float((out["gait"].to_numpy()[far] == want[far]).mean())


def session(seed, gap_spm, **kw):
    rng = np.random.default_rng(seed)
    walk = rng.uniform(120.0, 145.0 - gap_spm / 2)
    run_s, walk_s, repeats = PATTERNS[seed % len(PATTERNS)]
    return simulate.walk_run_session(
        run_s=run_s, walk_s=walk_s, repeats=repeats, walk_cadence_spm=walk,
        jog_cadence_spm=max(128.0, walk + gap_spm), walk_speed_mps=rng.uniform(1.5, 1.85),
        jog_speed_mps=rng.uniform(2.05, 2.5), cadence_sd_spm=3.0, seed=seed, **kw)


@pytest.mark.parametrize("what", ["speed", "dynamics"])
@pytest.mark.parametrize("gap_spm", [0.0, 3.0, 8.0])
def test_overlapping_cadences_with_speed_or_dynamics(tmp_path, what, gap_spm):
    scores = []
    for seed in range(8):
        rec, truth = session(seed, gap_spm, speed=what == "speed", dynamics=what == "dynamics")
        scores.append(scored(gait_of_file(tmp_path, rec), rec, truth))
    print(what, gap_spm, np.round(scores, 3))
    assert min(scores) >= 0.95


@pytest.mark.parametrize("gap_spm", [6.0, 10.0])
def test_overlapping_cadences_cadence_only(tmp_path, gap_spm):
    scores = []
    for seed in range(8):
        rec, truth = session(seed, gap_spm, speed=False)
        scores.append(scored(gait_of_file(tmp_path, rec), rec, truth))
    print("cadence only", gap_spm, np.round(scores, 3))
    assert min(scores) >= 0.90


@pytest.mark.parametrize("seed", range(4))
def test_continuous_slow_jog_at_130_is_running_when_speed_says_so(tmp_path, seed):
    rec, truth = simulate.walk_run_session(
        run_s=1200, repeats=1, warmup_s=0, cooldown_s=0, jog_cadence_spm=130.0,
        jog_speed_mps=2.1, seed=seed)
    out = gait_of_file(tmp_path, rec)
    assert (out["gait"] == "run").mean() >= 0.95
    assert gait.walk_run_pattern(out)["pattern"][0] == "continuous"


def test_all_walk_session_is_walking(tmp_path):
    rec, _ = simulate.walk_run_session(
        run_s=300, walk_s=300, repeats=3, walk_cadence_spm=112, jog_cadence_spm=128,
        walk_speed_mps=1.3, jog_speed_mps=1.6, seed=3)  # slow and brisk walking only
    out = gait_of_file(tmp_path, rec)
    assert (out["gait"] == "walk").mean() >= 0.98
    assert gait.walk_run_pattern(out)["pattern"][0] == "none"


def test_smart_recording_walk_run(tmp_path):
    for seed in range(4):
        rec, truth = session(seed, 4.0, smart_recording=True)
        gaps = np.diff(rec["elapsed_s"].to_numpy())
        assert gaps.max() <= 7 and gaps.min() >= 1
        assert scored(gait_of_file(tmp_path, rec), rec, truth) >= 0.95
