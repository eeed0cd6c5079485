"""Tests of runlab.charts: specs (titles, units, encodings), aggregation limits, rendering."""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime, timedelta

import altair as alt
import numpy as np
import polars as pl
import pytest

import runlab
from runlab import charts as C
from runlab import journal as J
from runlab.errors import SchemaError
from runlab.pace import pace_label_expr

# ----------------------------------------------------------------------------- synthetic data

def _runs(n_runners: int, per_runner: int, weeks: int = 10, seed: int = 1) -> pl.DataFrame:
    """Runs with known per-runner lines cadence = a + b·v (+ a weekly gain), RUNS columns."""
    rng = np.random.default_rng(seed)
    n = n_runners * per_runner
    runner = np.repeat(np.arange(n_runners), per_runner)
    a = rng.normal(150, 8, n_runners)[runner]
    b = rng.normal(6, 1.5, n_runners)[runner]
    v = rng.uniform(2.3, 4.2, n)
    week = np.tile(np.arange(per_runner) * weeks // per_runner, n_runners)
    start = datetime(2025, 3, 3, 7, tzinfo=UTC)
    return pl.DataFrame({
        "run_id": [f"r{i}" for i in range(n)],
        "runner_id": [f"R{r:03d}" for r in runner],
        "start_time": [start + timedelta(days=int(7 * w + i % 7)) for i, w in enumerate(week)],
        "moving_s": np.full(n, 1800.0),
        "speed_mps": v,
        "cadence_spm": a + b * v + 0.8 * week + rng.normal(0, 3, n),
        "easy": v < 3.4,
        "run_walk_ratio": 1 + 0.25 * week + rng.normal(0, 0.1, n),
        "week": week,
    }).with_columns(pl.col("start_time").dt.cast_time_unit("us"))


def _cleaned(minutes: int = 40) -> pl.DataFrame:
    """A 2:1 walk-run session at 1 Hz with four 30-s strides and two climbs, cleaned."""
    rng = np.random.default_rng(0)
    t = np.arange(minutes * 60.0)
    run = t % 180 < 120
    cad = np.where(run, 166.0, 112.0) + rng.normal(0, 2, t.size)
    v = np.where(run, 2.9, 1.4) + rng.normal(0, 0.05, t.size)
    for s0 in (1900, 1990, 2080, 2170):
        m = (t >= s0) & (t < s0 + 30)
        cad[m], v[m] = 182.0, 4.0
    climb = np.clip(t - 600, 0, 100) * 0.3 + np.clip(t - 1200, 0, 100) * 0.3
    t0 = datetime(2025, 6, 2, 6)
    records = pl.DataFrame({
        "timestamp": pl.datetime_range(t0, t0 + timedelta(seconds=t.size - 1), "1s",
                                       eager=True, time_zone="UTC"),
        "elapsed_s": t, "distance_m": np.cumsum(v), "speed_mps": v, "cadence_spm": cad,
        "altitude_m": 50 + climb,
    }).with_columns(pl.col("timestamp").dt.cast_time_unit("us"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return runlab.clean(runlab.schema.conform(records, "records"))


def _journal(days: int = 90, seed: int = 2) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pl.date_range(date(2025, 3, 3), date(2025, 3, 3) + timedelta(days=days - 1),
                          eager=True)
    temp, hum = rng.uniform(8, 34, days).round(1), rng.uniform(20, 95, days).round(0)
    hi = J.heat_index_c(temp, hum)
    comfort = np.clip(np.round(5 - (hi - 15) / 6 + rng.normal(0, 0.5, days)), 1, 5).astype(int)
    rpe = np.clip(np.round(2 + (hi - 15) / 5 + rng.normal(0, 1, days)), 0, 10).astype(int)
    return J.validate(pl.DataFrame({"date": dates, "runner_id": "ana", "comfort": comfort,
                                    "rpe": rpe, "temperature_c": temp, "humidity_pct": hum}))


# ----------------------------------------------------------------------------- spec helpers

def _spec(chart) -> dict:
    assert isinstance(chart, alt.TopLevelMixin)
    return chart.to_dict()


def _rows(spec: dict) -> int:
    """Data rows the chart ships to the browser (all inline datasets)."""
    return sum(len(v) for v in spec.get("datasets", {}).values())


def _views(spec: dict, data: dict | None = None):
    """Every single view (a dict with a mark) inside layers and concatenations, with the
    data it inherits from its parent when it has none of its own."""
    data = spec.get("data", data)
    if "mark" in spec:
        yield {"data": data, **spec}
    for key in ("layer", "vconcat", "hconcat", "concat"):
        for sub in spec.get(key, []):
            yield from _views(sub, data)


def _title(spec: dict) -> str:
    t = spec["title"]
    return t["text"] if isinstance(t, dict) else t


def _axis_titles(spec: dict) -> set[str]:
    return {enc["title"] for view in _views(spec)
            for ch, enc in view.get("encoding", {}).items()
            if ch in ("x", "y") and isinstance(enc, dict) and enc.get("title")}


def _marks(spec: dict) -> list[str]:
    return [v["mark"]["type"] if isinstance(v["mark"], dict) else v["mark"]
            for v in _views(spec)]


def _data(spec: dict, view: dict) -> list[dict]:
    return spec["datasets"][view["data"]["name"]]


SMALL = _runs(3, 30)
BIG = _runs(300, 40)


# ----------------------------------------------------------------------------- cadence, stride

def test_speed_axes_read_as_pace_in_the_chosen_units(monkeypatch):
    monkeypatch.setenv("RUNLAB_UNITS", "mi")
    spec = _spec(C.cadence_speed(SMALL))
    assert "Pace [min/mi] (faster →)" in _axis_titles(spec)
    label = {view["encoding"]["x"]["axis"]["labelExpr"] for view in _views(spec)
             if "axis" in view.get("encoding", {}).get("x", {})}
    assert label == {pace_label_expr("mi")}  # every speed layer: 8:56 at 3 m/s, data in m/s

def test_cadence_speed_single_runner_lines_and_zone(monkeypatch):
    monkeypatch.setenv("RUNLAB_UNITS", "km")
    spec = _spec(C.cadence_speed(SMALL, runner_id="R001"))
    assert _title(spec) == "Cadence vs speed" and "R001" in spec["title"]["subtitle"]
    assert {"Pace [min/km] (faster →)", "Cadence [steps/min]"} <= _axis_titles(spec)
    assert sorted(_marks(spec)) == ["area", "circle", "line", "line", "line", "line"]
    views = list(_views(spec))
    points = _data(spec, views[1])
    assert len(points) == 30 and {p["runner_id"] for p in points} == {"R001"}
    # population line is van Oeveren 2019: 150.0 + 6.01 v
    pop = next(_data(spec, v) for v in views if v["mark"].get("strokeDash"))
    assert all(abs(p["cadence_spm"] - (150.0 + 6.01 * p["speed_mps"])) < 1e-9 for p in pop)
    # runner's line is the OLS line of their runs; the zone is it × 1.05 … 1.10
    one = SMALL.filter(pl.col("runner_id") == "R001")
    slope, intercept = np.polyfit(one["speed_mps"], one["cadence_spm"], 1)
    line = _data(spec, views[-1])
    assert all(abs(p["cadence_spm"] - (intercept + slope * p["speed_mps"])) < 1e-6 for p in line)
    zone = _data(spec, views[0])
    for p in zone:
        habitual = intercept + slope * p["speed_mps"]
        assert p["low"] == pytest.approx(1.05 * habitual) and p["high"] == pytest.approx(
            1.10 * habitual)


def test_cadence_speed_small_cohort_colours_runners():
    spec = _spec(C.cadence_speed(SMALL, boost=(0.03, 0.06)))
    views = list(_views(spec))
    assert views[1]["encoding"]["color"]["field"] == "runner_id"
    assert len({p["runner_id"] for p in _data(spec, views[-1])}) == 3  # one line each
    # without a single runner the zone sits on the population line
    zone = _data(spec, views[0])
    assert all(p["low"] == pytest.approx(1.03 * (150 + 6.01 * p["speed_mps"])) for p in zone)
    assert "+3% to +6%" in spec["title"]["subtitle"]


def test_cadence_speed_large_cohort_is_binned_under_limit():
    spec = _spec(C.cadence_speed(BIG))
    assert _rows(spec) <= C.MAX_ROWS
    counts = next(v for v in _views(spec) if v["mark"]["type"] == "rect")
    data = _data(spec, counts)
    assert sum(d["runs"] for d in data) == BIG.height  # every run counted, none dropped
    assert counts["encoding"]["x2"]["field"] == "speed_mps_end"
    assert "12000 runs of 300 runners" in spec["title"]["subtitle"]


def test_cadence_speed_uses_running_rows_only_and_names_missing_columns():
    mixed = SMALL.with_columns(gait=pl.when(pl.col("speed_mps") < 2.6).then(pl.lit("walk"))
                               .otherwise(pl.lit("run")))
    spec = _spec(C.cadence_speed(mixed))
    n_run = mixed.filter(pl.col("gait") == "run").height
    assert len(_data(spec, list(_views(spec))[1])) == n_run
    with pytest.raises(SchemaError, match="cadence_spm"):
        C.cadence_speed(SMALL.drop("cadence_spm"))
    with pytest.raises(SchemaError, match="'nobody'"):
        C.cadence_speed(SMALL, runner_id="nobody")


def test_step_length_speed_derives_step_length(monkeypatch):
    monkeypatch.setenv("RUNLAB_UNITS", "km")
    spec = _spec(C.step_length_speed(SMALL))
    assert _title(spec) == "Step length vs speed"
    assert {"Pace [min/km] (faster →)", "Step length [m]"} <= _axis_titles(spec)
    points = _data(spec, list(_views(spec))[0])
    for p in points[:5]:
        row = SMALL.filter(pl.col("run_id") == p["run_id"]).row(0, named=True)
        assert p["step_length_m"] == pytest.approx(row["speed_mps"] / (row["cadence_spm"] / 60))
    assert _rows(_spec(C.step_length_speed(BIG))) <= C.MAX_ROWS


# ----------------------------------------------------------------------------- one run

def test_run_timeline_panels_bands_and_efforts(monkeypatch):
    monkeypatch.setenv("RUNLAB_UNITS", "km")
    cleaned = _cleaned()
    spec = _spec(C.run_timeline(cleaned, title="Run timeline: 2:1"))
    assert _title(spec) == "Run timeline: 2:1"
    assert len(spec["vconcat"]) == 3
    assert {"Cadence [steps/min]", "Pace [min/km] (faster ↑)", "Elapsed [min]"} <= _axis_titles(
        spec)
    views = list(_views(spec))
    bands = _data(spec, views[0])
    assert {b["gait"] for b in bands} == {"run", "walk"}
    assert len(bands) == runlab.gait.segments(cleaned).height
    efforts = _data(spec, views[-1])
    kinds = [e["kind"] for e in efforts]
    assert kinds.count("stride") == 4 and kinds.count("hill") == 2
    assert "4 strides, 2 climbs" in spec["title"]["subtitle"]
    line = _data(spec, views[1])
    assert len(line) <= 1500 and line[-1]["elapsed_min"] == pytest.approx(40.0, abs=0.1)
    assert _rows(spec) <= C.MAX_ROWS


def test_run_timeline_long_run_is_averaged_and_plain_records_work():
    cleaned = _cleaned(minutes=180)  # 10 800 samples
    spec = _spec(C.run_timeline(cleaned, max_points=900))
    assert _rows(spec) <= C.MAX_ROWS
    line = _data(spec, list(_views(spec))[1])
    assert len(line) <= 901
    plain = cleaned.select("timestamp", "cadence_spm", "speed_mps")  # no gait columns
    spec = _spec(C.run_timeline(plain))
    assert len(spec["vconcat"]) == 2 and _marks(spec) == ["line", "line"]


# ----------------------------------------------------------------------------- progression

def test_weekly_cadence_from_runs_with_target_band():
    spec = _spec(C.weekly_cadence(SMALL.drop("week"), target_spm=(170.0, 178.0)))
    assert _title(spec) == "Weekly easy-run cadence"
    assert "Easy-run cadence [steps/min]" in _axis_titles(spec)
    views = list(_views(spec))
    assert _marks(spec) == ["rect", "rule", "rule", "line"]
    assert _data(spec, views[0]) == [{"low": 170.0, "high": 178.0}]
    weekly = runlab.metrics.weekly(SMALL.drop("week"))
    assert len(_data(spec, views[-1])) == weekly.filter(
        pl.col("easy_cadence_spm").is_not_null()).height
    assert views[-1]["encoding"]["x"]["type"] == "temporal"


def test_weekly_cadence_cohort_summary_is_small_and_correct():
    weekly = (BIG.filter(pl.col("easy")).group_by("runner_id", "week")
              .agg(pl.col("cadence_spm").mean().alias("easy_cadence_spm"))
              .with_columns(group=pl.when(pl.col("runner_id").str.slice(-1).cast(pl.Int64) % 2
                                          == 0).then(pl.lit("metronome")).otherwise(pl.lit("control"))))
    spec = _spec(C.weekly_cadence(weekly, target_spm=175))
    assert _rows(spec) <= 2 * 10 + 1
    line = list(_views(spec))[-1]
    assert line["encoding"]["color"]["field"] == "group"
    assert line["encoding"]["x"]["title"] == "Week of programme"
    got = {(d["group"], d["week"]): d["mean"] for d in _data(spec, line)}
    want = weekly.group_by("group", "week").agg(pl.col("easy_cadence_spm").mean())
    for g, w, m in want.iter_rows():
        assert got[g, w] == pytest.approx(m)


def test_weekly_cadence_programme_weeks_with_model_trend():
    runs = BIG.with_columns(group=pl.when(pl.col("runner_id").str.slice(-1).cast(pl.Int64) % 2
                                          == 0).then(pl.lit("metronome")).otherwise(pl.lit("control")))
    weeks = np.arange(10.0)
    trend = pl.DataFrame({"group": np.repeat(["control", "metronome"], 10),
                          "week": np.tile(weeks, 2),
                          "cadence_spm": np.r_[165 + 0.3 * weeks, 165 + 0.9 * weeks]}
                         ).with_columns(ci_low=pl.col("cadence_spm") - 1,
                                        ci_high=pl.col("cadence_spm") + 1)
    spec = _spec(C.weekly_cadence(runs, trend=trend))
    assert _rows(spec) <= 2 * 10 + 2 * 10
    assert "model trend" in spec["title"]["subtitle"]
    dashed = [v for v in _views(spec) if v["mark"].get("strokeDash")]
    assert len(dashed) == 1 and len(_data(spec, dashed[0])) == 20
    titles = {v["encoding"]["color"].get("title") for v in _views(spec) if "color" in v["encoding"]}
    assert titles == {"Group"}  # one legend, not "Group, Group"
    # the weekly means are easy-run cadences weighted by moving time, per programme week
    summary = next(v for v in _views(spec) if v["mark"]["type"] == "line"
                   and not v["mark"].get("strokeDash"))
    got = {(d["group"], d["week"]): d["mean"] for d in _data(spec, summary)}
    per_runner = (runs.filter(pl.col("easy")).group_by("runner_id", "group", "week")
                  .agg(pl.col("cadence_spm").mean()))
    want = per_runner.filter((pl.col("group") == "control") & (pl.col("week") == 3))
    assert got["control", 3] == pytest.approx(want["cadence_spm"].mean())
    with pytest.raises(SchemaError, match="programme week"):
        C.weekly_cadence(SMALL.drop("week"), trend=trend)


def test_walk_run_progression_reference_patterns():
    spec = _spec(C.walk_run_progression(SMALL))
    assert _title(spec) == "Walk–run ratio progression"
    views = list(_views(spec))
    assert [r["pattern"] for r in _data(spec, views[0])] == ["1:1", "2:1", "3:1"]
    assert len(_data(spec, views[-1])) == 3 * 10
    big = _spec(C.walk_run_progression(BIG))
    assert _rows(big) == 3 + 10
    med = _data(big, list(_views(big))[-1])
    assert med[0]["median"] == pytest.approx(
        BIG.filter(pl.col("week") == 0)["run_walk_ratio"].median())


# ----------------------------------------------------------------------------- journal

def test_comfort_heat_aggregates_by_bin_and_humidity_band():
    jr = J.validate([
        {"date": "2025-06-02", "runner_id": "a", "comfort": 5, "temperature_c": 14.5,
         "humidity_pct": 30},
        {"date": "2025-06-03", "runner_id": "a", "comfort": 3, "temperature_c": 15.9,
         "humidity_pct": 35},
        {"date": "2025-06-04", "runner_id": "a", "comfort": 2, "temperature_c": 30.0,
         "humidity_pct": 85},
        {"date": "2025-06-05", "runner_id": "a", "comfort": 4},  # no weather: not plotted
    ])
    spec = _spec(C.comfort_heat(jr))
    assert _title(spec) == "Comfort vs temperature and humidity"
    assert "Temperature [°C]" in _axis_titles(spec)
    data = sorted(_data(spec, list(_views(spec))[0]), key=lambda d: d["temperature_c"])
    assert data == [{"temperature_c": 15.0, "humidity": "< 40 %", "comfort": 4.0, "entries": 2},
                    {"temperature_c": 31.0, "humidity": "≥ 80 %", "comfort": 2.0, "entries": 1}]
    ease = _spec(C.comfort_heat(_journal(), value="ease"))
    assert _title(ease).startswith("Perceived ease") and _rows(ease) <= 4 * 14


def test_journal_calendar_one_cell_per_day():
    jr = pl.concat([_journal(), _journal(seed=3).with_columns(runner_id=pl.lit("ben"))])
    spec = _spec(C.journal_calendar(jr, "rpe"))
    assert _title(spec) == "Training journal calendar"
    view = next(_views(spec))
    data = _data(spec, view)
    assert len(data) == 90 and all(d["entries"] == 2 for d in data)
    first = jr.filter(pl.col("date") == date(2025, 3, 3))["rpe"].mean()
    assert data[0]["rpe"] == pytest.approx(first) and data[0]["weekday"] == "Mon"
    assert view["encoding"]["color"]["title"] == "Rpe (0–10)"
    assert view["encoding"]["y"]["sort"][0] == "Mon"
    counts = _spec(C.journal_calendar(jr, None, runner_id="ben"))
    assert next(_views(counts))["encoding"]["color"]["field"] == "entries"


# ----------------------------------------------------------------------------- cohort

def test_forest_small_and_binned():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = runlab.models.cadence_speed(BIG, min_runners=10_000)  # per-runner OLS only
    per = fit.per_runner.head(30)
    spec = _spec(C.forest(per, estimate="slope_spm_per_mps", ci_low="slope_ci_low_spm_per_mps",
                          ci_high="slope_ci_high_spm_per_mps", reference=6.01,
                          x_title="Cadence–speed slope [steps/min per m/s]"))
    assert _marks(spec) == ["rule", "point", "rule"]
    assert "Cadence–speed slope [steps/min per m/s]" in _axis_titles(spec)
    data = _data(spec, next(_views(spec)))
    assert len(data) == 30 and [d["slope_spm_per_mps"] for d in data] == sorted(d["slope_spm_per_mps"] for d in data)
    assert "dashed: reference 6.01" in spec["title"]["subtitle"]
    big = _spec(C.forest(fit.per_runner, estimate="slope_spm_per_mps", ci_low="slope_ci_low_spm_per_mps",
                         ci_high="slope_ci_high_spm_per_mps", max_rows=100))
    rows = _data(big, next(_views(big)))
    assert len(rows) == 100 and "in 100 bins of 3" in big["title"]["subtitle"]
    assert np.mean([r["slope_spm_per_mps"] for r in rows]) == pytest.approx(
        fit.per_runner["slope_spm_per_mps"].mean())
    with pytest.raises(SchemaError, match="ci_low"):
        C.forest(per.rename({"slope_spm_per_mps": "estimate"}))


# ----------------------------------------------------------------------------- rendering

@pytest.mark.slow
def _form():
    from runlab.gait import form
    from runlab.simulate.pose import running_pose

    return form(running_pose(strike_deg=-5, seed=1)[0])


def test_form_clip_figures_and_measures():
    measured = _form()
    spec = _spec(C.form_clip(measured, max_figures=4))
    assert _title(spec).startswith("Running form")
    titles = _axis_titles(spec)
    assert {"Height above ground [leg lengths]", "Overstride [leg lengths]",
            "Foot strike angle [deg]", "Cadence [steps/min]", "Time in clip [s]"} <= titles
    figs = _data(spec, spec["vconcat"][0])
    assert {r["contact"] for r in figs} == {1, 2, 3, 4}
    assert {r["foot_strike"] for r in figs} == {"forefoot"}
    assert min(r["y"] for r in figs) == pytest.approx(0.0, abs=1e-9)  # feet on the ground
    with pytest.raises(SchemaError, match="no initial contacts"):
        C.form_clip(type(measured)(measured.steps.clear(), measured.summary, measured.frames))


def test_every_chart_renders_offline_with_vl_convert():
    import vl_convert as vlc

    charts = [C.cadence_speed(BIG), C.step_length_speed(SMALL), C.run_timeline(_cleaned()),
              C.weekly_cadence(SMALL.drop("week"), target_spm=175),
              C.walk_run_progression(SMALL), C.comfort_heat(_journal()),
              C.journal_calendar(_journal()),
              C.forest(pl.DataFrame({"runner_id": ["a", "b"], "estimate": [5.0, 7.0],
                                     "ci_low": [3.0, 6.0], "ci_high": [7.0, 8.0]})),
              C.form_clip(_form())]
    for chart in charts:
        svg = vlc.vegalite_to_svg(chart.to_json())
        assert svg.startswith("<svg") and _title(chart.to_dict()).split(":")[0] in svg


# ----------------------------------------------------------------------------- the sample data

def test_sample_hill_session_timeline():
    sample = runlab.datasets.sample()
    act = runlab.read_activity(sample / "R04" / "2026-06-05_2.fit")  # hill reps, doubled cadence
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cleaned = runlab.clean(act.records, act.events)
    spec = _spec(C.run_timeline(cleaned, title="Hill reps"))
    views = list(_views(spec))
    kinds = [e["kind"] for e in _data(spec, views[-1])]
    truth = pl.read_csv(sample / "runs_truth.csv").filter(pl.col("run_id") == "R04/2026-06-05_2")
    assert kinds.count("hill") == truth["hill_reps"].item() == 6 and "stride" not in kinds
    cadence = [d["cadence_spm"] for d in _data(spec, views[1]) if d["cadence_spm"] is not None]
    assert max(cadence) < 200  # the device's doubled cadence is repaired by clean
    assert {b["gait"] for b in _data(spec, views[0])} >= {"run", "walk"}


def test_sample_journal_calendar_and_comfort():
    jr = runlab.read_journal(runlab.datasets.sample() / "journal.csv")
    spec = _spec(C.journal_calendar(jr, "comfort", runner_id="R04"))
    view = next(_views(spec))
    assert len(_data(spec, view)) == jr.filter(pl.col("runner_id") == "R04")["date"].n_unique()
    assert view["encoding"]["y"]["scale"]["domain"] == ["Mon", "Tue", "Wed", "Thu", "Fri",
                                                        "Sat", "Sun"]
    assert view["encoding"]["color"]["scale"]["domain"] == [1, 5]
    comfort = _spec(C.comfort_heat(jr))
    entries = sum(d["entries"] for d in _data(comfort, next(_views(comfort))))
    assert entries == jr.filter(pl.col("temperature_c").is_not_null()
                                & pl.col("comfort").is_not_null()).height


def test_weekly_cadence_with_progression_model_on_simulated_cohort():
    from runlab import simulate
    from runlab.models import progression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cohort = simulate.cohort(20, 8, seed=4, model="mixed")
        fit = progression.cadence(cohort.runs)
    spec = _spec(C.weekly_cadence(cohort.runs, trend=fit.summary))
    assert _rows(spec) <= 2 * 8 * 2
    dashed = next(v for v in _views(spec) if v["mark"].get("strokeDash"))
    trend = {(d["group"], d["week"]): d["cadence_spm"] for d in _data(spec, dashed)}
    for row in fit.summary.iter_rows(named=True):
        assert trend[row["group"], row["week"]] == pytest.approx(row["cadence_spm"])
    groups = {d["group"] for d in _data(spec, dashed)}
    assert groups == set(cohort.runs["group"].cast(pl.String).unique())
