"""The lecture notes' batch gradient descent, done right (``solver="gd"``).

Each iteration takes a gradient step of size ``1/L`` on the data term
``|yt - Xt w|^2 / (2S)``, whose gradient is ``-Xt^T (yt - Xt w) / S`` (note the
minus sign the notes drop), with ``L = lambda_max(Xt^T Xt) / S``, then applies
the proximal operator of the penalty: soft-thresholding for the L1 part, which
sets coefficients exactly to zero (a subgradient step on ``|w_j|`` would only
make them oscillate around zero), and the exact shrinkage ``1 / (1 + l2 / L)``
for the L2 part.  This is ISTA, kept plain (no acceleration) because it is the
notes' algorithm; it is the reference, not the fast path.
"""

import numpy as np

from .._datafit import duality_gap


def solve_prox_grad(problem, k, penalty, w0, tol_abs, max_iter):
    """Return ``(w, n_iter, gap)`` for target ``k``."""
    L = problem.lipschitz()
    if L <= 0:  # X is constant: the optimum is w = 0
        return np.zeros_like(w0), 1, 0.0
    step = 1.0 / L
    curvature = problem.curvature()
    w = np.asarray(w0, dtype=np.float64)
    n_iter = 0
    while True:
        v, rr, ry = problem.correlations(w, k)
        gap = duality_gap(w, v, rr, ry, penalty, curvature)[2]
        cold = n_iter == 0 and not np.any(w)  # as in coordinate descent
        if (gap <= tol_abs and not cold) or gap == 0.0 or n_iter >= max_iter:
            break
        n_iter += 1
        w = penalty.prox(w + step * v, step)
    return w, n_iter, gap
