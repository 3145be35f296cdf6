"""Fits of the regularised classifier: one ``alpha``, a path of them, the dropout
fixed point, the default grid, the logistic family of the CV engine, and the
public :func:`logistic_regularization_path`.

**Dropout** (Wager, Wang and Liang, 2013).  Inverted dropout of the inputs
(``x_ij`` times ``delta_ij / (1 - q)``, ``delta_ij ~ Bernoulli(1 - q)``) leaves
the linear predictor's mean unchanged and adds the variance ``q / (1 - q)
sum_j x_ij^2 w_j^2``.  A second-order expansion of the expected log loss in
that noise gives the penalty

.. math::

    R_q(w) = \\frac12 \\frac{q}{1 - q} \\sum_j w_j^2 \\, d_j(w),
    \\qquad d_j(w) = \\frac1S \\sum_i s_i \\, p_i(w) (1 - p_i(w)) \\, x_{ij}^2,

the quadratic dropout penalty: an L2 penalty scaled per feature by the second
moment of the feature weighted by the model's curvature ``p (1 - p)``, so rare
features (``x_ij = 0`` mostly) and confident predictions are penalised less.
Because ``d`` depends on the fitted probabilities, the estimator is defined as
the *fixed point*: the ``w`` that minimises the penalised log loss with the
ridge weights ``q / (1 - q) d(w)`` taken at ``w`` itself.  It is reached by
outer re-weighting (:func:`fit_logistic`): fit with the weights of the current
model, recompute ``d`` at the answer, and repeat (warm-started) until ``d``
changes by less than ``1e-8`` relative (a tenth of ``tol`` when that is
looser); the reported gap is that of the last fit, whose weights are those of
its own answer to that precision, and ``n_iter_`` counts the iterations of
every re-weighting.
Binary models only (the multinomial curvature is not diagonal over classes).
"""

from dataclasses import dataclass
from numbers import Integral
from types import SimpleNamespace

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_array, check_consistent_length, column_or_1d

from ._extensions import resolve_penalty_factor
from ._logistic import LogisticProblem, log_probabilities
from ._path import PATH_PARAMS, check_alphas
from ._penalties import PenaltySpec
from ._solvers import logistic_plan
from ._solvers._logistic_lbfgs import solve_logistic_lbfgs
from ._solvers._prox_newton import logistic_alpha_max, solve_logistic
from ._validation import check_params, encode_classes, warn_user

# The dropout fixed point: relative change of d at which it is reached, and the
# outer re-weightings at most.
_FIXED_POINT_TOL = 1e-8
_FIXED_POINT_ROUNDS = 50
# The solvers run to these fractions of tol (see fit_logistic): the answer is
# finished, as the regressors' is, since a gap pins the coefficients only to
# about its square root.
_LBFGS_FINISH = 1e-3
_NEWTON_FINISH = 1e-2
# The generated grid of a pure L2 penalty starts where alpha_max would be for
# rho = 1e-3 (glmnet's convention for ridge).
_L2_GRID_RHO = 1e-3


def curvature_moments(problem, coef, intercept):
    """``d_j = sum_i s_i p_i (1 - p_i) x_ij^2 / S`` at the binary model
    ``(coef, intercept)`` (float64)."""
    eta = problem.linear(coef, intercept)
    P = log_probabilities(eta)[1]
    h = problem.a * P[:, 0] * P[:, 1]
    X = problem.X
    if sp.issparse(X):
        return np.asarray(X.multiply(X).T @ h, dtype=np.float64).ravel()
    return np.einsum("ij,ij,i->j", X, X, h, dtype=np.float64)


def fit_logistic(problem, spec, alpha, tol, max_iter, coef_init=None,
                 intercept_init=None, start_ws=None, solver="auto"):
    """Minimise the classifier's objective for ``spec`` at ``alpha`` by the
    planned solver (:func:`skreg._solvers.logistic_plan`); returns the
    :class:`~skreg._solvers._prox_newton.LogisticResult` and its penalty.

    With a dropout term, the fixed point of the module docstring, by outer
    re-weighting; a ``ConvergenceWarning`` when it is not reached within
    ``_FIXED_POINT_ROUNDS`` re-weightings.
    """
    fit_plan = logistic_plan(solver, spec, alpha, problem.shape, problem.n_coef)
    if fit_plan.solver == "lbfgs":
        # L-BFGS converges linearly: a gap of tol pins the coefficients only to
        # its square root, so it runs to _LBFGS_FINISH of tol (the Newton steps
        # converge quadratically and land far below tol by themselves)
        def run(penalty, W, b, ws):
            out = solve_logistic_lbfgs(problem, penalty, tol * _LBFGS_FINISH,
                                       max_iter, W, b)
            out.converged = out.gap <= tol * problem.null_objective()
            return out
    else:
        # Newton steps converge quadratically: going on to a gap _NEWTON_FINISH
        # times tol costs one or two more of them and pins the coefficients
        # (measured: 5e-3 from the optimum at tol=1e-4, 2e-5 at 1e-6)
        def run(penalty, W, b, ws):
            out = solve_logistic(problem, penalty, tol * _NEWTON_FINISH, max_iter, W,
                                 b, ws)
            out.converged = out.gap <= tol * problem.null_objective()
            return out
    if not spec.needs_moments:
        penalty = spec.at(alpha)
        return run(penalty, coef_init, intercept_init, start_ws), penalty
    if problem.n_coef > 1:
        raise ValueError("dropout > 0 is supported for binary classification only: "
                         "the multinomial curvature is not diagonal over the classes.")
    W = None if coef_init is None else np.asarray(coef_init, dtype=np.float64)
    b = intercept_init
    if W is None:
        W = np.zeros((1, problem.shape[1]))
        b = problem.null_intercept()
    moments = curvature_moments(problem, W, b)
    # d is pinned as precisely as the answers it comes from: to 1e-8, or to a
    # tenth of tol for a looser tolerance
    settled = max(_FIXED_POINT_TOL, 0.1 * tol)
    n_iter = 0
    for _ in range(_FIXED_POINT_ROUNDS):
        penalty = spec.at(alpha, moments)
        result = run(penalty, W, b, start_ws)
        n_iter += result.n_iter
        W, b = result.coef.astype(np.float64), result.intercept.astype(np.float64)
        new = curvature_moments(problem, W, b)
        change = float(np.max(np.abs(new - moments), initial=0.0))
        moments = new
        if change <= settled * max(float(np.max(new, initial=0.0)), 1e-300):
            result.n_iter = max(n_iter, 1) if coef_init is None else n_iter
            return result, penalty
    result.n_iter = n_iter
    warn_user(
        f"RegularizedClassifier: the dropout fixed point was not reached in "
        f"{_FIXED_POINT_ROUNDS} re-weightings (relative change of the curvature "
        f"weights {change / max(float(np.max(moments)), 1e-300):.2g}).",
        ConvergenceWarning)
    return result, penalty


@dataclass
class LogisticPath:
    """The fits of a path: ``coefs`` (n_alphas, n_coef, p), ``intercepts``
    (n_alphas, n_coef), ``gaps`` and ``n_iters`` (n_alphas,), and the number of
    fits whose gap is above ``tol`` times the null objective."""

    coefs: np.ndarray
    intercepts: np.ndarray
    gaps: np.ndarray
    n_iters: np.ndarray
    n_unconverged: int


def logistic_path(problem, spec, alphas, tol, max_iter, solver="auto"):
    """Fits of ``spec`` for each alpha (descending), each warm-started from the
    previous one and its working set (the strong set of the next alpha)."""
    n, m, p = len(alphas), problem.n_coef, problem.shape[1]
    coefs = np.zeros((n, m, p), dtype=problem.dtype)
    intercepts = np.zeros((n, m), dtype=problem.dtype)
    gaps, n_iters = np.zeros(n), np.zeros(n, dtype=int)
    W = b = ws = None
    n_unconverged = 0
    for i, alpha in enumerate(alphas):
        result, _ = fit_logistic(problem, spec, alpha, tol, max_iter, W, b, ws, solver)
        coefs[i], intercepts[i] = result.coef, result.intercept
        gaps[i], n_iters[i] = result.gap, result.n_iter
        n_unconverged += int(not result.converged)
        W, b, ws = result.coef, result.intercept, result.working_set
    return LogisticPath(coefs, intercepts, gaps, n_iters, n_unconverged)


def logistic_top(problem, spec):
    """``alpha_max`` of ``spec`` on ``problem``: every penalised coefficient is
    zero at and above it (pure L2: that of ``rho = 1e-3``, glmnet's rule)."""
    rho = spec.rho if spec.rho > 0 else _L2_GRID_RHO
    return logistic_alpha_max(problem, rho, spec.positive, spec.factor)


def logistic_grid(problem, spec, n_alphas, eps):
    """``n_alphas`` values from :func:`logistic_top` down to ``eps`` times it
    (pure L2: ``eps**2`` times it, six decades for the default ``eps``: an L2
    path never reaches zero coefficients, and its useful range is wider)."""
    top = logistic_top(problem, spec)
    if not top > 0:
        top = 1.0
    return np.geomspace(top, top * (eps if spec.rho > 0 else eps**2), n_alphas)


class Logistic:
    """The logistic family of the cross-validation engine
    (:mod:`skreg._cv_engine`): grid inputs are the full problem, and no end of
    a generated L2 grid is a limit."""

    l2_grid_ends_are_limits = False

    @staticmethod
    def grid(inputs, n_weight, spec, n_alphas, eps):
        return logistic_grid(inputs, spec, n_alphas, eps)

    @staticmethod
    def top(inputs, n_weight, spec):
        return logistic_top(inputs, spec)

    @staticmethod
    def path(problem, path_plan, spec, grid, tol, max_iter):
        return logistic_path(problem, spec, grid, tol, max_iter)

    @staticmethod
    def refit(problem, fit_plan, spec, path, settings, source):
        """The path of all the rows down to the chosen ``alpha`` (warm starts);
        the fitted attributes of its last fit."""
        fits = logistic_path(problem, spec, path, settings.tol, settings.max_iter)
        return source.attributes(fits, settings, problem)


LOGISTIC = Logistic()



def logistic_regularization_path(X, y, *, penalty="l1", l1_ratio=0.5, alphas=100,
                                 eps=1e-3, fit_intercept=True, sample_weight=None,
                                 class_weight=None, positive=False, tol=1e-4,
                                 max_iter=100, penalty_factor=None, dropout=0.0):
    r"""Compute the coefficients of :class:`RegularizedClassifier` along a grid of ``alpha``.

    Each fit minimises the objective of :class:`RegularizedClassifier`; the
    grid is walked from the largest ``alpha`` down, each fit warm-started from
    the previous one and its working set.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,)
        Class labels.
    penalty : {"l1", "l2", "elasticnet"}, default="l1"
        The penalty, as in :class:`RegularizedClassifier`.
    l1_ratio : float, default=0.5
        ``rho`` for ``penalty="elasticnet"``, in [0, 1].
    alphas : int or array-like of float, default=100
        An int: the number of values from ``alpha_max`` (every penalised
        coefficient zero; for ``"l2"``, that of ``rho = 1e-3``) down to ``eps``
        times it (``eps**2`` for ``"l2"``); an array: the grid, sorted into
        decreasing order.
    eps : float, default=1e-3
        Ratio of the smallest to the largest ``alpha`` of a generated grid.
    fit_intercept : bool, default=True
        Fit unpenalised intercepts.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.
    class_weight : dict, "balanced" or None, default=None
        Multipliers of ``sample_weight`` per class.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    tol : float, default=1e-4
        Each fit stops at a duality gap of ``tol`` times the null model's objective.
    max_iter : int, default=100
        Newton iterations of each fit at most.
    penalty_factor : array-like of shape (n_features,), dict or Series, default=None
        Per-feature penalty factors, as in :class:`RegularizedClassifier`.
    dropout : float, default=0.0
        Input-dropout rate (two classes only), the same at every ``alpha``.

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
        The grid, decreasing.
    coefs : ndarray of shape (n_coef, n_features, n_alphas)
        The coefficients at each ``alpha`` (``n_coef`` is 1 for two classes,
        the number of classes otherwise).
    intercepts : ndarray of shape (n_coef, n_alphas)
        The intercepts.
    dual_gaps : ndarray of shape (n_alphas,)
        The duality gap reached at each ``alpha``.

    See Also
    --------
    RegularizedClassifierCV : Picks ``alpha`` by cross-validation along this path.
    regularization_path : The same for least squares.

    Notes
    -----
    Along a decreasing grid the set of non-zero coefficients grows a few
    features at a time, so each fit starts close to its answer: its working
    set is the previous support and the features that violate their optimality
    condition most (strong rules), and few Newton steps remain.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skreg import logistic_regularization_path
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> alphas, coefs, intercepts, gaps = logistic_regularization_path(X, y, alphas=4)
    >>> coefs.shape
    (1, 30, 4)
    >>> [int((coefs[0, :, k] != 0).sum()) for k in range(4)]
    [0, 5, 13, 22]
    """
    check_params(SimpleNamespace(
        penalty=penalty, l1_ratio=l1_ratio, alphas=alphas, eps=eps,
        fit_intercept=fit_intercept, positive=positive, tol=tol, max_iter=max_iter,
        penalty_factor=penalty_factor, dropout=dropout), PATH_PARAMS)
    names = getattr(X, "columns", None)
    X = check_array(X, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32])
    y = column_or_1d(y)
    check_consistent_length(X, y)
    classes, codes, sw = encode_classes(y, sample_weight, class_weight,
                                        "logistic_regularization_path")
    factor = resolve_penalty_factor(penalty_factor, X.shape[1], names)
    spec = PenaltySpec.from_params(penalty, l1_ratio, positive, factor, dropout)
    problem = LogisticProblem(X, codes, sw, classes.size, fit_intercept)
    alphas = check_alphas(alphas)
    if isinstance(alphas, Integral):
        alphas = logistic_grid(problem, spec, alphas, eps)
    path = logistic_path(problem, spec, alphas, tol, max_iter)
    if path.n_unconverged:
        warn_user(
            f"logistic_regularization_path: {path.n_unconverged} of {len(alphas)} fits "
            f"did not reach a duality gap of tol * F(0) within max_iter={max_iter} "
            "iterations (see the returned dual_gaps). Increase max_iter or loosen tol.",
            ConvergenceWarning)
    return (alphas, np.moveaxis(path.coefs, 0, -1), path.intercepts.T, path.gaps)
