"""Parallel, incremental ingest into the parquet store (runlab.cohort) and export."""

from __future__ import annotations

import gzip
import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

import runlab
from runlab import cohort
from runlab.cohort import Store, commit, discovery, executors, ingest, worker
from runlab.cohort import store as cstore
from runlab.io.fit_write import write_activity

START = pl.datetime(2026, 5, 4, 6, time_zone="UTC")


def fit_run(path: Path, seed: int, *, seconds: int = 300, day: int = 0) -> Path:
    """A small running FIT file (1 Hz, GPS, cadence, heart rate); unique per seed."""
    rng = np.random.default_rng(seed)
    speed = 2.6 + 0.3 * rng.random() + 0.05 * rng.standard_normal(seconds)
    dist = np.cumsum(speed)
    start = pl.select(START + pl.duration(days=day, minutes=seed)).item()
    rec = pl.DataFrame({
        "timestamp": pl.datetime_range(start, start + pl.duration(seconds=seconds - 1), "1s",
                                       eager=True),
        "distance_m": dist, "speed_mps": speed,
        "cadence_spm": 160 + 6 * speed + 1.5 * rng.standard_normal(seconds),
        "heart_rate_bpm": 140 + 3 * rng.standard_normal(seconds),
        "lat_deg": 48.0 + 0.01 * seed + dist / 111_000, "lon_deg": np.full(seconds, 11.0),
    })
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_activity(rec, path)


def inputs_of(root: Path) -> set[str]:
    """Activity inputs of a folder as the store names them (relative posix paths)."""
    out = set()
    for path in root.rglob("*"):
        rel = path.relative_to(root).as_posix()
        if (path.is_symlink() or not path.is_dir()) and not any(
                p.startswith(".") for p in Path(rel).parts) and path.name != "journal.csv":
            out.add(discovery._storable(rel))
    return out


def outcome(store: Store) -> dict[str, str]:
    """source_path → "run" or the error type."""
    out = {p: "run" for p in store.runs["source_path"]}
    out.update(zip(store.errors["source_path"], store.errors["error_type"], strict=True))
    return out


@pytest.fixture(scope="module")
def mixed(tmp_path_factory, corpus):
    """A cohort folder with good, corrupt, duplicate, non-activity and hostile files."""
    root = tmp_path_factory.mktemp("mixed") / "cohort"
    for i in range(3):
        fit_run(root / "r01" / f"run{i}.fit", seed=i, day=i)
        fit_run(root / "r02" / f"run{i}.fit", seed=10 + i, day=i)
    good = (root / "r01" / "run0.fit").read_bytes()
    shutil.copy(corpus / "files/gpx/runpandas__run.gpx", root / "r02" / "corpus_run.gpx")
    shutil.copy(corpus / "files/tcx/runpandas__run_garmin.tcx", root / "r02" / "garmin.tcx")
    bad = root / "r03"
    bad.mkdir()
    (bad / "copy_of_run0.fit").write_bytes(good)  # duplicate content
    (bad / "truncated.fit").write_bytes(good[: len(good) // 3])
    flipped = bytearray(good)
    flipped[200:260] = bytes(255 - b for b in flipped[200:260])
    (bad / "flipped.fit").write_bytes(bytes(flipped))
    shutil.copy(corpus / "files/tcx/runpandas__malformed.tcx", bad / "malformed.tcx")
    (bad / "notes.txt").write_text("ran 5 k, felt good\n")
    (bad / "photo.jpg").write_bytes(np.random.default_rng(0).bytes(5000))
    (bad / "empty.fit").write_bytes(b"")
    (bad / "huge.fit").write_bytes(good[:8] + (2**31).to_bytes(4, "little") + good[12:200])
    (bad / "billion_laughs.gpx").write_text(
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i else "&lol;" * 10}">'
                  for i in range(9))
        + ']><gpx version="1.1"><trk><trkseg><trkpt lat="1" lon="1"><name>&lol8;</name>'
          '</trkpt></trkseg></trk></gpx>')
    (bad / "deep.tcx").write_text('<?xml version="1.0"?><TrainingCenterDatabase>'
                                  + "<a>" * 50_000 + "</a>" * 50_000
                                  + "</TrainingCenterDatabase>")
    (bad / "noise.fit.gz").write_bytes(gzip.compress(np.random.default_rng(1).bytes(3000)))
    os.mkfifo(bad / "fifo.fit")  # opening it would block for ever
    (bad / "passwd.fit").symlink_to("/etc/passwd")
    (bad / "etc").symlink_to("/etc", target_is_directory=True)  # not followed
    fit_run(Path(os.fsdecode(bytes(bad) + b"/caf\xe9 run\n.fit")), seed=30)  # odd name
    (root / ".DS_Store").write_bytes(b"\0" * 10)  # hidden: ignored
    (root / "journal.csv").write_text(
        "date,runner_id,rpe,comfort,notes\n2026-05-04,r01,3,4,felt easy\n"
        "2026-05-05,r02,4,3,calf tight\n2026-05-06,r02,11,3,bad rpe\n")
    store = ingest(root, root / "store", workers=2, progress=False)
    return root, store


def test_every_input_ends_in_runs_or_errors(mixed):
    root, store = mixed
    got = outcome(store)
    assert got.pop("journal.csv") == "JournalError"  # its bad row, see below
    expected = inputs_of(root) - {p for p in inputs_of(root) if p.startswith("store/")}
    assert set(got) == expected
    assert not set(store.runs["source_path"]) & set(store.errors["source_path"])
    report = store.last_report
    assert report.files == len(expected) and report.read + report.failed == len(expected)
    assert report.ignored == 1


def test_good_files_become_runs_with_runner_ids_from_folders(mixed):
    _, store = mixed
    runs = store.runs.sort("source_path")
    fits = runs.filter(pl.col("format") == "fit", pl.col("source_path").str.starts_with("r0"))
    assert set(fits["runner_id"]) >= {"r01", "r02"}
    assert fits.filter(pl.col("runner_id") == "r01").height == 3
    assert (fits["sport"] == "running").all()
    # summarize ran: cadence near what was written (160 + 6·speed ≈ 177 steps/min)
    assert fits.filter(pl.col("runner_id").is_in(["r01", "r02"]))["cadence_spm"].is_between(
        170, 182).all()
    assert runs["file_sha256"].str.len_chars().unique().to_list() == [64]
    assert runs["run_id"].is_unique().all()
    assert {"r02/corpus_run.gpx", "r02/garmin.tcx"} <= set(runs["source_path"])
    # the file with an undecodable, newline-bearing name is stored under a printable name
    assert "r03/caf\\xe9 run\n.fit" in set(runs["source_path"])


def test_bad_files_are_errors_with_types_and_messages(mixed):
    _, store = mixed
    got = outcome(store)
    assert got["r03/copy_of_run0.fit"] == "DuplicateFile"
    err = store.errors.filter(pl.col("source_path") == "r03/copy_of_run0.fit")
    assert err["message"][0] == "same content as r01/run0.fit"
    for name in ("notes.txt", "photo.jpg", "empty.fit", "fifo.fit", "passwd.fit",
                 "malformed.tcx", "billion_laughs.gpx", "deep.tcx", "noise.fit.gz",
                 "huge.fit", "flipped.fit"):
        assert got[f"r03/{name}"] != "run", name
        assert got[f"r03/{name}"].endswith("Error"), (name, got[f"r03/{name}"])
    messages = dict(zip(store.errors["source_path"], store.errors["message"], strict=True))
    assert "symbolic link" in messages["r03/passwd.fit"]
    assert "not a regular file" in messages["r03/fifo.fit"]
    assert "symbolic link" in messages["r03/etc"]
    # a truncated file is refused, or read as far as it is sound and flagged partial
    if got["r03/truncated.fit"] == "run":
        assert store.runs.filter(pl.col("source_path") == "r03/truncated.fit")["partial"][0]
    # messages do not repeat the (possibly private) absolute path
    assert not store.errors["message"].str.contains(str(mixed[0]), literal=True).any()


def test_records_are_partitioned_by_runner_and_filters_prune(mixed):
    root, store = mixed
    assert (root / "store/records/runner_id=r01").is_dir()
    rec = store.records.collect()
    assert rec.height == store.runs["n_records"].sum()
    assert set(rec["run_id"]) == set(store.runs["run_id"])
    one = store.scan_records(runner_id="r01")
    plan = one.explain()
    assert "runner_id=r02" not in plan and "runner_id=r01" in plan
    assert set(one.collect()["runner_id"]) == {"r01"}
    # time filter: day 1 only (run1 of r01 and r02 start on 2026-05-05)
    day = store.scan_records(start="2026-05-05", end="2026-05-06").collect()
    assert day["timestamp"].dt.date().unique().to_list() == [date(2026, 5, 5)]
    assert set(day["runner_id"]) == {"r01", "r02"}
    sel = store.select_runs(runner_id=["r02"], start="2026-05-05")
    assert set(sel["source_path"]) == {"r02/run1.fit", "r02/run2.fit"}


def test_journal_table_and_bad_rows(mixed):
    _, store = mixed
    jr = store.journal
    assert jr.height == 2 and set(jr["runner_id"]) == {"r01", "r02"}
    err = store.errors.filter(pl.col("source_path") == "journal.csv")
    assert err["error_type"].to_list() == ["JournalError"]
    assert "rpe" in err["message"][0]


def test_rerun_is_a_no_op(mixed):
    root, store = mixed
    before = sorted(p.relative_to(root) for p in (root / "store").rglob("*"))
    again = ingest(root, root / "store", workers=2, progress=False)
    r = again.last_report
    assert (r.read, r.failed, r.skipped) == (0, 0, r.files)
    assert sorted(p.relative_to(root) for p in (root / "store").rglob("*")) == before
    assert again.runs.equals(store.runs)


def test_new_and_changed_files_are_picked_up(tmp_path):
    src = tmp_path / "src"
    for i in range(3):
        fit_run(src / "r01" / f"run{i}.fit", seed=i)
    store = ingest(src, tmp_path / "store", workers=1, progress=False)
    old = store.runs.filter(pl.col("source_path") == "r01/run0.fit")["file_sha256"][0]
    fit_run(src / "r01" / "run0.fit", seed=99)  # changed content, same path
    fit_run(src / "r02" / "new.fit", seed=100)
    store = ingest(src, tmp_path / "store", workers=1, progress=False)
    assert (store.last_report.read, store.last_report.skipped) == (2, 2)
    assert store.runs.height == 4 and store.runs["source_path"].is_unique().all()
    assert old not in set(store.runs["file_sha256"])
    assert not list((tmp_path / "store/records").rglob(f"{old}.parquet"))  # replaced
    assert store.records.collect().height == store.runs["n_records"].sum()


def test_a_store_made_by_another_runlab_is_ingested_anew(tmp_path, monkeypatch):
    src = tmp_path / "src"
    for i in range(3):
        fit_run(src / "r01" / f"run{i}.fit", seed=i)
    (src / "r01" / "journal.jsonl").write_text(
        '{"date": "2026-05-04", "runner_id": "r01", "rpe": 3}\n'
        '{"date": "2026-05-05", "runner_id": "r01", "rpe": 4}\n')
    store = ingest(src, tmp_path / "store", workers=1, progress=False)
    assert (tmp_path / "store/PIPELINE").read_text().startswith(cstore._pipeline() + "\n")
    runs, journal = store.runs, store.journal
    assert journal.height == 2
    monkeypatch.setattr(cstore, "PIPELINE", cstore.PIPELINE + 1)  # (as after an upgrade)
    again = ingest(src, tmp_path / "store", workers=1, progress=False)
    assert (again.last_report.read, again.last_report.skipped) == (3, 0)
    assert again.last_report.journals == 1
    assert (tmp_path / "store/PIPELINE").read_text().startswith(cstore._pipeline() + "\n")
    # the rows of the new reading replace the old ones: nothing doubled
    assert again.runs.height == 3 and again.runs["source_path"].is_unique().all()
    assert (again.runs["ingested_at"] > runs["ingested_at"].max()).all()
    assert again.journal.drop("ingested_at").equals(journal.drop("ingested_at"))
    assert again.records.collect().height == again.runs["n_records"].sum()
    third = ingest(src, tmp_path / "store", workers=1, progress=False)
    assert (third.last_report.read, third.last_report.skipped) == (0, 3)


def test_runner_mapping_csv_and_pseudonyms(tmp_path):
    src = tmp_path / "flat"
    for i in range(3):
        fit_run(src / f"a{i}.fit", seed=i)
    (tmp_path / "map.csv").write_text("path,runner_id\na0.fit,alice\na1.fit,alice\n"
                                      "a2.fit,b/o=b %2F\n")  # any id is one safe folder
    (src / "journal.jsonl").write_text('{"date": "2026-05-04", "runner_id": "alice", '
                                       '"rpe": 3}\n')
    store = ingest(src, tmp_path / "plain", runners=tmp_path / "map.csv", workers=1,
                   progress=False)
    assert dict(store.runs.select("source_path", "runner_id").iter_rows()) == {
        "a0.fit": "alice", "a1.fit": "alice", "a2.fit": "b/o=b %2F"}
    assert set(store.records.collect()["runner_id"]) == {"alice", "b/o=b %2F"}
    assert store.scan_records(runner_id="b/o=b %2F").collect().height == store.runs.filter(
        pl.col("source_path") == "a2.fit")["n_records"][0]
    hidden = ingest(src, tmp_path / "pseudo", runners=tmp_path / "map.csv", workers=1,
                    progress=False, pseudonymize_key="k3y")
    ids = set(hidden.runs["runner_id"])
    assert len(ids) == 2 and not ids & {"alice", "b/o=b %2F"}
    assert all(len(i) == 16 for i in ids)
    assert hidden.journal["runner_id"][0] == runlab.privacy.pseudonym("alice", "k3y")
    assert not hidden.runs["source_path"].str.contains(".fit", literal=True).any()
    assert {p.name for p in (tmp_path / "pseudo/records").iterdir()} == {
        f"runner_id={i}" for i in ids}
    again = ingest(src, tmp_path / "pseudo", runners=tmp_path / "map.csv", workers=1,
                   progress=False, pseudonymize_key="k3y")
    assert again.last_report.read == 0 and again.last_report.skipped == 3


def test_a_missing_store_or_source_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no runlab store"):
        _ = Store(tmp_path / "nope").runs
    with pytest.raises(FileNotFoundError, match="typo"):
        ingest(tmp_path / "typo", tmp_path / "store", progress=False)


def test_list_of_paths_and_lock(tmp_path):
    paths = [fit_run(tmp_path / "in" / "r09" / f"x{i}.fit", seed=i) for i in range(2)]
    store = ingest([str(p) for p in paths], tmp_path / "store", runner="r09", workers=1,
                   progress=False)
    assert set(store.runs["source_path"]) == {str(p) for p in paths}
    assert set(store.runs["runner_id"]) == {"r09"}
    with cstore._locked(tmp_path / "store"), pytest.raises(RuntimeError, match="another"):
        ingest(paths, tmp_path / "store", runner="r09", workers=1, progress=False)
    with cstore._locked(tmp_path / "store"), pytest.raises(RuntimeError, match="waited 1 s"):
        ingest(paths, tmp_path / "store", runner="r09", workers=1, progress=False,
               lock_timeout_s=1.0)


def test_concurrent_ingests_of_one_store_wait_for_each_other(tmp_path):
    for i in range(3):
        fit_run(tmp_path / "in" / "r10" / f"x{i}.fit", seed=i)
    script = ("import sys, runlab\n"
              "if __name__ == '__main__':\n"
              "    runlab.ingest(sys.argv[1], sys.argv[2], workers=1, progress=False,"
              " lock_timeout_s=120)\n")
    (tmp_path / "go.py").write_text(script)
    procs = [subprocess.Popen([sys.executable, str(tmp_path / "go.py"), str(tmp_path / "in"),
                               str(tmp_path / "store")]) for _ in range(2)]
    assert [p.wait(timeout=180) for p in procs] == [0, 0]
    assert Store(tmp_path / "store").runs.height == 3  # each file once


KILLER = textwrap.dedent("""
    import sys
    import runlab.cohort as c
    c.commit.BATCH_FILES = 4
    c.ingest(sys.argv[1], sys.argv[2], workers=2, progress=False)
""")


def _committed(store_path: Path) -> set[str]:
    return set(Store(store_path).runs["source_path"])


def _check_sound(store_path: Path) -> Store:
    """Everything visible is whole: tables read, each run's records file is complete."""
    store = Store(store_path)
    runs = store.runs
    assert runs["source_path"].is_unique().all()
    counts = store.records.group_by("run_id").len().collect()
    assert dict(counts.iter_rows()) == dict(runs.select("run_id", "n_records").iter_rows())
    return store


N_MANY = 32


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    src = tmp_path_factory.mktemp("many") / "src"
    for i in range(N_MANY):
        fit_run(src / f"r{i % 4:02d}" / f"run{i:02d}.fit", seed=i, seconds=600, day=i // 4)
    (src / "r00" / "broken.fit").write_bytes(b".FIT" * 20)
    return src


@pytest.mark.slow
def test_killed_at_random_moments_loses_nothing_and_resumes(many, tmp_path):
    store_path = tmp_path / "store"
    rng = random.Random(8)
    seen: set[str] = set()
    for _ in range(3):
        proc = subprocess.Popen([sys.executable, "-c", KILLER, str(many), str(store_path)],
                                start_new_session=True)
        time.sleep(rng.uniform(0.3, 2.0))
        os.killpg(proc.pid, signal.SIGKILL)  # the ingest and its workers
        proc.wait()
        if not (store_path / "runs").is_dir():
            continue
        store = _check_sound(store_path)
        now = set(store.runs["source_path"])
        assert seen <= now  # nothing committed earlier is lost
        seen = now
    final = ingest(many, store_path, workers=2, progress=False)
    _check_sound(store_path)
    assert set(outcome(final)) == inputs_of(many)
    assert final.runs.height == N_MANY and final.errors.height == 1
    r = final.last_report
    assert r.skipped >= len(seen) and r.read + r.failed + r.skipped == N_MANY + 1
    assert not [p for p in store_path.rglob(".*") if p.name != ".lock"]  # no temp left
    reference = ingest(many, tmp_path / "clean", workers=2, progress=False)
    key = ["source_path", "run_id", "runner_id", "n_records", "cadence_spm", "distance_m"]
    assert final.runs.select(key).sort("source_path").equals(
        reference.runs.select(key).sort("source_path"))


@pytest.mark.slow
def test_kill_mid_ingest_then_rerun_has_no_duplicates(many, tmp_path):
    store_path = tmp_path / "store"
    proc = subprocess.Popen([sys.executable, "-c", KILLER, str(many), str(store_path)],
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while not list((store_path / "runs").glob("part-*.parquet")):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    committed = _check_sound(store_path).runs.height
    assert 0 < committed < N_MANY
    store = ingest(many, store_path, workers=2, progress=False)
    assert store.last_report.skipped >= committed
    assert store.runs.height == N_MANY and store.runs["file_sha256"].is_unique().all()
    _check_sound(store_path)


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_store(many, tmp_path):
    distributed = pytest.importorskip("distributed")
    local = ingest(many, tmp_path / "local", workers=2, progress=False)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = ingest(many, tmp_path / "dask", client=client, progress=False)
    drop = ["ingested_at"]
    # same values; floats to 1e-9 (polars may sum in another order in threads)
    assert_frame_equal(remote.runs.drop(drop).sort("source_path"),
                       local.runs.drop(drop).sort("source_path"), rel_tol=1e-9)
    assert_frame_equal(remote.errors.drop(drop), local.errors.drop(drop))
    sort = ["run_id", "timestamp"]
    assert_frame_equal(remote.records.collect().sort(sort), local.records.collect().sort(sort),
                       rel_tol=1e-9)


def test_export_masks_pseudonymises_and_drops_notes(mixed, tmp_path):
    root, store = mixed
    out = cohort.export(store, tmp_path / "share", key="k")
    runs = out.runs
    assert runs.height == store.runs.height
    assert not set(runs["runner_id"]) & {"r01", "r02"}
    assert not set(runs["run_id"]) & set(store.runs["run_id"])
    assert not runs["source_path"].str.contains("/", literal=True).any()
    assert runs["warnings"].is_null().all()
    rec = out.records.collect()
    assert rec.height == store.records.collect().height
    assert rec["position_masked"].any()
    assert rec.filter("position_masked")["lat_deg"].is_null().all()
    # the start of every run is gone
    starts = rec.sort("timestamp").group_by("run_id", maintain_order=True).first()
    assert starts["lat_deg"].is_null().all()
    assert out.journal["notes"].is_null().all()  # dropped (the view shows it empty)
    assert set(out.journal["runner_id"]) <= set(runs["runner_id"])
    with_notes = cohort.export(store, tmp_path / "share2", key="k", include_notes=True)
    assert "felt easy" in with_notes.journal["notes"].to_list()
    assert with_notes.runs["runner_id"].sort().equals(runs["runner_id"].sort())
    with pytest.raises(ValueError, match="new or empty"):
        cohort.export(store, tmp_path / "share", key="k")


def test_cli_ingest_and_export(tmp_path):
    src = tmp_path / "src"
    fit_run(src / "r01" / "a.fit", seed=1)
    (src / "r01" / "junk.fit").write_bytes(b"nope")
    env = {**os.environ, "RUNLAB_KEY": "k"}
    done = subprocess.run([sys.executable, "-m", "runlab.cli", "ingest", str(src),
                           str(tmp_path / "st"), "--workers", "1"],
                          capture_output=True, text=True, env=env, check=True)
    assert "2 files: 1 read, 0 skipped" in done.stdout and "1 failed" in done.stdout
    assert "UnsupportedFormatError" in done.stdout
    assert "ingest [" in done.stderr  # the progress line
    done = subprocess.run([sys.executable, "-m", "runlab.cli", "export", str(tmp_path / "st"),
                           str(tmp_path / "out"), "--zone", "48.0,11.0"],
                          capture_output=True, text=True, env=env, check=True)
    assert "exported 1 runs" in done.stdout
    assert Store(tmp_path / "out").runs["runner_id"][0] == runlab.privacy.pseudonym("r01", "k")


def _crash_on_poison(task: worker._Task) -> dict:
    """Worker stand-in: dies (like a reader crashing the interpreter) on 'poison' files."""
    if "poison" in task.source_path:
        os._exit(70)
    return {"ok": True, "source_path": task.source_path}


@pytest.mark.slow
def test_a_file_that_kills_its_worker_is_isolated_and_the_batch_goes_on():
    names = [f"f{i}" for i in range(10)] + ["poison"] + [f"g{i}" for i in range(5)]
    tasks = iter([worker._Task(n, n, None, None, f"{i:064d}", "") for i, n in enumerate(names)])
    results = list(executors._results_local(tasks, 2, _crash_on_poison))
    assert len(results) == len(names)
    bad = [r for r in results if not r["ok"]]
    assert [(r["source_path"], r["error_type"]) for r in bad] == [("poison", "WorkerCrashed")]
    assert {r["source_path"] for r in results if r["ok"]} == set(names) - {"poison"}


def test_many_small_commits_are_compacted_without_change(tmp_path, monkeypatch):
    src = tmp_path / "src"
    for i in range(9):
        fit_run(src / "r01" / f"run{i}.fit", seed=i, seconds=60)
    (src / "r01" / "bad.fit").write_bytes(b"x")
    monkeypatch.setattr(commit, "BATCH_FILES", 1)  # a part per file
    monkeypatch.setattr(cstore, "COMPACT_PARTS", 4)
    store = ingest(src, tmp_path / "store", workers=1, progress=False)
    assert len(list((tmp_path / "store/runs").glob("part-*.parquet"))) == 1
    assert len(list((tmp_path / "store/errors").glob("part-*.parquet"))) == 1
    assert store.runs.height == 9 and store.errors.height == 1
    again = ingest(src, tmp_path / "store", workers=1, progress=False)
    assert again.last_report.skipped == 10


@pytest.mark.slow
def test_bulk_export_zips_are_read_member_by_member(tmp_path):
    import zipfile

    runs = [fit_run(tmp_path / "gen" / f"{i}.fit", seed=40 + i).read_bytes() for i in range(3)]
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("UploadedFiles/123_456.fit", runs[2])
    export = tmp_path / "src" / "r05" / "export_123.zip"
    export.parent.mkdir(parents=True)
    with zipfile.ZipFile(export, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("activities/1.fit", runs[0])
        zf.writestr("activities/2.fit.gz", gzip.compress(runs[1]))
        zf.writestr("activities/3.fit", b"not a fit file")
        zf.writestr("media/photo.jpg", b"\xff\xd8 jpeg")
        zf.write(inner, "DI_CONNECT/uploads.zip")
    with zipfile.ZipFile(tmp_path / "src" / "evil.zip", "w") as zf:
        zf.writestr("../../escape.fit", runs[0])
    store = ingest(tmp_path / "src", tmp_path / "store", workers=1, progress=False)
    got = outcome(store)
    name = "r05/export_123.zip!"
    assert got == {f"{name}activities/1.fit": "run", f"{name}activities/2.fit.gz": "run",
                   f"{name}DI_CONNECT/uploads.zip!UploadedFiles/123_456.fit": "run",
                   f"{name}activities/3.fit": "UnsupportedFormatError",
                   "evil.zip": "UnsafeArchiveError"}
    assert set(store.runs["runner_id"]) == {"r05"}
    assert store.last_report.ignored == 1  # the photo
    # a zip given directly: the export's name is the runner
    direct = ingest(export, tmp_path / "direct", workers=1, progress=False)
    assert set(direct.runs["runner_id"]) == {"export_123"} and direct.runs.height == 3
    again = ingest(tmp_path / "src", tmp_path / "store", workers=1, progress=False)
    assert again.last_report.read == 0 and again.last_report.skipped == 5


def test_phone_accelerometer_logs_are_ingested_as_step_cadence(tmp_path):
    from runlab import simulate

    relative = tmp_path / "in" / "p01" / "phyphox.csv"  # seconds from the start: no date
    relative.parent.mkdir(parents=True)
    simulate.phone_log(relative, spm=170, seconds=30, placement="pocket", seed=3)
    with pytest.raises(runlab.errors.UnsupportedFormatError, match="read_imu"):
        runlab.read(relative)  # the reader layer points to the IMU reader
    # the same log with the phone's absolute clock (Sensor Logger: ns since 1970)
    log = pl.read_csv(relative)
    t0_ns = 1_780_000_000 * 10**9
    absolute = tmp_path / "in" / "p01" / "Accelerometer.csv"
    pl.DataFrame({"time": (log[log.columns[0]] * 1e9).cast(pl.Int64) + t0_ns,
                  "seconds_elapsed": log[log.columns[0]], "z": log[log.columns[3]],
                  "y": log[log.columns[2]], "x": log[log.columns[1]]}).write_csv(absolute)
    store = ingest(tmp_path / "in", tmp_path / "store", workers=1, progress=False)
    row = store.runs.row(0, named=True)  # ingest counts the steps of the dated log...
    assert store.runs.height == 1 and row["format"] == "imu"
    assert row["cadence_spm"] == pytest.approx(170, abs=3)
    assert row["start_time"].year == 2026
    error = store.errors.row(0, named=True)  # ...and says why the undated one is not a run
    assert error["source_path"].endswith("phyphox.csv") and "relative clock" in error["message"]
