"""runlab.simulate.phone_log and footfall_clip: written files read back to their truth."""

from __future__ import annotations

import numpy as np
import pytest

import runlab
from runlab import gait, simulate


@pytest.mark.parametrize("placement", ["pocket", "armband", "hand"])
@pytest.mark.parametrize("spm", [150.0, 178.0])
def test_phone_log_steps_recovered(tmp_path, placement, spm):
    path = tmp_path / f"{placement}.csv"
    truth = simulate.phone_log(path, spm=spm, seconds=30, placement=placement, seed=int(spm))
    assert path.read_text().startswith('"Time (s)","Acceleration x (m/s^2)"')
    imu = runlab.read_imu(path)
    assert imu["time_s"][0] == 0.0 and imu["timestamp"].null_count() == imu.height
    gaps = np.diff(imu["time_s"].to_numpy())
    assert gaps.std() / gaps.mean() > 0.1  # irregular sampling, as phones deliver it
    assert imu.height / imu["time_s"][-1] == pytest.approx(100, rel=0.05)
    found = gait.steps(imu)
    print(f"{placement} {spm:.0f} spm: {found.height} steps, truth {truth.size}")
    assert found.height == pytest.approx(truth.size, rel=0.03)
    near = np.abs(found["time_s"].to_numpy()[:, None] - truth[None, :]).min(axis=0)
    assert np.mean(near < 0.06) > 0.95  # on the file's clock
    rec = gait.step_records(gait.steps(imu))
    assert rec["cadence_spm"].median() == pytest.approx(spm, rel=0.03)


def test_phone_log_rejects_unknown_placement(tmp_path):
    with pytest.raises(ValueError, match="placement='belt'"):
        simulate.phone_log(tmp_path / "x.csv", placement="belt")


def test_footfall_clip_onsets_and_loudness(tmp_path):
    loud = simulate.footfall_clip(tmp_path / "loud.mp4", spm=165, seconds=6,
                                  loudness_db=-10, seed=1)
    quiet = simulate.footfall_clip(tmp_path / "quiet.mp4", spm=180, seconds=4,
                                   loudness_db=-22, seed=2)
    summaries = []
    for name, truth, spm in [("loud.mp4", loud, 165), ("quiet.mp4", quiet, 180)]:
        audio = runlab.read_audio(tmp_path / name)
        assert audio.duration_s == pytest.approx(6 if name == "loud.mp4" else 4, abs=0.1)
        found = gait.footfalls(audio)
        assert found.height == truth.size
        error_ms = np.abs(found["time_s"].to_numpy()[:, None] - truth[None, :]).min(axis=0) \
            * 1000
        print(f"{name}: {truth.size} footfalls, onset error max {error_ms.max():.1f} ms")
        assert error_ms.max() < 20
        summary = gait.footfall_summary(found)
        assert summary["cadence_spm"][0] == pytest.approx(spm, rel=0.05)
        summaries.append(summary)
    # 12 dB quieter landings measure about 12 dB quieter through AAC
    difference = summaries[0]["loudness_db"][0] - summaries[1]["loudness_db"][0]
    assert difference == pytest.approx(12, abs=1.5)


def test_footfall_clip_has_moving_frames(tmp_path):
    import imageio_ffmpeg

    simulate.footfall_clip(tmp_path / "c.mp4", seconds=3, seed=3)
    reader = imageio_ffmpeg.read_frames(str(tmp_path / "c.mp4"))
    meta = next(reader)
    assert meta["size"] == (160, 120) and meta["fps"] == pytest.approx(10)
    frames = [np.frombuffer(f, np.uint8).reshape(120, 160, 3) for f in reader]
    assert len(frames) == 30
    red = [np.argwhere((f[..., 0] > 150) & (f[..., 1] < 120)) for f in frames]
    x = [r[:, 1].mean() for r in red]
    assert all(r.size for r in red) and x[-1] - x[0] > 80  # the dot crosses the frame


def test_same_seed_same_bytes(tmp_path):
    for i in (1, 2):
        simulate.phone_log(tmp_path / f"p{i}.csv", seconds=10, placement="hand", seed=5)
        simulate.footfall_clip(tmp_path / f"c{i}.mp4", seconds=2, seed=5)
    simulate.phone_log(tmp_path / "p3.csv", seconds=10, placement="hand", seed=6)
    simulate.footfall_clip(tmp_path / "c3.mp4", seconds=2, seed=6)
    data = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert data["p1.csv"] == data["p2.csv"] and data["c1.mp4"] == data["c2.mp4"]
    assert data["p1.csv"] != data["p3.csv"] and data["c1.mp4"] != data["c3.mp4"]
