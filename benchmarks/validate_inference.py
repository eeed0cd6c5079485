"""Validate runlab's small-sample inference on data it did not tune on; print the rates.

Sections (all by default; name some to run only those):

- ``comfort``, ``rpe`` — type-I error of the ordinal comfort/RPE models (cumulative-logit GEE by
  runner, robust sandwich × G/(G − 1), t on runners − 1 df) over 1,000 null studies of 12
  runners per group each: group and week have no effect, runners differ (SD 1 on the
  logit scale), temperature and humidity do act. Target: 3–7 %.
- ``clusters`` — type-I error of the group term by number of runners (clusters: 6, 8, 10,
  12, 16, 24) of the old clustered OrderedModel with z tests and of runlab's GEE (below
  ``MIN_CLUSTERS`` too), ``VALIDATE_N``'s second figure of null studies per count: the
  basis of ``MIN_CLUSTERS``.
- ``mixed`` — type-I error of the ``week:group`` and ``group`` terms of
  ``progression.cadence`` with z and with Satterthwaite t intervals, null studies (the
  third figure) of 5, 6 and 12 runners per group drawn from the model
  (``cadence ~ speed_c + week*group + (1 + week | runner)``).
- ``power`` — ``models.power`` (200 studies, in memory, no device quirks) against the
  rejection rate of ``clinic_effect`` on 200 independent studies with other seeds and the
  simulator's device quirks, for two designs. Target: within 5 points.

Runs on 2 processes (spawn), niced: ``nice python benchmarks/validate_inference.py``.
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import time
import warnings

import numpy as np

N_ORDINAL, N_CLUSTER, N_MIXED, N_POWER = (int(x) for x in __import__("os").environ.get(
    "VALIDATE_N", "1000,200,400,200").split(","))
WORKERS = int(__import__("os").environ.get("VALIDATE_WORKERS", "2"))
#: Runners per group of the cluster-count and mixed-model sweeps.
CLUSTER_PER_GROUP = (3, 4, 5, 6, 8, 12)
MIXED_PER_GROUP = (5, 6, 12)
#: Levels of the RPE-like null outcome (11 = the full 0–10 scale; slower to fit).
RPE_LEVELS = int(__import__("os").environ.get("VALIDATE_RPE_LEVELS", "11"))


# ----------------------------------------------------------------- null ordinal studies


def _ordinal_null(seed: int, per_group: int = 12, sessions: int = 24, levels: int = 5):
    import polars as pl

    rng = np.random.default_rng(seed)
    m = 2 * per_group
    rid = np.repeat(np.arange(m), sessions)
    group = (np.arange(m) % 2)[rid]
    week = np.tile(np.arange(sessions) // 3, m).astype(float)
    temp = rng.normal(20, 6, rid.size)
    hum = rng.uniform(30, 90, rid.size)
    latent = (-0.08 * (temp - 20) - 0.01 * (hum - 60) + rng.normal(0, 1.0, m)[rid]
              + rng.logistic(size=rid.size))
    cuts = np.linspace(-2.0, 2.0, levels - 1)
    y = np.digitize(latent, cuts) + (1 if levels == 5 else 0)
    return pl.DataFrame({"runner_id": [f"r{i:02d}" for i in rid],
                         "group": np.where(group == 1, "clinic", "control"), "week": week,
                         "temperature_c": temp, "humidity_pct": hum, "score": y})


def _ordinal_task(args):
    seed, levels = args
    from runlab.errors import ModelError
    from runlab.models.ordinal import ordinal

    warnings.simplefilter("ignore")
    frame = _ordinal_null(seed, levels=levels)
    try:
        fit = ordinal(frame, "score")
    except ModelError:
        return None
    p = dict(zip(fit.fixed["term"], fit.fixed["p_value"], strict=True))
    if p["group[T.clinic]"] is None or p["week"] is None:  # non-finite SE: a failed fit
        return None
    return p["group[T.clinic]"] < 0.05, p["week"] < 0.05


def _cluster_task(args):
    seed, per_group = args
    from scipy import stats
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    from runlab.models import ordinal as ordinal_mod

    warnings.simplefilter("ignore")
    frame = _ordinal_null(seed, per_group=per_group)
    pdf = frame.to_pandas()
    x = pdf[["week", "temperature_c", "humidity_pct"]].assign(
        g=(pdf["group"] == "clinic").astype(float))
    res = OrderedModel(pdf["score"], x, distr="logit").fit(
        method="bfgs", disp=False, maxiter=500, cov_type="cluster",
        cov_kwds={"groups": pdf["runner_id"].astype("category").cat.codes.to_numpy()})
    z = float(np.asarray(res.params)[3] / np.asarray(res.bse)[3])
    old = 2 * stats.norm.sf(abs(z)) < 0.05
    saved = ordinal_mod.require_clusters
    ordinal_mod.require_clusters = lambda n, what: None  # measure below the minimum too
    try:
        fit = ordinal_mod.ordinal(frame, "score")
    finally:
        ordinal_mod.require_clusters = saved
    p = fit.fixed.filter(fit.fixed["term"] == "group[T.clinic]")["p_value"][0]
    return old, (None if p is None else p < 0.05)


# ----------------------------------------------------------------- mixed-model nulls


def _mixed_null(seed: int, per_group: int = 6, weeks: int = 8, per_week: int = 3):
    import polars as pl

    rng = np.random.default_rng(seed)
    n = 2 * per_group
    rid = np.repeat(np.arange(n), weeks * per_week)
    week = np.tile(np.repeat(np.arange(weeks), per_week), n).astype(float)
    g = (np.arange(n) % 2)[rid]
    speed = rng.normal(3.0, 0.3, n)[rid] + rng.normal(0, 0.25, rid.size)
    cad = (160 + 6.0 * (speed - 3.0) + 0.1 * week + rng.normal(0, 8, n)[rid]
           + rng.normal(0, 0.3, n)[rid] * week + rng.normal(0, 3, rid.size))
    return pl.DataFrame({"runner_id": [f"r{i:02d}" for i in rid], "week": week,
                         "group": np.where(g == 1, "clinic", "control"), "speed_mps": speed,
                         "cadence_spm": cad})


def _mixed_task(args):
    seed, per_group = args
    from scipy import stats

    from runlab.errors import ModelError
    from runlab.models import progression

    warnings.simplefilter("ignore")
    try:
        fit = progression.cadence(_mixed_null(seed, per_group=per_group))
    except ModelError:
        return None
    out = []
    for term in ("week:group[T.clinic]", "group[T.clinic]"):
        r = fit.fixed.filter(fit.fixed["term"] == term).row(0, named=True)
        zq = stats.norm.ppf(0.975)
        z_cover = abs(r["estimate"]) <= zq * r["std_error"]
        t_cover = r["ci_low"] <= 0.0 <= r["ci_high"]
        out += [z_cover, t_cover, r["df"]]
    return out


# ----------------------------------------------------------------- power vs observed


def _observed_task(args):
    seed, design = args
    from runlab import simulate
    from runlab.errors import ModelError
    from runlab.models import planning
    from runlab.simulate.params import ACHIEVED_RATIO, RATES

    warnings.simplefilter("ignore")
    target = design.effect_pct / ACHIEVED_RATIO[0]
    hazard = 1.0 - (1.0 - design.dropout) ** (1.0 / design.weeks)
    cohort = simulate.cohort(2 * design.runners_per_group, design.weeks,
                             groups=("control", f"cadence+{target:.4f}%"), seed=seed,
                             quirks=True, rates=RATES | {"missed_session": design.missed,
                                                         "dropout_per_week": hazard})
    try:
        return planning.analyse_study(cohort, design) < design.alpha
    except ModelError:
        return False


def _rate(hits) -> str:
    hits = [h for h in hits if h is not None]
    k, n = int(np.sum(hits)), len(hits)
    se = np.sqrt(max(k, 1) * (n - k) / n**3) if n else np.nan
    return f"{k / n:6.1%} ({k}/{n}, MC SE {se:.1%})"


def main(sections) -> None:
    ctx = mp.get_context("spawn")
    with ctx.Pool(WORKERS) as pool:
        ordinal_runs = [(5, "comfort-like, 5 levels")] if "comfort" in sections else []
        ordinal_runs += [(RPE_LEVELS, f"RPE-like, {RPE_LEVELS} levels")] if "rpe" in sections else []
        if ordinal_runs:
            for levels, name in ordinal_runs:
                t0 = time.perf_counter()
                res = pool.map(_ordinal_task, [(s, levels) for s in range(N_ORDINAL)],
                               chunksize=10)
                ok = [r for r in res if r is not None]
                print(f"ordinal GEE type-I, {name}, 12 runners/group, {len(ok)} null studies "
                      f"({len(res) - len(ok)} failed fits left out) "
                      f"({time.perf_counter() - t0:.0f} s): group {_rate([r[0] for r in ok])}; "
                      f"week {_rate([r[1] for r in ok])}", flush=True)
        if "clusters" in sections:
            for per_group in CLUSTER_PER_GROUP:
                t0 = time.perf_counter()
                res = pool.map(_cluster_task, [(10_000 + s, per_group) for s in range(N_CLUSTER)],
                               chunksize=10)
                print(f"{2 * per_group:2d} runners: clustered OrderedModel z "
                      f"{_rate([r[0] for r in res])}; runlab GEE (CR1-scaled, t) "
                      f"{_rate([r[1] for r in res])} ({time.perf_counter() - t0:.0f} s)",
                      flush=True)
        if "mixed" in sections:
            for per_group in MIXED_PER_GROUP:
                t0 = time.perf_counter()
                res = [r for r in pool.map(_mixed_task, [(20_000 + s, per_group)
                                                         for s in range(N_MIXED)], chunksize=10)
                       if r is not None]
                for i, term in ((0, "week:group"), (3, "group")):
                    z = _rate([not r[i] for r in res])
                    t = _rate([not r[i + 1] for r in res])
                    df = np.median([r[i + 2] for r in res])
                    print(f"progression.cadence {term}, {per_group} runners/group, {len(res)} "
                          f"null studies: type-I z {z}, Satterthwaite t {t} (median df "
                          f"{df:.1f}) ({time.perf_counter() - t0:.0f} s)", flush=True)
        if "power" in sections:
            from runlab.models import Design, power

            for design in (Design(runners_per_group=12, weeks=12, effect_pct=3.0),
                           Design(runners_per_group=8, weeks=12, effect_pct=5.0, missed=0.2,
                                  dropout=0.2, sessions_per_week=4)):
                t0 = time.perf_counter()
                predicted = power(design, n_studies=N_POWER, seed=0)
                t_pow = time.perf_counter() - t0
                obs = pool.map(_observed_task, [(50_000 + s, design) for s in range(N_POWER)])
                p, o = float(predicted["power"][0]), float(np.mean(obs))
                print(f"{design}: power {p:.1%} ({t_pow:.0f} s) vs observed {o:.1%} on "
                      f"{N_POWER} independent studies with device quirks: "
                      f"{abs(p - o) * 100:.1f} points {'OK' if abs(p - o) <= 0.05 else 'OFF'}",
                      flush=True)


if __name__ == "__main__":
    main(set(sys.argv[1:]) or {"comfort", "rpe", "clusters", "mixed", "power"})
