"""Footfall onsets from a phone's soundtrack: precision / recall per condition.

Soundtracks from :func:`runlab.simulate.phone_soundtrack` (footfalls with recorded-like
envelopes, jitter and varying loudness; a swinging hand's wind/rustle swooshes at the
step rate with a random phase; grip clicks; speech or traffic) go through
:func:`runlab.gait.footfalls`; detected onsets are matched one-to-one to the true ones
within ±50 ms. Each cell pools ``--seeds`` clips of ``--seconds`` s and prints
precision/recall [%]; the last columns give the median timing error and the count ratio
(found / true) over the column.

Conditions marked *held out* were not used while the detector was designed (road and
track surfaces, quiet and speech backgrounds, 22.05 kHz, seeds < 1000 were): grass (a
soft footfall with little high-frequency click), traffic, 16 and 44.1 kHz, an AAC
soundtrack, a real recorded footstep (CC0, ``tests/data/footfall``) as every footfall,
and seeds from 1000.

Run: ``python benchmarks/footfall_audio.py [--seeds 4] [--seconds 20] [--only recorded]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_footfall_swing import recorded_footfall, scored

from runlab import gait
from runlab.io.audio import Audio, read_audio, write_wav
from runlab.simulate import phone_soundtrack

CADENCES_SPM = (90.0, 110.0, 130.0, 150.0, 170.0, 200.0)
HAND = {"arm_swing": True}
STILL = {"arm_swing": False}
CONDITIONS = {  # name: (generator options, held out?)
    "still, quiet": ({**STILL}, False),
    "hand 0 dB": ({**HAND, "swing_db": 0.0}, False),
    "hand +6 dB": ({**HAND, "swing_db": 6.0}, False),
    "hand +12 dB": ({**HAND, "swing_db": 12.0}, False),
    "hand +6, speech -20": ({**HAND, "swing_db": 6.0, "background": "speech",
                             "background_db": -20.0}, False),
    "hand +6, speech -10": ({**HAND, "swing_db": 6.0, "background": "speech",
                             "background_db": -10.0}, False),
    "hand +6, traffic -20": ({**HAND, "swing_db": 6.0, "background": "traffic",
                              "background_db": -20.0}, True),
    "hand +6, traffic -10": ({**HAND, "swing_db": 6.0, "background": "traffic",
                              "background_db": -10.0}, True),
    "hand +6, grass": ({**HAND, "swing_db": 6.0, "surface": "grass"}, True),
    "still, grass, traffic -10": ({**STILL, "surface": "grass", "background": "traffic",
                                   "background_db": -10.0}, True),
    "hand +6, 16 kHz": ({**HAND, "swing_db": 6.0, "rate_hz": 16_000}, True),
    "hand +6, 44.1 kHz": ({**HAND, "swing_db": 6.0, "rate_hz": 44_100}, True),
    "hand +6, AAC in MP4": ({**HAND, "swing_db": 6.0, "aac": True}, True),
    "still, recorded step": ({**STILL, "recorded": True}, True),
    "hand +6, recorded step": ({**HAND, "swing_db": 6.0, "recorded": True}, True),
    "hand +12, recorded step": ({**HAND, "swing_db": 12.0, "recorded": True}, True),
}


def clip_audio(options: dict, cadence: float, seconds: float, seed: int,
               folder: Path) -> tuple[Audio, np.ndarray]:
    """The soundtrack as the detector sees it (through an AAC video when asked)."""
    opts = dict(options)
    aac = opts.pop("aac", False)
    rate = opts.pop("rate_hz", 22_050)
    if opts.pop("recorded", False):
        opts["footfall_sound"] = recorded_footfall(rate)
    x, onsets, _ = phone_soundtrack(seconds, cadence, rate, seed=seed, **opts)
    if not aac:
        return Audio(x.astype(np.float32), rate), onsets
    import imageio_ffmpeg

    wav = write_wav(folder / "track.wav", x, rate)
    video = folder / "clip.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi",
                    "-i", f"color=c=gray:s=64x64:r=10:d={seconds}", "-i", str(wav),
                    "-c:v", "mpeg4", "-c:a", "aac", "-b:a", "96k", "-shortest", str(video)],
                   check=True)
    return read_audio(video), onsets


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--only", default="", help="run the conditions whose name has this")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="runlab-footfalls-"))
    print("precision/recall [%] per cadence (spm); * = held out of the design")
    print(f"{'condition':28}" + "".join(f"{c:>9.0f}" for c in CADENCES_SPM)
          + f"{'90-130':>9}{'all':>9}{'err ms':>8}{'count':>7}")
    for name, (options, held_out) in CONDITIONS.items():
        if args.only not in name:
            continue
        cells, total, walk, errors = [], np.zeros(3), np.zeros(3), []
        for cadence in CADENCES_SPM:
            counts = np.zeros(3)
            for k in range(args.seeds):
                seed = (1000 if held_out else 0) + 17 * k + int(cadence)
                audio, onsets = clip_audio(options, cadence, args.seconds, seed, folder)
                found = gait.footfalls(audio)["time_s"].to_numpy()
                s = scored(found, onsets)
                counts += (round(s["recall"] * onsets.size), found.size, onsets.size)
                errors.append(s["median_abs_error_ms"])
            total += counts
            walk += counts if cadence <= 130 else 0
            cells.append(f"{100 * counts[0] / max(counts[1], 1):4.0f}/"
                         f"{100 * counts[0] / counts[2]:<4.0f}")
        label = ("* " if held_out else "  ") + name
        print(f"{label:28}" + "".join(f"{c:>9}" for c in cells)
              + f"{100 * walk[0] / walk[1]:5.0f}/{100 * walk[0] / walk[2]:<4.0f}"
              + f"{100 * total[0] / total[1]:4.0f}/{100 * total[0] / total[2]:<4.0f}"
              + f"{np.nanmedian(errors):8.1f}{total[1] / total[2]:7.3f}", flush=True)


if __name__ == "__main__":
    main()
