"""Sound of a run: WAV files and the audio track of videos, for footfall analysis.

:func:`read_audio` returns an :class:`Audio` (mono float samples in [-1, 1] and the rate).
WAV (PCM 8/16/24/32-bit or float) is read with :mod:`scipy.io.wavfile`; anything else —
the clinic's phone videos (MP4/MOV/M4A, MP3, OGG...) — is decoded by the ffmpeg binary that
the ``imageio-ffmpeg`` package ships, so nothing needs installing. :func:`runlab.gait.footfalls`
finds footfall onsets and their loudness in it.
"""

from __future__ import annotations

import os
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from runlab.errors import CorruptFileError, FileTooLargeError, ReadError, UnsupportedFormatError

__all__ = ["Audio", "read_audio", "write_wav", "DECODE_RATE_HZ", "MAX_AUDIO_BYTES"]

#: Rate [Hz] that compressed audio and video soundtracks are decoded at: footfalls carry
#: their energy below ~5 kHz, so 22.05 kHz keeps all of it at half the memory of 44.1 kHz.
DECODE_RATE_HZ = 22_050
#: Largest file read [bytes] (a 20-minute 1080p phone video is ~2 GB).
MAX_AUDIO_BYTES = 4 * 2**30


@dataclass(frozen=True)
class Audio:
    """Mono audio: ``samples`` (float32 in [-1, 1]) at ``rate_hz`` [Hz], from ``path``."""

    samples: np.ndarray
    rate_hz: int
    path: str = "<array>"

    @property
    def duration_s(self) -> float:
        """Length [s]."""
        return self.samples.size / self.rate_hz


def read_audio(path: str | os.PathLike, *, rate_hz: int | None = None) -> Audio:
    """Mono audio of a WAV file, or of the soundtrack of a video or compressed audio file.

    Parameters
    ----------
    path : str or path-like
        WAV, or anything ffmpeg decodes (MP4, MOV, M4A, MP3, OGG, WebM...).
    rate_hz : int, optional
        Resample to this rate [Hz] (default: the WAV's own rate; :data:`DECODE_RATE_HZ`
        for files decoded by ffmpeg).

    Raises
    ------
    runlab.errors.ReadError
        Naming the file: missing, unreadable, no audio stream, empty.
    """
    name = os.fspath(path)
    try:
        size = Path(name).stat().st_size
    except OSError as exc:
        raise ReadError(name, f"cannot open: {exc.strerror or exc}") from exc
    if size > MAX_AUDIO_BYTES:
        raise FileTooLargeError(name, f"{size} bytes is over the {MAX_AUDIO_BYTES} limit")
    if size == 0:
        raise ReadError(name, "the file is empty (0 bytes)")
    with open(name, "rb") as fh:
        head = fh.read(12)
    if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
        audio = _read_wav(name)
        if rate_hz is not None and rate_hz != audio.rate_hz:
            audio = _resample(audio, rate_hz)
        return audio
    return _read_ffmpeg(name, rate_hz or DECODE_RATE_HZ)


def _read_wav(name: str) -> Audio:
    from scipy.io import wavfile

    try:
        with warnings.catch_warnings():  # WavFileWarning on LIST/INFO chunks phones write
            warnings.simplefilter("ignore")
            rate, data = wavfile.read(name, mmap=False)
    except Exception as exc:  # scipy's parser fails in many ways on bad bytes
        raise CorruptFileError(name, f"unreadable WAV: {type(exc).__name__}: {exc}") from exc
    if data.size == 0:
        raise ReadError(name, "the WAV holds no samples")
    if data.dtype.kind in "iu":
        bits = data.dtype.itemsize * 8
        x = data.astype(np.float64)
        if data.dtype.kind == "u":  # 8-bit WAV is unsigned, centred on 128
            x -= 2 ** (bits - 1)
        x /= 2 ** (bits - 1)
    else:
        x = data.astype(np.float64)
    if x.ndim == 2:
        x = x.mean(axis=1)
    return Audio(x.astype(np.float32), int(rate), name)


def _read_ffmpeg(name: str, rate_hz: int) -> Audio:
    from runlab.io._ffmpeg import AUDIO_FORMATS, ffmpeg_exe, input_args, no_stream

    try:
        exe = ffmpeg_exe()
    except ImportError as exc:  # pragma: no cover - a dependency of runlab
        raise UnsupportedFormatError(name, "not a WAV file, and decoding other audio needs "
                                           "imageio-ffmpeg (pip install imageio-ffmpeg)") from exc
    # only this local file: no URL, playlist or concat list (runlab.io._ffmpeg); the first
    # audio stream only, so a video without one fails by name, not as a bad argument
    cmd = [exe, "-nostdin", "-v", "error",
           *input_args(name, AUDIO_FORMATS), "-map", "0:a:0", "-vn",
           "-ac", "1", "-ar", str(int(rate_hz)), "-f", "f32le", "-"]
    run = subprocess.run(cmd, capture_output=True, check=False)
    message = run.stderr.decode("utf-8", "replace").strip().splitlines()
    if run.returncode != 0 and no_stream(message):
        raise ReadError(name, "the file has no soundtrack (no audio stream): record the "
                              "clip with sound, or give the footfalls another way")
    if run.returncode != 0:
        reason = message[-1] if message else f"ffmpeg exit status {run.returncode}"
        raise UnsupportedFormatError(name, f"ffmpeg cannot decode its audio: {reason}")
    samples = np.frombuffer(run.stdout, dtype="<f4")
    if samples.size == 0:
        raise ReadError(name, "no audio stream (a video without sound?)")
    return Audio(np.clip(samples, -1.0, 1.0).astype(np.float32), int(rate_hz), name)


def _resample(audio: Audio, rate_hz: int) -> Audio:
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(int(rate_hz), audio.rate_hz)
    x = resample_poly(audio.samples.astype(np.float64), int(rate_hz) // g, audio.rate_hz // g)
    return Audio(x.astype(np.float32), int(rate_hz), audio.path)


def write_wav(path: str | os.PathLike, samples: np.ndarray, rate_hz: int) -> Path:
    """Write mono samples in [-1, 1] as a 16-bit PCM WAV file; returns the path."""
    from scipy.io import wavfile

    pcm = np.round(np.clip(np.asarray(samples, dtype=np.float64), -1.0, 1.0) * 32767)
    wavfile.write(os.fspath(path), int(rate_hz), pcm.astype(np.int16))
    return Path(path)
