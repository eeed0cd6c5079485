"""The embedded sample and the demo cohort: present, readable, reproducible, cached."""

from __future__ import annotations

import warnings
from pathlib import Path

import polars as pl
import pytest

import runlab
from runlab import datasets, journal

ROOT = Path(__file__).resolve().parents[1]


def test_sample_is_the_repository_data_folder():
    folder = datasets.sample()
    assert folder == ROOT / "data"
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert size <= 5 * 2**20
    readme = (folder / "README.md").read_text()
    assert "simulate.cohort(8, 10" in readme and "seed=7" in readme
    assert f"seed={datasets.SAMPLE['seed']}" in readme


def test_sample_files_read_back_to_their_truth():
    folder = datasets.sample()
    truth = pl.read_csv(folder / "runs_truth.csv")
    files = sorted(str(p.relative_to(folder)) for p in folder.glob("R*/*")
                   if p.suffix in (".fit", ".tcx", ".gpx"))  # activity files (not the phone log/clip)
    assert files == sorted(truth["path"].to_list())
    full = truth.group_by("runner_id").len().filter(pl.col("len") > 2)
    assert full.height == 1  # one runner's whole clinic ...
    clinic = truth.filter(pl.col("runner_id") == full["runner_id"][0])
    assert clinic["week"].max() == 10 and clinic["week"].min() == 1
    assert set(clinic["format"]) == {"fit", "gpx"} and (clinic["format"] == "fit").mean() > 0.9
    others = truth.filter(pl.col("runner_id") != full["runner_id"][0])
    assert others["runner_id"].n_unique() == datasets.SAMPLE_BASELINE_RUNNERS
    assert (others["session_type"] == "baseline_test").all()  # ... and baseline miles
    for row in truth.filter(~pl.col("doubled_cadence"), pl.col("gps_spikes") == 0) \
            .iter_rows(named=True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = runlab.summarize(runlab.read_activity(folder / row["path"]))
        assert s["cadence_spm"][0] == pytest.approx(row["cadence_spm"], abs=3.0), row["path"]
        assert s["distance_m"][0] == pytest.approx(row["distance_m"], rel=0.02), row["path"]


def test_sample_journal_links_to_the_sample_runs():
    folder = datasets.sample()
    jr = journal.read_journal(folder / "journal.csv")
    truth = pl.read_csv(folder / "runs_truth.csv", try_parse_dates=True)
    assert truth["start_time"].dtype == pl.Datetime("us", "UTC")
    linked = journal.attach(truth, jr, tz="Europe/Amsterdam")
    assert linked["link"].is_in(["date", "date_time"]).all()
    assert jr.height >= 0.8 * truth.height


def test_make_sample_is_reproducible(tmp_path):
    datasets.make_sample(tmp_path)
    repo = datasets.sample()
    ours = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    theirs = sorted(p.relative_to(repo) for p in repo.rglob("*") if p.is_file()
                    and p.name not in ("README.md", "make_sample.py"))
    assert ours == theirs
    for rel in ours:
        assert (tmp_path / rel).read_bytes() == (repo / rel).read_bytes(), rel


def test_sample_regenerates_into_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RUNLAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(datasets, "_REPO_DATA", tmp_path / "not-a-checkout")
    folder = datasets.sample()
    assert folder == tmp_path / "cache" / "sample"
    assert (folder / "journal.csv").exists() and any(folder.glob("R*/*.fit"))
    stamp = (folder / "journal.csv").stat().st_mtime_ns
    assert datasets.sample() == folder  # reused, not regenerated
    assert (folder / "journal.csv").stat().st_mtime_ns == stamp
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]


def test_cache_dir_honours_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("RUNLAB_CACHE", str(tmp_path / "x"))
    assert datasets.cache_dir() == tmp_path / "x"
    monkeypatch.delenv("RUNLAB_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert datasets.cache_dir() == tmp_path / "xdg" / "runlab"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/xdg")  # the XDG spec ignores it
    assert datasets.cache_dir() == Path.home() / ".cache" / "runlab"


def test_lab_and_coach_use_the_one_cache_folder(monkeypatch, tmp_path):
    from runlab import lab
    from runlab.widgets import coach

    monkeypatch.delenv("RUNLAB_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    _, env = lab.lab_command(tmp_path, open_browser=False)
    assert Path(env["JUPYTERLAB_SETTINGS_DIR"]).parent == tmp_path / "xdg" / "runlab"
    assert coach.dashboard_notebook().parent.parent == tmp_path / "xdg" / "runlab"


@pytest.mark.slow
def test_demo_cohort_store_and_tables(tmp_path, monkeypatch):
    monkeypatch.setenv("RUNLAB_CACHE", str(tmp_path))
    monkeypatch.setitem(datasets.DEMO, "n_runners", 4)
    monkeypatch.setitem(datasets.DEMO, "weeks", 3)
    folder = datasets.demo_cohort(workers=1)
    assert folder == tmp_path / "demo-cohort"
    runners = pl.read_csv(folder / "runners.csv")
    assert runners.height == 4
    stamp = (folder / "runners.csv").stat().st_mtime_ns
    assert datasets.demo_cohort() == folder
    assert (folder / "runners.csv").stat().st_mtime_ns == stamp
    monkeypatch.setitem(datasets.DEMO, "seed", 99)  # a different recipe is regenerated
    datasets.demo_cohort(workers=1)
    assert (folder / "runners.csv").stat().st_mtime_ns != stamp

    store = datasets.demo_store(workers=1)
    runs = datasets.demo_runs(store)
    truth = pl.read_csv(folder / "runs_truth.csv")
    assert runs.height == truth.height
    assert runs["week"].null_count() == 0 and runs["group"].null_count() == 0
    assert runs["group"].dtype == pl.Enum(["control", "cadence+7.5%"])
    targets = datasets.demo_targets(runs)
    assert targets.height == 4
    control = targets.filter(pl.col("group") == "control")
    assert (control["target_spm"] == control["habitual_spm"]).all()
    jr = datasets.demo_journal_runs(store)
    assert jr.height > 0 and jr["week"].null_count() == 0
