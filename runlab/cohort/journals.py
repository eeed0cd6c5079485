"""Training journals found among a cohort's files, read into the journal table."""

from __future__ import annotations

import os
from datetime import datetime

import polars as pl

from runlab import schema
from runlab.cohort.commit import _reason
from runlab.cohort.discovery import _identify, _Input
from runlab.cohort.report import IngestReport
from runlab.cohort.store import ERRORS, Store, _now
from runlab.cohort.worker import _message
from runlab.errors import ReadError
from runlab.isolation import IsolatedPool, limits_for


def _read_journal_file(path: str) -> tuple[pl.DataFrame, list[tuple[int, str, str]]]:
    """A journal's good rows and problems (run in an isolated worker)."""
    from runlab.journal import read_journal

    return read_journal(path, errors="collect")


def _ingest_journals(items: list[_Input], store: Store, key: str | bytes | None,
                     report: IngestReport, since: datetime, pool: IsolatedPool,
                     time_limit_s: float | None = None,
                     memory_limit_mib: float | None = None) -> None:
    """Read each journal new or changed since ``since`` into the journal table; bad rows
    and unreadable journals go to errors (one row per journal file, listing the
    problems).

    A journal counts as stored once its rows are committed, and they are committed last:
    a kill before that re-reads it next time (an unreadable journal is re-read every time).
    Journals are read in ``pool``'s isolated workers under the limits of their size
    (:func:`runlab.isolation.limits_for`): a hostile one is an error row, never the end
    of the ingest.
    """
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
            size = os.lstat(item.location).st_size
            frame, problems = pool.call(_read_journal_file, (item.location,), item.location,
                                        limits_for(size, time_limit_s, memory_limit_mib))
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
