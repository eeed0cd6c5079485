"""The parquet store: layout, atomic writes, the lock, and reading committed tables."""

from __future__ import annotations

import contextlib
import io
import os
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
PIPELINE = 1

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
        from runlab._files import atomic_write

        marker = self.path / "PIPELINE"
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
