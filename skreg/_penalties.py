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

from dataclasses import dataclass, replace

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
        """Penalty value (the constraint is not checked).  A scalar weight costs
        one pass over ``w`` and no temporary for L2 (one BLAS dot): the networks
        evaluate it every epoch over all their weights."""
        w = np.asarray(w)
        out = 0.0
        if np.ndim(self.l1):
            out += float(np.sum(self.l1 * np.abs(w)))
        elif self.l1:
            out += self.l1 * float(np.abs(w).sum())
        if np.ndim(self.l2):
            out += 0.5 * float(np.sum(self.l2 * w * w))
        elif self.l2:
            out += 0.5 * self.l2 * float(np.dot(w.ravel(), w.ravel()))
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

# The share of the L1 term of each named penalty (the elastic net's is l1_ratio).
PENALTY_RHO = {"l1": 1.0, "l2": 0.0, None: 0.0}


def penalty_ratio(penalty, l1_ratio):
    """``rho`` of a penalty name: 1 for ``"l1"``, 0 for ``"l2"`` and None,
    ``l1_ratio`` for ``"elasticnet"``."""
    return PENALTY_RHO.get(penalty, l1_ratio)


def second_moments(problem):
    """``d_j = sum_i s_i x_ij^2 / S`` of the data behind a prepared problem
    (float64): its centred column norms over ``S`` plus the squared means.  The
    one way ``d`` is computed, for every form (rows, Gram, statistics)."""
    norms = np.asarray(problem.col_sq_norms(), dtype=np.float64)
    mean = np.asarray(problem.X_mean, dtype=np.float64)
    return norms / problem.n_weight + mean**2


@dataclass(frozen=True, eq=False)
class PenaltySpec:
    """The penalty an estimator's parameters describe, checked once; the only
    maker of :class:`ElasticNetPenalty` in skreg.

    ``at(alpha, moments)`` is the penalty at ``alpha``:

    .. math::

        \\alpha \\sum_j f_j \\Big( \\rho |w_j| + \\frac{1 - \\rho}{2} w_j^2 \\Big)
        + \\frac12 \\frac{q}{1 - q} \\sum_j d_j w_j^2,

    with ``d`` the raw second moments of the training data (``moments``, from
    :func:`second_moments`; needed only with a dropout term).  ``pure`` is
    pure dropout searched as an L2 path: the grid's values are ``alpha = q / (1 -
    q)`` and the penalty is ``alpha / 2 sum_j d_j w_j^2``.

    Attributes
    ----------
    rho : float
        The share of the L1 term (``l1_ratio``; 1 for ``"l1"``, 0 for ``"l2"``).
    positive : bool
        Constrain the coefficients to be non-negative.
    factor : ndarray of shape (n_features,) or None
        Penalty factors ``f_j >= 0`` (None: all ones).
    dropout : float
        The input-dropout rate ``q`` in [0, 1).
    scaled : bool
        False for ``penalty=None``: no ``alpha`` term.
    pure : bool
        Pure dropout as an L2 path over ``q / (1 - q)``.
    """

    rho: float = 1.0
    positive: bool = False
    factor: object = None
    dropout: float = 0.0
    scaled: bool = True
    pure: bool = False

    def __post_init__(self):
        if (self.positive and self.scaled and not self.dropout and not self.pure
                and self.factor is not None and np.any(np.asarray(self.factor) == 0)):
            raise ValueError(
                "positive=True with penalty_factor zeros (unpenalised features) is "
                "not supported: they are partialled out exactly, which cannot keep "
                "them non-negative. Give them a small positive penalty_factor."
            )

    @classmethod
    def from_params(cls, penalty, l1_ratio=0.5, positive=False, factor=None,
                    dropout=0.0):
        """The spec of an estimator's ``penalty``, ``l1_ratio``, ``positive``,
        resolved ``penalty_factor`` and ``dropout``."""
        return cls(float(penalty_ratio(penalty, l1_ratio)), bool(positive), factor,
                   float(dropout), scaled=penalty is not None)

    @classmethod
    def pure_dropout(cls, positive=False):
        """Pure dropout, searched as an L2 path over ``q / (1 - q)``."""
        return cls(0.0, bool(positive), None, 0.0, scaled=False, pure=True)

    def but(self, **changes):
        """The same spec with some fields changed (another ``rho`` or rate)."""
        return replace(self, **changes)

    @property
    def needs_moments(self):
        """True when the penalty depends on the data's second moments ``d``."""
        return self.pure or self.dropout > 0

    def has_l1(self, alpha=1.0):
        """True when the penalty at ``alpha`` has an L1 part on some feature."""
        factor_on = self.factor is None or bool(np.any(np.asarray(self.factor) > 0))
        return self.scaled and self.rho > 0 and alpha > 0 and factor_on

    def is_smooth(self, alpha=1.0):
        """True when the objective at ``alpha`` is smooth: no L1 part, no
        constraint (what the closed forms and conjugate gradients need)."""
        return not self.has_l1(alpha) and not self.positive

    def ridge(self, moments):
        """The dropout term's per-feature L2 weights ``q / (1 - q) d`` (None
        without dropout)."""
        if not self.dropout:
            return None
        return self.dropout / (1.0 - self.dropout) * np.asarray(moments)

    def at(self, alpha, moments=None):
        """The :class:`ElasticNetPenalty` at ``alpha``; ``moments`` are the
        training data's ``d`` (required when :attr:`needs_moments`)."""
        if self.pure:
            return ElasticNetPenalty(alpha, 0.0, self.positive, moments)
        return ElasticNetPenalty(alpha if self.scaled else 0.0, self.rho,
                                 self.positive, self.factor, self.ridge(moments))

    def on(self, problem):
        """``penalty_of(alpha)`` for fits on the data behind ``problem`` (its
        second moments computed once)."""
        moments = second_moments(problem) if self.needs_moments else None
        return lambda alpha: self.at(alpha, moments)


def rate_grid(rates):
    """Dropout rates as the grid of a pure-dropout L2 path: ``q / (1 - q)``."""
    rates = np.asarray(rates, dtype=np.float64)
    return rates / (1.0 - rates)


def penalty_from_weights(l1, l2, positive):
    """A penalty with the given per-coordinate L1 and L2 weights: a solver's
    inner problem, whose weights are the outer ones rescaled and restricted
    (the classifier's prox-Newton), or a penalty of zero."""
    return ElasticNetPenalty(1.0, 1.0, positive, factor=np.asarray(l1, dtype=np.float64),
                             ridge=np.asarray(l2, dtype=np.float64))


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
