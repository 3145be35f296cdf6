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
from .._unpenalized import eliminate, unpenalized_features


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


# ------------------------------------------------- every alpha of an L2 path
def l2_spectrum(problem):
    """Eigendecomposition behind every L2 solution of ``problem``.

    Returns ``(evals, basis, proj)`` such that the L2 solution at ``alpha`` is
    ``basis @ (proj / (evals + alpha * S)[:, None])`` (shape
    ``(n_features, n_targets)``):

    * from the Gram matrix: ``Xt^T Xt = V diag(evals) V^T``, ``basis = V``,
      ``proj = V^T Xt^T Yt``;
    * from the kernel matrix (``p > n``): ``Xt Xt^T = U diag(evals) U^T``,
      ``basis = Xt^T U``, ``proj = U^T Yt``.

    Computed in float64 whatever the data's dtype.
    """
    n, p = problem.shape
    if problem.form == "gram" or p <= n:
        evals, V = np.linalg.eigh(problem.gram())
        return np.maximum(evals, 0.0), V, V.T @ problem.xty_matrix()
    f64 = problem.as_float64()
    evals, U = np.linalg.eigh(f64.kernel())
    return np.maximum(evals, 0.0), f64.rmatmat(U), U.T @ f64.Yt


def l2_coefs(spectrum, alphas, n_weight):
    """L2 solutions for every alpha: array of shape (n_alphas, n_targets, p).

    At ``alpha = 0`` (least squares; a dropout rate of 0) the eigenvalues below
    ``1e-12`` of the largest are left out: the minimum-norm solution.
    """
    evals, basis, proj = spectrum
    out = np.empty((len(alphas), proj.shape[1], basis.shape[0]))
    floor = 1e-12 * float(evals.max(initial=0.0))
    for i, alpha in enumerate(alphas):
        denom = evals + alpha * n_weight
        inv = np.where(denom > floor, 1.0 / np.where(denom > floor, denom, 1.0), 0.0)
        out[i] = (basis @ (proj * inv[:, None])).T
    return out


def closed_form_path(problem, penalty_of, alphas):
    """L2 solutions of ``problem`` for every alpha, shape (n_alphas, n_targets, p),
    float64: one eigendecomposition for the whole grid when the L2 weight is the
    same for every feature, else :func:`weighted_l2_coefs`."""
    if np.ndim(penalty_of(1.0).l2) > 0:
        return weighted_l2_coefs(problem, penalty_of, alphas)
    return l2_coefs(l2_spectrum(problem), alphas, problem.n_weight)


def weighted_l2_coefs(problem, penalty_of, alphas):
    """L2 solutions with per-feature weights ``alpha f_j + delta_j`` for every alpha.

    ``penalty_of(alpha)`` gives the penalty (factors ``f``, a ridge ``delta``
    such as the dropout term).  Unpenalised features are partialled out
    (:mod:`skreg._unpenalized`).  With every remaining ``f_j > 0`` one
    eigendecomposition gives the whole grid: ``M = F^{-1/2} (G + S diag(delta))
    F^{-1/2} = V diag(e) V^T`` and ``w(alpha) = F^{-1/2} V (e + alpha S)^{-1}
    V^T F^{-1/2} c`` (for a wide rows problem without ``delta``, the kernel of
    the columns scaled by ``F^{-1/2}``).  Otherwise one closed form per alpha.
    """
    p = problem.shape[1]
    ridge = penalty_of(0.0).weights(p)[1]
    factor = penalty_of(1.0).weights(p)[1] - ridge
    free = unpenalized_features(penalty_of(1.0), p)
    elim = None if free is None else eliminate(problem, free)
    red = problem if elim is None else elim.reduced
    kept = np.arange(p) if elim is None else elim.kept
    f, delta = factor[kept], ridge[kept]
    n, q = red.shape
    S = red.n_weight
    if np.all(f > 0) and (red.form == "gram" or q <= n or not np.any(delta)):
        scale = 1.0 / np.sqrt(f)
        if red.form == "gram" or q <= n:
            M = red.gram()
            M.flat[:: q + 1] += S * delta
            M = scale[:, None] * M * scale[None, :]
            evals, V = np.linalg.eigh(M)
            spectrum = (np.maximum(evals, 0.0), scale[:, None] * V,
                        V.T @ (scale[:, None] * red.xty_matrix()))
        else:
            evals, basis, proj = l2_spectrum(scaled_columns(red.as_float64(), scale))
            spectrum = (evals, scale[:, None] * basis, proj)
        coefs = l2_coefs(spectrum, alphas, S)
    else:
        coefs = np.array([solve_closed_form(red, penalty_of(a).restrict(kept))
                          for a in alphas])
    return coefs if elim is None else elim.expand(coefs, np.float64)
