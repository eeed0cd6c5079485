"""runlab.gait.pose (the ``video`` extra) on rendered clips: a shaded figure drawn from
runlab.simulate.running_pose (known landmarks and contacts), MediaPipe's legacy Pose with
the network blocked. Skips without mediapipe, except in CI's video job (conftest)."""

from __future__ import annotations

import socket
import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import runlab
from runlab.errors import FormError, RunlabWarning
from runlab.simulate import running_pose
from runlab.simulate.figure import front_pose, render_figure, write_clip

pytestmark = pytest.mark.video


W, H, FPS = 480, 270, 30


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any connection attempt (a model download) fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(scope="module")
def runner():
    pose, truth = running_pose(seconds=2.5, fps=FPS, width_px=W, height_px=H, leg_px=100,
                               noise_px=0.0)
    return pose, truth, render_figure(pose, width_px=W, height_px=H)


@pytest.fixture(scope="module")
def side(runner, tmp_path_factory, mediapipe):
    path = write_clip(tmp_path_factory.mktemp("pose") / "side.mp4", runner[2], fps=FPS)
    return path, runlab.gait.pose(path)


def _nearest_error_px(got: pl.DataFrame, truth: pl.DataFrame, name: str,
                      dx: float = 0.0) -> float:
    """Median distance [px] from a true landmark to the nearer of MediaPipe's left and
    right one of that name (side views swap left and right easily)."""
    t = truth.filter(pl.col("landmark") == name).sort("frame")
    errs = []
    for side in ("left", "right"):
        g = got.filter(pl.col("landmark") == name.replace("left", side)).sort("frame")
        j = g.join(t, on="frame", suffix="_true")
        errs.append(np.hypot(j["x_px"] - j["x_px_true"] - dx, j["y_px"] - j["y_px_true"]))
    return float(np.median(np.minimum(*errs)))


def test_rendered_runner_is_found_offline(side, runner):
    path, got = side
    pose, _, frames = runner
    assert list(got.columns) == ["frame", "time_s", "landmark", "x_px", "y_px", "z_px",
                                 "visibility"]
    assert got["landmark"].n_unique() == 33
    meta = got.meta
    assert meta["frames_total"] == len(frames) and meta["frames_dropped"] <= 2
    assert meta["frames_used"] == got["frame"].n_unique()
    assert (meta["width_px"], meta["height_px"], meta["people"]) == (W, H, 1)
    assert "model_complexity=1" in meta["model"]
    np.testing.assert_allclose(got.filter(pl.col("landmark") == "nose")["time_s"],
                               got.filter(pl.col("landmark") == "nose")["frame"] / FPS,
                               atol=1e-4)
    for name in ("left_hip", "left_knee", "left_ankle", "left_heel", "left_shoulder"):
        assert _nearest_error_px(got, pose, name) < 8, name  # leg 85 px


def test_mediapipe_downloads_nothing(side, mediapipe):
    # the bundled landmark model of complexity 1; complexity 0 and 2 would be fetched
    # into the package's modules folder at first use
    folder = Path(mediapipe.__file__).parent / "modules" / "pose_landmark"
    assert (folder / "pose_landmark_full.tflite").exists()
    assert not (folder / "pose_landmark_heavy.tflite").exists()
    assert not (folder / "pose_landmark_lite.tflite").exists()


def test_rendered_runner_contacts_and_cadence(side, runner):
    """The chain read_video → pose → form recovers the rendered runner's contacts."""
    _, got = side
    _, truth, _ = runner
    f = runlab.gait.form(got)
    t_true = truth["time_s"].to_numpy()
    t_got = f.steps["time_s"].to_numpy()
    inside = t_true[(t_true > t_got.min() - 0.1) & (t_true < t_got.max() + 0.1)]
    err = np.array([np.min(np.abs(t_got - t)) for t in inside])
    # the chain's timing: most contacts within a frame (form's own accuracy is tested and
    # validated in test_form.py; at this figure size one far-foot contact of 7 is late)
    assert np.mean(err <= 1.0 / FPS + 1e-9) >= 0.8, err
    # 2.5 s hold only ~7 contacts, so one late contact moves form's cadence by ~4 %
    assert f.summary["cadence_spm"][0] == pytest.approx(170, rel=0.05)


def test_no_person_is_refused(tmp_path, mediapipe):
    path = write_clip(tmp_path / "empty.mp4", np.full((30, H, W, 3), 190, np.uint8), fps=FPS)
    with pytest.raises(FormError, match="no confident pose.*30 frames"):
        runlab.gait.pose(path)


def test_frames_without_the_runner_are_dropped_and_counted(runner, tmp_path, mediapipe):
    frames = runner[2].copy()
    frames[20:40] = frames[0, 0, 0]  # the runner leaves the frame for 20 frames
    got = runlab.gait.pose(write_clip(tmp_path / "gap.mp4", frames, fps=FPS))
    assert 18 <= got.meta["frames_dropped"] <= 24
    assert not set(range(22, 38)) & set(got["frame"].unique().to_list())


def test_front_view_is_refused(tmp_path, mediapipe):
    fp = front_pose(seconds=2.0, fps=FPS, width_px=W, height_px=H, leg_px=85)
    path = write_clip(tmp_path / "front.mp4", render_figure(fp, width_px=W, height_px=H,
                                                            view="front"), fps=FPS)
    with pytest.raises(FormError, match="front or back view.*side"):
        runlab.gait.pose(path)
    got = runlab.gait.pose(path, check_view=False)  # it is a person, seen from the front
    assert got.meta["view_width_ratio"] > runlab.gait.pose.__globals__["FRONT_VIEW_RATIO"]


def test_two_people_follow_the_most_visible(tmp_path, mediapipe):
    big, _ = running_pose(seconds=2.0, fps=FPS, width_px=W, height_px=H, leg_px=80,
                          noise_px=0.0)
    small, _ = running_pose(seconds=2.0, fps=FPS, width_px=W, height_px=H, leg_px=62,
                            cadence_spm=160, noise_px=0.0, seed=1)
    both = pl.concat([small.with_columns(pl.col("x_px") - 120, person=pl.lit(0)),
                      big.with_columns(pl.col("x_px") + 110, person=pl.lit(1))])
    path = write_clip(tmp_path / "two.mp4", render_figure(both, width_px=W, height_px=H),
                      fps=FPS)
    with pytest.warns(RunlabWarning, match="2 people.*most visible"):
        got = runlab.gait.pose(path)
    assert got.meta["people"] == 2
    assert _nearest_error_px(got, big, "left_hip", dx=110) < 8
    assert _nearest_error_px(got, big, "left_ankle", dx=110) < 12


def test_a_bigger_person_without_feet_in_view_is_not_followed(tmp_path, mediapipe):
    """A coach beside a treadmill, nearer the camera and cut off at the knees by the frame,
    is bigger than the runner: followed as "the most visible", no frame showed feet (a
    real clip lost 7 of 10 steps per scene so). With no feet in view for 0.5 s the other
    person is followed, also through frames where the detector misses the small runner."""
    runner, _ = running_pose(seconds=2.0, fps=FPS, width_px=W, height_px=H, leg_px=60,
                             noise_px=0.0, seed=1)
    coach, _ = running_pose(seconds=2.0, fps=FPS, width_px=W, height_px=H, leg_px=120,
                            cadence_spm=150, noise_px=0.0, seed=2)
    both = pl.concat([runner.with_columns(pl.col("x_px") - 120, person=pl.lit(0)),
                      coach.with_columns(pl.col("x_px") + 110, pl.col("y_px") + 110,
                                         person=pl.lit(1))])
    floor = float(runner["y_px"].max()) + 3
    path = write_clip(tmp_path / "coach.mp4", render_figure(both, width_px=W, height_px=H,
                                                             floor_y_px=floor), fps=FPS)
    with pytest.warns(RunlabWarning, match="2 people"):
        got = runlab.gait.pose(path)
    late = got.filter(pl.col("frame") >= FPS)  # after the first second: the runner
    assert _nearest_error_px(late, runner, "left_hip", dx=-120) < 8
    f = runlab.gait.form(got)
    assert f.summary["frames_used"][0] >= 30
    assert f.summary["cadence_spm"][0] == pytest.approx(170, rel=0.05)


def test_portrait_and_slow_motion_clips(runner, tmp_path, mediapipe):
    pose, _, frames = runner
    upright = np.ascontiguousarray(frames[:, :, 105:375])  # 270 × 270 crop
    tall = np.concatenate([np.full_like(upright[:, :60], 196), upright], axis=1)  # 330 high
    path = write_clip(tmp_path / "portrait.mp4", tall, fps=FPS, rotation_deg=90,
                      capture_fps=240)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RunlabWarning)
        got = runlab.gait.pose(path)
    assert (got.meta["width_px"], got.meta["height_px"], got.meta["rotation_deg"]) == \
        (270, 330, 90)
    assert got.meta["fps"] == pytest.approx(240, rel=1e-3)
    nose = got.filter(pl.col("landmark") == "nose")
    np.testing.assert_allclose(nose["time_s"], nose["frame"] / 240, atol=1e-5)
    moved = pose.with_columns(pl.col("x_px") - 105, pl.col("y_px") + 60)
    assert _nearest_error_px(got, moved, "left_hip") < 8
