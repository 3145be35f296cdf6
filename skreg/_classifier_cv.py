"""RegularizedClassifierCV: parameters, validation, and the wiring of labelled rows
to the cross-validation engine (:mod:`skreg._cv_engine`, logistic family)."""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv

from ._base import DocLinkMixin, InMemoryScoreMixin
from ._classifier import CLASSIFIER_PARAMS, LinearClassifierOutputs, encode_labels
from ._cv import CrossValidationMixin
from ._cv_engine import cross_validate
from ._cv_sources import ClassifierFolds
from ._distributed import check_in_memory
from ._extensions import check_dropouts, resolve_penalty_factor
from ._logistic_path import LOGISTIC
from ._path import check_alphas
from ._validation import check_params, one_of, real, restore_on_error


def _check_ratios(value, name):
    for r in np.atleast_1d(np.asarray(value, dtype=object)):
        real(0.0, 1.0)(r, name)


PARAMS = dict(
    CLASSIFIER_PARAMS,
    penalty=one_of("l2", "l1", "elasticnet", None),
    alphas=lambda value, name: check_alphas(value),
    l1_ratio=_check_ratios,
    eps=real(0.0, 1.0, low_inclusive=False, high_inclusive=False),
    dropouts=lambda value, name: check_dropouts(value),
)


class RegularizedClassifierCV(CrossValidationMixin, InMemoryScoreMixin,
                              LinearClassifierOutputs, ClassifierMixin, DocLinkMixin,
                              BaseEstimator):
    r"""RegularizedClassifier with ``alpha`` (``l1_ratio``, the dropout rate)
    picked by cross-validation.

    Minimises the objective of :class:`RegularizedClassifier` for the point of
    the grid with the best cross-validated score, then refits on all the data.
    Each fold computes the whole path of ``alpha`` (from the largest down, each
    fit warm-started from the previous one and its working set), for every
    ``l1_ratio`` and dropout rate searched.

    Parameters
    ----------
    penalty : {"l2", "l1", "elasticnet"} or None, default="l2"
        The penalty term.  None needs ``dropouts``: the dropout rate alone is
        then chosen (pure dropout).
    alphas : int or array-like of float, default=100
        The values, or how many, spaced geometrically from ``alpha_max`` of all
        the data (the smallest ``alpha`` whose model is all-zero, penalty
        factors and unpenalised features accounted for; for pure L2, that of
        ``rho = 1e-3``) down to ``eps * alpha_max``.
    l1_ratio : float or list of float, default=0.5
        ``rho`` for ``penalty="elasticnet"``, in [0, 1] (0 is pure L2); a list
        is searched too.
    eps : float, default=1e-3
        Ratio of the smallest to the largest ``alpha`` of a generated grid.
    cv : int, cross-validation generator or iterable, default=5
        As in scikit-learn (``StratifiedKFold`` for an int).
    scoring : str, callable or None, default=None
        None: the weighted log loss of each test fold (lower is better, in
        ``log_loss_path_``); otherwise a scikit-learn classification scorer
        (higher is better, in ``score_path_``).
    n_jobs : int or None, default=None
        Folds computed in parallel with joblib.
    fit_intercept, class_weight, positive, penalty_factor, dropout
        As in :class:`RegularizedClassifier`.
    dropouts : array-like of float or None, default=None
        Input-dropout rates to choose from (``dropout_``), with every ``alpha``
        or alone with ``penalty=None``.
    tol, max_iter
        As in :class:`RegularizedClassifier`, for every fit.

    Attributes
    ----------
    alpha_ : float
        The chosen ``alpha`` (0.0 with ``penalty=None``).
    l1_ratio_ : float
        The chosen ``rho``.
    dropout_ : float
        The chosen dropout rate.
    alphas_ : ndarray of shape (n_alphas,) or (n_l1_ratio, n_alphas)
        The grid, decreasing.
    log_loss_path_ : ndarray
        With ``scoring=None``: the test-fold log loss of shape (n_alphas,
        n_folds), with a leading axis per ``l1_ratio`` (a list) and per dropout
        rate (``dropouts``), as ``mse_path_`` of :class:`RegularizedRegressorCV`.
    score_path_ : ndarray
        With a ``scoring``: the scores in the same layout.
    coef_, intercept_, classes_, n_iter_, dual_gap_
        Of the model refitted on all the data (``n_iter_`` summed along its
        path down to ``alpha_``).
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when ``X`` had string column names.

    See Also
    --------
    RegularizedClassifier : The model being tuned.
    sklearn.linear_model.LogisticRegressionCV : scikit-learn's, on a fixed grid
        of ``C`` scored by accuracy.

    Notes
    -----
    Ties go to the larger ``alpha`` (the simpler model); a ``UserWarning``
    when the choice is an end of the grid that is not a limit.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skreg import RegularizedClassifierCV
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = RegularizedClassifierCV(penalty="l1", alphas=20).fit(X, y)
    >>> bool(0 < clf.alpha_ < clf.alphas_[0])
    True
    >>> clf.log_loss_path_.shape
    (20, 5)
    """

    def __init__(self, penalty="l2", *, alphas=100, l1_ratio=0.5, eps=1e-3, cv=5,
                 scoring=None, n_jobs=None, fit_intercept=True, class_weight=None,
                 positive=False, penalty_factor=None, dropout=0.0, dropouts=None,
                 tol=1e-4, max_iter=100):
        self.penalty = penalty
        self.alphas = alphas
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.cv = cv
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.fit_intercept = fit_intercept
        self.class_weight = class_weight
        self.positive = positive
        self.penalty_factor = penalty_factor
        self.dropout = dropout
        self.dropouts = dropouts
        self.tol = tol
        self.max_iter = max_iter

    _family = LOGISTIC

    def _check_params(self):
        check_params(self, PARAMS)
        self._check_search()

    def fit(self, X, y, sample_weight=None, **params):
        """Cross-validate the grid, then refit on all the data at the best point.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights, used in every fit and every test-fold score.
        **params : dict
            Metadata for the splitter, such as ``groups``.

        Returns
        -------
        self : RegularizedClassifierCV
            The fitted estimator.
        """
        self._check_params()
        check_in_memory(self, "fit", X, y, sample_weight)
        split_params = self._split_params(params)
        with restore_on_error(self):
            X, classes, codes, sw = encode_labels(self, X, y, sample_weight)
            factor = resolve_penalty_factor(self.penalty_factor, X.shape[1],
                                            getattr(self, "feature_names_in_", None))
            scorer = None if self.scoring is None else check_scoring(self,
                                                                     self.scoring)
            splits = check_cv(self.cv, y, classifier=True).split(X, y, **split_params)
            source = ClassifierFolds(X, classes[codes], codes, sw, classes,
                                     self.fit_intercept, splits, scorer)
            self._publish_cv(cross_validate(source, self._search(factor)))
        return self
