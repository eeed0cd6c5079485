"""Walk/run segmentation where walking and jogging overlap: mean and worst session per
cell, per cadence gap (jog − walk cadence) and speed gap (jog − walk speed), with speed,
with running dynamics, with cadence only; interval programmes and free walk breaks.

Sessions from :func:`runlab.simulate.walk_run_session` (walks 120–145 spm, jogs from 128
spm, 1:1, 2:1, 3:1 and 90 s:90 s programmes, each switch a few seconds after its beep;
or, "free breaks", every bout 20–300 s at will; cadence noise SD 3 spm per second and a
drifting level) are written as FIT files, read back and cleaned; the share of seconds whose
``gait`` is right is scored with 5 s around each switch left out. "today" is the
non-overlapping speeds of the earlier simulator (walks 1.5–1.85, jogs 2.05–2.5 m/s); a
number is the overlapping-speed setting: a brisk walk at 1.9–2.1 m/s and a jog that much
faster (at least 1.9 m/s). Dynamics are stance time and vertical oscillation written while
walking too (as pods and straps do).

Seeds: 0–11 are the tests'; 4000–4099 (``--dev-old``) the ones the hidden semi-Markov model
was developed on; 5000–5199 (``--holdout-old``), fixed before that work began and run once on
its final code (the table below; now spent, used as further development seeds).
The one-or-two-gaits decision and the programme split were then developed on **6000–6099**
(``--dev``, with 4000–4099 and 5000–5199 as extra development seeds), and **7000–7199**
(``--holdout``), fixed and committed before that work began, are run once on its final
code. ``--hmm-only`` scores the two-state hidden Markov model without the
semi-Markov re-decoding (the previous release); ``--oracle`` adds, for cadence-only cells, a
decoder that knows each session's true cadences, noise and bout-length distribution (an
explicit-duration model with the true parameters; in-memory records): what the file allows.

Held-out, 200 sessions per cell (seeds 5000–5199), mean (worst session), share of seconds
right — previous two-state HMM → with the session's bout lengths; oracle:

==================================  ===============  ===============  ===============
cell                                HMM (before)     HSMM (now)       oracle
==================================  ===============  ===============  ===============
cadence only, 4 spm, programme      95.6 % (33 %)    97.0 % (33 %)    99.4 % (90.3 %)
  worst but the one-gait session    75.6 %           75.7 %
cadence only, 4 spm, free breaks    96.0 % (82.2 %)  96.2 % (81.4 %)  97.1 % (85.4 %)
cadence only, 6 spm, programme      99.7 % (94.9 %)  99.9 % (94.9 %)  99.9 % (95.9 %)
cadence only, 6 spm, free breaks    99.8 % (97.5 %)  99.8 % (97.7 %)  99.7 % (97.4 %)
speed, 4 spm, same speed            94.7 % (33 %)    95.7 % (33 %)
  worst but the 3 one-gait ones     78.0 %           78.0 %
speed, 4 spm, same speed, free      95.5 % (81.2 %)  95.7 % (80.4 %)
speed, 4 spm, +0.1 m/s              98.4 % (56.6 %)  98.8 % (56.6 %)
dynamics, same cadence & speed      100 % (100 %)    100 % (100 %)
today, 12 spm (speed; cadence only) 100 % (100 %)    100 % (100 %)    100 %
smart recording, 4 spm              100 % (98.1 %)   100 % (98.1 %)
continuous jogs 140–148 spm, speed  ≥ 99.9 % (85 %)  100 % (100 %)
  cadence only                      ≥ 99.9 % (85 %)  ≥ 99.9 % (90 %)
clean CPU per session (1 Hz)        0.009–0.018 s    0.20–0.32 s
==================================  ===============  ===============  ===============

Paired, session by session, 4 spm: cadence only with a programme 91 sessions gain over a
point and 7 lose (at most 2.8 points), with free breaks 34 gain and 10 lose (at most 4.8);
speed at the same speed, programme, 75 gain and 8 lose (at most 2.8).
The 33 % (seed 5030, both codes) is a session taken as one gait: its two states are 3.6 spm
apart and add 0.051 log-likelihood per sample, under ``walkrun._MIN_GAIN``; the 56.6 %
(5121) likewise (3.3 spm and 0.14 m/s, a distance of 0.99 gaits). The next worst, 75.7 %
(5194, 3:1 of 180 s and 60 s), is a fragmented first fit whose programme was found with
the right period (240 s) and the wrong split (136 s : 104 s), so the free-bout fit won:
a search over the split, and the one-or-two-gaits decision, are what is left before every
single session reaches 90 %. The oracle decodes in-memory records with each session's true
cadences, SD √10 spm and bout-length distribution.

Programme grid and one-or-two-gaits by the cadence's likelihood gain (this release),
held-out seeds **7000–7199** run once, mean (worst session), before → after; the same
sessions, clean on each release's code:

==================================  ===============  ===============  =================
cell                                before           after            sessions < 90 %
==================================  ===============  ===============  =================
cadence only, 4 spm, programme      97.1 % (58.5 %)  99.4 % (58.5 %)  8 → 1
  second worst                      85.3 %           93.3 %
cadence only, 4 spm, free breaks    96.5 % (82.6 %)  96.5 % (82.6 %)  7 → 8
cadence only, 6 spm, programme      99.9 % (94.8 %)  99.9 % (94.8 %)  0 → 0
cadence only, 6 spm, free breaks    99.8 % (94.4 %)  99.8 % (94.4 %)  0 → 0
speed, 4 spm, same speed            96.3 % (56.3 %)  98.7 % (58.5 %)  20 → 9
  second worst                      57.7 %           75.6 %
speed, 4 spm, same speed, free      95.8 % (66.5 %)  95.8 % (66.5 %)  14 → 14
speed, 4 spm, +0.1 m/s              98.9 % (56.3 %)  99.9 % (94.9 %)  2 → 0
dynamics; today 12 spm; smart rec.  100 %            100 %
continuous jogs 140–148, speed      100 % (100 %)    ≥ 99.9 % (87.3 %: 7089 at 148)
  cadence only                      ≥ 99.9 % (89.8)  100 % (100 %)
clean CPU per ambiguous session     0.17–0.27 s      0.24–0.51 s
  per continuous jog / steady walk  0.002–0.006 s    0.013–0.058 s
==================================  ===============  ===============  =================

Session by session (> 1 point): cadence-only programmes 97 gain, 2 lose (≤ 1.3); speed at
the same speed 91 gain, 2 lose (≤ 4.4); +0.1 m/s 40 gain, 1 loses (1.0); free breaks with
cadence only 0 gain, 2 lose (≤ 7.9). The worst programme session (7196, cadence only and
with speed) is taken as one gait: its second state adds 0.029 per sample to the cadence's
likelihood, 0.055 (``walkrun._MIN_GAIN``) needed. Development seeds 6000–6099, before →
after: cadence-only programme 97.3 (81.6) → 99.6 (90.6), free 96.6 (88.8) unchanged,
same speed 96.9 (66.7) → 99.4 (93.0), +0.1 m/s 98.7 (66.7) → 99.7 (93.0).

Since then (``walkrun._MIN_GAIN_ALL``): with speed, a fit a gait's worth apart that adds
little to the cadence must add 0.12 per sample to cadence and speed together (a jog's
speed drifts with its cadence). Continuous jogs with speed on fresh seeds 8000–8399 (140,
144, 148 spm; 1,200 sessions): worst 78.4 % (8020 at 148) → all 100 %; dev 6000–6099:
jog 148 with speed 99.92 (91.7) → 100 %, every other session of the speed cells, the
steady and two-pace walks unchanged (cadence only and dynamics: the same code path).

The next round (the one-or-two-gaits decision from the programme grid's evidence, the
two-walking-paces split) is developed on 6000–6099 and 8000–8399 (both seen); **9000–9199**
(``--fresh``), fixed and committed before that work began, are run once on its final code.

Third round (``walkrun._programme_gain``: a fit under a gait's worth whose timer grid won
is two gaits when the grid's states add ≥ 0.08 per sample to the cadence; ``_plausible``:
with speed, a faster state under 1.8 m/s and 150 spm is a walking pace). Development, every
session old vs new (6000–6099, 7000–7199 and 8000–8399 where recorded): only these changed —
7196 58.5 → 100 % (cadence only) and → 89.5 % (same speed); 60 s:60 s programmes 4 spm
apart (8000–8199, a dev-only cell) sessions under 90 % 19 → 6 (cadence only, mean 95.4 →
98.1 %) and 34 → 13 (speed, 90.9 → 96.7 %); two walking paces with speed (all-walk
sessions below) 15 of 500 at 48 % → 100 %; a 140–148-spm jog whose grid gained 0.061
(8059) stays 100 % (at a 0.06 threshold it read 31 %); no session worse.
**Fresh 9000–9199, run once, old → new**, mean (worst), sessions < 90 %:

==================================  ========================  ========================
cell                                before                    after
==================================  ========================  ========================
cadence only, 4 spm, programme      99.6 % (85.7 %), 1        unchanged
cadence only, 4 spm, free breaks    96.5 % (87.7 %), 6        unchanged
cadence only, 6 spm, programme      99.96 % (99.1 %), 0       unchanged
cadence only, 6 spm, free breaks    99.7 % (95.4 %), 0        unchanged
speed, 4 spm, same speed            98.8 % (56.0 %), 6        unchanged
speed, 4 spm, same speed, free      96.0 % (80.1 %), 11       unchanged
speed, 4 spm, +0.1 m/s              99.8 % (86.5 %), 2        unchanged
dynamics; today 12 spm; smart rec.  100 % (≥ 99.6 %), 0       unchanged
continuous jogs 130–148, speed      100 % (100 %)             unchanged
continuous jogs 140–148, cadence    100 % (100 %)             unchanged (grid gain ≤ 0.055)
steady walk, speed / cadence only   100 % / 73.0 % (0 %)      unchanged
two walking paces, speed            99.0 % (47.6 %), 4        **100 % (100 %), 0**
two walking paces, cadence only     57.9 % (44.5 %)           unchanged
==================================  ========================  ========================

No fresh session reached the grid decision (none was a programme left one gait). The
oracle (true cadences and bout lengths, cadence only) on every fresh session under 90 %:
programmes 95.8–100 % where runlab gets 56–90 % (9035, 90 s:90 s at the same speed: 56 vs
98 %) — not what the file allows; free breaks 89.9–98.7 % where runlab gets 80–90 %
(9170: the oracle 89.9 %) — near it. Cadence alone cannot tell a steady walk at 137–145
spm, or a walk's faster pace, from a jog.

The fourth round (programme sessions' period and grid; the oracle shows them method-limited)
is developed on every seed above (6000–6099, 7000–7199, 8000–8399, 9000–9199, all seen);
**10000–10199** (``--fresh2``), fixed and committed before that work began, are run once on
its final code. Of the worst dev sessions, 9018 (180 s:60 s, same speed; 80.2 %) had its
running score's autocorrelation peak at 487 s (twice the period) and 137 s, and the grid
found at 138 s lost to the bout-length fit: half of each candidate is now tried
(``_intervals.fit``; 99.5 %). 9126 and 9070 (85.7 %, 86.5 %) are a last run whose cadence
fell to the walk's (126.8 vs 124.2 spm walking): the grid ends a cycle early, the oracle
keeps it from the bout lengths alone. 9035 (56 %) is a fit whose faster state, 139.6 spm
at 1.898 m/s, is neither a jog's speed (1.9) nor cadence (140): taking such a state on its
cadence (56 → 86.6 %) also made walks at 134 spm and 1.85 m/s a jog (the two-brisk-paces
test, 48 %), so it was withdrawn. Dev, old → new, mean (worst), sessions < 90 % (seeds
6000–6099, 7000–7099, 8000–8199): same speed 98.67 (35.7) 15 → 98.93 (35.7) 10; cadence
only 4 spm 99.53 (85.2) 2 → 99.62 (87.5) 1; 60 s:60 s cadence only 98.05 (56.6) 6 → 98.60
(90.5) 0, with speed 96.65 (40.2) 13 → 96.93 (40.2) 11; +0.1 m/s 99.81 → 99.84 %; free
breaks, 6 spm, jogs, walks, today, dynamics, smart recording unchanged; no session down
more than 0.2 points. **Fresh 10000–10199, run once, old → new**, mean (worst), < 90 %:
same speed 99.02 % (84.3 %) 6 → 99.22 % (84.7 %) 4 (5 sessions up, none down); +0.1 m/s
99.91 % (95.2 %) 0 → 99.92 %; unchanged: same speed with free breaks 95.70 % (24.4 %) 11,
cadence only 4 spm 99.71 % (94.0 %) 0, with free breaks 96.61 % (80.9 %) 6, 6 spm
99.96 % (98.8 %) and 99.81 % (94.9 %) 0; dynamics, today (with speed and cadence only),
smart recording, continuous jogs 130–148 spm (speed) and 140–148 (cadence only), steady and
two-pace walks with speed 100 %; steady walks cadence only 82.5 % (0 %), two paces 62.2 %.

Targets (issue 21): ≥ 95 % with speed or running dynamics, ≥ 90 % with cadence only.

Run: ``python benchmarks/validate_gait.py [--fresh2 | --fresh | --holdout | --dev] [--seeds N] [--hmm-only]
[--oracle] [--cells NAME ...] [--sweep]``.
"""

from __future__ import annotations

import argparse
import inspect
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_walkrun import gait_of_file, scored, session, session_params

from runlab import _hsmm, walkrun
from runlab.simulate import walk_run_session

FREE_S = (20.0, 300.0)
#: name → (cadence gap [spm], speed gap [m/s] or None for "today"'s speeds, session options)
CELLS = {
    "cadence only, 4 spm": (4.0, None, {"speed": False}),
    "cadence only, 4 spm, free breaks": (4.0, None, {"speed": False, "free_bouts_s": FREE_S}),
    "cadence only, 6 spm": (6.0, None, {"speed": False}),
    "cadence only, 6 spm, free breaks": (6.0, None, {"speed": False, "free_bouts_s": FREE_S}),
    "speed, 4 spm, same speed": (4.0, 0.0, {"speed": True}),
    "speed, 4 spm, same speed, free": (4.0, 0.0, {"speed": True, "free_bouts_s": FREE_S}),
    "speed, 4 spm, +0.1 m/s": (4.0, 0.1, {"speed": True}),
    "dynamics, same cadence & speed": (0.0, 0.0, {"speed": True, "dynamics": True,
                                                  "walk_dynamics": True}),
    "today, 12 spm": (12.0, None, {"speed": True}),
    "today, 12 spm, cadence only": (12.0, None, {"speed": False}),
    "smart recording, 4 spm": (4.0, None, {"speed": True, "smart_recording": True}),
}
CADENCE_GAPS_SPM = (0.0, 2.0, 4.0, 6.0, 8.0, 12.0, 20.0)
SPEED_GAPS_MPS = (None, 0.0, 0.1, 0.2, 0.3)
MODES = {
    "speed": {"speed": True},
    "speed + dynamics": {"speed": True, "dynamics": True, "walk_dynamics": True},
    "dynamics, no speed": {"speed": False, "dynamics": True, "walk_dynamics": True},
    "dynamics jog only": {"speed": False, "dynamics": True},
    "cadence only": {"speed": False},
    "speed, smart rec.": {"speed": True, "smart_recording": True},
}


def accuracy(folder: Path, seeds: range, gap: float, speed_gap, kw: dict
             ) -> tuple[np.ndarray, float]:
    """Share of seconds right per session, and clean's CPU seconds per session."""
    out, cpu = [], 0.0
    for s in seeds:
        rec, truth = session(s, gap, speed_gap, **kw)
        t0 = time.process_time()
        cleaned = gait_of_file(folder, rec)
        cpu += time.process_time() - t0
        out.append(scored(cleaned, rec, truth))
    return np.array(out), cpu / max(len(seeds), 1)


def _lengths(nominal_s: float, d_max: int, free, rng) -> np.ndarray:
    """Log-probability of a complete bout lasting 1 … d_max s: the programme's interval (or
    a uniform free bout) plus the difference of two switch delays."""
    delay = inspect.signature(walk_run_session).parameters["switch_delay_s"].default
    k = 200_000
    base = rng.uniform(*free, k) if free else np.full(k, float(nominal_s))
    d = np.round(base + rng.gamma(2.0, delay / 2, k) - rng.gamma(2.0, delay / 2, k))
    h = np.bincount(np.clip(d.astype(int), 1, d_max), minlength=d_max + 1)[:d_max + 1] + 1e-3
    h[0] = 0.0
    with np.errstate(divide="ignore"):
        return np.log(h / h.sum())


def oracle(seeds: range, gap: float, kw: dict) -> np.ndarray:
    """Cadence-only sessions decoded with the truth's parameters: the walk and jog cadences,
    per-second SD √(3² + 1²) (noise and the drifting level) and each state's true bout-length
    distribution, by the explicit-duration forward–backward (runlab._hsmm)."""
    rng = np.random.default_rng(0)
    out = []
    for s in seeds:
        p = session_params(s, gap)
        rec, truth = session(s, gap, None, **kw)
        c = rec["cadence_spm"].to_numpy()
        mu = np.array([p["walk_cadence_spm"], p["jog_cadence_spm"]])
        log_e = -0.5 * ((c[:, None] - mu[None, :]) / np.sqrt(10.0)) ** 2
        free = kw.get("free_bouts_s")
        log_len = np.stack([_lengths(p["walk_s"], c.size, free, rng),
                            _lengths(p["run_s"], c.size, free, rng)])
        run, _, _ = _hsmm.posterior(log_e, log_len)
        labelled = pl.DataFrame({"timestamp": rec["timestamp"],
                                 "gait": np.where(run > 0.5, "run", "walk")})
        out.append(scored(labelled, rec, truth))
    return np.array(out)


def cells(folder: Path, seeds: range, names, with_oracle: bool) -> None:
    print(f"\n{'cell':<36} {'mean':>7} {'worst':>7} {'seed':>5}  clean CPU/session"
          + ("   oracle mean (worst)" if with_oracle else ""))
    for name in names:
        gap, speed_gap, kw = CELLS[name]
        acc, cpu = accuracy(folder, seeds, gap, speed_gap, kw)
        line = (f"{name:<36} {acc.mean():7.1%} {acc.min():7.1%} "
                f"{seeds[int(acc.argmin())]:>5}  {cpu:.3f} s")
        if with_oracle and not kw.get("speed") and not kw.get("dynamics"):
            o = oracle(seeds, gap, kw)
            line += f"   {o.mean():7.1%} ({o.min():5.1%})"
        print(line, flush=True)


def table(folder: Path, seeds: range, mode: str, speed_gaps) -> None:
    head = " ".join(f"{'today' if g is None else f'{g:+.1f} m/s':>17}" for g in speed_gaps)
    print(f"\n{mode}: mean (min) by speed gap\n{'cad. gap':>8} {head}")
    for gap in CADENCE_GAPS_SPM:
        accs = [accuracy(folder, seeds, gap, g, MODES[mode])[0] for g in speed_gaps]
        print(f"{gap:>5.0f}spm " + " ".join(f"{c.mean():8.1%} ({c.min():5.1%})"
                                            for c in accs), flush=True)


def continuous_jogs(folder: Path, seeds: range) -> None:
    """Share of seconds called "run" in 20-min continuous jogs at 140–148 spm."""
    print("\ncontinuous slow jogs (20 min): share of seconds called run, mean (min)")
    for cadence in (130.0, 140.0, 144.0, 148.0):
        line = []
        for speed in (True, False):
            s = []
            for seed in seeds:
                rng = np.random.default_rng(seed)
                rec, _ = walk_run_session(
                    run_s=1200, repeats=1, warmup_s=0, cooldown_s=0, jog_cadence_spm=cadence,
                    jog_speed_mps=rng.uniform(2.0, 2.3), speed=speed, seed=seed)
                s.append(float((gait_of_file(folder, rec)["gait"] == "run").mean()))
            line.append(f"{'speed' if speed else 'cadence only'} {np.mean(s):6.1%} "
                        f"({np.min(s):5.1%})")
        print(f"{cadence:>5.0f} spm  " + "   ".join(line), flush=True)


def walk_session(seed: int, two_paces: bool, speed: bool) -> pl.DataFrame:
    """An all-walk session: a steady 30-min walk at 110–145 spm and 1.3–1.85 m/s, or two
    walking paces 5 min each, three times (1.4 and 1.75 m/s; 112–130 spm and 4–12 spm
    faster, so the faster reaches a slow jog's 140 spm)."""
    rng = np.random.default_rng(seed)
    if two_paces:
        c = rng.uniform(112.0, 130.0)
        return walk_run_session(run_s=300, walk_s=300, repeats=3, walk_cadence_spm=c,
                                jog_cadence_spm=c + rng.uniform(4.0, 12.0),
                                walk_speed_mps=1.4, jog_speed_mps=1.75, speed=speed,
                                seed=seed)[0]
    return walk_run_session(run_s=0, repeats=1, warmup_s=1800, cooldown_s=0,
                            walk_cadence_spm=rng.uniform(110.0, 145.0),
                            walk_speed_mps=rng.uniform(1.3, 1.85), speed=speed, seed=seed)[0]


def walks(folder: Path, seeds: range) -> None:
    """Share of seconds called "walk" in all-walk sessions (:func:`walk_session`)."""
    print("\nall-walk sessions: share of seconds called walk, mean (min)")
    for two in (False, True):
        line = []
        for speed in (True, False):
            s = [float((gait_of_file(folder, walk_session(seed, two, speed))["gait"]
                        == "walk").mean()) for seed in seeds]
            line.append(f"{'speed' if speed else 'cadence only'} {np.mean(s):6.1%} "
                        f"({np.min(s):5.1%})")
        print(f"{'two paces' if two else 'steady':<10}" + "   ".join(line), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=None, help="how many (12; 200 held out)")
    ap.add_argument("--holdout", action="store_true", help="seeds 7000–7199, run once")
    ap.add_argument("--fresh", action="store_true",
                    help="seeds 9000–9199, fixed before the third round, run once on its final code")
    ap.add_argument("--fresh2", action="store_true",
                    help="seeds 10000–10199, fixed before the fourth round, run once on its final code")
    ap.add_argument("--dev", action="store_true", help="seeds 6000+, developed on")
    ap.add_argument("--holdout-old", action="store_true",
                    help="seeds 5000–5199 (the previous release's held-out set, now spent)")
    ap.add_argument("--dev-old", action="store_true", help="seeds 4000+ (developed on)")
    ap.add_argument("--hmm-only", action="store_true",
                    help="the two-state HMM without the semi-Markov re-decoding")
    ap.add_argument("--oracle", action="store_true")
    ap.add_argument("--cells", nargs="*", default=list(CELLS))
    ap.add_argument("--sweep", action="store_true", help="also every gap × speed × mode")
    args = ap.parse_args()
    first = (10000 if args.fresh2 else 9000 if args.fresh else 7000 if args.holdout else 6000 if args.dev
             else 5000 if args.holdout_old else 4000 if args.dev_old else 0)
    count = args.seeds or (200 if args.fresh2 or args.fresh or args.holdout or args.holdout_old
                           else 100 if args.dev or args.dev_old else 12)
    seeds = range(first, first + count)
    if args.hmm_only:
        walkrun._semi_markov = lambda x, parts, run, *a, **k: (run, None)
    folder = Path(tempfile.mkdtemp(prefix="runlab-gait-"))
    print(f"seeds {seeds.start}–{seeds.stop - 1}"
          + (" (two-state HMM only)" if args.hmm_only else ""))
    cells(folder, seeds, args.cells, args.oracle)
    continuous_jogs(folder, seeds)
    walks(folder, seeds)
    if args.sweep:
        for mode in MODES:
            table(folder, seeds, mode, SPEED_GAPS_MPS if MODES[mode].get("speed") else (None,))


if __name__ == "__main__":
    main()
