"""Committing worker results to the runs and errors tables in batches."""

from __future__ import annotations

import os
import time
from typing import Any

import polars as pl

from runlab import schema
from runlab.cohort.report import IngestReport, _Progress
from runlab.cohort.store import ERRORS, Store, _now

#: Results per committed batch of the runs/errors tables (also committed every
#: :data:`BATCH_SECONDS`).
BATCH_FILES = 500

BATCH_SECONDS = 10.0


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

    def tick(self) -> None:
        """Commit what is finished if the last commit is :data:`BATCH_SECONDS` old (called
        while a long file keeps the workers busy)."""
        if (self.runs or self.errors) and time.monotonic() - self.last >= BATCH_SECONDS:
            self.flush()

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
