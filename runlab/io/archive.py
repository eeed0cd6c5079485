"""Bulk exports (Strava, Garmin) read straight from the ``.zip``, never unpacked to disk.

``runlab.read_archive(path)`` yields ``(source_name, result)`` for every activity file in the
archive, in archive order: ``result`` is an :class:`~runlab.activity.Activity`, or — with
``errors="collect"`` (the default) — the :class:`~runlab.errors.ReadError` that member raised,
so one bad file never stops a bulk import (``errors="raise"`` raises it instead).

- Activity files: ``.fit``, ``.tcx``, ``.gpx`` and their ``.gz`` forms (case-insensitive),
  also inside zips nested one level deep (Garmin's export keeps uploads in inner zips).
  Everything else (media, JSON profiles) is skipped.
- Names and types: Strava's ``activities.csv`` (``Filename``, ``Activity Name``, ``Activity
  Type``) fills ``meta["name"]``, ``meta["activity_type"]`` and, where the file had none,
  ``meta["sport"]``. Garmin's ``*summarizedActivities*.json`` does the same for files whose
  name contains the ``activityId``.
- ``source_name`` is the member's path in the archive (``inner.zip!member`` when nested);
  ``Activity.path`` and error messages use ``<archive>!<member>``.

Safety: only a regular file is opened, and before anything is decompressed the whole central
directory is checked. A member whose name is absolute, has a ``..`` part or a drive letter,
or is a symbolic link raises :class:`~runlab.errors.UnsafeArchiveError` (zip-slip), as do
duplicate member names, members whose bytes overlap another's (entries sharing data: the
"non-recursive zip bomb" of D. Fifield, USENIX WOOT 2019 — checked from the local headers
by runlab itself, whatever the Python version), a member that claims to expand more than
:data:`MAX_RATIO` times, an archive claiming more than :data:`MAX_RATIO` times its
compressed size in total, or more than :data:`MAX_MEMBERS` members. Members over
``max_member_bytes`` or archives over ``max_total_bytes`` (uncompressed) raise
:class:`~runlab.errors.FileTooLargeError`. A member named with a look-alike slash
(``..∕..∕w.fit``) or that is not a regular file is refused alone (its own error). Reads stop
at the declared size and at ``limit + 1`` bytes, so a lying header cannot inflate memory.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import posixpath
import stat
import struct
import zipfile
from collections.abc import Iterator

import polars as pl

from runlab.activity import Activity
from runlab.errors import (
    CorruptFileError,
    FileTooLargeError,
    ReadError,
    UnsafeArchiveError,
    UnsupportedFormatError,
)

__all__ = ["read_archive", "MAX_RATIO", "MAX_MEMBERS", "MAX_TOTAL_BYTES"]

#: Largest believable compression ratio of one member: FIT compresses ~3×, XML ~10–25×.
MAX_RATIO = 200.0
#: Members below this size [bytes] are not ratio-checked (tiny files compress absurdly).
_RATIO_FLOOR_BYTES = 1 << 20
#: Most members an export may have (a decade of daily runs with photos is ~20 000).
MAX_MEMBERS = 100_000
#: Largest total uncompressed size [bytes] of one archive: 16 GiB.
MAX_TOTAL_BYTES = 16 * 2**30

#: What zipfile raises for damaged archives besides BadZipFile.
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError,
               NotImplementedError, struct.error, gzip.zlib.error, UnicodeDecodeError)

_ACTIVITY_SUFFIXES = (".fit", ".tcx", ".gpx", ".fit.gz", ".tcx.gz", ".gpx.gz")
_STRAVA_SPORTS = {"run": "running", "virtual run": "running", "trail run": "running",
                  "walk": "walking", "hike": "hiking", "ride": "cycling",
                  "virtual ride": "cycling", "swim": "swimming"}


def read_archive(path: str | os.PathLike, *, errors: str = "collect",
                 max_member_bytes: int | None = None,
                 max_total_bytes: int = MAX_TOTAL_BYTES) -> Iterator[tuple[str, Activity | ReadError]]:
    """Yield ``(source_name, Activity or ReadError)`` for each activity file in a zip export.

    Parameters
    ----------
    path
        The ``.zip`` file.
    errors
        ``"collect"``: a member that cannot be read is yielded with its ReadError;
        ``"raise"``: raise it. Problems of the archive itself always raise.
    max_member_bytes
        Largest uncompressed member [bytes] (default :data:`runlab.io.MAX_FILE_BYTES`).
    max_total_bytes
        Largest total uncompressed size of the archive [bytes].

    Examples
    --------
    >>> for name, act in runlab.read_archive("export_12345.zip"):  # doctest: +SKIP
    ...     if isinstance(act, runlab.errors.ReadError): print("skip", act)
    """
    from runlab.io import MAX_FILE_BYTES

    if errors not in ("collect", "raise"):
        raise ValueError(f"errors must be 'collect' or 'raise', not {errors!r}")
    name = os.fspath(path)
    limit = MAX_FILE_BYTES if max_member_bytes is None else max_member_bytes
    from runlab.io._files import open_regular

    fh = open_regular(name)  # a FIFO or device is refused, never waited on
    try:
        zf = zipfile.ZipFile(fh)
    except _ZIP_ERRORS as exc:
        fh.close()
        raise CorruptFileError(name, f"not a readable zip archive: {exc}") from exc
    with fh, zf:
        yield from _members(zf, name, "", errors, limit, max_total_bytes, depth=0)


def _members(zf: zipfile.ZipFile, archive: str, prefix: str, errors: str, limit: int,
             total_limit: int, depth: int, outer: dict[str, dict] | None = None,
             ) -> Iterator[tuple[str, Activity | ReadError]]:
    refused: dict[str, ReadError] = {}
    infos = _checked(zf, archive, prefix, limit, total_limit, refused)
    names = {**(outer or {}), **_names_and_types(zf, infos, archive, limit)}
    for member, exc in refused.items():
        if errors == "raise":
            raise exc
        yield f"{prefix}{member}", exc
    for info in infos:
        member = info.filename
        low = member.lower()
        source = f"{prefix}{member}"
        where = f"{archive}!{source}"
        if low.endswith(".zip") and depth == 0:
            inner = _read(zf, info, archive, limit)
            try:
                nested = zipfile.ZipFile(io.BytesIO(inner))
            except _ZIP_ERRORS as exc:
                err = CorruptFileError(where, f"nested zip is unreadable: {exc}")
                if errors == "raise":
                    raise err from exc
                yield source, err
                continue
            with nested:
                yield from _members(nested, archive, f"{source}!", errors, limit, total_limit,
                                    depth + 1, names)
            continue
        if not low.endswith(_ACTIVITY_SUFFIXES):
            continue
        try:
            act = _activity(zf, info, where, limit)
        except ReadError as exc:
            if errors == "raise":
                raise
            yield source, exc
            continue
        stem = _stem(member)  # Garmin uploads: "<account>_<activityId>.fit"
        extra = names.get(member) or names.get(stem) or names.get(stem.rsplit("_", 1)[-1]) or {}
        act.meta.update({"archive": archive, "member": source, **extra})
        if act.meta.get("sport") is None and extra.get("activity_type"):
            act.meta["sport"] = _STRAVA_SPORTS.get(extra["activity_type"].lower(),
                                                   extra["activity_type"].lower())
        yield source, act


def _checked(zf: zipfile.ZipFile, archive: str, prefix: str, limit: int,
             total_limit: int, refused: dict[str, ReadError] | None = None
             ) -> list[zipfile.ZipInfo]:
    """The file members that may be read, after refusing — before anything is decompressed:

    - the whole archive: names that escape it (zip-slip), symbolic links, duplicate names,
      members whose data overlap or repeat (the extents are checked from the local headers
      here, whatever the interpreter's zipfile checks), members or a total claiming an
      absurd compression ratio, oversize members and totals;
    - one member (into ``refused``, by name): names with look-alike slashes (``..∕w.fit``
      with U+2215) and entries that are not regular files (FIFOs, devices).
    """
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise UnsafeArchiveError(archive, f"{len(infos)} members (more than {MAX_MEMBERS})")
    seen: set[str] = set()
    total = packed = 0
    ok = []
    for info in infos:
        member = info.filename
        parts = member.replace("\\", "/").split("/")
        if (member.startswith(("/", "\\")) or ".." in parts
                or (len(member) > 1 and member[1] == ":")):
            raise UnsafeArchiveError(archive, f"member {prefix}{member!r} points outside the "
                                              "archive (zip-slip)")
        if member in seen:
            raise UnsafeArchiveError(archive, f"member name {prefix}{member!r} appears twice")
        seen.add(member)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise UnsafeArchiveError(archive, f"member {prefix}{member!r} is a symbolic link")
        if info.file_size > limit:
            raise FileTooLargeError(archive, f"member {prefix}{member!r} expands to "
                                             f"{info.file_size} bytes (limit {limit})")
        if (info.file_size > _RATIO_FLOOR_BYTES
                and info.file_size > MAX_RATIO * max(info.compress_size, 1)):
            raise UnsafeArchiveError(
                archive, f"member {prefix}{member!r} claims a compression ratio of "
                         f"{info.file_size / max(info.compress_size, 1):.0f}:1 (zip bomb?)")
        total += info.file_size
        packed += info.compress_size
        if total > total_limit:
            raise FileTooLargeError(archive, f"more than {total_limit} bytes uncompressed")
        if info.is_dir():
            continue
        where = f"{archive}!{prefix}{member}"
        if any(c in member for c in _LOOKALIKE_SLASHES):
            _refuse(refused, member, UnsafeArchiveError(
                where, "a name with a look-alike slash (e.g. U+2215): refused"))
        elif mode and stat.S_IFMT(mode) and not stat.S_ISREG(mode):
            _refuse(refused, member, UnsafeArchiveError(where, "not a regular file: refused"))
        else:
            ok.append(info)
    if total > max(_TOTAL_FLOOR_BYTES, MAX_RATIO * packed):
        raise UnsafeArchiveError(archive, f"{prefix or 'the archive'} claims {total} bytes "
                                          f"from {packed} compressed (zip bomb?)")
    _check_extents(zf, infos, archive, prefix)
    return ok


#: Characters that look like "/" but are not one (a name made to look like a path).
_LOOKALIKE_SLASHES = ("\u2215", "\u2044", "\uff0f", "\u29f8", "\u2571")
#: Archives below this total uncompressed size [bytes] are not ratio-checked as a whole.
_TOTAL_FLOOR_BYTES = 64 * 2**20
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, ..., name length, extra length


def _refuse(refused: dict[str, ReadError] | None, member: str, exc: ReadError) -> None:
    if refused is not None:
        refused[member] = exc


def _check_extents(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], archive: str,
                   prefix: str) -> None:
    """Refuse members whose bytes (local header + compressed data) overlap another's or the
    central directory: entries sharing one compressed stream make a small zip expand to
    any size (a "non-recursive zip bomb", Fifield 2019)."""
    fp = zf.fp
    spans = []
    for info in infos:
        head = b""
        if info.header_offset >= 0:  # a damaged directory can point before the file
            fp.seek(info.header_offset)
            head = fp.read(_LOCAL_HEADER.size)
        if len(head) < _LOCAL_HEADER.size or head[:4] != b"PK\x03\x04":
            raise CorruptFileError(archive, f"member {prefix}{info.filename!r}: no local "
                                            "header where the directory says")
        _, name_len, extra_len = _LOCAL_HEADER.unpack(head)
        end = info.header_offset + _LOCAL_HEADER.size + name_len + extra_len \
            + info.compress_size
        spans.append((info.header_offset, end, info.filename))
    spans.sort()
    for (_, end, a), (begin, _, b) in zip(spans, spans[1:], strict=False):
        if begin < end:
            raise UnsafeArchiveError(archive, f"members {prefix}{a!r} and {prefix}{b!r} "
                                              "share data (overlapping entries: zip bomb?)")
    directory = getattr(zf, "start_dir", None)
    if spans and directory is not None and spans[-1][1] > directory:
        raise UnsafeArchiveError(archive, f"member {prefix}{spans[-1][2]!r} overlaps the "
                                          "central directory")


def _read(zf: zipfile.ZipFile, info: zipfile.ZipInfo, archive: str, limit: int) -> bytes:
    where = f"{archive}!{info.filename}"
    try:
        with zf.open(info) as f:
            data = f.read(limit + 1)
    except NotImplementedError as exc:  # a compression method or zip version zipfile lacks
        raise UnsupportedFormatError(where, f"cannot decompress the member: {exc}") from exc
    except RuntimeError as exc:  # encrypted
        raise ReadError(where, f"cannot read the member: {exc}") from exc
    except _ZIP_ERRORS as exc:
        raise CorruptFileError(where, f"damaged member: {exc}") from exc
    if len(data) > limit:
        raise FileTooLargeError(where, f"more than {limit} bytes")
    return data


def _activity(zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str, limit: int) -> Activity:
    from runlab.io import read_activity_bytes

    return read_activity_bytes(_read(zf, info, where.rsplit("!", 1)[0], limit), where)


def _stem(member: str) -> str:
    base = posixpath.basename(member)
    for suffix in (".gz", ".fit", ".tcx", ".gpx"):
        if base.lower().endswith(suffix):
            base = base[: -len(suffix)]
    return base


def _names_and_types(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], archive: str,
                     limit: int) -> dict[str, dict]:
    """member path (Strava) or file stem (Garmin id) → {"name", "activity_type", ...}."""
    out: dict[str, dict] = {}
    for info in infos:
        base = posixpath.basename(info.filename).lower()
        if base == "activities.csv":
            out.update(_strava_csv(_read(zf, info, archive, limit), archive))
        elif "summarizedactivities" in base and base.endswith(".json"):
            out.update(_garmin_summaries(_read(zf, info, archive, limit)))
    return out


def _strava_csv(data: bytes, archive: str) -> dict[str, dict]:
    try:
        frame = pl.read_csv(io.BytesIO(data), infer_schema=False, truncate_ragged_lines=True)
    except pl.exceptions.PolarsError as exc:
        raise CorruptFileError(f"{archive}!activities.csv", f"unreadable: {exc}") from exc
    if "Filename" not in frame.columns:
        return {}
    cols = {"Activity Name": "name", "Activity Type": "activity_type",
            "Activity Date": "activity_date", "Activity ID": "activity_id"}
    out = {}
    for row in frame.iter_rows(named=True):
        if row["Filename"]:
            out[row["Filename"]] = {v: row.get(k) for k, v in cols.items() if k in frame.columns}
    return out


def _garmin_summaries(data: bytes) -> dict[str, dict]:
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return {}
    acts = []
    for block in doc if isinstance(doc, list) else [doc]:
        if isinstance(block, dict):
            acts += block.get("summarizedActivitiesExport", [])
    out = {}
    for a in acts:
        if isinstance(a, dict) and a.get("activityId") is not None:
            out[str(a["activityId"])] = {"name": a.get("name"),
                                         "activity_type": a.get("activityType"),
                                         "activity_id": str(a["activityId"])}
    return out
