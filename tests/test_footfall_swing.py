"""runlab.gait.footfalls on a phone's soundtrack with arm swing (issue 21, item 5).

A phone in a swinging hand records a swoosh of wind and rustle per arm swing — about one
per step, between footfalls — plus grip clicks; at walking cadences the old level-rise
detector counted the swooshes as footfalls (precision 0.5–0.7 at 90 spm). The soundtracks
come from :func:`runlab.simulate.phone_soundtrack`; onsets are matched one-to-one within
±50 ms. ``benchmarks/footfall_audio.py`` prints the full table per condition, including
the settings held out of tuning.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from runlab import gait
from runlab.gait.sound import _periodic
from runlab.io.audio import Audio, read_audio
from runlab.simulate import phone_soundtrack

COLUMNS = ["time_s", "loudness_db", "interval_s", "cadence_spm", "sharpness_db"]
#: A real recorded footstep (CC0, tests/data/LICENSES) and its hand-read onset [s].
RECORDED = Path(__file__).parent / "data" / "footfall" / "freesound_706207_footstep.mp3"
RECORDED_ONSET_S = 0.0474


def recorded_footfall(rate_hz: int = 22_050) -> np.ndarray:
    """The recorded footstep from its onset on, at ``rate_hz``."""
    x = read_audio(RECORDED, rate_hz=rate_hz).samples.astype(np.float64)
    return x[int(round(RECORDED_ONSET_S * rate_hz)):]


def scored(found_s: np.ndarray, true_s: np.ndarray, tol_s: float = 0.05) -> dict:
    """Precision, recall and timing error of detected onsets matched one-to-one to the
    true ones within ``tol_s`` (closest pairs first)."""
    d = np.abs(np.asarray(found_s)[:, None] - np.asarray(true_s)[None, :])
    pairs = np.argwhere(d <= tol_s)
    pairs = pairs[np.argsort(d[pairs[:, 0], pairs[:, 1]], kind="stable")]
    used_f, used_t, err = set(), set(), []
    for i, j in pairs:
        if i not in used_f and j not in used_t:
            used_f.add(i)
            used_t.add(j)
            err.append(float(found_s[i] - true_s[j]))
    hits = len(err)
    return {"precision": hits / max(len(found_s), 1), "recall": hits / max(len(true_s), 1),
            "count_ratio": len(found_s) / max(len(true_s), 1),
            "median_abs_error_ms": 1000 * float(np.median(np.abs(err))) if err else np.nan}


def detect(samples: np.ndarray, rate_hz: int = 22_050, **options) -> np.ndarray:
    return gait.footfalls(Audio(samples.astype(np.float32), rate_hz), **options)["time_s"] \
        .to_numpy()


@pytest.mark.parametrize("cadence_spm", [90.0, 110.0, 130.0])
def test_arm_swing_adds_no_footfalls_at_walking_cadences(cadence_spm):
    """Swooshes as loud as the footfalls (0 dB) and 6 dB louder, at any swing phase: no
    clip counts more than 8 % over its footfalls (the old detector counted 1.5–2× at 90
    spm)."""
    for seed in range(3):
        for swing_db in (0.0, 6.0):
            x, onsets, _ = phone_soundtrack(20.0, cadence_spm, seed=seed, swing_db=swing_db)
            s = scored(detect(x), onsets)
            print(f"{cadence_spm:.0f} spm seed {seed} swing {swing_db:+.0f} dB: {s}")
            assert s["count_ratio"] <= 1.08, s  # at most ~2 extras in ~30-40 steps
            # a swoosh 6 dB over the footfalls can mask some (seed 0 at 110 spm: 65 %);
            # the pooled test below holds recall to 95 %
            assert s["recall"] >= 0.6, s


def test_arm_swing_over_many_seeds_pooled():
    """Pooled over 24 walks at 90–130 spm with swooshes 0–6 dB over the footfalls:
    precision and recall ≥ 95 %, the count within 3 %."""
    hits = found = true = 0
    for seed in range(8):
        rng = np.random.default_rng(100 + seed)
        for cadence in (90.0, 110.0, 130.0):
            x, onsets, _ = phone_soundtrack(15.0, cadence, seed=100 + seed,
                                            swing_db=float(rng.uniform(0, 6)))
            t = detect(x)
            s = scored(t, onsets)
            hits += round(s["recall"] * onsets.size)
            found += t.size
            true += onsets.size
    print(f"pooled: precision {hits / found:.3f}, recall {hits / true:.3f}, "
          f"count {found / true:.3f}")
    assert hits / found >= 0.95 and hits / true >= 0.95
    assert abs(found / true - 1) <= 0.03


@pytest.mark.parametrize("cadence_spm", [90.0, 120.0, 150.0, 180.0, 200.0])
def test_phone_held_still_every_footfall(cadence_spm):
    x, onsets, _ = phone_soundtrack(20.0, cadence_spm, seed=7, arm_swing=False,
                                    background="speech", background_db=-25.0)
    s = scored(detect(x), onsets)
    assert s["precision"] >= 0.95 and s["recall"] >= 0.97, s
    assert s["median_abs_error_ms"] < 10


def test_recorded_footstep_with_arm_swing_held_out():
    """A real recorded footstep (heel strike, forefoot 70 ms later) as every footfall,
    under swooshes 0–6 dB louder, 90–130 spm: held out of the detector's design. Pooled
    precision and recall ≥ 95 %, no clip over 8 % more footfalls than true."""
    sound = recorded_footfall()
    hits = found = true = 0
    for seed in range(4):
        for cadence in (90.0, 110.0, 130.0):
            x, onsets, _ = phone_soundtrack(15.0, cadence, seed=2000 + seed,
                                            swing_db=2.0 * seed, footfall_sound=sound)
            t = detect(x)
            s = scored(t, onsets)
            assert s["count_ratio"] <= 1.08, (cadence, seed, s)
            hits += round(s["recall"] * onsets.size)
            found += t.size
            true += onsets.size
    print(f"recorded footstep: precision {hits / found:.3f}, recall {hits / true:.3f}")
    assert hits / found >= 0.95 and hits / true >= 0.95


def test_walk_then_run_in_one_clip():
    """The step period is local: a walk at 110 spm then a run at 175 spm, both counted."""
    a, on_a, _ = phone_soundtrack(15.0, 110.0, seed=0, swing_db=3.0)
    b, on_b, _ = phone_soundtrack(15.0, 175.0, seed=50, swing_db=3.0)
    s = scored(detect(np.r_[a, b]), np.r_[on_a, on_b + 15.0])
    assert s["precision"] >= 0.97 and s["recall"] >= 0.97, s


def test_without_periodicity_the_swing_clicks_stay():
    """The beat tracker is what drops the off-beat sharp sounds (grip clicks, scuffs)."""
    x, onsets, _ = phone_soundtrack(30.0, 100.0, seed=3, swing_db=3.0, handling_per_s=0.5)
    with_ = scored(detect(x), onsets)
    without = scored(detect(x, periodic=False), onsets)
    assert without["count_ratio"] > with_["count_ratio"]
    assert with_["precision"] > without["precision"]


def test_beat_tracker_keeps_the_rhythm_and_drops_off_beat_onsets():
    period = 0.55
    steps = np.arange(40) * period
    steps = np.r_[steps[:20], steps[20:] + 6.0]  # a 6-s pause: two bouts
    masked = np.delete(steps, 10)  # one footfall not heard
    extras = masked[:-1][::3] + period * np.array([0.5, 0.4, 0.6])[np.arange(13) % 3]
    onsets = np.r_[masked, extras]
    margin = np.r_[np.full(masked.size, 12.0), np.full(extras.size, 4.0)]
    order = np.argsort(onsets)
    keep = _periodic(onsets[order], margin[order], margin[order] + 3.0)
    kept = onsets[order][keep]
    assert np.array_equal(np.sort(kept), masked)


def test_output_columns_are_stable():
    x, _, _ = phone_soundtrack(5.0, 150.0, seed=1)
    assert gait.footfalls(Audio(x.astype(np.float32), 22_050)).columns == COLUMNS
    assert gait.footfalls(Audio(np.zeros(100, np.float32), 22_050)).columns == COLUMNS


def test_generator_is_reproducible_and_checks_its_options():
    a = phone_soundtrack(3.0, 120.0, seed=4, background="traffic")
    b = phone_soundtrack(3.0, 120.0, seed=4, background="traffic")
    assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))
    assert np.abs(a[0]).max() <= 1.0
    with pytest.raises(ValueError):
        phone_soundtrack(3.0, 120.0, surface="ice")
