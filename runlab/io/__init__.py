"""Readers and writers, one module per source; :func:`read` picks one by content.

``read(path)`` returns canonical records (:data:`runlab.schema.RECORDS`);
``read_activity(path)`` the whole :class:`~runlab.activity.Activity`.
"""

from __future__ import annotations

import gzip
import importlib
import inspect
import os
import warnings

import polars as pl

from runlab.activity import Activity
from runlab.errors import ReadError, UnsupportedFormatError
from runlab.io._files import read_file_bytes
from runlab.io.sniff import detect_bytes

__all__ = ["read", "read_activity", "read_activity_bytes", "read_bytes_activity", "OPTIONS",
           "MAX_FILE_BYTES", "read_isolated", "read_activity_isolated"]

#: Largest file (after decompression) runlab reads: 512 MiB — a 24-hour 1 Hz FIT file
#: with every sensor is ~15 MiB, so anything near this is not an activity.
MAX_FILE_BYTES = 512 * 2**20

#: format → module with ``read_activity_bytes(data: bytes, path: str, *, strict=True,
#: **options) -> Activity``
_READERS = {
    "fit": "runlab.io.fit",
    "tcx": "runlab.io.tcx",
    "gpx": "runlab.io.gpx",
    "csv": "runlab.io.csv",
    "json": "runlab.io.json",
}

#: format → the keyword options its reader takes besides ``strict`` (documented in
#: :func:`read_activity`): the fast path of the keyword check, which falls back on the
#: readers' signatures (:func:`reader_options`) before refusing a keyword.
OPTIONS: dict[str, tuple[str, ...]] = {
    "fit": ("merge_heart_rates",),
    "tcx": ("activity",),
    "gpx": (),
    "csv": ("columns", "start_time", "timestamp_format", "separator"),
    "json": ("start_time",),
}


def read(path: str | os.PathLike, *, strict: bool = True, **options) -> pl.DataFrame:
    """Canonical records of an activity file: ``read_activity(path, ...).records``.

    Takes the same arguments as :func:`read_activity`. For files from people you do not
    trust, :func:`read_isolated` reads in a worker process under a time limit and a memory
    cap.
    """
    return read_activity(path, strict=strict, **options).records


def read_activity(path: str | os.PathLike, *, strict: bool = True, **options) -> Activity:
    """The whole activity in a file: records, laps, sessions, events, device and meta.

    One contract for every format (FIT, ``.fit.gz``, TCX, GPX, platform CSV and JSON, any
    of them gzipped); the format is found from the content, not the extension. The records
    hold what the file holds, in canonical units — nothing derived (:func:`runlab.clean`
    derives speed and distance from positions, flagged).

    Parameters
    ----------
    path
        The file.
    strict
        True (default): any damage raises a :class:`~runlab.errors.ReadError` subclass
        naming the file. False: a truncated or corrupt file gives the records before the
        first fault, with ``meta["partial"] = True`` (:attr:`Activity.partial`), the fault
        in ``meta["warnings"]`` and a :class:`~runlab.errors.DataRepairWarning`; a file with
        nothing sound before the fault still raises.
    **options
        Options of one format (:data:`OPTIONS`); passing one to a file of another format
        raises ``TypeError``, as does an unknown keyword (before the file is opened).

        - FIT ``merge_heart_rates=False``: keep heart rate from ``hr`` messages out of the
          records (merged by default, as the official SDK does; flagged).
        - TCX ``activity=i``: which of several activities in one file (0-based).
        - CSV ``columns={"source": "target"}``: map columns by hand
          (:func:`runlab.read_csv`); ``start_time=`` (UTC) for files with relative time only;
          ``timestamp_format=`` (``strftime``); ``separator=`` (default: sniffed).
        - JSON (Strava streams) ``start_time=``: the activity's start (streams have none).

    Raises
    ------
    TypeError
        An unknown keyword, or an option of another format.
    runlab.errors.ReadError
        Anything the file cannot give (its subclasses say what).
    """
    check_options(options)
    name = os.fspath(path)
    return read_activity_bytes(read_file_bytes(name, MAX_FILE_BYTES), name, strict=strict,
                               **options)


def read_activity_bytes(data: bytes, name: str, *, strict: bool = True,
                        **options) -> Activity:
    """:func:`read_activity` for bytes already in memory; ``name`` is used in errors."""
    check_options(options)
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
    check_options(options, fmt)
    module = importlib.import_module(_READERS[fmt])
    return module.read_activity_bytes(data, name, strict=strict, **options)


def read_bytes_activity(data: bytes, name: str, **kwargs) -> Activity:
    """Deprecated spelling of :func:`read_activity_bytes` (removed in the next release)."""
    warnings.warn("runlab.io.read_bytes_activity is deprecated; use read_activity_bytes",
                  DeprecationWarning, stacklevel=2)
    return read_activity_bytes(data, name, **kwargs)


def check_options(options: dict, fmt: str | None = None) -> None:
    """Raise ``TypeError`` for keywords no reader takes (``fmt=None``) or that the reader of
    ``fmt`` does not take, naming the valid ones. :data:`OPTIONS` is the fast path; a
    keyword it lacks is looked up in the readers' signatures (their truth) before refusing."""
    table = OPTIONS
    fast = set(OPTIONS[fmt]) if fmt else {o for opts in OPTIONS.values() for o in opts}
    if set(options) <= fast:
        return
    table = reader_options()
    allowed = set(table[fmt]) if fmt else {o for opts in table.values() for o in opts}
    bad = sorted(set(options) - allowed)
    if not bad:
        return
    if fmt is None:
        valid = "; ".join(["strict", *(f"{', '.join(o)} ({f.upper()})"
                                       for f, o in table.items() if o)])
        raise TypeError(f"read_activity() got an unexpected keyword argument {bad[0]!r}; "
                        f"valid keywords: {valid}")
    owners = [f.upper() for f, o in table.items() if bad[0] in o]
    raise TypeError(f"{bad[0]!r} is an option of {' and '.join(owners)} files, not of this "
                    f"{fmt.upper()} file; valid for {fmt.upper()}: "
                    f"{', '.join(['strict', *table[fmt]])}")


def reader_options() -> dict[str, tuple[str, ...]]:
    """format → keyword options of its reader besides ``strict``, from the signatures."""
    out = {}
    for fmt, module in _READERS.items():
        params = inspect.signature(importlib.import_module(module).read_activity_bytes)
        out[fmt] = tuple(n for n, p in params.parameters.items()
                         if p.kind is p.KEYWORD_ONLY and n != "strict")
    return out


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
