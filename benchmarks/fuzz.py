"""Long fuzzing run: mutated corpus files through ``runlab.read``, in worker processes.

Uses the mutators and the per-input check of ``tests/test_fuzz.py`` (time limit, only
``ReadError`` may escape; memory: the worker's whole-process peak RSS per input, polars
included, against ``RSS_PER_MIB``/``RSS_SLACK`` on Linux, and tracemalloc on a quarter of
the other inputs). ``--kinds fit_dev_fields fit_wide_definition fit_multiply_records
--files '\\.fit$'`` runs the structural FIT mutators (issue 20) and prints the worst time and
RSS per MiB seen. Each input runs in a worker process with a
hard timeout, so a hang or a crash (segfault, abort in native code) is caught and counted
instead of stopping the run. Inputs that fail are written to ``--out`` as
``<file>~<mutation>~<seed>.bin`` with a line in ``findings.tsv``; reproduce one with
``python -c "import test_fuzz as f; f.check(open(P,'rb').read(), P)"`` from ``tests/``.

Run: ``python benchmarks/fuzz.py --minutes 20 --workers 2`` (needs the corpus);
``--kinds markup_edit point_edit --files '\\.(tcx|gpx)'`` aims at the XML layout scanner
(every TCX/GPX input is also checked against expat, see ``check_scanner`` in ``tests/conftest.py``).
Prints how many inputs were tried, outcomes per mutation and every finding.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import test_fuzz

_POOL: dict[str, bytes] = {}


def _init() -> None:
    _POOL.update(test_fuzz.seeds())


ARCHIVE = "<export.zip>"  # a job on a Strava-like export zip built from corpus files


def _blob(path: str, kind: str, seed: int, pool: dict) -> bytes:
    if path == ARCHIVE:
        zipped = test_fuzz.export_zip(pool, seed)
        return test_fuzz.ARCHIVE_MUTATORS[kind](zipped, random.Random(seed), pool)
    return test_fuzz.mutate(pool[path], kind, seed, pool)


def _rss_reset() -> int:
    """Reset this worker's peak RSS (Linux) and return its current RSS [bytes]; 0 where the
    platform cannot (then no RSS figure is reported)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
        return test_fuzz._vm("VmRSS")
    except OSError:
        return 0


def _one(job: tuple[str, str, int, bool]) -> tuple:
    path, kind, seed, strict = job
    blob = _blob(path, kind, seed, _POOL)
    name = f"{Path(path).name}~{kind}~{seed}"
    traced = seed % 4 == 0 and kind not in test_fuzz.FIT_STRUCTURE
    base = _rss_reset()
    start = time.perf_counter()
    try:
        if path == ARCHIVE:
            with tempfile.TemporaryDirectory() as tmp:
                outcome = test_fuzz.check_archive(blob, f"export~{kind}~{seed}.zip", Path(tmp))
            outcome = outcome.split(" ", 1)[0]
        else:
            outcome = test_fuzz.check(blob, name, strict=strict, memory=traced)
    except AssertionError as exc:
        outcome = f"FAIL {exc}"
    except BaseException as exc:  # anything but a ReadError is a finding
        outcome = f"FAIL {type(exc).__name__}: {exc}"[:500]
    seconds = time.perf_counter() - start
    peak = test_fuzz._vm("VmHWM") - base if base else 0  # whole worker, polars included
    limit = test_fuzz.RSS_PER_MIB * len(blob) / 2**20 + test_fuzz.RSS_SLACK
    if not traced and peak > limit and not outcome.startswith("FAIL"):
        outcome = f"FAIL RSS +{peak / 2**20:.0f} MiB > {limit / 2**20:.0f} MiB"
    return path, kind, seed, strict, outcome, (seconds, peak, len(blob))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=30.0, help="hard limit per input [s]")
    parser.add_argument("--out", type=Path, default=Path("fuzz-findings"))
    parser.add_argument("--kinds", nargs="+", choices=sorted(test_fuzz.MUTATORS),
                        default=sorted(test_fuzz.MUTATORS), help="mutators to use")
    parser.add_argument("--files", default="", help="regex: only corpus files it matches "
                        "(and no export zips), e.g. '\\.(tcx|gpx)' for the XML scanner")
    parser.add_argument("--archives", type=float, default=0.1,
                        help="share of inputs that are damaged or structurally multiplied "
                             "export zips (zip:overlap, repeat, names, special, many, ...)")
    args = parser.parse_args()
    paths = sorted(p for p in test_fuzz.seeds() if re.search(args.files, p))
    archives = args.archives if not args.files else 0.0
    rng = random.Random(args.seed)
    deadline = time.monotonic() + args.minutes * 60
    outcomes: dict[str, Counter] = {k: Counter() for k in args.kinds}
    if archives:
        outcomes.update({f"zip:{k}": Counter() for k in test_fuzz.ARCHIVE_MUTATORS})
    findings: list[tuple] = []
    worst: dict[str, list] = {}  # kind → [max s, max RSS growth, max s/MiB, max RSS/MiB]
    tried = 0
    ctx = mp.get_context("spawn")  # fork would deadlock polars thread pools
    while time.monotonic() < deadline:
        batch = [(rng.choice(paths), rng.choice(args.kinds),
                  rng.randrange(2**32), rng.random() < 0.5) if rng.random() >= archives else
                 (ARCHIVE, rng.choice(sorted(test_fuzz.ARCHIVE_MUTATORS)), rng.randrange(2**32),
                  True) for _ in range(200)]
        with ctx.Pool(args.workers, initializer=_init, maxtasksperchild=100) as pool:
            pending = [(job, pool.apply_async(_one, (job,))) for job in batch]
            for job, result in pending:
                try:
                    path, kind, seed, strict, outcome, cost = result.get(timeout=args.timeout)
                except mp.TimeoutError:
                    path, kind, seed, strict = job
                    outcome = f"FAIL hang: no result within {args.timeout} s (or worker died)"
                    cost = None
                tried += 1
                kind = f"zip:{kind}" if path == ARCHIVE else kind
                if cost is not None:
                    seconds, peak, size = cost
                    mib = max(size / 2**20, 0.25)  # per-MiB figures of inputs ≥ 256 KiB
                    w = worst.setdefault(kind, [0.0, 0, 0.0, 0.0])
                    worst[kind] = [max(w[0], seconds), max(w[1], peak),
                                   max(w[2], seconds / mib), max(w[3], peak / 2**20 / mib)]
                outcomes[kind][outcome.split(" ", 1)[0] if outcome.startswith("FAIL")
                               else outcome] += 1
                if outcome.startswith("FAIL"):
                    findings.append((path, kind, seed, strict, outcome))
                if time.monotonic() > deadline:
                    pool.terminate()
                    break
    if findings:
        args.out.mkdir(parents=True, exist_ok=True)
        pool_data = test_fuzz.seeds()
        with open(args.out / "findings.tsv", "a", encoding="utf-8") as tsv:
            for path, kind, seed, strict, outcome in findings:
                name = f"{Path(path).name}~{kind}~{seed}"
                (args.out / f"{name}.bin").write_bytes(
                    _blob(path, kind.removeprefix("zip:"), seed, pool_data))
                tsv.write(f"{name}\t{strict}\t{outcome}\n")
    print(f"inputs tried: {tried} in {args.minutes:g} min with {args.workers} workers")
    for kind, counts in outcomes.items():
        print(f"  {kind:<13} " + ", ".join(f"{k}={v}" for k, v in counts.most_common()))
    print("worst per mutation: time, peak RSS growth of the worker (whole process), and per "
          "MiB of input (inputs under 256 KiB counted as 256 KiB)")
    for kind, (sec, peak, sec_mib, rss_mib) in sorted(worst.items()):
        print(f"  {kind:<22} {sec:6.2f} s  +{peak / 2**20:5.0f} MiB  {sec_mib:5.2f} s/MiB  "
              f"{rss_mib:5.0f} MiB/MiB")
    print(f"findings: {len(findings)}")
    for path, kind, seed, strict, outcome in findings[:50]:
        print(f"  {Path(path).name} {kind} seed={seed} strict={strict}: {outcome[:300]}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
