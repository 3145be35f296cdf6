"""Stochastic optimizers acting in place on the flat parameter vector.

Both take the gradient of the smooth part of the objective (the data loss and
the L2 part of the penalty) and then apply the proximal step of the L1 part to
the weights, so L1 produces exact zeros instead of oscillating around them.  The
threshold is the step the optimizer takes per unit of gradient: Adam's own
per-coordinate step size, and for SGD the step size times ``1 / (1 - momentum)``,
so that in both cases the fixed points satisfy the objective's optimality
condition (a weight is zero exactly where its data gradient is below the L1
strength).  Their update
rules for the smooth part are scikit-learn's (``SGDOptimizer``,
``AdamOptimizer``), so a step can be compared with it.
"""

import numpy as np


def _soft_threshold(w, threshold, scratch):
    """``w <- sign(w) * max(|w| - threshold, 0)`` in place."""
    np.abs(w, out=scratch)
    scratch -= threshold
    np.maximum(scratch, 0, out=scratch)
    np.copysign(scratch, w, out=w)


class Adam:
    """Adam (Kingma and Ba), with bias correction folded into the step size.

    Parameters
    ----------
    size : int
        Number of parameters.
    dtype : dtype
        Their dtype.
    learning_rate_init, beta_1, beta_2, epsilon : float
        As in scikit-learn's MLPClassifier.
    """

    def __init__(self, size, dtype, learning_rate_init, beta_1, beta_2, epsilon):
        self.learning_rate_init = learning_rate_init
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.m = np.zeros(size, dtype=dtype)
        self.v = np.zeros(size, dtype=dtype)
        self.t = 0

    def step(self, theta, grad, l1=0.0, n_weights=0, scratch=None):
        """One update of ``theta`` in place; ``grad`` is used as scratch.

        ``l1`` is the L1 strength applied by a proximal step to ``theta[:n_weights]``.
        """
        b1, b2 = self.beta_1, self.beta_2
        self.t += 1
        lr = (self.learning_rate_init * np.sqrt(1.0 - b2 ** self.t)
              / (1.0 - b1 ** self.t))
        dt = theta.dtype.type
        m, v = self.m, self.v
        if scratch is None:
            scratch = np.empty_like(theta)
        m *= dt(b1)
        np.multiply(grad, dt(1.0 - b1), out=scratch)
        m += scratch
        v *= dt(b2)
        np.square(grad, out=grad)
        grad *= dt(1.0 - b2)
        v += grad
        np.sqrt(v, out=grad)
        grad += dt(self.epsilon)          # grad now holds the denominator
        np.divide(m, grad, out=scratch)
        scratch *= dt(lr)
        theta -= scratch
        if l1 > 0:
            thresholds = np.divide(dt(lr * l1), grad[:n_weights], out=grad[:n_weights])
            _soft_threshold(theta[:n_weights], thresholds, scratch[:n_weights])

    def on_epoch_end(self, t):
        """Nothing to schedule."""

    def on_plateau(self):
        """Adam has no schedule to lower: stop."""
        return True


class SGD:
    """Stochastic gradient descent with (Nesterov) momentum.

    Parameters
    ----------
    size : int
        Number of parameters.
    dtype : dtype
        Their dtype.
    learning_rate_init : float
        Initial step size.
    learning_rate : {"constant", "invscaling", "adaptive"}
        ``"invscaling"`` uses ``learning_rate_init / (t + 1) ** power_t`` after
        ``t`` samples; ``"adaptive"`` divides the step by 5 each time training
        stalls, stopping once it falls below 1e-6.
    momentum : float
        Momentum in [0, 1].
    nesterov : bool
        Nesterov's momentum.
    power_t : float
        Exponent of ``"invscaling"``.
    """

    def __init__(self, size, dtype, learning_rate_init, learning_rate, momentum,
                 nesterov, power_t):
        self.learning_rate_init = learning_rate_init
        self.lr = learning_rate_init
        self.schedule = learning_rate
        self.momentum, self.nesterov, self.power_t = momentum, nesterov, power_t
        self.velocity = np.zeros(size, dtype=dtype)

    def step(self, theta, grad, l1=0.0, n_weights=0, scratch=None):
        """One update of ``theta`` in place; ``grad`` is used as scratch."""
        dt = theta.dtype.type
        vel, mu, lr = self.velocity, dt(self.momentum), dt(self.lr)
        grad *= lr
        vel *= mu
        vel -= grad
        if self.nesterov:
            if scratch is None:
                scratch = np.empty_like(theta)
            np.multiply(vel, mu, out=scratch)
            scratch -= grad
            theta += scratch
        else:
            theta += vel
        if l1 > 0:
            if scratch is None:
                scratch = np.empty_like(theta)
            # Momentum moves a weight by lr * g / (1 - momentum) per step in steady
            # state; shrinking by lr * l1 / (1 - momentum) puts the fixed points
            # where |g| = l1, the optimality condition of the objective.
            amplification = 1.0 / (1.0 - self.momentum) if self.momentum < 1 else 1.0
            _soft_threshold(theta[:n_weights], dt(self.lr * l1 * amplification),
                            scratch[:n_weights])

    def on_epoch_end(self, t):
        """Apply the inverse-scaling schedule after ``t`` samples."""
        if self.schedule == "invscaling":
            self.lr = self.learning_rate_init / (t + 1) ** self.power_t

    def on_plateau(self):
        """Lower the step when adaptive; return True when training should stop."""
        if self.schedule != "adaptive" or self.lr <= 1e-6:
            return True
        self.lr /= 5.0
        return False


def max_norm_project(W, max_norm):
    """Scale each column of ``W`` (a unit's incoming weights) to norm <= max_norm."""
    norms = np.sqrt(np.einsum("ij,ij->j", W, W))
    too_long = norms > max_norm
    if np.any(too_long):
        W[:, too_long] *= (max_norm / norms[too_long]).astype(W.dtype)
