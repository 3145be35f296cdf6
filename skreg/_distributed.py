"""Data held elsewhere (Dask, Spark): recognise it, reduce it, predict on it.

The estimators dispatch here at the top of ``fit`` and ``predict`` and know no
more (and their other methods ask :func:`check_in_memory` whether they can take
what they were given): a collection is reduced to the sufficient statistics of least squares (or
those of every fold, for the one-pass cross-validation) where it lives, by
:mod:`skreg._dask` or :mod:`skreg._spark`, and the small result is solved
locally.  Neither dask nor pyspark is imported unless such data are given.
"""

import numpy as np

from ._dask import dask_fold_statistics, dask_predict, dask_statistics, is_dask_collection
from ._spark import is_spark_dataframe, spark_fold_statistics, spark_predict, spark_statistics


_TAKE_SPARK = ("Spark DataFrames are taken by the fit and predict methods of "
               "RegularizedRegressor and RegularizedRegressorCV only (y and "
               "sample_weight as column names)")
_INSTEAD = {
    "score": "For R^2 on Spark, evaluate estimator.predict(sdf) (which adds a "
             "'prediction' column) with pyspark.ml.evaluation.RegressionEvaluator("
             "labelCol=<target>, metricName='r2'), or score a sample collected with "
             "sdf.toPandas().",
    "partial_fit": "fit(sdf, <target>) reads the whole DataFrame in one pass; to "
                   "stream, give partial_fit chunks of rows as arrays or pandas "
                   "DataFrames (for example sdf.filter(...).toPandas(), a range of "
                   "rows at a time).",
    "network": "Collect the rows first (for example sdf.toPandas(), or a sample of "
               "them), or fit a RegularizedRegressor(CV) on the DataFrame.",
}


def is_distributed(X, y=None):
    """True when ``X`` is a Spark DataFrame or ``X`` or ``y`` a dask collection."""
    return is_spark_dataframe(X) or is_dask_collection(X) or is_dask_collection(y)


def check_in_memory(estimator, method, X, y=None, sample_weight=None, hint=None):
    """Refuse, with a ``TypeError`` saying what to do, data held elsewhere that
    ``estimator.method`` cannot take.

    A Spark DataFrame (as ``X`` or ``y``) is refused; so is a dask collection
    ``X`` with ``y`` or ``sample_weight`` given as a column name.  Other dask
    collections are accepted: numpy computes them.  Only the types of the
    arguments are looked at.

    Parameters
    ----------
    estimator : estimator instance
        The estimator whose method was called (named in the message).
    method : str
        The method's name, such as ``"score"`` or ``"partial_fit"``.
    X, y, sample_weight : object
        The method's arguments.
    hint : str, default=None
        The key of the advice to give (``"score"``, ``"partial_fit"`` or
        ``"network"``); None: ``method``.
    """
    name = f"{type(estimator).__name__}.{method}"
    if is_spark_dataframe(X) or is_spark_dataframe(y):
        raise TypeError(f"{name} does not take a Spark DataFrame: {_TAKE_SPARK}. "
                        f"{_INSTEAD[hint or method]}")
    named = [arg for arg, value in (("y", y), ("sample_weight", sample_weight))
             if isinstance(value, str)]
    if is_dask_collection(X) and named:
        raise TypeError(
            f"{name} does not take {' and '.join(named)} as a column name of a dask "
            "DataFrame (only the fit methods of RegularizedRegressor and "
            "RegularizedRegressorCV do): pass the columns themselves, for example "
            f"{method}(ddf[features], ddf[target])."
        )


def statistics(X, y, sample_weight, fit_intercept, penalty_factor=None):
    """``(stats, feature_names, dtype, single_target)`` of a collection.

    ``penalty_factor`` is checked against the features before the pass.
    """
    if is_spark_dataframe(X):
        return spark_statistics(X, y, sample_weight, fit_intercept, penalty_factor)
    return dask_statistics(X, y, sample_weight, fit_intercept, penalty_factor)


def fold_statistics(X, y, sample_weight, fit_intercept, kind, spec,
                    penalty_factor=None):
    """``(fold_stats, feature_names, dtype, single_target)`` of a collection.

    ``penalty_factor`` is checked against the features before the pass.
    """
    if is_spark_dataframe(X):
        if kind == "labels":
            raise ValueError("cv=PredefinedSplit(...) gives labels by row position, "
                             "which a Spark DataFrame does not have: put the labels "
                             "in a column and pass its name as cv.")
        return spark_fold_statistics(X, y, sample_weight, fit_intercept, kind, spec,
                                     penalty_factor)
    return dask_fold_statistics(X, y, sample_weight, fit_intercept, kind, spec,
                                penalty_factor)


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
        return spark_predict(estimator, X)
    return dask_predict(X, estimator.coef_, estimator.intercept_,
                        estimator.n_features_in_)
