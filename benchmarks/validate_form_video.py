"""Running form from real video against hand annotation: contact timing, cadence, foot
strike (:func:`runlab.gait.form`).

``benchmarks/form_video_annotations.json`` lists real side-view running clips found in
public repositories: where each comes from (repository, path, commit, SHA-256), its licence,
the runner, the frame rate and where that rate comes from, whether it was seen while
``form`` was developed, and the hand-marked initial contacts (frame, strike class, what is
uncertain). Only annotations are stored in runlab: the clips themselves are fetched to a
local cache (``--cache DIR`` or ``RUNLAB_FORM_VIDEO_CACHE``; file or folder name
``cache_name``), and a clip missing from the cache is reported as missing, never skipped
silently. Landmarks can be kept outside the repository with ``--pose-cache DIR`` so a
second run does not rerun MediaPipe.

Printed per clip: steps annotated, video contacts within ±33 ms of a hand contact (matched
one to one, nearest first), the timing error (median signed and |error|), missed and extra
contacts, cadence from the video vs from the hand count [steps/min, %], foot strike per-class
recall and Cohen's κ on the contacts found within 0.2 s, the frame rate and its source.
Where the clip has a soundtrack, ``gait.footfalls`` onsets are matched to the hand contacts
(within 50 ms) too.

Targets (issue 24): timing within ±33 ms for ≥ 90 % of steps, cadence within ±2 %, strike
class agreement ≥ 85 % with per-class recall and κ (answering "heel" always must not pass);
≥ 100 steps across ≥ 3 runners.

Measured (``--cache``: nine clips or scenes, 150 hand contacts, 6 runners). All but
radluy_side were held out: their contacts were committed before the detector first ran on
them. Held out, detector as it was (commit f3a3666):

- radluy_side (30 fps assumed, seen in development): 3/5 within ±33 ms; cadence +0.7 %;
  strike midfoot recall 1/4, κ 0.
- zzzhushi_male_side (30 fps, MIT): 7/33 within ±33 ms against its first marks, median
  error +45 ms (video later than the hand mark); cadence −0.4 % (hand count 169.4 spm; the
  source's own pixel measure 168.9 ± 0.5); strike heel 32/32 (every step heel by hand, so
  κ is undefined). Re-marked later (below): no longer held out.
- mhuang_img5396 (60 fps): 15/17 within ±33 ms, median |error| 13 ms; cadence +1.3 %;
  strike heel 15/16; no footfall found in its soundtrack (gym noise).
- movup_tiktok_treadmill (25 fps): 52/59 within ±33 ms (88 %), median |error| 8 ms;
  cadence +2.1 %, from 12 spurious contacts 0.55–0.65 of a step after true ones (also 3 on
  male_side and 5 on img5396); strike not judged by hand; its soundtrack is music.

After that finding, ``gait.form`` drops a contact that comes less than 0.7 of the median
step after another, keeping the one that fits the rhythm (not held out for this change):
extra contacts 12 → 0, 3 → 0, 6 → 1 (at the clip's end, a step not marked by hand);
cadence −0.5 % (male_side), +0.2 % (img5396), −0.5 % (movup), +0.7 % (radluy); timing
unchanged (88 % within ±33 ms on img5396 and movup).

Then, held out against that detector:

- hato_a1–a3 (sprint starts, 29.97 fps, runner ~200 px tall in 1280x720, panning camera):
  a1 refused (no confident pose), a2 0/5 within ±33 ms and cadence +6 %, a3 3/6 and −6 %;
  strike forefoot by hand on all seven scored, heel by the video (0/7).
- arham_scene_630 / _515 (barefoot on grass, 360x636 at 30 fps, feet ~20 px, every hand
  mark uncertain by about a frame): 1/5 and 0/13 within ±33 ms, the video +51 ms and
  +99 ms later than the hand marks (5/5 and 9/10 within ±33 ms of that offset); cadence
  −1.1 % and −0.2 %; landings flat or toes first by hand, heel by the video (0/15).

All clips: 81/150 within ±33 ms; no clip reaches 90 % (best 88 %); cadence within ±2 % on
every jogging clip or scene (7 of 7), not on the sprint starts; strike recall heel 47/47,
midfoot 1/19, forefoot 0/7, κ 0.08 (the video's class is almost always heel).

Re-marking (2026-12-07, after the figures above were seen). Every step of
zzzhushi_male_side was looked at again on crops of the landing zone: from the fifth step on
its first marks were the frame the shoe is low but still blurred by forward motion, 0.5–1
frame before it stops on the belt (a shoe touching a treadmill's belt is carried back, so
on a treadmill the first touch is the frame the shoe stops). Re-marked on that rule (first
marks kept as ``first_mark``; the clip is now "seen in development"), the hand cadence is
168.9 spm, the source's own independent measure (168.9 ± 0.5; the first marks gave
169.4). Three movup marks were confirmed; one arham mark (106.5) looked 1.5–2.5 frames
early, the scene is scored as first marked. ``--cache`` now (``form`` as on main, strike
figures from the strike angle without a flat-foot reference):

- seen in development: radluy_side 3/5 within ±33 ms (median error −12 ms, cadence
  +0.7 %); zzzhushi_male_side 29/33 (+18 ms, −0.2 %; 7/33 against the first marks);
- held out: mhuang_img5396 15/17 (+7 ms, +0.2 %); movup 52/59 (+5 ms, −0.5 %); hato_a1
  refused, 0/7; hato_a2 0/5 (+39 ms, +6.2 %); hato_a3 3/6 (+24 ms, −6.1 %); arham_scene_630
  1/5 (+51 ms, −1.1 %); arham_scene_515 0/13 (+99 ms, −0.2 %);
- held out 71/112 (63 %), seen 32/38, all 103/150 (69 %); no clip reaches 90 % (best
  88 %); strike recall heel 34/47, midfoot 2/19, forefoot 5/7, κ 0.10.

A touchdown search was tried before the re-marking and rejected: from the step Zeni's rule
finds, back (≤ 0.12 s) or forward (≤ 0.06 s) to the first frame the foot's lowest point is
within 0.03 leg lengths of its level in the following 0.15 s (O'Connor et al. 2007,
doi:10.1016/j.gaitpost.2006.05.016, time contact by the foot's vertical motion likewise).
It put rendered runners' contacts on the frame of touchdown (median error −14 → +5 ms,
43/44) but on the real clips, run once with parameters fixed on rendered clips and
radluy_side, it lost on every clip: 81 → 47 of 150 (radluy 2/5, male_side 4/33 against
the first marks, img5396 7/17, movup 31/59, hato 3/18, arham 0/18). On these clips
MediaPipe's foot landmarks reach their ground level later and more noisily than the shoe
does, so ``form`` keeps Zeni's peak. (MediaPipe's landmark smoothing is not the cause:
with ``smooth_landmarks=False`` Zeni's rule scores 82/150, the same offsets.)

What the landmarks can give (2026-12-07, session 5; all nine clips or scenes now count as
seen in development). With the cached landmarks, candidate contact events were compared
with the hand marks, each taken around ``form``'s own contact for the 131 hand contacts
that have one within 0.2 s; signed error video − hand, within ±33 ms / matched, median:

- Zeni's heel-ahead-of-hip peak (``form``): radluy 3/4 −12 ms; male_side 29/32 +18;
  img5396 15/15 +7; movup 52/58 +5; hato_a2 0/2 +39; hato_a3 3/5 +24; arham 630 1/5 +51;
  arham 515 0/10 +99 — 103/131; ankle or toe furthest ahead of the hip 104 and 101; at
  the nearest frame (no parabola) 88.
- Worse everywhere: the foot's forward speed halfway down from its swing peak to its
  stance value 97; least image speed of the foot 85; straightest knee 58; the other
  foot's toe-off (its toe furthest behind the hip) 38; the foot's lowest point reaching
  its stance level (+0.05 leg lengths) 32; end of the foot's descent (vertical speed back
  to 30 % of its peak) 24; the lowest heel, ankle, toe or foot point 20/16/7/13 (median
  +35 to +250 ms: MediaPipe's foot points keep sinking through early stance).
- The error is a steady lag per clip, not scatter: its spread within a clip (IQR/1.35)
  is 2–23 ms and 121/131 lie within ±33 ms of their clip's median error. The lag is
  small where the leg is 236–549 px tall (−12 to +18 ms) and large where it is 97–120 px
  (+24 to +99 ms; those are also the clips whose hand marks are least sure). No event
  tried shifts with it, so it cannot be estimated from a clip; four scenes of two
  runners are too few to fit a size correction (and the fresh cez, a 259-px leg filmed
  30–45° off the side view, lags −40 to −56 ms: size alone does not predict it). MediaPipe's frame-to-frame tracking is
  not the cause: run with ``static_image_mode=True`` (the person found anew in every
  frame) arham's scenes lag +47 and +97 ms (hato_a2 +5 ms, 3/5, but hato_a3 loses every
  contact).

Foot strike, angles read at the HAND-marked contact (timing perfect; the landing foot is
the one further forward; 83 labelled contacts: heel 50 from 2 treadmill runners, midfoot
23 from radluy and arham, forefoot 10 from hato's sprint starts):

- MediaPipe's heel→toe angle turns toe-up at 240–550°/s through the contact (median per
  clip, 6 of 7 clips; radluy ~0): from −20 to −110° 150 ms before it to its peak at or
  just after it — 8–18° per frame at 30 fps. A frame of timing error is more than the
  9.6°-wide midfoot band.
- Median per clip at the hand mark: heel +21.5° (male_side), +12.6° (img5396); forefoot
  −11.1° (a2), −8.2° (a3); midfoot +24.9° (radluy), 0.0° (arham 630), −15.2° (arham
  515, whose labels say "could be forefoot").
- Altman & Davis thresholds at the hand mark: heel 41/50, midfoot 3/23, forefoot 9/10,
  κ 0.38 (17 ms later: 45/50, 5/23, 7/10, κ 0.44). Best thresholds for the heel→toe,
  ankle→toe or heel→ankle angle 100 ms before to 100 ms after the mark, fitted leaving
  each clip out: κ ≤ 0.48 (ankle→toe 17 ms after: heel 47/50, midfoot 3/23, forefoot
  9/10); midfoot recall never above 12/23, and there heel falls to 14/50. Fitted on all
  clips (optimistic) κ ≤ 0.65.
- So the bundled model's foot points separate heel from forefoot on these runners but
  not midfoot from either; with ``form``'s own timing κ is 0.10. Reading the angle at
  the contact instant instead of the median over the 50 ms before it was tried: κ 0.10 →
  0.15 here (heel 34 → 42/47, forefoot 5 → 3/7), rendered runners κ 0.60 → 0.71 (12
  clips) and 0.36 → 0.53 (16 others); one rendered forefoot clip of the tests fell to
  2/7 forefoot. Not landed: no gain that matters against the ≥ 85 % target.

Fresh clips, main at 0b3684a (session 5: two new runners, 33 contacts marked and committed
before any detector ran on them; run once, with ``--audio``):

- cez_run_test1_scene_a / _b (treadmill sprint, 30 fps, hand-held rear-oblique camera above
  the belt, a coach in view; strike not judged): runlab found 3 of the 10 hand steps in each
  scene ("2 people in view"), 0/10 and 0/10 within ±33 ms, median error −40 and −56 ms
  (video earlier than hand); cadence −25.8 % and −1.4 % (hand 279 and 261 steps/min).
  ``gait.footfalls`` on its soundtrack (treadmill noise with impact-like bursts; whether each
  is a footfall was not checked) found 5 and 2 onsets in the scenes, about every other step
  and 90–110 ms (half a step) from the nearest hand contact: 0/10 and 1/10 hand contacts
  within ±50 ms. So this is not yet evidence about footfall timing on real running audio.
- darthvader18_running_scene_2 (indoor track, 29.97 fps, panning camera, feet about 15 px,
  every hand mark uncertain by about a frame): 12 of 13 steps found, 5/13 within ±33 ms,
  median error +41 ms (video later), 10/13 within ±33 ms of that offset; cadence +0.4 %
  (hand 186.0 steps/min). Strike: hand midfoot on all (never heel-first, could be forefoot),
  video forefoot on all 12 — midfoot recall 0/12, κ 0; heel vs not heel 12/12.
- Fresh, all: 5 of 33 within ±33 ms (15 %), 2 runners; no clip reaches 90 %.

A third fresh runner, annotated and committed later, scored once on main at bfba7fa (after
``form``'s change 80c0033):

- runstimator_athlete_scene_a (beach, 25 fps, camera moving alongside, low and close: trunk
  and legs in view; only frames 0–48 can be marked): 4 of 6 hand steps found, 0/6 within
  ±33 ms, median error −97 ms (video earlier), 3/6 within ±33 ms of that offset; cadence
  −10.2 % (hand 180.7 steps/min); strike heel 0/3 (video forefoot), midfoot 1/1, κ 0.2; no
  footfall onsets in its soundtrack.
- Fresh, three runners: 5 of 39 within ±33 ms (13 %).

The landmark analysis above, fixed before these clips came, run once on them (form at
main 712ffe4): Zeni's peak 5 of the 18 steps it found within ±33 ms, 15/18 within ±33 ms
of their clip's median error — again a steady lag (darthvader18, leg 72 px: +41 ms; cez
−40 and −56 ms, 3 steps each); over dev and fresh clips Zeni's peak stays the best event
(108/149; forward speed halfway down 104, end of the foot's descent 33, the other foot's
toe-off 46). darthvader18's midfoot landings read −17.8° at the hand mark (median;
forefoot by Altman & Davis, as arham's did), the angle turning at 368°/s: midfoot 1/13
with their thresholds, 0/13 with the thresholds fitted on the dev clips.

The same analysis, run once on runstimator_athlete_scene_a (fresh, landed later; main's
detector): Zeni's peak 0 of the 4 steps it found within ±33 ms, median −97 ms (3/4 within
±33 ms of that); at the hand marks the 4 heel landings read −2.1° and the 2 midfoot
−8.1° (medians), the foot angle turning toe-down at 116–214°/s: heel 0/4, midfoot 0/2
with Altman & Davis' thresholds, heel 1/4 with the dev-fitted ones: even heel landings,
which read heel on the dev clips, do not here.

A change tried on the dev clips and judged once on cez and darthvader18, not landed: finding a clip's
first step (``form`` wants 0.25 s of the swing before a contact in view; on male_side,
img5396, movup and hato_a2 the first hand-marked step, 0.14–0.24 s in, was missed).
With 0.15 s, and a first contact less than 0.25 s in kept only if it comes ≥ 0.75 of the
median step before the next: dev 103 → 107/150, no extra contact, rendered runners
unchanged (203 contacts on 28 clips); fresh clips 5/33 as before, but on cez scene a it
found a left-foot contact 0.225 s after the first confident frame (−42 ms from the hand
mark; main's right-foot contact there is +36 ms), which moved that scene's cadence from
−25.8 % to −50.6 % (3 of its 10 steps found either way). Worse on a fresh clip: not
landed.

Two people in view (session 5, after the fresh clips had been scored, so not held out):
in cez the coach beside the treadmill, nearer the camera and cut off at the knees by the
frame, was followed as the most visible person, and half of each scene showed no feet.
``gait.pose`` now leaves a followed person whose feet stay out of view for 0.5 s for the
most visible other one, and keeps masking the others when the detector misses the
followed person for a frame: cez scenes 9/10 and 9/10 steps found (were 3 and 3),
cadence +1.0 % and +1.1 % (were −25.8 % and −1.4 %), still 0/10 and 0/10 within ±33 ms
(the video 52 ms earlier than the hand marks in both, a steady lag; the camera is 30–45°
off the side view). Every other clip shows one person to the detector: unchanged. With
these landmarks the first-step change above gives cez what main gives (0/10, 0/10, +1.0
and +1.1 %): its one fresh loss came from the coach's landmarks; it stays unlanded (it
was judged once, and these clips are no longer fresh).

Can the image place first touch? (session 5, 2026-12-07; every clip seen, so judged
leaving one clip or scene out: each rule's parameters, including a constant shift of
−33…+33 ms, chosen on the other 11 and scored on the one left out; hato_a1 refused, its 7
steps missed by every rule; scripts and per-step numbers kept outside the repository, no
frames stored.) MediaPipe's foot points were used only to find the landing foot around
``form``'s contact; the timing came from the pixels of the full-resolution frames:

- *Dense optical flow* (Farnebäck 2003, doi:10.1007/3-540-45103-X_50) on a crop of the
  landing foot (a foot under 60 px scaled up to 60 px), the foot's own motion the median
  flow within a quarter foot length of its heel–ankle–toe outline, less the median flow of
  the crop away from both legs; contact where the foot's forward speed falls from its swing peak to its
  stance level (a low percentile over the window; zero for a static camera) or where its
  downward speed ends, interpolated between frames. Best rule 80 of 182 within ±33 ms
  (ground-relative forward speed 76, downward speed 73) against Zeni's peak 108.
- *Tracking the foot's pixels* (normalised cross-correlation of the foot, or of a heel or
  toe patch, tracked backwards from a stance frame, the ground's flow beside the runner
  taken out for panning cameras): contact where the tracked patch leaves its stance path.
  Heel/toe patches 94 of 182; the whole foot 111, but only by choosing the anchor at
  ``form``'s own contact with the smallest threshold — Zeni's time put on a frame; with the
  anchor in stance (+50 or +100 ms) 15–65.
- Per clip, within ±33 ms and median signed error, Zeni's peak → best flow rule → heel/toe
  tracking: radluy 3/5 −12 → 1 −18 → 3 −20 ms; zzzhushi 29/33 +18 → 29 +10 → 25 +8;
  img5396 15/17 +7 → 14 −11 → 14 −8; movup 52/59 +5 → 32 −28 → 43 +4; hato_a2 0/5 +39 →
  0 +39 → 0 +69; hato_a3 3/6 +24 → 1 +38 → 4 +31; arham 630 1/5 +51 → 1 +46 → 3 +31;
  arham 515 0/13 +99 → 0 +81 → 0 +104; cez a 0/10 −52 → 0 −43 → 0 −42; cez b 0/10 −52 →
  0 +58 → 0 −40; darthvader18 5/13 +41 → 2 +46 → 2 +70; runstimator 0/6 −97 → 0 −111 →
  0 +3 (its six steps scattered).
- So no image rule beat Zeni's peak on most clips, and none took out the per-clip lags
  (arham 515 +81 to +104 ms, cez a −37 to −43, darthvader18 +44 to +70 whichever rule).
  Why, as far as the per-step signals show: at 25–30 fps a swinging foot moves 10–40 px
  a frame and is blurred, so its flow and its template are least sure in the very frame
  before touchdown; on feet of 15–30 px (arham, darthvader18, hato) a quarter-foot mask or
  a heel patch is 4–8 px; a rolling foot (heel, then flat) changes its image in early
  stance, so "leaves its stance path" fires a frame or two before the stance anchor
  whatever the anchor. ``form`` keeps Zeni's peak: on these clips the ±33 ms target is not
  met from the video, by the landmarks or, as tried here, by the pixels.

``--rendered N`` adds N rendered runners (:func:`runlab.simulate.running_pose` drawn by
:mod:`runlab.simulate.figure`) through ``read_video`` → ``pose`` → ``form`` against their
known contacts: it checks the chain on a drawn figure, it is **not** evidence about real
runners.

Run: ``python benchmarks/validate_form_video.py --cache ~/runlab-clips`` (``--pose
clip=landmarks.csv`` or ``--frames clip=DIR`` for one clip; ``--rendered 6``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import warnings
from pathlib import Path

import numpy as np
import polars as pl

ANNOTATIONS = Path(__file__).with_name("form_video_annotations.json")
CACHE_ENV = "RUNLAB_FORM_VIDEO_CACHE"
TOLERANCE_S = 0.033
AUDIO_TOLERANCE_S = 0.05
CLASSES = ("heel", "midfoot", "forefoot")


def pose_from_frames(folder: Path, fps: float) -> pl.DataFrame:
    """MediaPipe legacy Pose (model_complexity=1, the bundled model) over image files."""
    import cv2
    import mediapipe as mp

    from runlab.simulate.pose import LANDMARKS

    rows = []
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".png", ".jpg"))
    with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1) as detector:
        for i, path in enumerate(files):
            img = cv2.imread(str(path))
            h, w = img.shape[:2]
            found = detector.process(cv2.cvtColor(img, cv2.COLOR_BGR2RGB)).pose_landmarks
            if found is None:
                continue
            rows += [(i, i / fps, name, lm.x * w, lm.y * h, lm.visibility)
                     for name, lm in zip(LANDMARKS, found.landmark, strict=True)]
    return pl.DataFrame(rows, schema=["frame", "time_s", "landmark", "x_px", "y_px",
                                      "visibility"], orient="row")


def match(hand_s: np.ndarray, video_s: np.ndarray, tol_s: float) -> list[tuple[int, int]]:
    """One-to-one pairs (hand index, video index) within tol_s, nearest pairs first."""
    pairs = sorted((abs(h - v), i, j) for i, h in enumerate(hand_s)
                   for j, v in enumerate(video_s) if abs(h - v) <= tol_s)
    used_h, used_v, out = set(), set(), []
    for _, i, j in pairs:
        if i not in used_h and j not in used_v:
            used_h.add(i)
            used_v.add(j)
            out.append((i, j))
    return sorted(out)


def kappa(a: list[str], b: list[str]) -> float | None:
    """Cohen's κ of two label lists (None when chance agreement is 1)."""
    if not a:
        return None
    labels = sorted(set(a) | set(b))
    po = np.mean([x == y for x, y in zip(a, b, strict=True)])
    pe = sum((a.count(c) / len(a)) * (b.count(c) / len(b)) for c in labels)
    return None if pe >= 1 else float((po - pe) / (1 - pe))


def cadence(times_s: np.ndarray) -> float | None:
    return 60.0 * (times_s.size - 1) / (times_s[-1] - times_s[0]) if times_s.size > 1 else None


def load_clips(path: Path = ANNOTATIONS) -> dict[str, dict]:
    """The annotated clips by name."""
    return {c["clip"]: c for c in json.loads(path.read_text())["clips"]}


def hand_times_s(clip: dict, frame_times_s: np.ndarray | None) -> np.ndarray:
    """Hand-marked contact frames as times [s]: on the clip's own frame times when known
    (a half frame lies half way between two), else frame / the annotated fps."""
    frames = np.array([c["frame"] for c in clip["contacts"]], dtype=float)
    if frame_times_s is None or frame_times_s.size < 2:
        return frames / clip["fps"]
    return np.interp(frames, np.arange(frame_times_s.size), frame_times_s)


def locate(clip: dict, cache: Path | None) -> tuple[Path | None, str]:
    """The clip's file or frame folder in the cache, and what is wrong when it is not usable."""
    if cache is None:
        return None, f"no clip cache given (--cache or {CACHE_ENV})"
    path = cache / clip.get("cache_name", clip["clip"])
    if not path.exists():
        return None, f"MISSING from the cache: {path} (fetch {clip['repo']}:{clip['path']} " \
                     f"at {clip['commit']})"
    want = clip.get("sha256")
    if want and path.is_file():
        got = hashlib.sha256(path.read_bytes()).hexdigest()
        if got != want:
            return None, f"{path} is not the annotated clip (SHA-256 {got[:12]}…, want {want[:12]}…)"
    return path, ""


def pose_of(clip: dict, path: Path, pose_cache: Path | None) -> tuple[pl.DataFrame, np.ndarray | None]:
    """Landmarks of a cached clip (MediaPipe through runlab.gait.pose, or over a folder of
    frames) and the clip's frame times; kept in ``pose_cache`` when given."""
    import runlab

    times = None
    if path.is_file():
        video = runlab.read_video(path)
        times = np.asarray(video.frame_times_s)
    stem = clip.get("cache_name", clip["clip"]).replace("/", "_")
    kept = pose_cache / f"{stem}.landmarks.parquet" if pose_cache else None
    if kept is not None and kept.exists():
        return pl.read_parquet(kept), times
    if path.is_file():
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            pose = runlab.gait.pose(video)
        for w in seen:
            print(f"  pose warning: {w.message}")
    else:
        pose = pose_from_frames(path, clip["fps"])
    if kept is not None:
        kept.parent.mkdir(parents=True, exist_ok=True)
        pl.DataFrame(pose).write_parquet(kept)
    return pose, times


def steady_cadence(times_s: np.ndarray) -> float | None:
    """Cadence [steps/min] from step times within 0.75–1.33 of their median (as ``form``'s
    summary does), for the contacts inside one scene of an edited clip."""
    dts = np.diff(times_s)
    if not dts.size:
        return None
    dts = dts[(dts > 0.75 * np.median(dts)) & (dts < 1.33 * np.median(dts))]
    return 60.0 / float(np.mean(dts)) if dts.size else None


def score(clip: dict, pose: pl.DataFrame, hand: np.ndarray,
          span_s: tuple[float, float] | None = None) -> dict:
    """Video contacts and strike classes of one clip against its hand annotation; with
    ``span_s`` only the video's contacts in that time span (one scene) count."""
    from runlab.gait import form

    labels = [c["strike"] for c in clip["contacts"]]
    measured = form(pose)
    steps = measured.steps
    if span_s is not None:
        steps = steps.filter(pl.col("time_s").is_between(span_s[0], span_s[1]))
    video = steps["time_s"].to_numpy()
    pairs = match(hand, video, TOLERANCE_S)
    near = match(hand, video, 0.2)  # the video's contact for each step, on time or not
    err = np.array([video[j] - hand[i] for i, j in near])
    judged = [(i, j) for i, j in near if labels[i] in CLASSES]  # 'unclear' is not scored
    got = [steps["foot_strike"][j] for _, j in judged]
    want = [labels[i] for i, _ in judged]
    recall = {c: (sum(g == w == c for g, w in zip(got, want, strict=True)),
                  want.count(c)) for c in CLASSES if want.count(c)}
    certain = [i for i, c in enumerate(clip["contacts"]) if not c.get("uncertain")]
    hand_cad = cadence(hand)
    video_cad = measured.summary["cadence_spm"][0] if span_s is None \
        else steady_cadence(video)
    return {
        "hand_steps": hand.size, "video_steps": video.size,
        "within_33ms": len(pairs),
        "within_33ms_certain": f"{sum(i in certain for i, _ in pairs)}/{len(certain)}",
        "median_error_ms": float(np.median(err) * 1000) if err.size else None,
        "median_abs_error_ms": float(np.median(np.abs(err)) * 1000) if err.size else None,
        "errors_ms": [round(float(e) * 1000) for e in err],
        # diagnostic only: a constant offset (a different contact definition) vs scatter
        "within_33ms_after_median_offset": int((np.abs(err - np.median(err)) <= TOLERANCE_S).sum())
        if err.size else 0,
        "missed": hand.size - len(near), "extra": video.size - len(near),
        "hand_cadence_spm": hand_cad, "video_cadence_spm": video_cad,
        "cadence_error_pct": 100 * (video_cad - hand_cad) / hand_cad
        if video_cad and hand_cad else None,
        "strike_recall": recall,
        "strike_agreement_pct": 100 * np.mean([g == w for g, w in zip(got, want, strict=True)])
        if got else None, "kappa": kappa(want, got),
        "video_strike_classes": {c: got.count(c) for c in CLASSES},
        "_strike_pairs": list(zip(want, got, strict=True)),
    }


def footfalls_vs_hand(path: Path, hand: np.ndarray) -> str:
    """Soundtrack footfalls (runlab.gait.footfalls) matched to the hand contacts."""
    import runlab
    from runlab.errors import ReadError

    try:
        onsets = runlab.gait.footfalls(runlab.read_audio(path))["time_s"].to_numpy()
    except ReadError as e:
        return f"no usable soundtrack ({e})"
    inside = onsets[(onsets >= hand[0] - 0.2) & (onsets <= hand[-1] + 0.2)]
    pairs = match(hand, inside, AUDIO_TOLERANCE_S)
    return (f"{len(pairs)}/{hand.size} hand contacts have a soundtrack footfall within "
            f"±{AUDIO_TOLERANCE_S * 1000:.0f} ms ({inside.size} footfalls in the span)")


def rendered(n: int) -> None:
    """Rendered runners with known contacts and strike classes through the whole chain."""
    import tempfile

    import runlab
    from runlab.gait import STRIKE_THRESHOLDS_DEG, form
    from runlab.simulate import figure, running_pose

    rng = np.random.default_rng(2024)
    want, got, errors, found, total = [], [], [], 0, 0
    knee_err, cadence_err = [], []
    for i in range(n):
        strike = float(rng.choice([-8.0, -5.0, 3.0, 4.0, 13.0, 16.0]))
        cadence = float(rng.uniform(150, 185))
        direction = int(rng.choice([-1, 1]))
        pose, truth = running_pose(cadence_spm=cadence, seconds=3, fps=30, strike_deg=strike,
                                   direction=direction, width_px=480, height_px=270,
                                   leg_px=115, noise_px=0, seed=100 + i)
        frames = figure.render_figure(pose, width_px=480, height_px=270)
        with tempfile.TemporaryDirectory() as tmp:
            clip = figure.write_clip(Path(tmp) / "r.mp4", frames, fps=30)
            measured = form(runlab.gait.pose(runlab.read_video(clip)))
        hand = truth.filter(pl.col("time_s") > 0.25)["time_s"].to_numpy()
        video = measured.steps["time_s"].to_numpy()
        pairs = match(hand, video, TOLERANCE_S)
        errors += [video[j] - hand[i] for i, j in pairs]
        found, total = found + len(pairs), total + hand.size
        lo, hi = STRIKE_THRESHOLDS_DEG
        cls = "heel" if strike > hi else "forefoot" if strike < lo else "midfoot"
        want += [cls] * len(pairs)
        got += [measured.steps["foot_strike"][j] for _, j in pairs]
        knee_err += [measured.steps["knee_flexion_deg"][j] - truth["knee_flexion_deg"][0]
                     for _, j in pairs]
        cadence_err.append(100 * ((measured.summary["cadence_spm"][0] or np.nan) / cadence - 1))
        print(f"  rendered {i}: {cadence:.0f} spm (measured "
              f"{measured.summary['cadence_spm'][0] or float('nan'):.1f}), strike {strike:+.0f}° "
              f"({cls}; measured median "
              f"{measured.summary['foot_strike_angle_deg'][0] or float('nan'):+.1f}°), "
              f"{len(pairs)}/{hand.size} contacts within 33 ms, {video.size} found")
    err = np.abs(errors) * 1000
    print(f"rendered runners (a drawn figure, not real people): {found}/{total} contacts "
          f"within ±33 ms, median |error| {np.median(err):.0f} ms; strike recall "
          + ", ".join(f"{c} {sum(g == w == c for g, w in zip(got, want, strict=True))}/"
                      f"{want.count(c)}" for c in CLASSES if want.count(c))
          + f"; κ {kappa(want, got):.2f}; knee flexion at contact error "
          f"{np.mean(knee_err):+.1f} ± {np.std(knee_err):.1f}° (mean ± SD); cadence error "
          f"worst {np.nanmax(np.abs(cadence_err)):.1f} %")


def report(name: str, clip: dict, r: dict) -> None:
    print(f"\n{name} — {clip['source']}\n  licence: {clip['licence']}\n"
          f"  runner: {clip.get('runner_id', '?')}; held out: {clip.get('held_out')} "
          f"({clip.get('seen_during_development', '')})\n"
          f"  frame rate: {clip['fps']:g} fps ({clip.get('fps_source', clip.get('fps_note'))})")
    for key, value in r.items():
        if not key.startswith("_"):
            print(f"  {key}: {value}")


def main() -> None:
    from runlab.errors import FormError

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cache", type=Path, default=os.environ.get(CACHE_ENV),
                    help=f"folder holding the clips (default ${CACHE_ENV})")
    ap.add_argument("--pose-cache", type=Path, default=None,
                    help="keep computed landmarks here (outside the repository)")
    ap.add_argument("--clip", action="append", default=[], help="only these clips")
    ap.add_argument("--pose", action="append", default=[], help="clip=landmarks.csv")
    ap.add_argument("--frames", action="append", default=[], help="clip=folder of frames")
    ap.add_argument("--rendered", type=int, default=0, help="rendered runners to add")
    ap.add_argument("--audio", action="store_true", help="also match soundtrack footfalls")
    args = ap.parse_args()
    clips = load_clips()
    given = {k: ("pose", Path(v)) for k, v in (a.split("=", 1) for a in args.pose)}
    given |= {k: ("frames", Path(v)) for k, v in (a.split("=", 1) for a in args.frames)}
    if args.rendered:
        rendered(args.rendered)
    names = args.clip or list(clips)
    total = {"hand": 0, "ok": 0, "runners": set(), "missing": [], "refused": [],
             "pairs": [], "rows": []}
    for name in names:
        clip = clips[name]
        times = None
        if name in given:
            kind, path = given[name]
            pose = pl.read_csv(path) if kind == "pose" else pose_from_frames(path, clip["fps"])
        else:
            path, why = locate(clip, Path(args.cache) if args.cache else None)
            if path is None:
                print(f"\n{name}: {why}")
                total["missing"].append(name)
                continue
            try:
                pose, times = pose_of(clip, path, args.pose_cache)
            except FormError as e:
                pose, times = e, None
        try:
            if isinstance(pose, FormError):
                raise pose
            hand = hand_times_s(clip, times)
            span = None
            if "span_frames" in clip:  # one scene of an edited clip
                a, b = hand_times_s({**clip, "contacts": [{"frame": f} for f in
                                                           clip["span_frames"]]}, times)
                span = (float(a), float(b))
            r = score(clip, pose, hand, span)
            if any("first_mark" in c for c in clip["contacts"]):  # re-marked: the old marks too
                first = hand_times_s({**clip, "contacts": [{"frame": c["first_mark"]}
                                                           for c in clip["contacts"]]}, times)
                r["within_33ms_of_first_marks"] = score(clip, pose, first, span)["within_33ms"]
        except FormError as e:  # no usable pose: every hand contact is missed
            print(f"\n{name}: refused by runlab ({e}); all {len(clip['contacts'])} hand "
                  "contacts counted as missed")
            total["refused"].append(name)
            total["hand"] += len(clip["contacts"])
            split = "held out" if clip.get("held_out") else "seen in development"
            total.setdefault(split, [0, 0])[1] += len(clip["contacts"])
            total["rows"].append((name, split, {"within_33ms": 0,
                                                "hand_steps": len(clip["contacts"]),
                                                "median_error_ms": None,
                                                "cadence_error_pct": None}))
            total["runners"].add(clip.get("runner_id", name))
            continue
        if args.audio and path.is_file():
            r["footfalls"] = footfalls_vs_hand(path, hand)
        report(name, clip, r)
        total["hand"] += r["hand_steps"]
        total["ok"] += r["within_33ms"]
        split = "held out" if clip.get("held_out") else "seen in development"
        total.setdefault(split, [0, 0])
        total[split][0] += r["within_33ms"]
        total[split][1] += r["hand_steps"]
        total["rows"].append((name, split, r))
        total["pairs"] += r["_strike_pairs"]
        total["runners"].add(clip.get("runner_id", name))
    if total["rows"]:
        print("\nclip | contacts within ±33 ms | median error [ms] | cadence error [%]")
        for name, split, r in total["rows"]:
            med, cad = r["median_error_ms"], r["cadence_error_pct"]
            print(f"{name} ({split}) | {r['within_33ms']}/{r['hand_steps']} | "
                  f"{'–' if med is None else f'{med:+.0f}'} | "
                  f"{'–' if cad is None else f'{cad:+.1f}'}")
    for split in ("held out", "seen in development"):
        if split in total:
            ok, n = total[split]
            print(f"{split}: {ok} of {n} hand contacts within ±{TOLERANCE_S * 1000:.0f} ms "
                  f"({100 * ok / n:.0f} %)")
    if total["hand"]:
        print(f"\nall clips scored: {total['ok']} of {total['hand']} hand contacts matched within "
              f"±{TOLERANCE_S * 1000:.0f} ms ({100 * total['ok'] / total['hand']:.0f} %), "
              f"{len(total['runners'])} runners")
    if total["pairs"]:
        want, got = zip(*total["pairs"], strict=True)
        print("foot strike, all clips: recall " + ", ".join(
            f"{c} {sum(g == w == c for w, g in total['pairs'])}/{want.count(c)}"
            for c in CLASSES if want.count(c)) + f"; κ {kappa(list(want), list(got))}")
    if total["refused"]:
        print("refused by pose (counted as missed): " + ", ".join(total["refused"]))
    if total["missing"]:
        print("NOT scored (missing): " + ", ".join(total["missing"]))


if __name__ == "__main__":
    main()
