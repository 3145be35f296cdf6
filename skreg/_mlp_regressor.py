"""DropoutMLPRegressor: the networks' identity output and squared error, or the
exponential output and Poisson deviance.

Training lives in the shared base (``_mlp.py``); this module checks the targets,
scores the held-out set by R^2 and predicts values, or their Monte Carlo dropout
mean and spread.
"""

from types import SimpleNamespace

import numpy as np
import scipy.sparse as sp
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import validate_data

from ._base import InMemoryScoreMixin
from ._mlp import BaseDropoutMLP
from ._mlp_docs import shared_docs
from ._nn._losses import OUTPUT_OF, OUTPUTS
from ._validation import check_option, check_sample_weight

LOSS_NAMES = ("squared_error", "poisson")


@shared_docs()
class DropoutMLPRegressor(InMemoryScoreMixin, RegressorMixin, BaseDropoutMLP):
    r"""Multilayer perceptron regressor with inverted dropout and weight penalties.

    A drop-in for :class:`sklearn.neural_network.MLPRegressor` (same parameter
    names and meanings, same fitted attributes; with ``solver="lbfgs"`` also
    pass ``dropout=0``, since the default ``dropout=0.2`` needs a stochastic
    solver) that adds dropout, an L1 /
    elastic-net weight penalty, max-norm constraints and Monte Carlo dropout
    predictions with an uncertainty estimate (:meth:`predict_mc`).  With
    ``loss="squared_error"`` the output is the identity; each mini-batch ``B``
    takes one step on

    .. math::

        L_B(\theta) = \frac{1}{2 S_B} \sum_{i \in B} s_i
            \lVert y_i - f_\theta(x_i) \rVert_2^2
            + \alpha \left( \rho \lVert W \rVert_1
            + \frac{1 - \rho}{2} \lVert W \rVert_2^2 \right)

    where ``s_i`` is the sample weight, ``S_B = sum_{i in B} s_i``,
    ``rho = l1_ratio`` and ``W`` are all the weights (never the biases).  The
    squared error of a sample is summed over its outputs.  With
    ``loss="poisson"`` the output is ``mu = exp(f_theta(x))`` (a log link) and
    the squared error is replaced by half the Poisson deviance, as in
    :class:`~sklearn.neural_network.MLPRegressor`:

    .. math::

        L_B(\theta) = \frac{1}{S_B} \sum_{i \in B} s_i \sum_k \left(
            y_{ik} \log \frac{y_{ik}}{\mu_{ik}} - y_{ik} + \mu_{ik} \right)
            + \alpha \left( \rho \lVert W \rVert_1
            + \frac{1 - \rho}{2} \lVert W \rVert_2^2 \right)

    {{objective_notes}}

    How this maps to :class:`~sklearn.neural_network.MLPRegressor`: with
    ``dropout=0`` its steps from the same weights are ours with
    ``MLPRegressor(alpha=alpha * S_B)``: its gradient is the gradient of the
    objective above (tested to 1e-10, for 1-D and 2-D ``y``, and for
    ``loss="poisson"``).  The loss it
    *reports* (``loss_``, ``loss_curve_``) averages the squared error over the
    outputs as well, so for ``k`` outputs its reported data term is ours
    divided by ``k``; for one output the two are the same.

    Parameters
    ----------
    {{params_architecture}}
    tol : float, default=1e-4
        Training stops (or, with ``learning_rate="adaptive"``, the step is
        divided by 5) when the training loss (or, with ``early_stopping``, the
        validation R^2) has not improved by ``tol`` for more than
        ``n_iter_no_change`` consecutive epochs.  With ``"lbfgs"``: the
        tolerance on the largest projected-gradient entry.
    {{params_training}}
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data, stop when its R^2 (the
        mean over the outputs) stalls, and restore the weights of the best
        epoch.
    {{params_adam}}
    dropout : float, default=0.2
        Probability of dropping each hidden unit during training, in [0, 1)
        (hidden units, with random masks; the ``dropout`` of
        :class:`RegularizedRegressor` is input dropout of a linear model, taken
        exactly in expectation as a penalty); 0 turns dropout off (and must be 0 with ``solver="lbfgs"``).  The same
        default as :class:`DropoutMLPClassifier`, measured with the default
        architecture and settings, mean test R^2 over 5 seeds
        (``benchmarks/bench_mlp.py --choose-default --datasets diabetes
        friedman1 friedman3``): against no dropout, 0.2 gained 7.6 points on
        load_diabetes (0.340 vs 0.265), tied on make_friedman1 (0.950) and lost
        0.6 on make_friedman3 (0.872 vs 0.878), large and nearly noise-free.
    {{params_penalties}}
    loss : {"squared_error", "poisson"}, default="squared_error"
        The data term: half the squared error with an identity output, or half
        the Poisson deviance with an exponential output (a log link), which
        needs ``y >= 0`` and predicts the mean ``exp(f(x))``; as
        scikit-learn's MLPRegressor.  Keyword-only here (scikit-learn's
        MLPRegressor takes it as its first positional argument).

    Attributes
    ----------
    {{attributes_network}}
    validation_scores_ : list of float or None
        Held-out R^2 after each epoch with ``early_stopping``.
    best_validation_score_ : float or None
        Best of ``validation_scores_``.
    n_outputs_ : int
        Number of outputs (columns of ``y``).
    out_activation_ : str
        ``"identity"``, or ``"exp"`` with ``loss="poisson"``.

    See Also
    --------
    sklearn.neural_network.MLPRegressor : The same network without dropout;
        its ``alpha`` is ``alpha * batch_size`` here.
    DropoutMLPClassifier : The same network for classification.
    RegularizedRegressor : The same penalties on a linear model.

    Notes
    -----
    :meth:`predict_mc` keeps dropout on at prediction (Monte Carlo dropout, Gal
    and Ghahramani, 2016): the mean over many stochastic passes is a
    prediction, and the standard deviation across passes measures how much it
    depends on which units are present.  It grows beyond the range of the
    training data (less so in gaps inside it), which is the usual reason to
    want dropout in a regressor.  It is a spread of the model, not a
    calibrated prediction interval: it leaves out the noise in ``y``.

    {{reliability_notes}}

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.model_selection import train_test_split
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skreg import DropoutMLPRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> net = make_pipeline(StandardScaler(), DropoutMLPRegressor(
    ...     (64,), solver="lbfgs", dropout=0.0, alpha=0.1, random_state=0))
    >>> net.fit(X_train, y_train / 100).score(X_test, y_test / 100) > 0.3
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
        loss="squared_error",
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
        self.loss = loss

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.positive_only = self.loss == "poisson"
        return tags

    # ------------------------------------------------------------------ checks
    def _check_params(self, incremental):
        sizes = super()._check_params(incremental)
        check_option(self.loss, "loss", LOSS_NAMES)
        return sizes

    def _validate_training_data(self, X, y, reset):
        X, y = validate_data(
            self, X, y, accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32], reset=reset, multi_output=True,
            y_numeric=True,
        )
        X = X.tocsr() if sp.issparse(X) else np.ascontiguousarray(X)
        return X, y

    def _encode_targets(self, y, first_call, incremental, classes):
        Y = np.asarray(y, dtype=np.float64)
        Y = Y.reshape(-1, 1) if Y.ndim == 1 else Y
        if not first_call and Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[1]} output(s) but the fitted model predicts "
                f"{self.n_outputs_}; refit without warm_start."
            )
        if not first_call and OUTPUT_OF[self.loss] != self.out_activation_:
            raise ValueError(
                f"loss={self.loss!r} needs the output {OUTPUT_OF[self.loss]!r} but the "
                f"fitted model has {self.out_activation_!r}; refit without "
                "warm_start, or keep the loss of the first fit."
            )
        if self.loss == "poisson" and np.any(Y < 0):
            raise ValueError(
                "loss='poisson' needs non-negative targets y (counts or rates); "
                f"y has {int(np.count_nonzero(Y < 0))} negative value(s), the "
                f"smallest {Y.min()!r}. Use loss='squared_error' for signed targets."
            )
        return SimpleNamespace(Y=Y, loss=self.loss, out_activation=OUTPUT_OF[self.loss],
                               n_outputs=Y.shape[1], stratify=None, attributes={})

    def _training_weights(self, targets, sample_weight, n_samples, dtype,
                          incremental):
        if sample_weight is None:
            return None
        return check_sample_weight(sample_weight, n_samples, dtype)

    def _validation_score(self, Z, Y, sw):
        """Held-out R^2 of the predictions, the mean over the outputs."""
        return float(r2_score(Y, OUTPUTS[OUTPUT_OF[self.loss]](Z), sample_weight=sw))

    # -------------------------------------------------------------------- fit
    def fit(self, X, y, sample_weight=None):
        """Train the network on ``(X, y)`` for up to ``max_iter`` epochs.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.  Sparse matrices are multiplied without densifying;
            float32 data are trained in float32.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values (non-negative with ``loss="poisson"``).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights ``s_i``.

        Returns
        -------
        self : DropoutMLPRegressor
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    @available_if(BaseDropoutMLP._partial_fit_available)
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``(X, y)``, continuing from the current weights.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Its targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        self : DropoutMLPRegressor
            The updated estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    # ---------------------------------------------------------------- predict
    def _shape(self, values):
        """1-D for one output (as scikit-learn's MLPRegressor), else 2-D."""
        return values[..., 0] if self.n_outputs_ == 1 else values

    def predict(self, X):
        """Predicted values, with nothing dropped (deterministic).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predictions (with ``loss="poisson"`` the mean ``exp(f(x))``);
            1-D when the model has one output.
        """
        return self._shape(self._mean(self._output_layer(self._validate_X(X))))

    def _mean(self, Z):
        """The predicted mean from the output layer: ``Z``, or ``exp(Z)``."""
        return OUTPUTS[self.out_activation_](Z)

    def predict_mc(self, X, n_passes=50, *, random_state=None, return_passes=False):
        """Monte Carlo dropout: the predictive mean and spread with dropout kept on.

        Runs ``n_passes`` stochastic forward passes, each with fresh masks drawn
        as in training (``dropout`` on the hidden units, ``input_dropout`` on the
        inputs).  As ``n_passes`` grows the mean settles near :meth:`predict`
        (the full network approximates the average of the thinned ones); the
        standard deviation across passes is the model's spread, which grows
        beyond the range of the training data.  With ``dropout = input_dropout = 0`` every pass
        is the same and the spread is zero.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.
        n_passes : int, default=50
            Number of stochastic passes ``T``.
        random_state : int, RandomState instance or None, default=None
            Seeds the masks; an int makes the result reproducible.
        return_passes : bool, default=False
            Also return every pass's predictions.

        Returns
        -------
        mean : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Mean prediction over the passes.
        std : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Standard deviation of the predictions over the passes.
        passes : ndarray of shape (n_passes, n_samples) or (n_passes, n_samples, n_outputs)
            Only with ``return_passes=True``.
        """
        passes = self._shape(self._mc_outputs(X, n_passes, random_state,
                                              self._mean))
        mean, std = passes.mean(axis=0), passes.std(axis=0)
        if return_passes:
            return mean, std, passes
        return mean, std
