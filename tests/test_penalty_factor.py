"""penalty_factor (per-feature penalty factors) against independent references:
scikit-learn's Lasso on columns divided by the factors (exact for f_j > 0),
scipy's L-BFGS-B on the split form, the KKT conditions, and the errors."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso

from _objective import extended_objective, lbfgs_reference
from skreg import RegularizedRegressor


def _data(n=60, p=8, seed=0, wide=False):
    rng = np.random.RandomState(seed)
    n = 15 if wide else n
    X = rng.randn(n, p) + rng.uniform(-2, 2, p)       # non-zero means: centring matters
    X[:, 3] = X[:, 2] + 0.2 * rng.randn(n)             # correlated pair
    y = X @ rng.randn(p) + 0.5 * rng.randn(n) + 3.0
    sw = rng.randint(1, 4, n).astype(float)
    return X, y, sw


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("weights", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_l1_factors_equal_lasso_on_divided_columns(sparse, weights, fit_intercept):
    # |w_j| f_j with x_j w_j = (x_j / f_j) (f_j w_j): Lasso on X / f gives f * w
    X, y, sw = _data()
    f = np.random.RandomState(1).uniform(0.3, 3.0, X.shape[1])
    sw = sw if weights else None
    Xin = sp.csr_matrix(X) if sparse else X
    ours = RegularizedRegressor("l1", 0.3, penalty_factor=f, tol=1e-12,
                                fit_intercept=fit_intercept).fit(Xin, y, sample_weight=sw)
    ref = Lasso(alpha=0.3, tol=1e-14, max_iter=200_000,
                fit_intercept=fit_intercept).fit(X / f, y, sample_weight=sw)
    np.testing.assert_allclose(ours.coef_, ref.coef_ / f, atol=1e-8)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-8)
    assert np.count_nonzero(ours.coef_) < X.shape[1]


def _factors_with_zeros(p):
    f = np.linspace(0.5, 2.0, p)
    f[[1, 5]] = 0.0
    return f


@pytest.mark.parametrize("penalty,rho", [("l1", 1.0), ("elasticnet", 0.4), ("l2", 0.0)])
@pytest.mark.parametrize("kind", ["dense", "sparse", "wide", "wide_sparse"])
@pytest.mark.parametrize("solver", ["auto", "working_set", "gd"])
def test_mixed_zero_factors_match_lbfgs(penalty, rho, kind, solver):
    X, y, sw = _data(wide=kind.startswith("wide"))
    f = _factors_with_zeros(X.shape[1])
    Xin = sp.csr_matrix(X) if kind.endswith("sparse") else X
    alpha = 0.3
    ours = RegularizedRegressor(penalty, alpha, l1_ratio=rho, penalty_factor=f,
                                solver=solver, tol=1e-12, max_iter=200_000).fit(
        Xin, y, sample_weight=sw)
    w, b, ref_value = lbfgs_reference(X, y, alpha, rho, f, sample_weight=sw)
    value = extended_objective(X, y, ours.coef_, ours.intercept_, alpha, rho, f,
                               sample_weight=sw)
    assert value <= ref_value + 1e-7 * abs(ref_value), (value, ref_value)
    assert abs(value - ref_value) <= 1e-7 * abs(ref_value)
    # the certificate bounds the true suboptimality, which L-BFGS-B bounds below
    assert value - ref_value <= ours.dual_gap_ + 1e-9 * abs(ref_value)
    assert ours.coef_[1] != 0 and ours.coef_[5] != 0          # always in the model


@pytest.mark.parametrize("solver", ["cholesky", "cg"])
@pytest.mark.parametrize("kind", ["dense", "sparse", "wide", "wide_sparse"])
def test_l2_factors_with_zeros_closed_form_and_cg(solver, kind):
    X, y, sw = _data(wide=kind.startswith("wide"))
    f = _factors_with_zeros(X.shape[1])
    Xin = sp.csr_matrix(X) if kind.endswith("sparse") else X
    ours = RegularizedRegressor("l2", 0.7, penalty_factor=f, solver=solver,
                                tol=1e-12).fit(Xin, y, sample_weight=sw)
    # the normal equations of F, written out (an L2 penalty is smooth)
    s = sw / sw.sum()
    Xc = X - s @ X
    yc = y - s @ y
    lhs = Xc.T @ (s[:, None] * Xc) + np.diag(0.7 * f)
    rhs = Xc.T @ (s * yc)
    if kind.startswith("wide"):
        # singular normal equations: the optimum's gradient is zero
        np.testing.assert_allclose(lhs @ ours.coef_, rhs, atol=1e-8)
    else:
        np.testing.assert_allclose(ours.coef_, np.linalg.solve(lhs, rhs), atol=1e-9)


def test_factors_multi_output_and_float32():
    X, y, sw = _data()
    Y = np.column_stack([y, -2 * y + X[:, 0]])
    f = _factors_with_zeros(X.shape[1])
    multi = RegularizedRegressor("elasticnet", 0.2, penalty_factor=f, tol=1e-12).fit(X, Y)
    for k in range(2):
        single = RegularizedRegressor("elasticnet", 0.2, penalty_factor=f,
                                      tol=1e-12).fit(X, Y[:, k])
        np.testing.assert_allclose(multi.coef_[k], single.coef_, atol=1e-9)
    low = RegularizedRegressor("elasticnet", 0.2, penalty_factor=f, tol=1e-5).fit(
        X.astype(np.float32), y)
    assert low.coef_.dtype == np.float32
    np.testing.assert_allclose(low.coef_, multi.coef_[0], atol=2e-3)


def test_alpha_max_with_factors_and_unpenalised_features():
    from skreg._datafit import prepare_problem
    from skreg._penalties import PenaltySpec, alpha_max
    from skreg._unpenalized import eliminate, unpenalized_features

    X, y, sw = _data()
    f = _factors_with_zeros(X.shape[1])
    problem = prepare_problem(X, y[:, None], sw, True)
    free = unpenalized_features(PenaltySpec.from_params("l1", factor=f).at(1.0), X.shape[1])
    elim = eliminate(problem, free)
    top = alpha_max(elim.reduced.xty(0), problem.n_weight, 1.0, factor=f[elim.kept])
    above = RegularizedRegressor("l1", top * (1 + 1e-9), penalty_factor=f,
                                 tol=1e-12).fit(X, y, sample_weight=sw)
    below = RegularizedRegressor("l1", top * 0.98, penalty_factor=f,
                                 tol=1e-12).fit(X, y, sample_weight=sw)
    penalised = f > 0
    assert not np.any(above.coef_[penalised])
    assert np.any(below.coef_[penalised])
    # above alpha_max the unpenalised features alone: weighted least squares on them
    Z = np.column_stack([X[:, ~penalised], np.ones(len(y))])
    sol = np.linalg.lstsq(Z * np.sqrt(sw)[:, None], y * np.sqrt(sw), rcond=None)[0]
    np.testing.assert_allclose(above.coef_[~penalised], sol[:-1], atol=1e-9)


def test_duplicate_unpenalised_columns_get_the_minimum_norm_answer():
    X, y, sw = _data()
    Xd = np.column_stack([X, X[:, 0]])                 # column 8 duplicates column 0
    f = np.ones(Xd.shape[1])
    f[[0, 8]] = 0.0
    ours = RegularizedRegressor("l1", 0.1, penalty_factor=f, tol=1e-12).fit(Xd, y)
    f1 = np.ones(X.shape[1])
    f1[0] = 0.0
    single = RegularizedRegressor("l1", 0.1, penalty_factor=f1, tol=1e-12).fit(X, y)
    # the same fit, the duplicated coefficient split in two equal halves
    np.testing.assert_allclose(ours.coef_[[0, 8]], single.coef_[0] / 2, atol=1e-9)
    np.testing.assert_allclose(ours.coef_[1:8], single.coef_[1:], atol=1e-9)
    np.testing.assert_allclose(ours.intercept_, single.intercept_, atol=1e-9)


def test_factors_by_feature_name():
    pd = pytest.importorskip("pandas")
    X, y, _ = _data()
    names = [f"x{j}" for j in range(X.shape[1])]
    df = pd.DataFrame(X, columns=names)
    f = _factors_with_zeros(X.shape[1])
    by_array = RegularizedRegressor("l1", 0.1, penalty_factor=f).fit(X, y)
    reordered = dict(reversed(list(zip(names, f))))
    for spec in (reordered, pd.Series(reordered)):
        by_name = RegularizedRegressor("l1", 0.1, penalty_factor=spec).fit(df, y)
        np.testing.assert_allclose(by_name.coef_, by_array.coef_, rtol=1e-12, atol=1e-14)
    with pytest.raises(ValueError, match="unknown names \\['z'\\]"):
        RegularizedRegressor(penalty_factor={**reordered, "z": 1.0}).fit(df, y)
    with pytest.raises(ValueError, match="no factor for \\['x0'\\]"):
        RegularizedRegressor(penalty_factor={n: 1.0 for n in names[1:]}).fit(df, y)
    with pytest.raises(ValueError, match="X has no column names"):
        RegularizedRegressor(penalty_factor=reordered).fit(X, y)


@pytest.mark.parametrize("bad,error,match", [
    (np.array([1.0, -1.0]), ValueError, ">= 0"),
    (np.array([1.0, np.nan]), ValueError, "finite"),
    ("abc", TypeError, "penalty_factor"),
    (np.ones((2, 2)), ValueError, "1-D"),      # a wrong shape (issue 19, item 9)
    ([1.0, "a"], TypeError, "real numbers"),
    ({1: 1.0}, TypeError, "feature names"),
])
def test_bad_penalty_factor_is_rejected_before_any_work(bad, error, match):
    X, y, _ = _data()
    with pytest.raises(error, match=match):
        RegularizedRegressor(penalty_factor=bad).fit(X, y)


def test_wrong_length_keeps_the_previous_model():
    X, y, _ = _data()
    model = RegularizedRegressor("l1", 0.1).fit(X, y)
    coef = model.coef_.copy()
    model.set_params(penalty_factor=np.ones(3))
    with pytest.raises(ValueError, match="shape \\(8,\\)"):
        model.fit(X, y)
    np.testing.assert_array_equal(model.coef_, coef)


def test_positive_with_unpenalised_features_is_an_error():
    X, y, _ = _data()
    with pytest.raises(ValueError, match="positive=True"):
        RegularizedRegressor("l1", penalty_factor=_factors_with_zeros(8),
                             positive=True).fit(X, y)
    # positive factors are fine, and every coefficient is then >= 0
    model = RegularizedRegressor("l1", 0.01, penalty_factor=np.linspace(0.5, 2, 8),
                                 positive=True, tol=1e-10).fit(X, y)
    assert np.all(model.coef_ >= 0)
    w, b, ref = _positive_reference(X, y, 0.01, np.linspace(0.5, 2, 8))
    value = extended_objective(X, y, model.coef_, model.intercept_, 0.01, 1.0,
                               np.linspace(0.5, 2, 8))
    assert abs(value - ref) <= 1e-7 * abs(ref)


def _positive_reference(X, y, alpha, f):
    # Lasso(positive=True) on X / f: exact for f > 0
    ref = Lasso(alpha=alpha, positive=True, tol=1e-14, max_iter=200_000).fit(X / f, y)
    w = ref.coef_ / f
    return w, ref.intercept_, extended_objective(X, y, w, ref.intercept_, alpha, 1.0, f)


def test_warm_start_and_partial_fit_with_factors():
    X, y, sw = _data()
    f = _factors_with_zeros(X.shape[1])
    full = RegularizedRegressor("elasticnet", 0.1, penalty_factor=f, tol=1e-12).fit(
        X, y, sample_weight=sw)
    warm = RegularizedRegressor("elasticnet", 0.3, penalty_factor=f, tol=1e-12,
                                warm_start=True).fit(X, y, sample_weight=sw)
    warm.set_params(alpha=0.1).fit(X, y, sample_weight=sw)
    np.testing.assert_allclose(warm.coef_, full.coef_, atol=1e-9)
    stream = RegularizedRegressor("elasticnet", 0.1, penalty_factor=f, tol=1e-12)
    for rows in np.array_split(np.arange(len(y)), 3):
        stream.partial_fit(X[rows], y[rows], sample_weight=sw[rows])
    np.testing.assert_allclose(stream.coef_, full.coef_, atol=1e-9)
    np.testing.assert_allclose(stream.intercept_, full.intercept_, atol=1e-9)


def test_all_zero_factors_is_least_squares():
    X, y, _ = _data()
    model = RegularizedRegressor("l1", 5.0, penalty_factor=np.zeros(8)).fit(X, y)
    ols = RegularizedRegressor(None).fit(X, y)
    np.testing.assert_allclose(model.coef_, ols.coef_, atol=1e-9)


def test_default_is_unchanged():
    X, y, _ = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        for penalty in ("l1", "l2", "elasticnet", None):
            a = RegularizedRegressor(penalty, 0.1).fit(X, y)
            b = RegularizedRegressor(penalty, 0.1, penalty_factor=np.ones(8),
                                     dropout=0.0).fit(X, y)
            np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-12)
