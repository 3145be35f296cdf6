"""Working-set solver for L1, elastic-net and constrained problems.

Outer loop (one pass over all features per iteration):

1. compute the correlations ``v = Xt^T r / S`` and the duality gap of the full
   problem; stop when the gap is below the tolerance;
2. rank features by how much they violate their optimality condition
   (:meth:`ElasticNetPenalty.subdiff_distance`) and grow the working set ``W``
   (it always contains the current support) to twice its size;
3. solve the problem restricted to ``W``.

Inner solvers, chosen by the shape of the restricted problem:

* **Gram blocks** ``Q = Xt_W^T Xt_W / S`` (extended, never recomputed, as ``W``
  grows) while ``W`` is narrower than the data are tall.  On them:

  - *feature-sign steps*: given the signs of the active coefficients the
    problem is a quadratic whose minimiser solves
    ``(Q_AA + l2 I) w_A = c_A - l1 sign(w_A)`` (one Cholesky factorisation);
    the step moves towards it and stops at the best of the points where a
    coefficient changes sign (an exact line search: the objective is convex and
    piecewise quadratic on the segment).  Every step decreases the objective and
    once the signs are right the answer is exact to rounding.  They take over
    once the support has settled;
  - *coordinate descent* with Anderson extrapolation (sets of up to 300
    features; the only method that needs no solve, so it carries on when
    collinear features make the active system singular), or *FISTA* with
    adaptive restart (larger sets, one k x k product per iteration).

* **Columns** of ``Xt`` once ``W`` is wider than the data are tall (dense) or
  too wide for a dense Gram block (sparse): coordinate descent on the residual
  (dense L1) or FISTA (elastic net, sparse data).

Once the full gap is within the tolerance, a few feature-sign steps on the final
support (each kept only if it descends) make the answer exact when its signs are
right.
"""

import numpy as np
import scipy.linalg as la
from scipy.sparse.linalg import LinearOperator, eigsh

from .._datafit import duality_gap

# Feature-sign steps cost a Cholesky factorisation of the active set each: they
# grow supports of up to this many features (measured: beyond, the many small
# steps cost more than coordinate descent or FISTA finding the support)
_FS_MAX_ACTIVE = 64
_FS_MAX_STEPS = 40
# A settled support up to this size is still finished by (a few) feature-sign steps.
_FS_MAX_POLISH = 1500
# Working sets above this size use FISTA instead of coordinate-descent epochs.
_CD_MAX_SIZE = 300
# Largest working set of a sparse problem held by a dense Gram block.
_SPARSE_GRAM_MAX = 1000
# Largest final support finished exactly (feature-sign steps from its Gram matrix).
_FINAL_POLISH_MAX = 500


def _solve_psd(M, b):
    """Solve ``M z = b`` by Cholesky, or return None when ``M`` is (nearly) singular.

    Collinear active features make the restricted problem singular; the
    feature-sign step is then skipped and coordinate descent, which needs no
    solve, carries on.  (LAPACK is called directly: these systems are small and
    many, and the checks of the high-level wrappers would cost more than the
    factorisation.)
    """
    potrf, potrs = la.lapack.get_lapack_funcs(("potrf", "potrs"), (M,))
    factor, info = potrf(M, lower=False, overwrite_a=True, clean=False)
    if info != 0:
        return None
    diag = np.abs(np.diagonal(factor))
    if not diag.min() > 1e-5 * diag.max():
        return None
    z, info = potrs(factor, b, lower=False)
    return z if info == 0 else None


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
        hit = crossing & (t_break == t)
        Qx_new = Qx + t * Qd
        if np.any(hit):  # exact zeros, not t * d rounding: correct their columns
            x_new[active[hit]] = 0.0
            Qx_new -= Q[:, active[hit]] @ (xa[hit] + t * d[hit])
        return x_new, Qx_new


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


def solve_gram(problem, w, tol_abs, max_iter):
    """Minimise a :class:`_GramProblem` from ``w``; return ``(w, n_iter, gap)``.

    On a small working set (up to 128 features) feature-sign steps start;
    otherwise coordinate-descent epochs (with Anderson extrapolation) or FISTA
    iterations find the support first, and feature-sign steps take over
    whenever it has settled between two checks (measured: starting with
    feature-sign wins on the collinear benchmark design, starting with
    coordinate descent on the others).  One iteration is one feature-sign step,
    one epoch or one FISTA step.
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
    # feature-sign grows small working sets itself (best on collinear designs);
    # on larger ones the cheap passes find the support first
    try_fs = c.size <= 2 * _FS_MAX_ACTIVE
    last_support = None
    fista_step = None
    while gap > tol_abs and n_iter < max_iter:
        n_active = np.count_nonzero(x)
        if try_fs and n_active <= _FS_MAX_POLISH:
            # while the support is small, feature-sign also grows it; on a large
            # settled support it only polishes, a few steps at most
            growing = n_active <= _FS_MAX_ACTIVE
            for _ in range(_FS_MAX_STEPS if growing else 3):
                if n_iter >= max_iter:
                    break
                n_active = np.count_nonzero(x)
                if n_active > _FS_MAX_POLISH:
                    break
                max_add = min(max(2, n_active // 2), max(_FS_MAX_ACTIVE - n_active, 1))
                out = problem.feature_sign_step(x, Qx, max_add)
                if out is None:  # a single entering feature gives descent if any does
                    out = problem.feature_sign_step(x, Qx, 1)
                n_iter += 1
                if out is None:
                    break
                x, Qx = out
            gap = problem.gap(x, Qx)[2]
            if gap <= tol_abs:
                break
        if c.size > _CD_MAX_SIZE:
            # large working set: FISTA iterations (one k x k product each) are
            # much cheaper than coordinate-descent epochs (a Python loop)
            if fista_step is None:
                L = _top_eigenvalue(Q)
                fista_step = 1.0 / L if L > 0 else 0.0
            if fista_step == 0.0:
                break
            x, Qx, it = _fista_gram(Q, c, pen, x, fista_step, min(30, max_iter - n_iter))
            n_iter += it
            gap = problem.gap(x, Qx)[2]
            support = np.flatnonzero(x)
            try_fs = last_support is not None and np.array_equal(support, last_support)
            last_support = support
            continue
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


def _fista_gram(Q, c, pen, x, step, n_steps):
    """``n_steps`` of FISTA with adaptive restart on the Gram problem."""
    z, Qz, t = x.copy(), Q @ x, 1.0
    for _ in range(n_steps):
        x_new = pen.prox(z - step * (Qz - c), step)
        diff = x_new - x
        if float((z - x_new) @ diff) > 0.0:  # momentum points uphill: restart
            t = 1.0
        t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        z = x_new + ((t - 1.0) / t_new) * diff
        Qz = Q @ z
        x, t = x_new, t_new
    return x, Q @ x, n_steps


def _top_eigenvalue(M):
    """Largest eigenvalue of a symmetric PSD matrix, with a 5 % margin."""
    k = M.shape[0]
    if k == 0:
        return 0.0
    if k <= 300:
        top = la.eigh(M, eigvals_only=True, subset_by_index=[k - 1, k - 1],
                      check_finite=False)[0]
    else:
        top = eigsh(M, k=1, which="LA", v0=np.ones(k, dtype=M.dtype), tol=1e-3,
                    ncv=8, return_eigenvectors=False)[0]
    return max(float(top), 0.0) * 1.05


def _cd_epoch_residual(cols, x, r, step, thresh, shrink, positive):
    """One pass of coordinate descent that keeps the residual ``r`` up to date.

    Used when the working set has more columns than there are samples, where a
    length-n residual update is cheaper than a Gram row.
    """
    for j in range(x.size):
        inv = step[j]
        if inv == 0.0:
            continue
        col = cols[j]
        old = x[j]
        z = old + float(col @ r) * inv
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
            r -= (new - old) * col


def solve_explicit(Xw, yt, penalty, w, tol_abs, max_iter, n_weight, curvature):
    """Coordinate descent with Anderson extrapolation on the columns ``Xw``.

    Returns ``(w, n_iter, gap)``; one iteration is one epoch.
    """
    S = n_weight
    sq = np.einsum("ij,ij->j", Xw, Xw)
    with np.errstate(divide="ignore"):
        step = np.where(sq > 0, 1.0 / sq, 0.0)
    thresh = (penalty.l1 * S * step).tolist()
    shrink = (1.0 / (1.0 + penalty.l2 * S * step)).tolist()
    step = step.tolist()
    cols = [Xw[:, j] for j in range(Xw.shape[1])]
    x = w.copy()

    def state(x):
        r = yt - Xw @ x
        return r, 0.5 * float(r @ r) / S + penalty.value(x)

    def gap_of(x, r):
        v = Xw.T @ r / S
        return duality_gap(x, v, float(r @ r) / S, float(r @ yt) / S, penalty,
                           curvature)[2]

    r, _ = state(x)
    gap = gap_of(x, r)
    n_iter = 0
    while gap > tol_abs and n_iter < max_iter:
        history = [x.copy()]
        for _ in range(min(10, max_iter - n_iter)):
            _cd_epoch_residual(cols, x, r, step, thresh, shrink, penalty.positive)
            n_iter += 1
            history.append(x.copy())
            if len(history) == 6:
                x_acc = _anderson(history)
                history = [x.copy()]
                if x_acc is not None:
                    if penalty.positive:
                        x_acc = np.maximum(x_acc, 0.0)
                    r_acc, f_acc = state(x_acc)
                    if f_acc < 0.5 * float(r @ r) / S + penalty.value(x):
                        x[:] = x_acc
                        r = r_acc
        r = yt - Xw @ x  # refresh: no drift from the running updates
        gap = gap_of(x, r)
    return x, max(n_iter, 1), gap


def solve_explicit_fista(sub, yt, penalty, w, tol_abs, max_iter, curvature):
    """Accelerated proximal gradient (FISTA, adaptive restart) on the columns
    ``sub`` (a :class:`LeastSquares` restricted to the working set: dense or
    sparse, centring implicit).

    Vectorised: two matrix-vector products per iteration.  Returns
    ``(w, n_iter, gap)``.
    """
    S = sub.n_weight
    L = _top_singular_value_sq(sub) / S
    if L <= 0:
        return np.zeros_like(w), 1, 0.0
    step = 1.0 / L
    x = w.copy()
    z, t = x.copy(), 1.0
    n_iter = 0
    gap = np.inf
    while n_iter < max_iter:
        rz = yt - sub.matvec(z)
        x_new = penalty.prox(z + step * sub.rmatvec(rz) / S, step)
        n_iter += 1
        diff = x_new - x
        if float((z - x_new) @ diff) > 0.0:  # momentum points uphill: restart
            t = 1.0
        t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        z = x_new + ((t - 1.0) / t_new) * diff
        x, t = x_new, t_new
        if n_iter % 10 == 0 or n_iter >= max_iter:
            v, rr, ry = sub.correlations(x, yt)
            gap = duality_gap(x, v, rr, ry, penalty, curvature)[2]
            if gap <= tol_abs:
                break
    return x, n_iter, gap


def _top_singular_value_sq(sub):
    """Largest eigenvalue of ``Xt^T Xt`` by Lanczos, with a 5 % margin (an upper
    bound in practice: Lanczos converges from below and stops at a relative 1e-3)."""
    k = sub.shape[1]
    if k <= 64:
        return float(np.linalg.eigvalsh(sub.gram())[-1]) * 1.0001
    op = LinearOperator((k, k), matvec=lambda v: sub.rmatvec(sub.matvec(v)),
                        dtype=sub.dtype)
    top = eigsh(op, k=1, which="LA", v0=np.ones(k, dtype=sub.dtype), tol=1e-3, ncv=8,
                return_eigenvectors=False)[0]
    return max(float(top), 0.0) * 1.05


def _restrict(Q, ws, cols):
    """The block of ``Q`` (the Gram block of ``ws``) for ``cols``, a subset of ``ws``."""
    pos = np.searchsorted(ws, cols, sorter=np.argsort(ws))
    pos = np.argsort(ws)[pos]
    return Q[np.ix_(pos, pos)]


def solve_working_set(data, yt, penalty, w0, tol_abs, max_iter, p0=64, cache=None):
    """Return ``(w, n_iter, gap)`` for one target.

    ``cache`` (a dict, optional) carries what a warm start can reuse between the
    consecutive calls of a regularization path on the same data and target:
    ``X^T y``, and the correlations and Gram block at the previous solution.
    """
    n, p = data.shape
    S = data.n_weight
    if cache is not None and "stats" in cache:
        c_full, yy = cache["stats"]
    else:
        c_full, yy = data.target_stats(yt)
        if cache is not None:
            cache["stats"] = (c_full, yy)
    curvature = data.curvature() if penalty.l1 == 0 and penalty.l2 == 0 else 1.0
    w = w0.copy()
    n_iter = 0
    ws = np.flatnonzero(w)  # the working set, in the order its columns entered
    # past this size the working set is handled through its columns, not its Gram
    # matrix: dense data when the set is wider than the data are tall, sparse data
    # when a dense Gram block would grow large
    explicit_from = n if not data.sparse else _SPARSE_GRAM_MAX
    can_go_explicit = not data.gram_mode
    explicit = can_go_explicit and ws.size > explicit_from
    reuse = (cache is not None and "w" in cache and cache["w"].shape == w.shape
             and np.array_equal(cache["w"], w))
    if ws.size and not explicit:
        if reuse and cache.get("Q") is not None:
            Q = _restrict(cache["Q"], cache["ws"], ws)
        else:
            Q = data.cross(ws, ws) / S
    else:
        Q = np.zeros((0, 0), dtype=data.dtype)
    inner_tol = None
    stalled = 0
    first = True
    while True:
        if first and reuse:
            v, rr, ry = cache["corr"]
        else:
            v, rr, ry = data.correlations(w, yt)
        first = False
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
            # Gram blocks while the working set is narrower than the data is
            # tall; beyond, the columns themselves (a residual of length n is
            # cheaper to update than a Gram row of length |ws|)
            explicit = explicit or (can_go_explicit and all_cols.size > explicit_from)
            if not explicit:
                block = data.cross(all_cols, new) / S  # (|ws| + |new|, |new|)
                k0 = ws.size
                Q_new = np.empty((all_cols.size, all_cols.size), dtype=block.dtype)
                Q_new[:k0, :k0] = Q
                Q_new[:, k0:] = block
                Q_new[k0:, :k0] = block[:k0].T
                Q = Q_new
            ws = all_cols
            inner_tol = 0.3 * gap
            stalled = 0
        else:
            stalled += 1
            # nothing left to add: the restricted problem must be solved better
            inner_tol = 0.1 * min(inner_tol if inner_tol is not None else gap, tol_abs)
        if explicit:
            budget = max_iter - n_iter
            if penalty.l2 > 0 or data.sparse:
                w_ws, it, _ = solve_explicit_fista(data.columns(ws), yt, penalty, w[ws],
                                                   max(inner_tol, 0.0), budget, curvature)
            else:
                w_ws, it, _ = solve_explicit(data.X[:, ws], yt, penalty, w[ws],
                                             max(inner_tol, 0.0), budget, S, curvature)
        else:
            problem = _GramProblem(Q, c_full[ws], yy, penalty, curvature)
            w_ws, it, _ = solve_gram(problem, w[ws], max(inner_tol, 0.0),
                                     max_iter - n_iter)
        n_iter += it
        w = np.zeros(p, dtype=w.dtype)
        w[ws] = w_ws
    supp = np.flatnonzero(w)
    have_q = not explicit and ws.size > 0
    if 0 < supp.size <= _FINAL_POLISH_MAX and gap > 0.0 and n_iter < max_iter:
        # converged to the tolerance: finish exactly on the support if its signs
        # are right (feature-sign steps, each accepted only if it descends)
        Q_supp = _restrict(Q, ws, supp) if have_q else data.cross(supp, supp) / S
        problem = _GramProblem(Q_supp, c_full[supp], yy, penalty, curvature)
        x = w[supp]
        Qx = problem.Q @ x
        for _ in range(3):
            out = problem.feature_sign_step(x, Qx, 2)
            if out is None:
                break
            x, Qx = out
            n_iter += 1
        w_new = np.zeros_like(w)
        w_new[supp] = x
        corr_new = data.correlations(w_new, yt)
        gap_new = duality_gap(w_new, *corr_new, penalty, curvature)[2]
        if gap_new <= gap:
            w, gap = w_new, gap_new
            v, rr, ry = corr_new
    if cache is not None:
        cache.update(w=w.copy(), corr=(v, rr, ry), ws=ws if have_q else None,
                     Q=Q if have_q else None)
    return w, max(n_iter, 1), gap
