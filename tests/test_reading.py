"""One reader contract for every format: ``read(path, *, strict=True, **options)``.

Unknown keywords raise ``TypeError`` before any I/O; ``strict=True`` raises on damage and
``strict=False`` returns the records before the first fault with ``partial=True``.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import json
import warnings

import numpy as np
import polars as pl
import pytest

import runlab
import runlab.io
from runlab import schema
from runlab.errors import CorruptFileError, DataRepairWarning, ReadError, TruncatedFileError
from runlab.io import OPTIONS, read_activity_bytes
from runlab.io.fit_write import write_activity_bytes
from runlab.io.gpx import write_gpx
from runlab.io.tcx import write_tcx

T0 = dt.datetime(2025, 5, 4, 7, 30, tzinfo=dt.UTC)
N = 120


def _records() -> pl.DataFrame:
    rng = np.random.default_rng(5)
    t = np.arange(N, dtype=float)
    return schema.conform(pl.DataFrame({
        "timestamp": pl.Series([T0 + dt.timedelta(seconds=s) for s in range(N)])
        .cast(schema.TIMESTAMP),
        "elapsed_s": t, "distance_m": np.cumsum(rng.uniform(2.5, 3.5, N)),
        "speed_mps": rng.uniform(2.5, 3.5, N).round(3),
        "cadence_spm": np.full(N, 170.0), "heart_rate_bpm": rng.integers(120, 160, N) * 1.0,
        "lat_deg": 46.0 + t * 2.7e-5, "lon_deg": np.full(N, 14.5),
        "altitude_m": 300 + t * 0.1}), "records")


def _files(tmp_path) -> dict[str, bytes]:
    """One valid file of every format, from the same run."""
    rec = _records()
    out = {"fit": write_activity_bytes(rec),
           "gpx": write_gpx(rec, tmp_path / "r.gpx").read_bytes(),
           "tcx": write_tcx(rec, tmp_path / "r.tcx").read_bytes()}
    rows = [",".join(f"{v}" for v in r) for r in
            rec.select((pl.col("timestamp").dt.epoch("s")), "heart_rate_bpm", "cadence_spm",
                       "speed_mps").iter_rows()]
    out["csv"] = ("Timestamp,Heart Rate (bpm),Cadence (spm),Speed (m/s)\n"
                  + "\n".join(rows) + "\n").encode()
    out["json"] = json.dumps({
        "time": {"data": list(range(N))},
        "heartrate": {"data": rec["heart_rate_bpm"].to_list()},
        "velocity_smooth": {"data": rec["speed_mps"].to_list()}}, indent=1).encode()
    return out


# ------------------------------------------------------------------------------- keywords


def test_every_reader_has_one_signature_and_the_options_table_is_true():
    signatures = runlab.io.reader_options()
    for fmt, module in runlab.io._READERS.items():
        params = inspect.signature(importlib.import_module(module).read_activity_bytes).parameters
        keywords = [n for n, p in params.items() if p.kind is p.KEYWORD_ONLY]
        assert keywords[0] == "strict" and params["strict"].default is True, fmt
        assert not any(p.kind is p.VAR_KEYWORD for p in params.values()), fmt  # no catch-all
        assert OPTIONS[fmt] == signatures[fmt], fmt  # the fast path knows them all
        for option in signatures[fmt]:  # every option of the reader passes the early check
            runlab.io.check_options({option: None})
            runlab.io.check_options({option: None}, fmt)


@pytest.mark.parametrize("suffix", ["fit", "fit.gz", "tcx", "gpx", "csv", "json"])
@pytest.mark.parametrize("call", ["read", "read_activity", "read_csv"])
def test_unknown_keyword_raises_type_error_before_any_io(tmp_path, monkeypatch, suffix, call):
    def no_io(*args, **kwargs):
        raise AssertionError("the file was opened")

    monkeypatch.setattr(runlab.io, "read_file_bytes", no_io)
    missing = tmp_path / f"missing.{suffix}"  # does not exist: opening it would raise ReadError
    valid = "" if call == "read_csv" else (  # (read_csv: Python's own, from its signature)
        r".*valid keywords: strict; merge_heart_rates \(FIT\); activity \(TCX\)")
    with pytest.raises(TypeError, match=f"'typo_kw'{valid}"):
        getattr(runlab, call)(missing, typo_kw=1)


def test_option_of_another_format_raises_type_error_naming_the_valid_ones(tmp_path):
    files = _files(tmp_path)
    with pytest.raises(TypeError, match="'activity' is an option of TCX files, not of this "
                                        "FIT file; valid for FIT: strict, merge_heart_rates"):
        read_activity_bytes(files["fit"], "a.fit", activity=0)
    with pytest.raises(TypeError, match="'start_time' is an option of CSV and JSON.*valid "
                                        "for GPX: strict$"):
        read_activity_bytes(files["gpx"], "a.gpx", start_time=T0)
    with pytest.raises(TypeError, match="valid for TCX: strict, activity"):
        read_activity_bytes(files["tcx"], "a.tcx", columns={})
    for fmt, data in files.items():  # every reader, called directly, has no catch-all
        module = importlib.import_module(runlab.io._READERS[fmt])
        with pytest.raises(TypeError, match="typo_kw"):
            module.read_activity_bytes(data, f"a.{fmt}", typo_kw=1)


def test_every_format_takes_strict_and_its_options(tmp_path):
    files = _files(tmp_path)
    for fmt, data in files.items():
        path = tmp_path / f"run.{fmt}"
        path.write_bytes(data)
        for strict in (True, False):
            act = runlab.read_activity(path, strict=strict)
            assert act.records.height == N and not act.partial, fmt
    assert runlab.read(tmp_path / "run.tcx", activity=0).height == N
    start = runlab.read(tmp_path / "run.json", start_time=T0)["timestamp"]
    assert start[0] == T0
    assert runlab.read_csv(tmp_path / "run.csv", separator=",", strict=False).height == N
    assert runlab.io.gpx.read_gpx(tmp_path / "run.gpx", strict=True).records.height == N


def test_read_bytes_activity_is_a_deprecated_alias(tmp_path):
    data = _files(tmp_path)["gpx"]
    with pytest.warns(DeprecationWarning, match="read_activity_bytes"):
        act = runlab.io.read_bytes_activity(data, "a.gpx")
    assert act.records.equals(read_activity_bytes(data, "a.gpx").records)


# ------------------------------------------------------------------------ strict / partial


def _partial(data: bytes, name: str):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        act = read_activity_bytes(data, name, strict=False)
    assert any(issubclass(w.category, DataRepairWarning) and "partial read" in str(w.message)
               and name in str(w.message) for w in seen)
    assert act.partial and act.meta["partial"] is True
    assert any(w.startswith("partial read") for w in act.meta["warnings"])
    schema.validate(act.records, "records")
    return act


@pytest.mark.parametrize("fmt", ["fit", "gpx", "tcx", "csv", "json"])
def test_truncated_file_strict_raises_partial_keeps_the_records_before(tmp_path, fmt):
    data = _files(tmp_path)[fmt]
    full = read_activity_bytes(data, f"full.{fmt}").records
    cut = data[: len(data) * 2 // 3]
    name = f"cut.{fmt}"
    with pytest.raises(ReadError, match=f"{name}: "):
        read_activity_bytes(cut, name)
    act = _partial(cut, name)
    n = act.records.height
    assert 0 < n < N
    cols = ["timestamp", "heart_rate_bpm"] if fmt != "json" else ["elapsed_s", "heart_rate_bpm"]
    assert act.records.select(cols).equals(full.head(n).select(cols))
    if fmt == "json":  # streams are cut to the same length: the records before the fault
        assert act.records["speed_mps"].null_count() == 0


def test_truncated_gzip_of_a_text_format_is_a_fault_in_both_modes(tmp_path):
    import gzip

    cut = gzip.compress(_files(tmp_path)["gpx"])[:-20]
    for strict in (True, False):  # a broken gzip stream: nothing to read records from
        with pytest.raises(CorruptFileError, match="z.gpx.gz: gzip stream is truncated"):
            read_activity_bytes(cut, "z.gpx.gz", strict=strict)


def test_nothing_sound_before_the_fault_still_raises():
    for data, name in ((b'<gpx xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg><trkpt',
                        "a.gpx"),
                       (b'{"time": {"data": [0', "a.json"),
                       (b"Timestamp,Heart Rate (bpm)\n1700000000", "a.csv"),
                       (b"Timestamp,Heart Rate (bpm)\n1700000000,x\n", "b.csv")):
        with pytest.raises(ReadError, match=name):
            read_activity_bytes(data, name, strict=False)


def test_csv_faults_inside_the_file(tmp_path):
    rows = "".join(f"{1700000000 + i},{120 + i}\n" for i in range(10))
    bad_number = ("Timestamp,Heart Rate (bpm)\n" + rows.replace("1700000004,124", "1700000004,x")
                  ).encode()
    with pytest.raises(CorruptFileError, match="n.csv: column 'Heart Rate \\(bpm\\)' has 'x'"):
        read_activity_bytes(bad_number, "n.csv")
    assert _partial(bad_number, "n.csv").records["heart_rate_bpm"].to_list() == [
        120.0, 121.0, 122.0, 123.0]
    bad_utf8 = ("Timestamp,Heart Rate (bpm)\n" + rows).encode()
    at = bad_utf8.index(b"1700000006")
    bad_utf8 = bad_utf8[:at + 3] + b"\xff" + bad_utf8[at + 4:]
    with pytest.raises(CorruptFileError, match=f"u.csv: invalid UTF-8 at byte {at + 3}"):
        read_activity_bytes(bad_utf8, "u.csv")
    assert _partial(bad_utf8, "u.csv").records.height == 6
    # a complete last row without a line end is whole, not truncated
    whole = ("Timestamp,Heart Rate (bpm)\n" + rows.rstrip("\n")).encode()
    assert read_activity_bytes(whole, "w.csv").records.height == 10
    with pytest.raises(TruncatedFileError, match="t.csv: the last row is cut short"):
        read_activity_bytes(whole[:-4], "t.csv")


def test_xml_fault_in_the_middle_keeps_the_points_before(tmp_path):
    data = _files(tmp_path)["tcx"]
    at = data.index(b"<Trackpoint>", len(data) // 2)
    broken = data[:at] + b"<Trackpoint><Time>oops</Tim>" + data[at:]
    with pytest.raises(CorruptFileError, match="b.tcx: malformed XML"):
        read_activity_bytes(broken, "b.tcx")
    act = _partial(broken, "b.tcx")
    full = read_activity_bytes(data, "full.tcx").records
    assert act.records.equals(full.head(act.records.height))
    assert act.records.height == data[:at].count(b"<Trackpoint>")


def test_gpx_coordinate_that_is_not_a_number_ends_a_partial_read(tmp_path):
    data = _files(tmp_path)["gpx"]
    at = data.index(b'<trkpt lat="', len(data) // 2) + len(b'<trkpt lat="')
    broken = data[:at] + b"north" + data[data.index(b'"', at):]
    with pytest.raises(CorruptFileError, match="b.gpx: trkpt .*lat='north'"):
        read_activity_bytes(broken, "b.gpx")
    act = _partial(broken, "b.gpx")
    full = read_activity_bytes(data, "full.gpx").records
    assert act.records.height == data[:at].count(b"<trkpt ") - 1
    assert act.records.equals(full.head(act.records.height))
