"""Private zones that hold against a circle fit and against averaging (issue item 10):
10 runs leave one home in different directions; exported under 20 keys."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from test_cohort import fit_run

from runlab import privacy
from runlab.cohort import export, ingest

HOME = (48.137, 11.575)
ZONE_M = 300.0
M_PER_DEG = 111_320.0


def out_and_back(direction_rad: float, seed: int, out_m: float = 1500.0) -> pl.DataFrame:
    """A run from HOME straight out and back at 3 m/s, 1 Hz, 3 m GPS noise."""
    rng = np.random.default_rng(seed)
    along = np.r_[np.arange(0, out_m, 3.0), out_m - np.arange(0, out_m, 3.0)]
    east = along * np.cos(direction_rad) + 3 * rng.standard_normal(along.size)
    north = along * np.sin(direction_rad) + 3 * rng.standard_normal(along.size)
    t0 = pl.datetime(2026, 5, 4, 6, 30, 17, time_zone="UTC")
    return pl.select(timestamp=pl.datetime_range(
        t0, t0 + pl.duration(seconds=along.size - 1), "1s")).with_columns(
        elapsed_s=pl.Series(np.arange(along.size, dtype=float)),
        distance_m=pl.Series(np.r_[0, np.cumsum(np.full(along.size - 1, 3.0))]),
        heart_rate_bpm=pl.Series(np.full(along.size, 150.0)),
        lat_deg=pl.Series(HOME[0] + north / M_PER_DEG),
        lon_deg=pl.Series(HOME[1] + east / (M_PER_DEG * np.cos(np.radians(HOME[0])))))


def _xy(lat, lon) -> np.ndarray:
    return np.c_[(np.asarray(lon) - HOME[1]) * M_PER_DEG * np.cos(np.radians(HOME[0])),
                 (np.asarray(lat) - HOME[0]) * M_PER_DEG]


def circle_fit(points: np.ndarray) -> np.ndarray:
    """Least-squares circle centre (Kåsa's algebraic fit)."""
    x, y = points.T
    a = np.c_[2 * x, 2 * y, np.ones_like(x)]
    (cx, cy, _), *_ = np.linalg.lstsq(a, x**2 + y**2, rcond=None)
    return np.array([cx, cy])


def test_neither_a_circle_fit_nor_averaging_finds_home():
    runs = [out_and_back(2 * np.pi * i / 10 + 0.1, seed=i) for i in range(10)]
    secret = b"\x07" * 32
    fit_miss, mean_miss = [], []
    for k in range(20):
        ends = []
        for i, run in enumerate(runs):
            out = privacy.mask_for_export(run, [(*HOME, ZONE_M)], radius_m=ZONE_M,
                                          trim_start_end_m=200, secret=secret,
                                          export_key=f"key{k}", runner_id="r1", run_id=str(i))
            kept = out.filter(~pl.col("position_masked"))
            assert kept.height > 0
            ends += [kept.row(0, named=True), kept.row(-1, named=True)]
            masked = out.filter(pl.col("position_masked"))
            # every point within the stated radius of the stated centre is masked
            near = np.hypot(*_xy(run["lat_deg"], run["lon_deg"]).T) < ZONE_M
            assert out["position_masked"].to_numpy()[near].all()
            assert masked["timestamp"].null_count() == masked.height  # no exact time
            assert masked["distance_m"].null_count() == masked.height
            assert masked["elapsed_s"].null_count() == masked.height
            assert kept["distance_m"][0] == 0 and kept["elapsed_s"][0] == 0  # re-based
        pts = _xy([e["lat_deg"] for e in ends], [e["lon_deg"] for e in ends])
        fit_miss.append(np.hypot(*circle_fit(pts)))
        mean_miss.append(np.hypot(*pts.mean(axis=0)))
    print(f"median miss: circle fit {np.median(fit_miss):.0f} m, centroid "
          f"{np.median(mean_miss):.0f} m (zone {ZONE_M:.0f} m)")
    assert np.median(fit_miss) >= 0.4 * ZONE_M
    assert np.median(mean_miss) >= 0.4 * ZONE_M
    plain = pl.concat([privacy.mask(r, [HOME], radius_m=ZONE_M).filter(
        ~pl.col("position_masked")).head(1) for r in runs])  # a fixed zone: found
    assert np.hypot(*circle_fit(_xy(plain["lat_deg"], plain["lon_deg"]))) < 0.1 * ZONE_M


@pytest.mark.slow
def test_export_keeps_the_secret_home_and_coarsens_start_times(tmp_path):
    src = tmp_path / "src"
    fit_run(src / "r01" / "a.fit", seed=1, seconds=400)
    store = ingest(src, tmp_path / "st", workers=1, progress=False)
    secret = (store.path / "SECRET").read_bytes()
    out = export(store, tmp_path / "out", zones=[(48.0, 11.0)], key="k")
    assert not (out.path / "SECRET").exists()
    assert all(secret not in p.read_bytes() for p in out.path.rglob("*") if p.is_file())
    start = out.runs["start_time"][0]
    assert (start.hour, start.minute, start.second) == (0, 0, 0)
    rec = out.records.collect()
    hidden = rec.filter(pl.col("position_masked"))
    assert hidden.height and hidden["timestamp"].null_count() == hidden.height
