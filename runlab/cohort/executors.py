"""Where workers run: a local process pool (spawn) or a Dask cluster, a few tasks in flight."""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from runlab.cohort.worker import _error_result, _ingest_one, _Task
from runlab.errors import WorkerCrashed

#: Tasks in flight per worker (back-pressure: memory does not grow with the file count).
IN_FLIGHT_PER_WORKER = 4


def _results_local(tasks: Iterator[_Task], workers: int,
                   work: Callable[[_Task], dict[str, Any]] | None = None
                   ) -> Iterator[dict[str, Any]]:
    """Results of ``tasks`` from a process pool, in completion order, a few in flight.

    When a worker process dies (a reader crashing the interpreter, the kernel's OOM killer)
    the pool breaks and every task in flight fails with it. Those tasks are run again one
    at a time in a fresh pool; the one that breaks it alone is reported as
    ``WorkerCrashed`` and the batch goes on.
    """
    work = work or _ingest_one
    first = next(tasks, None)
    if first is None:  # nothing new: start no processes
        return
    tasks = itertools.chain([first], tasks)
    ctx = multiprocessing.get_context("spawn")  # fork after polars' threads can deadlock
    limit = workers * IN_FLIGHT_PER_WORKER
    suspects: deque[_Task] = deque()
    pending: dict[Any, _Task] = {}
    pool: ProcessPoolExecutor | None = None
    solo = False
    try:
        while True:
            if pool is None:
                pool = _started_pool(workers, ctx)
            if suspects:
                if not pending:
                    task = suspects.popleft()
                    pending[pool.submit(work, task)] = task
                    solo = True
            else:
                solo = False
                while len(pending) < limit and (task := next(tasks, None)) is not None:
                    pending[pool.submit(work, task)] = task
            if not pending:
                return
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            crashed = []
            for fut in done:
                task = pending.pop(fut)
                try:
                    yield fut.result()
                except BrokenProcessPool:
                    crashed.append(task)
            if crashed:
                crashed += pending.values()  # they die with the pool
                pending.clear()
                pool.shutdown(wait=False, cancel_futures=True)
                pool = None
                if solo:
                    yield _error_result(crashed[0], WorkerCrashed(
                        "the worker process died reading this file"))
                else:
                    suspects.extend(crashed)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _ping() -> int:
    return os.getpid()


def _started_pool(workers: int, ctx: Any) -> ProcessPoolExecutor:
    """A process pool whose workers are known to start (a crash later is the file's fault).

    Raises ``RuntimeError`` when they cannot: e.g. a script read from stdin cannot be
    re-imported by ``spawn``; then no file is blamed.
    """
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
    try:
        pool.submit(_ping).result()
    except BrokenProcessPool as exc:
        pool.shutdown(wait=False, cancel_futures=True)
        raise RuntimeError(
            "ingest worker processes cannot start (see their traceback above). In a script, "
            "put the call under `if __name__ == \"__main__\":` (each worker re-imports the "
            "script, Python's spawn start method); a script read from stdin cannot be "
            "re-imported: save it as a file, or pass client=") from exc
    return pool


def _results_dask(tasks: Iterator[_Task], client: Any) -> Iterator[dict[str, Any]]:
    """Results of ``tasks`` from a Dask cluster (``client.submit`` + ``as_completed``).

    Workers write records to the store path themselves, so it must be on a file system
    they share (always true for a ``LocalCluster``; a cluster file system for SLURM/K8s).
    A worker dying repeatedly on one file (Dask retries it elsewhere) yields an error row.
    """
    from distributed import KilledWorker, as_completed

    n_threads = max(1, sum(client.nthreads().values()))
    submitted: dict[str, _Task] = {}
    queue = as_completed()

    def submit(task: _Task) -> None:
        fut = client.submit(_ingest_one, task, pure=False)
        submitted[fut.key] = task
        queue.add(fut)

    for _ in range(n_threads * IN_FLIGHT_PER_WORKER):
        if (task := next(tasks, None)) is None:
            break
        submit(task)
    for fut in queue:
        task = submitted.pop(fut.key)
        try:
            result = fut.result()
        except KilledWorker as exc:  # the file made workers die (Dask retried it elsewhere)
            result = _error_result(task, WorkerCrashed(f"workers died reading this file: {exc}"))
        fut.release()
        yield result
        if (task := next(tasks, None)) is not None:
            submit(task)
