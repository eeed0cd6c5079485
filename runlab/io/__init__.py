"""Readers and writers, one module per source; :func:`read` picks one by content.

``read(path)`` returns canonical records (:data:`runlab.schema.RECORDS`);
``read_activity(path)`` the whole :class:`~runlab.activity.Activity`.
"""

from __future__ import annotations

import gzip
import importlib
import os

import polars as pl

from runlab.activity import Activity
from runlab.errors import ReadError, UnsupportedFormatError
from runlab.io._files import read_file_bytes
from runlab.io.sniff import detect_bytes

__all__ = ["read", "read_activity", "read_bytes_activity", "MAX_FILE_BYTES", "read_isolated",
           "read_activity_isolated"]

#: Largest file (after decompression) runlab reads: 512 MiB — a 24-hour 1 Hz FIT file
#: with every sensor is ~15 MiB, so anything near this is not an activity.
MAX_FILE_BYTES = 512 * 2**20

#: format → module with ``read_activity_bytes(data: bytes, path: str, **kw) -> Activity``
_READERS = {
    "fit": "runlab.io.fit",
    "tcx": "runlab.io.tcx",
    "gpx": "runlab.io.gpx",
    "csv": "runlab.io.csv",
    "json": "runlab.io.json",
}


def read(path: str | os.PathLike, **kwargs) -> pl.DataFrame:
    """Canonical records of an activity file (FIT, .fit.gz, TCX, GPX, platform CSV/JSON).

    The format is found from the content, not the extension. Raises a
    :class:`~runlab.errors.ReadError` subclass naming the file for anything it cannot read.
    For files from people you do not trust, :func:`read_isolated` reads in a worker
    process under a time limit and a memory cap.
    """
    return read_activity(path, **kwargs).records


def read_activity(path: str | os.PathLike, **kwargs) -> Activity:
    """The whole activity in a file: records, laps, sessions, events, device and meta."""
    name = os.fspath(path)
    return read_bytes_activity(read_file_bytes(name, MAX_FILE_BYTES), name, **kwargs)


def read_bytes_activity(data: bytes, name: str, **kwargs) -> Activity:
    """Like :func:`read_activity` for bytes already in memory; ``name`` is used in errors."""
    if not data:
        raise ReadError(name, "the file is empty (0 bytes)")
    fmt = detect_bytes(data[:4096])
    if fmt == "gzip":
        data = _gunzip(data, name)
        if not data:
            raise ReadError(name, "the gzip member is empty")
        fmt = detect_bytes(data[:4096])
    if fmt not in _READERS:
        what = {"zip": "a zip archive (use runlab.read_archive)", "xml": "XML but not TCX/GPX",
                None: "not a recognised activity format"}.get(fmt, fmt)
        raise UnsupportedFormatError(name, f"{what}")
    module = importlib.import_module(_READERS[fmt])
    return module.read_activity_bytes(data, name, **kwargs)


def _gunzip(data: bytes, name: str) -> bytes:
    """Decompress gzip with a size limit (a gzip bomb raises, it never fills memory)."""
    from runlab.errors import CorruptFileError, FileTooLargeError

    d = gzip.zlib.decompressobj(16 + gzip.zlib.MAX_WBITS)
    try:
        out = d.decompress(data, MAX_FILE_BYTES + 1)
    except gzip.zlib.error as exc:
        raise CorruptFileError(name, f"bad gzip data: {exc}") from exc
    if len(out) > MAX_FILE_BYTES:
        raise FileTooLargeError(name, f"decompresses to more than {MAX_FILE_BYTES} bytes")
    if not d.eof:
        raise CorruptFileError(name, "gzip stream is truncated")
    return out


from runlab.io.isolated import read_activity_isolated, read_isolated  # noqa: E402
