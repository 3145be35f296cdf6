"""Folds assigned by a seeded hash of each row's values.

Data that arrive in partitions or chunks (Dask, Spark, ``partial_fit``) have no
stable row numbers to split by, so the one-pass cross-validation assigns each
row to a fold by a function of its own values: the same row lands in the same
fold whatever the partitioning, the chunk sizes, the order of the rows, the
engine (numpy, Dask, Spark) or the dtype of the input.

The hash (all arithmetic on unsigned 64-bit integers, wrapping):

1. every feature of the row, then every target, is converted to float64 (``-0.0``
   becomes ``0.0``) and its 64 bits ``v_j`` are read as an integer;
2. each is mixed with a key of its column, ``m_j = mix(v_j XOR key_j)``, where
   ``key_j = mix(seed + (j + 1) * 0x9E3779B97F4A7C15)``;
3. ``h = mix(sum_j m_j XOR mix(seed))``, and the row's fold is ``h mod K``.

``mix`` is the finaliser of splitmix64 (``z ^= z >> 30; z *= 0xBF58476D1CE4E5B9;
z ^= z >> 27; z *= 0x94D049BB133111EB; z ^= z >> 31``).  Identical rows (same
features and targets) share a fold, so a duplicated row is never on both sides
of a split.
"""

from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import BaseCrossValidator
from sklearn.utils.validation import check_array

from ._validation import check_scalar_param

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_BLOCK = 8192


def _mix(z):
    """splitmix64's finaliser, elementwise, in place on a uint64 array."""
    z ^= z >> np.uint64(30)
    z *= _M1
    z ^= z >> np.uint64(27)
    z *= _M2
    z ^= z >> np.uint64(31)
    return z


def _column_keys(n_columns, seed):
    j = np.arange(1, n_columns + 1, dtype=np.uint64)
    return _mix(np.uint64(seed) + j * _GOLDEN)


def row_hash(X, Y, seed=0):
    """The 64-bit hash of each row of ``[X, Y]`` (see the module docstring).

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples,) or (n_samples, n_targets)
    seed : int
        A non-negative integer below 2**64.

    Returns
    -------
    h : ndarray of shape (n_samples,), dtype uint64
    """
    Y = np.asarray(Y)
    Y = Y.reshape(len(Y), -1)
    n, p = X.shape
    keys = _column_keys(p + Y.shape[1], seed)
    final = _mix(np.array([seed], dtype=np.uint64))[0]
    out = np.empty(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for start in range(0, n, _BLOCK):
            stop = min(start + _BLOCK, n)
            block = X[start:stop]
            block = block.toarray() if sp.issparse(block) else np.asarray(block)
            values = np.empty((stop - start, keys.size), dtype=np.float64)
            values[:, :p] = block
            values[:, p:] = Y[start:stop]
            values += 0.0                     # -0.0 -> 0.0: equal values, equal bits
            bits = values.view(np.uint64)
            bits ^= keys
            h = _mix(bits).sum(axis=1, dtype=np.uint64)
            h ^= final
            out[start:stop] = _mix(h)
    return out


def hash_fold_labels(X, Y, n_folds, seed=0):
    """The fold (``0 .. n_folds - 1``) of each row: its :func:`row_hash` mod ``n_folds``."""
    return (row_hash(X, Y, seed) % np.uint64(n_folds)).astype(np.int64)


class HashKFold(BaseCrossValidator):
    """K-fold cross-validation with folds assigned by a seeded hash of each row.

    Row ``i`` belongs to fold ``hash(x_i, y_i; seed) mod n_splits``: a function
    of the row's values alone (features and targets, as float64), so the
    assignment does not depend on the order of the rows or how they are
    partitioned, and is the same in memory, on Dask, on Spark and chunk by chunk
    in ``partial_fit``.  It is what :class:`~skreg.RegularizedRegressorCV` uses
    for ``cv=int`` on a Dask or Spark collection and in ``partial_fit``; pass it
    as ``cv`` to reproduce those folds on in-memory data.  The folds' sizes are
    random (binomial), not equal.  Identical rows share a fold.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2.
    seed : int, default=0
        The hash's seed (a non-negative integer below 2**64); another seed gives
        another assignment.

    See Also
    --------
    sklearn.model_selection.KFold : Folds by position in the data.

    Notes
    -----
    The hash: each value ``v_j`` of the row (features, then targets), as the 64
    bits of a float64 (with ``-0.0`` read as ``0.0``), is mixed with a key of
    its column, ``m_j = mix(v_j XOR key_j)`` with ``key_j = mix(seed + (j + 1)
    * 0x9E3779B97F4A7C15)``; then ``h = mix(sum_j m_j XOR mix(seed))`` (64-bit
    wrapping arithmetic), and ``mix`` is the finaliser of splitmix64.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg import HashKFold
    >>> X = np.arange(20.0).reshape(10, 2)
    >>> y = np.arange(10.0)
    >>> folds = HashKFold(3).split(X, y)
    >>> sorted(len(test) for _, test in folds)
    [1, 4, 5]
    """

    def __init__(self, n_splits=5, *, seed=0):
        self.n_splits = n_splits
        self.seed = seed

    def _check(self):
        check_scalar_param(self.n_splits, "n_splits", kind=Integral, low=2)
        check_scalar_param(self.seed, "seed", kind=Integral, low=0, high=2**64 - 1)

    def fold_labels(self, X, y):
        """The fold of each row.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The features.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            The targets (part of what is hashed).

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Integers from 0 to ``n_splits - 1``.
        """
        self._check()
        if y is None:
            raise ValueError("HashKFold hashes the features and the targets of each "
                             "row: y is required.")
        X = check_array(X, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32])
        y = check_array(y, ensure_2d=False, dtype=np.float64)
        if len(y) != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} samples but y has {len(y)}.")
        return hash_fold_labels(X, y, self.n_splits, self.seed)

    def split(self, X, y=None, groups=None):
        """Generate the indices of each fold's training and test rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The features.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            The targets; required (they are hashed with the features).
        groups : None
            Ignored.

        Yields
        ------
        train : ndarray
            The training indices of the split.
        test : ndarray
            The test indices of the split.
        """
        labels = self.fold_labels(X, y)
        counts = np.bincount(labels, minlength=self.n_splits)
        if np.any(counts == 0):
            raise ValueError(
                f"HashKFold: {int(np.sum(counts == 0))} of the {self.n_splits} folds "
                f"received no row of the {len(labels)}; use fewer folds or more data."
            )
        for k in range(self.n_splits):
            yield np.flatnonzero(labels != k), np.flatnonzero(labels == k)

    def _iter_test_indices(self, X=None, y=None, groups=None):    # pragma: no cover
        for _, test in self.split(X, y, groups):
            yield test

    def get_n_splits(self, X=None, y=None, groups=None):
        """The number of folds.

        Parameters
        ----------
        X, y, groups : object
            Ignored.

        Returns
        -------
        n_splits : int
            ``n_splits``.
        """
        return self.n_splits
