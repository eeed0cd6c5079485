"""Journal entries of the simulated runners (tempo, foot strike, comfort, RPE...)."""

from __future__ import annotations

import numpy as np
import polars as pl

_NOTES = ("windy on the way back", "left calf a bit tight", "felt quick and light",
          "metronome hard to hear in traffic", "hot and sticky", "legs heavy after work",
          "focused on quiet feet", "great run, relaxed shoulders")


def _journal_rows(done: pl.DataFrame, runner: dict, clinic_weeks: int, rng,
                  rates) -> pl.DataFrame:
    """One journal entry per completed run (some skipped): tempo, foot strike, comfort..."""
    n = done.height
    if n == 0:
        return pl.DataFrame()
    week = done["week"].to_numpy()
    kind = done["session_type"].to_numpy()
    boost = done["boost_fraction"].to_numpy()
    target = runner["target_boost"]
    progress = boost / target if target > 0 else np.zeros(n)
    adapt = np.clip(week / max(clinic_weeks, 1), 0, 1)
    heat = done["heat_index_c"].to_numpy()
    hot = np.clip(heat - 22, 0, None)
    effort = np.select([kind == "hills", kind == "technique", kind == "baseline_test",
                        kind == "reflective_cooldown"], [6.0, 5.0, 4.0, 2.0], 3.0)
    rpe = np.rint(effort + runner["rpe_offset"] + 0.15 * hot + 0.6 * (1 - adapt) + rng.normal(0, 0.9, n)).clip(0, 10)
    tempo = np.rint(3 + 12 * boost * (1 - 0.6 * adapt) + (kind == "technique") * 0.6
                    + rng.normal(0, 0.6, n)).clip(1, 5)
    comfort = np.rint(3.9 + runner["comfort_offset"] - 0.12 * hot - 0.25 * np.clip(rpe - 5, 0, None)
                      - 6 * boost * (1 - adapt) + 0.4 * adapt + rng.normal(0, 0.6, n)).clip(1, 5)
    p_heel = runner["heel_strike_p"] * (1 - 0.75 * progress)
    u = rng.uniform(size=n)
    foot = np.where(u < 0.07, "unsure", np.where(u < 0.07 + 0.93 * p_heel, "heel",
                    np.where(rng.uniform(size=n) < 0.12, "forefoot", "midfoot")))
    treadmill = done["treadmill"].to_numpy()
    surface = np.where(treadmill, "treadmill",
                       np.where(kind == "technique", rng.choice(["track", "grass"], n),
                                np.where(kind == "hills", "road",
                                         rng.choice(["road", "road", "road", "trail", "grass"],
                                                    n))))
    video = done["video_review"].fill_null(False).to_numpy()
    skill = 2.3 + 1.6 * progress + 0.6 * adapt

    def rubric() -> list[int | None]:
        score = np.rint(skill + rng.normal(0, 0.5, n)).clip(1, 5).astype(np.int64)
        return [int(s) if v else None for s, v in zip(score, video, strict=True)]

    notes = [str(rng.choice(_NOTES)) if x < 0.15 else None for x in rng.uniform(size=n)]
    keep = rng.uniform(size=n) >= rates["no_journal"]
    frame = pl.DataFrame({
        "date": done["date"], "runner_id": done["runner_id"],
        # runners note the day and time, not a file's id: link with journal.attach
        "run_id": pl.Series([None] * n, dtype=pl.String),
        "perceived_tempo": tempo.astype(np.int64), "foot_strike": foot.tolist(),
        "comfort": comfort.astype(np.int64), "rpe": rpe.astype(np.int64),
        "surface": surface.tolist(), "temperature_c": done["temperature_c"],
        "humidity_pct": done["humidity_pct"],
        "rubric_cadence_consistency": pl.Series(rubric(), dtype=pl.Int64),
        "rubric_landing_quietness": pl.Series(rubric(), dtype=pl.Int64),
        "rubric_upright_posture": pl.Series(rubric(), dtype=pl.Int64),
        "notes": pl.Series(notes, dtype=pl.String), "video": pl.Series([None] * n, dtype=pl.String),
        "time": done["local_time"], "true_run_id": done["run_id"],
    })
    return frame.filter(pl.Series(keep))
