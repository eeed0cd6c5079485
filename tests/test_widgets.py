"""Widgets driven from Python: set control values, check texts, charts and written files."""

from __future__ import annotations

import datetime as dt
import os
import wave
from pathlib import Path

import icalendar
import numpy as np
import polars as pl
import pytest

from runlab import journal, plan
from runlab.widgets import (
    CadenceTuner,
    CohortExplorer,
    JournalForm,
    PlanBuilder,
    RubricScorer,
    SquadOverview,
)


def synthetic_runs(n_runners=6, weeks=6, seed=3) -> pl.DataFrame:
    """Runs whose cadence follows 150 + 6·v + runner offset + 3-spm noise (docs/science.md)."""
    rng = np.random.default_rng(seed)
    rows = []
    start = dt.datetime(2026, 3, 2, 7, tzinfo=dt.UTC)
    for r in range(n_runners):
        offset = rng.normal(0, 8)
        for k in range(weeks * 3):
            v = rng.uniform(2.3, 3.6)
            cad = 150 + 6.01 * v + offset + rng.normal(0, 3)
            rows.append({"runner_id": f"r{r:02d}", "group": "metronome" if r % 2 else "control",
                         "start_time": start + dt.timedelta(days=2.3 * k),
                         "speed_mps": v, "cadence_spm": cad, "distance_m": 5000.0,
                         "step_length_m": v / (cad / 60), "run_walk_ratio": 2.0,
                         "easy": True})
    return pl.DataFrame(rows)


@pytest.fixture(scope="module")
def runs():
    return synthetic_runs()


def spec(view) -> dict:
    return view.spec


@pytest.mark.slow  # first widget test: pays for importing statsmodels and the vega bundle
def test_cadence_tuner_zone_step_length_and_chart(runs):
    one = runs.filter(pl.col("runner_id") == "r01")
    tuner = CadenceTuner(one, boost=0.05, units="km")
    assert tuner.pace.options[0] == ("3:00", 180) and tuner.pace.options[-1] == ("15:00", 900)
    tuner.pace.value = 330  # 5:30 /km → 3.03 m/s
    v = 1000 / 330
    habitual = tuner.zone.habitual_spm
    # the runner's own OLS line at that speed
    slope, intercept = np.polyfit(one["speed_mps"], one["cadence_spm"], 1)
    assert habitual == pytest.approx(intercept + slope * v, rel=1e-9)
    assert tuner.zone.source == "runner_line"
    text0, chart0 = tuner.zone_text.value, spec(tuner.view)
    tuner.boost.value = 10
    assert tuner.target_spm == pytest.approx(habitual * 1.10)
    lo, hi = tuner.zone_spm
    assert f"target <b>{habitual * 1.1:.0f}</b>" in tuner.zone_text.value
    assert f"zone {lo:.0f}–{hi:.0f}" in tuner.zone_text.value
    assert tuner.zone_text.value != text0 and spec(tuner.view) != chart0
    # +10 % cadence → −9.09 % step length at the same pace (docs/science.md)
    assert "-9.1 %" in tuner.step_text.value
    assert len(tuner.timings_s) == 2
    check_one_target(tuner)


def check_one_target(tuner):
    """Band, marker and text agree at the chosen pace; the habitual marker is on the line."""
    top = spec(tuner.view)
    data = {layer["mark"]["type"]: top["datasets"][layer.get("data", top.get("data"))["name"]]
            for layer in top["layer"]}
    lo, hi = tuner.zone_spm
    marker = data["rule"][0]
    assert (marker["low_spm"], marker["high_spm"]) == (lo, hi)
    v = tuner.speed_mps
    band = data["area"]
    speeds = [row["speed_mps"] for row in band]
    low_at_v = np.interp(v, speeds, [row["low_spm"] for row in band])
    high_at_v = np.interp(v, speeds, [row["high_spm"] for row in band])
    assert (low_at_v, high_at_v) == (pytest.approx(lo), pytest.approx(hi))
    habit_at_v = np.interp(v, speeds, [row["habitual_spm"] for row in band])
    assert habit_at_v == pytest.approx(tuner.zone.habitual_spm)
    assert f"zone {lo:.0f}–{hi:.0f}" in tuner.zone_text.value
    labels = [row["label"] for row in data["text"]]
    assert f"target {tuner.target_spm:.0f} ({lo:.0f}–{hi:.0f})" in labels


@pytest.mark.parametrize("units", ["km", "mi"])
def test_cadence_tuner_pace_in_units_and_one_target_at_every_boost(runs, units):
    one = runs.filter(pl.col("runner_id") == "r03")
    tuner = CadenceTuner(one, units=units)
    mile = units == "mi"
    assert tuner.pace.description == f"pace [/{units}]"
    assert tuner.pace.options[0][1] == (290 if mile else 180)
    assert tuner.pace.options[-1][1] == (1445 if mile else 900)
    tuner.pace.value = 600 if mile else 400
    for boost in (0, 5, 10, 15):
        tuner.boost.value = boost
        check_one_target(tuner)
    assert f"/{units}</b>" in tuner.zone_text.value


def test_plan_builder_follows_the_tuned_runner(runs):
    one = runs.filter(pl.col("runner_id") == "r02")
    tuner = CadenceTuner(one, runner="r02", boost=0.08)
    pb = PlanBuilder(start_date=dt.date(2026, 3, 2)).follow(tuner)
    assert pb.params()["runner"] == "r02" and pb.params()["boost"] == 0.08
    assert pb.params()["habitual_cadence_spm"] == round(tuner.zone.habitual_spm, 1) != 160
    tuner.pace.value = tuner.pace.options[10][1]
    assert pb.params()["habitual_cadence_spm"] == round(tuner.zone.habitual_spm, 1)


def test_cadence_tuner_metronome_and_exports(runs, tmp_path):
    tuner = CadenceTuner(runs, runner="r02", out_dir=tmp_path, boost=0.07)
    track = tuner.metronome(seconds=5)
    assert tuner.audio.value[:4] == b"RIFF" and track.spm == round(tuner.target_spm, 1)
    gaps = np.diff(track.onsets) / track.sample_rate
    assert gaps.mean() == pytest.approx(60 / tuner.target_spm, rel=1e-3)
    fit = tuner.export("fit")
    from garmin_fit_sdk import Decoder, Stream

    messages, errors = Decoder(Stream.from_byte_array(bytearray(fit.read_bytes()))).read()
    assert not errors
    run = [s for s in messages["workout_step_mesgs"] if s.get("target_type") == "cadence"]
    assert len(run) == 1 and run[0]["duration_time"] == 1800
    lo, hi = tuner.zone_spm
    assert 2 * run[0]["custom_target_cadence_low"] <= lo <= hi <= 2 * run[0][
        "custom_target_cadence_high"]
    with wave.open(str(tuner.export("wav"))) as wav:
        assert wav.getnframes() == 300 * 22050
    cal = icalendar.Calendar.from_ical(tuner.export("ics").read_bytes())
    assert len(cal.walk("VEVENT")) == 32
    assert "wrote" in tuner.status.value
    with pytest.raises(ValueError, match="invalid export kind"):
        tuner.export("pdf")


def test_cadence_tuner_rejects_frames_without_cadence():
    from runlab.errors import SchemaError

    with pytest.raises(SchemaError, match="cadence_spm"):
        CadenceTuner(pl.DataFrame({"speed_mps": [3.0]}))


def test_cohort_explorer_filters_table_and_charts(runs):
    ex = CohortExplorer(runs)
    assert f"{runs.height} runs of 6 runners" in ex.summary.value
    before = spec(ex.weekly)
    ex.group.value = "metronome"
    assert set(ex.filtered()["group"]) == {"metronome"}
    assert ex.runner.options == ("all", "r01", "r03", "r05")
    ex.runner.value = "r03"
    ex.weeks.value = (2, 3)
    shown = ex.filtered()
    assert set(shown["runner_id"]) == {"r03"} and shown["week"].is_between(2, 3).all()
    assert f"{shown.height} runs of 1 runners" in ex.summary.value
    assert ex.table.value.count("<tr>") == shown.height + 1
    assert spec(ex.weekly) != before
    weekly = spec(ex.weekly)
    ex.weeks.value = (1, 2)  # the weekly chart shows all weeks: unchanged
    assert spec(ex.weekly) == weekly and ex.filtered()["week"].max() == 2
    assert len(ex.timings_s) == 4


def test_cohort_explorer_derives_week_and_group():
    runs = synthetic_runs(3, 2).drop("group")
    runners = pl.DataFrame({"runner_id": ["r00", "r01", "r02"], "group": ["a", "b", "a"]})
    ex = CohortExplorer(runs, runners=runners)
    assert ex.runs["week"].min() == 1 and ex.runs["week"].max() == 2
    assert ex.group.options == ("all", "a", "b")


def test_journal_form_appends_valid_entries_only(tmp_path):
    path = tmp_path / "journal.csv"
    form = JournalForm(path, "r07")
    assert not form.submit()  # an empty row is refused, naming what is missing
    assert "comfort, RPE" in form.status.value and not path.exists()
    form.date.value = dt.date(2026, 3, 4)
    form.controls["comfort"].value = 4
    assert not form.submit() and "missing: RPE" in form.status.value
    form.controls["rpe"].value = 3
    form.controls["foot_strike"].value = "midfoot"
    form.controls["surface"].value = "grass"
    form.controls["humidity_pct"].value = "140"
    assert not form.submit()
    assert "humidity_pct" in form.status.value and not path.exists()
    form.controls["humidity_pct"].value = "65"
    form.controls["temperature_c"].value = "24.5"
    form.controls["notes"].value = "quick, light; 'quiet feet' worked"
    assert form.submit()
    form.date.value = dt.date(2026, 3, 6)
    assert form.submit()
    got = journal.read_journal(path)
    assert got.height == 2 and got["date"].to_list() == [dt.date(2026, 3, 4), dt.date(2026, 3, 6)]
    row = got.row(0, named=True)
    assert (row["runner_id"], row["comfort"], row["rpe"], row["foot_strike"], row["surface"],
            row["temperature_c"], row["humidity_pct"]) == ("r07", 4, 3, "midfoot", "grass",
                                                          24.5, 65.0)
    assert row["notes"] == "quick, light; 'quiet feet' worked"
    assert got["notes"][1] is None  # notes are cleared after a save


@pytest.fixture
def clip(tmp_path):
    import imageio_ffmpeg

    path = tmp_path / "clip.mp4"
    frames = imageio_ffmpeg.write_frames(str(path), (64, 64), fps=10, codec="libx264",
                                         pix_fmt_out="yuv420p", macro_block_size=16)
    frames.send(None)
    for i in range(10):
        frames.send(np.full((64, 64, 3), i * 20, np.uint8).tobytes())
    frames.close()
    return path


def test_rubric_scorer_saves_scores_and_video(clip, tmp_path):
    path = tmp_path / "journal.csv"
    scorer = RubricScorer(clip, path, runner="r07", run_id="run-3", date=dt.date(2026, 3, 5))
    assert scorer.video.value == clip.read_bytes() and scorer.video.format == "mp4"
    cues = " ".join(h.value for h in scorer.cues.values())
    assert all(c in cues for c in ("quiet feet", "soft knees", "gentle arm swing"))
    scorer.sliders["rubric_landing_quietness"].value = 4
    scorer.sliders["rubric_upright_posture"].value = 5
    scorer.sliders["rubric_cadence_consistency"].value = 2
    assert scorer.submit()
    row = journal.read_journal(path).row(0, named=True)
    assert (row["rubric_landing_quietness"], row["rubric_upright_posture"],
            row["rubric_cadence_consistency"]) == (4, 5, 2)
    assert row["video"] == "clip.mp4" and row["run_id"] == "run-3"


def test_rubric_scorer_shows_measures_and_links_the_summary(clip, tmp_path):
    from runlab.gait import form
    from runlab.simulate.pose import running_pose

    pose, _ = running_pose(overstride_leg=0.45, trunk_lean_deg=6, seed=3)
    measured = form(pose)
    path = tmp_path / "journal.csv"
    scorer = RubricScorer(clip, path, runner="r07", date=dt.date(2026, 3, 5), form=measured)
    shown = scorer.measured["rubric_landing_quietness"].value
    assert "overstride leg" in shown and "suggests" in shown
    suggested = dict(scorer.suggestions.select("item", "suggested").iter_rows())
    assert suggested["rubric_upright_posture"] == 5  # 6° lean is inside the 2–10° band
    assert suggested["rubric_landing_quietness"] < 5  # lands far ahead of the hip
    assert all(s.value == 3 for s in scorer.sliders.values())  # the coach decides
    scorer.sliders["rubric_upright_posture"].value = 2  # the coach disagrees: kept
    assert scorer.submit()
    row = journal.read_journal(path).row(0, named=True)
    assert row["rubric_upright_posture"] == 2
    assert row["form_overstride_leg"] == pytest.approx(
        measured.summary["overstride_leg"][0], abs=0.01)
    assert row["form_foot_strike"] == measured.summary["foot_strike"][0]
    assert row["form_steps"] == measured.steps.height
    assert "form_cadence_spm" in journal.for_export(journal.read_journal(path)).columns
    scorer.apply_suggestions()
    assert scorer.sliders["rubric_upright_posture"].value == 5


def test_rubric_scorer_rejects_non_videos(tmp_path):
    from runlab.errors import ReadError

    with pytest.raises(ReadError, match="notes.txt"):
        RubricScorer(tmp_path / "notes.txt", tmp_path / "j.csv")
    with pytest.raises(ReadError, match="no such video"):
        RubricScorer(tmp_path / "missing.mp4", tmp_path / "j.csv")


def test_plan_builder_rebuilds_and_exports(tmp_path):
    pb = PlanBuilder(start_date=dt.date(2026, 3, 2), habitual_cadence_spm=156, out_dir=tmp_path)
    assert pb.plan.height == 32 and "32 sessions" in pb.summary.value
    pb.controls["weeks"].value = 4
    pb.controls["boost"].value = 10
    assert pb.plan.height == 16
    assert pb.plan["cadence_target_spm"].max() == pytest.approx(156 * 1.10, abs=0.05)
    assert pb.table.value.count("<tr>") == 17
    pb.controls["technique_days"].value = 2  # needs 5+ days a week
    assert pb.plan is None and "invalid technique_days" in pb.summary.value
    assert pb.export() is None
    pb.controls["days_per_week"].value = 5
    files = pb.export()
    assert len(files["fit"]) == 20 and files["csv"][0].exists()
    assert pl.read_csv(files["csv"][0]).height == 20
    assert "wrote" in pb.status.value
    assert plan.PLAN.keys() == set(pl.read_csv(files["csv"][0]).columns)


def test_plan_table_shows_times_as_people_read_them():
    pb = PlanBuilder(start_date=dt.date(2026, 3, 2), habitual_cadence_spm=156, units="mi")
    head = pb.table.value.split("</thead>")[0]
    assert "duration [h:mm:ss]" in head and "run [h:mm:ss]" in head and "_min" not in head
    first = pb.plan.row(1, named=True)  # a run-walk session
    cells = pb.table.value.split("<tr>")[3]
    total = round(first["duration_s"])
    assert f"<td>{total // 60}:{total % 60:02d}</td>" in cells
    run = round(first["run_s"])
    assert f"<td>{run // 60}:{run % 60:02d}</td>" in cells
    hours, rest = divmod(round(pb.plan["duration_s"].sum()), 3600)
    assert f"{hours}:{rest // 60:02d}:{rest % 60:02d} (h:mm:ss)" in pb.summary.value


def test_cohort_explorer_brush_narrows_the_table(runs):
    ex = CohortExplorer(runs)
    assert ex.scatter.selections.trait_names() == ["speed_brush"]
    # what the browser sends when a speed range is brushed in the scatter
    ex.scatter._vl_selections = {"speed_brush": {"value": {"speed_mps": [2.5, 3.0]},
                                                 "store": []}}
    inside = runs.filter(pl.col("speed_mps").is_between(2.5, 3.0)).height
    assert ex.speed_range == (2.5, 3.0)
    assert f"brushed 2.50–3.00 m/s: {inside} runs" in ex.summary.value
    ex.group.value = "control"  # a new chart starts without a brush
    assert ex.speed_range is None and "brushed" not in ex.summary.value
    ex.group.value = "all"  # back to a cached state: same spec as before
    assert ex.scatter.spec == ex._specs[("scatter", "all", ex.weeks.value, "all")]


def test_coach_command_serves_the_dashboard_on_localhost(tmp_path):
    import jupytext

    from runlab.widgets.coach import coach_command

    cmd, env, cwd = coach_command(journal=tmp_path / "j.csv", store=tmp_path / "store",
                                  port=8899, open_browser=False, notebook_dir=tmp_path / "nb")
    assert cmd[1:3] == ["-m", "voila"] and "--Voila.ip=127.0.0.1" in cmd
    assert "--port=8899" in cmd and "--Voila.port_retries=0" in cmd and "--no-browser" in cmd
    nb = jupytext.read(cmd[3])
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert any("CadenceTuner(" in c.source for c in nb.cells)
    assert env["RUNLAB_COACH_JOURNAL"] == str(tmp_path / "j.csv")
    assert env["RUNLAB_COACH_STORE"] == str(tmp_path / "store") and cwd == tmp_path / "nb"
    assert "--template=runlab" in cmd  # the lab template without Font Awesome from a CDN
    template = Path(env["JUPYTER_PATH"].split(os.pathsep)[0]) / "voila/templates/runlab"
    assert "fortawesome" in (template / "index.html.j2").read_text()  # the tags it removes
    with pytest.raises(ValueError, match="invalid port"):
        coach_command(port=0, notebook_dir=tmp_path / "nb")


def test_widgets_leave_altair_global_state_alone(runs):
    import altair as alt

    renderer, options = alt.renderers.active, dict(alt.renderers.options)
    plain_before = alt.JupyterChart(alt.Chart(runs).mark_point())._esm
    ex = CohortExplorer(runs)
    assert (alt.renderers.active, dict(alt.renderers.options)) == (renderer, options)
    assert alt.JupyterChart(alt.Chart(runs).mark_point())._esm == plain_before
    # the widget's own charts are offline: vega from vl-convert, nothing from a CDN
    assert isinstance(ex.scatter, alt.JupyterChart) and "https://" not in ex.scatter._esm[:500]
    assert plain_before.startswith("import") and "https://" in plain_before[:500]


def test_squad_overview_rows_flags_sorting_and_opening(runs):
    from runlab.widgets.squad import VOLUME_FLAG_PCT, squad_table

    runs = runs.with_columns(moving_s=pl.col("distance_m") / pl.col("speed_mps"))
    last = dict(runs.group_by("runner_id").agg(pl.col("start_time").max().dt.date())
                .iter_rows())
    journal_rows = pl.DataFrame({"date": [last["r01"], last["r02"]],
                                 "runner_id": ["r01", "r02"], "comfort": [2, 4],
                                 "rpe": [8, 3]})
    table = squad_table(runs, journal_rows)
    assert table["runner_id"].to_list() == sorted(runs["runner_id"].unique().to_list())
    assert table["runner_id"].null_count() == 0 and VOLUME_FLAG_PCT == 10.0
    warn = dict(table.select("runner_id", "warnings").iter_rows())
    assert warn["r02"] == "" and warn["r01"] == "comfort 2 of 5, RPE 8 of 10"
    flagged = table.filter(pl.col("volume_change_pct") > 10)["volume_flag"]
    assert flagged.all()
    strict = squad_table(runs, None, volume_flag_pct=1e9)
    assert not strict["volume_flag"].any()  # the flag is a parameter
    assert set(table["decision"]) <= {"hold", "step_back", "step_forward", "on_track",
                                      "no_data"}
    opened = []
    squad = SquadOverview(runs, journal=journal_rows, on_select=opened.append)
    squad.sort_by.value = "trend_spm"
    squad.descending.value = True
    trends = squad.sorted()["trend_spm"].drop_nulls().to_list()
    assert trends == sorted(trends, reverse=True)
    first = squad.sorted()["runner_id"][0]
    assert squad.table.value.index(f'data-runner="{first}"') < squad.table.value.index(
        f'data-runner="{squad.sorted()["runner_id"][-1]}"')
    squad.runner.value = "r01"
    assert opened == ["r01"] and len(squad.timings_s) == 3


def test_old_keywords_still_work_with_a_deprecation_warning(runs):
    with pytest.warns(DeprecationWarning, match="boost="):
        old = CadenceTuner(runs, runner="r02", boost_pct=7)
    assert old.boost.value == CadenceTuner(runs, runner="r02", boost=0.07).boost.value == 7
    with pytest.warns(DeprecationWarning, match="habitual_cadence_spm"):
        pb = PlanBuilder(start_date=dt.date(2026, 3, 2), habitual_cadence=156)
    assert pb.params()["habitual_cadence_spm"] == 156
    with pytest.warns(DeprecationWarning, match="habitual_cadence_spm"):
        p = plan.clinic(dt.date(2026, 3, 2), 4, habitual_cadence=156)
    assert p.equals(plan.clinic(dt.date(2026, 3, 2), 4, habitual_cadence_spm=156))
