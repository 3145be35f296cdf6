"""The prepared least-squares problem: two forms, one protocol, the duality gap.

The objective of :class:`skreg.RegularizedRegressor` is

.. math::

    F(w, b) = \\frac{1}{2S} \\sum_i s_i (y_i - x_i^\\top w - b)^2 + g(w),
    \\qquad S = \\sum_i s_i .

The intercept is never penalised, so it is eliminated exactly: with the weighted
means ``mu = X^T s / S`` and ``ybar = y^T s / S`` (float64), the optimal ``b`` is
``ybar - mu^T w``.  Writing ``Xt = diag(sqrt(s)) (X - 1 mu^T)`` and
``yt = sqrt(s) * (y - ybar)``, what remains is

.. math::

    P(w) = \\frac{1}{2S} \\lVert \\tilde y - \\tilde X w \\rVert_2^2 + g(w),
    \\qquad F(w, b) = P(w) + \\tfrac12 (b - \\bar y + \\mu^\\top w)^2 .

:func:`prepare_problem` decides once how ``P`` is held:

* **rows** (:class:`RowsProblem`): the design itself.  A dense ``X`` is centred
  and weighted into a Fortran-ordered copy in one pass; a sparse ``X`` is kept in
  CSC as ``diag(sqrt(s)) X`` with the centring implicit, never densified.
* **gram** (:class:`GramProblem`): the sufficient statistics ``G = Xt^T Xt``,
  ``c = Xt^T yt`` and ``|yt|^2`` in float64, for data much taller than wide, for
  paths and cross-validation (amortised over many fits), and what ``partial_fit``,
  Dask and Spark accumulate.

Both implement one protocol, the only thing the solvers use:

==========================  ================================================
``shape``, ``n_targets``    ``(n_samples, n_features)`` and targets
``n_weight``                ``S``
``dtype``, ``out_dtype``    the arithmetic dtype, the dtype of the answer
``sparse``, ``form``        ``form`` is ``"dense"``, ``"sparse"`` or ``"gram"``
``xty(k)``, ``yy(k)``       ``Xt^T yt_k`` and ``|yt_k|^2`` (float64)
``xty_matrix()``            ``Xt^T Yt``, one column per target (float64)
``zero_objective(k)``       ``P(0) = |yt_k|^2 / (2S)``, the scale of ``tol``
``correlations(w, k)``      ``(Xt^T r / S, |r|^2 / S, r^T yt_k / S)`` at ``w``,
                            from a fresh residual, accumulated in float64
``gap(w, k, penalty)``      the duality gap of ``P`` at ``w`` (float64): the
                            certificate every solver's answer is judged by
``col_sq_norms()``          ``|Xt_j|^2`` (float64)
``gram_block(rows, cols)``  ``Xt_rows^T Xt_cols`` (float64)
``dense_columns(cols)``     ``Xt[:, cols]``, dense float64 (rows only)
``gram()``, ``kernel()``    ``Xt^T Xt`` and (rows only) ``Xt Xt^T``, float64
``matvec``, ``rmatvec``     products with ``Xt`` and ``Xt^T`` (rows only)
``matmat``, ``rmatmat``     the same with a matrix, in float64 (rows only)
``lipschitz()``             the largest eigenvalue of ``Xt^T Xt / S``
``kernel_view()``           the arrays the compiled kernels take (see
                            :mod:`skreg._kernels`)
==========================  ================================================

**A second datafit: the classifier's log loss** (:mod:`skreg._logistic`).  It
is not quadratic, so it is not eliminated into a prepared problem once; its
:class:`~skreg._logistic.LogisticProblem` holds the design (dense
column-major or CSC, products accumulated in float64) and the labels, and
implements its own protocol:

==============================  ============================================
``shape``, ``n_coef``           ``(n, p)`` and the coefficient rows (1 or K)
``n_weight``                    ``S``
``null_intercept()``            the intercepts of the model with ``W = 0``
``null_objective()``            ``F0``, the scale of ``tol``
``linear(W, b)``                ``eta = X W^T + b`` (float64)
``loss(log P)``, ``gradient(P)``  the mean log loss and ``X^T diag(a) (P - Y)``
``curvature(P, k)``             ``p_k (1 - p_k)``: the Hessian weights of row k
``primal_and_gap(W, b, pen)``   ``F`` and the float64 duality gap
``alpha_max(rho, ...)``         the smallest ``alpha`` with ``W = 0``
==============================  ============================================

Its solver (:mod:`skreg._solvers._prox_newton`) needs this module only for
its quadratic models: at each outer step the second-order model of the loss in
one coefficient row is the weighted least-squares problem ``sum_i h_i (z_i -
x_i^T w - b)^2 / (2S)`` with ``h_i = s_i p_i (1 - p_i)`` and the working
response ``z``, which :func:`prepare_problem` holds on a working set's columns
(rows form, or the Gram form ``X_W^T diag(h) X_W`` when ``n >> |W|``) and the
compiled coordinate descent of :mod:`skreg._solvers._cd` minimises, with the
same penalties and the same elimination of unpenalised features.
"""

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, eigsh

from ._kernels import (
    center_columns,
    center_rows,
    dense_matvec64,
    dense_rmatvec64,
    restricted_gap,
    sparse_matvec64,
    sparse_rmatvec64,
)
from ._statistics import SufficientStatistics, weighted_mean64

# Largest problem whose Lipschitz constant comes from a dense decomposition.
_DENSE_EIG = 500


# ------------------------------------------------------------------- duality gap
def duality_gap(w, v, rr, ry, penalty, curvature=1.0):
    """Primal value, dual value and duality gap of ``P`` at ``w`` (float64).

    The dual point is ``theta = kappa * r``, the residual ``r = yt - Xt w``
    scaled by the ``kappa >= 0`` that maximises the dual along that ray.  With
    ``v = Xt^T r / S``, ``rr = |r|^2 / S`` and ``ry = r^T yt / S`` the dual is

    ``D(kappa) = kappa * ry - kappa^2 * rr / 2 - g*(kappa * v)``.

    Coordinates without an L2 weight make ``g*`` the indicator of ``kappa |v_j|
    <= l1_j``, which caps ``kappa``; the others make it a sum of
    ``(kappa |v_j| - l1_j)_+^2 / (2 l2_j)``, concave and piecewise quadratic in
    ``kappa`` with breakpoints ``l1_j / |v_j|``, so the maximiser is found
    exactly among the pieces (:func:`skreg._kernels.restricted_gap`,
    compiled).  At the optimum ``kappa`` is 1; away from it (or when rounding
    leaves a tiny ``v`` where ``l2`` is tiny) the scaling keeps the gap finite
    and tight, never above ``P(w)``.

    Without any penalty the dual requires ``Xt^T theta = 0``, which only the
    optimal residual meets, so no dual point is at hand.  The returned "gap" is
    then the optimality measure ``|w^T v| + |v_+|^2 / curvature`` (``v_+``: the
    entries of ``v`` that violate optimality, all of them unless ``positive``),
    zero exactly at the optimum; ``curvature = trace(Xt^T Xt) / S`` puts it on
    the objective's scale.
    """
    if penalty.is_zero:
        primal = 0.5 * rr
        viol = np.maximum(v, 0.0) if penalty.positive else v
        measure = abs(float(w @ v)) + float(viol @ viol) / max(curvature, 1e-300)
        return primal, primal - measure, measure
    p = v.shape[0]
    l1, l2 = penalty.weights(p)
    primal, gap = restricted_gap(np.ascontiguousarray(w, dtype=np.float64),
                                 np.arange(p), np.ascontiguousarray(v, dtype=np.float64),
                                 float(rr), float(ry), l1, l2, penalty.positive)
    return primal, primal - gap, gap


def rank_cutoff(dtype, *sizes):
    """Relative size below which an eigenvalue of a Gram or kernel matrix is
    rounding noise, not a direction of the data: ``max(1e-12, eps * max(sizes))``
    with ``eps`` the resolution of the data's dtype.  The one rank rule of the
    package (closed forms, the L2 grid, leave-one-out, unpenalised features)."""
    return max(1e-12, float(np.finfo(dtype).eps) * max(sizes))


# ------------------------------------------------------------------ preparation
def check_no_overflow(*arrays):
    """Raise a ``ValueError`` when statistics of finite data overflowed.

    Values near the largest float of their dtype have sums and squares beyond
    it; nothing solved from such statistics is meaningful.
    """
    if all(np.all(np.isfinite(a)) for a in arrays):
        return
    raise ValueError(
        "The data overflow the floating-point range: every value is finite, but "
        "their sums or squares are not. Scale X and y (for example with "
        "StandardScaler, or by dividing by a large constant) and fit again."
    )


def _f64(a):
    return a if a.dtype == np.float64 else a.astype(np.float64)


class _Problem:
    """What both forms share: targets' statistics, the certificate, the scale."""

    def zero_objective(self, k):
        return 0.5 * self.yy(k) / self.n_weight

    def xty_matrix(self):
        """``Xt^T Yt``, one column per target (float64)."""
        return np.column_stack([self.xty(k) for k in range(self.n_targets)])

    def curvature(self):
        """``trace(Xt^T Xt) / S``: an upper bound on the Lipschitz constant."""
        return float(self.col_sq_norms().sum()) / self.n_weight

    def gap(self, w, k, penalty):
        """Duality gap of ``P`` at ``w`` for target ``k``, in float64.

        The certificate every solver's answer is judged by: the residual is
        recomputed from the data (no running update that may have drifted) and
        every product is accumulated in float64, whatever the data's dtype, so it
        bounds the true suboptimality of ``w`` even when the solver ran in float32.
        """
        return self.primal_and_gap(w, k, penalty)[1]

    def primal_and_gap(self, w, k, penalty):
        """``(P(w), gap)`` for target ``k``, as :meth:`gap` computes them."""
        v, rr, ry = self.correlations(w, k)
        curvature = self.curvature() if penalty.is_zero else 1.0
        primal, _, gap = duality_gap(np.asarray(w, dtype=np.float64), v, rr, ry,
                                     penalty, curvature)
        return primal, gap

    def lipschitz(self):
        """Largest eigenvalue of ``Xt^T Xt / S`` (the data term's Lipschitz constant).

        Exact from the smaller Gram / kernel matrix when it is small, otherwise
        Lanczos with a fixed start vector (deterministic), made an upper bound
        with a 0.1 % margin.
        """
        n, p = self.shape
        if self.form == "gram" or min(n, p) <= _DENSE_EIG:
            M = self.gram() if (p <= n or self.form == "gram") else self.kernel()
            return max(float(np.linalg.eigvalsh(M)[-1]), 0.0) / self.n_weight
        top = top_eigenvalue(lambda x: self.rmatvec(self.matvec(x)), p)
        return top * (1.0 + 1e-3) / self.n_weight

    def spectrum_bounds(self):
        """``(d_max, d_min)``: the largest and smallest non-zero eigenvalues of
        ``Xt^T Xt`` (float64), for the L2 grid.  Eigenvalues below
        :func:`rank_cutoff` times the largest count as zero.  For a sparse design too large for a dense decomposition, the
        largest by Lanczos and ``d_min = 1e-6 d_max``."""
        n, p = self.shape
        if self.sparse and min(n, p) > 2000:
            top = top_eigenvalue(lambda x: self.rmatvec(self.matvec(x)), p)
            return top, top * 1e-6
        M = self.gram() if (p <= n or self.form == "gram") else self.kernel()
        evals = np.linalg.eigvalsh(M)
        top = float(evals[-1]) if evals.size else 0.0
        nonzero = evals[evals > top * rank_cutoff(self.out_dtype, n, p)]
        return top, float(nonzero[0]) if nonzero.size else top


def top_eigenvalue(apply, size):
    """Largest eigenvalue of a symmetric positive semi-definite operator.

    Lanczos (``scipy.sparse.linalg.eigsh``) with a fixed start vector, so the
    result is deterministic; the one eigenvalue helper of the package.
    """
    if size == 0:
        return 0.0
    op = LinearOperator((size, size), matvec=apply, dtype=np.float64)
    top = eigsh(op, k=1, which="LA", v0=np.ones(size), tol=1e-4, ncv=min(size, 20),
                return_eigenvectors=False)[0]
    return max(float(top), 0.0)


class RowsProblem(_Problem):
    """``P`` held by the rows of the design (see the module docstring).

    Dense: ``X`` is ``Xt`` itself (Fortran order, the data's dtype).  Sparse:
    ``X`` is ``Xs = diag(sqrt(s)) X`` in CSC, and ``Xt = Xs - sqrt(s) mu^T`` is
    never formed (``offset`` is ``mu``, or None without an intercept).
    """

    def __init__(self, X, Yt, sqrt_sw, n_weight, X_mean, y_mean, offset=None,
                 out_dtype=None):
        self.X = X
        self.Yt = Yt
        self.sqrt_sw = sqrt_sw
        self.n_weight = float(n_weight)
        self.X_mean, self.y_mean = X_mean, y_mean
        self.offset = offset
        self.sparse = sp.issparse(X)
        self.form = "sparse" if self.sparse else "dense"
        self.shape = X.shape
        self.n_targets = Yt.shape[1]
        self.dtype = X.dtype
        self.out_dtype = np.dtype(X.dtype if out_dtype is None else out_dtype)
        self._cache = {}
        if self.sparse:
            # sum_i s_i x_ij: q = sqrt(s)^T r_s moves by d * smu_j when w_j moves by d
            self._smu = _f64(np.asarray(X.T @ sqrt_sw, dtype=np.float64).ravel())
            self._mu = (np.zeros(X.shape[1]) if offset is None else _f64(offset))

    # -- targets
    def target(self, k):
        """The centred, weighted target ``yt_k`` (the data's dtype)."""
        return self.Yt[:, k]

    def xty(self, k):
        key = ("xty", k)
        if key not in self._cache:
            yt = self.Yt[:, k]
            self._cache[key] = self._rmatvec64(yt, np.arange(self.shape[1]))
        return self._cache[key]

    def yy(self, k):
        yt = _f64(self.Yt[:, k])
        return float(yt @ yt)

    # -- float64 products (the certificate)
    def _matvec64(self, w):
        w = np.ascontiguousarray(w, dtype=np.float64)
        if not self.sparse:
            return dense_matvec64(self.X, w)
        X = self.X
        out = sparse_matvec64(X.data, X.indices, X.indptr, w, X.shape[0])
        if self.offset is not None:
            out -= _f64(self.sqrt_sw) * float(self._mu @ w)
        return out

    def _rmatvec64(self, u, cols):
        u = np.ascontiguousarray(u)
        if not self.sparse:
            return dense_rmatvec64(self.X, u, cols)
        X = self.X
        out = sparse_rmatvec64(X.data, X.indices, X.indptr, u, cols)
        if self.offset is not None:
            out -= self._mu[cols] * float(_f64(self.sqrt_sw) @ _f64(u))
        return out

    def correlations(self, w, k):
        """``(Xt^T r / S, |r|^2 / S, r^T yt / S)`` at ``w`` for target ``k``
        (float64).  The last two answers are kept (``v`` read-only) and given
        again for the same ``w`` and target: along a path the certificate of one
        alpha, the warm start of the next and the descent from it ask for the
        same full product ``Xt^T r``."""
        known = self.known_correlations(w, k)
        if known is not None:
            return known
        yt = _f64(self.Yt[:, k])
        S = self.n_weight
        if self.dtype == np.float64:        # BLAS accumulates in float64 already
            nz = np.flatnonzero(w)
            r = yt - self.matvec_cols(nz, np.asarray(w, dtype=np.float64)[nz])
            v = self.rmatvec(r)
        else:
            r = yt - self._matvec64(w) if np.any(w) else yt.copy()
            v = self._rmatvec64(r, np.arange(self.shape[1]))
        v = v / S
        v.flags.writeable = False
        out = (v, float(r @ r) / S, float(r @ yt) / S)
        recent = self._cache.setdefault("correlations", [])
        recent.insert(0, (k, np.array(w, copy=True), out))
        del recent[2:]
        return out

    def known_correlations(self, w, k):
        """The correlations at ``w`` if one of the last two calls computed them
        (a Newton step tried and refused leaves the iterate before it second),
        else None."""
        for k_seen, w_seen, out in self._cache.get("correlations", ()):
            if k_seen == k and np.array_equal(w_seen, w):
                return out
        return None

    def matvec_cols(self, cols, w):
        """``Xt[:, cols] @ w`` (a support's columns only)."""
        if cols.size == 0:
            return np.zeros(self.shape[0], dtype=self.dtype)
        if cols.size == self.shape[1]:           # every column: no copy of X
            out = np.asarray(self.X @ w).ravel()
        else:
            out = np.asarray(self.X[:, cols] @ w).ravel()
        if self.offset is not None:
            out = out - self.sqrt_sw * float(self.offset[cols] @ w)
        return out

    # -- products in the data's dtype (conjugate gradients, gradient descent)
    def matvec(self, w):
        """``Xt @ w``."""
        out = self.X @ w
        if self.offset is not None:
            out -= self.sqrt_sw * (self.offset @ w)
        return np.asarray(out)

    def rmatvec(self, u):
        """``Xt^T @ u``."""
        out = self.X.T @ u
        if self.offset is not None:
            out -= self.offset * (self.sqrt_sw @ u)
        return np.asarray(out).ravel()

    def matmat(self, V):
        """``Xt @ V`` for a matrix ``V`` in one product (float64)."""
        out = np.asarray(self.X @ V.astype(self.dtype, copy=False), dtype=np.float64)
        if self.offset is not None:
            out -= np.outer(self.sqrt_sw, self.offset @ V)
        return out

    def rmatmat(self, U):
        """``Xt^T @ U`` for a matrix ``U`` in one product (float64)."""
        out = np.asarray(self.X.T @ U.astype(self.dtype, copy=False), dtype=np.float64)
        if self.offset is not None:
            out -= np.outer(self.offset, np.asarray(self.sqrt_sw, np.float64) @ U)
        return out

    # -- second moments
    def col_sq_norms(self):
        if "norms" not in self._cache:
            X = self.X
            if not self.sparse:
                out = np.einsum("ij,ij->j", X, X, dtype=np.float64)
            else:
                sq = np.zeros(X.shape[1])
                data = _f64(X.data) ** 2
                counts = np.diff(X.indptr)
                nz = counts > 0
                sq[nz] = np.add.reduceat(data, X.indptr[:-1][nz]) if data.size else 0.0
                out = sq
                if self.offset is not None:
                    out = out - self.n_weight * self._mu**2
                out = np.maximum(out, 0.0)
            self._cache["norms"] = out
        return self._cache["norms"]

    def gram_block(self, rows, cols):
        """``Xt[:, rows]^T Xt[:, cols]`` (float64, dense)."""
        X = self.X
        if not self.sparse:
            A = X[:, rows]
            B = A if cols is rows else X[:, cols]
            return _f64(A.T @ B)
        A = X[:, rows]
        B = A if cols is rows else X[:, cols]
        out = _f64((A.T @ B).toarray())
        if self.offset is not None:
            out -= self.n_weight * np.outer(self._mu[rows], self._mu[cols])
        return out

    def dense_columns(self, cols):
        """``Xt[:, cols]`` as a dense float64 array (a sparse design centred)."""
        if not self.sparse:
            return np.asarray(self.X[:, cols], dtype=np.float64)
        out = self.X[:, cols].astype(np.float64).toarray()
        if self.offset is not None:
            out -= np.outer(_f64(self.sqrt_sw), self._mu[cols])
        return out

    def gram(self):
        """``Xt^T Xt`` (float64)."""
        if not self.sparse:
            X = _f64(self.X)
            return X.T @ X
        X = self.X.astype(np.float64)
        out = (X.T @ X).toarray()
        if self.offset is not None:
            out -= self.n_weight * np.outer(self._mu, self._mu)
        return out

    def kernel(self):
        """``Xt Xt^T`` (float64, read-only: computed once per problem, for the
        leave-one-out decomposition and the refit's closed form alike)."""
        if "kernel" not in self._cache:
            out = self._kernel()
            out.flags.writeable = False
            self._cache["kernel"] = out
        return self._cache["kernel"]

    def _kernel(self):
        if not self.sparse:
            X = _f64(self.X)
            return X @ X.T
        X = self.X.astype(np.float64)
        out = (X @ X.T).toarray()
        if self.offset is not None:
            # (A - a m^T)(A - a m^T)^T with A = Xs, a = sqrt s, m = mu
            root = _f64(self.sqrt_sw)
            Am = np.asarray(X @ self._mu).ravel()
            out -= np.outer(Am, root)
            out -= np.outer(root, Am)
            out += float(self._mu @ self._mu) * np.outer(root, root)
        return out

    def as_float64(self):
        """The same problem held in float64 (a copy unless it already is)."""
        if self.dtype == np.float64:
            return self
        return RowsProblem(self.X.astype(np.float64), _f64(self.Yt), _f64(self.sqrt_sw),
                           self.n_weight, self.X_mean, self.y_mean,
                           None if self.offset is None else _f64(self.offset),
                           out_dtype=self.out_dtype)

    def kernel_view(self):
        """Dense: ``(Xt,)``.  Sparse: ``(data, indices, indptr, mu, smu, sqrt_sw)``."""
        if not self.sparse:
            return (self.X,)
        X = self.X
        return (X.data, X.indices, X.indptr, self._mu, self._smu, self.sqrt_sw)


class GramProblem(_Problem):
    """``P`` held by its sufficient statistics ``G = Xt^T Xt``, ``C = Xt^T Yt`` and
    ``|yt|^2`` (float64): every operation costs O(p^2) instead of O(np)."""

    sparse = False
    form = "gram"

    def __init__(self, G, C, YY, n_weight, shape, X_mean, y_mean, out_dtype):
        self.G = np.ascontiguousarray(G, dtype=np.float64)
        self.C = np.asarray(C, dtype=np.float64)
        self.YY = np.asarray(YY, dtype=np.float64)
        self.n_weight = float(n_weight)
        self.shape = tuple(shape)
        self.n_targets = self.C.shape[1]
        self.X_mean, self.y_mean = X_mean, y_mean
        self.dtype = np.dtype(np.float64)
        self.out_dtype = np.dtype(out_dtype)

    @classmethod
    def from_statistics(cls, stats, out_dtype=np.float64):
        """The problem of accumulated :class:`~skreg._statistics.SufficientStatistics`."""
        return cls(stats.xx, stats.xy, stats.yy, stats.weight,
                   (stats.n_samples, stats.xx.shape[0]), stats.x_mean.copy(),
                   stats.y_mean.copy(), out_dtype)

    def xty(self, k):
        return self.C[:, k]

    def yy(self, k):
        return float(self.YY[k])

    def correlations(self, w, k):
        w = np.asarray(w, dtype=np.float64)
        S = self.n_weight
        c = self.C[:, k]
        Gw = symmetric_times(self.G, w)
        cw = float(c @ w)
        rr = max(float(self.YY[k]) - 2.0 * cw + float(w @ Gw), 0.0)
        return (c - Gw) / S, rr / S, (float(self.YY[k]) - cw) / S

    def col_sq_norms(self):
        return np.diag(self.G).copy()

    def gram_block(self, rows, cols):
        return self.G[np.ix_(rows, cols)]

    def gram(self):
        return self.G.copy()

    def kernel_view(self):
        return (self.G,)


def symmetric_times(G, w):
    """``G @ w`` for a symmetric ``G`` from the rows of the non-zero coordinates
    of ``w`` (contiguous in a C-ordered ``G``: 4-5x faster than gathering its
    columns), in float64."""
    nz = np.flatnonzero(w)
    w_nz = np.asarray(w[nz], dtype=np.float64)
    if G.flags.f_contiguous and not G.flags.c_contiguous:
        return G[:, nz] @ w_nz
    return w_nz @ G[nz]


def _statistics_gram(X, Y, sw, fit_intercept, out_dtype):
    """The Gram form of ``(X, Y, sw)``, accumulated in float64.

    Dense: a block of rows at a time is centred (around float64 means) and
    weighted, so no large uncentred sum is formed and then cancelled and the
    temporary copy stays ``_ROW_BLOCK x p``.  Sparse: the uncentred product with
    the rank-one correction ``S mu mu^T`` (centring would densify).
    """
    return gram_problem(SufficientStatistics.from_chunk(X, Y, sw, fit_intercept),
                        out_dtype)


def gram_problem(stats, out_dtype):
    """The :class:`GramProblem` of the statistics of some rows, refused (a
    ``ValueError``) when their moments overflowed."""
    check_no_overflow(stats.x_mean, stats.y_mean, np.diag(stats.xx), stats.xy, stats.yy)
    return GramProblem.from_statistics(stats, out_dtype)


def prepare_problem(X, Y, sample_weight, fit_intercept, form="rows", copy_X=True):
    """Centre and weight the data once, into the form a solver asked for.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_targets)
    sample_weight : ndarray of shape (n_samples,)
    fit_intercept : bool
    form : {"rows", "gram"}
        ``"rows"``: a :class:`RowsProblem`; ``"gram"``: a :class:`GramProblem`.
    copy_X : bool
        If False a dense, writeable, Fortran-ordered ``X`` of the right dtype is
        centred in place.

    Returns
    -------
    problem : RowsProblem or GramProblem
        ``problem.X_mean`` and ``problem.y_mean`` are the weighted means
        (float64; zero without an intercept).
    """
    dtype = X.dtype
    if form == "gram":
        return _statistics_gram(X, Y, sample_weight, fit_intercept, dtype)
    sw = np.asarray(sample_weight)
    n_weight = float(sw.sum(dtype=np.float64))
    unit = bool(np.all(sw == 1))
    X_mean = weighted_mean64(X, sw) if fit_intercept and sp.issparse(X) else None
    y_mean = weighted_mean64(Y, sw) if fit_intercept else np.zeros(Y.shape[1])
    sqrt_sw = np.sqrt(sw).astype(dtype, copy=False)
    Yt = (Y - y_mean).astype(dtype, copy=False) if fit_intercept else Y.astype(
        dtype, copy=True)
    if not unit:
        Yt *= sqrt_sw[:, None]
    check_no_overflow(y_mean, np.einsum("ij,ij->j", Yt, Yt, dtype=np.float64))
    if sp.issparse(X):
        if X_mean is None:
            X_mean = np.zeros(X.shape[1])
        Xs = X.tocsc().astype(dtype, copy=True)
        if not unit:
            Xs = sp.csc_matrix(Xs.multiply(sqrt_sw[:, None]))
        Xs.sort_indices()
        offset = X_mean if fit_intercept else None
        problem = RowsProblem(Xs, Yt, sqrt_sw, n_weight, X_mean, y_mean, offset)
    else:
        if copy_X or not X.flags.writeable or not X.flags.f_contiguous:
            Xd = np.empty(X.shape, dtype=dtype, order="F")
        else:
            Xd = X                          # centred in place (copy_X=False)
        # one compiled pass: means (around a reference row), centring, weights,
        # the Fortran layout the kernels read, and the column norms
        center = center_rows if X.flags.c_contiguous else center_columns
        X_mean, norms = center(X if X.flags.c_contiguous or X.flags.f_contiguous
                               else np.ascontiguousarray(X), np.asarray(sw), unit,
                               fit_intercept, Xd)
        problem = RowsProblem(Xd, Yt, sqrt_sw, n_weight, X_mean, y_mean)
        problem._cache["norms"] = norms
    check_no_overflow(problem.X_mean, problem.col_sq_norms())
    return problem
