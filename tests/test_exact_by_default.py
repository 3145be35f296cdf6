"""Default fits land as close to the exact optimum as scikit-learn's at its defaults
(or closer), closed forms return the minimum-norm answer on numerically singular
systems, grids start at the true alpha_max, and a warm start that needs no epoch
reports ``n_iter_ == 0``."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.linalg import toeplitz
from sklearn.datasets import load_diabetes, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, Lasso
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from skreg import RegularizedRegressor, RegularizedRegressorCV, regularization_path


def _alpha_max(X, y):
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    return np.abs(Xc.T @ yc).max() / len(y)


def _problems():
    X, y = make_regression(300, 30, n_informative=10, noise=5, bias=3, random_state=1)
    yield "issue", X, y
    X, y = load_diabetes(return_X_y=True)
    yield "diabetes", StandardScaler().fit_transform(X), y
    rng = np.random.RandomState(0)
    n, p = 400, 200
    L = np.linalg.cholesky(toeplitz(0.8 ** np.arange(p)))
    X = rng.randn(n, p) @ L.T
    w = np.zeros(p)
    w[rng.choice(p, 20, replace=False)] = rng.randn(20)
    yield "toeplitz", X, X @ w + 0.5 * rng.randn(n)
    X, y = make_regression(100, 600, n_informative=15, noise=5.0, random_state=0)
    yield "wide", X, y


@pytest.mark.parametrize("name, X, y", list(_problems()), ids=lambda v: v
                         if isinstance(v, str) else "")
@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
@pytest.mark.parametrize("div", [10, 100, 1000])
def test_default_fit_is_as_close_to_the_optimum_as_scikit_learns(name, X, y, penalty,
                                                                 div):
    scale = 1.0 if penalty == "l1" else 2.0
    alpha = scale * _alpha_max(X, y) / div
    sk = Lasso if penalty == "l1" else ElasticNet
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        exact = sk(alpha=alpha, tol=1e-14, max_iter=1_000_000).fit(X, y).coef_
        theirs = sk(alpha=alpha).fit(X, y).coef_
        ours = RegularizedRegressor(penalty, alpha).fit(X, y).coef_
    norm = np.linalg.norm(exact)
    d_ours = np.linalg.norm(ours - exact) / norm
    d_theirs = np.linalg.norm(theirs - exact) / norm
    assert d_ours <= max(d_theirs, 1e-10), (d_ours, d_theirs)


def test_the_issues_example_in_float32_and_from_statistics():
    X, y = make_regression(300, 30, n_informative=10, noise=5, bias=3, random_state=1)
    alpha = 0.05 * 2 * _alpha_max(X, y)
    exact = ElasticNet(alpha=alpha, tol=1e-14, max_iter=100_000).fit(X, y).coef_
    ours32 = RegularizedRegressor("elasticnet", alpha).fit(
        X.astype(np.float32), y.astype(np.float32)).coef_
    theirs32 = ElasticNet(alpha=alpha).fit(X.astype(np.float32),
                                           y.astype(np.float32)).coef_
    assert np.linalg.norm(ours32 - exact) <= np.linalg.norm(theirs32 - exact)
    stream = RegularizedRegressor("elasticnet", alpha)
    for rows in np.array_split(np.arange(len(y)), 3):
        stream.partial_fit(X[rows], y[rows])
    theirs = ElasticNet(alpha=alpha).fit(X, y).coef_
    assert np.linalg.norm(stream.coef_ - exact) <= np.linalg.norm(theirs - exact)


def test_cv_refit_is_as_close_as_elasticnetcv():
    from sklearn.linear_model import ElasticNetCV
    from sklearn.model_selection import KFold

    X, y = make_regression(300, 30, n_informative=10, noise=5, bias=3, random_state=1)
    folds = KFold(4, shuffle=True, random_state=0)
    ours = RegularizedRegressorCV(penalty="elasticnet", cv=folds).fit(X, y)
    theirs = ElasticNetCV(l1_ratio=0.5, cv=folds).fit(X, y)
    exact = ElasticNet(alpha=ours.alpha_, tol=1e-14, max_iter=100_000).fit(X, y).coef_
    exact_theirs = ElasticNet(alpha=theirs.alpha_, tol=1e-14,
                              max_iter=100_000).fit(X, y).coef_
    assert (np.linalg.norm(ours.coef_ - exact)
            <= max(np.linalg.norm(theirs.coef_ - exact_theirs), 1e-10))


# ------------------------------------------------------------- closed forms (item 2)
def _min_norm(X, y, sw=None):
    """Minimum-norm least squares with an intercept, by numpy's SVD."""
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    return np.linalg.lstsq(Xc, yc, rcond=None)[0]


@pytest.mark.parametrize("penalty, alpha", [("l2", 2e-18), (None, 1.0)])
def test_closed_form_on_a_design_that_centring_makes_singular(penalty, alpha):
    X, y = make_regression(50, 50, noise=0, bias=10, random_state=42)
    ref = _min_norm(X, y)
    coef = RegularizedRegressor(penalty, alpha=alpha).fit(X, y).coef_
    assert np.linalg.norm(coef - ref) <= 1e-8 * np.linalg.norm(ref)


@pytest.mark.parametrize("fmt", [np.asarray, sp.csr_matrix])
@pytest.mark.parametrize("penalty", ["l2", None])
def test_closed_form_float32_wide_is_the_minimum_norm_answer(fmt, penalty):
    X, y = make_regression(50, 100, random_state=0)
    ref = _min_norm(X, y)
    coef = RegularizedRegressor(penalty, alpha=2e-18).fit(
        fmt(X.astype(np.float32)), y.astype(np.float32)).coef_
    assert np.linalg.norm(coef - ref) <= 1e-5 * np.linalg.norm(ref)


def test_ols_on_a_rank_deficient_design_converges_without_a_warning():
    X, y = load_diabetes(return_X_y=True)
    X = StandardScaler().fit_transform(PolynomialFeatures(3, include_bias=False)
                                       .fit_transform(X))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = RegularizedRegressor(None, tol=1e-10).fit(X, y)
    # the normal equations hold: X_c^T r = 0 up to rounding
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    grad = Xc.T @ (yc - Xc @ model.coef_)
    assert np.abs(grad).max() <= 1e-6 * np.abs(Xc.T @ yc).max()


# -------------------------------------------------------------------- grids (item 3)
def _true_alpha_max(X, y, penalty, factor, dropout):
    """Bisection on fits: the smallest alpha with every penalised coefficient zero."""
    lo, hi = 0.0, 10.0 * 2 * _alpha_max(X, y) / min(factor[factor > 0])
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        coef = RegularizedRegressor(penalty, mid, penalty_factor=factor, dropout=dropout,
                                    tol=1e-10).fit(X, y).coef_
        lo, hi = (mid, hi) if np.any(coef[factor > 0]) else (lo, mid)
    return hi


@pytest.mark.parametrize("dropout", [0.0, 0.3])
@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
def test_every_grid_starts_at_the_true_alpha_max(penalty, dropout):
    X, y = make_regression(200, 8, noise=5, random_state=0)
    X[:, 0] *= 3
    X[:, 1] = X[:, 0] + 0.3 * X[:, 1]
    factor = np.array([0.0, 0.5, 2.0, 1.0, 1.0, 1.0, 3.0, 1.0])
    truth = _true_alpha_max(X, y, penalty, factor, dropout)
    alphas, _, _ = regularization_path(X, y, penalty=penalty, penalty_factor=factor,
                                       dropout=dropout)
    cv = RegularizedRegressorCV(penalty=penalty, penalty_factor=factor, dropout=dropout,
                                cv=3).fit(X, y)
    stream = RegularizedRegressorCV(penalty=penalty, penalty_factor=factor,
                                    dropout=dropout)
    stream.partial_fit(X, y, folds=np.arange(len(y)) % 3)
    for top in (alphas[0], np.max(cv.alphas_), np.max(stream.alphas_)):
        assert top == pytest.approx(truth, rel=1e-6)


# ------------------------------------------------------------------ n_iter_ (item 6)
def test_a_warm_start_at_the_optimum_runs_no_epoch():
    X, y = load_diabetes(return_X_y=True)
    model = RegularizedRegressor("l1", 0.1, warm_start=True).fit(X, y)
    assert model.n_iter_ >= 1
    coef = model.coef_.copy()
    model.fit(X, y)
    assert model.n_iter_ == 0
    np.testing.assert_array_equal(model.coef_, coef)
    assert RegularizedRegressor("l1", 0.1).fit(X, y).n_iter_ >= 1
    assert RegularizedRegressor("l1", 1e6).fit(X, y).n_iter_ >= 1   # cold, w = 0


# ------------------------------------------------------ clear errors (items 8-10, 16)
def test_eps_one_is_the_one_point_l1_grid_and_refused_for_l2():
    X, y = load_diabetes(return_X_y=True)
    cv = RegularizedRegressorCV(penalty="elasticnet", alphas=1, eps=1.0, cv=3).fit(X, y)
    alphas, _, _ = regularization_path(X, y, penalty="elasticnet", alphas=1, eps=1.0)
    assert cv.alphas_[0] == pytest.approx(alphas[0])
    assert cv.alphas_[0] == pytest.approx(2 * _alpha_max(X, y))
    for call in (lambda: RegularizedRegressorCV(penalty="l2", eps=1.0).fit(X, y),
                 lambda: regularization_path(X, y, penalty="l2", eps=1.0)):
        with pytest.raises(ValueError, match="eps < 1"):
            call()


def test_a_2d_penalty_factor_is_a_value_error_naming_it():
    X, y = load_diabetes(return_X_y=True)
    with pytest.raises(ValueError, match="penalty_factor.*1-D"):
        RegularizedRegressor(penalty_factor=np.ones((1, 10))).fit(X, y)


def test_a_series_repeating_a_name_is_refused():
    pd = pytest.importorskip("pandas")
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    factor = pd.Series(np.ones(11), index=list(X.columns) + [X.columns[0]])
    with pytest.raises(ValueError, match=r"repeats \['age'\]"):
        RegularizedRegressor(penalty_factor=factor).fit(X, y)


def test_grid_edge_warnings_point_at_the_users_call():
    X, y = load_diabetes(return_X_y=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        RegularizedRegressorCV(penalty="l1", alphas=[0.5, 1.0], cv=3).fit(X, y)
        stream = RegularizedRegressorCV(penalty="l1", alphas=[0.5, 1.0])
        stream.partial_fit(X, y, folds=np.arange(len(y)) % 3)
    edges = [w for w in caught if "edge" in str(w.message) or "grid" in str(w.message)]
    assert len(edges) == 2
    assert all(w.filename == __file__ for w in edges), [w.filename for w in edges]
