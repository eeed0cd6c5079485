"""Progressive technique plans: the clinic, a rotating maintenance plan, and adaptation.

A plan is a polars frame, one row per session (see :data:`PLAN`). :func:`clinic` turns the
clinic's practices (``docs/clinic.md``) into dated sessions: most days easy run/walks with
drills, one or two technique days (30-s strides, hill reps, barefoot/minimalist awareness
on soft ground, incline walks, video review), mobility for ankles/hips/lower back, core
stability, a weekly reflective cooldown, walk–run ratios 1:1 → 2:1 → 3:1 → continuous,
a cadence target a modest step above habitual and baseline mile tests.
:func:`maintenance` rotates foot-strike, cadence and stride phases, and :func:`adapt` holds,
steps back or steps forward a plan from what the runs and the journal show.

Cadence numbers follow :mod:`runlab.science`: prescriptions of +5 % to +10 % above habitual cadence
(Heiderscheit et al., 2011, doi:10.1249/MSS.0b013e3181ebedf4); within-runner run-to-run noise ≈ 3 spm, hence the zone width.

Example
-------
>>> import datetime, runlab
>>> p = runlab.plan.clinic(datetime.date(2026, 3, 2), 8, habitual_cadence_spm=158, boost=0.06)
>>> runlab.plan.to_ics(p)[:15]
'BEGIN:VCALENDAR'
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Sequence

import polars as pl

from runlab.io.ics import to_ics
from runlab.science import WITHIN_RUNNER_SD_SPM
from runlab.sessions import (
    COOLDOWN_S,
    HILL_RECOVERY_S,
    HILL_REP_S,
    MILE_M,
    STRIDE_RECOVERY_S,
    STRIDE_S,
    WALK_UNIT_S,
    WARMUP_S,
)

__all__ = ["PLAN", "SESSION_TYPES", "PATTERNS", "PHASES", "clinic", "maintenance", "adapt", "export",
           "decisions", "to_ics", "validate_plan"]

#: Habitual running cadences a plan accepts [steps/min].
HABITUAL_CADENCE_SPM = (120.0, 220.0)

#: One row per planned session. Durations in seconds; cadence in steps/min (both feet).
PLAN: dict[str, pl.DataType] = {
    "date": pl.Date,
    "week": pl.Int64,
    "session": pl.Int64,  # 1.. within the week
    "runner_id": pl.String,
    "program": pl.String,  # "clinic" | "maintenance"
    "phase": pl.String,
    "session_type": pl.String,
    "description": pl.String,
    "run_walk_pattern": pl.String,  # "1:1" | "2:1" | "3:1" | "continuous" | "test" | "drills"
    "run_s": pl.Float64,
    "walk_s": pl.Float64,
    "repeats": pl.Int64,
    "warmup_s": pl.Float64,
    "strides": pl.Int64,
    "stride_s": pl.Float64,
    "hill_reps": pl.Int64,
    "hill_rep_s": pl.Float64,
    "cooldown_s": pl.Float64,
    "duration_s": pl.Float64,
    "test_distance_m": pl.Float64,
    "cadence_target_spm": pl.Float64,
    "cadence_low_spm": pl.Float64,
    "cadence_high_spm": pl.Float64,
    "drills": pl.String,
    "mobility": pl.String,
    "cues": pl.String,
    "video_review": pl.Boolean,
    "reason": pl.String,
}

SESSION_TYPES = ("baseline_test", "easy", "technique", "hills", "reflective_cooldown")
#: run:walk patterns in the order the clinic progresses through them (``docs/clinic.md``).
PATTERNS = ("1:1", "2:1", "3:1", "continuous")
#: maintenance phases, each with its explicit goal (``docs/clinic.md``, "long-term maintenance").
PHASES = {
    "foot_strike": "land midfoot under the body with quiet feet; fewer heel-first landings",
    "cadence": "easy-run cadence inside the target zone with the metronome off",
    "stride": "short, light steps under the body; no overstriding on flats, hills and descents",
}

ZONE_HALF_WIDTH_SPM = WITHIN_RUNNER_SD_SPM  # within-runner run-to-run noise ≈ 3 spm
BOOST_RANGE = (0.0, 0.15)

#: weekday offsets (from the week's first day) of the sessions, by sessions per week
_SLOTS = {3: (0, 2, 5), 4: (0, 2, 4, 6), 5: (0, 1, 3, 4, 6), 6: (0, 1, 2, 4, 5, 6)}
#: which session slots are technique days, by (sessions per week, technique days)
_TECH_SLOTS = {(3, 1): (1,), (4, 1): (1,), (5, 1): (2,), (6, 1): (2,),
               (5, 2): (1, 3), (6, 2): (1, 4)}

_EASY_DRILLS = (
    "3 x 20 s short, rapid steps on a flat stretch (quick, spring-like push-off)",
    "cadence self-check: count steps for 15 s (x4 = spm) against the metronome",
    "posture check every 5 min: eyes forward, chest open, shoulders relaxed",
    "fatigue reset: when form fades, pause, relax jaw, face and neck, then restart",
)
_MOBILITY = (
    "ankles: 2 x 10 ankle circles and calf raises each side",
    "hips: 2 x 8 leg swings front/back and side, hip flexor stretch 30 s",
    "lower back: 2 x 8 cat-cow and pelvic tilts, knee hugs 30 s",
)
_CORE = "core stability: 3 x 30 s front plank, 3 x 20 s side plank, 2 x 10 dead bugs"
_CUES = ("quiet feet; land under the body", "soft knees; tall torso",
         "gentle arm swing; relaxed hands", "light, quick steps; steady gaze")


def _error(name: str, value, allowed: str) -> ValueError:
    return ValueError(f"invalid {name} {value!r}; allowed: {allowed}")


def _as_date(value, name: str = "start_date") -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise _error(name, value, "a datetime.date or an ISO date string 'YYYY-MM-DD'")


def _check_int(name: str, value, allowed: Sequence[int]) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
        raise _error(name, value, f"integers {min(allowed)}..{max(allowed)}"
                     if len(allowed) > 3 else " or ".join(map(str, allowed)))
    return value


def _check_cadence(value) -> float:
    lo, hi = HABITUAL_CADENCE_SPM
    if not isinstance(value, int | float) or not lo <= value <= hi:
        raise _error("habitual_cadence", value, f"a running cadence {lo:g}..{hi:g} steps/min")
    return float(value)


def _check_boost(value) -> float:
    lo, hi = BOOST_RANGE
    if not isinstance(value, int | float) or not lo <= value <= hi:
        raise _error("boost", value, f"a fraction {lo}..{hi} (0.05 = +5 % above habitual)")
    return float(value)


def zone(target_spm: float, half_width_spm: float = ZONE_HALF_WIDTH_SPM) -> tuple[float, float]:
    """Cadence zone ``(low, high)`` [steps/min] around a target, ±3 spm by default."""
    return target_spm - half_width_spm, target_spm + half_width_spm


def pattern_for_week(week: int, weeks: int) -> str:
    """Run:walk pattern of a clinic week: the weeks split into four equal blocks,
    1:1 → 2:1 → 3:1 → continuous (beginners' walk–run programmes, ``docs/clinic.md``)."""
    return PATTERNS[min(len(PATTERNS) - 1, (week - 1) * len(PATTERNS) // weeks)]


def boost_for_week(week: int, weeks: int, boost: float) -> float:
    """Cadence boost [fraction] of a clinic week: ramps linearly to ``boost`` by mid-plan,
    so the metronome starts only a little above habitual (the clinic: a *modest* boost)."""
    ramp_weeks = max(1, weeks // 2)
    return boost * min(1.0, week / ramp_weeks)


def _run_walk(pattern: str, main_s: float) -> tuple[float, float, int]:
    """(run_s, walk_s, repeats) filling about ``main_s`` seconds with whole repeats."""
    if pattern == "continuous":
        return main_s, 0.0, 1
    run_s = float(pattern.split(":")[0]) * WALK_UNIT_S
    repeats = max(1, round(main_s / (run_s + WALK_UNIT_S)))
    return run_s, WALK_UNIT_S, repeats


def _session(kind: str, *, pattern: str, main_s: float, target: float | None, week: int,
             slot: int, level: int, phase: str | None = None) -> dict:
    """One plan row (without date, week, runner) for a session ``kind``."""
    run_s, walk_s, repeats = _run_walk(pattern, main_s)
    row = {"session_type": kind, "run_walk_pattern": pattern, "run_s": run_s, "walk_s": walk_s,
           "repeats": repeats, "warmup_s": WARMUP_S, "strides": 0, "stride_s": STRIDE_S,
           "hill_reps": 0, "hill_rep_s": HILL_REP_S, "cooldown_s": COOLDOWN_S,
           "test_distance_m": None, "cadence_target_spm": target, "video_review": False,
           "cues": _CUES[(week + slot) % len(_CUES)], "phase": phase,
           "mobility": _MOBILITY[(week + slot) % len(_MOBILITY)]}
    zone_txt = (f" at {target:.0f} steps/min (zone {zone(target)[0]:.0f}–{zone(target)[1]:.0f},"
                " metronome on)") if target else ""
    pattern_txt = ("continuous easy run" if pattern == "continuous"
                   else f"{repeats} x (run {run_s / 60:.0f} min, walk {walk_s / 60:.0f} min), "
                        f"run:walk {pattern}")
    if kind == "baseline_test":
        row |= {"run_walk_pattern": "test", "run_s": None, "walk_s": None, "repeats": 0,
                "test_distance_m": MILE_M, "cadence_target_spm": None, "cues": "run by feel",
                "drills": "none: run a comfortable mile, metronome off; record cadence and RPE",
                "description": "Baseline test: a comfortable mile with cadence data; note "
                               "RPE (0-10) and comfort in the journal. No metronome."}
    elif kind == "technique":
        strides = 4 + min(4, level // 2)
        barefoot = week <= 2 or week % 4 == 0
        drills = [
            "barefoot/minimalist awareness on soft ground (grass), 3 x 1 min, then the same "
            "in light shoes to compare impact" if barefoot else
            "slow-motion gait check at a wall or mirror: midfoot contact under the body",
            "incline walk 3 x 1 min: push from hips and glutes",
            "3 x 20 s short, rapid steps on a flat surface",
        ]
        row |= {"strides": strides, "drills": "; ".join(drills),
                "description": f"Technique day: drills, then {strides} x 30-s strides on a "
                               f"measured path (walk 90 s between), then {pattern_txt}"
                               f"{zone_txt}. Cues: {row['cues']}."}
        row["mobility"] += "; " + _CORE
    elif kind == "hills":
        reps = 4 + min(4, level // 2)
        row |= {"hill_reps": reps, "drills": "incline walk 2 x 1 min before the reps; "
                                             "3 x 20 s short, rapid steps",
                "description": f"Hill reps: {reps} x 30 s up a gentle hill (stay tall, lean "
                               "slightly from the ankles, quick light steps), walk down with a "
                               "compact arm swing and soft knees; recover fully. Then "
                               f"{pattern_txt}{zone_txt}."}
    elif kind == "reflective_cooldown":
        row |= {"drills": "focused breathing 2 min; recap of the week's cues aloud",
                "mobility": "ankles, calves and hips: 5-min mobility sequence",
                "description": f"Reflective cooldown: light, comfortable {pattern_txt}"
                               f"{zone_txt}; then focused breathing, recap the cues, a short "
                               "mobility sequence, and journal how cadence felt on different "
                               "surfaces and temperatures."}
    else:  # easy
        drill = _EASY_DRILLS[(week + slot) % len(_EASY_DRILLS)]
        core = slot % 2 == 0
        row |= {"drills": drill,
                "description": f"Easy day: {pattern_txt}{zone_txt}, relaxed; drill: {drill}."}
        if core:
            row["mobility"] += "; " + _CORE
    if phase:
        row["description"] += f" Phase goal ({phase.replace('_', ' ')}): {PHASES[phase]}."
    if target is not None:
        row["cadence_low_spm"], row["cadence_high_spm"] = zone(target)
    return row


def _with_durations(frame: pl.DataFrame) -> pl.DataFrame:
    """Total planned duration [s] of each session, from its parts."""
    c = pl.col
    main = (c("run_s").fill_null(0) + c("walk_s").fill_null(0)) * c("repeats")
    test = c("test_distance_m").fill_null(0) / 2.5  # a comfortable mile at ~2.5 m/s
    extra = (c("strides") * (c("stride_s") + STRIDE_RECOVERY_S)
             + c("hill_reps") * (c("hill_rep_s") + HILL_RECOVERY_S))
    return frame.with_columns(
        duration_s=(c("warmup_s") + main + test + extra + c("cooldown_s")).cast(pl.Float64))


def _frame(rows: list[dict]) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema_overrides=PLAN, infer_schema_length=None)
    for name, dtype in PLAN.items():
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype).alias(name))
    return _with_durations(frame.select(list(PLAN)).cast(PLAN))


def _easy_main_s(week: int) -> float:
    """Main run/walk time [s] of an easy day: 20 min, +90 s a week, at most 30 min
    (the clinic: avoid pushing volume too soon)."""
    return min(1800.0, 1200.0 + 90.0 * (week - 1))


def clinic(start_date, weeks: int = 8, *, runner: str = "runner", days_per_week: int = 4,
           technique_days: int = 1, habitual_cadence_spm: float = 160.0,
           boost: float = 0.05, habitual_cadence: float | None = None) -> pl.DataFrame:
    """The clinic as a dated plan (one row per session, columns :data:`PLAN`).

    Parameters
    ----------
    start_date : datetime.date or str
        First day of week 1.
    weeks : int
        Plan length [weeks], 1..52. The run:walk pattern moves 1:1 → 2:1 → 3:1 →
        continuous in four equal blocks.
    runner : str
        ``runner_id`` written on every row.
    days_per_week : int
        Sessions a week, 3..6 (5 or 6 with two technique days, so most days stay easy).
    technique_days : int
        1 or 2. With one, technique (strides) and hill days alternate weekly; with two,
        both each week. Early weeks use incline walks before hills.
    habitual_cadence_spm : float
        The runner's easy-run cadence now [steps/min]. (``habitual_cadence=`` still works
        for one release, with a ``DeprecationWarning``.)
    boost : float
        Target boost above habitual [fraction] 0..0.15, reached by mid-plan; +5 to +10 %
        is the usual prescription (Heiderscheit et al., 2011).

    Returns
    -------
    polars.DataFrame
        Week 1 opens and the last week (if > 1) opens with a baseline mile test; the last
        session of every week is the reflective cooldown.
    """
    start = _as_date(start_date)
    weeks = _check_int("weeks", weeks, range(1, 53))
    days_per_week = _check_int("days_per_week", days_per_week, range(3, 7))
    technique_days = _check_int("technique_days", technique_days, (1, 2))
    if (days_per_week, technique_days) not in _TECH_SLOTS:
        raise _error("technique_days", technique_days,
                     "1 with 3-6 days a week, 2 only with 5 or 6 (most days stay easy)")
    if habitual_cadence is not None:
        warnings.warn("plan.clinic(habitual_cadence=) is deprecated; use habitual_cadence_spm=",
                      DeprecationWarning, stacklevel=2)
        habitual_cadence_spm = habitual_cadence
    habitual = _check_cadence(habitual_cadence_spm)
    boost = _check_boost(boost)
    if not isinstance(runner, str) or not runner:
        raise _error("runner", runner, "a non-empty runner_id string")

    rows = []
    tech_slots = _TECH_SLOTS[(days_per_week, technique_days)]
    for week in range(1, weeks + 1):
        pattern = pattern_for_week(week, weeks)
        target = round(habitual * (1 + boost_for_week(week, weeks, boost)), 1)
        for slot, offset in enumerate(_SLOTS[days_per_week]):
            kind = "easy"
            if slot == days_per_week - 1:
                kind = "reflective_cooldown"
            elif slot == 0 and (week == 1 or (week == weeks and weeks > 1)):
                kind = "baseline_test"
            elif slot in tech_slots:
                nth = tech_slots.index(slot)
                hills_week = week > weeks // 4  # incline walks first, hills once 2:1 starts
                kind = ("hills" if hills_week and (nth == 1 or (technique_days == 1
                                                                and week % 2 == 0))
                        else "technique")
            main = {"technique": 600.0, "hills": 600.0, "reflective_cooldown": 900.0}.get(
                kind, _easy_main_s(week))
            row = _session(kind, pattern=pattern, main_s=main, target=target, week=week,
                           slot=slot, level=week)
            if kind == "technique" and slot == tech_slots[0]:
                row["video_review"] = week in {1, max(1, (weeks + 1) // 2), weeks}
                if row["video_review"]:
                    row["description"] += (" Video review: record a short clip after the "
                                           "warm-up; score cadence consistency, landing "
                                           "quietness and upright posture (1-5).")
            row |= {"date": start + dt.timedelta(days=7 * (week - 1) + offset), "week": week,
                    "session": slot + 1, "runner_id": runner, "program": "clinic"}
            rows.append(row)
    return _frame(rows)


def maintenance(start_date, weeks: int = 12, *, runner: str = "runner",
                phase_weeks: int = 3, days_per_week: int = 3, target_cadence: float = 168.0,
                phases: Sequence[str] = tuple(PHASES)) -> pl.DataFrame:
    """A rotating maintenance plan: foot-strike, cadence and stride phases in turn.

    Parameters
    ----------
    start_date : datetime.date or str
        First day.
    weeks : int
        Plan length [weeks], 1..104.
    phase_weeks : int
        Weeks per phase, 2..6 ("revisit ... every few weeks", ``docs/clinic.md``).
    days_per_week : int
        3..6 sessions a week.
    target_cadence : float
        The cadence the runner keeps [steps/min] (e.g. the clinic's final target).
    phases : sequence of str
        Rotation order, names from :data:`PHASES`.

    Returns
    -------
    polars.DataFrame
        Columns :data:`PLAN`; ``phase`` names the phase and each phase's first session is a
        baseline mile test (a comfortable mile with cadence and RPE).
    """
    start = _as_date(start_date)
    weeks = _check_int("weeks", weeks, range(1, 105))
    phase_weeks = _check_int("phase_weeks", phase_weeks, range(2, 7))
    days_per_week = _check_int("days_per_week", days_per_week, range(3, 7))
    target = _check_cadence(target_cadence)
    phases = tuple(phases)
    bad = [p for p in phases if p not in PHASES]
    if bad or not phases:
        raise _error("phases", bad or phases, ", ".join(PHASES))
    tech_slot = _TECH_SLOTS[(days_per_week, 1)][0]
    rows = []
    for week in range(1, weeks + 1):
        phase = phases[((week - 1) // phase_weeks) % len(phases)]
        phase_start = (week - 1) % phase_weeks == 0
        for slot, offset in enumerate(_SLOTS[days_per_week]):
            kind = "easy"
            if slot == days_per_week - 1:
                kind = "reflective_cooldown"
            elif slot == 0 and phase_start:
                kind = "baseline_test"
            elif slot == tech_slot:
                kind = "hills" if phase == "stride" and week % 2 == 0 else "technique"
            main = {"technique": 600.0, "hills": 600.0, "reflective_cooldown": 900.0}.get(
                kind, 1800.0)
            row = _session(kind, pattern="continuous", main_s=main, target=target, week=week,
                           slot=slot, level=8, phase=phase)
            row["video_review"] = kind == "technique" and phase == "foot_strike"
            row |= {"date": start + dt.timedelta(days=7 * (week - 1) + offset), "week": week,
                    "session": slot + 1, "runner_id": runner, "program": "maintenance"}
            rows.append(row)
    return _frame(rows)


def validate_plan(plan: pl.DataFrame) -> pl.DataFrame:
    """Check a plan frame has the :data:`PLAN` columns (SchemaError names the column)."""
    from runlab.errors import SchemaError

    for name in PLAN:
        if name not in plan.columns:
            raise SchemaError(f"plan frame lacks column {name!r}; has {plan.columns}")
    return plan


# --- adaptation -------------------------------------------------------------------------

LOW_COMFORT = 2  # journal comfort (1-5) at or below this is a signal
HIGH_RPE = 7  # journal RPE (0-10) at or above this is a signal
FATIGUE_DRIFT_SPM = -4.0  # cadence falling this much within a run: fatigue altering form
EASY_COMFORT = 4  # "met comfortably": comfort at least this ...
EASY_RPE = 4  # ... and RPE at most this
#: columns that carry a week's progression (copied when a plan is shifted)
_PROGRESSION = ("run_walk_pattern", "run_s", "walk_s", "repeats", "strides", "hill_reps",
                "cadence_target_spm", "cadence_low_spm", "cadence_high_spm", "description",
                "duration_s")


def _week_evidence(plan: pl.DataFrame, runs: pl.DataFrame | None,
                   journal: pl.DataFrame | None) -> pl.DataFrame:
    """Per plan week: mean comfort, RPE, cadence drift and easy-run cadence observed."""
    weeks = plan.group_by("week").agg(first=pl.col("date").min(), last=pl.col("date").max(),
                                      low=pl.col("cadence_low_spm").drop_nulls().min(),
                                      runner_id=pl.col("runner_id").first()).sort("week")
    weeks = weeks.with_columns(last=pl.col("first") + pl.duration(days=6))
    out = weeks

    def per_week(frame: pl.DataFrame, date_expr: pl.Expr, aggs: list[pl.Expr]) -> pl.DataFrame:
        runner = plan["runner_id"][0]
        if "runner_id" in frame.columns and runner is not None:
            frame = frame.filter(pl.col("runner_id") == runner)
        frame = frame.with_columns(_d=date_expr).sort("_d")
        joined = frame.join_asof(weeks.select("week", "first", "last").sort("first"),
                                 left_on="_d", right_on="first", strategy="backward")
        joined = joined.filter(pl.col("_d") <= pl.col("last"))
        return joined.group_by("week").agg(aggs)

    if journal is not None and journal.height:
        jr = per_week(journal, pl.col("date").cast(pl.Date),
                      [pl.col("comfort").cast(pl.Float64).mean().alias("comfort"),
                       pl.col("rpe").cast(pl.Float64).mean().alias("rpe")])
        out = out.join(jr, on="week", how="left")
    else:
        out = out.with_columns(comfort=pl.lit(None, pl.Float64), rpe=pl.lit(None, pl.Float64))
    if runs is not None and runs.height:
        easy = pl.col("easy") if "easy" in runs.columns else pl.lit(True)
        drift = (pl.col("cadence_drift_spm") if "cadence_drift_spm" in runs.columns
                 else pl.lit(None, pl.Float64))
        rn = per_week(runs.with_columns(_easy=easy.fill_null(True), _drift=drift),
                      pl.col("start_time").cast(pl.Date),
                      [pl.col("_drift").cast(pl.Float64).mean().alias("drift_spm"),
                       pl.col("cadence_spm").filter(pl.col("_easy")).mean()
                       .alias("easy_cadence_spm"), pl.len().alias("n_runs")])
        out = out.join(rn, on="week", how="left")
    else:
        out = out.with_columns(drift_spm=pl.lit(None, pl.Float64),
                               easy_cadence_spm=pl.lit(None, pl.Float64),
                               n_runs=pl.lit(None, pl.UInt32))
    return out


def decisions(plan: pl.DataFrame, runs: pl.DataFrame | None = None,
              journal: pl.DataFrame | None = None) -> pl.DataFrame:
    """What the evidence of each plan week says about the next one.

    A signal is low comfort (mean ≤ 2 of 5), high RPE (mean ≥ 7 of 10) or fatigue
    (mean ``cadence_drift_spm`` ≤ −4). Two or more signals → ``step_back``; one →
    ``hold``; none, easy-run cadence at or above the zone's low edge, comfort ≥ 4 and RPE
    ≤ 4 → ``step_forward``; otherwise ``on_track``. Weeks without evidence → ``no_data``.

    Returns
    -------
    polars.DataFrame
        week, comfort, rpe, drift_spm, easy_cadence_spm, decision, reason.
    """
    validate_plan(plan)
    ev = _week_evidence(plan, runs, journal)
    rows = []
    for r in ev.iter_rows(named=True):
        signals = []
        if r["comfort"] is not None and r["comfort"] <= LOW_COMFORT:
            signals.append(f"low comfort {r['comfort']:.1f} (≤ {LOW_COMFORT} of 5)")
        if r["rpe"] is not None and r["rpe"] >= HIGH_RPE:
            signals.append(f"high RPE {r['rpe']:.1f} (≥ {HIGH_RPE} of 10)")
        if r["drift_spm"] is not None and r["drift_spm"] <= FATIGUE_DRIFT_SPM:
            signals.append(f"fatigue: cadence drift {r['drift_spm']:+.1f} steps/min within "
                           f"runs (≤ {FATIGUE_DRIFT_SPM:+.0f})")
        met = (r["easy_cadence_spm"] is not None and r["low"] is not None
               and r["easy_cadence_spm"] >= r["low"])
        comfy = (r["comfort"] is not None and r["comfort"] >= EASY_COMFORT
                 and (r["rpe"] is None or r["rpe"] <= EASY_RPE))
        if all(r[k] is None for k in ("comfort", "rpe", "drift_spm", "easy_cadence_spm")):
            decision, reason = "no_data", None
        elif len(signals) >= 2:
            decision, reason = "step_back", "; ".join(signals)
        elif signals:
            decision, reason = "hold", signals[0]
        elif met and comfy:
            decision = "step_forward"
            reason = (f"target met comfortably: easy cadence {r['easy_cadence_spm']:.1f} ≥ "
                      f"zone low {r['low']:.0f} steps/min, comfort {r['comfort']:.1f}"
                      + (f", RPE {r['rpe']:.1f}" if r["rpe"] is not None else ""))
        else:
            decision, reason = "on_track", None
        rows.append({"week": r["week"], "comfort": r["comfort"], "rpe": r["rpe"],
                     "drift_spm": r["drift_spm"], "easy_cadence_spm": r["easy_cadence_spm"],
                     "decision": decision, "reason": reason})
    return pl.DataFrame(rows, schema={"week": pl.Int64, "comfort": pl.Float64,
                                      "rpe": pl.Float64, "drift_spm": pl.Float64,
                                      "easy_cadence_spm": pl.Float64, "decision": pl.String,
                                      "reason": pl.String})


def adapt(plan: pl.DataFrame, runs: pl.DataFrame | None = None,
          journal: pl.DataFrame | None = None) -> pl.DataFrame:
    """Hold, step back or step forward a plan from the runs and journal so far.

    Each week's :func:`decisions` shifts the progression of every later week: ``hold``
    repeats that week's progression next week, ``step_back`` goes one week further back,
    ``step_forward`` skips one week ahead. Shifted sessions take the progression columns
    (run:walk pattern, durations, strides, hill reps, cadence target and zone, description)
    of the same session type in the source week; dates, drills and mobility stay. Every
    changed row carries a ``reason`` naming the week and the evidence.

    Parameters
    ----------
    plan : polars.DataFrame
        From :func:`clinic` or :func:`maintenance`.
    runs : polars.DataFrame, optional
        RUNS frame (``start_time``, ``cadence_spm``, ``easy``, ``cadence_drift_spm``).
    journal : polars.DataFrame, optional
        JOURNAL frame (``date``, ``comfort`` 1-5, ``rpe`` 0-10).
    """
    dec = decisions(plan, runs, journal)
    last_week = int(plan["week"].max())
    offset, source, why = 0, {}, {}
    for r in dec.iter_rows(named=True):
        w = r["week"]
        step = {"hold": -1, "step_back": -2, "step_forward": 1}.get(r["decision"])
        if step is None:
            continue
        offset += step
        for k in range(w + 1, last_week + 1):
            source[k] = min(last_week, max(1, k + offset))
            label = r["decision"].replace("_", " ")
            why[k] = f"{label} after week {w}: {r['reason']}"
    out = plan.with_columns(pl.col("reason").cast(pl.String))
    if not source:
        return out
    by_type = {(row["week"], row["session_type"]): row
               for row in plan.iter_rows(named=True)}
    rows = []
    for row in out.iter_rows(named=True):
        src_week = source.get(row["week"], row["week"])
        src = by_type.get((src_week, row["session_type"]))
        if src_week != row["week"] and src is not None:
            row |= {k: src[k] for k in _PROGRESSION}
            row["reason"] = why[row["week"]] + f" (progression of week {src_week})"
        rows.append(row)
    return pl.DataFrame(rows, schema=out.schema)


def export(plan: pl.DataFrame, folder, *, metronome_s: float = 120.0,
           sample_rate: int = 22050, name: str = "plan") -> dict[str, list]:
    """Write a plan for the runner: CSV, ICS, one FIT workout per session and one
    metronome WAV per cadence target.

    Files: ``<name>.csv``, ``<name>.ics``, ``workouts/<date>_<session_type>.fit``,
    ``metronome/metronome_<spm>spm.wav`` (``metronome_s`` long; loop it on the run).

    Returns
    -------
    dict
        ``{"csv": [path], "ics": [path], "fit": [paths], "wav": [paths]}``.
    """
    from pathlib import Path

    from runlab import cues
    from runlab.io.ics import write_ics

    validate_plan(plan)
    folder = Path(folder)
    (folder / "workouts").mkdir(parents=True, exist_ok=True)
    (folder / "metronome").mkdir(parents=True, exist_ok=True)
    csv = folder / f"{name}.csv"
    plan.write_csv(csv)
    out = {"csv": [csv], "ics": [write_ics(plan, folder / f"{name}.ics")], "fit": [], "wav": []}
    for row in plan.iter_rows(named=True):
        stem = f"{row['date']:%Y-%m-%d}_{row['session']}_{row['session_type']}"
        out["fit"].append(cues.fit_workout(row, folder / "workouts" / f"{stem}.fit"))
    for spm in plan["cadence_target_spm"].drop_nulls().unique().sort():
        wav = folder / "metronome" / f"metronome_{spm:.1f}spm.wav"
        out["wav"].append(cues.metronome(spm, metronome_s, sample_rate=sample_rate).save(wav))
    return out
