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
# weather, walk breaks), each fitted with `clinic_effect`: the share of 95 % intervals that
# contain the true population effect should be near 95 %. (`benchmarks/validate_clinic.py`
# runs 400 such studies, files written and read back, and the no-effect case.)

# %%
rows = []
for seed in range(10):
    study = simulate.cohort(12, 12, seed=10_000 + seed, quirks=False)
    fit = models.progression.clinic_effect(study.runs, phases=study.phases)
    rows.append(fit.summary.join(study.truth(), on=["phase", "group"]).with_columns(
        seed=pl.lit(seed)))
studies = pl.concat(rows).with_columns(
    covered=(pl.col("ci_low_pct") <= pl.col("population_pct"))
    & (pl.col("population_pct") <= pl.col("ci_high_pct")))
studies.group_by("phase").agg(coverage=pl.col("covered").mean(),
                              bias_pct=(pl.col("effect_pct") - pl.col("population_pct")).mean(),
                              studies=pl.len()).sort("phase")

# %%
alt.Chart(studies.filter(pl.col("phase") == "end")).mark_rule().encode(
    y=alt.Y("seed:O", title="simulated study"),
    x=alt.X("ci_low_pct:Q", title="clinic effect, end of clinic [% of baseline]"),
    x2="ci_high_pct:Q", color="covered:N") + alt.Chart(
    studies.filter(pl.col("phase") == "end").select(pl.col("population_pct").mean())
).mark_rule(color="black").encode(x="population_pct:Q")

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
# Retention: the follow-up effect over the end-of-clinic effect, both beyond control.
# Attainment is judged in the last two clinic weeks; target = habitual cadence at the
# runner's own pace in the metronome-free baseline week × (1 + boost). The control group
# has no target to reach: it is compared on change.

# %%
kept = models.progression.retention(runs, baseline_weeks=sim.phases["baseline"],
                                    end_weeks=sim.phases["end"],
                                    follow_up_weeks=sim.phases["follow_up"])
kept.summary

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
