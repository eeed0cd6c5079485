"""Regenerate runlab's embedded sample in this folder: ``python data/make_sample.py``.

The sample is simulated (``runlab.datasets.make_sample``: the ``simulate.cohort`` call in
``runlab.datasets.SAMPLE``, plus the sample runner's phone log and video clip from
``simulate.phone_log`` / ``simulate.footfall_clip`` with ``SAMPLE_PHONE`` / ``SAMPLE_CLIP``),
so it is deterministic: running this again writes the same bytes. See README.md for what
each file is.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from runlab.datasets import make_sample

HERE = Path(__file__).resolve().parent
GENERATED_FILES = ("journal.csv", "runners.csv", "runs_truth.csv")


def main() -> None:
    for path in HERE.iterdir():  # only what a previous run generated
        if path.is_dir() and re.fullmatch(r"R\d+", path.name):
            shutil.rmtree(path)
        elif path.name in GENERATED_FILES:
            path.unlink()
    make_sample(HERE, workers=1)
    size = sum(p.stat().st_size for p in HERE.rglob("*") if p.is_file())
    print(f"wrote the sample to {HERE} ({size / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
