"""RegularizedRegressor against independent references: scikit-learn's estimators, the
objective evaluated on its own (tests/_objective.py), and the KKT conditions."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.linalg import toeplitz
from sklearn.datasets import load_diabetes, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, Lasso, LinearRegression, Ridge

from _objective import alpha_max, objective
from skreg import RegularizedRegressor


def _toeplitz_problem(n=300, p=100, rho=0.8, seed=0):
    rng = np.random.RandomState(seed)
    cov = toeplitz(rho ** np.arange(p))
    X = rng.multivariate_normal(np.zeros(p), cov, size=n)
    w = np.zeros(p)
    w[:: p // 10] = rng.randn(len(w[:: p // 10]))
    y = X @ w + 0.5 * rng.randn(n)
    return X, y


def _problems():
    X, y = load_diabetes(return_X_y=True)
    yield "diabetes", X, y
    X, y = make_regression(200, 50, n_informative=10, noise=5.0, random_state=0)
    yield "tall", X, y
    X, y = make_regression(60, 200, n_informative=10, noise=5.0, random_state=1)
    yield "wide", X, y
    yield "toeplitz", *_toeplitz_problem()


PROBLEMS = {name: (X, y) for name, X, y in _problems()}
ALPHA_FRACTIONS = [1.0, 0.1, 0.01, 0.001]


def _sklearn_reference(penalty, alpha, l1_ratio, fit_intercept, S):
    tight = dict(tol=1e-13, max_iter=500_000, fit_intercept=fit_intercept)
    if penalty == "l1":
        return Lasso(alpha=alpha, **tight), 1.0
    if penalty == "elasticnet":
        return ElasticNet(alpha=alpha, l1_ratio=l1_ratio, **tight), l1_ratio
    if penalty == "l2":
        return Ridge(alpha=alpha * S, fit_intercept=fit_intercept, solver="svd"), 0.0
    return LinearRegression(fit_intercept=fit_intercept), 0.0


def _assert_same_objective(X, y, ours, ref, alpha, rho, sw=None, rtol=1e-7):
    f_ours = objective(X, y, ours.coef_, ours.intercept_, alpha, rho, sw)
    f_ref = objective(X, y, ref.coef_, ref.intercept_, alpha, rho, sw)
    assert f_ours <= f_ref * (1 + rtol) + 1e-12, (f_ours, f_ref)
    assert abs(f_ours - f_ref) <= rtol * abs(f_ref) + 1e-12, (f_ours, f_ref)


@pytest.mark.parametrize("problem", list(PROBLEMS))
@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
@pytest.mark.parametrize("fraction", ALPHA_FRACTIONS)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_l1_elasticnet_match_sklearn(problem, penalty, fraction, fit_intercept):
    X, y = PROBLEMS[problem]
    l1_ratio = 0.7
    rho = 1.0 if penalty == "l1" else l1_ratio
    alpha = alpha_max(X, y, rho, fit_intercept=fit_intercept) * fraction
    ours = RegularizedRegressor(penalty, alpha, l1_ratio=l1_ratio,
                                fit_intercept=fit_intercept, tol=1e-12,
                                max_iter=100_000).fit(X, y)
    ref, _ = _sklearn_reference(penalty, alpha, l1_ratio, fit_intercept, len(y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref.fit(X, y)
    _assert_same_objective(X, y, ours, ref, alpha, rho)


@pytest.mark.parametrize("problem", list(PROBLEMS))
@pytest.mark.parametrize("penalty", ["l2", None])
@pytest.mark.parametrize("alpha", [10.0, 0.1, 1e-3])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_l2_and_ols_match_sklearn(problem, penalty, alpha, fit_intercept):
    X, y = PROBLEMS[problem]
    if penalty is None and alpha != 10.0:
        return  # alpha plays no role without a penalty; one case is enough
    ours = RegularizedRegressor(penalty, alpha, fit_intercept=fit_intercept).fit(X, y)
    ref, rho = _sklearn_reference(penalty, alpha, 0.0, fit_intercept, len(y))
    ref.fit(X, y)
    a = alpha if penalty else 0.0
    _assert_same_objective(X, y, ours, ref, a, rho)
    if penalty == "l2" or X.shape[0] > X.shape[1]:  # unique solution
        np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-6,
                                   atol=1e-8 * np.abs(ref.coef_).max())


@pytest.mark.parametrize("penalty", ["l1", "elasticnet", "l2", None])
def test_sample_weight_matches_sklearn(penalty):
    X, y = PROBLEMS["tall"]
    sw = np.random.RandomState(3).uniform(0.1, 3.0, size=len(y))
    rho = {"l1": 1.0, "elasticnet": 0.5, "l2": 0.0, None: 0.0}[penalty]
    alpha = 0.5 if penalty else 0.0
    ours = RegularizedRegressor(penalty, alpha, l1_ratio=0.5, tol=1e-15).fit(
        X, y, sample_weight=sw)
    ref, _ = _sklearn_reference(penalty, alpha, 0.5, True, sw.sum())
    ref.fit(X, y, sample_weight=sw)
    _assert_same_objective(X, y, ours, ref, alpha, rho, sw)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("penalty", ["l1", "elasticnet", "l2", None])
def test_integer_weights_equal_repeated_rows(penalty):
    X, y = PROBLEMS["diabetes"]
    sw = np.random.RandomState(0).randint(0, 4, size=len(y))
    a = RegularizedRegressor(penalty, 0.05, tol=1e-12).fit(X, y, sample_weight=sw)
    b = RegularizedRegressor(penalty, 0.05, tol=1e-12).fit(
        np.repeat(X, sw, axis=0), np.repeat(y, sw))
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(a.intercept_, b.intercept_, rtol=1e-7)


def _solvers_for(penalty):
    return ["cholesky", "cg", "working_set", "gd"] if penalty in ("l2", None) else [
        "working_set", "gd"]


@pytest.mark.parametrize("penalty", ["l1", "elasticnet", "l2", None])
@pytest.mark.parametrize("sparse", [False, True])
def test_every_solver_reaches_the_same_optimum(penalty, sparse):
    X, y = _toeplitz_problem(n=120, p=30, seed=2)
    Xin = sp.csr_matrix(X) if sparse else X
    alpha = 0.05
    rho = {"l1": 1.0, "elasticnet": 0.5, "l2": 0.0, None: 0.0}[penalty]
    a = alpha if penalty else 0.0
    fits = {s: RegularizedRegressor(penalty, alpha, solver=s, tol=1e-12,
                                    max_iter=200_000).fit(Xin, y)
            for s in _solvers_for(penalty)}
    values = {s: objective(X, y, f.coef_, f.intercept_, a, rho) for s, f in fits.items()}
    best = min(values.values())
    for s, v in values.items():
        assert v - best <= 1e-9 * best, (s, values)
        np.testing.assert_allclose(fits[s].coef_, fits["working_set"].coef_, atol=1e-5)


@pytest.mark.parametrize("penalty", ["l1", "elasticnet", "l2"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_sparse_equals_dense(penalty, fit_intercept):
    rng = np.random.RandomState(0)
    X = sp.random(300, 80, density=0.1, format="csr", random_state=rng)
    X.data += 1.0  # non-zero column means: the implicit centring matters
    y = X @ rng.randn(80) + rng.randn(300)
    sw = rng.uniform(0.5, 2, size=300)
    kw = dict(alpha=0.01, l1_ratio=0.5, fit_intercept=fit_intercept, tol=1e-12)
    for fmt in ("csr", "csc"):
        sparse_fit = RegularizedRegressor(penalty, **kw).fit(X.asformat(fmt), y, sw)
        dense_fit = RegularizedRegressor(penalty, **kw).fit(X.toarray(), y, sw)
        np.testing.assert_allclose(sparse_fit.coef_, dense_fit.coef_, rtol=1e-6,
                                   atol=1e-9)
        np.testing.assert_allclose(sparse_fit.intercept_, dense_fit.intercept_,
                                   rtol=1e-6)


def test_sparse_input_is_never_densified(monkeypatch):
    """The sparse path must not call toarray/todense on the n x p design."""
    X = sp.random(2500, 2200, density=0.002, format="csr", random_state=0)
    y = np.asarray(X.sum(axis=1)).ravel() + np.random.RandomState(0).randn(2500)
    shapes = []
    for cls in (sp.csr_matrix, sp.csc_matrix, sp.coo_matrix):
        original = cls.toarray

        def spy(self, *args, _orig=original, **kwargs):
            shapes.append(self.shape)
            return _orig(self, *args, **kwargs)

        monkeypatch.setattr(cls, "toarray", spy)
    for penalty in ("l1", "l2"):
        RegularizedRegressor(penalty, alpha=0.001).fit(X, y)
    assert (2500, 2200) not in shapes
    assert all(s[0] * s[1] < 2500 * 2200 for s in shapes)


@pytest.mark.parametrize("penalty", ["l1", "elasticnet", "l2", None])
def test_float32_is_kept_and_accurate(penalty):
    X, y = PROBLEMS["diabetes"]
    rho = {"l1": 1.0, "elasticnet": 0.5, "l2": 0.0, None: 0.0}[penalty]
    a = 0.01 if penalty else 0.0
    f32 = RegularizedRegressor(penalty, 0.01, tol=1e-6).fit(X.astype(np.float32),
                                                             y.astype(np.float32))
    f64 = RegularizedRegressor(penalty, 0.01, tol=1e-12).fit(X, y)
    assert f32.coef_.dtype == np.float32
    assert f32.predict(X.astype(np.float32)).dtype == np.float32
    v32 = objective(X, y, f32.coef_, f32.intercept_, a, rho)
    v64 = objective(X, y, f64.coef_, f64.intercept_, a, rho)
    assert abs(v32 - v64) <= 1e-4 * v64


@pytest.mark.parametrize("penalty", ["l1", "elasticnet", "l2", None])
def test_multi_output_equals_separate_fits(penalty):
    X, Y = make_regression(100, 20, n_targets=3, noise=1.0, random_state=0)
    multi = RegularizedRegressor(penalty, 1.0, tol=1e-14).fit(X, Y)
    assert multi.coef_.shape == (3, 20)
    assert multi.intercept_.shape == (3,)
    assert multi.predict(X).shape == (100, 3)
    for k in range(3):
        single = RegularizedRegressor(penalty, 1.0, tol=1e-14).fit(X, Y[:, k])
        np.testing.assert_allclose(multi.coef_[k], single.coef_, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(multi.intercept_[k], single.intercept_, rtol=1e-6)
    if penalty in ("l1", "elasticnet"):
        ref = (Lasso(1.0, tol=1e-15) if penalty == "l1"
               else ElasticNet(1.0, l1_ratio=0.5, tol=1e-15)).fit(X, Y)
        np.testing.assert_allclose(multi.coef_, ref.coef_, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("penalty,l1_ratio", [("l1", 1.0), ("elasticnet", 0.3)])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_alpha_max_gives_zeros_and_below_does_not(penalty, l1_ratio, fit_intercept):
    X, y = PROBLEMS["diabetes"]
    amax = alpha_max(X, y, l1_ratio, fit_intercept=fit_intercept)
    at = RegularizedRegressor(penalty, amax, l1_ratio=l1_ratio,
                              fit_intercept=fit_intercept).fit(X, y)
    assert np.all(at.coef_ == 0.0)
    below = RegularizedRegressor(penalty, 0.99 * amax, l1_ratio=l1_ratio,
                                 fit_intercept=fit_intercept).fit(X, y)
    assert np.count_nonzero(below.coef_) >= 1


def test_l1_gives_exact_zeros_and_l2_none():
    X, y = make_regression(200, 50, n_informative=5, noise=1.0, random_state=0)
    l1 = RegularizedRegressor("l1", 1.0).fit(X, y)
    l2 = RegularizedRegressor("l2", 1.0).fit(X, y)
    assert 5 <= np.count_nonzero(l1.coef_) < 50
    assert np.count_nonzero(l2.coef_) == 50
    # the zeros are the truly uninformative features of make_regression
    gd = RegularizedRegressor("l1", 1.0, solver="gd", tol=1e-10, max_iter=50_000).fit(X, y)
    np.testing.assert_array_equal(gd.coef_ == 0, l1.coef_ == 0)


@pytest.mark.parametrize("penalty", ["l1", "elasticnet", "l2"])
def test_dual_gap_bounds_the_suboptimality(penalty):
    X, y = PROBLEMS["toeplitz"]
    rho = {"l1": 1.0, "elasticnet": 0.5, "l2": 0.0}[penalty]
    alpha = 0.01
    exact = RegularizedRegressor(penalty, alpha, tol=1e-14, max_iter=100_000).fit(X, y)
    f_star = objective(X, y, exact.coef_, exact.intercept_, alpha, rho)
    for max_iter in (1, 3, 10, 30):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            rough = RegularizedRegressor(penalty, alpha, solver="gd", tol=1e-14,
                                         max_iter=max_iter).fit(X, y)
        sub = objective(X, y, rough.coef_, rough.intercept_, alpha, rho) - f_star
        assert -1e-12 <= sub <= rough.dual_gap_ * (1 + 1e-9) + 1e-12
    assert exact.dual_gap_ <= 1e-14 * objective(X, y, 0 * exact.coef_, y.mean(),
                                                alpha, rho) * 2


def test_convergence_warning_when_max_iter_comes_first():
    X, y = PROBLEMS["toeplitz"]
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        RegularizedRegressor("l1", 0.001, solver="gd", max_iter=3).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        RegularizedRegressor("l1", 0.001).fit(X, y)


@pytest.mark.parametrize("solver", ["working_set", "gd"])
def test_warm_start_reuses_coef(solver):
    X, y = PROBLEMS["toeplitz"]
    kw = dict(solver=solver, tol=1e-8, max_iter=100_000)
    cold = RegularizedRegressor("l1", 0.01, **kw).fit(X, y)
    warm = RegularizedRegressor("l1", 0.01, warm_start=True, **kw).fit(X, y)
    warm.fit(X, y)  # starts at the optimum: almost no work
    assert warm.n_iter_ < cold.n_iter_
    assert warm.n_iter_ <= 2
    np.testing.assert_allclose(warm.coef_, cold.coef_, atol=1e-5)


def test_positive_constraint():
    X, y = PROBLEMS["diabetes"]
    for penalty in ("l1", "elasticnet", "l2", None):
        ours = RegularizedRegressor(penalty, 0.01, positive=True, tol=1e-12).fit(X, y)
        assert np.all(ours.coef_ >= 0)
    ours = RegularizedRegressor("l1", 0.01, positive=True, tol=1e-12).fit(X, y)
    ref = Lasso(0.01, positive=True, tol=1e-13, max_iter=100_000).fit(X, y)
    _assert_same_objective(X, y, ours, ref, 0.01, 1.0)
    ours = RegularizedRegressor(None, positive=True, tol=1e-12).fit(X, y)
    ref = LinearRegression(positive=True).fit(X, y)
    _assert_same_objective(X, y, ours, ref, 0.0, 0.0, rtol=1e-6)


def test_readonly_and_fortran_inputs():
    X, y = PROBLEMS["diabetes"]
    Xf = np.asfortranarray(X)
    Xr = X.copy()
    Xr.flags.writeable = False
    yr = y.copy()
    yr.flags.writeable = False
    base = RegularizedRegressor("l1", 0.1).fit(X, y)
    for Xin in (Xf, Xr):
        fit = RegularizedRegressor("l1", 0.1).fit(Xin, yr)
        np.testing.assert_allclose(fit.coef_, base.coef_)


def test_copy_x_false_overwrites_only_when_allowed():
    X, y = PROBLEMS["diabetes"]
    X1 = np.asfortranarray(X.copy())
    RegularizedRegressor("l2", copy_X=True).fit(X1, y)
    np.testing.assert_array_equal(X1, X)
    fit = RegularizedRegressor("l2", copy_X=False).fit(np.asfortranarray(X.copy()), y)
    ref = RegularizedRegressor("l2").fit(X, y)
    np.testing.assert_allclose(fit.coef_, ref.coef_)


def test_constant_target_and_constant_features():
    X, y = PROBLEMS["diabetes"]
    for penalty in ("l1", "l2", None):
        fit = RegularizedRegressor(penalty, 0.1).fit(X, np.full(len(y), 3.0))
        np.testing.assert_allclose(fit.coef_, 0.0, atol=1e-12)
        assert fit.intercept_ == pytest.approx(3.0)
    Xc = np.ones((50, 3))
    fit = RegularizedRegressor("l1", 0.1).fit(Xc, np.arange(50.0))
    np.testing.assert_array_equal(fit.coef_, 0.0)
    assert fit.intercept_ == pytest.approx(24.5)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("offset", [0.0, 1e4])
def test_gram_path_equals_row_path(sparse, offset):
    """Tall data are held by their statistics X^T X in float64 (centred a block of
    rows at a time; sparse: uncentred product and rank-one correction); both forms
    give one optimum."""
    from skreg._datafit import prepare_problem
    from skreg._penalties import PenaltySpec
    from skreg._solvers import solve

    rng = np.random.RandomState(0)
    X = rng.randn(400, 30) + offset
    y = X @ rng.randn(30) + rng.randn(400)
    sw = rng.uniform(0.5, 2.0, size=400)
    Xin = sp.csr_matrix(X) if sparse else X
    Y = y[:, None]
    for penalty in ("l1", "elasticnet", "l2"):
        pen = PenaltySpec.from_params(penalty, 0.5).at(0.05)
        solver = "cholesky" if penalty == "l2" else "working_set"
        rows = prepare_problem(Xin, Y, sw, True, form="rows")
        gram = prepare_problem(Xin, Y, sw, True, form="gram")
        a = solve(rows, pen, solver, 1e-13, 10_000).coef
        b = solve(gram, pen, solver, 1e-13, 10_000).coef
        # a sparse design keeps its centring implicit: with means 1e4 times the
        # spread its products cancel eight digits, and the solution is only
        # determined to about 1e-6 (a dense one is centred explicitly)
        rtol = 1e-5 if sparse and offset else 1e-6
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-8)
    # and the estimator, which picks the Gram path here, matches scikit-learn
    fit = RegularizedRegressor("l1", 0.05, tol=1e-13).fit(Xin, y, sample_weight=sw)
    ref = Lasso(0.05, tol=1e-13, max_iter=100_000).fit(X, y, sample_weight=sw)
    _assert_same_objective(X, y, fit, ref, 0.05, 1.0, sw, rtol=1e-6)
