"""Walk–run sessions where walking and jogging overlap, with their truth.

The cohort's runners walk at 98–126 spm and run from ~140; beginners also walk briskly at up
to 145 spm and jog slowly from 128 spm, and their speeds overlap too: people switch from
walking to running near 2.0 m/s (preferred transition speed 2.06 m/s; Hreljac 1993,
doi:10.1249/00005768-199310000-00012), and over ground they mix brisk walks and slow runs
anywhere from 1.9 to 3.0 m/s (Baker, Long & Srinivasan 2025, arXiv:2501.00720). So a brisk
walk at 1.9–2.1 m/s and a slow jog at 1.9–2.2 m/s are both normal. What cannot overlap is
the stance: walking keeps a foot on the ground (duty factor above 0.5), running has a flight
phase (duty factor below 0.5; Alexander 1989, doi:10.1152/physrev.1989.69.4.1199).

:func:`walk_run_session` renders such a session as canonical records (1 Hz or smart
recording), with or without speed and running dynamics, and the true gait of every record,
so a walk/run segmentation can be scored on files.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from runlab import schema

__all__ = ["walk_run_session", "WALK_STANCE_SHARE", "JOG_STANCE_MS"]

_T0 = dt.datetime(2026, 5, 4, 7, 0, tzinfo=dt.UTC)

#: Walking stance as a share of the stride at speed v [m/s]: 0.642 − 0.035 v (about 0.57 at
#: 2 m/s; Kirtley, Whittle & Jefferson 1985, J Biomed Eng 7:282–288).
WALK_STANCE_SHARE = (0.642, -0.035)
#: Slow-jog stance [ms] at 2.5 m/s and its change per m/s (about 320 ms at 2 m/s).
JOG_STANCE_MS = (300.0, -40.0)
#: Vertical oscillation [mm] mean and SD: walking (pelvis rise and fall) and slow jogging.
_VO_MM = {"walk": (45.0, 5.0), "run": (72.0, 6.0)}


def walk_run_session(*, run_s: float = 120.0, walk_s: float = 60.0, repeats: int = 6,
                     walk_cadence_spm: float = 138.0, jog_cadence_spm: float = 142.0,
                     walk_speed_mps: float = 1.8, jog_speed_mps: float = 2.2,
                     cadence_sd_spm: float = 3.0, speed_sd: float = 0.03,
                     warmup_s: float = 120.0, cooldown_s: float = 120.0, speed: bool = True,
                     dynamics: bool = False, walk_dynamics: bool = False,
                     smart_recording: bool = False, switch_delay_s: float = 4.0,
                     free_bouts_s: tuple[float, float] | None = None, seed: int = 0
                     ) -> tuple[pl.DataFrame, np.ndarray]:
    """Records of a walk–run session and the true ``"run"``/``"walk"`` of each record.

    Warm-up walk, ``repeats`` × (``run_s`` jogging, ``walk_s`` walking; the last walk is the
    cool-down), each second's cadence the bout's cadence plus a slow drift (±1 spm) and
    per-second noise of SD ``cadence_sd_spm``; speed the bout's speed with a slow drift
    (±2 %) and per-second noise of relative SD ``speed_sd``. Walking and jogging speeds and
    cadences may be equal or overlap: the segmentation then has only what differs.

    ``dynamics`` adds stance time and vertical oscillation while jogging (stance from
    :data:`JOG_STANCE_MS`, SD 6 ms; oscillation 72 ± 6 mm) and step length;
    ``walk_dynamics`` also writes them while walking, as foot pods and chest straps do
    (stance :data:`WALK_STANCE_SHARE` of the stride, SD 15 ms; oscillation 45 ± 5 mm) —
    without it a strap that writes nothing while walking gives the gait away.
    ``speed=False`` leaves speed and distance out (cadence only); ``smart_recording`` keeps
    records 1–7 s apart (irregular), as watches in smart mode do. ``repeats=0`` gives a
    continuous jog of ``run_s`` between the walks.

    The watch beeps every ``run_s`` and ``walk_s`` seconds; the runner changes gait a moment
    later: each switch comes a gamma-distributed delay (shape 2, mean ``switch_delay_s``;
    0 = on the beep) after its beep, so intervals are not exactly periodic (a few seconds to
    react and finish the stride; the delay's size is our modelling choice). With
    ``free_bouts_s=(lo, hi)`` there is no programme: every jog and walk between warm-up and
    cool-down lasts a uniform lo–hi seconds of its own (walk breaks taken at will).
    """
    rng = np.random.default_rng(seed)
    timing = np.random.default_rng([seed, 21])  # its own stream: noise stays seed-for-seed
    parts = [("walk", warmup_s)]
    for i in range(max(repeats, 1)):
        parts.append(("run", run_s if free_bouts_s is None else timing.uniform(*free_bouts_s)))
        if i < max(repeats, 1) - 1:
            parts.append(("walk", walk_s if free_bouts_s is None
                          else timing.uniform(*free_bouts_s)))
    parts.append(("walk", cooldown_s))
    parts = [(g, s) for g, s in parts if s > 0]
    ends = np.cumsum([s for _, s in parts])
    if switch_delay_s > 0 and len(parts) > 1:
        ends[:-1] += timing.gamma(2.0, switch_delay_s / 2.0, len(parts) - 1)
        ends[:-1] = np.minimum(ends[:-1], ends[-1] - 1.0)
    edges = np.round(np.r_[0.0, ends]).astype(int)
    truth = np.concatenate([np.full(max(b - a, 0), g, dtype=object)
                            for (g, _), a, b in zip(parts, edges[:-1], edges[1:], strict=True)])
    n = truth.size
    running = truth == "run"
    drift = np.convolve(rng.normal(0, 1, n + 59), np.ones(60) / np.sqrt(60), "valid")
    cadence = (np.where(running, jog_cadence_spm, walk_cadence_spm) + drift
               + rng.normal(0, cadence_sd_spm, n))
    v = np.where(running, jog_speed_mps, walk_speed_mps) * (1 + rng.normal(0, speed_sd, n))
    v *= 1 + 0.02 * np.convolve(rng.normal(0, 1, n + 59), np.ones(60) / np.sqrt(60), "valid")
    cols: dict[str, np.ndarray] = {"cadence_spm": cadence}
    if speed:
        cols["speed_mps"] = v
        cols["distance_m"] = np.r_[0.0, np.cumsum(v[1:])]
    if dynamics:
        jog_stance = JOG_STANCE_MS[0] + JOG_STANCE_MS[1] * (v - 2.5) + rng.normal(0, 6, n)
        jog_vo = _VO_MM["run"][0] + rng.normal(0, _VO_MM["run"][1], n)
        if walk_dynamics:
            stride_ms = 120_000.0 / cadence
            walk_stance = ((WALK_STANCE_SHARE[0] + WALK_STANCE_SHARE[1] * v) * stride_ms
                           + rng.normal(0, 15, n))
            walk_vo = _VO_MM["walk"][0] + rng.normal(0, _VO_MM["walk"][1], n)
        else:
            walk_stance = walk_vo = np.full(n, np.nan)
        cols["stance_time_ms"] = np.where(running, jog_stance, walk_stance)
        cols["vertical_oscillation_mm"] = np.where(running, jog_vo, walk_vo)
        cols["step_length_m"] = v / (cadence / 60.0)
    keep = np.ones(n, dtype=bool)
    if smart_recording:
        at = np.cumsum(rng.integers(1, 8, n))
        keep = np.zeros(n, dtype=bool)
        keep[at[at < n]] = True
        keep[[0, -1]] = True
    t = np.flatnonzero(keep)
    frame = pl.DataFrame({
        "timestamp": pl.Series([_T0 + dt.timedelta(seconds=int(s)) for s in t])
        .cast(schema.TIMESTAMP),
        "elapsed_s": t.astype(np.float64),
        **{k: pl.Series(k, val[keep], nan_to_null=True) for k, val in cols.items()},
    })
    return schema.conform(frame, "records"), truth[keep]
