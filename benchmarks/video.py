"""Video speed: frames per second of decoding and of pose, and a 10-s clip end to end.

Clips are rendered here (:mod:`runlab.simulate.figure`, a shaded runner drawn from
:func:`runlab.simulate.running_pose`), encoded as H.264 MP4 at **30 fps**: a 3-s clip at
1080p (1920 × 1080) and at 720p (1280 × 720), and a 10-s 720p clip. For each, the time of

* decoding alone (:meth:`runlab.io.video.Video.frames`, ffmpeg of ``imageio-ffmpeg``),
* :func:`runlab.gait.pose` (decoding + the person detector every 0.5 s + MediaPipe's
  landmark model on every frame),

and for the 10-s 720p clip ``read_video`` → ``pose`` → ``form`` end to end (goal: under
10 s). Wall time and CPU time (this process and its ffmpeg children) are printed: on a
shared machine the wall time includes waiting for a core. Needs the video extra.

Run: ``python benchmarks/video.py`` (``--quick`` for 1-s clips).
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

FPS = 30


def cpu_s() -> float:
    """CPU seconds of this process and its waited-for children (ffmpeg)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def render(path: Path, width: int, height: int, seconds: float) -> Path:
    from runlab.simulate import running_pose
    from runlab.simulate.figure import render_figure, write_clip

    pose, _ = running_pose(seconds=seconds, fps=FPS, width_px=width, height_px=height,
                           leg_px=0.33 * height)
    return write_clip(path, render_figure(pose, width_px=width, height_px=height), fps=FPS)


def timed(fn):
    wall, cpu = time.perf_counter(), cpu_s()
    out = fn()
    return out, time.perf_counter() - wall, cpu_s() - cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1-s clips (a smoke run)")
    args = ap.parse_args()
    import runlab

    short = 1.0 if args.quick else 3.0
    long = 1.0 if args.quick else 10.0
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        clips = {}
        for name, (w, h, s) in {"1080p": (1920, 1080, short), "720p": (1280, 720, short),
                                "720p-10s": (1280, 720, long)}.items():
            (path, wall, _) = timed(lambda w=w, h=h, s=s, name=name:
                                    render(tmp / f"{name}.mp4", w, h, s))
            clips[name] = path
            print(f"rendered {name}: {w}x{h}, {FPS} fps, {s:g} s "
                  f"({path.stat().st_size / 2**20:.1f} MiB) in {wall:.1f} s")
        print()
        print(f"{'clip':<10} {'frames':>6} {'decode fps':>11} {'pose fps':>9} "
              f"{'pose CPU ms/frame':>18}")
        for name in ("1080p", "720p"):
            video = runlab.read_video(clips[name])
            n, wall_d, _ = timed(lambda video=video: sum(1 for _ in video.frames()))
            got, wall_p, cpu_p = timed(lambda video=video: runlab.gait.pose(video))
            print(f"{name:<10} {n:>6} {n / wall_d:>11.0f} {n / wall_p:>9.1f} "
                  f"{1000 * cpu_p / n:>18.1f}   (frames used {got.meta['frames_used']})")
        print()

        def end_to_end():
            video = runlab.read_video(clips["720p-10s"])
            return runlab.gait.form(runlab.gait.pose(video))

        f, wall, cpu = timed(end_to_end)
        print(f"10-s 720p clip ({FPS} fps) read_video → pose → form: {wall:.1f} s wall, "
              f"{cpu:.1f} s CPU (goal < 10 s); {f.summary['steps'][0]} steps, cadence "
              f"{f.summary['cadence_spm'][0]:.1f} spm (true 170)")


if __name__ == "__main__":
    main()
