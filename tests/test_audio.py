"""runlab.io.audio and runlab.gait.footfalls on synthetic footfalls with known onsets."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from scipy.io import wavfile

from runlab import gait
from runlab.errors import ReadError, UnsupportedFormatError
from runlab.io.audio import Audio, read_audio, write_wav
from runlab.simulate import FOOTFALL_LEVELS as LEVELS  # amplitudes, 6 dB apart
from runlab.simulate import footfall_audio


def matched(found, onsets):
    """Detected time and loudness of the footfall nearest each true onset."""
    t = found["time_s"].to_numpy()
    nearest = np.abs(t[:, None] - onsets[None, :]).argmin(axis=0)
    return t[nearest], found["loudness_db"].to_numpy()[nearest]


@pytest.mark.parametrize(("rate_hz", "cadence"), [(22_050, 150.0), (44_100, 180.0),
                                                  (16_000, 165.0)])
def test_onsets_within_20_ms_and_loudness_ranked(tmp_path, rate_hz, cadence):
    x, onsets, amp = footfall_audio(cadence_spm=cadence, rate_hz=rate_hz, seed=int(cadence))
    audio = read_audio(write_wav(tmp_path / "run.wav", x, rate_hz))
    found = gait.footfalls(audio)
    assert found.height == onsets.size  # none missed, none extra
    t, loudness = matched(found, onsets)
    error_ms = np.abs(t - onsets) * 1000
    print(f"{rate_hz} Hz: {onsets.size} footfalls, onset error max {error_ms.max():.1f} ms, "
          f"mean {error_ms.mean():.1f} ms")
    assert error_ms.max() < 20
    # every louder footfall (6 dB steps) measures louder than every quieter one
    i, j = np.triu_indices(onsets.size, 1)
    differ = amp[i] != amp[j]
    assert (np.sign(loudness[i] - loudness[j]) == np.sign(amp[i] - amp[j]))[differ].all()
    steps = np.diff([loudness[amp == a].mean() for a in LEVELS])
    assert steps == pytest.approx([6.0] * 3, abs=1.0)  # amplitude ×2 → +6 dB
    summary = gait.footfall_summary(found).row(0, named=True)
    assert summary["cadence_spm"] == pytest.approx(cadence, rel=0.03)


def test_quieter_session_compares_quieter():
    loud, _, _ = footfall_audio(seed=1, levels=(0.4,))
    soft, _, _ = footfall_audio(seed=2, levels=(0.2,))
    a = gait.footfall_summary(gait.footfalls(Audio(loud.astype(np.float32), 22_050)))
    b = gait.footfall_summary(gait.footfalls(Audio(soft.astype(np.float32), 22_050)))
    assert a["loudness_db"][0] - b["loudness_db"][0] == pytest.approx(6.0, abs=1.0)


def test_silence_and_short_audio_have_no_footfalls():
    rng = np.random.default_rng(0)
    assert gait.footfalls(Audio(rng.normal(0, 0.003, 22_050 * 5).astype(np.float32),
                                22_050)).height == 0
    assert gait.footfalls(Audio(np.zeros(100, np.float32), 22_050)).height == 0


def test_video_soundtrack_via_bundled_ffmpeg(tmp_path):
    import imageio_ffmpeg

    x, onsets, _ = footfall_audio(seconds=12.0, rate_hz=44_100, seed=5)
    wav = write_wav(tmp_path / "track.wav", x, 44_100)
    video = tmp_path / "clip.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                    "color=c=gray:s=64x64:r=10:d=12", "-i", str(wav), "-c:v", "mpeg4",
                    "-c:a", "aac", "-b:a", "128k", "-shortest", str(video)], check=True)
    audio = read_audio(video)
    assert audio.rate_hz == 22_050 and audio.duration_s == pytest.approx(12.0, abs=0.1)
    found = gait.footfalls(audio)
    assert found.height == onsets.size
    t, _ = matched(found, onsets)
    assert np.abs(t - onsets).max() < 0.020


def test_wav_sample_formats_and_channels(tmp_path):
    x, _, _ = footfall_audio(seconds=3.0, rate_hz=8_000, seed=3)
    x = 0.5 * x / np.abs(x).max()
    wavfile.write(tmp_path / "f32.wav", 8_000, x.astype(np.float32))
    wavfile.write(tmp_path / "i32.wav", 8_000, np.round(x * 2**31).astype(np.int32))
    wavfile.write(tmp_path / "u8.wav", 8_000, np.round(x * 127 + 128).astype(np.uint8))
    wavfile.write(tmp_path / "stereo.wav", 8_000,
                  np.round(np.column_stack([x, x]) * 32767).astype(np.int16))
    for name, tol in [("f32.wav", 1e-6), ("i32.wav", 1e-6), ("u8.wav", 1e-2),
                      ("stereo.wav", 1e-4)]:
        audio = read_audio(tmp_path / name)
        assert audio.rate_hz == 8_000 and np.allclose(audio.samples, x, atol=tol), name
    assert read_audio(tmp_path / "f32.wav", rate_hz=16_000).samples.size == 2 * x.size


def test_bad_audio_raises_read_error_naming_the_file(tmp_path):
    (tmp_path / "broken.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunkjunk")
    (tmp_path / "notes.txt").write_text("not audio at all\n")
    (tmp_path / "empty.wav").write_bytes(b"")
    import imageio_ffmpeg

    silent = tmp_path / "silent.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                    "color=c=gray:s=64x64:r=10:d=1", "-c:v", "mpeg4", str(silent)], check=True)
    for name, error in [("broken.wav", ReadError), ("notes.txt", UnsupportedFormatError),
                        ("empty.wav", ReadError), ("missing.wav", ReadError),
                        ("silent.mp4", ReadError)]:
        with pytest.raises(error) as err:
            read_audio(tmp_path / name)
        assert name in str(err.value)
        if name == "silent.mp4":  # a video without sound says so, not "Invalid argument"
            assert "no soundtrack" in str(err.value)
            assert not isinstance(err.value, UnsupportedFormatError)
