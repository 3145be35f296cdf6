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

A system is numerically singular when its ridge is below the rounding level of
the Gram / kernel matrix (:func:`skreg._datafit.rank_cutoff` times its largest
eigenvalue): ordinary least squares on a rank-deficient design, a vanishing
``alpha``, or a design that centring makes rank-deficient (``n <= p``).  Its
directions below that level are noise, which a tiny ridge would amplify; the
solution is then taken from an eigendecomposition without them, the
minimum-norm answer.
"""

import numpy as np
import scipy.linalg as la
import scipy.sparse as sp

from .._datafit import RowsProblem, rank_cutoff


def _ridge_solve(M, d, B, cutoff):
    """Solve ``(M + d I) x = B`` for a symmetric PSD ``M`` and a scalar ``d >= 0``,
    treating a numerically singular system as singular.

    Eigenvalues of ``M`` below ``cutoff`` times the largest are rounding noise:
    when ``d`` is below that level too, those directions would be amplified by
    ``1 / d``, so the solution is taken without them (the minimum-norm answer,
    exact for ``d = 0``).  A ridge above the noise level makes the system well
    conditioned, and one Cholesky factorisation solves it.  ``M`` is
    overwritten.
    """
    top = float(np.max(np.diagonal(M), initial=0.0))     # within p of the largest
    if d > cutoff * top * M.shape[0]:
        M.flat[:: M.shape[0] + 1] += d
        try:
            factor = la.cho_factor(M, lower=False, overwrite_a=True, check_finite=False)
            return la.cho_solve(factor, B, check_finite=False)
        except la.LinAlgError:          # (only non-finite data get here)
            M.flat[:: M.shape[0] + 1] -= d
    evals, evecs = np.linalg.eigh(M)
    keep = evals > cutoff * evals[-1] if evals.size else evals > 0
    V, inv = evecs[:, keep], 1.0 / (evals[keep] + d)[:, None]
    x = V @ (inv * (V.T @ B))
    # one step of refinement: the eigenvectors of the smallest kept eigenvalues
    # are accurate only to eps * (largest / gap), which the residual corrects
    R = B - M @ x - d * x
    return x + V @ (inv * (V.T @ R))


def solve_closed_form(problem, penalty):
    """Solve the L2 / unpenalised problem for every target of ``problem``.

    Returns the coefficients as a float64 array of shape (n_targets, n_features).
    """
    n, p = problem.shape
    S = problem.n_weight
    l2 = np.asarray(penalty.l2, dtype=np.float64)
    if l2.ndim and np.all(l2 == l2[0]):          # one weight for every feature
        l2 = l2[0] if l2.size else np.float64(0.0)
    cutoff = rank_cutoff(problem.out_dtype, n, p)
    targets = range(problem.n_targets)
    if problem.form == "gram" or p <= n:
        B = np.column_stack([problem.xty(k) for k in targets]) / S
        if l2.ndim:                     # per-feature weights, all positive
            scale = 1.0 / np.sqrt(l2)
            A = scale[:, None] * problem.gram() * scale[None, :] / S
            A.flat[:: p + 1] += 1.0
            return (scale[:, None] * la.solve(A, scale[:, None] * B,
                                              assume_a="pos")).T
        return _ridge_solve(problem.gram() / S, float(l2), B, cutoff).T
    f64 = problem.as_float64()
    if l2.ndim:
        return _solve_wide_diagonal(f64, l2)
    a = _ridge_solve(f64.kernel() / S, float(l2), f64.Yt, cutoff)
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
    a = la.solve(K, Z.Yt, assume_a="pos")       # K >= I: well conditioned
    return np.column_stack([scale * Z.rmatvec(a[:, k])
                            for k in range(problem.n_targets)]).T / S


def scaled_columns(problem, scale):
    """The rows problem whose design is ``Xt diag(scale)`` (float64 rows problem;
    sparse stays sparse, the centring implicit)."""
    X = problem.X
    if sp.issparse(X):
        Xs = sp.csc_matrix(X @ sp.diags(scale))
        offset = None if problem.offset is None else problem.offset * scale
    else:
        Xs, offset = np.asfortranarray(X * scale), None
    return RowsProblem(Xs, problem.Yt, problem.sqrt_sw, problem.n_weight,
                                problem.X_mean * scale, problem.y_mean, offset,
                                out_dtype=problem.out_dtype)
