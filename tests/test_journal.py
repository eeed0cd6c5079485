"""Tests of runlab.journal: validation, formats, atomic writes, locking, joins, heat and ease."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import warnings
import zipfile
from datetime import UTC, date, datetime, time
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import runlab
from runlab import journal as J
from runlab.errors import JournalError

HEADER = ("date,runner_id,run_id,perceived_tempo,foot_strike,comfort,rpe,surface,"
          "temperature_c,humidity_pct,notes")


def _entry(i: int, runner: str = "ana", **kw) -> dict:
    return {"date": date(2025, 6, 1 + i % 28), "runner_id": runner, "run_id": f"{runner}-{i}",
            "comfort": 1 + i % 5, "rpe": i % 11, "surface": "road", "notes": f"entry {i}", **kw}


# ----------------------------------------------------------------------------- reading

def test_every_bad_row_is_reported_with_line_field_and_allowed(tmp_path):
    path = tmp_path / "j.csv"
    path.write_text(textwrap.dedent(f"""\
        {HEADER}
        2025-06-02,ana,,3,Midfoot,4,3,Road,22,50,"good, quick"
        2025-06-03,ana,,9,toe,4,13,moon,22,150,bad

        2025-06-04,,r3,2,heel,5,2,trail,31,70,"two
        lines"
        2025-06-05,ben,,1,heel,5,2,trail,31,70
        2025-06-31,ben,,1.5,heel,x,2,trail,-80,70,
        2025-06-06,ben,r7,5,forefoot,5,10,track,35.5,100,ok
        """))
    with pytest.raises(JournalError) as info:
        runlab.read_journal(path)
    problems = info.value.problems
    assert str(path) in str(info.value)
    assert [(ln, f) for ln, f, _ in problems] == [
        (3, "perceived_tempo"), (3, "foot_strike"), (3, "rpe"), (3, "surface"),
        (3, "humidity_pct"), (5, "runner_id"), (7, "<row>"),
        (8, "date"), (8, "perceived_tempo"), (8, "comfort"), (8, "temperature_c")]
    msgs = {(ln, f): m for ln, f, m in problems}
    assert "'13'" in msgs[3, "rpe"] and "0-10" in msgs[3, "rpe"] and "CR10" in msgs[3, "rpe"]
    assert "heel, midfoot, forefoot, unsure" in msgs[3, "foot_strike"]
    assert "missing" in msgs[5, "runner_id"]
    assert "11" in msgs[7, "<row>"]

    frame, collected = runlab.read_journal(path, errors="collect")
    assert collected == problems
    assert frame["run_id"].to_list() == [None, "r7"]
    assert frame["foot_strike"].to_list() == ["midfoot", "forefoot"]  # case folded
    assert frame["surface"].to_list() == ["road", "track"]
    assert frame.schema["date"] == pl.Date and frame.schema["rpe"] == pl.Int64
    assert frame.schema["temperature_c"] == pl.Float64 and frame.columns[:15] == list(J.SCHEMA)
    assert frame["temperature_c"].to_list() == [22.0, 35.5]
    table = J.problems_frame(collected)
    assert table.columns == ["line", "field", "message"] and table.height == 11


def test_good_file_reads_identically_in_both_modes(tmp_path):
    path = tmp_path / "j.csv"
    J.write(path, pl.DataFrame([_entry(i) for i in range(5)]))
    frame = runlab.read_journal(path)
    frame2, problems = runlab.read_journal(path, errors="collect")
    assert problems == [] and frame.equals(frame2) and frame.height == 5
    with pytest.raises(ValueError, match="errors="):
        runlab.read_journal(path, errors="ignore")


def test_headers_semicolons_bom_and_extra_columns(tmp_path):
    path = tmp_path / "coach.csv"
    path.write_bytes("\ufeffDate;Runner ID;Foot-Strike;RPE;Shoe\n"
                     "2025-06-02;ana;heel;4;Pegasus\n".encode())
    frame = runlab.read_journal(path)
    assert frame["runner_id"].to_list() == ["ana"] and frame["rpe"].to_list() == [4]
    assert frame["foot_strike"].to_list() == ["heel"]
    assert frame.columns[-1] == "shoe" and frame["shoe"].to_list() == ["Pegasus"]


def test_missing_required_column_raises_in_both_modes(tmp_path):
    path = tmp_path / "j.csv"
    path.write_text("runner_id,rpe\nana,3\n")
    for mode in ("raise", "collect"):
        with pytest.raises(JournalError, match="'date'") as info:
            runlab.read_journal(path, errors=mode)
        assert info.value.problems == [(1, "date", "required column is missing")]


def test_not_utf8_names_file(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("date,runner_id,notes\n2025-06-02,ana,caf\xe9\n".encode("latin-1"))
    with pytest.raises(JournalError, match="latin.csv: not UTF-8"):
        runlab.read_journal(path)


def test_json_lines_with_bad_lines(tmp_path):
    path = tmp_path / "j.jsonl"
    lines = [json.dumps({"date": "2025-06-02", "runner_id": "ana", "rpe": 3, "comfort": 4.0}),
             "",
             "{not json",
             json.dumps([1, 2]),
             json.dumps({"date": "2025-06-03", "runner_id": "ana", "rpe": "11"}),
             json.dumps({"date": "2025-06-04", "runner_id": "ben", "time": "07:30",
                         "humidity_pct": 55.5, "notes": "hot"})]
    path.write_text("\n".join(lines) + "\n")
    frame, problems = runlab.read_journal(path, errors="collect")
    assert [(ln, f) for ln, f, _ in problems] == [(3, "<row>"), (4, "<row>"), (5, "rpe")]
    assert frame["runner_id"].to_list() == ["ana", "ben"]
    assert frame["comfort"].to_list() == [4, None]
    assert frame["time"].to_list() == [None, time(7, 30)]
    assert frame["humidity_pct"].to_list() == [None, 55.5]
    with pytest.raises(JournalError, match="JSON Lines"):
        (tmp_path / "arr.json").write_text("[{}]")
        runlab.read_journal(tmp_path / "arr.json")


def _xlsx(path: Path, rows: list[list], date_cells: set[tuple[int, int]] = frozenset()) -> Path:
    """A minimal real .xlsx (OOXML) with inline strings, numbers and date-formatted serials."""
    def cell(r, c, v):
        ref = f"{chr(65 + c)}{r + 1}"
        if v is None:
            return ""
        if isinstance(v, str):
            return f'<c r="{ref}" t="inlineStr"><is><t>{v}</t></is></c>'
        style = ' s="1"' if (r, c) in date_cells else ""
        return f'<c r="{ref}"{style}><v>{v}</v></c>'
    sheet_rows = "".join(f'<row r="{r + 1}">{"".join(cell(r, c, v) for c, v in enumerate(row))}'
                         "</row>" for r, row in enumerate(rows))
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    files = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org'
            '/package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName='
            '"/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.styles+xml"/></Types>'),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
            f'{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook {ns} xmlns:r="{rel}"><sheets>'
            '<sheet name="Journal" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
            f'{rel}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="'
            f'{rel}/styles" Target="styles.xml"/></Relationships>'),
        "xl/styles.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><styleSheet {ns}><cellXfs count="2">'
            '<xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>'),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet {ns}><sheetData>{sheet_rows}'
            "</sheetData></worksheet>"),
    }
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return path


def test_xlsx_coach_spreadsheet(tmp_path):
    serial = (date(2025, 6, 2) - date(1899, 12, 30)).days  # Excel's date serial
    path = _xlsx(tmp_path / "coach.xlsx", [
        ["Date", "Runner ID", "Comfort", "RPE", "Surface", "Temperature C",
         "Rubric Landing Quietness", "Notes"],
        [serial, "ana", 4, 3, "Grass", 24.5, 5, "quiet feet"],
        [None, None, None, None, None, None, None, None],
        ["2025-06-03", "ana", 7, 3, "grass", 24, 0, None],
        [serial + 2, "ben", 3, 6, "track", 28, 3, None],
    ], date_cells={(1, 0), (4, 0)})
    frame, problems = runlab.read_journal(path, errors="collect")
    assert [(ln, f) for ln, f, _ in problems] == [(4, "comfort"), (4, "rubric_landing_quietness")]
    assert frame["date"].to_list() == [date(2025, 6, 2), date(2025, 6, 4)]
    assert frame["rpe"].to_list() == [3, 6] and frame["surface"].to_list() == ["grass", "track"]
    assert frame["temperature_c"].to_list() == [24.5, 28.0]
    assert frame["rubric_landing_quietness"].to_list() == [5, 3]
    with pytest.raises(JournalError, match="spreadsheets"):
        J.write(tmp_path / "out.xlsx", frame)


# ----------------------------------------------------------------------------- writing

def test_write_round_trips_csv_and_jsonl(tmp_path):
    frame = J.validate([_entry(i, video=f"clips/{i}.mp4", temperature_c=20.5 + i,
                               humidity_pct=40.0) for i in range(6)])
    for name in ("j.csv", "j.jsonl"):
        out = J.write(tmp_path / name, frame)
        assert runlab.read_journal(out).equals(frame)
    assert [p.name for p in tmp_path.iterdir()] != [] and not list(tmp_path.glob(".*tmp"))


def test_write_refuses_bad_frame_and_keeps_old_file(tmp_path):
    path = J.write(tmp_path / "j.csv", pl.DataFrame([_entry(0)]))
    before = path.read_bytes()
    with pytest.raises(JournalError) as info:
        J.write(path, pl.DataFrame([_entry(1), _entry(2, rpe=12)]))
    assert info.value.problems[0][:2] == (2, "rpe")
    assert path.read_bytes() == before


def test_write_crash_before_rename_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    path = J.write(tmp_path / "j.csv", pl.DataFrame([_entry(0)]))
    before = path.read_bytes()

    def boom(*args):
        raise OSError("disk gone")
    monkeypatch.setattr(os, "replace", boom)  # (runlab._files.atomic_write)
    with pytest.raises(OSError, match="disk gone"):
        J.write(path, pl.DataFrame([_entry(1)]))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["j.csv"]


def test_append_creates_then_preserves_bytes_verbatim(tmp_path):
    path = tmp_path / "j.csv"
    assert J.append(path, _entry(0)) == 1
    text = path.read_text()
    assert text.splitlines()[0].split(",") == list(J.SCHEMA)
    # a row that does not validate, written by hand, must survive appends untouched
    path.write_text(text + "2025-13-01,ana,,,,,,,,,,,,odd row,\n")
    kept = path.read_bytes()
    assert J.append(path, [_entry(1), _entry(2)]) == 2
    assert path.read_bytes().startswith(kept)
    frame, problems = runlab.read_journal(path, errors="collect")
    assert [p[:2] for p in problems] == [(3, "date")]
    assert frame["run_id"].to_list() == ["ana-0", "ana-1", "ana-2"]
    with pytest.raises(JournalError, match="rpe"):
        J.append(path, _entry(3, rpe=-1))
    assert runlab.read_journal(path, errors="collect")[0].height == 3


def test_append_adds_new_column_to_old_csv(tmp_path):
    path = tmp_path / "j.csv"
    path.write_text("date,runner_id,comfort\n2025-06-01,ana,3\n")
    J.append(path, {"date": "2025-06-02", "runner_id": "ana", "video": "a.mp4",
                    "time": time(6, 45)})
    frame = runlab.read_journal(path)
    assert frame["comfort"].to_list() == [3, None]
    assert frame["video"].to_list() == [None, "a.mp4"]
    assert frame["time"].to_list() == [None, time(6, 45)]


def test_append_jsonl(tmp_path):
    path = tmp_path / "j.jsonl"
    J.append(path, _entry(0))
    J.append(path, pl.DataFrame([_entry(1)]))
    assert runlab.read_journal(path)["run_id"].to_list() == ["ana-0", "ana-1"]


_WRITER = textwrap.dedent("""
    import sys
    from runlab import journal
    path, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    print("ready", flush=True)
    for i in range(n):
        journal.append(path, {"date": "2025-06-01", "runner_id": name, "run_id": f"{name}-{i}",
                              "rpe": i % 11, "notes": "x" * (i * 37 % 400) + ",\\"quoted\\"\\n"})
""")


def _writer(path: Path, name: str, n: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _WRITER, str(path), name, str(n)],
                            stdout=subprocess.PIPE, text=True)


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_concurrent_writers_lose_nothing(tmp_path, suffix):
    path = tmp_path / f"j{suffix}"
    procs = [_writer(path, f"w{k}", 50) for k in range(4)]
    for p in procs:
        assert p.wait(timeout=120) == 0
    frame = runlab.read_journal(path)
    assert frame.height == 200
    assert set(frame["run_id"]) == {f"w{k}-{i}" for k in range(4) for i in range(50)}
    for k in range(4):  # each writer's entries in its own order
        ids = frame.filter(pl.col("runner_id") == f"w{k}")["run_id"].to_list()
        assert ids == [f"w{k}-{i}" for i in range(50)]
    assert frame["notes"].str.ends_with(',"quoted"\n').all()


@pytest.mark.slow
def test_killed_writer_never_tears_or_loses_entries(tmp_path):
    path = tmp_path / "j.csv"
    rng = random.Random(6)
    seen, counts = 0, {}
    for round_ in range(5):
        proc = _writer(path, f"k{round_}", 10_000)
        assert proc.stdout.readline().strip() == "ready"
        proc.stdout.close()
        import time as _time
        _time.sleep(rng.uniform(0.05, 0.4))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        frame = runlab.read_journal(path)  # raises on any torn row
        got = frame.filter(pl.col("runner_id") == f"k{round_}")["run_id"].to_list()
        assert got == [f"k{round_}-{i}" for i in range(len(got))]
        if got:
            counts[f"k{round_}"] = len(got)
        assert dict(frame.group_by("runner_id").len().iter_rows()) == counts  # nothing lost
        seen = frame.height
    assert sum(counts.values()) > 0  # the writers did get entries in before being killed
    # the lock died with the writer: a new append goes through
    J.append(path, _entry(0))
    assert runlab.read_journal(path).height == seen + 1


def test_update_changes_matching_rows_only(tmp_path):
    path = J.write(tmp_path / "j.csv", pl.DataFrame([_entry(i) for i in range(4)]))
    n = J.update(path, {"run_id": "ana-2"},
                 {"rubric_cadence_consistency": 4, "video": "clips/ana-2.mp4"})
    assert n == 1
    frame = runlab.read_journal(path)
    assert frame["rubric_cadence_consistency"].to_list() == [None, None, 4, None]
    assert frame["video"].to_list()[2] == "clips/ana-2.mp4"
    assert J.update(path, {"runner_id": "ana", "date": date(2025, 6, 2)}, {"comfort": 5}) == 1
    assert runlab.read_journal(path)["comfort"].to_list() == [1, 5, 3, 4]
    before = path.read_bytes()
    with pytest.raises(JournalError, match="no entry matches"):
        J.update(path, {"run_id": "nope"}, {"comfort": 5})
    with pytest.raises(JournalError, match="comfort"):
        J.update(path, {"run_id": "ana-1"}, {"comfort": 6})
    assert path.read_bytes() == before


def test_update_jsonl_keeps_types_and_bad_lines(tmp_path):
    path = J.write(tmp_path / "j.jsonl", pl.DataFrame([_entry(i) for i in range(3)]))
    path.write_text(path.read_text() + "{torn line\n")
    J.update(path, {"run_id": "ana-0", "surface": "ROAD"}, {"surface": "Trail", "rpe": 7})
    frame, problems = runlab.read_journal(path, errors="collect")
    assert frame["surface"].to_list() == ["trail", "road", "road"]
    assert problems[0][:2] == (4, "<row>")  # the unreadable line is still there
    first = json.loads(path.read_text().splitlines()[0])
    assert first["rpe"] == 7 and first["comfort"] == 1  # numbers stay JSON numbers
    with pytest.raises(JournalError, match="cannot match rpe"):
        J.update(path, {"rpe": "eleven"}, {"comfort": 2})


def test_rewrites_keep_malformed_csv_rows(tmp_path):
    path = tmp_path / "j.csv"
    path.write_text("date,runner_id,comfort\n2025-06-01,ana,3\n2025-06-02,ana\n"
                    "2025-06-03,ana,4\n")
    J.append(path, {"date": "2025-06-04", "runner_id": "ana", "video": "v.mp4"})  # new column
    J.update(path, {"date": "2025-06-03"}, {"comfort": 5})
    frame, problems = runlab.read_journal(path, errors="collect")
    assert frame["comfort"].to_list() == [3, 5, None]
    assert [p[:2] for p in problems] == [(3, "<row>")]
    assert path.read_text().splitlines()[2] == "2025-06-02,ana"


# ----------------------------------------------------------------------------- joining

def _runs() -> pl.DataFrame:
    t = [datetime(2025, 6, 2, 6, 0, tzinfo=UTC), datetime(2025, 6, 3, 6, 0, tzinfo=UTC),
         datetime(2025, 6, 3, 17, 0, tzinfo=UTC), datetime(2025, 6, 4, 23, 30, tzinfo=UTC)]
    return pl.DataFrame({"run_id": ["a1", "a2", "a3", "a4"], "runner_id": ["ana"] * 4,
                         "start_time": t}).with_columns(pl.col("start_time").dt.cast_time_unit("us"))


def test_attach_links_by_id_date_time_and_reports_ambiguity():
    jr = J.validate([
        {"date": "2025-06-02", "runner_id": "ana", "comfort": 4},            # by date
        {"date": "2025-06-03", "runner_id": "ana", "comfort": 3},            # two runs
        {"date": "2025-06-03", "runner_id": "ana", "time": "17:20"},         # time decides
        {"date": "2025-06-03", "runner_id": "ana", "run_id": "a2"},          # explicit id
        {"date": "2025-06-09", "runner_id": "ana"},                          # no run
        {"date": "2025-06-02", "runner_id": "ana", "run_id": "zz"},          # unknown id
        {"date": "2025-06-02", "runner_id": "ben"},                          # other runner
        {"date": "2025-06-03", "runner_id": "ana", "time": "12:00"},         # 6 h off both
    ])
    out = J.attach(_runs(), jr)
    assert out["link"].to_list() == ["date", "ambiguous", "date_time", "run_id", "unmatched",
                                     "unknown_run_id", "unmatched", "unmatched"]
    assert out["run_id"].to_list() == ["a1", None, "a3", "a2", None, "zz", None, None]
    assert out["candidates"].to_list()[1] == ["a2", "a3"]
    assert out["candidates"].to_list()[7] == ["a2", "a3"]
    assert out.height == jr.height and out["comfort"].to_list()[:2] == [4, 3]
    # with a wide tolerance the 12:00 entry fits both runs: ambiguous, not guessed
    wide = J.attach(_runs(), jr, time_tolerance_s=8 * 3600)
    assert wide["link"][7] == "ambiguous" and wide["run_id"][7] is None


def test_attach_uses_local_dates():
    jr = J.validate([{"date": "2025-06-05", "runner_id": "ana"}])
    assert J.attach(_runs(), jr)["link"][0] == "unmatched"   # 23:30 UTC is June 4th
    local = J.attach(_runs(), jr, tz="Europe/Berlin")         # ... and June 5th in Berlin
    assert local["run_id"].to_list() == ["a4"] and local["link"][0] == "date"


def test_attach_names_missing_columns():
    with pytest.raises(JournalError, match="start_time"):
        J.attach(pl.DataFrame({"run_id": ["a"], "runner_id": ["x"]}), J.validate([]
                 or [{"date": "2025-06-01", "runner_id": "x"}]))


# ----------------------------------------------------------------------------- heat and ease

@pytest.mark.parametrize(("t_f", "rh", "hi_f"), [
    # NWS heat index chart values (weather.gov/safety/heat-index), °F
    (80, 40, 80), (90, 50, 95), (100, 40, 109), (86, 90, 105), (96, 65, 121), (104, 40, 119),
    (82, 90, 91), (84, 95, 100), (80, 90, 86), (94, 55, 106),
])
def test_heat_index_matches_nws_chart(t_f, rh, hi_f):
    hi_c = J.heat_index_c((t_f - 32) * 5 / 9, rh)
    assert hi_c * 9 / 5 + 32 == pytest.approx(hi_f, abs=1.0)


def test_heat_index_adjustments_and_missing():
    # low-humidity adjustment lowers the regression value (NWS: RH < 13 %, 80-112 °F)
    t = (100 - 32) * 5 / 9
    raw_f = (-42.379 + 2.04901523 * 100 + 10.14333127 * 10 - 0.22475541 * 100 * 10
             - 6.83783e-3 * 100**2 - 5.481717e-2 * 10**2 + 1.22874e-3 * 100**2 * 10
             + 8.5282e-4 * 100 * 10**2 - 1.99e-6 * 100**2 * 10**2)
    adjusted = J.heat_index_c(t, 10) * 9 / 5 + 32
    assert adjusted == pytest.approx(raw_f - 3 / 4 * np.sqrt(12 / 17), abs=1e-9)
    out = J.heat_index_c([20.0, np.nan], [np.nan, 50.0])
    assert np.isnan(out).all()
    assert J.heat_index_c(20.0, 50.0) == pytest.approx(20.0, abs=1.0)  # mild: ≈ air temp


def test_perceived_ease_and_weekly():
    jr = J.validate([
        {"date": "2025-06-02", "runner_id": "ana", "comfort": 5, "rpe": 2,
         "temperature_c": 15, "humidity_pct": 50},          # cool, easy: ease 0.9
        {"date": "2025-06-04", "runner_id": "ana", "comfort": 3, "rpe": 4,
         "temperature_c": 32, "humidity_pct": 70},          # hot, harder: ease 0.55
        {"date": "2025-06-10", "runner_id": "ana", "comfort": 4, "rpe": 4,
         "temperature_c": 32, "humidity_pct": 70},          # hot, next week: 0.675
        {"date": "2025-06-10", "runner_id": "ana", "comfort": 5},   # no weather, comfort only
        {"date": "2025-06-03", "runner_id": "ben", "rpe": 5, "temperature_c": 20,
         "humidity_pct": 40},
    ])
    ease = J.perceived_ease(jr)
    assert ease["ease"].to_list() == pytest.approx([0.9, 0.55, 0.675, 1.0, 0.5])
    assert ease["hot"].to_list() == [False, True, True, None, False]
    assert ease["heat_band"].to_list()[:2] == ["none", "danger"]  # 32 °C/70 % ≈ 41 °C HI
    assert ease["ease_vs_cool"].to_list()[:3] == pytest.approx([0.0, -0.35, -0.225])
    weekly = J.weekly_ease(jr)
    assert weekly.columns[:3] == ["runner_id", "week", "entries"]
    ana = weekly.filter(pl.col("runner_id") == "ana")
    assert ana["week"].to_list() == [date(2025, 6, 2), date(2025, 6, 9)]
    assert ana["entries"].to_list() == [2, 2] and ana["hot_entries"].to_list() == [1, 1]
    assert ana["heat_gap"].to_list()[0] == pytest.approx(0.55 - 0.9)
    assert ana["heat_gap"].to_list()[1] is None
    assert ana["ease_vs_cool"].to_list() == pytest.approx([-0.35, -0.225])  # improving


def test_for_export_drops_private_text():
    jr = J.validate([_entry(0, video="clips/a.mp4")])
    assert "notes" not in J.for_export(jr).columns and "video" not in J.for_export(jr).columns
    assert J.for_export(jr, include_notes=True)["notes"].to_list() == ["entry 0"]


def test_fields_document_every_column():
    assert set(J.SCHEMA) <= set(J.FIELDS)
    for name, spec in J.FIELDS.items():
        assert spec.allowed, name
        if name in J.SCHEMA:
            assert J.SCHEMA[name] == spec.dtype
        assert name in J.__doc__


# ----------------------------------------------------------------------------- simulated cohort

@pytest.fixture(scope="module")
def cohort():
    from runlab import simulate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return simulate.cohort(12, 8, seed=6)


def test_simulated_journal_round_trips(tmp_path, cohort):
    jr = cohort.journal.drop("true_run_id")
    for name in ("j.csv", "j.jsonl"):
        back = runlab.read_journal(J.write(tmp_path / name, jr))
        assert back.equals(J.validate(jr))
        assert back["time"].null_count() == 0 and back.height == jr.height


def test_attach_recovers_simulated_links(cohort):
    jr = cohort.journal
    out = J.attach(cohort.runs, jr.drop("true_run_id"), tz=cohort.tz)
    assert out.height == jr.height
    no_id = jr["run_id"].is_null()
    assert no_id.sum() > 0
    linked = out.filter(pl.col("link").is_in(["date", "date_time"]))
    # every entry without an id is linked, and linked to the run it was written for
    assert linked.height == no_id.sum()
    assert (out["run_id"] == jr["true_run_id"]).all()
    assert set(out["link"]) <= {"run_id", "date", "date_time"}


def test_weekly_ease_accounts_for_every_simulated_entry(cohort):
    ease = J.perceived_ease(cohort.journal)
    assert ease["ease"].is_between(0, 1).all() and ease["heat_index_c"].null_count() == 0
    weekly = J.weekly_ease(ease)
    assert weekly.select(pl.col("entries").sum()).item() == cohort.journal.height
    assert weekly["week"].dt.weekday().unique().to_list() == [1]  # Mondays
    assert weekly.height == cohort.journal.select(
        "runner_id", pl.col("date").dt.truncate("1w")).unique().height


# ----------------------------------------------------------------------------- the sample data

@pytest.fixture(scope="module")
def sample():
    return runlab.datasets.sample()


def test_sample_journal_is_valid(sample):
    jr, problems = runlab.read_journal(sample / "journal.csv", errors="collect")
    assert problems == []
    runners = pl.read_csv(sample / "runners.csv")["runner_id"].to_list()
    assert jr.height == 47 and set(jr["runner_id"]) <= set(runners)
    assert jr["run_id"].null_count() == jr.height  # linked by date and time, as documented
    assert jr["time"].null_count() == 0
    assert set(jr["foot_strike"].drop_nulls()) <= set(J.FOOT_STRIKES)
    exported = J.for_export(jr)
    assert "notes" not in exported.columns and exported.height == jr.height


@pytest.mark.slow
def test_sample_journal_attaches_to_the_sample_files(sample):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        runs = pl.concat([
            runlab.summarize(runlab.read_activity(p), run_id=f"{p.parent.name}/{p.stem}",
                             runner_id=p.parent.name)
            for p in sorted(sample.glob("R*/*")) if p.suffix in {".fit", ".gpx", ".tcx"}],
            how="diagonal_relaxed")
    jr = runlab.read_journal(sample / "journal.csv")
    linked = J.attach(runs, jr, tz="Europe/Amsterdam")
    assert linked["link"].to_list() == ["date_time"] * jr.height
    # each entry is linked to the run the simulator wrote it for (same local date and time)
    truth = pl.read_csv(sample / "runs_truth.csv", try_parse_dates=True).select(
        "run_id", pl.col("date").cast(pl.Date), pl.col("local_time").cast(pl.String).str.slice(0, 8))
    got = linked.select("run_id", "date", pl.col("time").cast(pl.String)).join(
        truth, on="run_id", how="left")
    assert (got["date"] == got["date_right"]).all() and (got["time"] == got["local_time"]).all()
    ease = J.weekly_ease(linked)
    assert ease["entries"].sum() == jr.height


def test_cli_journal_check_and_private_export(tmp_path, capsys):
    from runlab.cli import main

    path = tmp_path / "j.csv"
    path.write_text(f"{HEADER}\n2025-06-02,ana,,3,heel,4,3,road,22,50,secret note\n"
                    "2025-06-03,ana,,3,heel,4,12,road,22,50,\n")
    out = tmp_path / "shared.csv"
    assert main(["journal", str(path), "--export", str(out)]) == 1
    printed = capsys.readouterr()
    assert f"{path}:3: rpe: '12' is not allowed" in printed.out
    assert "1 good entries, 1 problem(s)" in printed.err
    shared = runlab.read_journal(out)
    assert shared.height == 1 and shared["notes"].to_list() == [None]
    assert "secret" not in out.read_text()
    good = J.write(tmp_path / "good.csv", shared)
    assert main(["journal", str(good)]) == 0


def test_attach_accepts_hand_made_frames():
    runs = _runs().with_columns(pl.col("start_time").dt.replace_time_zone(None))  # naive = UTC
    jr = pl.DataFrame({"date": [date(2025, 6, 3)], "runner_id": ["ana"], "time": ["17:10"]})
    out = J.attach(runs, jr)
    assert out["run_id"].to_list() == ["a3"] and out["link"].to_list() == ["date_time"]
