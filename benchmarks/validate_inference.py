"""Validate runlab's small-sample inference on data it did not tune on; print the rates.

Sections (all by default; name some to run only those):

- ``comfort``, ``rpe`` — type-I error of the ordinal comfort/RPE models (cumulative-logit GEE by
  runner, Mancl–DeRouen sandwich, t on runners − 1 df; Kauermann–Carroll and the old CR1 from
  the same fits for comparison) over 1,000 null studies of 12
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
- ``power`` — ``models.power`` (1,000 studies, seeds 0–999, its own simulate/analyse helpers,
  no device quirks) against the rejection rate of 1,000 independent studies (seeds 50,000+)
  simulated with the public ``simulate.cohort`` defaults (device quirks on) and analysed with
  ``clinic_effect`` directly, for two designs in the middle of the power curve
  (:data:`POWER_DESIGNS`). Target: within 5 points.

Sizes: ``VALIDATE_N="ordinal,clusters,mixed,power"`` studies (default 1000,200,400,1000);
``VALIDATE_POWER_DESIGNS="0,1"`` picks designs of :data:`POWER_DESIGNS`.
Runs on 2 processes (spawn), niced: ``nice python benchmarks/validate_inference.py``.
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import time
import warnings

import numpy as np

N_ORDINAL, N_CLUSTER, N_MIXED, N_POWER = (int(x) for x in __import__("os").environ.get(
    "VALIDATE_N", "1000,200,400,1000").split(","))
WORKERS = int(__import__("os").environ.get("VALIDATE_WORKERS", "2"))
#: Runners per group of the cluster-count and mixed-model sweeps.
CLUSTER_PER_GROUP = tuple(int(x) for x in __import__("os").environ.get(
    "VALIDATE_CLUSTER_PER_GROUP", "3,4,5,6,8,12").split(","))
MIXED_PER_GROUP = tuple(int(x) for x in __import__("os").environ.get(
    "VALIDATE_MIXED_PER_GROUP", "5,6,12").split(","))
#: Levels of the RPE-like null outcomes (11 = the full 0–10 scale; slower to fit).
RPE_LEVELS = [int(x) for x in __import__("os").environ.get("VALIDATE_RPE_LEVELS",
                                                          "7,11").split(",")]


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
    """Rejections of the group and week nulls (p < 0.05) with runlab's default standard errors
    (Mancl–DeRouen), then with Kauermann–Carroll and CR1 from the same fit, and whether the
    fit fell back to the independence working correlation; ``None`` for a failed fit (a
    ``ModelError`` or a non-finite standard error), which the table counts."""
    seed, levels = args
    from scipy import stats

    from runlab.errors import ModelError, RunlabWarning
    from runlab.models.ordinal import _corrected_cov, ordinal

    warnings.simplefilter("ignore")
    frame = _ordinal_null(seed, levels=levels)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = ordinal(frame, "score")
        except ModelError:
            return None
    fell_back = any(issubclass(w.category, RunlabWarning) and "independence" in str(w.message)
                    for w in caught)
    p = dict(zip(fit.fixed["term"], fit.fixed["p_value"], strict=True))
    if p["group[T.clinic]"] is None or p["week"] is None:  # non-finite SE: a failed fit
        return None
    res, g = fit.model, frame["runner_id"].n_unique()
    k = levels - 1
    out = [p["group[T.clinic]"] < 0.05, p["week"] < 0.05]
    for cov in (_corrected_cov(res.model, res, -0.5), res.cov_robust * g / (g - 1)):
        t = np.asarray(res.params)[k:k + 2] / np.sqrt(np.diag(cov)[k:k + 2])
        out += list(2 * stats.t.sf(np.abs(t), g - 1) < 0.05)
    return out + [fell_back]


def _cluster_task(args):
    seed, per_group = args
    from scipy import stats
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    from runlab.errors import ModelError
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
    except ModelError:  # e.g. the bias-reduced sandwich cannot be computed: a failed fit
        return old, None
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


#: Two designs in the middle of the power curve (predicted 50–80 %; 60 and 62 % in a
#: 60-study pilot on other seeds), unlike the 99 % of the first check: a short clinic with
#: the default 10 % missed sessions and dropout, and a small, leaky one with four sessions a
#: week. Short designs keep 4 × 1,000 simulated studies within the CPU budget.
POWER_DESIGNS = (
    dict(runners_per_group=8, weeks=6, effect_pct=2.0),
    dict(runners_per_group=6, weeks=8, effect_pct=2.7, missed=0.2, dropout=0.2,
         sessions_per_week=4),
)


def _observed_task(args):
    """One independent study as a researcher runs it: the public simulator with its defaults
    (device quirks on), the design's session cap, then ``clinic_effect`` on the plan's
    phases — none of ``models.power``'s own helpers."""
    seed, design = args
    import polars as pl

    from runlab import simulate
    from runlab.errors import ModelError
    from runlab.models import progression

    warnings.simplefilter("ignore")
    boost_pct = design.effect_pct / 0.95  # runners reach 95 % of their target on average
    keep = (1.0 - design.dropout) ** (1.0 / design.weeks)
    c = simulate.cohort(2 * design.runners_per_group, design.weeks,
                        groups=("control", f"cadence+{boost_pct:.4f}%"), seed=seed,
                        rates={"missed_session": design.missed, "dropout_per_week": 1 - keep})
    runs = c.runs.sort("start_time").filter(
        pl.int_range(pl.len()).over("runner_id", "week") < design.sessions_per_week)
    try:
        s = progression.clinic_effect(runs, plan=c.plan).summary
    except ModelError:
        return False
    return float(s.filter(pl.col("phase") == "end")["p_value"][0]) < design.alpha


def _rate(hits) -> str:
    hits = [h for h in hits if h is not None]
    k, n = int(np.sum(hits)), len(hits)
    se = np.sqrt(max(k, 1) * (n - k) / n**3) if n else np.nan
    return f"{k / n:6.1%} ({k}/{n}, MC SE {se:.1%})"


def main(sections) -> None:
    from runlab.models.planning import single_threaded_children

    with single_threaded_children():  # 2 processes × N BLAS threads thrash a shared machine
        pool = mp.get_context("spawn").Pool(WORKERS)
    with pool:
        ordinal_runs = [(5, "comfort-like, 5 levels")] if "comfort" in sections else []
        ordinal_runs += [(lv, f"RPE-like, {lv} levels") for lv in RPE_LEVELS
                         if "rpe" in sections]
        if ordinal_runs:
            for levels, name in ordinal_runs:
                t0 = time.perf_counter()
                res = pool.map(_ordinal_task, [(s, levels) for s in range(N_ORDINAL)],
                               chunksize=10)
                ok = [r for r in res if r is not None]
                back = [r for r in ok if r[6]]
                print(f"ordinal GEE type-I, {name}, 12 runners/group, {len(res)} null studies: "
                      f"{len(res) - len(ok)} failed fits, {len(back)} refitted with the "
                      f"independence working correlation ({time.perf_counter() - t0:.0f} s), "
                      "target 3–7 %", flush=True)
                for i, se in ((0, "Mancl–DeRouen (default)"), (2, "Kauermann–Carroll"),
                              (4, "CR1 (before)")):
                    print(f"  {se:24s} group {_rate([r[i] for r in ok])}; "
                          f"week {_rate([r[i + 1] for r in ok])}", flush=True)
                if len(ok) < len(res):  # a failed fit counted as a rejection: the worst case
                    worst = [r[0] if r is not None else True for r in res]
                    print(f"  Mancl–DeRouen, failed fits counted as rejections: group "
                          f"{_rate(worst)}", flush=True)
                if back:
                    print(f"  Mancl–DeRouen on the {len(back)} refitted studies alone: group "
                          f"{_rate([r[0] for r in back])}; week {_rate([r[1] for r in back])}",
                          flush=True)
        if "clusters" in sections:
            for per_group in CLUSTER_PER_GROUP:
                t0 = time.perf_counter()
                res = pool.map(_cluster_task, [(10_000 + s, per_group) for s in range(N_CLUSTER)],
                               chunksize=10)
                print(f"{2 * per_group:2d} runners: clustered OrderedModel z "
                      f"{_rate([r[0] for r in res])}; runlab GEE (Mancl–DeRouen, t) "
                      f"{_rate([r[1] for r in res])}, failed fits "
                      f"{sum(r[1] is None for r in res)} ({time.perf_counter() - t0:.0f} s)",
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

            chosen = __import__("os").environ.get("VALIDATE_POWER_DESIGNS", "0,1")
            for kw in [POWER_DESIGNS[int(i)] for i in chosen.split(",")]:
                design = Design(**kw)
                t0 = time.perf_counter()
                predicted = power(design, n_studies=N_POWER, seed=0, workers=WORKERS)
                p = float(predicted["power"][0])
                print(f"  power() {design}: {p:.1%} over {N_POWER} studies "
                      f"({time.perf_counter() - t0:.0f} s)", flush=True)
                t0 = time.perf_counter()
                obs = pool.map(_observed_task, [(50_000 + s, design) for s in range(N_POWER)],
                               chunksize=10)
                o = float(np.mean(obs))
                se = np.sqrt(p * (1 - p) / N_POWER + o * (1 - o) / N_POWER)
                print(f"{design}: power {p:.1%} vs observed {o:.1%} ({int(np.sum(obs))}/"
                      f"{N_POWER}) on independent studies ({time.perf_counter() - t0:.0f} s): "
                      f"{abs(p - o) * 100:.1f} points (SE of the difference "
                      f"{se * 100:.1f}) {'OK' if abs(p - o) <= 0.05 else 'OFF'}; target "
                      "within 5 points, predicted 50–80 %", flush=True)


if __name__ == "__main__":
    main(set(sys.argv[1:]) or {"comfort", "rpe", "clusters", "mixed", "power"})
