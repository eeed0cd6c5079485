"""Journal writes through links, keeping modes, leaving no temp behind; exports that a
spreadsheet cannot run (issue item 8). Inputs are generated."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import date

import polars as pl
import pytest

from runlab import journal as J
from runlab._csv_safe import formula_safe, formula_safe_text
from runlab._files import atomic_write

ROW = {"date": date(2026, 5, 4), "runner_id": "r01", "rpe": 3, "comfort": 4}


def test_append_writes_through_a_symlink_and_keeps_the_mode(tmp_path):
    shared = tmp_path / "shared" / "journal.csv"
    shared.parent.mkdir()
    J.write(shared, pl.DataFrame([ROW]))
    os.chmod(shared, 0o664)
    link = tmp_path / "journal.csv"
    link.symlink_to(shared)
    J.append(link, {**ROW, "date": date(2026, 5, 5)})
    assert link.is_symlink()  # still a link: the shared target was updated
    assert J.read_journal(shared).height == 2
    assert stat.S_IMODE(os.stat(shared).st_mode) == 0o664


def test_a_new_file_gets_the_umask_mode_not_0600(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "new.csv", b"x\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "new.csv").st_mode) == 0o644


KILLED_WRITER = """
import os, sys, time
from runlab import _files
real = os.fsync
def fsync(fd):
    real(fd)
    print("WRITING", flush=True)
    time.sleep(600)
os.fsync = fsync
_files.atomic_write(__import__("pathlib").Path(sys.argv[1]), b"date,runner_id\\n" * 100)
"""


@pytest.mark.slow
def test_a_killed_writers_temp_is_removed_by_the_next_write_but_a_live_one_is_not(tmp_path):
    target = tmp_path / "journal.csv"
    target.write_text("date,runner_id\n")
    procs = []
    for _ in range(2):
        p = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(target)],
                             stdout=subprocess.PIPE, text=True)
        assert p.stdout.readline().strip() == "WRITING"  # its temp file exists, locked
        procs.append(p)
    temps = sorted(tmp_path.glob(".journal.csv.*.tmp"))
    assert len(temps) == 2
    procs[0].kill()  # dies mid-write: its temp is stale now
    procs[0].wait()
    atomic_write(target, b"date,runner_id\n2026-05-04,r01\n")
    left = sorted(tmp_path.glob(".journal.csv.*.tmp"))
    assert len(left) == 1 and left[0] in temps  # the live writer's temp is untouched
    procs[1].kill()
    procs[1].wait()
    for p in procs:
        p.stdout.close()
    atomic_write(target, b"date,runner_id\n")
    assert not list(tmp_path.glob(".journal.csv.*.tmp"))


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://x\",\"y\")", "=cmd|' /C calc'!A0",
                                  "@SUM(A1:A9)", "+1+2", "-2+cmd", "\tx", "\rx"])
def test_formula_cells_are_escaped_in_exports(tmp_path, cell):
    assert formula_safe_text(cell) == "'" + cell
    frame = pl.DataFrame([{**ROW, "notes": cell}])
    out = tmp_path / "export.csv"
    J.write(out, J.for_export(frame, include_notes=True), escape_formulas=True)
    import csv

    with open(out, newline="") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["notes"] == "'" + cell


def test_numbers_stay_numbers_and_unknown_columns_stay_home(tmp_path):
    frame = pl.DataFrame({"a": ["-3.5", "=1", "x"], "n": [-1.5, 2.0, 3.0]})
    safe = formula_safe(frame)
    assert safe["a"].to_list() == ["-3.5", "'=1", "x"] and safe["n"].to_list() == [-1.5, 2, 3]
    journal = pl.DataFrame([{**ROW, "clinic_private": "=secret"}])
    assert "clinic_private" not in J.for_export(journal).columns
    assert "clinic_private" in J.for_export(journal, include_unknown=True).columns


def test_cli_journal_export_escapes_and_drops_unknown_columns(tmp_path):
    src = tmp_path / "journal.csv"
    src.write_text("date,runner_id,rpe,comfort,notes,clinic_private\n"
                   "2026-05-04,r01,3,4,=HYPERLINK(\"http://evil\"),=leak\n")
    out = tmp_path / "out.csv"
    subprocess.run([sys.executable, "-m", "runlab.cli", "journal", str(src), "--export",
                    str(out), "--include-notes"], check=True, capture_output=True)
    text = out.read_text()
    assert "'=HYPERLINK" in text and "clinic_private" not in text and "=leak" not in text
