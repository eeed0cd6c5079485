"""The ingest: discover, plan what is new, run the workers, commit."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

from runlab.cohort.commit import _Committer
from runlab.cohort.discovery import _ArchiveBytes, _content, _discover, _Input
from runlab.cohort.executors import _PRELOAD, _results_dask, _results_local
from runlab.cohort.journals import _ingest_journals
from runlab.cohort.report import IngestReport, _Progress
from runlab.cohort.store import Store, _locked
from runlab.cohort.worker import _error_result, _Task
from runlab.errors import DuplicateFile, UnnamedRunnerError
from runlab.isolation import IsolatedPool

#: Seconds between checks, while files run, whether finished work is due to be committed.
_TICK_S = 1.0


def _plan(inputs: list[_Input], state: dict[str, tuple[str, bool]], store: Store,
          committer: _Committer, retry_errors: bool) -> Iterator[_Task]:
    """Tasks for the inputs that are new or changed; skips and unreadable files are
    settled here, duplicates of stored or earlier content go to errors."""
    by_content = {s: p for p, (s, only_error) in state.items() if not only_error}
    archives = _ArchiveBytes()
    try:
        for item in inputs:
            sha, data, problem = _content(item, archives)
            known = state.get(item.source_path)
            if known is not None and known[0] == sha and not (retry_errors and known[1]):
                committer.skip()
                continue
            task = _Task(item.source_path, item.location, item.member, item.runner_id, sha,
                         str(store.path), data, _size(item, data))
            if problem is None and item.runner_id is None:  # never a run of nobody
                problem = UnnamedRunnerError(f"{item.location}: not read: no runner id")
            if problem is not None:
                committer.add(_error_result(task, problem))
                continue
            first = by_content.get(sha)
            if first is not None and first != item.source_path:
                committer.add(_error_result(task, DuplicateFile(f"same content as {first}")))
                continue
            by_content[sha] = item.source_path
            yield task
    finally:
        archives.close()


def _size(item: _Input, data: bytes | None) -> int:
    if data is not None:
        return len(data)
    try:
        return os.lstat(item.location).st_size
    except OSError:
        return 0


#: Files that look like activities; others without a runner (a README next to the runner
#: folders) become error rows unread.
_ACTIVITY_SUFFIXES = (".fit", ".tcx", ".gpx", ".gz", ".zip", ".csv", ".json", ".xml")


def _refuse_unnamed(inputs: list[_Input]) -> None:
    """Refuse activity files without a runner id: a store never holds a run of nobody."""
    unnamed = [i.location for i in inputs if i.kind == "activity" and i.runner_id is None
               and i.location.lower().endswith(_ACTIVITY_SUFFIXES)]
    if unnamed:
        raise UnnamedRunnerError(
            f"{len(unnamed)} file(s) have no runner (e.g. {unnamed[0]}): name the runner "
            "(runlab ingest --runner NAME, ingest(..., runner=NAME)), map files to runners "
            "(--runners CSV with path,runner_id), or put each runner's files in a folder "
            "named after them; nothing was written")


def ingest(source: str | os.PathLike | Iterable[str | os.PathLike], store: str | os.PathLike,
           *, runners: Any = None, runner: str | None = None, client: Any = None,
           workers: int | None = None, progress: bool = True,
           pseudonymize_key: str | bytes | None = None, retry_errors: bool = False,
           lock_timeout_s: float = 0.0, time_limit_s: float | None = None,
           memory_limit_mib: float | None = None) -> Store:
    """Ingest activity files and journals into a parquet :class:`Store`, incrementally.

    Parameters
    ----------
    source
        A folder tree (runner ids from ``<root>/<runner_id>/...``), a bulk-export ``.zip``,
        one file, or a list of files. Files named like :data:`JOURNAL_PATTERNS` are read
        as journals; hidden files and :data:`SIDE_FILES` are ignored (and counted).
    store
        The store folder (created if needed). It may lie inside ``source``.
    runners
        Runner ids by file: a CSV path or frame with columns ``path``, ``runner_id`` (path
        relative to the source root, absolute, or a bare file name), or a dict. Wins over
        the folder layout.
    runner
        The runner id of every file that ``runners`` and the folder layout leave without
        one (a flat folder, one runner's export, a list of files). Ingest refuses, before
        writing anything, files that would end up with no runner.
    client
        A ``dask.distributed.Client``: run on its cluster instead of local processes.
    workers
        Local worker processes (default: the number of CPUs).
    progress
        Show a progress line on stderr.
    pseudonymize_key
        Store runner ids and source paths as keyed hashes (:func:`runlab.privacy.pseudonym`).
        Use the same key on every run of the same store.
    retry_errors
        Read again the files that failed before (after a reader was fixed).
    lock_timeout_s
        Seconds to wait for another ingest of the same store to finish (default 0: raise
        ``RuntimeError`` at once). The waiting ingest then only adds what is still new.
    time_limit_s, memory_limit_mib
        Hard limits of reading one file (activity, archive member or journal) in its worker
        process: wall-clock seconds and resident memory [MiB]. A file past them becomes a
        ``TimeLimitError``/``MemoryLimitError`` row and the batch goes on. Default: scaled
        with the file's size (:func:`runlab.isolation.limits_for`: 10 s + 5 s/MiB,
        1 GiB + 64 MiB/MiB); 0 switches a limit off. Local workers only (a Dask cluster
        has its own memory limits).

    The store folder must be new, empty or a runlab store (see :class:`Store`): ingest
    refuses (:class:`~runlab.errors.StoreError`) to write into or clean any other folder.
    Finished files are committed at least every :data:`BATCH_SECONDS`, also while one
    file runs long, and when the ingest stops (an exception, Ctrl-C or SIGTERM).

    Returns
    -------
    Store
        The store, with ``last_report`` (:class:`IngestReport`) of this run.
    """
    if isinstance(source, (str, os.PathLike)) and not os.path.lexists(source):
        raise FileNotFoundError(f"{os.fspath(source)}: no such folder, archive or file")
    if runner is not None and (not isinstance(runner, str) or not runner.strip()):
        raise ValueError(f"invalid runner {runner!r}; allowed: a non-empty runner id")
    st = Store(store)
    report = IngestReport()
    t0 = time.monotonic()
    inputs = _discover(source, runners, pseudonymize_key, st.path.resolve(), report, runner)
    _refuse_unnamed(inputs)
    st._claim()  # before the lock file or anything else is written
    n_workers = workers or os.cpu_count() or 1
    with _locked(st.path, lock_timeout_s), _sigterm_as_exit(), IsolatedPool(
            1 if client is not None else n_workers, preload=_PRELOAD) as pool:
        st._mark()
        st._collect_garbage()
        activities = [i for i in inputs if i.kind == "activity"]
        report.files = len(activities)
        since = st._since()  # rows made before, by another runlab, are read anew
        _ingest_journals([i for i in inputs if i.kind == "journal"], st, pseudonymize_key,
                         report, since, pool, time_limit_s, memory_limit_mib)
        state = st._state(since)
        bar = _Progress(report, progress)
        committer = _Committer(st, report, bar)
        tasks = _plan(activities, state, st, committer, retry_errors)
        if client is not None:
            results = _results_dask(tasks, client, time_limit_s=time_limit_s,
                                    memory_limit_mib=memory_limit_mib)
        else:
            results = _results_local(tasks, n_workers, time_limit_s=time_limit_s,
                                     memory_limit_mib=memory_limit_mib, pool=pool,
                                     tick_s=_TICK_S)
        try:
            for result in results:
                if result is None:  # a tick: commit what is finished if it is time
                    committer.tick()
                else:
                    committer.add(result)
        finally:
            committer.flush()
            report.seconds = time.monotonic() - t0
            bar.close()
        st._compact()
        st._collect_garbage()
    st.last_report = report
    return st


@contextlib.contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """While ingesting, SIGTERM raises SystemExit (so finished work is committed and the
    workers stopped on the way out) instead of ending the process on the spot."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    if previous is None:  # installed outside Python: restore the default
        previous = signal.SIG_DFL
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
