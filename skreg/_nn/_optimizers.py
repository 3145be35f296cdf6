"""Stochastic optimizers acting in place on the flat parameter vector.

Each step takes the gradient of the data loss, adds the gradient of the L2 part of
the penalty (``l2 * w`` on the weights), makes the optimizer's update, and then
applies the proximal step of the L1 part to the weights, so L1 produces exact
zeros instead of oscillating around them.  The L1 threshold is the step the
optimizer takes per unit of gradient: Adam's own per-coordinate step size, and
for SGD the step size times ``1 / (1 - momentum)``, so that in both cases the
fixed points satisfy the objective's optimality condition (a weight is zero
exactly where its data gradient is below the L1 strength).  The update rules
for the smooth part are scikit-learn's (``SGDOptimizer``, ``AdamOptimizer``), so
a step can be compared with it.

The vector is updated in blocks of ``BLOCK_BYTES`` bytes per array (16384
float64 or 32768 float32 entries), so that the dozen element-wise passes of an
update run on data that stays in cache.

An optimizer's running state (moments, step count, current step size) goes in
and out as a plain dict of arrays and numbers (:meth:`Adam.state`,
:func:`make_optimizer`), which is what an estimator stores between calls: no
object of this module ends up in a fitted estimator.
"""

import numpy as np

BLOCK_BYTES = 131072


def _soft_threshold(w, threshold, scratch):
    """``w <- sign(w) * max(|w| - threshold, 0)`` in place."""
    np.abs(w, out=scratch)
    scratch -= threshold
    np.maximum(scratch, 0, out=scratch)
    np.copysign(scratch, w, out=w)


def _block_length(itemsize):
    return BLOCK_BYTES // itemsize


def block_scratch(size, dtype):
    """Scratch space for :meth:`Adam.step` and :meth:`SGD.step`: one block.

    The updates use their scratch one block at a time, so one block of the
    vector's length (or the whole vector when shorter) is enough.
    """
    return np.empty(min(size, _block_length(np.dtype(dtype).itemsize)), dtype=dtype)


def _blocks(size, n_weights, itemsize):
    """``(start, stop, weights_in_block)`` for each block of the vector."""
    block = _block_length(itemsize)
    for start in range(0, size, block):
        stop = min(start + block, size)
        yield start, stop, min(max(n_weights - start, 0), stop - start)


def _add_l2(theta, grad, scratch, nw, l2):
    if l2 > 0 and nw:
        np.multiply(theta[:nw], l2, out=scratch[:nw])
        grad[:nw] += scratch[:nw]


class Adam:
    """Adam (Kingma and Ba), with bias correction folded into the step size.

    The moments are stored unnormalised, ``m / (1 - beta_1)`` and
    ``v / (1 - beta_2)``, which saves two passes per step; the constants are
    folded into the step size and ``epsilon``, so the update is the usual
    ``lr_t * m / (sqrt(v) + epsilon)``.

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
        # One allocation for both (huge pages from 4 MiB on: fewer page faults).
        self.m, self.v = np.zeros((2, size), dtype=dtype)
        self.t = 0

    def step(self, theta, grad, n_weights, l2=0.0, l1=0.0, scratch=None):
        """One update of ``theta`` in place; ``grad`` (the data gradient) is clobbered.

        ``l2`` and ``l1`` are the penalty strengths on ``theta[:n_weights]``;
        ``scratch`` is at least as long as :func:`block_scratch` makes it.
        """
        b1, b2 = self.beta_1, self.beta_2
        self.t += 1
        # lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t) as in scikit-learn, times the
        # factors of the unnormalised moments.
        lr = (self.learning_rate_init * np.sqrt(1.0 - b2 ** self.t)
              / (1.0 - b1 ** self.t))
        sqrt_c2 = np.sqrt(1.0 - b2)
        dt = theta.dtype.type
        step = dt(lr * (1.0 - b1) / sqrt_c2)
        eps = dt(self.epsilon / sqrt_c2)
        b1, b2 = dt(b1), dt(b2)
        if scratch is None:
            scratch = block_scratch(theta.size, theta.dtype)
        for start, stop, nw in _blocks(theta.size, n_weights, theta.itemsize):
            th, g, s = theta[start:stop], grad[start:stop], scratch[:stop - start]
            m, v = self.m[start:stop], self.v[start:stop]
            _add_l2(th, g, s, nw, l2)
            m *= b1
            m += g
            v *= b2
            np.square(g, out=g)
            v += g
            np.sqrt(v, out=g)
            g += eps                   # g = (sqrt(v) + epsilon) / sqrt(1 - b2)
            np.divide(m, g, out=s)
            s *= step
            th -= s
            if l1 > 0 and nw:
                # Per-coordinate step lr_t / (sqrt(v) + epsilon), times l1.
                thresholds = np.divide(dt(lr * l1 / sqrt_c2), g[:nw], out=g[:nw])
                _soft_threshold(th[:nw], thresholds, s[:nw])

    def state(self):
        """The running state as a plain dict (the arrays are not copied)."""
        return {"solver": "adam", "t": int(self.t), "m": self.m, "v": self.v}

    def load_state(self, state):
        """Continue from :meth:`state` (copies the arrays)."""
        self.t = int(state["t"])
        self.m[...] = state["m"]
        self.v[...] = state["v"]

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

    def step(self, theta, grad, n_weights, l2=0.0, l1=0.0, scratch=None):
        """One update of ``theta`` in place; clobbers ``grad`` (the data gradient).

        ``scratch`` is at least as long as :func:`block_scratch` makes it.
        """
        dt = theta.dtype.type
        mu, lr = dt(self.momentum), dt(self.lr)
        # Momentum moves a weight by lr * g / (1 - momentum) per step in steady
        # state; shrinking by lr * l1 / (1 - momentum) puts the fixed points
        # where |g| = l1, the optimality condition of the objective.
        amplification = 1.0 / (1.0 - self.momentum) if self.momentum < 1 else 1.0
        threshold = dt(self.lr * l1 * amplification)
        if scratch is None:
            scratch = block_scratch(theta.size, theta.dtype)
        for start, stop, nw in _blocks(theta.size, n_weights, theta.itemsize):
            th, g, s = theta[start:stop], grad[start:stop], scratch[:stop - start]
            vel = self.velocity[start:stop]
            _add_l2(th, g, s, nw, l2)
            g *= lr
            vel *= mu
            vel -= g
            if self.nesterov:
                np.multiply(vel, mu, out=s)
                s -= g
                th += s
            else:
                th += vel
            if l1 > 0 and nw:
                _soft_threshold(th[:nw], threshold, s[:nw])

    def state(self):
        """The running state as a plain dict (the array is not copied)."""
        return {"solver": "sgd", "lr": float(self.lr), "velocity": self.velocity}

    def load_state(self, state):
        """Continue from :meth:`state` (copies the array)."""
        self.lr = float(state["lr"])
        self.velocity[...] = state["velocity"]

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


def make_optimizer(solver, size, dtype, params, state=None):
    """A new optimizer for ``size`` parameters, continuing from ``state`` if given.

    Parameters
    ----------
    solver : {"adam", "sgd"}
        Which optimizer.
    size : int
        Number of parameters.
    dtype : dtype
        Their dtype.
    params : dict
        The estimator's hyper-parameters (``learning_rate_init``, ``beta_1``, ...).
    state : dict or None
        What :meth:`Adam.state` or :meth:`SGD.state` returned on an earlier call;
        ignored when it belongs to the other solver or another size.
    """
    if solver == "adam":
        optimizer = Adam(size, dtype, params["learning_rate_init"], params["beta_1"],
                         params["beta_2"], params["epsilon"])
    else:
        optimizer = SGD(size, dtype, params["learning_rate_init"],
                        params["learning_rate"], params["momentum"],
                        params["nesterovs_momentum"], params["power_t"])
    if state is not None and state.get("solver") == solver:
        arrays = [v for v in state.values() if isinstance(v, np.ndarray)]
        if all(a.shape == (size,) for a in arrays):
            optimizer.load_state(state)
    return optimizer


def max_norm_project(W, max_norm):
    """Scale each column of ``W`` (a unit's incoming weights) to norm <= max_norm."""
    norms = np.sqrt(np.einsum("ij,ij->j", W, W))
    too_long = norms > max_norm
    if np.any(too_long):
        W[:, too_long] *= (max_norm / norms[too_long]).astype(W.dtype)
