"""K-fold cross-validation of :class:`skreg.RegularizedRegressorCV` from fold statistics.

One pass over the data keeps the sufficient statistics of every fold
(:class:`~skreg._fold_stats.FoldStatistics`); then, with no further access to
the rows:

* the grid comes from the total (``alpha_max`` from its ``X^T y``, or the L2
  spectrum of its Gram matrix), exactly as the in-memory class computes it on
  all the data;
* fold ``k``'s training problem is the Gram form of the total with fold ``k``
  removed (a downdate), and its path is computed by the same
  :func:`~skreg._path.path_on_problem` as in memory;
* the held-out mean squared error of every ``alpha`` on fold ``k`` is a
  quadratic form in fold ``k``'s statistics;
* the choice, its warnings and the refit on the total are the in-memory class's
  own methods.

So the result equals :class:`~skreg.RegularizedRegressorCV` with
``cv=PredefinedSplit(labels)`` on the same rows, up to rounding, for a cost of
one read of the data and ``K`` small ``p x p`` paths.  The statistics come
from ``partial_fit`` chunks, Dask (:mod:`skreg._dask`) or Spark
(:mod:`skreg._spark`).
"""

from numbers import Integral

import numpy as np
from joblib import Parallel, delayed
from sklearn.model_selection import PredefinedSplit

from ._datafit import GramProblem, check_no_overflow
from ._distributed import fold_statistics, input_attributes
from ._fold_stats import FoldStatistics, check_fold_labels, check_fold_size
from ._hash_folds import HashKFold
from ._extensions import (
    PenaltyTerms,
    rate_grid,
    resolve_penalty_factor,
    statistics_second_moments,
)
from ._path import alpha_grid, check_alphas, grid_inputs_over_rates, path_on_problem
from ._penalties import ElasticNetPenalty, alpha_max
from ._spark import is_spark_dataframe
from ._solvers import plan
from ._streaming import stream_chunk
from ._validation import warn_user

_REFIT_ATTRIBUTES = ("coef_", "intercept_", "dual_gap_", "n_iter_")
# What partial_fit keeps between calls (plain types, for skops).
_STREAM = ("_fold_stats", "_fold_stats_single", "_fold_stats_dtype")


def fold_penalty(alpha, rho, positive, stats=None, terms=None):
    """The penalty of one fit of the fold CV: the one place penalties are built.

    ``stats`` (the statistics the fit is trained on) is what a penalty that
    depends on the data needs, such as the input-dropout ridge term ``d_j =
    sum_i s_i x_ij^2 / S = M_xx,jj / S + mu_j^2``, which differs from fold to
    fold; ``terms`` (:class:`~skreg._extensions.PenaltyTerms`) the penalty
    factors and the dropout rate.
    """
    if terms is None:
        return ElasticNetPenalty(alpha, rho, positive)
    moments = statistics_second_moments(stats) if terms.needs_moments else None
    return terms.penalty(alpha, rho, positive, moments)


def _penalty_maker(rho, positive, stats, terms):
    """``penalty_of(alpha)`` of the fits trained on ``stats``."""
    if terms is None:
        return None
    moments = statistics_second_moments(stats) if terms.needs_moments else None
    return terms.maker(rho, positive, moments)


# ------------------------------------------------------------------ fold choice
def resolve_folds(cv, *, dataframe, partial=False):
    """What the ``cv`` parameter means for data seen once.

    Returns ``("hash", HashKFold)``, ``("column", name)`` (a DataFrame's fold
    label column) or ``("labels", ndarray)`` (a ``PredefinedSplit``'s labels).
    An int is :class:`~skreg.HashKFold` with that many folds and seed 0; None
    is ``HashKFold(5)`` (leave-one-out needs the rows themselves).
    """
    if cv is None:
        return "hash", HashKFold(5)
    if isinstance(cv, (Integral, np.integer)) and not isinstance(cv, bool):
        if cv < 2:
            raise ValueError(f"cv={cv}: cross-validation needs at least 2 folds.")
        return "hash", HashKFold(int(cv))
    if isinstance(cv, HashKFold):
        cv._check()
        return "hash", cv
    if isinstance(cv, str) and dataframe and not partial:
        return "column", cv
    if isinstance(cv, PredefinedSplit) and not partial:
        return "labels", check_fold_labels(cv.test_fold, len(cv.test_fold))
    where = "partial_fit" if partial else "a fit from a Dask or Spark collection"
    allowed = ("an int or a HashKFold (folds by a hash of each row), or the labels "
               "of each chunk's rows as partial_fit(..., folds=labels)" if partial
               else "an int or a HashKFold (folds by a hash of each row), "
               "a PredefinedSplit (a label per row, in row order)"
               + (", or the name of a fold-label column" if dataframe else ""))
    raise ValueError(f"cv={cv!r} cannot be used in {where}, which reads the rows "
                     f"once: use {allowed}.")


def unready_reason(fold_stats, n_required=None):
    """Why cross-validation cannot run on ``fold_stats`` yet (None when it can)."""
    labels = fold_stats.test_labels
    if n_required is not None and len(labels) < n_required:
        return (f"only {len(labels)} of the {n_required} hash folds have received "
                "rows; use fewer folds or more data")
    if len(labels) < 2:
        return f"cross-validation needs at least 2 folds, the rows have {len(labels)}"
    total = sum(s.weight for s in fold_stats.folds.values())
    for k in labels:
        if not fold_stats.folds[k].weight > 0:
            return f"fold {k} has a total sample weight of zero (nothing to score)"
    for k in labels:
        if not total - fold_stats.folds[k].weight > 0:
            return f"the rows outside fold {k} have no weight (nothing to train on)"
    return None


# ---------------------------------------------------------------------- engine
def _grid(total, rho, alphas, eps, positive, factor=None, rates=(0.0,)):
    """The grid of ``rho`` from the statistics of all the rows (or the given one)."""
    if not isinstance(alphas, Integral):
        return alphas
    problem = GramProblem.from_statistics(total, np.float64)
    xty, kept, spectrum = grid_inputs_over_rates(problem, rho, positive, factor, rates)
    return alpha_grid(xty, problem.n_weight, rho, alphas, eps, positive,
                      None if rho > 0 else spectrum(), kept)


def _fold_mse(total, fold, rho, grid, positive, tol, max_iter, dtype, terms=None):
    """Held-out MSE of every alpha of the path trained without ``fold``.

    Returns the weighted MSE per alpha (averaged over targets) and the number of
    (alpha, target) fits that did not converge.
    """
    train = total.copy().downdate(fold)
    problem = GramProblem.from_statistics(train, dtype)
    solver, _ = plan("auto", fold_penalty(1.0, rho, positive, train, terms),
                     problem.shape, False, n_fits=len(grid), statistics=True)
    coefs, _, _, n_unconverged = path_on_problem(
        problem, solver, rho, grid, positive, tol, max_iter, compute_gaps=False,
        penalty_of=_penalty_maker(rho, positive, train, terms))
    intercepts = problem.y_mean - coefs.astype(np.float64) @ problem.X_mean
    sse = fold.squared_error(coefs, intercepts)           # (n_alphas, n_targets)
    return sse.mean(axis=1) / fold.weight, n_unconverged


def cv_from_fold_statistics(estimator, fold_stats, single, dtype, ratios, ratio_list,
                            n_required=None, names=None):
    """Cross-validate ``estimator``'s grid on ``fold_stats``; the fitted attributes.

    ``estimator`` is a :class:`~skreg.RegularizedRegressorCV` whose parameters
    were checked (``ratios``, ``ratio_list`` from its ``_check_params``).
    ``names``: the feature names (for a ``penalty_factor`` keyed by name).
    Raises a ``ValueError`` when the folds cannot be cross-validated.
    """
    reason = unready_reason(fold_stats, n_required)
    if reason is not None:
        raise ValueError(f"RegularizedRegressorCV: {reason}.")
    labels = fold_stats.test_labels
    check_fold_size(fold_stats.n_features, fold_stats.n_targets, len(labels))
    total = fold_stats.total()
    check_no_overflow(total.x_mean, total.y_mean, np.diag(total.xx), total.xy,
                      total.yy)
    alphas = check_alphas(estimator.alphas)
    factor = resolve_penalty_factor(estimator.penalty_factor, fold_stats.n_features,
                                    names)
    rates, pure = estimator._rates(), estimator.penalty is None
    base_grids = ([rate_grid(rates)] if pure else
                  [_grid(total, rho, alphas, estimator.eps, estimator.positive, factor,
                         rates) for rho in ratios])
    configs, grids = estimator._configs(base_grids, ratios, rates)
    results = Parallel(n_jobs=estimator.n_jobs)(
        delayed(_fold_mse)(total, fold_stats.folds[k], rho, grid, estimator.positive,
                           estimator.tol, estimator.max_iter, dtype,
                           PenaltyTerms(factor, q, pure))
        for (rho, q), grid in zip(configs, grids) for k in labels)
    n_unconverged = sum(r[1] for r in results)
    n_fits = len(results) * len(grids[0]) * fold_stats.n_targets
    table = np.array([r[0] for r in results]).reshape(len(configs), len(labels), -1)
    table = np.swapaxes(table, 1, 2)                      # (n_configs, n_alphas, n_folds)

    estimator._warn_unconverged(n_unconverged, n_fits, len(ratios))

    def alpha_top(rho):
        problem = GramProblem.from_statistics(total, np.float64)
        xty, kept, _ = grid_inputs_over_rates(problem, rho, estimator.positive, factor,
                                              rates)
        return alpha_max(xty, total.weight, rho, estimator.positive, kept)

    fitted, rho, path, terms = estimator._chosen(
        table, estimator._layout(table, ratio_list, pure), None, configs, grids,
        base_grids, ratio_list, isinstance(alphas, Integral), alpha_top, factor)
    if terms.pure or (rho == 0.0 and not estimator.positive):
        refit = estimator._l2_refit_model(path[-1], terms)._solve_statistics(
            total, single, dtype, warm=False)
        fitted.update({name: refit[name] for name in _REFIT_ATTRIBUTES})
    else:
        problem = GramProblem.from_statistics(total, dtype)
        solver, _ = plan("auto", fold_penalty(1.0, rho, estimator.positive, total, terms),
                         problem.shape, False, n_fits=len(path), statistics=True)
        fitted.update(estimator._refit_path(
            problem, solver, rho, path, dtype, single,
            _penalty_maker(rho, estimator.positive, total, terms)))
    return fitted


# ------------------------------------------------------------- the entry points
def check_scoring_none(estimator):
    """Fold statistics give squared errors only: refuse another ``scoring``."""
    if estimator.scoring is not None:
        raise ValueError(
            f"scoring={estimator.scoring!r} cannot be computed from fold statistics "
            "(Dask, Spark, partial_fit), which give the held-out squared error of "
            "every alpha; use scoring=None (mean squared error)."
        )


def fit_distributed(estimator, X, y, sample_weight, ratios, ratio_list):
    """``RegularizedRegressorCV.fit`` on a Dask or Spark collection."""
    check_scoring_none(estimator)
    dataframe = is_spark_dataframe(X) or hasattr(X, "columns")
    kind, spec = resolve_folds(estimator.cv, dataframe=dataframe)
    fold_stats, names, dtype, single = fold_statistics(
        X, y, sample_weight, estimator.fit_intercept, kind, spec,
        estimator.penalty_factor)
    fitted = cv_from_fold_statistics(
        estimator, fold_stats, single, dtype, ratios, ratio_list,
        n_required=spec.n_splits if kind == "hash" else None, names=names)
    fitted.update(input_attributes(estimator, fold_stats.n_features, names))
    return fitted


def partial_fit_folds(estimator, X, y, sample_weight, folds, ratios, ratio_list):
    """``RegularizedRegressorCV.partial_fit``: add a chunk, cross-validate again.

    Returns the attributes to publish: the stream's statistics, and the fitted
    model when the folds seen so far can be cross-validated (otherwise a
    ``UserWarning`` says why, and the previous model, if any, stays).
    """
    check_scoring_none(estimator)
    first = not hasattr(estimator, "_fold_stats")
    if first and hasattr(estimator, "coef_"):
        warn_user(
            "partial_fit after fit starts a new stream: fit keeps no statistics of "
            "its data, so the model is now cross-validated on the chunks given to "
            "partial_fit only.", UserWarning)
    kind, spec = (None, None) if folds is not None else resolve_folds(
        estimator.cv, dataframe=False, partial=True)
    stream = None if first else (estimator._fold_stats, estimator._fold_stats_single,
                                 estimator._fold_stats_dtype)
    X, y, Y, sw, stats, single, dtype = stream_chunk(estimator, X, y, sample_weight,
                                                     stream, FoldStatistics)
    labels = (check_fold_labels(folds, X.shape[0]) if folds is not None
              else spec.fold_labels(X, y))
    stats.update(X, Y, sw, labels)
    fitted = dict(_fold_stats=stats.state(), _fold_stats_single=single,
                  _fold_stats_dtype=dtype)
    n_required = spec.n_splits if kind == "hash" else None
    reason = unready_reason(stats, n_required)
    if reason is not None:
        warn_user(
            f"RegularizedRegressorCV.partial_fit: {reason} so far, so the model is "
            f"{'not fitted yet' if not hasattr(estimator, 'coef_') else 'unchanged'}; "
            "the statistics of the chunk are kept, and the next chunks can complete "
            "the folds.", UserWarning)
        return fitted
    fitted.update(cv_from_fold_statistics(
        estimator, stats, single, np.dtype(dtype), ratios, ratio_list, n_required,
        names=getattr(estimator, "feature_names_in_", None)))
    return fitted
