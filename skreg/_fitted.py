"""From a solved problem to the fitted attributes of a linear model: the one route.

(The classifier's :func:`logistic_attributes` is the same step for a logistic
fit: ``classes_`` added, one intercept per coefficient row.)

``fit``, ``partial_fit``, the fits from Dask and Spark statistics and both
cross-validation refits end here: :func:`solve_to_attributes` solves a prepared
problem (keeping the last iterate, with a warning, on Ctrl-C) and
:func:`fitted_attributes` turns a :class:`~skreg._solvers.SolverResult` into
``coef_``, ``intercept_``, ``n_iter_``, ``dual_gap_`` and ``solver_``: the
intercept from the weighted means, the certificate in float64, a refusal of a
non-finite model, and one ``ConvergenceWarning`` when the tolerance was not
reached.  Nothing is set on an estimator here: the caller publishes the dict.
"""

from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._solvers import solve
from ._validation import warn_user


@dataclass(frozen=True)
class FitSettings:
    """What the route needs from the estimator: its name (for messages), its
    ``tol`` and ``max_iter``."""

    owner: str
    tol: float
    max_iter: int


def solve_to_attributes(problem, penalty, plan, single, dtype, settings, coef_init=None):
    """Solve ``problem`` as ``plan`` says; return the fitted attributes.

    Ctrl-C during an iterative solve keeps the iterate reached (with a warning)
    when every target has one; otherwise the interrupt propagates and the
    previous model stays.
    """
    try:
        result = solve(problem, penalty, plan, settings.tol, settings.max_iter,
                       coef_init)
    except KeyboardInterrupt as exc:
        result = getattr(exc, "skreg_result", None)
        if result is None or not getattr(exc, "skreg_complete", False):
            raise
        warn_user(
            f"{settings.owner}: fit interrupted by the user; the model is the last "
            f"iterate (duality gap {np.max(result.gap):.3g}, not converged).",
            UserWarning)
        result.converged_targets[:] = True      # said above, do not warn twice
    return fitted_attributes(result, problem, single, dtype, settings, plan.solver)


def fitted_attributes(result, problem, single, dtype, settings, solver):
    """The fitted attributes of ``result`` on ``problem`` (checked, not set).

    The intercept is ``ybar - mu^T w`` (zero without one: both means are zero);
    the rounding of the stored intercept adds ``(b - b*(w))^2 / 2`` to what the
    certificate of ``P`` bounds, since ``F(w, b) = P(w) + (b - b*(w))^2 / 2``.
    """
    coef = result.coef.astype(dtype, copy=False)
    exact = problem.y_mean - coef.astype(np.float64) @ np.asarray(problem.X_mean,
                                                                  np.float64)
    intercept = exact.astype(dtype)
    gap = np.array(result.gap, dtype=np.float64) + 0.5 * (intercept - exact) ** 2
    check_finite_model(coef, intercept)
    _warn_unconverged(result, settings, solver)
    if single:
        return dict(coef_=coef[0], intercept_=intercept[0],
                    n_iter_=int(result.n_iter[0]), dual_gap_=float(gap[0]),
                    solver_=solver)
    return dict(coef_=coef, intercept_=intercept,
                n_iter_=[int(i) for i in result.n_iter], dual_gap_=gap, solver_=solver)


def _warn_unconverged(result, settings, solver):
    """One ``ConvergenceWarning`` when the certificate is above ``tol * F(0)``."""
    if result.precision_limited:
        warn_user(
            f"{settings.owner} (solver={solver!r}) cannot reach tol={settings.tol:g} "
            "in float32 arithmetic: its duality gap, computed in float64 from a "
            f"fresh residual, is {np.max(result.gap):.3g}, above tol * F(0). Fit "
            "float64 data (X.astype(np.float64)) for this tolerance, or loosen tol.",
            ConvergenceWarning)
    elif not result.converged:
        warn_user(
            f"{settings.owner} (solver={solver!r}) did not converge: the duality gap "
            f"{np.max(result.gap):.3g} is above tol * F(0) after "
            f"{max(result.n_iter)} iterations (max_iter={settings.max_iter}). "
            "Increase max_iter, loosen tol, or scale the features.",
            ConvergenceWarning)


def check_finite_model(coef, intercept):
    """Raise a ``ValueError`` rather than store a non-finite model.

    Finite data whose sums or squares exceed the floating-point range (values
    near ``np.finfo(dtype).max``) make the statistics infinite and the solution
    NaN; the remedy is to scale the data.
    """
    if np.all(np.isfinite(coef)) and np.all(np.isfinite(intercept)):
        return
    raise ValueError(
        "The fit produced non-finite coefficients: the data overflow the "
        "floating-point range (their sums or squares are infinite, although every "
        "value is finite). Scale X and y (for example with StandardScaler, or by "
        "dividing by a large constant) and fit again."
    )


def logistic_attributes(result, classes, dtype, settings):
    """The fitted attributes of a :class:`~skreg._solvers._prox_newton.LogisticResult`
    (checked, not set): ``coef_`` (1 or K, p), ``intercept_``, ``n_iter_``,
    ``dual_gap_``, ``classes_``; one ``ConvergenceWarning`` when the gap is above
    ``tol`` times the null model's objective."""
    coef = np.asarray(result.coef, dtype=dtype)
    intercept = np.asarray(result.intercept, dtype=dtype)
    check_finite_model(coef, intercept)
    if not result.converged:
        warn_user(
            f"{settings.owner} did not converge: the duality gap {result.gap:.3g} is "
            f"above tol * F(0) after {result.n_iter} iterations "
            f"(max_iter={settings.max_iter}). Increase max_iter or alpha (without a "
            "penalty, separable classes have no finite optimum), or scale the "
            "features.", ConvergenceWarning)
    return dict(coef_=coef, intercept_=intercept, n_iter_=int(result.n_iter),
                dual_gap_=float(result.gap), classes_=classes)
