"""Coordinate descent with working sets and Anderson extrapolation.

For one target, on any problem form (:mod:`skreg._datafit`):

1. compute the correlations ``v = Xt^T r / S`` of all features and the duality
   gap; stop when the gap is within ``tol_abs``;
2. score every feature by how far it is from its optimality condition (the
   distance of ``-grad`` to the subdifferential of the penalty) and take as
   working set the current support plus the worst violators, twice the support
   in size (at least ``p0``; all features once that is more than half of them:
   large supports are solved fastest without the bookkeeping);
3. run compiled coordinate-descent epochs on the working set
   (:mod:`skreg._kernels`), with Anderson extrapolation of the iterates
   kept only when it lowers the objective, until the working set's own duality
   gap (checked after every epoch, inside the compiled loop) is below a fraction
   of the full gap of step 1, or below the tolerance when the working set is
   every feature;
4. once the support has stayed the same for an outer iteration, try a Newton
   step on it (the exact minimiser on its face and signs, by one Cholesky
   factorisation), kept only if the gap decreases: it finishes exactly what
   coordinate descent only approaches linearly.

A coordinate-descent epoch needs no linear solve, so collinear or duplicated
columns only slow it down, never stop it; every coordinate update, and every
accepted extrapolation, decreases the objective.  Iterations are counted in
epochs; ``max_iter`` bounds the total.

The working set of the Gram form is a block ``G[W, W] / S`` gathered once per
outer iteration, on which the epochs cost ``O(|W|)`` per coordinate whatever the
number of samples.

Once the gap is within the tolerance the answer is *finished* (:func:`solve_cd`):
a feature-sign Newton step on the support and its edge makes it exact to
rounding when the support is right, since a gap pins the coefficients only to
about its square root.  Along a path, each fit starts from the previous one's
coefficients and working set; a warm start whose one cheap Newton step lands on
the new optimum needs no epoch.
"""

import numpy as np
import scipy.linalg as la

from .._datafit import duality_gap, symmetric_times
from .. import _kernels as K

# LAPACK's Cholesky factorisation and solve, float64.
_POTRF = la.lapack.get_lapack_funcs(("potrf", "potrs"), (np.zeros((1, 1)),))
# Smallest working set.
P0 = 10
# Inner epochs on a subproblem stop once its duality gap is below this fraction
# of the full problem's gap (or its largest violation below this fraction of the
# largest one of the outer iteration).
INNER_FRACTION = 0.3
# Inner epochs on the whole problem stop at this fraction of the tolerance (the
# in-loop gap uses correlations that are up to one epoch old).
INNER_FINAL = 0.5
# Epochs of one inner call at most.
_CHUNK = 100


class _DenseState:
    """Residual form on a dense, centred design."""

    def __init__(self, problem, k, w):
        (self.X,) = problem.kernel_view()
        self.S = problem.n_weight
        self.r = np.array(problem.target(k), dtype=problem.dtype)
        self.yt = problem.target(k)
        nz = np.flatnonzero(w)
        if nz.size:
            self.r -= self.X[:, nz] @ w[nz].astype(problem.dtype)
        self.a = problem.col_sq_norms() / self.S
        # in float64 the problem computes the same residual the same way: its
        # correlations at this w, if known, are this state's first ones
        self._first = (problem, k) if problem.dtype == np.float64 else None

    def correlations(self, w):
        if self._first is not None:
            (problem, k), self._first = self._first, None
            known = problem.known_correlations(w, k)
            if known is not None:
                return known
        r = self.r
        return (np.asarray(self.X.T @ r, dtype=np.float64) / self.S,
                float(r @ r) / self.S, float(r @ self.yt) / self.S)

    def run(self, w, ws, l1, l2, positive, max_epochs, tol_gap, tol_viol, anderson):
        return K.cd_solve_dense(self.X, self.r, w, ws, self.a, l1, l2, positive,
                                1.0 / self.S, self.yt, max_epochs, tol_gap, tol_viol,
                                anderson)


class _SparseState:
    """Residual form on a CSC design with implicit centring."""

    def __init__(self, problem, k, w):
        (self.data, self.indices, self.indptr, self.mu, self.smu,
         self.sqrt_sw) = problem.kernel_view()
        self.X = problem.X
        self.S = problem.n_weight
        self.yt = problem.target(k)
        # r = yt - Xs w + (mu^T w) sqrt(s)
        rs = np.array(self.yt, dtype=problem.dtype)
        nz = np.flatnonzero(w)
        if nz.size:
            rs -= np.asarray(self.X[:, nz] @ w[nz].astype(problem.dtype)).ravel()
            rs += float(self.mu[nz] @ w[nz]) * self.sqrt_sw
        self.rs = rs
        self.q = np.array([float(self.sqrt_sw @ rs)])
        self.a = problem.col_sq_norms() / self.S

    def correlations(self, w):
        S, rs = self.S, self.rs
        v = (np.asarray(self.X.T @ rs, dtype=np.float64).ravel()
             - self.mu * self.q[0]) / S
        return v, float(rs @ rs) / S, float(rs @ self.yt) / S

    def run(self, w, ws, l1, l2, positive, max_epochs, tol_gap, tol_viol, anderson):
        return K.cd_solve_sparse(self.data, self.indices, self.indptr, self.mu,
                                 self.smu, self.sqrt_sw, self.rs, self.q, w, ws, self.a,
                                 l1, l2, positive, 1.0 / self.S, self.yt, max_epochs,
                                 tol_gap, tol_viol, anderson)


class _GramState:
    """Gradient form on the Gram matrix: ``grad = G w / S - c / S``."""

    def __init__(self, problem, k, w):
        (self.G,) = problem.kernel_view()
        self.S = problem.n_weight
        self.c = problem.xty(k) / self.S
        self.yy = problem.yy(k) / self.S
        self._Q = None          # G / S, formed once when every feature is in play

    def correlations(self, w):
        Gw = symmetric_times(self.G, w) / self.S
        cw = float(self.c @ w)
        rr = max(self.yy - 2.0 * cw + float(w @ Gw), 0.0)
        return self.c - Gw, rr, self.yy - cw

    def run(self, w, ws, l1, l2, positive, max_epochs, tol_gap, tol_viol, anderson):
        # the support is always inside ws (see _working_set): the coordinates
        # outside it are zero and the block G[ws, ws] is the whole problem
        if ws.size == w.size:
            if self._Q is None:
                self._Q = self.G / self.S
            Q, c, x = self._Q, self.c, w.astype(np.float64)
            l1w, l2w = l1, l2
        else:
            Q = self.G[np.ix_(ws, ws)] / self.S
            c, x = self.c[ws], w[ws].astype(np.float64)
            l1w, l2w = l1[ws], l2[ws]
        grad = Q @ x - c
        epochs, worst, gap = K.cd_solve_gram(Q, grad, x, c, self.yy, l1w, l2w, positive,
                                             max_epochs, tol_gap, tol_viol, anderson)
        w[ws] = x
        return epochs, worst, gap


_STATES = {"dense": _DenseState, "sparse": _SparseState, "gram": _GramState}


def solve_cd(problem, k, penalty, w0, tol_abs, max_iter, *, working_sets=True,
             anderson=True, start_ws=None, finish=True):
    """Minimise ``P`` for target ``k`` from ``w0``.

    Returns ``(w, n_epochs, gap, own_gap, ws)``: ``w`` in the problem's output
    dtype, ``gap`` its float64 certificate (:meth:`~skreg._datafit._Problem.gap`),
    ``own_gap`` the solver's running estimate, and ``ws`` the last working set,
    for a warm start along a path.  ``start_ws`` seeds the working set.

    Converged means ``gap <= tol_abs``; the answer is then *finished*, because a
    duality gap pins the coefficients only to about its square root: a
    feature-sign Newton step on the support (:func:`_polish`) makes it exact to
    rounding when the support and signs are right.  When that step does not
    land on the optimum (a feature near its threshold is still on the wrong
    side, or the support is too large for a factorisation), descent goes on to
    a gap 1000 times below ``tol_abs``, then tries again, and on to gaps 100
    times smaller while a round moves a coefficient by more than ``tol`` times
    the largest (scikit-learn's rule for its coordinate descent).  The
    finish spends at most three times the epochs of the descent to
    ``tol_abs``, and nothing when the support is too large for a Newton step
    (thousands of active features of a sparse design): that answer is as exact
    as its gap.  ``n_epochs`` may be 0 when ``w0`` needs no
    epoch.  ``finish=False`` stops at ``tol_abs`` (a fold's path in
    cross-validation, whose coefficients only score held-out rows), and skips
    the Newton step from a warm start too: on small problems its Python costs
    more than the epochs it saves.

    When the running estimate meets the target but the certificate does not
    (the running residual drifted), the state is rebuilt from a fresh residual
    and the iterations go on.  Ctrl-C stops at the current iterate: the
    ``KeyboardInterrupt`` is re-raised with it attached as ``exc.skreg_coef``.
    """
    w = np.array(w0, dtype=problem.dtype)
    l1, l2 = penalty.weights(w.shape[0])
    exact = _EXACT * problem.zero_objective(k)
    tol = tol_abs / max(problem.zero_objective(k), 1e-300)
    floor = max(_FINISH * tol_abs, exact)
    run = _Descent(problem, k, penalty, l1, l2, max_iter, working_sets, anderson)
    run.w = w                           # what Ctrl-C keeps before any epoch
    target, moved = tol_abs, np.inf
    try:
        landed = _warm_newton(problem, k, w, penalty, l1, l2, exact) if finish else None
        if landed is not None:
            return landed[0], 0, landed[1], landed[1], start_ws
        out, gap, own_gap, ws = run.descend(w, target, start_ws)
        # the finish costs at most three times the epochs of the descent to
        # tol_abs (float32 arithmetic may never reach its targets), and nothing
        # when no Newton step can be taken on the support: thousands of active
        # features of a sparse design, where more epochs would cost several
        # times the fit
        if not finish or not np.isfinite(_polish_cost(problem, np.flatnonzero(out), l2)):
            return out, run.n_epochs, gap, own_gap, ws
        run.budget = min(max_iter, _FINISH_COST * max(run.n_epochs, _MIN_FINISH))
        last_support = None
        while True:
            support = np.flatnonzero(out)
            cost = _polish_cost(problem, support, l2)
            # a costly step waits until the support is likely right: it stayed the
            # same for a round, or the gap is small
            affordable = cost <= max(run.n_epochs, _MIN_FINISH) and (
                cost <= 1.0 or gap <= _SETTLED * problem.zero_objective(k)
                or np.array_equal(support, last_support))
            last_support = support
            if affordable:
                out, gap = _polish(problem, k, out, gap, penalty, l1, l2, target)
            settled = (target <= floor
                       and moved <= tol * np.max(np.abs(out), initial=0.0))
            if gap > target or (affordable and gap <= exact) or target <= exact \
                    or run.spent or settled:
                break
            # straight to the floor, then 100 times tighter while coefficients
            # move, always below the gap reached
            target = max(exact, min(floor if target > floor else target * _TIGHTEN,
                                    gap * _TIGHTEN))
            before = out, gap, own_gap, ws
            out, gap, own_gap, ws = run.descend(out.astype(problem.dtype), target, None)
            if gap > tol_abs >= before[1]:      # (the gap is not monotone)
                out, gap, own_gap, ws = before
                break
            moved = float(np.max(np.abs(out - before[0]), initial=0.0))
    except KeyboardInterrupt as exc:
        exc.skreg_coef = run.w.astype(problem.out_dtype)
        exc.skreg_epochs = max(run.n_epochs, 1)
        raise
    return out, run.n_epochs, gap, own_gap, ws


def _warm_newton(problem, k, w, penalty, l1, l2, exact):
    """From a warm start (the solution at a nearby alpha, along a path), one
    cheap Newton step on its support often lands on the new optimum directly:
    ``(w_new, gap)`` when it does (no epoch needed), else None."""
    support = np.flatnonzero(w)
    if support.size == 0 or _polish_cost(problem, support, l2) > 1.0:
        return None
    new, gap = _polish(problem, k, w.astype(problem.out_dtype), np.inf, penalty, l1,
                       l2, np.inf)
    return (new, gap) if gap <= exact else None


# The finish: descent goes on to this fraction of the tolerance, then to gaps
# smaller by _TIGHTEN at a time while the coefficients still move, until a Newton
# step lands on the optimum, where the gap is at the rounding level of the
# objective (_EXACT of P(0)).
_FINISH = 1e-3
_TIGHTEN = 1e-2
_EXACT = 1e-13
# Below this gap (relative to P(0)) a support is taken as settled.
_SETTLED = 1e-6
# The finish's epochs: three times those of the descent to tol (at least 10).
_FINISH_COST = 4
_MIN_FINISH = 10
# Fresh restarts of the running residual when it drifted from the certificate.
_REFRESHES = 3
# Outer iterations whose inner loop gave up, without any decrease of the full
# gap, before the solver gives up (the rounding floor of the data's dtype).
_STALL = 3


class _Descent:
    """Working-set descent of one target, resumable at tighter targets: it
    counts the epochs spent against ``max_iter`` and keeps the last iterate
    (for Ctrl-C)."""

    def __init__(self, problem, k, penalty, l1, l2, max_iter, working_sets, anderson):
        self.problem, self.k, self.penalty = problem, k, penalty
        self.l1, self.l2 = l1, l2
        self.max_iter, self.working_sets, self.anderson = max_iter, working_sets, anderson
        self.budget = max_iter
        self.curvature = problem.curvature() if penalty.is_zero else 1.0
        self.n_epochs = 0
        self.w = None

    @property
    def spent(self):
        return self.n_epochs >= self.budget

    def descend(self, w, target, start_ws):
        """Iterate from ``w`` until the certificate is within ``target``; returns
        ``(w_out, gap, own_gap, ws)``, ``w_out`` in the output dtype."""
        problem, k = self.problem, self.k
        self.w = w
        for _ in range(_REFRESHES):
            state = _STATES[problem.form](problem, k, w)
            w, epochs, own_gap, ws = self._outer_loop(
                state, w, target, self.budget - self.n_epochs, start_ws,
                first=self.n_epochs == 0)
            self.w = w
            start_ws = None
            self.n_epochs += epochs
            out = w.astype(problem.out_dtype, copy=False)
            if problem.form == "gram" and out.dtype == np.float64:
                gap = own_gap        # computed from G in float64 already: the same
            else:
                gap = problem.gap(out, k, self.penalty)
            if gap <= target or own_gap > target or self.spent:
                break
            w = out.astype(problem.dtype)
        return out, gap, own_gap, ws

    def _outer_loop(self, state, w, tol_abs, budget, start_ws, first):
        """Working-set iterations from ``state``; returns ``(w, epochs, gap, ws)``.

        Once the support has stayed the same for an outer iteration, a Newton step
        on it (:func:`_newton_step`) finishes the solve exactly when the signs are
        right, which coordinate descent alone would only approach linearly.
        """
        problem, k = self.problem, self.k
        n_epochs, ws = 0, np.zeros(0, dtype=np.int64)
        best, stalled, gave_up = np.inf, 0, False
        last_support, saved = None, None
        self._newton_on = True
        while True:
            state, v, primal, gap = self._measure(state, w, saved)
            saved = None
            # from a cold start take at least one step: w = 0 can be within the
            # tolerance just below alpha_max, and zero is not the answer there
            cold = first and not np.any(w)
            first = False
            if (gap <= tol_abs and not cold) or gap == 0.0 or n_epochs >= budget:
                break
            # stalled: the inner loop gave up (no progress for PATIENCE epochs)
            # and the full gap did not decrease either -- the rounding floor
            stalled = stalled + 1 if (gave_up and gap >= best) else 0
            best = min(best, gap)
            if stalled >= _STALL:
                break
            score = K.violations(w, np.ascontiguousarray(v, dtype=np.float64), self.l1,
                                 self.l2, self.penalty.positive)
            worst = float(score.max()) if score.size else 0.0
            if worst == 0.0 and cold:
                break                       # w = 0 is optimal (alpha >= alpha_max)
            support = np.flatnonzero(w)
            if self._newton_on and support.size and np.array_equal(support, last_support):
                w_new = self._newton(support, w)
                if w_new is not None:
                    saved = (w.copy(), primal)
                    w[:] = w_new
                    state = _STATES[problem.form](problem, k, w)
                    n_epochs += 1
                    last_support = None
                    continue
            last_support = support
            ws = _working_set(w, score, w.shape[0], self.working_sets, start_ws,
                              saturated=0 < ws.size <= support.size)
            start_ws = None
            epochs, gave_up = self._inner(state, w, ws, gap, worst, tol_abs,
                                          budget - n_epochs)
            n_epochs += epochs
        return w, n_epochs, gap, ws

    def _measure(self, state, w, saved):
        """``(state, v, P(w), gap)`` at ``w``.  A Newton step just taken (``saved``:
        the iterate and objective before it) is undone when it raised the
        objective (judged by the objective, not the gap, whose dual point moves
        too), and no other is tried in this loop."""
        v, rr, ry = state.correlations(w)
        primal, _, gap = duality_gap(w, v, rr, ry, self.penalty, self.curvature)
        if saved is not None and not primal <= saved[1]:
            w[:] = saved[0]
            state = _STATES[self.problem.form](self.problem, self.k, w)
            v, rr, ry = state.correlations(w)
            primal, _, gap = duality_gap(w, v, rr, ry, self.penalty, self.curvature)
            self._newton_on = False
        return state, v, primal, gap

    def _newton(self, support, w):
        """The feature-sign Newton step on ``support`` when affordable, else None."""
        if not _newton_affordable(self.problem, support.size):
            return None
        return _newton_step(self.problem, self.k, w, support, self.l1, self.l2,
                            self.penalty.positive, _NEWTON_STEPS)

    def _inner(self, state, w, ws, gap, worst, tol_abs, left):
        """Compiled epochs on the working set ``ws``: the whole problem to the
        tolerance, a subproblem to a fraction of the full gap; at most _CHUNK
        epochs at a time (a support that has settled then gets its Newton step
        instead of many slow epochs on a collinear design).  Returns the epochs
        run and whether the inner loop gave up (no progress)."""
        if ws.size == w.shape[0]:
            tol_gap, tol_viol = INNER_FINAL * tol_abs, 0.0
        else:
            tol_gap, tol_viol = INNER_FRACTION * gap, INNER_FRACTION * worst
        chunk = min(_CHUNK, left)
        epochs, worst_in, gap_in = state.run(w, ws, self.l1, self.l2,
                                             self.penalty.positive, chunk, tol_gap,
                                             tol_viol, self.anderson)
        return epochs, epochs < chunk and gap_in > tol_gap and worst_in > tol_viol


# Feature-sign steps per attempt (each a Cholesky factorisation of the support).
_NEWTON_STEPS = 20
# Newton steps on supports of this size at most.  On the rows form a step costs
# one Gram block of the support (n |A|^2 flops, at BLAS speed: about |A| / 20
# epochs' worth of memory-bound work), and beyond n samples the block of an L1
# support is singular anyway.
_NEWTON_MAX = 500


def _newton_affordable(problem, size):
    if size > _NEWTON_MAX:
        return False
    return problem.form == "gram" or size <= problem.shape[0]


def _newton_step(problem, k, w, support, l1, l2, positive, max_steps=1):
    """Feature-sign steps from ``w`` on the block ``support``; the new iterate
    or None.

    With the signs ``sigma`` of the active (non-zero) coordinates fixed, ``P``
    restricted to them is the quadratic whose minimiser solves ``(Q_AA +
    diag(l2_A)) z = c_A - l1_A sigma`` (``Q = Xt^T Xt / S``, ``c = Xt^T yt /
    S``), by one Cholesky factorisation.  The segment from ``w`` to ``z``
    decreases the convex objective until a coefficient changes sign; the step
    stops there and that coefficient is set to exactly zero.  When ``z`` is
    reached, the zero coordinates of the block that violate their optimality
    condition enter with the sign that decreases ``P``.  Up to ``max_steps``
    steps, until ``z`` is reached with no violator (exact on the block).  The
    linear algebra is :class:`_GramBlock`'s, or :class:`_KernelBlock`'s for a
    block larger than ``n`` on dense rows.  None when the first system is
    singular or ill-conditioned (collinear active features): coordinate descent
    carries on.
    """
    wide = problem.form != "gram" and support.size > problem.shape[0]
    block = (_KernelBlock if wide else _GramBlock)(problem, support, l2)
    c = problem.xty(k)[support] / problem.n_weight
    l1b = l1[support]
    out = w.astype(np.float64)
    x = out[support]
    signs = np.ones(support.size) if positive else np.sign(x)
    alive = x != 0
    block.set_alive(alive)
    for step in range(max_steps):
        idx = np.flatnonzero(alive)
        z = block.solve(idx, c[idx] - l1b[idx] * signs[idx])
        if z is None:
            if step == 0:
                return None
            break
        hit = _sign_step(x, idx, z)
        if hit is None:                 # exact on this face: bring in violators
            grad = block.grad(x) - c
            dead = ~alive & (((-grad) if positive else np.abs(grad))
                             > l1b * (1.0 + 1e-12))
            if not np.any(dead):
                break
            signs[dead] = -np.sign(grad[dead])
            alive |= dead
            block.add(np.flatnonzero(dead))
        else:
            alive[idx[hit]] = False
            block.drop(idx[hit])
            if not np.any(alive):
                break
    out[support] = x
    return out


class _GramBlock:
    """The linear algebra of :func:`_newton_step` from the Gram block of the
    support (``|A| x |A|``, gathered once)."""

    def __init__(self, problem, support, l2):
        self.Q = problem.gram_block(support, support) / problem.n_weight
        self.l2 = l2[support]

    def set_alive(self, alive):
        pass

    add = drop = set_alive

    def solve(self, idx, b):
        Q = self.Q[np.ix_(idx, idx)]
        Q.flat[:: idx.size + 1] += self.l2[idx]
        return _solve_spd(Q, b)

    def grad(self, x):
        return self.Q @ x


class _KernelBlock:
    """The same for a support larger than ``n`` on the rows, every coordinate
    with an L2 weight ``D = diag(l2)``: ``(Xt_A^T Xt_A / S + D) z = b`` solved
    through the ``n x n`` matrix ``S I + Y Y^T``, ``Y = Xt_A D^{-1/2}`` (Woodbury),
    which a coordinate leaving or entering updates by its column."""

    def __init__(self, problem, support, l2):
        self.S = problem.n_weight
        self.scale = 1.0 / np.sqrt(l2[support])
        self.Y = problem.dense_columns(support) * self.scale
        self.K = None

    def set_alive(self, alive):
        live = self.Y[:, alive]
        self.K = live @ live.T

    def add(self, cols):
        self.K += self.Y[:, cols] @ self.Y[:, cols].T

    def drop(self, cols):
        self.K -= self.Y[:, cols] @ self.Y[:, cols].T

    def solve(self, idx, b):
        Y, scale = self.Y[:, idx], self.scale[idx]
        u = scale * b
        M = self.K.copy()
        M.flat[:: M.shape[0] + 1] += self.S
        v = _solve_spd(M, Y @ u)
        return None if v is None else scale * (u - Y.T @ v)

    def grad(self, x):
        Y = self.Y
        return (Y.T @ (Y @ (x / self.scale))) / (self.scale * self.S)


# The cost of a Newton step on a support A, in epochs of coordinate descent on
# it: forming its block (the Gram block, n |A| m flops for m = min(n, |A|); for
# a sparse design about nnz_A^2 / n; nothing in the Gram form) and a few
# Cholesky factorisations of m^3 / 3 flops, run by BLAS about _BLAS_SPEEDUP
# times faster per flop than an epoch's 2 nnz_A (Gram form: 2 |A|^2) flops.
_BLAS_SPEEDUP = 20
_FACTORISATIONS = 3
# No block larger than this (its matrix alone would be 200 MB), and no dense
# copy of more entries than this of the columns of a wide support (160 MB).
_BLOCK_MAX = 5000
_DENSE_MAX = 20_000_000


def _polish_cost(problem, support, l2):
    """The cost of the finishing Newton step on ``support``, in epochs (inf when
    it cannot be taken: a block beyond ``_BLOCK_MAX``, or more than ``n``
    active features, which make the rows' system singular unless every one has
    an L2 weight, the elastic net, which the kernel form then solves from a
    dense copy of the support's columns of at most ``_DENSE_MAX`` entries)."""
    size, n = support.size, problem.shape[0]
    if size == 0 or min(n, size) > _BLOCK_MAX:
        return np.inf
    if problem.form == "gram":
        block, epoch = 0.0, 2.0 * size * size
    elif size > n:
        if not np.all(l2[support] > 0) or n * size > _DENSE_MAX:
            return np.inf
        block, epoch = float(n) * n * size, 2.0 * n * size
    elif problem.sparse:
        nnz = float(np.diff(problem.X.indptr)[support].sum())
        block, epoch = nnz * nnz / n, 2.0 * nnz
    else:
        block, epoch = float(n) * size * min(n, size), 2.0 * n * size
    m = float(min(n, size))
    flops = block + _FACTORISATIONS * m ** 3 / 3.0
    return flops / (_BLAS_SPEEDUP * max(epoch, 1.0))


def _polish(problem, k, w, gap, penalty, l1, l2, tol_abs):
    """Last feature-sign steps on the support, kept if the objective does not
    increase and the certificate stays within the tolerance (or improves): they
    make the answer exact to rounding
    when the signs are right, where the gap alone pins the coefficients to
    about ``sqrt(eps)`` only."""
    support = np.flatnonzero(w)
    if support.size == 0:
        return w, gap
    # the support and the features at the edge of entering it: the steps bring
    # those in when they violate optimality at the face's optimum
    v, rr, ry = problem.correlations(w, k)
    primal = duality_gap(np.asarray(w, dtype=np.float64), v, rr, ry, penalty)[0]
    score = (v if penalty.positive else np.abs(v)) - (1.0 - _EDGE) * l1
    edge = np.flatnonzero((score > 0) & (w == 0) & (l1 > 0))
    if edge.size:
        edge = edge[np.argsort(-score[edge])[:max(support.size // 10, 10)]]
        block = np.union1d(support, edge)
    else:
        block = support
    if (problem.form != "gram" and block.size > problem.shape[0]
            and not np.all(l2[block] > 0)):
        block = support
    new = _newton_step(problem, k, w.astype(np.float64), block, l1, l2,
                       penalty.positive, _NEWTON_STEPS)
    if new is None:
        return w, gap
    new = new.astype(problem.out_dtype)
    new_primal, new_gap = problem.primal_and_gap(new, k, penalty)
    rounding = _ROUNDING * problem.zero_objective(k)
    if new_gap <= max(gap, tol_abs) and new_primal <= primal + rounding:
        return new, new_gap
    return w, gap


# Objective values this close (relative to P(0)) are equal up to rounding.
_ROUNDING = 1e-13
# Zero features whose correlation is within this fraction of their L1 weight
# join the polish's block (at most a tenth of the support, at least 10).
_EDGE = 1e-2


def _sign_step(out, idx, z):
    """Move ``out[idx]`` towards ``z`` up to the first sign change; returns the
    mask of coordinates set to zero there (None when ``z`` was reached)."""
    x = out[idx]
    d = z - x
    with np.errstate(divide="ignore", invalid="ignore"):
        t_cross = -x / d
    crossing = (x * d < 0) & (t_cross < 1.0)
    if not np.any(crossing):
        out[idx] = z
        return None
    t = float(t_cross[crossing].min())
    out[idx] = x + t * d
    hit = crossing & (t_cross <= t)
    out[idx[hit]] = 0.0
    return hit


def _solve_spd(M, b):
    """Solve ``M z = b`` by Cholesky, or None when ``M`` is (nearly) singular."""
    M = np.asarray(M, dtype=np.float64)
    potrf, potrs = _POTRF
    factor, info = potrf(M, lower=False, overwrite_a=False, clean=False)
    if info != 0:
        return None
    diag = np.abs(np.diagonal(factor))
    if not diag.min() > 1e-6 * diag.max():
        return None
    z, info = potrs(factor, b, lower=False)
    return z if info == 0 and np.all(np.isfinite(z)) else None


def _working_set(w, score, p, working_sets, start_ws, saturated=False):
    """The support, the worst violators, and ``start_ws``: twice the support in
    size (at least ``P0``; four times when the last working set was all support,
    ``saturated``: the support is still growing fast), or every feature once
    that exceeds half of them."""
    support = np.flatnonzero(w)
    size = max(P0, (4 if saturated else 2) * support.size)
    if start_ws is not None:
        size = max(size, np.asarray(start_ws).size)
    if not working_sets or size >= p // 2:
        return np.arange(p, dtype=np.int64)
    keep = score.copy()
    keep[support] = np.inf
    if start_ws is not None:
        keep[start_ws] = np.maximum(keep[start_ws], np.finfo(np.float64).max)
    violating = np.count_nonzero(keep > 0)
    size = min(size, max(violating, support.size))
    if size == 0:
        return support.astype(np.int64)
    ws = np.argpartition(-keep, size - 1)[:size]
    return np.sort(ws).astype(np.int64)
