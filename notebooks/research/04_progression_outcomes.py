# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Progression outcomes of a cadence-retraining intervention
#
# Did cadence retraining work, by how much, and did it last? The demo cohort has a
# metronome-free baseline week (week 0), a ten-week clinic (the metronome target ramps up to
# +7.5 % by mid-plan, then holds) and two follow-up weeks without the metronome.
# `clinic_effect` measures, for each phase, the change in cadence from the baseline at each
# runner's own pace, beyond the control group's change over the same weeks (a difference in
# differences), in steps/min and in % of the group's baseline, with a small-sample t interval.

# %%
import warnings

import altair as alt
import polars as pl

from runlab import charts, datasets, models, simulate

_ = alt.renderers.enable("jupyter", offline=True)
runs = datasets.demo_runs()
sim = datasets.demo_simulation()  # the same cohort in memory, with its truth
effect = models.progression.clinic_effect(runs, phases=sim.phases)
effect.summary.join(sim.truth().select("phase", "group", truth_pct="effect_pct"),
                    on=["phase", "group"]).select(
    "phase", "group", "effect_spm", "effect_pct", "ci_low_pct", "ci_high_pct", "truth_pct",
    "df", "p_value")

# %% [markdown]
# ## Do the intervals cover the truth?
# Ten small simulated studies (12 runners, 12 weeks; missed sessions, dropout,
# weather, walk breaks), each fitted with `clinic_effect`, `retention` (the follow-up
# effect minus the end effect, in points, and the retained fraction: follow-up effect / end
# effect, bias-corrected, Fieller interval) and `baseline_mile` (each runner's boost-free
# mile in weeks 0–1 against their follow-up mile in week 12, retrained minus control):
# the share of 95 % intervals that contain the true population value (from
# `Cohort.truth()`, `retention_truth()` and `mile_truth()`) should be near 95 %.
# (`benchmarks/validate_clinic.py` runs 400 such studies, and 40 written as files and read
# back, with and without brisk walkers: the files' estimates of the end and follow-up
# effects agree with the in-memory ones within 0.05 points in all 40 seeds.)

# %%
rows = []
for seed in range(10):
    study = simulate.cohort(12, 12, seed=10_000 + seed, quirks=False)
    ph = study.phases
    fit = models.progression.clinic_effect(study.runs, phases=ph)
    for r in fit.summary.join(study.truth(), on=["phase", "group"]).iter_rows(named=True):
        rows.append({"seed": seed, "estimand": r["phase"], "estimate": r["effect_pct"],
                     "ci_low": r["ci_low_pct"], "ci_high": r["ci_high_pct"],
                     "truth": r["population_pct"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # runners without a follow-up mile are named, left out
        kept = models.progression.retention(study.runs, baseline_weeks=ph["baseline"],
                                            end_weeks=ph["end"], follow_up_weeks=ph["follow_up"])
        mile = models.progression.baseline_mile(
            study.runs.filter(pl.col("session_type") == "baseline_test"),
            outcomes=["cadence_spm"], first_weeks=[0, 1], last_weeks=[12])
    k = kept.summary.filter(pl.col("term") == "retained_fraction").row(0, named=True)
    kept_truth = study.retention_truth()
    rows.append({"seed": seed, "estimand": "retained [%]", "estimate": 100 * k["estimate"],
                 "ci_low": 100 * k["ci_low"], "ci_high": 100 * k["ci_high"],
                 "truth": 100 * kept_truth["population_retained_fraction"][0]})
    d = kept.summary.filter(pl.col("term") == "follow_up_minus_end_pct").row(0, named=True)
    rows.append({"seed": seed, "estimand": "follow-up − end", "estimate": d["estimate"],
                 "ci_low": d["ci_low"], "ci_high": d["ci_high"],
                 "truth": kept_truth["population_follow_up_minus_end_pct"][0]})
    m = mile.fixed.row(0, named=True)
    rows.append({"seed": seed, "estimand": "mile, week 12", "estimate": m["estimate_pct"],
                 "ci_low": m["ci_low_pct"], "ci_high": m["ci_high_pct"],
                 "truth": study.mile_truth(12)["population_pct"][0]})
studies = pl.DataFrame(rows).with_columns(
    covered=(pl.col("ci_low") <= pl.col("truth")) & (pl.col("truth") <= pl.col("ci_high")))
studies.group_by("estimand").agg(coverage=pl.col("covered").mean(),
                                 bias_points=(pl.col("estimate") - pl.col("truth")).mean(),
                                 studies=pl.len()).sort("estimand")

# %%
end = studies.filter(pl.col("estimand") == "end")
alt.Chart(end).mark_rule().encode(
    y=alt.Y("seed:O", title="simulated study"),
    x=alt.X("ci_low:Q", title="clinic effect, end of clinic [% of baseline]"),
    x2="ci_high:Q", color="covered:N") + alt.Chart(
    end.select(pl.col("truth").mean())).mark_rule(color="black").encode(x="truth:Q")

# %% [markdown]
# ## How many runners would the next study need?
# `models.power` simulates a design many times and analyses each study with
# `clinic_effect` (`models.power_curve` varies one field of the design); here power
# against the achieved boost for 8 runners per group (12 weeks, 10 % missed sessions, 10 %
# dropout). 20 studies per point keep the notebook quick (±11 points); plan with 200 or
# more. Notebook 05 draws power against the number of runners.

# %%
by_effect = models.power_curve([0.5, 1.0, 2.0], over="effect_pct", runners_per_group=8,
                               weeks=12, n_studies=20)
alt.Chart(by_effect).mark_line(point=True).encode(
    x=alt.X("effect_pct:Q", title="Achieved boost [% of habitual cadence]"),
    y=alt.Y("power:Q", title="Power", scale=alt.Scale(domain=[0, 1])),
).properties(title="Power with 8 runners per group (12 weeks, alpha 0.05)")

# %% [markdown]
# ## Week by week
# A straight line in week (`cadence_spm ~ speed_c + week * group + (1 + week | runner)`)
# describes the trend but cannot follow the ramp, plateau and follow-up; the clinic's
# effect is the table above.

# %%
prog = models.progression.cadence(runs)
charts.weekly_cadence(runs, trend=prog.summary)

# %% [markdown]
# ## Retention and who reached their target
# Retention, both effects beyond control: the headline is the follow-up effect minus the
# end-of-clinic effect (`follow_up_minus_end_pct`, points of % of baseline; 0 = all kept),
# unbiased; the retained fraction (follow-up / end) is bias-corrected (a ratio of two
# estimates reads high in small studies) and has Fieller's asymmetric interval.
# Attainment is judged in the last two clinic weeks; target = habitual cadence at the
# runner's own pace in the metronome-free baseline week × (1 + boost). The control group
# has no target to reach: it is compared on change.

# %%
kept = models.progression.retention(runs, baseline_weeks=sim.phases["baseline"],
                                    end_weeks=sim.phases["end"],
                                    follow_up_weeks=sim.phases["follow_up"])
kept.summary

# %% [markdown]
# The baseline mile: each runner's boost-free mile (week 0, or the week-1 mile that opens
# the clinic) against their follow-up mile (week 12), retrained minus control. Pairing the
# same weeks for everyone matters: a runner whose last mile is week 1 (dropout, a missed
# test) would add a change of zero (`baseline_mile` warns when last tests mix weeks).

# %%
miles = runs.filter(pl.col("session_type") == "baseline_test")
mile = models.progression.baseline_mile(miles, outcomes=["cadence_spm", "speed_mps"],
                                        first_weeks=[0, 1], last_weeks=[12])
mile.fixed.select("term", "estimate", "ci_low", "ci_high", "estimate_pct", "ci_low_pct",
                  "ci_high_pct", "df", "p_value").with_columns(
    truth_pct=pl.when(pl.col("term").str.starts_with("cadence"))
    .then(sim.mile_truth(12)["effect_pct"][0]))

# %%
targets = datasets.demo_targets(runs)
reached = models.progression.target_attainment(runs, targets, phases=sim.phases,
                                               phase="end", tolerance_spm=3.0)
reached.summary

# %% [markdown]
# ## Comfort and perceived effort in heat and humidity
# Ordinal models of journal comfort (1–5) and RPE (0–10): cumulative-logit GEE with runners as
# clusters (bias-reduced sandwich), group in the model.

# %%
journal_runs = datasets.demo_journal_runs()
comfort = models.comfort(journal_runs)
comfort.fixed

# %%
charts.comfort_heat(journal_runs)

# %% [markdown]
# ## Walk–run progression

# %%
walk_run = models.progression.walk_run(runs)
walk_run.fixed

# %%
charts.walk_run_progression(runs)
