"""Fitting from Spark DataFrames: statistics on the executors, the solve on the driver.

Least squares needs only its sufficient statistics (:mod:`skreg._statistics`),
and a K-fold cross-validation only those of each fold
(:mod:`skreg._statistics`).  Each partition of the DataFrame is reduced to them
on the executors (``mapInArrow``, the Arrow form of ``mapPartitions``: the
columns arrive as Arrow batches and become numpy arrays without a Python object
per row), the per-partition results are merged with the same Chan update by a
tree aggregation (``treeReduce``), and only the ``p x p`` result reaches the
driver, which solves.  Predictions are a Spark column expression, lazy like any
other.

The features are the DataFrame's columns other than the target, the weights and
the fold labels: numeric columns (cast to double), or one ML vector column
(``pyspark.ml.linalg.Vector``, dense or sparse).  pyspark is an optional
dependency (``pip install "skreg[spark]"``); nothing here imports it unless a
Spark DataFrame is given.  The executors need skreg installed (they run its
statistics).
"""

import pickle

import numpy as np

from ._extensions import resolve_penalty_factor
from ._statistics import FoldStatistics, check_fold_labels, check_fold_size
from ._statistics import SufficientStatistics, check_size

PREDICTION = "prediction"


def is_spark_dataframe(obj):
    """True for a ``pyspark.sql.DataFrame`` (False when pyspark is absent)."""
    module = type(obj).__module__
    return module.startswith("pyspark.sql") and type(obj).__name__ == "DataFrame"


# ------------------------------------------------------------------ the schema
def _is_vector(dtype):
    return type(dtype).__name__ == "VectorUDT"


def _is_numeric(dtype):
    from pyspark.sql.types import BooleanType, NumericType

    return isinstance(dtype, (NumericType, BooleanType))


def _is_integral(dtype):
    from pyspark.sql.types import IntegralType

    return isinstance(dtype, IntegralType)


def _vector_size(df, name):
    """The length of a vector column: from its ML metadata, else its first row."""
    attrs = df.schema[name].metadata.get("ml_attr", {})
    if "num_attrs" in attrs:
        return int(attrs["num_attrs"])
    first = df.select(name).dropna().head()
    if first is None:
        raise ValueError(f"The vector column {name!r} has no non-null row.")
    return int(first[0].size)


class _Layout:
    """Which columns are the features, target, weights and fold labels."""

    def __init__(self, df, y, sample_weight, fold_column=None):
        if not isinstance(y, str):
            raise TypeError(
                "With a Spark DataFrame X, y must be the name of its target column "
                f"(a str), got {type(y).__name__}; sample_weight too is a column "
                "name (or None)."
            )
        if sample_weight is not None and not isinstance(sample_weight, str):
            raise TypeError(
                "With a Spark DataFrame X, sample_weight must be the name of its "
                f"weight column (a str) or None, got {type(sample_weight).__name__}."
            )
        types = dict((f.name, f.dataType) for f in df.schema.fields)
        named = {"y": y, "sample_weight": sample_weight, "cv": fold_column}
        missing = {k: v for k, v in named.items() if v is not None and v not in types}
        if missing:
            raise ValueError(f"Column(s) {missing} not found in the DataFrame, whose "
                             f"columns are {list(types)}.")
        taken = [v for v in named.values() if v is not None]
        features = [c for c in types if c not in taken]
        vectors = [c for c in features if _is_vector(types[c])]
        if vectors and len(features) > 1:
            raise TypeError(
                f"The features must be numeric columns or one ML vector column, but "
                f"the DataFrame has the vector column(s) {vectors} among "
                f"{features}; drop or assemble the others."
            )
        if not features:
            raise ValueError("The DataFrame has no feature column besides the "
                             f"target, weights and fold labels ({taken}).")
        checked = ([] if vectors else features) + [y] + (
            [sample_weight] if sample_weight else [])
        bad = [f"{c} ({types[c].simpleString()})" for c in checked
               if not _is_numeric(types[c])]
        if bad:
            raise TypeError(f"Features, y and weights must be numeric columns; these "
                            f"are not: {bad}. Encode them (for example with "
                            "StringIndexer / OneHotEncoder) or drop them.")
        if fold_column is not None and not _is_integral(types[fold_column]):
            raise TypeError(f"The fold-label column {fold_column!r} must hold "
                            f"integers, got {types[fold_column].simpleString()}.")
        self.vector = vectors[0] if vectors else None
        self.features = features
        self.y, self.weight, self.fold = y, sample_weight, fold_column
        self.n_features = (_vector_size(df, self.vector) if self.vector
                           else len(features))
        all32 = not vectors and all(types[c].simpleString() == "float"
                                    for c in features)
        self.dtype = np.dtype(np.float32 if all32 else np.float64)
        self.names = None if vectors else features

    def select(self, df):
        """The columns the executors read, as doubles (a vector as an array)."""
        from pyspark.sql import functions as F

        if self.vector:
            from pyspark.ml.functions import vector_to_array

            cols = [vector_to_array(F.col(self.vector), "float64").alias("x")]
        else:
            cols = [F.col(c).cast("double").alias(f"x{j}")
                    for j, c in enumerate(self.features)]
        cols.append(F.col(self.y).cast("double").alias("y"))
        if self.weight:
            cols.append(F.col(self.weight).cast("double").alias("w"))
        if self.fold:
            cols.append(F.col(self.fold).cast("long").alias("fold"))
        return df.select(*cols)

    def column_names(self):
        """The user's name of each selected column, in order (for messages)."""
        names = [self.vector] if self.vector else list(self.features)
        return names + [self.y] + ([self.weight] if self.weight else []) + (
            [self.fold] if self.fold else [])


# ------------------------------------------------------------- on the executors
def _batch_arrays(batch, n_features, vector):
    """``(X, rest, bad)`` from an Arrow batch: the features and the other columns
    as float64 arrays, without the rows where any of them is null or not
    finite, and per selected column the number of such rows."""
    import pyarrow as pa

    n = batch.num_rows
    columns = batch.columns
    if vector:
        vec = columns[0]
        lengths = np.asarray(vec.value_lengths().fill_null(n_features))
        if np.any(lengths != n_features):
            raise ValueError(f"The vector column holds vectors of length "
                             f"{sorted(set(lengths.tolist()) - {n_features})}, "
                             f"not {n_features} as its first row.")
        X = np.full((n, n_features), np.nan)
        valid = ~np.asarray(vec.is_null())
        flat = np.asarray(pa.array(vec.flatten()), dtype=np.float64)
        X[valid] = flat.reshape(-1, n_features)
        masks = [np.all(np.isfinite(X), axis=1)]
        others = columns[1:]
    else:                       # nulls arrive as NaN
        X = np.empty((n, n_features), order="F")
        for j in range(n_features):
            X[:, j] = columns[j].to_numpy(zero_copy_only=False)
        masks = [np.isfinite(X[:, j]) for j in range(n_features)]
        others = columns[n_features:]
    rest = [c.to_numpy(zero_copy_only=False).astype(np.float64) for c in others]
    masks += [np.isfinite(r) for r in rest]
    bad = np.array([n - int(m.sum()) for m in masks], dtype=np.int64)
    if bad.any():
        ok = np.logical_and.reduce(masks)
        X, rest = X[ok], [r[ok] for r in rest]
    return X, rest, bad


def _partition_statistics(batches, n_features, vector, weighted, folds, hasher,
                          fit_intercept):
    """The statistics of one partition (a pickled payload in a one-row batch)."""
    import pyarrow as pa

    stats = (FoldStatistics(n_features, 1, fit_intercept) if folds
             else SufficientStatistics(n_features, 1, fit_intercept))
    bad, negative = None, 0
    for batch in batches:
        X, rest, bad_batch = _batch_arrays(batch, n_features, vector)
        bad = bad_batch if bad is None else bad + bad_batch
        if X.shape[0] == 0:
            continue
        y = rest[0]
        sw = rest[1] if weighted else np.ones(len(y))
        if weighted and np.any(sw < 0):     # counted; the driver raises
            negative += int(np.sum(sw < 0))
            continue
        if folds:
            labels = (hasher.fold_labels(X, y) if hasher is not None
                      else check_fold_labels(rest[-1], len(y)))
            stats.merge(FoldStatistics.from_chunk(X, y, sw, labels, fit_intercept))
        else:
            stats.merge(SufficientStatistics.from_chunk(X, y, sw, fit_intercept))
    payload = {"stats": stats.state(), "bad": bad, "negative": negative}
    yield pa.RecordBatch.from_pydict({"payload": [pickle.dumps(payload)]})


def _load(row):
    return pickle.loads(row[0])


def _merge_payloads(a, b):
    """Merge two partitions' payloads (statistics and counts of bad rows)."""
    kind = FoldStatistics if "folds" in a["stats"] else SufficientStatistics
    stats = kind.from_state(a["stats"]).merge(kind.from_state(b["stats"]))
    if a["bad"] is None or b["bad"] is None:
        bad = a["bad"] if b["bad"] is None else b["bad"]
    else:
        bad = a["bad"] + b["bad"]
    return {"stats": stats.state(), "bad": bad,
            "negative": a["negative"] + b["negative"]}


def _reduce(df, layout, fit_intercept, folds, hasher):
    """Run the pass: per-partition statistics, tree-merged; checked on the driver."""
    n_features, vector = layout.n_features, layout.vector is not None
    weighted = layout.weight is not None

    def per_partition(batches):
        return _partition_statistics(batches, n_features, vector, weighted, folds,
                                     hasher, fit_intercept)

    frame = layout.select(df).mapInArrow(per_partition, "payload binary")
    rdd = frame.rdd.map(_load)
    if rdd.getNumPartitions() == 0:
        raise ValueError("The DataFrame has no partition (no rows).")
    payload = rdd.treeReduce(_merge_payloads, depth=2)
    bad = payload["bad"]
    if bad is not None and np.any(bad > 0):
        names = layout.column_names()
        counts = {names[j]: int(c) for j, c in enumerate(bad) if c > 0}
        raise ValueError(f"The DataFrame has null or non-finite (NaN, inf) values, "
                         f"in rows per column: {counts}. Drop or impute them first "
                         "(for example df.dropna() or pyspark.ml.feature.Imputer).")
    if payload["negative"]:
        raise ValueError(f"sample_weight must be non-negative: the weight column "
                         f"{layout.weight!r} has {payload['negative']} negative "
                         "value(s). Drop or correct those rows first.")
    kind = FoldStatistics if folds else SufficientStatistics
    return kind.from_state(payload["stats"])


def spark_statistics(df, y, sample_weight, fit_intercept, penalty_factor=None):
    """Sufficient statistics of a Spark DataFrame, computed on the executors.

    Returns ``(stats, feature_names, dtype, single_target)`` as
    :func:`skreg._dask.dask_statistics` does.  The schema (and
    ``penalty_factor`` against the features) is checked before the pass.
    """
    layout = _Layout(df, y, sample_weight)
    check_size(layout.n_features, 1)
    resolve_penalty_factor(penalty_factor, layout.n_features, layout.names)
    stats = _reduce(df, layout, fit_intercept, folds=False, hasher=None)
    if not stats.weight > 0:
        raise ValueError("sample_weight must not be all zero: its sum must be "
                         "positive (or the DataFrame has no rows).")
    return stats, layout.names, layout.dtype, True


def spark_fold_statistics(df, y, sample_weight, fit_intercept, kind, spec,
                          penalty_factor=None):
    """The statistics of every fold of a Spark DataFrame, in one pass.

    ``kind, spec``: ``"hash", HashKFold`` or ``"column", name`` (a column of
    integer fold labels; -1 for rows never in a test fold).  Returns
    ``(fold_stats, feature_names, dtype, single_target)``; the schema (and
    ``penalty_factor``) is checked before the pass.
    """
    layout = _Layout(df, y, sample_weight, spec if kind == "column" else None)
    check_fold_size(layout.n_features, 1, spec.n_splits if kind == "hash" else 2)
    resolve_penalty_factor(penalty_factor, layout.n_features, layout.names)
    stats = _reduce(df, layout, fit_intercept, folds=True,
                    hasher=spec if kind == "hash" else None)
    return stats, layout.names, layout.dtype, True


# ------------------------------------------------------------------- prediction
def _balanced_sum(terms):
    while len(terms) > 1:
        pairs = [terms[i] + terms[i + 1] for i in range(0, len(terms) - 1, 2)]
        terms = pairs + ([terms[-1]] if len(terms) % 2 else [])
    return terms[0]


def spark_predict(estimator, df):
    """``df`` with a ``"prediction"`` column ``x . coef_ + intercept_`` (lazy).

    The features are the columns named ``feature_names_in_`` when the model
    has them, otherwise the DataFrame's one ML vector column.  A null feature
    gives a null prediction, as in Spark's own expressions.
    """
    from pyspark.sql import functions as F

    coef = np.asarray(estimator.coef_, dtype=np.float64)
    if coef.ndim != 1:
        raise ValueError("Predicting a Spark DataFrame needs a single-target model; "
                         f"this one has {coef.shape[0]} targets.")
    if PREDICTION in df.columns:
        raise ValueError(f"The DataFrame already has a column {PREDICTION!r}; rename "
                         "or drop it first.")
    intercept = float(estimator.intercept_)
    types = dict((f.name, f.dataType) for f in df.schema.fields)
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None:
        missing = [c for c in names if c not in types]
        if missing:
            raise ValueError(f"The DataFrame lacks the feature column(s) {missing} "
                             "the model was fitted with.")
        bad = [c for c in names if not _is_numeric(types[c])]
        if bad:
            raise TypeError(f"Feature column(s) {bad} are not numeric.")
        terms = [F.col(c).cast("double") * F.lit(float(w))
                 for c, w in zip(names, coef) if w != 0]
        value = _balanced_sum(terms + [F.lit(intercept)])
        return df.withColumn(PREDICTION, value)
    vectors = [c for c, t in types.items() if _is_vector(t)]
    if len(vectors) != 1:
        raise ValueError(
            "The model has no feature names (it was fitted on a vector column or "
            "on arrays), so the DataFrame must hold its features as exactly one ML "
            f"vector column; it has {len(vectors)}: {vectors}."
        )
    from pyspark.ml.functions import vector_to_array

    p = estimator.n_features_in_
    values = vector_to_array(F.col(vectors[0]), "float64")
    weights = F.array(*[F.lit(float(w)) for w in coef])
    dot = F.aggregate(F.zip_with(values, weights, lambda a, b: a * b), F.lit(0.0),
                      lambda acc, v: acc + v)
    checked = F.when(F.col(vectors[0]).isNull(), F.lit(None).cast("double")).when(
        F.size(values) == p, dot + F.lit(intercept)).otherwise(F.raise_error(
            F.lit(f"skreg: a vector of column {vectors[0]!r} does not have the "
                  f"{p} features the model was fitted with.")).cast("double"))
    return df.withColumn(PREDICTION, checked)
