"""Strides and hill reps on smart recording (records 1–7 s apart): real files against hand
labels, and simulated sessions written as files and read back.

Real: ``tests/data/smart_recording_efforts.tsv`` holds, per running file of the corpus
recorded with smart recording, the short efforts and hill reps seen in plotted speed,
cadence, altitude and grade (labelled before the detectors were changed). For each file the
script prints what :func:`runlab.gait.strides` and :func:`runlab.gait.hills` find: found
(within 60 s of a labelled start) and invented (the rest).

Simulated: technique and hill-rep sessions of ``runlab.simulate`` cohorts (and as many other
sessions, where nothing may be found) written as FIT, TCX or GPX with records 1–7 s or
4–7 s apart, with and without cadence, two cells on a rough course (rolling hills and a
wandering GPS fix), one with GPS spikes in every run, read back and cleaned (``CELLS`` in
``tests/test_smart_recording.py``). A planned stride or rep is found when a detection
overlaps it (10 s either side); a detection overlapping none is invented. The detectors
were tuned on seeds 0–1; the default seeds 1000+ were never looked at while tuning (the
spike cell was added after tuning and never tuned on).

Held-out real: ``tests/data/smart_recording_efforts_heldout.tsv`` labels 17 further real
smart-recording running files from public repositories (Runalyze, sports-lib,
sport-activities-features; records 1–16 s apart), labelled by hand before the detectors were
first run on them (the TSV's notes say what was a judgement call). Only the MIT-licensed one
is stored
(``tests/data/smart_recording``); the others are read from ``--heldout DIR`` (default
``$RUNLAB_EFFORT_FILES``) as ``DIR/<owner>+<name>/<path>``, checked against their SHA-256.
First run, on the unchanged detectors: 1 of 3 labelled short efforts found (a 15-s sprint
missed, a 55-s finishing sprint running to the end of the file refused, a fast restart
after a stop found), 7 strides invented on one mountain run (descent running), none on the
other 16; hill reps: none labelled, none invented (laps of a loop and an out-and-back
crossing the same bumps were not taken for reps). Those failures led to three rules in
:func:`runlab.gait.strides` (a finishing sprint that steps up from the session's pace is an
effort; a lone effort must not be slower than the median at its flat-equivalent speed; an
effort is narrowed to its width at half height), developed on the corpus files and
simulated seeds 0–1. Second run (the held-out files are no longer unseen): 3 of 3 found,
1 invented (a 7-s phone-GPS speed burst with cadence +5 % at the start of the mountain run),
hill reps unchanged. Simulated seeds 1000–1004: every cell's figures identical before and
after the three rules — strides 98.9–99.7 % of 963 found, hill reps 96.1–100 % of 741, none
invented in any cell.

Fresh real (session 6), both read from ``--heldout DIR`` like the others:
``tests/data/smart_recording_efforts_fresh.tsv`` labels 8 more files (two running_page
exports — a Garmin watch at 1–9 s, a phone app at 3–18 s — and tcx-test-files), committed
before the detectors ran on them. First run: 0 of 21 short efforts found, none invented (20
are 1-min fartlek surges, marked UNCERTAIN: candidates that formed no set, the jog running at
the session's median speed and the cadence around each surge holding its neighbours; the
21st a phone-recorded finishing sprint without cadence); 3 hill reps invented on a phone run
round a track's oval. Those failures led to the fartlek rules of :func:`runlab.gait.strides`
and the came-back-down rule of :func:`runlab.gait.hills`; since: 17 of 21 found, none
invented, no hill reps invented (no longer unseen).
``tests/data/smart_recording_efforts_fresh2.tsv`` labels 6 FIT files of another runner
(x3cl/running_page), committed before the detectors ran and scored once before and once
after those rules: 4 → 5 of 10 short efforts found (10 × 10-s sprints), 0 → 0 invented,
0 → 0 hill reps invented (run–walk intervals, noisy GPS, walked hill repeats, a hilly loop).
Simulated seeds 1000–1004 after the rules: strides 99.6–99.7 % (98.9 % GPX 4–7 s on the rough
course), hill reps 95.8–100 %, none invented.

Third fresh set (session 7), ``tests/data/smart_recording_efforts_fresh3.tsv``, also read from
``--heldout DIR``: 10 files picked from 6,812 not screened before (running_page exports of
eight more runners, fnardmann/run-stats) — 8 of one trail runner with a watch (1–12 s
apart) and 2 interval sessions of another — with the first real RUN hill reps found: 36 reps
up four hills (8–24 m, 25–110 s each, walked or jogged down). Labels carry each effort's type
(``sprint``: 10–15-s sprints; ``hillsprint``: a hill rep of ≤ ~60 s; ``fastrep``: 50–75-s fast
repeats between walks, uncertain), the hill reps' starts, and the starts of 80–120-s
intervals, where a stride detection is counted apart (neither found nor invented). Labels
committed (5ece442) before the detectors ran; run once on the unchanged detectors: hill reps
34 of 34 found, 2 invented — both the first climb of a set, which the labels had taken for
the approach (a smoothed-altitude labelling error: the runner stops at the foot and runs
the same climb); with those two labels corrected after that run, 36 of 36 found, 0
invented. Short efforts: sprint 15 of 19 (10-s and 15-s sprints; missed: two first
sprints, one with cadence dropouts, one last), hillsprint 15 of 16, fastrep 5 of 7; 2
invented (a 37-s restart after a walk at 2.45 m/s, a 40-s push before a stop), 1 on a
2-min interval; nothing on the 400-m intervals. Those misses led to three rules in
:func:`runlab.gait.strides` — a zero cadence inside an effort is a pod dropout (a sprint
read 0 spm); a set is judged on the cadence of the members that have one (one sprint with
no cadence had failed its whole set); efforts are alike by their speed on the flat (the
restart after a walk had joined ten hill sprints, alike in raw speed) — after which the
third set is seen: sprint 17 of 19, hillsprint 15 of 16, fastrep 5 of 7, 1 invented (the
push before a stop), 1 on a 2-min interval; hill reps unchanged. Unchanged by them: the
corpus files, the 17 held-out files, set 1 (17 of 21) and set 2 (5 of 10), and every cell
of simulated seeds 1000–1004 and 2000–2004 (strides 96.7–99.7 %, hill reps 95.8–100 %,
none invented).

Fourth fresh set (session 7), ``tests/data/smart_recording_efforts_fresh4.tsv``: 9 files of
the same trail runner never looked at while changing the detectors, labelled (45c7636)
before the detectors ran — 3 real smart-recording 15-s sprint workouts, and 6 sessions of
run hill reps recorded every second, which the benchmark thins to 1–7 s (real motion,
simulated spacing). Run once on the detectors above: sprints 21 of 24 found, 0 invented;
hill reps 7 of 29 found, 1 invented — on those files a long climb with a flatter middle
falls apart into pieces that no longer match, and 15–22-s sprints up an 8-m rise form
sets of 1–2, so most reps go unfound (looked at after that run).

Session 8, on the fourth set (now seen), per rep: of the 22 reps missed, 11 (three
sessions up a 25-m hill) were lost because their climbs fell apart into 5–23-m pieces at
a flatter middle (even at 1 s), the reps went up one side of the hill and down the other
(the runner turns at the foot and goes up the way they came down: the came-back-down rule
failed), the two ways up end up to 50 m apart, and a walked rep broke a set; 7 (two
sessions of 6–10-m reps) had their first thinned record late, so the climb began higher
and 60 m up the hill — off in altitude (the foot tolerance was half the smaller gain) and
off the other reps' tracks; 4 in the 2015 Suunto file, where one record in six carries
distance (thinned: one a minute), so forward-filled distance lost the grades and 3 of 7
reps were no climbs. Rules added (each a test failing on the old code): climbs joined across
a moving landing of under 60 s that never drops 3 m; the shorter climb's foot and top on
the longer one's track (a fifth of its length on long hills); came back down past either
climb's midpoint, heading down; a walked climb of the hill keeps a set going (reps are
its run climbs); ``runlab.clean`` interpolates a sparse distance in time for the grade;
and in :func:`runlab.gait.strides`, a side of an effort with under 10 s of running does
not set the cadence around it. After: set 4 hill reps 28 of 29 found, 3 not labelled —
two first reps the labels took for the approach (each after a stop at the foot, up the
same hill at the set's rhythm: the labelling error of set 3) and the rep labelled at 57.73
min, found at 58.95 (the runner walks a minute at the foot first; its label is the one
miss). Those three labels were then corrected (the rows' notes say why; 45c7636 has them
as first committed): 31 of 31 found, none invented (the old rules: 8 of 31, none
invented). Sprints 21 → 22 of 24, 0 invented. Set 3: hill sprints 15 → 16 of 16, fast repeats
5 → 6 of 7, the rest unchanged; the corpus, the 17 held-out files, sets 1 and 2 unchanged.
Simulated, every cell not worse: seeds 1000–1004 hill reps 739 → 740 (FIT, rough course)
and 710 → 712 of 741 (GPX 4–7 s, rough course), 2000–2004 708 → 709 (FIT 4–7 s), 709 → 710
(FIT, rough), 684 → 686 of 711 (GPX 4–7 s, rough) and 708 → 709 (GPS spikes); strides
identical; none invented.

Fifth fresh set (session 8), ``tests/data/smart_recording_efforts_fresh5.tsv``: 7 files from
two repository snapshots never used before (wuyueSea/my_running_page, tiny656/running_page;
1,458 files screened, plus 2,148 unusable GPX files of hugh-zhan9/running_page), labelled
by hand and committed (cdd679a) before runlab's detectors or ``runlab.clean`` ran on them.
The screen found no short efforts and no run hill reps in these snapshots, so the set
measures only what is invented: 8 × 400 m and 3 × 400 m track intervals (1-s records
thinned to 1–7 s), a steady city run with GPS speed bursts (thinned), two runs of laps of
a hilly loop (12 m up one side, down the other; a phone app's 5-s records) and two steady
5-s watch files. Scored once, on the detectors above: 0 strides and 0 hill reps invented,
no stride detection on the 11 intervals.

Then, on the seen sets, the remaining sprint misses: the first sprint of a workout ran on
from a 10-min warm-up at 3.0 m/s, itself quick against a session median set by 2.3-m/s
jogs and walks, into one stretch longer than ``max_s`` (dropped); one last sprint the same
with the cool-down. Rule (test failing on the old code): within a stretch longer than
``max_s``, a flat part ``min_gain`` above the stretch's own median is a candidate (a climb
in it is not: hill reps of 75–120 s gave four such candidates before the flat condition).
Set 4 sprints 22 → 23 of 24, set 3 sprints 17 → 18 of 19; nothing else changed on the
corpus, the held-out files and sets 1, 2, 3 and 5 (5 then seen: still none invented).
Still missed: a first sprint whose recorded speed is high in one record only (4.1 m/s at
15.23 min, 2.8 m/s 6 s later: the watch kept no other record of it), a sprint with
cadence dropouts (set 4), a sprint and a 75-s fast repeat (set 3).

Target (issue 21): ≥ 95 % found and none invented, on simulated and real files.

Run: ``python benchmarks/smart_recording_efforts.py [--corpus DIR] [--heldout DIR] [--seeds 5]
[--first-seed 1000] [--tuning] [--only real|simulated]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_smart_recording import (
    CELLS,
    EFFORT_FILES,
    FRESH,
    FRESH2,
    FRESH3,
    FRESH4,
    FRESH5,
    HELDOUT,
    TUNING_SEEDS,
    heldout_file,
    heldout_labels,
    labels,
    score,
    score_simulated,
    score_typed,
    simulated_file,
    simulated_runs,
    typed_labels,
)


def real(corpus: Path) -> None:
    print(f"real smart-recording files ({corpus})")
    print(f"{'file':48} {'cad':>3} {'efforts':>7} {'found':>5} {'invented':>8} "
          f"{'hill reps':>9} {'found':>5} {'invented':>8}")
    for row in labels().iter_rows(named=True):
        r = score(corpus / row["path"], row["efforts_min"], int(row["hill_reps"]))
        print(f"{Path(row['path']).name[:48]:48} {'yes' if r['cadence'] else 'no':>3} "
              f"{r['efforts']:>7} {r['found']:>5} {r['invented']:>8} {r['hill_reps']:>9} "
              f"{r['reps_found']:>5} {r['reps_invented']:>8}", flush=True)


def heldout(folder: str | None, tsv: Path = HELDOUT) -> None:
    import test_smart_recording as t

    t.EFFORT_FILES = folder
    print(f"\n{tsv.name}: real smart-recording files labelled before the detectors ran "
          f"({folder})")
    print(f"{'repository':28} {'file':34} {'cad':>3} {'efforts':>7} {'found':>5} "
          f"{'invented':>8} {'hill reps':>9} {'found':>5} {'invented':>8}")
    total = [0, 0, 0, 0, 0]
    for row in heldout_labels(tsv).iter_rows(named=True):
        path = heldout_file(row)
        name = Path(row["path"]).name[:34]
        if path is None:
            print(f"{row['repo'][:28]:28} {name:34} (not here)")
            continue
        r = score(path, row["efforts_min"], int(row["hill_reps"]))
        total = [a + b for a, b in zip(total, (1, r["efforts"], r["found"], r["invented"],
                                                r["reps_invented"]), strict=True)]
        print(f"{row['repo'][:28]:28} {name:34} {'yes' if r['cadence'] else 'no':>3} "
              f"{r['efforts']:>7} {r['found']:>5} {r['invented']:>8} {r['hill_reps']:>9} "
              f"{r['reps_found']:>5} {r['reps_invented']:>8}", flush=True)
    print(f"{total[0]} files: {total[2]} of {total[1]} short efforts found, {total[3]} invented; "
          f"{total[4]} hill reps invented")


def typed(folder: str | None, tsv: Path = FRESH3) -> None:
    """Per effort type found; detections on no label: on a hill rep or a longer fast repeat
    (apart) or invented; hill reps found (timed) and invented."""
    import test_smart_recording as t

    t.EFFORT_FILES = folder
    print(f"\n{tsv.name}: per effort type, labelled before the detectors ran ({folder})")
    print(f"{'file':34} {'cad':>3} {'efforts found (type: found/labelled)':44} {'invented':>8} "
          f"{'on rep':>6} {'on int.':>7} {'hill reps':>9} {'found':>5} {'invented':>8}")
    kinds: dict[str, list[int]] = {}
    total = [0, 0, 0, 0, 0, 0, 0]
    for row in typed_labels(tsv).iter_rows(named=True):
        path = heldout_file(row)
        name = Path(row["path"]).name[:34]
        if path is None:
            print(f"{name:34} (not here)")
            continue
        r = score_typed(path, row)
        for kind, (n, f) in (r["per_type"] or {}).items():
            kinds.setdefault(kind, [0, 0])
            kinds[kind] = [kinds[kind][0] + n, kinds[kind][1] + f]
        total = [a + b for a, b in zip(total, (1, r["invented"], r["on_hill_rep"],
                                                r["on_interval"], r["hill_reps"],
                                                r["reps_found"], r["reps_invented"]),
                                         strict=True)]
        found = ("not labelled" if r["per_type"] is None
                 else ", ".join(f"{k}: {f}/{n}" for k, (n, f) in r["per_type"].items()) or "-")
        print(f"{name:34} {'yes' if r['cadence'] else 'no':>3} {found:44} {r['invented']:>8} "
              f"{r['on_hill_rep']:>6} {r['on_interval']:>7} {r['hill_reps']:>9} "
              f"{r['reps_found']:>5} {r['reps_invented']:>8}", flush=True)
    per = ", ".join(f"{k} {f} of {n}" for k, (n, f) in kinds.items())
    print(f"{total[0]} files: short efforts found {per}; {total[1]} invented, {total[2]} on hill "
          f"reps, {total[3]} on longer fast repeats; hill reps {total[5]} of {total[4]} found, "
          f"{total[6]} invented")


def simulated(seeds: list[int]) -> None:
    print(f"\nsimulated files, seeds {seeds[0]}–{seeds[-1]} "
          f"({'tuned on' if seeds[0] in TUNING_SEEDS else 'not tuned on'}): "
          "planned / found (%) / invented")
    print(f"{'cell':38} {'strides':>26} {'hill reps':>26} {'sessions':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for cell, (fmt, spacing, cadence, hilly, spikes) in CELLS.items():
            total = {"strides": [0, 0, 0], "hill_reps": [0, 0, 0]}
            n = 0
            for seed in seeds:
                c, runs = simulated_runs(seed, spikes=spikes)
                for run in runs.iter_rows(named=True):
                    path = simulated_file(c, run, Path(tmp), fmt, spacing, cadence, hilly)
                    for k, v in score_simulated(c, run, path).items():
                        total[k] = [a + b for a, b in zip(total[k], v, strict=True)]
                    path.unlink()
                    n += 1
            cells = [f"{t:>4} / {f:>4} ({100 * f / max(t, 1):5.1f} %) / {i}"
                     for t, f, i in total.values()]
            print(f"{cell:38} {cells[0]:>26} {cells[1]:>26} {n:>8}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", type=Path,
                    default=Path(__file__).resolve().parents[2] / "shared" / "corpus")
    ap.add_argument("--heldout", default=EFFORT_FILES,
                    help="folder of the held-out files not stored here (<owner>+<name>/<path>)")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--first-seed", type=int, default=1000,
                    help="first simulated seed (1000; 2000 for the second unseen range)")
    ap.add_argument("--tuning", action="store_true", help="score the seeds tuned on instead")
    ap.add_argument("--only", choices=("real", "simulated"),
                    help="score only the real files or only the simulated ones")
    args = ap.parse_args()
    if args.only != "real":
        seeds = (list(TUNING_SEEDS)[:2] if args.tuning
                 else list(range(args.first_seed, args.first_seed + args.seeds)))
    if args.only == "simulated":
        simulated(seeds)
        return
    if (args.corpus / "MANIFEST.tsv").exists():
        real(args.corpus)
    else:
        print(f"no corpus at {args.corpus}: real files skipped")
    heldout(args.heldout)
    heldout(args.heldout, FRESH)
    heldout(args.heldout, FRESH2)
    typed(args.heldout)
    typed(args.heldout, FRESH4)
    typed(args.heldout, FRESH5)
    if args.only != "real":
        simulated(seeds)


if __name__ == "__main__":
    main()
