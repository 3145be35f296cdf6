"""Sufficient statistics of weighted least squares, accumulated chunk by chunk.

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
as :class:`~skreg._datafit.GramLeastSquares` (what ``fit`` uses for tall data).
"""

import numpy as np
import scipy.sparse as sp

from ._datafit import GramLeastSquares

# Refuse to keep more than this many float64 entries (8 GB).
MAX_ENTRIES = 1_000_000_000


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

    def update(self, X, Y, sw):
        """Merge a chunk: ``X`` (dense or sparse), ``Y`` (n, n_targets), weights."""
        self.n_samples += X.shape[0]
        sw = np.asarray(sw, dtype=np.float64)
        w_b = float(sw.sum())
        if w_b == 0.0:
            return
        Y = np.asarray(Y, dtype=np.float64)
        if sp.issparse(X):
            X = X.astype(np.float64)
            mx_b = np.asarray(X.T @ sw).ravel() / w_b if self.fit_intercept else 0.0
        else:
            X = np.asarray(X, dtype=np.float64)
            mx_b = (sw @ X) / w_b if self.fit_intercept else 0.0
        my_b = (sw @ Y) / w_b if self.fit_intercept else 0.0
        Yc = Y - my_b
        swy = Yc * sw[:, None]
        yy_b = np.einsum("ij,ij->j", Yc, swy)
        xy_b = np.asarray(X.T @ swy)          # sum(s * Yc) = 0: X needs no centring
        if sp.issparse(X):
            Xw = sp.diags(np.sqrt(sw)) @ X
            xx_b = (Xw.T @ Xw).toarray()
            if self.fit_intercept:
                xx_b -= w_b * np.outer(mx_b, mx_b)
        else:
            Xc = X - mx_b if self.fit_intercept else X
            Xw = Xc * np.sqrt(sw)[:, None]
            xx_b = Xw.T @ Xw
        if not self.fit_intercept:
            self.xx += xx_b
            self.xy += xy_b
            self.yy += yy_b
            self.weight += w_b
            return
        w_a = self.weight
        total = w_a + w_b
        dx = mx_b - self.x_mean
        dy = my_b - self.y_mean
        f = w_a * w_b / total
        self.xx += xx_b
        self.xx += f * np.outer(dx, dx)
        self.xy += xy_b + f * np.outer(dx, dy)
        self.yy += yy_b + f * dy**2
        self.x_mean += dx * (w_b / total)
        self.y_mean += dy * (w_b / total)
        self.weight = total

    def problem(self):
        """The accumulated problem as a :class:`GramLeastSquares`, and the means."""
        data = GramLeastSquares(self.xx.copy(), self.xy.copy(), self.yy.copy(),
                                self.weight, (self.n_samples, self.xx.shape[0]),
                                np.dtype(np.float64))
        return data, self.x_mean.copy(), self.y_mean.copy()
