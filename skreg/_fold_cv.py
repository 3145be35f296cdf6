"""Cross-validation of data seen once (Dask, Spark, ``partial_fit``): which folds,
when they are ready, and the entry points of :class:`skreg.RegularizedRegressorCV`.

One pass over the data keeps the sufficient statistics of every fold
(:class:`~skreg._statistics.FoldStatistics`); the cross-validation engine
(:mod:`skreg._cv_engine`) then runs on them as a fold source
(:class:`~skreg._cv_sources.StatisticsFolds`) with no further access to the
rows.  The result equals the in-memory fit with ``cv=PredefinedSplit(labels)``
on the same rows, up to rounding, for one read of the data and ``K`` small
``p x p`` paths.
"""

from numbers import Integral

import numpy as np
from sklearn.model_selection import PredefinedSplit

from ._cv_engine import cross_validate
from ._cv_sources import StatisticsFolds
from ._datafit import check_no_overflow
from ._distributed import fold_statistics, input_attributes
from ._extensions import resolve_penalty_factor
from ._hash_folds import HashKFold
from ._spark import is_spark_dataframe
from ._statistics import FoldStatistics, check_fold_labels, check_fold_size
from ._stream import stream_chunk
from ._validation import warn_user

# What partial_fit keeps between calls (plain types, for skops).
_STREAM = ("_fold_stats", "_fold_stats_single", "_fold_stats_dtype")


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


# ------------------------------------------------------------- the entry points
def check_scoring_none(estimator):
    """Fold statistics give squared errors only: refuse another ``scoring``."""
    if estimator.scoring is not None:
        raise ValueError(
            f"scoring={estimator.scoring!r} cannot be computed from fold statistics "
            "(Dask, Spark, partial_fit), which give the held-out squared error of "
            "every alpha; use scoring=None (mean squared error)."
        )


def cv_from_fold_statistics(fold_stats, search, penalty_factor, single, dtype,
                            n_required=None, names=None):
    """The fitted attributes of the cross-validation of ``search`` on
    ``fold_stats``; a ``ValueError`` when the folds cannot be cross-validated.
    ``names``: the feature names (for a ``penalty_factor`` keyed by name)."""
    reason = unready_reason(fold_stats, n_required)
    if reason is not None:
        raise ValueError(f"{search.settings.owner}: {reason}.")
    check_fold_size(fold_stats.n_features, fold_stats.n_targets,
                    len(fold_stats.test_labels))
    source = StatisticsFolds(fold_stats, single, dtype)
    total = source.total
    check_no_overflow(total.x_mean, total.y_mean, np.diag(total.xx), total.xy,
                      total.yy)
    factor = resolve_penalty_factor(penalty_factor, fold_stats.n_features, names)
    return cross_validate(source, search.with_factor(factor))


def fit_distributed(estimator, X, y, sample_weight, search):
    """``RegularizedRegressorCV.fit`` on a Dask or Spark collection."""
    check_scoring_none(estimator)
    dataframe = is_spark_dataframe(X) or hasattr(X, "columns")
    kind, spec = resolve_folds(estimator.cv, dataframe=dataframe)
    fold_stats, names, dtype, single = fold_statistics(
        X, y, sample_weight, estimator.fit_intercept, kind, spec,
        estimator.penalty_factor)
    fitted = cv_from_fold_statistics(
        fold_stats, search, estimator.penalty_factor, single, dtype,
        n_required=spec.n_splits if kind == "hash" else None, names=names)
    fitted.update(input_attributes(estimator, fold_stats.n_features, names))
    return fitted


def partial_fit_folds(estimator, X, y, sample_weight, folds, search):
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
    chunk = stream_chunk(estimator, X, y, sample_weight, stream, FoldStatistics)
    labels = (check_fold_labels(folds, chunk.X.shape[0]) if folds is not None
              else spec.fold_labels(chunk.X, chunk.Y[:, 0] if chunk.single else chunk.Y))
    stats = chunk.stats.update(chunk.X, chunk.Y, chunk.sw, labels)
    fitted = dict(_fold_stats=stats.state(), _fold_stats_single=chunk.single,
                  _fold_stats_dtype=chunk.dtype)
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
        stats, search, estimator.penalty_factor, chunk.single, np.dtype(chunk.dtype),
        n_required, names=getattr(estimator, "feature_names_in_", None)))
    return fitted
