"""The training journal and the video rubric as data.

The clinic (``docs/clinic.md``) asks runners to journal every session — perceived tempo, foot strike,
comfort, and later how cadence feels on different surfaces and temperatures — and coaches to
score short clips on a three-part rubric (cadence consistency, landing quietness, upright
posture). This module is the one place where the journal's fields, scales and units are
defined (:data:`FIELDS`), and where journals are read, validated, written, appended to,
linked to runs and summarised as *perceived ease in heat and humidity*.

Fields (one row per session, and per scored video)
--------------------------------------------------
=============================  ========  =====================================================
field                          type      allowed values [unit]
=============================  ========  =====================================================
date                           Date      ISO date ``YYYY-MM-DD`` (required; the runner's
                                         local date of the session)
runner_id                      String    non-empty (required)
run_id                         String    the run's id in the runs table (optional)
time                           Time      ``HH:MM`` or ``HH:MM:SS``, local start time
                                         (optional column, used to link runs on busy days)
perceived_tempo                Int64     1–5: 1 very slow, 2 slow, 3 moderate, 4 fast,
                                         5 very fast (how the rhythm felt, not the pace)
foot_strike                    String    heel, midfoot, forefoot, unsure (self-observed)
comfort                        Int64     1–5: 1 very uncomfortable, 2 uncomfortable,
                                         3 neutral, 4 comfortable, 5 very comfortable
rpe                            Int64     0–10, Borg CR10 rating of perceived exertion
                                         (0 nothing at all, 3 moderate, 5 hard, 10 maximal)
surface                        String    road, track, trail, grass, treadmill, sand, other
temperature_c                  Float64   −30 … 50 [°C], air temperature during the session
humidity_pct                   Float64   0 … 100 [%], relative humidity
rubric_cadence_consistency     Int64     1–5 (video rubric; 1 erratic … 5 steady rhythm)
rubric_landing_quietness       Int64     1–5 (1 loud, heavy heel contact … 5 "quiet feet",
                                         "soft knees")
rubric_upright_posture         Int64     1–5 (1 collapsed/over-leaning … 5 tall torso,
                                         "gentle arm swing")
notes                          String    free text (private: dropped by :func:`for_export`)
video                          String    file reference of the scored clip (private)
form_steps                     Int64     optional: the scored clip's measured form
form_cadence_spm               Float64   (:func:`form_entry` of a :func:`runlab.gait.form`
form_cadence_cv_pct            Float64   summary): steps; cadence [steps/min] and its step-
form_overstride_leg            Float64   time variation [%]; ankle ahead of hip [leg
form_foot_strike               String    lengths]; heel, midfoot or forefoot; strike angle
form_foot_strike_angle_deg     Float64   [deg]; trunk lean [deg]; knee flexion at contact
form_trunk_lean_deg            Float64   [deg]; hip vertical oscillation [leg lengths].
form_knee_flexion_deg          Float64   Measures only (exported); landmarks and frames are
form_vertical_oscillation_leg  Float64   never journaled
=============================  ========  =====================================================

Text fields are stripped; ``foot_strike`` and ``surface`` are case-insensitive and stored in
lower case. Empty cells are missing values. Column headers are matched after lower-casing
and turning spaces and hyphens into underscores (``"Runner ID"`` → ``runner_id``); columns
the journal does not define are kept (as text) after the canonical ones.


The package, by concern: :mod:`~runlab.journal.fields` (the fields),
:mod:`~runlab.journal.validation`, :mod:`~runlab.journal.reading`,
:mod:`~runlab.journal.writing` (atomic, locked), :mod:`~runlab.journal.linking` (journal ↔
runs), :mod:`~runlab.journal.ease` (heat and perceived ease) and
:mod:`~runlab.journal.export`.
"""

from __future__ import annotations

from runlab.journal.ease import HEAT_BANDS, heat_index_c, perceived_ease, weekly_ease
from runlab.journal.export import for_export
from runlab.journal.fields import FIELDS, FOOT_STRIKES, FORM, PRIVATE, SCHEMA, SURFACES
from runlab.journal.linking import attach, form_entry
from runlab.journal.reading import read_journal
from runlab.journal.validation import problems_frame, validate
from runlab.journal.writing import append, update, write

__all__ = [
    "SCHEMA", "FIELDS", "FOOT_STRIKES", "SURFACES", "PRIVATE", "FORM", "HEAT_BANDS",
    "read_journal", "validate", "write", "append", "update", "attach", "form_entry",
    "heat_index_c", "perceived_ease", "weekly_ease", "for_export", "problems_frame",
]
