"""runlab's files: the cache folder, locks, and atomic writes (readers see the old file or
the new one, never half)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from filelock import FileLock

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

__all__ = ["atomic_write", "cache_dir", "file_lock"]


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: temp file in the same folder, fsync, rename, fsync dir.

    A symbolic link is written through (its target is replaced, the link stays); an
    existing file keeps its permission bits (and its owner and group where this process may
    set them); a new file gets the usual ``0666 & ~umask``. The temp file is locked while
    it is written, so temps left by a killed writer (``.<name>.<random>.tmp``) are removed
    by the next write, never the temp of a writer that is still alive.
    """
    import stat

    path = Path(os.path.realpath(path)) if os.path.islink(path) else Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        old = os.stat(path)
    except FileNotFoundError:
        old = None
    _remove_stale_temps(folder, path.name)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)  # "alive": released by the kernel if this dies
        if old is not None:
            with contextlib.suppress(PermissionError):
                os.fchown(fd, old.st_uid, old.st_gid)
            os.fchmod(fd, stat.S_IMODE(old.st_mode))
        else:
            os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
            os.replace(tmp, path)  # while still locked: never seen as a stale temp
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _remove_stale_temps(folder: Path, name: str) -> None:
    """Remove ``.<name>.<8 chars>.tmp`` files of ``folder`` whose writer is gone (their
    lock can be taken); a live writer's temp is locked and left alone."""
    import re

    if fcntl is None:  # no flock (Windows): liveness unknown, leave them
        return
    pattern = re.compile(rf"\.{re.escape(name)}\.[A-Za-z0-9_]{{8}}\.tmp")
    try:
        entries = [e for e in os.scandir(folder) if pattern.fullmatch(e.name)
                   and e.is_file(follow_symlinks=False)]
    except OSError:
        return
    for entry in entries:
        try:
            fd = os.open(entry.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # its writer is alive
            os.close(fd)
            continue
        try:
            if os.path.lexists(entry.path) and os.stat(entry.path).st_ino == os.fstat(fd).st_ino:
                os.unlink(entry.path)
        except OSError:
            pass
        finally:
            os.close(fd)


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
