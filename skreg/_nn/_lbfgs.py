"""Full-batch training by L-BFGS-B, as pure functions.

:func:`full_batch_objective` gives the objective of the whole training set,
``sum_i w_i loss_i + l2/2 ||W||^2`` (``w_i = s_i / S``), and its gradient as a
function of the flat parameter vector.  :func:`minimize_lbfgs` minimises it,
plus ``l1 ||W||_1`` when ``l1 > 0``, with scipy's L-BFGS-B.

The L1 term is handled exactly, not smoothed: the weights are split into
non-negative parts, ``W = U - V`` with ``U, V >= 0``, and
``l1 ||W||_1`` becomes the linear term ``l1 * sum(U + V)`` under the bounds that
L-BFGS-B supports.  At a solution ``min(U, V) = 0`` entrywise (otherwise lowering
both would lower the objective), so the split problem has the minimum of the
original one, and weights whose parts both sit on the bound are exactly zero.
"""

import math

import numpy as np
from scipy.optimize import minimize

from ._losses import LOSSES
from ._network import backward, forward


def full_batch_objective(layout, activation, loss, X, Y, weights, l2):
    """``theta -> (value, gradient)`` of the smooth full-batch objective.

    Parameters
    ----------
    layout : Layout
        The network's shape.
    activation : str
        Hidden activation.
    loss : str
        Output loss, a key of ``_losses.LOSSES``.
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Training inputs.
    Y : ndarray
        Training targets in the loss's encoding.
    weights : float or ndarray of shape (n_samples,)
        Each sample's weight in the mean (summing to one).
    l2 : float
        Strength of the ``l2/2 ||W||^2`` term on the weights.
    """
    loss_fn = LOSSES[loss]
    nw = layout.n_weights

    def objective(theta):
        grad = np.empty_like(theta)
        coefs, intercepts = layout.views(theta)
        acts = forward(coefs, intercepts, X, activation)
        value = loss_fn(acts[-1], Y, weights)
        backward(coefs, acts, acts[-1], activation, *layout.views(grad))
        if l2 > 0:
            W = theta[:nw]
            value += 0.5 * l2 * float(W @ W)
            grad[:nw] += l2 * W
        return value, grad

    return objective


class LbfgsResult:
    """What :func:`minimize_lbfgs` found.

    Attributes
    ----------
    theta : ndarray
        The parameters: the solver's final point, or with ``interrupted`` the
        best point evaluated so far.
    losses : list of float
        The objective after each iteration.
    n_iter : int
        Iterations completed.
    converged : bool
        True when the projected gradient fell below ``tol``.
    message : str
        The solver's reason for stopping.
    interrupted : bool
        True when a KeyboardInterrupt stopped the solver.
    """

    def __init__(self, theta, losses, n_iter, converged, message, interrupted):
        self.theta, self.losses, self.n_iter = theta, losses, n_iter
        self.converged, self.message = converged, message
        self.interrupted = interrupted


def minimize_lbfgs(objective, theta0, n_weights, l1, max_iter, max_fun, tol,
                   verbose=False):
    """Minimise ``objective(theta) + l1 * ||theta[:n_weights]||_1`` by L-BFGS-B.

    Parameters
    ----------
    objective : callable
        ``theta -> (value, gradient)``, e.g. from :func:`full_batch_objective`.
    theta0 : ndarray of float64
        Starting point (not modified).
    n_weights : int
        The L1 term covers ``theta[:n_weights]`` (the weights, not the biases).
    l1 : float
        L1 strength; 0 for none.
    max_iter, max_fun : int
        Most iterations and function evaluations.
    tol : float
        Stop when the largest projected-gradient entry is at most ``tol``.
    verbose : bool
        Print the objective after every iteration.

    Returns
    -------
    result : LbfgsResult
    """
    nw = n_weights
    split = l1 > 0
    if split:
        z0 = np.concatenate([np.maximum(theta0[:nw], 0), np.maximum(-theta0[:nw], 0),
                             theta0[nw:]])
        bounds = [(0, None)] * (2 * nw) + [(None, None)] * (theta0.size - nw)
    else:
        z0, bounds = theta0.copy(), None

    def to_theta(z):
        if not split:
            return z
        return np.concatenate([z[:nw] - z[nw:2 * nw], z[2 * nw:]])

    best = {"value": math.inf, "theta": theta0.copy()}

    def fun(z):
        theta = to_theta(z)
        value, grad = objective(theta)
        if split:
            value += l1 * float(z[:2 * nw].sum())
            g_w = grad[:nw]
            grad = np.concatenate([g_w + l1, l1 - g_w, grad[nw:]])
        if value < best["value"]:           # False for NaN
            best["value"], best["theta"] = value, theta.copy()
        return value, grad

    losses = []

    def callback(intermediate_result):
        losses.append(float(intermediate_result.fun))
        if verbose:
            print(f"Iteration {len(losses)}, loss = {losses[-1]:.8f}")

    try:
        res = minimize(fun, z0, method="L-BFGS-B", jac=True, bounds=bounds,
                       callback=callback,
                       options={"maxiter": max_iter, "maxfun": max_fun, "gtol": tol})
    except KeyboardInterrupt:
        return LbfgsResult(best["theta"], losses, len(losses), False,
                           "interrupted by the user", True)
    theta = to_theta(res.x)
    if not (math.isfinite(res.fun) and np.all(np.isfinite(theta))):
        theta = best["theta"]
    return LbfgsResult(theta, losses, min(int(res.nit), max_iter), res.status == 0,
                       str(res.message), False)
