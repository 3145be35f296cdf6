"""Proximal Newton on working sets for the logistic and multinomial losses.

Minimises ``F(W, b) = loss(W, b) + g(W)`` of :mod:`skreg._logistic` as glmnet,
liblinear's newGLMNET and skglm's ProxNewton do, on top of the least-squares
engine (:func:`solve_logistic`):

1. at the current point compute the probabilities, the gradient ``G`` of the
   loss, and the duality gap (float64, :meth:`LogisticProblem.primal_and_gap`);
   stop when it is at most ``tol * F0`` (``F0`` the null model's objective);
2. score every feature by its optimality violation (the distance of ``-G_kj``
   to the subdifferential of the penalty, largest over the classes) and take
   the working set of :func:`skreg._solvers._cd._working_set`: the support,
   the worst violators, twice the support in size (doubling as the support
   grows), every feature once that is more than half of them; ``start_ws``
   seeds it (strong rules along a path).  Without an L1 part every
   coefficient is non-zero: the working set is every feature;
3. the loss as a function of one coefficient row and its intercept ``(w_k,
   b_k)`` (the binary loss has one row) has the exact Hessian ``X^T diag(a
   p_k (1 - p_k)) X``: its second-order model at the current point is the
   weighted least-squares problem

   .. math::

       m_k(w, \\beta) = \\frac{1}{2S} \\sum_i h_i (z_i - x_i^\\top w - \\beta)^2
                        + g(w) + \\text{const},
       \\qquad h_i = s_i p_{ik} (1 - p_{ik}), \\quad
       z_i = \\eta_{ik} + \\frac{y_{ik} - p_{ik}}{p_{ik} (1 - p_{ik})}

   (its gradient and Hessian in ``eta_k`` are the loss's: ``h_i (eta_ik - z_i)
   / S = a_i (p_ik - y_ik)`` and ``h_i / S``), with ``p (1 - p)`` floored at
   :data:`skreg._logistic.HESSIAN_FLOOR` so that it stays defined where the
   probabilities saturate.  The least-squares engine holds it on the working
   set's columns with the weights ``h``, normalised by ``H = sum_i h_i``
   instead of ``S``; multiplying ``m_k`` by ``S / H`` gives

   .. math::

       \\frac{S}{H} m_k = \\frac{1}{2H} \\sum_i h_i (z_i - x_i^\\top w - \\beta)^2
                          + \\frac{S}{H} g(w) + \\text{const},

   the same minimiser, so the inner problem is the prepared one with the
   penalty weights multiplied by ``S / H`` (and its duality gap is ``S / H``
   times that of ``m_k``).  Its intercept is eliminated there by the weighted
   centring, and comes back as ``zbar - mu^T w``.  The inner problem is held

   * in the Gram form when ``n >= 4 |W|`` (:class:`_Curvature`): one compiled
     pass centres and weights the working set's columns, BLAS's ``syrk`` forms
     ``Gc``, and the linear part ``C = Gc w - S (g_w - mu g_b)`` comes from the
     gradient already at hand, without another pass over ``X``;
   * otherwise in the rows form of :func:`skreg._datafit.prepare_problem`
     (one weighted, centred copy of the working set's columns);

   and solved by the compiled coordinate descent on working sets *without* its
   finishing step (:class:`skreg._solvers._cd._Descent`), warm-started at the
   current ``w_k``, to its gap at the start times the forcing term
   ``min(0.3, sqrt(gap / F0))`` (inexact Newton, superlinear as the outer gap
   vanishes); near the optimum a feature-sign Newton step on its support
   (:func:`_polish`) resolves what the inner gap cannot (the outer gap of an
   L1 penalty is linear in the violations, the inner one quadratic).  Without
   an L1 part or constraint (L2, or none) the inner problem is a ridge
   regression solved in closed form: the exact Newton step (Newton-Cholesky);
   on a wide dense design through ``X X^T``, formed once per solve, the
   weights and centring applied in ``O(n^2 + np)`` (:class:`_KernelRidge`);
4. a backtracking (Armijo) line search on ``F`` itself along the direction
   ``(d, d_b)`` to the model's minimiser: step ``t`` in ``1, 1/2, ...`` until
   ``F(t) <= F + sigma t Delta`` with the proximal-Newton decrease
   ``Delta = grad^T (d, d_b) + g(w + d) - g(w) < 0``.

**Hessian reuse.**  Forming ``Gc`` costs ``n |W|^2`` flops, more than the rest
of an iteration (``O(n p)``) when ``|W|`` is large.  A Gram matrix is reused for
the next step (with the new gradient: a model with the old curvature, still a
descent direction) once after it is formed and then as long as each of its
steps divides the gap by 10; a failed step with it is retried with a fresh
one.  (Shamanskii's modified Newton; on the tall dense benchmark it halves the
Gram matrices formed.)

**Multinomial.**  Cycling over the classes with each class's own Hessian block
(glmnet's "ungrouped" approach, kept here for problems too large for the
joint step, with a line search per block so each block step decreases ``F``)
converges only linearly, and slowly: where a sample's probability is shared
by two classes their blocks are nearly opposite, and the loss is invariant to
adding the same vector to every row.  The default is the joint step on the
full Hessian ``sum_i s_i (xt_i xt_i^T) (x) (diag(p_i) - p_i p_i^T)``, held as a
Gram-form least-squares problem over all rows and intercepts
(:class:`_JointCurvature`, intercepts partialled out exactly), when it has at
most 1500 rows and costs at most ``2e10`` flops to form: Newton's quadratic
convergence (digits, ``alpha_max / 100``: 10 iterations to a gap of
``1e-12``, where cycling had not reached ``1e-6`` after 100).  After each
iteration the rows are shifted by the vector that minimises the penalty along
the loss's invariant directions (:func:`best_shift`, exact and free).

**Unpenalised coordinates** (penalty factors of zero, the multinomial
intercepts) are partialled out of each inner problem exactly
(:mod:`skreg._unpenalized`).

**Ctrl-C** re-raises the ``KeyboardInterrupt`` with the last iterate attached
as ``exc.skreg_result`` (a :class:`LogisticResult`, its gap computed there).
Iterates are only ever replaced by a fully computed accepted step.

**Separable data** without (or with a vanishing) penalty: the infimum is not
attained and the coefficients grow every iteration; nothing overflows (the
probabilities and losses are computed in log-space), the solver stops at
``max_iter``, when no step decreases ``F`` any more or after three iterations
without a smaller gap, and reports the gap it certifies, with
``converged=False`` unless that gap meets the tolerance.

**Smooth penalties and L-BFGS.**  Without an L1 part the Newton steps compete
with quasi-Newton methods: :func:`solve_logistic_lbfgs` (scipy's L-BFGS-B,
stopped by the same gap) is faster for multinomial losses (no ``n (pK)^2``
Hessian) and for tall dense ridge problems, measured (one BLAS thread, a shared
machine, tol 1e-8): digits ``alpha_max / 10`` 0.10 s (L-BFGS) against 0.43 s
(Newton on the joint Hessian); a dense 20000 x 200 ridge 0.26-0.30 s against
0.33-0.36 s; a wide 500 x 5000 ridge 0.13 s against 0.18-0.22 s; breast cancer
about even (4-10 ms).  The Newton steps need 6-12 iterations where L-BFGS needs
15-100, so they win where an iteration's products with ``X`` dominate a
Hessian's cost.  The ``auto`` rule is decided later.
"""

from dataclasses import dataclass

import numpy as np

import scipy.linalg as la
import scipy.sparse as sp

from .._datafit import GramProblem, RowsProblem, prepare_problem
from .._kernels import center_columns, center_rows, violations
from .._logistic import (
    HESSIAN_FLOOR,
    LogisticProblem,
    log_probabilities,
    matmul64,
    penalty_terms,
    rmatmul64,
)
from .._penalties import penalty_from_weights
from .._unpenalized import eliminate
from ._cd import (
    _MIN_FINISH,
    _NEWTON_STEPS,
    _Descent,
    _newton_affordable,
    _newton_step,
    _polish_cost,
    _working_set,
)
from ._closed_form import solve_closed_form

# BLAS's symmetric rank-k product (the upper triangle of A^T A), float64.
_SYRK = la.blas.get_blas_funcs("syrk", (np.zeros((1, 1)),))

# Inner problems are solved to at most this fraction of their gap at the start.
INNER_FRACTION = 0.3
# Epochs of coordinate descent per inner problem at most.
INNER_EPOCHS = 500
# Below this relative outer gap, each inner answer gets a feature-sign Newton
# step on its support (:func:`_polish`).
_POLISH_BELOW = 1e-4
# Armijo constant and largest number of halvings of the step.
SIGMA = 1e-2
MAX_BACKTRACK = 30
# An objective within this many ulps (of F0) of the Armijo bound counts as met:
# F is a weighted mean of n terms, its rounding is not a failure of the step.
_ROUNDING_ULPS = 64
# A Hessian is reused for the next step when its last step divided the gap by
# at least 1 / _REUSE_RATE (and always once after it was formed).
_REUSE_RATE = 0.1
# Outer iterations without a smaller gap before the solver stops (the rounding
# floor: steps F cannot resolve any more).
_STALL = 3
# Coordinate descent on the Gram matrix of the working set when the data are
# at least this many times taller than the working set is wide, for working
# sets up to _GRAM_MAX features (_GRAM_MAX_SPARSE for a sparse design).
_GRAM_RATIO = 4
_GRAM_MAX = 1000
_GRAM_MAX_SPARSE = 500


@dataclass
class LogisticResult:
    """What :func:`solve_logistic` hands back to the estimator."""

    coef: np.ndarray            # (n_coef, n_features), the data's dtype
    intercept: np.ndarray       # (n_coef,), the data's dtype
    n_iter: int                 # outer (Newton) iterations
    gap: float                  # the float64 certificate
    converged: bool             # gap <= tol * F0
    working_set: np.ndarray     # the last working set (for a path)
    objective: float = np.nan   # F at the answer (float64)
    n_epochs: int = 0           # inner coordinate-descent epochs, all told


def _violations(W, G, l1, l2, positive):
    """Largest optimality violation of each feature over the coefficient rows:
    the distance of ``-G_kj`` to the subdifferential of the penalty at
    ``w_kj`` (what ``penalty.subdiff_distance`` computes, compiled)."""
    out = violations(W[0], np.ascontiguousarray(-G[0]), l1, l2, positive)
    for k in range(1, W.shape[0]):
        np.maximum(out, violations(W[k], np.ascontiguousarray(-G[k]), l1, l2, positive),
                   out=out)
    return out


def solve_logistic(problem, penalty, tol=1e-4, max_iter=100, coef_init=None,
                   intercept_init=None, start_ws=None):
    """Minimise the penalised logistic / multinomial objective.

    Parameters
    ----------
    problem : LogisticProblem
    penalty : ElasticNetPenalty
        Any penalty object with ``weights(p)``, ``positive`` and
        ``subdiff_distance``.
    tol : float
        Relative: the certified duality gap must reach ``tol * F0``.
    max_iter : int
        Outer (Newton) iterations at most.
    coef_init, intercept_init : ndarray, optional
        Warm start, shapes ``(n_coef, p)`` and ``(n_coef,)``; the intercept
        defaults to the null model's.
    start_ws : array of int, optional
        Features to put in the first working set (a path's previous support or
        its strong set).

    Returns
    -------
    LogisticResult
    """
    p, m = problem.shape[1], problem.n_coef
    tol_abs = tol * problem.null_objective()
    W = (np.zeros((m, p)) if coef_init is None
         else np.array(coef_init, dtype=np.float64).reshape(m, p))
    b = (problem.null_intercept() if intercept_init is None
         else np.array(intercept_init, dtype=np.float64).reshape(m))
    run = _Run(problem, penalty, tol_abs)
    run.state = (W, b, problem.linear(W, b))
    try:
        state, n_iter, gap, F, ws = run.loop(max_iter, start_ws, cold=coef_init is None)
    except KeyboardInterrupt as exc:
        W, b, eta = state = run.state          # the last accepted iterate
        F, gap = problem.primal_and_gap(W, b, penalty, eta)
        exc.skreg_result = run.result(state, max(run.n_iter, 1), gap, F, run.ws)
        raise
    n_iter = max(n_iter, 1) if coef_init is None else n_iter
    return run.result(state, n_iter, gap, F, ws)


class _Run:
    """One solve: the data, the penalty, the current iterate ``state = (W, b,
    eta)`` (replaced whole, by one assignment, when a step is accepted: what
    Ctrl-C reports) and the counters."""

    def __init__(self, problem, penalty, tol_abs):
        self.problem, self.penalty, self.tol_abs = problem, penalty, tol_abs
        self.l1, self.l2 = penalty.weights(problem.shape[1])
        self.n_iter = self.n_epochs = 0
        self.state = None
        self._curvature = None          # the last Hessian's Gram (reuse)
        self._kernel = None             # X X^T for wide ridge steps
        self._gap_before = self._gap_now = np.inf
        self.F0 = max(problem.null_objective(), 1e-300)
        self.ws = np.zeros(0, dtype=np.int64)
        self.rounding = _ROUNDING_ULPS * np.finfo(np.float64).eps * max(
            problem.null_objective(), 1e-300)

    def result(self, state, n_iter, gap, F, ws):
        W, b, _ = state
        dtype = self.problem.dtype
        return LogisticResult(W.astype(dtype), b.astype(dtype), int(n_iter), float(gap),
                              bool(gap <= self.tol_abs), np.asarray(ws), float(F),
                              self.n_epochs)

    def loop(self, max_iter, start_ws, cold):
        """Outer iterations from ``self.state``; returns ``(state, n_iter, gap,
        F, ws)``."""
        problem, penalty = self.problem, self.penalty
        state = self.state
        p = problem.shape[1]
        fresh = True
        best, stalled = np.inf, 0
        probs = None            # (log P, P) of state's eta when already at hand
        while True:
            W, b, eta = state
            logp, P = log_probabilities(eta) if probs is None else probs
            G, gb = problem.gradient(P)
            F, gap = problem.primal_and_gap(W, b, penalty, eta, G, (logp, P))
            if gap <= self.tol_abs and not fresh:
                # the certificate from a freshly computed eta (the running one
                # accumulates the rounding of the steps)
                state = self.state = (W, b, problem.linear(W, b))
                fresh, probs = True, None
                continue
            score = _violations(W, G, self.l1, self.l2, penalty.positive)
            if cold and not np.any(W) and self.n_iter == 0:
                # from w = 0 take at least one step (w = 0 can be within tol just
                # below alpha_max) unless it is exactly optimal
                done = not np.any(score > 0) and gap <= self.tol_abs
            else:
                done = gap <= self.tol_abs
            stalled = stalled + 1 if gap >= best else 0
            best = min(best, gap)
            self._gap_before, self._gap_now = self._gap_now, gap
            if done or self.n_iter >= max_iter or stalled >= _STALL:
                return state, self.n_iter, gap, F, self.ws
            # without an L1 part every coefficient is non-zero: no working set
            ws = (np.arange(p) if self._smooth() else
                  _working_set(np.any(W != 0, axis=0), score, p, True, start_ws))
            start_ws = None
            self.ws = ws
            XW = problem.X if ws.size == p else problem.X[:, ws]
            moved = False
            if problem.n_coef > 1 and _joint_affordable(problem, ws.size):
                new = self._joint_step(state, ws, XW, logp, P, F, gap, G, gb)
                if new is not None:
                    state, logp, P, F = new
                    self.state, moved = state, True
            else:
                for k in range(problem.n_coef):
                    new = self._class_step(state, k, ws, XW, logp, P, F, gap,
                                           G if not moved else None)
                    if new is not None:
                        state, logp, P, F = new
                        self.state, moved = state, True
            if problem.n_coef > 1 and not penalty.positive:
                state, F = self._shift(state, ws, F)     # (P is unchanged)
                self.state = state
            self.n_iter += 1
            fresh, probs = False, (logp, P)
            if not moved:               # no step decreases F: rounding floor
                W, b, _ = state
                state = self.state = (W, b, problem.linear(W, b))
                W, b, eta = state
                F, gap = problem.primal_and_gap(W, b, penalty, eta)
                return state, self.n_iter, gap, F, ws

    def _shift(self, state, ws, F):
        """Multinomial: the loss is unchanged when the same vector ``v`` is added
        to every coefficient row (and ``X v`` to every column of ``eta``); the
        penalty is minimised along those directions exactly, feature by feature
        (:func:`best_shift`).  Block steps per class move along them only slowly."""
        W, b, eta = state
        v = best_shift(W[:, ws], self.l1[ws], self.l2[ws])
        if not np.any(v):
            return state, F
        l1, l2 = self.l1[ws], self.l2[ws]
        W_t = W.copy()
        W_t[:, ws] -= v
        drop = penalty_terms(W[:, ws], l1, l2) - penalty_terms(W_t[:, ws], l1, l2)
        if not drop > 0.0:
            return state, F
        nz = np.flatnonzero(v)
        eta_t = eta - matmul64(self.problem.X[:, ws[nz]], v[nz, None])
        return (W_t, b, eta_t), F - drop

    def _joint_step(self, state, ws, XW, logp, P, F, gap, grad, grad_b):
        """The proximal Newton step of every row at once, from the full
        multinomial Hessian held as a Gram-form least-squares problem
        (:class:`_JointCurvature`), with its line search; the Hessian of an
        earlier iteration is reused as the binary one is (:meth:`_reusable`)."""
        problem = self.problem
        W, b, eta = state
        K, q = problem.n_coef, ws.size
        theta0 = np.concatenate([W[:, ws].ravel(), b if problem.fit_intercept else []])
        g = np.concatenate([grad[:, ws].ravel(), grad_b if problem.fit_intercept else []])
        stale = self._reusable(ws, _JointCurvature)
        for attempt in ((True, False) if stale else (False,)):
            if not attempt:
                self._curvature = _JointCurvature.of(problem, XW, P, ws)
            cache = self._curvature
            cache.fresh = not attempt
            model = cache.model(problem, eta, P, theta0, g)
            free = np.arange(K * q, theta0.size)
            l1 = np.concatenate([np.tile(self.l1[ws], K), np.zeros(free.size)])
            l2 = np.concatenate([np.tile(self.l2[ws], K), np.zeros(free.size)])
            theta = self._inner_solve(model, l1, l2, theta0, gap / self.F0)
            D = (theta[:K * q] - theta0[:K * q]).reshape(K, q)
            db = theta[K * q:] - b if free.size else np.zeros(K)
            Xd = matmul64(XW, D.T) + db
            new = self._line_search(state, ws, D, db, Xd, logp, P, F)
            if new is not None:
                return new
        return None

    def _line_search(self, state, ws, D, db, Xd, logp, P, F, rows=None):
        """Armijo backtracking on ``F`` along ``(D, db)`` for the coefficient
        rows ``rows`` (all by default) on ``ws``; ``Xd`` is the change of
        ``eta[:, rows]`` for a unit step.  ``(state, logp, P, F)`` after the
        step, or None when no step decreases ``F``."""
        problem = self.problem
        W, b, eta = state
        rows = np.arange(problem.n_coef) if rows is None else rows
        l1, l2 = self.l1[ws], self.l2[ws]
        W0 = W[np.ix_(rows, ws)]
        pen0 = penalty_terms(W0, l1, l2)
        R = problem.a[:, None] * (P[:, problem.cols[rows]] - problem.Y[:, problem.cols[rows]])
        delta = float(np.sum(R * Xd)) + penalty_terms(W0 + D, l1, l2) - pen0
        if not delta < 0.0 and not delta <= self.rounding:
            return None
        # a predicted decrease at the rounding level of F is tried in full only:
        # F cannot tell such a step from its rounding, the next gap will
        tries = MAX_BACKTRACK if delta < -self.rounding else 1
        rest = F - problem.loss(logp) - pen0      # what the step leaves unchanged
        t = 1.0
        for _ in range(tries):
            eta_t = eta.copy()
            eta_t[:, rows] += t * Xd
            logp_t, P_t = log_probabilities(eta_t)
            W_t = W0 + t * D
            F_t = rest + problem.loss(logp_t) + penalty_terms(W_t, l1, l2)
            if F_t <= F + SIGMA * t * min(delta, 0.0) + self.rounding:
                W_new = W.copy()
                W_new[np.ix_(rows, ws)] = W_t
                b_new = b.copy()
                b_new[rows] += t * db
                return (W_new, b_new, eta_t), logp_t, P_t, F_t
            t *= 0.5
        return None

    def _class_step(self, state, k, ws, XW, logp, P, F, gap, grad):
        """The proximal Newton step of coefficient row ``k`` on ``ws`` with its
        line search: ``(state, logp, P, F)`` after it, or None (no decrease).
        ``grad`` is the loss gradient in ``W`` at ``state`` (None when a
        previous row's step has moved it)."""
        problem = self.problem
        W, b, eta = state
        col = problem.cols[k]
        r = problem.Y[:, col] - P[:, col]                      # y - p
        w0 = W[k, ws]
        gb = -float(problem.a @ r)
        if grad is None:
            gW = -rmatmul64(XW, (problem.a * r)[:, None])[:, 0]
        else:
            gW = grad[k, ws]
        stale = self._reusable(ws, _Curvature) if problem.n_coef == 1 else False
        for attempt in ((True, False) if stale else (False,)):
            curv = self._curvature.curv if attempt else problem.curvature(P, k)
            w_new, b_new = self._inner(XW, eta[:, k], r, curv, w0, (gW, gb), gap,
                                       attempt, ws)
            d, db = w_new - w0, (b_new - b[k] if problem.fit_intercept else 0.0)
            if not np.any(d) and db == 0.0:
                continue
            Xd = (matmul64(XW, d[:, None]) if np.any(d)
                  else np.zeros((eta.shape[0], 1)))
            Xd += db
            new = self._line_search(state, ws, d[None], np.array([db]), Xd, logp, P, F,
                                    rows=np.array([k]))
            if new is not None:
                return new
        return None

    def _reusable(self, ws, kind):
        """Whether the last Hessian (its Gram matrix, of class ``kind``) may
        serve again: same working set, and the last step taken with it
        decreased the gap enough (a step with a fresh Hessian always earns one
        reuse)."""
        cache = self._curvature
        return (isinstance(cache, kind) and np.array_equal(cache.ws, ws)
                and (cache.fresh or self._gap_now <= _REUSE_RATE * self._gap_before))

    def _inner(self, XW, eta_k, r, curv, w0, grad, gap, stale, ws):
        """Minimise the (scaled) quadratic model of one row on the working set
        from ``w0``: ``(w, intercept)``.  ``r = y - p``, ``curv`` the floored
        ``p (1 - p)``, ``grad = (gW, gb)`` the loss gradient in ``w`` and ``b``."""
        problem = self.problem
        gW, gb = grad
        h = problem.s * curv
        H = float(h.sum())
        z = eta_k + r / curv
        if w0.size == 0:
            return w0, float(h @ z) / H
        scale = problem.n_weight / H
        form = _form(problem.shape[0], w0.size, problem.sparse, self._smooth())
        l1, l2 = scale * self.l1[ws], scale * self.l2[ws]
        if form == "rows" and _KernelRidge.applies(problem, ws, l1, l2):
            if self._kernel is None:
                self._kernel = _KernelRidge(problem.X)
            out = self._kernel.solve(z, h, float(l2[0]), problem.fit_intercept)
            if out is not None:
                return out
        if form == "gram":
            if not stale:
                self._curvature = _Curvature.of(XW, h, curv, ws, problem.fit_intercept)
            inner = self._curvature.model(z, w0, gW, gb, problem.n_weight)
            self._curvature.fresh = not stale
        elif problem.sparse:
            inner = sparse_rows(XW, z, h, problem.fit_intercept)
        else:
            inner = prepare_problem(XW, z[:, None], h, problem.fit_intercept, form)
            inner.out_dtype = np.dtype(np.float64)   # the iterate stays float64
        w = self._inner_solve(inner, l1, l2, w0, gap / self.F0)
        intercept = float(inner.y_mean[0] - np.asarray(inner.X_mean) @ w)
        return w, intercept

    def _smooth(self):
        return not self.penalty.positive and not np.any(self.l1 > 0)

    def _inner_solve(self, inner, l1, l2, w0, rel_gap):
        """The inner problem's minimiser from ``w0`` (float64), its unpenalised
        coordinates partialled out exactly."""
        free = (l1 == 0) & (l2 == 0)
        if np.any(free) and not np.all(free):
            elim = eliminate(inner, np.flatnonzero(free))
            kept = elim.kept
            w_kept = self._solve(elim.reduced, l1[kept], l2[kept], w0[kept], rel_gap)
            return elim.expand(w_kept[None], np.float64)[0]
        return self._solve(inner, l1, l2, w0, rel_gap)

    def _solve(self, inner, l1, l2, w0, rel_gap):
        """Closed form, or coordinate descent to the inexact-Newton target: the
        model's own gap at ``w0`` times ``min(INNER_FRACTION, sqrt(gap / F0))``,
        a forcing term that vanishes as the outer gap does (superlinear)."""
        pen = penalty_from_weights(l1, l2, self.penalty.positive)
        if pen.is_smooth and (pen.is_zero or np.all(l2 > 0)):
            return solve_closed_form(inner, pen)[0]
        start = w0.astype(inner.out_dtype)
        target = inner.gap(start, 0, pen) * min(INNER_FRACTION, np.sqrt(rel_gap))
        run = _Descent(inner, 0, pen, l1, l2, INNER_EPOCHS, True, True)
        w, gap, _, _ = run.descend(w0.astype(inner.dtype), target, None)
        self.n_epochs += run.n_epochs
        w = np.asarray(w, dtype=np.float64)
        if rel_gap <= _POLISH_BELOW:
            w = _polish(inner, pen, l1, l2, w, max(run.n_epochs, _MIN_FINISH))
        return w


# The joint multinomial step when its Gram matrix has at most this many rows
# ((|W| + 1) K), and forming it at most _JOINT_FLOPS flops (n ((|W| + 1) K)^2).
_JOINT_MAX = 1500
_JOINT_FLOPS = 2e10


def _joint_affordable(problem, size):
    m = (size + 1) * problem.n_coef
    return m <= _JOINT_MAX and problem.shape[0] * float(m) ** 2 <= _JOINT_FLOPS


class _JointCurvature:
    """The second-order model of the multinomial loss in every coefficient row
    and intercept at once, as a Gram-form least-squares problem; its Hessian
    part is kept for reuse, as :class:`_Curvature`'s.

    With ``H_i = diag(p_i) - p_i p_i^T`` (the Hessian of ``logsumexp`` at
    ``eta_i``), ``xt_i = (x_i, 1)`` and ``theta`` the coefficients stacked
    class by class (then the intercepts), the loss's model at ``theta0`` is
    ``1/2 (theta - theta0)^T Hs (theta - theta0) + grad^T (theta - theta0)``
    with ``S Hs = sum_i s_i (xt_i xt_i^T) (x) H_i =: G``.  It equals
    ``|yt - Z theta|^2 / (2S)`` up to a constant for the rows ``Z`` of
    ``sqrt(s_i) L_i^T (xt_i (x) .)``, ``H_i = L_i L_i^T``, and ``yt_i =
    sqrt(s_i) (L_i^T eta_i - L_i^+ r_i)``, ``r_i = p_i - y_i`` (in the range of
    ``H_i``: ``1^T r_i = 0``): ``Z^T Z = G``, ``Z^T yt = G theta0 - S grad``
    and ``|yt|^2 = sum_i s_i (eta_i^T H_i eta_i - 2 eta_i^T r_i + sum_k
    r_ik^2 / p_ik)`` (``r^T H^+ r = sum_k r_k^2 / p_k`` on the sum-zero
    vectors), so neither ``Z`` nor ``L_i`` is formed.  ``G =
    blockdiag_k(Xt^T diag(s p_k) Xt) - A^T A`` with ``A = [sqrt(s) p_k xt]_k``,
    one symmetric product of BLAS.  The intercepts are unpenalised coordinates,
    partialled out by the inner solve (:mod:`skreg._unpenalized`).
    """

    def __init__(self, ws, G, P):
        self.ws, self.G, self.P = ws, G, P
        self.fresh = True

    @classmethod
    def of(cls, problem, XW, P, ws):
        n, q = XW.shape
        K = problem.n_coef
        s = problem.s
        Xt = XW.toarray() if sp.issparse(XW) else XW
        Xt = np.asarray(Xt, dtype=np.float64)
        if problem.fit_intercept:
            Xt = np.column_stack([Xt, np.ones(n)])
        m = Xt.shape[1]
        root = np.sqrt(s)
        A = np.empty((n, m * K), order="F")
        for k in range(K):
            np.multiply(Xt, (root * P[:, k])[:, None], out=A[:, k * m:(k + 1) * m])
        G = -_SYRK(1.0, A, trans=1, lower=0)
        for k in range(K):
            blk = slice(k * m, (k + 1) * m)
            B = np.multiply(Xt, np.sqrt(s * P[:, k])[:, None], order="F")
            G[blk, blk] += _SYRK(1.0, B, trans=1, lower=0)
        G = np.triu(G) + np.triu(G, 1).T
        # order: coefficients class by class, then the intercepts
        order = np.concatenate([np.arange(k * m, k * m + q) for k in range(K)]
                               + ([np.arange(K) * m + q] if m > q else []))
        return cls(ws, G[np.ix_(order, order)], P)

    def model(self, problem, eta, P, theta0, grad):
        """The Gram-form problem around ``theta0`` with the loss gradient
        ``grad`` (same order) and the residual of the current ``P``; the
        Hessian that of the ``P`` this curvature was formed at."""
        s, Po = problem.s, self.P
        R = P - problem.Y
        C = self.G @ theta0 - problem.n_weight * grad
        quad = np.sum(Po * eta * eta, axis=1) - np.sum(Po * eta, axis=1) ** 2
        YY = float(s @ (quad - 2.0 * np.sum(eta * R, axis=1)
                        + np.sum(R * R / np.maximum(Po, HESSIAN_FLOOR), axis=1)))
        size = self.G.shape[0]
        return GramProblem(self.G, C[:, None], np.array([max(YY, 0.0)]),
                           problem.n_weight, (eta.shape[0], size), np.zeros(size),
                           np.zeros(1), np.float64)


def sparse_rows(XW, z, h, fit_intercept):
    """``prepare_problem(XW, z[:, None], h, fit_intercept, "rows")`` for a CSC
    ``XW`` (sorted indices), without its format conversions: the rows are
    weighted by scaling the stored values, ``data * sqrt(h)[indices]``, on the
    same index arrays (``O(nnz)``, no copy of the structure); the centring stays
    implicit, as there."""
    n, q = XW.shape
    root = np.sqrt(h)
    H = float(h.sum())
    Xs = sp.csc_matrix((XW.data * root[XW.indices].astype(XW.dtype, copy=False),
                        XW.indices, XW.indptr), shape=(n, q))
    if fit_intercept:
        mean = np.asarray(XW.T @ h, dtype=np.float64).ravel() / H
        zbar = float(h @ z) / H
    else:
        mean, zbar = np.zeros(q), 0.0
    Yt = (root * (z - zbar)).astype(XW.dtype)[:, None]
    return RowsProblem(Xs, Yt, root.astype(XW.dtype), H, mean, np.array([zbar]),
                       mean if fit_intercept else None, out_dtype=np.float64)


class _KernelRidge:
    """Newton steps of a ridge penalty on a wide dense design from ``K0 = X X^T``,
    formed once per solve (``n^2 p`` flops).

    The inner problem ``min |zt - Xt w|^2 / (2H) + lam |w|^2 / 2`` with ``Xt =
    D^{1/2} (X - 1 mu^T)`` (``D = diag(h)``, ``mu = X^T h / H``) and ``zt =
    D^{1/2} (z - zbar)`` is solved through ``n x n`` push-through identity
    ``w = Xt^T (Xt Xt^T + H lam I)^{-1} zt``, and ``Xt Xt^T = D^{1/2} (K0 - u
    1^T - 1 u^T + |mu|^2 1 1^T) D^{1/2}`` with ``u = X mu``: the weights and the
    centring enter in ``O(n^2 + n p)``, one Cholesky factorisation of ``n^3 /
    3`` flops, instead of a new ``n^2 p`` product each iteration.
    """

    # Largest n for which K0 is kept (128 MB).
    MAX_N = 4000

    def __init__(self, X):
        Xf = np.asarray(X, dtype=np.float64, order="F")
        K0 = _SYRK(1.0, Xf, trans=0, lower=0)
        self.K0 = np.triu(K0) + np.triu(K0, 1).T
        self.X = X

    @staticmethod
    def applies(problem, ws, l1, l2):
        n, p = problem.shape
        return (not problem.sparse and ws.size == p and n < p and n <= _KernelRidge.MAX_N
                and not np.any(l1) and np.all(l2 == l2[0]) and l2[0] > 0)

    def solve(self, z, h, lam, fit_intercept):
        """``(w, intercept)``, or None when centring would cancel too many
        digits (means that dwarf the spread: the caller's rows form then)."""
        X, K0 = self.X, self.K0
        n = K0.shape[0]
        H = float(h.sum())
        if fit_intercept:
            mu = rmatmul64(X, h[:, None])[:, 0] / H
            u = matmul64(X, mu[:, None])[:, 0]
            Kc = K0 - u[:, None] - u[None, :] + float(mu @ mu)
            if np.any(np.diagonal(Kc) < 1e-6 * np.diagonal(K0)):
                return None
            zbar = float(h @ z) / H
        else:
            mu, Kc, zbar = None, K0.copy(), 0.0
        root = np.sqrt(h)
        M = root[:, None] * Kc * root[None, :]
        M.flat[:: n + 1] += H * lam
        try:
            factor = la.cho_factor(M, lower=False, overwrite_a=True, check_finite=False)
        except la.LinAlgError:
            return None
        v = root * la.cho_solve(factor, root * (z - zbar), check_finite=False)
        w = rmatmul64(X, v[:, None])[:, 0]
        if fit_intercept:
            w -= mu * v.sum()
            return w, zbar - float(mu @ w)
        return w, 0.0


class _Curvature:
    """The Hessian part of one row's quadratic model on a working set, kept so
    that a later iteration may reuse it: the centred weighted Gram matrix ``Gc =
    sum_i h_i (x_i - mu)(x_i - mu)^T`` of the working set's columns, the
    weighted means ``mu`` (zero without an intercept), ``H = sum_i h_i``, and
    ``p (1 - p)`` itself (``h = s p (1 - p)``).

    The rest of the model comes without another pass over ``X``: with ``z =
    eta + (y - p) / (p (1 - p))`` and ``eta = X_W w + b`` (the coefficients
    outside the working set are zero),

    ``C = sum_i h_i (x_i - mu)(z_i - zbar) = Gc w - S (g_w - mu g_b)``

    (``g_w``, ``g_b``: the loss gradient in ``w`` and ``b``; ``sum_i h_i (x_i -
    mu) = 0`` removes ``b`` and ``zbar``), while ``zbar`` and ``|zt|^2`` are
    sums over the samples.  The same formulas hold with the ``h`` of an earlier
    point (a stale Hessian: a model with the current gradient and the old
    curvature, still a descent direction for the line search).
    """

    def __init__(self, ws, curv, h, Gc, mu, fit_intercept):
        self.ws, self.curv, self.h, self.Gc, self.mu = ws, curv, h, Gc, mu
        self.H = float(h.sum())
        self.fit_intercept = fit_intercept
        self.fresh = True

    @classmethod
    def of(cls, XW, h, curv, ws, fit_intercept):
        """Dense: one compiled pass centres and weights the columns into a
        float64 Fortran copy (:func:`skreg._kernels.center_columns`, means
        around a reference row as in the rows form) and BLAS's symmetric
        product forms ``Gc`` (half the flops of the general product of the
        statistics in :mod:`skreg._streaming`, which centre blocks of rows to
        bound memory, not needed here).  Sparse: the Gram statistics of
        :func:`skreg._datafit.prepare_problem`."""
        n, q = XW.shape
        if sp.issparse(XW):
            stats = prepare_problem(XW, np.zeros((n, 1)), h, fit_intercept, "gram")
            return cls(ws, curv, h, stats.G, np.asarray(stats.X_mean, dtype=np.float64),
                       fit_intercept)
        Xc = np.empty((n, q), order="F")
        if XW.flags.f_contiguous:
            mean, _ = center_columns(XW, h, False, fit_intercept, Xc)
        else:
            mean, _ = center_rows(np.ascontiguousarray(XW), h, False, fit_intercept, Xc)
        Gc = _SYRK(1.0, Xc, trans=1, lower=0)
        Gc = np.triu(Gc) + np.triu(Gc, 1).T
        return cls(ws, curv, h, Gc, mean, fit_intercept)

    def model(self, z, w0, gW, gb, S):
        """The Gram-form problem of the model with working response ``z``
        around ``w0`` (see the class docstring)."""
        h, H = self.h, self.H
        zbar = float(h @ z) / H if self.fit_intercept else 0.0
        zt = z - zbar
        C = self.Gc @ w0 - S * (gW - self.mu * gb if self.fit_intercept else gW)
        n = z.shape[0]
        return GramProblem(self.Gc, C[:, None], np.array([float(h @ (zt * zt))]), H,
                           (n, w0.size), self.mu, np.array([zbar]), np.float64)


def _polish(inner, pen, l1, l2, w, budget):
    """Feature-sign Newton steps on the inner problem's support (exact on it
    when the signs are right: :func:`skreg._solvers._cd._newton_step`), kept
    when they do not increase the inner objective and affordable (at most
    ``budget`` epochs' worth).  Near the optimum the outer gap of an L1 penalty
    is about ``|w|_1`` times the largest violation, linear in it, while the
    inner least-squares gap is quadratic: the inner descent cannot resolve the
    violations the outer tolerance asks for, and this step lands on them."""
    support = np.flatnonzero(w)
    if (not support.size or not _newton_affordable(inner, support.size)
            or _polish_cost(inner, support, l2) > budget):
        return w
    new = _newton_step(inner, 0, w, support, l1, l2, pen.positive, _NEWTON_STEPS)
    if new is None:
        return w
    before = inner.primal_and_gap(w, 0, pen)[0]
    after = inner.primal_and_gap(new, 0, pen)[0]
    rounding = _ROUNDING_ULPS * np.finfo(np.float64).eps * inner.zero_objective(0)
    return new if after <= before + rounding else w


def _form(n, size, sparse, smooth):
    """The inner problem's form: the Gram matrix of the working set when the
    data are much taller than it is wide (the closed form: whenever ``n >= |W|``),
    the rows otherwise."""
    if smooth:
        return "gram" if n >= size else "rows"
    top = _GRAM_MAX_SPARSE if sparse else _GRAM_MAX
    return "gram" if n >= _GRAM_RATIO * size and size <= top else "rows"


def logistic_alpha_max(problem, l1_ratio, positive=False, factor=None, tol=1e-10,
                       max_iter=100):
    """``alpha_max`` of the logistic / multinomial loss (see
    :meth:`LogisticProblem.alpha_max`).

    When some features are unpenalised (``factor_j = 0``) they are never zero:
    the null model is then the unpenalised logistic model on those features
    (and the intercept), fitted here, and the gradient is taken there.
    """
    if factor is None or np.all(np.asarray(factor) > 0):
        return problem.alpha_max(l1_ratio, positive, factor)
    free = np.flatnonzero(np.asarray(factor) == 0)
    sub = LogisticProblem(problem.X[:, free], problem.codes, problem.s,
                          problem.n_classes, problem.fit_intercept)
    zero = penalty_from_weights(np.zeros(free.size), np.zeros(free.size), positive)
    fit = solve_logistic(sub, zero, tol=tol, max_iter=max_iter)
    eta = sub.linear(fit.coef.astype(np.float64), fit.intercept.astype(np.float64))
    return problem.alpha_max(l1_ratio, positive, factor, eta)


def best_shift(W, l1, l2):
    """Per feature ``j`` the ``v_j`` minimising ``sum_k l1_j |w_kj - v_j| + l2_j /
    2 (w_kj - v_j)^2`` (``W`` of shape (K, m)): convex and piecewise quadratic
    in ``v_j``, minimised at a breakpoint ``w_kj`` or at the stationary point of
    a piece, all of which are compared (``O(m K^2)``); 0 for features without
    penalty (any shift is optimal) or where 0 is among the best."""
    K = W.shape[0]
    srt = np.sort(W, axis=0)                                    # (K, m)
    cand = [srt]
    if np.any(l2 > 0):
        total = W.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            # the piece with t coefficients below v: l2 (K v - sum w) = l1 (K - 2t)
            t = np.arange(K + 1)[:, None]
            stat = (l2 * total + l1 * (K - 2 * t)) / (K * l2)
        cand.append(np.where(l2 > 0, stat, 0.0))
    cand.append(np.zeros((1, W.shape[1])))
    C = np.concatenate(cand, axis=0)                            # (c, m)
    dev = W[None, :, :] - C[:, None, :]                         # (c, K, m)
    val = (l1 * np.abs(dev) + 0.5 * l2 * dev * dev).sum(axis=1)
    best = np.argmin(val, axis=0)
    v = C[best, np.arange(W.shape[1])]
    zero_best = val[-1] <= val[best, np.arange(W.shape[1])]
    v[zero_best | ((l1 == 0) & (l2 == 0))] = 0.0
    return v
