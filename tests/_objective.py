"""The objective of RegularizedRegressor, written out independently of the package, for tests."""

import numpy as np
import scipy.sparse as sp


def objective(X, y, coef, intercept, alpha, l1_ratio, sample_weight=None):
    """F(w, b) = 1/(2S) sum s_i (y_i - x_i.w - b)^2 + alpha (rho |w|_1 + (1-rho)/2 |w|^2)."""
    X = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    coef = np.asarray(coef, dtype=np.float64)
    s = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
    resid = y - X @ coef - intercept
    fit = float(s @ resid**2) / (2.0 * s.sum())
    pen = l1_ratio * np.abs(coef).sum() + 0.5 * (1.0 - l1_ratio) * float(coef @ coef)
    return fit + alpha * pen


def alpha_max(X, y, l1_ratio=1.0, sample_weight=None, fit_intercept=True):
    """Smallest alpha giving w = 0 for an L1 / elastic-net penalty (by the KKT conditions)."""
    X = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    s = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
    if fit_intercept:
        Xc = X - (s @ X) / s.sum()
        yc = y - (s @ y) / s.sum()
    else:
        Xc, yc = X, y
    return np.max(np.abs(Xc.T @ (s * yc))) / (s.sum() * l1_ratio)


def extended_objective(X, y, coef, intercept, alpha, l1_ratio, factor=None, dropout=0.0,
                       sample_weight=None):
    """F(w, b) + the penalty factors and the input-dropout term, written out:
    1/(2S) sum s_i (y_i - x_i.w - b)^2 + alpha sum f_j (rho |w_j| + (1-rho)/2 w_j^2)
    + 1/2 q/(1-q) sum_j d_j w_j^2 with d_j = 1/S sum_i s_i x_ij^2 (raw columns)."""
    X = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    coef = np.asarray(coef, dtype=np.float64)
    s = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
    f = np.ones(X.shape[1]) if factor is None else np.asarray(factor, float)
    resid = y - X @ coef - intercept
    fit = float(s @ resid**2) / (2.0 * s.sum())
    pen = alpha * float(f @ (l1_ratio * np.abs(coef) + 0.5 * (1.0 - l1_ratio) * coef**2))
    d = (s @ X**2) / s.sum()
    return fit + pen + 0.5 * dropout / (1.0 - dropout) * float(d @ coef**2)


def lbfgs_reference(X, y, alpha, l1_ratio, factor=None, dropout=0.0, sample_weight=None,
                    fit_intercept=True):
    """The minimiser of :func:`extended_objective` by scipy's L-BFGS-B on the split
    form w = u - v (u, v >= 0), which makes the L1 term smooth and linear; an
    independent generic convex solver.  Returns ``(coef, intercept, value)``."""
    from scipy.optimize import minimize

    X = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n, p = X.shape
    s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
    S = s.sum()
    f = np.ones(p) if factor is None else np.asarray(factor, float)
    l1 = alpha * l1_ratio * f
    l2 = alpha * (1.0 - l1_ratio) * f + dropout / (1.0 - dropout) * (s @ X**2) / S

    def fun(z):
        u, v, b = z[:p], z[p:2 * p], (z[-1] if fit_intercept else 0.0)
        w = u - v
        r = y - X @ w - b
        val = float(s @ r**2) / (2 * S) + float(l1 @ (u + v)) + 0.5 * float(l2 @ w**2)
        gw = -(X.T @ (s * r)) / S + l2 * w
        grad = np.concatenate([gw + l1, -gw + l1, [-(s @ r) / S if fit_intercept else 0]])
        return val, grad

    z0 = np.zeros(2 * p + 1)
    bounds = [(0, None)] * (2 * p) + [(None, None)]
    res = minimize(fun, z0, jac=True, method="L-BFGS-B", bounds=bounds,
                   options=dict(maxiter=100_000, maxfun=200_000, ftol=1e-16, gtol=1e-13,
                                maxcor=50))
    z = res.x
    w = z[:p] - z[p:2 * p]
    return w, (z[-1] if fit_intercept else 0.0), res.fun
