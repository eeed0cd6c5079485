"""runlab.read_video on clips generated here: time stamps from the container (constant and
variable rate, slow motion), rotation, and every bad input ending in a ReadError naming it."""

from __future__ import annotations

import os

import numpy as np
import pytest

import runlab
from runlab.errors import (
    CorruptFileError,
    FileTooLargeError,
    ReadError,
    TimeLimitError,
    UnsupportedFormatError,
)
from runlab.io import video as video_mod
from runlab.simulate.figure import write_clip

pytestmark = pytest.mark.video



def _frames(n: int = 30, w: int = 96, h: int = 64) -> np.ndarray:
    """Frames with a bright block in the top-left corner (so orientation shows) that
    moves right by one pixel per frame."""
    f = np.full((n, h, w, 3), 40, np.uint8)
    for i in range(n):
        f[i, 4:20, 4 + i:24 + i] = (230, 200, 60)
    return f


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    d = tmp_path_factory.mktemp("clips")
    f = _frames()
    vfr_times = np.concatenate([np.arange(15) / 30, 0.5 + np.arange(15) / 60])
    return {
        "plain": (write_clip(d / "plain.mp4", f, fps=30), f),
        "portrait": (write_clip(d / "portrait.mp4", np.ascontiguousarray(f.transpose(0, 2, 1, 3)),
                                fps=30, rotation_deg=90), f.transpose(0, 2, 1, 3)),
        "upside": (write_clip(d / "upside.mp4", f, fps=30, rotation_deg=180), f),
        "vfr": (write_clip(d / "vfr.mp4", f, times_s=vfr_times), vfr_times),
        "slow": (write_clip(d / "slow.mp4", f, fps=30, capture_fps=240), f),
        "dir": d,
    }


def test_constant_rate_times_from_the_container(clips):
    path, f = clips["plain"]
    v = runlab.read_video(path)
    assert (v.width_px, v.height_px, v.rotation_deg, v.capture_fps) == (96, 64, 0, None)
    assert v.n_frames == 30
    np.testing.assert_allclose(v.frame_times_s, np.arange(30) / 30, atol=1e-4)
    assert v.fps == pytest.approx(30, rel=1e-3)
    assert v.duration_s == pytest.approx(1.0, rel=1e-3)
    got = list(v.frames())
    assert [i for i, _, _ in got] == list(range(30))
    np.testing.assert_allclose([t for _, t, _ in got], v.frame_times_s, atol=1e-9)
    assert got[5][2].shape == (64, 96, 3)
    assert np.abs(got[5][2].astype(int) - f[5]).mean() < 8  # the frame, not another


def test_variable_frame_rate_is_not_assumed_constant(clips):
    path, times = clips["vfr"]
    v = runlab.read_video(path)
    np.testing.assert_allclose(v.frame_times_s, times, atol=1e-4)
    np.testing.assert_allclose([t for _, t, _ in v.frames()], times, atol=1e-4)
    assert v.fps == pytest.approx(29 / times[-1], rel=1e-3)  # 30 then 60 fps: ~39


@pytest.mark.parametrize("kind", ["portrait", "upside"])
def test_rotation_metadata_gives_upright_frames(clips, kind):
    path, upright = clips[kind]
    v = runlab.read_video(path)
    assert v.rotation_deg == {"portrait": 90, "upside": 180}[kind]
    h, w = upright.shape[1:3]
    assert (v.width_px, v.height_px) == (w, h)
    _, _, rgb = next(iter(v.frames()))
    assert rgb.shape == (h, w, 3)
    good = np.abs(rgb.astype(int) - upright[0]).mean()
    wrong = np.abs(rgb.astype(int) - np.rot90(upright[0], 2)).mean()
    assert good < 8 < wrong


def test_slow_motion_capture_rate_gives_real_time(clips, tmp_path):
    path, _ = clips["slow"]
    v = runlab.read_video(path)
    assert v.capture_fps == 240
    assert v.playback_fps == pytest.approx(30, rel=1e-3)
    assert v.fps == pytest.approx(240, rel=1e-3)
    np.testing.assert_allclose(v.frame_times_s, np.arange(30) / 240, atol=1e-5)
    np.testing.assert_allclose(v.playback_times_s, np.arange(30) / 30, atol=1e-4)
    assert list(v.frames())[-1][1] == pytest.approx(29 / 240, abs=1e-5)
    # metadata stripped (a messenger): the caller says what the capture rate was
    plain, _ = clips["plain"]
    assert runlab.read_video(plain, capture_fps=120).frame_times_s[-1] == \
        pytest.approx(29 / 120, abs=1e-5)


def test_bad_files_raise_read_errors_naming_them(clips, tmp_path):
    good = clips["plain"][0].read_bytes()
    cases = {
        "empty.mp4": (b"", ReadError),
        "text.mp4": (b"not a video at all\n" * 20, UnsupportedFormatError),
        "truncated.mp4": (good[: len(good) // 2], CorruptFileError),
        "header_only.mp4": (good[:40], CorruptFileError),
    }
    for name, (data, error) in cases.items():
        p = tmp_path / name
        p.write_bytes(data)
        with pytest.raises(error) as info:
            runlab.read_video(p).frames().__next__()
        assert str(p) in str(info.value), name
    with pytest.raises(ReadError, match="missing.mp4"):
        runlab.read_video(tmp_path / "missing.mp4")
    with pytest.raises(ReadError, match="directory"):
        runlab.read_video(tmp_path)
    fifo = tmp_path / "fifo.mp4"
    os.mkfifo(fifo)
    with pytest.raises(ReadError, match="FIFO"):
        runlab.read_video(fifo)


def test_damaged_frames_are_a_read_error(clips, tmp_path):
    data = bytearray(clips["plain"][0].read_bytes())
    mdat = data.find(b"mdat")
    for k in range(mdat + 200, len(data) - 2000, 7):  # garbage through the coded frames
        data[k] ^= 0xFF
    p = tmp_path / "damaged.mp4"
    p.write_bytes(bytes(data))
    try:
        v = runlab.read_video(p)
        n = sum(1 for _ in v.frames())
    except ReadError as exc:
        assert str(p) in str(exc)
    else:  # the decoder concealed the damage: still every frame, with its time
        assert n == v.n_frames


def test_audio_and_playlists_are_not_read(clips, tmp_path):
    from runlab.io.audio import write_wav

    wav = write_wav(tmp_path / "sound.mp4", np.zeros(2205), 22050)
    with pytest.raises(UnsupportedFormatError, match="sound.mp4"):
        runlab.read_video(wav)
    # a playlist or concat list posing as a clip would make ffmpeg open the files it lists
    (tmp_path / "clip.mp4").write_bytes(clips["plain"][0].read_bytes())
    write_wav(tmp_path / "other.wav", np.full(2205, 0.5), 22050)
    for name, text in {
        "list.ffconcat": "ffconcat version 1.0\nfile 'clip.mp4'\n",
        "play.m3u8": "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nclip.mp4\n#EXT-X-ENDLIST\n",
        "secret.mp4": "ffconcat version 1.0\nfile '/etc/passwd'\n",
    }.items():
        p = tmp_path / name
        p.write_text(text)
        with pytest.raises(UnsupportedFormatError, match=name):
            runlab.read_video(p)
        p.write_text(text.replace("clip.mp4", "other.wav"))
        with pytest.raises(UnsupportedFormatError, match=name):  # nor as a soundtrack
            runlab.read_audio(p)


def test_limits(clips, monkeypatch):
    path, _ = clips["plain"]
    with pytest.raises(TimeLimitError, match="plain.mp4"):
        runlab.read_video(path, time_limit_s=1e-4)
    monkeypatch.setattr(video_mod, "MAX_FRAME_PIXELS", 96 * 64 - 1)
    with pytest.raises(FileTooLargeError, match="plain.mp4"):
        runlab.read_video(path)
    monkeypatch.setattr(video_mod, "MAX_FRAME_PIXELS", 10**9)
    monkeypatch.setattr(video_mod, "MAX_FRAMES", 29)
    with pytest.raises(FileTooLargeError, match="30 frames"):
        runlab.read_video(path).frame_times_s  # noqa: B018
    monkeypatch.setattr(video_mod, "MAX_VIDEO_BYTES", 100)
    with pytest.raises(FileTooLargeError, match="plain.mp4"):
        runlab.read_video(path)


def test_frames_scaled_down_on_request(clips):
    path, _ = clips["plain"]
    _, _, rgb = next(iter(runlab.read_video(path).frames(max_side_px=48)))
    assert rgb.shape == (32, 48, 3)


def test_decoding_limit_counts_the_decoder_not_the_caller(clips, tmp_path, monkeypatch):
    import dataclasses
    import time

    path, _ = clips["plain"]
    v = dataclasses.replace(runlab.read_video(path, time_limit_s=30), time_limit_s=4.0)
    assert v.decode_limit_s == 4.0
    slow = 0
    for _ in v.frames():  # a slow caller: 30 × 150 ms > the 4-s budget
        time.sleep(0.15)
        slow += 1
    assert slow == 30
    # a decoder that never answers is killed when its budget is spent
    fake = tmp_path / "ffmpeg"
    fake.write_text("#!/bin/sh\nexec sleep 60\n")
    fake.chmod(0o755)
    monkeypatch.setattr(video_mod, "_ffmpeg", lambda: str(fake))
    start = time.monotonic()
    with pytest.raises(TimeLimitError, match="plain.mp4"):
        next(iter(v.frames()))
    assert time.monotonic() - start < 30


def test_default_decoding_budget_grows_with_the_frames(clips):
    v = runlab.read_video(clips["plain"][0])
    extra = video_mod.DECODE_S_PER_MEGAPIXEL * 96 * 64 / 1e6 * 30
    assert v.decode_limit_s == pytest.approx(v.time_limit_s + extra)


def test_a_cover_picture_is_not_a_video(clips, tmp_path):
    """An M4A with album art has a one-picture 'video' stream; it is not a clip."""
    import subprocess

    from runlab.io._ffmpeg import ffmpeg_exe

    png = tmp_path / "cover.png"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "color=red:s=64x64",
                    "-frames:v", "1", str(png)], check=True)
    m4a = tmp_path / "song.m4a"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                    "sine=frequency=440:duration=1", "-i", str(png), "-map", "0:a", "-map",
                    "1:v", "-c:a", "aac", "-c:v", "png", "-disposition:v", "attached_pic",
                    str(m4a)], check=True)
    with pytest.raises(UnsupportedFormatError, match="song.m4a.*no video stream"):
        runlab.read_video(m4a)


def test_header_report_variants():
    """ffmpeg's report of clips written by older tools: a ``rotate`` tag, a k-rate."""
    report = """Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'file:/x/old.mp4':
  Metadata:
    com.android.capture.fps: 120.000000
  Duration: 00:00:02.00, start: 0.000000, bitrate: 52 kb/s
  Stream #0:0(eng): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, stereo, fltp, 96 kb/s
  Stream #0:1(eng): Video: h264 (High) (avc1 / 0x31637661), yuv420p(tv, bt709), 1920x1080, 17000 kb/s, 1k fps, 30 tbr, 90k tbn
    Metadata:
      rotate          : 270
      handler_name    : VideoHandle
"""
    head = video_mod._parse_header("old.mp4", report, None)
    assert (head.width_px, head.height_px, head.rotation_deg) == (1080, 1920, 270)
    assert head.nominal_fps == 1000 and head.capture_fps == 120 and head.codec == "h264"


def test_the_core_install_does_not_grow():
    """MediaPipe and its pins live in the video extra only (issue 24): the core needs none."""
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())["project"]
    core = " ".join(project["dependencies"]).lower()
    for name in ("mediapipe", "opencv", "protobuf", "numpy<2"):
        assert name not in core
    video = project["optional-dependencies"]["video"]
    assert "mediapipe>=0.10.14,<0.10.22" in video
    assert any(d.startswith("numpy") and "<2" in d for d in video)
    assert any(d.startswith("protobuf") and "<5" in d for d in video)
    import runlab.gait  # noqa: F401 - importable without mediapipe (pose imports it lazily)


def test_a_rendered_clip_can_carry_footfalls(tmp_path):
    """write_clip's soundtrack: footfalls at known times come back from read_audio."""
    from runlab.gait import footfalls
    from runlab.simulate import footfall_audio

    samples, onsets, _ = footfall_audio(3.0, 170.0, 22_050, seed=3)
    path = write_clip(tmp_path / "sound.mp4", _frames(90), fps=30, audio=(samples, 22_050))
    assert runlab.read_video(path).n_frames == 90
    found = footfalls(runlab.read_audio(path))["time_s"].to_numpy()
    assert found.size == onsets.size
    np.testing.assert_allclose(found, onsets, atol=0.01)


def test_mutated_clips_end_in_frames_or_a_read_error(clips, tmp_path):
    """Fuzz slice: truncations, byte flips in the index and in the coded frames, and
    foreign bytes spliced in. Each read either gives frames with increasing times or a
    ReadError naming the file — never another exception or a hang (time_limit_s guards)."""
    rng = np.random.default_rng(24)
    good = clips["vfr"][0].read_bytes()
    moov, mdat = good.find(b"moov"), good.find(b"mdat")
    outcomes = {"frames": 0, "error": 0}
    for k in range(36):
        data = bytearray(good)
        kind = k % 4
        if kind == 0:
            data = data[: int(rng.integers(8, len(data)))]
        elif kind == 1:  # the index (moov): sizes, counts, offsets, time stamps
            for i in rng.integers(moov, len(data), 4):
                data[i] = int(rng.integers(0, 256))
        elif kind == 2:  # the coded frames
            for i in rng.integers(mdat + 8, moov if moov > mdat else len(data), 40):
                data[i] ^= 0xFF
        else:
            at = int(rng.integers(0, len(data)))
            data[at:at] = rng.integers(0, 256, int(rng.integers(1, 4000))).astype(np.uint8).tobytes()
        p = tmp_path / f"mutant{k}.mp4"
        p.write_bytes(bytes(data))
        try:
            v = runlab.read_video(p, time_limit_s=30)
            times = [t for _, t, _ in v.frames()]
            assert np.all(np.diff(times) > 0) and len(times) >= 1
            outcomes["frames"] += 1
        except ReadError as exc:
            assert str(p) in str(exc)
            outcomes["error"] += 1
    assert outcomes["error"] >= 9  # at least the truncations that cut the index


def test_pose_without_the_video_extra_says_how_to_install(clips, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "mediapipe", None)  # as if not installed
    with pytest.raises(ImportError, match=r'pip install "runlab\[video\]"'):
        runlab.gait.pose(clips["plain"][0])
