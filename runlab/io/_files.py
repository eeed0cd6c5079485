"""Opening untrusted files: regular files only, never more than a limit read.

A FIFO would block ``open`` (or ``read``) forever, ``/dev/zero`` reports size 0 and never
ends, and ``/proc`` files report sizes that are not theirs. So a file is opened without
blocking, checked to be a regular file on the open descriptor (no race with a rename),
and read up to ``limit + 1`` bytes whatever size it reports.
"""

from __future__ import annotations

import io
import os
import stat
from typing import BinaryIO

from runlab.errors import FileTooLargeError, ReadError

__all__ = ["open_regular", "read_file_bytes"]

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def open_regular(path: str | os.PathLike) -> BinaryIO:
    """``path`` opened for binary reading; :class:`~runlab.errors.ReadError` naming it when
    it cannot be opened or is not a regular file (FIFO, device, directory, socket)."""
    name = os.fspath(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(name, flags)
    except OSError as exc:
        raise ReadError(name, f"cannot open: {exc.strerror or exc}") from exc
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            what = next((kind for test, kind in _KINDS if test(mode)), "not a regular file")
            raise ReadError(name, f"{what}, not a regular file: refused")
        return io.FileIO(fd, "rb", closefd=True)
    except BaseException:
        os.close(fd)
        raise


def read_file_bytes(path: str | os.PathLike, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes. Reads at most ``limit + 1``
    bytes (the size a file reports is not trusted) and raises
    :class:`~runlab.errors.FileTooLargeError` beyond ``limit``."""
    name = os.fspath(path)
    with open_regular(name) as fh:
        chunks, left = [], limit + 1
        try:
            while left > 0:  # one read may return less than asked
                chunk = fh.read(min(left, 64 * 2**20))
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
        except OSError as exc:
            raise ReadError(name, f"cannot read: {exc.strerror or exc}") from exc
    data = b"".join(chunks) if len(chunks) != 1 else chunks[0]
    if len(data) > limit:
        raise FileTooLargeError(name, f"more than {limit} bytes (the limit)")
    return data
