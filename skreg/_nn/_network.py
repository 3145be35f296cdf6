"""A fully connected network as pure functions of (parameters, inputs, masks).

The parameters of all layers live in one flat vector ``theta``: the weights of
every layer first (so an L1 or L2 penalty and its proximal step act on one
contiguous slice), then the biases.  :class:`Layout` hands out views into it.

Layer ``i`` maps ``A_i`` (``n x units[i]``) to ``Z_{i+1} = A_i W_i + b_i``.  A
hidden layer's output is ``A_{i+1} = f(Z_{i+1}) * m_{i+1}`` with the dropout mask
``m`` (see ``_dropout``); the last layer's ``Z`` are the output's
pre-activations, turned into a loss by one of ``_losses.LOSSES``.
"""

import numpy as np
import scipy.sparse as sp

from ._activations import ACTIVATIONS, DERIVATIVES

_INIT_CHUNK = 16384     # entries drawn at a time by init_params


class Layout:
    """Shapes and offsets of the parameters of a network with ``layer_units``.

    Parameters
    ----------
    layer_units : sequence of int
        Inputs, each hidden layer's width, outputs.
    """

    def __init__(self, layer_units):
        self.layer_units = tuple(int(u) for u in layer_units)
        self.coef_shapes = list(zip(self.layer_units[:-1], self.layer_units[1:]))
        self.n_weights = sum(a * b for a, b in self.coef_shapes)
        self.size = self.n_weights + sum(self.layer_units[1:])

    def views(self, theta):
        """Lists of weight matrices and bias vectors viewing into ``theta``."""
        coefs, intercepts = [], []
        w_start, b_start = 0, self.n_weights
        for fan_in, fan_out in self.coef_shapes:
            w_stop = w_start + fan_in * fan_out
            coefs.append(theta[w_start:w_stop].reshape(fan_in, fan_out))
            intercepts.append(theta[b_start:b_start + fan_out])
            w_start, b_start = w_stop, b_start + fan_out
        return coefs, intercepts

    def pack(self, coefs, intercepts, dtype):
        """A new flat vector holding copies of ``coefs`` and ``intercepts``."""
        theta = np.empty(self.size, dtype=dtype)
        for dst, src in zip(sum(self.views(theta), []), list(coefs) + list(intercepts)):
            dst[...] = src
        return theta


def init_params(layout, activation, rng, dtype):
    """Glorot-uniform weights and biases (scikit-learn's MLP initialisation).

    Every weight and bias of the layer ``fan_in -> fan_out`` is drawn uniformly
    from ``[-r, r]`` with ``r = sqrt(c / (fan_in + fan_out))``, ``c = 2`` for the
    logistic activation and ``6`` otherwise.
    """
    theta = np.empty(layout.size, dtype=dtype)
    factor = 2.0 if activation == "logistic" else 6.0
    for W, b in zip(*layout.views(theta)):
        bound = np.sqrt(factor / (W.shape[0] + W.shape[1]))
        _fill_uniform(rng, bound, W)
        _fill_uniform(rng, bound, b)
    return theta


def _fill_uniform(rng, bound, out):
    """``out[...] = rng.uniform(-bound, bound, out.shape)``, drawn in chunks.

    The same numbers in the same order (the generator draws them one after
    the other), without a float64 temporary the size of ``out``.
    """
    flat = out.reshape(-1)
    for start in range(0, flat.size, _INIT_CHUNK):
        chunk = flat[start:start + _INIT_CHUNK]
        chunk[...] = rng.uniform(-bound, bound, chunk.size)


def _dot(A, B, out=None):
    """``A @ B`` for dense or sparse ``A``, into ``out`` when given."""
    if sp.issparse(A):
        result = A @ B
        if out is None:
            return np.asarray(result)
        out[...] = result
        return out
    if out is None:
        return A @ B
    return np.matmul(A, B, out=out)


def _dot_transposed(delta, W, out=None):
    """``delta @ W.T``; an outer product when ``delta`` has one column.

    numpy's matmul with an inner dimension of 1 (one output unit: a regressor,
    a binary classifier) takes about as long as with 10, and two to three times
    as long as the broadcast product, which gives the same numbers.
    """
    if delta.shape[1] == 1:
        return np.multiply(delta, W.T, out=out)
    return _dot(delta, W.T, out)


def forward(coefs, intercepts, X, activation, masks=None, out=None):
    """Forward pass; returns ``[X, A_1, ..., A_{L-1}, Z_L]``.

    Parameters
    ----------
    coefs, intercepts : lists of ndarray
        Weights ``W_i`` of shape ``(units[i], units[i+1])`` and biases.
    X : ndarray or sparse matrix of shape (n_samples, units[0])
        The input, after input dropout if any.
    activation : str
        Hidden activation, a key of ``ACTIVATIONS``.
    masks : list of (ndarray or None), optional
        One inverted-dropout mask per hidden layer (``None``: no dropout there).
    out : list of ndarray, optional
        Preallocated arrays for ``Z_1 .. Z_L`` (overwritten).

    Returns
    -------
    acts : list of ndarray
        The input, each hidden layer's output after dropout, and the logits.
    """
    f = ACTIVATIONS[activation]
    n_layers = len(coefs)
    acts = [X]
    for i in range(n_layers):
        Z = _dot(acts[-1], coefs[i], None if out is None else out[i])
        Z += intercepts[i]
        if i < n_layers - 1:
            f(Z)
            if masks is not None and masks[i] is not None:
                Z *= masks[i]
        acts.append(Z)
    return acts


def backward(coefs, acts, delta, activation, grad_coefs, grad_intercepts,
             masks=None, keeps=None, out=None):
    """Backward pass: fill the gradients of the loss with respect to the parameters.

    Parameters
    ----------
    coefs : list of ndarray
        The weights used in the forward pass.
    acts : list
        What :func:`forward` returned.
    delta : ndarray of shape (n_samples, units[-1])
        Gradient of the loss with respect to the logits ``Z_L`` (as filled by
        one of ``_losses.LOSSES``; sample weights already applied).
    activation : str
        Hidden activation.
    grad_coefs, grad_intercepts : lists of ndarray
        Receive the gradients (overwritten).
    masks : list of (ndarray or None), optional
        The dropout masks of the forward pass.
    keeps : list of float, optional
        Keep probability of each hidden layer (1 without dropout).
    out : list of ndarray, optional
        Preallocated arrays for the hidden layers' deltas.
    """
    derivative = DERIVATIVES[activation]
    for i in range(len(coefs) - 1, -1, -1):
        A = acts[i]
        if sp.issparse(A):
            grad_coefs[i][...] = A.T @ delta
        else:
            np.matmul(A.T, delta, out=grad_coefs[i])
        np.sum(delta, axis=0, out=grad_intercepts[i])
        if i == 0:
            break
        prev = _dot_transposed(delta, coefs[i], None if out is None else out[i - 1])
        keep = 1.0
        if masks is not None and masks[i - 1] is not None:
            prev *= masks[i - 1]
            keep = keeps[i - 1]
        derivative(A, prev, keep)
        delta = prev


def finite_forward(coefs, intercepts, X, activation, masks=None, shift=False):
    """The output layer's pre-activations for prediction, never NaN.

    :func:`forward` in floating point can overflow for finite but huge
    parameters (after a diverged fit): a logit becomes ``inf``, or ``nan`` when
    an overflowing sum meets ``inf - inf``, and a softmax of it is ``nan``.  The
    rows where that happens are recomputed by :func:`_forward_scaled`, which
    carries each row as ``exp(log_scale) * Z'`` with ``max |Z'| = 1``, and
    mapped back to logits that are finite or ``+-inf`` in the right direction.

    Parameters
    ----------
    coefs, intercepts, X, activation, masks
        As for :func:`forward`.
    shift : bool, default=False
        Return the recomputed rows minus their maximum (``0`` for the largest
        logit, finite or ``-inf`` for the others), which leaves a softmax and an
        argmax unchanged; ``False`` returns the logits themselves (for an
        identity or logistic output).

    Returns
    -------
    Z : ndarray of shape (n_samples, units[-1])
    """
    with np.errstate(over="ignore", invalid="ignore"):
        Z = forward(coefs, intercepts, X, activation, masks)[-1]
        bad = ~np.all(np.isfinite(Z), axis=1)
    if not bad.any():
        return Z
    rows = np.flatnonzero(bad)
    row_masks = None if masks is None else [
        None if m is None else m[rows] for m in masks]
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        Zs, log_scale = _forward_scaled(coefs, intercepts, X[rows], activation,
                                        row_masks)
        if shift:
            Zs = Zs - Zs.max(axis=1, keepdims=True)
        Z[rows] = _unscale(Zs, log_scale)
    return Z


def _unscale(Zs, log_scale):
    """``exp(log_scale) * Zs`` row by row, with ``0 * inf`` read as 0."""
    scaled = Zs * np.exp(log_scale)[:, None]
    return np.where(Zs == 0, 0, scaled).astype(Zs.dtype, copy=False)


def _normalise(Z, log_scale):
    """Divide each row of ``Z`` by its largest absolute value when above 1 (logged)."""
    s = np.maximum(np.max(np.abs(Z), axis=1), 1.0)
    Z /= s[:, None]
    log_scale += np.log(s)
    return Z


def _forward_scaled(coefs, intercepts, X, activation, masks):
    """Forward pass in the per-row scaled form ``exp(log_scale) * Z'``, in float64.

    ``relu`` and ``identity`` commute with a positive scale (``f(cz) = c f(z)``),
    so a scale is carried through them; ``tanh`` and ``logistic`` are evaluated
    on the actual values (which may be ``+-inf``: their outputs stay bounded).
    Biases are divided by the scale of their row, inputs and weights by their
    largest absolute value (when above 1), so no product overflows and the
    scales stay >= 1.
    """
    A = X.toarray() if sp.issparse(X) else np.asarray(X)
    A = A.astype(np.float64)
    log_scale = np.zeros(A.shape[0])
    A = _normalise(A, log_scale)
    n_layers = len(coefs)
    for i in range(n_layers):
        W = np.asarray(coefs[i], dtype=np.float64)
        w = max(float(np.max(np.abs(W), initial=0.0)), 1.0)
        log_scale += np.log(w)
        Z = A @ (W / w)
        Z += np.exp(-log_scale)[:, None] * intercepts[i]
        Z = _normalise(Z, log_scale)
        if i == n_layers - 1:
            return Z, log_scale
        if activation in ("tanh", "logistic"):
            Z = _unscale(Z, log_scale)
            log_scale[:] = 0
        ACTIVATIONS[activation](Z)
        if masks is not None and masks[i] is not None:
            Z *= masks[i]
        A = _normalise(Z, log_scale)
    return A, log_scale
