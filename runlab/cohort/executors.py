"""Where workers run: isolated local processes under limits, or a Dask cluster."""

from __future__ import annotations

import itertools
import multiprocessing
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any

from runlab.cohort.worker import _error_result, _ingest_one, _Task
from runlab.errors import ReadError, RunlabWarning, WorkerCrashed
from runlab.isolation import IsolatedPool, Job, limits_for

#: Tasks in flight per Dask worker thread (back-pressure: memory does not grow with the file
#: count). Local workers take one file at a time, each under its own limits.
IN_FLIGHT_PER_WORKER = 4


def _results_local(tasks: Iterator[_Task], workers: int,
                   work: Callable[[_Task], dict[str, Any]] | None = None, *,
                   time_limit_s: float | None = None, memory_limit_mib: float | None = None,
                   pool: IsolatedPool | None = None, tick_s: float | None = None,
                   ) -> Iterator[dict[str, Any] | None]:
    """Results of ``tasks`` from isolated worker processes (:mod:`runlab.isolation`), in
    completion order; with ``tick_s``, ``None`` after every ``tick_s`` seconds without a
    result (the caller commits what is finished meanwhile).

    Each file runs under its limits (:func:`runlab.isolation.limits_for` of its size, or
    ``time_limit_s``/``memory_limit_mib``): a file past them costs its worker, which is
    replaced, and becomes a ``TimeLimitError``/``MemoryLimitError`` row. A worker dying on
    a file (a reader crashing the interpreter, the kernel's OOM killer) makes a
    ``WorkerCrashed`` row. The batch goes on.
    """
    work = work or _ingest_one
    first = next(tasks, None)
    if first is None:  # nothing new: start no processes
        return
    tasks = itertools.chain([first], tasks)
    jobs = (Job(work, (task,), task.name,
                limits_for(task.size_bytes, time_limit_s, memory_limit_mib), task)
            for task in tasks)
    own = pool is None
    pool = pool or IsolatedPool(workers, preload=_PRELOAD)
    try:
        for out in pool.run(jobs, tick_s=tick_s):
            if out is None:
                yield None
            elif out.error is None:
                yield out.value
            else:
                yield _error_result(out.job.tag, out.error)
    finally:
        if own:
            pool.close()


#: What a worker imports before its first file (not counted in that file's time limit).
_PRELOAD = ("runlab.cohort.worker", "runlab.clean", "runlab.metrics", "runlab.io.fit",
            "runlab.io.gpx", "runlab.io.tcx")


#: One isolated process per Dask worker thread, started at its first file.
_DASK_THREAD = threading.local()


def _ingest_one_limited(task: _Task, time_limit_s: float | None,
                        memory_limit_mib: float | None,
                        work: Callable[[_Task], dict[str, Any]] = _ingest_one) -> dict[str, Any]:
    """:func:`_ingest_one` on a Dask worker, under the same limits as a local ingest.

    Each worker thread keeps one isolated process (:mod:`runlab.isolation`); a file past
    its limits costs that process, which is replaced, and becomes an error row. Dask's
    default nanny makes worker processes daemonic, and a daemonic process may not start
    children: there the file is read in the worker itself, with a ``RunlabWarning`` saying
    how to restore the limits (Dask config ``distributed.worker.daemon: false``).
    """
    if multiprocessing.current_process().daemon:
        warnings.warn("runlab ingest on a Dask worker without per-file limits: the worker "
                      "process is daemonic; set the Dask config distributed.worker.daemon: "
                      "false so each file is read in an isolated process", RunlabWarning,
                      stacklevel=2)
        return work(task)
    pool = getattr(_DASK_THREAD, "pool", None)
    if pool is None:
        pool = _DASK_THREAD.pool = IsolatedPool(1, preload=_PRELOAD)
    try:
        return pool.call(work, (task,), task.name,
                         limits_for(task.size_bytes, time_limit_s, memory_limit_mib))
    except (ReadError, WorkerCrashed) as exc:
        return _error_result(task, exc)


def _results_dask(tasks: Iterator[_Task], client: Any,
                  work: Callable[[_Task], dict[str, Any]] | None = None, *,
                  time_limit_s: float | None = None, memory_limit_mib: float | None = None,
                  ) -> Iterator[dict[str, Any]]:
    """Results of ``tasks`` from a Dask cluster (``client.submit`` + ``as_completed``).

    Workers write records to the store path themselves, so it must be on a file system
    they share (always true for a ``LocalCluster``; a cluster file system for SLURM/K8s).
    Each file runs under its limits on the worker (:func:`_ingest_one_limited`). A worker
    dying repeatedly on one file (Dask retries it elsewhere) yields an error row.
    """
    from distributed import KilledWorker, as_completed

    n_threads = max(1, sum(client.nthreads().values()))
    submitted: dict[str, _Task] = {}
    queue = as_completed()

    def submit(task: _Task) -> None:
        fut = client.submit(_ingest_one_limited, task, time_limit_s, memory_limit_mib,
                            work or _ingest_one, pure=False)
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
