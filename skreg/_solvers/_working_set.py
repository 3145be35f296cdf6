"""Working-set solver for L1, elastic-net and constrained problems.

Outer loop (over all features, one pass of ``Xt^T r`` per iteration):

1. compute the residual, the correlations ``v = Xt^T r / S`` and the duality gap;
   stop when the gap is below the tolerance;
2. rank features by how much they violate their optimality condition
   (:meth:`ElasticNetPenalty.subdiff_distance`) and grow the working set ``W``
   (it always contains the current support) to twice its size;
3. solve the problem restricted to ``W`` from its Gram matrix
   ``Q = Xt_W^T Xt_W / S``, which is only extended, never recomputed, when ``W``
   grows.

Inner solver (on the Gram matrix, all vectorised): accelerated proximal gradient
(FISTA with adaptive restart) identifies the support and signs; as soon as the
support stops changing, a Newton step solves the smooth problem that the signs
define exactly, ``(Q_SS + l2 I) w_S = c_S - l1 sign(w_S)``, walking from the
current point towards that solution only as far as the signs hold (a feature
whose coefficient reaches zero is dropped, as in the feature-sign method).  Every
step decreases the objective, and once the signs are right the solution is exact
to rounding.
"""

import numpy as np
import scipy.linalg as la

from .._datafit import duality_gap

_CHECK_EVERY = 10


def _top_eigenvalue(Q, n_steps=30):
    """Power-iteration estimate of the largest eigenvalue of a PSD matrix."""
    k = Q.shape[0]
    x = np.full(k, 1.0 / np.sqrt(k), dtype=Q.dtype)
    x += np.linspace(0, 1e-3, k, dtype=Q.dtype)  # avoid orthogonal starts
    lam = 0.0
    for _ in range(n_steps):
        y = Q @ x
        norm = float(np.sqrt(y @ y))
        if norm == 0.0:
            return 0.0
        lam_new = float(x @ y) / float(x @ x)
        x = y / norm
        if abs(lam_new - lam) <= 1e-3 * lam_new:
            lam = lam_new
            break
        lam = lam_new
    return lam


class _GramProblem:
    """``0.5 w^T Q w - c^T w + yy / 2 + g(w)``: the problem restricted to ``W``."""

    def __init__(self, Q, c, yy, penalty, curvature):
        self.Q, self.c, self.yy, self.penalty = Q, c, yy, penalty
        self.curvature = curvature

    def gap(self, w, Qw):
        c = self.c
        cw = float(c @ w)
        rr = max(self.yy - 2.0 * cw + float(w @ Qw), 0.0)
        ry = self.yy - cw
        return duality_gap(w, c - Qw, rr, ry, self.penalty, self.curvature)

    def newton(self, w):
        """Move towards the solution of the smooth problem given by ``sign(w)``.

        Returns the new point (or None when the support is empty or the step is
        not a descent step).
        """
        pen = self.penalty
        supp = np.flatnonzero(w)
        if supp.size == 0:
            return None
        sgn = np.sign(w[supp])
        A = self.Q[np.ix_(supp, supp)]
        A.flat[:: supp.size + 1] += pen.l2
        b = self.c[supp] - pen.l1 * sgn
        try:
            z = la.cho_solve(la.cho_factor(A, overwrite_a=True, check_finite=False),
                             b, check_finite=False)
        except la.LinAlgError:
            A = self.Q[np.ix_(supp, supp)]
            A.flat[:: supp.size + 1] += pen.l2
            z = la.lstsq(A, b, check_finite=False)[0]
        d = z - w[supp]
        crossing = sgn * d < 0
        step, hit = 1.0, -1
        if np.any(crossing):
            ratios = np.full(supp.size, np.inf)
            ratios[crossing] = -w[supp][crossing] / d[crossing]
            hit = int(np.argmin(ratios))
            if ratios[hit] < 1.0:
                step = float(ratios[hit])
            else:
                hit = -1
        w_new = w.copy()
        w_new[supp] += step * d
        if hit >= 0:
            w_new[supp[hit]] = 0.0
        return w_new

    def objective(self, w, Qw):
        return 0.5 * float(w @ Qw) - float(self.c @ w) + self.penalty.value(w)


def solve_gram(problem, w, tol_abs, max_iter, lipschitz):
    """Minimise a :class:`_GramProblem` from ``w``; return ``(w, n_iter, gap)``."""
    Q, c, pen = problem.Q, problem.c, problem.penalty
    L = lipschitz
    if L <= 0.0:
        return np.zeros_like(w), 1, problem.gap(np.zeros_like(w), np.zeros_like(w))[2]
    step = 1.0 / L
    x = w.copy()
    Qx = Q @ x
    gap = problem.gap(x, Qx)[2]
    n_iter = 0
    z, Qz, t = x.copy(), Qx.copy(), 1.0
    last_support = None
    while gap > tol_abs and n_iter < max_iter:
        for _ in range(_CHECK_EVERY):
            n_iter += 1
            x_new = pen.prox(z - step * (Qz - c), step)
            diff = x_new - x
            if float((z - x_new) @ diff) > 0.0:  # momentum points uphill: restart
                t = 1.0
            t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
            z = x_new + ((t - 1.0) / t_new) * diff
            Qz = Q @ z
            x, t = x_new, t_new
        Qx = Q @ x
        gap = problem.gap(x, Qx)[2]
        support = np.flatnonzero(x)
        stable = last_support is not None and np.array_equal(support, last_support)
        last_support = support
        if gap > tol_abs and stable:
            obj = problem.objective(x, Qx)
            for _ in range(5):  # a few feature-sign steps, each dropping one feature
                x_try = problem.newton(x)
                if x_try is None:
                    break
                Qx_try = Q @ x_try
                obj_try = problem.objective(x_try, Qx_try)
                if not obj_try < obj:
                    break
                x, Qx, obj = x_try, Qx_try, obj_try
                n_iter += 1
                if np.count_nonzero(x) == support.size:  # full Newton step taken
                    break
                support = np.flatnonzero(x)
            gap = problem.gap(x, Qx)[2]
            z, Qz, t = x.copy(), Qx.copy(), 1.0
            last_support = np.flatnonzero(x)
    return x, max(n_iter, 1), gap


def solve_working_set(data, yt, penalty, w0, tol_abs, max_iter, p0=64):
    """Return ``(w, n_iter, gap)`` for one target."""
    n, p = data.shape
    S = data.n_weight
    yy = float(yt @ yt) / S
    c_full = data.rmatvec(yt) / S
    curvature = data.curvature() if penalty.l1 == 0 and penalty.l2 == 0 else 1.0
    w = w0.copy()
    n_iter = 0
    ws = np.flatnonzero(w)  # the working set, in the order its columns entered
    Q = data.cross(ws, ws) / S if ws.size else np.zeros((0, 0), dtype=data.dtype)
    inner_tol = None
    stalled = 0
    while True:
        r = yt - data.matvec(w) if ws.size else yt.copy()
        v = data.rmatvec(r) / S
        rr = float(r @ r) / S
        ry = float(r @ yt) / S
        gap = duality_gap(w, v, rr, ry, penalty, curvature)[2]
        # from a cold start, take at least one step: w = 0 can be within the
        # tolerance just below alpha_max, and zero is not the answer there
        cold = n_iter == 0 and ws.size == 0
        if (gap <= tol_abs and not cold) or gap == 0.0 or n_iter >= max_iter or stalled >= 3:
            break
        score = penalty.subdiff_distance(w, -v)
        score[ws] = -1.0
        n_violating = int(np.count_nonzero(score > 0))
        if n_violating == 0 and ws.size == 0:
            break  # w = 0 is optimal (alpha >= alpha_max)
        target = min(p, max(2 * ws.size, p0))
        n_new = min(max(target - ws.size, 0), n_violating)
        if n_new > 0:
            if n_new < n_violating:
                new = np.argpartition(-score, n_new - 1)[:n_new]
            else:
                new = np.flatnonzero(score > 0)
            new = np.sort(new)
            all_cols = np.concatenate([ws, new])
            block = data.cross(all_cols, new) / S  # (|ws| + |new|, |new|)
            k0 = ws.size
            Q_new = np.empty((all_cols.size, all_cols.size), dtype=Q.dtype if k0
                             else block.dtype)
            Q_new[:k0, :k0] = Q
            Q_new[:, k0:] = block
            Q_new[k0:, :k0] = block[:k0].T
            Q, ws = Q_new, all_cols
            inner_tol = 0.3 * gap
            stalled = 0
        else:
            stalled += 1
            # nothing left to add: the restricted problem must be solved better
            inner_tol = 0.1 * min(inner_tol if inner_tol is not None else gap, tol_abs)
        problem = _GramProblem(Q, c_full[ws], yy, penalty, curvature)
        L = _top_eigenvalue(Q) * 1.05
        w_ws, it, _ = solve_gram(problem, w[ws], max(inner_tol, 0.0), max_iter - n_iter, L)
        n_iter += it
        w = np.zeros(p, dtype=w.dtype)
        w[ws] = w_ws
    return w, max(n_iter, 1), gap
