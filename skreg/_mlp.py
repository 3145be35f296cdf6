"""DropoutMLPClassifier: parameters, validation, labels and the epoch loop.

The numerics (network, masks, losses, optimizers) live in ``skreg._nn``.
"""

import warnings
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ._base import DocLinkMixin
from ._nn._dropout import draw_mask, drop_sparse_entries
from ._nn._network import Layout, forward, init_params, logits_to_proba
from ._nn._optimizers import SGD, Adam
from ._nn._training import Trainer
from ._penalties import ElasticNetPenalty
from ._validation import (
    check_bool,
    check_option,
    check_sample_weight,
    check_scalar_param,
)

ACTIVATION_NAMES = ("relu", "tanh", "logistic", "identity")
SOLVER_NAMES = ("adam", "sgd")
LEARNING_RATES = ("constant", "invscaling", "adaptive")


class DropoutMLPClassifier(ClassifierMixin, DocLinkMixin, BaseEstimator):
    r"""Multilayer perceptron classifier with inverted dropout and weight penalties.

    A drop-in for :class:`sklearn.neural_network.MLPClassifier` (same parameter
    names and meanings, same fitted attributes) that adds dropout, an L1 /
    elastic-net weight penalty, max-norm constraints and class weights.  Each
    mini-batch ``B`` takes one step on

    .. math::

        L_B(\theta) = \frac{1}{S_B} \sum_{i \in B} s_i \, \ell(y_i, f_\theta(x_i))
            + \alpha \left( \rho \lVert W \rVert_1
            + \frac{1 - \rho}{2} \lVert W \rVert_2^2 \right)

    where ``s_i`` is the sample weight times the class weight of ``y_i``,
    ``S_B = sum_{i in B} s_i``, ``rho = l1_ratio``, ``W`` are all the weights
    (never the biases) and ``l`` is the cross-entropy: logistic for two classes,
    softmax for more.  The data term is a weighted *mean* and the penalty is *not*
    divided by the batch size or weight sum, so ``alpha`` means the same thing
    whatever ``batch_size`` and ``sample_weight`` are.  scikit-learn's
    MLPClassifier divides its L2 term by ``S_B``: its ``alpha`` equals
    ``alpha * S_B`` here (``alpha * batch_size`` without weights).

    During training each hidden unit (and with ``input_dropout`` each input) is
    kept with probability ``1 - dropout`` independently per sample and per step,
    and a kept unit's output is divided by ``1 - dropout`` (inverted dropout);
    nothing is dropped at prediction, so ``predict_proba`` is deterministic.

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default=(100,)
        Width of each hidden layer; at least one layer, each >= 1.
    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        Hidden-layer activation.
    solver : {"adam", "sgd"}, default="adam"
        Stochastic optimizer.  scikit-learn's ``"lbfgs"`` is not offered: a
        full-batch quasi-Newton method does not fit noise injected per step.
    alpha : float, default=0.0001
        Penalty strength, >= 0, on the scale written above (not divided by the
        batch size).
    batch_size : int or "auto", default="auto"
        Mini-batch size; ``"auto"`` is ``min(200, n_samples)``.  Larger values are
        clipped to ``n_samples``.
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        Step-size schedule of ``solver="sgd"``, as in scikit-learn.
    learning_rate_init : float, default=0.001
        Initial step size.
    power_t : float, default=0.5
        Exponent of the ``"invscaling"`` schedule.
    max_iter : int, default=200
        Maximum number of epochs (passes over the data).
    shuffle : bool, default=True
        Shuffle the samples before every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the shuffling, the validation split and the
        dropout masks.  An int makes ``fit`` reproducible.
    tol : float, default=1e-4
        Training stops (or, with ``learning_rate="adaptive"``, the step is
        divided by 5) when the training loss (or, with ``early_stopping``, the
        validation accuracy) has not improved by ``tol`` for ``n_iter_no_change``
        consecutive epochs.
    verbose : bool, default=False
        Print the loss after every epoch.
    warm_start : bool, default=False
        Start ``fit`` from the previous weights.
    momentum : float, default=0.9
        Momentum of ``solver="sgd"``, in [0, 1].
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with ``solver="sgd"``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified), stop when its
        accuracy stalls, and restore the weights of the best epoch.
    validation_fraction : float, default=0.1
        Share of the data held out for early stopping, in (0, 1).
    beta_1, beta_2 : float, default=0.9, 0.999
        Adam's decay rates, in [0, 1).
    epsilon : float, default=1e-8
        Adam's numerical-stability constant.
    n_iter_no_change : int, default=10
        Epochs without improvement before stopping.
    dropout : float, default=0.2
        Probability of dropping each hidden unit during training, in [0, 1);
        0 turns dropout off.  The default was chosen by measurement with the
        default architecture and settings, mean test accuracy over 5 seeds
        (``benchmarks/bench_mlp.py --choose-default``): against no dropout,
        0.2 gained 3.8 points on mnist1d (0.615 vs 0.577), 6.4 on a
        make_classification set (0.785 vs 0.720) and 0.4 on load_breast_cancer,
        and lost 0.1 on load_digits (0.979 vs 0.980), within the spread across
        seeds (0.3 points).  0.3 and 0.5 gained a little more accuracy where the
        network overfits but had worse log-loss on load_digits and mnist1d.
    input_dropout : float, default=0.0
        Probability of dropping each input feature during training, in [0, 1).
    l1_ratio : float, default=0.0
        Share ``rho`` of the L1 term in the penalty, in [0, 1].  The L1 part is
        applied by a proximal (soft-thresholding) step after each update, so
        weights become exactly zero.
    max_norm : float or None, default=None
        If set, after every update each hidden unit's incoming weight vector is
        scaled down to Euclidean norm ``<= max_norm`` (Srivastava et al., 2014).
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into ``sample_weight``.  ``"balanced"``
        uses ``n_samples / (n_classes * count(class))``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    coefs_ : list of ndarray
        ``coefs_[i]`` is the weight matrix from layer ``i`` to layer ``i + 1``.
    intercepts_ : list of ndarray
        ``intercepts_[i]`` is the bias vector of layer ``i + 1``.
    loss_ : float
        The training loss of the last epoch.
    loss_curve_ : list of float
        Training loss after each epoch: the weighted mean data loss over the
        epoch's batches (with dropout on) plus the penalty at the epoch's end.
    best_loss_ : float or None
        Lowest value of ``loss_curve_`` (None with ``early_stopping``).
    validation_scores_ : list of float or None
        Held-out accuracy after each epoch with ``early_stopping``.
    best_validation_score_ : float or None
        Best of ``validation_scores_``.
    n_iter_ : int
        Epochs run by the last call to ``fit`` (1 after ``partial_fit``).
    t_ : int
        Training samples seen, over all calls.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of output units (1 for two classes).
    out_activation_ : str
        ``"logistic"`` for two classes, ``"softmax"`` for more.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when ``X`` had string column names.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : The same network without dropout;
        its ``alpha`` is ``alpha * batch_size`` here.
    RegularizedRegressor : The same penalties on least squares.

    Notes
    -----
    The lecture notes this library grew from present dropout as a "loss
    function" (it is binary cross-entropy: dropout changes the forward pass, not
    the loss) and implement it as multiplying every unit by one scalar; here each
    unit gets its own Bernoulli draw per sample and per step.

    :meth:`predict_proba_mc` keeps dropout on at prediction (Monte Carlo
    dropout, Gal and Ghahramani, 2016) and returns the mean and spread of the
    class probabilities over repeated stochastic passes.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import train_test_split
    >>> from skreg import DropoutMLPClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(
    ...     X / 16, y, random_state=0)
    >>> clf = DropoutMLPClassifier(dropout=0.2, random_state=0).fit(X_train, y_train)
    >>> clf.score(X_test, y_test) > 0.95
    True
    """

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        dropout=0.2,
        input_dropout=0.0,
        l1_ratio=0.0,
        max_norm=None,
        class_weight=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.l1_ratio = l1_ratio
        self.max_norm = max_norm
        self.class_weight = class_weight

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # ------------------------------------------------------------------ checks
    def _check_params(self):
        """Validate every hyper-parameter; return the hidden layer sizes."""
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, (Integral, np.integer)) and not isinstance(sizes, bool):
            sizes = (sizes,)
        try:
            sizes = tuple(sizes)
        except TypeError:
            raise TypeError(
                "Parameter 'hidden_layer_sizes' must be an int or a tuple of ints, "
                f"got {self.hidden_layer_sizes!r}."
            ) from None
        if len(sizes) == 0:
            raise ValueError(
                "Parameter 'hidden_layer_sizes' must name at least one hidden layer, "
                "got an empty sequence."
            )
        for size in sizes:
            if isinstance(size, (bool, np.bool_)) or not isinstance(
                size, (Integral, np.integer)
            ):
                raise TypeError(
                    "Parameter 'hidden_layer_sizes' must contain integers, got "
                    f"{self.hidden_layer_sizes!r}."
                )
            if size <= 0:
                raise ValueError(
                    "Parameter 'hidden_layer_sizes' must contain positive integers, "
                    f"got {self.hidden_layer_sizes!r}."
                )
        check_option(self.activation, "activation", ACTIVATION_NAMES)
        if self.solver == "lbfgs":
            raise ValueError(
                "Parameter 'solver' must be one of 'adam', 'sgd'; got 'lbfgs'. "
                "DropoutMLPClassifier trains by mini-batches (dropout draws new "
                "masks every step), so the full-batch L-BFGS is not offered."
            )
        check_option(self.solver, "solver", SOLVER_NAMES)
        check_scalar_param(self.alpha, "alpha", low=0.0)
        if not (isinstance(self.batch_size, str) and self.batch_size == "auto"):
            check_scalar_param(self.batch_size, "batch_size", kind=Integral, low=1)
        check_option(self.learning_rate, "learning_rate", LEARNING_RATES)
        check_scalar_param(self.learning_rate_init, "learning_rate_init", low=0.0,
                           low_inclusive=False)
        check_scalar_param(self.power_t, "power_t", low=0.0)
        check_scalar_param(self.max_iter, "max_iter", kind=Integral, low=1)
        check_bool(self.shuffle, "shuffle")
        check_scalar_param(self.tol, "tol", low=0.0)
        if not isinstance(self.verbose, (bool, Integral, np.integer)):
            raise TypeError(
                f"Parameter 'verbose' must be True, False or an int, got "
                f"{self.verbose!r}."
            )
        check_bool(self.warm_start, "warm_start")
        check_scalar_param(self.momentum, "momentum", low=0.0, high=1.0)
        check_bool(self.nesterovs_momentum, "nesterovs_momentum")
        check_bool(self.early_stopping, "early_stopping")
        check_scalar_param(self.validation_fraction, "validation_fraction", low=0.0,
                           high=1.0, low_inclusive=False, high_inclusive=False)
        for name in ("beta_1", "beta_2"):
            check_scalar_param(getattr(self, name), name, low=0.0, high=1.0,
                               high_inclusive=False)
        check_scalar_param(self.epsilon, "epsilon", low=0.0, low_inclusive=False)
        check_scalar_param(self.n_iter_no_change, "n_iter_no_change", kind=Integral,
                           low=1)
        check_scalar_param(self.dropout, "dropout", low=0.0, high=1.0,
                           high_inclusive=False)
        check_scalar_param(self.input_dropout, "input_dropout", low=0.0, high=1.0,
                           high_inclusive=False)
        check_scalar_param(self.l1_ratio, "l1_ratio", low=0.0, high=1.0)
        check_scalar_param(self.max_norm, "max_norm", low=0.0, low_inclusive=False,
                           allow_none=True)
        cw = self.class_weight
        if not (cw is None or isinstance(cw, dict)
                or (isinstance(cw, str) and cw == "balanced")):
            raise ValueError(
                "Parameter 'class_weight' must be None, 'balanced' or a dict mapping "
                f"class labels to weights; got {cw!r}."
            )
        return sizes

    def _validate_training_data(self, X, y, reset):
        X, y = validate_data(
            self, X, y, accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32], reset=reset,
        )
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if sp.issparse(X):
            X = X.tocsr()
        else:
            X = np.ascontiguousarray(X)
        return X, y

    def _sample_weights(self, y_code, sample_weight, n_samples, dtype, incremental):
        """Sample weights times class weights (None when all ones)."""
        sw = None
        if sample_weight is not None:
            sw = check_sample_weight(sample_weight, n_samples, dtype)
        if self.class_weight is None:
            return sw
        if isinstance(self.class_weight, str) and incremental:
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: a single "
                "chunk does not know the class frequencies of all the data. Pass a "
                "dict of class weights instead."
            )
        if isinstance(self.class_weight, dict):
            unknown = set(self.class_weight) - set(self.classes_.tolist())
            if unknown:
                raise ValueError(
                    f"class_weight names classes {sorted(map(str, unknown))} that are "
                    f"not in the data's classes {self.classes_.tolist()}."
                )
        present = np.unique(y_code)
        cw = np.ones(len(self.classes_), dtype=np.float64)
        cw[present] = compute_class_weight(
            self.class_weight, classes=self.classes_[present],
            y=self.classes_[y_code],
        )
        weights = cw[y_code].astype(dtype)
        return weights if sw is None else weights * sw

    # -------------------------------------------------------------------- fit
    def fit(self, X, y, sample_weight=None):
        """Train the network on ``(X, y)`` for up to ``max_iter`` epochs.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.  Sparse matrices are multiplied without densifying;
            float32 data are trained in float32.
        y : array-like of shape (n_samples,)
            Class labels (any hashable, comparable labels: ints, strings).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights ``s_i`` (times the class weights).

        Returns
        -------
        self : DropoutMLPClassifier
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False, classes=None)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over ``(X, y)``, continuing from the current weights.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of training data.
        y : array-like of shape (n_samples,)
            Its labels.
        classes : array-like of shape (n_classes,), default=None
            All the classes that will ever be seen; required on the first call,
            ignored afterwards.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        self : DropoutMLPClassifier
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def _fit(self, X, y, sample_weight, incremental, classes):
        hidden = self._check_params()
        if incremental and self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True: there is no "
                "held-out set across chunks. Use fit, or early_stopping=False."
            )
        fitted = hasattr(self, "coefs_")
        first_call = not fitted or not (incremental or self.warm_start)
        X, y = self._validate_training_data(X, y, reset=first_call)
        n_samples, n_features = X.shape

        if first_call:
            if incremental:
                if classes is None:
                    raise ValueError(
                        "classes must be passed on the first call to partial_fit: "
                        "the labels of all the chunks to come."
                    )
                labels = np.unique(np.asarray(classes))
            else:
                labels = np.unique(y)
            if len(labels) < 2:
                raise ValueError(
                    "DropoutMLPClassifier needs samples of at least 2 classes; "
                    f"got 1 class: {labels.tolist()}."
                )
            self.classes_ = labels
        y_code = np.searchsorted(self.classes_, y)
        y_code = np.minimum(y_code, len(self.classes_) - 1)
        if np.any(self.classes_[y_code] != y):
            unknown = np.setdiff1d(np.unique(y), self.classes_)
            raise ValueError(
                f"y has classes {unknown.tolist()} that are not in classes_ "
                f"{self.classes_.tolist()} (set on the first call to fit / "
                "partial_fit)."
            )
        if self.warm_start and not incremental and fitted and not first_call:
            if len(np.unique(y_code)) != len(self.classes_):
                raise ValueError(
                    "warm_start needs y to contain the same classes as the previous "
                    f"fit: {self.classes_.tolist()}, got {np.unique(y).tolist()}."
                )

        sw = self._sample_weights(y_code, sample_weight, n_samples, X.dtype,
                                  incremental)
        if not incremental:
            weight_per_class = np.bincount(
                y_code, weights=sw, minlength=len(self.classes_))
            if np.count_nonzero(weight_per_class > 0) < 2:
                raise ValueError(
                    "DropoutMLPClassifier needs samples of at least 2 classes with "
                    "positive weight; got 1 class."
                )

        n_classes = len(self.classes_)
        n_outputs = 1 if n_classes == 2 else n_classes
        layout = Layout((n_features, *hidden, n_outputs))
        random_state = check_random_state(self.random_state)

        if first_call:
            rng = np.random.default_rng(random_state.randint(0, 2**32, size=4,
                                                             dtype=np.uint64))
            dtype = X.dtype
            theta = init_params(layout, self.activation, rng, dtype)
            self.n_layers_ = len(layout.layer_units)
            self.n_outputs_ = n_outputs
            self.out_activation_ = "logistic" if n_outputs == 1 else "softmax"
            self.t_ = 0
            self.loss_curve_ = []
            self._optimizer_state = None
            if self.early_stopping:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.validation_scores_ = None
                self.best_validation_score_ = None
                self.best_loss_ = np.inf
        else:
            if tuple(c.shape for c in self.coefs_) != tuple(layout.coef_shapes):
                raise ValueError(
                    "warm_start / partial_fit need the same network shape as the "
                    f"fitted one: {[c.shape for c in self.coefs_]}, but "
                    f"hidden_layer_sizes={self.hidden_layer_sizes!r} and the data "
                    f"give {layout.coef_shapes}."
                )
            # A new stream per call: an int random_state stays reproducible without
            # repeating the same masks on every chunk.
            rng = np.random.default_rng(
                [*random_state.randint(0, 2**32, size=4, dtype=np.uint64), self.t_])
            dtype = self.coefs_[0].dtype
            theta = layout.pack(self.coefs_, self.intercepts_, dtype)
            if not self.early_stopping:
                self.validation_scores_ = None
                self.best_validation_score_ = None
                if self.best_loss_ is None:
                    self.best_loss_ = np.inf
            elif self.validation_scores_ is None:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
        X = X.astype(dtype, copy=False)
        if sw is not None:
            sw = sw.astype(dtype, copy=False)

        optimizer = self._optimizer_state if incremental else None
        if optimizer is None:
            optimizer = self._make_optimizer(layout.size, dtype)

        X_val = y_val = sw_val = None
        if self.early_stopping:
            split = train_test_split(
                X, y_code, *(() if sw is None else (sw,)),
                test_size=self.validation_fraction, stratify=y_code,
                random_state=random_state,
            )
            X, X_val, y_code, y_val = split[:4]
            if sw is not None:
                sw, sw_val = split[4], split[5]
            if y_val.shape[0] < 2:
                raise ValueError(
                    "The validation set for early_stopping is too small: increase "
                    "validation_fraction or provide more samples."
                )
            X = X if sp.issparse(X) else np.ascontiguousarray(X)

        n_train = y_code.shape[0]
        batch_size = self._batch_size(n_train)
        penalty = ElasticNetPenalty(self.alpha, self.l1_ratio)
        trainer = Trainer(layout, self.activation, batch_size, dtype, self.dropout,
                          self.input_dropout, penalty, self.max_norm)

        best_theta = theta.copy() if self.early_stopping else None
        no_improvement = 0
        self.n_iter_ = 0
        epochs = 1 if incremental else self.max_iter
        stopped = False
        for _ in range(epochs):
            data_loss = trainer.run_epoch(theta, optimizer, X, y_code, sw, rng,
                                          self.shuffle)
            self.n_iter_ += 1
            self.t_ += n_train
            self.loss_ = data_loss + penalty.value(theta[:layout.n_weights])
            self.loss_curve_.append(self.loss_)
            if self.verbose:
                print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")

            if self.early_stopping:
                coefs, intercepts = layout.views(theta)
                proba = logits_to_proba(
                    forward(coefs, intercepts, X_val, self.activation)[-1])
                correct = (np.argmax(proba, axis=1) == y_val).astype(np.float64)
                score = float(np.average(correct, weights=sw_val))
                self.validation_scores_.append(score)
                if self.verbose:
                    print(f"Validation score: {score:.6f}")
                if score < self.best_validation_score_ + self.tol:
                    no_improvement += 1
                else:
                    no_improvement = 0
                if score > self.best_validation_score_:
                    self.best_validation_score_ = score
                    best_theta[...] = theta
            else:
                if self.loss_ > self.best_loss_ - self.tol:
                    no_improvement += 1
                else:
                    no_improvement = 0
                self.best_loss_ = min(self.best_loss_, self.loss_)

            optimizer.on_epoch_end(self.t_)
            if no_improvement > self.n_iter_no_change:
                what = ("Validation score" if self.early_stopping
                        else "Training loss")
                if optimizer.on_plateau():
                    if self.verbose:
                        print(f"{what} did not improve more than tol={self.tol} for "
                              f"{self.n_iter_no_change} consecutive epochs. Stopping.")
                    stopped = True
                    break
                no_improvement = 0
        if not incremental and not stopped:
            warnings.warn(
                f"DropoutMLPClassifier stopped at max_iter={self.max_iter} epochs "
                f"before the {'validation score' if self.early_stopping else 'loss'} "
                f"stopped improving by tol={self.tol}; increase max_iter to train "
                "longer.",
                ConvergenceWarning,
                stacklevel=3,
            )
        if self.early_stopping:
            theta = best_theta
        coefs, intercepts = layout.views(theta)
        self.coefs_ = [c.copy() for c in coefs]
        self.intercepts_ = [b.copy() for b in intercepts]
        self._optimizer_state = optimizer
        return self

    def _make_optimizer(self, size, dtype):
        if self.solver == "adam":
            return Adam(size, dtype, self.learning_rate_init, self.beta_1,
                        self.beta_2, self.epsilon)
        return SGD(size, dtype, self.learning_rate_init, self.learning_rate,
                   self.momentum, self.nesterovs_momentum, self.power_t)

    def _batch_size(self, n_samples):
        if isinstance(self.batch_size, str):
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                f"batch_size={self.batch_size} is larger than the {n_samples} "
                "training samples; using one batch of all of them.",
                UserWarning,
                stacklevel=4,
            )
        return min(self.batch_size, n_samples)

    # ---------------------------------------------------------------- predict
    def _validate_X(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc"],
                          dtype=[np.float64, np.float32], reset=False)
        return X.astype(self.coefs_[0].dtype, copy=False)

    def _logits(self, X):
        return forward(self.coefs_, self.intercepts_, X, self.activation)[-1]

    def predict_proba(self, X):
        """Class probabilities, with nothing dropped (deterministic).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class, columns in the order of ``classes_``.
        """
        X = self._validate_X(X)
        return logits_to_proba(self._logits(X))

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed stably from the logits.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class.
        """
        X = self._validate_X(X)
        Z = self._logits(X)
        if Z.shape[1] == 1:
            z = Z[:, 0]
            return np.column_stack([-np.logaddexp(0, z), -np.logaddexp(0, -z)])
        Z = Z - Z.max(axis=1, keepdims=True)
        return Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The most probable class of each sample.
        """
        X = self._validate_X(X)
        Z = self._logits(X)
        if Z.shape[1] == 1:
            return self.classes_[(Z[:, 0] > 0).astype(np.intp)]
        return self.classes_[np.argmax(Z, axis=1)]

    def predict_proba_mc(self, X, n_passes=50, *, random_state=None,
                         return_passes=False):
        """Monte Carlo dropout: class probabilities with dropout kept on.

        Runs ``n_passes`` stochastic forward passes, each with fresh masks drawn
        as in training (``dropout`` on the hidden units, ``input_dropout`` on the
        inputs), and summarises the resulting class probabilities.  The mean is
        an approximation of the predictive distribution; the standard deviation
        across passes measures how much the prediction depends on which units are
        present, a proxy for model (epistemic) uncertainty that is typically larger
        on misclassified samples.  With ``dropout = input_dropout = 0`` every pass
        is the same and the spread is zero.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.
        n_passes : int, default=50
            Number of stochastic passes ``T``.
        random_state : int, RandomState instance or None, default=None
            Seeds the masks.
        return_passes : bool, default=False
            Also return every pass's probabilities.

        Returns
        -------
        mean : ndarray of shape (n_samples, n_classes)
            Mean class probabilities over the passes.
        std : ndarray of shape (n_samples, n_classes)
            Their standard deviation over the passes.
        passes : ndarray of shape (n_passes, n_samples, n_classes)
            Only with ``return_passes=True``.
        """
        check_scalar_param(n_passes, "n_passes", kind=Integral, low=1)
        X = self._validate_X(X)
        rs = check_random_state(random_state)
        rng = np.random.default_rng(rs.randint(0, 2**32, size=4, dtype=np.uint64))
        dtype = self.coefs_[0].dtype
        n = X.shape[0]
        passes = np.empty((n_passes, n, len(self.classes_)), dtype=dtype)
        for t in range(n_passes):
            Xt = X
            if self.input_dropout > 0:
                if sp.issparse(X):
                    Xt = drop_sparse_entries(rng, X, self.input_dropout)
                else:
                    Xt = X * draw_mask(rng, self.input_dropout,
                                       np.empty(X.shape, dtype=dtype))
            masks = None
            if self.dropout > 0:
                masks = [draw_mask(rng, self.dropout, np.empty((n, c.shape[1]), dtype))
                         for c in self.coefs_[:-1]]
            Z = forward(self.coefs_, self.intercepts_, Xt, self.activation, masks)[-1]
            passes[t] = logits_to_proba(Z)
        mean, std = passes.mean(axis=0), passes.std(axis=0)
        if return_passes:
            return mean, std, passes
        return mean, std
