"""Strides and hill reps on the corpus's real smart-recording running files (records 1–7 s
apart) against hand labels made from plotted speed, cadence, altitude and grade before the
detectors were changed (tests/data/smart_recording_efforts.tsv). The corpus has no session
with deliberate strides or hill reps; it has two short efforts, a tempo block, rolling
terrain and GPS-only files, where nothing may be invented."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import runlab
from runlab import gait
from runlab.errors import DataRepairWarning

LABELS = Path(__file__).parent / "data" / "smart_recording_efforts.tsv"


def labels() -> pl.DataFrame:
    rows = [line.split("\t") for line in LABELS.read_text().splitlines()
            if line and not line.startswith("#")]
    return pl.DataFrame(rows, schema=["path", "spacing", "efforts_min", "hill_reps", "notes"],
                        orient="row")


def score(path: Path, efforts_min: str, hill_reps: int) -> dict:
    """Found and invented strides and hill reps of one file."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataRepairWarning)
        a = runlab.read_activity(path)
        out = runlab.clean(a.records, a.events)
    t0 = out["timestamp"][0]
    got = np.array([(s - t0).total_seconds() for s in gait.strides(out)["start"]])
    want = np.array([float(m) * 60 for m in efforts_min.split(",") if m.strip() != "-"])
    hit = np.abs(got[:, None] - want[None, :]) <= 60 if got.size and want.size else \
        np.zeros((got.size, want.size), dtype=bool)
    climbs = gait.hills(out)
    reps = int(climbs["repeat"].sum()) if climbs.height else 0
    return {"efforts": want.size, "found": int(hit.any(axis=0).sum()),
            "invented": int((~hit.any(axis=1)).sum()), "hill_reps": hill_reps,
            "reps_found": min(reps, hill_reps), "reps_invented": max(reps - hill_reps, 0),
            "cadence": bool(out["cadence_spm"].is_not_null().any())}


#: What the detectors still get wrong on these files (measured, not hidden): GPS-only files
#: (no cadence) whose speed surges read as strides, rolling terrain read as hill reps, a
#: run bout after a walk on a hilly descent, and a last-lap push that runs on to the end.
KNOWN = {"runpandas__run.fit": {"invented": 1}, "runpandas__run_garmin.tcx": {"found": 0},
         "runpandas__basic.tcx": {"invented": 1, "reps_invented": 13},
         "fitparse__2013-02-06-12-11-14.fit": {"invented": 6},
         "runpandas__nike_run.gpx": {"invented": 2}}


@pytest.mark.parametrize("row", labels().iter_rows(named=True), ids=lambda r: Path(r["path"]).name)
def test_strides_and_hill_reps_on_real_smart_recording(corpus, row):
    r = score(corpus / row["path"], row["efforts_min"], int(row["hill_reps"]))
    known = KNOWN.get(Path(row["path"]).name, {})
    assert r["found"] == known.get("found", r["efforts"])
    assert r["invented"] <= known.get("invented", 0)
    assert r["reps_found"] == r["hill_reps"]
    assert r["reps_invented"] <= known.get("reps_invented", 0)
