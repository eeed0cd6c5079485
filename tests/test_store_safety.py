"""A store that owns only what it made; a kill in the middle of a commit loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import polars as pl
import pytest
from test_cohort import _check_sound, fit_run

from runlab.cohort import Store, ingest
from runlab.cohort import store as cstore
from runlab.errors import StoreError


@pytest.fixture
def src(tmp_path):
    folder = tmp_path / "src"
    for i in range(2):
        fit_run(folder / "r01" / f"run{i}.fit", seed=i, seconds=60)
    return folder


def test_ingest_refuses_a_folder_that_is_not_a_store_and_touches_nothing(tmp_path, src):
    mine = tmp_path / "mydir"
    (mine / "records").mkdir(parents=True)
    (mine / "records" / "my_analysis.parquet").write_bytes(b"precious")
    (mine / "journal").mkdir()
    (mine / "journal" / ".my_notes").write_text("private")
    before = sorted(p.relative_to(mine) for p in mine.rglob("*"))
    with pytest.raises(StoreError, match="not a runlab store"):
        ingest(src, mine, workers=1, progress=False)
    assert sorted(p.relative_to(mine) for p in mine.rglob("*")) == before  # no .lock either
    assert (mine / "records" / "my_analysis.parquet").read_bytes() == b"precious"


def test_a_store_made_before_the_marker_is_adopted(tmp_path, src):
    store = ingest(src, tmp_path / "st", workers=1, progress=False)
    (store.path / cstore.MARKER).unlink()  # as runlab made stores before the marker
    again = ingest(src, tmp_path / "st", workers=1, progress=False)
    assert (store.path / cstore.MARKER).read_text().startswith("runlab ")
    assert again.runs.height == 2 and again.runs["source_path"].is_unique().all()


def test_cleaning_touches_only_what_the_store_wrote_and_never_follows_links(tmp_path, src):
    store = ingest(src, tmp_path / "st", workers=1, progress=False)
    part = next((store.path / "records").iterdir())
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / ("f" * 64 + ".parquet")).write_bytes(b"theirs")  # looks like a records file
    (foreign / ".x.parquet.abcdefgh.tmp").write_bytes(b"theirs")
    (store.path / "records" / "runner_id=linked").symlink_to(foreign, target_is_directory=True)
    (part / ("e" * 64 + ".parquet")).symlink_to(foreign / ("f" * 64 + ".parquet"))
    (part / "notes.parquet").write_bytes(b"mine, not runlab's")
    (store.path / "journal").mkdir(exist_ok=True)
    (store.path / "journal" / ".my_notes").write_text("private")
    orphan = part / ("0" * 64 + ".parquet")  # a records file of no committed run: runlab's
    orphan.write_bytes(b"")
    stale = store.path / "runs" / f".{cstore._part_name()}.abcd1234.tmp"  # a dead commit
    stale.write_bytes(b"")
    ingest(src, tmp_path / "st", workers=1, progress=False)
    assert sorted(p.name for p in foreign.iterdir()) == [".x.parquet.abcdefgh.tmp",
                                                         "f" * 64 + ".parquet"]
    assert (part / ("e" * 64 + ".parquet")).is_symlink()
    assert (part / "notes.parquet").exists() and (store.path / "journal/.my_notes").exists()
    assert not orphan.exists() and not stale.exists()


def test_a_linked_records_folder_is_not_cleaned(tmp_path, src):
    store = ingest(src, tmp_path / "st", workers=1, progress=False)
    elsewhere = tmp_path / "elsewhere"
    (store.path / "records").rename(elsewhere)
    (store.path / "records").symlink_to(elsewhere, target_is_directory=True)
    victim = next(elsewhere.iterdir()) / ("1" * 64 + ".parquet")
    victim.write_bytes(b"someone's")
    assert store._collect_garbage() == 0
    assert victim.exists()


def test_a_long_cjk_runner_name_works_and_keeps_its_id(tmp_path):
    name = "长跑爱好者" * 5 + "马拉松"  # 28 characters: 252 when percent-encoded
    assert len(name) == 28
    src = tmp_path / "src"
    fit_run(src / name / "a.fit", seed=3, seconds=60)
    fit_run(src / "short" / "b.fit", seed=4, seconds=60)
    store = ingest(src, tmp_path / "st", workers=1, progress=False)
    assert store.errors.height == 0 and set(store.runs["runner_id"]) == {name, "short"}
    assert all(len(p.name.encode()) <= 255 for p in (store.path / "records").iterdir())
    records = store.scan_records(runner_id=name).collect()
    assert records.height == 60 and records["runner_id"].unique().to_list() == [name]
    both = store.records.collect()
    assert set(both["runner_id"]) == {name, "short"} and both.height == 120
    assert store._collect_garbage() == 0  # its records are known as committed


KILL_IN_COMMIT = textwrap.dedent("""
    import os, sys, time
    import runlab.cohort as c
    c.commit.BATCH_FILES, c.commit.BATCH_SECONDS = 2, 1e9  # a commit every 2 files
    real_fsync, real_replace = os.fsync, os.replace
    stage, commits = sys.argv[3], [0]

    def fsync(fd):  # the real one, then a pause inside the commit of the 2nd runs part
        real_fsync(fd)
        name = os.readlink(f"/proc/self/fd/{fd}")
        if "/runs" in name and stage == "written" and ".tmp" in name:
            commits[0] += 1
            if commits[0] == 2:
                print("IN-COMMIT", flush=True)
                time.sleep(600)

    def replace(a, b):
        real_replace(a, b)
        if "/runs/" in str(b) and stage == "renamed":
            commits[0] += 1
            if commits[0] == 2:
                print("IN-COMMIT", flush=True)
                time.sleep(600)

    os.fsync, os.replace = fsync, replace
    c.ingest(sys.argv[1], sys.argv[2], workers=1, progress=False)
    print("DONE", flush=True)
""")


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["written", "renamed"])
def test_sigkill_while_a_commit_is_in_progress_loses_nothing(tmp_path, stage):
    src = tmp_path / "src"
    for i in range(7):
        fit_run(src / f"r{i % 2}" / f"run{i}.fit", seed=i, seconds=120)
    store_path = tmp_path / "st"
    proc = subprocess.Popen([sys.executable, "-c", KILL_IN_COMMIT, str(src), str(store_path),
                             stage], start_new_session=True, stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300  # hang guard
    line = ""
    while "IN-COMMIT" not in line and "DONE" not in line and time.monotonic() < deadline:
        line = proc.stdout.readline() or line
        if proc.poll() is not None:
            break
    assert "IN-COMMIT" in line
    os.killpg(proc.pid, signal.SIGKILL)  # the ingest and its workers, mid-commit
    proc.wait()
    proc.stdout.close()
    committed = set(Store(store_path).runs["source_path"])
    assert len(committed) == (2 if stage == "written" else 4)  # the 2nd part: not / whole
    _check_sound(store_path)
    store = ingest(src, store_path, workers=1, progress=False)
    assert store.last_report.skipped == len(committed)
    assert store.runs.height == 7 and store.runs["source_path"].is_unique().all()
    assert store.errors.height == 0
    _check_sound(store_path)
    assert not [p for p in store_path.rglob(".*") if p.name != ".lock"]  # no temp left
    records = pl.concat([pl.read_parquet(p) for p in (store_path / "records").rglob("*.parquet")])
    assert records["run_id"].n_unique() == 7  # no orphan records files either


def test_marker_check_runs_before_anything_is_written(tmp_path):
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / "keep.txt").write_text("x")
    with pytest.raises(StoreError):
        Store(folder)._claim()
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]
    assert Store(folder)._collect_garbage() == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    Store(empty)._claim()
    assert Path(empty / cstore.MARKER).read_text().startswith("runlab ")
