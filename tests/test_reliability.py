"""No silent wrong answers from the linear models: defaults that give useful models,
float32 that is certified in float64, failures that say so, refits that cannot
corrupt a fitted model.  Every reference here is computed independently."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from sklearn.datasets import load_diabetes, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNetCV, LassoCV, RidgeCV
from sklearn.model_selection import GroupKFold, KFold, cross_val_score
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from _objective import objective
from skreg import RegularizedRegressor, RegularizedRegressorCV, regularization_path


def _datasets():
    X, y = load_diabetes(return_X_y=True)
    yield "diabetes", X, y
    yield "diabetes standardised", StandardScaler().fit_transform(X), y
    yield "make_regression", *make_regression(500, 20, noise=10.0, random_state=0)
    yield "effective rank 10", *make_regression(500, 20, effective_rank=10, noise=1.0,
                                                random_state=0)


DATASETS = {name: (X, y) for name, X, y in _datasets()}
REFERENCE_CV = {"l2": RidgeCV, "l1": LassoCV, "elasticnet": ElasticNetCV}


# ------------------------------------------------------------ useful defaults
@pytest.mark.parametrize("penalty", ["l2", "l1", "elasticnet"])
@pytest.mark.parametrize("name", list(DATASETS))
def test_default_cv_is_as_good_as_sklearns_default(penalty, name):
    X, y = DATASETS[name]
    outer = KFold(5, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        ours = cross_val_score(RegularizedRegressorCV(penalty=penalty), X, y,
                               cv=outer).mean()
    theirs = cross_val_score(REFERENCE_CV[penalty](), X, y, cv=outer).mean()
    assert ours >= theirs - 0.01, (ours, theirs)


@pytest.mark.parametrize("shape", [(200, 15), (40, 90)])
def test_default_l2_grid_spans_zero_to_least_squares(shape):
    """The L2 grid starts where the fit is essentially zero and ends where it is
    essentially the least-squares (minimum-norm) fit."""
    X, y = make_regression(*shape, noise=1.0, random_state=0)
    X = X * np.logspace(-2, 2, shape[1])            # very different column scales
    alphas, coefs, _ = regularization_path(X, y, penalty="l2", alphas=30)
    Xc, yc = X - X.mean(0), y - y.mean()
    w_ls = np.linalg.lstsq(Xc, yc, rcond=None)[0]
    assert np.linalg.norm(coefs[:, 0]) <= 2e-3 * np.linalg.norm(w_ls)
    np.testing.assert_allclose(Xc @ coefs[:, -1], Xc @ w_ls, rtol=0,
                               atol=2e-3 * np.linalg.norm(Xc @ w_ls))


def test_grid_edge_warns_only_where_the_optimum_may_lie_beyond():
    X, y = DATASETS["diabetes"]
    with pytest.warns(UserWarning, match="smallest alpha of the grid"):
        RegularizedRegressorCV("l2", alphas=[1e3, 1e2, 10.0], cv=3).fit(X, y)
    with pytest.warns(UserWarning, match="largest alpha of the grid"):
        RegularizedRegressorCV("l2", alphas=[1e-5, 1e-6, 1e-7], cv=3).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        RegularizedRegressorCV("l2").fit(X, y)
        RegularizedRegressorCV("l1", alphas=20).fit(X, y)
        # alpha_max of a shuffled target is the best choice: a limit, no warning
        noise = np.random.default_rng(0).normal(size=len(y))
        RegularizedRegressorCV("l1", alphas=10, cv=3).fit(X, noise)


# ---------------------------------------------------- float32, certified in float64
def _exact_loo_mse(X, y, alpha):
    """Leave-one-out error of the L2 objective, one left-out row at a time, in
    float64: w = V diag(s / (s^2 + alpha (n - 1))) U^T yc from the SVD of the
    centred remaining rows."""
    X = X.astype(np.float64)
    y = y.astype(np.float64)
    n = X.shape[0]
    errors = []
    for i in range(n):
        keep = np.arange(n) != i
        mu, ybar = X[keep].mean(0), y[keep].mean()
        U, s, Vt = np.linalg.svd(X[keep] - mu, full_matrices=False)
        w = Vt.T @ (s / (s**2 + alpha * (n - 1)) * (U.T @ (y[keep] - ybar)))
        errors.append((y[i] - ybar - (X[i] - mu) @ w) ** 2)
    return np.mean(errors)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_leave_one_out_of_offset_wide_data_is_exact(dtype):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 90)) + 30.0
    y = X[:, :3].sum(axis=1) + rng.normal(size=40)
    alphas = np.logspace(-6, 1, 8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        cv = RegularizedRegressorCV("l2", alphas=alphas, cv=None).fit(
            X.astype(dtype), y.astype(dtype))
    truth = [_exact_loo_mse(X.astype(dtype), y.astype(dtype), a) for a in cv.alphas_]
    rtol = 1e-4 if dtype == np.float32 else 1e-8
    np.testing.assert_allclose(cv.mse_path_.mean(axis=1), truth, rtol=rtol)
    assert cv.coef_.dtype == dtype and cv.intercept_.dtype == dtype


def _float32_problems():
    X, y = load_diabetes(return_X_y=True)
    P = StandardScaler().fit_transform(
        PolynomialFeatures(3, include_bias=False).fit_transform(X))
    yield "poly3", P, y, 1e-3
    rng = np.random.RandomState(0)
    X = rng.randn(2000, 50) + 100.0
    yield "offset", X, X @ rng.randn(50) * 100 + rng.randn(2000), 1e-4


@pytest.mark.parametrize("name, X, y, alpha", list(_float32_problems()))
@pytest.mark.parametrize("sparse", [False, True])
def test_float32_gap_bounds_the_true_suboptimality(name, X, y, alpha, sparse):
    """The reported gap bounds F(coef_, intercept_) - F* computed in float64, and
    a tolerance float32 cannot reach is not claimed but warned about."""
    X32 = X.astype(np.float32)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        fit = RegularizedRegressor("l2", alpha, solver="cg", tol=1e-10,
                                   max_iter=100_000).fit(
            sp.csr_matrix(X32) if sparse else X32, y.astype(np.float32))
    best = RegularizedRegressor("l2", alpha, solver="cholesky").fit(X, y)
    f_fit = objective(X, y, fit.coef_, fit.intercept_, alpha, 0.0)
    f_best = objective(X, y, best.coef_, best.intercept_, alpha, 0.0)
    assert f_fit - f_best <= fit.dual_gap_ * (1 + 1e-6) + 1e-12 * f_best
    f_zero = objective(X, y, 0 * best.coef_, y.mean(), alpha, 0.0)
    if fit.dual_gap_ > 1e-10 * f_zero:
        messages = [str(w.message) for w in record
                    if issubclass(w.category, ConvergenceWarning)]
        assert any("float32" in m for m in messages), messages


def test_float64_certificate_for_float32_fits_with_loose_tol_is_quiet():
    X, y = load_diabetes(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        for solver in ("cg", "cholesky", "working_set"):
            fit = RegularizedRegressor("l2", 0.01, solver=solver, tol=1e-4).fit(
                X.astype(np.float32), y.astype(np.float32))
            assert fit.dual_gap_ <= 1e-4 * 0.5 * np.var(y)


# ---------------------------------------------------------------- failures said
def test_unconverged_folds_are_counted_in_one_warning():
    X, y = DATASETS["diabetes standardised"]
    with pytest.warns(ConvergenceWarning) as record:
        RegularizedRegressorCV("l1", alphas=10, cv=3, max_iter=1, tol=0.0).fit(X, y)
    fold_warnings = [str(w.message) for w in record if "(fold, alpha" in str(w.message)]
    assert len(fold_warnings) == 1
    n_bad = int(fold_warnings[0].split("RegularizedRegressorCV: ")[1].split(" of ")[0])
    assert 0 < n_bad <= 30 and "of 30" in fold_warnings[0]


@pytest.mark.parametrize("penalty", ["l1", "l2", None])
@pytest.mark.parametrize("sparse", [False, True])
def test_overflowing_finite_data_raise_instead_of_a_nan_model(penalty, sparse):
    rng = np.random.default_rng(0)
    X = np.finfo(np.float64).max * rng.uniform(size=(30, 4))
    y = rng.normal(size=30)
    reg = RegularizedRegressor(penalty, 0.1)
    with pytest.raises(ValueError, match="overflow"):
        reg.fit(sp.csr_matrix(X) if sparse else X, y)
    assert not hasattr(reg, "coef_")
    with pytest.raises(ValueError, match="overflow"):
        RegularizedRegressor(penalty, 0.1).fit(
            rng.normal(size=(30, 4)), np.finfo(np.float64).max * rng.uniform(size=30))


@pytest.mark.parametrize("alphas", [(1, 1.0, "1"), ["0.1", 1.0], [True, 2.0], "10"])
def test_non_numeric_alphas_are_rejected(alphas):
    X, y = DATASETS["diabetes"]
    with pytest.raises(TypeError, match="alphas"):
        RegularizedRegressorCV(alphas=alphas).fit(X, y)
    with pytest.raises(TypeError, match="alphas"):
        regularization_path(X, y, alphas=alphas)


def test_an_integer_alphas_means_the_number_of_grid_points_everywhere():
    X, y = DATASETS["diabetes"]
    alphas, coefs, _ = regularization_path(X, y, penalty="l1", alphas=5)
    assert alphas.shape == (5,) and coefs.shape == (10, 5)
    cv = RegularizedRegressorCV("l1", alphas=5).fit(X, y)
    np.testing.assert_allclose(alphas, cv.alphas_)
    assert np.all(coefs[:, 0] == 0) and np.any(coefs[:, -1] != 0)


# ----------------------------------------------------------- fitted attributes
def _fitted_models(dtype):
    X, y = DATASETS["diabetes"]
    X, y = X.astype(dtype), y.astype(dtype)
    yield RegularizedRegressor("l1", 0.1).fit(X, y)
    yield RegularizedRegressor("l2", 0.1).fit(sp.csr_matrix(X), y)
    yield RegularizedRegressor("l2", 0.1, fit_intercept=False).fit(X, y)
    yield RegularizedRegressor("l1", 0.1).partial_fit(X, y)
    yield RegularizedRegressorCV("l2", alphas=5, cv=None).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield RegularizedRegressorCV("l1", alphas=5, cv=3).fit(X, y)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_intercept_is_a_numpy_scalar_of_the_data_dtype(dtype):
    for model in _fitted_models(dtype):
        assert isinstance(model.intercept_, np.generic), type(model.intercept_)
        assert model.intercept_.dtype == dtype
        assert model.coef_.dtype == dtype


def test_a_rejected_refit_leaves_the_previous_model_intact():
    X, y = DATASETS["diabetes"]
    rng = np.random.default_rng(0)
    X_other = rng.normal(size=(50, 4))
    for model in (RegularizedRegressor("l1", 0.1), RegularizedRegressorCV("l1", alphas=5)):
        model.fit(X, y)
        before = model.predict(X)
        state = {k: v for k, v in vars(model).items() if k.endswith("_")}
        rejected = [
            lambda m: m.fit(X_other, rng.normal(size=50), sample_weight=np.zeros(50)),
            lambda m: m.fit(X_other, np.full(50, np.nan)),
            lambda m: m.fit(np.finfo(float).max * np.abs(X_other), rng.normal(size=50)),
        ]
        for refit in rejected:
            with pytest.raises(ValueError):
                refit(model)
            np.testing.assert_array_equal(model.predict(X), before)
            assert model.n_features_in_ == 10
            for k, v in state.items():
                np.testing.assert_array_equal(getattr(model, k), v)


def test_partial_fit_after_fit_warns_that_it_starts_a_new_stream():
    X, y = DATASETS["diabetes"]
    reg = RegularizedRegressor("l2", 0.1).fit(X[:200], y[:200])
    with pytest.warns(UserWarning, match="starts a new stream"):
        reg.partial_fit(X[200:], y[200:])
    ref = RegularizedRegressor("l2", 0.1).fit(X[200:], y[200:])
    np.testing.assert_allclose(reg.coef_, ref.coef_, rtol=1e-8)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        reg.partial_fit(X[:200], y[:200])              # the stream goes on quietly
    np.testing.assert_allclose(reg.coef_, RegularizedRegressor("l2", 0.1).fit(X, y).coef_,
                               rtol=1e-8)


# ------------------------------------------------------------- groups to the splitter
def test_groups_reach_the_splitter_with_and_without_metadata_routing():
    X, y = DATASETS["diabetes"]
    groups = np.arange(len(y)) % 7
    folds = list(GroupKFold(3).split(X, y, groups))
    ref = RegularizedRegressorCV("l1", alphas=8, cv=folds).fit(X, y)
    plain = RegularizedRegressorCV("l1", alphas=8, cv=GroupKFold(3)).fit(X, y, groups=groups)
    np.testing.assert_allclose(plain.mse_path_, ref.mse_path_)
    with sklearn.config_context(enable_metadata_routing=True):
        routed = RegularizedRegressorCV("l1", alphas=8, cv=GroupKFold(3)).fit(
            X, y, groups=groups)
    np.testing.assert_allclose(routed.mse_path_, ref.mse_path_)
    with pytest.raises(TypeError, match="unexpected keyword"):
        RegularizedRegressorCV("l1", alphas=8).fit(X, y, foo=groups)
