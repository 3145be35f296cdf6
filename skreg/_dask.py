"""Fitting from dask collections: statistics on the cluster, the solve locally.

Least squares needs only its sufficient statistics (``skreg._streaming``), so a
dask array or DataFrame is reduced block by block wherever dask runs its tasks
(a ``distributed`` cluster, or the local threads), the per-block statistics are
merged in a tree, and only the small ``p x p`` result travels back.  dask is an
optional dependency (``pip install "skreg[dask]"``); nothing here imports it
unless a dask collection is given.
"""

import numpy as np
from sklearn.utils.validation import check_array

from ._streaming import SufficientStatistics, check_size


def is_dask_collection(obj):
    """True for a dask array, DataFrame or Series (False when dask is absent)."""
    module = type(obj).__module__
    if not module.startswith("dask"):
        return False
    import dask

    return dask.is_dask_collection(obj)


def _as_dask_array(obj):
    """A dask array from a dask array, DataFrame or Series, or an in-memory array."""
    import dask.array as da

    if hasattr(obj, "to_dask_array"):          # dask DataFrame or Series
        return obj.to_dask_array(lengths=True)
    if is_dask_collection(obj):
        return obj
    return da.asarray(np.asarray(obj))


def _block_stats(X, y, sw, fit_intercept):
    X = check_array(X, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32])
    y = check_array(y, ensure_2d=False, dtype=np.float64)
    if sw is None:
        sw = np.ones(X.shape[0])
    else:
        sw = np.asarray(sw, dtype=np.float64)
        if not np.all(np.isfinite(sw)) or np.any(sw < 0):
            raise ValueError("sample_weight must be finite and non-negative.")
    return SufficientStatistics.from_chunk(X, y, sw, fit_intercept)


def _merge(a, b):
    return a.merge(b)


def dask_statistics(X, y, sample_weight, fit_intercept):
    """Sufficient statistics of dask ``X``, ``y`` (and weights), computed by dask.

    Returns ``(stats, feature_names, dtype, single_target)``; ``feature_names``
    are a DataFrame's column names (None otherwise).
    """
    import dask

    names = list(X.columns) if hasattr(X, "columns") else None
    X = _as_dask_array(X)
    y = _as_dask_array(y)
    if X.ndim != 2:
        raise ValueError(f"Expected a 2-D X, got a dask array of shape {X.shape}.")
    if y.ndim not in (1, 2):
        raise ValueError(f"y must be 1-D or 2-D, got shape {y.shape}.")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} samples but y has {y.shape[0]}; they "
                         "must match.")
    n_features = X.shape[1]
    check_size(n_features, 1 if y.ndim == 1 else y.shape[1])
    X = X.rechunk({1: -1})
    y = y.rechunk({0: X.chunks[0]} if y.ndim == 1 else {0: X.chunks[0], 1: -1})
    x_blocks = X.to_delayed().ravel()
    y_blocks = y.to_delayed().ravel()
    if sample_weight is None:
        w_blocks = [None] * len(x_blocks)
    else:
        sw = _as_dask_array(sample_weight)
        if sw.ndim != 1 or sw.shape[0] != X.shape[0]:
            raise ValueError(f"sample_weight must be 1-D with {X.shape[0]} entries, "
                             f"got shape {sw.shape}.")
        w_blocks = sw.rechunk({0: X.chunks[0]}).to_delayed().ravel()
    parts = [dask.delayed(_block_stats)(xb, yb, wb, fit_intercept)
             for xb, yb, wb in zip(x_blocks, y_blocks, w_blocks)]
    while len(parts) > 1:                           # a binary tree of merges
        merged = [dask.delayed(_merge)(parts[i], parts[i + 1])
                  for i in range(0, len(parts) - 1, 2)]
        if len(parts) % 2:
            merged.append(parts[-1])
        parts = merged
    (stats,) = dask.compute(parts[0])
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    return stats, names, dtype, y.ndim == 1


def _predict_block(X, coef, intercept):
    X = check_array(X, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32])
    return np.asarray(X @ coef.T.astype(X.dtype, copy=False)) + intercept


def dask_predict(X, coef, intercept, n_features):
    """Lazy predictions for a dask ``X``: one matrix product per block of rows."""
    X = _as_dask_array(X)
    if X.ndim != 2 or X.shape[1] != n_features:
        raise ValueError(f"X has {X.shape[1] if X.ndim == 2 else X.shape} features, "
                         f"but the model was fitted with {n_features} features.")
    X = X.rechunk({1: -1})
    if np.ndim(coef) == 1:
        return X.map_blocks(_predict_block, coef, intercept, drop_axis=1,
                            dtype=np.result_type(X.dtype, np.float32))
    return X.map_blocks(_predict_block, coef, intercept,
                        chunks=(X.chunks[0], (coef.shape[0],)),
                        dtype=np.result_type(X.dtype, np.float32))
