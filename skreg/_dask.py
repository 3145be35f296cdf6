"""Fitting from dask collections: statistics on the cluster, the solve locally.

Least squares needs only its sufficient statistics (``skreg._statistics``), so a
dask array or DataFrame is reduced block by block wherever dask runs its tasks
(a ``distributed`` cluster, or the local threads), the per-block statistics are
merged in a tree, and only the small ``p x p`` result travels back.  dask is an
optional dependency (``pip install "skreg[dask]"``); nothing here imports it
unless a dask collection is given.
"""

import numpy as np
from sklearn.utils.validation import check_array

from ._extensions import resolve_penalty_factor
from ._statistics import FoldStatistics, check_fold_labels
from ._statistics import SufficientStatistics, check_size


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


def _check_known_sizes(arrays):
    """A ``ValueError`` for a dask array whose chunk sizes are unknown (NaN),
    as after boolean indexing ``X[X[:, 0] > 0.5]``: the blocks of ``X``, ``y``
    and the weights cannot be aligned without them."""
    import dask.array as da

    for what, arr in arrays:
        if isinstance(arr, da.Array) and any(np.isnan(c) for dim in arr.chunks
                                             for c in dim):
            raise ValueError(
                f"{what} is a dask array with unknown chunk sizes (as after boolean "
                f"indexing such as X[X[:, 0] > 0.5]), so its rows cannot be aligned "
                f"with the others'. Call {what}.compute_chunk_sizes() first (it "
                "computes them in place), and the same for y and the weights."
            )


def _check_block(X, y, sw):
    X = check_array(X, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32])
    y = check_array(y, ensure_2d=False, dtype=np.float64)
    if sw is None:
        sw = np.ones(X.shape[0])
    else:
        sw = np.asarray(sw, dtype=np.float64)
        if not np.all(np.isfinite(sw)) or np.any(sw < 0):
            raise ValueError("sample_weight must be finite and non-negative.")
    return X, y, sw


def _block_stats(X, y, sw, fit_intercept):
    X, y, sw = _check_block(X, y, sw)
    return SufficientStatistics.from_chunk(X, y, sw, fit_intercept)


def _block_fold_stats(X, y, sw, labels, hasher, fit_intercept):
    X, y, sw = _check_block(X, y, sw)
    labels = (hasher.fold_labels(X, y) if labels is None
              else check_fold_labels(labels, X.shape[0]))
    return FoldStatistics.from_chunk(X, y, sw, labels, fit_intercept)


def _merge(a, b):
    return a.merge(b)


def _columns(frame, names):
    return frame[names].to_numpy()


def _check_numeric(dtypes, what):
    """A ``TypeError`` naming the columns that are not numbers."""
    from pandas.api.types import is_complex_dtype, is_numeric_dtype

    bad = [str(name) for name, dtype in dtypes.items()
           if not is_numeric_dtype(dtype) or is_complex_dtype(dtype)]
    if bad:
        raise TypeError(f"{what} must be numeric; these columns are not: {bad} "
                        f"(dtypes {[str(dtypes[b]) for b in bad]}). Encode or drop "
                        "them first.")


def _frame_blocks(X, y, sample_weight, fold_column, penalty_factor=None):
    """Blocks of a dask DataFrame whose targets (and weights, fold labels) are
    among its columns: one task per partition feeds every array of the block;
    ``penalty_factor`` is checked against the feature columns."""
    import dask

    named = {"y": y, "sample_weight": sample_weight, "cv": fold_column}
    missing = {k: v for k, v in named.items() if v is not None and v not in X.columns}
    if missing:
        raise ValueError(f"Column(s) {missing} not found in the DataFrame, whose "
                         f"columns are {list(X.columns)}.")
    taken = [v for v in named.values() if v is not None]
    features = [c for c in X.columns if c not in taken]
    _check_numeric(X.dtypes[features + [y] + ([sample_weight] if sample_weight
                                              else [])], "Features, y and weights")
    check_size(len(features), 1)
    resolve_penalty_factor(penalty_factor, len(features), features)
    blocks = []
    for part in X.to_delayed():
        get = dask.delayed(_columns)
        blocks.append((get(part, features), get(part, y),
                       None if sample_weight is None else get(part, sample_weight),
                       None if fold_column is None else get(part, fold_column)))
    all32 = all(X.dtypes[c] == np.float32 for c in features)
    return blocks, features, np.dtype(np.float32 if all32 else np.float64), True


def _array_blocks(X, y, sample_weight, labels=None, penalty_factor=None):
    """Aligned blocks of rows of dask (or in-memory) ``X``, ``y``, weights and
    fold labels, as delayed objects; ``penalty_factor`` checked against ``X``."""
    names = list(X.columns) if hasattr(X, "columns") else None
    if names is not None:
        _check_numeric(X.dtypes, "Features")
    _check_known_sizes((("X", X), ("y", y), ("sample_weight", sample_weight),
                        ("fold labels", labels)))
    if names is not None or np.ndim(X) == 2:
        resolve_penalty_factor(penalty_factor,
                               len(names) if names is not None else np.shape(X)[1],
                               names)
    X = _as_dask_array(X)
    y = _as_dask_array(y)
    if X.ndim != 2:
        raise ValueError(f"Expected a 2-D X, got a dask array of shape {X.shape}.")
    if y.ndim not in (1, 2):
        raise ValueError(f"y must be 1-D or 2-D, got shape {y.shape}.")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} samples but y has {y.shape[0]}; they "
                         "must match.")
    check_size(X.shape[1], 1 if y.ndim == 1 else y.shape[1])
    X = X.rechunk({1: -1})
    y = y.rechunk({0: X.chunks[0]} if y.ndim == 1 else {0: X.chunks[0], 1: -1})
    x_blocks = X.to_delayed().ravel()
    y_blocks = y.to_delayed().ravel()
    columns = [x_blocks, y_blocks]
    for extra, what in ((sample_weight, "sample_weight"), (labels, "fold labels")):
        if extra is None:
            columns.append([None] * len(x_blocks))
            continue
        extra = _as_dask_array(extra)
        if extra.ndim != 1 or extra.shape[0] != X.shape[0]:
            raise ValueError(f"{what} must be 1-D with {X.shape[0]} entries, "
                             f"got shape {extra.shape}.")
        columns.append(extra.rechunk({0: X.chunks[0]}).to_delayed().ravel())
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    return list(zip(*columns)), names, dtype, y.ndim == 1


def _tree_reduce(parts):
    """Merge per-block statistics in a binary tree on the cluster; compute."""
    import dask

    while len(parts) > 1:
        merged = [dask.delayed(_merge)(parts[i], parts[i + 1])
                  for i in range(0, len(parts) - 1, 2)]
        if len(parts) % 2:
            merged.append(parts[-1])
        parts = merged
    (out,) = dask.compute(parts[0])
    return out


def _blocks(X, y, sample_weight, fold_column=None, labels=None, penalty_factor=None):
    """The blocks of either form: a DataFrame with named columns, or arrays.

    Everything that can be checked without reading the data (the columns, the
    shapes, ``penalty_factor``) is checked here, before any task runs.
    """
    if hasattr(X, "columns") and isinstance(y, str):
        if labels is not None:
            raise ValueError("Fold labels by row position (PredefinedSplit) need "
                             "a dask array X, not a DataFrame: put them in a column "
                             "and pass its name as cv.")
        return _frame_blocks(X, y, sample_weight, fold_column, penalty_factor)
    for name, value in (("y", y), ("sample_weight", sample_weight),
                        ("cv", fold_column)):
        if isinstance(value, str):
            raise ValueError(f"{name}={value!r} names a column, which needs X to be "
                             "a dask DataFrame with y given as a column name too.")
    return _array_blocks(X, y, sample_weight, labels, penalty_factor)


def dask_statistics(X, y, sample_weight, fit_intercept, penalty_factor=None):
    """Sufficient statistics of dask ``X``, ``y`` (and weights), computed by dask.

    ``y`` and ``sample_weight`` may be column names of a dask DataFrame ``X``.
    Returns ``(stats, feature_names, dtype, single_target)``; ``feature_names``
    are a DataFrame's column names (None otherwise).  ``penalty_factor`` is
    checked against the features before the pass.
    """
    import dask

    blocks, names, dtype, single = _blocks(X, y, sample_weight,
                                           penalty_factor=penalty_factor)
    parts = [dask.delayed(_block_stats)(xb, yb, wb, fit_intercept)
             for xb, yb, wb, _ in blocks]
    return _tree_reduce(parts), names, dtype, single


def dask_fold_statistics(X, y, sample_weight, fit_intercept, kind, spec,
                         penalty_factor=None):
    """The statistics of every fold, in the same tree as :func:`dask_statistics`.

    ``kind, spec``: ``"hash", HashKFold`` (each block hashes its own rows),
    ``"column", name`` (a fold-label column of a dask DataFrame) or
    ``"labels", ndarray`` (one label per row, in row order).  Returns
    ``(fold_stats, feature_names, dtype, single_target)``; ``penalty_factor``
    is checked against the features before the pass.
    """
    import dask

    blocks, names, dtype, single = _blocks(
        X, y, sample_weight, fold_column=spec if kind == "column" else None,
        labels=spec if kind == "labels" else None, penalty_factor=penalty_factor)
    if kind == "column" and not isinstance(y, str):
        raise ValueError(f"cv={spec!r} names a fold-label column: give y as a column "
                         "name of the same DataFrame too.")
    hasher = spec if kind == "hash" else None
    parts = [dask.delayed(_block_fold_stats)(xb, yb, wb, lb, hasher, fit_intercept)
             for xb, yb, wb, lb in blocks]
    return _tree_reduce(parts), names, dtype, single


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
