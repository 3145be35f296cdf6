"""scikit-learn's estimator-check suite on every solver path of skreg's estimators."""

import numpy as np
import scipy.sparse as sp
from sklearn.utils.estimator_checks import parametrize_with_checks

from skreg import (
    DropoutMLPClassifier,
    DropoutMLPRegressor,
    RegularizedClassifier,
    RegularizedClassifierCV,
    RegularizedRegressor,
    RegularizedRegressorCV,
)


class _SparseInput(RegularizedRegressor):
    """A RegularizedRegressor that converts dense X to CSR, to drive the sparse path.

    scikit-learn's checks feed dense arrays; this subclass sends the same data
    through the sparse code (implicit centring, sparse Gram blocks).
    """

    def fit(self, X, y, sample_weight=None):
        return super().fit(_to_sparse(X), y, sample_weight=sample_weight)

    def predict(self, X):
        return super().predict(_to_sparse(X))


class _SparseInputMLP(DropoutMLPClassifier):
    """A DropoutMLPClassifier fed CSR matrices: the sparse first-layer products."""

    def fit(self, X, y, sample_weight=None):
        return super().fit(_to_sparse(X), y, sample_weight=sample_weight)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        return super().partial_fit(_to_sparse(X), y, classes=classes,
                                   sample_weight=sample_weight)

    def predict(self, X):
        return super().predict(_to_sparse(X))

    def predict_proba(self, X):
        return super().predict_proba(_to_sparse(X))


class _PatternFactors(RegularizedRegressor):
    """A RegularizedRegressor with penalty factors 0, 1, 2, 0.5, 0, 1, 2, 0.5, ...
    (as many as X has features; zeros leave features unpenalised), for data whose
    number of features the checks choose."""

    def _factor(self, n_features, names):
        return np.resize([0.0, 1.0, 2.0, 0.5], n_features)


def _to_sparse(X):
    if sp.issparse(X) or not isinstance(X, np.ndarray) or X.ndim != 2:
        return X
    if not np.issubdtype(X.dtype, np.number) or not np.all(np.isfinite(X)):
        return X
    return sp.csr_matrix(X)


ESTIMATORS = [
    RegularizedRegressor(),
    RegularizedRegressor(penalty="l1", alpha=0.1),
    RegularizedRegressor(penalty="elasticnet", alpha=0.1, l1_ratio=0.3),
    RegularizedRegressor(penalty=None),
    RegularizedRegressor(penalty="l2", solver="cg", tol=1e-10),
    RegularizedRegressor(penalty="elasticnet", alpha=0.05, solver="gd", tol=1e-12,
                         max_iter=100_000),
    RegularizedRegressor(penalty="l1", alpha=0.1, positive=True),
    _SparseInput(penalty="elasticnet", alpha=0.1),
    _SparseInput(penalty="l2", alpha=0.1),
    RegularizedRegressor(penalty="l2", alpha=0.1, dropout=0.3),
    RegularizedRegressor(penalty=None, dropout=0.5),
    RegularizedRegressor(penalty="elasticnet", alpha=0.1, dropout=0.2),
    _SparseInput(penalty="l1", alpha=0.1, dropout=0.2),
    _PatternFactors(penalty="l1", alpha=0.1),
    _PatternFactors(penalty="l2", alpha=0.1, dropout=0.2),
    _PatternFactors(penalty="elasticnet", alpha=0.1, solver="gd", tol=1e-12,
                    max_iter=100_000),
]


CV_ESTIMATORS = [
    RegularizedRegressorCV(alphas=10),
    RegularizedRegressorCV(cv=None, alphas=10),
    RegularizedRegressorCV(penalty="l1", alphas=10, cv=3),
    RegularizedRegressorCV(penalty="elasticnet", l1_ratio=[0.3, 0.8], alphas=5, cv=3),
    RegularizedRegressorCV(penalty=None, dropouts=[0.0, 0.3, 0.6], cv=3),
    RegularizedRegressorCV(penalty=None, dropouts=[0.1, 0.5], cv=None),
    RegularizedRegressorCV(penalty="l1", alphas=10, cv=3, dropouts=[0.0, 0.3],
                           penalty_factor=None),
]

class _SparseInputClassifier(RegularizedClassifier):
    """A RegularizedClassifier fed CSR matrices: the sparse products and Gram."""

    def fit(self, X, y, sample_weight=None):
        return super().fit(_to_sparse(X), y, sample_weight=sample_weight)

    def decision_function(self, X):
        return super().decision_function(_to_sparse(X))


class _PatternFactorsClassifier(RegularizedClassifier):
    """A RegularizedClassifier with penalty factors 0.25, 1, 2, 0.5, ... (no zero:
    the checks' classes are separable, and unpenalised features would leave the
    log loss without a finite minimum; tests/test_classifier.py fits zeros on
    data that are not separable)."""

    def _factor(self, n_features, names):
        return np.resize([0.25, 1.0, 2.0, 0.5], n_features)


CLASSIFIER_ESTIMATORS = [
    RegularizedClassifier(),
    RegularizedClassifier(penalty="l1", alpha=0.01),
    RegularizedClassifier(penalty="elasticnet", alpha=0.01, l1_ratio=0.3),
    RegularizedClassifier(penalty="l2", alpha=0.01, class_weight="balanced"),
    _SparseInputClassifier(penalty="elasticnet", alpha=0.01),
    _PatternFactorsClassifier(penalty="l1", alpha=0.01),
    RegularizedClassifierCV(alphas=5, cv=3),
    RegularizedClassifierCV(penalty="l1", alphas=5, cv=3),
    RegularizedClassifierCV(penalty="elasticnet", l1_ratio=[0.0, 0.5], alphas=4, cv=3,
                            scoring="accuracy"),
]

MLP_ESTIMATORS = [
    DropoutMLPClassifier(),
    DropoutMLPClassifier(dropout=0.0, input_dropout=0.0),
    DropoutMLPClassifier(dropout=0.0, solver="sgd", learning_rate_init=0.01,
                         l1_ratio=0.5, max_norm=3.0),
    _SparseInputMLP(dropout=0.2, input_dropout=0.1),
    # L-BFGS instances run to convergence (tol=1e-10) with a penalty strong enough
    # that the weighted fit and the fit on repeated rows (one objective) end in the
    # same local minimum from the same start; with a weak penalty a non-convex net
    # can end in different minima (scikit-learn runs this check on MLPRegressor
    # with sgd only).
    DropoutMLPClassifier(solver="lbfgs", dropout=0.0, alpha=0.1, max_iter=2000,
                         tol=1e-10),
    DropoutMLPClassifier(solver="lbfgs", dropout=0.0, alpha=0.1, l1_ratio=0.5,
                         max_iter=2000, tol=1e-10),
    DropoutMLPRegressor(),
    DropoutMLPRegressor(dropout=0.0, input_dropout=0.0, learning_rate_init=0.01),
    DropoutMLPRegressor(dropout=0.0, solver="sgd", learning_rate_init=0.001,
                        l1_ratio=0.5, max_norm=3.0),
    DropoutMLPRegressor(dropout=0.1, input_dropout=0.1),
    DropoutMLPRegressor((10,), solver="lbfgs", dropout=0.0, alpha=0.1, max_iter=2000,
                        tol=1e-10),
    DropoutMLPRegressor(solver="lbfgs", dropout=0.0, alpha=0.1, l1_ratio=0.5,
                        max_iter=2000, tol=1e-10),
]

_RANDOM_MASKS = (
    "With dropout > 0 a sample of weight k gets one random mask per step, while k "
    "repeated copies of it get k independent masks, so the fits agree only in "
    "expectation over the masks, not exactly; "
    "tests/test_mlp.py::test_sample_weight_equals_repetition_in_expectation and "
    "tests/test_mlp_numerics.py::"
    "test_weighted_gradient_equals_repeated_rows_in_expectation_over_masks check "
    "that statistically, and the dropout=0 instances pass this check exactly."
)


def _expected_failures(estimator):
    if isinstance(estimator, (DropoutMLPClassifier, DropoutMLPRegressor)) and (
        estimator.dropout > 0 or estimator.input_dropout > 0
    ):
        return {
            "check_sample_weight_equivalence_on_dense_data": _RANDOM_MASKS,
            "check_sample_weight_equivalence_on_sparse_data": _RANDOM_MASKS,
        }
    return {}


@parametrize_with_checks(ESTIMATORS + CV_ESTIMATORS + CLASSIFIER_ESTIMATORS
                         + MLP_ESTIMATORS,
                         expected_failed_checks=_expected_failures)
def test_sklearn_compatible(estimator, check):
    check(estimator)
