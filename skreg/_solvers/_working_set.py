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

Inner solver (on the Gram matrix, no loop over coordinates): the feature-sign
method.  Given the signs of the active coefficients the problem is a smooth
quadratic whose minimiser solves ``(Q_AA + l2 I) w_A = c_A - l1 sign(w_A)``; each
step solves that system, then moves from the current point towards its solution
only as far as is best for the true objective, checking the points where a
coefficient changes sign (features whose coefficient reaches zero leave the
active set; violating features enter it).  Every step decreases the objective and
the signs are found in finitely many steps, after which the solution is exact to
rounding.  When the active system is singular (collinear features), cyclic
coordinate descent over the working set, with Anderson extrapolation of its
iterates, carries on until the support settles and feature-sign can finish.
"""

import numpy as np
import scipy.linalg as la

from .._datafit import duality_gap



def _solve_psd(M, b):
    """Solve ``M z = b`` by Cholesky, or return None when ``M`` is (nearly) singular.

    Collinear active features make the restricted problem singular; the
    feature-sign step is then skipped and coordinate descent, which needs no
    solve, carries on.
    """
    try:
        factor = la.cho_factor(M, check_finite=False)
    except la.LinAlgError:
        return None
    diag = np.abs(np.diag(factor[0]))
    if not diag.min() > 1e-5 * diag.max():
        return None
    return la.cho_solve(factor, b, check_finite=False)


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

    def objective(self, w, Qw):
        return 0.5 * float(w @ Qw) - float(self.c @ w) + self.penalty.value(w)

    def feature_sign_step(self, x, Qx, max_add):
        """One step of the feature-sign method; returns ``(x, Qx)`` or None.

        The active set is the support of ``x`` plus up to ``max_add`` zero
        coordinates that violate their optimality condition, each given the sign
        that decreases the objective.  With the signs fixed the problem is a
        smooth quadratic, solved exactly by a Cholesky factorisation; the step
        goes from ``x`` towards that solution and stops at the best of the points
        where a coefficient changes sign (the objective is convex and piecewise
        quadratic along the segment, so this is a descent step).  None means no
        descent was found: ``x`` is optimal on its signs and nothing violates.
        """
        Q, c, pen = self.Q, self.c, self.penalty
        l1, l2 = pen.l1, pen.l2
        grad = Qx - c
        supp = np.flatnonzero(x)
        if pen.positive:
            viol = -grad - l1
        else:
            viol = np.abs(grad) - l1
        viol[supp] = -np.inf
        new = np.flatnonzero(viol > 0)
        if new.size > max_add:
            new = new[np.argpartition(-viol[new], max_add - 1)[:max_add]]
        theta_new = np.ones(new.size) if pen.positive else -np.sign(grad[new])
        active = np.concatenate([supp, new])
        theta = np.concatenate([np.sign(x[supp]), theta_new])
        for _ in range(3):
            if active.size == 0:
                return None
            M = Q[np.ix_(active, active)]
            M.flat[:: active.size + 1] += l2
            z = _solve_psd(M, c[active] - l1 * theta)
            if z is None:
                return None
            if not pen.positive:
                break
            bad = (z < 0) & (x[active] == 0)  # a new feature that would go negative
            if not np.any(bad):
                break
            active, theta = active[~bad], theta[~bad]
        xa = x[active]
        d = z - xa
        with np.errstate(divide="ignore", invalid="ignore"):
            t_break = -xa / d
        crossing = (xa != 0) & (xa * d < 0) & (t_break < 1.0)
        ts = np.append(t_break[crossing], 1.0)
        if pen.positive:  # the objective is infinite beyond the first crossing
            ts = np.array([ts.min()])
        Qd = Q[:, active] @ d
        lin = float(grad[active] @ d) + l2 * float(xa @ d)
        quad = float(d @ Qd[active]) + l2 * float(d @ d)
        smooth = ts * lin + 0.5 * ts * ts * quad
        if l1:
            l1_now = np.abs(xa).sum()
            path = np.abs(xa[None, :] + ts[:, None] * d[None, :]).sum(axis=1)
            change = smooth + l1 * (path - l1_now)
        else:
            change = smooth
        best = int(np.argmin(change))
        if not change[best] < 0.0:
            return None
        t = float(ts[best])
        x_new = x.copy()
        x_new[active] = xa + t * d
        x_new[active[crossing & (t_break == t)]] = 0.0
        return x_new, Q @ x_new


def _cd_epoch(Q, x, grad, inv_diag, thresh, shrink, positive):
    """One cyclic pass of coordinate descent on ``0.5 x^T Q x - c^T x + g(x)``.

    ``grad = Q x - c`` is kept up to date.  The loop runs over the (small)
    working set only; each update that changes a coefficient is one vectorised
    axpy on the gradient.
    """
    for j in range(x.size):
        inv = inv_diag[j]
        if inv == 0.0:
            continue
        old = x[j]
        z = old - grad[j] * inv
        if positive:
            new = z - thresh[j]
            new = new * shrink[j] if new > 0.0 else 0.0
        elif z > thresh[j]:
            new = (z - thresh[j]) * shrink[j]
        elif z < -thresh[j]:
            new = (z + thresh[j]) * shrink[j]
        else:
            new = 0.0
        if new != old:
            x[j] = new
            grad += (new - old) * Q[j]


def _anderson(history):
    """Anderson extrapolation of the last iterates (Bertrand & Massias, 2021)."""
    X = np.array(history)
    U = np.diff(X, axis=0)
    G = U @ U.T
    try:
        z = la.solve(G + 1e-12 * np.trace(G) * np.eye(G.shape[0]), np.ones(G.shape[0]),
                     assume_a="pos", check_finite=False)
    except (la.LinAlgError, ValueError):
        return None
    if not np.all(np.isfinite(z)) or z.sum() == 0:
        return None
    return (z / z.sum()) @ X[1:]


def solve_gram(problem, w, tol_abs, max_iter, lipschitz=None):
    """Minimise a :class:`_GramProblem` from ``w``; return ``(w, n_iter, gap)``.

    Feature-sign steps (exact, each a Cholesky solve on the active set) are
    tried first and whenever coordinate descent has settled the support; when
    they stall (collinear features make the active system singular), cyclic
    coordinate descent with Anderson extrapolation carries on.  One iteration is
    one feature-sign step or one coordinate-descent epoch.
    """
    Q, c, pen = problem.Q, problem.c, problem.penalty
    diag = np.diag(Q).copy()
    with np.errstate(divide="ignore"):
        inv_diag = np.where(diag > 0, 1.0 / diag, 0.0)
    thresh = (pen.l1 * inv_diag).tolist()
    shrink = (1.0 / (1.0 + pen.l2 * inv_diag)).tolist()
    inv_diag = inv_diag.tolist()
    x = w.copy()
    Qx = Q @ x
    gap = problem.gap(x, Qx)[2]
    n_iter = 0
    try_fs = True
    last_support = None
    while gap > tol_abs and n_iter < max_iter:
        if try_fs:
            for _ in range(10 + c.size // 4):
                if n_iter >= max_iter:
                    break
                out = problem.feature_sign_step(x, Qx, max(2, np.count_nonzero(x) // 2))
                if out is None:  # a single entering feature gives descent if any does
                    out = problem.feature_sign_step(x, Qx, 1)
                n_iter += 1
                if out is None:
                    break
                x, Qx = out
            gap = problem.gap(x, Qx)[2]
            if gap <= tol_abs:
                break
        grad = Qx - c
        history = [x.copy()]
        for _ in range(min(10, max_iter - n_iter)):
            _cd_epoch(Q, x, grad, inv_diag, thresh, shrink, pen.positive)
            n_iter += 1
            history.append(x.copy())
            if len(history) == 6:
                x_acc = _anderson(history)
                history = [x.copy()]
                if x_acc is not None:
                    if pen.positive:
                        x_acc = np.maximum(x_acc, 0.0)
                    Qx_acc = Q @ x_acc
                    if problem.objective(x_acc, Qx_acc) < problem.objective(x, Q @ x):
                        x[:] = x_acc
                        grad = Qx_acc - c
        Qx = grad + c
        gap = problem.gap(x, Qx)[2]
        support = np.flatnonzero(x)
        try_fs = last_support is not None and np.array_equal(support, last_support)
        last_support = support
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
        w_ws, it, _ = solve_gram(problem, w[ws], max(inner_tol, 0.0), max_iter - n_iter)
        n_iter += it
        w = np.zeros(p, dtype=w.dtype)
        w[ws] = w_ws
    return w, max(n_iter, 1), gap
