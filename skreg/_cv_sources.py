"""The fold sources of the cross-validation engine (:mod:`skreg._cv_engine`).

* :class:`RowsFolds`: the rows in memory and the splitter's ``(train, test)``
  index pairs; each fold's training rows are prepared for a path, and its test
  rows are scored with any scikit-learn regression scorer (or the weighted
  mean squared error).
* :class:`StatisticsFolds`: the sufficient statistics of every fold
  (:class:`~skreg._statistics.FoldStatistics`, from one pass over data seen
  once: Dask, Spark, ``partial_fit``).  Fold ``k``'s training problem is the
  Gram form of the total with fold ``k`` removed (a downdate), and its held-out
  mean squared error is a quadratic form in fold ``k``'s statistics, so the
  result equals the in-memory source with ``cv=PredefinedSplit(labels)`` on the
  same rows, up to rounding.
* :class:`ClassifierFolds`: labelled rows in memory for
  :class:`skreg.RegularizedClassifierCV` (the weighted log loss, or any
  classification scorer).
"""

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from ._datafit import GramProblem, gram_problem, prepare_problem
from ._fitted import logistic_attributes
from ._logistic import LogisticProblem, log_probabilities
from ._path import grid_inputs, prepare_path_problem, weighted_xty
from ._solvers import plan
from ._solvers._prox_newton import LogisticResult
from ._statistics import SufficientStatistics


class _Predictions(RegressorMixin, BaseEstimator):
    """Stands in for a regressor whose predictions are already known.

    ``scorer(_Predictions(), y_pred, y_true)`` scores precomputed predictions with
    any scikit-learn regression scorer that calls ``predict``.
    """

    def predict(self, X):
        return X


def score_predictions(pred, Y, sw, scorer, single):
    """One score per alpha of ``pred`` (n_samples, n_alphas, n_targets): the
    weighted MSE (averaged over targets) or the scorer's."""
    if scorer is None:
        err = (pred - Y[:, None, :]) ** 2
        return np.einsum("i,iak->a", sw, err) / (sw.sum() * Y.shape[1])
    ys = Y[:, 0] if single else Y
    return np.array([scorer(_Predictions(), pred[:, a, 0] if single else pred[:, a],
                            ys, sample_weight=sw) for a in range(pred.shape[1])])


class RowsFolds:
    """The rows in memory, split by ``folds`` (``(train, test)`` index pairs).

    ``X`` (dense or CSR), ``Y`` 2-D and ``sw`` in the data's dtype; ``scorer``
    a scikit-learn scorer or None (weighted mean squared error).
    """

    def __init__(self, X, Y, sw, fit_intercept, splits, scorer, single):
        self.X, self.Y, self.sw = X, Y, sw
        self.fit_intercept = fit_intercept
        self.splits = list(splits)
        self.folds = list(range(len(self.splits)))
        self.scorer, self.single = scorer, single
        self.higher_is_better = scorer is not None
        self.path_name = "score_path_" if scorer is not None else "mse_path_"
        self.n_targets, self.dtype = Y.shape[1], X.dtype
        self._float64 = None
        self._rows = None
        self._total = None

    def __getstate__(self):
        # (joblib's workers need the rows, not the float64 copies behind the grid
        # and leave-one-out; the p x p statistics of all the rows travel)
        return dict(self.__dict__, _float64=None, _rows=None)

    def _statistics(self):
        """The sufficient statistics of all the rows, accumulated once."""
        if self._total is None:
            self._total = SufficientStatistics.from_chunk(self.X, self.Y, self.sw,
                                                          self.fit_intercept)
        return self._total

    def _is_complement(self, fold):
        """Whether the fold trains on exactly the rows it does not test (K-fold
        does; a shuffle split that leaves rows out does not)."""
        train, test = self.splits[fold]
        if len(train) + len(test) != self.X.shape[0]:
            return False
        tested = np.zeros(self.X.shape[0], dtype=bool)
        tested[test] = True
        return int(np.count_nonzero(tested)) == len(test) and not np.any(tested[train])

    def rows_problem64(self):
        """All the rows prepared in float64 (the rows form), made once: the
        leave-one-out decomposition's problem, which the refit then reuses when
        it is its problem too (a float64 design wider than tall)."""
        if self._rows is None:
            X64 = self.X.astype(np.float64) if self.X.dtype != np.float64 else self.X
            self._rows = prepare_problem(X64, np.asarray(self.Y, dtype=np.float64),
                                         np.asarray(self.sw, dtype=np.float64),
                                         self.fit_intercept)
        return self._rows

    def training_problem(self, fold, spec, n_fits):
        """The fold's training rows, prepared for its path.  A Gram form of the
        complement of a test set is the statistics of all the rows (made once)
        minus those of the test rows: a Gram product over the test rows only."""
        train, test = self.splits[fold]
        path_plan = plan("auto", spec, (len(train), self.X.shape[1]),
                         sp.issparse(self.X), n_fits=n_fits)
        if path_plan.form == "gram" and self._is_complement(fold):
            held_out = SufficientStatistics.from_chunk(
                self.X[test], self.Y[test], self.sw[test], self.fit_intercept)
            stats = self._statistics().copy().downdate(held_out)
            return gram_problem(stats, self.dtype), path_plan
        return prepare_problem(self.X[train], self.Y[train], self.sw[train],
                               self.fit_intercept, path_plan.form), path_plan

    def held_out_score(self, fold, path, problem):
        """Predictions for every alpha at once, ``(n_test, n_alphas * n_targets)``,
        then one score per alpha."""
        test, coefs = self.splits[fold][1], path.coefs
        n_alphas, n_targets, p = coefs.shape
        W = coefs.reshape(n_alphas * n_targets, p).T
        pred = np.asarray(self.X[test] @ W).reshape(len(test), n_alphas, n_targets)
        pred += (problem.y_mean[None, :] - coefs @ problem.X_mean)[None, :, :]
        return score_predictions(pred, self.Y[test], self.sw[test], self.scorer,
                                 self.single)

    def grid_inputs(self, spec, rates):
        """Without factors, an L1 grid needs only the correlations, one product
        of ``X``; otherwise all the rows are prepared in float64."""
        S = float(self.sw.sum(dtype=np.float64))
        if spec.rho > 0 and spec.factor is None:
            return (weighted_xty(self.X, self.Y, self.sw, self.fit_intercept), None,
                    None), S
        if self._float64 is None:
            X64 = self.X.astype(np.float64) if self.X.dtype != np.float64 else self.X
            self._float64, _ = prepare_path_problem(
                X64, np.asarray(self.Y, np.float64), np.asarray(self.sw, np.float64),
                self.fit_intercept, spec.but(rho=1.0, positive=False), 2)
        return grid_inputs(self._float64, spec, rates), S

    def full_problem(self, spec, alpha, n_fits):
        fit_plan = plan("auto", spec, self.X.shape, sp.issparse(self.X), alpha=alpha,
                        n_fits=n_fits)
        if (self._rows is not None and fit_plan.form == "rows"
                and self.X.dtype == np.float64):
            return self._rows, fit_plan
        if self._total is not None and fit_plan.form == "gram":
            return gram_problem(self._total.copy(), self.dtype), fit_plan
        return prepare_problem(self.X, self.Y, self.sw, self.fit_intercept,
                               fit_plan.form), fit_plan


class StatisticsFolds:
    """The statistics of every fold (:class:`~skreg._statistics.FoldStatistics`)."""

    higher_is_better = False
    path_name = "mse_path_"

    def __init__(self, fold_stats, single, dtype):
        self.fold_stats = fold_stats
        self.total = fold_stats.total()
        self.folds = fold_stats.test_labels
        self.single, self.dtype = single, np.dtype(dtype)
        self.n_targets = fold_stats.n_targets
        self._float64 = None

    def training_problem(self, fold, spec, n_fits):
        train = self.total.copy().downdate(self.fold_stats.folds[fold])
        problem = GramProblem.from_statistics(train, self.dtype)
        return problem, plan("auto", spec, problem.shape, False, n_fits=n_fits,
                             statistics=True)

    def held_out_score(self, fold, path, problem):
        """The weighted MSE of every alpha on ``fold`` (averaged over targets)."""
        stats, coefs = self.fold_stats.folds[fold], path.coefs
        intercepts = problem.y_mean - coefs.astype(np.float64) @ problem.X_mean
        sse = stats.squared_error(coefs, intercepts)          # (n_alphas, n_targets)
        return sse.mean(axis=1) / stats.weight

    def grid_inputs(self, spec, rates):
        if self._float64 is None:
            self._float64 = GramProblem.from_statistics(self.total, np.float64)
        return grid_inputs(self._float64, spec, rates), self.total.weight

    def full_problem(self, spec, alpha, n_fits):
        problem = GramProblem.from_statistics(self.total, self.dtype)
        return problem, plan("auto", spec, problem.shape, False, alpha=alpha,
                             n_fits=n_fits, statistics=True)


# ------------------------------------------------------------- classification
class _Decisions(ClassifierMixin, BaseEstimator):
    """Stands in for a classifier whose linear predictor is already known:
    ``scorer(_Decisions(classes), eta, y_true)`` scores it with any scikit-learn
    classification scorer (``predict``, ``predict_proba`` or
    ``decision_function``)."""

    def __init__(self, classes=None):
        self.classes = classes

    def __sklearn_is_fitted__(self):
        return True

    @property
    def classes_(self):
        return self.classes

    def decision_function(self, eta):
        return eta[:, 0] if eta.shape[1] == 1 else eta

    def predict_proba(self, eta):
        return log_probabilities(np.asarray(eta, dtype=np.float64))[1]

    def predict_log_proba(self, eta):
        return log_probabilities(np.asarray(eta, dtype=np.float64))[0]

    def predict(self, eta):
        index = (eta[:, 0] > 0).astype(int) if eta.shape[1] == 1 else eta.argmax(1)
        return self.classes[index]


class ClassifierFolds:
    """Labelled rows in memory for the classifier, split by ``splits``: each
    fold's training rows are a :class:`~skreg._logistic.LogisticProblem`, and
    its test rows are scored by the weighted log loss (lower is better) or any
    scikit-learn classification scorer."""

    n_targets, single = 1, True

    def __init__(self, X, y, codes, sw, classes, fit_intercept, splits, scorer):
        self.X, self.y, self.codes, self.sw = X, y, codes, sw
        self.classes, self.fit_intercept = classes, fit_intercept
        self.splits = list(splits)
        self.folds = list(range(len(self.splits)))
        self.scorer, self.dtype = scorer, X.dtype
        self.higher_is_better = scorer is not None
        self.path_name = "score_path_" if scorer is not None else "log_loss_path_"
        self._full = None

    def _problem(self, rows=None):
        if rows is None:
            return LogisticProblem(self.X, self.codes, self.sw, self.classes.size,
                                   self.fit_intercept)
        return LogisticProblem(self.X[rows], self.codes[rows], self.sw[rows],
                               self.classes.size, self.fit_intercept)

    def training_problem(self, fold, spec, n_fits):
        return self._problem(self.splits[fold][0]), None

    def held_out_score(self, fold, path, problem):
        """One score per alpha: the linear predictor of every alpha at once."""
        test = self.splits[fold][1]
        n_alphas, m, p = path.coefs.shape
        W = path.coefs.reshape(n_alphas * m, p).T.astype(self.X.dtype, copy=False)
        eta = np.asarray(self.X[test] @ W, dtype=np.float64).reshape(len(test),
                                                                     n_alphas, m)
        eta += path.intercepts[None, :, :]
        sw, codes = self.sw[test], self.codes[test]
        if self.scorer is None:
            rows = np.arange(len(test))
            return np.array([-(sw @ log_probabilities(eta[:, a])[0][rows, codes])
                             / sw.sum() for a in range(n_alphas)])
        stand_in = _Decisions(self.classes)
        return np.array([self.scorer(stand_in, eta[:, a], self.y[test],
                                     sample_weight=sw) for a in range(n_alphas)])

    def grid_inputs(self, spec, rates):
        if self._full is None:
            self._full = self._problem()
        return self._full, self._full.n_weight

    def full_problem(self, spec, alpha, n_fits):
        return self.grid_inputs(spec, None)[0], None     # made once, for the grid

    def attributes(self, fits, settings, problem):
        """The fitted attributes of the last fit of a path on ``problem``
        (iterations summed)."""
        result = LogisticResult(fits.coefs[-1], fits.intercepts[-1],
                                int(fits.n_iters.sum()), float(fits.gaps[-1]),
                                bool(fits.gaps[-1] <= settings.tol
                                     * problem.null_objective()),
                                np.zeros(0, dtype=np.int64))
        return logistic_attributes(result, self.classes, self.dtype, settings)

    def __getstate__(self):
        return dict(self.__dict__, _full=None)
