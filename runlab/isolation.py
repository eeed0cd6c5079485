"""Untrusted reads in worker processes with a wall-clock limit and a memory cap.

A reader that meets a worst case nobody has found yet must cost one error row, never a hung
or aborted batch. :class:`IsolatedPool` runs jobs (a module-level function and its
arguments) in ``spawn``-ed worker processes, one job per worker at a time, and a watchdog
thread in the parent kills a worker whose job runs past its time limit
(:class:`~runlab.errors.TimeLimitError`) or whose resident memory (RSS, measured for the
whole process, so polars' and numpy's native allocations count) passes its memory cap
(:class:`~runlab.errors.MemoryLimitError`). A killed or crashed worker is replaced and the
next job goes on.

Why an RSS watchdog and not ``RLIMIT_AS``: a worker that has imported runlab already
reserves ~0.5 GiB of address space (polars' thread pool, OpenBLAS buffers) against ~65 MiB
resident, and the reservation grows with the thread count; an address-space cap tight
enough to matter would fail honest reads on machines with many cores. The watchdog samples
every :data:`POLL_S` seconds; a reader can overshoot the cap by what it allocates in that
time (tens of MiB), see SECURITY.md for the measured figures.

Default limits scale with the input's size (:func:`limits_for`). Reading one activity
file this way: :func:`runlab.io.read_isolated`.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import wait as wait_any
from typing import Any

from runlab.errors import MemoryLimitError, ReadError, TimeLimitError, WorkerCrashed

__all__ = ["IsolatedPool", "Limits", "limits_for", "run_isolated", "TIME_BASE_S",
           "TIME_PER_MIB_S", "MEMORY_BASE_MIB", "MEMORY_PER_MIB_MIB", "POLL_S"]

#: Default wall-clock limit of one file: ``TIME_BASE_S + TIME_PER_MIB_S`` × its size in MiB.
TIME_BASE_S = 10.0
TIME_PER_MIB_S = 5.0
#: Default memory cap (worker RSS) of one file: ``MEMORY_BASE_MIB + MEMORY_PER_MIB_MIB`` ×
#: its size in MiB. A worker holding runlab, polars and numpy is ~65–150 MiB resident; the
#: honest worst case measured is ~40 MiB per MiB of GPX (SECURITY.md).
MEMORY_BASE_MIB = 1024.0
MEMORY_PER_MIB_MIB = 64.0
#: Seconds between two watchdog samples of a busy worker.
POLL_S = 0.01
#: Seconds a new worker may take to start (import runlab) before the pool gives up.
START_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class Limits:
    """Hard limits of one job: wall-clock seconds and resident memory [MiB] (None: none)."""

    time_s: float | None
    memory_mib: float | None


def limits_for(size_bytes: int, time_limit_s: float | None = None,
               memory_limit_mib: float | None = None) -> Limits:
    """The limits of reading an input of ``size_bytes``: the given ones, else the defaults
    (:data:`TIME_BASE_S` + :data:`TIME_PER_MIB_S`/MiB, :data:`MEMORY_BASE_MIB` +
    :data:`MEMORY_PER_MIB_MIB`/MiB). A limit of 0 or below switches it off."""
    mib = max(size_bytes, 0) / 2**20
    t = TIME_BASE_S + TIME_PER_MIB_S * mib if time_limit_s is None else time_limit_s
    m = MEMORY_BASE_MIB + MEMORY_PER_MIB_MIB * mib if memory_limit_mib is None \
        else memory_limit_mib
    return Limits(t if t and t > 0 else None, m if m and m > 0 else None)


@dataclass
class Job:
    """One call ``fn(*args)`` in a worker; ``name`` (the file) goes into limit errors;
    ``tag`` is the caller's (returned with the result)."""

    fn: Callable[..., Any]
    args: tuple
    name: str
    limits: Limits
    tag: Any = None


@dataclass
class Outcome:
    """What came of a job: ``value`` or ``error``; ``peak_rss_mib`` as sampled."""

    job: Job
    value: Any = None
    error: BaseException | None = None
    peak_rss_mib: float = 0.0
    seconds: float = 0.0


@dataclass
class _Slot:
    process: Any = None
    conn: Any = None
    ps: Any = None  # psutil.Process
    job: Job | None = None
    started: float = 0.0
    killed: str | None = None  # "time" | "memory" when the watchdog killed it
    peak: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _worker_main(conn, preload: tuple[str, ...]) -> None:
    """Worker loop: import ``preload``, say ready, then run jobs until told to stop."""
    import importlib
    import warnings

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    for module in preload:
        importlib.import_module(module)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        fn, args = job
        try:
            with warnings.catch_warnings():
                out = ("ok", fn(*args))
        except MemoryError:
            out = ("memory", None)
        except BaseException as exc:  # every failure goes back to the parent
            out = ("err", exc)
        try:
            conn.send(out)
        except Exception as exc:  # an unpicklable value or exception
            conn.send(("err", RuntimeError(f"{type(out[1]).__name__}: {out[1]} "
                                           f"(not picklable: {exc})")))


class IsolatedPool:
    """``workers`` spawned processes running :class:`Job` s under their :class:`Limits`.

    Use as a context manager; :meth:`run` yields an :class:`Outcome` per job in completion
    order (and ``None`` every ``tick_s`` seconds without one, so that a caller can commit
    finished work while a long job runs); :meth:`call` runs one job and returns its value
    or raises its error.
    """

    def __init__(self, workers: int = 1, preload: Iterable[str] = ("runlab",),
                 poll_s: float = POLL_S):
        import psutil  # noqa: F401  (fail early when missing)

        self.workers = max(1, int(workers))
        self.preload = tuple(preload)
        self.poll_s = poll_s
        self._ctx = multiprocessing.get_context("spawn")  # fork after polars can deadlock
        self._slots = [_Slot() for _ in range(self.workers)]
        self._closed = threading.Event()
        self._watch = threading.Thread(target=self._watchdog, daemon=True,
                                       name="runlab-isolation-watchdog")
        self._watch.start()

    # -- lifecycle ---------------------------------------------------------------------
    def __enter__(self) -> IsolatedPool:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Stop every worker (politely, then by force)."""
        self._closed.set()
        for slot in self._slots:
            if slot.process is None:
                continue
            with contextlib.suppress(OSError, ValueError):
                if slot.job is None:
                    slot.conn.send(None)
            slot.process.join(timeout=2 if slot.job is None else 0)
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join()
            with contextlib.suppress(OSError):
                slot.conn.close()
            slot.process = None
        self._watch.join(timeout=1)

    def _start(self, slot: _Slot) -> None:
        import psutil

        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(target=_worker_main, args=(child, self.preload), daemon=True,
                                 name="runlab-isolated-worker")
        proc.start()
        child.close()
        try:
            ready = parent.poll(START_TIMEOUT_S) and _recv(parent)[0] == "ready"
        except (EOFError, OSError):  # it died starting
            ready = False
        if not ready:
            proc.kill()
            proc.join()
            raise RuntimeError(
                "worker processes cannot start (see their traceback above). In a script, put "
                "the call under `if __name__ == \"__main__\":` (each worker re-imports the "
                "script, Python's spawn start method); a script read from stdin cannot be "
                "re-imported: save it as a file, or pass client=")
        slot.process, slot.conn, slot.ps = proc, parent, psutil.Process(proc.pid)
        slot.job, slot.killed, slot.peak = None, None, 0

    def _retire(self, slot: _Slot) -> None:
        """Reap a dead or killed worker; its slot starts a new one when next needed."""
        if slot.process is not None:
            if slot.process.is_alive():
                slot.process.kill()
            slot.process.join()
            with contextlib.suppress(OSError):
                slot.conn.close()
        slot.process = slot.conn = slot.ps = None

    # -- watchdog ----------------------------------------------------------------------
    def _watchdog(self) -> None:
        import psutil

        while not self._closed.wait(self.poll_s):
            now = time.monotonic()
            for slot in self._slots:
                with slot.lock:
                    job, ps = slot.job, slot.ps
                    if job is None or ps is None or slot.killed:
                        continue
                    reason = None
                    if job.limits.time_s is not None and now - slot.started > job.limits.time_s:
                        reason = "time"
                    else:
                        try:
                            rss = ps.memory_info().rss
                        except psutil.Error:
                            continue
                        slot.peak = max(slot.peak, rss)
                        if (job.limits.memory_mib is not None
                                and rss > job.limits.memory_mib * 2**20):
                            reason = "memory"
                    if reason:
                        slot.killed = reason
                        with contextlib.suppress(OSError, AttributeError):
                            slot.process.kill()

    # -- running -----------------------------------------------------------------------
    def run(self, jobs: Iterable[Job], tick_s: float | None = None
            ) -> Iterator[Outcome | None]:
        """An :class:`Outcome` per job, in completion order; with ``tick_s``, ``None``
        after every ``tick_s`` seconds in which no job finished."""
        jobs = iter(jobs)
        exhausted = False
        while True:
            for slot in self._slots:
                if slot.job is None and not exhausted:
                    job = next(jobs, None)
                    if job is None:
                        exhausted = True
                        break
                    self._submit(slot, job)
            busy = [s for s in self._slots if s.job is not None]
            if not busy:
                return
            handles = [s.conn for s in busy] + [s.process.sentinel for s in busy]
            ready = wait_any(handles, timeout=tick_s)
            if not ready:
                yield None
                continue
            for slot in busy:
                if slot.conn in ready or slot.process.sentinel in ready:
                    yield self._finish(slot)

    def call(self, fn: Callable[..., Any], args: tuple, name: str, limits: Limits) -> Any:
        """Run ``fn(*args)`` in a worker; return its value or raise its error."""
        out = next(iter(self.run([Job(fn, args, name, limits)])))
        if out.error is not None:
            raise out.error
        return out.value

    def _submit(self, slot: _Slot, job: Job) -> None:
        if slot.process is None or not slot.process.is_alive():
            self._retire(slot)
            self._start(slot)
        with slot.lock:
            slot.job, slot.killed, slot.peak = job, None, 0
            slot.started = time.monotonic()
        try:
            slot.conn.send((job.fn, job.args))
        except (OSError, ValueError):  # it died meanwhile: reported by _finish
            pass

    def _finish(self, slot: _Slot) -> Outcome:
        job = slot.job
        message = None
        if slot.conn.poll():
            with contextlib.suppress(EOFError, OSError):
                message = _recv(slot.conn)
        with slot.lock:
            killed, peak = slot.killed, slot.peak
            seconds = time.monotonic() - slot.started
            slot.job = None
        out = Outcome(job, peak_rss_mib=peak / 2**20, seconds=seconds)
        if message is not None and message[0] in ("ok", "err"):
            if message[0] == "ok":
                out.value = message[1]
            else:
                out.error = message[1]
            if killed:  # finished as the watchdog struck: keep the result, not the worker
                self._retire(slot)
            return out
        if message is not None and message[0] == "memory":
            out.error = MemoryLimitError(job.name, "ran out of memory (MemoryError)")
            self._retire(slot)  # its heap may be fragmented beyond use
            return out
        code = slot.process.exitcode if slot.process is not None else None
        self._retire(slot)
        if killed == "time":
            out.error = TimeLimitError(job.name, f"reading took longer than the "
                                                 f"{job.limits.time_s:.3g} s limit "
                                                 "(time_limit_s)")
        elif killed == "memory":
            out.error = MemoryLimitError(job.name, f"reading needed more than the "
                                                   f"{job.limits.memory_mib:.0f} MiB limit "
                                                   "(memory_limit_mib)")
        else:
            out.error = WorkerCrashed(f"the worker process died reading this file "
                                      f"(exit code {code})")
        return out




def _recv(conn) -> tuple[str, Any]:
    try:
        return conn.recv()
    except (EOFError, OSError):
        raise
    except Exception as exc:  # an exception that cannot be unpickled in the parent
        return ("err", ReadError(None, f"worker result could not be decoded: {exc!r}"))


def run_isolated(fn: Callable[..., Any], args: tuple, name: str, limits: Limits) -> Any:
    """``fn(*args)`` in a fresh worker process under ``limits`` (a ~1 s start-up)."""
    with IsolatedPool(1) as pool:
        return pool.call(fn, args, name, limits)

