"""Data held elsewhere (Dask, Spark): recognise it, reduce it, predict on it.

The estimators dispatch here at the top of ``fit`` and ``predict`` and know no
more: a collection is reduced to the sufficient statistics of least squares (or
those of every fold, for the one-pass cross-validation) where it lives, by
:mod:`skreg._dask` or :mod:`skreg._spark`, and the small result is solved
locally.  Neither dask nor pyspark is imported unless such data are given.
"""

import numpy as np

from ._dask import dask_fold_statistics, dask_predict, dask_statistics, is_dask_collection
from ._spark import is_spark_dataframe


def is_distributed(X, y=None):
    """True when ``X`` is a Spark DataFrame or ``X`` or ``y`` a dask collection."""
    return is_spark_dataframe(X) or is_dask_collection(X) or is_dask_collection(y)


def statistics(X, y, sample_weight, fit_intercept):
    """``(stats, feature_names, dtype, single_target)`` of a collection."""
    if is_spark_dataframe(X):
        from ._spark import spark_statistics

        return spark_statistics(X, y, sample_weight, fit_intercept)
    return dask_statistics(X, y, sample_weight, fit_intercept)


def fold_statistics(X, y, sample_weight, fit_intercept, kind, spec):
    """``(fold_stats, feature_names, dtype, single_target)`` of a collection."""
    if is_spark_dataframe(X):
        if kind == "labels":
            raise ValueError("cv=PredefinedSplit(...) gives labels by row position, "
                             "which a Spark DataFrame does not have: put the labels "
                             "in a column and pass its name as cv.")
        from ._spark import spark_fold_statistics

        return spark_fold_statistics(X, y, sample_weight, fit_intercept, kind, spec)
    return dask_fold_statistics(X, y, sample_weight, fit_intercept, kind, spec)


def input_attributes(estimator, n_features, names):
    """``n_features_in_`` (and ``feature_names_in_`` for string column names) of a
    fit from statistics; a stale ``feature_names_in_`` is removed."""
    fitted = {"n_features_in_": n_features}
    if names is not None and all(isinstance(c, str) for c in names):
        fitted["feature_names_in_"] = np.asarray(names, dtype=object)
    elif hasattr(estimator, "feature_names_in_"):
        del estimator.feature_names_in_
    return fitted


def distributed_predict(estimator, X):
    """Lazy predictions: a dask array, or a Spark DataFrame with a prediction column."""
    if is_spark_dataframe(X):
        from ._spark import spark_predict

        return spark_predict(estimator, X)
    return dask_predict(X, estimator.coef_, estimator.intercept_,
                        estimator.n_features_in_)
