"""Cues: metronome click timing to the sample, WAV output, FIT workouts decoded by the SDK."""

from __future__ import annotations

import datetime as dt
import io
import wave

import numpy as np
import polars as pl
import pytest

from runlab import cues, plan


@pytest.mark.parametrize(("spm", "sr"), [(160, 44100), (171.5, 48000), (183, 22050)])
def test_constant_tempo_onsets_are_exact(spm, sr):
    m = cues.metronome(spm, 30, sample_rate=sr)
    k = np.arange(len(m.onsets))
    assert np.array_equal(m.onsets, np.rint(k * 60 * sr / spm).astype(np.int64))
    assert len(m.onsets) == int(np.floor((30 * sr - 1) * spm / 60 / sr)) + 1
    # each click starts exactly there: silence just before, sound from the onset on
    for start in m.onsets[1:5]:
        assert m.samples[start - 1] == 0.0
        assert np.abs(m.samples[start:start + 20]).max() > 0.05


def test_ramped_onsets_follow_integrated_tempo():
    sr, f0_spm, f1_spm, seconds = 44100, 156.0, 168.0, 60.0
    m = cues.metronome(f1_spm, seconds, sample_rate=sr, ramp_from_spm=f0_spm, ramp_s=40)
    # integrate the tempo numerically sample by sample and find where it crosses k
    t = np.arange(int(seconds * sr) + 1) / sr
    tempo = np.where(t < 40, f0_spm + (f1_spm - f0_spm) * t / 40, f1_spm) / 60
    phase = np.concatenate([[0], np.cumsum((tempo[1:] + tempo[:-1]) / 2 / sr)])
    k = np.arange(len(m.onsets))
    expected = np.searchsorted(phase, k)  # first sample whose phase ≥ k
    assert np.abs(m.onsets - expected).max() <= 1  # the crossing lies between two samples
    gaps = np.diff(m.onsets) / sr
    assert gaps[0] == pytest.approx(60 / f0_spm, rel=5e-3)
    assert gaps[-1] == pytest.approx(60 / f1_spm, abs=1 / sr)
    assert np.all(np.diff(gaps[: int(40 * 2.6) - 2]) <= 1 / sr)  # the steps only get quicker
    assert len(m.onsets) == int(np.floor(phase[-2])) + 1


def test_accents_and_wav_roundtrip(tmp_path):
    m = cues.metronome(180, 4, accent_every=3, sample_rate=8000)
    peaks = np.array([np.abs(m.samples[s:s + 96]).max() for s in m.onsets])
    assert np.all(peaks[::3] > peaks[1::3].max())
    path = m.save(tmp_path / "click.wav")
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 8000)
        pcm = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    assert len(pcm) == 4 * 8000
    assert np.array_equal(pcm, np.rint(m.samples * 32767).astype(np.int16))
    assert path.read_bytes() == m.wav_bytes()
    html = m._repr_html_()
    assert html.count("<audio") == 1 and "data:audio/wav;base64," in html
    assert m.audio().data[:4] == b"RIFF"


@pytest.mark.parametrize(("kw", "name"), [({"spm": 20}, "spm"), ({"seconds": -1}, "seconds"),
                                          ({"sample_rate": 44100.5}, "sample_rate"),
                                          ({"ramp_from_spm": 300}, "ramp_from_spm"),
                                          ({"accent_every": 0}, "accent_every")])
def test_metronome_rejects_bad_input(kw, name):
    args = {"spm": 170, "seconds": 10} | kw
    with pytest.raises(ValueError, match=rf"invalid {name} .*allowed"):
        cues.metronome(**args)


# --- FIT workouts, decoded by the official Garmin FIT SDK ---------------------------------

@pytest.fixture(scope="module")
def clinic():
    return plan.clinic(dt.date(2026, 3, 2), 8, days_per_week=5, technique_days=2,
                       habitual_cadence_spm=158, boost=0.06)


def decode(data: bytes):
    from garmin_fit_sdk import Decoder, Stream

    checker = Decoder(Stream.from_byte_array(bytearray(data)))
    assert checker.is_fit() and checker.check_integrity()
    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read()
    assert errors == []
    return messages


def check_steps(messages, day):
    """Every decoded step equals the planned step, and the repeats add up to the plan."""
    steps = messages["workout_step_mesgs"]
    planned = cues.workout_steps(day)
    assert [s["message_index"] for s in steps] == list(range(len(planned)))
    assert messages["workout_mesgs"][0]["num_valid_steps"] == len(planned)
    seconds = 0.0
    for i, (got, want) in enumerate(zip(steps, planned, strict=True)):
        assert got["wkt_step_name"] == want["wkt_step_name"]
        if want["duration_type"] == 6:  # repeat_until_steps_cmplt
            assert got["duration_type"] == "repeat_until_steps_cmplt"
            assert got["duration_step"] < i and got["repeat_steps"] == want["target_value"]
            block = steps[got["duration_step"]:i]
            seconds += (got["repeat_steps"] - 1) * sum(s.get("duration_time", 0) for s in block)
            continue
        kind = {0: "time", 1: "distance"}[want["duration_type"]]
        assert got["duration_type"] == kind
        if kind == "time":
            assert got["duration_time"] == want["duration_value"] / 1000
            seconds += got["duration_time"]
        else:
            assert got["duration_distance"] == pytest.approx(plan.MILE_M, abs=0.01)
            seconds += plan.MILE_M / 2.5
        if want["target_type"] == 3:
            assert got["target_type"] == "cadence"
            lo, hi = got["custom_target_cadence_low"], got["custom_target_cadence_high"]
            assert 2 * lo <= day["cadence_low_spm"] and 2 * hi >= day["cadence_high_spm"]
            assert 2 * hi - 2 * lo <= day["cadence_high_spm"] - day["cadence_low_spm"] + 4
        else:
            assert got["target_type"] == "open"
        assert got["intensity"] in {"warmup", "active", "recovery", "interval", "cooldown"}
    strides = day["strides"] * (plan.STRIDE_RECOVERY_S + day["stride_s"])
    hills = day["hill_reps"] * (plan.HILL_RECOVERY_S + day["hill_rep_s"])
    main = (day["run_s"] or 0) * day["repeats"] + (day["walk_s"] or 0) * day["repeats"]
    test = (day["test_distance_m"] or 0) / 2.5
    assert seconds == pytest.approx(day["warmup_s"] + strides + hills + main + test
                                    + day["cooldown_s"])
    assert seconds == pytest.approx(day["duration_s"])


def test_every_session_kind_decodes_with_the_sdk(clinic, tmp_path):
    kinds = clinic.unique("session_type", keep="first", maintain_order=True)
    assert set(kinds["session_type"]) == set(plan.SESSION_TYPES)
    created = dt.datetime(2026, 3, 1, 8, tzinfo=dt.UTC)
    for day in kinds.iter_rows(named=True):
        path = cues.fit_workout(day, tmp_path / f"{day['session_type']}.fit",
                                time_created=created)
        messages = decode(path.read_bytes())
        fid = messages["file_id_mesgs"][0]
        assert fid["type"] == "workout" and fid["time_created"] == created
        assert messages["workout_mesgs"][0]["sport"] == "running"
        check_steps(messages, day)


def test_walk_run_repeats_and_strides_in_the_file(clinic):
    day = clinic.filter(pl.col("session_type") == "technique").row(0, named=True)
    steps = decode(cues.fit_workout(day))["workout_step_mesgs"]
    names = [s["wkt_step_name"] for s in steps]
    assert names[0] == "warm-up walk" and names[-1] == "cool-down"
    assert names.count("stride 30 s") == 1 and f"repeat x{day['strides']}" in names
    assert f"repeat x{day['repeats']}" in names and "run 1:1" in names


def test_fit_workout_rejects_non_rows(clinic):
    with pytest.raises(ValueError, match="one plan row"):
        cues.fit_workout(clinic.head(2))
    with pytest.raises(ValueError, match="plan_day lacks"):
        cues.fit_workout({"session_type": "easy"})


def test_wav_is_readable_by_stdlib():
    data = cues.metronome(170, 1).wav_bytes()
    with wave.open(io.BytesIO(data)) as w:
        assert w.getnframes() == 44100
