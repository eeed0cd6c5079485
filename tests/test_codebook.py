"""R export of a store: tables a lme4/brms user loads without guessing, and their codebook."""

from __future__ import annotations

import subprocess
import sys

import polars as pl
import pytest
from test_cohort import fit_run

from runlab.cohort import export_for_r, ingest


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    src = tmp_path_factory.mktemp("r") / "src"
    for i, runner in enumerate(["r01", "r01", "r02", "r03"]):
        fit_run(src / runner / f"run{i}.fit", seed=40 + i, day=i)
    (src / "journal.csv").write_text(
        "date,runner_id,rpe,comfort,foot_strike,notes\n2026-05-04,r01,3,4,heel,felt easy\n"
        "2026-05-05,r02,4,,midfoot,calf tight\n")
    return ingest(src, src.parent / "store", workers=1, progress=False)


def test_csv_tables_and_codebook_cover_every_column(store, tmp_path):
    runners = pl.DataFrame({"runner_id": ["r01", "r02", "r03"],
                            "group": ["cadence+7.5%", "control", "control"]})
    book = export_for_r(store, tmp_path / "r", runners=runners)
    runs = pl.read_csv(tmp_path / "r/runs.csv", null_values="NA")
    journal = pl.read_csv(tmp_path / "r/journal.csv", null_values="NA")
    assert set(book.filter(pl.col("table") == "runs")["column"]) == set(runs.columns)
    assert set(book.filter(pl.col("table") == "journal")["column"]) == set(journal.columns)
    assert not {"source_path", "file_sha256", "notes"} & set(runs.columns + journal.columns)
    info = {(t, c): r for t, c, *r in book.iter_rows()}
    assert info[("runs", "cadence_spm")][:2] == ["numeric", "steps/min"]
    assert info[("runs", "group")][0] == "factor"
    assert info[("runs", "group")][3] == "control|cadence+7.5%"  # reference level first
    assert info[("journal", "comfort")][0] == "ordered"
    assert info[("journal", "comfort")][4] == 1  # one missing comfort
    assert info[("runs", "start_time")][0] == "POSIXct (UTC)"
    assert runs["start_time"].str.contains(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$").all()
    assert runs.height == 4 and journal.height == 2
    assert all(info[("runs", c)][2] for c in ("cadence_spm", "speed_mps", "runner_id"))
    md = (tmp_path / "r/codebook.md").read_text()
    assert 'runs$group <- factor(runs$group, levels = c("control", "cadence+7.5%"))' in md
    assert "lme4::lmer" in md and "| cadence_spm | numeric | steps/min |" in md
    with pytest.raises(ValueError, match="new or empty"):
        export_for_r(store, tmp_path / "r")


def test_parquet_keeps_types(store, tmp_path):
    export_for_r(store, tmp_path / "p", fmt="parquet")
    runs = pl.read_parquet(tmp_path / "p/runs.parquet")
    assert runs.schema["start_time"].is_temporal() and runs.height == 4
    assert "arrow::read_parquet" in (tmp_path / "p/codebook.md").read_text()
    with pytest.raises(ValueError, match="fmt"):
        export_for_r(store, tmp_path / "x", fmt="xlsx")


def test_cli_export_for_r(store, tmp_path):
    done = subprocess.run([sys.executable, "-m", "runlab.cli", "export", str(store.path),
                           str(tmp_path / "out"), "--for-r", str(tmp_path / "r")],
                          capture_output=True, text=True, check=True)
    assert "codebook" in done.stdout
    book = pl.read_csv(tmp_path / "r/codebook.csv")
    runs = pl.read_csv(tmp_path / "r/runs.csv", null_values="NA")
    assert runs["runner_id"].n_unique() == 3 and "r01" not in runs["runner_id"].to_list()
    assert book.height > 20
