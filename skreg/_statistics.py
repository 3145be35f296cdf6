"""Sufficient statistics of weighted least squares, chunk by chunk and fold by fold.

The objective of :class:`skreg.RegularizedRegressor` depends on the data only
through the weight sum ``S``, the weighted means ``mu`` and ``ybar``, and the
centred second moments

.. math::

    M_{xx} = \\sum_i s_i (x_i - \\mu)(x_i - \\mu)^\\top, \\quad
    M_{xy} = \\sum_i s_i (x_i - \\mu)(y_i - \\bar y), \\quad
    M_{yy} = \\sum_i s_i (y_i - \\bar y)^2 .

:class:`SufficientStatistics` keeps them in float64 whatever the chunks' dtype and
merges each chunk's own centred moments with the pairwise update of Chan, Golub
and LeVeque (the difference of the two means enters as a rank-one term), so no
large uncentred sum is ever formed and subtracted.  Memory is O(p^2),
independent of the number of rows; the problem is then solved from them exactly
as :class:`~skreg._datafit.GramProblem` (what ``fit`` uses for tall data).

With a fold label per row, one pass keeps one :class:`SufficientStatistics` per
label (:class:`FoldStatistics`).  Their merge is the statistics of all the rows;
the training statistics of fold ``k`` are the total with fold ``k`` removed
(:meth:`SufficientStatistics.downdate`), and the held-out squared error of any
model on fold ``k`` is a quadratic form in fold ``k``'s statistics
(:meth:`SufficientStatistics.squared_error`).  Label ``-1`` marks rows that are
never in a test fold (always training), as in
:class:`~sklearn.model_selection.PredefinedSplit`.
"""

import numpy as np
import scipy.sparse as sp

from ._kernels import reference_means

# Refuse to keep more than this many float64 entries (8 GB).
MAX_ENTRIES = 1_000_000_000
# Rows of a dense block formed at a time.
_ROW_BLOCK = 8192


def weighted_mean64(X, sw):
    """Column means of ``X`` weighted by ``sw``, accumulated in float64.

    A dense ``X`` is averaged in one compiled pass, without a copy, as
    ``x_r + sum_i s_i (x_i - x_r) / S`` around a reference row ``x_r`` (one of
    positive weight): a column whose values are all equal then has exactly that
    value as its mean, so centring makes it exactly zero (not a rounding residue
    that would count as a direction of the data), and large offsets do not
    cancel (:func:`skreg._kernels.reference_means`).
    """
    sw = np.asarray(sw, dtype=np.float64)
    if sp.issparse(X):
        return np.asarray(X.T @ sw, dtype=np.float64).ravel() / float(sw.sum())
    X = np.asarray(X)
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    return reference_means(X, sw)


def check_size(n_features, n_targets):
    """Raise a ``ValueError`` saying how much memory the statistics would need."""
    entries = n_features * (n_features + n_targets)
    if entries > MAX_ENTRIES:
        raise ValueError(
            f"partial_fit keeps a {n_features} x {n_features} matrix of sufficient "
            f"statistics, which needs {entries * 8 / 1e9:.1f} GB of memory (the "
            f"limit is {MAX_ENTRIES * 8 / 1e9:.0f} GB). Reduce the number of features "
            "or fit on a sample of the rows with fit."
        )


def _centred_products(X, mx, sw, swy):
    """``Xc^T W Xc`` and ``Xc^T (s * Yc)`` with ``Xc = X - mx``, in float64, a
    block of rows at a time (a sparse block is densified): the temporary copy
    stays ``_ROW_BLOCK x p`` whatever the number of rows, and no large
    uncentred sum is formed and then cancelled."""
    n, p = X.shape
    xx = np.zeros((p, p))
    xy = np.zeros((p, swy.shape[1]))
    root = np.sqrt(sw)
    unit = bool(np.all(sw == 1.0))
    for start in range(0, n, _ROW_BLOCK):
        stop = start + _ROW_BLOCK
        block = X[start:stop]
        block = block.toarray() if sp.issparse(block) else block
        Xc = np.subtract(block, mx, dtype=np.float64)     # one float64 temporary
        xy += Xc.T @ swy[start:stop]
        if not unit:
            Xc *= root[start:stop, None]
        xx += Xc.T @ Xc
    return xx, xy


class SufficientStatistics:
    """Running weighted moments of ``(X, Y)``, updated one chunk at a time.

    Parameters
    ----------
    n_features, n_targets : int
        Shape of the problem.
    fit_intercept : bool
        Centre the moments (with an intercept) or keep raw second moments.
    """

    def __init__(self, n_features, n_targets, fit_intercept):
        check_size(n_features, n_targets)
        self.fit_intercept = fit_intercept
        self.n_samples = 0
        self.weight = 0.0
        self.x_mean = np.zeros(n_features)
        self.y_mean = np.zeros(n_targets)
        self.xx = np.zeros((n_features, n_features))
        self.xy = np.zeros((n_features, n_targets))
        self.yy = np.zeros(n_targets)

    _FIELDS = ("n_samples", "weight", "x_mean", "y_mean", "xx", "xy", "yy")

    @property
    def n_targets(self):
        return self.xy.shape[1]

    def state(self):
        """The statistics as a dict of plain numbers and arrays (copies).

        What an estimator keeps between calls to ``partial_fit``: plain types
        only, so that a model saved with ``skops.io`` needs no class of this
        package trusted to load.
        """
        out = {name: np.copy(getattr(self, name)) if isinstance(
            getattr(self, name), np.ndarray) else getattr(self, name)
            for name in self._FIELDS}
        out["fit_intercept"] = self.fit_intercept
        return out

    @classmethod
    def from_state(cls, state):
        """Statistics from :meth:`state` (copies, so updates leave it untouched)."""
        stats = cls(state["xx"].shape[0], state["xy"].shape[1], state["fit_intercept"])
        for name in cls._FIELDS:
            value = state[name]
            setattr(stats, name, np.array(value) if isinstance(value, np.ndarray)
                    else value)
        return stats

    @classmethod
    def from_chunk(cls, X, Y, sw, fit_intercept):
        """The statistics of one chunk, centred on its own means."""
        Y = np.asarray(Y, dtype=np.float64)
        if Y.ndim == 1:
            Y = Y[:, None]
        stats = cls(X.shape[1], Y.shape[1], fit_intercept)
        stats.n_samples = X.shape[0]
        sw = np.asarray(sw, dtype=np.float64)
        w = float(sw.sum())
        if w == 0.0:
            return stats
        mx = weighted_mean64(X, sw) if fit_intercept else np.zeros(X.shape[1])
        my = weighted_mean64(Y, sw) if fit_intercept else 0.0
        Yc = Y - my
        swy = Yc * sw[:, None]
        stats.yy = np.einsum("ij,ij->j", Yc, swy)
        if sp.issparse(X):
            Xs = X.astype(np.float64)
            # sum(s * Yc) is zero but for rounding: subtract its exact effect
            stats.xy = np.asarray(Xs.T @ swy) - np.outer(mx, swy.sum(axis=0))
            Xw = sp.diags(np.sqrt(sw)) @ Xs
            raw = (Xw.T @ Xw).toarray()
            stats.xx = raw - w * np.outer(mx, mx)
            if fit_intercept and np.any(np.diag(stats.xx) < 1e-6 * np.diag(raw)):
                # means that dwarf the spread: the rank-one correction cancels
                # more than six digits, so centre (densified) blocks of rows
                stats.xx, stats.xy = _centred_products(X, mx, sw, swy)
        else:
            stats.xx, stats.xy = _centred_products(X, mx, sw, swy)
        if fit_intercept:
            stats.x_mean, stats.y_mean = mx, my
        stats.weight = w
        return stats

    def merge(self, other):
        """Add the statistics of disjoint rows ``other`` into ``self``; return self.

        With an intercept the moments are centred on different means; the
        difference of the means enters as a rank-one term weighted by
        ``w_a w_b / (w_a + w_b)``.
        """
        self.n_samples += other.n_samples
        w_a, w_b = self.weight, other.weight
        if w_b == 0.0:
            return self
        if not self.fit_intercept or w_a == 0.0:
            self.xx += other.xx
            self.xy += other.xy
            self.yy += other.yy
            if self.fit_intercept:
                self.x_mean, self.y_mean = other.x_mean.copy(), other.y_mean.copy()
            self.weight = w_a + w_b
            return self
        total = w_a + w_b
        dx = other.x_mean - self.x_mean
        dy = other.y_mean - self.y_mean
        f = w_a * w_b / total
        self.xx += other.xx
        self.xx += f * np.outer(dx, dx)
        self.xy += other.xy + f * np.outer(dx, dy)
        self.yy += other.yy + f * dy**2
        self.x_mean += dx * (w_b / total)
        self.y_mean += dy * (w_b / total)
        self.weight = total
        return self

    def update(self, X, Y, sw):
        """Merge a chunk: ``X`` (dense or sparse), ``Y`` (n, n_targets), weights."""
        return self.merge(SufficientStatistics.from_chunk(X, Y, sw, self.fit_intercept))

    def copy(self):
        """An independent copy."""
        return SufficientStatistics.from_state(self.state())

    def downdate(self, other):
        """Remove the rows ``other`` (a subset of ``self``'s rows); return self.

        The exact inverse of :meth:`merge`: with ``T`` the statistics of all the
        rows, ``B = other`` and ``A`` the rest, ``S_A = S_T - S_B``,
        ``delta = mu_B - mu_T``, ``mu_A = mu_T - (S_B / S_A) delta`` and

        ``M_A = M_T - M_B - (S_B S_T / S_A) delta delta^T``

        (and the same for ``M_xy`` and ``M_yy``), so ``A.merge(B)`` gives ``T``
        back up to rounding.  The rounding of the subtraction is relative to
        ``M_T``: a diagonal entry that comes out negative (a column that is
        constant on the remaining rows) is set to zero, as it is in exact
        arithmetic.  When no weight remains, the result is empty (weight 0).
        """
        self.n_samples -= other.n_samples
        w_t, w_b = self.weight, other.weight
        if w_b == 0.0:
            return self
        w_a = w_t - w_b
        if not w_a > 1e-12 * w_t:
            empty = SufficientStatistics(self.xx.shape[0], self.xy.shape[1],
                                         self.fit_intercept)
            n_samples = self.n_samples
            self.__dict__.update(empty.__dict__)
            self.n_samples = n_samples
            return self
        self.xx -= other.xx
        self.xy -= other.xy
        self.yy -= other.yy
        if self.fit_intercept:
            dx = other.x_mean - self.x_mean
            dy = other.y_mean - self.y_mean
            f = w_b * w_t / w_a
            self.xx -= f * np.outer(dx, dx)
            self.xy -= f * np.outer(dx, dy)
            self.yy -= f * dy**2
            self.x_mean -= dx * (w_b / w_a)
            self.y_mean -= dy * (w_b / w_a)
        diag = np.einsum("ii->i", self.xx)
        np.maximum(diag, 0.0, out=diag)
        np.maximum(self.yy, 0.0, out=self.yy)
        self.weight = w_a
        return self

    def squared_error(self, coef, intercept):
        """Weighted sums of squared residuals ``sum_i s_i (y_ik - x_i w - b_k)^2``.

        A quadratic form in the statistics alone: with the centred moments,

        ``SSE_k = M_yy - 2 w^T M_xy + w^T M_xx w + S (ybar - b - mu^T w)^2``

        (the cross terms vanish because the centred rows sum to zero).  Without
        an intercept the moments are raw and ``b`` must be zero.

        Parameters
        ----------
        coef : ndarray of shape (..., n_targets, n_features)
            Coefficients, any leading dimensions (for example one per alpha).
        intercept : ndarray of shape (..., n_targets)
            Intercepts.

        Returns
        -------
        sse : ndarray of shape (..., n_targets)
            In float64; never negative (rounding is clipped at zero).
        """
        W = np.asarray(coef, dtype=np.float64)
        b = np.asarray(intercept, dtype=np.float64)
        if not self.fit_intercept and np.any(b != 0):
            raise ValueError("Statistics kept without an intercept (raw moments) "
                             "score only models with a zero intercept.")
        quad = np.einsum("...j,...j->...", W @ self.xx, W)
        lin = np.einsum("...kj,jk->...k", W, self.xy)
        sse = self.yy - 2.0 * lin + quad
        if self.fit_intercept:
            offset = self.y_mean - b - W @ self.x_mean
            sse = sse + self.weight * offset**2
        return np.maximum(sse, 0.0)


# ------------------------------------------------------------ one per fold
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
    """One :class:`SufficientStatistics` per fold label.

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
