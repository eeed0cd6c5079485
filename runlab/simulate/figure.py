"""Rendered people for video tests: a shaded figure drawn from pose landmarks.

:func:`render_figure` turns a long landmark frame (the format of :func:`runlab.gait.pose`:
``frame``, ``landmark``, ``x_px``, ``y_px``) into RGB frames of a clothed, shaded figure —
limbs as tapered cylinders lit from the camera side, the far limbs darker, a head with
hair, shoes — on a plain background with a floor. MediaPipe's pose model finds such a
figure, so a clip rendered from a kinematic runner with known contacts
(:func:`runlab.simulate.running_pose`) is ground truth for the whole chain
``read_video`` → ``pose`` → ``form``. :func:`front_pose` gives a runner seen from the front
(which :func:`runlab.gait.pose` must refuse); :func:`write_clip` encodes frames with the
ffmpeg that ``imageio-ffmpeg`` ships, with optional rotation, variable frame rate and
slow-motion metadata as phones write them.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl

__all__ = ["render_figure", "front_pose", "write_clip", "SKIN", "SHIRT", "SHORTS"]

SKIN = (205, 150, 115)
SHIRT = (40, 95, 185)
SHORTS = (35, 35, 45)
_SHOE = (225, 225, 230)
_HAIR = (45, 30, 20)
_BACKGROUND = (196, 204, 212)
_FLOOR = (120, 112, 100)


def _capsule(img: np.ndarray, a: np.ndarray, b: np.ndarray, ra: float, rb: float,
             color: Sequence[int], shade: float) -> None:
    """Draw a tapered cylinder a→b (radii ra, rb [px]) lit from the viewer, in place."""
    h, w, _ = img.shape
    r = max(ra, rb)
    x0, x1 = int(max(0, min(a[0], b[0]) - r - 1)), int(min(w, max(a[0], b[0]) + r + 2))
    y0, y1 = int(max(0, min(a[1], b[1]) - r - 1)), int(min(h, max(a[1], b[1]) + r + 2))
    if x0 >= x1 or y0 >= y1:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    d = b - a
    L2 = float(d @ d) or 1e-6
    s = np.clip(((xx - a[0]) * d[0] + (yy - a[1]) * d[1]) / L2, 0.0, 1.0)
    dist = np.hypot(xx - (a[0] + s * d[0]), yy - (a[1] + s * d[1]))
    rad = ra + (rb - ra) * s
    inside = dist <= rad
    if not inside.any():
        return
    # Lambert shading of a cylinder seen side-on, light from the upper left
    u = np.clip(dist / np.maximum(rad, 1e-6), 0, 1)
    side = np.sign((xx - (a[0] + s * d[0])) * -d[1] + (yy - (a[1] + s * d[1])) * d[0])
    light = np.sqrt(1 - u**2) * 0.75 + 0.25 - 0.12 * side * u
    col = np.asarray(color, np.float32) * shade
    patch = img[y0:y1, x0:x1]
    patch[inside] = np.clip(col[None] * light[inside][:, None], 0, 255).astype(np.uint8)


def _ellipse(img: np.ndarray, c: np.ndarray, rx: float, ry: float, color, shade: float,
             hair: float = 0.0) -> None:
    h, w, _ = img.shape
    x0, x1 = int(max(0, c[0] - rx - 1)), int(min(w, c[0] + rx + 2))
    y0, y1 = int(max(0, c[1] - ry - 1)), int(min(h, c[1] + ry + 2))
    if x0 >= x1 or y0 >= y1:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    q = ((xx - c[0]) / rx) ** 2 + ((yy - c[1]) / ry) ** 2
    inside = q <= 1
    light = np.sqrt(np.clip(1 - q, 0, 1)) * 0.7 + 0.3
    col = np.where(((yy - c[1]) < -hair * ry)[..., None], np.asarray(_HAIR, np.float32),
                   np.asarray(color, np.float32))
    patch = img[y0:y1, x0:x1]
    patch[inside] = np.clip(col[inside] * shade * light[inside][:, None], 0, 255
                            ).astype(np.uint8)


def _points(pose: pl.DataFrame) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Frame numbers and landmark name → (n_frames, 2) pixel positions."""
    frames = np.sort(pose["frame"].unique().to_numpy())
    out = {}
    for (name,), part in pose.sort("frame").group_by("landmark", maintain_order=True):
        idx = np.searchsorted(frames, part["frame"].to_numpy())
        xy = np.full((frames.size, 2), np.nan)
        xy[idx, 0], xy[idx, 1] = part["x_px"].to_numpy(), part["y_px"].to_numpy()
        out[str(name)] = xy
    return frames, out


def render_figure(pose: pl.DataFrame, *, width_px: int, height_px: int,
                  near_side: str | None = None, floor_y_px: float | None = None,
                  background: Sequence[int] = _BACKGROUND, view: str = "side",
                  frames: np.ndarray | None = None) -> np.ndarray:
    """RGB frames ``(n, height_px, width_px, 3)`` of a figure drawn at the landmarks.

    Parameters
    ----------
    pose : polars.DataFrame
        ``frame``, ``landmark``, ``x_px``, ``y_px`` (MediaPipe's landmark names; image y
        down); several people: add a ``person`` column (drawn in its order, later in front).
    near_side : "left" or "right", optional
        Side view: whose limbs are drawn in front, lit (default: the side with the higher
        mean ``visibility``, else left). Ignored for ``view="front"``.
    floor_y_px : float, optional
        Where the floor starts (default: below the lowest foot).
    view : "side" or "front"
        A front view draws the torso as wide as the shoulders and hips are apart.
    frames : array, optional
        Draw into these frames instead of a new background.
    """
    if view not in ("side", "front"):
        raise ValueError(f"view must be 'side' or 'front', not {view!r}")
    people = [pose] if "person" not in pose.columns else \
        [part for _, part in pose.group_by("person", maintain_order=True)]
    n = pose["frame"].n_unique()
    if frames is None:
        frames = np.empty((n, height_px, width_px, 3), np.uint8)
        frames[:] = np.asarray(background, np.uint8)
        floor = floor_y_px if floor_y_px is not None else min(
            height_px - 2.0, float(pose.filter(pl.col("landmark").str.contains("heel|foot"))
                                   ["y_px"].max()) + 3.0)
        frames[:, int(floor):] = np.asarray(_FLOOR, np.uint8)
    for person in people:
        _, p = _points(person)
        near = near_side
        if near is None and "visibility" in person.columns:
            vis = person.group_by(pl.col("landmark").str.extract(r"^(left|right)_")).agg(
                pl.col("visibility").mean()).drop_nulls().sort("visibility")
            near = str(vis["landmark"][-1]) if vis.height else "left"
        near = near or "left"
        for i in range(n):
            _draw(frames[i], {k: v[i] for k, v in p.items()}, near, view)
    return frames


def _draw(img: np.ndarray, q: dict[str, np.ndarray], near: str, view: str) -> None:
    far = "right" if near == "left" else "left"
    sh = (q["left_shoulder"] + q["right_shoulder"]) / 2
    hp = (q["left_hip"] + q["right_hip"]) / 2
    trunk = float(np.hypot(*(sh - hp))) or 1.0
    limb = 0.16 * trunk
    shade = {far: 0.72, near: 1.0} if view == "side" else {"left": 0.95, "right": 0.95}

    def leg(side: str) -> None:
        s = shade[side]
        _capsule(img, q[f"{side}_hip"], q[f"{side}_knee"], limb * 1.05, limb * 0.8, SHORTS, s)
        _capsule(img, q[f"{side}_knee"], q[f"{side}_ankle"], limb * 0.75, limb * 0.45, SKIN, s)
        _capsule(img, q[f"{side}_heel"], q[f"{side}_foot_index"], limb * 0.45, limb * 0.35,
                 _SHOE, s)
        _capsule(img, q[f"{side}_ankle"], q[f"{side}_heel"], limb * 0.45, limb * 0.45,
                 _SHOE, s)

    def arm(side: str) -> None:
        s = shade[side]
        _capsule(img, q[f"{side}_shoulder"], q[f"{side}_elbow"], limb * 0.62, limb * 0.5,
                 SHIRT, s)
        _capsule(img, q[f"{side}_elbow"], q[f"{side}_wrist"], limb * 0.45, limb * 0.35, SKIN, s)
        hand = q[f"{side}_wrist"] + 0.6 * (q[f"{side}_index"] - q[f"{side}_wrist"])
        _capsule(img, q[f"{side}_wrist"], hand, limb * 0.38, limb * 0.3, SKIN, s)

    head_c = (q["nose"] + q["left_ear"] + q["right_ear"]) / 3
    head_r = 0.2 * trunk
    if view == "side":
        arm(far)
        leg(far)
        _capsule(img, hp, sh, limb * 1.55, limb * 1.45, SHIRT, 0.9)
        _capsule(img, hp + 0.08 * (hp - sh), hp + 0.12 * (sh - hp), limb * 1.5, limb * 1.5,
                 SHORTS, 0.9)
        _capsule(img, sh, head_c, limb * 0.55, limb * 0.5, SKIN, 0.85)
        _ellipse(img, head_c, head_r * 0.95, head_r * 1.1, SKIN, 1.0, hair=0.25)
        _face(img, head_c, q["nose"], head_r)
        leg(near)
        arm(near)
    else:
        for side in ("left", "right"):
            leg(side)
        half = abs(q["left_shoulder"][0] - q["right_shoulder"][0]) / 2
        for k in np.linspace(-1, 1, 5):  # a wide torso from overlapping cylinders
            _capsule(img, hp + [k * half * 0.6, 0], sh + [k * half * 0.75, 0],
                     limb * 1.2, limb * 1.2, SHIRT, 0.95)
        _capsule(img, sh, head_c, limb * 0.55, limb * 0.5, SKIN, 0.85)
        _ellipse(img, head_c, head_r * 0.9, head_r * 1.1, SKIN, 1.0, hair=0.35)
        for side in ("left", "right"):
            arm(side)


def _face(img: np.ndarray, centre: np.ndarray, nose: np.ndarray, r: float) -> None:
    """Nose, eye and ear of a head seen side-on (the face towards ``nose``), so that the
    model can tell which way the figure faces."""
    ahead = np.sign(nose[0] - centre[0]) or 1.0
    tip = centre + [ahead * r * 1.12, r * 0.15]
    _capsule(img, centre + [ahead * r * 0.8, -r * 0.05], tip, r * 0.16, r * 0.1, SKIN, 0.95)
    _ellipse(img, centre + [ahead * r * 0.55, -r * 0.2], r * 0.12, r * 0.1, (30, 25, 25), 1.0)
    _capsule(img, centre + [ahead * r * 0.55, -r * 0.42], centre + [ahead * r * 0.8, -r * 0.38],
             r * 0.05, r * 0.05, _HAIR, 1.0)  # eyebrow
    _ellipse(img, centre + [-ahead * r * 0.1, 0.0], r * 0.18, r * 0.26, SKIN, 0.8)  # ear
    _capsule(img, centre + [ahead * r * 0.45, r * 0.55], centre + [ahead * r * 0.75, r * 0.5],
             r * 0.05, r * 0.05, (150, 70, 70), 1.0)  # mouth


def front_pose(*, cadence_spm: float = 170.0, seconds: float = 2.0, fps: float = 30.0,
               leg_px: float = 150.0, width_px: int = 320, height_px: int = 240
               ) -> pl.DataFrame:
    """A runner seen from the front (running toward the camera) as a landmark frame:
    shoulders and hips as wide apart as a person's (shoulder width 0.259 × height,
    hip width 0.191 × height; Winter 2009, doi:10.1002/9780470549148), knees rising in
    turn at the cadence."""
    n = int(round(seconds * fps))
    t = np.arange(n) / fps
    body_h = leg_px / 0.491  # Winter: hip-to-ankle leg 0.491 × height
    cx, ground = width_px / 2, height_px * 0.92
    phase = 2 * np.pi * t * cadence_spm / 120.0
    hip_y = ground - leg_px - 0.02 * body_h * np.cos(2 * phase)
    pts: dict[str, np.ndarray] = {}
    for side, sign in (("left", 1.0), ("right", -1.0)):  # the runner's left is image right
        lift = np.clip(np.sin(phase + (0 if side == "left" else np.pi)), 0, None)
        hip = np.stack([cx + sign * 0.095 * body_h * np.ones(n), hip_y], 1)
        knee = hip + np.stack([np.zeros(n), 0.245 * body_h * (1 - 0.35 * lift)], 1)
        ankle = knee + np.stack([np.zeros(n), 0.246 * body_h * (1 - 0.5 * lift)], 1)
        ankle[:, 1] = np.minimum(ankle[:, 1], ground - 0.039 * body_h)
        sh = np.stack([cx + sign * 0.13 * body_h * np.ones(n), hip_y - 0.288 * body_h], 1)
        elbow = sh + np.stack([sign * 0.03 * body_h * np.ones(n), 0.16 * body_h + 0 * t], 1)
        wrist = elbow + np.stack([-sign * 0.03 * body_h * np.ones(n),
                                  0.05 * body_h * (1 - 2 * lift)], 1)
        pts |= {f"{side}_hip": hip, f"{side}_knee": knee, f"{side}_ankle": ankle,
                f"{side}_heel": ankle + [0, 0.03 * body_h],
                f"{side}_foot_index": ankle + [sign * 0.01 * body_h, 0.05 * body_h],
                f"{side}_shoulder": sh, f"{side}_elbow": elbow, f"{side}_wrist": wrist,
                f"{side}_index": wrist + [0, 0.04 * body_h],
                f"{side}_ear": np.stack([cx + sign * 0.06 * body_h * np.ones(n),
                                         hip_y - 0.37 * body_h], 1)}
    pts["nose"] = np.stack([np.full(n, cx), hip_y - 0.36 * body_h], 1)
    rows = [pl.DataFrame({"frame": np.arange(n), "time_s": t, "landmark": [k] * n,
                          "x_px": v[:, 0], "y_px": v[:, 1], "visibility": np.full(n, 0.95)})
            for k, v in pts.items()]
    return pl.concat(rows)


def write_clip(path: str | os.PathLike, frames: np.ndarray, *, fps: float = 30.0,
               times_s: np.ndarray | None = None, rotation_deg: int = 0,
               capture_fps: float | None = None, crf: int = 23,
               audio: tuple[np.ndarray, int] | None = None) -> Path:
    """Encode RGB frames as an H.264 MP4 with the ffmpeg of ``imageio-ffmpeg``.

    ``times_s`` gives each frame's time stamp (a variable frame rate; default
    ``index / fps``). ``rotation_deg`` (clockwise, as phones store portrait clips) stores
    the frames rotated the other way with a display matrix, so that players — and
    :func:`runlab.read_video` — show them as given. ``capture_fps`` writes Android's
    slow-motion tag ``com.android.capture.fps``. ``audio`` — ``(samples, rate_hz)``, mono
    in [-1, 1] from the clip's start, e.g. :func:`runlab.simulate.footfall_audio` — adds a
    soundtrack (AAC), for :func:`runlab.gait.footfalls`.
    """
    import tempfile

    from runlab.io._ffmpeg import ffmpeg_exe

    n, h, w, _ = frames.shape
    k = (rotation_deg // 90) % 4
    stored = np.ascontiguousarray(np.rot90(frames, k=k, axes=(1, 2)))  # counter-clockwise
    sh, sw = stored.shape[1:3]
    tb = 15360
    if times_s is None:
        times_s = np.arange(n) / fps
    ticks = np.round(np.asarray(times_s, float) * tb).astype(np.int64)
    if np.any(np.diff(ticks) <= 0):
        raise ValueError("times_s must increase")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    exe = ffmpeg_exe()
    with tempfile.TemporaryDirectory() as tmp:
        # encode at a constant rate, then re-stamp every packet (no B-frames: decode order
        # is presentation order)
        plain = Path(tmp) / "plain.mp4"
        cmd = [exe, "-nostdin", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
               "-s", f"{sw}x{sh}", "-r", str(fps), "-i", "-", "-threads", "1",
               "-c:v", "libx264", "-preset", "veryfast", "-crf", str(crf), "-bf", "0",
               "-pix_fmt", "yuv420p", "-video_track_timescale", str(tb), str(plain)]
        _check(subprocess.run(cmd, input=stored.tobytes(), capture_output=True), path)
        # re-mux with the wanted stamps (setts: one per packet, from the list)
        expr = _setts_expr(ticks)
        cmd = [exe, "-nostdin", "-v", "error", "-y"]
        if rotation_deg % 360:
            cmd += ["-display_rotation:v:0", str(-(rotation_deg % 360))]
        cmd += ["-i", str(plain)]
        if audio is not None:
            from runlab.io.audio import write_wav

            cmd += ["-i", str(write_wav(Path(tmp) / "sound.wav", audio[0], int(audio[1]))),
                    "-map", "0:v", "-map", "1:a", "-c:a", "aac", "-b:a", "128k"]
        cmd += ["-c:v", "copy", "-bsf:v", f"setts=ts={expr}", "-video_track_timescale", str(tb)]
        if capture_fps is not None:
            cmd += ["-movflags", "use_metadata_tags",
                    "-metadata", f"com.android.capture.fps={capture_fps:.6f}"]
        cmd.append(str(path))
        _check(subprocess.run(cmd, capture_output=True), path)
    return path


def _setts_expr(ticks: np.ndarray) -> str:
    """A ``setts`` expression giving packet ``N`` the time stamp ``ticks[N]``: one linear
    piece per run of equal steps (a phone's rate changes a few times per clip)."""
    steps = np.diff(ticks)
    starts = [0] + [i + 1 for i in range(1, steps.size) if steps[i] != steps[i - 1]]
    if len(starts) > 60:
        raise ValueError("times_s changes its step more than 60 times")
    expr = ""
    for k in range(len(starts) - 1, -1, -1):
        i = starts[k]
        step = int(steps[min(i, steps.size - 1)]) if steps.size else 0
        piece = f"{int(ticks[i])}+(N-{i})*{step}"
        expr = piece if not expr else f"if(lt(N\\,{starts[k + 1]})\\,{piece}\\,{expr})"
    return expr


def _check(run: subprocess.CompletedProcess, path: Path) -> None:
    if run.returncode != 0:
        tail = run.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise RuntimeError(f"{path}: ffmpeg failed: {' '.join(tail)[-500:]}")
