"""A side-view runner as pose landmarks with known contacts and angles (for :func:`runlab.gait.form`).

:func:`running_pose` draws a 2-D sagittal-plane runner on a treadmill (the hip stays put,
the belt carries the stance foot back) and returns what :func:`runlab.gait.pose` returns —
a long frame of MediaPipe's 33 landmarks per frame in pixels — plus the truth at every
initial contact. Segment lengths follow Winter's anthropometric proportions
(thigh 0.245·H, shank 0.246·H, foot 0.152·H, ankle height 0.039·H, trunk 0.288·H; Winter
2009, doi:10.1002/9780470549148). The foot lands at a chosen strike angle (toe up > 0,
Altman & Davis 2012, doi:10.1016/j.gaitpost.2011.09.104), rotates flat within 40 ms
about its heel (or toe) and leaves the ground toe last. The swing foot touches down
gently (its height ∝ sin^1.5 of swing phase), so the knee is near its straightest at
contact and flexes after it, as in running (Novacheck 1998,
doi:10.1016/S0966-6362(97)00038-6) — not a sharp minimum a 30 fps clip cannot catch.
"""

from __future__ import annotations

import numpy as np
import polars as pl

__all__ = ["running_pose", "LANDMARKS"]

#: MediaPipe Pose's 33 landmark names, in its index order.
LANDMARKS = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist",
    "right_wrist", "left_pinky", "right_pinky", "left_index", "right_index",
    "left_thumb", "right_thumb", "left_hip", "right_hip", "left_knee", "right_knee",
    "left_ankle", "right_ankle", "left_heel", "right_heel", "left_foot_index",
    "right_foot_index",
)

# Winter (2009) segment lengths as fractions of the hip-to-ankle leg (0.491·H)
_THIGH, _SHANK = 0.245 / 0.491, 0.246 / 0.491
_FOOT, _ANKLE_H, _TRUNK = 0.152 / 0.491, 0.039 / 0.491, 0.288 / 0.491
_HEEL_TO_ANKLE = 0.25 * _FOOT  # the ankle sits above the rear quarter of the foot


def _smooth(s: np.ndarray) -> np.ndarray:
    """0 → 1 with zero slope at both ends (s in [0, 1])."""
    s = np.clip(s, 0.0, 1.0)
    return s * s * (3.0 - 2.0 * s)


def _foot(phase: np.ndarray, *, stance: float, strike_deg: float, overstride: float,
          behind: float, lift: float) -> tuple[np.ndarray, ...]:
    """One foot over stride phase in [0, 1) (0 = initial contact), in leg lengths relative
    to the hip (x forward, y up from the ground): heel, toe and ankle positions and the
    foot angle [deg, toe up > 0]. ``low`` is where the heel of a flat foot would be."""
    n = phase.size
    angle = np.empty(n)
    low = np.empty((n, 2))  # the foot's lowest point: heel or toe, whichever is down
    st = phase < stance
    s = phase[st] / stance
    low[st, 0] = overstride - (overstride + behind) * s  # carried back by the belt
    low[st, 1] = 0.0
    flat = 0.04 / (stance * 0.7)  # flat within ~40 ms at a 0.7-s stride
    roll = np.clip((s - 0.75) / 0.25, 0, 1)  # heel rise over the last quarter
    angle[st] = strike_deg * (1 - _smooth(s / flat)) - 35.0 * roll
    sw = ~st
    u = (phase[sw] - stance) / (1 - stance)
    low[sw, 0] = -behind + (overstride + behind) * _smooth(u)
    low[sw, 1] = lift * np.sin(np.pi * u) ** 1.5  # touches down gently
    angle[sw] = -35.0 + (strike_deg + 35.0) * _smooth(u / 0.8)
    a = np.radians(angle)
    fwd = np.stack([np.cos(a), np.sin(a)], axis=1)  # heel → toe
    up = np.stack([-np.sin(a), np.cos(a)], axis=1)
    # toe up: the heel is at ``low``; toe down: the toe is one flat foot ahead of ``low``
    toe_down = low + np.array([_FOOT, 0.0]) - _FOOT * fwd
    heel = np.where((angle >= 0)[:, None], low, toe_down)
    toe = heel + _FOOT * fwd
    ankle = heel + _HEEL_TO_ANKLE * fwd + _ANKLE_H * up
    return heel, toe, ankle, angle


def _knee(hip: np.ndarray, ankle: np.ndarray) -> np.ndarray:
    """Knee position by two-link inverse kinematics, bending forward (x > 0)."""
    d = ankle - hip
    dist = np.clip(np.hypot(d[:, 0], d[:, 1]), 1e-9, (_THIGH + _SHANK) * 0.9999)
    a = (_THIGH**2 - _SHANK**2 + dist**2) / (2 * dist)
    h = np.sqrt(np.clip(_THIGH**2 - a**2, 0, None))
    unit = d / dist[:, None]
    perp = np.stack([-unit[:, 1], unit[:, 0]], axis=1)  # pointing forward for a leg down
    perp *= np.where(perp[:, 0:1] < 0, -1.0, 1.0)
    return hip + a[:, None] * unit + h[:, None] * perp


def _flexion_deg(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray) -> np.ndarray:
    u, v = hip - knee, ankle - knee
    cos = (u * v).sum(axis=1) / (np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1))
    return 180.0 - np.degrees(np.arccos(np.clip(cos, -1, 1)))


def running_pose(*, cadence_spm: float = 170.0, seconds: float = 6.0, fps: float = 30.0,
                 strike_deg: float = 12.0, overstride_leg: float = 0.25,
                 trunk_lean_deg: float = 6.0, oscillation_leg: float = 0.09,
                 knee_flexion_deg: float = 18.0, leg_px: float = 300.0,
                 direction: int = 1, near_side: str = "left", noise_px: float = 1.0,
                 hide_far_leg: bool = False, width_px: int = 1280, height_px: int = 720,
                 overground: bool = False, camera_roll_deg: float = 0.0,
                 seed: int = 0) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A running side view as landmarks, and the truth at each initial contact.

    Parameters
    ----------
    cadence_spm : steps per minute. strike_deg : foot angle to the ground at contact
        (> 0 toe up: heel strike). overstride_leg : where a flat landing foot's heel is, ahead of the hip at
        contact [leg lengths, hip-to-ankle]. trunk_lean_deg : forward lean from vertical.
    oscillation_leg : the hip's vertical range per step [leg lengths]. knee_flexion_deg :
        sets the hip height at contact (the truth reports the flexion that results).
    leg_px : hip-to-ankle length in pixels. direction : +1 runs to the right of the image,
        −1 to the left. near_side : "left" or "right", the side facing the camera (its
        landmarks are more visible). hide_far_leg : far leg's visibility near 0.1.
    noise_px : Gaussian pixel noise on every landmark. overground : the runner crosses a
        still camera's view (centred at mid-clip; the stance foot stays put) instead of
        running on a treadmill. camera_roll_deg : the camera held rolled by this angle
        (the ground rises toward the image's right for > 0), about the image centre.

    Returns
    -------
    (pose, truth)
        ``pose``: ``frame``, ``time_s``, ``landmark``, ``x_px``, ``y_px``, ``visibility``.
        ``truth``: one row per initial contact — ``time_s``, ``side``, ``overstride_leg``,
        ``foot_strike_angle_deg``, ``knee_flexion_deg``, ``trunk_lean_deg``.
    """
    rng = np.random.default_rng(seed)
    far_side = "right" if near_side == "left" else "left"
    n = int(round(seconds * fps))
    t = np.arange(n) / fps
    stride_s = 120.0 / cadence_spm
    stance = min(0.42, 0.25 / stride_s)  # contact ~0.25 s, a running duty factor
    t0 = 0.13 * stride_s
    behind = overstride_leg + 0.55
    feet = {}
    for side, offset in ((near_side, 0.0), (far_side, 0.5)):
        phase = ((t - t0) / stride_s - offset) % 1.0
        feet[side] = _foot(phase, stance=stance, strike_deg=strike_deg,
                           overstride=overstride_leg, behind=behind, lift=0.35)
    # hip height: lowest at mid-stance, set so the knee flexes knee_flexion_deg at contact
    reach = 2 * _THIGH * np.cos(np.radians(knee_flexion_deg) / 2)  # hip–ankle at contact
    ank0 = _foot(np.zeros(1), stance=stance, strike_deg=strike_deg, overstride=overstride_leg,
                 behind=behind, lift=0.35)[2][0]
    y_contact = ank0[1] + np.sqrt(max(reach**2 - ank0[0] ** 2, 1e-6))
    step_phase = ((t - t0) / (stride_s / 2)) % 1.0
    mid = stance  # mid-stance in step phase (a step is half a stride)
    wave = np.cos(2 * np.pi * (step_phase - mid))  # +1 at mid-stance
    y_hip = y_contact + 0.5 * oscillation_leg * (np.cos(2 * np.pi * mid) - wave)
    hip = np.stack([np.zeros(n), y_hip], axis=1)
    lean = np.radians(trunk_lean_deg)
    shoulder = hip + _TRUNK * np.array([np.sin(lean), np.cos(lean)])
    nose = shoulder + 0.22 * np.array([np.sin(lean) + 0.25, np.cos(lean)])
    pts: dict[str, np.ndarray] = {}
    for side in (near_side, far_side):
        heel, toe, ankle, _ = feet[side]
        pts[f"{side}_hip"], pts[f"{side}_ankle"] = hip, ankle
        pts[f"{side}_knee"] = _knee(hip, ankle)
        pts[f"{side}_heel"], pts[f"{side}_foot_index"] = heel, toe
        arm = np.sin(2 * np.pi * ((t - t0) / stride_s - (0.5 if side == near_side else 0)))
        elbow = shoulder + 0.33 * np.stack([0.5 * arm, -np.ones(n) * 0.85], axis=1)
        wrist = elbow + 0.28 * np.stack([np.ones(n) * 0.9, 0.3 + 0.3 * arm], axis=1)
        pts[f"{side}_shoulder"], pts[f"{side}_elbow"], pts[f"{side}_wrist"] = \
            shoulder, elbow, wrist
        for part in ("pinky", "index", "thumb"):
            pts[f"{side}_{part}"] = wrist + np.array([0.05, -0.02])
        pts[f"{side}_ear"] = nose + np.array([-0.12, 0.02])
        for part, dx in (("eye_inner", 0.0), ("eye", -0.02), ("eye_outer", -0.04)):
            pts[f"{side}_{part}"] = nose + np.array([dx, 0.03])
        pts[f"mouth_{side}"] = nose + np.array([-0.01, -0.05])
    pts["nose"] = nose
    # truth at each contact, computed from the drawn geometry at the contact instant
    truth = []
    k = 0
    while True:
        for side, offset in ((near_side, 0.0), (far_side, 0.5)):
            tc = t0 + (k + offset) * stride_s
            if tc > t[-1]:
                continue
            heel, toe, ankle, ang = _foot(np.zeros(1), stance=stance, strike_deg=strike_deg,
                                          overstride=overstride_leg, behind=behind, lift=0.35)
            hip_c = np.array([[0.0, y_contact]])
            knee_c = _knee(hip_c, ankle)
            truth.append({"time_s": tc, "side": side, "overstride_leg": float(ankle[0, 0]),
                          "foot_strike_angle_deg": float(ang[0]),
                          "knee_flexion_deg": float(_flexion_deg(hip_c, knee_c, ankle)[0]),
                          "trunk_lean_deg": trunk_lean_deg})
        k += 1
        if t0 + k * stride_s > t[-1]:
            break
    rows = []
    cx, ground = width_px / 2, height_px * 0.9
    speed = (overstride_leg + behind) / (stance * stride_s)  # the belt [leg lengths/s]
    travel = speed * (t - t[-1] / 2) if overground else np.zeros(n)
    roll = np.radians(camera_roll_deg)
    for name in LANDMARKS:
        p = pts[name]
        x = cx + direction * (p[:, 0] + travel) * leg_px
        y = ground - p[:, 1] * leg_px
        x, y = (cx + np.cos(roll) * (x - cx) + np.sin(roll) * (y - height_px / 2),
                height_px / 2 - np.sin(roll) * (x - cx) + np.cos(roll) * (y - height_px / 2))
        x, y = x + rng.normal(0, noise_px, n), y + rng.normal(0, noise_px, n)
        near = name.startswith(near_side) or name.endswith(near_side) or name == "nose"
        vis = rng.uniform(0.9, 0.99, n) if near else rng.uniform(0.5, 0.8, n)
        if hide_far_leg and not near and any(s in name for s in ("knee", "ankle", "heel",
                                                                   "foot_index")):
            vis = rng.uniform(0.02, 0.2, n)
        rows.append(pl.DataFrame({"frame": np.arange(n), "time_s": t,
                                  "landmark": [name] * n, "x_px": x, "y_px": y,
                                  "visibility": vis}))
    pose = pl.concat(rows).sort("frame", "landmark")
    return pose, pl.DataFrame(truth).sort("time_s")
