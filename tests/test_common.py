"""scikit-learn's estimator-check suite on every solver path of skreg's estimators."""

import numpy as np
import scipy.sparse as sp
from sklearn.utils.estimator_checks import parametrize_with_checks

from skreg import RegularizedRegressor


class _SparseInput(RegularizedRegressor):
    """A RegularizedRegressor that converts dense X to CSR, to drive the sparse path.

    scikit-learn's checks feed dense arrays; this subclass sends the same data
    through the sparse code (implicit centring, sparse Gram blocks).
    """

    def fit(self, X, y, sample_weight=None):
        return super().fit(_to_sparse(X), y, sample_weight=sample_weight)

    def predict(self, X):
        return super().predict(_to_sparse(X))


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
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)
