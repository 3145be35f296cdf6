"""Output layers and their losses, as registries.

``LOSSES[name](Z, Y, weights)`` returns the weighted data loss of the output
layer's pre-activations ``Z`` (the logits, or the predictions of an identity
output) and overwrites ``Z`` with the gradient of that loss in ``Z``:

- ``"logistic"``: one sigmoid per output column, the binary cross-entropy
  ``log(1 + e^z) - y z`` summed over the columns (two classes: one column;
  multilabel: one column per label); ``Y`` is a 0/1 float array
  ``(n_samples, n_outputs)``;
- ``"softmax"``: ``logsumexp(z) - z_y``; ``Y`` holds each sample's class index;
- ``"squared_error"``: ``1/2 ||y - z||^2`` summed over the outputs; ``Y`` is a
  float array ``(n_samples, n_outputs)``;
- ``"poisson"``: half the Poisson deviance with a log link, ``mu = e^z``,
  ``y log(y / mu) - y + mu`` summed over the outputs (scikit-learn's
  ``poisson_loss``, constant ``y log y - y`` included); ``Y`` is a non-negative
  float array ``(n_samples, n_outputs)``.

Each loss is computed from ``Z`` without clipping.  The weighted loss is
``sum_i weights_i * loss_i`` (``weights = 1/n`` for a plain mean), so the
gradient in ``Z`` is ``weights_i * (output(z_i) - y_i)`` for all four: each is
the canonical loss of its output function.

``OUTPUTS[name](Z)`` maps pre-activations to predictions (probabilities for the
first two, the mean ``e^z`` for ``"exp"``); ``OUTPUT_OF[loss]`` names the output
function of a loss.
"""

import numpy as np
from scipy.special import expit, xlogy


def _as_weights(weights, Z):
    if np.ndim(weights) == 0:
        return Z.dtype.type(weights), True
    return weights, False


def _finish(losses, weights, scalar):
    if scalar:
        return float(losses.sum()) * float(weights)
    return float(np.dot(weights, losses))


def logistic_loss(Z, Y, weights):
    """Binary cross-entropy of each output column, summed over the columns."""
    weights, scalar = _as_weights(weights, Z)
    losses = np.logaddexp(0, Z)
    losses -= Y * Z
    losses = losses.sum(axis=1)
    expit(Z, out=Z)
    Z -= Y
    Z *= weights if scalar else weights[:, None]
    return _finish(losses, weights, scalar)


def softmax_loss(Z, y, weights):
    """Softmax cross-entropy ``logsumexp(z) - z_y`` of integer class indices."""
    weights, scalar = _as_weights(weights, Z)
    rows = np.arange(Z.shape[0])
    Z -= Z.max(axis=1, keepdims=True)
    losses = -Z[rows, y]
    np.exp(Z, out=Z)
    total = Z.sum(axis=1)
    losses += np.log(total)
    np.divide(weights, total, out=total)
    Z *= total[:, None]
    Z[rows, y] -= weights
    return _finish(losses, weights, scalar)


def squared_loss(Z, Y, weights):
    """Half the squared error ``1/2 ||y - z||^2``, summed over the outputs."""
    weights, scalar = _as_weights(weights, Z)
    Z -= Y
    losses = 0.5 * np.einsum("ij,ij->i", Z, Z)
    Z *= weights if scalar else weights[:, None]
    return _finish(losses, weights, scalar)


def poisson_loss(Z, Y, weights):
    """Half the Poisson deviance of ``mu = e^z``, summed over the outputs."""
    weights, scalar = _as_weights(weights, Z)
    mu = np.exp(Z)
    losses = (mu - Y * Z + (xlogy(Y, Y) - Y)).sum(axis=1)
    np.subtract(mu, Y, out=Z)
    Z *= weights if scalar else weights[:, None]
    return _finish(losses, weights, scalar)


def _logistic_output(Z):
    return expit(Z)


def _softmax_output(Z):
    with np.errstate(over="ignore"):        # a difference beyond the range: -inf
        Z = Z - Z.max(axis=1, keepdims=True)
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=1, keepdims=True)
    return Z


def _identity_output(Z):
    return Z


def _exp_output(Z):
    return np.exp(Z)


LOSSES = {
    "logistic": logistic_loss,
    "softmax": softmax_loss,
    "squared_error": squared_loss,
    "poisson": poisson_loss,
}

OUTPUTS = {
    "logistic": _logistic_output,
    "softmax": _softmax_output,
    "identity": _identity_output,
    "exp": _exp_output,
}

OUTPUT_OF = {"logistic": "logistic", "softmax": "softmax", "squared_error": "identity",
             "poisson": "exp"}


def class_probabilities(Z):
    """Class probabilities from the logits of a single-label classifier.

    Softmax for several columns; ``[1 - p, p]`` for one logistic column,
    ``1 - p`` computed as ``expit(-z)`` so that it does not round to zero.
    """
    if Z.shape[1] == 1:
        return np.column_stack([expit(-Z[:, 0]), expit(Z[:, 0])])
    return _softmax_output(Z)
