"""Make the notebook-06 form sample: the landmarks MediaPipe finds in the sample's rendered
side-view runner.

Renders :func:`runlab.datasets.form_clip` (a drawn figure, no real person; see
:data:`runlab.datasets.SAMPLE_FORM`), runs :func:`runlab.gait.pose` on it (MediaPipe legacy
Pose, ``model_complexity=1``) and writes the landmarks :func:`runlab.gait.form` uses (and
the nose), rounded, to ``runlab/_data/form_landmarks.csv``, which
:func:`runlab.datasets.make_sample` copies to ``data/R04/form_landmarks.csv``; so notebook
06 runs without the video extra. Needs it here: ``pip install "runlab[video]"``.

Run: ``python tools/make_form_sample.py``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import polars as pl

from runlab import datasets, gait, read_video

ROOT = Path(__file__).resolve().parents[1]
KEEP = ["nose"] + [f"{side}_{part}" for side in ("left", "right")
                   for part in ("shoulder", "hip", "knee", "ankle", "heel", "foot_index")]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clip, truth = datasets.form_clip(Path(tmp) / "form_clip.mp4")
        found = gait.pose(read_video(clip))
    out = ROOT / "runlab" / "_data" / "form_landmarks.csv"
    (found.filter(pl.col("landmark").is_in(KEEP))
     .select("frame", pl.col("time_s").round(4), "landmark", pl.col("x_px").round(1),
             pl.col("y_px").round(1), pl.col("visibility").round(3))
     .write_csv(out))
    shutil.copyfile(out, ROOT / "data" / "R04" / "form_landmarks.csv")
    print(f"wrote {out} ({out.stat().st_size // 1024} KiB): {found.meta['frames_used']} of "
          f"{found.meta['frames_total']} frames with a pose; {truth.height} true contacts")


if __name__ == "__main__":
    main()
