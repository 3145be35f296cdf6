"""DropoutMLPClassifier: labels, class weights, probabilities.

Training lives in the shared base (``_mlp.py``); this module turns labels into
the output layer's targets and the output back into labels and probabilities.
"""

from types import SimpleNamespace

import numpy as np
import scipy.sparse as sp
from sklearn.base import ClassifierMixin
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d, validate_data

from ._base import InMemoryScoreMixin
from ._mlp import BaseDropoutMLP
from ._mlp_docs import shared_docs
from ._nn._losses import OUTPUTS, class_probabilities
from ._validation import check_sample_weight


@shared_docs()
class DropoutMLPClassifier(InMemoryScoreMixin, ClassifierMixin, BaseDropoutMLP):
    r"""Multilayer perceptron classifier with inverted dropout and weight penalties.

    A drop-in for :class:`sklearn.neural_network.MLPClassifier` (same parameter
    names and meanings, same fitted attributes; with ``solver="lbfgs"`` also
    pass ``dropout=0``, since the default ``dropout=0.2`` needs a stochastic
    solver) that adds dropout, an L1 /
    elastic-net weight penalty, max-norm constraints and class weights.  Each
    mini-batch ``B`` takes one step on

    .. math::

        L_B(\theta) = \frac{1}{S_B} \sum_{i \in B} s_i \, \ell(y_i, f_\theta(x_i))
            + \alpha \left( \rho \lVert W \rVert_1
            + \frac{1 - \rho}{2} \lVert W \rVert_2^2 \right)

    where ``s_i`` is the sample weight times the class weight of ``y_i``,
    ``S_B = sum_{i in B} s_i``, ``rho = l1_ratio``, ``W`` are all the weights
    (never the biases) and ``l`` is the cross-entropy: logistic for two classes,
    softmax for more, and for a multilabel target (a 2-D 0/1 indicator ``y``)
    one logistic output per label with the binary cross-entropies summed over
    the labels, as scikit-learn's MLPClassifier.

    {{objective_notes}}

    Parameters
    ----------
    {{params_architecture}}
    tol : float, default=1e-4
        Training stops (or, with ``learning_rate="adaptive"``, the step is
        divided by 5) when the training loss (or, with ``early_stopping``, the
        validation accuracy) has not improved by ``tol`` for more than
        ``n_iter_no_change`` consecutive epochs.  With ``"lbfgs"``: the
        tolerance on the largest projected-gradient entry.
    {{params_training}}
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified, except for
        multilabel targets), stop when its accuracy (subset accuracy for
        multilabel targets) stalls, and restore the weights of the best epoch.
    {{params_adam}}
    dropout : float, default=0.2
        Probability of dropping each hidden unit during training, in [0, 1)
        (hidden units, with random masks; the ``dropout`` of
        :class:`RegularizedRegressor` is input dropout of a linear model, taken
        exactly in expectation as a penalty); 0 turns dropout off (and must be 0 with ``solver="lbfgs"``).  The
        default was chosen by measurement with the default architecture and
        settings, mean test accuracy over 5 seeds
        (``benchmarks/bench_mlp.py --choose-default``): against no dropout,
        0.2 gained 3.8 points on mnist1d (0.615 vs 0.577), 6.4 on a
        make_classification set (0.785 vs 0.720) and 0.4 on load_breast_cancer,
        and lost 0.1 on load_digits (0.979 vs 0.980), within the spread across
        seeds (0.3 points).  0.3 and 0.5 gained a little more accuracy where the
        network overfits but had worse log-loss on load_digits and mnist1d.
    {{params_penalties}}
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into ``sample_weight``.  ``"balanced"``
        uses ``n_samples / (n_classes * count(class))``.  Not for multilabel
        targets.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (for a multilabel target, ``0 .. n_labels - 1``).
    {{attributes_network}}
    validation_scores_ : list of float or None
        Held-out accuracy after each epoch with ``early_stopping``.
    best_validation_score_ : float or None
        Best of ``validation_scores_``.
    n_outputs_ : int
        Number of output units (1 for two classes, one per label for a
        multilabel target).
    out_activation_ : str
        ``"logistic"`` for two classes and multilabel targets, ``"softmax"``
        for more classes.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : The same network without dropout;
        its ``alpha`` is ``alpha * batch_size`` here.
    DropoutMLPRegressor : The same network for regression.
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

    {{reliability_notes}}

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
        max_fun=15000,
        dropout=0.2,
        input_dropout=0.0,
        l1_ratio=0.0,
        max_norm=None,
        class_weight=None,
    ):
        super().__init__(
            hidden_layer_sizes, activation, solver=solver, alpha=alpha,
            batch_size=batch_size, learning_rate=learning_rate,
            learning_rate_init=learning_rate_init, power_t=power_t,
            max_iter=max_iter, shuffle=shuffle, random_state=random_state, tol=tol,
            verbose=verbose, warm_start=warm_start, momentum=momentum,
            nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
            validation_fraction=validation_fraction, beta_1=beta_1, beta_2=beta_2,
            epsilon=epsilon, n_iter_no_change=n_iter_no_change, max_fun=max_fun,
            dropout=dropout, input_dropout=input_dropout, l1_ratio=l1_ratio,
            max_norm=max_norm,
        )
        self.class_weight = class_weight

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    # ------------------------------------------------------------------ checks
    def _check_params(self, incremental):
        sizes = super()._check_params(incremental)
        cw = self.class_weight
        if not (cw is None or isinstance(cw, dict)
                or (isinstance(cw, str) and cw == "balanced")):
            raise ValueError(
                "Parameter 'class_weight' must be None, 'balanced' or a dict mapping "
                f"class labels to weights; got {cw!r}."
            )
        if incremental and isinstance(cw, str):
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: a single "
                "chunk does not know the class frequencies of all the data. Pass a "
                "dict of class weights instead."
            )
        return sizes

    def _validate_training_data(self, X, y, reset):
        X, y = validate_data(
            self, X, y, accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32], reset=reset, multi_output=True,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if y.ndim == 2 and type_of_target(y) != "multilabel-indicator":
            raise ValueError(
                "A 2-D y must be a multilabel indicator (0/1 in every column); got "
                f"a target of type {type_of_target(y)!r}. Pass 1-D labels for one "
                "output."
            )
        X = X.tocsr() if sp.issparse(X) else np.ascontiguousarray(X)
        return X, y

    def _is_multilabel(self):
        return self.out_activation_ == "logistic" and self.n_outputs_ > 1

    def _encode_targets(self, y, first_call, incremental, classes):
        """The output layer's targets, and ``classes_`` (not yet published)."""
        if y.ndim == 2:
            return self._encode_multilabel(y, first_call, classes)
        if not first_call and self._is_multilabel():
            raise ValueError(
                f"The fitted model has a multilabel target of {self.n_outputs_} "
                "labels; y must be a 2-D indicator of as many columns, got 1-D labels."
            )
        if first_call:
            if incremental and classes is None:
                raise ValueError(
                    "classes must be passed on the first call to partial_fit: "
                    "the labels of all the chunks to come."
                )
            labels = np.unique(np.asarray(classes) if incremental else y)
            if len(labels) < 2:
                raise ValueError(
                    "DropoutMLPClassifier needs samples of at least 2 classes; "
                    f"got 1 class: {labels.tolist()}."
                )
        else:
            labels = self.classes_
        code = np.minimum(np.searchsorted(labels, y), len(labels) - 1)
        if np.any(labels[code] != y):
            unknown = np.setdiff1d(np.unique(y), labels)
            raise ValueError(
                f"y has classes {unknown.tolist()} that are not in classes_ "
                f"{labels.tolist()} (set on the first call to fit / partial_fit)."
            )
        if self.warm_start and not incremental and not first_call:
            if len(np.unique(code)) != len(labels):
                raise ValueError(
                    "warm_start needs y to contain the same classes as the previous "
                    f"fit: {labels.tolist()}, got {np.unique(y).tolist()}."
                )
        binary = len(labels) == 2
        return SimpleNamespace(
            Y=code.astype(np.float64)[:, None] if binary else code,
            code=code, loss="logistic" if binary else "softmax",
            out_activation="logistic" if binary else "softmax",
            n_outputs=1 if binary else len(labels), stratify=code,
            attributes={"classes_": labels},
        )

    def _encode_multilabel(self, y, first_call, classes):
        n_labels = y.shape[1]
        if first_call:
            if classes is not None and len(classes) != n_labels:
                raise ValueError(
                    f"classes has {len(classes)} entries but the multilabel y has "
                    f"{n_labels} columns; for a multilabel target they are the "
                    "columns."
                )
        elif not self._is_multilabel() or self.n_outputs_ != n_labels:
            raise ValueError(
                f"y is a multilabel indicator of {n_labels} columns but the fitted "
                f"model predicts {self.n_outputs_} output(s) for classes "
                f"{self.classes_.tolist()}; refit without warm_start."
            )
        if self.class_weight is not None:
            raise ValueError(
                "Parameter 'class_weight' must be None with a multilabel target: "
                "the labels are not exclusive classes."
            )
        return SimpleNamespace(
            Y=np.asarray(y, dtype=np.float64), code=None, loss="logistic",
            out_activation="logistic", n_outputs=n_labels, stratify=None,
            attributes={"classes_": np.arange(n_labels)},
        )

    def _training_weights(self, targets, sample_weight, n_samples, dtype,
                          incremental):
        """Sample weights times class weights (None when all ones)."""
        sw = None
        if sample_weight is not None:
            sw = check_sample_weight(sample_weight, n_samples, dtype)
        if targets.code is None:                 # multilabel
            return sw
        classes = targets.attributes["classes_"]
        if self.class_weight is not None:
            sw = self._apply_class_weight(sw, targets.code, classes, dtype)
        if not incremental:
            weight_per_class = np.bincount(
                targets.code, weights=sw, minlength=len(classes))
            if np.count_nonzero(weight_per_class > 0) < 2:
                raise ValueError(
                    "DropoutMLPClassifier needs samples of at least 2 classes with "
                    "positive weight; got 1 class."
                )
        return sw

    def _apply_class_weight(self, sw, code, classes, dtype):
        if isinstance(self.class_weight, dict):
            unknown = set(self.class_weight) - set(classes.tolist())
            if unknown:
                raise ValueError(
                    f"class_weight names classes {sorted(map(str, unknown))} that are "
                    f"not in the data's classes {classes.tolist()}."
                )
        present = np.unique(code)
        cw = np.ones(len(classes), dtype=np.float64)
        cw[present] = compute_class_weight(
            self.class_weight, classes=classes[present], y=classes[code])
        weights = cw[code].astype(dtype)
        return weights if sw is None else weights * sw

    def _validation_score(self, Z, Y, sw):
        """Held-out accuracy (subset accuracy for multilabel targets)."""
        if Y.ndim == 1:
            correct = np.argmax(Z, axis=1) == Y
        else:
            correct = np.all((Z > 0) == (Y > 0.5), axis=1)
        return float(np.average(correct.astype(np.float64), weights=sw))

    # -------------------------------------------------------------------- fit
    def fit(self, X, y, sample_weight=None):
        """Train the network on ``(X, y)`` for up to ``max_iter`` epochs.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.  Sparse matrices are multiplied without densifying;
            float32 data are trained in float32.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels (any hashable, comparable labels: ints, strings), or a
            0/1 indicator matrix of several labels per sample (multilabel).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights ``s_i`` (times the class weights).

        Returns
        -------
        self : DropoutMLPClassifier
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    @available_if(BaseDropoutMLP._partial_fit_available)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over ``(X, y)``, continuing from the current weights.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Its labels, or its multilabel indicator matrix.
        classes : array-like of shape (n_classes,), default=None
            All the classes that will ever be seen; required on the first call
            (except for a multilabel target, whose classes are its columns),
            ignored afterwards.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        self : DropoutMLPClassifier
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    # ---------------------------------------------------------------- predict
    def _probabilities(self, Z):
        if self._is_multilabel():
            # Strictly inside (0, 1): expit rounds to 1.0 beyond z = 37.
            p = OUTPUTS["logistic"](Z)
            one = Z.dtype.type(1)
            return np.clip(p, np.finfo(Z.dtype).tiny, np.nextafter(one, 0), out=p)
        return class_probabilities(Z)

    def predict_proba(self, X):
        """Class probabilities, with nothing dropped (deterministic).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class, columns in the order of ``classes_``
            (for a multilabel target, each label's own probability).
        """
        return self._probabilities(self._output_layer(self._validate_X(X)))

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`, computed stably from the logits.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class (of each label, multilabel).
        """
        Z = self._output_layer(self._validate_X(X))
        if self._is_multilabel():
            return -np.logaddexp(0, -Z)
        if Z.shape[1] == 1:
            z = Z[:, 0]
            return np.column_stack([-np.logaddexp(0, z), -np.logaddexp(0, -z)])
        with np.errstate(over="ignore"):    # a difference beyond the range: -inf
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
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_labels)
            The most probable class of each sample; for a multilabel target, the
            0/1 indicator of the labels whose probability exceeds 1/2.
        """
        Z = self._output_layer(self._validate_X(X))
        if self._is_multilabel():
            return (Z > 0).astype(np.int64)
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
        passes = self._mc_outputs(X, n_passes, random_state, self._probabilities)
        mean, std = passes.mean(axis=0), passes.std(axis=0)
        if return_passes:
            return mean, std, passes
        return mean, std
