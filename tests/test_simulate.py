"""The simulator: truth follows docs/science.md, files read back to the truth, runs are
deterministic, the journal links to the runs, quirks come at their rates."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest

import runlab
from runlab import journal, simulate

sdk = pytest.importorskip("garmin_fit_sdk")


@pytest.fixture(scope="module")
def small():
    """A small clinic cohort with every quirk made frequent, written once."""
    return simulate.cohort(6, 4, seed=11, rates={"pause": 0.5, "gps_spike": 0.3,
                                                 "treadmill": 0.2, "tcx_runner": 0.2,
                                                 "gpx_runner": 0.2, "doubling_device": 1.0})


@pytest.fixture(scope="module")
def written(small, tmp_path_factory):
    folder = tmp_path_factory.mktemp("cohort")
    small.write(folder, workers=1)
    return folder


@pytest.fixture(scope="module")
def big():
    """A large cohort (truth only, no files) for rates and population values."""
    return simulate.cohort(200, 12, seed=3)


def _read(folder, path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return runlab.read_activity(folder / path)


def test_deterministic_for_a_seed(small):
    again = simulate.cohort(6, 4, seed=11, rates={"pause": 0.5, "gps_spike": 0.3,
                                                  "treadmill": 0.2, "tcx_runner": 0.2,
                                                  "gpx_runner": 0.2, "doubling_device": 1.0})
    assert again.runs.equals(small.runs)
    assert again.journal.equals(small.journal)
    assert again.runners.equals(small.runners)
    run_id = small.runs["run_id"][3]
    assert again.records(run_id).equals(small.records(run_id))
    other = simulate.cohort(6, 4, seed=12)
    assert not other.runs["cadence_spm"].equals(small.runs["cadence_spm"])


def test_written_files_read_back_to_the_records(small, written):
    assert {p.name for p in written.iterdir()} >= {"journal.csv", "runners.csv",
                                                   "runs_truth.csv"}
    files = sorted(p for p in written.glob("R*/*") if p.is_file())
    assert len(files) == small.runs.height
    for row in small.runs.iter_rows(named=True):
        act = _read(written, row["path"])
        truth = small.records(row["run_id"])
        got = act.records
        assert act.meta["format"] == row["format"]
        assert got["timestamp"].to_list() == truth["timestamp"].to_list()
        tol = 1 / 64 + 1e-9 if row["format"] == "fit" else 1.0 + 1e-9
        np.testing.assert_allclose(got["cadence_spm"], truth["cadence_spm"], atol=tol)
        np.testing.assert_allclose(got["speed_mps"], truth["speed_mps"], atol=1e-3, rtol=1e-6)
        np.testing.assert_allclose(got["heart_rate_bpm"], truth["heart_rate_bpm"])
        if row["treadmill"]:
            assert got["lat_deg"].null_count() == got.height
            if row["format"] == "fit":
                assert act.meta["sub_sport"] == "treadmill"
        else:
            np.testing.assert_allclose(got["lat_deg"], truth["lat_deg"], atol=1e-6)


def test_fit_files_decode_with_the_garmin_sdk(small, written):
    fit = small.runs.filter(pl.col("format") == "fit")
    picks = pl.concat([fit.filter(pl.col("pauses") > 0).head(2), fit.head(2)])
    assert picks.height >= 3
    for row in picks.iter_rows(named=True):
        data = bytearray((written / row["path"]).read_bytes())
        assert sdk.Decoder(sdk.Stream.from_byte_array(data)).check_integrity()
        messages, errors = sdk.Decoder(sdk.Stream.from_byte_array(data)).read()
        assert errors == []
        records = messages["record_mesgs"]
        assert len(records) == small.records(row["run_id"]).height
        session = messages["session_mesgs"][0]
        assert session["total_timer_time"] == pytest.approx(
            session["total_elapsed_time"] - row["paused_s"], abs=1)


def test_summaries_from_files_match_the_truth(small, written):
    clean_runs = small.runs.filter(~pl.col("doubled_cadence"), pl.col("gps_spikes") == 0)
    diffs = []
    for row in clean_runs.iter_rows(named=True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = runlab.summarize(_read(written, row["path"]))
        diffs.append((s["cadence_spm"][0] - row["cadence_spm"],
                      s["distance_m"][0] / row["distance_m"] - 1,
                      s["moving_s"][0] - row["moving_s"], s["strides"][0] - row["strides"]))
    d = np.array(diffs)
    assert np.median(np.abs(d[:, 0])) < 1.0  # steps/min
    assert np.all(np.abs(d[:, 0]) < 4.0)
    assert np.all(np.abs(d[:, 1]) < 0.02)  # distance within 2 %
    assert np.median(np.abs(d[:, 2])) < 0.02 * clean_runs["moving_s"].median()
    assert np.mean(d[:, 3] == 0) > 0.8  # 30-s strides found as planned


def test_treadmill_truth_is_the_pods_speed(small):
    # no reader can know a treadmill belt's speed: the truth is what the foot pod measured
    tm = small.runs.filter(pl.col("treadmill"))
    assert tm.height >= 3
    for row in tm.iter_rows(named=True):
        rec = small.records(row["run_id"])
        assert rec["distance_m"].max() / row["distance_m"] == pytest.approx(1, abs=0.005)


def test_brisk_walkers_walk_below_their_own_jog():
    r = simulate.cohort(200, 1, seed=5, rates={"brisk_walker": 1.0}).runners
    gap = r["habitual_cadence_spm"] - r["walk_cadence_spm"]
    assert gap.min() >= 6.0 - 1e-9  # simulate.params.BRISK_WALK_BELOW_JOG_SPM
    assert r["walk_cadence_spm"].max() > 140  # still brisk: where slow jogs sit


def test_quirks_are_in_the_files(small, written):
    doubled = small.runs.filter(pl.col("doubled_cadence")).head(1)
    assert doubled.height == 1
    row = doubled.row(0, named=True)
    rec = _read(written, row["path"]).records
    running = rec.filter(pl.col("speed_mps") > 1.9)
    assert running["cadence_spm"].median() > 1.7 * row["cadence_spm"]
    paused = small.runs.filter(pl.col("pauses") > 0, pl.col("format") == "fit").row(0, named=True)
    ev = _read(written, paused["path"]).events
    stops = ev.filter(pl.col("event") == "timer", pl.col("event_type") == "stop")
    assert stops.height == paused["pauses"]
    gaps = _read(written, paused["path"]).records["timestamp"].diff().dt.total_seconds()
    assert sorted(gaps.drop_nulls().to_numpy()[gaps.drop_nulls().to_numpy() > 1].tolist()) == \
        sorted([p + 1.0 for p in paused["pause_s"]])


def test_journal_links_to_runs(small, written):
    jr = journal.read_journal(written / "journal.csv")
    assert jr.height == small.journal.height
    linked = journal.attach(small.runs, jr, tz=small.tz)
    assert (linked["link"].is_in(["date", "date_time"])).all()
    assert linked["run_id"].to_list() == small.journal["true_run_id"].to_list()


def test_runners_follow_science(big):
    r = big.runners
    # between-runner SD ≈ 8 spm at a given speed, after the small height effect
    resid = r["cadence_at_ref_spm"] - simulate.HEIGHT_SPM_PER_M * (r["height_m"] - 1.72)
    assert 7.0 < resid.std() < 9.0
    assert 154 < r["cadence_at_ref_spm"].mean() < 160  # novices at easy pace
    treated = r.filter(pl.col("group") == "cadence+7.5%")
    ratio = (treated["achieved_boost"] / treated["target_boost"]).mean()
    assert 0.9 < ratio < 1.0
    assert r.filter(pl.col("group") == "control")["achieved_boost"].max() == 0.0


def test_run_cadence_truth(big):
    runs = big.runs.join(big.runners.select("runner_id", "cadence_at_ref_spm",
                                            "slope_spm_per_mps", "u_week"), on="runner_id")
    easy = runs.filter(pl.col("group") == "control")  # latent cadence at the run's pace
    line = (easy["cadence_at_ref_spm"] + easy["slope_spm_per_mps"]
            * (easy["target_speed_mps"] - 2.5) + easy["u_week"] * easy["week"])
    noise = easy["target_cadence_spm"] - line
    assert abs(noise.mean()) < 0.5 and 2.5 < noise.std() < 3.5  # run-to-run noise ≈ 3 spm
    # retrained runners step ~7 % quicker by the end of the clinic, and keep most of it
    by = (runs.filter(pl.col("session_type") == "easy")
          .group_by("group", "week").agg(pl.col("boost_fraction").mean()).sort("week"))
    treated = by.filter(pl.col("group") == "cadence+7.5%")["boost_fraction"].to_numpy()
    assert 0.065 < treated[9] < 0.075 and 0.05 < treated[11] < treated[9]


def test_walk_run_progression_and_technique_days(big):
    one = big.runs.filter(pl.col("runner_id") == "R001", pl.col("session_type") == "easy")
    patterns = one.sort("week")["run_walk_pattern"].unique(maintain_order=True).to_list()
    assert patterns == ["1:1", "2:1", "3:1", "continuous"]
    tech = big.runs.filter(pl.col("session_type") == "technique")
    assert (tech["strides"] >= 4).all()
    assert (big.runs.filter(pl.col("session_type") == "hills")["hill_reps"] >= 4).all()
    ratio = big.runs.filter(pl.col("run_walk_pattern") == "2:1")["run_walk_ratio"]
    assert ratio.median() == pytest.approx(2.0, rel=0.35)  # warm-up/cool-down walks count


def test_quirk_rates(big):
    plan, runs, r = big.plan, big.runs, big.runners
    missed = (plan["status"] == "missed").sum() / (plan["status"] != "dropped_out").sum()
    assert 0.06 < missed < 0.14
    assert 0.05 < r["dropout_week"].is_not_null().mean() < 0.25
    assert 0.04 < runs["treadmill"].mean() < 0.14
    assert 0.20 < (runs["pauses"] > 0).mean() < 0.30
    outdoor = runs.filter(~pl.col("treadmill"))
    assert 0.03 < (outdoor["gps_spikes"] > 0).mean() < 0.07
    treadmill = runs.filter(pl.col("treadmill"))
    assert 0.15 < treadmill["doubled_cadence"].mean() < 0.5
    assert outdoor["doubled_cadence"].mean() < 0.02
    formats = runs["format"].value_counts(normalize=True)
    fit_share = formats.filter(pl.col("format") == "fit")["proportion"][0]
    assert 0.7 < fit_share < 0.92
    assert (runs.filter(pl.col("format") == "gpx")["treadmill"]).sum() == 0


def test_journal_foot_strike_comfort_and_heat(big):
    jr = big.journal.join(big.runs.select(pl.col("run_id").alias("true_run_id"), "week",
                                          "group", "heat_index_c"), on="true_run_id")
    heel = (jr.group_by("group", pl.col("week") <= 2)
            .agg((pl.col("foot_strike") == "heel").mean().alias("heel")))

    def share(group, early):
        return heel.filter(pl.col("group") == group, pl.col("week") == early)["heel"][0]

    assert share("cadence+7.5%", False) < share("cadence+7.5%", True) - 0.15
    assert abs(share("control", False) - share("control", True)) < 0.08
    hot = jr.filter(pl.col("heat_index_c") > 26)["comfort"].mean()
    mild = jr.filter(pl.col("heat_index_c") < 20)["comfort"].mean()
    assert hot < mild
    video = jr.filter(pl.col("rubric_landing_quietness").is_not_null())
    assert video.height > 0 and video["rubric_landing_quietness"].is_between(1, 5).all()
    journal.validate(big.journal.drop("true_run_id"))  # raises on any bad row


def test_fatigue_drift_in_long_runs(big):
    long = big.runs.filter(pl.col("fatigue_drop_spm") > 0)
    assert long.height > 0
    assert (long["run_walk_pattern"] == "continuous").all()
    assert (long["cadence_drift_spm"] < 0).all()
    assert big.runs.filter(pl.col("fatigue_drop_spm") == 0)["cadence_drift_spm"].drop_nulls() \
        .abs().max() == 0


@pytest.mark.slow
def test_mixed_model_truth_is_recovered():
    import statsmodels.formula.api as smf

    c = simulate.cohort(40, 12, seed=5, model="mixed")
    assert c.runs["format"].unique().to_list() == ["fit"]
    assert c.runs["treadmill"].sum() == 0 and c.runs["pauses"].sum() == 0
    data = c.runs.select("cadence_spm", "speed_c", "week", "group", "runner_id").to_pandas()
    fit = smf.mixedlm("cadence_spm ~ speed_c + week * group", data, groups="runner_id",
                      re_formula="~week").fit(method="bfgs")
    assert fit.converged
    ci = fit.conf_int()
    truth = c.truth_effects
    for term in ("speed_c", "week", "week:group[T.cadence+7.5%]"):
        assert ci.loc[term, 0] - 0.1 < truth[term] < ci.loc[term, 1] + 0.1, term
    assert np.sqrt(fit.scale) == pytest.approx(truth["residual_sd"], rel=0.1)
    sd = np.sqrt(np.diag(fit.cov_re))  # between-runner SDs (40 runners)
    assert sd[0] == pytest.approx(truth["sd_intercept"], rel=0.4)
    assert sd[1] == pytest.approx(truth["sd_week"], rel=0.5)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="group"):
        simulate.cohort(4, 2, groups=("control", "faster"))
    with pytest.raises(ValueError, match="prescription"):
        simulate.cohort(4, 2, groups=("control", "cadence+30%"))
    with pytest.raises(ValueError, match="n_runners"):
        simulate.cohort(0, 2)
    with pytest.raises(ValueError, match="weeks"):
        simulate.cohort(4, 0)
    with pytest.raises(ValueError, match="unknown rate"):
        simulate.cohort(4, 2, rates={"rain": 0.5})
    with pytest.raises(ValueError, match="model"):
        simulate.cohort(4, 2, model="bayes")
    with pytest.raises(KeyError, match="no run"):
        simulate.cohort(2, 1).records("nope")


def test_cli_simulate(tmp_path, capsys):
    from runlab.cli import main

    assert main(["simulate", str(tmp_path / "out"), "--runners", "2", "--weeks", "1",
                 "--seed", "3", "--workers", "1"]) == 0
    assert "runs of 2 runners" in capsys.readouterr().out
    truth = pl.read_csv(tmp_path / "out" / "runs_truth.csv")
    assert all((tmp_path / "out" / p).exists() for p in truth["path"])


@pytest.mark.slow
def test_mixed_model_recovered_from_the_files(tmp_path):
    """The issue's proof: the cadence–speed slope and the group × week effect estimated
    (runlab.models.progression) from the written files cover the truth."""
    from runlab.models import progression

    c = simulate.cohort(10, 6, seed=21, model="mixed")
    c.write(tmp_path, workers=1)
    rows = []
    for row in c.runs.iter_rows(named=True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = runlab.summarize(runlab.read_activity(tmp_path / row["path"]))
        rows.append(s.with_columns(runner_id=pl.lit(row["runner_id"]), week=pl.lit(row["week"]),
                                   group=pl.lit(row["group"])))
    runs = pl.concat(rows)
    with warnings.catch_warnings():  # a near-zero week-slope variance is expected here
        warnings.simplefilter("ignore", runlab.errors.RunlabWarning)
        fixed = progression.cadence(runs).fixed
    for term in ("speed_c", "week:group[T.cadence+7.5%]"):
        est = fixed.filter(pl.col("term") == term).row(0, named=True)
        assert est["ci_low"] <= c.truth_effects[term] <= est["ci_high"], (term, est)


def test_hill_reps_climb_the_same_hill_and_walk_back_down_to_its_foot():
    c = simulate.cohort(4, 8, seed=3, baseline_weeks=0, rates={"treadmill": 0.0})
    run = c.runs.filter(pl.col("hill_reps") >= 4).row(0, named=True)
    rec = c.records(run["run_id"])
    assert c.events(run["run_id"]).height == 0 and rec.height == run["moving_s"]  # 1 Hz
    lat, lon, alt = (rec[k].to_numpy() for k in ("lat_deg", "lon_deg", "altitude_m"))
    north = (lat - lat[0]) * 111_320.0
    east = (lon - lon[0]) * 111_320.0 * np.cos(np.radians(lat[0]))
    cycle = int(run["hill_rep_s"] + runlab.sessions.HILL_RECOVERY_S)
    foot = int(run["warmup_s"]) + cycle * np.arange(run["hill_reps"])
    top = foot + int(run["hill_rep_s"])
    for at in (foot, top):  # every rep starts and tops out at the same place and height
        assert np.hypot(north[at] - north[at[0]], east[at] - east[at[0]]).max() < 5.0
        assert np.abs(alt[at] - alt[at[0]]).max() < 1.0
    assert (alt[top] - alt[foot]).min() > 2.0  # and climbs
    assert np.hypot(north[top[0]] - north[foot[0]], east[top[0]] - east[foot[0]]) > 30.0
