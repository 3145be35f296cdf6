"""Leave-one-out errors of every L2 alpha (and every pure-dropout rate) from one
decomposition: the ``cv=None`` shortcut of :class:`skreg.RegularizedRegressorCV`.

Refitting without sample ``i`` minimises the objective on the remaining
samples, a ridge problem with ``lambda_i = alpha * (S - s_i)`` in
sum-of-squares units.  For a fixed ``lambda`` the fitted values are a linear
smoother ``H y`` and the leave-one-out residual is ``(y_i - yhat_i) / (1 -
H_ii)``, both taken at ``lambda_i``.  With ``Xt = diag(sqrt s) Xc = U
diag(sigma) V^T``: ``sqrt(s_i) (y_i - yhat_i) = yt_i - sum_k U_ik f_ik (U^T
yt)_k`` and ``H_ii = s_i / S + sum_k U_ik^2 f_ik`` with ``f_ik = sigma_k^2 /
(sigma_k^2 + lambda_i)`` (the ``s_i / S`` only with an intercept).  A sample of
weight zero does not change the fit: its prediction is the full model's.
Everything is computed in float64.

Penalty factors ``f_j > 0`` (and pure dropout, whose factors are the raw second
moments ``d_j``) make a ridge problem on the columns divided by ``sqrt(f_j)``,
so the same decomposition serves them.  The scores enter the choice and refit
of the cross-validation engine (:mod:`skreg._cv_engine`).
"""

from numbers import Integral

import numpy as np
import scipy.sparse as sp

from ._cv_engine import Scores
from ._cv_sources import score_predictions
from ._datafit import rank_cutoff
from ._path import alpha_grid
from ._penalties import rate_grid, second_moments
from ._solvers import MAX_DIRECT_SPARSE
from ._solvers._closed_form import scaled_columns


def loo_applies(cv, search, X):
    """True when the leave-one-out shortcut computes the search: ``cv=None``,
    no constraint, and pure dropout or plain L2 (one rate, 0; positive
    factors), on a design small enough to decompose."""
    spec = search.spec
    too_large = sp.issparse(X) and min(X.shape) > MAX_DIRECT_SPARSE
    plain_l2 = (list(search.ratios) == [0.0] and list(search.rates) == [0.0]
                and (spec.factor is None or bool(np.all(spec.factor > 0))))
    return cv is None and not spec.positive and not too_large and (spec.pure
                                                                   or plain_l2)


def loo_scores(source, search):
    """The leave-one-out :class:`~skreg._cv_engine.Scores` of ``source``
    (:class:`~skreg._cv_sources.RowsFolds`, all the rows): the score of each
    alpha (rate) and, for ``mse_path_``, the squared errors (n_alphas,
    n_samples) averaged over targets."""
    X, Y, sw = source.X, source.Y, source.sw
    problem = source.rows_problem64()
    spec = search.spec
    if spec.pure:
        d = second_moments(problem)
        scale = 1.0 / np.sqrt(np.where(d > 0, d, 1.0))
    else:
        scale = None if spec.factor is None else 1.0 / np.sqrt(spec.factor)
    scaled = problem if scale is None else scaled_columns(problem, scale)
    grid = rate_grid(search.rates) if spec.pure else search.alphas
    grid, scores, sq_errors = _loo_l2(scaled, X, Y, sw, scale, grid, search.eps,
                                      source, X.dtype)
    table = scores[None, :, None]                     # (1 config, n_alphas, 1)
    path = table[0] if source.higher_is_better else sq_errors.mean(axis=2).T
    return Scores(table, path, search.configs(), [grid], [grid],
                  source.higher_is_better, source.path_name)


def _loo_basis(problem, dtype):
    """The decomposition behind every L2 leave-one-out error, in float64.

    ``problem`` is the float64 rows problem of all the data (its columns
    scaled).  Returns ``(U, ev, Z)`` with ``Xt = U diag(sqrt(ev)) V^T``
    restricted to the non-zero part of the spectrum (``ev`` above a relative
    ``1e-12``, or the rounding level of the data's dtype) and ``Z = U^T Yt``.
    A dense design (centred explicitly: no cancellation of large means) is
    decomposed by a thin SVD when it is tall,
    by the eigendecomposition of its ``n x n`` kernel matrix when it is wide; a
    sparse design by the smaller of its Gram and kernel matrices.
    """
    n, p = problem.shape
    cutoff = rank_cutoff(dtype, n, p)
    if not problem.sparse and n >= p:
        U, sigma, _ = np.linalg.svd(problem.X, full_matrices=False)
        ev = sigma**2
    elif p <= n:
        ev, V = np.linalg.eigh(problem.gram())
        keep = ev > ev.max(initial=0.0) * cutoff
        U = problem.matmat(V[:, keep]) / np.sqrt(ev[keep])
        ev = ev[keep]
    else:
        ev, U = np.linalg.eigh(problem.kernel())
    keep = ev > ev.max(initial=0.0) * cutoff
    U, ev = U[:, keep], ev[keep]
    return U, ev, U.T @ problem.Yt


def _loo_l2(data, X, Y, sw, scale, alphas, eps, source, dtype):
    """Leave-one-out scores of every alpha on ``data`` (the float64 rows
    problem, columns scaled by ``scale``) from one decomposition.

    ``alphas`` is the grid or, an int, the length of the spectral grid (see
    :func:`skreg._path.alpha_grid`).  Returns the grid, the score of each alpha
    and the squared leave-one-out errors (n_samples, n_alphas, n_targets).
    """
    U, ev, Z = _loo_basis(data, dtype)
    X_mean = data.X_mean if scale is None else data.X_mean / scale   # unscaled
    y_mean = data.y_mean
    S = data.n_weight
    n = data.shape[0]
    if isinstance(alphas, Integral):
        bounds = (ev.max(), ev.min()) if ev.size else (0.0, 0.0)
        alphas = alpha_grid(None, S, 0.0, alphas, eps, spectrum=bounds)
    Y64 = np.asarray(Y, dtype=np.float64)
    Yt = data.Yt
    U2 = U**2
    sw64 = np.asarray(sw, dtype=np.float64)
    h0 = sw64 / S if source.fit_intercept else np.zeros(n)
    pos = sw64 > 0
    root = np.sqrt(np.where(pos, sw64, 1.0))
    loo = np.empty((n, len(alphas), Y.shape[1]))
    XtU = None if np.all(pos) else data.rmatmat(U)        # Xt^T U = V diag(sigma)
    for a, alpha in enumerate(alphas):
        f = ev[None, :] / (ev[None, :] + alpha * (S - sw64)[:, None])
        h = h0 + np.einsum("ik,ik->i", U2, f)
        resid = (Yt - (U * f) @ Z) / root[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            loo[:, a] = Y64 - resid / (1.0 - h)[:, None]
        if not np.all(pos):
            rows = np.flatnonzero(~pos)
            coef = (XtU @ (Z / (ev + alpha * S)[:, None])).T
            if scale is not None:               # back to the unscaled columns
                coef = coef * scale
            loo[rows, a] = (np.asarray(X[rows].astype(np.float64) @ coef.T)
                            + (y_mean - coef @ X_mean)[None, :])
    scores = score_predictions(loo, Y64, sw64, source.scorer, source.single)
    return alphas, scores, (Y64[:, None, :] - loo) ** 2
