"""Finding a cohort's inputs: folder walks, runner ids, archive members, content identity."""

from __future__ import annotations

import fnmatch
import hashlib
import io
import os
import stat
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from runlab.cohort.report import IngestReport
from runlab.errors import CorruptFileError, ReadError

#: File names read as training journals (case-insensitive globs).
JOURNAL_PATTERNS = ("journal*.csv", "journal*.tsv", "journal*.xlsx", "*.jsonl", "*.ndjson")

#: Side files at the root of a cohort folder that are neither activities nor journals (the
#: simulator's roster and truth tables); they are counted as ``ignored`` in the report.
SIDE_FILES = ("runners.csv", "runs_truth.csv")

_HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class _Input:
    """One file to ingest: where it is and what the store will call it."""

    source_path: str  # as stored: relative to the source root, absolute, or pseudonymised
    location: str  # the file on disk (the archive for a member)
    member: str | None  # archive member name, or None
    runner_id: str | None
    kind: str  # "activity" | "journal"
    problem: ReadError | None = None  # known unreadable (an archive refused as a whole)


def _storable(text: str) -> str:
    """A path as valid UTF-8 (undecodable file-name bytes become ``\\xNN``), deterministic."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _runner_lookup(runners: Any) -> Callable[[str, str], str | None]:
    """``runners=`` (CSV path, frame or dict of path → runner_id) as a lookup by relative
    path, absolute path or file name."""
    if runners is None:
        return lambda rel, absolute: None
    if isinstance(runners, Mapping):
        table = {str(k): (None if v is None else str(v)) for k, v in runners.items()}
    else:
        frame = runners if isinstance(runners, pl.DataFrame) else pl.read_csv(
            runners, infer_schema=False)
        if not {"path", "runner_id"} <= set(frame.columns):
            raise ValueError(f"runners mapping needs columns 'path' and 'runner_id'; has "
                             f"{frame.columns}")
        table = dict(frame.select(pl.col("path").cast(pl.String),
                                  pl.col("runner_id").cast(pl.String)).iter_rows())
    table = {Path(k).as_posix(): v for k, v in table.items()}

    def lookup(rel: str, absolute: str) -> str | None:
        for key in (rel, absolute, Path(rel).name):
            if key in table:
                return table[key]
        return None

    return lookup


def _is_journal(name: str) -> bool:
    low = name.lower()
    return any(fnmatch.fnmatch(low, pat) for pat in JOURNAL_PATTERNS)


def _discover(source: Any, runners: Any, key: str | bytes | None, exclude: Path,
              report: IngestReport, runner: str | None = None) -> list[_Input]:
    """Every input of ``source`` (folder, archive, path or list of paths), in a stable order;
    the activity files inside ``.zip`` exports are inputs of their own. ``runner`` is the
    runner id of every input the mapping and the folder layout leave without one."""
    from runlab.privacy import pseudonym

    lookup = _runner_lookup(runners)
    mapping_file = (Path(runners).resolve() if isinstance(runners, (str, os.PathLike))
                    else None)

    def make(location: Path, rel: str, stored: str, member: str | None = None,
             problem: ReadError | None = None) -> _Input:
        parts = Path(rel).parts
        found = lookup(rel, _storable(str(location))) or (parts[0] if len(parts) > 1 else None)
        if location.suffix.lower() == ".zip":  # a member: by its name, else the export's
            found = (lookup(member, "") if member else None) or found or (
                None if runner else location.stem)
        runner_id = found or runner
        name = Path(member or location.name).name
        kind = "journal" if member is None and _is_journal(name) else "activity"
        if member is not None:
            stored = f"{stored}!{_storable(member)}"
        if key is not None:
            runner_id = pseudonym(runner_id, key) if runner_id is not None else None
            stored = pseudonym(stored, key, length=32)
        return _Input(stored, str(location), member, runner_id, kind, problem)

    entries: list[tuple[Path, str, str]] = []  # (file, path relative to root, stored name)
    if isinstance(source, (str, os.PathLike)) and Path(source).is_dir():
        root = Path(source).resolve()
        for folder, dirs, files in os.walk(root):
            here = Path(folder)
            linked = [d for d in dirs if (here / d).is_symlink() and not d.startswith(".")]
            dirs[:] = sorted(d for d in dirs if not d.startswith(".")
                             and not (here / d).is_symlink()
                             and (here / d).resolve() != exclude)
            for name in sorted([*files, *linked]):  # a linked folder is listed, not followed
                path = here / name
                if name.startswith(".") or path.resolve() == mapping_file or (
                        here == root and name.lower() in SIDE_FILES):
                    report.ignored += 1
                    continue
                rel = _storable(path.relative_to(root).as_posix())
                entries.append((path, rel, rel))
    else:
        paths = [source] if isinstance(source, (str, os.PathLike)) else list(source)
        absolute = [Path(os.path.abspath(p)) for p in paths]
        if absolute:
            root = Path(os.path.commonpath([p.parent for p in absolute]))
            # a list keeps absolute source paths (stable whatever else is listed with it)
            entries = [(p, _storable(p.relative_to(root).as_posix()), _storable(str(p)))
                       for p in absolute]
    out = []
    for path, rel, stored in entries:
        if path.suffix.lower() == ".zip" and path.is_file() and not path.is_symlink():
            members, skipped, problem, refused = _archive_members(path)
            report.ignored += skipped
            if problem is not None:
                out.append(make(path, rel, stored, problem=problem))
            out += [make(path, rel, stored, member=m) for m in members]
            out += [make(path, rel, stored, member=m, problem=e) for m, e in refused.items()]
        else:
            out.append(make(path, rel, stored))
    return out


def _archive_members(path: Path) -> tuple[list[str], int, ReadError | None,
                                          dict[str, ReadError]]:
    """(activity members, number of other members, why the archive is refused, members
    refused alone) of a zip.

    Uses :mod:`runlab.io.archive`'s checks (zip-slip, zip bombs, sizes) before anything is
    decompressed; a nested zip (Garmin's export) contributes ``inner.zip!member`` names.
    """
    from runlab.io import MAX_FILE_BYTES
    from runlab.io import archive as arc

    members: list[str] = []
    skipped = 0
    refused: dict[str, ReadError] = {}
    inner_refused: dict[str, ReadError] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            for info in arc._checked(zf, str(path), "", MAX_FILE_BYTES, arc.MAX_TOTAL_BYTES,
                                     refused):
                low = info.filename.lower()
                if low.endswith(".zip"):
                    inner = zipfile.ZipFile(io.BytesIO(arc._read(zf, info, str(path),
                                                                 MAX_FILE_BYTES)))
                    with inner:
                        inner_refused.clear()
                        for sub in arc._checked(inner, str(path), f"{info.filename}!",
                                                MAX_FILE_BYTES, arc.MAX_TOTAL_BYTES,
                                                inner_refused):
                            if sub.filename.lower().endswith(arc._ACTIVITY_SUFFIXES):
                                members.append(f"{info.filename}!{sub.filename}")
                            else:
                                skipped += 1
                        refused.update((f"{info.filename}!{m}", e)
                                       for m, e in inner_refused.items())
                elif low.endswith(arc._ACTIVITY_SUFFIXES):
                    members.append(info.filename)
                else:
                    skipped += 1
    except ReadError as exc:
        return [], 0, exc, {}
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        return [], 0, CorruptFileError(str(path), f"not a readable zip archive: {exc}"), {}
    return members, skipped, None, refused


class _ArchiveBytes:
    """Reads archive members in archive order, keeping the current (inner) zip open."""

    def __init__(self):
        self._outer: tuple[str, zipfile.ZipFile] | None = None
        self._inner: tuple[str, zipfile.ZipFile] | None = None

    def read(self, location: str, member: str) -> bytes:
        from runlab.io import MAX_FILE_BYTES
        from runlab.io import archive as arc

        if self._outer is None or self._outer[0] != location:
            self.close()
            self._outer = (location, zipfile.ZipFile(location))
        zf = self._outer[1]
        if "!" in member:
            inner_name, member = member.split("!", 1)
            if self._inner is None or self._inner[0] != inner_name:
                if self._inner is not None:
                    self._inner[1].close()
                data = arc._read(zf, zf.getinfo(inner_name), location, MAX_FILE_BYTES)
                self._inner = (inner_name, zipfile.ZipFile(io.BytesIO(data)))
            zf = self._inner[1]
        return arc._read(zf, zf.getinfo(member), location, MAX_FILE_BYTES)

    def close(self) -> None:
        for held in (self._inner, self._outer):
            if held is not None:
                held[1].close()
        self._outer = self._inner = None


def _identify(item: _Input) -> tuple[str, str | None]:
    """(sha256 of the content, None) — or (a stand-in identity, why it cannot be read).

    Never opens anything but a regular file (a FIFO would block, a device never end) and
    never hashes a file above :data:`runlab.io.MAX_FILE_BYTES`.
    """
    from runlab.io import MAX_FILE_BYTES

    path = item.location
    try:
        st = os.lstat(path)
    except OSError as exc:
        return _stand_in(path, "gone"), f"cannot stat: {exc.strerror or exc}"
    if stat.S_ISLNK(st.st_mode):
        return _stand_in(path, os.readlink(path)), "a symbolic link (not followed)"
    if not stat.S_ISREG(st.st_mode):
        return _stand_in(path, oct(st.st_mode)), "not a regular file"
    if st.st_size > MAX_FILE_BYTES:
        return (_stand_in(path, f"{st.st_size}:{st.st_mtime_ns}"),
                f"{st.st_size} bytes is over the {MAX_FILE_BYTES} limit")
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(_HASH_CHUNK):
                digest.update(chunk)
    except OSError as exc:
        return _stand_in(path, "unreadable"), f"cannot open: {exc.strerror or exc}"
    return digest.hexdigest(), None


def _stand_in(path: str, detail: str) -> str:
    """A deterministic identity for a file whose content is not read."""
    return hashlib.sha256(f"{_storable(path)}\0{detail}".encode()).hexdigest()


def _content(item: _Input, archives: _ArchiveBytes
             ) -> tuple[str, bytes | None, ReadError | None]:
    """(sha256, an archive member's bytes, why it cannot be read) of one input."""
    if item.member is not None and item.problem is not None:  # a member refused alone
        return _stand_in(item.location, item.member), None, item.problem
    if item.member is None:
        sha, reason = _identify(item)
        return sha, None, item.problem or (ReadError(item.location, reason) if reason else None)
    try:
        data = archives.read(item.location, item.member)
    except ReadError as exc:
        return _stand_in(item.location, item.member), None, exc
    except (zipfile.BadZipFile, KeyError, OSError, EOFError) as exc:
        return (_stand_in(item.location, item.member), None,
                CorruptFileError(item.location, f"damaged member {item.member!r}: {exc}"))
    return hashlib.sha256(data).hexdigest(), data, None
