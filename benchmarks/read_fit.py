"""FIT reading speed: runlab vs fitfast, fitdecode, fitparse and the Garmin FIT SDK.

Writes 60-minute and 4-hour 1 Hz running activities with the official SDK ``Encoder``
(``tests/fitgen.py``: GPS, heart rate, cadence, running dynamics, two developer fields,
pauses and laps), then times, in the same run, each library going from bytes to a polars
frame of the record messages (the peers converted the way a user would: fitfast's numpy
columns directly, the others one dict per record). Prints best-of-N wall times, ratios
to runlab and runlab's time by file length (a fixed cost plus a flat marginal cost per
record means linear growth).

Run: ``python benchmarks/read_fit.py`` (needs the ``test`` and ``bench`` extras).
Targets (issue 3): runlab ≤ 1.5× fitfast; ≥ 25× faster than fitdecode and the SDK.
Issue 20 (field caps, hr merge, standard columns only): the 60-min read stays within 1.2×
of :data:`BEFORE_ISSUE_20_CPU_MS`, measured on this machine just before those changes (on a
shared, loaded machine compare the two versions side by side, interleaved: CPU best
2.5–3.3 ms before, 2.9–3.2 ms after; medians 3.3–4.3 ms before, 3.5–4.4 ms after, ×1.01–1.07).
"""

from __future__ import annotations

import io
import sys
import time
import timeit
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import fitgen

from runlab.io import read_activity_bytes

#: Best CPU time (``time.process_time``, all threads) of the 60-min read before issue 20's
#: changes [ms] (6 Dec 2026, this 2-core machine; best wall time 2.93 ms). CPU time, as the
#: shared machine's load makes wall times swing 3× between runs.
BEFORE_ISSUE_20_CPU_MS = 2.9

FIELDS = ("timestamp", "position_lat", "position_long", "distance", "enhanced_speed",
          "enhanced_altitude", "heart_rate", "cadence", "fractional_cadence")


def best_of(fn, repeat: int) -> float:
    """Best wall time of ``repeat`` calls [s]."""
    return min(timeit.repeat(fn, number=1, repeat=repeat))


def _cpu(data: bytes) -> float:
    """CPU seconds of one runlab read (all threads)."""
    start = time.process_time()
    runlab_frame(data)
    return time.process_time() - start


def runlab_frame(data: bytes) -> pl.DataFrame:
    return read_activity_bytes(data, "bench.fit").records


def fitfast_frame(data: bytes) -> pl.DataFrame:
    import fitfast

    return pl.DataFrame(fitfast.records(data, degrees=True))


def fitdecode_frame(data: bytes) -> pl.DataFrame:
    import fitdecode

    rows = []
    with fitdecode.FitReader(io.BytesIO(data)) as fit:
        for frame in fit:
            if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "record":
                rows.append({f: frame.get_value(f, fallback=None) for f in FIELDS})
    return pl.DataFrame(rows)


def fitparse_frame(data: bytes) -> pl.DataFrame:
    import fitparse

    fit = fitparse.FitFile(data)
    return pl.DataFrame([{f: m.get_value(f) for f in FIELDS}
                         for m in fit.get_messages("record")])


def sdk_frame(data: bytes) -> pl.DataFrame:
    records = fitgen.sdk_messages(data)["record_mesgs"]
    return pl.DataFrame([{f: r.get(f) for f in FIELDS} for r in records])


PEERS = {"runlab": runlab_frame, "fitfast": fitfast_frame, "fitdecode": fitdecode_frame,
         "fitparse": fitparse_frame, "garmin-fit-sdk": sdk_frame}


def main() -> None:
    files = {m: fitgen.activity(duration_s=m * 60, seed=m, pauses=3, laps=max(1, m // 10),
                                dev_fields=True) for m in (60, 240)}
    print(f"{'library':<16}{'60 min':>12}{'4 h':>12}{'×runlab 60':>12}{'×runlab 4h':>12}")
    results: dict[str, dict[int, float]] = {}
    for name, fn in PEERS.items():
        slow = name in ("fitdecode", "fitparse", "garmin-fit-sdk")
        results[name] = {m: best_of(lambda d=data, f=fn: f(d), 2 if slow else 15)
                         for m, data in files.items()}
    base = results["runlab"]
    for name, t in results.items():
        print(f"{name:<16}{t[60] * 1e3:>10.1f}ms{t[240] * 1e3:>10.1f}ms"
              f"{t[60] / base[60]:>12.2f}{t[240] / base[240]:>12.2f}")
    print()
    print(f"runlab / fitfast: {base[60] / results['fitfast'][60]:.2f} (60 min), "
          f"{base[240] / results['fitfast'][240]:.2f} (4 h)  [target ≤ 1.5]")
    for peer in ("fitdecode", "garmin-fit-sdk", "fitparse"):
        print(f"{peer} / runlab: {results[peer][60] / base[60]:.0f}× (60 min), "
              f"{results[peer][240] / base[240]:.0f}× (4 h)  [target ≥ 25×]")
    cpu = min(_cpu(files[60]) for _ in range(50))
    print(f"runlab 60 min CPU {cpu * 1e3:.2f} ms / before issue 20: "
          f"{cpu * 1e3 / BEFORE_ISSUE_20_CPU_MS:.2f}  [target ≤ 1.2]")
    print("runlab time by file length (linear: a fixed cost plus a flat marginal µs/record):")
    previous = None
    for minutes in (15, 60, 120, 240, 480):
        data = fitgen.activity(duration_s=minutes * 60, seed=minutes)
        t = best_of(lambda d=data: runlab_frame(d), 7)
        marginal = "" if previous is None else \
            f"  marginal {(t - previous[1]) / ((minutes - previous[0]) * 60) * 1e6:5.2f} µs/record"
        print(f"  {minutes:>4} min: {t * 1e3:7.1f} ms{marginal}")
        previous = (minutes, t)

if __name__ == "__main__":
    main()
