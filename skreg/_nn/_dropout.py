"""Inverted dropout masks.

During training each unit of a layer is kept independently, per sample and per
step, with probability ``keep = 1 - rate``, and a kept unit's output is divided by
``keep``.  The mask is therefore ``m = 1[u >= rate] / keep`` with ``u`` uniform on
[0, 1), and ``E[m] = 1``: the expected input of the next layer is the same as
without dropout, so nothing needs rescaling at prediction time, where no mask is
applied at all.
"""

import numpy as np


def draw_mask(rng, rate, out, uniform=None):
    """Fill ``out`` with an inverted-dropout mask and return it.

    Parameters
    ----------
    rng : numpy.random.Generator
        The source of randomness (the one made from ``random_state`` in ``fit``).
    rate : float
        Probability of dropping a unit, in (0, 1).
    out : ndarray
        C-contiguous float array of the mask's shape; receives ``0`` for dropped
        and ``1 / (1 - rate)`` for kept units.
    uniform : ndarray of float32, optional
        C-contiguous scratch array of the same shape for the uniform draws
        (drawn in float32 whatever the dtype of ``out``: half the random bits).
    """
    if uniform is None:
        uniform = np.empty(out.shape, dtype=np.float32)
    rng.random(dtype=np.float32, out=uniform)
    np.greater_equal(uniform, np.float32(rate), out=out)
    out *= out.dtype.type(1.0 / (1.0 - rate))
    return out


def drop_sparse_entries(rng, X, rate):
    """Inverted dropout on the stored entries of a sparse matrix (a new matrix).

    A zero input stays zero whether it is dropped or not, so masking the stored
    entries alone is the same as masking every entry.
    """
    X = X.copy()
    keep = rng.random(X.data.shape[0], dtype=np.float32) >= np.float32(rate)
    X.data *= keep
    X.data *= X.data.dtype.type(1.0 / (1.0 - rate))
    return X
