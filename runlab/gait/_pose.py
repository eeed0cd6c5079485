"""Body landmarks per frame of a side-view running clip (the ``video`` extra).

:func:`pose` runs MediaPipe's legacy Pose solution (BlazePose GHUM, Bazarevsky et al. 2020,
arXiv:2006.10204) with ``model_complexity=1`` — the one landmark model the ``mediapipe``
wheels 0.10.14–0.10.21 bundle, so nothing is downloaded — over the frames of
:func:`runlab.read_video`, one frame at a time; no frame is stored. Install with
``pip install "runlab[video]"``.

The result, a :class:`PoseFrame` (a polars ``DataFrame`` with a ``meta`` dict), is long:
one row per frame and landmark, MediaPipe's 33 landmark names (``left_ankle``,
``right_heel``, ``left_foot_index``, ...), columns

================  =======  ==============================================================
``frame``         Int64    index of the frame in the clip (0-based, dropped frames skipped)
``time_s``        Float64  real time of the frame [s] from the first frame (container time
                           stamps, slow motion undone: :attr:`runlab.io.video.Video.
                           frame_times_s`)
``landmark``      String   landmark name
``x_px``          Float64  position in the upright frame [px], x to the right
``y_px``          Float64  ... y down
``z_px``          Float64  depth relative to the hip centre [px, on x's scale]; smaller is
                           nearer the camera (rough: MediaPipe's own estimate)
``visibility``    Float64  MediaPipe's probability that the landmark is in view, not hidden
================  =======  ==============================================================

``meta``: ``path``, ``width_px``, ``height_px``, ``fps`` (real frames per second),
``capture_fps``, ``rotation_deg``, ``frames_total``, ``frames_used``, ``frames_dropped``
(frames without a confident pose: none found, or the body's landmarks below
``min_visibility``), ``people`` (most people the detector saw in one frame),
``view_width_ratio`` (see below), ``model``. :func:`runlab.gait.form` measures steps from it.

Refusals and warnings
    A front (or back) view is refused with :class:`~runlab.errors.FormError`: in a side
    view the left and right shoulders and hips overlap, so the median over confident
    frames of (shoulder width + hip width) / 2 ÷ trunk length (:data:`FRONT_VIEW_RATIO`)
    is small (~0.1), while facing the camera it is about 0.5–0.8 (shoulder 0.259 and hip
    0.191 × height over a trunk of 0.288 × height; Winter 2009,
    doi:10.1002/9780470549148, less as MediaPipe's joint centres lie inside the body). A clip with no confident pose at all is refused too. With
    two or more people in view, the detector's people other than the most visible one
    (largest × most confident, followed from frame to frame) are masked out before the
    landmark model sees the frame, with a :class:`~runlab.errors.RunlabWarning`. A
    followed person whose feet (one side's ankle, heel and toes) stay out of view for
    :data:`PEOPLE_CHECK_S` — someone nearer the camera cut off by the frame's edge, a coach
    beside a treadmill — is not the runner: the most visible other person is followed.

Privacy
    Landmarks describe a person's body and movement: biometric data. They stay on the
    machine: nothing here writes them; runlab's exports never include them (only form
    measures, on request). See SECURITY.md.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import polars as pl

from runlab.errors import FormError, RunlabWarning

__all__ = ["pose", "PoseFrame", "FRONT_VIEW_RATIO", "MIN_VISIBILITY", "POSE_SCHEMA"]

#: Median (shoulder width + hip width) / 2 ÷ trunk length above which a clip is taken for
#: a front or back view. Measured: side views 0.07 (rendered) and 0.15 (a real outdoor clip);
#: front views 0.49 (rendered) and 0.57 (a real clip of joggers filmed from the front).
#: On the side-view clips of ``benchmarks/validate_form_video.py`` 0.04–0.29; a camera
#: 30–45° off the side view (rear-oblique, cez) reads 0.14: an oblique view is not caught.
FRONT_VIEW_RATIO = 0.35
#: A frame's pose is confident when one side's shoulder, hip, knee and ankle have a mean
#: visibility at or above this.
MIN_VISIBILITY = 0.5
#: Seconds between two checks for other people (the detector on its own).
PEOPLE_CHECK_S = 0.5
#: Columns and types of :func:`pose`'s frame.
POSE_SCHEMA = {"frame": pl.Int64, "time_s": pl.Float64, "landmark": pl.String,
               "x_px": pl.Float64, "y_px": pl.Float64, "z_px": pl.Float64,
               "visibility": pl.Float64}

_BODY = ("shoulder", "hip", "knee", "ankle")
_FEET = ("ankle", "heel", "foot_index")


class PoseFrame(pl.DataFrame):
    """A polars ``DataFrame`` of landmarks with ``meta`` (a dict; see :func:`pose`).
    Operations on it return plain ``DataFrame`` s."""

    meta: dict


def _mediapipe():
    """The mediapipe module, or an ImportError saying how to install it."""
    os.environ.setdefault("GLOG_minloglevel", "2")  # MediaPipe's C++ log lines
    try:
        import mediapipe as mp
    except ImportError as exc:
        hint = (" (OpenCV needs libGL and GLib: apt-get install libgl1 libglib2.0-0)"
                if "lib" in str(exc) and ".so" in str(exc) else "")
        raise ImportError('runlab.gait.pose needs the video extra: pip install "runlab[video]" '
                          f"(mediapipe 0.10.14-0.10.21, numpy<2){hint}: {exc}") from exc
    return mp


_DETECTOR_GRAPH = """
input_stream: "image"
output_stream: "detections"
node { calculator: "PoseDetectionCpu" input_stream: "IMAGE:image"
       output_stream: "DETECTIONS:detections" }
"""


def _detector(mp):
    """MediaPipe's person detector alone (the bundled ``pose_detection.tflite`` behind the
    Pose solution's first stage), which finds every person, not only the tracked one."""
    from mediapipe.calculators.tensor import (  # noqa: F401 - registers the option protos
        image_to_tensor_calculator_pb2,
        inference_calculator_pb2,
        tensors_to_detections_calculator_pb2,
    )
    from mediapipe.calculators.tflite import ssd_anchors_calculator_pb2  # noqa: F401
    from mediapipe.calculators.util import non_max_suppression_calculator_pb2  # noqa: F401
    from mediapipe.python.solution_base import SolutionBase

    return SolutionBase(graph_config=_DETECTOR_GRAPH)


def _people(detector, rgb: np.ndarray, min_score: float = 0.5) -> list[tuple[float, ...]]:
    """Each person the detector finds: (centre x, centre y, radius) [px] and score. The
    detector's key points 0 and 1 are the hip centre and a point on the circle around the
    whole body (BlazePose)."""
    h, w, _ = rgb.shape
    found = detector.process({"image": rgb}).detections or []
    out = []
    for det in found:
        score = det.score[0] if det.score else 0.0
        kp = det.location_data.relative_keypoints
        if score < min_score or len(kp) < 2:
            continue
        cx, cy = kp[0].x * w, kp[0].y * h
        r = float(np.hypot(kp[1].x * w - cx, kp[1].y * h - cy))
        out.append((cx, cy, r, float(score)))
    return out


def _mask_others(rgb: np.ndarray, people: list[tuple[float, ...]], keep: int) -> np.ndarray:
    """The frame with every person but ``people[keep]`` painted over in the frame's median
    colour (only outside the kept person's circle)."""
    h, w, _ = rgb.shape
    out = rgb.copy()
    fill = np.median(rgb.reshape(-1, 3), axis=0).astype(np.uint8)
    yy, xx = np.ogrid[:h, :w]
    kx, ky, kr, _ = people[keep]
    kept = (xx - kx) ** 2 + (yy - ky) ** 2 <= (kr * 1.05) ** 2
    for i, (cx, cy, r, _) in enumerate(people):
        if i != keep:
            out[((xx - cx) ** 2 + (yy - cy) ** 2 <= (r * 1.15) ** 2) & ~kept] = fill
    return out


def _same_person(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Whether two detections (:func:`_people`) are one person: centres closer than half
    the larger radius (a runner's hip centre moves far less between frames)."""
    return bool(np.hypot(a[0] - b[0], a[1] - b[1]) < 0.5 * max(a[2], b[2]))


def _choose(people: list[tuple[float, ...]], previous: tuple[float, ...] | None,
            leave: bool = False) -> int:
    """Index of the person to follow: nearest the previous one, else the most visible
    (radius × score); with ``leave``, the most visible of the others than the one nearest
    the previous (that one shows no feet: not the runner)."""
    near = None
    if previous is not None:
        d = [np.hypot(p[0] - previous[0], p[1] - previous[1]) for p in people]
        near = int(np.argmin(d))
        if not leave or len(people) < 2:
            return near
    return int(np.argmax([p[2] * p[3] if i != near else -1.0
                          for i, p in enumerate(people)]))


def pose(video, *, min_visibility: float = MIN_VISIBILITY, max_side_px: int | None = None,
         check_view: bool = True, min_detection_confidence: float = 0.5,
         min_tracking_confidence: float = 0.5) -> PoseFrame:
    """Body landmarks in every frame of a side-view clip (see the module docstring for the
    columns, ``meta``, refusals and privacy).

    Parameters
    ----------
    video : runlab.io.video.Video or path
        A clip from :func:`runlab.read_video`, or its path (read with the defaults).
    min_visibility : float
        Frames whose better side's shoulder, hip, knee and ankle have a lower mean
        visibility are dropped and counted (``meta["frames_dropped"]``).
    max_side_px : int, optional
        Scale frames down to this longer side before the model (faster on 4K; default:
        full size). Landmarks are still in the clip's pixels.
    check_view : bool
        Refuse a front or back view (default True).
    min_detection_confidence, min_tracking_confidence : float
        MediaPipe's thresholds.

    Raises
    ------
    ImportError
        Without the video extra.
    runlab.errors.ReadError
        The clip cannot be read (naming it).
    runlab.errors.FormError
        No confident pose in any frame, or a front/back view.
    """
    from runlab.io.video import Video, read_video

    mp = _mediapipe()
    clip = video if isinstance(video, Video) else read_video(video)
    names = [lm.name.lower() for lm in mp.solutions.pose.PoseLandmark]
    index = {n: i for i, n in enumerate(names)}
    body = [[index[f"{side}_{p}"] for p in _BODY] for side in ("left", "right")]
    feet = [[index[f"{side}_{p}"] for p in _FEET] for side in ("left", "right")]
    sx = sy = 1.0
    rows_frame, rows_time, coords = [], [], []
    total = people_max = 0
    masked_frames = 0
    check_every = max(1, int(round(PEOPLE_CHECK_S * max(clip.fps, 1.0))))
    crowd = False
    followed: tuple[float, ...] | None = None  # the person followed: as _people gives it
    footless = 0  # frames in a row in which the followed person shows no feet
    with _detector(mp) as detector, \
            mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1,
                                   smooth_landmarks=True, enable_segmentation=False,
                                   min_detection_confidence=min_detection_confidence,
                                   min_tracking_confidence=min_tracking_confidence) as model:
        for i, t, rgb in clip.frames(max_side_px=max_side_px):
            total += 1
            h, w, _ = rgb.shape
            sx, sy = clip.width_px / w, clip.height_px / h
            image = rgb
            if crowd or i % check_every == 0:
                people = _people(detector, rgb)
                people_max = max(people_max, len(people))
                crowd = crowd or len(people) > 1
                if crowd and len(people) == 1 and followed is not None and \
                        not _same_person(people[0], followed):
                    people.append(followed)  # missed by the detector in this frame
                if len(people) > 1:
                    leave = footless >= check_every  # the followed one shows no feet
                    keep = _choose(people, followed, leave=leave)
                    if leave:
                        footless = 0
                    followed = people[keep]
                    image = _mask_others(rgb, people, keep)
                    masked_frames += 1
                elif len(people) == 1:
                    followed = people[0]
            result = model.process(image)
            if result.pose_landmarks is None:
                footless += 1
                continue
            lm = result.pose_landmarks.landmark
            a = np.array([(p.x * w, p.y * h, p.z * w, p.visibility) for p in lm])
            seen_feet = max(a[f, 3].mean() for f in feet) >= min_visibility
            footless = 0 if seen_feet else footless + 1
            if max(a[b, 3].mean() for b in body) < min_visibility:
                continue
            rows_frame.append(i)
            rows_time.append(t)
            coords.append(a)
    if people_max > 1:
        warnings.warn(f"{clip.path}: {people_max} people in view; the landmarks are of the "
                      f"most visible one (the others masked in {masked_frames} frames)",
                      RunlabWarning, stacklevel=2)
    used = len(rows_frame)
    if used == 0:
        raise FormError(f"{clip.path}: no confident pose in any of its {total} frames "
                        "(no person in view, or too small, dark or hidden)")
    xyzv = np.stack(coords)  # (frames, 33, 4)
    xyzv[..., 0] *= sx
    xyzv[..., 1] *= sy
    xyzv[..., 2] *= sx
    ratio = _view_width_ratio(xyzv, index)
    if check_view and ratio > FRONT_VIEW_RATIO:
        raise FormError(f"{clip.path}: this looks like a front or back view (shoulders and "
                        f"hips {ratio:.2f} × the trunk length apart; a side view is below "
                        f"{FRONT_VIEW_RATIO}). Film from the side, the runner crossing the "
                        "frame, for foot strike and overstride")
    n_lm = len(names)
    frame = pl.DataFrame({
        "frame": np.repeat(np.asarray(rows_frame, np.int64), n_lm),
        "time_s": np.repeat(np.asarray(rows_time, np.float64), n_lm),
        "landmark": pl.Series(names * used, dtype=pl.String),
        "x_px": xyzv[..., 0].ravel(), "y_px": xyzv[..., 1].ravel(),
        "z_px": xyzv[..., 2].ravel(), "visibility": xyzv[..., 3].ravel(),
    }, schema=POSE_SCHEMA)
    out = PoseFrame._from_pydf(frame._df)
    out.meta = {
        "path": clip.path, "width_px": clip.width_px, "height_px": clip.height_px,
        "fps": clip.fps, "capture_fps": clip.capture_fps, "rotation_deg": clip.rotation_deg,
        "frames_total": total, "frames_used": used, "frames_dropped": total - used,
        "people": people_max, "view_width_ratio": ratio,
        "model": f"mediapipe {mp.__version__} legacy Pose, model_complexity=1",
    }
    return out


def _view_width_ratio(xyzv: np.ndarray, index: dict[str, int]) -> float:
    """Median over frames of (shoulder width + hip width) / 2 ÷ trunk length (image x and
    y only)."""
    def xy(name: str) -> np.ndarray:
        return xyzv[:, index[name], :2]

    shoulders = np.abs(xy("left_shoulder")[:, 0] - xy("right_shoulder")[:, 0])
    hips = np.abs(xy("left_hip")[:, 0] - xy("right_hip")[:, 0])
    mid_s = (xy("left_shoulder") + xy("right_shoulder")) / 2
    mid_h = (xy("left_hip") + xy("right_hip")) / 2
    trunk = np.hypot(*(mid_s - mid_h).T)
    ok = trunk > 1e-6
    if not ok.any():
        return 0.0
    return float(np.median((shoulders[ok] + hips[ok]) / 2 / trunk[ok]))
