"""RegularizedRegressorCV: parameters, validation, and the wiring of its data to
the cross-validation engine (:mod:`skreg._cv_engine`).

In memory the rows are a fold source (:class:`~skreg._cv_sources.RowsFolds`) split
by ``cv``, or, for L2 with ``cv=None``, scored by leave-one-out from one
decomposition (:mod:`skreg._loo`); Dask, Spark and ``partial_fit`` give the
statistics of every fold (:mod:`skreg._fold_cv`).
"""

import numpy as np
import scipy.sparse as sp
from sklearn import get_config
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.validation import validate_data

from ._base import DocLinkMixin, InMemoryScoreMixin, LinearRegressorMixin
from ._cv_engine import LEAST_SQUARES, Search, cross_validate
from ._cv_sources import RowsFolds
from ._distributed import check_in_memory, is_distributed
from ._extensions import LINEAR_MODEL_PARAMS, check_dropouts, resolve_penalty_factor
from ._fitted import FitSettings
from ._fold_cv import _STREAM, fit_distributed, partial_fit_folds
from ._loo import loo_applies, loo_scores
from ._path import check_alphas, check_l2_eps
from ._penalties import PenaltySpec, penalty_ratio
from ._validation import (
    check_params,
    check_sample_weight,
    check_scalar_param,
    one_of,
    real,
    restore_on_error,
)


def _check_ratios(value, name):
    for r in np.atleast_1d(np.asarray(value, dtype=object)):
        check_scalar_param(r, name, low=0.0, high=1.0, low_inclusive=False)


# The parameters of RegularizedRegressorCV and what each must be (the checks
# that tie several together are in ``_check_params``).
PARAMS = dict(
    LINEAR_MODEL_PARAMS,
    penalty=one_of("l2", "l1", "elasticnet", None),
    alphas=lambda value, name: check_alphas(value),
    l1_ratio=_check_ratios,
    eps=real(0.0, 1.0, low_inclusive=False),
    dropouts=lambda value, name: check_dropouts(value),
)


class CrossValidationMixin:
    """What the cross-validated estimators share: the checks that tie the
    dropout parameters together, the search their parameters describe (with the
    loss family ``_family``), the routing of ``groups`` to the splitter, and
    the publication of the fitted attributes."""

    def _check_search(self):
        if self.dropouts is not None and self.dropout:
            raise ValueError(
                f"dropout={self.dropout!r} and dropouts={self.dropouts!r}: give a fixed "
                "rate (dropout) or rates to search (dropouts), not both."
            )
        if self.penalty is None and self.dropouts is None:
            raise ValueError(
                "penalty=None leaves nothing to cross-validate: give dropouts=[...] "
                "(rates of input dropout to choose from), or a penalty."
            )

    def _ratios(self):
        """The ``rho`` values searched and whether ``l1_ratio`` was a list."""
        if self.penalty != "elasticnet":
            return [penalty_ratio(self.penalty, 0.5)], False
        return ([float(r) for r in np.atleast_1d(self.l1_ratio)],
                np.ndim(self.l1_ratio) > 0)

    def _search(self, factor=None):
        """The :class:`~skreg._cv_engine.Search` of the parameters, with the
        resolved penalty ``factor`` (an array, or None)."""
        ratios, ratio_list = self._ratios()
        rates = ((float(self.dropout),) if self.dropouts is None
                 else tuple(sorted(check_dropouts(self.dropouts), reverse=True)))
        spec = (PenaltySpec.pure_dropout(self.positive) if self.penalty is None else
                PenaltySpec.from_params(self.penalty, ratios[0], self.positive, factor,
                                        rates[0]))
        return Search(spec, tuple(ratios), rates, ratio_list, self.dropouts is not None,
                      check_alphas(self.alphas), self.eps,
                      FitSettings(type(self).__name__, self.tol, self.max_iter),
                      self.n_jobs, self._family)

    def get_metadata_routing(self):
        """Get the metadata routing of this object.

        ``groups`` (and any other metadata the splitter requests) given to
        :meth:`fit` is routed to the ``split`` method of the ``cv`` splitter, as
        in :class:`~sklearn.linear_model.LassoCV`.

        Returns
        -------
        routing : sklearn.utils.metadata_routing.MetadataRouter
            The routing of :meth:`fit`'s metadata.
        """
        return (
            MetadataRouter(owner=self.__class__.__name__)
            .add_self_request(self)
            .add(splitter=check_cv(self.cv),
                 method_mapping=MethodMapping().add(caller="fit", callee="split"))
        )

    def _split_params(self, params):
        """The metadata for the splitter's ``split``, from ``fit``'s ``**params``.

        With metadata routing enabled, whatever the splitter requests is routed
        to it.  Without, ``groups`` is passed to ``split`` (as
        :class:`~sklearn.model_selection.GridSearchCV` does) and anything else is
        an error.
        """
        if get_config().get("enable_metadata_routing", False):
            return process_routing(self, "fit", **params).splitter.split
        unknown = sorted(set(params) - {"groups"})
        if unknown:
            raise TypeError(
                f"{type(self).__name__}.fit got unexpected keyword argument(s) "
                f"{unknown}: only 'groups' (for a group splitter such as GroupKFold) "
                "is accepted, or enable metadata routing "
                "(sklearn.set_config(enable_metadata_routing=True)) to route other "
                "metadata to the splitter."
            )
        return {"groups": params["groups"]} if params.get("groups") is not None else {}

    def _publish_cv(self, fitted, stream=False):
        """Set the fitted attributes together (dropping a stale score path, grid
        or rates, and the statistics of a ``partial_fit`` stream unless
        ``stream``)."""
        if "alpha_" in fitted:
            for stale in ("mse_path_", "score_path_", "alphas_", "dropouts_"):
                if stale not in fitted and hasattr(self, stale):
                    delattr(self, stale)
        for stale in () if stream else _STREAM:
            if hasattr(self, stale):
                delattr(self, stale)
        for name, value in fitted.items():
            setattr(self, name, value)


class RegularizedRegressorCV(CrossValidationMixin, MultiOutputMixin, InMemoryScoreMixin,
                             LinearRegressorMixin, RegressorMixin, DocLinkMixin,
                             BaseEstimator):
    r"""RegularizedRegressor with ``alpha``, ``l1_ratio`` (and the dropout rate) picked by cross-validation.

    Minimises the objective of :class:`RegularizedRegressor`,

    .. math::

        F(w, b) = \frac{1}{2S} \sum_i s_i (y_i - x_i^\top w - b)^2
                  + \alpha \sum_j f_j \left( \rho |w_j|
                  + \frac{1 - \rho}{2} w_j^2 \right)
                  + \frac{1}{2} \frac{q}{1 - q} \sum_j d_j w_j^2,
        \qquad d_j = \frac{1}{S} \sum_i s_i x_{ij}^2,

    (``f = penalty_factor``, ``q`` the input-dropout rate) for the ``alpha``
    (and, for the elastic net, the ``rho = l1_ratio``; with ``dropouts``, the
    ``q``) with the best cross-validated score, then refits on all the data.  Each fold computes
    the whole path with :func:`regularization_path`'s machinery: warm starts on a
    problem prepared once for L1 and elastic net, one eigendecomposition for L2.
    With ``penalty="l2"`` and ``cv=None`` the leave-one-out error of every
    ``alpha`` comes from one singular value decomposition, as in
    :class:`~sklearn.linear_model.RidgeCV`.

    Parameters
    ----------
    penalty : {"l2", "l1", "elasticnet"} or None, default="l2"
        The penalty term.  None (no ``alpha`` term) needs ``dropouts``: the
        dropout rate alone is then chosen (pure dropout).
    alphas : int or array-like of float, default=100
        The values themselves, or a number of values spaced geometrically and
        computed on all the data: with an L1 part, from ``alpha_max`` (every
        coefficient zero) down to ``eps * alpha_max``, per ``l1_ratio``; for
        ``"l2"``, from where the fit is essentially zero down to where it is
        essentially least squares, from the spectrum of the centred design (see
        :func:`regularization_path`).
    l1_ratio : float or list of float, default=0.5
        ``rho`` for ``penalty="elasticnet"``, in (0, 1]; a list is searched too.
    eps : float, default=1e-3
        With an L1 part, the ratio of the smallest to the largest ``alpha`` of a
        generated grid.  For ``"l2"``, the top of the grid shrinks every
        least-squares component to ``eps`` of its value and the bottom keeps
        ``1 - eps`` of each.
    cv : int, str, cross-validation generator, iterable or None, default=5
        As in scikit-learn (``KFold`` for an int).  None: leave-one-out for
        ``"l2"`` (efficient, from one SVD), 5-fold otherwise.  For a Dask or
        Spark collection and in :meth:`partial_fit`, which read each row once
        (see the user guide, "Cross-validation in one pass"): an int is
        :class:`HashKFold` with that many folds (None: 5), a ``HashKFold`` its
        own folds, a ``PredefinedSplit`` its labels (dask arrays), and a str
        names a DataFrame's column of integer fold labels.
    scoring : str, callable or None, default=None
        None: the weighted mean squared error on each test fold (lower is
        better); otherwise a scikit-learn regression scorer (higher is better),
        called with the test fold's sample weights.
    n_jobs : int or None, default=None
        Folds (and ``l1_ratio`` values) computed in parallel with joblib.
    fit_intercept : bool, default=True
        Fit an unpenalised intercept.
    max_iter : int, default=1000
        Iteration budget of each fit.
    tol : float, default=1e-4
        Each fit stops at a duality gap of ``tol`` times the objective at 0,
        then is finished as in :class:`RegularizedRegressor` (the curves and
        the refit are as exact as scikit-learn's at its defaults, or more).
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    penalty_factor : array-like of shape (n_features,), dict or Series, default=None
        Per-feature penalty factors ``f_j >= 0``, as in
        :class:`RegularizedRegressor` (``f_j = 0``: unpenalised, in every
        model); the generated grid starts at the ``alpha_max`` of the penalised
        features.
    dropout : float, default=0.0
        A fixed input-dropout rate ``q`` in [0, 1), as in
        :class:`RegularizedRegressor` (``d_j`` from each fit's training rows).
        Input dropout of the linear model, not the hidden-unit ``dropout`` of
        :class:`DropoutMLPClassifier`.
    dropouts : array-like of float or None, default=None
        Input-dropout rates to choose from by cross-validation (``dropout_``),
        together with ``alpha`` (every pair of the grid) or alone with
        ``penalty=None``.  Pure dropout is an L2 problem on the columns scaled
        by ``sqrt(d_j)``, so each fold computes every rate from one
        eigendecomposition, and ``cv=None`` gives the exact leave-one-out
        errors of every rate from one decomposition (with the ``d_j`` of all
        the rows held fixed).  Not together with a non-zero ``dropout``.

    Attributes
    ----------
    alpha_ : float
        The chosen ``alpha`` (0.0 with ``penalty=None``).
    dropout_ : float
        The chosen dropout rate (``dropout`` when ``dropouts`` is None).
    dropouts_ : ndarray of shape (n_dropouts,)
        With ``dropouts``: the rates searched, decreasing (the order of the
        leading axis of ``mse_path_``).
    l1_ratio_ : float
        The chosen ``rho`` (1.0 for ``"l1"``, 0.0 for ``"l2"``).
    alphas_ : ndarray of shape (n_alphas,) or (n_l1_ratio, n_alphas)
        The grid, decreasing (one row per ``l1_ratio`` when a list was given);
        not set with ``penalty=None``.
    mse_path_ : ndarray
        With ``scoring=None``: test-fold MSE of shape (n_alphas, n_folds), or
        (n_l1_ratio, n_alphas, n_folds) for a list of ``l1_ratio``, with a
        leading axis of length n_dropouts when ``dropouts`` is given; for the L2
        leave-one-out, the squared leave-one-out errors of shape
        (n_alphas, n_samples) (averaged over targets).  With ``penalty=None``:
        (n_dropouts, n_folds), or (n_dropouts, n_samples) for the
        leave-one-out.
    score_path_ : ndarray
        With a ``scoring``: the scores in the layout of ``mse_path_`` (for the
        leave-one-out, one column: the score of all the leave-one-out predictions).
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Coefficients of the model refitted on all the data.
    intercept_ : float or ndarray of shape (n_targets,)
        Its intercept.
    dual_gap_ : float or ndarray of shape (n_targets,)
        Its duality gap.
    n_iter_ : int or list of int
        Its iterations (for L1 / elastic net, summed along the path of the full
        data down to ``alpha_``, which the refit follows with warm starts).
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when ``X`` had string column names.

    See Also
    --------
    RegularizedRegressor : The model being tuned.
    regularization_path : The path computed on each fold.
    sklearn.linear_model.LassoCV, sklearn.linear_model.ElasticNetCV,
    sklearn.linear_model.RidgeCV : scikit-learn's three classes for the same job.

    Notes
    -----
    ``alpha`` is in the units of :class:`RegularizedRegressor` (the data term is
    a weighted mean), so ``alphas_`` are directly comparable with ``LassoCV``'s
    and ``ElasticNetCV``'s; ``RidgeCV(alphas=a)`` corresponds to ``alphas=a / S``.
    Scores are weighted by ``sample_weight`` within each test fold, and the
    ``alpha`` with the best mean over the folds is kept (ties go to the larger
    ``alpha``, the simpler model).  When that is the first or last value of the
    grid and the grid does not end there by construction (a generated L2 grid
    ends where nothing changes any more, an L1 grid at ``alpha_max``), a
    ``UserWarning`` says that the optimum may lie outside the grid.  Fits that
    do not reach ``tol`` within ``max_iter`` are counted and reported in one
    ``ConvergenceWarning``.

    The leave-one-out shortcut (``penalty="l2"``, ``cv=None``) is exact for this
    objective: leaving out sample ``i`` changes the weight sum to ``S - s_i``,
    so the ridge parameter of each left-out problem is ``alpha * (S - s_i)``
    in sum-of-squares units.  With one SVD of the centred design the
    leave-one-out residual ``(y_i - yhat_i) / (1 - H_ii)`` costs ``O(n r)`` per
    ``alpha`` (``r`` the rank); see the user guide for the formula.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from skreg import RegularizedRegressorCV
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = RegularizedRegressorCV(penalty="l1", alphas=30).fit(X, y)
    >>> bool(0 < reg.alpha_ < reg.alphas_[0])
    True
    >>> reg.mse_path_.shape
    (30, 5)
    """

    def __init__(self, penalty="l2", *, alphas=100, l1_ratio=0.5, eps=1e-3, cv=5,
                 scoring=None, n_jobs=None, fit_intercept=True, max_iter=1000,
                 tol=1e-4, positive=False, penalty_factor=None, dropout=0.0,
                 dropouts=None):
        self.penalty = penalty
        self.alphas = alphas
        self.l1_ratio = l1_ratio
        self.eps = eps
        self.cv = cv
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.positive = positive
        self.penalty_factor = penalty_factor
        self.dropout = dropout
        self.dropouts = dropouts

    _family = LEAST_SQUARES

    def _check_params(self):
        check_params(self, PARAMS)
        ratios = self._ratios()[0]
        check_l2_eps(self.eps, check_alphas(self.alphas),
                     [] if self.penalty is None else ratios)
        self._check_search()

    def fit(self, X, y, sample_weight=None, **params):
        """Cross-validate the grid, then refit on all the data at the best point.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.  A dask array or DataFrame, or a Spark DataFrame, is
            cross-validated in one pass from the statistics of its folds.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets; with a Spark (or dask) DataFrame ``X``, the name of its
            target column.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights, used in every fit and in every test-fold score; with
            a Spark (or dask) DataFrame ``X``, the name of a column.
        **params : dict
            Metadata for the cross-validation splitter, such as ``groups`` for
            :class:`~sklearn.model_selection.GroupKFold`.  With metadata routing
            enabled, whatever the splitter requests is routed to it.

        Returns
        -------
        self : RegularizedRegressorCV
            The fitted estimator.
        """
        self._check_params()
        if is_distributed(X, y):
            with restore_on_error(self):        # one pass: fold statistics
                self._publish_cv(fit_distributed(self, X, y, sample_weight,
                                                 self._search()))
            return self
        split_params = self._split_params(params)
        with restore_on_error(self):
            self._publish_cv(self._fit(X, y, sample_weight, split_params))
        return self

    def partial_fit(self, X, y, sample_weight=None, folds=None):
        """Add a chunk of rows and cross-validate again on all the rows seen so far.

        Keeps the sufficient statistics of every fold (float64, O(n_folds *
        n_features^2) memory whatever the number of rows) and runs the whole
        cross-validation and refit from them: after any number of chunks the
        model equals :meth:`fit` with ``cv=PredefinedSplit(labels)`` on all the
        rows seen, up to rounding.  Each call costs one pass over the chunk
        plus the paths of every fold on ``n_features x n_features`` statistics,
        so send chunks as large as memory allows.  Only ``scoring=None`` (mean
        squared error) can be computed from statistics.

        Until every fold has rows to train on and to score (at least two folds,
        and every fold of a hash), a ``UserWarning`` says so and only the
        statistics are kept.  A ``partial_fit`` after ``fit`` starts a new
        stream, and warns that it does.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of training data.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Its targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Its sample weights.
        folds : array-like of int of shape (n_samples,), default=None
            The fold of each row of the chunk (``-1``: never in a test fold, as
            in :class:`~sklearn.model_selection.PredefinedSplit`).  None: folds
            by :class:`~skreg.HashKFold`, with ``n_splits=cv`` for an int ``cv``
            (5 for None), or ``cv`` itself when it is a ``HashKFold``.

        Returns
        -------
        self : RegularizedRegressorCV
            The updated estimator.
        """
        check_in_memory(self, "partial_fit", X, y, sample_weight)
        self._check_params()
        with restore_on_error(self):
            self._publish_cv(partial_fit_folds(self, X, y, sample_weight, folds,
                                               self._search()), stream=True)
        return self

    def _fit(self, X, y, sample_weight, split_params):
        """Cross-validate rows in memory; the fitted attributes."""
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"],
                             dtype=[np.float64, np.float32], multi_output=True,
                             y_numeric=True)
        if sp.issparse(X):
            X = X.tocsr()
        y = np.asarray(y, dtype=X.dtype)
        single = y.ndim == 1
        Y = y[:, None] if single else y
        sw = check_sample_weight(sample_weight, X.shape[0], X.dtype)
        scorer = None if self.scoring is None else check_scoring(self, self.scoring)
        factor = resolve_penalty_factor(self.penalty_factor, X.shape[1],
                                        getattr(self, "feature_names_in_", None))
        search = self._search().with_factor(factor)
        if loo_applies(self.cv, search, X):
            source = RowsFolds(X, Y, sw, self.fit_intercept, [], scorer, single)
            return cross_validate(source, search, loo_scores(source, search))
        splits = check_cv(5 if self.cv is None else self.cv).split(X, y, **split_params)
        source = RowsFolds(X, Y, sw, self.fit_intercept, splits, scorer, single)
        return cross_validate(source, search)
