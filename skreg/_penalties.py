"""Weight penalties shared by every estimator of skreg.

All four penalties are members of one family, the elastic net

.. math::

    g(w) = \\alpha \\left(\\rho \\lVert w \\rVert_1
           + \\frac{1 - \\rho}{2} \\lVert w \\rVert_2^2\\right)

with ``rho = l1_ratio``: L1 is ``rho = 1``, L2 is ``rho = 0`` and no penalty is
``alpha = 0``.  A penalty is a small stateless object; it knows its value, the
gradient of its smooth part, its proximal operator, the distance of a point to its
subdifferential (the optimality violation used to grow working sets), and its
convex conjugate (for duality gaps).  ``positive=True`` adds the constraint
``w >= 0``.
"""

import numpy as np

PENALTIES = ("l1", "l2", "elasticnet", None)


class ElasticNetPenalty:
    """``alpha * (l1_ratio * |w|_1 + (1 - l1_ratio) / 2 * |w|_2^2)``.

    Parameters
    ----------
    alpha : float
        Overall strength, >= 0.
    l1_ratio : float
        Share of the L1 term, in [0, 1].
    positive : bool
        Restrict the weights to be non-negative.
    """

    def __init__(self, alpha, l1_ratio, positive=False):
        self.alpha = float(alpha)
        self.l1_ratio = float(l1_ratio)
        self.positive = bool(positive)
        self.l1 = self.alpha * self.l1_ratio
        self.l2 = self.alpha * (1.0 - self.l1_ratio)

    def __repr__(self):
        return (
            f"ElasticNetPenalty(alpha={self.alpha!r}, l1_ratio={self.l1_ratio!r}, "
            f"positive={self.positive!r})"
        )

    @property
    def is_smooth(self):
        """True when the penalty has no L1 part and no constraint."""
        return self.l1 == 0.0 and not self.positive

    def value(self, w):
        """Penalty value (the constraint is not checked)."""
        w = np.asarray(w)
        out = 0.0
        if self.l1:
            out += self.l1 * float(np.abs(w).sum())
        if self.l2:
            out += 0.5 * self.l2 * float(np.vdot(w, w).real)
        return out

    def smooth_grad(self, w):
        """Gradient of the smooth (L2) part."""
        return self.l2 * w

    def prox(self, z, step):
        """Proximal operator: ``argmin_w g(w) + |w - z|^2 / (2 step)``.

        Soft-thresholding by ``step * l1`` followed by the L2 shrinkage
        ``1 / (1 + step * l2)``; with ``positive=True`` the soft-threshold is one
        sided.
        """
        thresh = step * self.l1
        if self.positive:
            out = np.maximum(z - thresh, 0.0)
        elif thresh:
            out = np.sign(z) * np.maximum(np.abs(z) - thresh, 0.0)
        else:
            out = z.copy()
        if self.l2:
            out /= 1.0 + step * self.l2
        return out

    def subdiff_distance(self, w, grad):
        """Distance of ``-grad`` to the subdifferential of ``g`` at ``w``, per entry.

        ``grad`` is the gradient of the data term; zero means the coordinate
        satisfies its optimality condition.
        """
        g = grad + self.l2 * w
        out = np.empty_like(w)
        nz = w != 0
        if self.positive:
            out[nz] = np.abs(g[nz] + self.l1)
            out[~nz] = np.maximum(-g[~nz] - self.l1, 0.0)
        else:
            out[nz] = np.abs(g[nz] + self.l1 * np.sign(w[nz]))
            out[~nz] = np.maximum(np.abs(g[~nz]) - self.l1, 0.0)
        return out

    def conjugate(self, v):
        """Convex conjugate ``g*(v)`` where it is finite (``rho < 1``).

        For ``l2 == 0`` the conjugate is the indicator of ``|v|_inf <= l1``
        (``max v <= l1`` with ``positive``); callers scale the dual point into that
        set and this returns 0.
        """
        if self.l2 == 0.0:
            return 0.0
        excess = (v - self.l1) if self.positive else (np.abs(v) - self.l1)
        excess = np.maximum(excess, 0.0)
        return float(np.vdot(excess, excess)) / (2.0 * self.l2)

    def dual_norm(self, v):
        """The quantity that must stay <= ``l1`` for ``v`` to be dual feasible."""
        if v.size == 0:
            return 0.0
        return float(np.max(v)) if self.positive else float(np.max(np.abs(v)))


def make_penalty(penalty, alpha, l1_ratio, positive=False):
    """Map the estimator parameters to an :class:`ElasticNetPenalty`."""
    if penalty is None:
        return ElasticNetPenalty(0.0, 0.0, positive)
    if penalty == "l1":
        return ElasticNetPenalty(alpha, 1.0, positive)
    if penalty == "l2":
        return ElasticNetPenalty(alpha, 0.0, positive)
    return ElasticNetPenalty(alpha, l1_ratio, positive)


def alpha_max(Xty, n_weight, l1_ratio, positive=False):
    """Smallest ``alpha`` at which every L1 / elastic-net coefficient is zero.

    Parameters
    ----------
    Xty : ndarray of shape (n_features,) or (n_features, n_targets)
        ``Xc^T diag(s) yc``: correlations of the centred, weighted data.
    n_weight : float
        ``S``, the sum of the sample weights.
    l1_ratio : float
        Must be > 0: a pure L2 penalty never gives exact zeros.
    """
    if l1_ratio <= 0:
        raise ValueError("alpha_max is only defined for l1_ratio > 0.")
    corr = np.asarray(Xty) / n_weight
    top = np.max(corr) if positive else np.max(np.abs(corr))
    return max(float(top), 0.0) / l1_ratio
