"""Footfalls from the sound of a run (:func:`runlab.io.audio.read_audio`)."""

from __future__ import annotations

import numpy as np
import polars as pl

__all__ = ["footfalls", "footfall_summary", "FOOTFALL_BAND_HZ"]

# --- footfalls from sound (issue 15) -----------------------------------------------------------

#: Footfall band [Hz]: the thud of a landing sits in the low mids; wind rumble is below it.
FOOTFALL_BAND_HZ = (60.0, 5000.0)


def footfalls(audio, *, band_hz: tuple[float, float] = FOOTFALL_BAND_HZ,
              window_s: float = 0.010, hop_s: float = 0.0025, min_interval_s: float = 0.25,
              rise_db: float = 6.0, min_above_floor_db: float = 10.0) -> pl.DataFrame:
    """Footfall onsets and their loudness from the sound of a run.

    ``audio`` is an :class:`runlab.io.audio.Audio` (:func:`runlab.io.audio.read_audio`: a
    WAV file or a video's soundtrack).

    Method: band-pass ``band_hz`` (4th-order Butterworth, zero phase) → short-time RMS level
    [dBFS] over ``window_s`` windows every ``hop_s`` → onset strength = rise of the level
    over the previous 20 ms. An onset is a local maximum of the strength that rises at
    least ``rise_db`` above the median strength of the surrounding 2 s (adaptive to the
    noise), reaches ``min_above_floor_db`` over the noise floor (the 20th percentile level
    of the recording), and is at least ``min_interval_s`` after the previous one (240
    steps/min at most). Its time is the start of the window where the level first climbs
    halfway (in dB) from the level before the onset to the peak that follows.

    Loudness is the footfall's peak RMS level within 60 ms of the onset [dBFS]: quieter
    landings score lower (the clinic's "landing quietness"). Levels are relative to the
    recording — compare sessions recorded with the same phone at the same distance.

    Returns
    -------
    polars.DataFrame
        One row per footfall: ``time_s`` [s], ``loudness_db`` [dBFS], ``interval_s`` (to the
        previous footfall, null for the first or after a 2-s pause) and ``cadence_spm``
        (60 / interval).
    """
    from scipy import signal

    x = np.asarray(audio.samples, dtype=np.float64)
    fs = float(audio.rate_hz)
    empty = pl.DataFrame(schema={"time_s": pl.Float64, "loudness_db": pl.Float64,
                                 "interval_s": pl.Float64, "cadence_spm": pl.Float64})
    if x.size < int(0.5 * fs):
        return empty
    hi = min(band_hz[1], 0.45 * fs)
    sos = signal.butter(4, (band_hz[0], hi), btype="bandpass", fs=fs, output="sos")
    y = signal.sosfiltfilt(sos, x)
    win, hop = max(1, int(round(window_s * fs))), max(1, int(round(hop_s * fs)))
    power = np.lib.stride_tricks.sliding_window_view(y * y, win)[::hop].mean(axis=1)
    level = 10.0 * np.log10(power + 1e-12)  # dBFS of each window
    lag = max(1, int(round(0.020 / hop_s)))
    strength = np.r_[np.zeros(lag), level[lag:] - level[:-lag]]
    floor = np.percentile(level, 20)
    span = int(round(1.0 / hop_s))
    local = signal.medfilt(strength, 2 * (span // 2) + 1) if strength.size > span else \
        np.full(strength.size, np.median(strength))
    peaks, _ = signal.find_peaks(strength, height=local + rise_db,
                                 distance=max(1, int(min_interval_s / hop_s)))
    after = max(1, int(round(0.060 / hop_s)))
    peak_level = np.array([level[p:p + after].max() for p in peaks]) if peaks.size else \
        np.zeros(0)
    loud = peak_level >= floor + min_above_floor_db
    peaks, peak_level = peaks[loud], peak_level[loud]
    onsets = np.empty(peaks.size)
    for i, p in enumerate(peaks):  # onsets are few (≤ 4 per second)
        before = level[max(0, p - lag)]
        half = before + 0.5 * (peak_level[i] - before)
        seg = level[max(0, p - lag):p + after]
        first = int(np.argmax(seg >= half))
        onsets[i] = ((max(0, p - lag) + first) * hop + win / 2) / fs  # exact hop, not hop_s
    interval = np.diff(onsets, prepend=np.nan)
    interval[interval > 2.0] = np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        cadence = 60.0 / interval
    return pl.DataFrame([pl.Series("time_s", onsets), pl.Series("loudness_db", peak_level),
                         pl.Series("interval_s", interval, nan_to_null=True),
                         pl.Series("cadence_spm", cadence, nan_to_null=True)])


def footfall_summary(found: pl.DataFrame) -> pl.DataFrame:
    """One row per recording: ``footfalls``, ``cadence_spm`` (60 / median interval),
    ``loudness_db`` (median) and ``loudness_p90_db`` (the loudest tenth) [dBFS], and
    ``loudness_sd_db`` (how even the landings are) — for comparing sessions."""
    interval = found["interval_s"].drop_nulls()
    return pl.DataFrame({
        "footfalls": [found.height],
        "cadence_spm": [60.0 / interval.median() if interval.len() else None],
        "loudness_db": [found["loudness_db"].median()],
        "loudness_p90_db": [found["loudness_db"].quantile(0.9) if found.height else None],
        "loudness_sd_db": [found["loudness_db"].std() if found.height > 1 else None],
    }, schema={"footfalls": pl.Int64, "cadence_spm": pl.Float64, "loudness_db": pl.Float64,
               "loudness_p90_db": pl.Float64, "loudness_sd_db": pl.Float64})
