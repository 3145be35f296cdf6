"""Regularization paths: the solution for a whole grid of ``alpha`` at once.

* L1 and elastic net: the grid is walked from the largest ``alpha`` down, each
  solution warm-starting the next; the problem (its Gram matrix when the data are
  tall, its centred columns otherwise) is prepared once and shared by every
  ``alpha``, and the working-set solver keeps each fit restricted to the few
  features that can be active.
* L2: one eigendecomposition (of the ``p x p`` Gram matrix, or the ``n x n``
  kernel matrix when ``p > n``) gives every ``alpha`` for the price of a
  matrix product each (:func:`skreg._solvers._closed_form.closed_form_path`).

The default grid (:func:`alpha_grid`) starts at ``alpha_max`` of the data, with
penalty factors and unpenalised features accounted for (:func:`grid_inputs`).
:func:`regularization_path` is the public entry point; :func:`path_on_problem`
and the grid are shared with the cross-validation engine
(:mod:`skreg._cv_engine`).
"""

from dataclasses import dataclass
from numbers import Integral
from types import SimpleNamespace

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_array, check_consistent_length

from ._datafit import prepare_problem, rank_cutoff
from ._extensions import LINEAR_MODEL_PARAMS, resolve_penalty_factor
from ._penalties import PENALTIES, PenaltySpec, alpha_max, penalty_ratio, second_moments
from ._solvers import plan, solve
from ._solvers._closed_form import closed_form_path, scaled_columns
from ._unpenalized import certified_gap, eliminate
from ._validation import (
    check_params,
    check_real_entries,
    check_sample_weight,
    check_scalar_param,
    one_of,
    real,
    warn_user,
)


# --------------------------------------------------------------------- the grid
def check_l2_eps(eps, alphas, ratios):
    """``eps = 1`` is the one-point grid ``[alpha_max]`` with an L1 part; the L2
    grid (``rho = 0``) runs from an essentially zero fit to an essentially
    least-squares one, which needs ``eps < 1``."""
    if eps >= 1.0 and isinstance(alphas, Integral) and 0.0 in ratios:
        raise ValueError(
            "eps=1 is allowed only with an L1 part (it gives the one-point grid "
            "[alpha_max]): the L2 grid runs from a fit shrunk to eps of least "
            "squares to one within eps of it, so it needs eps < 1 (the default "
            "is 1e-3)."
        )


def alpha_grid(Xty, n_weight, rho, n_alphas, eps, positive=False, spectrum=None,
               factor=None):
    """The default grid: ``n_alphas`` values, decreasing, geometrically spaced.

    * With an L1 part (``rho > 0``): from ``alpha_max``, where every coefficient
      is zero, down to ``eps * alpha_max``.
    * Pure L2 (``rho = 0``): from the spectrum ``d`` of the centred, weighted
      Gram matrix (``spectrum = (d_max, d_min)``, its largest and smallest
      non-zero eigenvalues, see :meth:`~skreg._datafit._Problem.spectrum_bounds`).
      The L2 fit shrinks the least-squares coefficient along the k-th
      eigenvector by ``d_k / (d_k + alpha S)``; the grid runs from where even the
      largest is shrunk to ``eps`` of its value (the fit is essentially zero)
      down to where even the smallest keeps ``1 - eps`` of it (the fit is
      essentially least squares).
    """
    if rho > 0:
        top = alpha_max(Xty, n_weight, rho, positive, factor)
        if not top > 0:
            top = 1.0
        return np.geomspace(top, top * eps, n_alphas)
    d_max, d_min = spectrum
    if not d_max > 0:                      # X is constant: any alpha gives w = 0
        d_max = d_min = n_weight
    top = d_max * (1.0 - eps) / (eps * n_weight)
    bottom = d_min * eps / ((1.0 - eps) * n_weight)
    return np.geomspace(top, min(bottom, top), n_alphas)


def weighted_xty(X, Y, sw, fit_intercept):
    """``Xc^T diag(s) yc`` (one column per target) without centring ``X``.

    With an intercept ``yc`` has weighted mean zero, so ``Xc^T diag(s) yc`` equals
    ``X^T diag(s) yc``: one product, sparse or dense.
    """
    sw = np.asarray(sw, dtype=np.float64)
    Yc = Y - (sw @ Y) / sw.sum() if fit_intercept else Y
    return np.asarray(X.T @ (Yc * sw[:, None]), dtype=np.float64)


def grid_inputs(problem, spec, rates=None):
    """``(Xty, factor, spectrum)`` behind the default grid of ``spec`` on
    ``problem``: the correlations and factors of the penalised features with
    the unpenalised ones partialled out (under their dropout ridge), and the
    spectrum bounds of the L2 grid (of the columns divided by ``sqrt(f_j)``),
    a function computed when asked.

    With ``rates`` (a search over dropout rates), those of the rate with the
    largest ``alpha_max`` (the dropout term changes it only when some features
    are unpenalised), so the grid starts where every searched model is all-zero.
    """
    if rates is not None and len(rates) > 1 and spec.rho > 0:
        options = [grid_inputs(problem, spec.but(dropout=q)) for q in rates]
        tops = [alpha_max(xty, problem.n_weight, spec.rho, spec.positive, factor)
                for xty, factor, _ in options]
        return options[int(np.argmax(tops))]
    if rates is not None:
        spec = spec.but(dropout=rates[0])
    factor = None if spec.factor is None else np.asarray(spec.factor, np.float64)
    if factor is None:
        return problem.xty_matrix(), None, problem.spectrum_bounds
    xty = problem.xty_matrix()
    free = np.flatnonzero(factor == 0)
    if free.size:
        elim = eliminate(problem, free)
        xty = (elim.reduced.xty_matrix() if not spec.dropout else _ridge_partialled_xty(
            problem, free, elim.kept, spec.ridge(second_moments(problem))[free]))
        problem, factor = elim.reduced, factor[elim.kept]
    scale = 1.0 / np.sqrt(np.where(factor > 0, factor, 1.0))

    def spectrum():
        n, q = problem.shape
        if problem.form == "gram" or q <= n:
            M = scale[:, None] * problem.gram() * scale[None, :]
        else:
            M = scaled_columns(problem.as_float64(), scale).kernel()
        evals = np.linalg.eigvalsh(M)
        top = float(evals[-1]) if evals.size else 0.0
        nonzero = evals[evals > top * rank_cutoff(problem.out_dtype, n, q)]
        return top, float(nonzero[0]) if nonzero.size else top

    return xty, factor, spectrum


def default_grid(inputs, n_weight, spec, n_alphas, eps):
    """The generated grid of ``spec`` from its :func:`grid_inputs`."""
    xty, factor, spectrum = inputs
    return alpha_grid(xty, n_weight, spec.rho, n_alphas, eps, spec.positive,
                      None if spec.rho > 0 else spectrum(), factor)


def grid_top(inputs, n_weight, spec):
    """``alpha_max`` of ``spec`` from its :func:`grid_inputs`: every penalised
    coefficient is zero at and above it."""
    xty, factor, _ = inputs
    return alpha_max(xty, n_weight, spec.rho, spec.positive, factor)


def _ridge_partialled_xty(problem, free, kept, ridge):
    """``Xt_P^T r`` with ``r`` the residual of the fit on the features ``free``
    alone under their dropout ridge ``(G_UU / S + diag(ridge)) w_U = c_U / S``:
    where every penalised coefficient is zero, that fit is the model, so these
    are the correlations that decide ``alpha_max`` (an exact projection would
    ignore the ridge that dropout keeps on unpenalised features)."""
    S = problem.n_weight
    c = problem.xty_matrix()
    A = problem.gram_block(free, free) / S
    A.flat[:: free.size + 1] += ridge
    w_free = np.linalg.lstsq(A, c[free] / S, rcond=None)[0]
    return c[kept] - problem.gram_block(kept, free) @ w_free


# --------------------------------------------------------------------- the path
def prepare_path_problem(X, Y, sw, fit_intercept, spec, n_alphas):
    """Prepare the problem once for a path of ``n_alphas`` fits of ``spec``.

    Returns the problem and its :class:`~skreg._solvers.Plan`, whose form
    amortises a Gram matrix over all the alphas.
    """
    path_plan = plan("auto", spec, X.shape, sp.issparse(X), n_fits=n_alphas)
    return prepare_problem(X, Y, sw, fit_intercept, path_plan.form), path_plan


@dataclass
class PathResult:
    """The fits of a path: ``coefs`` (n_alphas, n_targets, n_features), ``gaps``
    and ``n_iters`` (n_alphas, n_targets; gaps NaN when not computed), and the
    number of (alpha, target) fits whose gap is above ``tol`` times ``P(0)``."""

    coefs: np.ndarray
    gaps: np.ndarray
    n_iters: np.ndarray
    n_unconverged: int


def path_on_problem(problem, path_plan, penalty_of, alphas, tol, max_iter,
                    coef_init=None, compute_gaps=True, finish="every"):
    """Solutions of the prepared problem for each alpha (descending).

    ``penalty_of(alpha)`` is the penalty of each fit
    (:meth:`~skreg._penalties.PenaltySpec.on`).  The closed form: every solution
    from one eigendecomposition.  Otherwise the planned solver walks the grid,
    each solution warm-starting the next and each working set seeding the next.
    ``finish`` says which solutions coordinate descent finishes beyond ``tol``
    (:func:`~skreg._solvers._cd.solve_cd`): ``"every"`` one, the ``"last"`` one
    only (a refit walking down to the chosen alpha), or ``"none"`` (a fold's
    path, whose solutions only score held-out rows: scikit-learn's precision).
    Returns a :class:`PathResult`.
    """
    n_alphas = len(alphas)
    n_targets, n_features = problem.n_targets, problem.shape[1]
    gaps = np.full((n_alphas, n_targets), np.nan)
    n_iters = np.ones((n_alphas, n_targets), dtype=int)
    if path_plan.solver == "cholesky":
        coefs = closed_form_path(problem, penalty_of, alphas).astype(problem.out_dtype)
        if compute_gaps:
            for i, alpha in enumerate(alphas):
                gaps[i] = [certified_gap(problem, coefs[i, k], k, penalty_of(alpha))
                           for k in range(n_targets)]
        return PathResult(coefs, gaps, n_iters, 0)
    coefs = np.empty((n_alphas, n_targets, n_features), dtype=problem.out_dtype)
    w, working_sets = coef_init, None
    n_unconverged = 0
    for i, alpha in enumerate(alphas):
        finished = finish == "every" or (finish == "last" and i == n_alphas - 1)
        result = solve(problem, penalty_of(alpha), path_plan, tol, max_iter, w,
                       start_ws=working_sets, finish=finished)
        coefs[i] = w = result.coef
        working_sets = result.working_sets
        gaps[i] = result.gap
        n_iters[i] = result.n_iter
        n_unconverged += int(np.count_nonzero(~result.converged_targets))
    return PathResult(coefs, gaps, n_iters, n_unconverged)


def check_alphas(alphas):
    """``alphas`` as an int (the length of a generated grid) or a decreasing array.

    Raises a ``TypeError`` naming ``alphas`` for anything but an int or a sequence
    of real numbers (a string among them is an error, not a number), and a
    ``ValueError`` for values that are not positive and finite.
    """
    if isinstance(alphas, (Integral, np.integer)) and not isinstance(alphas, bool):
        return check_scalar_param(alphas, "alphas", kind=Integral, low=1)
    if isinstance(alphas, (str, bytes)) or np.ndim(alphas) == 0:
        raise TypeError(
            "Parameter 'alphas' must be an int (the number of grid points) or an "
            f"array-like of positive numbers, got {alphas!r}."
        )
    values = list(np.ravel(np.asarray(alphas, dtype=object)))
    check_real_entries(values, "alphas", alphas)
    out = np.asarray(values, dtype=np.float64)
    if out.size == 0:
        raise ValueError("alphas must contain at least one value.")
    if not np.all(np.isfinite(out)) or np.any(out <= 0):
        raise ValueError(f"alphas must be positive and finite, got {out!r}.")
    return np.sort(out)[::-1]


def regularization_path(X, y, *, penalty="l1", l1_ratio=0.5, alphas=100,
                        eps=1e-3, fit_intercept=True,
                        sample_weight=None, positive=False, tol=1e-4,
                        max_iter=1000, return_intercept=False, return_n_iter=False,
                        penalty_factor=None, dropout=0.0):
    r"""Compute the coefficients of :class:`RegularizedRegressor` along a grid of ``alpha``.

    Solves, for each ``alpha`` of the grid, the objective of
    :class:`RegularizedRegressor`

    .. math::

        F(w, b) = \frac{1}{2S} \sum_i s_i (y_i - x_i^\top w - b)^2
                  + \alpha \sum_j f_j \left( \rho |w_j|
                  + \frac{1 - \rho}{2} w_j^2 \right)
                  + \frac{1}{2} \frac{q}{1 - q} \sum_j d_j w_j^2,

    (``f = penalty_factor``, ``q = dropout``, ``d_j = sum_i s_i x_ij^2 / S``),
    sharing the work between the values: with an L1 part the grid is walked
    from the largest ``alpha`` down with warm starts on a problem prepared once;
    for L2 one eigendecomposition gives every ``alpha``.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Targets.
    penalty : {"l1", "l2", "elasticnet"}, default="l1"
        The penalty, as in :class:`RegularizedRegressor`.
    l1_ratio : float, default=0.5
        ``rho`` for ``penalty="elasticnet"``, in (0, 1].
    alphas : int or array-like of float, default=100
        An int: the number of values of a generated grid (as in
        :class:`RegularizedRegressorCV`), spaced geometrically; an array: the
        grid itself, sorted into decreasing order.  With an L1 part the
        generated grid runs from ``alpha_max`` (the smallest ``alpha`` with all
        coefficients zero) down to ``eps * alpha_max``.  For ``"l2"`` it runs
        from where the fit is essentially zero to where it is essentially least
        squares (see Notes).
    eps : float, default=1e-3
        With an L1 part, the ratio of the smallest to the largest ``alpha`` of a
        generated grid.  For ``"l2"``, the largest ``alpha`` shrinks every
        least-squares component to at most ``eps`` of its value, the smallest
        keeps at least ``1 - eps`` of every one.
    fit_intercept : bool, default=True
        Fit an unpenalised intercept.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights ``s``.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    tol : float, default=1e-4
        Each fit stops at a duality gap of ``tol`` times the objective at 0,
        then is finished as in :class:`RegularizedRegressor`.
    max_iter : int, default=1000
        Iteration budget of each fit.
    return_intercept : bool, default=False
        Also return the intercepts.
    return_n_iter : bool, default=False
        Also return the iterations each fit took.
    penalty_factor : array-like of shape (n_features,), dict or Series, default=None
        Per-feature penalty factors, as in :class:`RegularizedRegressor`
        (features with ``f_j = 0`` are in every model of the path); the
        generated grid starts at the ``alpha_max`` of the penalised features.
    dropout : float, default=0.0
        Input-dropout rate ``q`` in [0, 1), as in :class:`RegularizedRegressor`:
        the same term at every ``alpha``.

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
        The grid, decreasing.
    coefs : ndarray of shape (n_features, n_alphas) or (n_targets, n_features, n_alphas)
        The coefficients at each ``alpha`` (the layout of
        :func:`sklearn.linear_model.enet_path`).
    dual_gaps : ndarray of shape (n_alphas,) or (n_targets, n_alphas)
        The duality gap reached at each ``alpha``, on the scale of ``F``.
    intercepts : ndarray of shape (n_alphas,) or (n_targets, n_alphas)
        Only with ``return_intercept=True``.
    n_iters : ndarray of shape (n_alphas,) or (n_targets, n_alphas)
        Only with ``return_n_iter=True``.

    See Also
    --------
    RegularizedRegressorCV : Picks ``alpha`` by cross-validation along this path.
    sklearn.linear_model.enet_path : The same coefficients for centred data
        without weights (``fit_intercept=False``).

    Notes
    -----
    With an L1 part, each solution starts from the previous one (larger
    ``alpha``), which is close: along a decreasing grid the set of non-zero
    coefficients grows a few features at a time, so most fits take a handful of
    working-set iterations.  The centred columns (or, when ``n_samples >=
    n_features``, the Gram matrix ``X^T X``) are computed once for the whole grid.

    For ``penalty="l2"``, with the centred design
    ``X^T X = V diag(d) V^T`` (or the ``n x n`` kernel matrix when there are more
    features than samples), every solution is
    ``w(alpha) = V diag(1 / (d + alpha S)) V^T X^T y``: the whole grid costs one
    eigendecomposition and a matrix product.  Sparse ``X`` is never densified; for
    L2 on sparse ``X`` too large to decompose, each ``alpha`` is solved by
    conjugate gradients warm-started from the previous one.

    The generated L2 grid follows from the same decomposition: the component
    along the k-th eigenvector is the least-squares one times ``d_k / (d_k +
    alpha S)``, so the grid starts at ``alpha = d_max (1 - eps) / (eps S)`` and
    ends at ``alpha = d_min eps / ((1 - eps) S)``, with ``d_min`` the smallest
    non-zero eigenvalue.  (For a sparse ``X`` too large to decompose, ``d_min``
    is taken as ``1e-6 d_max``.)

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from skreg import regularization_path
    >>> X, y = load_diabetes(return_X_y=True)
    >>> alphas, coefs, gaps = regularization_path(X, y, penalty="l1", alphas=5)
    >>> coefs.shape
    (10, 5)
    >>> [int((coefs[:, k] != 0).sum()) for k in range(5)]
    [0, 4, 7, 9, 10]
    """
    X, Y, sw, single, spec = _check_path_inputs(
        X, y, sample_weight, penalty=penalty, l1_ratio=l1_ratio, alphas=alphas,
        eps=eps, fit_intercept=fit_intercept, positive=positive, tol=tol,
        max_iter=max_iter, penalty_factor=penalty_factor, dropout=dropout)
    alphas = check_alphas(alphas)
    n_alphas = alphas if isinstance(alphas, Integral) else len(alphas)
    problem, path_plan = prepare_path_problem(X, Y, sw, fit_intercept, spec, n_alphas)
    if isinstance(alphas, Integral):
        alphas = default_grid(grid_inputs(problem, spec), problem.n_weight, spec,
                              alphas, eps)
    path = path_on_problem(problem, path_plan, spec.on(problem), alphas, tol, max_iter)
    if path.n_unconverged:
        warn_user(
            f"regularization_path: {path.n_unconverged} of {len(alphas) * Y.shape[1]} "
            f"fits did not reach a duality gap of tol * F(0) within max_iter={max_iter} "
            "iterations (see the returned dual_gaps). Increase max_iter or loosen tol.",
            ConvergenceWarning)
    # (n_alphas, n_targets)
    intercepts = problem.y_mean[None, :] - path.coefs @ problem.X_mean

    def layout(a):      # (n_alphas, n_targets, ...) -> enet_path's layout
        a = np.moveaxis(a, 0, -1)
        return a[0] if single else a

    out = [alphas, layout(path.coefs), layout(path.gaps)]
    if return_intercept:
        out.append(layout(intercepts))
    if return_n_iter:
        out.append(layout(path.n_iters))
    return tuple(out)


def _check_path_inputs(X, y, sample_weight, **params):
    """Check :func:`regularization_path`'s arguments; ``(X, Y, sw, single, spec)``."""
    check_params(SimpleNamespace(**params), PATH_PARAMS)
    check_l2_eps(params["eps"], check_alphas(params["alphas"]),
                 [penalty_ratio(params["penalty"], params["l1_ratio"])])
    names = getattr(X, "columns", None)
    X = check_array(X, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32])
    y = check_array(y, ensure_2d=False, dtype=X.dtype)
    check_consistent_length(X, y)
    single = y.ndim == 1
    sw = check_sample_weight(sample_weight, X.shape[0], X.dtype)
    factor = resolve_penalty_factor(params["penalty_factor"], X.shape[1], names)
    spec = PenaltySpec.from_params(params["penalty"], params["l1_ratio"],
                                   params["positive"], factor, params["dropout"])
    return X, y[:, None] if single else y, sw, single, spec


# The arguments of regularization_path and what each must be.
PATH_PARAMS = dict(
    LINEAR_MODEL_PARAMS,
    penalty=one_of(*[p for p in PENALTIES if p is not None]),
    l1_ratio=real(0.0, 1.0, low_inclusive=False),
    alphas=lambda value, name: check_alphas(value),
    eps=real(0.0, 1.0, low_inclusive=False),
)
