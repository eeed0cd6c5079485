"""The restricted likelihood of a linear mixed model, from per-runner sufficient statistics.

One runner's block of ``y = Xβ + Zb + e`` (``b ~ N(0, G)``, ``e ~ N(0, σ²I)``) enters the
REML log-likelihood only through ``X'X, X'Z, Z'Z, X'y, Z'y, y'y`` and its size, so the
likelihood of a whole cohort is a few batched small-matrix products
(``V⁻¹ = σ⁻²(I − Z(σ²I + GZ'Z)⁻¹GZ')``, no ``G⁻¹``, so it stays finite on the boundary).
On it:

- :func:`satterthwaite_df` — Satterthwaite's degrees of freedom for a linear combination of
  fixed effects: ``ν = 2 v² / (∇v' A ∇v)`` with ``v = L C(θ) L'``, ``C(θ) = (X'V⁻¹X)⁻¹``
  and ``A`` the asymptotic covariance of the variance parameters from the REML Hessian
  (Satterthwaite, 1946, doi:10.2307/3002019; as in lmerTest, Kuznetsova et al., 2017,
  doi:10.18637/jss.v082.i13);
- :func:`fit_reml` — a fast refit (used by the parametric bootstrap of
  :func:`runlab.models.inference.icc`), which reproduces statsmodels' MixedLM estimates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

__all__ = ["Blocks", "blocks_of", "reml_loglik", "fe_cov", "satterthwaite_df", "fit_reml",
           "simulate_y"]


@dataclass(frozen=True)
class Blocks:
    """Per-group sufficient statistics of a mixed model (``m`` groups, ``p`` fixed, ``q`` random)."""

    xtx: np.ndarray  # (m, p, p)
    xtz: np.ndarray  # (m, p, q)
    ztz: np.ndarray  # (m, q, q)
    xty: np.ndarray  # (m, p)
    zty: np.ndarray  # (m, q)
    yty: np.ndarray  # (m,)
    n: np.ndarray    # (m,)
    codes: np.ndarray  # group index of each row
    x: np.ndarray
    z: np.ndarray

    @property
    def p(self) -> int:
        return self.xtx.shape[1]

    @property
    def q(self) -> int:
        return self.ztz.shape[1]

    def with_y(self, y: np.ndarray) -> Blocks:
        """The same design with another response ``y``."""
        m = self.n.size
        xty = np.zeros((m, self.p))
        zty = np.zeros((m, self.q))
        np.add.at(xty, self.codes, self.x * y[:, None])
        np.add.at(zty, self.codes, self.z * y[:, None])
        yty = np.bincount(self.codes, y * y, minlength=m)
        return Blocks(self.xtx, self.xtz, self.ztz, xty, zty, yty, self.n, self.codes,
                      self.x, self.z)


def blocks_of(x: np.ndarray, z: np.ndarray, y: np.ndarray, groups) -> Blocks:
    """Sufficient statistics of ``y ~ x + (z | groups)``."""
    x = np.asarray(x, dtype=float)
    z = np.asarray(z, dtype=float)
    y = np.asarray(y, dtype=float)
    _, codes = np.unique(np.asarray(groups), return_inverse=True)
    m = int(codes.max()) + 1
    p, q = x.shape[1], z.shape[1]
    xtx = np.zeros((m, p, p))
    xtz = np.zeros((m, p, q))
    ztz = np.zeros((m, q, q))
    np.add.at(xtx, codes, x[:, :, None] * x[:, None, :])
    np.add.at(xtz, codes, x[:, :, None] * z[:, None, :])
    np.add.at(ztz, codes, z[:, :, None] * z[:, None, :])
    n = np.bincount(codes, minlength=m).astype(float)
    empty = Blocks(xtx, xtz, ztz, np.zeros((m, p)), np.zeros((m, q)), np.zeros(m), n, codes,
                   x, z)
    return empty.with_y(y)


def blocks_of_result(result) -> Blocks:
    """Sufficient statistics of the data a statsmodels ``MixedLMResults`` was fitted on."""
    model = result.model
    return blocks_of(model.exog, model.exog_re, model.endog, model.groups)


def _parts(b: Blocks, g: np.ndarray, sigma2: float):
    """``X'V⁻¹X``, ``X'V⁻¹y``, ``y'V⁻¹y`` (times σ²... already divided) and ``Σ log|V_i|``."""
    q = b.q
    eye = np.eye(q)
    a = sigma2 * eye + g @ b.ztz            # (m, q, q) = σ²I + G Z'Z
    k = np.linalg.solve(a, np.broadcast_to(g, a.shape))  # (σ²I + GZ'Z)⁻¹ G
    zx = np.swapaxes(b.xtz, 1, 2)           # (m, q, p)
    kzx = k @ zx
    xvx = (b.xtx - b.xtz @ kzx).sum(axis=0) / sigma2
    xvy = (b.xty - np.einsum("mpq,mq->mp", b.xtz, np.einsum("mqr,mr->mq", k, b.zty))
           ).sum(axis=0) / sigma2
    yvy = (b.yty - np.einsum("mq,mqr,mr->m", b.zty, k, b.zty)).sum() / sigma2
    _, logdet = np.linalg.slogdet(eye + g @ b.ztz / sigma2)
    logv = float((b.n * np.log(sigma2)).sum() + logdet.sum())
    return xvx, xvy, yvy, logv


def reml_loglik(b: Blocks, g: np.ndarray, sigma2: float) -> float:
    """REML log-likelihood at random-effect covariance ``g`` and residual variance ``sigma2``
    (statsmodels' ``llf`` of a REML fit)."""
    if sigma2 <= 0:
        return -np.inf
    xvx, xvy, yvy, logv = _parts(b, g, sigma2)
    sign, logdet_xvx = np.linalg.slogdet(xvx)
    if sign <= 0:
        return -np.inf
    beta = np.linalg.solve(xvx, xvy)
    rss = yvy - beta @ xvy
    nobs = b.n.sum()
    return float(-0.5 * (logv + logdet_xvx + rss + (nobs - b.p) * np.log(2 * np.pi)))


def fe_cov(b: Blocks, g: np.ndarray, sigma2: float) -> np.ndarray:
    """Covariance of the GLS fixed effects at ``(g, sigma2)``: ``(X'V⁻¹X)⁻¹``."""
    xvx = _parts(b, g, sigma2)[0]
    return np.linalg.inv(xvx)


def fe_estimate(b: Blocks, g: np.ndarray, sigma2: float) -> np.ndarray:
    """GLS fixed effects at ``(g, sigma2)``."""
    xvx, xvy, _, _ = _parts(b, g, sigma2)
    return np.linalg.solve(xvx, xvy)


# ------------------------------------------------------------------ variance parameters


def _active(g: np.ndarray, sigma2: float) -> np.ndarray:
    """Random effects whose variance is not on the boundary (≈ 0)."""
    return np.diag(g) > 1e-6 * max(sigma2, 1e-12)


def _theta(g: np.ndarray, sigma2: float, active: np.ndarray) -> np.ndarray:
    idx = np.flatnonzero(active)
    tril = [g[i, j] for a, i in enumerate(idx) for j in idx[:a + 1]]
    return np.array([*tril, sigma2], dtype=float)


def _from_theta(theta: np.ndarray, q: int, active: np.ndarray):
    idx = np.flatnonzero(active)
    g = np.zeros((q, q))
    k = 0
    for a, i in enumerate(idx):
        for j in idx[:a + 1]:
            g[i, j] = g[j, i] = theta[k]
            k += 1
    return g, float(theta[-1])


def _steps(g: np.ndarray, sigma2: float, active: np.ndarray, rel: float = 1e-3) -> np.ndarray:
    """Finite-difference steps on each parameter's natural scale (a covariance's step from
    its two variances, so a near-zero covariance is not differenced on round-off)."""
    idx = np.flatnonzero(active)
    d = np.diag(g)
    steps = [np.sqrt(d[i] * d[j]) for a, i in enumerate(idx) for j in idx[:a + 1]]
    return rel * np.array([*steps, sigma2], dtype=float)


def _hessian(f, x: np.ndarray, h: np.ndarray) -> np.ndarray:
    k = x.size
    out = np.zeros((k, k))
    f0 = f(x)
    for i in range(k):
        ei = np.zeros(k)
        ei[i] = h[i]
        out[i, i] = (f(x + ei) - 2 * f0 + f(x - ei)) / h[i] ** 2
        for j in range(i):
            ej = np.zeros(k)
            ej[j] = h[j]
            out[i, j] = out[j, i] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej)
                                     + f(x - ei - ej)) / (4 * h[i] * h[j])
    return out


def satterthwaite_df(b: Blocks, g: np.ndarray, sigma2: float, contrasts: np.ndarray
                     ) -> np.ndarray:
    """Satterthwaite degrees of freedom of each row ``L`` of ``contrasts`` (``L β``).

    Variance parameters on the boundary (a random-effect variance ≈ 0) are held fixed, as
    lmerTest does. The result is clipped to ``[1, n − p]``.
    """
    contrasts = np.atleast_2d(np.asarray(contrasts, dtype=float))
    active = _active(g, sigma2)
    theta = _theta(g, sigma2, active)
    q = b.q

    def loglik(t):
        gg, s2 = _from_theta(t, q, active)
        if s2 <= 0 or np.any(np.linalg.eigvalsh(gg) < -1e-10):
            return -1e300
        return reml_loglik(b, gg, s2)

    def cov(t):
        gg, s2 = _from_theta(t, q, active)
        return fe_cov(b, gg, s2)

    h = _steps(g, sigma2, active)
    hess = _hessian(loglik, theta, h)
    try:
        a = np.linalg.inv(-hess)
    except np.linalg.LinAlgError:
        a = np.linalg.pinv(-hess)
    dcov = []
    for i in range(theta.size):
        e = np.zeros(theta.size)
        e[i] = h[i]
        dcov.append((cov(theta + e) - cov(theta - e)) / (2 * h[i]))
    c = cov(theta)
    v = np.einsum("ij,jk,ik->i", contrasts, c, contrasts)
    grad = np.array([np.einsum("ij,jk,ik->i", contrasts, d, contrasts) for d in dcov]).T
    denom = np.einsum("ij,jk,ik->i", grad, a, grad)
    upper = float(b.n.sum() - b.p)
    with np.errstate(divide="ignore", invalid="ignore"):
        df = np.where(denom > 0, 2 * v**2 / denom, upper)
    return np.clip(np.nan_to_num(df, nan=upper, posinf=upper), 1.0, upper)


# ------------------------------------------------------------------ fast refit


def _chol_pack(g: np.ndarray, sigma2: float) -> np.ndarray:
    q = g.shape[0]
    lchol = np.linalg.cholesky(g / sigma2 + 1e-9 * np.eye(q))
    diag = np.log(np.maximum(np.diag(lchol), 1e-6))
    off = lchol[np.tril_indices(q, -1)]
    return np.concatenate([diag, off])


def _chol_unpack(x: np.ndarray, q: int) -> np.ndarray:
    lchol = np.zeros((q, q))
    lchol[np.diag_indices(q)] = np.exp(np.clip(x[:q], -15, 15))
    lchol[np.tril_indices(q, -1)] = x[q:]
    return lchol @ lchol.T


def _profiled(b: Blocks, gr: np.ndarray) -> tuple[float, float]:
    """REML log-likelihood with σ² profiled out, at relative covariance ``gr = G/σ²``."""
    xvx, xvy, yvy, logv = _parts(b, gr, 1.0)
    sign, logdet_xvx = np.linalg.slogdet(xvx)
    if sign <= 0:
        return -np.inf, np.nan
    beta = np.linalg.solve(xvx, xvy)
    rss = yvy - beta @ xvy
    dof = b.n.sum() - b.p
    sigma2 = rss / dof
    ll = -0.5 * (logv + dof * np.log(sigma2) + logdet_xvx + dof + dof * np.log(2 * np.pi))
    return float(ll), float(sigma2)


def fit_reml(b: Blocks, g0: np.ndarray, sigma2_0: float) -> tuple[np.ndarray, float, np.ndarray]:
    """REML estimates ``(G, σ², β)`` from the start ``(g0, sigma2_0)`` (log-Cholesky of G/σ²,
    σ² profiled out; L-BFGS-B)."""
    q = b.q

    def negll(x):
        ll, _ = _profiled(b, _chol_unpack(x, q))
        return -ll if np.isfinite(ll) else 1e300

    res = optimize.minimize(negll, _chol_pack(g0, sigma2_0), method="L-BFGS-B")
    gr = _chol_unpack(res.x, q)
    _, sigma2 = _profiled(b, gr)
    g = gr * sigma2
    return g, sigma2, fe_estimate(b, g, sigma2)


def simulate_y(b: Blocks, beta: np.ndarray, g: np.ndarray, sigma2: float,
               rng: np.random.Generator) -> np.ndarray:
    """One response vector drawn from the fitted model (parametric bootstrap)."""
    m, q = b.n.size, b.q
    evals, evecs = np.linalg.eigh(g)
    root = evecs * np.sqrt(np.clip(evals, 0, None))
    u = rng.standard_normal((m, q)) @ root.T
    return (b.x @ beta + np.einsum("nq,nq->n", b.z, u[b.codes])
            + rng.normal(0.0, np.sqrt(sigma2), b.codes.size))
