"""Closed form for the L2 penalty and for ordinary least squares.

The optimality condition of ``P(w) = |yt - Xt w|^2 / (2S) + l2 / 2 |w|^2`` is the
linear system ``(Xt^T Xt / S + l2 I) w = Xt^T yt / S``.  It is solved by a
Cholesky factorisation of the smaller of two matrices:

* the Gram form, or ``n_features <= n_samples``: the p x p system itself;
* otherwise the n x n "kernel" system ``(Xt Xt^T / S + l2 I) a = yt`` and
  ``w = Xt^T a / S`` (the push-through identity).  With a positive L2 weight
  per feature, ``D = diag(l2)`` (penalty factors, the dropout term), the same
  identity with a diagonal, ``(Xt^T Xt / S + D)^{-1} Xt^T = D^{-1} Xt^T
  (Xt D^{-1} Xt^T / S + I)^{-1}``, is solved on the columns scaled by
  ``D^{-1/2}`` (a sparse design stays sparse).

The linear algebra is done in float64 whatever the data's dtype: a closed form
claims the exact answer, and float32 Gram matrices or factorisations lose too
many digits on ill-conditioned designs to deliver it.

When the matrix is singular or too ill-conditioned for a Cholesky factorisation
(ordinary least squares on a rank-deficient design), the minimum-norm
least-squares solution is computed instead, from an SVD (dense rows) or from an
eigendecomposition of the Gram / kernel matrix (sparse, never densified, and the
Gram form).
"""

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp


def _cholesky_solve(A, B, check_rcond):
    """Solve ``A x = B`` for a symmetric positive matrix or return None."""
    try:
        factor = la.cho_factor(A, lower=False, overwrite_a=True, check_finite=False)
    except la.LinAlgError:
        return None
    if check_rcond:
        diag = np.abs(np.diag(factor[0]))
        eps = np.finfo(A.dtype).eps
        if diag.min() <= 0 or (diag.min() / diag.max()) ** 2 < 100 * A.shape[0] * eps:
            return None
    return la.cho_solve(factor, B, check_finite=False)


def _lstsq(X, Y):
    """Minimum-norm least squares; singular values below ``max(n, p) * eps`` times
    the largest count as zero (rounding noise, not directions of the data)."""
    cond = max(X.shape) * np.finfo(X.dtype).eps
    return la.lstsq(X, Y, cond=cond, check_finite=False, lapack_driver="gelsd")[0]


def _pinv_solve(M, B):
    """Minimum-norm solution of ``M x = B`` for a symmetric PSD ``M``."""
    evals, evecs = np.linalg.eigh(M)
    cutoff = evals[-1] * max(M.shape) * np.finfo(M.dtype).eps if evals.size else 0.0
    inv = np.where(evals > cutoff, 1.0 / np.where(evals > cutoff, evals, 1.0), 0.0)
    return evecs @ (inv[:, None] * (evecs.T @ B))


def solve_closed_form(problem, penalty):
    """Solve the L2 / unpenalised problem for every target of ``problem``.

    Returns the coefficients as a float64 array of shape (n_targets, n_features).
    """
    n, p = problem.shape
    S = problem.n_weight
    l2 = np.asarray(penalty.l2, dtype=np.float64)
    singular_ok = not np.any(l2 > 0)
    targets = range(problem.n_targets)
    if problem.form == "gram" or p <= n:
        A = problem.gram() / S
        A.flat[:: p + 1] += l2
        B = np.column_stack([problem.xty(k) for k in targets]) / S
        coef = _cholesky_solve(A.copy() if singular_ok else A, B, singular_ok)
        if coef is None:
            if problem.form == "dense":
                f64 = problem.as_float64()
                coef = _lstsq(f64.X, f64.Yt)
            else:
                coef = _pinv_solve(A, B)
        return coef.T
    f64 = problem.as_float64()
    if l2.ndim:
        return _solve_wide_diagonal(f64, l2)
    K = f64.kernel() / S
    K.flat[:: n + 1] += l2
    Y = f64.Yt
    a = _cholesky_solve(K.copy() if singular_ok else K, Y, singular_ok)
    if a is None:
        if f64.form == "dense":
            return _lstsq(f64.X, Y).T
        a = _pinv_solve(K, Y)
    return np.column_stack([f64.rmatvec(a[:, k]) for k in targets]).T / S


def _solve_wide_diagonal(problem, l2):
    """The push-through identity with a diagonal ``D = diag(l2)``, ``D > 0``.

    ``w = D^{-1/2} Z^T (Z Z^T / S + I)^{-1} yt / S`` with ``Z = Xt D^{-1/2}``.
    Coordinates with ``l2_j = 0`` have been partialled out before (see
    :mod:`skreg._unpenalized`); a zero left here is an error of the caller.
    """
    if not np.all(l2 > 0):
        raise ValueError("per-feature L2 weights on a wide design must be positive")
    S = problem.n_weight
    n = problem.shape[0]
    scale = 1.0 / np.sqrt(l2)
    Z = scaled_columns(problem, scale)
    K = Z.kernel() / S
    K.flat[:: n + 1] += 1.0
    a = _cholesky_solve(K, Z.Yt, False)
    if a is None:                       # K >= I: only non-finite data get here
        a = _pinv_solve(K, Z.Yt)
    return np.column_stack([scale * Z.rmatvec(a[:, k])
                            for k in range(problem.n_targets)]).T / S


def scaled_columns(problem, scale):
    """The rows problem whose design is ``Xt diag(scale)`` (float64 rows problem;
    sparse stays sparse, the centring implicit)."""
    from .. import _datafit

    X = problem.X
    if sp.issparse(X):
        Xs = sp.csc_matrix(X @ sp.diags(scale))
        offset = None if problem.offset is None else problem.offset * scale
    else:
        Xs, offset = np.asfortranarray(X * scale), None
    return _datafit.RowsProblem(Xs, problem.Yt, problem.sqrt_sw, problem.n_weight,
                                problem.X_mean * scale, problem.y_mean, offset,
                                out_dtype=problem.out_dtype)
