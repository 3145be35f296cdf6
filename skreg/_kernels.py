"""Compiled kernels: coordinate-descent epochs and float64-accumulated products.

The only compiled code of skreg, with numba (``@njit(cache=True)``, nopython
mode, no parallelism), for the loops that must run per coordinate.  Everything
else hands large blocks to BLAS through numpy and scipy.

Every CD kernel minimises, over the coordinates of a working set ``ws``,

.. math::

    \\frac{1}{2S} \\lVert r \\rVert^2 + \\sum_j \\lambda_{1,j} |w_j|
    + \\frac{\\lambda_{2,j}}{2} w_j^2 \\quad (w_j \\ge 0 \\text{ when positive}),

with per-coordinate L1 and L2 weights ``l1`` and ``l2`` (so per-feature penalty
factors and the dropout penalty are just other weights), in one of three forms:

* ``dense``: the centred, weighted design ``Xt`` (Fortran order) and the
  residual ``r = yt - Xt w``, updated in place;
* ``sparse``: ``Xs = diag(sqrt s) X`` in CSC arrays with the centring ``Xt = Xs
  - sqrt(s) mu^T`` kept implicit (never densified): the state is the residual
  ``r_s`` (within an epoch, minus ``c sqrt(s)``, see :func:`cd_epoch_sparse`) and
  ``q = sqrt(s)^T r_s``, and the gradient of coordinate ``j`` is
  ``(Xs_j^T r_s - mu_j q) / S``;
* ``gram``: a Gram block ``Q = Xt_W^T Xt_W / S`` of the working set with the
  gradient ``grad = Q w - c`` updated in place (covariance updates).

One coordinate update is the exact minimiser along that coordinate,
``w_j <- ST(a_j w_j + g_j, l1_j) / (a_j + l2_j)`` with ``a_j = |Xt_j|^2 / S``
and ``g_j`` minus the partial derivative of the data term (one-sided when
positive).  Just before it, the coordinate's correlation ``v_j = Xt_j^T r / S``
and its optimality violation (the distance of ``-grad_j`` to the subdifferential
of the penalty) come for free.  The ``*_solve`` drivers run epochs until the
duality gap of the working set's problem, computed after each epoch from those
correlations (:func:`restricted_gap`, ``O(n + |W|)`` in practice), is at most
``tol_gap``, or the largest violation of an epoch is at most ``tol_viol`` (or
it has stopped decreasing for ``PATIENCE`` epochs), with Anderson
extrapolation of the iterates (Bertrand and Massias, 2021) every ``K + 1``
epochs, kept only when it lowers the objective.

Arrays may be float32 or float64 (the residual, Gram block and iterate share
the data's dtype); dot products are accumulated in float64.

Compilation happens once per machine, the first time a kernel meets a new type
(float64 or float32, dense, sparse or Gram form), and is then cached; the
process that compiles prints one line to say why it waits.  What keeps the
compilation short: small helpers are inlined into their callers
(``inline="always"``, typed once per caller rather than compiled on their own),
and the kernels use plain loops where numba's own slicing, ``np.argsort`` or
array arithmetic would each bring their implementations to compile (measured:
7.3 s -> 3.1 s for a first L1 fit, 0.8 s for a first L2 fit).
"""

import os
import sys
import warnings

import numpy as np
from numba import njit
from numba.core import event

# Iterates kept for one Anderson extrapolation.
ANDERSON_K = 5
# Epochs without a new smallest violation before a driver gives up (the rounding
# floor of the data's dtype has been reached).
PATIENCE = 200


# LLVM may reorder (and fuse) the floating-point sums of the kernels marked
# ``fast``: dot products then vectorise, 1.6-2.5x faster epochs (measured on
# 442 x 244 to 20000 x 200 columns). Only the order of additions changes, by
# rounding; NaN and infinity keep their meaning (no "nnan" / "ninf").
_FAST = {"reassoc", "contract"}


def _compile(func=None, *, fast=False, inline=False):
    """``njit(cache=True)``, or without the cache where none can be written.

    numba caches compiled code next to the source (``__pycache__``) or in the
    user's cache folder; when neither is writable (a read-only install and home)
    it refuses ``cache=True`` outright, so the kernel is compiled per process
    instead, with a warning.  ``fast`` allows reassociating the kernel's sums;
    ``inline`` inlines a helper into every kernel that calls it.
    """
    if func is None:
        return lambda f: _compile(f, fast=fast, inline=inline)
    options = dict(nogil=True, fastmath=_FAST if fast else False)
    if inline:
        options["inline"] = "always"
    try:
        return njit(cache=True, **options)(func)
    except RuntimeError as exc:          # "cannot cache function ...: no locator"
        if os.environ.get("SKREG_QUIET_NUMBA_CACHE") is None:
            warnings.warn(
                f"skreg's compiled kernels cannot be cached ({exc}); they are "
                "compiled again in every process (a few seconds on the first fit). "
                "Set NUMBA_CACHE_DIR to a writable folder to cache them.",
                RuntimeWarning,
                stacklevel=2,
            )
        return njit(cache=False, **options)(func)


class _CompilationNote(event.Listener):
    """Prints one line, once per process, when numba starts compiling one of
    these kernels (a cache miss: the first run after an install or an upgrade,
    or a new array type)."""

    def __init__(self):
        self.shown = False

    def on_start(self, ev):
        if self.shown or ev.data["dispatcher"].py_func.__module__ != __name__:
            return
        self.shown = True
        print("skreg: compiling its numba kernels for this machine (once, then cached; "
              "a few seconds)", file=sys.stderr, flush=True)

    def on_end(self, ev):
        pass


event.register("numba:compile", _CompilationNote())


# ------------------------------------------------------------------ one coordinate
@_compile(inline=True)
def _coordinate(old, g, a, l1, l2, positive):
    """Exact minimiser of the objective along one coordinate."""
    z = a * old + g
    if positive:
        return max(z - l1, 0.0) / (a + l2)
    if z > l1:
        return (z - l1) / (a + l2)
    if z < -l1:
        return (z + l1) / (a + l2)
    return 0.0


@_compile(inline=True)
def _violation(wj, grad, l1, positive):
    """Distance of ``-grad`` (the smooth part's partial derivative) to the
    subdifferential of the penalty at ``wj``: zero exactly at optimality."""
    if wj != 0.0:
        if positive or wj > 0.0:
            return abs(grad + l1)
        return abs(grad - l1)
    if positive:
        return max(-grad - l1, 0.0)
    return max(abs(grad) - l1, 0.0)


# --------------------------------------------------------------------------- epochs
@_compile(inline=True)
def _step(w, j, g, aj, l1, l2, positive):
    """Move coordinate ``j`` to its exact minimiser given the correlation ``g``
    and curvature ``aj``; returns ``(change as stored, violation before)``.  A
    coordinate of zero curvature (a zero column) stays where it is."""
    if aj <= 0.0:
        return 0.0, 0.0
    old = w[j]
    viol = _violation(old, l2[j] * old - g, l1[j], positive)
    w[j] = _coordinate(old, g, aj, l1[j], l2[j], positive)
    return w[j] - old, viol       # the change as stored (float32 rounds it)


@_compile(fast=True)
def cd_epoch_dense(X, r, w, ws, a, l1, l2, positive, inv_S, v):
    """One cyclic epoch on the dense design.

    Writes each coordinate's correlation ``v[idx] = Xt_j^T r / S`` just before
    its update and returns the largest optimality violation met on the way: zero
    exactly when the working set's problem is solved.
    """
    n = X.shape[0]
    worst = 0.0
    for idx in range(ws.shape[0]):
        j = ws[idx]
        acc = 0.0
        for i in range(n):
            acc += X[i, j] * r[i]
        g = acc * inv_S
        v[idx] = g
        d, viol = _step(w, j, g, a[j], l1, l2, positive)
        worst = max(worst, viol)
        if d != 0.0:
            for i in range(n):
                r[i] -= d * X[i, j]
    return worst


@_compile(fast=True)
def cd_epoch_sparse(data, indices, indptr, mu, smu, sqrt_sw, rs, q, w, ws, a, l1, l2,
                    positive, inv_S, v):
    """One cyclic epoch on a CSC design with implicit centring.

    The residual is ``r = r_s + c sqrt(s)``: a coordinate change ``d`` updates the
    sparse part ``r_s -= d Xs_j`` and the scalar ``c += d mu_j``, and ``c`` is
    folded into ``r_s`` at the end of the epoch (one pass of length ``n``, which
    also recomputes ``q``), so neither ``r_s`` nor ``q`` carries a large multiple
    of ``sqrt(s)`` whose cancellation would cost digits when the means are large.
    ``q`` is a one-element array holding ``sqrt(s)^T r_s``; ``smu[j] = sum_i s_i
    x_ij`` (``S mu_j`` with an intercept; without one ``mu`` is 0).  The gradient
    of coordinate ``j`` is ``(Xs_j^T r_s - mu_j q) / S``.
    """
    worst = 0.0
    c = 0.0
    changed = False
    for idx in range(ws.shape[0]):
        j = ws[idx]
        acc = 0.0
        for k in range(indptr[j], indptr[j + 1]):
            acc += data[k] * rs[indices[k]]
        acc -= mu[j] * q[0]
        g = acc * inv_S
        v[idx] = g
        d, viol = _step(w, j, g, a[j], l1, l2, positive)
        worst = max(worst, viol)
        if d != 0.0:
            for k in range(indptr[j], indptr[j + 1]):
                rs[indices[k]] -= d * data[k]
            q[0] -= d * smu[j]
            c += d * mu[j]
            changed = True
    if changed:
        # fold c into r_s and recompute q from it: incremental updates of q by
        # d * smu_j (large when the means are) would drift
        acc = 0.0
        for i in range(rs.shape[0]):
            rs[i] += c * sqrt_sw[i]
            acc += sqrt_sw[i] * rs[i]
        q[0] = acc
    return worst


@_compile(fast=True)
def cd_epoch_gram(Q, grad, w, l1, l2, positive, v):
    """One cyclic epoch on a Gram block (all its coordinates); ``grad = Q w - c``
    is kept up to date and ``v[j] = -grad[j]`` recorded just before each update."""
    k = Q.shape[0]
    worst = 0.0
    for j in range(k):
        v[j] = -grad[j]
        d, viol = _step(w, j, -grad[j], Q[j, j], l1, l2, positive)
        worst = max(worst, viol)
        if d != 0.0:
            for i in range(k):
                grad[i] += d * Q[j, i]
    return worst


@_compile
def violations(w, v, l1, l2, positive):
    """Every coordinate's optimality violation at ``w`` given its correlation
    ``v_j = Xt_j^T r / S`` (what the working sets are grown by)."""
    out = np.empty(w.shape[0])
    for j in range(w.shape[0]):
        out[j] = _violation(w[j], l2[j] * w[j] - v[j], l1[j], positive)
    return out


# ------------------------------------------------------------------- duality gap
@_compile
def restricted_gap(w, ws, v, rr, ry, l1, l2, positive):
    """``(primal, gap)`` of the problem restricted to ``ws`` (float64).

    ``v[idx]`` is the correlation of coordinate ``ws[idx]``, ``rr = |r|^2 / S``
    and ``ry = r^T yt / S``.  The dual point is the residual scaled by the
    ``kappa`` that maximises ``kappa ry - kappa^2 rr / 2 - g*(kappa v)``: capped
    by the coordinates without an L2 weight (``kappa |v_j| <= l1_j``), and found
    exactly among the breakpoints ``l1_j / |v_j|`` of the others
    (:func:`_dual_root`; the same computation as
    :func:`skreg._datafit.duality_gap`).
    """
    m = ws.shape[0]
    pen = 0.0
    cap = np.inf
    n_smooth = 0
    brk = np.empty(m)
    gain = np.empty(m)
    curv = np.empty(m)
    den0 = 0.0
    for idx in range(m):
        j = ws[idx]
        wj = w[j]
        pen += l1[j] * abs(wj) + 0.5 * l2[j] * wj * wj
        a = v[idx] if positive else abs(v[idx])
        if a <= 0.0:
            continue
        if l2[j] == 0.0:
            if l1[j] / a < cap:
                cap = l1[j] / a
        elif l1[j] == 0.0:
            den0 += a * a / l2[j]     # a breakpoint at 0: active for every kappa
        else:
            brk[n_smooth] = l1[j] / a
            gain[n_smooth] = a * l1[j] / l2[j]
            curv[n_smooth] = a * a / l2[j]
            n_smooth += 1
    primal = 0.5 * rr + pen
    if ry <= 0.0 or cap <= 0.0:
        return primal, max(primal, 0.0)
    kappa = _dual_root(brk, gain, curv, n_smooth, ry, rr + den0)
    if kappa < 0.0:
        kappa = 0.0
    if kappa > cap:
        kappa = cap
    conj = 0.0
    for idx in range(m):
        j = ws[idx]
        if l2[j] > 0.0:
            a = kappa * (v[idx] if positive else abs(v[idx])) - l1[j]
            if a > 0.0:
                conj += a * a / (2.0 * l2[j])
    dual = kappa * ry - 0.5 * kappa * kappa * rr - conj
    return primal, max(primal - dual, 0.0)


@_compile(inline=True)
def _dual_root(brk, gain, curv, n, num0, den0):
    """The root of the dual's derivative along the residual, ``f(kappa) = num0 -
    kappa den0 - sum_t (kappa curv_t - gain_t)_+`` over the first ``n``
    breakpoints ``brk_t = gain_t / curv_t`` (-1 when there is none).

    ``f`` is decreasing, concave and piecewise linear, with ``f(0) = num0 > 0``;
    every piece's line lies above it.  Newton's method from the right, from the
    root of the last piece's line (where ``f <= 0``), therefore never
    overshoots, and is exact once a step crosses no breakpoint.  Each other step
    leaves at least one breakpoint behind, so at most ``n + 2`` O(n) sweeps; on
    random problems of up to 5000 breakpoints spread over 20 decades, at most
    17 (no sort: numba's would cost a second of compilation, a heapsort of our
    own half of one).
    """
    num, den = num0, den0
    for t in range(n):
        num += gain[t]
        den += curv[t]
    kappa = num / den if den > 0.0 else np.inf
    for _ in range(n + 2):
        if not kappa < np.inf:
            break
        num, den = num0, den0
        for t in range(n):
            if brk[t] < kappa:
                num += gain[t]
                den += curv[t]
        if not den > 0.0:
            break
        root = num / den
        if root >= kappa:
            return kappa
        kappa = root
    return -1.0


@_compile(inline=True)
def _copy(src, dst):
    for i in range(src.shape[0]):
        dst[i] = src[i]


# ------------------------------------------------------------------------- Anderson
@_compile(fast=True)
def _anderson_weights(H):
    """Weights ``c`` (summing to 1) of the Anderson extrapolation of the iterates in
    the columns of ``H`` (K + 1 of them): ``c`` minimises ``|U c|`` with ``U`` the
    differences of consecutive iterates.  Returns an empty array when the system
    is degenerate."""
    K = H.shape[1] - 1
    M = np.empty((K, K))
    for s in range(K):
        for t in range(s, K):
            acc = 0.0
            for i in range(H.shape[0]):
                acc += (H[i, s + 1] - H[i, s]) * (H[i, t + 1] - H[i, t])
            M[s, t] = acc
            M[t, s] = acc
    trace = 0.0
    for s in range(K):
        trace += M[s, s]
    if not trace > 0.0:
        return np.empty(0)
    for s in range(K):
        M[s, s] += 1e-10 * trace
    # Cholesky solve of M z = 1
    L = np.empty((K, K))
    for s in range(K):
        acc = M[s, s]
        for t in range(s):
            acc -= L[s, t] * L[s, t]
        if not acc > 0.0:
            return np.empty(0)
        L[s, s] = np.sqrt(acc)
        for u in range(s + 1, K):
            acc2 = M[u, s]
            for t in range(s):
                acc2 -= L[u, t] * L[s, t]
            L[u, s] = acc2 / L[s, s]
    z = np.empty(K)
    for s in range(K):
        z[s] = 1.0
    for s in range(K):
        acc = z[s]
        for t in range(s):
            acc -= L[s, t] * z[t]
        z[s] = acc / L[s, s]
    for s in range(K - 1, -1, -1):
        acc = z[s]
        for t in range(s + 1, K):
            acc -= L[t, s] * z[t]
        z[s] = acc / L[s, s]
    total = 0.0
    for s in range(K):
        total += z[s]
    if total == 0.0 or not np.isfinite(total):
        return np.empty(0)
    for s in range(K):
        z[s] /= total
    return z


@_compile(inline=True)
def _penalty_value(w, ws, l1, l2):
    out = 0.0
    for idx in range(ws.shape[0]):
        j = ws[idx]
        out += l1[j] * abs(w[j]) + 0.5 * l2[j] * w[j] * w[j]
    return out


@_compile(inline=True)
def _extrapolate(Hw, Hstate, c, w, ws, state, positive):
    """Write the extrapolated iterate into ``w[ws]`` and ``state``; False (and
    nothing written) when it leaves the positive orthant."""
    K = c.shape[0]
    for idx in range(ws.shape[0]):
        acc = 0.0
        for s in range(K):
            acc += c[s] * Hw[idx, s + 1]
        if positive and acc < 0.0:
            return False
        Hw[idx, 0] = acc            # column 0 is free: it holds the candidate
    for i in range(state.shape[0]):
        acc = 0.0
        for s in range(K):
            acc += c[s] * Hstate[i, s + 1]
        Hstate[i, 0] = acc
    for idx in range(ws.shape[0]):
        w[ws[idx]] = Hw[idx, 0]
    for i in range(state.shape[0]):
        state[i] = Hstate[i, 0]
    return True


@_compile(fast=True, inline=True)
def _dot(x, y):
    acc = 0.0
    for i in range(x.shape[0]):
        acc += x[i] * y[i]
    return acc


# -------------------------------------------------------------------------- drivers
@_compile(inline=True)
def _stop(epoch, gap, worst, tol_gap, tol_viol, best, since_best):
    """Whether the inner loop is done, and the new ``(best, since_best)``."""
    if gap <= tol_gap or worst <= tol_viol:
        return True, best, since_best
    if gap < 0.999 * best:
        return False, gap, 0
    since_best += 1
    return since_best >= PATIENCE, best, since_best


@_compile(inline=True)
def _record(Hw, Hs, stored, w, ws, state):
    """Store the iterate ``w[ws]`` and the form's ``state`` (the residual, or the
    gradient of a Gram block) as column ``stored`` of the Anderson history."""
    for idx in range(ws.shape[0]):
        Hw[idx, stored] = w[ws[idx]]
    for i in range(state.shape[0]):
        Hs[i, stored] = state[i]
    return stored + 1


@_compile(inline=True)
def _try_extrapolation(Hw, Hs, w, ws, state, wbak, sbak, positive):
    """Replace ``w[ws]`` and ``state`` by their Anderson extrapolation, keeping
    the current ones in ``wbak`` / ``sbak``; False (nothing changed) when the
    history is degenerate or the candidate leaves the positive orthant."""
    c = _anderson_weights(Hw)
    if c.shape[0] == 0:
        return False
    for idx in range(ws.shape[0]):
        wbak[idx] = w[ws[idx]]
    _copy(state, sbak)
    return _extrapolate(Hw, Hs, c, w, ws, state, positive)


@_compile(inline=True)
def _undo(w, ws, wbak, state, sbak):
    """Put back what :func:`_try_extrapolation` replaced."""
    for idx in range(ws.shape[0]):
        w[ws[idx]] = wbak[idx]
    _copy(sbak, state)


@_compile
def cd_solve_dense(X, r, w, ws, a, l1, l2, positive, inv_S, yt, max_epochs, tol_gap,
                   tol_viol, use_anderson):
    """Epochs on ``ws`` of the dense form until the working set's duality gap is
    at most ``tol_gap`` or its largest violation at most ``tol_viol``; every
    ``K + 1`` epochs an Anderson extrapolation, kept when it lowers the objective.

    Returns ``(epochs, largest violation, gap)``.
    """
    K = ANDERSON_K
    m = ws.shape[0]
    v = np.empty(m)
    Hw = np.empty((m, K + 1))
    Hr = np.empty((r.shape[0], K + 1), dtype=r.dtype)
    wbak = np.empty(m, dtype=w.dtype)
    rbak = np.empty(r.shape[0], dtype=r.dtype)
    stored = 0
    worst, gap = np.inf, np.inf
    best, since_best = np.inf, 0
    epoch = 0
    while epoch < max_epochs:
        worst = cd_epoch_dense(X, r, w, ws, a, l1, l2, positive, inv_S, v)
        epoch += 1
        primal, gap = restricted_gap(w, ws, v, _dot(r, r) * inv_S, _dot(r, yt) * inv_S,
                                     l1, l2, positive)
        done, best, since_best = _stop(epoch, gap, worst, tol_gap, tol_viol, best,
                                       since_best)
        if done:
            break
        if not use_anderson:
            continue
        stored = _record(Hw, Hr, stored, w, ws, r)
        if stored == K + 1:
            stored = 0
            if _try_extrapolation(Hw, Hr, w, ws, r, wbak, rbak, positive):
                f_acc = 0.5 * _dot(r, r) * inv_S + _penalty_value(w, ws, l1, l2)
                if not f_acc < primal:
                    _undo(w, ws, wbak, r, rbak)
    return epoch, worst, gap


@_compile
def cd_solve_sparse(data, indices, indptr, mu, smu, sqrt_sw, rs, q, w, ws, a, l1, l2,
                    positive, inv_S, yt, max_epochs, tol_gap, tol_viol, use_anderson):
    """Epochs on ``ws`` of the sparse form; see :func:`cd_solve_dense`.  Between
    epochs ``r_s`` is the residual itself (``c`` is folded in).  The state
    extrapolated is ``(r_s, q)``, gathered in one array of length ``n + 1``.
    """
    K = ANDERSON_K
    m = ws.shape[0]
    n = rs.shape[0]
    state = np.empty(n + 1, dtype=rs.dtype)
    v = np.empty(m)
    Hw = np.empty((m, K + 1))
    Hs = np.empty((n + 1, K + 1), dtype=rs.dtype)
    wbak = np.empty(m, dtype=w.dtype)
    sbak = np.empty(n + 1, dtype=rs.dtype)
    stored = 0
    worst, gap = np.inf, np.inf
    best, since_best = np.inf, 0
    epoch = 0
    while epoch < max_epochs:
        worst = cd_epoch_sparse(data, indices, indptr, mu, smu, sqrt_sw, rs, q, w, ws, a,
                                l1, l2, positive, inv_S, v)
        epoch += 1
        primal, gap = restricted_gap(w, ws, v, _dot(rs, rs) * inv_S,
                                     _dot(rs, yt) * inv_S, l1, l2, positive)
        done, best, since_best = _stop(epoch, gap, worst, tol_gap, tol_viol, best,
                                       since_best)
        if done:
            break
        if not use_anderson:
            continue
        _copy(rs, state)
        state[n] = q[0]
        stored = _record(Hw, Hs, stored, w, ws, state)
        if stored == K + 1:
            stored = 0
            if _try_extrapolation(Hw, Hs, w, ws, state, wbak, sbak, positive):
                f_acc = (0.5 * _dot(state[:n], state[:n]) * inv_S
                         + _penalty_value(w, ws, l1, l2))
                if not f_acc < primal:
                    _undo(w, ws, wbak, state, sbak)
                _copy(state[:n], rs)
                q[0] = state[n]
    return epoch, worst, gap


@_compile
def cd_solve_gram(Q, grad, w, c, yy, l1, l2, positive, max_epochs, tol_gap, tol_viol,
                  use_anderson):
    """Epochs on the Gram block ``Q`` (its own coordinates); see
    :func:`cd_solve_dense`.  ``c`` is the linear term (``grad = Q w - c``) and
    ``yy = |yt|^2 / S``, so ``|r|^2 / S = yy - 2 c^T w + w^T Q w`` and
    ``r^T yt / S = yy - c^T w``; the state extrapolated is ``grad``."""
    K = ANDERSON_K
    m = Q.shape[0]
    ws = np.arange(m)
    v = np.empty(m)
    Hw = np.empty((m, K + 1))
    Hg = np.empty((m, K + 1), dtype=grad.dtype)
    wbak = np.empty(m, dtype=w.dtype)
    gbak = np.empty(m, dtype=grad.dtype)
    stored = 0
    worst, gap = np.inf, np.inf
    best, since_best = np.inf, 0
    epoch = 0
    while epoch < max_epochs:
        worst = cd_epoch_gram(Q, grad, w, l1, l2, positive, v)
        epoch += 1
        for j in range(m):
            v[j] = -grad[j]
        cw = _dot(c, w)
        rr = max(yy - cw + _dot(w, grad), 0.0)     # w^T Q w = w^T (grad + c)
        primal, gap = restricted_gap(w, ws, v, rr, yy - cw, l1, l2, positive)
        done, best, since_best = _stop(epoch, gap, worst, tol_gap, tol_viol, best,
                                       since_best)
        if done:
            break
        if not use_anderson:
            continue
        stored = _record(Hw, Hg, stored, w, ws, grad)
        if stored == K + 1:
            stored = 0
            if _try_extrapolation(Hw, Hg, w, ws, grad, wbak, gbak, positive):
                f_acc = 0.5 * max(yy - _dot(c, w) + _dot(w, grad), 0.0) + _penalty_value(
                    w, ws, l1, l2)
                if not f_acc < primal:
                    _undo(w, ws, wbak, grad, gbak)
    return epoch, worst, gap


# ---------------------------------------------------------------- preparation
@_compile
def reference_means(X, sw):
    """Weighted column means of the rows of ``X`` (float64), accumulated as
    ``x_r + sum_i s_i (x_i - x_r) / S`` around the first row ``x_r`` of positive
    weight: a constant column gets exactly its value, large offsets do not
    cancel, and no copy of ``X`` is made."""
    n, p = X.shape
    mean = np.empty(p)
    for j in range(p):
        mean[j] = 0.0
    r0 = 0
    while r0 < n - 1 and sw[r0] <= 0.0:
        r0 += 1
    total = 0.0
    for i in range(n):
        s = np.float64(sw[i])
        if s == 0.0:
            continue
        total += s
        for j in range(p):
            mean[j] += s * (np.float64(X[i, j]) - np.float64(X[r0, j]))
    for j in range(p):
        mean[j] = np.float64(X[r0, j]) + mean[j] / total
    return mean


@_compile
def center_rows(X, sw, unit, center, out):
    """Centre (around float64 weighted means) and weight the rows of a C-ordered
    ``X`` into the Fortran-ordered ``out``, in two sweeps over ``X`` (the second
    transposes 96 rows at a time: measured, half the time of numpy's own
    transposing copy of a 20000 x 200 design).

    The means are accumulated around a reference row of positive weight, so a
    column whose values are all equal centres to exact zeros.  Returns the means
    and the squared norms of the centred, weighted columns (float64).
    """
    n, p = X.shape
    mean = reference_means(X, sw) if center else np.zeros(p)
    # the transposing sweep, a block of rows at a time: each column's slice of the
    # block is written contiguously while the block stays in cache
    B = 96
    if unit:
        for i0 in range(0, n, B):
            i1 = min(i0 + B, n)
            for j in range(p):
                m = mean[j]
                for i in range(i0, i1):
                    out[i, j] = X[i, j] - m
    else:
        roots = np.sqrt(sw.astype(np.float64))
        for i0 in range(0, n, B):
            i1 = min(i0 + B, n)
            for j in range(p):
                m = mean[j]
                for i in range(i0, i1):
                    out[i, j] = (X[i, j] - m) * roots[i]
    return mean, _column_norms(out)


@_compile(fast=True)
def _column_norms(X):
    """Squared norms of the columns of a Fortran-ordered ``X`` (float64)."""
    n, p = X.shape
    out = np.empty(p)
    for j in range(p):
        acc = 0.0
        for i in range(n):
            acc += np.float64(X[i, j]) * np.float64(X[i, j])
        out[j] = acc
    return out


@_compile(fast=True)
def center_columns(X, sw, unit, center, out):
    """:func:`center_rows` for a Fortran-ordered ``X`` (column by column)."""
    n, p = X.shape
    mean = np.zeros(p)
    norms = np.zeros(p)
    r0 = 0
    while r0 < n - 1 and sw[r0] <= 0.0:
        r0 += 1
    total = 0.0
    for i in range(n):
        total += np.float64(sw[i])
    for j in range(p):
        m = 0.0
        if center:
            ref = np.float64(X[r0, j])
            acc = 0.0
            for i in range(n):
                acc += np.float64(sw[i]) * (np.float64(X[i, j]) - ref)
            m = ref + acc / total
        mean[j] = m
        sq = 0.0
        for i in range(n):
            root = 1.0 if unit else np.sqrt(np.float64(sw[i]))
            out[i, j] = (np.float64(X[i, j]) - m) * root
            stored = np.float64(out[i, j])
            sq += stored * stored
        norms[j] = sq
    return mean, norms


# -------------------------------------------------- products accumulated in float64
@_compile(fast=True)
def dense_rmatvec64(X, u, cols):
    """``X[:, cols]^T u`` accumulated in float64 (X in Fortran order)."""
    out = np.empty(cols.shape[0])
    n = X.shape[0]
    for idx in range(cols.shape[0]):
        j = cols[idx]
        acc = 0.0
        for i in range(n):
            acc += np.float64(X[i, j]) * np.float64(u[i])
        out[idx] = acc
    return out


@_compile
def dense_matvec64(X, w):
    """``X @ w`` accumulated in float64 (X in Fortran order, zeros of w skipped)."""
    n, p = X.shape
    out = np.zeros(n)
    for j in range(p):
        wj = np.float64(w[j])
        if wj != 0.0:
            for i in range(n):
                out[i] += np.float64(X[i, j]) * wj
    return out


@_compile(fast=True)
def sparse_rmatvec64(data, indices, indptr, u, cols):
    """``Xs[:, cols]^T u`` for CSC arrays, accumulated in float64."""
    out = np.empty(cols.shape[0])
    for idx in range(cols.shape[0]):
        j = cols[idx]
        acc = 0.0
        for k in range(indptr[j], indptr[j + 1]):
            acc += np.float64(data[k]) * np.float64(u[indices[k]])
        out[idx] = acc
    return out


@_compile
def sparse_matvec64(data, indices, indptr, w, n):
    """``Xs @ w`` for CSC arrays, accumulated in float64."""
    out = np.zeros(n)
    for j in range(indptr.shape[0] - 1):
        wj = np.float64(w[j])
        if wj != 0.0:
            for k in range(indptr[j], indptr[j + 1]):
                out[indices[k]] += np.float64(data[k]) * wj
    return out
