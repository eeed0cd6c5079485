"""Study planning: the power of a clinic design, and the runners it needs, by simulation.

A design (:class:`Design`: runners per group, weeks, sessions per week, missed sessions,
dropout, the effect in %, alpha) is simulated ``n_studies`` times with runlab's simulator
(:func:`runlab.simulate.cohort`, in memory, no files) and each study is analysed as a
researcher would, with :func:`runlab.models.progression.clinic_effect` at the end of the
clinic; the power is the share of studies whose end-of-clinic effect is significant at
``alpha``, with a Wilson interval. Both steps are callables (``simulate=``, ``analyse=``),
so other designs and analyses plug in. :func:`power_curve` evaluates a grid of one field.

Checked in the middle of the power curve (``benchmarks/validate_inference.py power``) against
1,000 independent studies per design (other seeds, the public simulator with device quirks,
``clinic_effect`` called directly): 8 runners per group × 6 weeks at +2.0 %, power 65.2 % vs
65.3 % observed; 6 per group × 8 weeks, 20 % missed and dropout, +2.7 %, 58.8 % vs 60.0 %.
``benchmarks/models.py`` times it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np
import polars as pl

from runlab.errors import ModelError, RunlabWarning

__all__ = ["Design", "power", "power_curve", "sample_size", "simulate_study", "analyse_study",
           "single_threaded_children"]


@dataclass(frozen=True)
class Design:
    """A two-arm clinic design (control vs retrained). Units in the names.

    ``effect_pct`` is the mean *achieved* cadence boost of the retrained group [% of
    habitual] (the simulated runners reach on average 95 % of their target, so the target
    is set to ``effect_pct / 0.95``); ``missed`` is the share of planned sessions missed;
    ``dropout`` the share of runners lost over the whole study; ``sessions_per_week`` the
    most runs per runner and week that are analysed (the simulated runners run 3–4 days).
    """

    runners_per_group: int = 12
    weeks: int = 12
    sessions_per_week: int = 3
    missed: float = 0.10
    dropout: float = 0.10
    effect_pct: float = 5.0
    alpha: float = 0.05

    def check(self) -> Design:
        """The design, or a :class:`ModelError` naming the impossible value."""
        if not 2 <= int(self.runners_per_group) <= 5000:
            raise ModelError(f"power: runners_per_group must be 2..5000, got "
                             f"{self.runners_per_group}")
        if not 3 <= int(self.weeks) <= 52:
            raise ModelError(f"power: weeks must be 3..52, got {self.weeks}")
        if not 1 <= int(self.sessions_per_week) <= 7:
            raise ModelError(f"power: sessions_per_week must be 1..7, got {self.sessions_per_week}")
        for name in ("missed", "dropout"):
            value = getattr(self, name)
            if not 0.0 <= value < 0.9:
                raise ModelError(f"power: {name} is a fraction 0..0.9, got {value}")
        if not 0.0 <= self.effect_pct <= 14.0:
            raise ModelError(f"power: effect_pct must be 0..14 (% achieved boost), "
                             f"got {self.effect_pct}")
        if not 0.0 < self.alpha < 0.5:
            raise ModelError(f"power: alpha must be in (0, 0.5), got {self.alpha}")
        return self


def simulate_study(design: Design, seed: int):
    """One simulated study of ``design`` (a :class:`runlab.simulate.Cohort`, in memory)."""
    from runlab import simulate
    from runlab.simulate.params import ACHIEVED_RATIO, RATES

    target = design.effect_pct / ACHIEVED_RATIO[0]
    hazard = 1.0 - (1.0 - design.dropout) ** (1.0 / design.weeks)
    rates = RATES | {"missed_session": design.missed, "dropout_per_week": hazard}
    return simulate.cohort(2 * design.runners_per_group, design.weeks,
                           groups=("control", f"cadence+{target:.4f}%"), seed=seed,
                           quirks=False, rates=rates)


def _sessions(runs: pl.DataFrame, per_week: int) -> pl.DataFrame:
    """At most ``per_week`` runs per runner and week (the first ones)."""
    order = "start_time" if "start_time" in runs.columns else "week"
    return runs.sort(order).filter(
        pl.int_range(pl.len()).over("runner_id", "week") < per_week)


def analyse_study(cohort, design: Design) -> float:
    """p-value of the end-of-clinic effect of one study (``clinic_effect`` on its plan)."""
    from runlab.models import progression

    runs = _sessions(cohort.runs, design.sessions_per_week)
    fit = progression.clinic_effect(runs, plan=cohort.plan)
    row = fit.summary.filter(pl.col("phase") == "end")
    if row.height != 1:
        raise ModelError("power: the analysis returned no single 'end' phase row")
    return float(row["p_value"][0])


def _wilson(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = proportion_confint(k, n, alpha=alpha, method="wilson")
    return float(lo), float(hi)


#: Thread pools each worker process is limited to: two processes × N BLAS/polars threads on
#: a shared machine thrash (an ordinal fit took 0.97 s with default threads vs 0.11 s with one
#: under load 15).
_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                "POLARS_MAX_THREADS")


@contextlib.contextmanager
def single_threaded_children() -> Iterator[None]:
    """Processes started inside this block get one BLAS/OpenMP/polars thread each (variables
    the user set are kept); the parent's environment is restored on exit."""
    saved = {k: os.environ.get(k) for k in _THREAD_VARS}
    os.environ.update({k: "1" for k, v in saved.items() if v is None})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)


def _study(args) -> bool | None:
    """One study: significant at alpha (bool), or None when its analysis raised ModelError."""
    design, seed, simulate, analyse = args
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RunlabWarning)
        cohort = simulate(design, seed)
        try:
            p = analyse(cohort, design)
        except ModelError:
            return None
    return bool(np.isfinite(p) and p < design.alpha)


@contextlib.contextmanager
def _study_runner(workers: int, what: str) -> Iterator[Callable[[list], list]]:
    """A function running a list of :func:`_study` tasks: in this process, or on one pool
    of ``workers`` spawned processes kept for the whole block (so a curve or a sample-size
    search starts its workers once, not once per design)."""
    if int(workers) < 1:
        raise ModelError(f"{what}: workers must be ≥ 1, got {workers}")
    workers = int(workers)
    if workers == 1:
        yield lambda tasks: [_study(t) for t in tasks]
        return
    import multiprocessing

    with single_threaded_children():  # children copy the environment when they start
        pool = multiprocessing.get_context("spawn").Pool(workers)  # fork after polars deadlocks
    with pool:
        yield lambda tasks: pool.map(_study, tasks,
                                     chunksize=max(1, len(tasks) // (8 * workers)))


def _check_n_studies(n_studies: int) -> None:
    if n_studies < 20:
        raise ModelError(f"power: n_studies={n_studies}; use at least 20 (200 for ±3.5 points)")


def _power(design: Design, n_studies: int, seed: int, simulate, analyse,
           run: Callable[[list], list], start: float | None = None) -> pl.DataFrame:
    """:func:`power`'s row for a checked design, its studies run by ``run``; ``seconds``
    counts from ``start`` (:func:`time.perf_counter`; default: now)."""
    start = time.perf_counter() if start is None else start
    results = run([(design, s, simulate or simulate_study, analyse or analyse_study)
                   for s in range(seed, seed + n_studies)])
    hits = sum(r is True for r in results)
    failed = sum(r is None for r in results)
    lo, hi = _wilson(hits, n_studies)
    return pl.DataFrame([asdict(design) | {
        "power": hits / n_studies, "ci_low": lo, "ci_high": hi, "n_studies": n_studies,
        "n_failed": failed, "seconds": time.perf_counter() - start}])


def power(design: Design | None = None, *, n_studies: int = 200, seed: int = 0,
          simulate: Callable | None = None, analyse: Callable | None = None,
          workers: int = 1, **design_kw) -> pl.DataFrame:
    """Power of a clinic design by simulation.

    Parameters
    ----------
    design : Design, optional
        The design; or its fields as keywords (``runners_per_group=12, weeks=12,
        sessions_per_week=3, missed=0.10, dropout=0.10, effect_pct=5.0, alpha=0.05``).
    n_studies : int
        Simulated studies (≥ 20). Power's Monte-Carlo SE is ≤ 0.5/√n_studies (±3.5 points
        at 200 studies, ±1.6 at 1,000).
    seed : int
        Study ``i`` uses seed ``seed + i``: reproducible, and the same studies across
        designs (common random numbers make a power curve smooth).
    simulate, analyse : callable, optional
        ``simulate(design, seed) -> cohort`` and ``analyse(cohort, design) -> p_value``;
        default :func:`simulate_study` and :func:`analyse_study`. With ``workers > 1`` they
        must be module-level functions (pickled into the workers).
    workers : int
        Processes (``spawn`` start method, one BLAS/polars thread each); 1 runs in this
        process. A script that uses workers needs an ``if __name__ == "__main__":`` guard.
        The result does not depend on ``workers``.

    Returns
    -------
    polars.DataFrame
        One row: the design's fields, ``power``, ``ci_low``, ``ci_high`` (Wilson 95 %),
        ``n_studies`` (analysed), ``n_failed`` (studies whose analysis raised
        :class:`ModelError`, e.g. a group emptied by dropout; counted as not significant),
        ``seconds``.

    Examples
    --------
    >>> from runlab.models import power
    >>> power(runners_per_group=12, effect_pct=1.5, n_studies=200)  # doctest: +SKIP
    """
    design = (design or Design())
    design = replace(design, **design_kw).check() if design_kw else design.check()
    _check_n_studies(n_studies)
    start = time.perf_counter()  # the workers' start-up counts
    with _study_runner(workers, "power") as run:
        return _power(design, n_studies, seed, simulate, analyse, run, start)


def power_curve(values: Sequence[float], *, over: str = "effect_pct",
                design: Design | None = None, n_studies: int = 200, seed: int = 0,
                simulate: Callable | None = None, analyse: Callable | None = None,
                workers: int = 1, **design_kw) -> pl.DataFrame:
    """Power of a design as one of its fields varies: one :func:`power` row per value.

    Parameters
    ----------
    values : sequence of numbers
        The values of ``over`` to evaluate, e.g. ``[1.0, 1.5, 2.0, 3.0]`` (% boost) or
        ``[6, 8, 12, 16]`` (runners per group).
    over : str
        A :class:`Design` field: ``"effect_pct"`` (default), ``"runners_per_group"``,
        ``"weeks"``, ``"missed"``, ``"dropout"``, ``"sessions_per_week"``.
    design, n_studies, seed, simulate, analyse, workers, **design_kw
        As for :func:`power`; every point uses the same seeds (common random numbers), so
        the curve is smooth and its points are comparable.

    Returns
    -------
    polars.DataFrame
        The rows of :func:`power` (the design's fields, ``power``, ``ci_low``, ``ci_high``,
        ``n_studies``, ``n_failed``, ``seconds``), in the order of ``values``. Plot ``power``
        against ``over``.

    Examples
    --------
    >>> from runlab.models import power_curve
    >>> power_curve([1.0, 1.5, 2.0, 3.0], runners_per_group=12,
    ...             n_studies=200, workers=2)  # doctest: +SKIP
    """
    fields = [f.name for f in dataclasses.fields(Design) if f.name != "alpha"]
    if over not in fields:
        raise ModelError(f"power_curve: over must be one of {fields}, got {over!r}")
    values = list(values)
    if not values:
        raise ModelError("power_curve: no values to evaluate")
    base = replace(design or Design(), **design_kw)
    cast = int if isinstance(getattr(base, over), int) else float
    designs = [replace(base, **{over: cast(v)}).check() for v in values]
    _check_n_studies(n_studies)
    with _study_runner(workers, "power_curve") as run:
        return pl.concat([_power(d, n_studies, seed, simulate, analyse, run) for d in designs])


def sample_size(target_power: float = 0.8, design: Design | None = None, *,
                low: int = 4, high: int = 60, n_studies: int = 200, seed: int = 0,
                simulate: Callable | None = None, analyse: Callable | None = None,
                workers: int = 1, **design_kw) -> pl.DataFrame:
    """Fewest runners per group whose simulated power reaches ``target_power``.

    Bisection on ``runners_per_group`` in ``[low, high]`` (power rises with runners; the
    same seeds at every size; ``workers`` as for :func:`power`). Returns every design
    evaluated (rows of :func:`power`), sorted by ``runners_per_group``, with ``chosen``
    true on the answer. A :class:`ModelError` if even ``high`` runners per group fall short.
    """
    if not 0 < target_power < 1:
        raise ModelError(f"sample_size: target_power must be in (0, 1), got {target_power}")
    if not 2 <= low < high:
        raise ModelError(f"sample_size: need 2 <= low < high, got {low}, {high}")
    base = replace(design or Design(), **design_kw)
    replace(base, runners_per_group=high).check()
    _check_n_studies(n_studies)
    with _study_runner(workers, "sample_size") as run:
        return _bisect(base, target_power, low, high,
                       lambda d: _power(d.check(), n_studies, seed, simulate, analyse, run))


def _bisect(base: Design, target_power: float, low: int, high: int,
            power_of: Callable[[Design], pl.DataFrame]) -> pl.DataFrame:
    """:func:`sample_size`'s search, ``power_of`` giving a design's :func:`power` row."""
    cache: dict[int, pl.DataFrame] = {}

    def at(n: int) -> float:
        if n not in cache:
            cache[n] = power_of(replace(base, runners_per_group=n))
        return float(cache[n]["power"][0])

    if at(high) < target_power:
        raise ModelError(f"sample_size: {high} runners per group give power {at(high):.2f} "
                         f"< {target_power}; raise high= or the effect")
    lo, hi = low, high
    if at(lo) >= target_power:
        hi = lo
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if at(mid) >= target_power:
            hi = mid
        else:
            lo = mid
    rows = pl.concat([cache[n] for n in sorted(cache)])
    return rows.with_columns(chosen=pl.col("runners_per_group") == hi)
