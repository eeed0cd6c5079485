"""Cues a runner takes out of the door: metronome audio and watch workouts.

:func:`metronome` renders a click track at a cadence (optionally ramping from habitual
to target, as the clinic has it: "a metronome set to a modest cadence boost above habitual rhythm");
:func:`fit_workout` writes a plan session as a FIT workout file that Garmin watches load,
with the session's cadence zone as the step target.
"""

from __future__ import annotations

import base64
import io
import math
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from runlab.sessions import HILL_RECOVERY_S, STRIDE_RECOVERY_S

__all__ = ["Metronome", "metronome", "onset_samples", "fit_workout", "workout_steps"]

CLICK_S = 0.012  # click length [s]
CLICK_HZ = 1000.0  # click tone [Hz]; accented clicks an octave up
ACCENT_HZ = 2000.0


def _positive(name: str, value, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
        raise ValueError(f"invalid {name} {value!r}; allowed: a number {lo}..{hi}")
    return float(value)


def onset_samples(spm: float, seconds: float, sample_rate: int = 44100,
                  ramp_from_spm: float | None = None, ramp_s: float | None = None) -> np.ndarray:
    """Sample indices of the clicks: one per step.

    At a constant tempo click *k* starts at ``round(k · 60 · sample_rate / spm)``. With a
    ramp the tempo f(t) [steps/s] rises linearly from ``ramp_from_spm``/60 to ``spm``/60
    over ``ramp_s`` (the whole track by default) and then stays; click *k* is where the
    integrated tempo φ(t) = ∫₀ᵗ f reaches k, solved in closed form.

    Returns
    -------
    numpy.ndarray
        int64 sample indices, all ``< seconds · sample_rate``.
    """
    n_samples = int(round(seconds * sample_rate))
    f1 = spm / 60.0
    if ramp_from_spm is None or ramp_from_spm == spm:
        k = np.arange(0, math.ceil(seconds * f1) + 1)
        idx = np.rint(k * 60.0 * sample_rate / spm).astype(np.int64)
        return idx[idx < n_samples]
    f0 = ramp_from_spm / 60.0
    T = seconds if ramp_s is None else min(ramp_s, seconds)
    a = (f1 - f0) / T  # tempo slope [steps/s²]
    phase_T = f0 * T + a * T * T / 2  # steps taken during the ramp
    k = np.arange(0, math.ceil(phase_T + (seconds - T) * f1) + 1, dtype=np.float64)
    in_ramp = k <= phase_T
    t = np.where(in_ramp,
                 2 * k / (f0 + np.sqrt(np.maximum(f0 * f0 + 2 * a * k, 0.0))),  # stable root
                 T + (k - phase_T) / f1)
    idx = np.rint(t * sample_rate).astype(np.int64)
    return idx[idx < n_samples]


def _click(sample_rate: int, freq_hz: float, amplitude: float) -> np.ndarray:
    t = np.arange(int(CLICK_S * sample_rate)) / sample_rate
    return amplitude * np.sin(2 * np.pi * freq_hz * t) * np.exp(-t / (CLICK_S / 4))


@dataclass(frozen=True)
class Metronome:
    """A rendered click track: ``samples`` (float32 in [-1, 1]) and where the clicks are.

    Shows as an audio player in a notebook (``_repr_html_``); :meth:`wav_bytes` and
    :meth:`save` give 16-bit PCM mono WAV.
    """

    samples: np.ndarray
    sample_rate: int
    onsets: np.ndarray  # sample index of each click
    spm: float
    ramp_from_spm: float | None = None

    @property
    def seconds(self) -> float:
        """Length [s]."""
        return len(self.samples) / self.sample_rate

    def wav_bytes(self) -> bytes:
        """16-bit PCM mono WAV."""
        pcm = np.clip(np.rint(self.samples * 32767), -32768, 32767).astype("<i2")
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(self.sample_rate)
            w.writeframes(pcm.tobytes())
        return buf.getvalue()

    def save(self, path: str | Path) -> Path:
        """Write the WAV file; returns its path."""
        path = Path(path)
        path.write_bytes(self.wav_bytes())
        return path

    def audio(self):
        """An ``IPython.display.Audio`` of the track."""
        from IPython.display import Audio

        return Audio(data=self.wav_bytes(), rate=self.sample_rate)

    def _repr_html_(self) -> str:
        data = base64.b64encode(self.wav_bytes()).decode("ascii")
        title = (f"{self.ramp_from_spm:.0f} → {self.spm:.0f}" if self.ramp_from_spm
                 else f"{self.spm:.0f}")
        return (f'<div class="runlab-metronome"><span>metronome {title} steps/min, '
                f'{self.seconds:.0f} s</span><br><audio controls '
                f'src="data:audio/wav;base64,{data}"></audio></div>')


def metronome(spm: float, seconds: float = 60.0, *, accent_every: int | None = 4,
              sample_rate: int = 44100, ramp_from_spm: float | None = None,
              ramp_s: float | None = None, volume: float = 0.8) -> Metronome:
    """A click track at ``spm`` steps/min (one click per step).

    Parameters
    ----------
    spm : float
        Cadence [steps/min], 60..240.
    seconds : float
        Length [s], up to 2 h.
    accent_every : int or None
        Every n-th click is higher and louder (count-in for the runner); None: no accents.
    sample_rate : int
        [Hz], 8000..192000.
    ramp_from_spm : float, optional
        Start tempo [steps/min]: the tempo rises linearly from habitual to ``spm``
        over ``ramp_s`` seconds (whole track by default), then holds.
    volume : float
        Peak amplitude, 0..1.
    """
    spm = _positive("spm", spm, 60, 240)
    seconds = _positive("seconds", seconds, 0.1, 7200)
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, int) \
            or not 8000 <= sample_rate <= 192000:
        raise ValueError(f"invalid sample_rate {sample_rate!r}; allowed: integer 8000..192000")
    if ramp_from_spm is not None:
        ramp_from_spm = _positive("ramp_from_spm", ramp_from_spm, 60, 240)
    if ramp_s is not None:
        ramp_s = _positive("ramp_s", ramp_s, 0.1, seconds)
    if accent_every is not None and (isinstance(accent_every, bool)
                                     or not isinstance(accent_every, int) or accent_every < 1):
        raise ValueError(f"invalid accent_every {accent_every!r}; allowed: None or integer ≥ 1")
    volume = _positive("volume", volume, 0.0, 1.0)
    onsets = onset_samples(spm, seconds, sample_rate, ramp_from_spm, ramp_s)
    n = int(round(seconds * sample_rate))
    out = np.zeros(n, dtype=np.float32)
    plain = _click(sample_rate, CLICK_HZ, 0.6 * volume)
    accent = _click(sample_rate, ACCENT_HZ, volume)
    for k, start in enumerate(onsets):
        click = accent if accent_every and k % accent_every == 0 else plain
        stop = min(n, start + len(click))
        out[start:stop] += click[: stop - start]
    return Metronome(out, sample_rate, onsets, spm, ramp_from_spm)


# --- FIT workouts ----------------------------------------------------------------------

#: FIT profile enums used below (garmin_fit_sdk Profile: wkt_step_duration, wkt_step_target,
#: intensity, file, sport)
_DURATION = {"time": 0, "distance": 1, "open": 5, "repeat_until_steps_cmplt": 6}
_TARGET = {"open": 2, "cadence": 3}
_INTENSITY = {"active": 0, "rest": 1, "warmup": 2, "cooldown": 3, "recovery": 4,
              "interval": 5}
FILE_WORKOUT = 5
SPORT_RUNNING = 1
MANUFACTURER_DEVELOPMENT = 255


def _strides_per_min(low_spm: float, high_spm: float) -> tuple[int, int]:
    """Cadence zone [steps/min] → FIT custom cadence target [strides/min = "rpm"].

    The FIT profile gives ``custom_target_cadence_low/high`` in rpm; for running Garmin
    counts one cycle per stride (two steps), as in ``record.cadence``. The zone is widened
    to whole strides/min (floor/ceil) so it still contains the steps/min zone.
    """
    return math.floor(low_spm / 2), math.ceil(high_spm / 2)


def workout_steps(plan_day: dict) -> list[dict]:
    """The workout steps of one plan session, in FIT terms (before encoding).

    Each step is a dict with ``wkt_step_name``, ``duration_type``, ``duration_value``
    (ms for time, cm for distance, the first step index for repeats), ``target_type``,
    ``target_value`` (repeat count for repeats), ``custom_target_value_low/high``
    [strides/min], ``intensity`` and ``notes``. Warm-up, run/walk repeats (or one
    continuous run), 30-s strides with walk recoveries, hill reps, a baseline mile and a
    cool-down, as the session has them.
    """
    day = dict(plan_day)
    missing = [k for k in ("session_type", "warmup_s", "cooldown_s") if day.get(k) is None]
    if missing:
        raise ValueError(f"plan_day lacks {missing}; pass a row of a runlab.plan frame "
                         "(plan.row(i, named=True))")
    cad = None
    if day.get("cadence_low_spm") is not None and day.get("cadence_high_spm") is not None:
        cad = _strides_per_min(day["cadence_low_spm"], day["cadence_high_spm"])
    steps: list[dict] = []

    def add(name, intensity, *, seconds=None, metres=None, target=None, notes=None):
        step = {"wkt_step_name": name, "intensity": _INTENSITY[intensity],
                "duration_type": _DURATION["time"] if seconds is not None
                else _DURATION["distance"] if metres is not None else _DURATION["open"],
                "duration_value": round(seconds * 1000) if seconds is not None
                else round(metres * 100) if metres is not None else None,
                "target_type": _TARGET["cadence"] if target else _TARGET["open"],
                "target_value": 0 if target else None,
                "custom_target_value_low": target[0] if target else None,
                "custom_target_value_high": target[1] if target else None,
                "notes": notes}
        steps.append(step)
        return len(steps) - 1

    def repeat(first: int, times: int):
        if times > 1:
            steps.append({"wkt_step_name": f"repeat x{times}", "intensity": None,
                          "duration_type": _DURATION["repeat_until_steps_cmplt"],
                          "duration_value": first, "target_type": None,
                          "target_value": times, "custom_target_value_low": None,
                          "custom_target_value_high": None, "notes": None})

    add("warm-up walk", "warmup", seconds=day["warmup_s"], notes=day.get("drills"))
    if day["session_type"] == "baseline_test":
        add("comfortable mile", "active", metres=day["test_distance_m"],
            notes="baseline test: run by feel, metronome off; note RPE")
    if day.get("strides"):
        first = add("stride 30 s", "interval", seconds=day["stride_s"], target=cad,
                    notes="quick, light steps; tall torso")
        add("walk", "recovery", seconds=STRIDE_RECOVERY_S)
        repeat(first, day["strides"])
    if day.get("hill_reps"):
        first = add("hill rep", "interval", seconds=day["hill_rep_s"], target=cad,
                    notes="stay tall, lean from the ankles, quick light steps")
        add("walk down", "recovery", seconds=HILL_RECOVERY_S,
            notes="compact arm swing, soft knees")
        repeat(first, day["hill_reps"])
    if day.get("repeats") and day.get("run_s"):
        if day.get("walk_s"):
            first = add(f"run {day['run_walk_pattern']}", "active", seconds=day["run_s"],
                        target=cad, notes=day.get("cues"))
            add("walk", "recovery", seconds=day["walk_s"])
            repeat(first, day["repeats"])
        else:
            add("easy run", "active", seconds=day["run_s"] * day["repeats"], target=cad,
                notes=day.get("cues"))
    add("cool-down", "cooldown", seconds=day["cooldown_s"],
        notes=day.get("mobility"))
    return steps


_STEP_FIELDS = ("message_index", "wkt_step_name", "duration_type", "duration_value",
                "target_type", "target_value", "custom_target_value_low",
                "custom_target_value_high", "intensity", "notes")
_NAME_BYTES = 32
_NOTES_BYTES = 128


def _clip_utf8(text: str | None, size: int) -> str | None:
    """``text`` cut to at most ``size - 1`` UTF-8 bytes, never inside a character."""
    if text is None:
        return None
    return text.encode("utf-8")[: size - 1].decode("utf-8", errors="ignore")


def _workout_name(day: dict) -> str:
    kind = str(day.get("session_type", "session")).replace("_", " ")
    when = day.get("date")
    return f"{when:%m-%d} {kind}" if when else kind


def fit_workout(plan_day, path: str | Path | None = None, *,
                time_created=None) -> bytes | Path:
    """Write one plan session as a FIT workout file (Garmin watches load it as a workout).

    Messages: ``file_id`` (type workout), ``workout`` (sport running, name, step count) and
    one ``workout_step`` per :func:`workout_steps` entry, encoded with
    :class:`runlab.io.fit_write.FitWriter`.

    Cadence targets are ``target_type=cadence`` with ``custom_target_value_low/high``; the
    FIT profile's unit there is rpm, which for running is strides/min (one cycle = two
    steps, as in ``record.cadence``), so the session's steps/min zone is halved and widened
    to whole strides/min (e.g. 164–170 spm → 82–85).

    Parameters
    ----------
    plan_day : dict or polars.DataFrame
        One row of a :mod:`runlab.plan` frame (``plan.row(i, named=True)`` or a 1-row frame).
    path : str or Path, optional
        Where to write; without it the bytes are returned.
    time_created : datetime, optional
        ``file_id.time_created`` [UTC]; now by default.
    """
    import datetime as dt

    import polars as pl

    from runlab.io.fit_write import FitWriter

    if isinstance(plan_day, pl.DataFrame):
        if plan_day.height != 1:
            raise ValueError(f"fit_workout needs one plan row, got {plan_day.height} rows")
        plan_day = plan_day.row(0, named=True)
    day = dict(plan_day)
    steps = workout_steps(day)
    created = time_created or dt.datetime.now(dt.UTC)
    w = FitWriter()
    w.define_message(0, "file_id", ["type", "manufacturer", "product", "serial_number",
                                    "time_created"])
    w.write(0, {"type": "workout", "manufacturer": "development", "product": 0,
                "serial_number": 1, "time_created": created})
    w.define_message(1, "workout", ["wkt_name", "sport", "sub_sport", "num_valid_steps"],
                     string_sizes={"wkt_name": _NAME_BYTES})
    w.write(1, {"wkt_name": _clip_utf8(_workout_name(day), _NAME_BYTES), "sport": "running",
                "sub_sport": "generic", "num_valid_steps": len(steps)})
    w.define_message(2, "workout_step", _STEP_FIELDS,
                     string_sizes={"wkt_step_name": _NAME_BYTES, "notes": _NOTES_BYTES})
    for i, step in enumerate(steps):
        w.write(2, step | {"message_index": i,
                           "wkt_step_name": _clip_utf8(step["wkt_step_name"], _NAME_BYTES),
                           "notes": _clip_utf8(step["notes"], _NOTES_BYTES)})
    data = w.to_bytes()
    if path is None:
        return data
    path = Path(path)
    path.write_bytes(data)
    return path
