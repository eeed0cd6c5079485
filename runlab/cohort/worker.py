"""What a worker process does with one file: read, clean, summarize, write its records."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import polars as pl

from runlab import schema
from runlab.cohort.store import (
    RECORDS_STORED,
    _hashed_partition,
    _records_path,
    _write_parquet,
)
from runlab.errors import ReadError, UnsupportedFormatError
from runlab.io.imu import is_phone_log


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
    size_bytes: int = 0  # what the file's limits scale with

    @property
    def name(self) -> str:
        """The file as errors name it: its path, or ``archive!member``."""
        return self.location if self.member is None else f"{self.location}!{self.member}"


def _read_task(task: _Task):
    from runlab.io import read_activity, read_activity_bytes

    if task.data is None:
        with open(task.location, "rb") as fh:
            head = fh.read(4096)
            if is_phone_log(head):
                return _phone_activity(head + fh.read(), task.location)
        return read_activity(task.location)
    name = task.name
    act = (_phone_activity(task.data, name) if is_phone_log(task.data[:4096])
           else read_activity_bytes(task.data, name))
    act.meta.update(archive=task.location, member=task.member)
    return act


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
    from runlab.clean import clean
    from runlab.errors import NotAnActivityError
    from runlab.metrics import summarize

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
        if _hashed_partition(task.runner_id):  # its folder name is a hash: keep the id here
            stored = stored.with_columns(pl.lit(task.runner_id, pl.String).alias("runner_id"))
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
            pl.lit(meta.get("local_time_offset_s"), pl.Int64).alias("local_time_offset_s"),
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
