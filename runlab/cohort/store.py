"""The parquet store: layout, atomic writes, the lock, and reading committed tables."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import stat
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import polars as pl

from runlab import schema
from runlab.clean import FLAGS
from runlab.cohort.report import IngestReport

#: What ingest makes of a file (reading, cleaning, summarizing): raise it when a change
#: alters stored runs or records, so that stores made before are ingested anew.
PIPELINE = 6  # 2: summary counts n_records, n_spikes; 3: run cadence over steady running,
# the file's local time offset kept; 4: strides (a finishing sprint counts, running down a
# descent does not, an effort is its width at half height); 5: strides (a fartlek's surges
# form a set), hill reps (laps of a loop are not reps); 6: grade from a sparsely recorded
# distance, strides (pod dropouts, efforts walked off, sprints in a fast warm-up), hill reps
# (climbs joined across landings, reps started lower down), walk/run (interval programmes'
# timer grid, two walking paces)

#: Parts of a table above which an ingest compacts it into one file.
COMPACT_PARTS = 32

_NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"  # hive's name for a null partition value

#: Columns the store adds to :data:`runlab.schema.RUNS`.
RUNS_EXTRA: dict[str, pl.DataType] = {
    "source_path": pl.String,
    "file_sha256": pl.String,
    "sport": pl.String,
    "sub_sport": pl.String,
    "format": pl.String,
    "creator": pl.String,
    "local_time_offset_s": pl.Int64,
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


#: Longest percent-encoded runner id kept readable in a partition name [characters]; longer
#: ids (a 28-character CJK name encodes to 252) are hashed so that every name stays well
#: under the 255-byte limit of file names. The records files hold the readable id.
MAX_PARTITION_CHARS = 120


def _partition(runner_id: str | None) -> str:
    """Hive folder of a runner: the percent-encoded id (one safe path component), or
    ``~`` + a SHA-256 prefix of it when that would be longer than
    :data:`MAX_PARTITION_CHARS`."""
    if runner_id is None:
        return "runner_id=" + _NULL_PARTITION
    if _hashed_partition(runner_id):
        digest = hashlib.sha256(runner_id.encode("utf-8", "surrogatepass")).hexdigest()
        return f"runner_id=~{digest[:40]}"
    return "runner_id=" + quote(runner_id, safe="")


def _hashed_partition(runner_id: str | None) -> bool:
    return runner_id is not None and len(quote(runner_id, safe="")) > MAX_PARTITION_CHARS


def _records_path(store: str | Path, runner_id: str | None, file_sha256: str) -> Path:
    return Path(store) / "records" / _partition(runner_id) / f"{file_sha256}.parquet"


def _write_parquet(frame: pl.DataFrame, path: Path, *, durable: bool = True) -> None:
    """Write ``frame`` atomically (temp file, rename): readers see all of it or nothing.

    ``durable`` also fsyncs the file and its folder (survives a power cut, ~10 ms). Records
    files skip that; the commit of the runs that name them syncs them all at once first.
    """
    from runlab._files import atomic_write

    buf = io.BytesIO()
    # zstd level 1: same size as the default level here at 80 % of the CPU time
    frame.write_parquet(buf, compression="zstd", compression_level=1, statistics=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    if durable:
        atomic_write(path, buf.getvalue())
        return
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_bytes(buf.getvalue())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


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
            # a file read again with success (retry_errors) is no longer an error
            "errors": current(raw["errors"], ERRORS, True).join(
                runs.select("source_path", "file_sha256"), on=["source_path", "file_sha256"],
                how="anti"),
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
        pairs = runs.select("runner_id", "file_sha256").iter_rows()
        files: dict[bool, list[str]] = {False: [], True: []}
        for r, s in pairs:  # hashed partitions: the id is read from the files themselves
            files[_hashed_partition(r)].append(str(_records_path(self.path, r, s)))
        hive = {"runner_id": pl.String}
        if not files[False] and not files[True]:
            return pl.LazyFrame(schema={**RECORDS_STORED, **hive})
        scans = [pl.scan_parquet(f, hive_partitioning=not hashed, missing_columns="insert",
                                 extra_columns="ignore",
                                 **({"hive_schema": hive} if not hashed else {}))
                 for hashed, f in files.items() if f]
        lf = scans[0] if len(scans) == 1 else pl.concat(scans, how="diagonal_relaxed")
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
        from runlab._files import atomic_write

        marker = self.path / MARKER
        with contextlib.suppress(FileNotFoundError, ValueError):
            made_by, since = marker.read_text(encoding="utf-8").splitlines()[:2]
            if made_by == _pipeline():
                return datetime.fromisoformat(since)
        since = _now()
        atomic_write(marker, f"{_pipeline()}\n{since.isoformat()}\n".encode())
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

    def _claim(self) -> None:
        """Make sure this folder is a runlab store before anything is written or cleaned.

        A missing or empty folder becomes one; a folder with the marker (``PIPELINE``,
        first line ``runlab ...``) is one; a folder made by an older runlab without the
        marker is adopted when it holds only runlab's layout. Anything else raises
        :class:`~runlab.errors.StoreError` and is left untouched.
        """
        from runlab.errors import StoreError

        path = self.path
        if not os.path.lexists(path):
            path.mkdir(parents=True, exist_ok=True)  # another ingest may be making it too
        if not path.is_dir():
            raise StoreError(f"{path}: not a folder")
        if _is_marked(path):
            return
        names = {e.name for e in os.scandir(path)}
        if names - {".lock"} and not _only_runlab_layout(path):
            raise StoreError(
                f"{path}: not a runlab store (no {MARKER} marker, and it holds files runlab "
                "did not make); runlab writes and cleans only its own stores — give a new or "
                "empty folder")
        self._mark()

    def _mark(self) -> None:
        """Write the marker (this runlab, now) if the folder has none."""
        from runlab._files import atomic_write

        if not _is_marked(self.path):
            atomic_write(self.path / MARKER, f"{_pipeline()}\n{_now().isoformat()}\n".encode())
        self._secret()

    def _secret(self) -> bytes:
        """The store's own secret (``SECRET``, mode 0600, made with the store or at its
        first export): seeds the private-zone offsets of exports; never exported."""
        import secrets

        path = self.path / SECRET
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                         0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
        if not stat.S_ISREG(os.lstat(path).st_mode):
            raise ValueError(f"{path}: not a regular file")
        text = path.read_text(encoding="ascii").strip()
        if len(text) < 64:
            raise ValueError(f"{path}: damaged store secret")
        return bytes.fromhex(text)

    def _collect_garbage(self) -> int:
        """Delete what an interrupted ingest left — temporary files, records of runs not
        committed — and records of replaced runs. Only names the store writes are touched
        (``part-*.parquet`` temporaries, ``runner_id=*/<sha256>.parquet``), symbolic links
        are neither followed nor removed, and nothing happens in a folder that is not a
        marked store. Returns how many files went."""
        if not _is_marked(self.path):
            return 0
        keep = {_records_path(self.path, r, s) for r, s in
                self.runs.select("runner_id", "file_sha256").iter_rows()}
        gone = 0
        for table in ("runs", "errors", "journal"):
            for entry in _real_entries(self.path / table, dirs=False):
                if _TEMP.fullmatch(entry.name) and _PART.fullmatch(_TEMP.fullmatch(
                        entry.name).group(1)):
                    gone += _unlink(entry.path)
        for part in _real_entries(self.path / "records", dirs=True):
            if not part.name.startswith("runner_id="):
                continue
            for entry in _real_entries(Path(part.path), dirs=False):
                temp = _TEMP.fullmatch(entry.name)
                if temp and _RECORDS.fullmatch(temp.group(1)):
                    gone += _unlink(entry.path)
                elif _RECORDS.fullmatch(entry.name) and Path(entry.path) not in keep:
                    gone += _unlink(entry.path)
        for entry in _real_entries(self.path, dirs=False):
            temp = _TEMP.fullmatch(entry.name)
            if temp and temp.group(1) == MARKER:
                gone += _unlink(entry.path)
        return gone

    def _compact(self) -> None:
        """Merge many small parts of runs and errors into one (crash-safe: the merged part
        is committed before the old ones go, and reading de-duplicates)."""
        for table in ("runs", "errors"):
            parts = sorted(Path(e.path) for e in _real_entries(self.path / table, dirs=False)
                           if _PART.fullmatch(e.name))
            if len(parts) <= COMPACT_PARTS:
                continue
            merged = (pl.concat([pl.read_parquet(p) for p in parts], how="diagonal_relaxed")
                      .unique(["source_path", "file_sha256"], keep="last", maintain_order=True))
            self._commit(table, merged)
            for p in parts:
                p.unlink()


#: The file that marks a folder as a runlab store (which runlab made its rows, since when).
MARKER = "PIPELINE"
#: The store's secret (private-zone offsets of exports); never copied by an export.
SECRET = "SECRET"
_TABLES = ("runs", "errors", "journal")
_PART = re.compile(r"part-\d{20}-[0-9a-f]{8}\.parquet")
_RECORDS = re.compile(r"[0-9a-f]{64}\.parquet")
#: Temporaries of _write_parquet and runlab._files.atomic_write: ".<name>.<8 chars>.tmp".
_TEMP = re.compile(r"\.(.+)\.[A-Za-z0-9_]{8}\.tmp")


def _is_marked(path: Path) -> bool:
    """Whether ``path`` holds a runlab store marker (a regular file, ``runlab ...``)."""
    marker = path / MARKER
    try:
        if not stat.S_ISREG(os.lstat(marker).st_mode):
            return False
        with open(marker, "rb") as fh:
            return fh.read(64).startswith(b"runlab ")
    except OSError:
        return False


def _real_entries(folder: Path, dirs: bool) -> list[os.DirEntry]:
    """Regular files (``dirs=False``) or real folders of ``folder`` — never a symbolic link,
    and nothing when ``folder`` itself is one or is missing."""
    try:
        if stat.S_ISLNK(os.lstat(folder).st_mode):
            return []
        with os.scandir(folder) as it:
            return [e for e in it if (e.is_dir(follow_symlinks=False) if dirs
                                      else e.is_file(follow_symlinks=False))]
    except (FileNotFoundError, NotADirectoryError):
        return []


def _unlink(path: str) -> int:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
        return 1
    return 0


def _only_runlab_layout(path: Path) -> bool:
    """Whether an unmarked folder holds nothing but what runlab writes (a store made before
    the marker existed): the tables' parts, records files and their temporaries."""
    def ours(name: str, pattern: re.Pattern) -> bool:
        temp = _TEMP.fullmatch(name)
        return bool(pattern.fullmatch(temp.group(1) if temp else name))

    def only(folder: Path, check) -> bool:
        with os.scandir(folder) as it:
            return all(check(e) for e in it)

    def top(e: os.DirEntry) -> bool:
        if e.name in (".lock", SECRET) or (_TEMP.fullmatch(e.name)
                                 and _TEMP.fullmatch(e.name).group(1) == MARKER):
            return e.is_file(follow_symlinks=False)  # another ingest is marking it now
        if e.is_symlink() or not e.is_dir():
            return False
        if e.name in _TABLES:
            return only(Path(e.path), lambda f: f.is_file(follow_symlinks=False)
                        and ours(f.name, _PART))
        if e.name == "records":
            return only(Path(e.path), lambda d: d.is_dir(follow_symlinks=False)
                        and d.name.startswith("runner_id=") and only(
                            Path(d.path), lambda f: f.is_file(follow_symlinks=False)
                            and ours(f.name, _RECORDS)))
        return False

    return only(path, top)


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
    from filelock import Timeout

    from runlab._files import file_lock

    path.mkdir(parents=True, exist_ok=True)
    lock = file_lock(path / ".lock", timeout_s)
    try:
        lock.acquire()
    except Timeout:
        raise RuntimeError(f"{path}: another ingest is writing this store"
                           + (f" (waited {timeout_s:.0f} s)" if timeout_s else "")) from None
    try:
        yield
    finally:
        lock.release()
