"""Strides and hill reps on smart recording (records 1–7 s apart): on the corpus's real
running files against hand labels made from plotted speed, cadence, altitude and grade before
the detectors were changed (tests/data/smart_recording_efforts.tsv), and on simulated
sessions written as FIT, TCX or GPX files and read back. The corpus has no session with
deliberate strides or hill reps; it has two short efforts, a tempo block, rolling terrain and
GPS-only files, where nothing may be invented."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import runlab
from runlab import gait, sessions, simulate
from runlab.errors import DataRepairWarning
from runlab.io.fit_write import write_activity
from runlab.io.gpx import write_gpx
from runlab.io.tcx import write_tcx

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


#: What the detectors still get wrong on these files (measured, not hidden): the last-lap
#: push of run_garmin.tcx runs on at a few per cent below its peak to the end of the file,
#: so it is not found as a short effort (it is not invented either).
KNOWN = {"runpandas__run_garmin.tcx": {"found": 0}}


@pytest.mark.parametrize("row", list(labels().iter_rows(named=True)),
                         ids=lambda r: Path(r["path"]).name)
def test_strides_and_hill_reps_on_real_smart_recording(corpus, row):
    r = score(corpus / row["path"], row["efforts_min"], int(row["hill_reps"]))
    known = KNOWN.get(Path(row["path"]).name, {})
    assert r["found"] == known.get("found", r["efforts"])
    assert r["invented"] <= known.get("invented", 0)
    assert r["reps_found"] == r["hill_reps"]
    assert r["reps_invented"] <= known.get("reps_invented", 0)


# --- simulated sessions with strides and hill reps, written as files and read back ----------

#: Simulated cells: file format, spacing of the records [s] (None: the simulator's own smart
#: recording, ~40 % of seconds kept) and whether cadence is written (GPS-only phone apps).
CELLS = {
    "FIT, simulator's smart recording": ("fit", None, True),
    "FIT, 1–7 s": ("fit", (1, 7), True),
    "FIT, 4–7 s": ("fit", (4, 7), True),
    "TCX, 1–7 s": ("tcx", (1, 7), True),
    "GPX, 1–7 s, no cadence": ("gpx", (1, 7), False),
    "GPX, 4–7 s, no cadence": ("gpx", (4, 7), False),
}


def simulated_runs(seed: int, n_runners: int = 8, weeks: int = 8) -> tuple:
    """A cohort and, per runner, its technique and hill sessions plus as many others."""
    c = simulate.cohort(n_runners, weeks, seed=seed, baseline_weeks=0,
                        rates={"treadmill": 0.0, "gps_spike": 0.0})
    runs = c.runs.filter(pl.col("test_distance_m").is_null())
    effort = runs.filter((pl.col("strides") > 0) | (pl.col("hill_reps") > 0))
    other = runs.filter((pl.col("strides") == 0) & (pl.col("hill_reps") == 0))
    other = other.sample(min(other.height, effort.height), seed=seed)
    return c, pl.concat([effort, other]).sort("run_id")


def planned_starts(run: dict) -> dict[str, np.ndarray]:
    """Planned (moving) second at which each stride and hill rep starts (simulator layout:
    warm-up walk, strides with walks between, hill reps with walks down)."""
    at = round(run["warmup_s"] or 0.0)
    stride = round(run["stride_s"] or 30.0) + round(sessions.STRIDE_RECOVERY_S)
    s = at + stride * np.arange(run["strides"] or 0)
    at += stride * (run["strides"] or 0)
    rep = round(run["hill_rep_s"] or 30.0) + round(sessions.HILL_RECOVERY_S)
    return {"strides": s, "hill_reps": at + rep * np.arange(run["hill_reps"] or 0)}


def simulated_file(c, run: dict, folder: Path, fmt: str, spacing, cadence: bool) -> Path:
    """One simulated run written as a file with records ``spacing`` seconds apart."""
    task = c._run(run["run_id"]) | {"smart_recording": spacing is None}
    from runlab.simulate.records import run_records

    rec, events = run_records(task)
    if spacing is not None:  # keep records 1–7 s (or 4–7 s) apart, first and last kept
        rng = np.random.default_rng(run["seed"] % 2**32)
        at = np.cumsum(rng.integers(spacing[0], spacing[1] + 1, rec.height))
        keep = np.r_[0, at[at < rec.height - 1], rec.height - 1]
        rec = rec[np.unique(keep)]
    if not cadence:
        rec = rec.with_columns(pl.lit(None, pl.Float64).alias("cadence_spm"))
    path = folder / f"{run['run_id'].replace('/', '_')}.{fmt}"
    if fmt == "fit":
        write_activity(rec, path, sport="running", events=events)
    elif fmt == "tcx":
        write_tcx(rec, path)
    else:
        write_gpx(rec, path)
    return path


def score_simulated(c, run: dict, path: Path) -> dict:
    """Planned strides and hill reps found (a detection overlaps them, 10 s either side)
    and detections invented (overlapping none)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataRepairWarning)
        a = runlab.read_activity(path)
        out = runlab.clean(a.records, a.events)
    ev = c.events(run["run_id"]).sort("timestamp")
    stops = ev.filter(pl.col("event_type") == "stop")["timestamp"]
    goes = ev.filter(pl.col("event_type") == "start")["timestamp"]
    t0 = out["timestamp"][0]

    def planned(times: pl.Series) -> np.ndarray:
        sec = np.array([(x - t0).total_seconds() for x in times])
        paused = sum(np.where(sec >= (go - t0).total_seconds(), (go - stop).total_seconds(), 0)
                     for stop, go in zip(stops, goes, strict=True))
        return sec - paused

    found = {"strides": gait.strides(out), "hill_reps": gait.hills(out).filter(pl.col("repeat"))}
    lasts = {"strides": run["stride_s"] or 30.0, "hill_reps": run["hill_rep_s"] or 30.0}
    r = {}
    for k, want in planned_starts(run).items():
        a, b = planned(found[k]["start"])[:, None], planned(found[k]["end"])[:, None]
        hit = (a <= want[None, :] + lasts[k] + 10) & (b >= want[None, :] - 10)  # overlap
        r[k] = (want.size, int(hit.any(axis=0).sum()), int((~hit.any(axis=1)).sum()))
    return r


#: Seeds the detectors were tuned on; the benchmark's validation seeds start at 1000.
TUNING_SEEDS = range(2)


@pytest.mark.slow
@pytest.mark.parametrize("cell", list(CELLS))
def test_strides_and_hill_reps_on_simulated_smart_recording_files(tmp_path, cell):
    """≥ 95 % found, none invented, on files written and read back (seeds 100–101: not
    tuned on)."""
    fmt, spacing, cadence = CELLS[cell]
    total = {"strides": [0, 0, 0], "hill_reps": [0, 0, 0]}
    for seed in (100, 101):
        c, runs = simulated_runs(seed, n_runners=6, weeks=6)
        for run in runs.iter_rows(named=True):
            r = score_simulated(c, run, simulated_file(c, run, tmp_path, fmt, spacing, cadence))
            for k, v in r.items():
                total[k] = [a + b for a, b in zip(total[k], v, strict=True)]
    for k, (true, found, invented) in total.items():
        assert true >= 10, k
        assert invented == 0, (k, total)
        assert found >= 0.95 * true, (k, total)
