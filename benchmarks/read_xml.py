"""TCX and GPX reading speed: runlab vs tcxreader and gpxpy, measured in the same run.

A synthetic 60-minute 1 Hz run (position, altitude, distance, speed, heart rate, cadence,
power) is written with runlab's own writers (a point per line), then each library reads it
into an equivalent polars frame (the peers' objects converted the way a user would: one dict
per point). The same files indented as Garmin Connect exports are (an element per line) are
timed too. Prints best-of-N wall times and the ratios, then runlab's time per point at
15–240 minutes to show it is linear in file size.

Run: ``python benchmarks/read_xml.py`` (needs the ``bench`` extra: tcxreader, gpxpy).
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from runlab.io import read
from runlab.io.gpx import write_gpx
from runlab.io.tcx import write_tcx


def synthetic_run(minutes: int, seed: int = 0) -> pl.DataFrame:
    """A 1 Hz run of ``minutes`` with every sensor TCX and GPX can hold."""
    n = minutes * 60
    rng = np.random.default_rng(seed)
    t0 = dt.datetime(2026, 5, 1, 6, 0, tzinfo=dt.UTC)
    speed = 2.8 + 0.3 * np.sin(np.arange(n) / 300) + rng.normal(0, 0.05, n)
    heading = np.cumsum(rng.normal(0, 0.02, n))
    north, east = np.cumsum(speed * np.cos(heading)), np.cumsum(speed * np.sin(heading))
    return pl.DataFrame({
        "timestamp": [t0 + dt.timedelta(seconds=i) for i in range(n)],
        "lat_deg": 47.37 + north / 111_195.0,
        "lon_deg": 8.54 + east / (111_195.0 * np.cos(np.radians(47.37))),
        "altitude_m": 410 + 5 * np.sin(np.arange(n) / 200),
        "distance_m": np.cumsum(speed),
        "speed_mps": speed,
        "heart_rate_bpm": np.round(150 + 10 * np.sin(np.arange(n) / 500)),
        "cadence_spm": 2 * np.round(84 + rng.normal(0, 1, n)),
        "power_w": np.round(250 + rng.normal(0, 10, n)),
    })


def indented(data: bytes) -> bytes:
    """The document with an element per line, indented two blanks a level (leaves with
    their text on one line), as Garmin Connect exports TCX."""
    toks = re.findall(rb"<[^>]*>|[^<]+", data)
    out, depth, i = [], 0, 0
    while i < len(toks):
        tok = toks[i]
        if not tok.startswith(b"<"):  # (only blanks between tags: dropped)
            i += 1
        elif tok.startswith(b"</"):
            depth -= 1
            out.append(b"\n" + b"  " * depth + tok)
            i += 1
        elif i + 2 < len(toks) and not toks[i + 1].startswith(b"<"):  # <a>text</a>
            out.append(b"\n" + b"  " * depth + b"".join(toks[i: i + 3]))
            i += 3
        else:
            out.append(b"\n" + b"  " * depth + tok)
            depth += not tok.startswith(b"<?") and not tok.endswith(b"/>")
            i += 1
    return b"".join(out).lstrip() + b"\n"


def best_of(fn, repeat: int) -> tuple[float, float]:
    """Best wall time and best CPU time (all threads of this process) of ``repeat`` calls [s].

    CPU time is reported too because a shared machine inflates wall times unevenly."""
    wall, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return min(wall), min(cpu)


def tcxreader_frame(path: Path) -> pl.DataFrame:
    from tcxreader.tcxreader import TCXReader

    ex = TCXReader().read(str(path), only_gps=False)
    return pl.DataFrame([{
        "timestamp": p.time, "lat_deg": p.latitude, "lon_deg": p.longitude,
        "altitude_m": p.elevation, "distance_m": p.distance, "heart_rate_bpm": p.hr_value,
        "speed_mps": p.tpx_ext.get("Speed"),
        "cadence_spm": 2 * p.tpx_ext["RunCadence"] if "RunCadence" in p.tpx_ext else None,
        "power_w": p.tpx_ext.get("Watts")} for p in ex.trackpoints])


def gpxpy_frame(path: Path) -> pl.DataFrame:
    import gpxpy

    with open(path, encoding="utf-8") as f:
        g = gpxpy.parse(f)
    rows = []
    for trk in g.tracks:
        for seg in trk.segments:
            for p in seg.points:
                ext = {e.tag.rsplit("}", 1)[-1]: e.text for x in p.extensions for e in x.iter()}
                rows.append({"timestamp": p.time, "lat_deg": p.latitude, "lon_deg": p.longitude,
                             "altitude_m": p.elevation, "heart_rate_bpm": float(ext["hr"]),
                             "cadence_spm": 2 * float(ext["cad"]),
                             "speed_mps": float(ext["speed"]), "power_w": float(ext["power"])})
    frame = pl.DataFrame(rows)
    step = np.zeros(frame.height)
    step[1:] = [g.tracks[0].segments[0].points[i].distance_2d(
        g.tracks[0].segments[0].points[i - 1]) for i in range(1, frame.height)]
    return frame.with_columns(pl.Series("distance_m", np.cumsum(step)))


def main(repeat: int = 5) -> None:
    tmp = Path(tempfile.mkdtemp())
    rec = synthetic_run(60)
    tcx, gpx = write_tcx(rec, tmp / "run.tcx"), write_gpx(rec, tmp / "run.gpx")
    print(f"60-min 1 Hz run: {rec.height} points; TCX {tcx.stat().st_size / 1e6:.2f} MB, "
          f"GPX {gpx.stat().st_size / 1e6:.2f} MB; best of {repeat}")
    ours_tcx, ours_gpx = read(tcx), read(gpx)
    assert ours_tcx["cadence_spm"].to_list() == tcxreader_frame(tcx)["cadence_spm"].to_list()
    assert ours_gpx["heart_rate_bpm"].to_list() == gpxpy_frame(gpx)["heart_rate_bpm"].to_list()
    tcx_i, gpx_i = tmp / "indented.tcx", tmp / "indented.gpx"
    tcx_i.write_bytes(indented(tcx.read_bytes()))
    gpx_i.write_bytes(indented(gpx.read_bytes()))
    assert read(tcx_i).equals(ours_tcx) and read(gpx_i).equals(ours_gpx)
    peers = max(2, repeat // 2)
    rows = [
        ("TCX", "runlab", best_of(lambda: read(tcx), repeat)),
        ("TCX", "tcxreader", best_of(lambda: tcxreader_frame(tcx), peers)),
        ("GPX", "runlab", best_of(lambda: read(gpx), repeat)),
        ("GPX", "gpxpy", best_of(lambda: gpxpy_frame(gpx), peers)),
        ("TCX ind", "runlab", best_of(lambda: read(tcx_i), repeat)),
        ("TCX ind", "tcxreader", best_of(lambda: tcxreader_frame(tcx_i), peers)),
        ("GPX ind", "runlab", best_of(lambda: read(gpx_i), repeat)),
        ("GPX ind", "gpxpy", best_of(lambda: gpxpy_frame(gpx_i), peers)),
    ]
    ours = {fmt: t for fmt, lib, t in rows if lib == "runlab"}
    print(f"{'format':<9}{'library':<11}{'wall [ms]':>10}{'× runlab':>10}{'cpu [ms]':>10}"
          f"{'× runlab':>10}")
    for fmt, lib, (wall, cpu) in rows:
        print(f"{fmt:<9}{lib:<11}{wall * 1e3:>10.1f}{wall / ours[fmt][0]:>10.1f}"
              f"{cpu * 1e3:>10.1f}{cpu / max(ours[fmt][1], 1e-9):>10.1f}")
    print("\nrunlab linearity, µs per point, wall (cpu):")
    for minutes in (15, 60, 240):
        r = synthetic_run(minutes, seed=minutes)
        a, b = write_tcx(r, tmp / f"{minutes}.tcx"), write_gpx(r, tmp / f"{minutes}.gpx")
        ta, tb = best_of(lambda a=a: read(a), 5), best_of(lambda b=b: read(b), 5)
        print(f"  {minutes:>4} min {r.height:>6} points: TCX {ta[0] / r.height * 1e6:6.2f} "
              f"({ta[1] / r.height * 1e6:5.2f})  GPX {tb[0] / r.height * 1e6:6.2f} "
              f"({tb[1] / r.height * 1e6:5.2f})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
