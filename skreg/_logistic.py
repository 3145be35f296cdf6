"""The loss of the regularised classifier: binary logistic and multinomial.

Samples ``x_i`` with class codes ``c_i`` in ``0..K-1`` and weights ``s_i >= 0``
(class weights already multiplied in), ``S = sum_i s_i`` and ``a_i = s_i / S``.
The classifier minimises

.. math::

    F(W, b) = -\\sum_i a_i \\log p_{i c_i}(W, b) + g(W),
    \\qquad g(W) = \\sum_k \\sum_j \\lambda_{1,j} |w_{kj}|
                   + \\frac{\\lambda_{2,j}}{2} w_{kj}^2 ,

with the penalty of :mod:`skreg._penalties` applied to every coefficient row
(the same weights for every class) and the intercepts ``b`` never penalised.

* **binary** (``K = 2``): one row ``w`` and one intercept, ``eta_i = x_i^T w +
  b``, ``p_{i1} = sigma(eta_i)``, ``p_{i0} = sigma(-eta_i)``; the loss is
  ``sum_i a_i log(1 + exp(-yt_i eta_i))`` with ``yt_i = +1`` for class 1 and
  ``-1`` for class 0;
* **multinomial** (``K > 2``): ``K`` rows and intercepts, ``eta_{ik} = x_i^T
  w_k + b_k`` and ``p_i = softmax(eta_i)`` (the loss is the softmax
  cross-entropy).

Both are held as ``K`` probability columns (``[p_0, p_1]`` for the binary loss),
so one code path serves the dual and the gap.  Probabilities come from the
stable forms ``log p = eta - logsumexp(eta)`` and ``log sigma(t) =
-log(1 + e^{-t})`` (``np.logaddexp``): no exponential of a large number is ever
formed, whatever the size of ``eta``.

**Gradient and Hessian.**  With ``R = P - Y`` (``Y`` the one-hot codes), the
gradient of the loss in ``w_k`` is ``X^T (a * R_k)`` and in ``b_k`` is ``a^T
R_k``; the Hessian block of ``w_k`` (the other rows fixed) is ``X^T diag(a_i
p_{ik} (1 - p_{ik})) X``, exact, which the solver uses per class
(:mod:`skreg._solvers._prox_newton`).

**The dual.**  The conjugate of ``phi(t) = log(1 + e^t)`` is the negative binary
entropy ``phi*(u) = u log u + (1 - u) log(1 - u)`` on ``[0, 1]``, and that of
``logsumexp`` the negative entropy on the probability simplex.  For any
``u_i`` on the simplex, Fenchel-Young gives ``logsumexp(eta_i) >= u_i^T eta_i
+ H(u_i)``, so for every ``(W, b)``

.. math::

    F(W, b) \\ge \\sum_i a_i H(u_i) - \\xi^\\top W + g(W)
              + b^\\top \\sum_i a_i (u_i - y_i),
    \\qquad \\xi = X^\\top \\operatorname{diag}(a) (Y - U),

and minimising over ``W`` and ``b`` gives the dual

.. math::

    D(U) = \\sum_i a_i H(u_i) - g^*(\\xi)
    \\quad\\text{subject to}\\quad \\sum_i a_i u_i = \\bar y
    \\text{ (with an intercept)},

whose optimum ``U = P(W^*, b^*)`` has the same value as the primal.  The
difference of the two at a feasible ``U``, regrouped into Fenchel-Young terms,
is a sum of non-negative terms (computed as such, so the gap is never negative
and keeps its relative precision where ``F`` and ``D`` agree to many digits):

.. math::

    F - D = \\sum_i a_i \\mathrm{KL}(u_i \\,\\|\\, p_i)
            + \\sum_{k, j} \\big( g_j(w_{kj}) + g_j^*(\\xi_{kj})
                                  - \\xi_{kj} w_{kj} \\big) .

**The dual point** (:meth:`LogisticProblem.primal_and_gap`) is built from the
current probabilities ``P``, in two steps that keep ``U`` feasible:

1. *the intercept constraint.*  ``sum_i a_i p_i = pi`` equals ``ybar`` only
   when the intercepts are optimal for the current ``W``.  Mixing every row
   with one fixed point ``q`` of the simplex, ``u_i = c p_i + (1 - c) q``,
   gives ``sum_i a_i u_i = c pi + (1 - c) q``, which equals ``ybar`` for ``c =
   min_k ybar_k / pi_k`` (at most 1) and ``q = (ybar - c pi) / (1 - c)``
   (non-negative by the choice of ``c``, summing to 1): exact feasibility, and
   ``c = 1`` (``U = P``) at optimal intercepts.  ``xi`` follows without another
   pass over ``X``: ``xi = -c G + (1 - c)(X^T a Y - (X^T a) q^T)``, with ``G``
   the gradient and the two products made once.  Without an intercept there is
   no constraint and ``U = P``.
2. *the penalty's domain.*  A coordinate without an L2 weight makes ``g*`` the
   indicator of ``|xi_kj| <= l1_j`` (``xi_kj <= l1_j`` with ``positive``).
   Moving towards the labels, ``U_kappa = (1 - kappa) Y + kappa U`` stays on
   the simplex and feasible, and scales ``xi`` by ``kappa``; ``kappa`` is the
   largest value in ``[0, 1]`` that meets every such bound.  At the optimum
   ``kappa = 1``.  Far from it the gap there may exceed the one at ``kappa =
   0`` (``U = Y``: ``D = 0``, the gap is ``F`` itself), and the smaller of the
   two is taken (the best ``kappa`` in between is not searched for: it would
   only refine a gap far above any tolerance).

So the gap is a certificate at every point: ``F(W, b) - F* <= gap``, zero
exactly at the optimum.  Coordinates without any penalty (``l1_j = l2_j = 0``:
penalty factors of zero, or no penalty at all) make ``g*`` the indicator of
``xi_kj = 0``, which only the optimum meets; for them the gap counts the
optimality measure ``|xi_kj w_kj| + xi_kj^2 / (2 d_kj)`` instead (``d`` the
diagonal of the Hessian: half a diagonal Newton decrement), zero exactly at the
optimum but not a bound.

**The null model** (``W = 0``): with an intercept ``b_k = log ybar_k`` (binary:
the log-odds of the class-1 share), whose objective ``F0 = -sum_k ybar_k log
ybar_k`` is the weighted entropy of the class shares; without one ``b = 0`` and
``F0 = log K``.  ``F0`` is the scale of the tolerance.

**alpha_max**: ``W = 0`` is optimal when ``|G_kj| <= alpha rho f_j`` for every
class at the null model, so ``alpha_max = max_{k,j} |G_kj| / (rho f_j)`` over
the penalised features (``f_j > 0``).  Unpenalised features are never zero:
the null model then includes them (fitted without penalty, by the solver,
:func:`skreg._solvers._prox_newton.logistic_alpha_max`) and the gradient is
taken there.

Products with ``X`` are accumulated in float64 whatever its dtype (a float32
design is converted a block of rows at a time).
"""

import numpy as np
import scipy.sparse as sp
from scipy.special import xlogy

from ._penalties import alpha_max

# Rows of a float32 design converted to float64 at a time for a product.
_ROW_BLOCK = 4096
# Smallest Hessian weight p (1 - p): the quadratic model stays defined (and its
# working response finite) where the probabilities saturate (separable data).
HESSIAN_FLOOR = 1e-10
# Smallest class share taken for a log (a class without weight).
_SHARE_FLOOR = 1e-300


# ------------------------------------------------------------------ products
def matmul64(X, B):
    """``X @ B`` in float64 (``B`` float64 of shape (p, m))."""
    if sp.issparse(X) or X.dtype == np.float64:
        return np.asarray(X @ B, dtype=np.float64)
    out = np.empty((X.shape[0], B.shape[1]))
    for start in range(0, X.shape[0], _ROW_BLOCK):
        stop = start + _ROW_BLOCK
        out[start:stop] = X[start:stop].astype(np.float64) @ B
    return out


def rmatmul64(X, U):
    """``X^T @ U`` in float64 (``U`` float64 of shape (n, m))."""
    if sp.issparse(X) or X.dtype == np.float64:
        return np.asarray(X.T @ U, dtype=np.float64)
    out = np.zeros((X.shape[1], U.shape[1]))
    for start in range(0, X.shape[0], _ROW_BLOCK):
        stop = start + _ROW_BLOCK
        out += X[start:stop].astype(np.float64).T @ U[start:stop]
    return out


# ------------------------------------------------------------- probabilities
def log_probabilities(eta):
    """``(log P, P)`` of shape (n, K) from the linear predictor ``eta``.

    ``eta`` of shape (n, 1) is the binary model (``K = 2`` columns: class 0,
    class 1); of shape (n, K), ``K > 2``, the multinomial one (log-softmax).
    """
    if eta.shape[1] == 1:
        # log sigma(t) = -(max(-t, 0) + log1p(e^{-|t|})), and the same for -t:
        # one exponential and one log1p per sample, no overflow
        t = eta[:, 0]
        e = np.exp(-np.abs(t))
        soft = np.log1p(e)
        logp = np.empty((t.shape[0], 2))
        np.maximum(t, 0.0, out=logp[:, 0])
        np.minimum(t, 0.0, out=logp[:, 1])
        logp[:, 0] += soft
        logp[:, 1] -= soft
        logp[:, 0] *= -1.0
        P = np.empty_like(logp)
        big = 1.0 / (1.0 + e)                       # sigma(|t|)
        small = e * big                             # sigma(-|t|)
        pos = t >= 0
        P[:, 1] = np.where(pos, big, small)
        P[:, 0] = np.where(pos, small, big)
        return logp, P
    else:
        top = eta.max(axis=1, keepdims=True)
        shifted = eta - top
        lse = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        logp = shifted - lse
    return logp, np.exp(logp)


def penalty_terms(coef, l1, l2):
    """``g(W) = sum_kj l1_j |w_kj| + l2_j / 2 w_kj^2`` (float64)."""
    W = np.asarray(coef, dtype=np.float64)
    return float(np.sum(np.abs(W) @ l1) + 0.5 * np.sum((W * W) @ l2))


def conjugate_terms(v, l1, l2, positive):
    """``g_j*(v_kj)`` per entry where finite (``v`` of shape (m, p)); entries of
    coordinates without an L2 weight are 0 (the caller keeps them in the domain)."""
    excess = np.maximum((v if positive else np.abs(v)) - l1, 0.0)
    out = np.zeros_like(excess)
    smooth = l2 > 0
    out[:, smooth] = excess[:, smooth] ** 2 / (2.0 * l2[smooth])
    return out


class LogisticProblem:
    """The data of the classifier's loss and everything computed from them.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        float32 or float64; held in column-major order (a sparse matrix in CSC,
        a dense one Fortran-ordered: a copy unless it already is).
    codes : ndarray of int of shape (n_samples,)
        Class codes in ``0..n_classes-1``.
    sample_weight : ndarray of shape (n_samples,)
        Non-negative, class weights included; their sum must be positive.
    n_classes : int
        ``K >= 2``; ``K = 2`` is the binary (logistic) loss.
    fit_intercept : bool

    Attributes
    ----------
    n_coef : int
        Rows of coefficients: 1 (binary) or ``K``.
    cols : ndarray
        The probability columns the coefficient rows act on (``[1]`` or all).
    n_weight, a, Y, ybar
        ``S``, ``s / S``, the one-hot codes (n, K) and the class shares.
    """

    def __init__(self, X, codes, sample_weight, n_classes, fit_intercept):
        # columns contiguous: the solver gathers and re-weights a working set's
        # columns every iteration (a copy of a row-major dense X, made once)
        X = X.tocsc() if sp.issparse(X) else np.asfortranarray(X)
        if sp.issparse(X) and not X.has_sorted_indices:
            X = X.copy()
            X.sort_indices()
        self.X = X
        self.shape = X.shape
        self.dtype = X.dtype
        self.sparse = sp.issparse(X)
        self.codes = np.asarray(codes, dtype=np.intp)
        self.n_classes = int(n_classes)
        self.n_coef = 1 if self.n_classes == 2 else self.n_classes
        self.cols = np.array([1]) if self.n_classes == 2 else np.arange(self.n_classes)
        self.fit_intercept = bool(fit_intercept)
        s = np.asarray(sample_weight, dtype=np.float64)
        self.s = s
        self.n_weight = float(s.sum())
        self.a = s / self.n_weight
        n = X.shape[0]
        self.Y = np.zeros((n, self.n_classes))
        self.Y[np.arange(n), self.codes] = 1.0
        self.ybar = self.a @ self.Y
        self._rows = np.arange(n)
        self._Xta = None

    # -- constants of the data
    def _dual_products(self):
        """``X^T a`` (p,) and ``X^T (a Y)`` (p, K), float64, made once."""
        if self._Xta is None:
            both = rmatmul64(self.X, np.column_stack([self.a, self.a[:, None] * self.Y]))
            self._Xta, self._XtaY = both[:, 0], both[:, 1:]
        return self._Xta, self._XtaY

    def null_intercept(self):
        """Intercepts of the null model (``W = 0``), shape ``(n_coef,)``."""
        if not self.fit_intercept:
            return np.zeros(self.n_coef)
        logy = np.log(np.maximum(self.ybar, _SHARE_FLOOR))
        if self.n_classes == 2:
            return np.array([logy[1] - logy[0]])
        return logy - logy.mean()

    def null_objective(self):
        """``F0``, the objective of the null model: the scale of ``tol``."""
        if not self.fit_intercept:
            return float(np.log(self.n_classes))
        return float(-np.sum(xlogy(self.ybar, self.ybar)))

    # -- the model at a point
    def linear(self, coef, intercept, cols=None):
        """``eta = X W^T + b`` (n, n_coef), float64; ``cols`` restricts ``W``'s
        columns to the given features (the others being zero)."""
        W = np.asarray(coef, dtype=np.float64)
        if cols is None:
            nz = np.flatnonzero(np.any(W != 0, axis=0))
        else:
            nz = np.asarray(cols)[np.any(W[:, cols] != 0, axis=0)]
        eta = np.empty((self.shape[0], self.n_coef))
        eta[:] = np.asarray(intercept, dtype=np.float64)
        if nz.size:
            Xn = self.X if nz.size == self.shape[1] else self.X[:, nz]
            eta += matmul64(Xn, W[:, nz].T)
        return eta

    def loss(self, logp):
        """``-sum_i a_i log p_{i c_i}``."""
        return float(-(self.a @ logp[self._rows, self.codes]))

    def residual(self, P):
        """``a * (P - Y)`` on the coefficient columns: (n, n_coef)."""
        return self.a[:, None] * (P[:, self.cols] - self.Y[:, self.cols])

    def gradient(self, P):
        """Gradient of the loss: ``(G, g_b)``, shapes (n_coef, p) and (n_coef,)."""
        R = self.residual(P)
        return rmatmul64(self.X, R).T, R.sum(axis=0)

    def curvature(self, P, k):
        """``max(p_ik (1 - p_ik), floor)`` for coefficient row ``k``: the Hessian
        weights of the row's quadratic model are ``h_i = s_i`` times it, and its
        working response ``z_i = eta_ik + (y_ik - p_ik) / curvature_i``."""
        col = self.cols[k]
        p = P[:, col]
        q = P[:, 0] if self.n_classes == 2 else 1.0 - p     # 1 - p, no cancellation
        return np.maximum(p * q, HESSIAN_FLOOR)

    # -- the certificate
    def primal_and_gap(self, coef, intercept, penalty, eta=None, grad=None,
                       probs=None):
        """``(F, gap)`` at ``(W, b)`` in float64 (see the module docstring).

        ``eta``, ``grad`` (the loss gradient in ``W``) and ``probs`` (``(log
        P, P)``), when given, must be those of ``(W, b)``.
        """
        W = np.asarray(coef, dtype=np.float64)
        p = self.shape[1]
        l1, l2 = penalty.weights(p)
        if eta is None:
            eta = self.linear(W, intercept)
        logp, P = log_probabilities(eta) if probs is None else probs
        primal = self.loss(logp) + penalty_terms(W, l1, l2)
        if grad is None:
            grad = self.gradient(P)[0]
        U, xi = self._feasible_point(P, grad)
        free = (l1 == 0) & (l2 == 0)
        terms = _GapTerms(self, W, U, xi, logp, l1, l2, penalty.positive, free,
                          projected=U is not P)
        # the largest feasible kappa (1 at the optimum), or kappa = 0 (the labels
        # themselves: D = 0, the gap is F) when that is smaller; the best kappa
        # between them is not searched for: it matters only far from the optimum
        gap = min(terms.value(self._kappa(xi, l1, l2, penalty.positive, free)), primal)
        if np.any(free):
            gap += self._free_measure(W, xi, P, free)
        return primal, gap

    def gap(self, coef, intercept, penalty, eta=None, grad=None):
        """The duality gap alone (see :meth:`primal_and_gap`)."""
        return self.primal_and_gap(coef, intercept, penalty, eta, grad)[1]

    def _feasible_point(self, P, grad):
        """``(U, xi)``: the probabilities mixed with one simplex point so that
        ``sum_i a_i u_i = ybar`` (with an intercept), and ``xi`` (n_coef, p).

        A class without weight (``ybar_k = 0``) needs ``u_ik = 0`` for every
        sample, which no mixture with ``c > 0`` gives: its column is removed
        from ``P`` first (each row renormalised over the other classes), and
        ``xi`` then costs one more product with ``X``."""
        xi = -grad
        if not self.fit_intercept:
            return P, xi
        base, absent = P, self.ybar <= 0
        if np.any(absent):
            base = P.copy()
            base[:, absent] = 0.0
            rest = base.sum(axis=1, keepdims=True)
            base = np.divide(base, rest, out=np.full_like(base, 1.0 / np.sum(~absent)),
                             where=rest > 0)
            base[:, absent] = 0.0
        pi = self.a @ base
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(pi > 0, self.ybar / pi, np.inf)
        c = min(1.0, float(ratio[~absent].min()))
        q = np.maximum(self.ybar - c * pi, 0.0)
        total = float(q.sum())
        if c >= 1.0 or not total > 0.0:     # pi = ybar (up to rounding)
            U, c = base, 1.0
        else:
            U = c * base + (1.0 - c) * (q / total)
        if base is not P:
            R = self.a[:, None] * (self.Y[:, self.cols] - U[:, self.cols])
            return U, rmatmul64(self.X, R).T
        if U is P:
            return P, xi
        q = q / total
        Xta, XtaY = self._dual_products()
        cols = self.cols
        xi = -c * grad + (1.0 - c) * (XtaY[:, cols] - np.outer(Xta, q[cols])).T
        return U, xi

    @staticmethod
    def _kappa(xi, l1, l2, positive, free):
        """Largest ``kappa`` in [0, 1] keeping ``kappa xi`` in the domain of
        ``g*`` on the coordinates without an L2 weight (unpenalised ones aside)."""
        hard = (l2 == 0) & ~free
        if not np.any(hard):
            return 1.0
        v = xi[:, hard]
        a = (np.max(v, axis=0) if positive else np.max(np.abs(v), axis=0))
        over = a > l1[hard]
        if not np.any(over):
            return 1.0
        return float(np.min(l1[hard][over] / a[over]))

    def _free_measure(self, W, xi, P, free):
        """``sum |xi w| + xi^2 / (2 d)`` over the unpenalised coordinates, ``d``
        the diagonal of the loss Hessian there."""
        idx = np.flatnonzero(free)
        Xf = self.X[:, idx]
        Xf2 = Xf.multiply(Xf) if self.sparse else np.square(Xf, dtype=np.float64)
        Pc = P[:, self.cols]
        curv = self.a[:, None] * Pc * (1.0 - Pc)
        d = np.maximum(rmatmul64(Xf2, curv).T, 1e-300)
        x, w = xi[:, idx], W[:, idx]
        return float(np.sum(np.abs(x * w)) + 0.5 * np.sum(x * x / d))

    # -- alpha_max
    def alpha_max(self, l1_ratio, positive=False, factor=None, eta=None):
        """Smallest ``alpha`` at which every penalised coefficient is zero.

        ``eta`` is the linear predictor of the null model; by default the
        intercept-only one (correct when every feature is penalised; otherwise
        pass the fit of the unpenalised features, see
        :func:`skreg._solvers._prox_newton.logistic_alpha_max`).
        """
        if eta is None:
            eta = np.broadcast_to(self.null_intercept(), (self.shape[0], self.n_coef))
        P = log_probabilities(np.asarray(eta, dtype=np.float64))[1]
        G = self.gradient(P)[0]
        # the least-squares rule with the correlations -G (one column per row)
        return alpha_max(-G.T * self.n_weight, self.n_weight, l1_ratio, positive,
                         factor)


class _GapTerms:
    """The gap at the dual point ``U_kappa = (1 - kappa) Y + kappa U`` as a
    function of ``kappa`` (convex: the dual is concave along the segment)."""

    def __init__(self, problem, W, U, xi, logp, l1, l2, positive, free, projected):
        self.problem, self.W, self.U, self.xi, self.logp = problem, W, U, xi, logp
        self.l1, self.l2, self.positive, self.free = l1, l2, positive, free
        self.projected = projected

    def value(self, kappa):
        """``gap(kappa)``, the unpenalised coordinates aside."""
        problem, W, xi = self.problem, self.W, kappa * self.xi
        l1, l2 = self.l1, self.l2
        gap = 0.0
        if self.projected or kappa < 1.0:   # (KL(P || P) = 0, not its rounding)
            Uk = problem.Y + kappa * (self.U - problem.Y)
            kl = np.sum(xlogy(Uk, Uk) - Uk * self.logp, axis=1)
            gap = max(float(problem.a @ kl), 0.0)
        keep = ~self.free
        fy = (np.abs(W) * l1 + 0.5 * l2 * W * W
              + conjugate_terms(xi, l1, l2, self.positive) - xi * W)[:, keep]
        return gap + float(np.sum(np.maximum(fy, 0.0)))
