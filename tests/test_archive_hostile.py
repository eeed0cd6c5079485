"""Archives built to multiply work: overlapping and repeated entries, look-alike slashes,
special-file members (issue items 5 and 11). Inputs are generated, not committed."""

from __future__ import annotations

import os
import struct
import warnings
import zipfile

import pytest
from test_archive import _records, _zip
from test_cohort import outcome

import runlab
from runlab.cohort import ingest
from runlab.errors import ReadError, UnsafeArchiveError
from runlab.io.gpx import write_gpx

_EOCD = struct.Struct("<4s4H2LH")


def overlapping_zip(path, payload: bytes, copies: int = 2) -> os.PathLike:
    """See :func:`overlapping_zip_bytes`; written to ``path``."""
    path.write_bytes(overlapping_zip_bytes(payload, copies))
    return path


def overlapping_zip_bytes(payload: bytes, copies: int = 2) -> bytes:
    """A zip whose members all point into one stored stream (Fifield's "overlap" bomb):
    member ``i`` is stored and its data holds the local records of members ``i+1...``."""
    names = [f"r{i:05d}.gpx" for i in range(copies)]
    body, central = b"", []
    import zlib

    for i, name in reversed(list(enumerate(names))):
        data = payload if i == copies - 1 else body
        crc = zlib.crc32(data)
        header = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, crc, len(data),
                             len(data), len(name), 0) + name.encode()
        body = header + data
        central.append((name, crc, len(data)))
    records, offset = b"", 0
    for name, crc, size in reversed(central):  # offsets: each header follows the previous
        records += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, crc, size,
                               size, len(name), 0, 0, 0, 0, 0o100644 << 16, offset) + name.encode()
        offset += 30 + len(name)
    eocd = _EOCD.pack(b"PK\x05\x06", 0, 0, copies, copies, len(records), len(body), 0)
    return body + records + eocd


@pytest.fixture
def gpx_bytes(tmp_path):
    return write_gpx(_records(200), tmp_path / "one.gpx").read_bytes()


def test_the_generated_overlap_zip_is_what_zipfile_would_read(tmp_path, gpx_bytes):
    path = overlapping_zip(tmp_path / "o.zip", gpx_bytes, copies=3)
    with zipfile.ZipFile(path) as zf:  # the directory is valid: only the extents give it away
        infos = zf.infolist()
        assert [i.filename for i in infos] == ["r00000.gpx", "r00001.gpx", "r00002.gpx"]
        assert infos[0].file_size > infos[1].file_size > infos[2].file_size == len(gpx_bytes)


def test_entries_sharing_data_are_refused_before_reading(tmp_path, gpx_bytes):
    path = overlapping_zip(tmp_path / "overlap.zip", gpx_bytes, copies=50)
    with pytest.raises(UnsafeArchiveError, match="overlap.zip.*share data"):
        next(iter(runlab.read_archive(path)))


def test_ingest_of_an_overlap_bomb_is_one_error_not_a_thousand_runs(tmp_path, gpx_bytes):
    src = tmp_path / "src" / "r01"
    src.mkdir(parents=True)
    overlapping_zip(src / "export.zip", gpx_bytes, copies=200)
    store = ingest(tmp_path / "src", tmp_path / "st", workers=1, progress=False)
    assert store.runs.height == 0 and store.last_report.read == 0
    assert store.errors["error_type"].to_list() == ["UnsafeArchiveError"]


def test_duplicate_member_names_are_refused(tmp_path, gpx_bytes):
    path = tmp_path / "dup.zip"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate it writes
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("a/run.gpx", gpx_bytes)
            zf.writestr("a/run.gpx", gpx_bytes)
    with pytest.raises(UnsafeArchiveError, match="appears twice"):
        list(runlab.read_archive(path))


def test_total_claimed_work_is_capped_per_archive(tmp_path):
    members = {f"a/{i}.gpx": b"\0" * (900 * 2**10) for i in range(90)}  # each under the floor
    path = _zip(tmp_path / "many.zip", members)
    with pytest.raises(UnsafeArchiveError, match="many.zip.*claims .* compressed"):
        list(runlab.read_archive(path))


def test_a_division_slash_name_refuses_that_member_only(tmp_path, gpx_bytes):
    path = _zip(tmp_path / "slash.zip", {"..\u2215..\u2215w.gpx": gpx_bytes,
                                        "ok.gpx": gpx_bytes})
    out = dict(runlab.read_archive(path))
    assert isinstance(out["ok.gpx"], runlab.Activity)
    bad = out["..\u2215..\u2215w.gpx"]
    assert isinstance(bad, UnsafeArchiveError) and "look-alike slash" in str(bad)
    src = tmp_path / "src" / "r01"
    src.mkdir(parents=True)
    os.replace(path, src / "slash.zip")
    store = ingest(tmp_path / "src", tmp_path / "st", workers=1, progress=False)
    assert sorted(outcome(store).values()) == ["UnsafeArchiveError", "run"]


def test_special_file_members_and_archives(tmp_path, gpx_bytes):
    path = tmp_path / "fifo.zip"
    with zipfile.ZipFile(path, "w") as zf:
        info = zipfile.ZipInfo("pipe.gpx")
        info.external_attr = 0o010644 << 16  # a FIFO entry
        zf.writestr(info, gpx_bytes)
        zf.writestr("ok.gpx", gpx_bytes)
    out = dict(runlab.read_archive(path))
    assert isinstance(out["ok.gpx"], runlab.Activity)
    assert isinstance(out["pipe.gpx"], UnsafeArchiveError)
    fifo = tmp_path / "export.zip"
    os.mkfifo(fifo)  # opening it for reading would block for ever
    with pytest.raises(ReadError, match="FIFO"):
        list(runlab.read_archive(fifo))
