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

Modules: :mod:`~runlab.cohort.discovery` (inputs), :mod:`~runlab.cohort.worker` (one file),
:mod:`~runlab.cohort.executors` (process pool, Dask), :mod:`~runlab.cohort.commit`,
:mod:`~runlab.cohort.journals`, :mod:`~runlab.cohort.report`, :mod:`~runlab.cohort.store`,
:mod:`~runlab.cohort.ingesting` and :mod:`~runlab.cohort.exporting`.
"""

from runlab.cohort.codebook import codebook, export_for_r
from runlab.cohort.commit import BATCH_FILES, BATCH_SECONDS
from runlab.cohort.discovery import JOURNAL_PATTERNS, SIDE_FILES
from runlab.cohort.executors import IN_FLIGHT_PER_WORKER
from runlab.cohort.exporting import EXPORT_DROPPED_RUNS, export
from runlab.cohort.ingesting import ingest
from runlab.cohort.report import IngestReport
from runlab.cohort.store import (
    COMPACT_PARTS,
    ERRORS,
    PIPELINE,
    RECORDS_STORED,
    RUNS_EXTRA,
    Store,
)

__all__ = ["ingest", "export", "export_for_r", "codebook", "Store", "IngestReport", "RUNS_EXTRA", "ERRORS", "RECORDS_STORED",
           "JOURNAL_PATTERNS", "SIDE_FILES", "BATCH_FILES", "BATCH_SECONDS", "PIPELINE",
           "COMPACT_PARTS", "IN_FLIGHT_PER_WORKER", "EXPORT_DROPPED_RUNS"]
