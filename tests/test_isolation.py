"""Untrusted reads under hard limits (runlab.isolation) and what ingest makes of them."""

from __future__ import annotations

import time

import polars as pl
import pytest
from test_cohort import fit_run, outcome

from runlab import isolation
from runlab.cohort import Store, commit, executors, ingest, worker
from runlab.errors import MemoryLimitError, ReadError, TimeLimitError
from runlab.isolation import IsolatedPool, Job, Limits, limits_for


def _sleep_on_slow(task: worker._Task) -> dict:
    """Worker stand-in: hangs on 'slow' files, hogs memory on 'hog' files."""
    if "slow" in task.source_path:
        time.sleep(600)
    if "hog" in task.source_path:
        import numpy as np

        return {"ok": True, "n": float(np.ones(2**31 // 8).sum())}  # 2 GiB, touched
    return {"ok": True, "source_path": task.source_path}


def _task(name: str, i: int) -> worker._Task:
    return worker._Task(name, name, None, None, f"{i:064d}", "")


def test_limit_errors_are_read_errors_naming_the_file():
    for cls in (TimeLimitError, MemoryLimitError):
        exc = cls("/data/a.fit", "too long")
        assert isinstance(exc, ReadError) and "/data/a.fit" in str(exc)


def test_default_limits_scale_with_size_and_zero_switches_off():
    small, big = limits_for(0), limits_for(10 * 2**20)
    assert small == Limits(isolation.TIME_BASE_S, isolation.MEMORY_BASE_MIB)
    assert big.time_s == pytest.approx(isolation.TIME_BASE_S + 10 * isolation.TIME_PER_MIB_S)
    assert big.memory_mib > small.memory_mib
    assert limits_for(5, time_limit_s=3, memory_limit_mib=0) == Limits(3, None)


@pytest.mark.slow
def test_a_hanging_and_a_hogging_file_become_error_rows_and_the_batch_goes_on():
    def run(names, **limits):
        tasks = iter([_task(n, i) for i, n in enumerate(names)])
        results = list(executors._results_local(tasks, 2, _sleep_on_slow, **limits))
        return results, {r["source_path"]: r.get("error_type") for r in results}

    t0 = time.monotonic()
    _, types = run(["a", "slow", "b", "c"], time_limit_s=3, memory_limit_mib=0)
    assert time.monotonic() - t0 < 300  # hang guard: the hang itself is 600 s
    assert types == {"a": None, "b": None, "c": None, "slow": "TimeLimitError"}
    results, types = run(["d", "hog", "e"], time_limit_s=0, memory_limit_mib=600)
    assert types == {"d": None, "e": None, "hog": "MemoryLimitError"}
    hog = next(r for r in results if r["source_path"] == "hog")
    assert "600 MiB" in hog["message"] and "memory_limit_mib" in hog["message"]


@pytest.mark.slow
def test_files_on_a_dask_cluster_run_under_the_same_limits():
    distributed = pytest.importorskip("distributed")
    tasks = iter([_task(n, i) for i, n in enumerate(["a", "slow", "b"])])
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        t0 = time.monotonic()
        results = list(executors._results_dask(tasks, client, _sleep_on_slow,
                                               time_limit_s=3, memory_limit_mib=0))
        assert time.monotonic() - t0 < 300  # hang guard: the hang itself is 600 s
    types = {r["source_path"]: r.get("error_type") for r in results}
    assert types == {"a": None, "b": None, "slow": "TimeLimitError"}


@pytest.mark.slow
def test_the_pool_reports_ticks_while_a_long_job_runs():
    with IsolatedPool(1, preload=()) as pool:
        jobs = [Job(time.sleep, (2.5,), "long", Limits(60, None))]
        seen = list(pool.run(jobs, tick_s=0.5))
    assert seen[:-1] and all(s is None for s in seen[:-1])  # ticks before the result
    assert seen[-1].error is None and seen[-1].seconds >= 2.5


def test_a_due_commit_happens_on_a_tick(tmp_path, monkeypatch):
    store = Store(tmp_path / "st")
    store._claim()
    from runlab.cohort.report import IngestReport, _Progress

    report = IngestReport()
    committer = commit._Committer(store, report, _Progress(report, False))
    committer.add({"ok": False, "source_path": "x", "file_sha256": "0" * 64,
                   "runner_id": None, "error_type": "ReadError", "message": "m"})
    assert store.errors.height == 0  # not yet due
    monkeypatch.setattr(commit, "BATCH_SECONDS", 0.0)
    committer.tick()
    assert Store(tmp_path / "st").errors["source_path"].to_list() == ["x"]


def test_ingest_limits_are_options_and_every_file_still_ends_somewhere(tmp_path):
    src = tmp_path / "src"
    for i in range(3):
        fit_run(src / "r01" / f"run{i}.fit", seed=i, seconds=60)
    store = ingest(src, tmp_path / "st", workers=1, progress=False, memory_limit_mib=20)
    assert set(outcome(store).values()) == {"MemoryLimitError"}  # a worker alone is > 20 MiB
    assert "memory_limit_mib" in store.errors["message"][0]
    store = ingest(src, tmp_path / "st", workers=1, progress=False, retry_errors=True)
    assert set(outcome(store).values()) == {"run"}


@pytest.mark.slow
def test_a_journal_with_a_million_columns_is_an_error_row_not_the_end(tmp_path):
    src = tmp_path / "src"
    fit_run(src / "r01" / "run0.fit", seed=1, seconds=60)
    header = "date,runner_id," + ",".join(f"c{i}" for i in range(10**6))
    (src / "journal.csv").write_text(header + "\n2026-05-04,r01" + "," * 10**6 + "\n")
    store = ingest(src, tmp_path / "st", workers=1, progress=False, memory_limit_mib=700,
                   time_limit_s=120)
    assert store.runs.height == 1
    err = store.errors.filter(pl.col("source_path") == "journal.csv")
    assert err.height == 1 and err["error_type"][0] in (
        "MemoryLimitError", "TimeLimitError", "JournalError", "FileTooLargeError",
        "CorruptFileError")


def _read_runs(path: str) -> int:
    return int(pl.read_parquet(path).height)


def test_run_isolated_returns_values_and_raises_errors(tmp_path):
    path = tmp_path / "x.parquet"
    pl.DataFrame({"a": [1, 2, 3]}).write_parquet(path)
    limits = Limits(60, 2048)
    assert isolation.run_isolated(_read_runs, (str(path),), str(path), limits) == 3
    with pytest.raises(FileNotFoundError):
        isolation.run_isolated(_read_runs, (str(tmp_path / "none"),), "none", limits)


@pytest.mark.slow
def test_runlab_info_reads_in_a_worker_under_its_limits(tmp_path):
    import subprocess
    import sys

    good = fit_run(tmp_path / "good.fit", seed=2, seconds=60)
    other = fit_run(tmp_path / "other.fit", seed=3, seconds=60)
    done = subprocess.run([sys.executable, "-m", "runlab.cli", "info", str(good), str(other),
                           "--memory-limit-mib", "20"], capture_output=True, text=True,
                          timeout=300)  # a worker alone is > 20 MiB: killed, not the command
    assert done.returncode == 1 and "2 of 2 files could not be read" in done.stderr
    assert f"{good}: reading needed more than the 20 MiB limit" in done.stderr
    done = subprocess.run([sys.executable, "-m", "runlab.cli", "info", str(good),
                           "--time-limit-s", "60"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "good.fit" in done.stdout
