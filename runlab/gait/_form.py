"""Running form from a side-view clip's pose landmarks (:func:`runlab.gait.pose`).

:func:`form` finds every initial contact and measures, at each one, what a coach looks at
in a side view — where the foot lands relative to the hip, heel or forefoot first, knee
bend, trunk lean — plus cadence and the hip's vertical oscillation over the clip.
Definitions follow the 2-D video analysis of Souza (2016, doi:10.1016/j.pmr.2015.08.013).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from runlab._series import window_bounds
from runlab.errors import FormError, RunlabWarning, SchemaError

__all__ = ["form", "Form", "rubric_suggestions", "RUBRIC_RULES", "STRIKE_THRESHOLDS_DEG",
           "LEG_PER_HEIGHT", "MIN_VISIBILITY"]

#: Foot strike angle class limits [deg] (Altman & Davis 2012, doi:10.1016/j.gaitpost.2011.09.104):
#: rearfoot (heel) above 8.0°, forefoot below −1.6°, midfoot between.
STRIKE_THRESHOLDS_DEG = (-1.6, 8.0)
#: Foot strike angle error model [deg] for the class confidence: SD = √(floor² + (k ×
#: range)²), the range being the foot angle's spread over the three frames around the
#: contact (a steady foot is measured well; an unsteady one is a misplaced landmark).
#: Floor and k fitted on rendered runners (``benchmarks/validate_form_video.py
#: --rendered``): landing feet err by ~5° RMS there, ~10° when the angle jumps by 25°+
#: between frames; real feet are likely worse.
STRIKE_SD_FLOOR_DEG, STRIKE_SD_PER_RANGE = 5.0, 0.25
#: Camera roll is estimated only when the stance feet pin the ground line this well
#: (95 % interval width of its slope [deg]) and it is within ±MAX_TILT_DEG.
_TILT_CI_DEG, _MAX_TILT_DEG = 4.0, 15.0
#: Hip-to-ankle length (thigh 0.245 + shank 0.246) as a fraction of body height (Winter
#: 2009, *Biomechanics and Motor Control of Human Movement*, doi:10.1002/9780470549148).
LEG_PER_HEIGHT = 0.491
#: A landmark counts as seen at or above this MediaPipe visibility.
MIN_VISIBILITY = 0.5
_SIDES = ("left", "right")
_PARTS = ("shoulder", "hip", "knee", "ankle", "heel", "foot_index")
_NEED = ("frame", "time_s", "landmark", "x_px", "y_px", "visibility")
_MIN_FRAMES = 10


@dataclass
class Form:
    """What :func:`form` measured: ``steps`` (one row per initial contact), ``summary``
    (one row per clip), and ``frames`` — the confident frames' landmarks in leg lengths
    (x forward, y up; for :func:`runlab.charts.form_clip`; biometric: never exported)."""

    steps: pl.DataFrame
    summary: pl.DataFrame
    frames: pl.DataFrame = field(repr=False)

    def _repr_html_(self) -> str:  # pragma: no cover - notebook display
        return self.summary._repr_html_()


def _wide(pose: pl.DataFrame) -> pl.DataFrame:
    names = [f"{s}_{p}" for s in _SIDES for p in _PARTS]
    long = pose.filter(pl.col("landmark").is_in(names))
    missing = sorted(set(names) - set(long["landmark"].unique().to_list()))
    if missing:
        raise SchemaError(f"pose has no {', '.join(missing)} landmarks (MediaPipe's 33 "
                          "names expected, e.g. from runlab.gait.pose)")
    return (long.pivot(on="landmark", index=["frame", "time_s"],
                       values=["x_px", "y_px", "visibility"])
            .sort("frame"))


def _col(w: pl.DataFrame, what: str, name: str) -> np.ndarray:
    return w[f"{what}_{name}"].to_numpy().astype(np.float64)


def _xy(w: pl.DataFrame, name: str) -> np.ndarray:
    return np.stack([_col(w, "x_px", name), _col(w, "y_px", name)], axis=1)


def _seen(w: pl.DataFrame, side: str, parts=_PARTS) -> np.ndarray:
    vis = np.stack([_col(w, "visibility", f"{side}_{p}") for p in parts], axis=1)
    xy = np.stack([_col(w, "x_px", f"{side}_{p}") for p in parts], axis=1)
    return (np.nan_to_num(vis, nan=0.0) >= MIN_VISIBILITY).all(axis=1) & \
        np.isfinite(xy).all(axis=1)


def _angle_deg(v: np.ndarray) -> np.ndarray:
    """Angle of 2-D vectors (x forward, y up) above the forward horizontal [deg]."""
    return np.degrees(np.arctan2(v[..., 1], v[..., 0]))


def _flexion_deg(hip, knee, ankle) -> np.ndarray:
    u, v = hip - knee, ankle - knee
    cos = (u * v).sum(-1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))
    return 180.0 - np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def _contacts(t: np.ndarray, ahead: np.ndarray, height: np.ndarray, mid: np.ndarray, *,
              prominence: float = 0.25, lift: float = 0.12, near: float = 0.25,
              max_gap_s: float = 0.1) -> list[float]:
    """Initial contacts of one foot, in leg lengths: the moments its heel is furthest
    ahead of the hip (``ahead``; Zeni et al. 2008, doi:10.1016/j.gaitpost.2007.07.007) —
    a peak at least ``prominence`` above the lows around it — with the foot's lowest point
    within ``near`` of the ground (``height``) and its centre ``lift`` up (``mid``) in the
    swing before. The time is refined between frames by a parabola through the peak."""
    from scipy.signal import find_peaks

    ok = np.isfinite(ahead) & np.isfinite(height) & np.isfinite(mid)
    peaks, _ = find_peaks(np.where(ok, ahead, np.nanmin(ahead[ok]) if ok.any() else 0.0),
                          prominence=prominence)
    found: list[float] = []
    for k in peaks:  # find_peaks never returns the first or last sample: k ± 1 exist
        if not ok[k] or height[k] > near:
            continue
        if not (ok[k - 1] and ok[k + 1]) or t[k + 1] - t[k - 1] > 2 * max_gap_s:
            continue
        swing = (t >= t[k] - 0.6) & (t < t[k]) & ok
        if t[k] - t[0] < 0.25 or not (mid[swing] > lift).any() or (found and (mid[(t > found[-1]) & (t < t[k])] <= lift).all()):
            continue
        den = ahead[k - 1] - 2 * ahead[k] + ahead[k + 1]  # all three finite here
        shift = 0.5 * (ahead[k - 1] - ahead[k + 1]) / den if den < 0 else 0.0
        shift = min(max(shift, -0.5), 0.5)
        found.append(float(t[k] + shift * (t[k + 1] - t[k - 1]) / 2))
    return found


def _one_per_step(found: list[tuple[float, str]], min_step_s: float = 0.15,
                  min_of_step: float = 0.7) -> list[tuple[float, str]]:
    """Contacts closer than ``min_step_s`` (faster than 400 steps/min) are one: the first.
    Then, with four or more, two contacts less than ``min_of_step`` of the median step
    time apart are one step: of the two, the one whose time after the contact before
    them is nearer the median step is kept. A running step is not 30 % shorter than its
    neighbours; on real clips (benchmarks/validate_form_video.py) spurious contacts came
    0.55–0.65 of a step after or ~0.45 before a true one."""
    out: list[tuple[float, str]] = []
    for tc, side in found:
        if not out or tc - out[-1][0] >= min_step_s:
            out.append((tc, side))
    if len(out) < 4:
        return out
    step_s = float(np.median(np.diff([tc for tc, _ in out])))
    kept = out[:1]
    for tc, side in out[1:]:
        if tc - kept[-1][0] >= min_of_step * step_s:
            kept.append((tc, side))
        elif len(kept) >= 2 and (abs(tc - kept[-2][0] - step_s)
                                 < abs(kept[-1][0] - kept[-2][0] - step_s)):
            kept[-1] = (tc, side)
    return kept


def _frame_at(t: np.ndarray, tc: float) -> int:
    """The contact frame: the frame nearest the contact time."""
    k = int(np.searchsorted(t, tc))
    if k >= t.size or (k > 0 and tc - t[k - 1] <= t[k] - tc):
        k -= 1
    return max(k, 0)


def _strike(angle_deg: float, sd_deg: float) -> tuple[str, float]:
    """Class and the probability of that class under N(angle, sd²)."""
    lo, hi = STRIKE_THRESHOLDS_DEG
    cdf = lambda z: 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))  # noqa: E731
    p_fore = cdf((lo - angle_deg) / sd_deg)
    p_heel = 1.0 - cdf((hi - angle_deg) / sd_deg)
    probs = {"forefoot": p_fore, "midfoot": 1.0 - p_fore - p_heel, "heel": p_heel}
    cls = "heel" if angle_deg > hi else "forefoot" if angle_deg < lo else "midfoot"
    return cls, float(probs[cls])


def _merge_audio(contacts: list[tuple[float, str]], audio_s: np.ndarray, span: tuple,
                 tol_s: float) -> tuple[list[tuple[float, str, str, float | None]], int]:
    """Video contacts matched to sound footfalls within ``tol_s``; footfalls with no video
    contact inside the confident span are added (side: the one not used last)."""
    rows, used = [], np.zeros(audio_s.size, dtype=bool)
    for tc, side in contacts:
        d = np.abs(audio_s - tc) if audio_s.size else np.array([])
        k = int(np.argmin(d)) if d.size else -1
        if k >= 0 and d[k] <= tol_s and not used[k]:
            used[k] = True
            rows.append((tc, side, "video+audio", float(audio_s[k])))
        else:
            rows.append((tc, side, "video", None))
    added = 0
    for k in np.flatnonzero(~used):
        ta = float(audio_s[k])
        if span[0] <= ta <= span[1]:
            before = [r for r in rows if r[0] < ta]
            last = max(before, key=lambda r: r[0])[1] if before else "left"
            rows.append((ta, "right" if last == "left" else "left", "audio", ta))
            added += 1
    return sorted(rows, key=lambda r: r[0]), added


def form(pose: pl.DataFrame, *, height_m: float | None = None,
         capture_fps: float | None = None, footfalls: pl.DataFrame | None = None,
         audio_tolerance_s: float = 0.05) -> Form:
    """Running form per step and per clip from a side view's pose landmarks.

    ``pose`` is the long frame of :func:`runlab.gait.pose` (``frame``, ``time_s``,
    ``landmark``, ``x_px``, ``y_px``, ``visibility``; MediaPipe's landmark names; image y
    down). Give ``height_m`` (the runner's height) for lengths in metres; without it lengths
    are in **leg lengths** (hip-to-ankle, thigh + shank: 0.491 × height, Winter 2009,
    doi:10.1002/9780470549148), measured in pixels as the median of hip→knee + knee→ankle
    over the clip. ``capture_fps`` re-times frames as ``frame / capture_fps`` (a slow-motion
    clip stored for slower playback: its real time, not its playback time, gives cadence);
    by default ``time_s`` is used as given. ``footfalls`` (:func:`runlab.gait.footfalls` of
    the clip's soundtrack) are matched to the video contacts within ``audio_tolerance_s``.

    Definitions (x forward in the direction of running, y up; at each initial contact,
    measured in its frame: the frame nearest the contact time):

    - **Confident frame**: the camera-side leg, hip and shoulder landmarks all have
      visibility ≥ 0.5. Other frames are dropped and counted (``frames_dropped``; of the
      clip's ``frames_total`` when ``pose`` carries :func:`runlab.gait.pose`'s ``meta``,
      else of the frame numbers it spans; ``frames_without_pose``: absent from ``pose``).
    - **Side facing the camera**: the side whose landmarks MediaPipe sees better (median
      visibility), or, when equal, the one the running direction implies.
    - **Initial contact** (coordinate method of Zeni et al. 2008,
      doi:10.1016/j.gaitpost.2007.07.007): the heel is furthest ahead of the hip
      centre — a peak ≥ 0.25 leg lengths above the lows around it,
      refined between frames by a parabola — with the foot's lowest point within 0.25 leg
      lengths of the ground (the 20th percentile of the lowest foot point within ±0.5 s)
      and, in the swing before (at least 0.25 s of it in the clip), its heel–toe
      midpoint ≥ 0.12 leg lengths up (the foot
      left the ground; O'Connor et al. 2007, doi:10.1016/j.gaitpost.2006.05.016, use the
      foot's vertical motion likewise). A low camera makes a foot skimming the ground look
      down; the peak ahead of the hip does not depend on camera height or panning. With both feet in view each foot is followed by its motion (pose
      models trade left/right labels in side views), so ``side`` names a physical leg by
      its label in the first frame; with the far leg hidden, the near foot only. Both feet; the far foot only where
      it is seen. ``source``: "video", "video+audio" (a footfall within the tolerance)
      or "audio" (a footfall inside the clip where the video found none). Against hand
      marks of the first frame the foot touches on real clips
      (``benchmarks/validate_form_video.py``), contacts within ±33 ms, median error,
      cadence error: treadmill, held out — 60 fps 15/17, +7 ms, +0.2 %; 25 fps 52/59,
      +5 ms, −0.5 %; treadmill 30 fps, seen in development — 29/33, +18 ms, −0.2 %;
      barefoot on grass (30 fps, ~20-px feet), held out — 1/5 and 0/13, +51 and +99 ms,
      −1.1 and −0.2 %; sprint starts filmed from afar, held out — 3/18 (one clip refused);
      an outdoor clip seen in development — 3/5, −12 ms. Searching from the peak for the
      frame the foot reaches its stance level made every real clip worse (not used).
    - **Cadence** [steps/min]: 60 / mean time between successive contacts of opposite
      feet (left out: over 1 s, across dropped frames, or outside 0.75–1.33 × the median —
      a spurious or missed contact), or 120 / mean stride time when only one foot is
      seen; from ``time_s`` (or ``capture_fps``), never the playback rate; ``cadence_cv_pct`` is the
      coefficient of variation of step times (cadence consistency).
    - **Overstride** (Heiderscheit et al. 2011, doi:10.1249/MSS.0b013e3181ebedf4): the
      landing ankle's horizontal distance ahead of the hip joint centre
      [``overstride_leg``, and ``overstride_m`` with ``height_m``].
    - **Ground line**: camera roll is taken out before any angle is measured when the
      stance feet pin it — heel and toe positions 40–120 ms after each contact, a robust
      Theil–Sen line per landmark, both slopes known within 4° and within ±15°
      (``ground_tilt_deg``; null: too little spread, e.g. a treadmill — the camera is
      taken as level). A runner crossing the view at an angle to the camera also tilts
      this line (perspective): film square to the running direction.
    - **Foot strike angle** (Altman & Davis 2012, doi:10.1016/j.gaitpost.2011.09.104):
      the heel→toe (``heel``→``foot_index``) line's angle to the ground at contact
      [deg, toe up positive]. Class:
      heel (rearfoot) > 8.0°, forefoot < −1.6°, midfoot between (their thresholds).
      Altman & Davis subtract a standing trial's foot angle (their markers sit at
      different heights on the shoe); here no flat-foot reference is subtracted: the
      pose model's flat stance foot reads 5–40° toe-down on rendered runners (the heel
      point rides up the loaded heel) while its landing foot reads within ~5°, so
      subtracting it made nearly every step "heel" (on real clips the flat foot also reads a few degrees toe-down, and
      without the reference some heel landings read midfoot: 34 of 47 hand-labelled
      heel landings read heel, κ 0.10 over all real labels,
      ``benchmarks/validate_form_video.py``). The angle is the median over the frames from 50 ms before the
      contact to the contact (it holds in late swing and turns flat just after a heel
      contact). ``foot_strike_confidence`` is the probability of the class if the
      angle's error is normal with SD = √(5² + (0.25 × r)²) [deg], r the angle's range
      over the frames just before, at and after the contact (an unsteady foot angle is
      a misplaced landmark); 5° and 0.25 fitted on rendered runners. Not calibrated on
      real runners: on the real clips' labelled steps, a confidence above 0.9 was right
      18 of 27 times, 0.7–0.9 5 of 14, up to 0.7 18 of 32.
    - **Trunk lean** [deg from vertical, forward positive]: hip-centre→shoulder-centre line.
    - **Knee flexion at contact** [deg, 0 = straight]: the angle between the landing
      leg's thigh (hip→knee) and shank (knee→ankle), i.e. 180° − the hip–knee–ankle
      angle — the 2-D knee angle at initial contact of Souza (2016,
      doi:10.1016/j.pmr.2015.08.013) — its least value within one frame interval of the
      contact time. The knee is at its straightest about initial contact and flexes at
      several hundred °/s after it (Novacheck 1998, doi:10.1016/S0966-6362(97)00038-6),
      so at 30 fps the frame nearest contact, or an interpolation, can read 10°+ of
      early stance. Exact landmarks of a simulated runner at 30 fps: +2 ± 3°; rendered
      runners through MediaPipe: +6.5 ± 6.9° (16 clips) to +11 ± 5° (12 clips,
      ``benchmarks/validate_form_video.py --rendered 12``) — the pose model bends the
      drawn knee; not validated on real runners.
    - **Vertical oscillation** of the hip centre: its range (max − min) between successive
      contacts [``vertical_oscillation_leg``; ``vertical_oscillation_cm`` with height].

    2-D limits: the runner should run across the camera's view (a side view), the camera
    level and still or panning smoothly; a front view is refused (:class:`FormError`).

    What MediaPipe's foot points can give on real clips (``benchmarks/
    validate_form_video.py``: 9 clips or scenes, 6 runners, landmark events and angles
    compared with the hand-marked contacts; every clip seen in development):

    - *Contact timing.* Of the landmark events tried against 131 hand contacts, Zeni's
      peak (heel, ankle or toe furthest ahead of the hip) is best: 101–104 within ±33 ms
      (88 at the nearest frame, without the parabola). The foot's lowest point comes
      35–250 ms late (median per clip; 7–20 within ±33 ms: the foot points keep sinking
      through early stance); the end of its descent, or its reaching its stance level,
      scatters by ±25–200 ms (17–32); the foot's forward speed halfway
      down to its stance value 97, its least image speed 85, the straightest knee 58, the
      other foot's toe-off 38. The misses are a steady lag per clip (spread within a clip
      2–23 ms; 121 of 131 within ±33 ms of their own clip's median error): −12 to +18 ms
      where the leg is 236–549 px tall, +24 to +99 ms where it is 97–120 px (sprint starts
      filmed from afar; barefoot on grass, whose one re-checked hand mark was 1.5–2.5
      frames early). No event tried moves with that lag, so it cannot be taken out from
      the clip itself. On two fresh runners, run once: the same (15 of 18 within ±33 ms
      of their clip's median error), +41 ms where the leg is 72 px, but −40 and −56 ms
      with a 259-px leg on a treadmill filmed 30–45° off the side view: size alone does
      not predict the lag.
    - *Foot strike.* Through the hand-marked contact the heel→toe angle turns toe-up at
      240–550°/s (median per clip, 6 of 7 labelled clips): 8–18° per frame at 30 fps (4°
      at 60 fps), more than the 9.6°-wide midfoot band: a frame of timing error can change
      the class. Read exactly at the hand mark, its median per clip is +21.5° and +12.6°
      for heel landings (2 runners), −11.1° and −8.2° for forefoot (1 runner's sprint starts), and
      +24.9°, 0.0° and −15.2° for midfoot (2 runners; a fresh third, −17.8°): midfoot
      spreads over 40° and overlaps both. With Altman & Davis' thresholds at the hand
      mark: heel 41/50, midfoot 3/23, forefoot 9/10 (κ 0.38); with any thresholds, fitted leaving each clip out, on
      the heel→toe, ankle→toe or heel→ankle angle 100 ms before to 100 ms after it:
      κ ≤ 0.48, midfoot recall ≤ 12/23 (and then heel 14/50). Heel and forefoot
      separate on these clips; midfoot cannot be told from either with these foot points
      — and the non-heel labels come from four runners only. On a fresh clip (a beach,
      25 fps, camera low and close) even four heel landings read −2.1° at the hand mark
      (median), the angle already turning toe-down at ~200°/s: heel 0/4. The landmark model sees the
      person in a 256×256 crop (BlazePose, Bazarevsky et al. 2020,
      doi:10.48550/arXiv.2006.10204), where a foot is some 30 px long whatever the clip's
      resolution: a sharper clip does not give finer foot points; a runner a couple of
      hundred pixels tall gives coarser ones (the crop is scaled up).

    Returns
    -------
    Form
        ``.steps``: ``time_s``, ``side``, ``source``, ``step_time_s``, ``cadence_spm``,
        ``overstride_leg``, ``overstride_m``, ``foot_strike_angle_deg``, ``foot_strike``,
        ``foot_strike_confidence``, ``trunk_lean_deg``, ``knee_flexion_deg``,
        ``vertical_oscillation_leg``, ``vertical_oscillation_cm``, ``audio_time_s``.
        ``.summary`` (one row): frame counts, ``duration_s``, ``side_facing_camera``,
        ``direction`` ("left"/"right" in the image), ``ground_tilt_deg``, ``steps``, ``cadence_spm``,
        ``cadence_cv_pct``, medians of the per-step measures, the share of each strike
        class [%], ``leg_length_px``, ``leg_length_m``, ``audio_agreement_pct``.

    Raises
    ------
    SchemaError
        Missing columns or landmarks.
    FormError
        Fewer than 10 confident frames, or not a side view.
    """
    missing = [c for c in _NEED if c not in pose.columns]
    if missing:
        raise SchemaError(f"pose frame lacks {', '.join(missing)} (runlab.gait.pose makes it)")
    meta = getattr(pose, "meta", None) or {}  # runlab.gait.pose's PoseFrame knows the clip
    w = _wide(pose)
    frames_total = int(meta.get("frames_total") or
                       (w["frame"].max() - w["frame"].min() + 1 if w.height else 0))
    if capture_fps:
        w = w.with_columns((pl.col("frame") / capture_fps).alias("time_s"))
    vis = {s: np.nanmedian(np.stack([_col(w, "visibility", f"{s}_{p}") for p in _PARTS]))
           for s in _SIDES} if w.height else {s: 0.0 for s in _SIDES}
    seen = {s: _seen(w, s) for s in _SIDES} if w.height else {}
    # facing: the better-seen side; tie → from the running direction (toes point forward)
    keep = (seen["left"] | seen["right"]) if w.height else np.zeros(0, dtype=bool)
    if keep.sum() < _MIN_FRAMES:
        raise FormError(f"only {int(keep.sum())} of {frames_total} frames have a confident "
                        f"pose (visibility ≥ {MIN_VISIBILITY}); {_MIN_FRAMES} needed")
    wk = w.filter(pl.Series(keep))
    toe_dx = np.concatenate([_col(wk, "x_px", f"{s}_foot_index") - _col(wk, "x_px", f"{s}_heel")
                             for s in _SIDES])
    direction = 1.0 if np.nanmedian(toe_dx) >= 0 else -1.0
    if abs(vis["left"] - vis["right"]) > 0.02:
        near = "left" if vis["left"] > vis["right"] else "right"
    else:  # running to the image's right shows the right side
        near = "right" if direction > 0 else "left"
    far = "right" if near == "left" else "left"
    keep = seen[near] if seen[near].sum() >= _MIN_FRAMES else seen[far]
    if keep.sum() < _MIN_FRAMES:
        raise FormError(f"only {int(keep.sum())} of {frames_total} frames show one whole "
                        "side (shoulder, hip, knee, ankle, heel, toes) confidently")
    wk = w.filter(pl.Series(keep))
    t = wk["time_s"].to_numpy().astype(np.float64)
    P = {f"{s}_{p}": _xy(wk, f"{s}_{p}") for s in _SIDES for p in _PARTS}
    for k in P:  # image (x right, y down) → x forward, y up; pixels for now
        P[k] = np.stack([direction * P[k][:, 0], -P[k][:, 1]], axis=1)
    seg = lambda a, b: np.linalg.norm(P[a] - P[b], axis=1)  # noqa: E731
    leg_px = float(np.median(seg(f"{near}_hip", f"{near}_knee")
                             + seg(f"{near}_knee", f"{near}_ankle")))
    if not leg_px > 0:
        raise FormError("the leg has no length in the image (hip, knee and ankle coincide)")
    hip_gap = float(np.median(np.abs(P["left_hip"][:, 0] - P["right_hip"][:, 0]))) / leg_px
    foot_len = float(np.median(seg(f"{near}_heel", f"{near}_foot_index"))) / leg_px
    if hip_gap > 0.3 and foot_len < 0.15:
        raise FormError(f"not a side view (hips {hip_gap:.2f} leg lengths apart, foot "
                        f"{foot_len:.2f} long in the image): film the runner from the side")
    for k in P:
        P[k] = P[k] / leg_px
    m_per_leg = LEG_PER_HEIGHT * height_m if height_m else None
    hip = 0.5 * (P["left_hip"] + P["right_hip"])
    far_seen = _seen(wk, far, ("knee", "ankle", "heel", "foot_index"))
    both_feet = far_seen.mean() >= 0.5
    feet = list(_SIDES) if both_feet else [near]  # the far leg hidden: the near foot only
    if both_feet:  # follow each foot by its motion: no trust in left/right labels
        _track_feet(P)
    # each foot's lowest point and heel-toe midpoint; the lower of the two feet (the same
    # before and after _track_feet, which swaps whole feet) makes the ground and flat foot
    lows = {s: np.minimum(P[f"{s}_heel"][:, 1], P[f"{s}_foot_index"][:, 1]) for s in _SIDES}
    mids = {s: 0.5 * (P[f"{s}_heel"][:, 1] + P[f"{s}_foot_index"][:, 1]) for s in _SIDES}
    lo, hi = window_bounds(t, 0.5)
    ground = _rolling_low(np.minimum(lows["left"], lows["right"]), lo, hi)
    flat = _rolling_low(np.minimum(mids["left"], mids["right"]), lo, hi)
    found = []
    for s in feet:
        ahead = P[f"{s}_heel"][:, 0] - hip[:, 0]
        found += [(tc, s) for tc in _contacts(t, ahead, lows[s] - ground, mids[s] - flat)]
    found = _one_per_step(sorted(found))  # keeps them in time order
    span = (float(t[0]), float(t[-1]))
    audio = footfalls["time_s"].to_numpy() if footfalls is not None and footfalls.height \
        else np.zeros(0)
    rows, audio_added = _merge_audio(found, audio, span, audio_tolerance_s)
    tilt = _ground_tilt_deg(t, P, rows)
    if tilt is not None:  # camera roll: level the ground before measuring angles
        for k in P:
            P[k] = _rotate(P[k], -tilt)
        hip = 0.5 * (P["left_hip"] + P["right_hip"])
    sho = 0.5 * (P["left_shoulder"] + P["right_shoulder"])
    angle = {s: _angle_deg(P[f"{s}_foot_index"] - P[f"{s}_heel"]) for s in _SIDES}
    knee = {s: _flexion_deg(P[f"{s}_hip"], P[f"{s}_knee"], P[f"{s}_ankle"]) for s in _SIDES}
    frame_s = float(np.median(np.diff(t))) if t.size > 1 else 0.0
    steps = []
    for i, (tc, side, source, ta) in enumerate(rows):
        k = _frame_at(t, tc)
        hip_c, sho_c = hip[k], sho[k]
        ank = P[f"{side}_ankle"][k]
        fsa, sd = _strike_angle(t, angle[side], tc)
        cls, conf = _strike(fsa, sd)
        trunk = float(np.degrees(np.arctan2(sho_c[0] - hip_c[0], sho_c[1] - hip_c[1])))
        over = float(ank[0] - hip_c[0])
        nxt = rows[i + 1][0] if i + 1 < len(rows) else None
        osc = None
        if nxt is not None and nxt - tc < 1.0:
            inside = (t >= tc) & (t <= nxt)
            if inside.sum() >= 3:
                osc = float(hip[inside, 1].max() - hip[inside, 1].min())
        dt = tc - rows[i - 1][0] if i else None
        between = (t > rows[i - 1][0]) & (t <= tc) if i else None
        gap = bool(i) and (between.sum() < 1 or np.diff(t[between]).max(initial=0) > 0.1
                           or t[between][0] - rows[i - 1][0] > 0.1)
        dt = dt if dt is not None and (both_feet or rows[i - 1][1] != side) and dt < 1.0 \
            and not gap else None
        steps.append({
            "time_s": tc, "side": side, "source": source, "step_time_s": dt,
            "cadence_spm": 60.0 / dt if dt else None,
            "overstride_leg": over, "overstride_m": over * m_per_leg if m_per_leg else None,
            "foot_strike_angle_deg": fsa, "foot_strike": cls, "foot_strike_confidence": conf,
            "trunk_lean_deg": trunk,
            "knee_flexion_deg": _knee_at_contact(t, knee[side], tc, frame_s),
            "vertical_oscillation_leg": osc,
            "vertical_oscillation_cm": osc * m_per_leg * 100 if osc is not None and m_per_leg
            else None,
            "audio_time_s": ta,
        })
    steps_df = pl.DataFrame(steps, schema=_STEP_SCHEMA)
    summary = _summary(steps_df, frames_total=frames_total, frames_used=int(keep.sum()),
                       frames_seen=w.height, t=t, near=near, direction=direction,
                       leg_px=leg_px, m_per_leg=m_per_leg, height_m=height_m,
                       n_audio=audio.size, audio_added=audio_added,
                       one_side=not both_feet, tilt=tilt)
    if not steps_df.height:
        warnings.warn(f"no initial contacts found in {frames_total} frames: is the runner "
                      "running, and are the feet in view?", RunlabWarning, stacklevel=2)
    frames = pl.DataFrame({"time_s": t, **{f"{k}_{a}": P[k][:, j] for k in P
                                           for j, a in enumerate(("x", "y"))}})
    return Form(steps_df, summary, frames)


_STEP_SCHEMA = {
    "time_s": pl.Float64, "side": pl.String, "source": pl.String, "step_time_s": pl.Float64,
    "cadence_spm": pl.Float64, "overstride_leg": pl.Float64, "overstride_m": pl.Float64,
    "foot_strike_angle_deg": pl.Float64, "foot_strike": pl.String,
    "foot_strike_confidence": pl.Float64, "trunk_lean_deg": pl.Float64,
    "knee_flexion_deg": pl.Float64, "vertical_oscillation_leg": pl.Float64,
    "vertical_oscillation_cm": pl.Float64, "audio_time_s": pl.Float64,
}


def _rolling_low(y: np.ndarray, lo: np.ndarray, hi: np.ndarray, q: float = 20.0) -> np.ndarray:
    """The ``q``-th percentile of finite y in each sample's window ``y[lo[i]:hi[i]]``
    (:func:`runlab._series.window_bounds`): the ground under a panning camera (the lowest
    foot point is on the ground in most frames), robust to a few misplaced landmarks."""
    out = np.empty_like(y)
    for i in range(y.size):
        win = y[lo[i]:hi[i]]
        win = win[np.isfinite(win)]
        out[i] = np.percentile(win, q) if win.size else np.nan
    return out


def _track_feet(P: dict[str, np.ndarray]) -> None:
    """Keep each leg's landmarks on one physical leg, in place. Seen from the side, pose
    models trade the legs' left/right labels, mostly as the feet pass each other; each
    frame's labels are crossed when that puts the feet (ankle, heel, toe) nearer to where
    their motion over the previous two frames predicts (a stance foot stays put, a swing
    foot moves fast)."""
    parts = ("knee", "ankle", "heel", "foot_index")
    foot = {s: np.mean([P[f"{s}_{p}"] for p in ("ankle", "heel", "foot_index")], axis=0)
            for s in _SIDES}
    n = foot["left"].shape[0]
    a, b = foot["left"].copy(), foot["right"].copy()  # the tracks, labels resolved
    flip = np.zeros(n, dtype=bool)
    for i in range(1, n):
        pa = a[i - 1] + (a[i - 1] - a[i - 2] if i >= 2 else 0.0)
        pb = b[i - 1] + (b[i - 1] - b[i - 2] if i >= 2 else 0.0)
        keep = np.linalg.norm(foot["left"][i] - pa) + np.linalg.norm(foot["right"][i] - pb)
        cross = np.linalg.norm(foot["right"][i] - pa) + np.linalg.norm(foot["left"][i] - pb)
        flip[i] = cross < keep
        a[i], b[i] = (foot["right"][i], foot["left"][i]) if flip[i] else \
            (foot["left"][i], foot["right"][i])
    for p in parts:
        left, right = P[f"left_{p}"].copy(), P[f"right_{p}"].copy()
        P[f"left_{p}"][flip], P[f"right_{p}"][flip] = right[flip], left[flip]


def _knee_at_contact(t: np.ndarray, flexion: np.ndarray, tc: float, frame_s: float) -> float:
    """The least knee flexion [deg] within one frame interval (``frame_s``, the median
    [s]) of the contact time."""
    near = flexion[(np.abs(t - tc) <= 1.01 * frame_s) & np.isfinite(flexion)]
    return float(near.min()) if near.size else _at(t, flexion, tc)


def _at(t: np.ndarray, y: np.ndarray, tc: float) -> float:
    """``y`` linearly interpolated to time ``tc`` (between the frames either side)."""
    ok = np.isfinite(y)
    return float(np.interp(tc, t[ok], y[ok])) if ok.sum() >= 2 else float("nan")


def _strike_angle(t: np.ndarray, angle: np.ndarray, tc: float) -> tuple[float, float]:
    """The landing foot's angle [deg]: the median over the frames from 50 ms before the
    contact to the contact (the foot angle holds in late swing and turns flat just after
    a heel contact; a median of 1–3 frames resists one misplaced landmark); and its error
    SD [deg]: √(floor² + (k × range)²) over the angle's range in the frames just before,
    at and after the contact (:data:`STRIKE_SD_FLOOR_DEG`, :data:`STRIKE_SD_PER_RANGE`)."""
    k0 = max(int(np.searchsorted(t, tc, side="right")) - 1, 0)  # at or before the contact
    near = angle[max(k0 - 1, 0):k0 + 2]
    near = near[np.isfinite(near)]
    spread = float(np.ptp(near)) if near.size >= 2 else 45.0
    sd = math.hypot(STRIKE_SD_FLOOR_DEG, STRIKE_SD_PER_RANGE * spread)
    sel = (t >= tc - 0.05) & (t <= tc) & np.isfinite(angle)
    value = float(np.median(angle[sel])) if sel.any() else _at(t, angle, tc)
    return value, sd



def _rotate(xy: np.ndarray, deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.stack([c * xy[:, 0] - s * xy[:, 1], s * xy[:, 0] + c * xy[:, 1]], axis=1)


def _ground_tilt_deg(t: np.ndarray, P: dict[str, np.ndarray], rows,
                     window_s: tuple[float, float] = (0.04, 0.12)) -> float | None:
    """Camera roll [deg, ground rising forward > 0]: the slope of the ground line through
    the stance feet — heel and toe positions from 40 to 120 ms after each video contact
    (foot flat), a Theil–Sen line per landmark (Sen 1968, doi:10.1080/01621459.1968.10480934)
    — when both slopes' 95 % intervals are narrower than 4° (stance feet spread across
    the view: a static or panning camera) and the mean within ±15°; else None (a treadmill
    keeps the foot in one place: the camera is taken as level). Each landmark's own line
    makes it independent of where the pose model puts heel and toe on the shoe."""
    from scipy.stats import theilslopes

    slopes = []
    for part in ("heel", "foot_index"):
        pts = [P[f"{side}_{part}"][(t >= tc + window_s[0]) & (t <= tc + window_s[1])]
               for tc, side, source, _ in rows if source != "audio"]
        xy = np.concatenate(pts) if pts else np.zeros((0, 2))
        xy = xy[np.isfinite(xy).all(axis=1)]
        if xy.shape[0] < 6 or np.ptp(xy[:, 0]) < 0.3:
            return None
        slope, _, lo, hi = theilslopes(xy[:, 1], xy[:, 0])
        if math.degrees(math.atan(hi) - math.atan(lo)) > _TILT_CI_DEG:
            return None
        slopes.append(slope)
    tilt = math.degrees(math.atan(float(np.mean(slopes))))
    return tilt if abs(tilt) <= _MAX_TILT_DEG else None


def _summary(steps: pl.DataFrame, *, frames_total, frames_used, frames_seen, t, near,
             direction, leg_px, m_per_leg, height_m, n_audio, audio_added, one_side, tilt):
    times = steps["time_s"].to_numpy()
    if one_side and times.size >= 2:
        strides = np.diff(times)
        strides = strides[strides < 2.0 * np.median(strides)]  # not across a gap
        cadence = 120.0 / float(np.mean(strides))
        cv = float(np.std(np.diff(times), ddof=1) / np.mean(np.diff(times)) * 100) \
            if times.size >= 3 else None
    else:
        dts = steps["step_time_s"].drop_nulls().to_numpy()
        if dts.size:  # not a missed or a spurious contact
            dts = dts[(dts > 0.75 * np.median(dts)) & (dts < 1.33 * np.median(dts))]
        cadence = 60.0 / float(np.mean(dts)) if dts.size else None
        cv = float(np.std(dts, ddof=1) / np.mean(dts) * 100) if dts.size >= 2 else None
    med = lambda c: steps[c].median() if steps.height else None  # noqa: E731
    share = lambda c: (100.0 * (steps["foot_strike"] == c).sum() / steps.height  # noqa: E731
                       if steps.height else None)
    classes = steps["foot_strike"].value_counts(sort=True) if steps.height else None
    matched = int((steps["source"] == "video+audio").sum()) if steps.height else 0
    video = int((steps["source"] != "audio").sum()) if steps.height else 0
    return pl.DataFrame([{
        "frames_total": frames_total, "frames_used": frames_used,
        "frames_dropped": frames_total - frames_used,
        "frames_without_pose": frames_total - frames_seen,
        "duration_s": float(t[-1] - t[0]), "side_facing_camera": near,
        "direction": "right" if direction > 0 else "left", "ground_tilt_deg": tilt,
        "steps": steps.height, "cadence_spm": cadence, "cadence_cv_pct": cv,
        "overstride_leg": med("overstride_leg"), "overstride_m": med("overstride_m"),
        "foot_strike_angle_deg": med("foot_strike_angle_deg"),
        "foot_strike": classes["foot_strike"][0] if classes is not None else None,
        "foot_strike_confidence": med("foot_strike_confidence"),
        "heel_pct": share("heel"), "midfoot_pct": share("midfoot"),
        "forefoot_pct": share("forefoot"),
        "trunk_lean_deg": med("trunk_lean_deg"), "knee_flexion_deg": med("knee_flexion_deg"),
        "vertical_oscillation_leg": med("vertical_oscillation_leg"),
        "vertical_oscillation_cm": med("vertical_oscillation_cm"),
        "leg_length_px": leg_px, "leg_length_m": m_per_leg, "height_m": height_m,
        "audio_footfalls": n_audio, "audio_only_steps": audio_added,
        "audio_agreement_pct": 100.0 * matched / video if n_audio and video else None,
    }], schema_overrides={"overstride_m": pl.Float64, "vertical_oscillation_cm": pl.Float64,
                          "leg_length_m": pl.Float64, "height_m": pl.Float64,
                          "cadence_spm": pl.Float64, "cadence_cv_pct": pl.Float64,
                          "foot_strike": pl.String, "audio_agreement_pct": pl.Float64,
                          "ground_tilt_deg": pl.Float64,
                          **{c: pl.Float64 for c in (
                              "overstride_leg", "foot_strike_angle_deg",
                              "foot_strike_confidence", "heel_pct", "midfoot_pct",
                              "forefoot_pct", "trunk_lean_deg", "knee_flexion_deg",
                              "vertical_oscillation_leg")}})


#: Suggested rubric scores (5 best … 1) from measured form: rubric item → (summary column,
#: unit, upper limits of the |distance| outside the target band for 5, 4, 3, 2; target band).
#: runlab's defaults, not validated cut-offs: the bands sit on typical values of trained
#: runners — step-time variation of a few per cent (Nakayama et al. 2010,
#: doi:10.1016/j.gaitpost.2009.12.003), a foot landing close under the hip (Heiderscheit
#: et al. 2011, doi:10.1249/MSS.0b013e3181ebedf4), a slight forward trunk lean (Folland et
#: al. 2017, doi:10.1249/MSS.0000000000001245). The coach's score stays the record.
RUBRIC_RULES = {
    "rubric_cadence_consistency": ("cadence_cv_pct", "%", (0.0, 3.0), (0.0, 1.0, 3.0, 6.0)),
    "rubric_landing_quietness": ("overstride_leg", "leg lengths", (-0.05, 0.15),
                                 (0.0, 0.1, 0.2, 0.3)),
    "rubric_upright_posture": ("trunk_lean_deg", "deg", (2.0, 10.0), (0.0, 3.0, 6.0, 10.0)),
}


def rubric_suggestions(summary: pl.DataFrame, rules: dict = RUBRIC_RULES) -> pl.DataFrame:
    """Suggested 1–5 rubric scores from a clip's measured form (:func:`form` ``.summary``).

    Per rubric item (:data:`RUBRIC_RULES`): the measured value, its target band, how far
    outside the band it lies, and the score that distance earns (5 inside the band, one
    less per step of the limits; null when not measured). Returns one row per item:
    ``item``, ``measure``, ``value``, ``unit``, ``band_lo``, ``band_hi``, ``outside``,
    ``suggested``.
    """
    row = summary.row(0, named=True) if summary.height else {}
    out = []
    for item, (measure, unit, (lo, hi), limits) in rules.items():
        value = row.get(measure)
        outside = None if value is None else max(lo - value, value - hi, 0.0)
        score = None if outside is None else \
            5 - sum(outside > limit for limit in limits)
        out.append({"item": item, "measure": measure, "value": value, "unit": unit,
                    "band_lo": lo, "band_hi": hi, "outside": outside, "suggested": score})
    return pl.DataFrame(out, schema={"item": pl.String, "measure": pl.String,
                                     "value": pl.Float64, "unit": pl.String,
                                     "band_lo": pl.Float64, "band_hi": pl.Float64,
                                     "outside": pl.Float64, "suggested": pl.Int64})
