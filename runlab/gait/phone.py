"""Steps from a phone's accelerometer (:func:`runlab.read_imu` frames)."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl

from runlab import schema
from runlab._series import centred_mean, epoch_us, run_lengths, timestamps
from runlab.errors import ReadError, SchemaError
from runlab.gait._turns import rotation_dps, steady, turn_steps, turns

__all__ = ["steps", "step_records", "STEP_BAND_HZ", "STEP_METHODS", "MIN_IMU_RATE_HZ",
           "HANDLING_TURN_DEG", "PAUSE_SHARE"]

# --- steps from a phone accelerometer ------------------------------------------------------

#: Step-frequency band [Hz] of the peak detector: 42–240 steps/min.
STEP_BAND_HZ = (0.7, 4.0)
#: ``method=`` values of :func:`steps`; the first is the default.
STEP_METHODS = ("autocorrelation", "peaks")
#: Slowest sampling a step detector can use [Hz] (a running step lasts ~0.3 s).
MIN_IMU_RATE_HZ = 20.0
_PERIOD_S = (0.27, 2.0)  # fundamental period searched: a step at 222 spm … a stride at 60 spm
#: A fundamental period shorter than the first is a step, longer than the second a stride;
#: between them (a slow walk's step or a run's stride) a running intensity decides.
_STEP_STRIDE_S = (0.55, 0.8)
#: SD of the phone's acceleration [m/s²] above which the phone is running, not walking.
_RUNNING_SD_MPS2 = 5.0
_GAIT_BAND_HZ = (0.5, 5.0)
#: A phone turned by more than this [°] within 4 s is being handled (taken out of a pocket,
#: moved to the hand or an armband): bouts are cut there. Walking in one position turns it
#: by under ~35° in most recordings (a bag or a neck pouch swinging more at times).
HANDLING_TURN_DEG = 45.0
_ONSET_BAND_HZ = (1.5, 15.0)
#: Band [Hz] whose envelope (RMS over ±20 ms) is a landing's click: above a loose phone's
#: own slow wobble (0.5–3 Hz), which can hide the step rhythm in the movement.
_CLICK_BAND_HZ = (4.0, 15.0)
#: Within a bout, movement (1-s RMS of the 0.5–5 Hz acceleration) under this share of the
#: bout's median for at least 1 s is a moment of standing still: no step is placed there;
#: so are the landings' impacts (1-s RMS of the 1.5–15 Hz magnitude) under this share of
#: theirs, away from the bout's ends (turning on the spot).
PAUSE_SHARE = 0.4


def steps(imu: pl.DataFrame, *, method: str = "autocorrelation", rate_hz: float = 50.0,
          window_s: float = 6.0, min_periodicity: float = 0.4,
          min_activity_mps2: float = 0.4, max_gap_s: float = 0.5) -> pl.DataFrame:
    """Step events from a phone's accelerometer (:func:`runlab.read_imu` frame), wherever
    the phone is carried.

    The carrying pattern is found, not assumed. The 3-axis acceleration (gravity and drift
    removed by a 0.5–5 Hz band-pass) is compared with itself a lag later: the dot product
    ``a(t)·a(t+τ)`` summed over a ``window_s`` window and divided by its value at lag 0 is an
    orientation-free autocorrelation (Rai et al. 2012, doi:10.1145/2348543.2348580). Its
    first strong peak (≥ 0.8 × the highest in 0.27–2 s) is the signal's fundamental
    period. A phone that moves with the trunk (held in front, neck pouch, chest, most bags)
    repeats every step; one that rides on a limb (thigh pocket, swinging arm) repeats every
    stride — one strong and one weak bump — so a fundamental longer than 0.66 s
    (< 91 spm as steps, 91–222 spm as strides) counts two steps (``placement`` ``"limb"``),
    a shorter one one step (``"trunk"``). Windows whose autocorrelation peak is under
    ``min_periodicity`` or whose acceleration SD is under ``min_activity_mps2`` are
    standing; consecutive walking windows form a ``bout``. A bout is also cut where the
    phone is handled — moved from a pocket to the hand, say, without stopping: gravity's
    direction (the acceleration averaged over 2 s) turns by over 45° within 4 s, at the
    sample it turns most (near the recording's ends too: a phone put in place as it
    starts) — so each position's bout has its own ``placement`` and
    ``confidence`` and its steps are tracked on their own (a step at the cut counts once).

    A loose phone (a coat pocket, a bag on the hip) wobbles on its own at 0.5–3 Hz, which
    can hide the movement's rhythm for a whole walk. When the median active window has
    no rhythm, a window's landings — the envelope of the magnitude's 4–15 Hz clicks —
    stand in with their own autocorrelation (a repeat per landing, or per stride where one
    leg lands softly). Checked on simulated loose pockets only (95 spm, wobble RMS 1.5–3
    m/s² per axis: all walking lost before, within ±3 % now; a thigh pocket at 118 spm
    under 1.5 m/s² stays 3–20 % short, its movement keeping just enough rhythm): no
    recording of the real sets below is loose by this test, so their counts are unchanged.

    Stops shorter than a window are found from the movement itself: within a bout, where
    the acceleration's 1-s RMS stays under :data:`PAUSE_SHARE` (0.4) of the bout's median
    for at least 1 s the walker is standing still (at a door, in a turn) and no step is
    placed there, though the 6-s window bridged it as walking. Turning on the spot moves
    the phone but lands no foot: inside a bout, the landings' impacts (the 1.5–15 Hz
    magnitude's 1-s RMS) under the same share of their bout median for 1 s is a stop too
    (not at the bout's ends, where the first and last steps land softly but count). A stretch between two
    handling cuts whose own autocorrelation stays under ``min_periodicity`` is standing
    (a pouch swinging at a stop). Into and out of a stop the feet keep their rhythm a few
    steps longer than the windows do: landings that come within ±25 % of the bout's last
    step interval and reach half its median landing continue the bout, until one misses,
    the phone is handled or the next bout begins.

    Turns, where the frame has a gyroscope (``gyro_*_rad_s``): a U-turn's slow steps (1.0–1.6
    s apart, landing softly) break the walking rhythm the tracker keeps. The phone's
    rotation about gravity shows the turn (:mod:`runlab.gait._turns`); there, and a step
    period either side, a trunk bout's steps are its landings (peaks over 0.1 × its median
    landing, strongest first, 0.8 step period apart at least) — only where the gyroscope
    shows the phone riding steady (RMS rotation perpendicular to gravity under 60 °/s): on a
    thigh the swing reads as turns.

    ``method``:

    - ``"autocorrelation"`` (default): the step period of each window sets the count, and
      events are placed by dynamic programming (Ellis 2007,
      doi:10.1080/09298210701653344) on the peaks of the acceleration magnitude, one per
      step period — a weak bump or a heel-strike double bump neither adds nor drops a
      step. Step-frequency estimation from the autocorrelation follows Brajdic & Harle's
      benchmark of unconstrained smartphone step counting (2013,
      doi:10.1145/2493432.2493449), where it was among the most robust.
    - ``"peaks"``: windowed peak detection (Brajdic & Harle 2013; Zhao 2010, Analog
      Dialogue 44-06) on the 0.7–4 Hz band-passed magnitude with a threshold relative to
      the local RMS; counts every bump, so it over-counts a phone on a thigh or a swinging
      arm. Kept for comparison.

    Accuracy on counted walks (Oxford Step Counter data set, Salvi et al. 2018, CC-BY-4.0;
    ``benchmarks/gait_steps.py``): tuned on 2 people (36 walks), validated on 3 others
    (24 walks) held out before tuning, and on WeAllWalk (Flores & Manduchi 2018,
    doi:10.1145/3161711, CC-BY-4.0: 15 people — 5 sighted, 10 blind with a long cane or a
    guide dog — two iPhone 6s in pockets they chose, 25 Hz, indoor routes with turns and
    doors; counted steps = heel strikes from shoe IMUs), listed before its first run and
    split by person after it: 6 people developed on, 9 (104 recordings) never tuned on.
    Mean error of the total count / worst |error| / walks within ±3 %, at walking
    cadences (~95–130 spm):

    =====================  ======================  ===========================
    position               tuned (Jamie, Carmelo)  held out
    =====================  ======================  ===========================
    hand (in front)        +0.3 % / 2.1 % / 14/14  +0.3 % / 0.6 % / 4/4
    armband                −2.1 % / 3.9 % / 2/4    −0.9 % / 2.9 % / 4/4
    front pocket           −0.6 % / 2.2 % / 4/4    +0.4 % / 2.9 % / 4/4
    back pocket            −0.5 % / 1.9 % / 4/4    −1.1 % / 2.5 % / 4/4
    neck pouch             +0.5 % / 1.1 % / 4/4    +0.6 % / 1.3 % / 4/4
    bag / purse            −1.3 % / 2.7 % / 4/4    −1.5 % / 2.3 % / 4/4
    swinging arm           −7.0 % / 7.4 % / 0/2    (none held out)
    all (Oxford)           89 % within ±3 %        100 % within ±3 % (worst 2.9 %)
    pocket, own choice     dev (6 people):         9 people: +0.2 % / 44.5 % /
    (WeAllWalk)            −0.1 % / 10.7 % / 67/84 83/104
    … straight segments    +0.2 % / 7.6 % / 83/84  −0.4 % / 43.1 % / 98/104
    =====================  ======================  ===========================

    The Oxford published counts are the sum of two foot switches' contacts. Where a
    switch bounced (the same foot twice within 1.4 steps) or missed a contact (the same
    foot twice a stride apart), that sum is off — the swinging-arm walks (284 and 270
    published; 264 and 256 steps), the tuned armband walks (280 and 275; 267 and 264) and
    a held-out front-pocket walk (306; 315). Against the corrected switch counts
    (``switch_error_pct`` in the benchmark) all 36 tuned walks are within ±3 % (worst
    2.7 %) and 11 of the 12 held-out walks that have switches (a back-pocket walk −3.0 %:
    its first 5 s of steps are taken while the phone is being pocketed).
    In WeAllWalk, counting through stops was the main error: before the stop rules the 9
    held-out people's walks were +5.8 % (26 of 104 within ±3 %; sighted +4.6 %, long cane
    +5.7 %, guide dog +10.2 %); with the movement rule +2.5 % (60 of 104), counting high in
    the turns, where a cane or a guide dog walker turns on the spot; with the impact rule
    too +0.2 % (83 of 104; sighted +0.7 %, 34 of 36; long cane −0.5 %, 41 of 56; guide
    dog +1.5 %, 8 of 12 — these 104 had been scored before, so they are seen, not fresh).
    The rule costs soft steps in slow stop-and-go turns: of the dev walks, 3 that were
    within ±3 % fall to −4 to −7 % and one at −3 % to −11 %. Counting stays high by about one step in the last
    second of a recording (the feet closing together). One cane walker (ID6) is counted
    far short with the phone in one pocket (−34 % and −39 % on 2 of 12 with the movement
    rule, −38 % and −45 % now; 6 of 12 within ±3 %): stretches of walking that never reach
    the windows' rhythm.

    Two more sets, listed and split by person before their first run, scored once on the
    held-out people after the rules above: a belt position (IPOL gait data set 1, C. Voisard
    et al., lower-back IMU at 100 Hz, 10 m walks with a U-turn, 27–45 steps each, footsteps
    from foot IMUs): 19 of 50 walks within ±3 % (one step is 2–4 %), mean −1.3 %, worst
    13.5 %, 1.8 steps off a walk — the U-turn and the last steps into a stop decide it (21
    of 50 before the impact rule, which drops U-turn steps). With the belt's gyroscope
    (turns; developed on the other 60 walks: 23 → 28 within ±3 %) 23 of 50, mean −0.9 %,
    worst 17.6 % — but still 1.8 steps off a walk: of 29 walks changed 15 came closer and 13
    went further (scored on the held-out people a second time). RUNNING with a front-pocket
    proxy (HuGaDB, Chereshnev & Kertész-Farkas 2018, doi:10.1007/978-3-319-73013-4_12: an
    accelerometer strapped above the knee, steps from the foot gyroscopes; its sampling rate
    is not recorded, 50–58.8 Hz): at 58.8 Hz runs of 180–200 spm 19 of 22 segments within
    ±3 % but over 215 spm a stride is taken for a step (−31 to −48 %; the stride search
    stops at 222 spm); read at 50 Hz (153–199 spm) 61 of 78 within ±3 %, pooled 0.0 %,
    worst 6.8 %. Other positions at running cadences are checked on simulated signals only.

    Parameters
    ----------
    imu : polars.DataFrame
        ``time_s`` and ``acc_x_mps2``/``acc_y_mps2``/``acc_z_mps2`` (:data:`runlab.io.imu.IMU`);
        ``gyro_x_rad_s``/``gyro_y_rad_s``/``gyro_z_rad_s`` when the log has a gyroscope.
    method : {"autocorrelation", "peaks"}
    rate_hz : float
        Regular grid the irregular phone samples are interpolated to [Hz]; gaps longer than
        ``max_gap_s`` [s] hold no steps.

    Returns
    -------
    polars.DataFrame
        One row per step: ``time_s`` [s from the first sample], ``timestamp`` (UTC, null for
        a relative clock), ``interval_s`` (since the previous step; null for the first of a
        bout), ``prominence_mps2`` [m/s²], ``bout`` (0, 1, …), ``method``, ``placement``
        (``"trunk"`` or ``"limb"``, per bout) and ``confidence`` (the bout's median
        autocorrelation at the fundamental period, 0–1).

    Raises
    ------
    runlab.errors.ReadError
        When the IMU is sampled slower than 20 Hz (steps cannot be resolved).
    """
    for col in ("time_s", "acc_x_mps2", "acc_y_mps2", "acc_z_mps2"):
        if col not in imu.columns:
            raise SchemaError(f"expected an IMU frame (runlab.read_imu) with column {col!r}; "
                              f"has {imu.columns}")
    if method not in STEP_METHODS:
        raise ValueError(f"method={method!r}: expected one of {STEP_METHODS}")
    t = imu["time_s"].to_numpy().astype(np.float64)
    if t.size < 2 or t[-1] - t[0] < 2.0:
        return _step_frame(np.zeros(0), np.zeros(0), np.zeros(0, np.int64), method, [], [],
                           imu, t)
    rate = 1.0 / float(np.median(np.diff(t)))
    if rate < MIN_IMU_RATE_HZ:
        raise ReadError(None, f"accelerometer sampled at {rate:.1f} Hz; steps need at least "
                              f"{MIN_IMU_RATE_HZ:g} Hz")
    acc = imu.select("acc_x_mps2", "acc_y_mps2", "acc_z_mps2").to_numpy().astype(np.float64)
    grid, vec, landing, clicks, in_gap, turn = _on_grid(t, acc, rate_hz, max_gap_s)
    rotation = rotation_dps(imu, t, acc, grid, in_gap, rate_hz)
    walker_turns = turns(rotation[0], rate_hz) if rotation is not None else []
    walking, step_period, pattern, periodicity = _carrying(
        vec, clicks, in_gap, rate_hz, window_s, min_periodicity, min_activity_mps2)
    bouts = _split_at_handling(_bouts(walking, in_gap, rate_hz), turn, rate_hz)
    # a stretch between two moments of handling with no rhythm of its own (the walker
    # stopped, a pouch swinging) is not walking, bridged or not
    bouts = [(lo, hi) for lo, hi in bouts if np.median(periodicity[lo:hi]) >= min_periodicity]
    times, strength, bout_of = [], [], []
    placements, confidences = [], []
    for b, (lo, hi) in enumerate(bouts):
        if method == "autocorrelation":
            at, s = _tracked_steps(landing[lo:hi], step_period[lo:hi], rate_hz)
            # into and out of a stop the feet keep their rhythm a few steps longer than a
            # 6-s window's autocorrelation does
            done = int(round((times[-1][-1] - grid[0]) * rate_hz)) + 1 \
                if b and times[-1].size else 0  # not back into the last bout's steps
            before = _continued(landing, lo + at, turn, in_gap,
                                max(bouts[b - 1][1] if b else 0, done), rate_hz, -1)
            after = _continued(landing, lo + at, turn, in_gap,
                               bouts[b + 1][0] if b + 1 < len(bouts) else grid.size,
                               rate_hz, +1)
            at = np.r_[before, lo + at, after].astype(np.int64) - lo
            s = landing[lo + at]
        else:
            at, s = _peak_steps(np.linalg.norm(vec[lo:hi], axis=1), rate_hz)
        if at.size:  # no step where the walker stood still for a moment
            a0, a1 = min(lo, lo + int(at[0])), max(hi, lo + int(at[-1]) + 1)
            keep = ~_paused(vec[a0:a1], landing[a0:a1], rate_hz)[lo + at - a0]
            at, s = at[keep], s[keep]
        placement = _placement(pattern[lo:hi], rate_hz, window_s)
        if (walker_turns and method == "autocorrelation" and at.size and placement == "trunk"
                and steady(rotation[1][lo:hi])):
            at = _through_turns(lo + at, landing, walker_turns,
                                float(np.nanmedian(step_period[lo:hi])) * rate_hz) - lo
            s = landing[lo + at]
        if b and times[-1].size and at.size:
            # cut at a handling transient (or two bouts continued towards each other): the
            # step at the cut is one step, not one a side
            period_s = np.nanmedian(step_period[lo:hi]) if method == "autocorrelation" \
                else np.median(np.diff(grid[lo + at])) if at.size > 1 else 0.0
            if grid[lo + at[0]] - times[-1][-1] < 0.6 * period_s:
                at, s = at[1:], s[1:]
        times.append(grid[lo + at])
        strength.append(s)
        bout_of.append(np.full(at.size, b))
        placements.append(placement)
        confidences.append(float(np.clip(np.median(periodicity[lo:hi]), 0.0, 1.0)))
    return _step_frame(_cat(times, np.float64), _cat(strength, np.float64),
                       _cat(bout_of, np.int64), method, placements, confidences, imu, t)


def _through_turns(at: np.ndarray, landing: np.ndarray, walker_turns: list[tuple[int, int]],
                   period: float) -> np.ndarray:
    """A bout's steps ``at`` (grid indexes) with those in each turn that meets them, and
    within a step ``period`` [samples] of it, replaced by the turn's landings
    (:func:`runlab.gait._turns.turn_steps`)."""
    for a, b in walker_turns:
        if b > at[0] - period and a < at[-1] + period:
            # the tracker's steps within a period of the turn keep its rhythm into the
            # turn's slow steps: the landings decide them too
            span = (max(a - int(period), 0), min(b + int(period), landing.size))
            at = turn_steps(at, landing, span, period)
    return at


def _cat(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype)


def _on_grid(t: np.ndarray, acc: np.ndarray, rate_hz: float, max_gap_s: float):
    """Acceleration on a regular grid with gravity and drift removed (0.5–5 Hz band-pass,
    zero phase), the landings' signal (the magnitude band-passed 1.5–15 Hz: impacts,
    not a limb's swing) and their clicks' envelope (:data:`_CLICK_BAND_HZ`); samples
    inside gaps longer than ``max_gap_s`` are zero and flagged."""
    from scipy import signal

    grid = np.arange(t[0], t[-1], 1.0 / rate_hz)
    k = np.clip(np.searchsorted(t, grid, side="right") - 1, 0, t.size - 2)
    in_gap = (t[k + 1] - t[k]) > max_gap_s
    raw = np.column_stack([np.interp(grid, t, acc[:, i]) for i in range(3)])
    hi = min(_GAIT_BAND_HZ[1], 0.45 * rate_hz)
    sos = signal.butter(2, (_GAIT_BAND_HZ[0], hi), btype="bandpass", fs=rate_hz, output="sos")
    vec = np.zeros_like(raw)
    onset = np.zeros(raw.shape[0])
    clicks = np.zeros(raw.shape[0])
    sos_on, sos_click = (signal.butter(2, (band[0], min(band[1], 0.45 * rate_hz)),
                                       btype="bandpass", fs=rate_hz, output="sos")
                         for band in (_ONSET_BAND_HZ, _CLICK_BAND_HZ))
    # filter each stretch between gaps on its own: a gap (or a phone moved to another
    # pocket) must not ring into the samples around it
    starts, lengths = run_lengths(in_gap)
    for s, n in zip(starts, lengths, strict=True):
        if not in_gap[s] and n > 30:
            vec[s:s + n] = signal.sosfiltfilt(sos, raw[s:s + n], axis=0)
            magnitude = np.linalg.norm(raw[s:s + n], axis=1)
            onset[s:s + n] = signal.sosfiltfilt(sos_on, magnitude)
            click = signal.sosfiltfilt(sos_click, magnitude)
            clicks[s:s + n] = np.sqrt(centred_mean(click * click, max(1, int(0.02 * rate_hz))))
    return grid, vec, onset, clicks, in_gap, _turn_deg(raw, in_gap, rate_hz)


def _turn_deg(raw: np.ndarray, in_gap: np.ndarray, rate_hz: float, *, lag_s: float = 2.0,
              half_s: float = 1.0) -> np.ndarray:
    """Per grid sample, how far the phone turned [°]: the angle between gravity's direction
    (the acceleration averaged over ±``half_s``) ``lag_s`` before and ``lag_s`` after
    (near the recording's ends, its first or last sample). In
    one position it stays put, a stride's swing averaging out; taking the phone out of a
    pocket into the hand turns it by most of a right angle."""
    g = np.column_stack([centred_mean(np.where(in_gap, np.nan, raw[:, i]),
                                      int(half_s * rate_hz)) for i in range(3)])
    g /= np.maximum(np.linalg.norm(g, axis=1, keepdims=True), 1e-9)
    k = int(round(lag_s * rate_hz))
    # within lag_s of the recording's ends the first or last sample stands in for the
    # missing side, so a phone put in place as the recording starts is seen too
    i = np.arange(g.shape[0])
    cos = np.einsum("ij,ij->i", g[np.maximum(i - k, 0)], g[np.minimum(i + k, i.size - 1)])
    return np.degrees(np.arccos(np.clip(np.nan_to_num(cos, nan=1.0), -1.0, 1.0)))


def _split_at_handling(bouts: list[tuple[int, int]], turn: np.ndarray, rate_hz: float, *,
                       min_s: float = 2.0) -> list[tuple[int, int]]:
    """Bouts cut where the phone was handled (turned by over :data:`HANDLING_TURN_DEG`),
    at the sample it turned most, so each side gets its own placement and step tracking."""
    handling = turn > HANDLING_TURN_DEG
    out = []
    for lo, hi in bouts:
        cuts = []
        starts, lengths = run_lengths(handling[lo:hi])
        for s, n in zip(starts, lengths, strict=True):
            if handling[lo + s]:
                cuts.append(lo + s + int(np.argmax(turn[lo + s:lo + s + n])))
        edges = [lo, *cuts, hi]
        for a, b in zip(edges[:-1], edges[1:], strict=True):
            if b - a >= min_s * rate_hz:
                out.append((a, b))
    return out


def _paused(vec: np.ndarray, landing: np.ndarray, rate_hz: float, *,
            share: float = PAUSE_SHARE, min_s: float = 1.0, half_s: float = 0.5) -> np.ndarray:
    """Samples of a bout where the walker stands still for a moment: the movement (RMS of
    the band-passed acceleration over ±``half_s``) under ``share`` × its median over the
    bout for at least ``min_s`` (two steps). A 6-s window bridges a stop of 2–3 s at a
    turn or a door, and the step tracker would go on placing steps through it.

    Turning on the spot (a cane or a guide dog at a corner) still moves the phone, slowly,
    but lands no foot: the landings' signal (``landing``, the 1.5–15 Hz impacts) falling
    under the same ``share`` of its bout median marks a pause too — inside the bout only,
    as the first steps from standing and the last into a stop land softly but count."""
    def rms(x: np.ndarray) -> np.ndarray:
        return np.sqrt(centred_mean(x, int(half_s * rate_hz)))

    move = rms((vec * vec).sum(axis=1))
    impact = rms(landing * landing)
    low = move < share * np.median(move)
    soft = impact < share * np.median(impact)
    starts, lengths = run_lengths(soft)
    for st, n in zip(starts, lengths, strict=True):
        if soft[st] and 0 < st and st + n < soft.size:
            low[st:st + n] = True
    out = np.zeros(low.size, bool)
    starts, lengths = run_lengths(low)
    for st, n in zip(starts, lengths, strict=True):
        if low[st] and n >= min_s * rate_hz:
            out[st:st + n] = True
    return out


def _continued(landing: np.ndarray, at: np.ndarray, turn: np.ndarray, in_gap: np.ndarray,
               limit: int, rate_hz: float, direction: int, *, tolerance: float = 0.25,
               strength: float = 0.5) -> np.ndarray:
    """Grid indexes of steps after a bout's last step (``direction`` +1) or before its
    first (-1) while the landings keep the bout's rhythm: the next landing peak must come
    within ``tolerance`` of the step interval (the median of the bout's 5 steps at that
    end, then the last interval taken) and reach ``strength`` × the bout's median
    landing. It stops at the first landing that misses, at ``limit`` (the neighbouring
    bout), at a gap and where the phone is handled (turned by over
    :data:`HANDLING_TURN_DEG`)."""
    from scipy import signal

    if at.size < 5:
        return np.zeros(0, np.int64)
    period = float(np.median(np.diff(at[-5:] if direction > 0 else at[:5])))
    peaks, _ = signal.find_peaks(landing, height=strength * float(np.median(landing[at])),
                                 distance=max(1, int(0.25 * rate_hz)))
    out = []
    last = int(at[-1] if direction > 0 else at[0])
    while True:
        lo, hi = sorted((last + direction * (1 - tolerance) * period,
                         last + direction * (1 + tolerance) * period))
        cand = peaks[(peaks >= lo) & (peaks <= hi)]
        if cand.size == 0:
            break
        nxt = int(cand[np.argmin(np.abs(cand - (last + direction * period)))])
        if nxt >= limit if direction > 0 else nxt < limit:
            break
        span = slice(min(last, nxt), max(last, nxt) + 1)
        if in_gap[span].any() or (turn[span] > HANDLING_TURN_DEG).any():
            break
        out.append(nxt)
        period, last = abs(nxt - last), nxt
    out = np.asarray(out, np.int64)
    return out if direction > 0 else out[::-1]


def _placement(limb: np.ndarray, rate_hz: float, window_s: float) -> str:
    """A bout's placement: the majority of its windows, leaving out half a window at each
    end (a window there straddles the handling and the other position)."""
    edge = int(window_s * rate_hz / 2)
    core = limb[edge:-edge] if limb.size > 4 * edge else limb
    return "limb" if np.mean(core) > 0.5 else "trunk"


def _carrying(vec: np.ndarray, clicks: np.ndarray, in_gap: np.ndarray, rate_hz: float,
              window_s: float, min_periodicity: float, min_activity_mps2: float,
              bridge_s: float = 10.0):
    """Per grid sample: walking (bool), step period [s], limb pattern (bool) and the
    autocorrelation at the fundamental period, from windows every 0.5 s. A stretch of up to
    ``bridge_s`` whose movement stays walking-strong but loses its rhythm (a swinging bag)
    between two walking stretches is walking; step periods are a running median of 5
    windows, interpolated across such stretches.

    A loose phone (a coat pocket, a bag bumping on the hip) wobbles on its own, slowly, and
    that can hide the rhythm of the movement for the whole recording: when the median
    active window's movement stays under ``min_periodicity``, a window whose movement has
    no rhythm but whose landings' clicks (``clicks``) have one at ``min_periodicity`` takes
    the clicks' period — they repeat every landing, or every stride where one leg's
    landing is weak (a bump at half the period tells)."""
    n = vec.shape[0]
    win = int(round(window_s * rate_hz))
    hop = max(1, int(round(0.5 * rate_hz)))
    lag_lo = int(_PERIOD_S[0] * rate_hz)
    lag_hi = min(int(_PERIOD_S[1] * rate_hz), win - 1)
    walking = np.zeros(n, bool)
    period = np.full(n, np.nan)
    limb = np.zeros(n, bool)
    periodicity = np.zeros(n)
    if n < win or lag_hi <= lag_lo + 2:
        return walking, period, limb, periodicity
    starts = np.arange(0, n - win + 1, hop)
    nfft = 1 << int(np.ceil(np.log2(2 * win)))
    move, click, act_w = [], [], []  # per window: (lag, peak, stride) of each signal
    for chunk in np.array_split(starts, max(1, starts.size // 256)):
        r, sd = _autocorrelation(np.stack([vec[s:s + win] for s in chunk]), nfft)
        rc, _ = _autocorrelation(np.stack([clicks[s:s + win] for s in chunk])[..., None],
                                 nfft)
        gap = np.stack([in_gap[s:s + win].mean() for s in chunk])
        for j in range(chunk.size):
            move.append(_rhythm(r[j], lag_lo, lag_hi, rate_hz, sd[j] >= _RUNNING_SD_MPS2))
            click.append(_rhythm(rc[j], lag_lo, lag_hi, rate_hz, False))
            act_w.append(sd[j] >= min_activity_mps2 and gap[j] < 0.2)
    move, click, act_w = np.asarray(move), np.asarray(click), np.asarray(act_w)
    loose = act_w.any() and np.median(move[act_w, 1]) < min_periodicity
    by_click = loose & (move[:, 1] < min_periodicity) & (click[:, 1] >= min_periodicity)
    lag_w, r_w, limb_w = np.where(by_click[:, None], click, move).T
    limb_w = limb_w.astype(bool)
    centre = starts + win // 2
    ok_w = (r_w >= min_periodicity) & act_w
    ok = _bridge(ok_w, act_w, int(round(bridge_s * rate_hz / hop)))
    per_w = lag_w / rate_hz / np.where(limb_w, 2.0, 1.0)
    per_w = np.exp(_running_median(np.log(np.where(ok, per_w, np.nan)), 2))
    # each grid sample takes the window centred nearest to it
    idx = np.clip(np.rint((np.arange(n) - win // 2) / hop).astype(np.int64), 0, centre.size - 1)
    walking = ok[idx] & ~in_gap
    period = np.where(walking, per_w[idx], np.nan)
    limb = limb_w[idx]
    periodicity = r_w[idx]
    return walking, period, limb, periodicity


def _rhythm(r: np.ndarray, lag_lo: int, lag_hi: int, rate_hz: float, running: bool
            ) -> tuple[int, float, bool]:
    """A window's fundamental lag [samples] and autocorrelation there (``r``, by lag), and
    whether that lag is a stride: longer than a step can last, or in the overlap of step
    and stride periods when the movement is running-strong (``running``) or has a bump
    at half the lag."""
    lag, peak = _fundamental(r, lag_lo, lag_hi)
    f_s = lag / rate_hz
    return lag, peak, f_s > _STEP_STRIDE_S[1] or (
        f_s > _STEP_STRIDE_S[0] and (running or _half_peak(r, lag) > 0.2))


def _autocorrelation(seg: np.ndarray, nfft: int) -> tuple[np.ndarray, np.ndarray]:
    """Orientation-free autocorrelation of windows ``seg`` (windows × samples × axes): the
    dot product ``a(t)·a(t+τ)`` averaged over each lag's pairs (unbiased) over its value at
    lag 0, and each window's SD (the root of that value)."""
    win = seg.shape[1]
    seg = seg - seg.mean(axis=1, keepdims=True)
    spec = np.fft.rfft(seg, nfft, axis=1)
    ac = np.fft.irfft((spec * spec.conj()).real, nfft, axis=1)[:, :win].sum(axis=2)
    ac = ac / (win - np.arange(win))  # unbiased: each lag's mean product
    return ac / np.maximum(ac[:, :1], 1e-12), np.sqrt(np.maximum(ac[:, 0], 0.0))


def _bridge(ok: np.ndarray, active: np.ndarray, max_n: int) -> np.ndarray:
    """``ok`` with runs of not-ok but ``active`` windows of at most ``max_n`` between two
    ok windows set ok."""
    starts, lengths = run_lengths(ok)
    out = ok.copy()
    for s, n in zip(starts, lengths, strict=True):
        if not ok[s] and 0 < s and s + n < ok.size and n <= max_n and active[s:s + n].all():
            out[s:s + n] = True
    return out


def _running_median(x: np.ndarray, half: int) -> np.ndarray:
    """Centred running median ignoring NaN (ends use what there is); gaps interpolated."""
    pad = np.pad(x, half, mode="constant", constant_values=np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows
        med = np.nanmedian(np.lib.stride_tricks.sliding_window_view(pad, 2 * half + 1), axis=1)
    ok = np.isfinite(med)
    if ok.any() and not ok.all():
        med = np.interp(np.arange(x.size), np.flatnonzero(ok), med[ok])
    return med


def _half_peak(r: np.ndarray, lag: float) -> float:
    """The autocorrelation's highest local peak within ±15 % of half ``lag`` (a bump
    between two repeats: a step inside a stride), or -1 without one."""
    lo, hi = int(0.425 * lag), int(np.ceil(0.575 * lag))
    seg = r[max(lo - 1, 0):hi + 2]
    inner = np.flatnonzero((seg[1:-1] >= seg[:-2]) & (seg[1:-1] >= seg[2:])) + 1
    return float(seg[inner].max()) if inner.size else -1.0


def _fundamental(r: np.ndarray, lo: int, hi: int, *, share: float = 0.8) -> tuple[int, float]:
    """Lag of the first autocorrelation peak in ``lo..hi`` reaching ``share`` × the
    highest there (the period, not a multiple of it), refined by a parabola."""
    seg = r[lo:hi + 1]
    inner = np.flatnonzero((seg[1:-1] >= seg[:-2]) & (seg[1:-1] >= seg[2:])) + 1
    if inner.size == 0:
        return lo, 0.0
    best = seg[inner].max()
    if best <= 0:
        return lo, float(best)
    i = int(inner[np.argmax(seg[inner] >= share * best)])
    a, b, c = seg[i - 1], seg[i], seg[i + 1]
    denom = a - 2 * b + c
    shift = 0.5 * (a - c) / denom if denom < 0 else 0.0
    return lo + i + float(np.clip(shift, -0.5, 0.5)), float(b)


def _bouts(walking: np.ndarray, in_gap: np.ndarray, rate_hz: float, *,
           min_s: float = 2.0) -> list[tuple[int, int]]:
    """``(first, end)`` grid indexes of walking stretches lasting at least ``min_s``."""
    starts, lengths = run_lengths(walking)
    return [(int(s), int(s + n)) for s, n in zip(starts, lengths, strict=True)
            if walking[s] and n >= min_s * rate_hz]


def _tracked_steps(magnitude: np.ndarray, period_s: np.ndarray, rate_hz: float,
                   *, tightness: float = 100.0) -> tuple[np.ndarray, np.ndarray]:
    """One event per step period, placed on the magnitude's peaks by dynamic programming
    (Ellis 2007): maximise the summed peak strength minus ``tightness`` × log²(interval /
    period). Returns grid indexes and the magnitude there [m/s²]."""
    n = magnitude.size
    period = np.nan_to_num(period_s * rate_hz, nan=np.nanmedian(period_s) * rate_hz)
    onset = np.maximum(magnitude, 0.0)
    onset = onset / max(float(np.std(onset)), 1e-9)
    score = onset.copy()
    back = np.full(n, -1, np.int64)
    for i in range(n):
        p = period[i]
        lo, hi = int(i - 1.5 * p), int(i - 0.6 * p)
        if hi < 0:
            continue
        lo = max(lo, 0)
        prev = np.arange(lo, hi + 1)
        cand = score[prev] - tightness * np.log((i - prev) / p) ** 2
        j = int(np.argmax(cand))
        if cand[j] > 0:
            score[i] = onset[i] + cand[j]
            back[i] = prev[j]
    # the chain ends at the best-scoring sample within the last period
    tail = max(0, n - int(period[-1]) - 1)
    i = tail + int(np.argmax(score[tail:]))
    chain = []
    while i >= 0:
        chain.append(i)
        i = back[i]
    at = np.asarray(chain[::-1], dtype=np.int64)
    return at, magnitude[at]


def _peak_steps(magnitude: np.ndarray, rate_hz: float, *, min_prominence_mps2: float = 0.3,
                relative_prominence: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """Windowed peak detection: peaks ≥ 0.25 s apart whose prominence exceeds
    ``min_prominence_mps2`` and ``relative_prominence`` × the local RMS (±2 s); of two
    closer than 0.6 × the local step interval, the weaker goes."""
    from scipy import signal

    sos = signal.butter(2, STEP_BAND_HZ, btype="bandpass", fs=rate_hz, output="sos")
    y = signal.sosfiltfilt(sos, magnitude) if magnitude.size > 30 else magnitude
    rms = np.sqrt(centred_mean(y * y, int(2.0 * rate_hz)))
    peaks, props = signal.find_peaks(y, distance=max(1, int(0.25 * rate_hz)),
                                     prominence=min_prominence_mps2)
    prominence = props["prominences"]
    strong = prominence >= relative_prominence * rms[peaks]
    peaks, prominence = peaks[strong], prominence[strong]
    keep = _drop_double_bumps(peaks / rate_hz, prominence)
    return peaks[keep], prominence[keep]


def _step_frame(at: np.ndarray, strength: np.ndarray, bout: np.ndarray, method: str,
                placements: list[str], confidences: list[float], imu: pl.DataFrame,
                t: np.ndarray) -> pl.DataFrame:
    interval = np.diff(at, prepend=np.nan)
    first = np.r_[True, bout[1:] != bout[:-1]] if bout.size else np.zeros(0, bool)
    interval[first] = np.nan
    stamps = imu["timestamp"] if "timestamp" in imu.columns else None
    if stamps is None or stamps.null_count() == stamps.len():
        ts = pl.Series("timestamp", [None] * at.size, dtype=schema.TIMESTAMP)
    else:
        first_us = epoch_us(stamps.drop_nulls().head(1))[0] - int(round(t[0] * 1e6))
        ts = timestamps("timestamp", first_us + np.round(at * 1e6).astype(np.int64))
    return pl.DataFrame([
        pl.Series("time_s", at, dtype=pl.Float64), ts,
        pl.Series("interval_s", interval, nan_to_null=True, dtype=pl.Float64),
        pl.Series("prominence_mps2", strength, dtype=pl.Float64),
        pl.Series("bout", bout, dtype=pl.Int64),
        pl.Series("method", [method] * at.size, dtype=pl.String),
        pl.Series("placement", np.asarray(placements, dtype=object)[bout] if at.size
                  else [], dtype=pl.String),
        pl.Series("confidence", np.asarray(confidences)[bout] if at.size else [],
                  dtype=pl.Float64),
    ])


def _drop_double_bumps(at: np.ndarray, strength: np.ndarray, *, fraction: float = 0.6,
                       neighbours: int = 4) -> np.ndarray:
    """Mask of peaks kept: of two closer than ``fraction`` × the local median interval,
    the weaker goes."""
    if at.size < 3:
        return np.ones(at.size, dtype=bool)
    gaps = np.diff(at)
    pad = np.pad(gaps, neighbours, mode="edge")
    local = np.median(np.lib.stride_tricks.sliding_window_view(pad, 2 * neighbours + 1),
                      axis=1)  # local median interval around each gap
    keep = np.ones(at.size, dtype=bool)
    last = 0
    for i in range(1, at.size):  # sequential by nature; steps are few (≤ 4 per second)
        if at[i] - at[last] < fraction * local[i - 1]:
            if strength[i] > strength[last]:
                keep[last] = False
                last = i
            else:
                keep[i] = False
        else:
            last = i
    return keep


def step_records(step_events: pl.DataFrame, *, every_s: float = 1.0, window_steps: int = 4,
                 max_gap_s: float = 2.0, start_time=None) -> pl.DataFrame:
    """Canonical records (:data:`runlab.schema.RECORDS`) with ``cadence_spm`` from steps.

    On a grid of ``every_s`` seconds, cadence is 60 / the median interval of the
    ``window_steps`` steps either side [steps/min], and 0 where the nearest step is more
    than ``max_gap_s`` away (standing). All other sensors are null, so :func:`runlab.clean`,
    :func:`segments`, :func:`runlab.summarize` and the charts work on phone data.

    Timestamps are the steps' own (absolute phone clock) or ``start_time`` + ``time_s``;
    with neither, they count from 1970-01-01 UTC (a relative clock).
    """
    for col in ("time_s", "timestamp", "interval_s"):
        if col not in step_events.columns:
            raise SchemaError(f"expected step events (runlab.gait.steps) with column {col!r}; "
                              f"has {step_events.columns}")
    at = step_events["time_s"].to_numpy().astype(np.float64)
    if at.size < 2:
        return schema.empty("records")
    grid = np.arange(np.floor(at[0]), at[-1] + every_s, every_s)
    interval = np.diff(at)
    mid = (at[1:] + at[:-1]) / 2  # each interval sits between its two steps
    pos = np.searchsorted(mid, grid)
    lo = np.clip(pos - window_steps, 0, interval.size)
    hi = np.clip(pos + window_steps, 0, interval.size)
    valid = interval <= max_gap_s
    med = np.array([np.median(interval[a:b][valid[a:b]]) if valid[a:b].any() else np.nan
                    for a, b in zip(lo, hi, strict=True)])
    nearest = np.min(np.abs(at[np.clip(np.searchsorted(at, grid)[:, None] + [-1, 0], 0,
                                       at.size - 1)] - grid[:, None]), axis=1)
    cadence = np.where(nearest <= max_gap_s, 60.0 / med, 0.0)
    cadence = np.where(np.isfinite(cadence), cadence, 0.0)
    stamps = step_events["timestamp"]
    if start_time is not None:
        origin_us = int(round(start_time.timestamp() * 1e6))
    elif stamps.null_count() == 0:  # absolute phone clock: time_s 0 is this instant
        origin_us = int(epoch_us(stamps)[0] - round(at[0] * 1e6))
    else:
        origin_us = 0  # relative clock: from 1970-01-01 UTC
    rec = pl.DataFrame([timestamps("timestamp", origin_us + np.round(grid * 1e6)
                                   .astype(np.int64)),
                        pl.Series("elapsed_s", grid - grid[0]),
                        pl.Series("cadence_spm", cadence)])
    return schema.conform(rec, "records")
