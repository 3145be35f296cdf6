"""Weighted least squares: the data term of :class:`skreg.RegularizedRegressor`.

The objective of :class:`skreg.RegularizedRegressor` is

.. math::

    F(w, b) = \\frac{1}{2S} \\sum_i s_i (y_i - x_i^\\top w - b)^2 + g(w),
    \\qquad S = \\sum_i s_i .

The intercept is never penalised, so it is eliminated exactly: with the weighted
means ``mu = X^T s / S`` and ``ybar = y^T s / S``, the optimal ``b`` is
``ybar - mu^T w``.  Writing ``Xt = diag(sqrt(s)) (X - 1 mu^T)`` and
``yt = sqrt(s) * (y - ybar)``, what remains is

.. math::

    P(w) = \\frac{1}{2S} \\lVert \\tilde y - \\tilde X w \\rVert_2^2 + g(w).

:class:`LeastSquares` holds ``Xt`` and offers the few operations the solvers
need (``Xt @ w``, ``Xt.T @ u``, Gram blocks, column norms).  For a dense ``X`` the
centring is done on a copy; for a sparse ``X`` it is implicit, so a sparse matrix
is never densified.
"""

import numpy as np
import scipy.sparse as sp


class LeastSquares:
    """The centred, weighted design ``Xt`` (see the module docstring).

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Dense: ``Xt`` itself.  Sparse: ``diag(sqrt(s)) X`` in CSC format.
    sqrt_sw : ndarray of shape (n_samples,)
        Square roots of the sample weights.
    n_weight : float
        ``S``, the sum of the sample weights.
    offset : ndarray of shape (n_features,) or None
        Sparse input only: the weighted column means ``mu`` that are subtracted
        implicitly.  None when nothing is to subtract.
    """

    gram_mode = False

    def __init__(self, X, Yt, sqrt_sw, n_weight, offset=None):
        self.X = X
        self.Yt = Yt
        self.n_targets = Yt.shape[1]
        self.sqrt_sw = sqrt_sw
        self.n_weight = float(n_weight)
        self.offset = offset
        self.sparse = sp.issparse(X)
        self.shape = X.shape
        self.dtype = X.dtype
        self.out_dtype = X.dtype

    def as_float64(self):
        """The same problem held in float64 (a copy unless it already is)."""
        if self.dtype == np.float64:
            return self
        out = LeastSquares(self.X.astype(np.float64), self.Yt.astype(np.float64),
                           self.sqrt_sw.astype(np.float64), self.n_weight,
                           None if self.offset is None else _f64(self.offset))
        out.out_dtype = self.out_dtype
        return out

    def columns(self, cols):
        """The same problem restricted to the features ``cols``."""
        offset = None if self.offset is None else self.offset[cols]
        X = self._by_column() if self.sparse else self.X
        return LeastSquares(X[:, cols], self.Yt, self.sqrt_sw, self.n_weight, offset)

    def target(self, k):
        """The k-th centred, weighted target ``yt``."""
        return self.Yt[:, k]

    def target_stats(self, yt):
        """``(Xt^T yt / S, |yt|^2 / S)``."""
        return self.rmatvec(yt) / self.n_weight, float(yt @ yt) / self.n_weight

    def correlations(self, w, yt):
        """``(v, rr, ry)`` at ``w``: ``Xt^T r / S``, ``|r|^2 / S``, ``r^T yt / S``."""
        r = yt - self.matvec(w) if np.any(w) else yt.copy()
        S = self.n_weight
        return self.rmatvec(r) / S, float(r @ r) / S, float(r @ yt) / S

    def correlations64(self, w, yt):
        """:meth:`correlations` with every product accumulated in float64."""
        w = _f64(np.asarray(w))
        yt = _f64(yt)
        r = yt - self._matvec64(w) if np.any(w) else yt.copy()
        S = self.n_weight
        return self._rmatvec64(r) / S, float(r @ r) / S, float(r @ yt) / S

    def target_stats64(self, yt):
        """``|yt|^2 / S`` in float64."""
        yt = _f64(yt)
        return float(yt @ yt) / self.n_weight

    def _matvec64(self, w):
        X = self.X
        out = (X @ w) if X.dtype == np.float64 else _f64(X) @ w
        if self.offset is not None:
            out -= _f64(self.sqrt_sw) * (_f64(self.offset) @ w)
        return np.asarray(out)

    def _rmatvec64(self, u):
        X = self.X
        out = (X.T @ u) if X.dtype == np.float64 else _f64(X).T @ u
        if self.offset is not None:
            out -= _f64(self.offset) * (_f64(self.sqrt_sw) @ u)
        return np.asarray(out).ravel()

    def matvec(self, w):
        """``Xt @ w`` for ``w`` of shape (n_features,)."""
        out = self.X @ w
        if self.offset is not None:
            out -= self.sqrt_sw * (self.offset @ w)
        return out

    def rmatvec(self, u):
        """``Xt.T @ u`` for ``u`` of shape (n_samples,)."""
        out = self.X.T @ u
        if self.offset is not None:
            out -= self.offset * (self.sqrt_sw @ u)
        return np.asarray(out).ravel()

    def _by_column(self):
        """The sparse design in CSC format (converted once, on first need)."""
        if self.X.format != "csc":
            self.X = self.X.tocsc()
        return self.X

    def cross(self, rows, cols):
        """The Gram block ``Xt[:, rows].T @ Xt[:, cols]`` as a dense array."""
        if not self.sparse:
            return self.X[:, rows].T @ self.X[:, cols]
        X = self._by_column()
        A = X[:, rows]
        B = A if cols is rows else X[:, cols]
        out = (A.T @ B).toarray()
        if self.offset is not None:
            out -= self.n_weight * np.outer(self.offset[rows], self.offset[cols])
        return out

    def gram(self):
        """``Xt.T @ Xt`` (n_features x n_features), dense."""
        if not self.sparse:
            return self.X.T @ self.X
        out = (self.X.T @ self.X).toarray()
        if self.offset is not None:
            out -= self.n_weight * np.outer(self.offset, self.offset)
        return out

    def kernel(self):
        """``Xt @ Xt.T`` (n_samples x n_samples), dense."""
        if not self.sparse:
            return self.X @ self.X.T
        XmT = self.X @ self.offset if self.offset is not None else None
        out = (self.X @ self.X.T).toarray()
        if self.offset is not None:
            # (A - a m^T)(A - a m^T)^T with A = diag(sqrt s) X, a = sqrt s, m = mu.
            out -= np.outer(XmT, self.sqrt_sw)
            out -= np.outer(self.sqrt_sw, XmT)
            out += float(self.offset @ self.offset) * np.outer(self.sqrt_sw, self.sqrt_sw)
        return out

    def col_sq_norms(self):
        """Squared column norms of ``Xt``."""
        if not self.sparse:
            return np.einsum("ij,ij->j", self.X, self.X)
        X = self.X
        if X.format == "csr":
            out = np.bincount(X.indices, weights=X.data**2, minlength=X.shape[1])
        else:
            out = np.add.reduceat(np.append(X.data**2, 0.0), X.indptr[:-1])
            out[np.diff(X.indptr) == 0] = 0.0
        out = out.astype(self.dtype, copy=False)
        if self.offset is not None:
            out -= self.n_weight * self.offset**2
        return np.maximum(out, 0.0)

    def curvature(self):
        """``trace(Xt^T Xt) / S``: an upper bound on the Lipschitz constant."""
        return float(self.col_sq_norms().sum()) / self.n_weight

    def lipschitz(self):
        """Largest eigenvalue of ``Xt.T @ Xt / S`` (the data term's Lipschitz constant).

        Exact from the smaller Gram/kernel matrix when it is small, otherwise
        Lanczos with a fixed start vector (deterministic).
        """
        n, p = self.shape
        if min(n, p) <= 500:
            M = self.gram() if p <= n else self.kernel()
            top = np.linalg.eigvalsh(M.astype(np.float64, copy=False))[-1]
        else:
            from scipy.sparse.linalg import LinearOperator, eigsh

            op = LinearOperator(
                (p, p), matvec=lambda v: self.rmatvec(self.matvec(v)), dtype=self.dtype
            )
            v0 = np.ones(p, dtype=self.dtype)
            top = eigsh(op, k=1, which="LA", v0=v0, tol=1e-4,
                        return_eigenvectors=False)[0]
            top *= 1.0 + 1e-3  # Lanczos converges from below
        return max(float(top), 0.0) / self.n_weight


class _GramTarget:
    """One target summarised by ``c = Xt^T yt`` and ``yy = |yt|^2``."""

    def __init__(self, c, yy):
        self.c, self.yy = c, yy


class GramLeastSquares:
    """The same problem held by its sufficient statistics ``G = Xt^T Xt``,
    ``C = Xt^T Yt`` and ``|yt|^2``: every operation costs O(p^2) instead of O(np).

    Used when the data are at least as tall as wide and the p x p Gram matrix is
    small; it offers the operations of :class:`LeastSquares` that do not need the
    rows themselves.
    """

    gram_mode = True
    sparse = False

    def __init__(self, G, C, YY, n_weight, shape, dtype, out_dtype=None):
        self.G, self.C, self.YY = G, C, YY
        self.n_weight = float(n_weight)
        self.shape = shape
        self.dtype = dtype
        # the dtype of the data the statistics came from: the answer's dtype
        self.out_dtype = np.dtype(dtype if out_dtype is None else out_dtype)
        self.n_targets = C.shape[1]

    def target(self, k):
        return _GramTarget(self.C[:, k], float(self.YY[k]))

    def target_stats(self, t):
        return t.c / self.n_weight, t.yy / self.n_weight

    def correlations(self, w, t):
        S = self.n_weight
        Gw = self.G @ w
        cw = float(t.c @ w)
        rr = max(t.yy - 2.0 * cw + float(w @ Gw), 0.0)
        return (t.c - Gw) / S, rr / S, (t.yy - cw) / S

    def correlations64(self, w, t):
        """:meth:`correlations` in float64."""
        G, c = _f64(self.G), _f64(np.asarray(t.c))
        w = _f64(np.asarray(w))
        S = self.n_weight
        Gw = G @ w
        cw = float(c @ w)
        rr = max(t.yy - 2.0 * cw + float(w @ Gw), 0.0)
        return (c - Gw) / S, rr / S, (t.yy - cw) / S

    def target_stats64(self, t):
        """``|yt|^2 / S`` (kept in float64)."""
        return float(t.yy) / self.n_weight

    def cross(self, rows, cols):
        return self.G[np.ix_(rows, cols)]

    def gram(self):
        return self.G.copy()

    def col_sq_norms(self):
        return np.diag(self.G).copy()

    def curvature(self):
        return float(np.trace(self.G)) / self.n_weight

    def lipschitz(self):
        top = np.linalg.eigvalsh(self.G.astype(np.float64, copy=False))[-1]
        return max(float(top), 0.0) / self.n_weight


def prepare_gram(X, y, sample_weight, fit_intercept):
    """Like :func:`prepare`, but return a :class:`GramLeastSquares`.

    (A BLAS ``syrk`` would do half the flops of the product ``X^T X``, but
    measured here with OpenBLAS it ran twice as slow, so the product it is.)

    The Gram matrix of the *uncentred* rows is corrected by the rank-one term
    ``S mu mu^T``, so a dense ``X`` with unit weights is never copied.  When the
    correction would cancel more than six digits of a diagonal entry (features
    whose mean dwarfs their spread), the rows are centred first instead.
    """
    dtype = X.dtype
    n, p = X.shape
    if dtype != np.float64:
        # float32 data: the statistics are accumulated in float64 (a block of
        # rows at a time), so the problem solved is the data's, not its rounding.
        from ._streaming import SufficientStatistics

        stats = SufficientStatistics.from_chunk(X, y, sample_weight, fit_intercept)
        return stats.problem(out_dtype=dtype)
    sw = np.asarray(sample_weight, dtype=dtype)
    n_weight = float(sw.sum(dtype=np.float64))
    unit = bool(np.all(sw == 1))
    if fit_intercept:
        y_mean = weighted_mean64(y, sw)
        X_mean = weighted_mean64(X, sw)
    else:
        y_mean = np.zeros(y.shape[1], dtype=dtype)
        X_mean = np.zeros(p, dtype=dtype)
    yc = y - y_mean
    swy = yc * sw[:, None]
    YY = np.einsum("ij,ij->j", yc, swy).astype(np.float64)

    if sp.issparse(X):
        Xw = X if unit else sp.diags(np.sqrt(sw)) @ X
        G = (Xw.T @ Xw).toarray().astype(dtype, copy=False)
    else:
        Xw = X if unit else X * np.sqrt(sw)[:, None]
        G = Xw.T @ Xw
    C = np.asarray(X.T @ swy, dtype=dtype)  # sum(s * yc) = 0: no centring needed
    if fit_intercept:
        diag = np.diag(G).copy()
        G -= dtype.type(n_weight) * np.outer(X_mean, X_mean)
        if not sp.issparse(X) and np.any(np.diag(G) < 1e-6 * diag):
            Xc = X - X_mean
            C = Xc.T @ swy              # exactly zero for a constant column
            if not unit:
                Xc *= np.sqrt(sw)[:, None]
            G = Xc.T @ Xc
    check_no_overflow(X_mean, y_mean, np.diag(G), C, YY)
    return GramLeastSquares(G, C, YY, n_weight, (n, p), dtype), X_mean, y_mean


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


_ROW_BLOCK = 8192


def weighted_mean64(X, sw):
    """Column means of ``X`` weighted by ``sw``, accumulated in float64.

    A dense ``X`` is averaged as ``x_r + sum_i s_i (x_i - x_r) / S`` around a
    reference row ``x_r`` (one of positive weight): a column whose values are all
    equal then has exactly that value as its mean, so centring makes it exactly
    zero (not a rounding residue that would count as a direction of the data),
    and large offsets do not cancel.  A float32 ``X`` is converted a block of
    rows at a time, so no float64 copy of the whole matrix is made.
    """
    sw = np.asarray(sw, dtype=np.float64)
    total = float(sw.sum())
    if sp.issparse(X):
        return np.asarray(X.T @ sw, dtype=np.float64).ravel() / total
    X = np.asarray(X)
    ref = X[int(np.argmax(sw > 0))].astype(np.float64)
    out = np.zeros(X.shape[1])
    for start in range(0, X.shape[0], _ROW_BLOCK):
        block = X[start:start + _ROW_BLOCK].astype(np.float64) - ref
        out += sw[start:start + _ROW_BLOCK] @ block
    return ref + out / total


def prepare(X, y, sample_weight, fit_intercept, copy_X=True):
    """Centre and weight the data.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    y : ndarray of shape (n_samples, n_targets)
    sample_weight : ndarray of shape (n_samples,)
    fit_intercept : bool
    copy_X : bool
        If False a dense, writeable ``X`` is overwritten.

    Returns
    -------
    data : LeastSquares
        Holds the design and the targets ``yt = sqrt(s) * (y - ybar)``.
    X_mean : ndarray of shape (n_features,)
        Weighted column means, float64 whatever the data's dtype.
    y_mean : ndarray of shape (n_targets,)
        Weighted target means, float64.
    """
    dtype = X.dtype
    sw = np.asarray(sample_weight, dtype=dtype)
    n_weight = float(sw.sum(dtype=np.float64))
    sqrt_sw = np.sqrt(sw)
    unit = bool(np.all(sw == 1))
    n_features = X.shape[1]
    if fit_intercept:
        X_mean = weighted_mean64(X, sample_weight)
        y_mean = weighted_mean64(y, sample_weight)
    else:
        X_mean = np.zeros(n_features)
        y_mean = np.zeros(y.shape[1])

    yt = (y - y_mean).astype(dtype, copy=False) if fit_intercept else y.copy()
    if not unit:
        yt *= sqrt_sw[:, None]
    check_no_overflow(X_mean, y_mean, np.einsum("ij,ij->j", yt, yt))

    if sp.issparse(X):
        Xs = X.astype(dtype, copy=True)
        if not unit:
            Xs = Xs.multiply(sqrt_sw[:, None]).asformat(X.format)
        offset = X_mean if fit_intercept else None
        data = LeastSquares(Xs, yt, sqrt_sw, n_weight, offset)
    else:
        if copy_X or not X.flags.writeable:
            Xd = np.array(X, dtype=dtype, order="F", copy=True)
        else:
            Xd = X
        if fit_intercept:
            Xd -= X_mean            # in float64, rounded once to the data's dtype
        if not unit:
            Xd *= sqrt_sw[:, None]
        data = LeastSquares(Xd, yt, sqrt_sw, n_weight)
    return data, X_mean, y_mean


def duality_gap(w, v, rr, ry, penalty, curvature):
    """Primal value, dual value and duality gap of ``P`` at ``w``.

    The dual point is ``theta = kappa * r``, the residual ``r = yt - Xt w``
    scaled by the ``kappa >= 0`` that maximises the dual along that ray.  With
    ``v = Xt^T r / S``, ``rr = |r|^2 / S`` and ``ry = r^T yt / S`` the dual is

    ``D(kappa) = kappa * ry - kappa^2 * rr / 2 - g*(kappa * v)``.

    Without an L2 part ``g*`` is the indicator of ``|u|_inf <= l1``, so ``kappa``
    is also capped at ``l1 / |v|_inf``.  With one, the maximiser is found exactly
    (:func:`_best_dual_scale`): at the optimum it is 1, and away from it (or when
    rounding leaves a tiny ``v`` where ``l2`` is tiny) the scaling keeps the gap
    finite and tight, never above ``P(w)``.

    Without a penalty the dual requires ``Xt^T theta = 0``, which only the optimal
    residual meets, so no dual point is at hand.  The returned "gap" is then the
    optimality measure ``|w^T v| + |v_+|^2 / curvature`` (``v_+``: the entries of
    ``v`` that violate optimality, all of them unless ``positive``), zero exactly
    at the optimum; ``curvature = trace(Xt^T Xt) / S`` puts it on the objective's
    scale.
    """
    primal = 0.5 * rr + penalty.value(w)
    l1, l2 = penalty.l1, penalty.l2
    if l1 == 0.0 and l2 == 0.0:
        viol = np.maximum(v, 0.0) if penalty.positive else v
        measure = abs(float(w @ v)) + float(viol @ viol) / max(curvature, 1e-300)
        return primal, primal - measure, measure
    if l2 > 0.0:
        kappa = _best_dual_scale(v, rr, ry, l1, l2, penalty.positive)
        conj = penalty.conjugate(kappa * v)
    else:
        vnorm = penalty.dual_norm(v)
        kappa_max = l1 / vnorm if vnorm > 0 else np.inf
        kappa = min(max(ry / rr, 0.0), kappa_max) if rr > 0 else 0.0
        conj = 0.0
    dual = kappa * ry - 0.5 * kappa * kappa * rr - conj
    return primal, dual, max(primal - dual, 0.0)


def _best_dual_scale(v, rr, ry, l1, l2, positive):
    """``argmax_{kappa >= 0} kappa ry - kappa^2 rr / 2 - sum (kappa a_j - l1)_+^2 / (2 l2)``
    with ``a = |v|`` (``a = v`` when ``positive``).

    The objective is concave and piecewise quadratic in ``kappa`` with breakpoints
    ``l1 / a_j``; with the ``k`` largest ``a_j`` active its stationary point is
    ``(ry + l1 A1_k / l2) / (rr + A2_k / l2)`` (``A1_k``, ``A2_k``: sums of the
    ``k`` largest ``a_j`` and of their squares).  The one that falls in its own
    interval is the maximiser.
    """
    if ry <= 0.0:
        return 0.0
    a = v if positive else np.abs(v)
    a = -np.sort(-a[a > 0.0])
    A1 = np.concatenate([[0.0], np.cumsum(a)])
    A2 = np.concatenate([[0.0], np.cumsum(a * a)])
    denom = rr + A2 / l2
    with np.errstate(divide="ignore", invalid="ignore"):
        roots = (ry + l1 * A1 / l2) / denom
        # the k largest are active on [l1 / a_(k-1), l1 / a_k)
        hi = np.append(l1 / a, np.inf) if l1 > 0 else np.append(np.zeros(a.size), np.inf)
        lo = np.concatenate([[0.0], hi[:-1]])
    ok = np.flatnonzero((roots >= lo) & (roots <= hi) & (denom > 0))
    if ok.size == 0:
        return 0.0
    return float(roots[ok[0]])


def residual_gap(data, yt, w, penalty):
    """Duality gap of ``P`` at ``w`` for the target ``yt`` of ``data``, in float64.

    This is the certificate every solver's answer is judged by: the residual is
    recomputed from the data (no running update that may have drifted) and every
    product is accumulated in float64, whatever the data's dtype, so the gap
    bounds the true suboptimality of ``w`` even when the solver itself ran in
    float32.
    """
    v, rr, ry = data.correlations64(w, yt)
    return duality_gap(np.asarray(w, dtype=np.float64), v, rr, ry, penalty,
                       data.curvature())[2]


def zero_objective(data, yt):
    """``P(0) = |yt|^2 / (2S)``, the scale of ``tol``, in float64."""
    return 0.5 * data.target_stats64(yt)


def _f64(a):
    return a if a.dtype == np.float64 else a.astype(np.float64)
