"""Inverted dropout masks.

During training each unit of a layer is kept independently, per sample and per
step, with probability ``keep = 1 - rate``, and a kept unit's output is divided by
``keep``.  The mask is therefore ``m = 1[u >= rate] / keep`` with ``u`` uniform on
[0, 1), and ``E[m] = 1``: the expected input of the next layer is the same as
without dropout, so nothing needs rescaling at prediction time, where no mask is
applied at all.

The uniform draws are raw 32-bit integers ``k`` from the generator's bit stream,
compared with ``ceil(rate * 2**32)``: the same as comparing ``k / 2**32`` with
``rate``, at half the cost of drawing floats (the keep probability is exact to
``2**-32``).
"""

import numpy as np


def _threshold(rate):
    return np.uint32(min(int(np.ceil(rate * 2.0**32)), 2**32 - 1))


def _raw_uint32(rng, n):
    """``n`` independent uniform 32-bit integers from ``rng``'s bit stream."""
    return rng.bit_generator.random_raw((n + 1) // 2).view(np.uint32)[:n]


def draw_mask(rng, rate, out):
    """Fill ``out`` with an inverted-dropout mask and return it.

    Parameters
    ----------
    rng : numpy.random.Generator
        The source of randomness (the one made from ``random_state`` in ``fit``).
    rate : float
        Probability of dropping a unit, in (0, 1).
    out : ndarray
        Float array of the mask's shape; receives ``0`` for dropped and
        ``1 / (1 - rate)`` for kept units.
    """
    raw = _raw_uint32(rng, out.size).reshape(out.shape)
    np.greater_equal(raw, _threshold(rate), out=out)
    out *= out.dtype.type(1.0 / (1.0 - rate))
    return out


def drop_sparse_entries(rng, X, rate):
    """Inverted dropout on the stored entries of a sparse matrix (a new matrix).

    A zero input stays zero whether it is dropped or not, so masking the stored
    entries alone is the same as masking every entry.
    """
    X = X.copy()
    keep = _raw_uint32(rng, X.data.shape[0]) >= _threshold(rate)
    X.data *= keep
    X.data *= X.data.dtype.type(1.0 / (1.0 - rate))
    return X
