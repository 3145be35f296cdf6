"""One epoch of mini-batch training, with every buffer allocated once.

:class:`Trainer` owns the scratch arrays for one (layout, batch size, dtype) and
runs epochs over data it is given; it holds no model state of its own (the
parameters and the optimizer are passed in), so the estimator stays free of
caches.
"""

import math

import numpy as np
import scipy.sparse as sp

from ._dropout import draw_mask, drop_sparse_entries
from ._losses import LOSSES
from ._network import backward, forward
from ._optimizers import block_scratch, max_norm_project


def carve(groups, dtype):
    """Arrays of the given shapes, 64-byte aligned views into one allocation.

    ``groups`` is a list of lists of shapes; the arrays come back grouped the
    same way.  Fresh memory is faulted in page by page when first written,
    about 1.5 us per 4 KiB page: the first step of a (512, 512) network spent
    some 6 ms there, for 7 MB of buffers.  numpy asks the kernel for huge pages
    for arrays of 4 MiB and more, so one allocation for all of them takes
    about half as many faults.
    """
    itemsize = np.dtype(dtype).itemsize
    align = 64 // itemsize
    shapes = [shape for group in groups for shape in group]
    sizes = [math.prod(shape) for shape in shapes]
    offsets = np.cumsum([0] + [-(-n // align) * align for n in sizes])
    flat = np.empty(offsets[-1] + align, dtype=dtype)
    start = -(flat.ctypes.data // itemsize) % align
    arrays = iter([flat[start + o:start + o + n].reshape(shape)
                   for o, n, shape in zip(offsets, sizes, shapes)])
    return [[next(arrays) for _ in group] for group in groups]


class Trainer:
    """Mini-batch training loop for one network shape.

    Parameters
    ----------
    layout : Layout
        The network's shape.
    activation : str
        Hidden activation.
    loss : str
        Output loss, a key of ``_losses.LOSSES``.
    batch_size : int
        Largest batch.
    dtype : dtype
        Arithmetic dtype (that of the parameters and of dense inputs).
    dropout : float
        Drop rate of the hidden units.
    input_dropout : float
        Drop rate of the inputs.
    penalty : ElasticNetPenalty
        The weight penalty (applied to the weights, never to the biases).
    max_norm : float or None
        Max-norm bound on each hidden unit's incoming weights.
    """

    def __init__(self, layout, activation, loss, batch_size, dtype, dropout,
                 input_dropout, penalty, max_norm):
        self.layout, self.activation = layout, activation
        self.loss = LOSSES[loss]
        self.dropout, self.input_dropout = dropout, input_dropout
        self.penalty, self.max_norm = penalty, max_norm
        units = layout.layer_units
        hidden = units[1:-1]
        self.z, self.deltas, masks, inputs, (self.grad,) = carve([
            [(batch_size, u) for u in units[1:]],
            [(batch_size, u) for u in hidden],
            [(batch_size, u) for u in hidden] if dropout > 0 else [],
            [(batch_size, units[0])] * (2 if input_dropout > 0 else 1),
            [(layout.size,)],
        ], dtype)
        self.masks = masks if dropout > 0 else None
        self.keeps = [1.0 - dropout] * len(hidden)
        self.x = inputs[0]
        self.input_mask = inputs[1] if input_dropout > 0 else None
        self.scratch = block_scratch(layout.size, dtype)
        self.grad_coefs, self.grad_intercepts = layout.views(self.grad)
        self.batch_size = batch_size

    def _batch_input(self, X, idx, start, stop, rng):
        nb = stop - start
        if sp.issparse(X):
            Xb = X[idx] if idx is not None else X[start:stop]
            if self.input_dropout > 0:
                Xb = drop_sparse_entries(rng, Xb, self.input_dropout)
            return Xb
        if idx is not None:
            Xb = np.take(X, idx, axis=0, out=self.x[:nb])
        else:
            Xb = X[start:stop]
        if self.input_dropout > 0:
            mask = draw_mask(rng, self.input_dropout, self.input_mask[:nb])
            Xb = np.multiply(Xb, mask, out=self.x[:nb])
        return Xb

    def step(self, theta, optimizer, Xb, yb, weights, rng):
        """Forward, backward and one optimizer update on one batch.

        Returns the batch's weighted mean data loss (before the update).
        """
        nb = yb.shape[0]
        coefs, intercepts = self.layout.views(theta)
        masks = None
        if self.masks is not None:
            masks = [draw_mask(rng, self.dropout, mask[:nb]) for mask in self.masks]
        z = [buf[:nb] for buf in self.z]
        acts = forward(coefs, intercepts, Xb, self.activation, masks, out=z)
        loss = self.loss(acts[-1], yb, weights)
        backward(coefs, acts, acts[-1], self.activation, self.grad_coefs,
                 self.grad_intercepts, masks, self.keeps,
                 out=[buf[:nb] for buf in self.deltas])
        optimizer.step(theta, self.grad, self.layout.n_weights, self.penalty.l2,
                       self.penalty.l1, self.scratch)
        if self.max_norm is not None:
            for W in coefs[:-1]:
                max_norm_project(W, self.max_norm)
        return loss

    def run_epoch(self, theta, optimizer, X, y, sample_weight, rng, shuffle):
        """One pass over ``(X, y)`` in batches; returns the weighted mean data loss.

        ``sample_weight`` None means all ones.  Each batch's loss is its weighted
        mean, so the step size does not depend on the scale of the weights; a
        batch whose weights are all zero is skipped.
        """
        n = y.shape[0]
        order = rng.permutation(n) if shuffle else None
        total_loss = total_weight = 0.0
        for start in range(0, n, self.batch_size):
            stop = min(start + self.batch_size, n)
            idx = order[start:stop] if order is not None else None
            yb = y[idx] if idx is not None else y[start:stop]
            if sample_weight is None:
                batch_weight = float(stop - start)
                weights = 1.0 / batch_weight
            else:
                wb = (sample_weight[idx] if idx is not None
                      else sample_weight[start:stop])
                batch_weight = float(wb.sum())
                if batch_weight <= 0:
                    continue
                weights = wb / wb.dtype.type(batch_weight)
            Xb = self._batch_input(X, idx, start, stop, rng)
            loss = self.step(theta, optimizer, Xb, yb, weights, rng)
            total_loss += loss * batch_weight
            total_weight += batch_weight
        return total_loss / total_weight if total_weight > 0 else 0.0
