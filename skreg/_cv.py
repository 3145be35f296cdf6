"""RegularizedRegressorCV: ``alpha`` (and ``l1_ratio``) chosen by cross-validation.

Every fold computes a whole regularization path (``skreg._path``) instead of one
cold fit per grid point, and scores all of it with one matrix product.  For L2
with ``cv=None`` the leave-one-out errors of every ``alpha`` come from one
singular value decomposition.
"""

from numbers import Integral

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn import get_config
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    process_routing,
)
from sklearn.utils.validation import validate_data

from ._base import DocLinkMixin, InMemoryScoreMixin
from ._datafit import prepare_problem, rank_cutoff
from ._distributed import check_in_memory, is_distributed
from ._fold_cv import _REFIT_ATTRIBUTES, _STREAM, fit_distributed, partial_fit_folds
from ._path import (
    alpha_grid,
    check_alphas,
    check_l2_eps,
    grid_inputs_over_rates,
    path_on_problem,
    penalty_ratio,
    prepare_path_problem,
    rmatmat,
    weighted_xty,
)
from ._extensions import (
    PenaltyTerms,
    _is_mapping,
    check_dropout,
    check_dropouts,
    check_penalty_factor,
    rate_grid,
    resolve_penalty_factor,
)
from ._penalties import alpha_max
from ._regressor import RegularizedRegressor, check_finite_model, linear_predict
from ._solvers import MAX_DIRECT_SPARSE
from ._validation import (
    warn_user,
    check_bool,
    restore_on_error,
    check_option,
    check_sample_weight,
    check_scalar_param,
)


class _Predictions(RegressorMixin, BaseEstimator):
    """Stands in for a regressor whose predictions are already known.

    ``scorer(_Predictions(), y_pred, y_true)`` scores precomputed predictions with
    any scikit-learn regression scorer that calls ``predict``.
    """

    def predict(self, X):
        return X


def _fold_scores(X, Y, sw, train, test, rho, alphas, positive, fit_intercept, tol,
                 max_iter, scorer, single, terms=None):
    """Score every alpha of a path fitted on ``train`` on the ``test`` rows.

    ``terms`` (:class:`~skreg._extensions.PenaltyTerms`): penalty factors and
    the dropout term, whose weights come from the training rows.  Returns the
    scores and the number of (alpha, target) fits that did not converge.
    """
    X_tr, Y_tr, sw_tr = X[train], Y[train], sw[train]
    problem, solver = prepare_path_problem(X_tr, Y_tr, sw_tr, fit_intercept, rho,
                                           positive, len(alphas))
    penalty_of = (None if terms is None
                  else terms.for_problem(rho, positive, problem))
    coefs, _, _, n_unconverged = path_on_problem(problem, solver, rho, alphas, positive,
                                                 tol, max_iter, compute_gaps=False,
                                                 penalty_of=penalty_of)
    X_mean, y_mean = problem.X_mean, problem.y_mean
    X_te, Y_te, sw_te = X[test], Y[test], sw[test]
    # Predictions for every alpha at once: (n_test, n_alphas * n_targets).
    n_alphas, n_targets, p = coefs.shape
    W = coefs.reshape(n_alphas * n_targets, p).T
    pred = np.asarray(X_te @ W).reshape(len(test), n_alphas, n_targets)
    pred += (y_mean[None, :] - coefs @ X_mean)[None, :, :]
    return _score_predictions(pred, Y_te, sw_te, scorer, single), n_unconverged


def _score_predictions(pred, Y, sw, scorer, single):
    """One score per alpha: weighted MSE (averaged over targets) or the scorer's."""
    if scorer is None:
        err = (pred - Y[:, None, :]) ** 2
        return np.einsum("i,iak->a", sw, err) / (sw.sum() * Y.shape[1])
    ys = Y[:, 0] if single else Y
    return np.array([scorer(_Predictions(), pred[:, a, 0] if single else pred[:, a],
                            ys, sample_weight=sw) for a in range(pred.shape[1])])


def _loo_basis(X, Y, sw, fit_intercept):
    """The decomposition behind every L2 leave-one-out error, in float64.

    Returns ``(U, ev, Z, problem)`` with ``Xt = U diag(sqrt(ev)) V^T``
    restricted to the non-zero part of the spectrum (``ev`` above a relative
    ``1e-12``, or the rounding level of the data's dtype), ``Z = U^T Yt``, and the
    prepared float64 problem (rows).  A dense design is centred explicitly (no
    cancellation of large means) and decomposed by a thin SVD when it is tall,
    by the eigendecomposition of its ``n x n`` kernel matrix when it is wide; a
    sparse design by the smaller of its Gram and kernel matrices.
    """
    X64 = X.astype(np.float64) if X.dtype != np.float64 else X
    problem = prepare_problem(X64, np.asarray(Y, dtype=np.float64),
                              np.asarray(sw, dtype=np.float64), fit_intercept)
    n, p = problem.shape
    cutoff = rank_cutoff(X.dtype, n, p)
    if not problem.sparse and n >= p:
        U, sigma, _ = np.linalg.svd(problem.X, full_matrices=False)
        ev = sigma**2
    elif p <= n:
        ev, V = np.linalg.eigh(problem.gram())
        keep = ev > ev.max(initial=0.0) * cutoff
        U = _apply(problem, V[:, keep]) / np.sqrt(ev[keep])
        ev = ev[keep]
    else:
        ev, U = np.linalg.eigh(problem.kernel())
    keep = ev > ev.max(initial=0.0) * cutoff
    U, ev = U[:, keep], ev[keep]
    return U, ev, U.T @ problem.Yt, problem


def _loo_l2(X, Y, sw, alphas, eps, fit_intercept, scorer, single):
    """Leave-one-out scores of every L2 alpha from one decomposition.

    Refitting without sample ``i`` minimises the objective on the remaining
    samples, a ridge problem with ``lambda_i = alpha * (S - s_i)`` in
    sum-of-squares units.  For a fixed ``lambda`` the fitted values are a linear
    smoother ``H y`` and the leave-one-out residual is ``(y_i - yhat_i) /
    (1 - H_ii)``, both taken at ``lambda_i``.  With ``Xt = diag(sqrt s) Xc =
    U diag(sigma) V^T``: ``sqrt(s_i) (y_i - yhat_i) = yt_i - sum_k U_ik f_ik
    (U^T yt)_k`` and ``H_ii = s_i / S + sum_k U_ik^2 f_ik`` with ``f_ik =
    sigma_k^2 / (sigma_k^2 + lambda_i)`` (the ``s_i / S`` only with an
    intercept).  A sample of weight zero does not change the fit: its
    prediction is the full model's.  Everything is computed in float64.

    ``alphas`` is the grid or, an int, the length of the spectral grid (see
    :func:`skreg._path.alpha_grid`).  Returns the grid, the score of each alpha
    and the squared leave-one-out errors (n_samples, n_alphas, n_targets).
    """
    U, ev, Z, data = _loo_basis(X, Y, sw, fit_intercept)
    X_mean, y_mean = data.X_mean, data.y_mean
    S = data.n_weight
    n = data.shape[0]
    if isinstance(alphas, Integral):
        bounds = (ev.max(), ev.min()) if ev.size else (0.0, 0.0)
        alphas = alpha_grid(None, S, 0.0, alphas, eps, spectrum=bounds)
    Y64 = np.asarray(Y, dtype=np.float64)
    Yt = data.Yt
    U2 = U**2
    sw64 = np.asarray(sw, dtype=np.float64)
    h0 = sw64 / S if fit_intercept else np.zeros(n)
    pos = sw64 > 0
    root = np.sqrt(np.where(pos, sw64, 1.0))
    loo = np.empty((n, len(alphas), Y.shape[1]))
    XtU = None if np.all(pos) else rmatmat(data, U)        # Xt^T U = V diag(sigma)
    for a, alpha in enumerate(alphas):
        f = ev[None, :] / (ev[None, :] + alpha * (S - sw64)[:, None])
        h = h0 + np.einsum("ik,ik->i", U2, f)
        resid = (Yt - (U * f) @ Z) / root[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            loo[:, a] = Y64 - resid / (1.0 - h)[:, None]
        if not np.all(pos):
            rows = np.flatnonzero(~pos)
            coef = (XtU @ (Z / (ev + alpha * S)[:, None])).T
            loo[rows, a] = (np.asarray(X[rows].astype(np.float64) @ coef.T)
                            + (y_mean - coef @ X_mean)[None, :])
    scores = _score_predictions(loo, Y64, sw64, scorer, single)
    return alphas, scores, (Y64[:, None, :] - loo) ** 2


def weighted_second_moments(X, sw):
    """``d_j = sum_i s_i x_ij^2 / S`` (float64; a sparse ``X`` stays sparse)."""
    sw = np.asarray(sw, dtype=np.float64)
    if sp.issparse(X):
        sq = X.multiply(X).astype(np.float64)
        return np.asarray(sq.T @ sw).ravel() / sw.sum()
    return np.einsum("i,ij,ij->j", sw, X, X, dtype=np.float64) / sw.sum()


def _positive_part(d):
    """``d`` with zeros (all-zero columns, whose scaling does not matter) as 1."""
    return np.where(d > 0, d, 1.0)


def _scale_columns(X, scale):
    """``X diag(scale)`` in ``X``'s dtype (sparse stays sparse); ``X`` for None."""
    if scale is None:
        return X
    if sp.issparse(X):
        return sp.csr_matrix(X @ sp.diags(scale.astype(X.dtype)))
    return X * scale.astype(X.dtype)


def _apply(data, V):
    """``Xt @ V`` for a matrix ``V`` (dense or sparse design)."""
    out = np.asarray(data.X @ V.astype(data.dtype), dtype=np.float64)
    if data.offset is not None:
        out -= np.outer(data.sqrt_sw, data.offset @ V)
    return out


class RegularizedRegressorCV(MultiOutputMixin, InMemoryScoreMixin, RegressorMixin,
                             DocLinkMixin, BaseEstimator):
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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags

    def _check_params(self):
        check_option(self.penalty, "penalty", ("l2", "l1", "elasticnet", None))
        check_alphas(self.alphas)
        ratios = np.atleast_1d(np.asarray(self.l1_ratio, dtype=object))
        for r in ratios:
            check_scalar_param(r, "l1_ratio", low=0.0, high=1.0, low_inclusive=False)
        check_scalar_param(self.eps, "eps", low=0.0, high=1.0, low_inclusive=False)
        check_l2_eps(self.eps, check_alphas(self.alphas),
                     [] if self.penalty is None else
                     [penalty_ratio(self.penalty, float(r)) for r in ratios])
        check_bool(self.fit_intercept, "fit_intercept")
        check_scalar_param(self.max_iter, "max_iter", kind=Integral, low=1)
        check_scalar_param(self.tol, "tol", low=0.0)
        check_bool(self.positive, "positive")
        check_penalty_factor(self.penalty_factor)
        check_dropout(self.dropout)
        check_dropouts(self.dropouts)
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
        factor = self.penalty_factor
        if (self.positive and self.penalty is not None and factor is not None
                and not self.dropout and self.dropouts is None
                and not _is_mapping(factor)
                and np.any(np.asarray(factor, dtype=np.float64) == 0)):
            raise ValueError(
                "positive=True with penalty_factor zeros (unpenalised features) is "
                "not supported: they are partialled out exactly, which cannot keep "
                "them non-negative. Give them a small positive penalty_factor."
            )
        if self.penalty is None:
            return [0.0], False
        if self.penalty != "elasticnet":
            return [penalty_ratio(self.penalty, 0.5)], False
        return [float(r) for r in ratios], np.ndim(self.l1_ratio) > 0

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
                f"RegularizedRegressorCV.fit got unexpected keyword argument(s) "
                f"{unknown}: only 'groups' (for a group splitter such as GroupKFold) "
                "is accepted, or enable metadata routing "
                "(sklearn.set_config(enable_metadata_routing=True)) to route other "
                "metadata to the splitter."
            )
        return {"groups": params["groups"]} if params.get("groups") is not None else {}

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
        ratios, ratio_list = self._check_params()
        if is_distributed(X, y):
            with restore_on_error(self):        # one pass: fold statistics
                self._publish_cv(fit_distributed(self, X, y, sample_weight, ratios,
                                                 ratio_list))
            return self
        split_params = self._split_params(params)
        with restore_on_error(self):
            return self._fit(X, y, sample_weight, ratios, ratio_list, split_params)

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
        ratios, ratio_list = self._check_params()
        with restore_on_error(self):
            self._publish_cv(partial_fit_folds(self, X, y, sample_weight, folds,
                                               ratios, ratio_list), stream=True)
        return self

    def _fit(self, X, y, sample_weight, ratios, ratio_list, split_params):
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
        alphas = check_alphas(self.alphas)
        factor = resolve_penalty_factor(self.penalty_factor, X.shape[1],
                                        getattr(self, "feature_names_in_", None))
        rates, pure = self._rates(), self.penalty is None

        too_large = sp.issparse(X) and min(X.shape) > MAX_DIRECT_SPARSE
        plain_l2 = (ratios == [0.0] and rates == [0.0]
                    and (factor is None or bool(np.all(factor > 0))))
        loo = (self.cv is None and not self.positive and not too_large
               and (pure or plain_l2))
        n_unconverged = n_fits = 0
        alpha_top = self._alpha_top(X, Y, sw, factor)
        if loo:
            # pure dropout, and L2 with positive factors, are ridge problems on
            # the columns divided by sqrt(d_j) (resp. sqrt(f_j))
            scale = (1.0 / np.sqrt(_positive_part(weighted_second_moments(X, sw)))
                     if pure else None if factor is None else 1.0 / np.sqrt(factor))
            grid, scores, sq_errors = _loo_l2(
                _scale_columns(X, scale), Y, sw, rate_grid(rates) if pure else alphas,
                self.eps, self.fit_intercept, scorer, single)
            base_grids = grids = [grid]
            configs = [(0.0, rates[0] if not pure else 0.0)]
            table = scores[None, :, None]             # (n_configs, n_alphas, 1)
            mse_path = sq_errors.mean(axis=2).T       # (n_alphas, n_samples)
            score_path = table[0]
        else:
            base_grids = ([rate_grid(rates)] if pure else
                          [self._grid(X, Y, sw, rho, alphas, factor) for rho in ratios])
            configs, grids = self._configs(base_grids, ratios, rates)
            cv = check_cv(5 if self.cv is None else self.cv)
            folds = list(cv.split(X, y, **split_params))
            results = Parallel(n_jobs=self.n_jobs)(
                delayed(_fold_scores)(X, Y, sw, train, test, rho, grid, self.positive,
                                      self.fit_intercept, self.tol, self.max_iter,
                                      scorer, single, PenaltyTerms(factor, q, pure))
                for (rho, q), grid in zip(configs, grids) for train, test in folds)
            n_unconverged = sum(r[1] for r in results)
            n_fits = len(results) * len(grids[0]) * Y.shape[1]
            table = np.array([r[0] for r in results]).reshape(len(configs), len(folds),
                                                              -1)
            table = np.swapaxes(table, 1, 2)          # (n_configs, n_alphas, n_folds)
            mse_path = score_path = self._layout(table, ratio_list, pure)
        self._warn_unconverged(n_unconverged, n_fits, len(ratios))
        fitted, rho, grid, terms = self._chosen(
            table, mse_path if scorer is None else score_path, scorer, configs, grids,
            base_grids, ratio_list, isinstance(alphas, Integral), alpha_top, factor)
        fitted.update(self._refit(X, Y, sw, single, rho, grid, sample_weight, terms))
        self._publish_cv(fitted)
        return self

    def _configs(self, base_grids, ratios, rates):
        """The points searched besides ``alpha``: ``[(rho, q), ...]`` (every
        ``l1_ratio`` for every dropout rate) and the alpha grid of each.  Pure
        dropout is one configuration whose grid is the rates'."""
        if self.penalty is None:
            return [(0.0, 0.0)], [base_grids[0]]
        return [(rho, q) for q in rates for rho in ratios], base_grids * len(rates)

    def _chosen(self, table, path, scorer, configs, grids, base_grids, ratio_list,
                generated, alpha_top, factor):
        """The best point of ``table`` (:meth:`_choose`) and what describes it.

        Returns the fitted attributes of the choice (``alpha_``, ``l1_ratio_``,
        ``dropout_``, the grids and the score path), its ``rho``, the grid down to
        the chosen value (the path the refit follows) and its
        :class:`~skreg._extensions.PenaltyTerms`.
        """
        pure, rates = self.penalty is None, self._rates()
        fitted, i_config, i_alpha = self._choose(
            table, path, scorer, grids, [rho for rho, _ in configs], generated,
            alpha_top, pure=pure, rates=rates)
        rho, q = configs[i_config]
        if pure:
            q = rates[i_alpha]
        else:
            fitted["alphas_"] = np.array(base_grids) if ratio_list else base_grids[0]
        fitted["dropout_"] = q
        if self.dropouts is not None:
            fitted["dropouts_"] = np.array(rates)
        return (fitted, rho, grids[i_config][:i_alpha + 1],
                PenaltyTerms(factor, q, pure))

    def _rates(self):
        """The dropout rates searched, decreasing (ties go to the larger rate)."""
        if self.dropouts is None:
            return [float(self.dropout)]
        return sorted(check_dropouts(self.dropouts), reverse=True)

    def _layout(self, table, ratio_list, pure):
        """``table`` (n_configs, n_alphas, n_folds) in the layout of ``mse_path_``:
        a leading axis per searched dropout rate, then one per ``l1_ratio`` when a
        list was given; pure dropout: (n_dropouts, n_folds)."""
        if pure:
            return table[0]
        n_rates = len(self._rates())
        out = table.reshape((n_rates, -1) + table.shape[1:])
        if not ratio_list:
            out = out[:, 0]
        return out if self.dropouts is not None else out[0]

    def _warn_unconverged(self, n_unconverged, n_fits, n_ratios):
        """One ``ConvergenceWarning`` counting the fold fits that did not converge."""
        if not n_unconverged:
            return
        warn_user(
            f"RegularizedRegressorCV: {n_unconverged} of {n_fits} (fold, alpha"
            f"{', l1_ratio' if n_ratios > 1 else ''}) fits did not reach a "
            f"duality gap of tol * F(0) within max_iter={self.max_iter} "
            "iterations, so their test scores are those of unconverged models. "
            "Increase max_iter or loosen tol.",
            ConvergenceWarning)

    def _choose(self, table, path, scorer, grids, ratios, generated, alpha_top,
                pure=False, rates=None):
        """Pick the best point of the score ``table`` (n_configs, n_alphas, n_folds).

        Ties go to the larger ``alpha`` (or dropout rate); a warning when the
        choice is an end of the grid that is not a limit (``alpha_top(rho)``:
        ``alpha_max`` of all the data).  Returns the fitted attributes of the
        choice (``path``: the score path in the layout of ``mse_path_``) and the
        indices of the configuration and of the ``alpha``.
        """
        mean = table.mean(axis=2)
        best = np.argmin(mean) if scorer is None else np.argmax(mean)
        i_config, i_alpha = np.unravel_index(best, mean.shape)
        grid = grids[i_config]
        rho = float(ratios[i_config])
        if pure:
            self._warn_rate_at_edge(i_alpha, rates)
            fitted = dict(alpha_=0.0, l1_ratio_=0.0)
        else:
            self._warn_at_edge(i_alpha, grid, rho, alpha_top, generated)
            fitted = dict(alpha_=float(grid[i_alpha]), l1_ratio_=rho)
        fitted["mse_path_" if scorer is None else "score_path_"] = path
        return fitted, int(i_config), int(i_alpha)

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

    def _grid(self, X, Y, sw, rho, alphas, factor=None):
        """The alpha grid of ``rho`` computed on all the data (or the given one)."""
        if not isinstance(alphas, Integral):
            return alphas
        if rho > 0 and factor is None:
            Xty = weighted_xty(X, Y, sw, self.fit_intercept)
            return alpha_grid(Xty, float(sw.sum(dtype=np.float64)), rho, alphas,
                              self.eps, self.positive)
        problem = self._full_problem(X, Y, sw, rho, alphas)
        xty, kept_factor, spectrum = grid_inputs_over_rates(
            problem, rho, self.positive, factor, self._rates())
        return alpha_grid(xty, problem.n_weight, rho, alphas, self.eps, self.positive,
                          None if rho > 0 else spectrum(), kept_factor)

    def _full_problem(self, X, Y, sw, rho, n_alphas):
        """All the data prepared in float64, for the grid."""
        X64 = X.astype(np.float64) if X.dtype != np.float64 else X
        problem, _ = prepare_path_problem(X64, np.asarray(Y, dtype=np.float64),
                                          np.asarray(sw, dtype=np.float64),
                                          self.fit_intercept, rho, False, n_alphas)
        return problem

    def _alpha_top(self, X, Y, sw, factor):
        """``alpha_top(rho)``: ``alpha_max`` of all the data (computed when asked)."""
        S = float(sw.sum(dtype=np.float64))
        if factor is None:
            return lambda rho: alpha_max(weighted_xty(X, Y, sw, self.fit_intercept), S,
                                         rho, self.positive)

        def top(rho):
            problem = self._full_problem(X, Y, sw, rho, 2)
            xty, kept, _ = grid_inputs_over_rates(problem, rho, self.positive, factor,
                                                  self._rates())
            return alpha_max(xty, S, rho, self.positive, kept)
        return top

    def _warn_at_edge(self, index, grid, rho, alpha_top, generated):
        """Warn when the chosen alpha is an end of the grid that is not a limit.

        The generated L2 grid ends where the fit is essentially zero and
        essentially least squares, and any L1 / elastic-net grid point at or above
        ``alpha_max`` gives the all-zero model that every larger ``alpha`` gives
        too; those ends are limits, beyond which nothing changes.  Any other end
        of the grid may hide a better ``alpha`` beyond it.
        """
        if len(grid) < 2 or index not in (0, len(grid) - 1):
            return
        if rho == 0 and generated:
            return
        if index == 0 and rho > 0:
            if grid[0] >= alpha_top(rho) * (1 - 1e-12):
                return
        side = "largest" if index == 0 else "smallest"
        hint = ("a larger largest alpha" if index == 0 else
                "smaller alphas (a smaller eps)" if generated else "smaller alphas")
        warn_user(
            f"RegularizedRegressorCV: the chosen alpha_={grid[index]:.4g} is the "
            f"{side} alpha of the grid, so the optimum may lie outside the grid; "
            f"try {hint}.",
            UserWarning)

    def _warn_rate_at_edge(self, index, rates):
        """Warn when the chosen dropout rate is an end of ``dropouts`` (rates
        decreasing) other than 0, below which there is nothing."""
        if len(rates) < 2 or index not in (0, len(rates) - 1) or rates[index] == 0:
            return
        side = "largest" if index == 0 else "smallest"
        warn_user(
            f"RegularizedRegressorCV: the chosen dropout_={rates[index]:.4g} is the "
            f"{side} rate of dropouts, so the optimum may lie outside them; try "
            f"{'larger' if index == 0 else 'smaller'} rates.",
            UserWarning)

    def _refit(self, X, Y, sw, single, rho, grid, sample_weight, terms):
        """Fit all the data at the chosen point; return the fitted attributes.

        L2 and pure dropout: the closed form.  L1 / elastic net: the path down to
        ``alpha_`` with warm starts, which reaches a small ``alpha`` far more
        reliably than a cold start.
        """
        if terms.pure or (rho == 0.0 and not self.positive):
            model = self._l2_refit_model(grid[-1], terms).fit(
                X, Y[:, 0] if single else Y, sample_weight=sample_weight)
            return {name: getattr(model, name) for name in _REFIT_ATTRIBUTES}
        problem, solver = prepare_path_problem(X, Y, sw, self.fit_intercept, rho,
                                               self.positive, len(grid))
        return self._refit_path(problem, solver, rho, grid, X.dtype, single,
                                terms.for_problem(rho, self.positive, problem))

    def _l2_refit_model(self, alpha, terms=None):
        """The :class:`RegularizedRegressor` that refits an L2 or pure-dropout
        choice (closed form)."""
        terms = PenaltyTerms() if terms is None else terms
        common = dict(fit_intercept=self.fit_intercept, max_iter=self.max_iter,
                      tol=self.tol)
        if terms.pure:
            return RegularizedRegressor(None, dropout=terms.dropout,
                                        positive=self.positive, **common)
        return RegularizedRegressor(penalty="l2", alpha=float(alpha),
                                    penalty_factor=terms.factor, dropout=terms.dropout,
                                    **common)

    def _refit_path(self, problem, solver, rho, grid, dtype, single, penalty_of=None):
        """Follow the path of the prepared ``problem`` down to ``grid[-1]``.

        Returns the fitted attributes; a ``ConvergenceWarning`` when the last fit
        did not converge.
        """
        alpha = float(grid[-1])
        coefs, gaps, n_iters, _ = path_on_problem(problem, solver, rho, grid,
                                                  self.positive, self.tol, self.max_iter,
                                                  penalty_of=penalty_of)
        coef, gap = coefs[-1].astype(dtype, copy=False), gaps[-1]
        intercept = (problem.y_mean - coef @ problem.X_mean).astype(dtype, copy=False)
        check_finite_model(coef, intercept)
        limit = [self.tol * problem.zero_objective(k) for k in range(problem.n_targets)]
        if np.any(gap > np.array(limit)):
            warn_user(
                f"RegularizedRegressorCV: the refit at alpha={alpha:.4g} did not "
                f"converge (duality gap {gap.max():.3g} above tol * F(0) after "
                f"max_iter={self.max_iter}). Increase max_iter or loosen tol.",
                ConvergenceWarning)
        if single:
            return dict(coef_=coef[0], intercept_=intercept[0],
                        dual_gap_=float(gap[0]), n_iter_=int(n_iters[:, 0].sum()))
        return dict(coef_=coef, intercept_=intercept, dual_gap_=gap,
                    n_iter_=[int(i) for i in n_iters.sum(axis=0)])

    def predict(self, X):
        """Predict with the refitted linear model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            ``X @ coef_.T + intercept_``; a lazy dask array when ``X`` is a dask
            array or DataFrame; for a Spark DataFrame, the DataFrame with a
            ``"prediction"`` column (lazy).
        """
        return linear_predict(self, X)
