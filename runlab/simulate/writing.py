"""Rendering runs as the files a watch or an app writes."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from runlab.simulate.records import run_records


def _write_runner(job: tuple[str, list[dict]]) -> int:
    """Render and write one runner's runs (runs in a worker process)."""
    from runlab.io.fit_write import write_activity

    root, runs = job
    n = 0
    for run in runs:
        rec, events = run_records(run)
        name = f"{run['date']:%Y-%m-%d}_{run['session']}.{run['format']}"
        path = Path(root) / run["runner_id"] / name
        if run["format"] == "tcx":
            from runlab.io.tcx import write_tcx

            write_tcx(rec, path, sport="Running")
        elif run["format"] == "gpx":
            from runlab.io.gpx import write_gpx

            write_gpx(rec.filter(pl.col("lat_deg").is_not_null()) if not run["treadmill"]
                      else rec, path, creator="runlab")
        else:
            write_activity(rec, path, sport="running",
                           sub_sport="treadmill" if run["treadmill"] else "street",
                           events=events, local_time_offset_s=run["local_time_offset_s"])
        n += 1
    return n
