"""Input dropout of the linear model (RegularizedRegressor(dropout=q)) against
independent truths: the exact expectation over every dropout mask, Ridge on
rescaled columns, scale invariance, sparse == dense, weights == repeated rows,
and scipy's L-BFGS-B with every penalty."""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV

from _objective import extended_objective, lbfgs_reference
from skreg import DropoutMLPRegressor, RegularizedRegressor


def _data(n=50, p=6, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, p) * rng.uniform(0.1, 10, p) + rng.uniform(-3, 3, p)
    y = X @ rng.randn(p) / 3 + rng.randn(n) + 1.0
    sw = rng.randint(1, 4, n).astype(float)
    return X, y, sw


@pytest.mark.parametrize("p", [1, 2, 4])
@pytest.mark.parametrize("q", [0.1, 0.5, 0.8])
def test_objective_is_the_exact_expectation_over_every_mask(p, q):
    # F_q(w, b) from the package's own penalty must equal, at a random (w, b),
    # E_masks[ 1/(2S) sum_i s_i (y_i - (x_i * delta_i / (1 - q)).w - b)^2 ]
    # + alpha-term, the expectation computed by enumerating every mask of every row
    from skreg._datafit import prepare_problem
    from skreg._penalties import PenaltySpec

    rng = np.random.RandomState(p)
    n = 5
    X = rng.randn(n, p) * 3 + 1
    y = rng.randn(n)
    s = rng.uniform(0.5, 2, n)
    S = s.sum()
    w, b = rng.randn(p), rng.randn()
    expected = 0.0
    for i in range(n):
        for mask in itertools.product([0, 1], repeat=p):
            delta = np.array(mask, dtype=float)
            prob = np.prod(np.where(delta == 1, 1 - q, q))
            pred = (X[i] * delta / (1 - q)) @ w + b
            expected += prob * s[i] * (y[i] - pred) ** 2 / (2 * S)
    problem = prepare_problem(X, y[:, None], s, True)
    penalty = PenaltySpec.from_params(None, dropout=q).on(problem)(0.0)
    data = float(s @ (y - X @ w - b) ** 2) / (2 * S)
    assert abs(data + penalty.value(w) - expected) <= 1e-12 * abs(expected)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("wide", [False, True])
def test_pure_dropout_is_ridge_on_rescaled_columns(sparse, wide):
    # 1/2 c sum_j d_j w_j^2 with u_j = sqrt(d_j) w_j: Ridge on X / sqrt(d)
    X, y, sw = _data()
    if wide:
        X, y, sw = np.hstack([X, X ** 2])[:8], y[:8], sw[:8]
    q = 0.3
    d = (sw @ X**2) / sw.sum()
    Xin = sp.csr_matrix(X) if sparse else X
    ours = RegularizedRegressor(None, dropout=q).fit(Xin, y, sample_weight=sw)
    ref = Ridge(alpha=q / (1 - q) * sw.sum(), solver="svd").fit(
        X / np.sqrt(d), y, sample_weight=sw)
    np.testing.assert_allclose(ours.coef_, ref.coef_ / np.sqrt(d), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-9)
    # the same as an L2 fit with factors d and alpha = q / (1 - q)
    l2 = RegularizedRegressor("l2", q / (1 - q), penalty_factor=d).fit(
        Xin, y, sample_weight=sw)
    np.testing.assert_allclose(ours.coef_, l2.coef_, rtol=1e-10, atol=1e-12)


def test_scaling_a_column_scales_its_coefficient():
    X, y, _ = _data()
    c = np.array([1.0, 1e3, 1e-2, 1.0, 7.0, 1.0])
    a = RegularizedRegressor(None, dropout=0.4).fit(X, y)
    b = RegularizedRegressor(None, dropout=0.4).fit(X * c, y)
    np.testing.assert_allclose(b.coef_, a.coef_ / c, rtol=1e-9)
    np.testing.assert_allclose(b.intercept_, a.intercept_, rtol=1e-9)
    # an L2 penalty is not scale invariant: the check can fail
    r1 = RegularizedRegressor("l2", 0.4).fit(X, y)
    r2 = RegularizedRegressor("l2", 0.4).fit(X * c, y)
    assert not np.allclose(r2.coef_, r1.coef_ / c, rtol=1e-3)


@pytest.mark.parametrize("penalty,rho", [("l1", 1.0), ("elasticnet", 0.5), ("l2", 0.0),
                                         (None, 0.0)])
def test_dropout_with_every_penalty_sparse_dense_and_weights(penalty, rho):
    X, y, sw = _data()
    q, alpha = 0.25, 0.05
    kwargs = dict(dropout=q, tol=1e-12, max_iter=100_000)
    dense = RegularizedRegressor(penalty, alpha, l1_ratio=rho, **kwargs).fit(
        X, y, sample_weight=sw)
    sparse = RegularizedRegressor(penalty, alpha, l1_ratio=rho, **kwargs).fit(
        sp.csr_matrix(X), y, sample_weight=sw)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-8, atol=1e-10)
    # integer weights == repeated rows (d_j too is a weighted mean)
    rep = np.repeat(np.arange(len(y)), sw.astype(int))
    repeated = RegularizedRegressor(penalty, alpha, l1_ratio=rho, **kwargs).fit(
        X[rep], y[rep])
    np.testing.assert_allclose(repeated.coef_, dense.coef_, rtol=1e-8, atol=1e-10)
    a = alpha if penalty is not None else 0.0
    w, b, ref = lbfgs_reference(X, y, a, rho, dropout=q, sample_weight=sw)
    value = extended_objective(X, y, dense.coef_, dense.intercept_, a, rho, dropout=q,
                               sample_weight=sw)
    assert value <= ref + 1e-7 * abs(ref) and abs(value - ref) <= 1e-7 * abs(ref)


def test_dropout_and_factors_together_and_from_statistics():
    X, y, sw = _data()
    f = np.array([0.0, 1.0, 2.0, 0.0, 0.5, 1.0])
    q = 0.2
    model = RegularizedRegressor("elasticnet", 0.1, l1_ratio=0.7, penalty_factor=f,
                                 dropout=q, tol=1e-12).fit(X, y, sample_weight=sw)
    w, b, ref = lbfgs_reference(X, y, 0.1, 0.7, f, q, sw)
    value = extended_objective(X, y, model.coef_, model.intercept_, 0.1, 0.7, f, q, sw)
    assert abs(value - ref) <= 1e-7 * abs(ref)
    # partial_fit: d_j from the statistics' raw second moments
    stream = RegularizedRegressor("elasticnet", 0.1, l1_ratio=0.7, penalty_factor=f,
                                  dropout=q, tol=1e-12)
    for rows in np.array_split(np.arange(len(y)), 4):
        stream.partial_fit(X[rows], y[rows], sample_weight=sw[rows])
    np.testing.assert_allclose(stream.coef_, model.coef_, rtol=1e-8, atol=1e-10)
    no_intercept = RegularizedRegressor(None, dropout=q, fit_intercept=False)
    ref_ni = no_intercept.fit(X, y).coef_
    for rows in np.array_split(np.arange(len(y)), 2):
        no_intercept.partial_fit(X[rows], y[rows])
    np.testing.assert_allclose(no_intercept.coef_, ref_ni, rtol=1e-9)


@pytest.mark.parametrize("bad,error", [(1.0, ValueError), (-0.1, ValueError),
                                       ("0.5", TypeError), (np.nan, ValueError)])
def test_bad_dropout_is_rejected(bad, error):
    X, y, _ = _data()
    with pytest.raises(error, match="dropout"):
        RegularizedRegressor(dropout=bad).fit(X, y)


def test_grid_search_over_alpha_and_dropout_for_both_estimators():
    X, y, _ = _data(n=60)
    grid = {"alpha": [1e-3, 1e-1], "dropout": [0.0, 0.3]}
    linear = GridSearchCV(RegularizedRegressor("l2"), grid, cv=3).fit(X, y)
    assert set(linear.best_params_) == {"alpha", "dropout"}
    assert linear.cv_results_["mean_test_score"].shape == (4,)
    net = GridSearchCV(DropoutMLPRegressor((4,), max_iter=5, random_state=0), grid,
                       cv=2).fit(X / 10, y)
    assert set(net.best_params_) == {"alpha", "dropout"}
