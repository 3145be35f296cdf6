"""RegularizedClassifier: parameters, validation, labels and class weights, and the
fitted attributes of a logistic fit (no numerics)."""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import DocLinkMixin, InMemoryScoreMixin, linear_predictor
from ._distributed import check_in_memory
from ._extensions import LINEAR_MODEL_PARAMS, resolve_penalty_factor
from ._fitted import FitSettings, logistic_attributes
from ._logistic import LogisticProblem, log_probabilities
from ._logistic_path import fit_logistic, logistic_top
from ._penalties import PENALTIES, PenaltySpec
from ._validation import (
    boolean,
    check_params,
    encode_classes,
    one_of,
    real,
    restore_on_error,
    warn_user,
)

CLASSIFIER_SOLVERS = ("auto", "prox_newton", "lbfgs")


def _check_class_weight(value, name):
    if value is None or (isinstance(value, str) and value == "balanced"):
        return
    if not isinstance(value, dict):
        raise TypeError(f"Parameter {name!r} must be None, 'balanced' or a dict of "
                        f"class: weight, got {value!r}.")


# The parameters of RegularizedClassifier (and of its CV) and what each must be.
CLASSIFIER_PARAMS = dict(LINEAR_MODEL_PARAMS, l1_ratio=real(0.0, 1.0),
                         class_weight=_check_class_weight)
PARAMS = dict(CLASSIFIER_PARAMS, penalty=one_of(*PENALTIES), alpha=real(0.0),
              solver=one_of(*CLASSIFIER_SOLVERS), warm_start=boolean)


def encode_labels(estimator, X, y, sample_weight, reset=True):
    """Validate ``(X, y)`` for a classifier; ``(X, classes, codes, s)`` with ``s``
    the sample weights times the class weights (float64)."""
    X, y = validate_data(estimator, X, y, accept_sparse=["csr", "csc"],
                         dtype=[np.float64, np.float32], reset=reset)
    classes, codes, sw = encode_classes(y, sample_weight, estimator.class_weight,
                                        type(estimator).__name__)
    return X, classes, codes, sw


def _warn_separable(result, problem, spec, alpha):
    """A ``ConvergenceWarning`` when features without any penalty separate the
    classes: the log loss then has no finite minimum (it tends to 0 as those
    coefficients grow), so no solver's stopping point is an optimum."""
    factor = spec.factor
    free = (not spec.scaled or alpha == 0
            or (factor is not None and np.any(np.asarray(factor) == 0)))
    if not free or spec.needs_moments:
        return
    W = np.asarray(result.coef, dtype=np.float64)
    logp = log_probabilities(problem.linear(W, np.asarray(result.intercept,
                                                          dtype=np.float64)))[0]
    if problem.loss(logp) <= _SEPARABLE * problem.null_objective():
        warn_user(
            "RegularizedClassifier: the unpenalised features separate the classes "
            "(the training log loss is below 1e-6 of the null model's), so the log "
            "loss has no finite minimum: the coefficients are where the solver "
            "stopped, not an optimum. Add a penalty (alpha > 0 on every feature).",
            ConvergenceWarning)


# Training log loss (relative to the null model's) below which the classes count
# as separated.
_SEPARABLE = 1e-6


class LinearClassifierOutputs:
    """``decision_function``, ``predict``, ``predict_proba`` and
    ``predict_log_proba`` of a fitted linear classifier (``coef_``,
    ``intercept_``, ``classes_``), and its tags (sparse input)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def decision_function(self, X):
        """The linear predictor ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, the log-odds of ``classes_[1]``; otherwise one
            column per class (the logits of the softmax).
        """
        check_is_fitted(self, "coef_")
        check_in_memory(self, "decision_function", X)
        eta = linear_predictor(self, X)
        return eta[:, 0] if eta.shape[1] == 1 else eta

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The class of largest probability.
        """
        eta = self.decision_function(X)
        index = (eta > 0).astype(int) if eta.ndim == 1 else np.argmax(eta, axis=1)
        return self.classes_[index]

    def predict_log_proba(self, X):
        """Logarithm of the class probabilities, computed stably from the logits.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        return self._log_probabilities(X)[0]

    def predict_proba(self, X):
        """Class probabilities (sigmoid for two classes, softmax otherwise).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        return self._log_probabilities(X)[1]

    def _log_probabilities(self, X):
        """``(log P, P)`` of the classes, from the logits in float64."""
        eta = np.asarray(self.decision_function(X), dtype=np.float64)
        return log_probabilities(eta[:, None] if eta.ndim == 1 else eta)


class RegularizedClassifier(InMemoryScoreMixin, LinearClassifierOutputs, ClassifierMixin,
                            DocLinkMixin, BaseEstimator):
    r"""Logistic regression (multinomial for more than two classes) with an L1, L2
    or elastic-net penalty, penalty factors and dropout.

    Minimises, over the coefficients ``W`` (one row for two classes, one per
    class otherwise) and the intercepts ``b``,

    .. math::

        F(W, b) = -\frac{1}{S} \sum_{i=1}^{n} s_i \log p_{i, y_i}(W, b)
                  + \alpha \sum_k \sum_{j=1}^{p} f_j \left( \rho |w_{kj}|
                  + \frac{1 - \rho}{2} w_{kj}^2 \right)
                  + \frac{1}{2} \frac{q}{1 - q} \sum_{j=1}^{p} d_j w_j^2,

    where ``p_i = sigmoid`` (two classes) or ``softmax`` of ``x_i W^T + b``,
    ``s`` are the sample weights times the class weights, ``S = sum(s)``,
    ``rho`` is ``l1_ratio``, ``f`` is ``penalty_factor`` and ``q`` is
    ``dropout``, whose curvature weights ``d_j = sum_i s_i p_i (1 - p_i)
    x_ij^2 / S`` are those of the fitted model (see Notes).  The intercepts are
    never penalised.  ``alpha`` is on the scale of the per-sample log loss, the
    convention of :class:`RegularizedRegressor`, glum and skglm:
    ``LogisticRegression(C=c)`` is ``RegularizedClassifier(alpha=1 / (c * S))``
    (``S = n_samples`` without weights).

    Parameters
    ----------
    penalty : {"l2", "l1", "elasticnet"} or None, default="l2"
        The penalty term (None: no ``alpha`` term).
    alpha : float, default=1.0
        Penalty strength, >= 0.  :class:`RegularizedClassifierCV` chooses it.
    l1_ratio : float, default=0.5
        The share ``rho`` of the L1 term, in [0, 1]; with ``penalty="elasticnet"``.
    penalty_factor : array-like of shape (n_features,), dict or Series, default=None
        Per-feature factors ``f_j >= 0`` of the ``alpha`` term (a dict or Series
        keyed by column name); ``f_j = 0`` leaves feature ``j`` unpenalised.
    dropout : float, default=0.0
        The input-dropout rate ``q`` in [0, 1) of the quadratic dropout penalty
        (two classes only).
    fit_intercept : bool, default=True
        Fit unpenalised intercepts.
    class_weight : dict, "balanced" or None, default=None
        Multipliers of ``sample_weight`` per class (``"balanced"``: inversely
        proportional to the weighted class frequencies), as in scikit-learn.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    solver : {"auto", "prox_newton", "lbfgs"}, default="auto"
        - ``"auto"``: proximal Newton, except for L2 or no penalty (without
          dropout) on problems whose Hessian costs more than ``1e8`` flops
          (``n_samples * (n_coef * n_features)**2``): L-BFGS.
        - ``"prox_newton"``: proximal Newton on working sets: quadratic models
          of the loss minimised by compiled coordinate descent, a line search
          (with L2 or no penalty each step is an exact Newton step).
        - ``"lbfgs"``: scipy's L-BFGS-B on the smooth objective (no L1 part).
    tol : float, default=1e-4
        Converged means a duality gap of at most ``tol`` times the objective of
        the null model (intercepts only).  The answer is then finished: the
        Newton steps go on to a gap 100 times smaller (one or two more steps,
        which converge quadratically; L-BFGS to 1000 times smaller), because a
        gap pins the coefficients only to about its square root.
    max_iter : int, default=100
        Newton iterations at most.
    warm_start : bool, default=False
        Start from the previous ``coef_`` and ``intercept_``.

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients (one row for two classes: those of ``classes_[1]``).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts.
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_iter_ : int
        Newton iterations run.
    dual_gap_ : float
        The duality gap reached (float64), on the scale of ``F``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when ``X`` had string column names.

    See Also
    --------
    RegularizedClassifierCV : Chooses ``alpha`` (and ``l1_ratio``, the dropout
        rate) by cross-validation.
    sklearn.linear_model.LogisticRegression : The same model at ``C = 1 / (alpha S)``.

    Notes
    -----
    The duality gap is computed in float64 from a dual point built from the
    residual ``Y - P`` (mixed to meet the intercepts' constraint, and scaled
    into the penalty's domain), so it bounds ``F(coef_, intercept_) - min F`` at
    any point.  Without a penalty, separable classes have no finite optimum:
    the coefficients grow until ``max_iter`` and a ``ConvergenceWarning`` says
    so (nothing overflows).

    Dropout: inverted dropout of the inputs adds to the linear predictor the
    variance ``q / (1 - q) sum_j x_ij^2 w_j^2``; the second-order expansion of
    the expected log loss in it is the penalty above (Wager, Wang and Liang,
    2013).  Its weights ``d_j`` depend on the fitted probabilities; the
    estimator is the fixed point where they are those of its own answer,
    reached by re-weighting (see the user guide).

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skreg import RegularizedClassifier
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = RegularizedClassifier(penalty="l1", alpha=0.01).fit(X, y)
    >>> int((clf.coef_ != 0).sum())
    9
    >>> round(clf.score(X, y), 3)
    0.974
    """

    def __init__(self, penalty="l2", alpha=1.0, *, l1_ratio=0.5, penalty_factor=None,
                 dropout=0.0, fit_intercept=True, class_weight=None, positive=False,
                 solver="auto", tol=1e-4, max_iter=100, warm_start=False):
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.penalty_factor = penalty_factor
        self.dropout = dropout
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.positive = positive
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.warm_start = warm_start

    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (CSR and CSC used without densifying; float32 kept).
        y : array-like of shape (n_samples,)
            Class labels (strings, booleans or integers).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, multiplied by the class weights.

        Returns
        -------
        self : RegularizedClassifier
            The fitted estimator.
        """
        check_params(self, PARAMS)
        check_in_memory(self, "fit", X, y, sample_weight)
        with restore_on_error(self):
            fitted = self._fit(X, y, sample_weight)
            for name, value in fitted.items():
                setattr(self, name, value)
        return self

    def _fit(self, X, y, sample_weight):
        X, classes, codes, sw = encode_labels(self, X, y, sample_weight)
        factor = self._factor(X.shape[1], getattr(self, "feature_names_in_", None))
        spec = PenaltySpec.from_params(self.penalty, self.l1_ratio, self.positive,
                                       factor, self.dropout)
        problem = LogisticProblem(X, codes, sw, classes.size, self.fit_intercept)
        coef_init, intercept_init = self._warm_start(problem, classes)
        settings = FitSettings("RegularizedClassifier", self.tol, self.max_iter)
        try:
            result, _ = fit_logistic(problem, spec, self.alpha, self.tol,
                                     self.max_iter, coef_init, intercept_init,
                                     solver=self.solver)
        except KeyboardInterrupt as exc:
            result = getattr(exc, "skreg_result", None)
            if result is None:
                raise
            warn_user("RegularizedClassifier: fit interrupted by the user; the model "
                      f"is the last iterate (duality gap {result.gap:.3g}, not "
                      "converged).", UserWarning)
            result.converged = True             # said above, do not warn twice
        self._warn_all_zero(result, problem, spec)
        _warn_separable(result, problem, spec, self.alpha)
        return logistic_attributes(result, classes, X.dtype, settings)

    def _factor(self, n_features, names):
        """The penalty factors of this fit (float64 array or None)."""
        return resolve_penalty_factor(self.penalty_factor, n_features, names)

    def _warm_start(self, problem, classes):
        """The previous model as a start, with ``warm_start`` (else None, None)."""
        if not (self.warm_start and hasattr(self, "coef_")):
            return None, None
        if (self.coef_.shape != (problem.n_coef, problem.shape[1])
                or not np.array_equal(self.classes_, classes)):
            return None, None
        return self.coef_, self.intercept_

    def _warn_all_zero(self, result, problem, spec):
        """An all-zero model from an L1 part: say that ``alpha`` is at or above
        ``alpha_max`` (the model predicts the class shares)."""
        if np.any(result.coef) or not spec.has_l1(self.alpha):
            return
        top = logistic_top(problem, spec)
        warn_user(
            f"RegularizedClassifier: alpha={self.alpha:g} is at or above alpha_max="
            f"{top:.4g}, where every penalised coefficient is zero: the model "
            "predicts the class shares. Use a smaller alpha, or "
            "RegularizedClassifierCV to choose it.", UserWarning)
