"""The embedded sample and the demo cohort: data on a fresh machine, with no account anywhere.

:func:`sample` is the repository's ``data/`` folder — one simulated runner's full 10-week
clinic (FIT files, a couple of TCX/GPX exports, the journal) plus baseline-mile sessions of a
handful of other runners — regenerated deterministically into the cache when runlab is
installed without it. :func:`demo_cohort` simulates a 24-runner × 12-week cohort on first use
and reuses it afterwards. Both are made by :mod:`runlab.simulate`, so the truth is known
(``runners.csv`` and ``runs_truth.csv`` beside the files).

The cache is ``~/.cache/runlab`` (``$XDG_CACHE_HOME/runlab`` when set); the ``RUNLAB_CACHE``
environment variable overrides it.

Example
-------
>>> import runlab
>>> folder = runlab.datasets.sample()          # doctest: +SKIP
>>> runlab.read(next(folder.glob("R*/*.fit")))  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from runlab._files import cache_dir

__all__ = ["sample", "sample_store", "demo_cohort", "demo_store", "demo_runs", "demo_targets",
           "demo_simulation", "demo_journal_runs", "make_sample", "cache_dir", "SAMPLE", "SAMPLE_PHONE",
           "SAMPLE_CLIP", "SAMPLE_FORM", "form_clip", "DEMO"]

#: The simulate call behind the sample (``data/README.md`` repeats it).
#: One runner's clinic for the tutorials: no separate baseline week (its week-1 mile is the
#: baseline test the curriculum reads).
SAMPLE = {"n_runners": 8, "weeks": 10, "groups": ["control", "cadence+7.5%"], "seed": 7,
          "baseline_weeks": 0}
#: How many other runners contribute their baseline-mile sessions to the sample.
SAMPLE_BASELINE_RUNNERS = 5
#: The sample runner's phone log (:func:`runlab.simulate.phone_log`, ``phone_pocket.csv``):
#: 30 s at their habitual cadence, phone in a trouser pocket.
SAMPLE_PHONE = {"spm": 168.0, "seconds": 30.0, "placement": "pocket", "seed": 7}
#: The sample runner's week-6 video clip (:func:`runlab.simulate.footfall_clip`,
#: ``clip_week6.mp4``): 4 s at their week-6 easy-run cadence (retrained, about +6 %).
SAMPLE_CLIP = {"spm": 178.0, "seconds": 4.0, "loudness_db": -16.0, "seed": 7}
#: The sample's side-view running clip (:func:`form_clip`): a rendered figure
#: (:func:`runlab.simulate.running_pose` drawn by :func:`runlab.simulate.figure.render_figure`),
#: no real person. ``R04/form_landmarks.csv`` holds what MediaPipe found in it
#: (``tools/make_form_sample.py``), so notebook 06 runs without the video extra.
SAMPLE_FORM = {"cadence_spm": 172.0, "seconds": 3.0, "fps": 30.0, "strike_deg": 10.0,
               "overstride_leg": 0.3, "trunk_lean_deg": 7.0, "leg_px": 115.0,
               "width_px": 480, "height_px": 270, "noise_px": 0.0, "seed": 24}
_FORM_LANDMARKS = Path(__file__).resolve().parent / "_data" / "form_landmarks.csv"
#: The simulate call behind the demo cohort.
#: Week 0 is the metronome-free baseline, weeks 1-10 the clinic, 11-12 follow-up.
DEMO = {"n_runners": 24, "weeks": 12, "groups": ["control", "cadence+7.5%"], "seed": 2026,
        "baseline_weeks": 1, "clinic_weeks": 10}
_MARKER = ".runlab-complete.json"
_REPO_DATA = Path(__file__).resolve().parent.parent / "data"


def sample_runner(runs: pl.DataFrame, runners: pl.DataFrame) -> str:
    """The runner whose whole clinic the sample keeps: the first retrained runner who
    completed the clinic (no drop-out) on a FIT device with a couple of TCX/GPX exports."""
    other = (runs.group_by("runner_id")
             .agg((pl.col("format") != "fit").sum().alias("exports"), pl.len().alias("runs")))
    ok = (runners.join(other, on="runner_id")
          .filter(pl.col("group") != "control", pl.col("dropout_week").is_null(),
                  pl.col("format") == "fit", pl.col("exports").is_between(1, 3))
          .sort("exports", "runs", "runner_id", descending=[True, True, False]))
    if ok.height == 0:
        raise RuntimeError("no runner fits the sample's description; change SAMPLE['seed']")
    return ok["runner_id"][0]


def make_sample(folder: str | os.PathLike, *, workers: int | None = 1) -> Path:
    """Write the sample into ``folder`` (what ``data/make_sample.py`` runs): the cohort of
    :data:`SAMPLE`, restricted to one runner's full clinic and the baseline-mile sessions
    of :data:`SAMPLE_BASELINE_RUNNERS` others, plus that runner's phone accelerometer log
    (:data:`SAMPLE_PHONE`) and video clip (:data:`SAMPLE_CLIP`)."""
    from runlab import simulate

    c = simulate.cohort(SAMPLE["n_runners"], SAMPLE["weeks"], tuple(SAMPLE["groups"]),
                        seed=SAMPLE["seed"], baseline_weeks=SAMPLE["baseline_weeks"])
    keep = sample_runner(c.runs, c.runners)
    others = [r for r in c.runners["runner_id"].to_list() if r != keep]
    baseline = others[:SAMPLE_BASELINE_RUNNERS]
    sub = c.filter((pl.col("runner_id") == keep)
                   | (pl.col("runner_id").is_in(baseline)
                      & (pl.col("session_type") == "baseline_test")))
    out = sub.write(folder, workers=workers)
    simulate.phone_log(out / keep / "phone_pocket.csv", **SAMPLE_PHONE)
    simulate.footfall_clip(out / keep / "clip_week6.mp4", **SAMPLE_CLIP)
    shutil.copyfile(_FORM_LANDMARKS, out / keep / "form_landmarks.csv")
    return out


def form_clip(path: str | os.PathLike) -> tuple[Path, pl.DataFrame]:
    """Render the sample's side-view running clip (:data:`SAMPLE_FORM`, about 100 kB, a
    few seconds) to ``path``; return the path and the true initial contacts."""
    from runlab.simulate import figure, running_pose

    pose, truth = running_pose(**SAMPLE_FORM)
    frames = figure.render_figure(pose, width_px=SAMPLE_FORM["width_px"],
                                  height_px=SAMPLE_FORM["height_px"])
    return figure.write_clip(path, frames, fps=SAMPLE_FORM["fps"]), truth


def sample() -> Path:
    """The sample data folder.

    In a source checkout (editable install) this is the repository's ``data/``; otherwise
    the same files are generated once, deterministically, into ``<cache>/sample``.
    """
    if (_REPO_DATA / "README.md").exists() and (_REPO_DATA / "journal.csv").exists():
        return _REPO_DATA
    recipe = {"sample": SAMPLE, "phone": SAMPLE_PHONE, "clip": SAMPLE_CLIP}
    return _cached("sample", recipe, lambda tmp: make_sample(tmp))


def demo_simulation():
    """The demo cohort in memory (:data:`DEMO`), with its truth
    (:meth:`runlab.simulate.Cohort.truth`)."""
    from runlab import simulate

    return simulate.cohort(DEMO["n_runners"], DEMO["weeks"], tuple(DEMO["groups"]),
                           seed=DEMO["seed"], baseline_weeks=DEMO["baseline_weeks"],
                           clinic_weeks=min(DEMO["clinic_weeks"], DEMO["weeks"]))


def demo_cohort(path: str | os.PathLike | None = None, *, workers: int | None = None) -> Path:
    """A simulated 24-runner × 12-week cohort (:data:`DEMO`), written on first use.

    Parameters
    ----------
    path : path, optional
        Where to keep it (default ``<cache>/demo-cohort``). An existing complete copy made
        by the same call is reused; generation writes to a temporary folder and renames it,
        so an interrupted run never leaves half a cohort behind.
    workers : int, optional
        Processes for writing the files (see :meth:`runlab.simulate.Cohort.write`).

    Returns
    -------
    pathlib.Path
        ``<path>/<runner_id>/<date>_<session>.fit`` (and some ``.tcx``/``.gpx``),
        ``journal.csv``, ``runners.csv`` and ``runs_truth.csv``.
    """

    def make(tmp: Path) -> Path:
        return demo_simulation().write(tmp, workers=workers)

    target = Path(path) if path is not None else None
    return _cached("demo-cohort", {"demo": DEMO}, make, target)


def _cached(name: str, recipe: dict, make, target: Path | None = None) -> Path:
    """``target`` (default ``<cache>/<name>``) made by ``make(tmp)`` unless a complete copy
    with the same recipe is there already."""
    target = target or cache_dir() / name
    from runlab import __version__

    stamp = {**recipe, "runlab": __version__}
    marker = target / _MARKER
    if marker.exists():
        try:
            if json.loads(marker.read_text()) == stamp:
                return target
        except (OSError, ValueError):
            pass
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        make(tmp)
        (tmp / _MARKER).write_text(json.dumps(stamp))
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if (target / _MARKER).exists():  # another process finished first
            return target
        raise
    return target


#: How long a cached store waits for another process (a notebook, ``runlab demo``) that is
#: ingesting it at the same moment [s].
STORE_WAIT_S = 600.0


def demo_store(path: str | os.PathLike | None = None, *, workers: int | None = None):
    """The demo cohort ingested into a parquet :class:`~runlab.cohort.Store` (default
    ``<cache>/demo-store``); the ingest is incremental, so later calls only open it."""
    from runlab.cohort import ingest

    source = demo_cohort(workers=workers)
    store = Path(path) if path is not None else cache_dir() / "demo-store"
    return ingest(source, store, workers=workers, progress=False, lock_timeout_s=STORE_WAIT_S)


def sample_store(path: str | os.PathLike | None = None, *, workers: int | None = None):
    """The embedded sample (:func:`sample`) ingested into a parquet
    :class:`~runlab.cohort.Store` (default ``<cache>/sample-store``); incremental, so later
    calls only open it."""
    from runlab.cohort import ingest

    store = Path(path) if path is not None else cache_dir() / "sample-store"
    return ingest(sample(), store, workers=workers, progress=False,
                  lock_timeout_s=STORE_WAIT_S)


def _truth(folder: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    runs = pl.read_csv(folder / "runs_truth.csv", columns=["path", "week", "session_type"])
    runners = pl.read_csv(folder / "runners.csv",
                          columns=["runner_id", "group", "height_m", "target_boost"])
    groups = DEMO["groups"] + sorted(set(runners["group"]) - set(DEMO["groups"]))
    return runs, runners.with_columns(pl.col("group").cast(pl.Enum(groups)))


def demo_runs(store=None) -> pl.DataFrame:
    """The demo store's runs (:data:`runlab.schema.RUNS` as summarized from the files)
    with ``week`` and ``session_type`` of the plan and the runner's ``group`` (an Enum,
    control first), ``height_m`` and ``target_boost`` from the simulation's truth."""
    st = store if store is not None else demo_store()
    truth, runners = _truth(demo_cohort())
    return (st.runs.join(truth.rename({"path": "source_path"}), on="source_path", how="left")
            .join(runners, on="runner_id", how="left"))


def demo_targets(runs: pl.DataFrame | None = None, *,
                 baseline_weeks: Sequence[int] = (0,)) -> pl.DataFrame:
    """Each demo runner's cadence target: habitual cadence at their own pace in the
    metronome-free baseline (``baseline_weeks``, default week 0: mean of their easy runs
    and baseline mile) × (1 + their group's boost). Boosted clinic weeks are never used
    as habitual. The target's pace is their mean running speed there (``run_speed_mps``:
    walk breaks excluded).

    Returns ``runner_id``, ``group``, ``habitual_spm``, ``speed_mps`` (the pace of the
    target) and ``target_spm`` [steps/min].
    """
    runs = runs if runs is not None else demo_runs()
    from runlab.models.cadence import running_speed

    base = running_speed(runs).filter(
        pl.col("week").is_in(list(baseline_weeks)), pl.col("cadence_spm").is_not_null(),
        pl.col("session_type").is_in(["easy", "baseline_test"]))
    return (base.group_by("runner_id", "group", "target_boost")
            .agg(pl.col("cadence_spm").mean().alias("habitual_spm"),
                 pl.col("speed_mps").mean())
            .with_columns((pl.col("habitual_spm") * (1 + pl.col("target_boost")))
                          .alias("target_spm"))
            .select("runner_id", "group", "habitual_spm", "speed_mps", "target_spm")
            .sort("runner_id"))


def demo_journal_runs(store=None) -> pl.DataFrame:
    """The demo journal linked to its runs (:func:`runlab.journal.attach` by local date),
    with each run's ``week``, ``group``, ``session_type``, ``cadence_spm`` and
    ``speed_mps``; entries that link to no run are dropped."""
    from runlab import journal
    from runlab.simulate import DEFAULT_TZ

    st = store if store is not None else demo_store()
    runs = demo_runs(st)
    linked = journal.attach(runs, st.journal, tz=DEFAULT_TZ)
    cols = runs.select("run_id", "week", "group", "session_type", "cadence_spm", "speed_mps")
    return linked.filter(pl.col("run_id").is_not_null()).join(cols, on="run_id", how="inner")
