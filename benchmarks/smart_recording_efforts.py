"""Strides and hill reps on the corpus's real smart-recording files against hand labels.

``tests/data/smart_recording_efforts.tsv`` holds, per running file recorded with smart
recording (records 1–7 s apart), the short efforts and hill reps seen in plotted speed,
cadence, altitude and grade (labelled before the detectors were changed). For each file the
script prints what :func:`runlab.gait.strides` and :func:`runlab.gait.hills` find: found
(within 60 s of a labelled start) and invented (the rest).

Run: ``python benchmarks/smart_recording_efforts.py [corpus folder]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_smart_recording import labels, score


def main() -> None:
    corpus = Path(sys.argv[1]) if len(sys.argv) > 1 else \
        Path(__file__).resolve().parents[2] / "shared" / "corpus"
    print(f"{'file':58} {'cad':>3} {'efforts':>7} {'found':>5} {'invented':>8} "
          f"{'hill reps':>9} {'found':>5} {'invented':>8}")
    for row in labels().iter_rows(named=True):
        r = score(corpus / row["path"], row["efforts_min"], int(row["hill_reps"]))
        print(f"{Path(row['path']).name[:58]:58} {'yes' if r['cadence'] else 'no':>3} "
              f"{r['efforts']:>7} {r['found']:>5} {r['invented']:>8} {r['hill_reps']:>9} "
              f"{r['reps_found']:>5} {r['reps_invented']:>8}")


if __name__ == "__main__":
    main()
