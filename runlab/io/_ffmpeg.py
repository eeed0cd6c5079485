"""Running the ffmpeg of ``imageio-ffmpeg`` on an untrusted local file.

ffmpeg opens far more than files: a name like ``http://…`` or ``concat:a|b`` is a protocol,
and a playlist (HLS ``.m3u8``) or ``ffconcat`` list posing as a clip makes it open the
files or addresses it lists. :func:`input_args` names the input ``file:<absolute path>``,
allows the ``file`` protocol only and only the given containers, so ffmpeg reads that one
file. :func:`limit_process` caps the decoder's address space and CPU time (POSIX).
"""

from __future__ import annotations

import os

__all__ = ["ffmpeg_exe", "input_args", "limit_process", "no_stream", "VIDEO_FORMATS", "AUDIO_FORMATS"]

#: Containers of phone videos (ffmpeg demuxer names): MP4/MOV/3GP, Matroska/WebM, AVI.
VIDEO_FORMATS = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi"
#: ... and of sound files.
AUDIO_FORMATS = VIDEO_FORMATS + ",wav,w64,mp3,ogg,flac,aac,aiff,caf,amr"


def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary that ``imageio-ffmpeg`` ships."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def input_args(name: str, formats: str = VIDEO_FORMATS) -> list[str]:
    """ffmpeg's input options reading only the local file ``name`` in one of ``formats``."""
    return ["-protocol_whitelist", "file", "-format_whitelist", formats,
            "-i", "file:" + os.path.abspath(name)]


def no_stream(stderr_lines: list[str]) -> bool:
    """Whether ffmpeg failed because the file has no stream of the kind asked for with
    ``-map 0:a:0`` (or ``0:v:0``): its messages say the map "matches no streams"."""
    return any("matches no streams" in line for line in stderr_lines)


def limit_process(cpu_s: float | None, memory_mib: int):
    """A ``preexec_fn`` capping a child's address space [MiB] and CPU time (about twice
    ``cpu_s``: ffmpeg decodes on several threads); None where ``resource`` is missing."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows: the wall-clock limit still applies
        return None

    def apply() -> None:
        cap = int(memory_mib) * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        if cpu_s is not None:
            limit = max(1, int(cpu_s * 2) + 1)
            resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 1))

    return apply
