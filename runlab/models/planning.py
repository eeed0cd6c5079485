"""Study planning: the power of a clinic design, and the runners it needs, by simulation.

A design (:class:`Design`: runners per group, weeks, sessions per week, missed sessions,
dropout, the effect in %, alpha) is simulated ``n_studies`` times with runlab's simulator
(:func:`runlab.simulate.cohort`, in memory, no files) and each study is analysed as a
researcher would, with :func:`runlab.models.progression.clinic_effect` at the end of the
clinic; the power is the share of studies whose end-of-clinic effect is significant at
``alpha``, with a Wilson interval. Both steps are callables (``simulate=``, ``analyse=``),
so other designs and analyses plug in. ``benchmarks/validate_inference.py`` checks the power
against the rejection rate of independent studies; ``benchmarks/models.py`` times it.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

import numpy as np
import polars as pl

from runlab.errors import ModelError, RunlabWarning

__all__ = ["Design", "power", "sample_size", "simulate_study", "analyse_study"]


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


def power(design: Design | None = None, *, n_studies: int = 200, seed: int = 0,
          simulate: Callable | None = None, analyse: Callable | None = None,
          **design_kw) -> pl.DataFrame:
    """Power of a clinic design by simulation.

    Parameters
    ----------
    design : Design, optional
        The design; or its fields as keywords (``runners_per_group=12, weeks=12,
        sessions_per_week=3, missed=0.10, dropout=0.10, effect_pct=5.0, alpha=0.05``).
    n_studies : int
        Simulated studies (≥ 20). Power's Monte-Carlo SE is ≤ 0.5/√n_studies.
    seed : int
        Study ``i`` uses seed ``seed + i``: reproducible, and the same studies across
        designs (common random numbers make a power curve smooth).
    simulate, analyse : callable, optional
        ``simulate(design, seed) -> cohort`` and ``analyse(cohort, design) -> p_value``;
        default :func:`simulate_study` and :func:`analyse_study`.

    Returns
    -------
    polars.DataFrame
        One row: the design's fields, ``power``, ``ci_low``, ``ci_high`` (Wilson 95 %),
        ``n_studies`` (analysed), ``n_failed`` (studies whose analysis raised
        :class:`ModelError`, e.g. a group emptied by dropout; counted as not significant),
        ``seconds``.
    """
    design = (design or Design())
    design = replace(design, **design_kw).check() if design_kw else design.check()
    if n_studies < 20:
        raise ModelError(f"power: n_studies={n_studies}; use at least 20 (200 for ±3.5 points)")
    simulate = simulate or simulate_study
    analyse = analyse or analyse_study
    start = time.perf_counter()
    hits = failed = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RunlabWarning)
        for i in range(n_studies):
            cohort = simulate(design, seed + i)
            try:
                p = analyse(cohort, design)
            except ModelError:
                failed += 1
                continue
            hits += bool(np.isfinite(p) and p < design.alpha)
    lo, hi = _wilson(hits, n_studies)
    return pl.DataFrame([asdict(design) | {
        "power": hits / n_studies, "ci_low": lo, "ci_high": hi, "n_studies": n_studies,
        "n_failed": failed, "seconds": time.perf_counter() - start}])


def sample_size(target_power: float = 0.8, design: Design | None = None, *,
                low: int = 4, high: int = 60, n_studies: int = 200, seed: int = 0,
                simulate: Callable | None = None, analyse: Callable | None = None,
                **design_kw) -> pl.DataFrame:
    """Fewest runners per group whose simulated power reaches ``target_power``.

    Bisection on ``runners_per_group`` in ``[low, high]`` (power rises with runners; the
    same seeds at every size). Returns every design evaluated (rows of :func:`power`),
    sorted by ``runners_per_group``, with ``chosen`` true on the answer. A
    :class:`ModelError` if even ``high`` runners per group fall short.
    """
    if not 0 < target_power < 1:
        raise ModelError(f"sample_size: target_power must be in (0, 1), got {target_power}")
    if not 2 <= low < high:
        raise ModelError(f"sample_size: need 2 <= low < high, got {low}, {high}")
    base = replace(design or Design(), **design_kw)
    cache: dict[int, pl.DataFrame] = {}

    def at(n: int) -> float:
        if n not in cache:
            cache[n] = power(replace(base, runners_per_group=n), n_studies=n_studies,
                             seed=seed, simulate=simulate, analyse=analyse)
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
