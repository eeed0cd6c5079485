"""Phone videos of a run: frame times from the container, upright frames, slow motion.

:func:`read_video` returns a lazy :class:`Video`: opening it reads the container's header
(size, rotation, frame rate, slow-motion metadata), :attr:`Video.frame_times_s` reads the
packet time stamps (no decoding), and :meth:`Video.frames` decodes frame by frame — a
frame is never kept, so memory does not grow with the clip. Decoding uses the ffmpeg binary
that ``imageio-ffmpeg`` ships (as :func:`runlab.io.audio.read_audio` does): nothing to
install. Body landmarks: :func:`runlab.gait.pose` (the ``video`` extra).

Times
    Every time is **real (capture) time** in seconds from the first frame. Frame times come
    from the container's time stamps, never from a nominal rate, so variable-frame-rate
    clips (phones change rate in low light) are timed right. Slow-motion clips stored for
    playback slower than they were filmed (a 240 fps capture played at 30 fps) carry the
    capture rate in their metadata: Android writes ``com.android.capture.fps`` (an ``mdta``
    key of the MP4; ``MediaFormat.KEY_CAPTURE_RATE``), and real time is playback time ×
    playback rate / capture rate, so cadence is not divided by 8. iPhone slow-motion
    originals need nothing: their time stamps are already at the capture rate (the
    slow-down is applied by the player). A slowed-down copy whose metadata was stripped (an
    editor, a messenger, an iPhone "export") cannot be told
    from a slow runner: pass ``capture_fps=`` yourself.

Rotation
    Portrait phone clips are stored landscape with a display rotation (``rotate`` tag or
    display matrix). :attr:`Video.rotation_deg` is the clockwise rotation applied to the
    stored pixels; frames come out upright and :attr:`Video.width_px` /
    :attr:`Video.height_px` are the upright size.

Untrusted clips
    A clip from someone else is hostile input to a large C decoder. ffmpeg runs in its own
    process reading the local file only (protocol whitelist ``file``, container whitelist
    of video formats: a playlist or ``concat`` file cannot make it open other files or the
    network), with an address-space cap (:data:`DECODER_MEMORY_MIB`) and a CPU-time cap,
    and the caller's wall-clock limit (``time_limit_s``, default :func:`runlab.isolation.
    limits_for` of the file's size) kills it; files over :data:`MAX_VIDEO_BYTES`, frames
    over :data:`MAX_FRAME_PIXELS` and clips over :data:`MAX_FRAMES` are refused. Every
    failure is a :class:`~runlab.errors.ReadError` naming the file.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from runlab.errors import (
    CorruptFileError,
    FileTooLargeError,
    ReadError,
    TimeLimitError,
    UnsupportedFormatError,
)
from runlab.io._ffmpeg import ffmpeg_exe as _ffmpeg
from runlab.io._ffmpeg import input_args as _input_args
from runlab.io._ffmpeg import limit_process

__all__ = ["Video", "read_video", "MAX_VIDEO_BYTES", "MAX_FRAME_PIXELS", "MAX_FRAMES",
           "DECODER_MEMORY_MIB", "CAPTURE_FPS_KEYS", "DECODE_S_PER_MEGAPIXEL"]

#: Largest video file read [bytes] (a 20-minute 1080p phone clip is ~2 GB).
MAX_VIDEO_BYTES = 4 * 2**30
#: Largest frame [pixels]: 8K UHD (7680 × 4320).
MAX_FRAME_PIXELS = 7680 * 4320
#: Most frames in one clip: one hour at 240 fps.
MAX_FRAMES = 864_000
#: Address-space cap of the ffmpeg process [MiB] (decoding 4K H.264/HEVC needs ~0.5 GiB).
DECODER_MEMORY_MIB = 4096
#: Default decoding budget per megapixel of frames [s] beyond the size-based limit: 0.02 s
#: is 50 megapixels/s, 24 fps at 1080p (this 2-core machine decodes 80 fps at 1080p under
#: heavy load).
DECODE_S_PER_MEGAPIXEL = 0.02
#: Metadata keys holding the capture frame rate of slow-motion (or time-lapse) clips.
CAPTURE_FPS_KEYS = ("com.android.capture.fps",)


def _limit_decoder(cpu_s: float | None):
    return limit_process(cpu_s, DECODER_MEMORY_MIB)


def _run(name: str, args: list[str], time_limit_s: float | None) -> subprocess.CompletedProcess:
    cmd = [_ffmpeg(), "-nostdin", "-hide_banner", *args]
    try:
        return subprocess.run(cmd, capture_output=True, check=False, timeout=time_limit_s,
                              preexec_fn=_limit_decoder(time_limit_s))
    except subprocess.TimeoutExpired as exc:
        raise TimeLimitError(name, f"reading the video took longer than the "
                                   f"{time_limit_s:.3g} s limit (time_limit_s)") from exc


@dataclass(frozen=True)
class _Header:
    width_px: int
    height_px: int
    rotation_deg: int
    nominal_fps: float | None
    capture_fps: float | None
    codec: str


_STREAM = re.compile(r"Stream #\d+:\d+[^\n]*?: Video: (?P<codec>[\w-]+)[^\n]*?, (?P<w>\d{1,6})x(?P<h>\d{1,6})"
                     r"(?:[^\n]*?, (?P<fps>[\d.]+k?) fps)?")
_ROTATION = re.compile(r"rotation of (-?[\d.]+) degrees")
_ROTATE_TAG = re.compile(r"^\s*rotate\s*:\s*(-?\d+)\s*$", re.M)


def _parse_header(name: str, text: str, capture_fps: float | None) -> _Header:
    """Size, rotation, rates of the first video stream from ``ffmpeg -i`` 's report."""
    video = next((m for m in _STREAM.finditer(text)  # not a cover picture (an M4A's)
                  if "attached pic" not in text[m.start():text.find("\n", m.start())]), None)
    if video is None:
        raise UnsupportedFormatError(name, "no video stream (an audio file or not a video)")
    stream_part = text[video.start():]
    next_stream = re.search(r"\n\s*Stream #", stream_part[1:])
    stream_part = stream_part[:next_stream.start() + 1] if next_stream else stream_part
    rotation = 0
    if (m := _ROTATION.search(stream_part)) is not None:  # display matrix: counter-clockwise
        rotation = int(round(-float(m.group(1)))) % 360
    elif (m := _ROTATE_TAG.search(stream_part)) is not None:  # old ``rotate`` tag: clockwise
        rotation = int(m.group(1)) % 360
    rotation = (rotation + 45) // 90 * 90 % 360
    width, height = int(video.group("w")), int(video.group("h"))
    if width == 0 or height == 0:
        raise CorruptFileError(name, "the video stream declares no frame size")
    if width * height > MAX_FRAME_PIXELS:
        raise FileTooLargeError(name, f"frames of {width}x{height} px are over the "
                                      f"{MAX_FRAME_PIXELS} px limit")
    if rotation in (90, 270):
        width, height = height, width
    fps = video.group("fps")
    nominal = None
    if fps:
        nominal = float(fps[:-1]) * 1000 if fps.endswith("k") else float(fps)
    if capture_fps is None:
        for key in CAPTURE_FPS_KEYS:
            m = re.search(rf"^\s*{re.escape(key)}\s*:\s*([\d.]+)", text, re.M)
            if m is not None and float(m.group(1)) > 0:
                capture_fps = float(m.group(1))
                break
    return _Header(width, height, rotation, nominal, capture_fps, video.group("codec"))


@dataclass(frozen=True)
class Video:
    """A video file opened by :func:`read_video` (lazy: frames are decoded on demand).

    Attributes
    ----------
    path : str
    width_px, height_px : int
        Size of the upright frames [px].
    rotation_deg : int
        Clockwise rotation (0, 90, 180, 270) applied to the stored pixels to show them
        upright (portrait phone clips: 90 or 270).
    capture_fps : float or None
        Frame rate the clip was filmed at, when the metadata (or the caller) says so.
    codec : str
        ffmpeg's name of the video codec.
    time_limit_s : float or None
        Wall-clock limit [s] of reading the header and the time stamps, and the time the
        decoder may take (waiting for it, not for the caller) to deliver all frames: given
        to :func:`read_video`, else its default (:attr:`decode_limit_s`). None: no limit.
    """

    path: str
    width_px: int
    height_px: int
    rotation_deg: int
    capture_fps: float | None
    codec: str
    time_limit_s: float | None
    _nominal_fps: float | None = field(default=None, repr=False)
    _explicit_limit: bool = field(default=False, repr=False)
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    # -- time ----------------------------------------------------------------------------
    @property
    def playback_times_s(self) -> np.ndarray:
        """Presentation time of each frame as stored in the container [s], from 0."""
        if "pts" not in self._cache:
            self._cache["pts"] = _packet_times(self.path, self.time_limit_s)
        return self._cache["pts"]

    @property
    def playback_fps(self) -> float:
        """Average stored frame rate [1/s]: frames per second of playback time."""
        t = self.playback_times_s
        if t.size < 2 or t[-1] <= t[0]:
            return float(self._nominal_fps or 0.0)
        return float((t.size - 1) / (t[-1] - t[0]))

    @property
    def time_scale(self) -> float:
        """Real seconds per playback second: ``playback_fps / capture_fps`` (1 without
        slow-motion metadata; 1/8 for a 240 fps capture stored for 30 fps playback)."""
        if not self.capture_fps:
            return 1.0
        return self.playback_fps / self.capture_fps

    @property
    def frame_times_s(self) -> np.ndarray:
        """Real (capture) time of each frame [s] from the first frame: container time
        stamps × :attr:`time_scale`."""
        return self.playback_times_s * self.time_scale

    @property
    def fps(self) -> float:
        """Average frame rate in real time [frames per real second] (the capture rate of a
        slow-motion clip)."""
        return self.playback_fps / self.time_scale

    @property
    def n_frames(self) -> int:
        """Number of frames (from the container's packets)."""
        return int(self.playback_times_s.size)

    @property
    def duration_s(self) -> float:
        """Real time from the first to the last frame plus one mean frame interval [s]."""
        t = self.frame_times_s
        return float(t[-1] - t[0] + 1.0 / self.fps) if t.size >= 2 else 0.0

    @property
    def decode_limit_s(self) -> float | None:
        """The decoder's time budget for all frames [s]: ``time_limit_s`` when given to
        :func:`read_video`, else it plus :data:`DECODE_S_PER_MEGAPIXEL` per megapixel of
        every frame (a small, highly compressed clip can hold many frames)."""
        if self.time_limit_s is None or self._explicit_limit:
            return self.time_limit_s
        megapixels = self.width_px * self.height_px / 1e6
        return self.time_limit_s + DECODE_S_PER_MEGAPIXEL * megapixels * self.n_frames

    # -- pixels --------------------------------------------------------------------------
    def frames(self, *, max_side_px: int | None = None
               ) -> Iterator[tuple[int, float, np.ndarray]]:
        """``(index, time_s, rgb)`` for every frame, upright, decoded one at a time.

        ``rgb`` is a ``(height, width, 3)`` uint8 array (reused memory is never assumed:
        each is new); ``time_s`` is real time as in :attr:`frame_times_s`. With
        ``max_side_px``, frames are scaled down so that their longer side is at most that.
        Damage met while decoding raises :class:`~runlab.errors.CorruptFileError`.
        """
        width, height = self.width_px, self.height_px
        filters = []
        if max_side_px is not None and max(width, height) > max_side_px:
            k = max_side_px / max(width, height)
            width, height = max(2, int(width * k) // 2 * 2), max(2, int(height * k) // 2 * 2)
            filters.append(f"scale={width}:{height}:flags=area")
        filters.append("showinfo")
        cmd = [_ffmpeg(), "-nostdin", "-hide_banner", "-v", "info", *_input_args(self.path),
               "-map", "0:V:0", "-an", "-sn", "-dn", "-vf", ",".join(filters),
               "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
        budget = self.decode_limit_s
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, preexec_fn=_limit_decoder(budget))
        times: queue.Queue = queue.Queue()
        errors: list[str] = []
        reader = threading.Thread(target=_showinfo_times, args=(proc.stderr, times, errors),
                                  daemon=True)
        reader.start()
        clock = _WaitClock(proc, budget)
        size = width * height * 3
        scale = self.time_scale
        index, first = 0, None
        try:
            while True:
                with clock:
                    data = proc.stdout.read(size)
                    pts = times.get(timeout=30) if len(data) == size else None
                if clock.expired:
                    raise TimeLimitError(self.path, f"decoding took longer than the "
                                                    f"{budget:.3g} s limit (time_limit_s)")
                if not data:
                    break
                if len(data) < size:
                    raise CorruptFileError(self.path, f"frame {index} is cut short")
                if pts is None:
                    raise CorruptFileError(self.path, f"no time stamp for frame {index}")
                first = pts if first is None else first
                rgb = np.frombuffer(data, np.uint8).reshape(height, width, 3)
                yield index, (pts - first) * scale, rgb
                index += 1
            proc.wait(timeout=30)
            reader.join(timeout=30)
            if proc.returncode != 0:
                if proc.returncode < 0:
                    raise ReadError(self.path, f"the decoder was stopped (signal "
                                               f"{-proc.returncode}): over its CPU or "
                                               "memory cap?")
                raise CorruptFileError(self.path, "ffmpeg cannot decode the video: "
                                       + (errors[-1] if errors else f"exit {proc.returncode}"))
            if index == 0:
                raise CorruptFileError(self.path, "no frame could be decoded")
        finally:
            if proc.poll() is None:
                proc.kill()
            with contextlib.suppress(Exception):
                proc.wait(timeout=10)
            clock.stop()
            proc.stdout.close()
            proc.stderr.close()


class _WaitClock:
    """Kills a decoder once the time spent waiting for it (inside ``with clock:``) passes
    ``budget_s``; the time the caller spends on each frame does not count."""

    def __init__(self, proc: subprocess.Popen, budget_s: float | None):
        self.proc, self.budget_s = proc, budget_s
        self.waited, self.since, self.expired = 0.0, None, False
        self._done = threading.Event()
        if budget_s is not None:
            threading.Thread(target=self._watch, daemon=True).start()

    def __enter__(self) -> _WaitClock:
        self.since = time.monotonic()
        return self

    def __exit__(self, *exc) -> None:
        self.waited += time.monotonic() - self.since
        self.since = None
        if self.budget_s is not None and self.waited > self.budget_s:
            self.expired = True

    def _watch(self) -> None:
        while not self._done.wait(0.05):
            since = self.since
            if since is not None and self.waited + time.monotonic() - since > self.budget_s:
                self.expired = True
                with contextlib.suppress(OSError):
                    self.proc.kill()
                return

    def stop(self) -> None:
        self._done.set()


def _showinfo_times(stream, out: queue.Queue, errors: list[str]) -> None:
    """Push each frame's time [s] from ffmpeg's showinfo log (integer ``pts`` × the time
    base it states first, exact where ``pts_time`` is rounded); keep error lines."""
    config = re.compile(rb"Parsed_showinfo.*?config in time_base: *(\d+)/(\d+)")
    frame = re.compile(rb"Parsed_showinfo.*? n: *\d+ +pts: *(-?\d+)")
    tb = None
    for line in stream:
        if (m := frame.search(line)) is not None and tb is not None:
            out.put(int(m.group(1)) * tb)
        elif tb is None and (m := config.search(line)) is not None:
            tb = int(m.group(1)) / max(int(m.group(2)), 1)
        elif b"showinfo" not in line and (b"rror" in line or b"nvalid" in line):
            errors.append(line.decode("utf-8", "replace").strip())
    out.put(None)


def _packet_times(name: str, time_limit_s: float | None) -> np.ndarray:
    """Sorted presentation times [s] of the first video stream's packets, from 0, read
    without decoding (``-c copy`` into ffmpeg's ``framecrc`` listing)."""
    run = _run(name, ["-v", "error", *_input_args(name), "-map", "0:V:0", "-c", "copy",
                      "-f", "framecrc", "-"], time_limit_s)
    text = run.stdout.decode("ascii", "replace")
    if run.returncode != 0:
        lines = run.stderr.decode("utf-8", "replace").strip().splitlines()
        raise CorruptFileError(name, "ffmpeg cannot read the video stream: "
                               + (lines[-1] if lines else f"exit {run.returncode}"))
    tb = re.search(r"^#tb 0: (\d+)/(\d+)", text, re.M)
    rows = [line.split(",") for line in text.splitlines() if line.startswith("0,")]
    if tb is None or not rows:
        raise CorruptFileError(name, "the video stream holds no frames")
    if len(rows) > MAX_FRAMES:
        raise FileTooLargeError(name, f"{len(rows)} frames is over the {MAX_FRAMES} limit")
    pts = np.array([int(r[2]) for r in rows], dtype=np.float64)
    pts *= int(tb.group(1)) / int(tb.group(2))
    pts.sort()
    return pts - pts[0]


def read_video(path: str | os.PathLike, *, capture_fps: float | None = None,
               time_limit_s: float | None = None) -> Video:
    """Open a video file (MP4/MOV/3GP, Matroska/WebM, AVI): lazy, nothing is decoded yet.

    Parameters
    ----------
    path : str or path-like
    capture_fps : float, optional
        The rate the clip was filmed at, when it is slow motion but its metadata lost the
        capture rate (default: read from the metadata, see the module docstring).
    time_limit_s : float, optional
        Wall-clock limit [s] of each pass over the file, counting only the time spent
        waiting for the decoder (default: 10 s + 5 s per MiB, :func:`runlab.isolation.
        limits_for`, and for decoding frames also 0.02 s per megapixel-frame; 0 switches
        it off).

    Raises
    ------
    runlab.errors.ReadError
        Naming the file: missing, not a regular file, empty, too large, not a video,
        corrupt or truncated (a truncated MP4 usually has no index: "moov atom not found").

    Examples
    --------
    >>> clip = runlab.read_video("side.mp4")          # doctest: +SKIP
    >>> clip.fps, clip.frame_times_s[:3], clip.rotation_deg   # doctest: +SKIP
    """
    from runlab.io._files import open_regular
    from runlab.isolation import limits_for

    name = os.fspath(path)
    with open_regular(name) as fh:  # refuses FIFOs, devices, directories before ffmpeg
        size = os.fstat(fh.fileno()).st_size  # sees them, and keeps to this one open file
        magic = fh.read(12)  # the container's signature, should ffmpeg not read it
    if size == 0:
        raise ReadError(name, "the file is empty (0 bytes)")
    if size > MAX_VIDEO_BYTES:
        raise FileTooLargeError(name, f"{size} bytes is over the {MAX_VIDEO_BYTES} limit")
    if capture_fps is not None and not capture_fps > 0:
        raise ValueError(f"capture_fps must be positive, not {capture_fps!r}")
    limit = limits_for(size, time_limit_s).time_s
    run = _run(name, _input_args(name), limit)  # no output: ffmpeg reports the input, exit 1
    report = run.stderr.decode("utf-8", "replace")
    if "Input #0" not in report:
        lines = [ln for ln in report.strip().splitlines() if ln.strip()]
        reason = lines[-1] if lines else "unknown format"
        reason = reason.replace("file:" + os.path.abspath(name), "the file")
        if magic[4:8] == b"ftyp" or magic[:4] == b"\x1aE\xdf\xa3" or magic[8:12] == b"AVI ":
            raise CorruptFileError(name, f"a damaged or truncated video: {reason}")
        raise UnsupportedFormatError(name, f"not a video ffmpeg can read: {reason}")
    head = _parse_header(name, report, capture_fps)
    return Video(name, head.width_px, head.height_px, head.rotation_deg, head.capture_fps,
                 head.codec, limit, head.nominal_fps, time_limit_s is not None)
