"""Docstring sections the two networks share, written once.

A class docstring names a block as ``{{name}}`` on a line of its own; the
``shared_docs`` decorator puts the block in, indented like the marker.
"""

import re

_BLOCKS = {}

_BLOCKS["objective_notes"] = r"""
The data term is a weighted *mean* and the penalty is *not* divided by the batch
size or the weight sum, so ``alpha`` means the same thing whatever
``batch_size`` and ``sample_weight`` are.  scikit-learn's MLP divides its L2 term
by ``S_B``: its ``alpha`` equals ``alpha * S_B`` here (``alpha * batch_size``
without weights; ``alpha * n_samples`` with ``solver="lbfgs"``, whose batch is
the whole training set).

During training each hidden unit (and with ``input_dropout`` each input) is
kept with probability ``1 - dropout`` independently per sample and per step,
and a kept unit's output is divided by ``1 - dropout`` (inverted dropout);
nothing is dropped at prediction, so predictions are deterministic.
"""

_BLOCKS["params_architecture"] = """
hidden_layer_sizes : int or tuple of int, default=(100,)
    Width of each hidden layer; at least one layer, each >= 1.
activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
    Hidden-layer activation.
solver : {"adam", "sgd", "lbfgs"}, default="adam"
    ``"adam"`` and ``"sgd"`` take one step per mini-batch.  ``"lbfgs"``
    minimises the full-batch objective with scipy's L-BFGS-B (computed in
    float64), deterministic given the initial weights, as scikit-learn's; it
    needs ``dropout = input_dropout = 0``, ``max_norm=None`` and
    ``early_stopping=False`` (those are per-step ideas), and handles an L1 part
    exactly by splitting each weight into its positive and negative parts
    under bounds.  Often the best choice on small data.
alpha : float, default=0.0001
    Penalty strength, >= 0, on the scale written above (not divided by the
    batch size).
batch_size : int or "auto", default="auto"
    Mini-batch size; ``"auto"`` is ``min(200, n_samples)``.  Larger values are
    clipped to ``n_samples``.  Not used by ``"lbfgs"``.
learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
    Step-size schedule of ``solver="sgd"``, as in scikit-learn.
learning_rate_init : float, default=0.001
    Initial step size of ``"sgd"`` and ``"adam"``.
power_t : float, default=0.5
    Exponent of the ``"invscaling"`` schedule.
max_iter : int, default=200
    Maximum number of epochs (passes over the data); with ``"lbfgs"`` the
    maximum number of iterations.
shuffle : bool, default=True
    Shuffle the samples before every epoch.
random_state : int, RandomState instance or None, default=None
    Seeds the initial weights, the shuffling, the validation split and the
    dropout masks.  An int makes ``fit`` reproducible.
"""

_BLOCKS["params_training"] = """
verbose : bool, default=False
    Print the loss after every epoch (iteration with ``"lbfgs"``).
warm_start : bool, default=False
    Start ``fit`` from the previous weights.
momentum : float, default=0.9
    Momentum of ``solver="sgd"``, in [0, 1].
nesterovs_momentum : bool, default=True
    Use Nesterov's momentum with ``solver="sgd"``.
"""

_BLOCKS["params_adam"] = """
validation_fraction : float, default=0.1
    Share of the data held out for early stopping, in (0, 1).
beta_1 : float, default=0.9
    Adam's decay rate of the first moment, in [0, 1).
beta_2 : float, default=0.999
    Adam's decay rate of the second moment, in [0, 1).
epsilon : float, default=1e-8
    Adam's numerical-stability constant.
n_iter_no_change : int or np.inf, default=10
    Epochs without improvement before stopping; ``np.inf`` turns the rule off
    (training runs ``max_iter`` epochs).
max_fun : int, default=15000
    Maximum number of loss evaluations of ``solver="lbfgs"``.
"""

_BLOCKS["params_penalties"] = """
input_dropout : float, default=0.0
    Probability of dropping each input feature during training, in [0, 1).
l1_ratio : float, default=0.0
    Share ``rho`` of the L1 term in the penalty, in [0, 1].  With ``"adam"``
    and ``"sgd"`` the L1 part is applied by a proximal (soft-thresholding) step
    after each update, so weights become exactly zero.
max_norm : float or None, default=None
    If set, after every update each hidden unit's incoming weight vector is
    scaled down to Euclidean norm ``<= max_norm`` (Srivastava et al., 2014).
"""

_BLOCKS["attributes_network"] = """
coefs_ : list of ndarray
    ``coefs_[i]`` is the weight matrix from layer ``i`` to layer ``i + 1``.
intercepts_ : list of ndarray
    ``intercepts_[i]`` is the bias vector of layer ``i + 1``.
loss_ : float
    The training loss of the last epoch (iteration with ``"lbfgs"``).
loss_curve_ : list of float
    Training loss after each epoch: the weighted mean data loss over the
    epoch's batches (with dropout on) plus the penalty at the epoch's end;
    with ``"lbfgs"``, the objective after each iteration.  If training
    diverged, the last entry is the non-finite loss that stopped it.
best_loss_ : float or None
    Lowest finite value of ``loss_curve_`` (None with ``early_stopping``).
n_iter_ : int
    Epochs (iterations with ``"lbfgs"``) run by the last call to ``fit``
    (1 after ``partial_fit``).
t_ : int
    Training samples seen, over all calls.
n_layers_ : int
    Number of layers, input and output included.
n_features_in_ : int
    Number of features seen during ``fit``.
feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Names of the features, when ``X`` had string column names.
"""

_BLOCKS["reliability_notes"] = """
A fit that raises (bad parameters or data, a refit on unsuitable data) leaves
the previously fitted model unchanged: every fitted attribute is computed first
and published together at the end.  Ctrl-C during training stops it with a
warning and keeps the weights of the last completed epoch (with
``early_stopping``, of the best epoch; with ``"lbfgs"``, the best point
evaluated); before the first epoch completes it propagates and leaves the
previous model unchanged.  If the training loss becomes non-finite (a step size
far too large), training stops, the weights of the last epoch with a finite
loss are kept and a :class:`~sklearn.exceptions.ConvergenceWarning` says to
lower ``learning_rate_init``; non-finite weights are never stored.
"""


def shared_docs(**extra):
    """Fill the ``{{name}}`` markers of a class docstring (shared and ``extra``)."""
    blocks = {**_BLOCKS, **extra}

    def fill(match):
        indent, name = match.group(1), match.group(2)
        text = blocks[name].strip("\n")
        return "\n".join(indent + line if line else "" for line in text.splitlines())

    def decorate(cls):
        cls.__doc__ = re.sub(r"^( *)\{\{(\w+)\}\}$", fill, cls.__doc__,
                             flags=re.MULTILINE)
        return cls

    return decorate
