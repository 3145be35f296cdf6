"""regularization_path and RegularizedRegressorCV against independent fits."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _objective import objective
from sklearn.datasets import load_diabetes, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import enet_path
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, KFold, LeaveOneOut, ShuffleSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skreg import RegularizedRegressor, RegularizedRegressorCV, regularization_path

RHO = {"l1": 1.0, "l2": 0.0, "elasticnet": 0.5}


def _diabetes():
    X, y = load_diabetes(return_X_y=True)
    return X, y


def _wide(seed=0):
    X, y = make_regression(60, 150, n_informative=8, noise=1.0, random_state=seed)
    return X, y


# ------------------------------------------------------------------- the path
@pytest.mark.parametrize("penalty", ["l1", "l2", "elasticnet"])
@pytest.mark.parametrize("problem", [_diabetes, _wide])
@pytest.mark.parametrize("weighted", [False, True])
def test_path_equals_independent_fits_within_its_gaps(penalty, problem, weighted):
    X, y = problem()
    sw = np.random.default_rng(0).uniform(0.2, 3, len(y)) if weighted else None
    alphas, coefs, gaps, intercepts = regularization_path(
        X, y, penalty=penalty, alphas=12, sample_weight=sw, tol=1e-11,
        max_iter=10_000, return_intercept=True)
    assert np.all(np.diff(alphas) < 0) and coefs.shape == (X.shape[1], 12)
    rho = RHO[penalty]
    for k, alpha in enumerate(alphas):
        ref = RegularizedRegressor(penalty, alpha, l1_ratio=0.5, tol=1e-12,
                                   max_iter=100_000).fit(X, y, sample_weight=sw)
        f_path = objective(X, y, coefs[:, k], intercepts[k], alpha, rho, sw)
        f_ref = objective(X, y, ref.coef_, ref.intercept_, alpha, rho, sw)
        # The path's gap bounds its suboptimality, and it is small.
        assert f_path - f_ref <= gaps[k] + 1e-12 * abs(f_ref)
        f_zero = objective(X, y, 0 * coefs[:, k], np.average(y, weights=sw), alpha,
                           rho, sw)
        assert gaps[k] <= 1e-11 * f_zero + 1e-12
        # F(w) - F* >= |Xc (w - w*)|^2_s / (2S) (the data term is strongly convex
        # in the predictions), so the two fits' predictions are that close; with
        # an L2 part F is also (1 - rho) alpha-strongly convex in w
        s = np.ones(len(y)) if sw is None else sw
        Xc = X - np.average(X, axis=0, weights=s)
        dist = np.sqrt(s @ (Xc @ (coefs[:, k] - ref.coef_)) ** 2 / s.sum())
        # each gap plus the float64 resolution of the objective itself
        g_path, g_ref = gaps[k] + 1e-13 * f_zero, ref.dual_gap_ + 1e-13 * f_zero
        assert dist <= np.sqrt(2 * g_path) + np.sqrt(2 * g_ref)
        if rho < 1:
            lam = (1 - rho) * alpha
            bound = np.sqrt(2 * g_path / lam) + np.sqrt(2 * g_ref / lam)
            assert np.linalg.norm(coefs[:, k] - ref.coef_) <= bound


@pytest.mark.parametrize("l1_ratio", [1.0, 0.3])
def test_path_equals_sklearn_enet_path(l1_ratio):
    X, y = _diabetes()
    Xc, yc = X - X.mean(0), y - y.mean()
    alphas, coefs, _ = regularization_path(Xc, yc, penalty="elasticnet",
                                           l1_ratio=l1_ratio, alphas=20,
                                           fit_intercept=False, tol=1e-12,
                                           max_iter=100_000)
    ref_alphas, ref_coefs, _ = enet_path(Xc, yc, l1_ratio=l1_ratio, alphas=alphas,
                                         tol=1e-14, max_iter=1_000_000)
    np.testing.assert_allclose(ref_alphas, alphas)
    np.testing.assert_allclose(coefs, ref_coefs, atol=1e-6 * np.abs(ref_coefs).max())
    # The default grid starts where every coefficient is zero, and only there.
    assert np.all(coefs[:, 0] == 0) and np.any(coefs[:, 1] != 0)


def test_path_multi_output_sparse_and_float32():
    X, y = _wide()
    Y = np.column_stack([y, -2 * y + 1])
    alphas, coefs, gaps, n_iters = regularization_path(
        X, Y, penalty="l1", alphas=6, return_n_iter=True)
    assert coefs.shape == (2, 150, 6)
    assert gaps.shape == (2, 6) and n_iters.shape == (2, 6)
    _, c0, _ = regularization_path(X, y, penalty="l1", alphas=alphas)
    np.testing.assert_allclose(coefs[0], c0, atol=1e-8 * np.abs(c0).max())
    _, cs, _ = regularization_path(sp.csr_matrix(X), y, penalty="l1", alphas=alphas)
    np.testing.assert_allclose(cs, c0, atol=1e-6 * np.abs(c0).max())
    _, c32, _ = regularization_path(X.astype(np.float32), y.astype(np.float32),
                                    penalty="l2", alphas=4)
    assert c32.dtype == np.float32


def test_path_bad_input():
    X, y = _diabetes()
    with pytest.raises(ValueError, match="alphas must be positive"):
        regularization_path(X, y, alphas=[1.0, -1.0])
    with pytest.raises(ValueError, match="'penalty' must be one of"):
        regularization_path(X, y, penalty="l3")
    with pytest.raises(ValueError, match="'l1_ratio' must be > 0"):
        regularization_path(X, y, penalty="elasticnet", l1_ratio=0.0)
    with pytest.raises(ValueError, match="'eps' must be"):
        regularization_path(X, y, eps=2.0)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        regularization_path(X, y[:-1])


# -------------------------------------------------------------- the CV class
@pytest.mark.parametrize("cv", [KFold(4, shuffle=True, random_state=1),
                                ShuffleSplit(4, train_size=0.5, test_size=0.3,
                                             random_state=1)])
def test_fold_gram_matrices_by_downdate_equal_the_direct_ones(cv):
    """A K-fold split trains on the complement of each test set, so its Gram
    matrices come from all the rows minus the test rows; a shuffle split leaves
    rows out of both, so its come from the training rows directly. Either way
    the held-out errors are those of fits on exactly the training rows."""
    X, y = _diabetes()
    sw = np.random.default_rng(3).uniform(0.5, 2.0, len(y))
    cv_model = RegularizedRegressorCV("l1", alphas=8, cv=cv, tol=1e-12,
                                      max_iter=100_000).fit(X, y, sample_weight=sw)
    for f, (train, test) in enumerate(cv.split(X)):
        for a, alpha in enumerate(cv_model.alphas_):
            fit = RegularizedRegressor("l1", alpha, tol=1e-12, max_iter=100_000).fit(
                X[train], y[train], sample_weight=sw[train])
            err = y[test] - fit.predict(X[test])
            mse = np.average(err**2, weights=sw[test])
            assert cv_model.mse_path_[a, f] == pytest.approx(mse, rel=1e-5)


@pytest.mark.parametrize("penalty, l1_ratio", [("l1", 0.5), ("l2", 0.5),
                                               ("elasticnet", [0.2, 0.7])])
def test_cv_equals_grid_search_over_the_same_grid_and_folds(penalty, l1_ratio):
    X, y = _diabetes()
    folds = KFold(5, shuffle=True, random_state=0)
    cv = RegularizedRegressorCV(penalty, alphas=15, l1_ratio=l1_ratio, cv=folds,
                                tol=1e-10, max_iter=100_000).fit(X, y)
    ratios = np.atleast_1d(l1_ratio) if penalty == "elasticnet" else [0.5]
    grids = np.atleast_2d(cv.alphas_)
    grid = [{"alpha": [a], "l1_ratio": [r]} for r, g in zip(ratios, grids) for a in g]
    gs = GridSearchCV(RegularizedRegressor(penalty, tol=1e-10, max_iter=100_000),
                      grid, cv=folds, scoring="neg_mean_squared_error").fit(X, y)
    mse = np.atleast_3d(cv.mse_path_) if penalty != "elasticnet" else cv.mse_path_
    mse = mse.reshape(len(ratios), grids.shape[1], 5)
    # the folds' paths stop at a gap of tol * P(0) (not finished: their models only
    # score held-out rows), which pins each fit to about sqrt(tol) = 1e-5
    np.testing.assert_allclose(-gs.cv_results_["mean_test_score"],
                               mse.mean(axis=2).ravel(), rtol=1e-5)
    assert gs.best_params_["alpha"] == cv.alpha_
    if penalty == "elasticnet":
        assert gs.best_params_["l1_ratio"] == cv.l1_ratio_
    ref = RegularizedRegressor(penalty, cv.alpha_, l1_ratio=cv.l1_ratio_, tol=1e-10,
                               max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(cv.coef_, ref.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(cv.predict(X), ref.predict(X), rtol=1e-7)


def test_cv_weighted_scores_equal_a_manual_loop():
    X, y = _diabetes()
    sw = np.random.default_rng(1).uniform(0.1, 3, len(y))
    folds = list(KFold(4, shuffle=True, random_state=1).split(X))
    cv = RegularizedRegressorCV("l1", alphas=8, cv=folds, tol=1e-10,
                                max_iter=100_000).fit(X, y, sample_weight=sw)
    for k, alpha in enumerate(cv.alphas_):
        for f, (train, test) in enumerate(folds):
            m = RegularizedRegressor("l1", alpha, tol=1e-10, max_iter=100_000).fit(
                X[train], y[train], sample_weight=sw[train])
            err = np.average((y[test] - m.predict(X[test])) ** 2, weights=sw[test])
            assert cv.mse_path_[k, f] == pytest.approx(err, rel=1e-6)


@pytest.mark.parametrize("shape", [(80, 12), (40, 90)])
@pytest.mark.parametrize("sparse", [False, True])
def test_l2_leave_one_out_equals_explicit_leave_one_out(shape, sparse):
    rng = np.random.default_rng(0)
    X = rng.normal(size=shape)
    y = X[:, :3].sum(axis=1) + rng.normal(size=shape[0])
    sw = rng.uniform(0.5, 2, shape[0])
    sw[:2] = 0.0                           # zero weights: predicted by the full fit
    Xin = sp.csr_matrix(X) if sparse else X
    cv = RegularizedRegressorCV("l2", alphas=np.logspace(-3, 1, 6), cv=None).fit(
        Xin, y, sample_weight=sw)
    assert cv.mse_path_.shape == (6, shape[0])
    for k in (1, 4):
        alpha = cv.alphas_[k]
        errors = []
        for train, test in LeaveOneOut().split(X):
            m = RegularizedRegressor("l2", alpha).fit(X[train], y[train],
                                                     sample_weight=sw[train])
            errors.append(((y[test] - m.predict(X[test])) ** 2)[0])
        np.testing.assert_allclose(cv.mse_path_[k], errors, rtol=1e-8, atol=1e-10)
    best = np.argmin(cv.mse_path_ @ sw)
    assert cv.alpha_ == cv.alphas_[best]


def test_scoring_and_score_path():
    X, y = _diabetes()
    folds = KFold(3, shuffle=True, random_state=2)
    cv = RegularizedRegressorCV("l1", alphas=10, cv=folds, scoring="r2").fit(X, y)
    assert cv.score_path_.shape == (10, 3) and not hasattr(cv, "mse_path_")
    for f, (train, test) in enumerate(folds.split(X)):
        m = RegularizedRegressor("l1", cv.alphas_[3]).fit(X[train], y[train])
        assert cv.score_path_[3, f] == pytest.approx(
            r2_score(y[test], m.predict(X[test])), rel=1e-4)
    assert cv.alpha_ == cv.alphas_[np.argmax(cv.score_path_.mean(axis=1))]
    loo = RegularizedRegressorCV("l2", alphas=5, cv=None, scoring="r2").fit(X, y)
    assert loo.score_path_.shape == (5, 1)


def test_n_jobs_pipeline_sparse_and_float32():
    X, y = _wide(2)
    kw = dict(alphas=10, l1_ratio=[0.3, 0.9], tol=1e-10, max_iter=100_000)
    a = RegularizedRegressorCV("elasticnet", **kw).fit(X, y)
    b = RegularizedRegressorCV("elasticnet", n_jobs=2, **kw).fit(X, y)
    np.testing.assert_allclose(a.mse_path_, b.mse_path_, rtol=1e-10)
    s = RegularizedRegressorCV("elasticnet", **kw).fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(s.mse_path_, a.mse_path_, rtol=1e-6)
    pipe = make_pipeline(StandardScaler(), RegularizedRegressorCV("l1", alphas=10))
    assert pipe.fit(X, y).score(X, y) > 0.9
    f32 = RegularizedRegressorCV("l2", alphas=5, cv=None).fit(X.astype(np.float32), y)
    assert f32.coef_.dtype == np.float32


@pytest.mark.parametrize("params, match", [
    (dict(alphas=0), "'alphas' must be >= 1"),
    (dict(alphas=[0.1, -1.0]), "alphas must be positive"),
    (dict(penalty=None), "penalty=None leaves nothing to cross-validate"),
    (dict(penalty="elasticnet", l1_ratio=[0.5, 0.0]), "'l1_ratio' must be > 0"),
    (dict(eps=0.0), "'eps' must be > 0"),
])
def test_cv_bad_parameters(params, match):
    X, y = _diabetes()
    with pytest.raises(ValueError, match=match):
        RegularizedRegressorCV(**params).fit(X, y)


def test_no_convergence_warning_on_default_grid():
    X, y = _diabetes()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        RegularizedRegressorCV("l1").fit(X, y)
