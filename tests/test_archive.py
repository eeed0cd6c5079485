"""Bulk export archives read in memory: names from activities.csv, nested zips, hostile zips."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import zipfile

import numpy as np
import polars as pl
import pytest

import runlab
from runlab.activity import Activity
from runlab.errors import CorruptFileError, FileTooLargeError, ReadError, UnsafeArchiveError
from runlab.io.gpx import write_gpx
from runlab.io.tcx import write_tcx


def _records(n: int = 30) -> pl.DataFrame:
    t0 = dt.datetime(2025, 4, 1, 6, 0, tzinfo=dt.UTC)
    return pl.DataFrame({"timestamp": [t0 + dt.timedelta(seconds=i) for i in range(n)],
                         "lat_deg": 52.0 + 2e-5 * np.arange(n), "lon_deg": np.full(n, 13.0),
                         "heart_rate_bpm": np.full(n, 140.0), "cadence_spm": np.full(n, 170.0)})


def _zip(path, members: dict[str, bytes]):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


@pytest.fixture
def strava_export(tmp_path, corpus):
    gpx = write_gpx(_records(), tmp_path / "a.gpx", creator="StravaGPX").read_bytes()
    tcx = write_tcx(_records(40), tmp_path / "b.tcx").read_bytes()
    fit = (corpus / "files/fit/hns__testdata.fit").read_bytes()
    csv = ("Activity ID,Activity Date,Activity Name,Activity Type,Filename\n"
           "1,\"Apr 1, 2025, 6:00:00 AM\",Morning Run,Run,activities/1.gpx\n"
           "2,\"Apr 2, 2025, 6:00:00 AM\",Hills,Run,activities/2.tcx.gz\n"
           "3,\"Apr 16, 2021, 1:37:53 PM\",Old run,Run,activities/3.fit.gz\n"
           "4,\"Apr 3, 2025, 6:00:00 AM\",Broken,Walk,activities/4.gpx\n")
    return _zip(tmp_path / "export_1.zip", {
        "activities.csv": csv.encode(), "activities/1.gpx": gpx,
        "activities/2.tcx.gz": gzip.compress(tcx), "activities/3.fit.gz": gzip.compress(fit),
        "activities/4.gpx": b"<gpx><trk><trkseg><trkpt lat='1'", "media/photo.jpg": b"\xff\xd8",
        "profile.json": b"{}"})


def test_strava_export_in_memory_with_names_and_collected_errors(strava_export):
    out = list(runlab.read_archive(strava_export))
    assert [name for name, _ in out] == ["activities/1.gpx", "activities/2.tcx.gz",
                                         "activities/3.fit.gz", "activities/4.gpx"]
    acts = {name: a for name, a in out}
    gpx, tcx, fit = acts["activities/1.gpx"], acts["activities/2.tcx.gz"], acts["activities/3.fit.gz"]
    assert isinstance(gpx, Activity) and gpx.records.height == 30
    assert gpx.meta["name"] == "Morning Run" and gpx.meta["activity_type"] == "Run"
    assert gpx.sport == "running" and gpx.records["cadence_spm"][0] == 170
    assert tcx.records.height == 40 and tcx.meta["name"] == "Hills"
    assert tcx.path.endswith("export_1.zip!activities/2.tcx.gz")
    assert fit.meta["format"] == "fit" and fit.meta["name"] == "Old run"
    bad = acts["activities/4.gpx"]
    assert isinstance(bad, ReadError) and "export_1.zip!activities/4.gpx" in str(bad)
    with pytest.raises(ReadError, match="activities/4.gpx"):
        list(runlab.read_archive(strava_export, errors="raise"))


def test_garmin_nested_zip_and_summaries(tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("me@example.com_987654.tcx", write_tcx(_records(), tmp_path / "g.tcx")
                    .read_bytes())
    summaries = [{"summarizedActivitiesExport": [
        {"activityId": 987654, "name": "Easy run", "activityType": "running"}]}]
    path = _zip(tmp_path / "garmin.zip", {
        "DI_CONNECT/DI-Connect-Fitness/me_0_summarizedActivities.json":
            json.dumps(summaries).encode(),
        "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip": inner.getvalue()})
    ((name, act),) = list(runlab.read_archive(path))
    assert name.endswith("Part1.zip!me@example.com_987654.tcx")
    assert act.meta["name"] == "Easy run" and act.sport == "running"


@pytest.mark.parametrize("member", ["../evil.gpx", "/etc/evil.gpx", "a/../../evil.gpx",
                                    "C:/evil.gpx", "..\\evil.gpx"])
def test_zip_slip_is_refused_before_reading(tmp_path, member):
    path = _zip(tmp_path / "slip.zip", {"ok.gpx": b"<gpx/>", member: b"<gpx/>"})
    with pytest.raises(UnsafeArchiveError, match="slip.zip.*zip-slip"):
        list(runlab.read_archive(path))


def test_symlink_member_is_refused(tmp_path):
    path = tmp_path / "link.zip"
    with zipfile.ZipFile(path, "w") as zf:
        info = zipfile.ZipInfo("run.gpx")
        info.external_attr = (0o120777 << 16)
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(UnsafeArchiveError, match="symbolic link"):
        list(runlab.read_archive(path))


def test_zip_bomb_ratio_and_size_limits(tmp_path):
    bomb = _zip(tmp_path / "bomb.zip", {"activities/1.gpx": b"\0" * (8 * 2**20)})
    with pytest.raises(UnsafeArchiveError, match=r"bomb.zip.*ratio of \d+:1"):
        list(runlab.read_archive(bomb))
    big = _zip(tmp_path / "big.zip", {"a.gpx": b"x" * 5000})
    with pytest.raises(FileTooLargeError, match="a.gpx.*limit 1000"):
        list(runlab.read_archive(big, max_member_bytes=1000))
    with pytest.raises(FileTooLargeError, match="more than 4000 bytes"):
        list(runlab.read_archive(big, max_total_bytes=4000))


def test_gzip_bomb_inside_the_archive_is_a_member_error(tmp_path, monkeypatch):
    import runlab.io as rio

    monkeypatch.setattr(rio, "MAX_FILE_BYTES", 2**20)
    payload = gzip.compress(b"<gpx>" + b" " * (3 * 2**20) + b"</gpx>")
    path = _zip(tmp_path / "gz.zip", {"activities/1.gpx.gz": payload})
    ((_, err),) = list(runlab.read_archive(path))
    assert isinstance(err, FileTooLargeError) and "decompresses to more than" in str(err)


def test_not_a_zip_and_bad_arguments(tmp_path):
    path = tmp_path / "fake.zip"
    path.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(CorruptFileError, match="fake.zip.*not a readable zip"):
        list(runlab.read_archive(path))
    with pytest.raises(ValueError, match="errors"):
        list(runlab.read_archive(path, errors="ignore"))


def test_cli_lists_an_export(strava_export, capsys):
    from runlab.cli import main

    assert main(["archive", str(strava_export)]) == 1  # one member is broken
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("activities/1.gpx\trunning\t2025-04-01 06:00 UTC\t30 records")
    assert out[0].endswith("Morning Run")
    assert out[3].startswith("activities/4.gpx\terror: malformed XML")
