"""Plans: the clinic's practices, maintenance rotation, adaptation, ICS export."""

from __future__ import annotations

import datetime as dt

import icalendar
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runlab import plan
from runlab.io.ics import escape_text, fold_line

START = dt.date(2026, 3, 2)


@pytest.fixture(scope="module")
def clinic8():
    return plan.clinic(START, 8, runner="r01", days_per_week=5, technique_days=2,
                       habitual_cadence_spm=158, boost=0.06)


def text(frame: pl.DataFrame) -> str:
    cols = ["description", "drills", "mobility", "cues"]
    return " ".join(" ".join(v or "" for v in frame[c]) for c in cols).lower()


def test_clinic_shape_and_dates(clinic8):
    assert clinic8.columns == list(plan.PLAN)
    assert clinic8.height == 8 * 5
    assert clinic8["date"].min() == START
    assert clinic8["date"].max() < START + dt.timedelta(weeks=8)
    assert clinic8["date"].is_sorted() and clinic8["date"].n_unique() == 40
    assert set(clinic8["runner_id"]) == {"r01"}
    assert clinic8.group_by("week").len()["len"].to_list() == [5] * 8


@pytest.mark.parametrize("practice", [
    "easy day", "technique day", "1:1", "2:1", "3:1", "continuous", "30-s strides",
    "hill", "ankles", "hips", "lower back", "core stability", "barefoot/minimalist",
    "soft ground", "incline walk", "reflective cooldown", "video review", "baseline test",
    "quiet feet", "soft knees", "gentle arm swing", "metronome", "journal",
    "short, rapid steps", "wall or mirror", "relax jaw",
])
def test_clinic_covers_every_practice(practice):
    p = plan.clinic(START, 8, days_per_week=5, technique_days=2, habitual_cadence_spm=160)
    assert practice in text(p)


def test_most_days_easy_and_technique_days_per_week(clinic8):
    for n_tech in (1, 2):
        p = plan.clinic(START, 6, days_per_week=5, technique_days=n_tech)
        per_week = p.group_by("week").agg(
            tech=pl.col("session_type").is_in(["technique", "hills"]).sum(),
            easy=pl.col("session_type").is_in(["easy", "reflective_cooldown",
                                               "baseline_test"]).sum())
        assert (per_week["tech"] == n_tech).all()
        assert (per_week["easy"] > per_week["tech"]).all()
    last = clinic8.group_by("week").agg(pl.col("session_type").last()).sort("week")
    assert (last["session_type"] == "reflective_cooldown").all()


def test_walk_run_progression_and_cadence_ramp(clinic8):
    weekly = clinic8.filter(pl.col("session_type") == "easy").group_by("week").agg(
        pl.col("run_walk_pattern").first(), pl.col("cadence_target_spm").first(),
        pl.col("run_s").first(), pl.col("walk_s").first()).sort("week")
    assert weekly["run_walk_pattern"].to_list() == ["1:1", "1:1", "2:1", "2:1", "3:1", "3:1",
                                                    "continuous", "continuous"]
    ratios = (weekly["run_s"] / weekly["walk_s"]).to_list()[:6]
    assert ratios == [1, 1, 2, 2, 3, 3]
    target = weekly["cadence_target_spm"].to_list()
    assert target == sorted(target) and target[0] > 158
    assert target[-1] == pytest.approx(158 * 1.06, abs=0.05)  # full boost from mid-plan
    easy = clinic8.filter(pl.col("cadence_target_spm").is_not_null())
    assert ((easy["cadence_high_spm"] - easy["cadence_low_spm"]) == 6).all()


def test_durations_add_up(clinic8):
    row = clinic8.filter(pl.col("strides") > 0).row(0, named=True)
    expected = (row["warmup_s"] + row["repeats"] * (row["run_s"] + row["walk_s"])
                + row["strides"] * (30 + plan.STRIDE_RECOVERY_S) + row["cooldown_s"])
    assert row["duration_s"] == pytest.approx(expected)
    assert row["stride_s"] == 30
    hills = clinic8.filter(pl.col("hill_reps") > 0)
    assert hills.height and hills["week"].min() > 2  # incline walks first


def test_baseline_tests_and_video_review(clinic8):
    tests = clinic8.filter(pl.col("session_type") == "baseline_test")
    assert tests["week"].to_list() == [1, 8]
    assert (tests["test_distance_m"] == plan.MILE_M).all()
    assert tests["cadence_target_spm"].is_null().all()
    assert clinic8.filter("video_review")["week"].to_list() == [1, 4, 8]


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"weeks": 0}, "weeks"), ({"weeks": 3.5}, "weeks"), ({"days_per_week": 7}, "days_per_week"),
    ({"technique_days": 3}, "technique_days"),
    ({"technique_days": 2, "days_per_week": 4}, "technique_days"),
    ({"habitual_cadence": 90}, "habitual_cadence"), ({"boost": 0.3}, "boost"),
    ({"start_date": "March"}, "start_date"), ({"runner": ""}, "runner"),
])
def test_clinic_rejects_bad_input(kwargs, name):
    args = {"start_date": START, "weeks": 8} | kwargs
    with pytest.raises(ValueError, match=rf"invalid {name} .*allowed"):
        plan.clinic(**args)


def test_maintenance_rotates_phases_with_baseline_tests():
    m = plan.maintenance("2026-06-01", 9, phase_weeks=3, target_cadence=168)
    phases = m.group_by("week").agg(pl.col("phase").first()).sort("week")["phase"]
    assert phases.to_list() == ["foot_strike"] * 3 + ["cadence"] * 3 + ["stride"] * 3
    tests = m.filter(pl.col("session_type") == "baseline_test")
    assert tests["week"].to_list() == [1, 4, 7]
    assert all(plan.PHASES[p] in d for p, d in zip(m["phase"], m["description"], strict=True)
               if d and "Phase goal" in d)
    assert (m.filter(pl.col("cadence_target_spm").is_not_null())["cadence_target_spm"]
            == 168).all()
    with pytest.raises(ValueError, match="invalid phases"):
        plan.maintenance("2026-06-01", 9, phases=["arms"])


def _evidence(p, week, *, comfort, rpe, drift=0.0, cadence=None):
    day = p.filter(pl.col("week") == week)["date"].min()
    journal = pl.DataFrame({"date": [day, day + dt.timedelta(days=2)], "runner_id": ["r01"] * 2,
                            "comfort": [comfort] * 2, "rpe": [rpe] * 2})
    runs = pl.DataFrame({
        "runner_id": ["r01"] * 2,
        "start_time": [dt.datetime.combine(day, dt.time(7), dt.UTC)] * 2,
        "cadence_spm": [cadence or 150.0] * 2, "easy": [True, True],
        "cadence_drift_spm": [drift] * 2})
    return runs, journal


def test_adapt_holds_on_one_signal(clinic8):
    runs, journal = _evidence(clinic8, 2, comfort=2, rpe=5)
    out = plan.adapt(clinic8, runs, journal)
    w2 = clinic8.filter(pl.col("week") == 2, pl.col("session_type") == "easy")
    w3 = out.filter(pl.col("week") == 3, pl.col("session_type") == "easy")
    assert w3["run_walk_pattern"][0] == w2["run_walk_pattern"][0] == "1:1"
    assert w3["cadence_target_spm"][0] == w2["cadence_target_spm"][0]
    assert "hold after week 2" in w3["reason"][0] and "low comfort 2.0" in w3["reason"][0]
    assert out.filter(pl.col("week") <= 2)["reason"].is_null().all()
    assert out["date"].equals(clinic8["date"])


def test_adapt_steps_back_on_fatigue_and_rpe(clinic8):
    runs, journal = _evidence(clinic8, 5, comfort=3, rpe=8, drift=-6.0)
    out = plan.adapt(clinic8, runs, journal)
    w6 = out.filter(pl.col("week") == 6, pl.col("session_type") == "easy")
    assert w6["run_walk_pattern"][0] == "2:1"  # week 4's progression
    reason = w6["reason"][0]
    assert "step back after week 5" in reason and "high RPE" in reason and "fatigue" in reason


def test_adapt_steps_forward_when_target_met_comfortably(clinic8):
    target_low = clinic8.filter(pl.col("week") == 2)["cadence_low_spm"].drop_nulls().min()
    runs, journal = _evidence(clinic8, 2, comfort=5, rpe=3, cadence=target_low + 1)
    out = plan.adapt(clinic8, runs, journal)
    w3 = out.filter(pl.col("week") == 3, pl.col("session_type") == "easy")
    w4 = clinic8.filter(pl.col("week") == 4, pl.col("session_type") == "easy")
    assert w3["cadence_target_spm"][0] == w4["cadence_target_spm"][0]
    assert "step forward" in w3["reason"][0] and "target met comfortably" in w3["reason"][0]
    dec = plan.decisions(clinic8, runs, journal)
    assert dec.filter(pl.col("week") == 2)["decision"][0] == "step_forward"
    assert set(dec.filter(pl.col("week") != 2)["decision"]) == {"no_data"}


def test_adapt_without_evidence_changes_nothing(clinic8):
    out = plan.adapt(clinic8, None, None)
    assert out.equals(clinic8)
    other = _evidence(clinic8, 2, comfort=1, rpe=9)[1].with_columns(runner_id=pl.lit("x"))
    assert plan.adapt(clinic8, None, other).equals(clinic8)


def test_ics_parses_back_with_icalendar(clinic8):
    stamp = dt.datetime(2026, 2, 1, 12, 0, tzinfo=dt.UTC)
    txt = plan.to_ics(clinic8, dtstamp=stamp)
    raw = txt.encode("utf-8")
    assert all(line.endswith(b"\r") or not line for line in raw.split(b"\n")[:-1])
    assert max(len(line) for line in raw.split(b"\r\n")) <= 75
    cal = icalendar.Calendar.from_ical(txt)
    events = cal.walk("VEVENT")
    assert len(events) == clinic8.height
    assert len({str(e["UID"]) for e in events}) == clinic8.height
    for event, row in zip(events, clinic8.iter_rows(named=True), strict=True):
        assert event.decoded("DTSTART").date() == row["date"]
        assert event.decoded("DTSTAMP") == stamp
        assert event.decoded("DURATION") == dt.timedelta(minutes=round(row["duration_s"] / 60))
        assert str(event["DESCRIPTION"]).startswith(row["description"])
        assert row["session_type"].replace("_", " ") in str(event["SUMMARY"])


def test_ics_folding_and_escaping():
    assert escape_text("a;b,c\\d\ne") == "a\\;b\\,c\\\\d\\ne"
    line = "DESCRIPTION:" + "é" * 100  # 2-octet characters never split
    folded = fold_line(line).encode("utf-8").split(b"\r\n")
    assert all(len(p) <= 75 for p in folded)
    assert b"".join(p[1:] if i else p for i, p in enumerate(folded)).decode() == line
    with pytest.raises(ValueError, match="duration_s"):
        plan.to_ics(pl.DataFrame({"date": [START]}))


def test_cli_plan_writes_every_file(tmp_path, capsys):
    from runlab.cli import main

    out = tmp_path / "plan"
    assert main(["plan", "--start", "2026-03-02", "--weeks", "4", "--out", str(out),
                 "--cadence", "156", "--metronome-s", "5"]) == 0
    frame = pl.read_csv(out / "plan.csv", try_parse_dates=True)
    assert frame.height == 16 and frame["date"].min() == START
    assert len(icalendar.Calendar.from_ical((out / "plan.ics").read_bytes()).walk("VEVENT")) == 16
    fits = sorted((out / "workouts").glob("*.fit"))
    assert len(fits) == 16 and all(f.read_bytes()[8:12] == b".FIT" for f in fits)
    wavs = sorted((out / "metronome").glob("*.wav"))
    targets = frame["cadence_target_spm"].drop_nulls().unique().sort()
    assert [w.name for w in wavs] == [f"metronome_{t:.1f}spm.wav" for t in targets]
    assert "16 sessions" in capsys.readouterr().out
    assert main(["plan", "--start", "2026-03-02", "--out", str(out), "--days", "9",
                 "--cadence", "156"]) == 2
    assert "invalid days_per_week 9" in capsys.readouterr().err


@settings(max_examples=80, deadline=None)
@given(st.text(min_size=0, max_size=400))
def test_ics_text_survives_escaping_and_folding(value):
    """Any text: folded lines ≤ 75 octets, and icalendar reads back exactly the value."""
    value = value.replace("\r", "")  # a bare CR is not representable; escape_text maps it to \n
    line = "DESCRIPTION:" + escape_text(value)
    folded = fold_line(line)
    assert all(len(p.encode()) <= 75 for p in folded.split("\r\n"))
    cal = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
           "UID:x\r\nDTSTAMP:20260101T000000Z\r\n" + folded + "\r\nEND:VEVENT\r\n"
           "END:VCALENDAR\r\n")
    event = icalendar.Calendar.from_ical(cal).walk("VEVENT")[0]
    assert str(event["DESCRIPTION"]) == value
