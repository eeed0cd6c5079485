"""Platform CSV exports and the generic ``runlab.read_csv`` mapping."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import runlab
from runlab import schema
from runlab.errors import CorruptFileError, NotAnActivityError, ReadError
from runlab.io import read_activity, read_activity_bytes

UTC = dt.UTC


def _write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_strava_streams_csv_per_leg_cadence_and_start_time(tmp_path):
    text = ("time,distance,latlng,altitude,velocity_smooth,heartrate,cadence,watts,moving\n"
            '0,0.0,"[-8.016994, -34.847439]",6.4,0.0,111,79,,False\n'
            '4,5.6,"[-8.016978, -34.847324]",6.4,1.4,112,86,210,True\n')
    path = _write(tmp_path, "streams.csv", text)
    act = read_activity(path)
    rec = act.records
    schema.validate(rec, "records")
    assert act.meta["profile"] == "strava_streams"
    assert rec["cadence_spm"].to_list() == [158.0, 172.0]  # Strava's run cadence is per leg
    assert rec["lat_deg"].to_list() == [-8.016994, -8.016978]
    assert rec["lon_deg"][1] == -34.847324
    assert rec["power_w"].to_list() == [None, 210.0]
    assert rec["timestamp"].null_count() == 2 and rec["elapsed_s"].to_list() == [0.0, 4.0]
    assert any("start_time" in w for w in act.meta["warnings"])
    start = dt.datetime(2020, 12, 6, 9, 36, 27, tzinfo=UTC)
    rec = runlab.read_csv(path, start_time=start)
    assert rec["timestamp"].to_list() == [start, start + dt.timedelta(seconds=4)]


STRYD = ("Timestamp,Stryd Distance (meters),Watch Distance (meters),Stryd Speed (m/s),"
         "Watch Speed (m/s),Power (w),Form Power (w),Cadence (spm),Ground Time (ms),"
         "Vertical Oscillation (cm),Heart Rate (bpm),Elevation (m),Latitude,Longitude\n"
         "1607247387,0,0,2.5,2.4,250,70,170,240,8.5,140,12.0,-8.01,-34.84\n"
         "1607247388,2.6,2.5,2.6,2.7,255,71,172,238,8.4,141,12.1,-8.01001,-34.84\n")


def test_unit_labelled_header_stryd_layout(tmp_path):
    # header layout of Stryd PowerCenter's CSV export (no real Stryd file in the corpus)
    act = read_activity(_write(tmp_path, "stryd.csv", STRYD))
    rec = act.records
    assert act.meta["profile"] == "stryd"
    assert rec["timestamp"][0] == dt.datetime(2020, 12, 6, 9, 36, 27, tzinfo=UTC)
    assert rec["speed_mps"].to_list() == [2.5, 2.6]  # Stryd's own speed wins over the watch's
    assert rec["distance_m"].to_list() == [0.0, 2.6]
    assert rec["cadence_spm"].to_list() == [170.0, 172.0]
    assert rec["vertical_oscillation_mm"].to_list() == [85.0, 84.0]
    assert rec["stance_time_ms"].to_list() == [240.0, 238.0]
    assert rec["power_w"].to_list() == [250.0, 255.0]
    assert rec["heart_rate_bpm"][1] == 141 and rec["altitude_m"][0] == 12.0


def test_generic_mapping_with_unit_targets(tmp_path):
    text = ("Zeit;Puls;Tempo;Schritt;Höhe\n"
            "2024-03-01 07:00:00;120;6:00;85;1000\n"
            "2024-03-01 07:00:01;121;5:00;86;1001\n")
    path = _write(tmp_path, "x.csv", text.replace("6:00", "6.0").replace("5:00", "5.0"))
    rec = runlab.read_csv(path, columns={"Zeit": "timestamp", "Puls": "heart_rate_bpm",
                                         "Tempo": "pace_min_per_km", "Schritt": "cadence_per_leg",
                                         "Höhe": "altitude_ft"})
    assert rec["timestamp"][1] == dt.datetime(2024, 3, 1, 7, 0, 1, tzinfo=UTC)
    np.testing.assert_allclose(rec["speed_mps"], [1000 / 360, 1000 / 300])
    assert rec["cadence_spm"].to_list() == [170.0, 172.0]
    np.testing.assert_allclose(rec["altitude_m"], [304.8, 305.1048])
    with pytest.raises(ReadError, match="no column 'Speed'"):
        runlab.read_csv(path, columns={"Speed": "speed_mps"})
    with pytest.raises(ValueError, match="unknown target 'speed'"):
        runlab.read_csv(path, columns={"Puls": "speed"})


def test_timestamp_formats_unix_ms_hms_and_custom(tmp_path):
    ms = _write(tmp_path, "ms.csv", "timestamp,hr\n1596791711278,150\n1596791712278,151\n")
    assert read_activity(ms).records["timestamp"][0] == dt.datetime(
        2020, 8, 7, 9, 15, 11, 278000, tzinfo=UTC)
    hms = _write(tmp_path, "hms.csv", "Time,Heart Rate (bpm),Speed (km/h)\n0:00:00,100,9\n"
                                      "0:01:30,101,10.8\n1:00:00,102,12\n")
    rec = read_activity(hms).records
    assert rec["elapsed_s"].to_list() == [0.0, 90.0, 3600.0]
    np.testing.assert_allclose(rec["speed_mps"], [2.5, 3.0, 12 / 3.6])
    custom = _write(tmp_path, "c.csv", "when,hr\n01/03/2024 07:00,99\n")
    rec = runlab.read_csv(custom, columns={"when": "timestamp", "hr": "heart_rate_bpm"},
                          timestamp_format="%d/%m/%Y %H:%M")
    assert rec["timestamp"][0] == dt.datetime(2024, 3, 1, 7, 0, tzinfo=UTC)


def test_unitless_cadence_is_decided_from_values(tmp_path):
    path = _write(tmp_path, "c.csv", "timestamp,cadence\n2024-01-01T00:00:00Z,84\n"
                                     "2024-01-01T00:00:01Z,86\n")
    act = read_activity(path)
    assert act.records["cadence_spm"].to_list() == [168.0, 172.0]
    assert any("per_leg" in w for w in act.meta["warnings"])


FITCSV = """Type,Local Number,Message,Field 1,Value 1,Units 1,Field 2,Value 2,Units 2,Field 3,Value 3,Units 3,Field 4,Value 4,Units 4,Field 5,Value 5,Units 5,Field 6,Value 6,Units 6,
Definition,0,file_id,type,1,,manufacturer,1,,,,,,,,,,,,,,
Data,0,file_id,type,4,,manufacturer,1,,,,,,,,,,,,,,
Data,1,record,timestamp,1037526000,s,position_lat,536870912,semicircles,position_long,-1073741824,semicircles,heart_rate,150,bpm,cadence,87,rpm,fractional_cadence,0.5,rpm,
Data,1,record,timestamp,1037526001,s,position_lat,536870913,semicircles,position_long,-1073741824,semicircles,heart_rate,151,bpm,cadence,88,rpm,step_length,1100,mm,
"""


def test_garmin_fit_csv(tmp_path):
    act = read_activity(_write(tmp_path, "activity.csv", FITCSV))
    rec = act.records
    assert act.meta["profile"] == "garmin_fit_csv"
    fit_epoch = dt.datetime(1989, 12, 31, tzinfo=UTC)
    assert rec["timestamp"][0] == fit_epoch + dt.timedelta(seconds=1037526000)
    assert rec["lat_deg"][0] == 45.0 and rec["lon_deg"][0] == -90.0
    assert rec["cadence_spm"].to_list() == [175.0, 176.0]  # 2 × (87 + 0.5), 2 × 88
    assert rec["step_length_m"].to_list() == [None, 1.1]
    assert rec["heart_rate_bpm"].to_list() == [150.0, 151.0]


def test_bad_csvs_raise_naming_the_file(tmp_path):
    with pytest.raises(NotAnActivityError, match="splits.csv.*laps"):
        read_activity(_write(tmp_path, "splits.csv",
                             "Split,Time,Distance,Avg HR\n1,5:00,1.0,140\n"))
    with pytest.raises(NotAnActivityError, match="no rows"):
        read_activity(_write(tmp_path, "empty.csv", "timestamp,hr\n"))
    with pytest.raises(CorruptFileError, match="bad.csv.*column 'hr' has 'x'"):
        read_activity(_write(tmp_path, "bad.csv", "timestamp,hr\n2024-01-01T00:00:00Z,x\n"))
    with pytest.raises(ReadError, match="no known columns"):
        read_activity(_write(tmp_path, "odd.csv", "a,b\n1,2\n"))
    from runlab.io.csv import read_activity_bytes as read_csv_bytes

    with pytest.raises(CorruptFileError, match="u.csv: invalid UTF-8"):
        read_csv_bytes(b"timestamp,hr\n2024,\xff\xfe\n", "u.csv")
    with pytest.raises(CorruptFileError, match="u.csv: invalid UTF-8"):  # via the dispatch
        read_activity_bytes(b"timestamp,hr\n2024,caf\xe9\n", "u.csv")


def test_utf16_and_bom_csv(tmp_path):
    text = "timestamp,Heart Rate (bpm)\n2024-01-01T00:00:00Z,100\n"
    for enc in ("utf-8-sig", "utf-16"):
        rec = runlab.read_csv(_write(tmp_path, f"{enc}.csv", text, enc), separator=",")
        assert rec["heart_rate_bpm"].to_list() == [100.0]


def test_count_csv_columns_reads_the_header_record_only():
    from runlab.io._text import count_csv_columns, header_record

    assert count_csv_columns("a,b,c\n1,2,3,4,5\n") == 3
    assert count_csv_columns("a;b;c\r\n1;2;3\r\n") == 3  # separator sniffed
    assert count_csv_columns('"x, y",z\n') == 2  # a quoted separator is not a field break
    assert count_csv_columns('"say ""a,b""",z,w\n') == 3  # escaped quotes stay inside
    assert header_record('"two\nlines",b\n1,2\n') == '"two\nlines",b'
    assert count_csv_columns('"two\nlines",b\n1,2\n') == 2
    assert count_csv_columns("a\tb\n", separator="\t") == 2
    assert count_csv_columns("only") == 1


_WIDE_CHILD = """
import resource, sys
import runlab
from runlab.errors import FileTooLargeError
try:
    runlab.{call}(sys.argv[1])
except FileTooLargeError as exc:
    print("refused:", exc)
try:  # this process's own peak (ru_maxrss keeps the forking parent's peak across exec)
    with open("/proc/self/status") as fh:
        peak_kib = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM"))
except OSError:
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("rss_mib", peak_kib / 1024)
"""


@pytest.mark.parametrize("call", ["read", "read_csv"])
def test_wide_csv_is_refused_from_its_header_in_bounded_memory(tmp_path, call):
    # issue: 10⁶ columns (a few MB) made polars allocate per column: 1.2-3.6 GB
    import subprocess
    import sys

    from runlab.io._text import MAX_CSV_COLUMNS

    path = tmp_path / "wide.csv"
    n = 1_000_000
    path.write_text(",".join(f"c{i}" for i in range(n)) + "\n" + ",".join(["1"] * n) + "\n")
    out = subprocess.run([sys.executable, "-c", _WIDE_CHILD.format(call=call), str(path)],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert f"refused: {path}: the CSV header has {n} columns" in out.stdout
    assert f"limit of {MAX_CSV_COLUMNS}" in out.stdout
    rss = float(out.stdout.split("rss_mib")[1])
    # before the header check: 1.2 GB; alone ~110 MiB, up to ~430 MiB seen under xdist
    assert rss < 640, f"peak RSS {rss:.0f} MiB for a {path.stat().st_size >> 20} MiB file"


def test_csv_at_the_column_limit_is_read(tmp_path):
    from runlab.io._text import MAX_CSV_COLUMNS

    names = ["timestamp", "Heart Rate (bpm)"] + [f"x{i}" for i in range(MAX_CSV_COLUMNS - 2)]
    row = ["2024-01-01T00:00:00Z", "120"] + ["0"] * (MAX_CSV_COLUMNS - 2)
    path = _write(tmp_path, "edge.csv", ",".join(names) + "\n" + ",".join(row) + "\n")
    assert runlab.read(path)["heart_rate_bpm"].to_list() == [120.0]
    with pytest.raises(runlab.errors.FileTooLargeError, match="edge2.csv.*4097 columns"):
        runlab.read(_write(tmp_path, "edge2.csv", ",".join([*names, "y"]) + "\n"
                           + ",".join([*row, "1"]) + "\n"))
