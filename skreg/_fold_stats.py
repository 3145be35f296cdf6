"""The sufficient statistics of every fold, accumulated in one pass.

With a fold label per row, one pass over the data keeps one
:class:`~skreg._streaming.SufficientStatistics` per label.  Their merge is the
statistics of all the rows; the training statistics of fold ``k`` are the total
with fold ``k`` removed (:meth:`~skreg._streaming.SufficientStatistics.downdate`),
and the held-out squared error of any model on fold ``k`` is a quadratic form in
fold ``k``'s statistics
(:meth:`~skreg._streaming.SufficientStatistics.squared_error`).  Label ``-1``
marks rows that are never in a test fold (always training), as in
:class:`~sklearn.model_selection.PredefinedSplit`.
"""

import numpy as np

from ._streaming import MAX_ENTRIES, SufficientStatistics, check_size

NEVER_TESTED = -1


def check_fold_size(n_features, n_targets, n_folds):
    """Raise a ``ValueError`` saying how much memory the fold statistics need.

    ``n_folds`` statistics of ``p x p`` are kept, plus the total and one
    training set at a time.
    """
    entries = (n_folds + 2) * n_features * (n_features + n_targets)
    if entries > MAX_ENTRIES:
        raise ValueError(
            f"cross-validation from fold statistics keeps {n_folds + 2} matrices of "
            f"{n_features} x {n_features} (one per fold, the total and a training "
            f"set), which need {entries * 8 / 1e9:.1f} GB of memory on the driver "
            "(and one set per partition on the workers). Reduce the number of "
            f"features or of folds (the limit is {MAX_ENTRIES * 8 / 1e9:.0f} GB)."
        )


def check_fold_labels(labels, n_samples):
    """Fold labels as a 1-D int64 array; a ``ValueError`` names what is wrong."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.shape[0] != n_samples:
        raise ValueError(f"folds must be 1-D with one label per row ({n_samples}), "
                         f"got shape {labels.shape}.")
    if labels.size and not np.issubdtype(labels.dtype, np.integer):
        as_int = labels.astype(np.int64) if np.issubdtype(labels.dtype, np.number) \
            else None
        if as_int is None or not np.array_equal(as_int, labels):
            raise ValueError("fold labels must be integers (-1: never in a test "
                             f"fold), got values of dtype {labels.dtype}.")
        labels = as_int
    labels = labels.astype(np.int64, copy=False)
    if labels.size and labels.min() < NEVER_TESTED:
        raise ValueError("fold labels must be >= 0, or -1 for rows that are never "
                         f"in a test fold; got {labels.min()}.")
    return labels


class FoldStatistics:
    """One :class:`~skreg._streaming.SufficientStatistics` per fold label.

    Parameters
    ----------
    n_features, n_targets : int
        Shape of the problem.
    fit_intercept : bool
        Centred moments (with an intercept) or raw ones.
    """

    def __init__(self, n_features, n_targets, fit_intercept):
        check_size(n_features, n_targets)
        self.n_features, self.n_targets = n_features, n_targets
        self.fit_intercept = fit_intercept
        self.folds = {}

    @classmethod
    def from_chunk(cls, X, Y, sw, labels, fit_intercept):
        """The statistics of a chunk, split by its rows' fold ``labels``."""
        Y = np.asarray(Y, dtype=np.float64)
        Y = Y.reshape(Y.shape[0], -1)
        out = cls(X.shape[1], Y.shape[1], fit_intercept)
        labels = np.asarray(labels)
        if labels.size == 0:
            return out
        order = np.argsort(labels, kind="stable")
        bounds = np.flatnonzero(np.diff(labels[order])) + 1
        for rows in np.split(order, bounds):
            out.folds[int(labels[rows[0]])] = SufficientStatistics.from_chunk(
                X[rows], Y[rows], np.asarray(sw)[rows], fit_intercept)
        return out

    def merge(self, other):
        """Add the (disjoint) rows of ``other``, fold by fold; return self."""
        for label, stats in other.folds.items():
            if label in self.folds:
                self.folds[label].merge(stats)
            else:
                self.folds[label] = stats.copy()
        return self

    def update(self, X, Y, sw, labels):
        """Merge a chunk with its rows' fold labels; return self."""
        return self.merge(FoldStatistics.from_chunk(X, Y, sw, labels, self.fit_intercept))

    @property
    def test_labels(self):
        """The fold labels that have a test set (sorted, ``-1`` excluded)."""
        return sorted(k for k in self.folds if k != NEVER_TESTED)

    def total(self):
        """The statistics of every row (a new object)."""
        out = SufficientStatistics(self.n_features, self.n_targets, self.fit_intercept)
        for label in sorted(self.folds):
            out.merge(self.folds[label])
        return out

    def training(self, label, total=None):
        """The statistics of every row outside fold ``label`` (a new object)."""
        base = self.total() if total is None else total.copy()
        return base.downdate(self.folds[label])

    def state(self):
        """Plain dicts (for pickling and skops), one per fold label."""
        return {"n_features": self.n_features, "n_targets": self.n_targets,
                "fit_intercept": self.fit_intercept,
                "folds": {k: s.state() for k, s in self.folds.items()}}

    @classmethod
    def from_state(cls, state):
        """Statistics from :meth:`state` (copies)."""
        out = cls(state["n_features"], state["n_targets"], state["fit_intercept"])
        out.folds = {int(k): SufficientStatistics.from_state(s)
                     for k, s in state["folds"].items()}
        return out
