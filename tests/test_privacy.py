"""Location masking and keyed pseudonyms (runlab.privacy)."""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import polars as pl
import pytest

from runlab import privacy
from runlab.geo import haversine_m, step_distances_m

# A straight 1.1 km track due north: 0.0001° latitude ≈ 11.1 m per sample.
LAT0, LON0, STEP_DEG = 52.0, 13.0, 1e-4


def track(n: int = 101, run_id: str = "a", lat0: float = LAT0) -> pl.DataFrame:
    lat = lat0 + STEP_DEG * np.arange(n)
    return pl.DataFrame({
        "timestamp": pl.datetime_range(pl.datetime(2026, 5, 1, 7, time_zone="UTC"),
                                       pl.datetime(2026, 5, 1, 7, time_zone="UTC")
                                       + pl.duration(seconds=n - 1), "1s", eager=True),
        "lat_deg": lat, "lon_deg": np.full(n, LON0),
        "cadence_spm": np.full(n, 170.0), "run_id": [run_id] * n,
    })


def along_m(frame: pl.DataFrame) -> np.ndarray:
    return np.cumsum(step_distances_m(frame["lat_deg"], frame["lon_deg"]))


def test_trim_removes_exactly_the_first_and_last_metres():
    rec = track()
    out = privacy.mask(rec, trim_start_end_m=200.0)
    d = along_m(rec)
    expect = (d < 200.0) | (d[-1] - d < 200.0)
    assert out["position_masked"].to_list() == expect.tolist()
    assert out["lat_deg"].is_null().to_list() == expect.tolist()
    assert 30 < expect.sum() < 40  # ~18 samples at each end
    # everything else is untouched: same rows, same cadence, kept positions unchanged
    assert out.height == rec.height
    assert out["cadence_spm"].equals(rec["cadence_spm"])
    kept = ~expect
    assert np.array_equal(out["lat_deg"].to_numpy()[kept], rec["lat_deg"].to_numpy()[kept])


def test_zone_removes_positions_within_its_radius_only():
    rec = track()
    zone = (LAT0 + 50 * STEP_DEG, LON0)  # the middle of the track
    out = privacy.mask(rec, [zone], radius_m=100.0, trim_start_end_m=0)
    dist = haversine_m(rec["lat_deg"], rec["lon_deg"], *zone)
    assert out["position_masked"].to_list() == (dist < 100.0).tolist()
    assert 15 <= int((dist < 100.0).sum()) <= 19
    # a per-zone radius overrides the default
    wide = privacy.mask(rec, [(*zone, 300.0)], radius_m=100.0, trim_start_end_m=0)
    assert wide["position_masked"].sum() == int((dist < 300.0).sum())


def test_loop_back_home_is_trimmed_by_straight_line_distance():
    # out 500 m and back: the finish is far along the track but next to the start
    out_leg = track(46)
    back = out_leg.reverse().with_columns(
        timestamp=out_leg["timestamp"] + pl.duration(seconds=46))
    loop = pl.concat([out_leg, back])
    masked = privacy.mask(loop, trim_start_end_m=100.0)
    home = haversine_m(loop["lat_deg"], loop["lon_deg"], LAT0, LON0)
    assert masked.filter(pl.Series(home < 100.0))["position_masked"].all()
    assert not masked.filter(pl.Series(home > 150.0))["position_masked"].any()


def test_runs_are_trimmed_separately():
    two = pl.concat([track(run_id="a"), track(run_id="b", lat0=LAT0 + 0.5)])
    out = privacy.mask(two, trim_start_end_m=200.0)
    per_run = out.group_by("run_id").agg(pl.col("position_masked").sum())
    one = privacy.mask(track(), trim_start_end_m=200.0)["position_masked"].sum()
    assert per_run["position_masked"].to_list() == [one, one]
    # without a run column the stack is one run: only its very start and end go
    whole = privacy.mask(two.drop("run_id"), trim_start_end_m=200.0, by=None)
    assert whole["position_masked"].sum() == one


def test_missing_positions_stay_missing_and_unflagged():
    rec = track().with_columns(
        lat_deg=pl.when(pl.int_range(pl.len()) % 2 == 0).then(pl.col("lat_deg")))
    out = privacy.mask(rec, trim_start_end_m=200.0)
    assert not out.filter(pl.col("position_masked") & rec["lat_deg"].is_null())["run_id"].len()
    none = privacy.mask(rec.with_columns(lat_deg=pl.lit(None, pl.Float64)))
    assert none["position_masked"].sum() == 0


@pytest.mark.parametrize("bad", [[(91.0, 0.0)], [(0.0, 181.0)], [(1.0,)], [(1.0, 2.0, -5.0)]])
def test_bad_zones_are_refused(bad):
    with pytest.raises(ValueError, match="zone"):
        privacy.mask(track(), bad)


def test_records_without_positions_are_refused():
    with pytest.raises(ValueError, match="lat_deg"):
        privacy.mask(pl.DataFrame({"cadence_spm": [170.0]}))


def test_zones_from_csv(tmp_path):
    path = tmp_path / "zones.csv"
    path.write_text("lat_deg,lon_deg,radius_m\n52.5,13.4,250\n48.1,11.6,100\n")
    assert privacy.zones_from_csv(str(path)) == [(52.5, 13.4, 250.0), (48.1, 11.6, 100.0)]
    (tmp_path / "bad.csv").write_text("lat,lon\n1,2\n")
    with pytest.raises(ValueError, match="bad.csv"):
        privacy.zones_from_csv(str(tmp_path / "bad.csv"))


def test_pseudonym_is_hmac_sha256_rfc4231():
    # RFC 4231 test case 2 (key "Jefe")
    expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert privacy.pseudonym("what do ya want for nothing?", "Jefe", length=64) == expected
    assert privacy.pseudonym("r01", b"k") == hmac.new(b"k", b"r01", hashlib.sha256).hexdigest()[:16]


def test_pseudonymize_is_keyed_stable_and_keeps_nulls():
    frame = pl.DataFrame({"runner_id": ["r01", "r02", None, "r01"], "x": [1, 2, 3, 4]})
    a = privacy.pseudonymize(frame, "secret")
    assert a["runner_id"][0] == a["runner_id"][3] != a["runner_id"][1]
    assert a["runner_id"][2] is None
    assert not set(a["runner_id"].drop_nulls()) & {"r01", "r02"}
    assert a["x"].equals(frame["x"])
    assert privacy.pseudonymize(frame, "secret").equals(a)
    assert privacy.pseudonymize(frame, "other")["runner_id"][0] != a["runner_id"][0]
    assert privacy.pseudonymize(frame, "secret", "runner_id", length=8)["runner_id"].str.len_chars()[0] == 8


def test_pseudonymize_refuses_empty_key_and_missing_column():
    frame = pl.DataFrame({"runner_id": ["r01"]})
    with pytest.raises(ValueError, match="empty"):
        privacy.pseudonymize(frame, "")
    with pytest.raises(ValueError, match="athlete"):
        privacy.pseudonymize(frame, "k", "athlete")
