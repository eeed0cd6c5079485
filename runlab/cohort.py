"""Cohorts at scale: parallel, incremental ingest of activity files into a parquet store.

:func:`ingest` reads, cleans and summarizes every activity file of a folder tree, a bulk
export zip or a list of paths in worker processes (a local process pool, or a Dask cluster
with ``client=``) and writes a :class:`Store`::

    <store>/
      records/runner_id=<id>/<sha256>.parquet   cleaned records of one run (hive layout)
      runs/part-*.parquet                       one row per run, committed in batches
      errors/part-*.parquet                     one row per file that could not be ingested
      journal/part-*.parquet                    rows of the training journals found
      PIPELINE                                  which runlab made the rows (see below)
      .lock                                     held while an ingest writes

Guarantees
----------
- Every input file ends in ``runs`` or in ``errors`` (type and message); a corrupt or
  hostile file — or a worker process dying on one — never stops the batch.
- Files are identified by content (SHA-256). A re-run skips what is stored, picks up new
  files, and a file whose content changed replaces its old run. A second path with the
  same content as a stored run is listed in ``errors`` as ``DuplicateFile``.
- Crash safety: every file is written to a temporary name and renamed into place, so a
  kill at any moment leaves no torn file visible; runs and errors are committed in
  batches, and the state is derived from what is on disk, so an interrupted ingest resumes
  where its last commit ended, without duplicates. Records of runs not yet committed are
  never visible through :class:`Store` and are removed by the next ingest.
- Memory stays bounded: workers write records themselves and return a one-row summary;
  at most a few tasks per worker are in flight and results are committed in batches.
- Upgrades: the store records which runlab (version and :data:`PIPELINE`) made its rows.
  An ingest by another one reads every file anew — unchanged content included — so runs
  and records never mix what two versions of the readers, cleaning and summaries made.

Runner ids come from the folder layout ``<root>/<runner_id>/...`` or a mapping
(``runners=``: a CSV or frame with columns ``path``, ``runner_id``, or a dict); with
``pseudonymize_key=`` they — and the stored source paths — are keyed hashes
(:func:`runlab.privacy.pseudonym`), the same in runs, records and journal.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import io
import itertools
import multiprocessing
import os
import shutil
import stat
import sys
import time
import uuid
import warnings
import zipfile
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import polars as pl

from runlab import schema
from runlab.clean import FLAGS
from runlab.errors import CorruptFileError, ReadError, UnsupportedFormatError

__all__ = ["ingest", "export", "Store", "IngestReport", "RUNS_EXTRA", "ERRORS", "RECORDS_STORED",
           "JOURNAL_PATTERNS", "SIDE_FILES", "BATCH_FILES", "BATCH_SECONDS"]

#: File names read as training journals (case-insensitive globs).
JOURNAL_PATTERNS = ("journal*.csv", "journal*.tsv", "journal*.xlsx", "*.jsonl", "*.ndjson")
#: Side files at the root of a cohort folder that are neither activities nor journals (the
#: simulator's roster and truth tables); they are counted as ``ignored`` in the report.
SIDE_FILES = ("runners.csv", "runs_truth.csv")
#: Results per committed batch of the runs/errors tables (also committed every
#: :data:`BATCH_SECONDS`).
BATCH_FILES = 500
BATCH_SECONDS = 10.0
#: Tasks in flight per worker (back-pressure: memory does not grow with the file count).
IN_FLIGHT_PER_WORKER = 4
#: What ingest makes of a file (reading, cleaning, summarizing): raise it when a change
#: alters stored runs or records, so that stores made before are ingested anew.
PIPELINE = 1

#: Parts of a table above which an ingest compacts it into one file.
COMPACT_PARTS = 32
_NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"  # hive's name for a null partition value
_HASH_CHUNK = 1 << 20

#: Columns the store adds to :data:`runlab.schema.RUNS`.
RUNS_EXTRA: dict[str, pl.DataType] = {
    "source_path": pl.String,
    "file_sha256": pl.String,
    "sport": pl.String,
    "sub_sport": pl.String,
    "format": pl.String,
    "creator": pl.String,
    "partial": pl.Boolean,
    "warnings": pl.String,
    "end_time": schema.TIMESTAMP,
    "ingested_at": schema.TIMESTAMP,
}
#: The errors table: one row per input that could not be ingested.
ERRORS: dict[str, pl.DataType] = {
    "source_path": pl.String,
    "file_sha256": pl.String,
    "runner_id": pl.String,
    "error_type": pl.String,
    "message": pl.String,
    "ingested_at": schema.TIMESTAMP,
}
#: Columns of every records file: cleaned records with :func:`runlab.clean`'s flags and the
#: run id (``runner_id`` comes from the hive partition).
RECORDS_STORED: dict[str, pl.DataType] = {
    **schema.CLEANED,
    **{flag: pl.Float64 if flag == "sample_s" else pl.Boolean for flag in FLAGS},
    "run_id": pl.String,
}


# --------------------------------------------------------------------------- inputs

@dataclass(frozen=True)
class _Input:
    """One file to ingest: where it is and what the store will call it."""

    source_path: str  # as stored: relative to the source root, absolute, or pseudonymised
    location: str  # the file on disk (the archive for a member)
    member: str | None  # archive member name, or None
    runner_id: str | None
    kind: str  # "activity" | "journal"
    problem: ReadError | None = None  # known unreadable (an archive refused as a whole)


@dataclass(frozen=True)
class _Task:
    """What a worker needs to ingest one file (small and picklable)."""

    source_path: str
    location: str
    member: str | None
    runner_id: str | None
    file_sha256: str
    store: str
    data: bytes | None = None  # an archive member's bytes (read once, by the planner)


def _storable(text: str) -> str:
    """A path as valid UTF-8 (undecodable file-name bytes become ``\\xNN``), deterministic."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _runner_lookup(runners: Any) -> Callable[[str, str], str | None]:
    """``runners=`` (CSV path, frame or dict of path → runner_id) as a lookup by relative
    path, absolute path or file name."""
    if runners is None:
        return lambda rel, absolute: None
    if isinstance(runners, Mapping):
        table = {str(k): (None if v is None else str(v)) for k, v in runners.items()}
    else:
        frame = runners if isinstance(runners, pl.DataFrame) else pl.read_csv(
            runners, infer_schema=False)
        if not {"path", "runner_id"} <= set(frame.columns):
            raise ValueError(f"runners mapping needs columns 'path' and 'runner_id'; has "
                             f"{frame.columns}")
        table = dict(frame.select(pl.col("path").cast(pl.String),
                                  pl.col("runner_id").cast(pl.String)).iter_rows())
    table = {Path(k).as_posix(): v for k, v in table.items()}

    def lookup(rel: str, absolute: str) -> str | None:
        for key in (rel, absolute, Path(rel).name):
            if key in table:
                return table[key]
        return None

    return lookup


def _is_journal(name: str) -> bool:
    low = name.lower()
    return any(fnmatch.fnmatch(low, pat) for pat in JOURNAL_PATTERNS)


def _discover(source: Any, runners: Any, key: str | bytes | None, exclude: Path,
              report: IngestReport) -> list[_Input]:
    """Every input of ``source`` (folder, archive, path or list of paths), in a stable order;
    the activity files inside ``.zip`` exports are inputs of their own."""
    from runlab.privacy import pseudonym

    lookup = _runner_lookup(runners)
    mapping_file = (Path(runners).resolve() if isinstance(runners, (str, os.PathLike))
                    else None)

    def make(location: Path, rel: str, stored: str, member: str | None = None,
             problem: ReadError | None = None) -> _Input:
        parts = Path(rel).parts
        runner = lookup(rel, _storable(str(location))) or (parts[0] if len(parts) > 1 else None)
        if location.suffix.lower() == ".zip":  # a member: by its name, else the export's
            runner = (lookup(member, "") if member else None) or runner or location.stem
        name = Path(member or location.name).name
        kind = "journal" if member is None and _is_journal(name) else "activity"
        if member is not None:
            stored = f"{stored}!{_storable(member)}"
        if key is not None:
            runner = pseudonym(runner, key) if runner is not None else None
            stored = pseudonym(stored, key, length=32)
        return _Input(stored, str(location), member, runner, kind, problem)

    entries: list[tuple[Path, str, str]] = []  # (file, path relative to root, stored name)
    if isinstance(source, (str, os.PathLike)) and Path(source).is_dir():
        root = Path(source).resolve()
        for folder, dirs, files in os.walk(root):
            here = Path(folder)
            linked = [d for d in dirs if (here / d).is_symlink() and not d.startswith(".")]
            dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                             and not (here / d).is_symlink()
                             and (here / d).resolve() != exclude)
            for name in sorted([*files, *linked]):  # a linked folder is listed, not followed
                path = here / name
                if name.startswith(".") or path.resolve() == mapping_file or (
                        here == root and name.lower() in SIDE_FILES):
                    report.ignored += 1
                    continue
                rel = _storable(path.relative_to(root).as_posix())
                entries.append((path, rel, rel))
    else:
        paths = [source] if isinstance(source, (str, os.PathLike)) else list(source)
        absolute = [Path(os.path.abspath(p)) for p in paths]
        if absolute:
            root = Path(os.path.commonpath([p.parent for p in absolute]))
            # a list keeps absolute source paths (stable whatever else is listed with it)
            entries = [(p, _storable(p.relative_to(root).as_posix()), _storable(str(p)))
                       for p in absolute]
    out = []
    for path, rel, stored in entries:
        if path.suffix.lower() == ".zip" and path.is_file() and not path.is_symlink():
            members, skipped, problem = _archive_members(path)
            report.ignored += skipped
            if problem is not None:
                out.append(make(path, rel, stored, problem=problem))
            out += [make(path, rel, stored, member=m) for m in members]
        else:
            out.append(make(path, rel, stored))
    return out


def _archive_members(path: Path) -> tuple[list[str], int, ReadError | None]:
    """(activity members, number of other members, why the archive is refused) of a zip.

    Uses :mod:`runlab.io.archive`'s checks (zip-slip, zip bombs, sizes) before anything is
    decompressed; a nested zip (Garmin's export) contributes ``inner.zip!member`` names.
    """
    from runlab.io import MAX_FILE_BYTES
    from runlab.io import archive as arc

    members: list[str] = []
    skipped = 0
    try:
        with zipfile.ZipFile(path) as zf:
            for info in arc._checked(zf, str(path), "", MAX_FILE_BYTES, arc.MAX_TOTAL_BYTES):
                low = info.filename.lower()
                if low.endswith(".zip"):
                    inner = zipfile.ZipFile(io.BytesIO(arc._read(zf, info, str(path),
                                                                 MAX_FILE_BYTES)))
                    with inner:
                        for sub in arc._checked(inner, str(path), f"{info.filename}!",
                                                MAX_FILE_BYTES, arc.MAX_TOTAL_BYTES):
                            if sub.filename.lower().endswith(arc._ACTIVITY_SUFFIXES):
                                members.append(f"{info.filename}!{sub.filename}")
                            else:
                                skipped += 1
                elif low.endswith(arc._ACTIVITY_SUFFIXES):
                    members.append(info.filename)
                else:
                    skipped += 1
    except ReadError as exc:
        return [], 0, exc
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        return [], 0, CorruptFileError(str(path), f"not a readable zip archive: {exc}")
    return members, skipped, None


class _ArchiveBytes:
    """Reads archive members in archive order, keeping the current (inner) zip open."""

    def __init__(self):
        self._outer: tuple[str, zipfile.ZipFile] | None = None
        self._inner: tuple[str, zipfile.ZipFile] | None = None

    def read(self, location: str, member: str) -> bytes:
        from runlab.io import MAX_FILE_BYTES
        from runlab.io import archive as arc

        if self._outer is None or self._outer[0] != location:
            self.close()
            self._outer = (location, zipfile.ZipFile(location))
        zf = self._outer[1]
        if "!" in member:
            inner_name, member = member.split("!", 1)
            if self._inner is None or self._inner[0] != inner_name:
                if self._inner is not None:
                    self._inner[1].close()
                data = arc._read(zf, zf.getinfo(inner_name), location, MAX_FILE_BYTES)
                self._inner = (inner_name, zipfile.ZipFile(io.BytesIO(data)))
            zf = self._inner[1]
        return arc._read(zf, zf.getinfo(member), location, MAX_FILE_BYTES)

    def close(self) -> None:
        for held in (self._inner, self._outer):
            if held is not None:
                held[1].close()
        self._outer = self._inner = None


def _identify(item: _Input) -> tuple[str, str | None]:
    """(sha256 of the content, None) — or (a stand-in identity, why it cannot be read).

    Never opens anything but a regular file (a FIFO would block, a device never end) and
    never hashes a file above :data:`runlab.io.MAX_FILE_BYTES`.
    """
    from runlab.io import MAX_FILE_BYTES

    path = item.location
    try:
        st = os.lstat(path)
    except OSError as exc:
        return _stand_in(path, "gone"), f"cannot stat: {exc.strerror or exc}"
    if stat.S_ISLNK(st.st_mode):
        return _stand_in(path, os.readlink(path)), "a symbolic link (not followed)"
    if not stat.S_ISREG(st.st_mode):
        return _stand_in(path, oct(st.st_mode)), "not a regular file"
    if st.st_size > MAX_FILE_BYTES:
        return (_stand_in(path, f"{st.st_size}:{st.st_mtime_ns}"),
                f"{st.st_size} bytes is over the {MAX_FILE_BYTES} limit")
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(_HASH_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        return _stand_in(path, "unreadable"), f"cannot open: {exc.strerror or exc}"
    return digest.hexdigest(), None


def _stand_in(path: str, detail: str) -> str:
    """A deterministic identity for a file whose content is not read."""
    return hashlib.sha256(f"{_storable(path)}\0{detail}".encode()).hexdigest()


# --------------------------------------------------------------------------- the worker

def _partition(runner_id: str | None) -> str:
    """Hive folder of a runner (percent-encoded, so any id is one safe path component)."""
    return "runner_id=" + (_NULL_PARTITION if runner_id is None else quote(runner_id, safe=""))


def _records_path(store: str | Path, runner_id: str | None, file_sha256: str) -> Path:
    return Path(store) / "records" / _partition(runner_id) / f"{file_sha256}.parquet"


def _write_parquet(frame: pl.DataFrame, path: Path, *, durable: bool = True) -> None:
    """Write ``frame`` atomically (temp file, rename): readers see all of it or nothing.

    ``durable`` also fsyncs the file and its folder (survives a power cut, ~10 ms). Records
    files skip that; the commit of the runs that name them syncs them all at once first.
    """
    from runlab.journal import _atomic_write

    buf = io.BytesIO()
    # zstd level 1: same size as the default level here at 80 % of the CPU time
    frame.write_parquet(buf, compression="zstd", compression_level=1, statistics=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    if durable:
        _atomic_write(path, buf.getvalue())
        return
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_bytes(buf.getvalue())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _read_task(task: _Task):
    from runlab.io import read_activity, read_bytes_activity

    if task.data is None:
        with open(task.location, "rb") as fh:
            head = fh.read(4096)
            if _is_phone_log(head):
                return _phone_activity(head + fh.read(), task.location)
        return read_activity(task.location)
    name = f"{task.location}!{task.member}"
    act = (_phone_activity(task.data, name) if _is_phone_log(task.data[:4096])
           else read_bytes_activity(task.data, name))
    act.meta.update(archive=task.location, member=task.member)
    return act


def _is_phone_log(head: bytes) -> bool:
    """A phone accelerometer log (phyphox, Sensor Logger, ``t,ax,ay,az``) by its header."""
    from runlab.io.imu import is_imu_header
    from runlab.io.sniff import csv_separator, detect_bytes

    if detect_bytes(head) != "csv":
        return False
    first = head.split(b"\n", 1)[0].decode("utf-8", "replace").lstrip("\ufeff")
    return is_imu_header(first.split(csv_separator(first)))


def _phone_activity(data: bytes, name: str):
    """A phone accelerometer log as an Activity whose records carry step cadence
    (:func:`runlab.gait.steps`), so phone-only runners are summarized like watch runs.
    Logs with a relative clock (phyphox's seconds from the start) have no date and are
    refused (they land in the errors table)."""
    from runlab import gait
    from runlab.activity import Activity
    from runlab.io.imu import read_imu_bytes

    records = gait.step_records(gait.steps(read_imu_bytes(data, name)))
    if records.height and records["timestamp"][0].year < 2000:
        raise UnsupportedFormatError(name, "a phone accelerometer log with a relative clock (no "
                                           "date): a run needs a start time; read it with "
                                           "runlab.read_imu")
    return Activity(name, records, meta={"format": "imu", "sport": None,
                                         "creator": "phone accelerometer"})


def _ingest_one(task: _Task) -> dict[str, Any]:
    """Read, clean and summarize one file; write its records; return its runs row.

    Runs in a worker process. Every failure comes back as ``{"ok": False, ...}`` so that
    the batch goes on; the message never names the file (the store knows which it was,
    and a pseudonymised store must not leak the path).
    """
    from runlab import clean, summarize
    from runlab.errors import NotAnActivityError

    try:
        with warnings.catch_warnings():  # repairs are in the runs notes, reader warnings in meta
            warnings.simplefilter("ignore")
            act = _read_task(task)
            if act.records.height == 0:
                raise NotAnActivityError(task.location, "the file holds no records")
            run_id = task.file_sha256[:16]
            cleaned = clean(act.records, events=act.events)
            summary = summarize(cleaned, run_id=run_id, runner_id=task.runner_id)
        stored = cleaned.with_columns(pl.lit(run_id).alias("run_id")).select(
            [pl.col(c).cast(t) for c, t in RECORDS_STORED.items()])
        _write_parquet(stored, _records_path(task.store, task.runner_id, task.file_sha256),
                       durable=False)
        meta = act.meta
        row = summary.with_columns(
            pl.lit(task.source_path).alias("source_path"),
            pl.lit(task.file_sha256).alias("file_sha256"),
            pl.lit(meta.get("sport"), pl.String).alias("sport"),
            pl.lit(meta.get("sub_sport"), pl.String).alias("sub_sport"),
            pl.lit(meta.get("format"), pl.String).alias("format"),
            pl.lit(meta.get("creator"), pl.String).alias("creator"),
            pl.lit(bool(meta.get("partial", False))).alias("partial"),
            pl.lit("; ".join(map(str, meta.get("warnings") or [])) or None,
                   pl.String).alias("warnings"),
            pl.lit(stored["timestamp"].max(), schema.TIMESTAMP).alias("end_time"),
        )
        return {"ok": True, "row": row}
    except Exception as exc:  # every failure, even a reader's bug, becomes an error row
        return _error_result(task, exc)


def _message(exc: BaseException, location: str) -> str:
    """What went wrong, without the file's own path (the store names the file)."""
    message = exc.reason if isinstance(exc, ReadError) else str(exc)
    return (message.replace(location, "<file>") or repr(exc))[:2000]


def _error_result(task: _Task, exc: BaseException) -> dict[str, Any]:
    return {"ok": False, "source_path": task.source_path, "file_sha256": task.file_sha256,
            "runner_id": task.runner_id, "error_type": type(exc).__name__,
            "message": _message(exc, task.location)}


# --------------------------------------------------------------------------- executors

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
                    yield _error_result(crashed[0], _WorkerCrashed(
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
        raise RuntimeError("ingest worker processes cannot start (see their traceback "
                           "above); run from a script file or module, or use client=") from exc
    return pool


class _WorkerCrashed(RuntimeError):
    pass


_WorkerCrashed.__name__ = "WorkerCrashed"


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
            result = _error_result(task, _WorkerCrashed(f"workers died reading this file: {exc}"))
        fut.release()
        yield result
        if (task := next(tasks, None)) is not None:
            submit(task)


# --------------------------------------------------------------------------- reporting

@dataclass
class IngestReport:
    """What one :func:`ingest` did: files found, read, skipped, failed, and why."""

    files: int = 0  # activity files found
    read: int = 0  # ingested into runs
    skipped: int = 0  # already in the store, unchanged
    failed: int = 0  # new rows in errors (duplicates included)
    duplicates: int = 0  # of which: same content as another file
    ignored: int = 0  # hidden and side files (not activities)
    journals: int = 0  # journal files read
    journal_rows: int = 0
    seconds: float = 0.0
    reasons: Counter = field(default_factory=Counter)

    @property
    def done(self) -> int:
        return self.read + self.skipped + self.failed

    def summary(self, top: int = 5) -> str:
        """Closing summary for people: counts, rate and the most frequent error reasons."""
        rate = self.read / self.seconds if self.seconds > 0 else 0.0
        lines = [f"{self.files} files: {self.read} read, {self.skipped} skipped (already "
                 f"stored), {self.failed} failed ({self.duplicates} duplicates) in "
                 f"{self.seconds:.1f} s ({rate:.1f} files/s)"]
        if self.journals:
            lines.append(f"{self.journals} journal files, {self.journal_rows} rows")
        if self.ignored:
            lines.append(f"{self.ignored} hidden or side files ignored")
        for reason, count in self.reasons.most_common(top):
            lines.append(f"  {count:6d} × {reason}")
        return "\n".join(lines)


class _Progress:
    """A one-line progress bar on stderr (rewritten in place on a terminal)."""

    def __init__(self, report: IngestReport, enabled: bool, stream=None):
        self.report, self.enabled = report, enabled
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.start = self.last = time.monotonic()

    def update(self, force: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (not force and now - self.last < (0.2 if self.tty else 5.0)):
            return
        self.last = now
        r = self.report
        share = r.done / r.files if r.files else 1.0
        bar = "#" * int(share * 24)
        rate = r.read / (now - self.start) if now > self.start else 0.0
        line = (f"ingest [{bar:<24}] {r.done}/{r.files} files, {rate:.1f}/s, "
                f"{r.skipped} skipped, {r.failed} failed")
        self.stream.write(("\r" + line) if self.tty else line + "\n")
        self.stream.flush()

    def close(self) -> None:
        self.update(force=True)
        if self.enabled and self.tty:
            self.stream.write("\n")


# --------------------------------------------------------------------------- the store

def _pipeline() -> str:
    """This runlab's identity as a maker of stores."""
    from runlab import __version__

    return f"runlab {__version__}, pipeline {PIPELINE}"


def _now() -> datetime:
    return datetime.now(UTC)


def _part_name() -> str:
    return f"part-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.parquet"


def _read_parts(folder: Path) -> pl.DataFrame | None:
    files = sorted(folder.glob("part-*.parquet")) if folder.is_dir() else []
    if not files:
        return None
    return pl.concat([pl.read_parquet(f) for f in files], how="diagonal_relaxed")


class Store:
    """A cohort's parquet store (see the module docstring for the layout).

    ``runs``, ``errors`` and ``journal`` are DataFrames of what is committed; ``records``
    is a LazyFrame over the committed runs' records (hive-partitioned by ``runner_id``).
    :meth:`scan_records` and :meth:`select_runs` filter by runner and time so that only the
    matching files are opened.

    Examples
    --------
    >>> store = Store("store/")                                       # doctest: +SKIP
    >>> store.scan_records(runner_id="r01", start="2026-05-01").collect()  # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.last_report: IngestReport | None = None
        self._cache: tuple[Any, dict[str, pl.DataFrame]] | None = None

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # -- tables ------------------------------------------------------------------------
    def _tables(self) -> dict[str, pl.DataFrame]:
        """Committed rows of runs, errors and journal: for each source path only the rows
        of its latest content (a changed file replaces its old run; no duplicates)."""
        if not self.path.is_dir():
            raise FileNotFoundError(f"{self.path}: no runlab store here (runlab.ingest makes one)")
        listing = tuple(tuple(sorted(os.listdir(self.path / t))) if (self.path / t).is_dir()
                        else () for t in ("runs", "errors", "journal"))
        if self._cache is not None and self._cache[0] == listing:
            return self._cache[1]
        raw = {t: _read_parts(self.path / t) for t in ("runs", "errors", "journal")}
        keys = [f.select("source_path", "file_sha256", "ingested_at")
                for f in raw.values() if f is not None]
        latest = (pl.concat(keys).sort("ingested_at", maintain_order=True)
                  .unique("source_path", keep="last", maintain_order=True)
                  .select("source_path", "file_sha256") if keys else None)

        def current(frame: pl.DataFrame | None, kind: dict[str, pl.DataType],
                    unique: bool) -> pl.DataFrame:
            if frame is None:
                return pl.DataFrame(schema=kind)
            frame = frame.join(latest, on=["source_path", "file_sha256"], how="semi")
            if unique:
                frame = frame.sort("ingested_at", maintain_order=True).unique(
                    ["source_path", "file_sha256"], keep="last", maintain_order=True)
            else:  # the rows of a file's latest reading (a file read anew adds all again)
                frame = frame.filter(pl.col("ingested_at") == pl.col("ingested_at").max()
                                     .over("source_path", "file_sha256"))
            return frame.select(*[pl.col(c).cast(t) if c in frame.columns
                                  else pl.lit(None, t).alias(c) for c, t in kind.items()],
                                *[c for c in frame.columns if c not in kind])

        runs = current(raw["runs"], {**schema.RUNS, **RUNS_EXTRA}, True)
        if runs.height:  # easy is relative to the runner's own runs: judge them all together
            from runlab.metrics import easy_flags

            runs = runs.with_columns(easy_flags(runs))
        tables = {
            "runs": runs,
            "errors": current(raw["errors"], ERRORS, True),
            "journal": current(raw["journal"], {**schema.JOURNAL, "source_path": pl.String,
                                                "file_sha256": pl.String,
                                                "ingested_at": schema.TIMESTAMP}, False),
        }
        self._cache = (listing, tables)
        return tables

    @property
    def runs(self) -> pl.DataFrame:
        """One row per run: :data:`runlab.schema.RUNS` + :data:`RUNS_EXTRA` (+ summary extras)."""
        return self._tables()["runs"]

    @property
    def errors(self) -> pl.DataFrame:
        """One row per file that could not be ingested: :data:`ERRORS`."""
        return self._tables()["errors"]

    @property
    def journal(self) -> pl.DataFrame:
        """Rows of the training journals found in the sources (:data:`runlab.schema.JOURNAL`)."""
        return self._tables()["journal"]

    @property
    def records(self) -> pl.LazyFrame:
        """Cleaned records of every committed run (a LazyFrame; filter before collecting)."""
        return self.scan_records()

    def select_runs(self, runner_id: str | Iterable[str] | None = None, start: Any = None,
                    end: Any = None) -> pl.DataFrame:
        """Runs of some runners that overlap the time range [``start``, ``end``).

        ``start``/``end`` are datetimes, dates or ISO strings (UTC); None is open-ended.
        """
        runs = self.runs
        if runner_id is not None:
            ids = [runner_id] if isinstance(runner_id, str) else list(runner_id)
            runs = runs.filter(pl.col("runner_id").is_in(ids))
        if start is not None:
            runs = runs.filter(pl.coalesce("end_time", "start_time") >= _utc(start))
        if end is not None:
            runs = runs.filter(pl.col("start_time") < _utc(end))
        return runs

    def scan_records(self, runner_id: str | Iterable[str] | None = None, start: Any = None,
                     end: Any = None) -> pl.LazyFrame:
        """Records of the matching runs (:meth:`select_runs`), limited to [start, end).

        Only the files of matching runs are scanned (the runner filter prunes hive
        partitions, the time filter whole runs); the row-level time filter is pushed down
        to parquet row groups.
        """
        runs = self.select_runs(runner_id, start, end)
        files = [str(_records_path(self.path, r, s)) for r, s in
                 runs.select("runner_id", "file_sha256").iter_rows()]
        hive = {"runner_id": pl.String}
        if not files:
            return pl.LazyFrame(schema={**RECORDS_STORED, **hive})
        lf = pl.scan_parquet(files, hive_partitioning=True, hive_schema=hive,
                             missing_columns="insert", extra_columns="ignore")
        if start is not None:
            lf = lf.filter(pl.col("timestamp") >= _utc(start))
        if end is not None:
            lf = lf.filter(pl.col("timestamp") < _utc(end))
        return lf

    # -- writing (used by ingest, under the lock) ---------------------------------------
    def _since(self) -> datetime:
        """When this runlab began to make the store's rows: rows committed before were made
        by another (:func:`_pipeline`) and count as not stored. Recorded in ``PIPELINE``
        by the first ingest of each runlab, before it reads anything, so an interrupted
        ingest resumes."""
        from runlab.journal import _atomic_write

        marker = self.path / "PIPELINE"
        with contextlib.suppress(FileNotFoundError, ValueError):
            made_by, since = marker.read_text(encoding="utf-8").splitlines()[:2]
            if made_by == _pipeline():
                return datetime.fromisoformat(since)
        since = _now()
        _atomic_write(marker, f"{_pipeline()}\n{since.isoformat()}\n".encode())
        return since

    def _state(self, since: datetime) -> dict[str, tuple[str, bool]]:
        """source_path → (sha256 of its latest content, whether that content is only in
        errors) from what is committed since ``since``."""
        t = {k: v.filter(pl.col("ingested_at") >= since) for k, v in self._tables().items()}
        state = {p: (s, True) for p, s in t["errors"].select("source_path", "file_sha256")
                 .iter_rows()}
        for frame in (t["runs"], t["journal"]):
            state.update((p, (s, False)) for p, s in
                         frame.select("source_path", "file_sha256").unique().iter_rows())
        return state

    def _commit(self, table: str, frame: pl.DataFrame) -> None:
        _write_parquet(frame, self.path / table / _part_name())

    def _collect_garbage(self) -> int:
        """Delete temporary files and records of runs that are not committed (an interrupted
        ingest) or were replaced (a changed file). Returns how many files went."""
        keep = {_records_path(self.path, r, s) for r, s in
                self.runs.select("runner_id", "file_sha256").iter_rows()}
        gone = 0
        for folder in ("records", "runs", "errors", "journal"):
            base = self.path / folder
            if not base.is_dir():
                continue
            for path in base.rglob("*"):
                stale = path.name.startswith(".") or (
                    folder == "records" and path.suffix == ".parquet" and path not in keep)
                if stale and path.is_file():
                    path.unlink(missing_ok=True)
                    gone += 1
        return gone

    def _compact(self) -> None:
        """Merge many small parts of runs and errors into one (crash-safe: the merged part
        is committed before the old ones go, and reading de-duplicates)."""
        for table in ("runs", "errors"):
            parts = sorted((self.path / table).glob("part-*.parquet"))
            if len(parts) <= COMPACT_PARTS:
                continue
            merged = (pl.concat([pl.read_parquet(p) for p in parts], how="diagonal_relaxed")
                      .unique(["source_path", "file_sha256"], keep="last", maintain_order=True))
            self._commit(table, merged)
            for p in parts:
                p.unlink()


def _utc(value: Any) -> datetime:
    """A datetime (aware → UTC; naive taken as UTC), date or ISO string as a UTC datetime."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):  # a date
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@contextlib.contextmanager
def _locked(path: Path, timeout_s: float = 0.0) -> Iterator[None]:
    """Exclusive lock of a store for one writer (released by the OS if the process dies);
    waits up to ``timeout_s`` for another writer to finish."""
    import fcntl

    path.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout_s
    with open(path / ".lock", "a+") as fh:
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise RuntimeError(f"{path}: another ingest is writing this store"
                                       + (f" (waited {timeout_s:.0f} s)" if timeout_s else ""))\
                        from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- ingest

class _Committer:
    """Collects results and commits them to the runs/errors tables in batches."""

    def __init__(self, store: Store, report: IngestReport, progress: _Progress):
        self.store, self.report, self.progress = store, report, progress
        self.runs: list[pl.DataFrame] = []
        self.errors: list[dict[str, Any]] = []
        self.last = time.monotonic()

    def add(self, result: dict[str, Any]) -> None:
        if result["ok"]:
            self.runs.append(result["row"])
            self.report.read += 1
        else:
            row = {k: result[k] for k in ERRORS if k != "ingested_at"}
            self.errors.append(row)
            self.report.failed += 1
            self.report.duplicates += row["error_type"] == "DuplicateFile"
            self.report.reasons[f"{row['error_type']}: {_reason(row['message'])}"] += 1
        if (len(self.runs) + len(self.errors) >= BATCH_FILES
                or time.monotonic() - self.last >= BATCH_SECONDS):
            self.flush()
        self.progress.update()

    def skip(self) -> None:
        self.report.skipped += 1
        self.progress.update()

    def flush(self) -> None:
        stamp = _now()
        if self.runs:
            os.sync()  # the records files these runs name reach the disk before the runs do
            runs = pl.concat(self.runs, how="diagonal_relaxed").with_columns(
                pl.lit(stamp, schema.TIMESTAMP).alias("ingested_at"))
            self.store._commit("runs", schema.conform(runs, "runs"))
        if self.errors:
            errors = pl.DataFrame(self.errors, schema={k: v for k, v in ERRORS.items()
                                                       if k != "ingested_at"})
            self.store._commit("errors", errors.with_columns(
                pl.lit(stamp, schema.TIMESTAMP).alias("ingested_at")))
        self.runs, self.errors, self.last = [], [], time.monotonic()


def _reason(message: str) -> str:
    """A message without its specifics (numbers, offsets) so that reasons can be counted."""
    import re

    return re.sub(r"\d+", "N", message.splitlines()[0] if message else "")[:120]


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
                         str(store.path), data)
            if problem is not None:
                committer.add(_error_result(task, problem))
                continue
            first = by_content.get(sha)
            if first is not None and first != item.source_path:
                committer.add(_error_result(task, _Duplicate(f"same content as {first}")))
                continue
            by_content[sha] = item.source_path
            yield task
    finally:
        archives.close()


def _content(item: _Input, archives: _ArchiveBytes
             ) -> tuple[str, bytes | None, ReadError | None]:
    """(sha256, an archive member's bytes, why it cannot be read) of one input."""
    if item.member is None:
        sha, reason = _identify(item)
        return sha, None, item.problem or (ReadError(item.location, reason) if reason else None)
    try:
        data = archives.read(item.location, item.member)
    except ReadError as exc:
        return _stand_in(item.location, item.member), None, exc
    except (zipfile.BadZipFile, KeyError, OSError, EOFError) as exc:
        return (_stand_in(item.location, item.member), None,
                CorruptFileError(item.location, f"damaged member {item.member!r}: {exc}"))
    return hashlib.sha256(data).hexdigest(), data, None


class _Duplicate(ValueError):
    pass


_Duplicate.__name__ = "DuplicateFile"


def _ingest_journals(items: list[_Input], store: Store, key: str | bytes | None,
                     report: IngestReport, since: datetime) -> None:
    """Read each journal new or changed since ``since`` into the journal table; bad rows
    and unreadable journals go to errors (one row per journal file, listing the
    problems).

    A journal counts as stored once its rows are committed, and they are committed last:
    a kill before that re-reads it next time (an unreadable journal is re-read every time).
    """
    from runlab.journal import read_journal
    from runlab.privacy import pseudonymize

    stored = set(store.journal.filter(pl.col("ingested_at") >= since)
                 .select("source_path", "file_sha256").iter_rows())
    for item in items:
        sha, problem = _identify(item)
        if (item.source_path, sha) in stored:
            continue
        stamp = _now()

        def error(error_type: str, message: str, sha=sha, stamp=stamp, item=item) -> None:
            store._commit("errors", pl.DataFrame([{
                "source_path": item.source_path, "file_sha256": sha,
                "runner_id": item.runner_id, "error_type": error_type, "message": message,
                "ingested_at": stamp}], schema=ERRORS))
            report.reasons[f"{error_type}: journal {_reason(message)}"] += 1

        try:
            if problem is not None:
                raise ReadError(item.location, problem)
            frame, problems = read_journal(item.location, errors="collect")
        except Exception as exc:  # a journal that cannot be read at all
            error(type(exc).__name__, _message(exc, item.location))
            continue
        if key is not None:
            frame = pseudonymize(frame, key)
        if item.runner_id is not None:  # a journal in a runner's folder belongs to them
            frame = frame.with_columns(pl.col("runner_id").fill_null(item.runner_id))
        if problems:
            text = "; ".join(f"line {n} {f}: {m}" for n, f, m in problems[:20])
            error("JournalError", f"{len(problems)} bad cells, their rows left out: {text}"[:2000])
        store._commit("journal", frame.with_columns(
            pl.lit(item.source_path).alias("source_path"), pl.lit(sha).alias("file_sha256"),
            pl.lit(stamp, schema.TIMESTAMP).alias("ingested_at")))
        report.journals += 1
        report.journal_rows += frame.height


def ingest(source: str | os.PathLike | Iterable[str | os.PathLike], store: str | os.PathLike,
           *, runners: Any = None, client: Any = None, workers: int | None = None,
           progress: bool = True, pseudonymize_key: str | bytes | None = None,
           retry_errors: bool = False, lock_timeout_s: float = 0.0) -> Store:
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

    Returns
    -------
    Store
        The store, with ``last_report`` (:class:`IngestReport`) of this run.
    """
    if isinstance(source, (str, os.PathLike)) and not os.path.lexists(source):
        raise FileNotFoundError(f"{os.fspath(source)}: no such folder, archive or file")
    st = Store(store)
    report = IngestReport()
    t0 = time.monotonic()
    st.path.mkdir(parents=True, exist_ok=True)
    with _locked(st.path, lock_timeout_s):
        st._collect_garbage()
        inputs = _discover(source, runners, pseudonymize_key, st.path.resolve(), report)
        activities = [i for i in inputs if i.kind == "activity"]
        report.files = len(activities)
        since = st._since()  # rows made before, by another runlab, are read anew
        _ingest_journals([i for i in inputs if i.kind == "journal"], st, pseudonymize_key,
                         report, since)
        state = st._state(since)
        bar = _Progress(report, progress)
        committer = _Committer(st, report, bar)
        tasks = _plan(activities, state, st, committer, retry_errors)
        if client is not None:
            results = _results_dask(tasks, client)
        else:
            results = _results_local(tasks, workers or os.cpu_count() or 1)
        try:
            for result in results:
                committer.add(result)
        finally:
            committer.flush()
            report.seconds = time.monotonic() - t0
            bar.close()
        st._compact()
        st._collect_garbage()
    st.last_report = report
    return st


# --------------------------------------------------------------------------- export

#: Runs columns an export leaves out: they name files or may quote them.
EXPORT_DROPPED_RUNS = ("warnings", "creator")


def export(store: str | os.PathLike | Store, out: str | os.PathLike, *,
           zones: Iterable[tuple[float, ...]] = (), radius_m: float | None = None,
           trim_start_end_m: float | None = None, key: str | bytes | None = None,
           mask: bool = True, pseudonymize: bool = True,
           include_notes: bool = False) -> Store:
    """A copy of a store that may be shared: positions masked, ids pseudonymised, no notes.

    Parameters
    ----------
    store, out
        The store to export and a new (missing or empty) folder for the copy, itself a
        :class:`Store`.
    zones, radius_m, trim_start_end_m
        Private places and distances for :func:`runlab.privacy.mask`, applied to every run
        (defaults :data:`runlab.privacy.DEFAULT_RADIUS_M` and ``DEFAULT_TRIM_M``).
    key
        Key of the pseudonyms (:func:`runlab.privacy.pseudonym`) of runner ids, run ids,
        source paths and file hashes. Exports made with the same key can be joined; without
        a key a random one is used and thrown away, so nobody can link the ids back.
    mask, pseudonymize
        Turn the masking / the pseudonyms off (both on by default).
    include_notes
        Keep the journal's free-text ``notes`` and ``video`` references
        (:func:`runlab.journal.for_export`); left out by default.

    Returns
    -------
    Store
        The exported store. The errors table is not exported (it names files).
    """
    import secrets

    from runlab import privacy
    from runlab.journal import for_export

    src = store if isinstance(store, Store) else Store(store)
    dst = Store(out)
    if dst.path.exists() and any(dst.path.iterdir()):
        raise ValueError(f"{dst.path}: export folder must be new or empty")
    if not (src.path / "runs").is_dir():
        raise ValueError(f"{src.path}: not a runlab store (no runs table)")
    key = key if key is not None else secrets.token_hex(32)
    ids = ("runner_id", "run_id") if pseudonymize else ()
    opaque = ("source_path", "file_sha256")  # always hashed: paths and hashes identify files
    radius = privacy.DEFAULT_RADIUS_M if radius_m is None else radius_m
    trim = privacy.DEFAULT_TRIM_M if trim_start_end_m is None else trim_start_end_m

    def hide(frame: pl.DataFrame) -> pl.DataFrame:
        for column in ids:
            if column in frame.columns:
                frame = privacy.pseudonymize(frame, key, column)
        for column in opaque:
            if column in frame.columns:
                frame = privacy.pseudonymize(frame, key, column, length=64)
        return frame

    dst.path.mkdir(parents=True, exist_ok=True)
    with _locked(dst.path):
        runs = src.runs
        for (runner, sha), one in zip(runs.select("runner_id", "file_sha256").iter_rows(),
                                      runs.iter_slices(1), strict=True):
            records = pl.read_parquet(_records_path(src.path, runner, sha))
            if mask:
                records = privacy.mask(records, zones, radius_m=radius,
                                       trim_start_end_m=trim)
            new = hide(one)
            _write_parquet(hide(records), _records_path(dst.path, new["runner_id"][0],
                                                        new["file_sha256"][0]), durable=False)
        if runs.height:
            os.sync()
            dst._commit("runs", hide(runs.drop(EXPORT_DROPPED_RUNS, strict=False)))
        if src.journal.height:
            dst._commit("journal", hide(for_export(src.journal, include_notes=include_notes)))
        if (src.path / "PIPELINE").is_file():  # the rows were made by the same runlab
            shutil.copyfile(src.path / "PIPELINE", dst.path / "PIPELINE")
    return dst
