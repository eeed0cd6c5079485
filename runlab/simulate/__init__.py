"""Synthetic runners with known truth, written as real FIT/TCX/GPX files plus a journal.

:func:`cohort` draws a cohort of beginner runners, gives each the clinic plan
(:func:`runlab.plan.clinic`), decides what happened at every planned session (done, missed,
dropped out; weather, pace, cadence, device quirks) and keeps all of it as truth.
:meth:`Cohort.write` renders every completed run second by second and writes it as the file
a watch or an app would have produced, so the whole pipeline — read, clean, summarize,
ingest, model — can be checked against what is really there.

The generative model:

- Cadence rises linearly with speed, per runner: ``c_i(v) = c_ref,i + s_i·(v − 2.5)`` with
  the cadence at 2.5 m/s around 157 spm (novices sit at 154–160 at easy pace), between-runner
  SD 8 spm at a given speed and slopes around 8 spm per m/s (6.0 overground, van Oeveren et
  al., 2019; 10.8 on a treadmill, Fukuchi et al., 2017). Run-to-run noise 3 spm; per-sample
  sensor noise ±2 spm (wrist/foot pod agree within ~1 %). Height is a small adjustment
  (−1.5 spm per 10 cm; Cavanagh & Kram, 1989).
- Retrained groups (``"cadence+7.5%"``) follow the plan's metronome ramp to an achieved
  boost near target (×0.95 ± 0.10; +7–9 % for +7.5–10 % targets, Heiderscheit et al., 2011;
  Willy et al., 2016) at the same pace, and retain most of it (85 ± 8 %) once retraining
  stops (follow-up weeks after ``clinic_weeks``; Willy et al. report +8.6 % a month later).
- Sessions follow the plan: walk–run 1:1 → 2:1 → 3:1 → continuous, 30-s strides on
  technique days, 30-s hill reps, easy days between, a baseline mile in the first and last
  week; weather (temperature, humidity) slows pace and lowers comfort through the heat
  index; cadence falls late in long continuous runs (fatigue); runners miss sessions and
  some drop out.
- Devices: wrist watches (some with running-dynamics straps or a power pod), a few export
  TCX or GPX, some use smart recording; quirks at realistic rates (:data:`RATES`): treadmill
  runs without GPS (speed from a foot pod, off by its calibration, SD 4 % a run: the truth
  holds the pod's speed, all a file can carry), treadmill files with doubled cadence, timer
  pauses, GPS spikes.
- Walk breaks at 98–126 spm, or for brisk walkers (``RATES["brisk_walker"]``, default 0)
  126–145 spm where slow jogs sit, though never within 6 spm of the runner's own jog.

``model="mixed"`` instead draws run summaries from exactly
``cadence_spm ~ speed_c + week * group + (1 + week | runner)`` (speed centred per runner;
continuous runs only), with the true fixed effects and variance components in
:attr:`Cohort.truth_effects`, so a fitted model can be checked against known parameters.

Example
-------
>>> from runlab import simulate
>>> c = simulate.cohort(4, 2, seed=1)
>>> c.runs.select("runner_id", "week", "session_type", "cadence_spm").height > 0
True
"""

from __future__ import annotations

from runlab.simulate.params import DEFAULT_TZ, GROUP_PATTERN, HEIGHT_SPM_PER_M, RATES
from runlab.simulate.phone import (
    FOOTFALL_LEVELS,
    footfall_audio,
    footfall_clip,
    phone_log,
    phone_moved,
    phone_turn,
    phone_walk,
)
from runlab.simulate.pose import running_pose
from runlab.simulate.records import run_records
from runlab.simulate.sound import phone_soundtrack
from runlab.simulate.study import Cohort, cohort
from runlab.simulate.walkrun import walk_run_session

__all__ = ["Cohort", "cohort", "RATES", "GROUP_PATTERN", "run_records", "phone_walk",
           "phone_moved", "phone_turn", "phone_log", "footfall_audio", "footfall_clip", "FOOTFALL_LEVELS", "DEFAULT_TZ",
           "HEIGHT_SPM_PER_M", "walk_run_session", "running_pose", "phone_soundtrack"]
