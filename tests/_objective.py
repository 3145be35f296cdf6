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
