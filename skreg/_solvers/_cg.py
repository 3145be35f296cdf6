"""Conjugate gradients for the L2 penalty and for least squares (CGLS).

Minimises ``|yt - Xt w|^2 / (2S) + l2 / 2 |w|^2`` with the CGLS recurrences,
which run CG on the normal equations while updating the residual
``r = yt - Xt w`` directly (better conditioned than forming ``Xt^T Xt``).  Each
iteration costs one product with ``Xt`` and one with ``Xt^T``; a sparse ``X`` is
never densified and the centring stays implicit.  The iteration stops on the
duality gap, which the recurrences give at no extra cost.  (A Jacobi
preconditioner was measured to triple the iterations on the sparse benchmark,
whose columns have similar norms, so there is none.)
"""

import numpy as np

from .._datafit import duality_gap


def solve_cg(data, yt, penalty, w0, tol_abs, max_iter):
    """Return ``(w, n_iter, gap)`` for one target."""
    S = data.n_weight
    l2 = penalty.l2
    curvature = data.curvature() if l2 == 0 else 1.0  # used without a penalty only
    w = w0.copy()
    r = yt - data.matvec(w) if np.any(w) else yt.copy()
    v = data.rmatvec(r) / S
    ry = float(r @ yt) / S
    rr = float(r @ r) / S
    gap = duality_gap(w, v, rr, ry, penalty, curvature)[2]
    s = v - l2 * w
    d = s.copy()
    gamma = float(s @ s)
    n_iter = 0
    while gap > tol_abs and n_iter < max_iter and gamma > 0:
        n_iter += 1
        q = data.matvec(d)
        delta = float(q @ q) / S + l2 * float(d @ d)
        if delta <= 0:
            break
        step = gamma / delta
        w += step * d
        r -= step * q
        v = data.rmatvec(r) / S
        rr = float(r @ r) / S
        ry = float(r @ yt) / S
        gap = duality_gap(w, v, rr, ry, penalty, curvature)[2]
        s = v - l2 * w
        gamma_new = float(s @ s)
        d *= gamma_new / gamma
        d += s
        gamma = gamma_new
    return w, max(n_iter, 1), gap
