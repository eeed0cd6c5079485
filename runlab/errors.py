"""Exceptions and warnings of runlab.

Every problem with an input file ends in a :class:`ReadError` (a ``ValueError``) whose
message names the file and says what is wrong, so a batch can record it and go on.
"""

from __future__ import annotations

import os

__all__ = [
    "ReadError",
    "CorruptFileError",
    "TruncatedFileError",
    "UnsupportedFormatError",
    "NotAnActivityError",
    "UnnamedRunnerError",
    "FileTooLargeError",
    "UnsafeArchiveError",
    "TimeLimitError",
    "MemoryLimitError",
    "StoreError",
    "SchemaError",
    "JournalError",
    "ModelError",
    "WorkerCrashed",
    "DuplicateFile",
    "RunlabWarning",
    "DataRepairWarning",
]


class ReadError(ValueError):
    """A file could not be read. ``path`` is the file, ``reason`` what is wrong with it."""

    def __init__(self, path: str | os.PathLike | None, reason: str):
        self.path = os.fspath(path) if path is not None else "<bytes>"
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")

    def __reduce__(self):  # picklable across worker processes
        return (self.__class__, (self.path, self.reason))


class CorruptFileError(ReadError):
    """The bytes are damaged: bad CRC, impossible structure, undecodable content."""


class TruncatedFileError(CorruptFileError):
    """The file ends before its declared end (``strict=False`` reads what came before)."""


class UnsupportedFormatError(ReadError):
    """Not a format runlab reads (or a variant of one it does not support)."""


class NotAnActivityError(ReadError):
    """A valid file of a known format that holds no activity (settings, workout, course...)."""


class FileTooLargeError(ReadError):
    """Larger than runlab's documented limits (bytes, records or decompressed size)."""


class UnsafeArchiveError(ReadError):
    """An archive member escapes the archive (zip-slip) or decompresses absurdly (zip bomb)."""


class TimeLimitError(ReadError):
    """Reading the file ran past its wall-clock limit (``time_limit_s``); the worker reading
    it was killed."""


class MemoryLimitError(ReadError):
    """Reading the file needed more memory than its cap (``memory_limit_mib``); the worker
    reading it was killed."""


class StoreError(ValueError):
    """A folder is not a runlab store (no marker, files runlab did not make), so runlab
    refuses to write into it or clean it."""


class SchemaError(ValueError):
    """A frame does not match a canonical schema; the message names the column."""


class UnnamedRunnerError(ValueError):
    """Activity files an ingest would store with no runner (no mapping, runner folder or
    ``runner=``); refused before anything is written."""


class JournalError(ValueError):
    """Journal rows that break the journal schema; ``problems`` lists (line, field, message)."""

    def __init__(self, message: str, problems: list[tuple[int, str, str]] | None = None):
        self.problems = problems or []
        super().__init__(message)


class FormError(ValueError):
    """Running form cannot be measured from a pose: too few confident frames, or not a
    side view."""


class ModelError(ValueError):
    """A model cannot be fitted honestly: too little data, missing columns, no convergence."""


class WorkerCrashed(RuntimeError):
    """A worker process died reading a file (killed, out of memory, a crash in native
    code); a batch records it against the file as ``WorkerCrashed`` and goes on."""


class DuplicateFile(ValueError):
    """A file with the same content as a file already read (or stored); a batch records it
    as ``DuplicateFile`` and reads it once."""


class RunlabWarning(UserWarning):
    """Base class of runlab's warnings."""


class DataRepairWarning(RunlabWarning):
    """runlab changed data it was given (units repaired, spikes removed, partial file read)."""
