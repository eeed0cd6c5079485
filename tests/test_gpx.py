"""GPX reader and writer: every corpus GPX against its MANIFEST facts, the cadence rule,
round trips, hostile XML."""

from __future__ import annotations

import datetime as dt
import gzip
import xml.etree.ElementTree as ET

import numpy as np
import polars as pl
import pytest
from conftest import check_scanner, corpus_params, scanned

import runlab
from runlab import schema
from runlab.errors import (
    CorruptFileError,
    FileTooLargeError,
    NotAnActivityError,
    ReadError,
    RunlabWarning,
    UnsupportedFormatError,
)
from runlab.geo import step_distances_m
from runlab.io import read_activity, read_activity_bytes
from runlab.io._xml_safe import parse
from runlab.io.gpx import cadence_per_leg, write_gpx

UTC = dt.UTC


def _time(text: str) -> dt.datetime:
    t = dt.datetime.fromisoformat(text.replace("Z", "+00:00").split("+")[0][:26])
    off = text[19:].lstrip("0123456789.").replace("Z", "")
    if off:
        sign = -1 if off[0] == "-" else 1
        t -= sign * dt.timedelta(hours=int(off[1:3]), minutes=int(off[4:6]))
    return t.replace(tzinfo=UTC)


def _hms(text: str) -> float:
    h, m, s = (float(x) for x in text.split(":"))
    return h * 3600 + m * 60 + s


def _untimed(root) -> int:
    """trkpt without <time> in a parsed GPX (counted independently of the reader)."""
    pts = [e for e in root.iter() if e.tag.endswith("trkpt")]
    timed = sum(any(c.tag.endswith("time") for c in p) for p in pts)
    return len(pts) - timed if timed else 0


def _check_gpx(act, fact: dict, root) -> None:
    rec = act.records
    schema.validate(rec, "records")
    assert act.meta["format"] == "gpx"
    # points without a time are left out when others have one (documented)
    assert rec.height == int(fact["ref_trkpt"]) - _untimed(root)
    n_segments = int(fact.get("ref_trkseg", 1))
    # one marker per non-empty segment after the first (none is a timer event)
    assert act.events.height <= max(n_segments - 1, 0)
    assert set(act.events["event"]) <= {"segment"}
    times = rec["timestamp"]
    if "ref_first_trkpt_time" in fact and times.null_count() == 0:
        assert times[0] == _time(fact["ref_first_trkpt_time"])
    for key, col in (("ref_cad_elems", "cadence_spm"), ("ref_hr_elems", "heart_rate_bpm")):
        if key in fact:
            assert rec[col].is_not_null().sum() == int(fact[key]), key
    dist = float(np.nansum(step_distances_m(rec["lat_deg"], rec["lon_deg"])))
    checks = {
        "start": lambda v: times[0] == _time(v),
        "start_floor_s": lambda v: times[0].replace(microsecond=0) == _time(v),
        "points": lambda v: rec.height == int(v),
        "first_point_time": lambda v: times[0] == _time(v),
        "last": lambda v: times[-1] == _time(v),
        "last_elapsed_s": lambda v: rec["elapsed_s"][-1] == float(v),
        "elapsed_s": lambda v: rec["elapsed_s"][-1] == float(v),
        "elapsed": lambda v: rec["elapsed_s"][-1] == _hms(v),
        "first_hr": lambda v: rec["heart_rate_bpm"][0] == float(v),
        "last_hr": lambda v: rec["heart_rate_bpm"][-1] == float(v),
        # the files' cad is per leg (Garmin Connect): steps/min are twice the raw value
        "first_cad": lambda v: rec["cadence_spm"][0] == 2 * float(v),
        "last_cad": lambda v: rec["cadence_spm"][-1] == 2 * float(v),
        "first_ele": lambda v: rec["altitude_m"][0] == float(v),
        "first_ele_m": lambda v: rec["altitude_m"][0] == float(v),
        "last_ele": lambda v: rec["altitude_m"][-1] == float(v),
        "first_lat": lambda v: rec["lat_deg"][0] == float(v),
        "first_lon": lambda v: rec["lon_deg"][0] == float(v),
        # runlab's Earth radius is the IUGG mean (6371008.8 m); peers use 6371000 or 6378137
        "haversine_distance_m": lambda v: dist == pytest.approx(float(v), rel=2e-6),
        "length2d_m": lambda v: dist == pytest.approx(float(v), rel=2e-3),
        "mean_speed_mps": lambda v: dist / rec["elapsed_s"][-1] == pytest.approx(float(v), rel=2e-6),
        "type": lambda v: act.sport == v.split()[0],
        "ref_version": lambda v: act.meta["gpx_version"] == (None if v == "None" else v),
        "version": lambda v: act.meta["gpx_version"] == v,
        "track0_bounds_not_none": lambda v: rec["lat_deg"].null_count() == 0,
    }
    for key in [k for k in fact if k in checks]:
        assert checks[key](fact[key]), f"{key}={fact[key]}"


def _read_checked(path, fact):
    if "ref_trkpt" not in fact:
        # waypoint-only and route-only files hold no recorded activity (documented)
        with pytest.raises(NotAnActivityError, match=path.name):
            read_activity(path)
        return None
    act = read_activity(path)
    data = path.read_bytes()
    _check_gpx(act, fact, parse(gzip.decompress(data) if path.suffix == ".gz" else data, ""))
    return act


@pytest.mark.parametrize(("rel", "fact"), corpus_params("gpx"))
def test_corpus_gpx_matches_manifest(corpus, rel, fact):
    _read_checked(corpus / rel, fact)


@pytest.mark.parametrize(("rel", "fact"), corpus_params("gpx.gz"))
def test_corpus_gzipped_gpx(corpus, rel, fact):
    act = _read_checked(corpus / rel, fact)
    assert act.meta["creator"].startswith("Graphhopper")


def test_gpsbabel_unknown_times_are_missing_not_1901(corpus):
    # MANIFEST says first_time=1901-12-13T20:45:52.207343Z: that is a signed 32-bit time_t of
    # -2**31, GPSBabel's "no time", so runlab reports those times as missing (and keeps order).
    act = read_activity(corpus / "files/gpx/gpxpy__Mojstrovka.gpx")
    assert act.records["timestamp"].null_count() == act.records.height == 184
    assert act.records["altitude_m"][0] == 1614.678
    assert any("1901" in w for w in act.meta["warnings"])


def test_times_with_offset_are_utc_and_offset_is_kept(corpus):
    act = read_activity(corpus / "files/gpx/gpxpy__track-with-less-sec-time.gpx")
    assert act.records["timestamp"][0] == dt.datetime(2015, 12, 11, 14, 43, 13, tzinfo=UTC)
    assert act.meta["local_time_offset_s"] == 3600
    assert act.sport == "running"


def test_cadence_rule_on_the_corpus(corpus):
    """Garmin/Strava per-leg cad is doubled; the same runs in TCX give identical steps/min."""
    pairs = [("runpandas__stopped_example", "StravaGPX"), ("hns__testdata", "Garmin Connect")]
    for stem, creator in pairs:
        gpx = read_activity(corpus / f"files/gpx/{stem}.gpx")
        tcx = read_activity(corpus / f"files/tcx/{stem}.tcx")
        assert gpx.meta["creator"] == creator and gpx.meta["cadence_unit"] == "per_leg"
        both = gpx.records.join(tcx.records, on="timestamp", suffix="_tcx")
        both = both.drop_nulls(["cadence_spm", "cadence_spm_tcx"])
        assert both.height > 40
        assert (both["cadence_spm"] == both["cadence_spm_tcx"]).mean() > 0.95
        assert 110 < gpx.records["cadence_spm"].filter(gpx.records["cadence_spm"] > 0).median() < 200


def test_cadence_rule_from_creator_and_data():
    assert cadence_per_leg("Garmin Connect") and cadence_per_leg("StravaGPX")
    assert cadence_per_leg("runlab") and cadence_per_leg("eTrex 10")
    assert cadence_per_leg("Some Phone App 2.0") is None and cadence_per_leg(None) is None
    for values, expect_spm in (((82, 84, 86), (164, 168, 172)), ((164, 170, 176), (164, 170, 176)),
                               ((0, 55, 58), (0, 110, 116))):
        pts = "".join(f'<trkpt lat="1" lon="{i * 1e-5}"><time>2024-01-01T00:00:0{i}Z</time>'
                      f"<extensions><x:TrackPointExtension><x:cad>{c}</x:cad>"
                      "</x:TrackPointExtension></extensions></trkpt>"
                      for i, c in enumerate(values))
        data = (f'<gpx version="1.1" creator="Some Phone App" xmlns="{GPX11}" xmlns:x="{TPX1}">'
                f"<trk><trkseg>{pts}</trkseg></trk></gpx>").encode()
        act = read_activity_bytes(data, "app.gpx")
        assert act.records["cadence_spm"].to_list() == list(map(float, expect_spm))


GPX11 = "http://www.topografix.com/GPX/1/1"
TPX1 = "http://www.garmin.com/xmlschemas/TrackPointExtension/v1"
GPXDATA = "http://www.cluetrust.com/XML/GPXDATA/1/0"


def test_cluetrust_gpxdata_and_gpx10_speed():
    data = f"""<?xml version="1.0"?><gpx version="1.1" creator="x" xmlns="{GPX11}"
    xmlns:gpxdata="{GPXDATA}"><trk><trkseg>
    <trkpt lat="10" lon="20"><time>2020-01-01T00:00:00Z</time><extensions><gpxdata:hr>140</gpxdata:hr>
    <gpxdata:cadence>85</gpxdata:cadence><gpxdata:temp>21.5</gpxdata:temp>
    <gpxdata:distance>0</gpxdata:distance></extensions></trkpt>
    <trkpt lat="10.0001" lon="20"><time>2020-01-01T00:00:04Z</time><extensions><gpxdata:hr>141</gpxdata:hr>
    <gpxdata:cadence>86</gpxdata:cadence><gpxdata:distance>11.5</gpxdata:distance></extensions></trkpt>
    </trkseg></trk></gpx>""".encode()
    rec = read_activity_bytes(data, "ct.gpx").records
    assert rec["heart_rate_bpm"].to_list() == [140, 141]
    assert rec["cadence_spm"].to_list() == [170, 172]
    assert rec["temperature_c"].to_list() == [21.5, None]
    assert rec["distance_m"].to_list() == [0, 11.5]  # the file's, not derived
    assert rec["speed_mps"].to_list() == [None, None]  # readers derive nothing
    out = runlab.clean(rec)
    assert out["speed_mps"].to_list() == [11.5 / 4, 11.5 / 4]  # from the file's distance
    assert out["speed_derived"].all() and not out["distance_derived"].any()


def test_multiple_tracks_segments_missing_ele_and_speed_derivation():
    def seg(t0, lat0, n):
        return "<trkseg>" + "".join(
            f'<trkpt lat="{lat0 + i * 1e-4}" lon="0"><time>2020-01-01T00:{t0 + i:02d}:00Z</time>'
            "</trkpt>" for i in range(n)) + "</trkseg>"
    data = (f'<gpx xmlns="{GPX11}" version="1.1"><trk>{seg(0, 0, 3)}<trkseg/>{seg(10, 1, 3)}'
            f"</trk><trk>{seg(20, 2, 2)}</trk></gpx>").encode()
    act = read_activity_bytes(data, "multi.gpx")
    rec = act.records
    assert rec.height == 8 and act.meta["tracks"] == 2 and act.meta["segments"] == 3
    assert rec["altitude_m"].null_count() == 8
    assert act.events["timestamp"].dt.minute().to_list() == [10, 20]
    assert act.events["event_type"].to_list() == ["marker", "marker"]
    assert rec["distance_m"].null_count() == rec["speed_mps"].null_count() == 8
    out = runlab.clean(rec, act.events, hampel_half_window=0)  # (no spike filter)
    assert out["distance_derived"].all() and out["speed_derived"].all()
    step = float(step_distances_m([0, 1e-4], [0, 0])[1])
    assert out["distance_m"][2] == pytest.approx(2 * step)
    # central difference over ±2 samples: the 1st point spans t=0..2 min, 0..step*2
    assert out["speed_mps"][0] == pytest.approx(2 * step / 120)
    assert rec["elapsed_s"][-1] == 21 * 60


def test_round_trip_exact(tmp_path):
    rng = np.random.default_rng(3)
    n = 400
    t0 = dt.datetime(2026, 6, 1, 5, 0, tzinfo=UTC)
    rec = pl.DataFrame({
        "timestamp": [t0 + dt.timedelta(milliseconds=1000 * i + 7 * (i % 3)) for i in range(n)],
        "lat_deg": -33.9 + np.cumsum(rng.normal(0, 2e-5, n)),
        "lon_deg": 151.2 + np.cumsum(rng.normal(0, 2e-5, n)),
        "altitude_m": rng.normal(30, 3, n),
        "speed_mps": rng.uniform(1, 4, n),
        "heart_rate_bpm": rng.integers(90, 190, n).astype(float),
        "cadence_spm": 2.0 * rng.integers(60, 95, n),
        "power_w": rng.integers(100, 400, n).astype(float),
        "temperature_c": rng.normal(18, 2, n).round(1),
    }).with_columns(pl.col("timestamp").cast(schema.TIMESTAMP))
    act = read_activity(write_gpx(rec, tmp_path / "run.gpx"))
    got = act.records
    assert act.meta["creator"] == "runlab" and act.meta["cadence_unit"] == "per_leg"
    assert act.sport == "running"
    assert got["timestamp"].to_list() == rec["timestamp"].to_list()
    for col in rec.columns[1:]:
        np.testing.assert_array_equal(got[col].to_numpy(), rec[col].to_numpy(), err_msg=col)
    assert np.abs(got["lat_deg"].to_numpy() - rec["lat_deg"].to_numpy()).max() < 1e-7


def test_writer_drops_points_without_position_with_warning(tmp_path):
    t0 = dt.datetime(2026, 6, 1, tzinfo=UTC)
    rec = pl.DataFrame({"timestamp": [t0, t0 + dt.timedelta(seconds=1)],
                        "lat_deg": [1.0, None], "lon_deg": [2.0, None]})
    with pytest.warns(RunlabWarning, match="1 records without a position"):
        path = write_gpx(rec, tmp_path / "p.gpx", creator='a "quoted" & <app>')
    act = read_activity(path)
    assert act.records.height == 1 and act.meta["creator"] == 'a "quoted" & <app>'


# ------------------------------------------------------------------ hostile and broken XML

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<gpx version="1.1"><trk><name>&lol3;</name></trk></gpx>"""
XXE = b"""<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<gpx version="1.1"><trk><name>&x;</name><trkseg><trkpt lat="1" lon="1"/></trkseg></trk></gpx>"""
DTD_NET = b"""<?xml version="1.0"?><!DOCTYPE gpx SYSTEM "http://example.invalid/gpx.dtd">
<gpx version="1.1"><trk><trkseg><trkpt lat="1" lon="1"/></trkseg></trk></gpx>"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, XXE, DTD_NET,
                                  XXE.decode().encode("utf-16")], ids=["laughs", "xxe", "dtd",
                                                                       "xxe-utf16"])
def test_dtds_and_entities_are_refused(data):
    with pytest.raises(UnsupportedFormatError, match="evil.gpx.*DOCTYPE"):
        read_activity_bytes(data, "evil.gpx")


def test_invalid_utf8_and_malformed_xml_name_the_file():
    bad = f'<gpx xmlns="{GPX11}"><trk><name>caf\xe9</name></trk></gpx>'.encode("latin-1")
    with pytest.raises(CorruptFileError, match="bad.gpx.*invalid UTF-8"):
        read_activity_bytes(bad, "bad.gpx")
    with pytest.raises(CorruptFileError, match="cut.gpx: malformed XML at line 1"):
        read_activity_bytes(f'<gpx xmlns="{GPX11}"><trk><trkseg><trkpt lat="1"'.encode(),
                            "cut.gpx")
    with pytest.raises(CorruptFileError, match="prefix.gpx.*unbound prefix"):
        read_activity_bytes(b'<gpx><x:trk/></gpx>', "prefix.gpx")
    with pytest.raises(CorruptFileError, match="lat='north'"):
        read_activity_bytes(f'<gpx xmlns="{GPX11}"><trk><trkseg><trkpt lat="north" lon="1"/>'
                            "</trkseg></trk></gpx>".encode(), "n.gpx")


def test_declared_latin1_is_decoded():
    data = ('<?xml version="1.0" encoding="ISO-8859-1"?><gpx version="1.1" creator="Zürich" '
            f'xmlns="{GPX11}"><trk><trkseg><trkpt lat="1" lon="2"><time>2020-01-01T00:00:00Z'
            "</time></trkpt></trkseg></trk></gpx>").encode("latin-1")
    assert read_activity_bytes(data, "l.gpx").meta["creator"] == "Zürich"


def test_huge_xml_is_refused_before_parsing():
    with pytest.raises(FileTooLargeError, match="big.gpx.*over the 1000 limit"):
        parse(b"<gpx>" + b" " * 2000 + b"</gpx>", "big.gpx", max_bytes=1000)


def test_not_gpx_root_and_empty_track():
    with pytest.raises(ReadError, match="root element <kml>"):
        parse_root = parse(b"<kml/>", "a.kml")
        from runlab.io._xml_safe import check_root

        check_root(parse_root, ["gpx"], "a.kml", "GPX")
    with pytest.raises(NotAnActivityError, match="no track points"):
        read_activity_bytes(f'<gpx xmlns="{GPX11}"><trk><trkseg/></trk></gpx>'.encode(), "e.gpx")


# ------------------------------------------------------------------ fast scanner = full parser

@pytest.mark.parametrize(("rel", "fact"), corpus_params("tcx") + corpus_params("gpx"))
def test_fast_scanner_equals_full_parser_on_corpus(corpus, rel, fact):
    data = (corpus / rel).read_bytes()
    if fact.get("error"):
        assert scanned(data, "Trackpoint", {}) is None
        return
    check_scanner(data, rel)  # documents it does not vouch for go to the full parser


def test_fast_scanner_is_used_for_device_files(corpus):
    for rel in ("files/tcx/runpandas__run_garmin.tcx", "files/gpx/runpandas__stopped_example.gpx"):
        fast = check_scanner((corpus / rel).read_bytes(), rel)
        assert fast is not None and fast.fast


@pytest.mark.parametrize("doc", [
    # each of these must make the scanner step aside (the full parser decides or refuses)
    '<gpx xmlns="{ns}"><trk><trkseg><trkpt lat="1" lon="2"><!-- c --></trkpt></trkseg></trk></gpx>',
    '<gpx xmlns="{ns}"><trk><trkseg><trkpt lat="1" lon="2"><ele>1&amp;</ele></trkpt></trkseg></trk></gpx>',
    '<gpx xmlns="{ns}"><trk><trkseg><trkpt lat="1" lon="2"><x:ele>1</x:ele></trkpt></trkseg></trk></gpx>',
    # a second point whose markup differs from the first's but has the same lengths
    '<gpx xmlns="{ns}"><trk><trkseg><trkpt lat="1" lon="2"><ele>1</ele></trkpt>'
    '<trkpt lat="1" lon="2"><ele>1</elf></trkpt></trkseg></trk></gpx>',
    # a value holding the other quote; namespace declarations on a point or below the root
    '<gpx xmlns="{ns}"><trk xmlns:y="u"><trkseg><trkpt lat="1" lon="2"></trkpt></trkseg></trk>'
    '</gpx>',
    '<gpx xmlns="{ns}"><trk><trkseg><trkpt lat="1\'" lon="2"></trkpt></trkseg></trk></gpx>',
    '<gpx xmlns="{ns}"><trk><trkseg><trkpt xmlns="{ns}" lat="1" lon="2"></trkpt></trkseg></trk></gpx>',
    '<gpx xmlns="{ns}"><trk><trkseg><trkpt lat="1" lon="2"><ele>1</time></trkpt></trkseg></trk></gpx>',
    '<gpx xmlns="{ns}"><trk><trkseg><trkpt lat=1 lon="2"></trkpt></trkseg></trk></gpx>',
    '<gpx xmlns="{ns}"><trk><trkseg><trkpt lat="1" lon="2"></trkpt></trkseg></trk></gpx><gpx/>',
    '<gpx xmlns="{ns}"><trk><trkseg><trkpt lat="1" lon="2" xmlns:y="u"></trkpt></trkseg></trk></gpx>',
])
def test_fast_scanner_steps_aside(doc):
    data = doc.format(ns=GPX11).encode()
    assert scanned(data, "trkpt", {"ele": "altitude_m"}, ("time",), ("lat",), ("trk",)) is None


@pytest.mark.parametrize("bad", ['<trkpt lat="1" lon="2">', '<trkpt lat="1" lon="2"><ele>1</ele>',
                                 '<trkpt lat="1" lon="2"><ele>1<ele></trkpt>'])
def test_an_unclosed_point_among_empty_ones_is_an_error(bad):
    empty = '<trkpt lat="1" lon="2"/>'
    doc = f'<gpx xmlns="{GPX11}"><trk><trkseg>{empty * 20}{bad}{empty}</trkseg></trk></gpx>'
    with pytest.raises(CorruptFileError, match="unclosed.gpx: malformed XML"):
        read_activity_bytes(doc.encode(), "unclosed.gpx")


def test_a_broken_point_after_good_ones_is_an_error():
    # every point is vouched for by its layout's first one: a typo in a later point's end
    # tag (markup of equal length) must still be found
    good = '<trkpt lat="1" lon="2"><ele>1</ele></trkpt>'
    doc = (f'<gpx xmlns="{GPX11}"><trk><trkseg>{good * 50}<trkpt lat="1" lon="2"><ele>1</elf>'
           f"</trkpt>{good}</trkseg></trk></gpx>")
    with pytest.raises(CorruptFileError, match="broken.gpx: malformed XML at line 1"):
        read_activity_bytes(doc.encode(), "broken.gpx")


@pytest.mark.parametrize(("doc", "reason"), [
    ('<?xml version="1.0" encoding="UTFs8"?><gpx xmlns="{ns}"><trk><trkseg><trkpt lat="1" '
     'lon="2"/></trkseg></trk></gpx>', "unknown character encoding"),
    ('<gpx xmlns="{ns}" version="1.1" version="1.0"><trk><trkseg><trkpt lat="1" lon="2">'
     "</trkpt></trkseg></trk></gpx>", "duplicate attribute"),
    ('<gpx xmlns="{ns}"><trk><trkseg><trkpt lat="1" lat="2" lon="2"></trkpt></trkseg></trk>'
     "</gpx>", "duplicate attribute"),
    ('<?xml version="1.0" encoding="UTF-8" standalone="maybe"?><gpx xmlns="{ns}"><trk><trkseg>'
     '<trkpt lat="1" lon="2"></trkpt></trkseg></trk></gpx>', "declaration"),
])
def test_errors_found_by_fuzzing_name_the_file(doc, reason):
    # regressions from tests/test_fuzz.py: the scanner must never report "<skeleton>"
    with pytest.raises(CorruptFileError, match=f"fuzzed.gpx: .*{reason}"):
        read_activity_bytes(doc.format(ns=GPX11).encode(), "fuzzed.gpx")


VARIANTS = [
    # (document, the scanner should take it)
    ('<gpx xmlns="{ns}" xmlns:x="{tpx}"><trk><trkseg><trkpt lon="2" lat="1"><ele>5</ele>'
     "<time>2020-01-01T00:00:00Z</time><extensions><x:TrackPointExtension><x:hr>100</x:hr>"
     "</x:TrackPointExtension></extensions></trkpt><trkpt lat='1.1' lon='2.1'/></trkseg>"
     "</trk></gpx>", True),
    ('<gpx xmlns="{ns}">\r\n\t<trk>\r\n\t\t<trkseg>\r\n\t\t\t<trkpt\tlat="1"\nlon="2">\r\n'
     "\t\t\t\t<ele>  7.5  </ele><time>2020-01-01T00:00:01.5+01:00</time></trkpt>\r\n"
     "</trkseg></trk></gpx>", True),
    ('<gpx xmlns="{ns}" xmlns:y="urn:y"><trk><trkseg><trkpt lat="1" lon="2" y:q="3">'
     "<y:ele>9</y:ele><ele>5</ele></trkpt></trkseg><trkseg><trkpt lat='3' lon='4'>"
     "<ele/><time></time></trkpt></trkseg></trk><trk><trkseg><trkpt lat='5' lon='6'>"
     "<name>a b</name></trkpt></trkseg></trk></gpx>", True),
    ('<gpx xmlns="{ns}"><trk><trkseg><trkpt lat="1" lon="2"><ele >1</ele ></trkpt>'
     "</trkseg></trk></gpx>", True),
    # a '>' in an attribute value and in a text are legal XML
    ('<gpx xmlns="{ns}"><trk><trkseg><trkpt lat="1>" lon="2"><name>a>b</name></trkpt>'
     "</trkseg></trk></gpx>", True),
    # markup of equal lengths but other names: two layouts, each parsed by expat
    ('<gpx xmlns="{ns}"><trk><trkseg><trkpt lat="1" lon="2"><ele>1</ele></trkpt>'
     '<trkpt lat="1" lon="2"><abc>1</abc></trkpt></trkseg></trk></gpx>', True),
    # points of three layouts, in two segments; a namespace declared inside a point
    ('<gpx xmlns="{ns}"><trk><trkseg><trkpt lat="1" lon="2"><ele>5</ele></trkpt>\n'
     '<trkpt lat="1.5" lon="2.5"><time>2020-01-01T00:00:01Z</time></trkpt>\n'
     '<trkpt lat="1.25" lon="2.25"><ele>6</ele></trkpt></trkseg><trkseg>'
     '<trkpt lat="3" lon="4"><extensions><x:TrackPointExtension xmlns:x="{tpx}"><x:hr>99'
     "</x:hr></x:TrackPointExtension></extensions></trkpt></trkseg></trk></gpx>", True),
    ('<?xml version="1.0" encoding="ISO-8859-1"?><gpx xmlns="{ns}"><trk><trkseg>'
     '<trkpt lat="1" lon="2"><name>caf\xe9</name></trkpt></trkseg></trk></gpx>', False),
    ('<gpx xmlns="{ns}"><trk><trkseg><trkpt lat="1" lon="2"><![CDATA[x]]></trkpt>'
     "</trkseg></trk></gpx>", False),
]


@pytest.mark.parametrize(("doc", "fast_expected"), VARIANTS)
def test_scanner_and_full_parser_agree_on_variants(doc, fast_expected):
    data = doc.format(ns=GPX11, tpx=TPX1).encode("latin-1")
    parse(data, "x")  # every variant is well-formed
    fast = check_scanner(data, "x")  # (compares with expat's reading)
    assert (fast is not None) == fast_expected
    if fast is not None:
        assert ET.tostring(fast.root).count(b"trkpt") == 0
