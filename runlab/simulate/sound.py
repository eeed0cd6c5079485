"""The sound a phone records on a walk or run, with every footfall known.

:func:`phone_soundtrack` builds the soundtrack of a phone carried in a swinging hand (or
held still, e.g. on a tripod or in a chest strap) from the physics of what reaches its
microphone:

- **Footfalls** are short broadband impacts (Cook 2002, "Modeling Bill's gait", AES 22nd
  International Conference: a heel strike is a fast-attack noise burst through the
  resonance of shoe and ground): a heel strike with a 0.5–4 ms attack and 8–35 ms decay,
  a low "thud" resonance (70–250 Hz) and a high "click" (the sole on the ground, less on
  grass); in walking a forefoot slap follows 15–60 ms later. Left and right feet differ in
  loudness (0–4 dB) and step time (0–3 %); every step varies by ±2 dB and 2–4 % in time.
  Toe-off scuffs (a slow 20-ms scrape) come now and then between footfalls.
- **Arm swing** moves the microphone through the air once forward and once backward per
  stride. Wind noise pressure grows with the square of the airspeed (dynamic pressure
  ½ρU²), so each swing is a
  band-limited noise burst (low-passed "wind", plus a high "rustle" of sleeve and hand)
  whose envelope follows the arm's angular velocity squared: a slow attack of about a
  quarter of a step, peaking between footfalls (phase 0.3–0.7 of a step), the forward
  and backward swings differing by up to 6 dB.
- **Handling**: a hand-held phone also records grip clicks (sharp, at random times).
- **Background**: hiss; optionally speech (voiced syllables at 4–5 per second with
  plosive bursts) or traffic (passing cars: swells of several seconds, engine hum, tyre
  noise).

The phone's microphone high-passes at 80 Hz, and the mix is normalised to −3 dBFS.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

__all__ = ["phone_soundtrack", "SURFACES", "BACKGROUNDS"]

#: Ground surfaces of :func:`phone_soundtrack`: how much high-frequency "click" a footfall has.
SURFACES = ("road", "track", "grass")
#: Backgrounds of :func:`phone_soundtrack`.
BACKGROUNDS = ("quiet", "speech", "traffic")
_CLICK = {"road": (0.6, 1.0), "track": (0.3, 0.6), "grass": (0.05, 0.2)}


def phone_soundtrack(seconds: float = 30.0, cadence_spm: float = 110.0,
                     rate_hz: int = 22_050, *, seed: int = 0, arm_swing: bool = True,
                     swing_db: float = 6.0, swing_phase: float | None = None,
                     handling_per_s: float = 0.2, surface: str = "road",
                     background: str = "quiet", background_db: float = -30.0,
                     footfall_sound: np.ndarray | None = None,
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Soundtrack of a phone on a walk or run, with the true footfall onsets.

    Parameters
    ----------
    seconds, cadence_spm, rate_hz : float, float, int
        Length [s], mean cadence [steps/min] and sampling rate [Hz].
    seed : int
        Random seed (every feature of the sound is drawn from it).
    arm_swing : bool
        The phone is in a swinging hand: add swing swooshes and grip clicks.
    swing_db : float
        Peak level of the swing swooshes relative to the median footfall peak [dB]
        (short-time RMS over 10 ms); forward and backward swings and each swing vary
        around it.
    swing_phase : float, optional
        Time from a footfall to the next swoosh peak as a fraction of the step period
        (default: drawn from 0.3–0.7).
    handling_per_s : float
        Rate of grip clicks when ``arm_swing`` [1/s].
    surface : {"road", "track", "grass"}
        Ground: sets the share of the footfall's high "click".
    background : {"quiet", "speech", "traffic"}
        What else is heard; hiss is always there.
    background_db : float
        RMS level of the background relative to the median footfall peak [dB].
    footfall_sound : numpy.ndarray, optional
        A recorded footfall (mono samples at ``rate_hz`` starting at its onset) used for
        every footfall instead of the synthetic one, at the same varying loudness.

    Returns
    -------
    samples, onsets, peak_db : numpy.ndarray
        Mono samples in [-1, 1] at ``rate_hz``, the true footfall onset times [s] (the
        start of each heel strike) and each footfall's peak 10-ms RMS level [dBFS].
    """
    if surface not in SURFACES or background not in BACKGROUNDS:
        raise ValueError(f"surface must be one of {SURFACES} and background one of "
                         f"{BACKGROUNDS}")
    rng = np.random.default_rng(seed)
    fs = float(rate_hz)
    n = int(seconds * fs)
    period = 60.0 / cadence_spm
    onsets = _footfall_times(seconds, period, rng)
    feet = _footfall_layer(onsets, n, fs, period, surface, rng, footfall_sound)
    win = max(1, int(0.010 * fs))
    peak_rms = np.array([_peak_rms(feet, int(t * fs), win, int(0.08 * fs)) for t in onsets])
    ref = float(np.median(peak_rms))
    x = feet.copy()
    if arm_swing:
        x += _swing_layer(onsets, n, fs, period, swing_phase, rng) * ref * 10 ** (swing_db / 20)
        x += _handling_layer(n, fs, handling_per_s, rng) * ref
    bg = {"quiet": _hiss, "speech": _speech, "traffic": _traffic}[background](n, fs, rng)
    x += bg / np.sqrt(np.mean(bg ** 2)) * ref * 10 ** (background_db / 20)
    x += rng.normal(0, ref * 10 ** (-45 / 20), n)  # the microphone's own hiss
    x = signal.sosfilt(signal.butter(2, 80.0, "highpass", fs=fs, output="sos"), x)
    gain = 10 ** (-3 / 20) / np.abs(x).max()
    peak_db = 20 * np.log10(peak_rms * gain)
    return (x * gain).astype(np.float64), onsets, peak_db


def _footfall_times(seconds: float, period: float, rng: np.random.Generator) -> np.ndarray:
    """Heel strikes: alternating feet with a small left/right asymmetry, 2–4 % jitter."""
    asym = rng.uniform(0.0, 0.03)
    jitter = rng.uniform(0.02, 0.04)
    count = int(seconds / period) + 2
    side = np.arange(count) % 2
    steps = period * (1 + asym * (side - 0.5)) * (1 + rng.normal(0, jitter, count))
    drift = 1 + 0.03 * np.sin(2 * np.pi * np.arange(count) / rng.uniform(40, 120))
    t = rng.uniform(0.4, 0.9) + np.cumsum(steps * drift)
    return t[t < seconds - 0.3]


def _resonator(x: np.ndarray, f_hz: float, q: float, fs: float) -> np.ndarray:
    b, a = signal.iirpeak(min(f_hz, 0.45 * fs), q, fs=fs)
    return signal.lfilter(b, a, x)


def _burst(n: int, fs: float, attack_s: float, decay_s: float,
           rng: np.random.Generator) -> np.ndarray:
    """White noise under an attack–decay envelope (peak 1)."""
    k = np.arange(n) / fs
    env = (1 - np.exp(-k / attack_s)) * np.exp(-k / decay_s)
    return rng.normal(0, 1, n) * env / env.max()


def _footfall_layer(onsets: np.ndarray, n: int, fs: float, period: float, surface: str,
                    rng: np.random.Generator, recorded: np.ndarray | None) -> np.ndarray:
    x = np.zeros(n)
    length = int(0.15 * fs)
    walking = period > 0.42  # below ~143 spm a forefoot slap follows the heel strike
    foot_db = rng.uniform(0, 4) * np.array([0.5, -0.5])
    thud_hz = rng.uniform(70, 250)
    click_lo, click_hi = _CLICK[surface]
    hi = signal.butter(2, (1500.0, min(7000.0, 0.45 * fs)), "bandpass", fs=fs, output="sos")
    soft = signal.butter(2, min(3000.0, 0.45 * fs), "lowpass", fs=fs, output="sos")
    for i, t in enumerate(onsets):
        attack = rng.uniform(0.0005, 0.004)
        decay = rng.uniform(0.008, 0.035)
        heel = _resonator(_burst(length, fs, attack, decay, rng), thud_hz * rng.uniform(0.9, 1.1),
                          rng.uniform(1.5, 4.0), fs)
        heel /= np.abs(heel).max()
        click = signal.sosfilt(hi, _burst(length, fs, attack * 0.7, decay * 0.4, rng))
        sound = heel + rng.uniform(click_lo, click_hi) * click / np.abs(click).max()
        if surface == "grass":
            sound = signal.sosfilt(soft, sound)
        if recorded is not None:
            sound = np.asarray(recorded, dtype=np.float64)
        elif walking and rng.random() < 0.8:
            lag = int(rng.uniform(0.015, 0.06) * fs)
            slap = _resonator(_burst(length - lag, fs, rng.uniform(0.001, 0.005),
                                     rng.uniform(0.01, 0.03), rng), thud_hz * 1.3, 2.0, fs)
            sound[lag:] += rng.uniform(0.3, 0.8) * slap / np.abs(slap).max()
        level = 10 ** ((foot_db[i % 2] + rng.normal(0, 2.0)) / 20)
        j = int(round(t * fs))
        seg = sound[:max(0, min(sound.size, n - j))]
        x[j:j + seg.size] += level * seg / np.abs(sound).max()
        if rng.random() < 0.3:  # a toe-off scuff: a slow scrape between footfalls
            s = j + int(rng.uniform(0.5, 0.7) * period * fs)
            scuff = signal.sosfilt(hi, _burst(int(0.08 * fs), fs, 0.02, 0.03, rng))
            scuff *= level * 10 ** (rng.uniform(-22, -14) / 20) / np.abs(scuff).max()
            seg = scuff[:max(0, min(scuff.size, n - s))]
            x[s:s + seg.size] += seg
    return x


def _swing_layer(onsets: np.ndarray, n: int, fs: float, period: float,
                 phase: float | None, rng: np.random.Generator) -> np.ndarray:
    """Wind and rustle of the arm swing: peak 10-ms RMS near 1 at each swing's peak."""
    phase = rng.uniform(0.3, 0.7) if phase is None else phase
    # position in steps (footfall k at k); the swing speed peaks `phase` of a step after
    # each footfall and is zero half a step either side, where one swing hands over to the
    # next: |velocity|² ~ sin² of the position within the swing
    t = np.arange(n) / fs
    idx = np.clip(np.searchsorted(onsets, t, side="right") - 1, 0, onsets.size - 2)
    pos = idx + (t - onsets[idx]) / (onsets[idx + 1] - onsets[idx])
    swing = np.floor(pos - phase + 0.5).astype(np.int64)
    u = pos - phase + 0.5 - swing
    sharp = rng.uniform(1.0, 3.0)  # turbulence sets in above a speed: peakier bursts
    env = np.sin(np.pi * u) ** (2 * sharp)
    count = swing.max() - swing.min() + 1
    backward = 10 ** (-rng.uniform(0, 6) / 20)
    strength = 10 ** (rng.normal(0, 1.5, count) / 20)  # each swing its own strength
    k = swing - swing.min()
    env *= np.where(k % 2 == 0, 1.0, backward) * strength[k]
    env *= np.clip((pos + 2.0) / 1.5, 0.0, 1.0)  # the arm starts swinging with the walk
    wind = signal.sosfilt(signal.butter(2, rng.uniform(150, 600), "lowpass", fs=fs,
                                        output="sos"), rng.normal(0, 1, n))
    rustle = signal.sosfilt(signal.butter(2, (1000.0, min(6000.0, 0.45 * fs)), "bandpass",
                                          fs=fs, output="sos"), rng.normal(0, 1, n))
    mix = wind / wind.std() + rng.uniform(0.2, 0.6) * rustle / rustle.std()
    return env * mix / np.sqrt(1 + 0.16)


def _handling_layer(n: int, fs: float, per_s: float, rng: np.random.Generator) -> np.ndarray:
    """Grip clicks: sharp 1–8 kHz transients, 10–0 dB under a footfall, at random times."""
    x = np.zeros(n)
    band = signal.butter(2, (1000.0, min(8000.0, 0.45 * fs)), "bandpass", fs=fs, output="sos")
    length = int(0.03 * fs)
    for at in rng.uniform(0, n / fs, rng.poisson(per_s * n / fs)):
        click = signal.sosfilt(band, _burst(length, fs, 0.0005, 0.005, rng))
        j = int(at * fs)
        seg = click[:max(0, min(length, n - j))] / np.abs(click).max()
        x[j:j + seg.size] += 10 ** (rng.uniform(-10, 0) / 20) * seg * 3.0
    return x


def _hiss(n: int, fs: float, rng: np.random.Generator) -> np.ndarray:
    return rng.normal(0, 1, n)


def _speech(n: int, fs: float, rng: np.random.Generator) -> np.ndarray:
    """Babble: voiced syllables (glottal pulses through three formants) at 4–5 per second
    in phrases, with plosive bursts at some syllable starts."""
    x = np.zeros(n)
    t0 = 0.0
    while t0 < n / fs:
        phrase = rng.uniform(1.0, 3.5)
        f0 = rng.uniform(100, 220)
        for start in np.arange(t0, min(t0 + phrase, n / fs), 1 / rng.uniform(4, 5.5)):
            length = int(rng.uniform(0.12, 0.22) * fs)
            j = int(start * fs)
            if j + length >= n:
                break
            k = np.arange(length) / fs
            pitch = f0 * (1 + 0.1 * np.sin(2 * np.pi * rng.uniform(0.5, 2) * k))
            pulses = (np.diff(np.floor(np.cumsum(pitch / fs)), prepend=0) > 0).astype(float)
            voiced = sum(_resonator(pulses, f, 4.0, fs) * w for f, w in
                         zip(rng.uniform([300, 900, 2200], [900, 2200, 3200]), (1.0, 0.5, 0.2),
                             strict=True))
            env = np.abs(np.sin(np.pi * k / k[-1])) ** 0.6
            x[j:j + length] += voiced * env * rng.uniform(0.5, 1.0)
            if rng.random() < 0.3:  # a plosive: a 5-ms burst before the vowel
                b = _burst(int(0.02 * fs), fs, 0.0005, 0.005, rng)
                x[j:j + b.size] += b * rng.uniform(0.1, 0.4) * np.abs(voiced).max()
        t0 += phrase + rng.uniform(0.3, 1.5)
    return x


def _traffic(n: int, fs: float, rng: np.random.Generator) -> np.ndarray:
    """Passing cars: engine hum and tyre noise in swells of 2–6 s, over a distant rumble."""
    t = np.arange(n) / fs
    rumble = signal.sosfilt(signal.butter(2, 200.0, "lowpass", fs=fs, output="sos"),
                            rng.normal(0, 1, n))
    x = 0.3 * rumble / rumble.std()
    tyre = signal.sosfilt(signal.butter(2, (400.0, 2000.0), "bandpass", fs=fs, output="sos"),
                          rng.normal(0, 1, n))
    tyre /= tyre.std()
    for at in np.arange(rng.uniform(0, 4), n / fs, rng.uniform(4, 10)):
        width = rng.uniform(1.0, 3.0)
        swell = np.exp(-0.5 * ((t - at) / width) ** 2)
        hum = np.sin(2 * np.pi * rng.uniform(30, 90) * t * (1 - 0.05 * np.tanh((t - at) / width)))
        x += swell * (tyre + 0.5 * hum) * rng.uniform(0.5, 1.5)
    return x


def _peak_rms(x: np.ndarray, j: int, win: int, span: int) -> float:
    seg = x[j:j + span + win]
    if seg.size <= win:
        return float(np.sqrt(np.mean(seg ** 2))) if seg.size else 0.0
    return float(np.sqrt(np.convolve(seg ** 2, np.ones(win) / win, "valid").max()))
