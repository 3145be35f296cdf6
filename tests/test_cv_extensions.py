"""Penalty factors and input dropout in regularization_path and
RegularizedRegressorCV, against independent references: scikit-learn's Lasso
and Ridge on rescaled columns fold by fold, brute-force leave-one-out, and the
one-pass (fold statistics) CV against the in-memory one."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import Lasso, Ridge
from sklearn.model_selection import KFold, PredefinedSplit

from skreg import RegularizedRegressor, RegularizedRegressorCV, regularization_path


def _data(n=60, p=6, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, p) * rng.uniform(0.2, 5, p) + rng.uniform(-2, 2, p)
    y = X @ (rng.randn(p) / X.std(axis=0)) + 0.7 * rng.randn(n)
    return X, y


F = np.array([0.5, 1.0, 2.0, 1.5, 0.7, 3.0])


@pytest.mark.parametrize("sparse", [False, True])
def test_l1_path_with_factors_equals_lasso_on_divided_columns(sparse):
    X, y = _data()
    Xin = sp.csr_matrix(X) if sparse else X
    alphas, coefs, gaps = regularization_path(Xin, y, penalty="l1", alphas=6,
                                              penalty_factor=F, tol=1e-12)
    # the generated grid starts at alpha_max of the divided columns
    Xc, yc = X / F - (X / F).mean(axis=0), y - y.mean()
    assert alphas[0] == pytest.approx(np.abs(Xc.T @ yc).max() / len(y), rel=1e-12)
    for i, alpha in enumerate(alphas):
        ref = Lasso(alpha=alpha, tol=1e-14, max_iter=200_000).fit(X / F, y)
        np.testing.assert_allclose(coefs[:, i], ref.coef_ / F, atol=1e-8)
    assert np.all(gaps <= 1e-10)


def test_l2_path_with_factors_and_dropout_solves_the_normal_equations():
    X, y = _data()
    q = 0.3
    d = (X**2).mean(axis=0)
    f = F.copy()
    f[2] = 0.0                                   # unpenalised by alpha, not by dropout
    for ff, qq in ((F, 0.0), (F, q), (f, q), (f, 0.0)):
        alphas, coefs, _ = regularization_path(X, y, penalty="l2", alphas=[3.0, 0.1],
                                               penalty_factor=ff, dropout=qq)
        Xc, yc = X - X.mean(axis=0), y - y.mean()
        for i, alpha in enumerate(alphas):
            D = np.diag(alpha * ff + qq / (1 - qq) * d)
            sol = np.linalg.solve(Xc.T @ Xc / len(y) + D, Xc.T @ yc / len(y))
            np.testing.assert_allclose(coefs[:, i], sol, rtol=1e-9, atol=1e-11)


def _fold_mse(model_of, X, y, folds):
    out = []
    for train, test in folds:
        model = model_of(X[train], y[train])
        out.append(np.mean((model.predict(X[test]) - y[test]) ** 2))
    return np.array(out)


def test_cv_with_factors_scores_every_alpha_as_lasso_on_divided_columns():
    X, y = _data()
    folds = list(KFold(3).split(X))
    cv = RegularizedRegressorCV("l1", alphas=5, cv=KFold(3), penalty_factor=F,
                                tol=1e-12).fit(X, y)
    for i, alpha in enumerate(cv.alphas_):
        def lasso(Xt, yt, alpha=alpha):
            return _Scaled(Lasso(alpha=alpha, tol=1e-14, max_iter=200_000), 1 / F).fit(
                Xt, yt)
        np.testing.assert_allclose(cv.mse_path_[i], _fold_mse(lasso, X, y, folds),
                                   rtol=1e-7)
    best = RegularizedRegressor("l1", cv.alpha_, penalty_factor=F, tol=1e-12).fit(X, y)
    np.testing.assert_allclose(cv.coef_, best.coef_, atol=1e-9)
    assert cv.dropout_ == 0.0


class _Scaled:
    """A model fitted on the columns multiplied by ``scale``."""

    def __init__(self, model, scale):
        self.model, self.scale = model, scale

    def fit(self, X, y):
        self.model.fit(X * self.scale, y)
        return self

    def predict(self, X):
        return self.model.predict(X * self.scale)


def test_pure_dropout_cv_is_ridge_on_rescaled_columns_fold_by_fold():
    X, y = _data()
    rates = [0.0, 0.2, 0.5, 0.8]
    cv = RegularizedRegressorCV(None, dropouts=rates, cv=KFold(4)).fit(X, y)
    np.testing.assert_array_equal(cv.dropouts_, sorted(rates, reverse=True))
    folds = list(KFold(4).split(X))
    for i, q in enumerate(cv.dropouts_):
        def ridge(Xt, yt, q=q):
            d = (Xt**2).mean(axis=0)         # from the training rows
            return _Scaled(Ridge(alpha=q / (1 - q) * len(yt), solver="svd"),
                           1 / np.sqrt(d)).fit(Xt, yt)
        np.testing.assert_allclose(cv.mse_path_[i], _fold_mse(ridge, X, y, folds),
                                   rtol=1e-8)
    i_best = np.argmin(cv.mse_path_.mean(axis=1))
    assert cv.dropout_ == cv.dropouts_[i_best]
    ref = RegularizedRegressor(None, dropout=cv.dropout_).fit(X, y)
    np.testing.assert_allclose(cv.coef_, ref.coef_, rtol=1e-10)
    assert cv.alpha_ == 0.0 and not hasattr(cv, "alphas_")


@pytest.mark.parametrize("sparse", [False, True])
def test_pure_dropout_leave_one_out_is_exact_with_fixed_moments(sparse):
    X, y = _data(n=25)
    sw = np.random.RandomState(0).uniform(0.5, 2, len(y))
    rates = [0.1, 0.4, 0.7]
    Xin = sp.csr_matrix(X) if sparse else X
    cv = RegularizedRegressorCV(None, dropouts=rates, cv=None).fit(Xin, y,
                                                                  sample_weight=sw)
    d = (sw @ X**2) / sw.sum()                   # of all the rows, held fixed
    for i, q in enumerate(cv.dropouts_):
        errors = []
        for k in range(len(y)):
            keep = np.arange(len(y)) != k
            # the objective on the other rows: weights sum S - s_k
            model = Ridge(alpha=q / (1 - q) * sw[keep].sum(), solver="svd").fit(
                X[keep] / np.sqrt(d), y[keep], sample_weight=sw[keep])
            errors.append((model.predict(X[k:k + 1] / np.sqrt(d))[0] - y[k]) ** 2)
        np.testing.assert_allclose(cv.mse_path_[i], errors, rtol=1e-8)


def test_alpha_and_dropout_grid_searched_together():
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        cv = RegularizedRegressorCV("elasticnet", l1_ratio=0.5, alphas=4,
                                    dropouts=[0.0, 0.3], cv=KFold(3), tol=1e-12).fit(X, y)
    assert cv.mse_path_.shape == (2, 4, 3)
    folds = list(KFold(3).split(X))
    for i, q in enumerate(cv.dropouts_):
        for j, alpha in enumerate(cv.alphas_):
            def fit(Xt, yt, q=q, alpha=alpha):
                return RegularizedRegressor("elasticnet", alpha, dropout=q,
                                            tol=1e-12).fit(Xt, yt)
            # the folds' paths stop at a gap of tol * P(0), unfinished: each fit
            # is pinned to about sqrt(tol) = 1e-6
            np.testing.assert_allclose(cv.mse_path_[i, j], _fold_mse(fit, X, y, folds),
                                       rtol=1e-5)
    i, j = np.unravel_index(np.argmin(cv.mse_path_.mean(axis=2)), (2, 4))
    assert (cv.dropout_, cv.alpha_) == (cv.dropouts_[i], cv.alphas_[j])


@pytest.mark.parametrize("kw", [
    dict(penalty="l1", alphas=5, penalty_factor=np.array([0, 1, 2, 1, 0.5, 1.0])),
    dict(penalty="l2", alphas=5, dropout=0.3, penalty_factor=F),
    dict(penalty="elasticnet", l1_ratio=[0.3, 0.9], alphas=4, dropouts=[0.0, 0.4]),
    dict(penalty=None, dropouts=[0.0, 0.1, 0.5, 0.9]),
])
def test_one_pass_cv_equals_in_memory_cv(kw):
    X, y = _data(n=90)
    labels = np.arange(90) % 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ref = RegularizedRegressorCV(cv=PredefinedSplit(labels), tol=1e-12, **kw).fit(X, y)
        got = RegularizedRegressorCV(tol=1e-12, **kw)
        for rows in np.array_split(np.arange(90), 3):
            got.partial_fit(X[rows], y[rows], folds=labels[rows])
    np.testing.assert_allclose(got.mse_path_, ref.mse_path_, rtol=1e-9)
    np.testing.assert_allclose(got.coef_, ref.coef_, rtol=1e-9, atol=1e-11)
    assert got.dropout_ == ref.dropout_
    assert got.alpha_ == pytest.approx(ref.alpha_, rel=1e-12)


@pytest.mark.parametrize("params, error, match", [
    (dict(penalty=None), ValueError, "penalty=None leaves nothing"),
    (dict(dropout=0.2, dropouts=[0.1]), ValueError, "not both"),
    (dict(dropouts=[0.1, 1.0]), ValueError, "'dropouts' must be < 1"),
    (dict(dropouts="0.1"), TypeError, "dropouts"),
    (dict(dropouts=[]), ValueError, "at least one"),
    (dict(penalty_factor=[1.0, -2.0]), ValueError, ">= 0"),
])
def test_cv_bad_extension_parameters(params, error, match):
    X, y = _data()
    with pytest.raises(error, match=match):
        RegularizedRegressorCV(**params).fit(X, y)
