"""Strides and hill reps on smart recording (records 1–7 s apart): on the corpus's real
running files against hand labels made from plotted speed, cadence, altitude and grade before
the detectors were changed (tests/data/smart_recording_efforts.tsv), and on simulated
sessions written as FIT, TCX or GPX files and read back. The corpus has no session with
deliberate strides or hill reps; it has two short efforts, a tempo block, rolling terrain and
GPS-only files, where nothing may be invented."""

from __future__ import annotations

import hashlib
import os
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


def thin(rec: pl.DataFrame, spacing: tuple[int, int], seed: int) -> pl.DataFrame:
    """Records kept ``spacing`` (e.g. 1–7) seconds apart, first and last kept: a watch's
    smart recording, from records one second apart."""
    rng = np.random.default_rng(seed)
    at = np.cumsum(rng.integers(spacing[0], spacing[1] + 1, rec.height))
    return rec[np.unique(np.r_[0, at[at < rec.height - 1], rec.height - 1])]


def detections(path: Path, thin_seed: int | None = None) -> dict:
    """What gait.strides and gait.hills find in one file (its records thinned to 1–7 s
    apart when ``thin_seed`` is given): effort starts and hill-rep starts [s from the first
    record], and whether cadence was recorded."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataRepairWarning)
        a = runlab.read_activity(path)
        rec = a.records if thin_seed is None else thin(a.records, (1, 7), thin_seed)
        out = runlab.clean(rec, a.events)
    t0 = out["timestamp"][0]
    climbs = gait.hills(out)
    reps = climbs.filter(pl.col("repeat")) if climbs.height else climbs
    return {"efforts_s": np.array([(s - t0).total_seconds() for s in gait.strides(out)["start"]]),
            "reps_s": np.array([(s - t0).total_seconds() for s in reps["start"]]),
            "cadence": bool(out["cadence_spm"].is_not_null().any())}


def minutes(cell: str) -> np.ndarray:
    """Label cell of comma-separated minutes ("-" for none) → seconds."""
    return np.array([float(m) * 60 for m in cell.split(",") if m.strip() not in ("-", "")])


def near(got: np.ndarray, want: np.ndarray, within_s: float = 60.0) -> np.ndarray:
    """got × want matrix: a detection starts within ``within_s`` of a labelled start."""
    if not (got.size and want.size):
        return np.zeros((got.size, want.size), dtype=bool)
    return np.abs(got[:, None] - want[None, :]) <= within_s


def score(path: Path, efforts_min: str, hill_reps: int) -> dict:
    """Found and invented strides and hill reps of one file."""
    d = detections(path)
    want = minutes(efforts_min)
    hit = near(d["efforts_s"], want)
    reps = d["reps_s"].size
    return {"efforts": want.size, "found": int(hit.any(axis=0).sum()),
            "invented": int((~hit.any(axis=1)).sum()), "hill_reps": hill_reps,
            "reps_found": min(reps, hill_reps), "reps_invented": max(reps - hill_reps, 0),
            "cadence": d["cadence"]}


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


# --- held-out real files: labelled by hand before the detectors ever ran on them -------------

HELDOUT = Path(__file__).parent / "data" / "smart_recording_efforts_heldout.tsv"
#: Session 6's fresh held-out files, labelled before the detectors ran on them (same columns).
FRESH = Path(__file__).parent / "data" / "smart_recording_efforts_fresh.tsv"
#: A second fresh set (another runner), scored once before and once after that session's
#: changes, never looked at in between.
FRESH2 = Path(__file__).parent / "data" / "smart_recording_efforts_fresh2.tsv"
#: A third fresh set (session 7): run hill reps and sprints, with each effort's type, the
#: hill reps' starts and the starts of longer fast repeats labelled (see its header).
FRESH3 = Path(__file__).parent / "data" / "smart_recording_efforts_fresh3.tsv"
#: A fourth (session 7): the same runner's unseen files — real smart recording, and 1-s
#: recordings of hill reps thinned to 1–7 s when scored.
FRESH4 = Path(__file__).parent / "data" / "smart_recording_efforts_fresh4.tsv"
#: A fifth (session 8): two snapshots never used before; no efforts or run hill reps were
#: found there, so it measures what is invented (track intervals, laps of a hilly loop).
FRESH5 = Path(__file__).parent / "data" / "smart_recording_efforts_fresh5.tsv"
STORED = Path(__file__).parent / "data" / "smart_recording"
#: Where the held-out files that may not be redistributed are read from:
#: ``$RUNLAB_EFFORT_FILES/<owner>+<name>/<path in the repository>`` (see the TSV's header).
EFFORT_FILES = os.environ.get("RUNLAB_EFFORT_FILES")


def heldout_labels(tsv: Path = HELDOUT) -> pl.DataFrame:
    rows = [line.split("\t") for line in tsv.read_text().splitlines()
            if line and not line.startswith("#")]
    return pl.DataFrame(rows, schema=["repo", "commit", "path", "sha256", "licence", "spacing",
                                      "efforts_min", "hill_reps", "notes"], orient="row")


def typed_labels(tsv: Path = FRESH3) -> pl.DataFrame:
    """Label rows with effort types, hill-rep starts and longer fast repeats."""
    rows = [line.split("\t") for line in tsv.read_text().splitlines()
            if line and not line.startswith("#")]
    return pl.DataFrame(rows, schema=["repo", "commit", "path", "sha256", "licence", "spacing",
                                      "efforts_min", "effort_types", "hill_reps",
                                      "hill_reps_at_min", "intervals_at_min", "notes"],
                        orient="row")


def score_typed(path: Path, row: dict) -> dict:
    """Per effort type, labelled and found; detections on no label split into those on a
    labelled hill rep or a longer fast repeat (neither found nor invented) and invented;
    hill reps found (a repeat starting within 60 s of a labelled rep) and invented. Rows
    whose spacing says "thinned" are thinned to 1–7 s (seeded by the file's SHA-256); rows
    with efforts "n/a" score hill reps only (``per_type`` None)."""
    thinned = "thinned" in row["spacing"]
    d = detections(path, int(row["sha256"][:8], 16) if thinned else None)
    if row["efforts_min"].strip() == "n/a":
        d["efforts_s"] = np.zeros(0)
    want = minutes(row["efforts_min"].replace("n/a", "-"))
    types = row["effort_types"].split(",") if want.size else []
    hit = near(d["efforts_s"], want)
    reps_want = minutes(row["hill_reps_at_min"])
    starts = minutes(row["intervals_at_min"])
    on_interval = (near(d["efforts_s"], starts + 45.0, 75.0).any(axis=1) if starts.size
                   else np.zeros(d["efforts_s"].size, dtype=bool))
    on_rep = near(d["efforts_s"], reps_want).any(axis=1)
    free = ~hit.any(axis=1)
    per_type: dict[str, list[int]] = {}
    for k, kind in enumerate(types):
        per_type.setdefault(kind, [0, 0])
        per_type[kind][0] += 1
        per_type[kind][1] += int(hit[:, k].any())
    rep_hit = near(d["reps_s"], reps_want)
    if row["efforts_min"].strip() == "n/a":
        per_type = None
    return {"per_type": per_type, "invented": int((free & ~on_interval & ~on_rep).sum()),
            "on_interval": int((free & on_interval).sum()),
            "on_hill_rep": int((free & ~on_interval & on_rep).sum()),
            "hill_reps": reps_want.size, "reps_found": int(rep_hit.any(axis=0).sum()),
            "reps_invented": int((~rep_hit.any(axis=1)).sum()), "cadence": d["cadence"]}


def heldout_file(row: dict) -> Path | None:
    """The held-out file of a label row: stored in tests/data when its licence allows,
    else under ``$RUNLAB_EFFORT_FILES``; None when absent. A file whose SHA-256 differs
    from the label's is an error (labels belong to one version of a file)."""
    if "stored:" in row["licence"]:
        path = Path(__file__).parents[1] / row["licence"].split("stored:")[1].strip(" )")
    elif EFFORT_FILES:
        path = Path(EFFORT_FILES) / row["repo"].replace("/", "+") / row["path"]
    else:
        return None
    if not path.exists():
        return None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest == row["sha256"], f"{path}: SHA-256 {digest}, labelled {row['sha256']}"
    return path


def stored_heldout_rows() -> list[dict]:
    """Held-out label rows whose file is stored in this repository (its licence allows it).
    The others may not be redistributed: ``benchmarks/smart_recording_efforts.py --heldout``
    scores them where a copy exists; a test could only skip on a fresh clone."""
    return [r for r in heldout_labels().iter_rows(named=True) if "stored:" in r["licence"]]


@pytest.mark.parametrize("row", stored_heldout_rows(), ids=lambda r: Path(r["path"]).name)
def test_strides_and_hill_reps_on_heldout_real_smart_recording(row):
    r = score(heldout_file(row), row["efforts_min"], int(row["hill_reps"]))
    assert r["found"] == r["efforts"]
    assert r["invented"] == 0
    assert r["reps_found"] == r["hill_reps"]
    assert r["reps_invented"] == 0


def test_heldout_stored_file_is_there():
    """The stored held-out file must exist (so the test above runs in CI, not skips)."""
    stored = stored_heldout_rows()
    assert stored and all(heldout_file(r) is not None for r in stored)


def test_typed_labels_are_consistent():
    """Each labelled effort has one type, each counted hill rep a start, and the starts
    increase (a row that drifted out of step would score the wrong efforts)."""
    rows = [r for tsv in (FRESH3, FRESH4, FRESH5)
            for r in typed_labels(tsv).iter_rows(named=True)]
    assert rows
    for r in rows:
        efforts = minutes(r["efforts_min"].replace("n/a", "-"))
        reps = minutes(r["hill_reps_at_min"])
        types = r["effort_types"].split(",") if efforts.size else []
        assert len(types) == efforts.size, r["path"]
        assert set(types) <= {"sprint", "fastrep", "hillsprint"}, r["path"]
        assert reps.size == int(r["hill_reps"]), r["path"]
        for starts in (efforts, reps, minutes(r["intervals_at_min"])):
            assert np.all(np.diff(starts) > 0), r["path"]
        assert len(r["sha256"]) == 64


# --- simulated sessions with strides and hill reps, written as files and read back ----------

#: Simulated cells: file format, spacing of the records [s] (None: the simulator's own smart
#: recording, ~40 % of seconds kept), whether cadence is written (GPS-only phone apps),
#: whether the course is rough (:func:`rough`: rolling hills, 5–8 % grades, and a phone's
#: wandering GPS fix, what made the old detectors invent efforts on real files) and whether
#: every run has 1–3 GPS position spikes (150–400 m jumps for one second).
CELLS = {
    "FIT, simulator's smart recording": ("fit", None, True, False, False),
    "FIT, 1–7 s": ("fit", (1, 7), True, False, False),
    "FIT, 4–7 s": ("fit", (4, 7), True, False, False),
    "TCX, 1–7 s": ("tcx", (1, 7), True, False, False),
    "GPX, 1–7 s, no cadence": ("gpx", (1, 7), False, False, False),
    "GPX, 4–7 s, no cadence": ("gpx", (4, 7), False, False, False),
    "FIT, 1–7 s, hills + GPS noise": ("fit", (1, 7), True, True, False),
    "GPX, 4–7 s, no cad., hills + GPS noise": ("gpx", (4, 7), False, True, False),
    "FIT, 1–7 s, GPS spikes in every run": ("fit", (1, 7), True, False, True),
}


def rough(rec: pl.DataFrame, seed: int, drills: slice | None = None) -> pl.DataFrame:
    """Rolling hills (altitude a function of position: the same place, the same height; flat
    within 150 m of where the records ``drills`` ran: strides on a measured path, reps up one
    hill from flat ground) and a GPS fix wandering a few metres (AR(1), SD 4 m, ~5 s
    memory) over it all. The simulated runner's speed does not follow the terrain, so the
    drills are kept off it."""
    rng = np.random.default_rng(seed)
    lat, lon = rec["lat_deg"].to_numpy(), rec["lon_deg"].to_numpy()
    north = (lat - lat[0]) * 111_320.0
    east = (lon - lon[0]) * 111_320.0 * np.cos(np.radians(lat[0]))
    phase = rng.uniform(0, 2 * np.pi, 2)
    hills = (6.0 * np.sin(2 * np.pi * east / 550 + phase[0])
             + 5.0 * np.sin(2 * np.pi * north / 420 + phase[1]))
    if drills is not None and drills.stop > drills.start:
        near = np.hypot(east[:, None] - east[None, drills][:, ::5],
                        north[:, None] - north[None, drills][:, ::5]).min(axis=1)
        hills *= np.clip((near - 150.0) / 150.0, 0.0, 1.0)
    t = rec["elapsed_s"].to_numpy()
    keep = np.exp(-np.diff(t, prepend=t[0]) / 5.0)  # correlation over each sample's gap
    noise = rng.normal(0, 1, (t.size, 2))
    for i in range(1, t.size):
        noise[i] = keep[i] * noise[i - 1] + np.sqrt(1 - keep[i] ** 2) * noise[i]
    noise *= 4.0
    return rec.with_columns(
        altitude_m=pl.Series(rec["altitude_m"].to_numpy() + hills),
        lat_deg=pl.Series(lat + noise[:, 0] / 111_320.0),
        lon_deg=pl.Series(lon + noise[:, 1] / (111_320.0 * np.cos(np.radians(lat[0])))))


def simulated_runs(seed: int, n_runners: int = 8, weeks: int = 8, spikes: bool = False
                   ) -> tuple:
    """A cohort and, per runner, its technique and hill sessions plus as many others
    (outdoors; GPS spikes in every run or in none)."""
    c = simulate.cohort(n_runners, weeks, seed=seed, baseline_weeks=0,
                        rates={"treadmill": 0.0, "gps_spike": 1.0 if spikes else 0.0})
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


def simulated_file(c, run: dict, folder: Path, fmt: str, spacing, cadence: bool,
                   hilly: bool = False) -> Path:
    """One simulated run written as a file with records ``spacing`` seconds apart (on a
    :func:`rough` course when ``hilly``)."""
    task = c._run(run["run_id"]) | {"smart_recording": spacing is None}
    from runlab.simulate.records import run_records

    rec, events = run_records(task)
    if hilly:  # one record per planned second until thinned out below
        at = np.concatenate(list(planned_starts(run).values()))
        drills = slice(int(at.min()), int(at.max()) + 120) if at.size else None
        rec = rough(rec, run["seed"] % 2**32, drills)
    if spacing is not None:  # keep records 1–7 s (or 4–7 s) apart, first and last kept
        rec = thin(rec, spacing, run["seed"] % 2**32)
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
    fmt, spacing, cadence, hilly, spikes = CELLS[cell]
    total = {"strides": [0, 0, 0], "hill_reps": [0, 0, 0]}
    for seed in (100, 101):
        c, runs = simulated_runs(seed, n_runners=6, weeks=6, spikes=spikes)
        for run in runs.iter_rows(named=True):
            r = score_simulated(c, run, simulated_file(c, run, tmp_path, fmt, spacing, cadence,
                                                       hilly))
            for k, v in r.items():
                total[k] = [a + b for a, b in zip(total[k], v, strict=True)]
    for k, (true, found, invented) in total.items():
        assert true >= 10, k
        assert invented == 0, (k, total)
        assert found >= 0.95 * true, (k, total)
