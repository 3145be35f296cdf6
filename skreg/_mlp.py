"""The networks' shared base: parameters, validation, the fit steps, publication.

:class:`BaseDropoutMLP` holds everything :class:`DropoutMLPClassifier` and
:class:`DropoutMLPRegressor` have in common; they add their targets (labels or
values), their validation score and their predictions.  One fit is:

1. check every parameter and the data, encode the targets, start or continue the
   weights (:meth:`BaseDropoutMLP._prepare`), touching nothing of ``self``;
2. train: mini-batch epochs (:meth:`BaseDropoutMLP._fit_stochastic`, with the
   held-out split of :func:`_validation_split` and the bookkeeping of
   :class:`_EpochBook`) or full-batch L-BFGS (:meth:`BaseDropoutMLP._fit_lbfgs`);
3. publish every fitted attribute at once.

A fit that raises leaves the previous model as it was.  Ctrl-C during training
keeps the last completed epoch (with early stopping, the best one) and warns; a
non-finite loss stops training, keeps the last finite weights and warns.

The numerics (network, masks, losses, optimizers, L-BFGS) live in ``skreg._nn``.
"""

import math
import warnings
from numbers import Integral, Real
from types import SimpleNamespace

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import DocLinkMixin
from ._datafit import check_no_overflow
from ._distributed import check_in_memory
from ._nn._dropout import draw_mask, drop_sparse_entries
from ._nn._lbfgs import full_batch_objective, minimize_lbfgs
from ._nn._network import Layout, finite_forward, forward, init_params
from ._nn._optimizers import make_optimizer
from ._nn._training import Trainer
from ._penalties import PenaltySpec
from ._validation import (
    boolean,
    check_params,
    check_scalar_param,
    integer,
    one_of,
    real,
)

ACTIVATION_NAMES = ("relu", "tanh", "logistic", "identity")
SOLVER_NAMES = ("lbfgs", "adam", "sgd")
LEARNING_RATES = ("constant", "invscaling", "adaptive")

# Set by validate_data before anything else; put back when a fit fails.
_DATA_ATTRIBUTES = ("n_features_in_", "feature_names_in_")


def check_hidden_layer_sizes(value):
    """``hidden_layer_sizes`` as a tuple of positive ints (named errors otherwise)."""
    sizes = value
    if isinstance(sizes, (Integral, np.integer)) and not isinstance(sizes, bool):
        sizes = (sizes,)
    try:
        sizes = tuple(sizes)
    except TypeError:
        raise TypeError(
            "Parameter 'hidden_layer_sizes' must be an int or a tuple of ints, "
            f"got {value!r}."
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
                f"Parameter 'hidden_layer_sizes' must contain integers, got {value!r}."
            )
        if size <= 0:
            raise ValueError(
                "Parameter 'hidden_layer_sizes' must contain positive integers, "
                f"got {value!r}."
            )
    return sizes


def _check_n_iter_no_change(value):
    """An int >= 1, or ``np.inf`` to turn the no-improvement rule off."""
    if isinstance(value, Real) and not isinstance(value, (bool, np.bool_)) and (
        value == math.inf
    ):
        return
    check_scalar_param(value, "n_iter_no_change", kind=Integral, low=1)


def _check_batch_size(value, name):
    if not (isinstance(value, str) and value == "auto"):
        check_scalar_param(value, name, kind=Integral, low=1)


def _check_verbose(value, name):
    if not isinstance(value, (bool, Integral, np.integer)):
        raise TypeError(
            f"Parameter {name!r} must be True, False or an int, got {value!r}."
        )


# The parameters of both networks and what each must be (hidden_layer_sizes and
# the rules that tie several together are checked in ``_check_params``).
PARAMS = {
    "activation": one_of(*ACTIVATION_NAMES),
    "solver": one_of(*SOLVER_NAMES),
    "alpha": real(0.0),
    "batch_size": _check_batch_size,
    "learning_rate": one_of(*LEARNING_RATES),
    "learning_rate_init": real(0.0, low_inclusive=False),
    "power_t": real(0.0),
    "max_iter": integer(1),
    "shuffle": boolean,
    "tol": real(0.0),
    "verbose": _check_verbose,
    "warm_start": boolean,
    "momentum": real(0.0, 1.0),
    "nesterovs_momentum": boolean,
    "early_stopping": boolean,
    "validation_fraction": real(0.0, 1.0, low_inclusive=False, high_inclusive=False),
    "beta_1": real(0.0, 1.0, high_inclusive=False),
    "beta_2": real(0.0, 1.0, high_inclusive=False),
    "epsilon": real(0.0, low_inclusive=False),
    "n_iter_no_change": lambda value, name: _check_n_iter_no_change(value),
    "max_fun": integer(1),
    "dropout": real(0.0, 1.0, high_inclusive=False),
    "input_dropout": real(0.0, 1.0, high_inclusive=False),
    "l1_ratio": real(0.0, 1.0),
    "max_norm": lambda value, name: check_scalar_param(
        value, name, low=0.0, low_inclusive=False, allow_none=True),
}


class BaseDropoutMLP(DocLinkMixin, BaseEstimator):
    """Parameters, validation and training shared by the networks.

    Not for direct use: see :class:`skreg.DropoutMLPClassifier` and
    :class:`skreg.DropoutMLPRegressor`.  Subclasses provide the targets
    (``_encode_targets``), the training weights (``_training_weights``) and the
    early-stopping score (``_validation_score``).
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
        max_fun=15000,
        dropout=0.2,
        input_dropout=0.0,
        l1_ratio=0.0,
        max_norm=None,
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
        self.max_fun = max_fun
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.l1_ratio = l1_ratio
        self.max_norm = max_norm

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def __sklearn_is_fitted__(self):
        return hasattr(self, "coefs_")

    def _partial_fit_available(self):
        if self.solver == "lbfgs":
            raise AttributeError(
                "partial_fit is only available for the stochastic solvers 'adam' and "
                "'sgd'; solver='lbfgs' trains on the whole data at once."
            )
        return True

    # ------------------------------------------------------------------ checks
    def _check_params(self, incremental):
        """Validate every hyper-parameter; return the hidden layer sizes."""
        check_params(self, PARAMS)
        sizes = check_hidden_layer_sizes(self.hidden_layer_sizes)
        if self.solver == "lbfgs":
            self._check_lbfgs_params()
        if incremental and self.early_stopping:
            raise ValueError(
                "partial_fit does not support early_stopping=True: there is no "
                "held-out set across chunks. Use fit, or early_stopping=False."
            )
        return sizes

    def _check_lbfgs_params(self):
        for name, off in (("dropout", 0.0), ("input_dropout", 0.0),
                          ("max_norm", None)):
            if getattr(self, name) != off:
                raise ValueError(
                    f"Parameter {name!r} must be {off} with solver='lbfgs', got "
                    f"{getattr(self, name)!r}: dropout draws new masks and max-norm "
                    "projects after every mini-batch step, while L-BFGS minimises one "
                    "deterministic full-batch objective. Set "
                    f"{name}={off} or use solver='adam' or 'sgd'"
                    + (" (dropout defaults to 0.2, for those solvers: "
                       "solver='lbfgs' needs dropout=0 passed explicitly)."
                       if name == "dropout" else ".")
                )
        if self.early_stopping:
            raise ValueError(
                "Parameter 'early_stopping' must be False with solver='lbfgs': "
                "L-BFGS stops on the gradient (tol) or max_iter / max_fun, not on "
                "a held-out score. Use solver='adam' or 'sgd' for early stopping."
            )

    def _validate_X(self, X):
        check_in_memory(self, "predict", X, hint="network")
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=["csr", "csc"],
                          dtype=[np.float64, np.float32], reset=False)
        return X.astype(self.coefs_[0].dtype, copy=False)

    # -------------------------------------------------------------------- fit
    def _fit(self, X, y, sample_weight, incremental, classes=None):
        check_in_memory(self, "partial_fit" if incremental else "fit", X, y,
                        sample_weight, hint="network")
        saved = {k: vars(self)[k] for k in _DATA_ATTRIBUTES if k in vars(self)}
        try:
            problem = self._prepare(X, y, sample_weight, incremental, classes)
            if self.solver == "lbfgs":
                fitted = self._fit_lbfgs(problem)
            else:
                fitted = self._fit_stochastic(problem)
        except BaseException:
            for key in _DATA_ATTRIBUTES:
                vars(self).pop(key, None)
            vars(self).update(saved)
            raise
        fitted.update(problem.targets.attributes)
        fitted.update(n_layers_=len(problem.layout.layer_units),
                      n_outputs_=problem.targets.n_outputs,
                      out_activation_=problem.targets.out_activation)
        vars(self).update(fitted)          # one step: all or nothing
        return self

    def _prepare(self, X, y, sample_weight, incremental, classes):
        """Everything training needs, checked, without changing the fitted model."""
        hidden = self._check_params(incremental)
        fitted = hasattr(self, "coefs_")
        first_call = not fitted or not (incremental or self.warm_start)
        X, y = self._validate_training_data(X, y, reset=first_call)
        n_samples, n_features = X.shape
        targets = self._encode_targets(y, first_call, incremental, classes)
        _check_in_range(X, targets.Y)
        sw = self._training_weights(targets, sample_weight, n_samples, X.dtype,
                                    incremental)
        layout = Layout((n_features, *hidden, targets.n_outputs))
        if self.early_stopping:
            _check_validation_size(n_samples, self.validation_fraction,
                                   targets.stratify)
        random_state = check_random_state(self.random_state)
        seed = random_state.randint(0, 2**32, size=4, dtype=np.uint64)
        if first_call:
            rng = np.random.default_rng(seed)
            dtype = X.dtype
            theta = init_params(layout, self.activation, rng, dtype)
            history = _fresh_history()
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
            rng = np.random.default_rng([*seed, self.t_])
            dtype = self.coefs_[0].dtype
            theta = layout.pack(self.coefs_, self.intercepts_, dtype)
            history = self._history()
        X = X.astype(dtype, copy=False)
        if sw is not None:
            sw = sw.astype(dtype, copy=False)
        if targets.Y.dtype.kind == "f":
            targets.Y = targets.Y.astype(dtype, copy=False)
        return SimpleNamespace(X=X, sw=sw, targets=targets, layout=layout,
                               theta=theta, dtype=dtype, rng=rng,
                               random_state=random_state, history=history,
                               incremental=incremental)

    def _history(self):
        """Copies of what a continued fit extends (the stored lists stay as they are)."""
        return dict(
            loss_curve=list(self.loss_curve_), t=self.t_, loss=self.loss_,
            best_loss=self.best_loss_,
            validation_scores=(None if self.validation_scores_ is None
                               else list(self.validation_scores_)),
            best_validation_score=self.best_validation_score_,
            optimizer_state=self._optimizer_state,
        )

    def _batch_size(self, n_samples):
        if isinstance(self.batch_size, str):
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                f"batch_size={self.batch_size} is larger than the {n_samples} "
                "training samples; using one batch of all of them.",
                UserWarning,
                stacklevel=5,
            )
        return min(self.batch_size, n_samples)

    def _fit_stochastic(self, p):
        """Mini-batch epochs; returns the fitted attributes."""
        X, Y, sw = p.X, p.targets.Y, p.sw
        val = None
        if self.early_stopping:
            X, Y, sw, val = _validation_split(X, Y, sw, p.targets.stratify,
                                              self.validation_fraction,
                                              p.random_state)
        penalty = PenaltySpec(float(self.l1_ratio)).at(self.alpha)
        trainer = Trainer(p.layout, self.activation, p.targets.loss,
                          self._batch_size(Y.shape[0]), p.dtype, self.dropout,
                          self.input_dropout, penalty, self.max_norm)
        optimizer = make_optimizer(
            self.solver, p.layout.size, p.dtype, self.get_params(),
            p.history["optimizer_state"] if p.incremental else None)
        book = _EpochBook(p.history, p.theta, self.tol, self.verbose,
                          early_stopping=val is not None)
        try:
            # Overflow is caught as a non-finite loss, with a warning of ours.
            with np.errstate(over="ignore", invalid="ignore"):
                self._epochs(p, trainer, optimizer, penalty, book, (X, Y, sw), val)
        except KeyboardInterrupt:
            book.status = "interrupted"
        theta = self._final_weights(book, p.theta, p.incremental)
        fitted = book.attributes()
        fitted["_optimizer_state"] = (None if book.status == "diverged"
                                      else optimizer.state())
        # Views of a buffer of this fit that nothing else holds or writes: no
        # copy (a fresh copy of a wide network's weights costs page faults).
        coefs, intercepts = p.layout.views(theta)
        fitted.update(coefs_=coefs, intercepts_=intercepts)
        return fitted

    def _epochs(self, p, trainer, optimizer, penalty, book, train, val):
        """The epoch loop: train ``p.theta`` in place, log each epoch in ``book``."""
        X, Y, sw = train
        theta, nw = p.theta, p.layout.n_weights
        for _ in range(1 if p.incremental else self.max_iter):
            data_loss = trainer.run_epoch(theta, optimizer, X, Y, sw, p.rng,
                                          self.shuffle)
            loss = data_loss + penalty.value(theta[:nw])
            book.count_epoch(Y.shape[0])
            if not (math.isfinite(loss) and np.all(np.isfinite(theta))):
                book.loss_curve.append(loss)
                book.status = "diverged"
                return
            np.copyto(book.last_good, theta)
            score = None
            if val is not None:
                score = self._validation_score(
                    self._outputs(theta, p.layout, val[0]), val[1], val[2])
            book.record(loss, score, theta)
            optimizer.on_epoch_end(book.t)
            if book.stalled(self.n_iter_no_change):
                if optimizer.on_plateau():
                    book.status = "converged"
                    if self.verbose:
                        print(f"{book.what} did not improve more than tol={self.tol} "
                              f"for {self.n_iter_no_change} consecutive epochs. "
                              "Stopping.")
                    return
                book.no_improvement = 0

    def _final_weights(self, book, theta, incremental):
        """The weights to keep, with the warning that goes with how training ended."""
        name = type(self).__name__
        status, last_good = book.status, book.last_good
        if status == "interrupted":
            if book.n_iter == 0:
                raise KeyboardInterrupt     # no new epoch: the old model stays
            kept = (f"the best epoch ({book.best_epoch})" if book.early_stopping
                    else f"the last completed epoch ({book.n_iter})")
            warnings.warn(
                f"Training interrupted by user: {name} keeps the weights of {kept}.",
                UserWarning, stacklevel=5)
            return book.best_theta if book.early_stopping else last_good
        if status == "diverged":
            warnings.warn(
                f"{name} diverged: the training loss became non-finite in epoch "
                f"{book.n_iter} of this fit, so training stopped and the last "
                "finite weights are kept"
                f"{' (the best epoch)' if book.early_stopping else ''}. Lower "
                f"learning_rate_init (now {self.learning_rate_init!r}).",
                ConvergenceWarning, stacklevel=5)
            return book.best_theta if book.early_stopping else last_good
        if status == "max_iter" and not incremental:
            warnings.warn(
                f"{name} stopped at max_iter={self.max_iter} epochs before the "
                f"{'validation score' if book.early_stopping else 'loss'} stopped "
                f"improving by tol={self.tol}; increase max_iter to train longer.",
                ConvergenceWarning, stacklevel=5)
        return book.best_theta if book.early_stopping else theta

    def _fit_lbfgs(self, p):
        """Full-batch L-BFGS-B (in float64); returns the fitted attributes."""
        X = p.X.astype(np.float64)
        Y = p.targets.Y
        if Y.dtype.kind == "f":
            Y = Y.astype(np.float64)
        n = Y.shape[0]
        weights = 1.0 / n if p.sw is None else p.sw.astype(np.float64) / p.sw.sum()
        penalty = PenaltySpec(float(self.l1_ratio)).at(self.alpha)
        objective = full_batch_objective(p.layout, self.activation, p.targets.loss,
                                         X, Y, weights, penalty.l2)
        result = minimize_lbfgs(objective, p.theta.astype(np.float64),
                                p.layout.n_weights, penalty.l1, self.max_iter,
                                self.max_fun, self.tol, bool(self.verbose))
        name = type(self).__name__
        if result.interrupted:
            if not result.losses:
                raise KeyboardInterrupt     # no iteration done: the old model stays
            warnings.warn(
                f"Training interrupted by user: {name} keeps the best weights "
                f"L-BFGS evaluated in {result.n_iter} iterations.",
                UserWarning, stacklevel=4)
        elif not result.converged:
            warnings.warn(
                f"{name} with solver='lbfgs' stopped after {result.n_iter} "
                f"iterations without reaching tol={self.tol}: {result.message}. "
                "Increase max_iter (and max_fun) or scale the data.",
                ConvergenceWarning, stacklevel=4)
        h = p.history
        curve = h["loss_curve"] + result.losses
        best = min([v for v in (h["best_loss"], *result.losses) if v is not None],
                   default=math.inf)
        theta = result.theta.astype(p.dtype)
        coefs, intercepts = p.layout.views(theta)
        return dict(
            coefs_=[c.copy() for c in coefs], intercepts_=[b.copy() for b in intercepts],
            n_iter_=result.n_iter, t_=h["t"] + n * result.n_iter,
            loss_=curve[-1] if curve else math.inf, loss_curve_=curve,
            best_loss_=best, validation_scores_=None, best_validation_score_=None,
            _optimizer_state=None,
        )

    # ---------------------------------------------------------------- predict
    def _outputs(self, theta, layout, X):
        coefs, intercepts = layout.views(theta)
        return forward(coefs, intercepts, X, self.activation)[-1]

    def _output_layer(self, X, masks=None):
        """The output layer's pre-activations for validated ``X`` (never NaN).

        Nothing is dropped unless ``masks`` are given.  A softmax output gets
        the rows that overflowed shifted by their maximum (see
        ``_nn._network.finite_forward``), which its probabilities ignore.
        """
        return finite_forward(self.coefs_, self.intercepts_, X, self.activation,
                              masks, shift=self.out_activation_ == "softmax")

    def _mc_outputs(self, X, n_passes, random_state, transform):
        """``transform`` of the output layer over ``n_passes`` passes with dropout on."""
        check_scalar_param(n_passes, "n_passes", kind=Integral, low=1)
        X = self._validate_X(X)
        rs = check_random_state(random_state)
        rng = np.random.default_rng(rs.randint(0, 2**32, size=4, dtype=np.uint64))
        dtype = self.coefs_[0].dtype
        n = X.shape[0]
        passes = []
        for _ in range(n_passes):
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
            passes.append(transform(self._output_layer(Xt, masks)))
        return np.stack(passes)


def _check_in_range(X, Y):
    """Raise the linear models' ``ValueError`` for data that overflow the range.

    Finite values whose squares sum to infinity in ``X``'s dtype (values near
    ``np.finfo(dtype).max``) make the first epoch non-finite whatever the step
    size, so no training is tried.
    """
    arrays = [X.data if sp.issparse(X) else X.ravel()]
    if Y.dtype.kind == "f":
        arrays.append(Y.astype(X.dtype, copy=False).ravel())
    with np.errstate(over="ignore", invalid="ignore"):
        check_no_overflow(*[np.dot(a, a) for a in arrays])


def _fresh_history():
    return dict(loss_curve=[], t=0, loss=math.inf, best_loss=None,
                validation_scores=None, best_validation_score=None,
                optimizer_state=None)


def _check_validation_size(n_samples, fraction, stratify):
    """Raise our own error before train_test_split could raise its own."""
    n_val = math.ceil(fraction * n_samples)
    n_train = n_samples - n_val
    advice = ("increase validation_fraction (now {f}) or provide more samples, or "
              "set early_stopping=False.").format(f=fraction)
    if n_val < 2 or n_train < 1:
        raise ValueError(
            f"The validation set for early_stopping is too small: "
            f"validation_fraction={fraction} of {n_samples} samples holds {n_val} "
            f"for validation and {n_train} for training (at least 2 and 1 are "
            f"needed); {advice}"
        )
    if stratify is None:
        return
    labels, counts = np.unique(stratify, return_counts=True)
    if counts.min() < 2:
        raise ValueError(
            "The validation set for early_stopping is drawn stratified by class, "
            "which needs at least 2 samples of every class; class index "
            f"{labels[counts.argmin()]} has {counts.min()}. Provide more samples "
            "or set early_stopping=False."
        )
    if min(n_val, n_train) < len(labels):
        raise ValueError(
            f"The validation set for early_stopping is too small: it holds {n_val} "
            f"samples and the training set {n_train}, but the stratified split needs "
            f"one sample of each of the {len(labels)} classes in both; {advice}"
        )


def _validation_split(X, Y, sw, stratify, fraction, random_state):
    """Hold out ``fraction`` of the data; returns ``X, Y, sw, (X_val, Y_val, sw_val)``."""
    arrays = (X, Y) if sw is None else (X, Y, sw)
    split = train_test_split(*arrays, test_size=fraction, stratify=stratify,
                             random_state=random_state)
    X, X_val, Y, Y_val = split[:4]
    sw, sw_val = (None, None) if sw is None else (split[4], split[5])
    X = X if sp.issparse(X) else np.ascontiguousarray(X)
    return X, Y, sw, (X_val, Y_val, sw_val)


class _EpochBook:
    """Per-epoch bookkeeping of a stochastic fit: losses, scores, the stopping count.

    The no-improvement rule is scikit-learn's: an epoch counts as no improvement
    when the training loss is not below the best by ``tol`` (with early stopping:
    the validation score not above the best by ``tol``); training stops (or
    ``learning_rate="adaptive"`` lowers the step) once more than
    ``n_iter_no_change`` such epochs follow each other.
    """

    def __init__(self, history, theta, tol, verbose, early_stopping):
        self.tol, self.verbose, self.early_stopping = tol, verbose, early_stopping
        self.what = "Validation score" if early_stopping else "Training loss"
        self.loss_curve = history["loss_curve"]
        self.t = history["t"]
        self.loss = history["loss"]
        self.n_iter = 0
        self.no_improvement = 0
        self.best_epoch = 0
        self.status = "max_iter"
        self.last_good = theta.copy()
        if early_stopping:
            scores = history["validation_scores"]
            self.validation_scores = [] if scores is None else scores
            best = history["best_validation_score"]
            self.best_validation_score = -math.inf if best is None else best
            self.best_loss = None
            self.best_theta = theta.copy()
        else:
            self.validation_scores = self.best_validation_score = None
            best = history["best_loss"]
            self.best_loss = math.inf if best is None else best
            self.best_theta = None

    def count_epoch(self, n_train):
        self.n_iter += 1
        self.t += n_train

    def record(self, loss, score, theta):
        """Log a finished epoch with a finite loss and update the stopping count."""
        self.loss = loss
        self.loss_curve.append(loss)
        if self.verbose:
            print(f"Iteration {self.n_iter}, loss = {loss:.8f}")
        if self.early_stopping:
            self.validation_scores.append(score)
            if self.verbose:
                print(f"Validation score: {score:.6f}")
            improved = score >= self.best_validation_score + self.tol
            if score > self.best_validation_score:
                self.best_validation_score = score
                np.copyto(self.best_theta, theta)
                self.best_epoch = self.n_iter
        else:
            improved = loss <= self.best_loss - self.tol
            self.best_loss = min(self.best_loss, loss)
        self.no_improvement = 0 if improved else self.no_improvement + 1

    def stalled(self, n_iter_no_change):
        return self.no_improvement > n_iter_no_change

    def attributes(self):
        return dict(
            n_iter_=self.n_iter, t_=self.t, loss_=self.loss,
            loss_curve_=self.loss_curve, best_loss_=self.best_loss,
            validation_scores_=self.validation_scores,
            best_validation_score_=self.best_validation_score,
        )
