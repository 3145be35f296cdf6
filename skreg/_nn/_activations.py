"""Hidden-layer activations as registries of in-place functions.

``ACTIVATIONS[name](z)`` overwrites the pre-activation ``z`` with ``f(z)``.
``DERIVATIVES[name](a, delta, keep)`` multiplies ``delta`` in place by ``f'(z)``,
written in terms of the layer's output after dropout, ``a = f(z) * m`` with the
inverted-dropout mask ``m`` in ``{0, 1/keep}``.  Where a unit was dropped the
caller has already zeroed ``delta``, so only kept units matter there, and for
them ``f(z) = a * keep``.  Without dropout ``keep = 1``.
"""

import numpy as np
from scipy.special import expit


def _identity(z):
    return z


def _relu(z):
    return np.maximum(z, 0, out=z)


def _tanh(z):
    return np.tanh(z, out=z)


def _logistic(z):
    return expit(z, out=z)


def _identity_derivative(a, delta, keep):
    return delta


def _relu_derivative(a, delta, keep):
    # f'(z) = 1[z > 0]; a kept unit has a > 0 exactly when z > 0.
    return np.multiply(delta, a > 0, out=delta)


def _tanh_derivative(a, delta, keep):
    # f'(z) = 1 - f(z)^2 with f(z) = a * keep.
    fz = a * keep if keep != 1.0 else a.copy()
    np.square(fz, out=fz)
    np.subtract(1, fz, out=fz)
    return np.multiply(delta, fz, out=delta)


def _logistic_derivative(a, delta, keep):
    # f'(z) = f(z) (1 - f(z)) with f(z) = a * keep.
    fz = a * keep if keep != 1.0 else a.copy()
    delta *= fz
    np.subtract(1, fz, out=fz)
    return np.multiply(delta, fz, out=delta)


ACTIVATIONS = {
    "identity": _identity,
    "logistic": _logistic,
    "tanh": _tanh,
    "relu": _relu,
}

DERIVATIVES = {
    "identity": _identity_derivative,
    "logistic": _logistic_derivative,
    "tanh": _tanh_derivative,
    "relu": _relu_derivative,
}
