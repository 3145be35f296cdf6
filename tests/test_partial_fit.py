"""RegularizedRegressor.partial_fit: chunked sufficient statistics equal a full fit."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from _objective import objective

from skreg import RegularizedRegressor
from skreg._statistics import SufficientStatistics

PENALTIES = [("l2", 0.0), ("l1", 1.0), ("elasticnet", 0.5), (None, 0.0)]


def _data(n=2000, p=30, seed=0):
    rng = np.random.default_rng(seed)
    # Means far from zero and unequal scales: the centred merge must not lose them.
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 3, p) + rng.normal(size=p) * 50
    y = X[:, :5] @ rng.normal(size=5) + rng.normal(size=n) + 1000.0
    sw = rng.uniform(0, 2, n)
    sw[rng.choice(n, 50, replace=False)] = 0.0
    return X, y, sw


def _chunks(n, k, seed=0):
    cuts = np.sort(np.random.default_rng(seed).choice(np.arange(1, n), k - 1,
                                                      replace=False))
    return np.split(np.arange(n), cuts)


@pytest.mark.parametrize("penalty, rho", PENALTIES)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [True, False])
@pytest.mark.parametrize("sparse", [False, True])
def test_chunked_equals_whole(penalty, rho, fit_intercept, weighted, sparse):
    X, y, sw = _data()
    sw = sw if weighted else None
    alpha = 0.05
    kw = dict(fit_intercept=fit_intercept, tol=1e-10, max_iter=100_000)
    whole = RegularizedRegressor(penalty, alpha, **kw).fit(X, y, sample_weight=sw)
    part = RegularizedRegressor(penalty, alpha, **kw)
    Xin = sp.csr_matrix(X) if sparse else X
    for idx in _chunks(len(y), 9):
        part.partial_fit(Xin[idx], y[idx],
                         sample_weight=None if sw is None else sw[idx])
    f_whole = objective(X, y, whole.coef_, whole.intercept_, alpha, rho, sw)
    f_part = objective(X, y, part.coef_, part.intercept_, alpha, rho, sw)
    assert abs(f_part - f_whole) <= 1e-7 * abs(f_whole)
    np.testing.assert_allclose(part.predict(X), whole.predict(X), rtol=1e-6)


def test_after_every_chunk_equals_fit_on_the_rows_seen():
    X, y, sw = _data(600, 12, seed=1)
    part = RegularizedRegressor("elasticnet", 0.1, tol=1e-10, max_iter=100_000)
    seen = np.zeros(0, dtype=int)
    for idx in _chunks(600, 5, seed=1):
        seen = np.concatenate([seen, idx])
        part.partial_fit(X[idx], y[idx], sample_weight=sw[idx])
        ref = RegularizedRegressor("elasticnet", 0.1, tol=1e-10, max_iter=100_000).fit(
            X[seen], y[seen], sample_weight=sw[seen])
        np.testing.assert_allclose(part.coef_, ref.coef_, rtol=1e-6, atol=1e-9)
        assert part.intercept_ == pytest.approx(ref.intercept_, rel=1e-9)


def test_multi_output_float32_and_pickle():
    X, y, sw = _data(800, 10, seed=2)
    Y = np.column_stack([y, -y + 3])
    whole = RegularizedRegressor("l1", 0.2, tol=1e-10, max_iter=100_000).fit(X, Y)
    part = RegularizedRegressor("l1", 0.2, tol=1e-10, max_iter=100_000)
    for idx in _chunks(800, 4):
        part.partial_fit(X[idx].astype(np.float32), Y[idx].astype(np.float32))
        part = pickle.loads(pickle.dumps(part))          # statistics survive pickling
    assert part.coef_.dtype == np.float32 and part.coef_.shape == (2, 10)
    # float64 accumulators: float32 chunks lose only the rounding of the inputs.
    np.testing.assert_allclose(part.coef_, whole.coef_, rtol=1e-4, atol=1e-4)


def test_merge_is_exact_against_numpy_moments():
    X, y, sw = _data(500, 6, seed=3)
    stats = SufficientStatistics(6, 1, fit_intercept=True)
    for idx in _chunks(500, 7, seed=3):
        stats.update(X[idx], y[idx, None], sw[idx])
    mu = np.average(X, axis=0, weights=sw)
    ybar = np.average(y, weights=sw)
    Xc, yc = X - mu, y - ybar
    np.testing.assert_allclose(stats.x_mean, mu, rtol=1e-12)
    np.testing.assert_allclose(stats.xx, (Xc * sw[:, None]).T @ Xc, rtol=1e-10)
    np.testing.assert_allclose(stats.xy[:, 0], (Xc * sw[:, None]).T @ yc, rtol=1e-10)
    assert stats.yy[0] == pytest.approx(sw @ yc**2, rel=1e-10)
    assert stats.weight == pytest.approx(sw.sum()) and stats.n_samples == 500


def test_fit_restarts_and_errors():
    X, y, sw = _data(300, 5)
    reg = RegularizedRegressor("l2", 1.0)
    reg.partial_fit(X[:100], y[:100])
    with pytest.raises(ValueError, match="features"):
        reg.partial_fit(X[100:200, :3], y[100:200])
    with pytest.raises(ValueError, match="same targets"):
        reg.partial_fit(X[100:200], np.column_stack([y[100:200]] * 2))
    reg.set_params(fit_intercept=False)
    with pytest.raises(ValueError, match="fit_intercept changed"):
        reg.partial_fit(X[100:200], y[100:200])
    reg.set_params(fit_intercept=True)
    reg.fit(X[:50], y[:50])
    reg.partial_fit(X[200:], y[200:])          # fit discarded the statistics
    ref = RegularizedRegressor("l2", 1.0).fit(X[200:], y[200:])
    np.testing.assert_allclose(reg.coef_, ref.coef_, rtol=1e-8)
    cg = RegularizedRegressor(solver="cg", tol=1e-12).partial_fit(X, y)
    np.testing.assert_allclose(cg.coef_, RegularizedRegressor().fit(X, y).coef_,
                               rtol=1e-8)


def test_too_many_features_says_how_much_memory():
    X = sp.random(3, 40_000, density=1e-3, format="csr", random_state=0)
    with pytest.raises(ValueError, match=r"40000 x 40000 .* needs 12\.8 GB"):
        RegularizedRegressor().partial_fit(X, np.ones(3))
