"""runlab's files: the cache folder, locks, and atomic writes (readers see the old file or
the new one, never half)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from filelock import FileLock

__all__ = ["atomic_write", "cache_dir", "file_lock"]


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: temp file in the same folder, fsync, rename, fsync dir."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def cache_dir() -> Path:
    """runlab's cache folder: ``$RUNLAB_CACHE``, else ``$XDG_CACHE_HOME/runlab``, else
    ``~/.cache/runlab`` (the sample, demo stores, lab settings and the coach dashboard)."""
    env = os.environ.get("RUNLAB_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")  # the XDG spec ignores a relative path
    return (Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache") / "runlab"


def file_lock(path: str | os.PathLike, timeout_s: float = -1) -> FileLock:
    """An exclusive inter-process lock on the file ``path`` (created if missing; released by
    the OS if the holder dies), portable (``filelock``). Use it as a context manager; it
    waits ``timeout_s`` (-1: for ever, 0: not at all) and then raises ``filelock.Timeout``."""
    return FileLock(os.fspath(path), timeout=timeout_s)
