"""RegularizedRegressorCV: ``alpha`` (and ``l1_ratio``) chosen by cross-validation.

Every fold computes a whole regularization path (``skreg._path``) instead of one
cold fit per grid point, and scores all of it with one matrix product.  For L2
with ``cv=None`` the leave-one-out errors of every ``alpha`` come from one
singular value decomposition.
"""

import warnings
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils.validation import validate_data

from ._datafit import prepare
from ._path import (
    _check_alphas,
    alpha_grid,
    kernel_spectrum,
    l2_spectrum,
    path_on_data,
    penalty_ratio,
    prepare_path_data,
    weighted_xty,
)
from ._regressor import RegularizedRegressor, linear_predict
from ._solvers import _MAX_DIRECT_SPARSE
from ._validation import (
    check_bool,
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
                 max_iter, scorer, single):
    """Score every alpha of a path fitted on ``train`` on the ``test`` rows."""
    X_tr, Y_tr, sw_tr = X[train], Y[train], sw[train]
    data, X_mean, y_mean = prepare_path_data(X_tr, Y_tr, sw_tr, fit_intercept, rho,
                                             positive)
    coefs, _, _ = path_on_data(data, rho, alphas, positive, tol, max_iter,
                               compute_gaps=False)
    X_te, Y_te, sw_te = X[test], Y[test], sw[test]
    # Predictions for every alpha at once: (n_test, n_alphas * n_targets).
    n_alphas, n_targets, p = coefs.shape
    W = coefs.reshape(n_alphas * n_targets, p).T
    pred = np.asarray(X_te @ W).reshape(len(test), n_alphas, n_targets)
    pred += (y_mean[None, :] - coefs @ X_mean)[None, :, :]
    return _score_predictions(pred, Y_te, sw_te, scorer, single)


def _score_predictions(pred, Y, sw, scorer, single):
    """One score per alpha: weighted MSE (averaged over targets) or the scorer's."""
    if scorer is None:
        err = (pred - Y[:, None, :]) ** 2
        return np.einsum("i,iak->a", sw, err) / (sw.sum() * Y.shape[1])
    ys = Y[:, 0] if single else Y
    return np.array([scorer(_Predictions(), pred[:, a, 0] if single else pred[:, a],
                            ys, sample_weight=sw) for a in range(pred.shape[1])])


def _loo_l2(X, Y, sw, alphas, fit_intercept, scorer, single):
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
    prediction is the full model's.
    """
    data, X_mean, y_mean = prepare(X, Y, sw, fit_intercept)     # rows are needed
    S = data.n_weight
    n, p = data.shape
    if p <= n:
        _, evals, basis, proj = l2_spectrum(data)
        keep = evals > evals.max(initial=0.0) * max(data.shape) * np.finfo(float).eps
        U = _apply(data, basis[:, keep]) / np.sqrt(evals[keep])
        ev = evals[keep]
    else:
        evals, U, basis, proj = kernel_spectrum(data)
        ev = evals
    Yt = np.asarray(data.Yt, dtype=np.float64)
    Z = U.T @ Yt
    U2 = U**2
    sw64 = sw.astype(np.float64)
    h0 = sw64 / S if fit_intercept else np.zeros(n)
    pos = sw64 > 0
    root = np.sqrt(np.where(pos, sw64, 1.0))
    loo = np.empty((n, len(alphas), Y.shape[1]))
    for a, alpha in enumerate(alphas):
        f = ev[None, :] / (ev[None, :] + alpha * (S - sw64)[:, None])
        h = h0 + np.einsum("ik,ik->i", U2, f)
        resid = (Yt - (U * f) @ Z) / root[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            loo[:, a] = Y - resid / (1.0 - h)[:, None]
        if not np.all(pos):
            coef = (basis @ (proj / (evals + alpha * S)[:, None])).T
            rows = np.flatnonzero(~pos)
            loo[rows, a] = (np.asarray(X[rows] @ coef.T)
                            + (y_mean - coef @ X_mean)[None, :])
    return _score_predictions(loo, Y, sw, scorer, single), (Y[:, None, :] - loo) ** 2


def _apply(data, V):
    """``Xt @ V`` for a matrix ``V`` (dense or sparse design)."""
    out = np.asarray(data.X @ V.astype(data.dtype), dtype=np.float64)
    if data.offset is not None:
        out -= np.outer(data.sqrt_sw, data.offset @ V)
    return out


class RegularizedRegressorCV(MultiOutputMixin, RegressorMixin, BaseEstimator):
    r"""RegularizedRegressor with ``alpha`` and ``l1_ratio`` picked by cross-validation.

    Minimises the objective of :class:`RegularizedRegressor`,

    .. math::

        F(w, b) = \frac{1}{2S} \sum_i s_i (y_i - x_i^\top w - b)^2
                  + \alpha \left( \rho \lVert w \rVert_1
                  + \frac{1 - \rho}{2} \lVert w \rVert_2^2 \right),

    for the ``alpha`` (and, for the elastic net, the ``rho = l1_ratio``) with the
    best cross-validated score, then refits on all the data.  Each fold computes
    the whole path with :func:`regularization_path`'s machinery: warm starts on a
    problem prepared once for L1 and elastic net, one eigendecomposition for L2.
    With ``penalty="l2"`` and ``cv=None`` the leave-one-out error of every
    ``alpha`` comes from one singular value decomposition, as in
    :class:`~sklearn.linear_model.RidgeCV`.

    Parameters
    ----------
    penalty : {"l2", "l1", "elasticnet"}, default="l2"
        The penalty term.
    alphas : int or array-like of float, default=100
        A number of values spaced geometrically from ``alpha_max`` down to
        ``eps * alpha_max`` (computed on all the data, per ``l1_ratio``; for
        ``"l2"`` ``alpha_max`` is that of ``l1_ratio=1e-3``), or the values
        themselves.
    l1_ratio : float or list of float, default=0.5
        ``rho`` for ``penalty="elasticnet"``, in (0, 1]; a list is searched too.
    eps : float, default=1e-3
        Ratio of the smallest to the largest ``alpha`` of a generated grid.
    cv : int, cross-validation generator, iterable or None, default=5
        As in scikit-learn (``KFold`` for an int).  None: leave-one-out for
        ``"l2"`` (efficient, from one SVD), 5-fold otherwise.
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
        Each fit stops at a duality gap of ``tol`` times the objective at 0.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.

    Attributes
    ----------
    alpha_ : float
        The chosen ``alpha``.
    l1_ratio_ : float
        The chosen ``rho`` (1.0 for ``"l1"``, 0.0 for ``"l2"``).
    alphas_ : ndarray of shape (n_alphas,) or (n_l1_ratio, n_alphas)
        The grid, decreasing (one row per ``l1_ratio`` when a list was given).
    mse_path_ : ndarray
        With ``scoring=None``: test-fold MSE of shape (n_alphas, n_folds), or
        (n_l1_ratio, n_alphas, n_folds) for a list of ``l1_ratio``; for the L2
        leave-one-out, the squared leave-one-out errors of shape
        (n_alphas, n_samples) (averaged over targets).
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
    ``alpha``, the simpler model).

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
                 tol=1e-4, positive=False):
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

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags

    def _check_params(self):
        check_option(self.penalty, "penalty", ("l2", "l1", "elasticnet"))
        if isinstance(self.alphas, (Integral, np.integer)) and not isinstance(
                self.alphas, bool):
            check_scalar_param(self.alphas, "alphas", kind=Integral, low=1)
        else:
            _check_alphas(self.alphas)
        ratios = np.atleast_1d(np.asarray(self.l1_ratio, dtype=object))
        for r in ratios:
            check_scalar_param(r, "l1_ratio", low=0.0, high=1.0, low_inclusive=False)
        check_scalar_param(self.eps, "eps", low=0.0, high=1.0, low_inclusive=False)
        check_bool(self.fit_intercept, "fit_intercept")
        check_scalar_param(self.max_iter, "max_iter", kind=Integral, low=1)
        check_scalar_param(self.tol, "tol", low=0.0)
        check_bool(self.positive, "positive")
        if self.penalty != "elasticnet":
            return [penalty_ratio(self.penalty, 0.5)], False
        return [float(r) for r in ratios], np.ndim(self.l1_ratio) > 0

    def fit(self, X, y, sample_weight=None):
        """Cross-validate the grid, then refit on all the data at the best point.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights, used in every fit and in every test-fold score.

        Returns
        -------
        self : RegularizedRegressorCV
            The fitted estimator.
        """
        ratios, ratio_list = self._check_params()
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

        grids = []
        for rho in ratios:
            if isinstance(self.alphas, (Integral, np.integer)):
                Xty = weighted_xty(X, Y, sw, self.fit_intercept)
                grids.append(alpha_grid(Xty, float(sw.sum()), rho, int(self.alphas),
                                        self.eps, self.positive))
            else:
                grids.append(_check_alphas(self.alphas))

        loo = (self.cv is None and ratios == [0.0] and not self.positive
               and not (sp.issparse(X) and min(X.shape) > _MAX_DIRECT_SPARSE))
        if loo:
            scores, sq_errors = _loo_l2(X, Y, sw, grids[0], self.fit_intercept, scorer,
                                        single)
            table = scores[None, :, None]             # (n_ratios, n_alphas, 1)
            mse_path = sq_errors.mean(axis=2).T       # (n_alphas, n_samples)
        else:
            folds = list(check_cv(5 if self.cv is None else self.cv).split(X, y))
            results = Parallel(n_jobs=self.n_jobs)(
                delayed(_fold_scores)(X, Y, sw, train, test, rho, grid, self.positive,
                                      self.fit_intercept, self.tol, self.max_iter,
                                      scorer, single)
                for rho, grid in zip(ratios, grids) for train, test in folds)
            table = np.array(results).reshape(len(ratios), len(folds), -1)
            table = np.swapaxes(table, 1, 2)          # (n_ratios, n_alphas, n_folds)
            mse_path = table

        mean = table.mean(axis=2)
        best = np.argmin(mean) if scorer is None else np.argmax(mean)
        i_ratio, i_alpha = np.unravel_index(best, mean.shape)
        self.alpha_ = float(grids[i_ratio][i_alpha])
        self.l1_ratio_ = float(ratios[i_ratio])
        self.alphas_ = np.array(grids) if ratio_list else grids[0]
        if scorer is None:
            self.mse_path_ = mse_path if (ratio_list or loo) else mse_path[0]
        else:
            self.score_path_ = table if ratio_list else table[0]

        self._refit(X, Y, sw, single, grids[i_ratio][:i_alpha + 1], sample_weight)
        return self

    def _refit(self, X, Y, sw, single, grid, sample_weight):
        """Fit all the data at the chosen point.

        L2: the closed form.  L1 / elastic net: the path down to ``alpha_`` with
        warm starts, which reaches a small ``alpha`` far more reliably than a
        cold start.
        """
        if self.l1_ratio_ == 0.0 and not self.positive:
            model = RegularizedRegressor(
                penalty="l2", alpha=self.alpha_, fit_intercept=self.fit_intercept,
                max_iter=self.max_iter, tol=self.tol,
            ).fit(X, Y[:, 0] if single else Y, sample_weight=sample_weight)
            self.coef_, self.intercept_ = model.coef_, model.intercept_
            self.dual_gap_, self.n_iter_ = model.dual_gap_, model.n_iter_
            return
        rho = self.l1_ratio_
        data, X_mean, y_mean = prepare_path_data(X, Y, sw, self.fit_intercept, rho,
                                                 self.positive)
        coefs, gaps, n_iters = path_on_data(data, rho, grid, self.positive, self.tol,
                                            self.max_iter)
        coef, gap = coefs[-1], gaps[-1]
        intercept = y_mean - coef @ X_mean
        limit = [self.tol * 0.5 * data.target_stats(data.target(k))[1]
                 for k in range(data.n_targets)]
        if np.any(gap > np.array(limit)):
            warnings.warn(
                f"RegularizedRegressorCV: the refit at alpha={self.alpha_:.4g} did not "
                f"converge (duality gap {gap.max():.3g} above tol * F(0) after "
                f"max_iter={self.max_iter}). Increase max_iter or loosen tol.",
                ConvergenceWarning,
                stacklevel=3,
            )
        if single:
            self.coef_, self.intercept_ = coef[0], float(intercept[0])
            self.dual_gap_, self.n_iter_ = float(gap[0]), int(n_iters[:, 0].sum())
        else:
            self.coef_, self.intercept_ = coef, intercept
            self.dual_gap_ = gap
            self.n_iter_ = [int(i) for i in n_iters.sum(axis=0)]

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
            array or DataFrame.
        """
        return linear_predict(self, X)
