"""Weight penalties shared by every estimator of skreg.

All penalties are members of one family, a separable elastic net with a weight
per coordinate,

.. math::

    g(w) = \\sum_j \\lambda_{1,j} |w_j| + \\frac{\\lambda_{2,j}}{2} w_j^2,
    \\qquad \\lambda_{1,j} = \\alpha \\rho f_j, \\quad
    \\lambda_{2,j} = \\alpha (1 - \\rho) f_j + \\delta_j,

with ``rho = l1_ratio``, per-feature penalty factors ``f`` (all ones by default)
and an extra ridge term ``delta`` (zero by default; the linear model's dropout
penalty).  L1 is ``rho = 1``, L2 is ``rho = 0`` and no penalty is ``alpha = 0``.
With ``f`` and ``delta`` left out, ``l1`` and ``l2`` are plain numbers (what the
networks use); otherwise arrays.  A penalty is a small stateless object; it
knows its value, its proximal operator, the distance of a point to its
subdifferential (the optimality violation used to grow working sets), its convex
conjugate (for duality gaps) and the per-coordinate weights the compiled kernels
take.  ``positive=True`` adds the constraint ``w >= 0``.
"""

import numpy as np

PENALTIES = ("l1", "l2", "elasticnet", None)


class ElasticNetPenalty:
    """``sum_j l1_j |w_j| + l2_j / 2 w_j^2`` (see the module docstring).

    Parameters
    ----------
    alpha : float
        Overall strength, >= 0.
    l1_ratio : float
        Share of the L1 term, in [0, 1].
    positive : bool
        Restrict the weights to be non-negative.
    factor : ndarray of shape (n_features,) or None
        Per-coordinate penalty factors ``f_j >= 0``.
    ridge : ndarray of shape (n_features,) or None
        An extra per-coordinate L2 weight ``delta_j >= 0``, not scaled by ``alpha``.
    """

    def __init__(self, alpha, l1_ratio, positive=False, factor=None, ridge=None):
        self.alpha = float(alpha)
        self.l1_ratio = float(l1_ratio)
        self.positive = bool(positive)
        self.factor = factor
        self.ridge = ridge
        l1 = self.alpha * self.l1_ratio
        l2 = self.alpha * (1.0 - self.l1_ratio)
        if factor is not None:
            factor = np.asarray(factor, dtype=np.float64)
            l1, l2 = l1 * factor, l2 * factor
        if ridge is not None:
            l2 = l2 + np.asarray(ridge, dtype=np.float64)
        self.l1, self.l2 = l1, l2
        self.has_l1 = bool(np.any(np.asarray(l1) > 0))
        self.has_l2 = bool(np.any(np.asarray(l2) > 0))

    def __repr__(self):
        return (
            f"ElasticNetPenalty(alpha={self.alpha!r}, l1_ratio={self.l1_ratio!r}, "
            f"positive={self.positive!r})"
        )

    @property
    def is_smooth(self):
        """True when the penalty has no L1 part and no constraint."""
        return not self.has_l1 and not self.positive

    @property
    def is_zero(self):
        """True when there is no penalty at all (constraint aside)."""
        return not self.has_l1 and not self.has_l2

    def weights(self, n_features):
        """``(l1, l2)`` as float64 arrays of length ``n_features`` (the kernels').

        Made once per penalty and length, and shared by every caller: not to be
        written to.
        """
        cache = self.__dict__.setdefault("_weights", {})
        if n_features not in cache:
            cache[n_features] = tuple(np.ascontiguousarray(np.broadcast_to(
                np.asarray(a, dtype=np.float64), n_features)) for a in (self.l1, self.l2))
        return cache[n_features]

    def restrict(self, cols):
        """The same penalty on the coordinates ``cols`` only."""
        out = ElasticNetPenalty.__new__(ElasticNetPenalty)
        out.__dict__.update(self.__dict__)
        out.__dict__.pop("_weights", None)
        out.l1 = self.l1 if np.ndim(self.l1) == 0 else self.l1[cols]
        out.l2 = self.l2 if np.ndim(self.l2) == 0 else self.l2[cols]
        out.has_l1 = bool(np.any(np.asarray(out.l1) > 0))
        out.has_l2 = bool(np.any(np.asarray(out.l2) > 0))
        return out

    def value(self, w):
        """Penalty value (the constraint is not checked)."""
        w = np.asarray(w)
        out = 0.0
        if np.ndim(self.l1) or self.l1:
            out += float(np.sum(self.l1 * np.abs(w)))
        if np.ndim(self.l2) or self.l2:
            out += 0.5 * float(np.sum(self.l2 * w * w))
        return out

    def prox(self, z, step):
        """Proximal operator: ``argmin_w g(w) + |w - z|^2 / (2 step)``.

        Soft-thresholding by ``step * l1`` followed by the L2 shrinkage
        ``1 / (1 + step * l2)``; with ``positive=True`` the soft-threshold is one
        sided.
        """
        thresh = step * self.l1
        if self.positive:
            out = np.maximum(z - thresh, 0.0)
        elif np.ndim(thresh) or thresh:
            out = np.sign(z) * np.maximum(np.abs(z) - thresh, 0.0)
        else:
            out = z.copy()
        if np.ndim(self.l2) or self.l2:
            out /= 1.0 + step * self.l2
        return out

    def subdiff_distance(self, w, grad):
        """Distance of ``-grad`` to the subdifferential of ``g`` at ``w``, per entry.

        ``grad`` is the gradient of the data term; zero means the coordinate
        satisfies its optimality condition.
        """
        l1 = np.broadcast_to(self.l1, w.shape)
        g = grad + self.l2 * w
        out = np.empty_like(g)
        nz = w != 0
        if self.positive:
            out[nz] = np.abs(g[nz] + l1[nz])
            out[~nz] = np.maximum(-g[~nz] - l1[~nz], 0.0)
        else:
            out[nz] = np.abs(g[nz] + l1[nz] * np.sign(w[nz]))
            out[~nz] = np.maximum(np.abs(g[~nz]) - l1[~nz], 0.0)
        return out

    def conjugate(self, v):
        """Convex conjugate ``g*(v)`` where it is finite.

        Coordinates with ``l2_j = 0`` contribute the indicator of ``|v_j| <=
        l1_j`` (``v_j <= l1_j`` with ``positive``); callers scale the dual point
        into that set, and they contribute 0 here.
        """
        excess = (v - self.l1) if self.positive else (np.abs(v) - self.l1)
        excess = np.maximum(excess, 0.0)
        l2 = np.broadcast_to(self.l2, excess.shape)
        smooth = l2 > 0
        return float(np.sum(excess[smooth] ** 2 / (2.0 * l2[smooth])))

def make_penalty(penalty, alpha, l1_ratio, positive=False, factor=None, ridge=None):
    """Map the estimator parameters to an :class:`ElasticNetPenalty`."""
    if penalty is None:
        return ElasticNetPenalty(0.0, 0.0, positive, factor, ridge)
    if penalty == "l1":
        return ElasticNetPenalty(alpha, 1.0, positive, factor, ridge)
    if penalty == "l2":
        return ElasticNetPenalty(alpha, 0.0, positive, factor, ridge)
    return ElasticNetPenalty(alpha, l1_ratio, positive, factor, ridge)


def alpha_max(Xty, n_weight, l1_ratio, positive=False, factor=None):
    """Smallest ``alpha`` at which every L1 / elastic-net coefficient is zero.

    Parameters
    ----------
    Xty : ndarray of shape (n_features,) or (n_features, n_targets)
        ``Xc^T diag(s) yc``: correlations of the centred, weighted data.
    n_weight : float
        ``S``, the sum of the sample weights.
    l1_ratio : float
        Must be > 0: a pure L2 penalty never gives exact zeros.
    positive : bool
        Only positive correlations can activate a coefficient.
    factor : ndarray of shape (n_features,) or None
        Penalty factors: coefficient ``j`` enters when ``|x_j^T y| / S`` exceeds
        ``alpha * l1_ratio * f_j``; those with ``f_j = 0`` are not counted (they
        are never zero).
    """
    if l1_ratio <= 0:
        raise ValueError("alpha_max is only defined for l1_ratio > 0.")
    corr = np.asarray(Xty, dtype=np.float64) / n_weight
    if corr.ndim == 1:
        corr = corr[:, None]
    corr = corr if positive else np.abs(corr)
    corr = corr.max(axis=1)
    if factor is not None:
        factor = np.asarray(factor, dtype=np.float64)
        penalised = factor > 0
        corr = corr[penalised] / factor[penalised]
    top = float(np.max(corr)) if corr.size else 0.0
    return max(top, 0.0) / l1_ratio
