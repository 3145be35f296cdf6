"""Closed form for the L2 penalty and for ordinary least squares.

The optimality condition of ``P(w) = |yt - Xt w|^2 / (2S) + l2 / 2 |w|^2`` is the
linear system ``(Xt^T Xt / S + l2 I) w = Xt^T yt / S``.  It is solved by a
Cholesky factorisation of the smaller of two matrices:

* the Gram form, or ``n_features <= n_samples``: the p x p system itself;
* otherwise the n x n "kernel" system ``(Xt Xt^T / S + l2 I) a = yt`` and
  ``w = Xt^T a / S`` (the push-through identity).

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
        raise NotImplementedError("per-feature L2 weights on a wide design")
    K = f64.kernel() / S
    K.flat[:: n + 1] += l2
    Y = f64.Yt
    a = _cholesky_solve(K.copy() if singular_ok else K, Y, singular_ok)
    if a is None:
        if f64.form == "dense":
            return _lstsq(f64.X, Y).T
        a = _pinv_solve(K, Y)
    return np.column_stack([f64.rmatvec(a[:, k]) for k in targets]).T / S
