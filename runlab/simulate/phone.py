"""Phone sensors: accelerometer logs and footfall soundtracks/clips with known steps."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy.signal import lfilter

#: Footfall amplitudes of :func:`footfall_audio` (6 dB apart), as fractions of full scale.
FOOTFALL_LEVELS = (0.05, 0.1, 0.2, 0.4)
_PLACEMENTS = ("pocket", "armband", "hand", "thigh")
_PHYPHOX_HEADER = ('"Time (s)","Acceleration x (m/s^2)","Acceleration y (m/s^2)",'
                   '"Acceleration z (m/s^2)","Absolute acceleration (m/s^2)"')


def phone_walk(seconds: float = 60.0, cadence_spm: float = 170.0, *,
               placement: str = "pocket", rate_hz: float = 100.0, jitter_s: float = 0.004,
               wobble_mps2: float = 0.0, seed: int = 0, step_times: np.ndarray | None = None,
               step_strength: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """Synthetic phone accelerometer of a run: one impact per step, irregular sample times.

    Steps are ``cadence_spm`` apart with 2 % step-to-step variability; each is a sharp
    heel-strike peak (Gaussian, 30 ms) followed by a softer rebound. Sample intervals vary
    ±30 % around ``1/rate_hz`` plus timestamp jitter (``jitter_s``), as phones deliver them.
    ``placement`` changes the signal: ``"pocket"`` (sharp vertical impacts, phone upright),
    ``"armband"`` (softer, tilted), ``"hand"`` (weak impacts plus arm swing at half the
    step rate, tilted further), ``"thigh"`` (a front trouser pocket: the thigh's swing at
    half the step rate, a strong impact from its own leg and a weak one from the other —
    the signal repeats per stride, not per step). Running (≥ 140 spm) lands 4 × harder
    and swings 4 × wider than walking, as it does (vertical peaks of 2–3 g).
    ``wobble_mps2`` > 0 makes the phone loose (a coat pocket, a bag on the hip): it
    wobbles on its own, 0.5–3 Hz noise with that RMS on each axis, unrelated to the steps.
    ``step_times`` [s] replaces the regular steps (``cadence_spm`` then only sets walking
    or running), ``step_strength`` scales each step's landing (default 1).

    Returns
    -------
    t, x, y, z, steps : numpy.ndarray
        Sample times [s], acceleration including gravity [m/s²] and the true step times [s].
    """
    from runlab.io.imu import STANDARD_GRAVITY_MPS2 as g

    if placement not in _PLACEMENTS:
        raise ValueError(f"placement={placement!r}: expected one of {_PLACEMENTS}")
    rng = np.random.default_rng(seed)
    period = 60.0 / cadence_spm
    if step_times is None:
        true_steps = np.cumsum(period * (1 + rng.normal(0, 0.02, int(seconds / period))))
        true_steps = true_steps[true_steps < seconds - 0.5]
    else:
        true_steps = np.asarray(step_times, dtype=np.float64)
    t = np.cumsum(rng.uniform(1 - 0.3, 1 + 0.3, int(seconds * rate_hz)) / rate_hz)
    t += rng.normal(0, jitter_s / 4, t.size)
    t.sort()
    d = t[:, None] - true_steps[None, :]
    vigour = 4.0 if cadence_spm >= 140.0 else 1.0
    impact = vigour * {"pocket": 6.0, "armband": 3.5, "hand": 2.0, "thigh": 6.0}[placement]
    side = np.where(np.arange(true_steps.size) % 2 == 0, 1.0, 0.3) if placement == "thigh" \
        else 1.0  # own leg's landing, then the other's
    if step_strength is not None:
        side = side * np.asarray(step_strength, dtype=np.float64)
    width = 0.03 * np.sqrt(vigour)  # a running stance lasts longer than a heel strike
    vertical = ((impact * side) * np.exp(-0.5 * (d / width) ** 2)  # heel strike
                - 0.4 * (impact * side) * np.exp(-0.5 * ((d - 0.12) / 0.05) ** 2)).sum(axis=1)
    swing = ({"hand": 0.8, "thigh": 2.0}.get(placement, 0.0) * vigour
             * np.sin(np.pi * t / period))
    tilt = {"pocket": 0.2, "armband": 0.7, "hand": 1.0, "thigh": 0.5}[placement]
    z = (g + vertical) * np.cos(tilt) + rng.normal(0, 0.3, t.size)
    y = (g + vertical) * np.sin(tilt) + swing + rng.normal(0, 0.3, t.size)
    x = 0.5 * np.sin(2 * np.pi * 0.3 * t) + rng.normal(0, 0.3, t.size)
    if wobble_mps2 > 0:
        from scipy.signal import butter, sosfiltfilt

        fs = 1.0 / float(np.median(np.diff(t)))
        sos = butter(2, (0.5, 3.0), btype="bandpass", fs=fs, output="sos")
        wobble = sosfiltfilt(sos, np.random.default_rng([seed, 2]).normal(0, 1, (t.size, 3)),
                             axis=0)
        wobble *= wobble_mps2 / wobble.std(axis=0)
        x, y, z = x + wobble[:, 0], y + wobble[:, 1], z + wobble[:, 2]
    return t, x, y, z, true_steps


def phone_turn(leg_s: float = 12.0, cadence_spm: float = 110.0, *, turn_s: float = 1.8,
               turn_steps: int = 2, turn_strength: float = 0.3, placement: str = "pocket",
               swing_dps: float = 0.0, rate_hz: float = 100.0, seed: int = 0
               ) -> tuple[np.ndarray, ...]:
    """:func:`phone_walk` there and back: ``leg_s`` seconds of walking, a U-turn (180° in
    ``turn_s`` seconds, a raised-cosine turning rate) in ``turn_steps`` slow steps landing
    at ``turn_strength`` × a walking step (a belt's or a pocket's U-turn steps land softly
    and far apart), then ``leg_s`` back; with the phone's gyroscope: the turn about
    gravity, a trunk's sway of ±15 °/s a stride and noise (0.02 rad/s per axis).
    ``swing_dps`` > 0 adds a limb's swing: a rotation perpendicular to gravity, once a
    stride, of that amplitude (a thigh pocket swings at 100–300 °/s; the accelerometer
    is left as ``placement`` makes it).

    Returns
    -------
    t, x, y, z : numpy.ndarray
        As :func:`phone_walk`.
    gyro : numpy.ndarray
        Rotation rate [rad/s] about the phone's x, y, z axes (samples × 3).
    steps, turn : numpy.ndarray
        The true step times [s] and the turn's start and end [s].
    """
    rng = np.random.default_rng([seed, 3])
    period = 60.0 / cadence_spm
    first = np.cumsum(period * (1 + rng.normal(0, 0.02, int(leg_s / period))))
    start = first[-1] + period
    inside = start + turn_s * (np.arange(turn_steps) + 0.5) / turn_steps
    back = start + turn_s + np.cumsum(period * (1 + rng.normal(0, 0.02, int(leg_s / period))))
    steps = np.r_[first, inside, back]
    strength = np.r_[np.ones(first.size), np.full(turn_steps, turn_strength),
                     np.ones(back.size)]
    t, x, y, z, steps = phone_walk(back[-1] + 0.5, cadence_spm, placement=placement,
                                   rate_hz=rate_hz, seed=seed, step_times=steps,
                                   step_strength=strength)
    phase = np.clip((t - start) / turn_s, 0.0, 1.0)
    yaw = np.where((phase > 0) & (phase < 1), np.pi / turn_s * (1 - np.cos(2 * np.pi * phase)),
                   0.0)  # integrates to π over the turn
    yaw += np.radians(15.0) * np.sin(np.pi * t / period)
    up = np.column_stack([x, y, z]).mean(axis=0)
    up /= np.linalg.norm(up)
    gyro = yaw[:, None] * up[None, :] + rng.normal(0, 0.02, (t.size, 3))
    if swing_dps > 0:
        across = np.cross(up, [1.0, 0.0, 0.0] if abs(up[0]) < 0.9 else [0.0, 1.0, 0.0])
        across /= np.linalg.norm(across)
        gyro += np.radians(swing_dps) * np.sin(np.pi * t / period)[:, None] * across[None, :]
    return t, x, y, z, gyro, steps, np.array([start, start + turn_s])


def phone_moved(seconds: float = 120.0, cadence_spm: float = 112.0, *,
                before: str = "pocket", after: str = "hand", handling_s: float = 3.0,
                rate_hz: float = 100.0, seed: int = 0) -> tuple[np.ndarray, ...]:
    """:func:`phone_walk` with the phone moved halfway, the walker walking on throughout.

    The first half is carried ``before``, the second ``after`` and held another way up (the
    axes turned a right angle); over the ``handling_s`` seconds between, the phone is turned
    from one orientation to the other while the hand jerks it about (1–6 Hz, SD 3 m/s²) and
    the landings come through at half strength. Steps go on at ``cadence_spm`` all along.

    Returns
    -------
    t, x, y, z, steps : numpy.ndarray
        As :func:`phone_walk`.
    """
    from scipy.signal import butter, sosfiltfilt

    t, *first, steps = phone_walk(seconds, cadence_spm, placement=before, rate_hz=rate_hz,
                                  seed=seed)
    _, *second, _ = phone_walk(seconds, cadence_spm, placement=after, rate_hz=rate_hz,
                               seed=seed)  # the same sample times and steps
    a = np.column_stack(first)
    b = _turned(np.column_stack(second), a.mean(axis=0))
    mid = t[0] + (t[-1] - t[0]) / 2
    share = np.clip((t - (mid - handling_s / 2)) / handling_s, 0.0, 1.0)[:, None]
    acc = (1 - share) * a + share * b
    handled = (share > 0) & (share < 1)
    rng = np.random.default_rng([seed, 1])
    sos = butter(2, (1.0, 6.0), btype="bandpass", fs=rate_hz, output="sos")
    jerk = sosfiltfilt(sos, rng.normal(0, 1, (t.size, 3)), axis=0)
    jerk *= 3.0 / jerk[handled[:, 0]].std() if handled.any() else 0.0
    gravity = (1 - share) * a.mean(axis=0) + share * b.mean(axis=0)
    acc = np.where(handled, gravity + 0.5 * (acc - gravity) + jerk, acc)
    return t, acc[:, 0], acc[:, 1], acc[:, 2], steps


def _turned(acc: np.ndarray, other_gravity: np.ndarray) -> np.ndarray:
    """``acc`` rotated (Rodrigues) so that its mean direction — gravity — stands at a right
    angle to ``other_gravity``, turned towards the x axis."""
    g = acc.mean(axis=0)
    g /= np.linalg.norm(g)
    o = other_gravity / np.linalg.norm(other_gravity)
    u = np.cross(np.cross(o, [1.0, 0.0, 0.0]), o)  # ⟂ o, in the plane of o and x
    u /= np.linalg.norm(u)
    axis = np.cross(g, u)
    sin, cos = np.linalg.norm(axis), float(g @ u)
    if sin < 1e-9:
        return acc.copy()
    k = axis / sin
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    rot = np.eye(3) + sin * kx + (1 - cos) * kx @ kx
    return acc @ rot.T


def phone_log(path: str | os.PathLike, *, spm: float = 168.0, seconds: float = 30.0,
              placement: str = "pocket", rate_hz: float = 100.0, seed: int = 0) -> np.ndarray:
    """Write a phone accelerometer log of a run as a phyphox "Acceleration with g" CSV.

    The signal is :func:`phone_walk` (irregular sampling, the phone in a pocket, an armband
    or the hand); the file is what phyphox exports (comma-separated, ``"Time (s)"`` from the
    first sample, x/y/z and absolute acceleration in m/s², 7 significant digits), so
    :func:`runlab.read_imu` and :func:`runlab.gait.steps` read it like a real recording.

    Parameters
    ----------
    path : path
        The CSV to write (its folder is created).
    spm : float
        True cadence [steps/min].
    seconds : float
        Length of the log [s].
    placement : {"pocket", "armband", "hand"}
        Where the phone is carried.
    rate_hz : float
        Nominal sampling rate [Hz]; actual intervals vary ±30 %.
    seed : int
        The same seed writes the same bytes.

    Returns
    -------
    numpy.ndarray
        The true step times [s] on the file's clock (``time_s`` of :func:`runlab.read_imu`).
    """
    t, x, y, z, steps = phone_walk(seconds, spm, placement=placement, rate_hz=rate_hz,
                                   seed=seed)
    table = np.column_stack([t - t[0], x, y, z, np.sqrt(x * x + y * y + z * z)])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savetxt(path, table, fmt="%.6E", delimiter=",", header=_PHYPHOX_HEADER, comments="")
    return steps - t[0]


def footfall_audio(seconds: float = 30.0, cadence_spm: float = 170.0,
                   rate_hz: int = 22_050, *, seed: int = 0,
                   levels: Sequence[float] = FOOTFALL_LEVELS,
                   noise: float = 0.003) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Synthetic run soundtrack: a thud per footfall over hiss and 30 Hz wind.

    Each thud (2-ms attack, 20-ms decay, low-passed noise plus a 150 Hz body) starts at a
    known onset (``cadence_spm`` apart, 3 % variability, from 0.5 s) with a peak amplitude
    drawn from ``levels`` (fractions of full scale).

    Returns
    -------
    samples, onsets, amplitudes : numpy.ndarray
        Mono samples at ``rate_hz`` [Hz], the true onset times [s] and peak amplitudes.
    """
    rng = np.random.default_rng(seed)
    period = 60.0 / cadence_spm
    onsets = 0.5 + np.cumsum(period * (1 + rng.normal(0, 0.03, int(seconds / period))))
    onsets = onsets[onsets < seconds - 0.3]
    amp = rng.choice(levels, onsets.size)
    n = int(seconds * rate_hz)
    t = np.arange(n) / rate_hz
    x = rng.normal(0, noise, n) + 0.01 * np.sin(2 * np.pi * 30 * t)
    k = np.arange(int(0.08 * rate_hz)) / rate_hz
    envelope = (1 - np.exp(-k / 0.002)) * np.exp(-k / 0.02)
    for onset, a in zip(onsets, amp, strict=True):
        i = int(round(onset * rate_hz))
        thud = lfilter([0.15], [1, -0.85], rng.normal(0, 1, k.size)) \
            + 0.5 * np.sin(2 * np.pi * 150 * k)
        x[i:i + k.size] += a * envelope * thud / np.abs(thud).max()
    return x, onsets, amp


def _runner_frames(onsets: np.ndarray, seconds: float, fps: int, width: int,
                   height: int) -> np.ndarray:
    """RGB frames (n, height, width, 3) of a dot crossing the frame that bounces once per
    footfall: on the ground line at each onset, highest halfway between."""
    times = np.arange(int(round(seconds * fps))) / fps
    edges = np.concatenate([[2 * onsets[0] - onsets[1]], onsets, [2 * onsets[-1] - onsets[-2]]])
    j = np.clip(np.searchsorted(edges, times, side="right") - 1, 0, edges.size - 2)
    phase = np.clip((times - edges[j]) / (edges[j + 1] - edges[j]), 0.0, 1.0)
    ground = int(height * 0.8)
    radius = max(2, height // 20)
    cy = ground - radius - np.sin(np.pi * phase) * height * 0.3
    cx = width * (0.1 + 0.8 * times / seconds)
    yy, xx = np.mgrid[:height, :width]
    frames = np.full((times.size, height, width, 3), 235, np.uint8)
    frames[:, ground:ground + 2] = 90  # the ground line
    dot = (yy[None] - cy[:, None, None]) ** 2 + (xx[None] - cx[:, None, None]) ** 2 \
        <= radius ** 2
    frames[dot] = (200, 60, 40)
    return frames


def footfall_clip(path: str | os.PathLike, *, spm: float = 170.0, seconds: float = 4.0,
                  loudness_db: float = -14.0, seed: int = 0, fps: int = 10,
                  size: tuple[int, int] = (160, 120)) -> np.ndarray:
    """Write a short run video (MP4: H.264 video, FLAC audio) whose soundtrack has
    footfalls at known times: the clinic's "record a clip after warm-up".

    The sound is :func:`footfall_audio` at 22.05 kHz with every footfall at one peak level;
    the picture is a dot bouncing across the frame once per footfall. It is encoded by the
    ffmpeg that ``imageio-ffmpeg`` ships, single-threaded with bit-exact flags; both codecs
    are integer (x264's assembly matches its C code; FLAC is lossless), so the same
    arguments write the same bytes on any CPU with the same ffmpeg build, and browsers
    play the clip (``runlab.widgets.RubricScorer``).

    Parameters
    ----------
    path : path
        The ``.mp4`` to write (its folder is created).
    spm : float
        True cadence [footfalls/min].
    seconds : float
        Length of the clip [s].
    loudness_db : float
        Peak level of each footfall [dB re full scale]; quieter landings are lower.
    seed : int
        Random seed of the sound (onset variability, thuds, hiss).
    fps, size : int, (int, int)
        Frame rate [1/s] and frame size (width, height) [px].

    Returns
    -------
    numpy.ndarray
        The true footfall onset times [s] from the start of the clip.
    """
    import subprocess
    import tempfile

    import imageio_ffmpeg

    from runlab.io.audio import write_wav

    rate_hz = 22_050
    samples, onsets, _ = footfall_audio(seconds, spm, rate_hz, seed=seed,
                                        levels=(10 ** (loudness_db / 20),))
    width, height = size
    frames = _runner_frames(onsets, seconds, fps, width, height)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        wav = write_wav(Path(tmp) / "sound.wav", samples, rate_hz)
        cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-v", "error", "-y",
               "-fflags", "+bitexact", "-f", "rawvideo", "-pix_fmt", "rgb24",
               "-s", f"{width}x{height}", "-r", str(fps), "-i", "-", "-i", str(wav),
               "-map", "0:v", "-map", "1:a", "-map_metadata", "-1", "-threads", "1",
               "-c:v", "libx264", "-crf", "28", "-pix_fmt", "yuv420p", "-flags:v", "+bitexact",
               "-c:a", "flac", "-flags:a", "+bitexact",
               "-fflags", "+bitexact", "-shortest", str(path)]
        run = subprocess.run(cmd, input=frames.tobytes(), capture_output=True, check=False)
    if run.returncode != 0:
        raise RuntimeError(f"{path}: ffmpeg failed: {run.stderr.decode(errors='replace')}")
    return onsets
