"""Parameters of the simulated population: cadence lines, boosts, noise, quirk rates."""

from __future__ import annotations

import re

from runlab.science import BETWEEN_RUNNER_SD_SPM as BETWEEN_RUNNER_SD_SPM  # (re-exported)
from runlab.science import WITHIN_RUNNER_SD_SPM

DEFAULT_TZ = "Europe/Amsterdam"  # the simulated runners' time zone
V_REF_MPS = 2.5  # reference speed of the per-runner cadence line [m/s]
CADENCE_AT_REF_SPM = 157.0  # novices at easy pace: 154–160 spm
RUN_NOISE_SD_SPM = WITHIN_RUNNER_SD_SPM  # within-runner, run-to-run noise at the same speed
SAMPLE_NOISE_SD_SPM = 2.0  # per-second sensor noise (wrist/pod within ±3 spm)
SLOPE_MEAN_SPM_PER_MPS = 8.0  # between 6.01 overground and 10.8 on a treadmill (runlab.science)
SLOPE_SD_SPM_PER_MPS = 1.5
HEIGHT_SPM_PER_M = -15.0  # taller runners step slightly slower (Cavanagh & Kram, 1989)
HEIGHT_MEAN_M, HEIGHT_SD_M = 1.72, 0.09
ACHIEVED_RATIO = (0.95, 0.10)  # achieved / target boost (mean, SD)
#: Fraction of the boost kept once retraining stops (mean, SD between runners), reached
#: with a time constant of RETENTION_DECAY_WEEKS: most of the gain is kept a month on
#: (Willy et al., 2016, doi:10.1111/sms.12413: step rate +8.6 %, kept at 30 days).
RETENTION = (0.85, 0.08)
RETENTION_DECAY_WEEKS = 2.0
BASELINE_WEEKS = 1  # metronome-free weeks before the clinic (week 0 and earlier)
BASELINE_DAYS = (0, 2, 5)  # sessions of a baseline week: the mile first, then easy run/walks
#: Runner-level SDs of comfort and RPE on their latent scales (runners differ in how they
#: rate the same session; without it, clustering by runner is never exercised).
COMFORT_RUNNER_SD, RPE_RUNNER_SD = 0.6, 0.8
#: Walking cadence between runners (mean, SD, lowest, highest) [steps/min].
WALK_CADENCE_SPM = (112.0, 5.0, 98.0, 126.0)
#: Brisk walkers (a share ``RATES["brisk_walker"]`` of runners) walk their breaks at
#: 126–145 steps/min and 1.5–1.95 m/s, where a slow jog also sits: adults' normal walking
#: cadence reaches 138 steps/min (Tudor-Locke & Rowe, 2012,
#: DOI 10.2165/11599170-000000000-00000), vigorous walking starts near 130
#: (Tudor-Locke et al., 2019, DOI 10.1186/s12966-019-0769-6).
BRISK_WALK_CADENCE_SPM = (133.0, 5.0, 126.0, 145.0)
BRISK_WALK_SPEED_MPS = (1.72, 0.1, 1.5, 1.95)
#: ... but never quicker than their own jog: a brisk walker's walk cadence stays this far
#: below their habitual (easy-pace) jog cadence [steps/min]. People walk at step rates
#: nearer their walking than their running preference and switch to running in between
#: (transition at 70.6 ± 3.2 strides/min; Hansen et al., 2017,
#: DOI 10.1038/s41598-017-01972-1), so within a person the jog steps quicker than the walk.
BRISK_WALK_BELOW_JOG_SPM = 6.0
DRIFT_SD_SPM_PER_WEEK = 0.1  # small individual drift of cadence over weeks (clinic model)
FATIGUE_MIN_RUN_S = 1200.0  # continuous runs at least this long show fatigue drift
FATIGUE_DROP_SPM = (3.0, 1.2)  # cadence drop reached at the end of a long run (mean, SD)
FOLLOW_UP_DAYS = (0, 2, 5)  # easy runs a week after the clinic

#: Realistic rates of what goes wrong or differs (per session, run, runner or file).
RATES: dict[str, float] = {
    "missed_session": 0.10,  # per planned session (runner rates vary around this)
    "dropout_per_week": 0.012,  # hazard per week: ~13 % drop out over 12 weeks
    "treadmill": 0.07,  # per run (more in bad weather); no GPS, sub_sport treadmill
    "doubling_device": 0.3,  # runners whose watch doubles cadence on the treadmill
    "doubled_cadence_outdoor": 0.004,  # per outdoor file (foot-pod misconfiguration)
    "pause": 0.25,  # runs with timer pauses (one, sometimes two)
    "gps_spike": 0.05,  # outdoor runs with 1–3 GPS position spikes
    "smart_recording": 0.10,  # runners whose device records irregularly (1–6 s)
    "tcx_runner": 0.08,  # runners whose app exports TCX
    "gpx_runner": 0.07,  # runners whose app exports GPX
    "other_format_run": 0.04,  # FIT runners' runs exported in TCX/GPX once in a while
    "no_journal": 0.10,  # completed runs without a journal entry
    # runners who walk their breaks briskly (BRISK_WALK_CADENCE_SPM); off unless asked, so
    # the committed sample and the demo cohort stay as they were
    "brisk_walker": 0.0,
}

#: A group name: ``"control"`` or ``"cadence+<percent>%"`` (target boost above habitual).
GROUP_PATTERN = re.compile(r"^(control|cadence\+(\d+(?:\.\d+)?)%)$")

_KIND_WALK, _KIND_RUN, _KIND_STRIDE, _KIND_HILL_UP, _KIND_HILL_DOWN = range(5)
_RUNNING_KINDS = (_KIND_RUN, _KIND_STRIDE, _KIND_HILL_UP)
_HILL_GRADE = 0.06
_EASY_TYPES = ("easy", "reflective_cooldown")
