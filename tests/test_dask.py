"""Dask: fits from dask collections on a local cluster, grid searches on the dask
joblib backend, and DropoutMLPClassifier under dask-ml's Incremental.

The module starts a ``distributed.LocalCluster`` with two worker processes and
closes it at the end.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

# The dask extra ("pip install skreg[dask]") is optional: without it, skip.
da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
Incremental = pytest.importorskip("dask_ml.wrappers").Incremental
distributed = pytest.importorskip("distributed")
Client, LocalCluster = distributed.Client, distributed.LocalCluster

from _objective import objective  # noqa: E402
from joblib import parallel_backend  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from skreg import DropoutMLPClassifier, RegularizedRegressor  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")         # port and resource notices
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    yield client
    client.close()
    cluster.close()


def _data(n=6000, p=25, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 2, p) + rng.normal(size=p) * 10
    y = X[:, :4] @ rng.normal(size=4) + rng.normal(size=n) + 100.0
    sw = rng.uniform(0, 2, n)
    return X, y, sw


@pytest.mark.parametrize("penalty, rho", [("l2", 0.0), ("l1", 1.0),
                                          ("elasticnet", 0.5), (None, 0.0)])
def test_dask_array_fit_equals_numpy_fit(client, penalty, rho):
    X, y, sw = _data()
    alpha = 0.05
    kw = dict(tol=1e-10, max_iter=100_000)
    ref = RegularizedRegressor(penalty, alpha, **kw).fit(X, y, sample_weight=sw)
    got = RegularizedRegressor(penalty, alpha, **kw).fit(
        da.from_array(X, chunks=(900, 10)), da.from_array(y, chunks=1100),
        sample_weight=da.from_array(sw, chunks=700))
    f_ref = objective(X, y, ref.coef_, ref.intercept_, alpha, rho, sw)
    f_got = objective(X, y, got.coef_, got.intercept_, alpha, rho, sw)
    assert abs(f_got - f_ref) <= 1e-9 * abs(f_ref)
    assert got.n_features_in_ == X.shape[1]
    pred = got.predict(da.from_array(X, chunks=(1000, 25)))
    assert isinstance(pred, da.Array)
    np.testing.assert_allclose(pred.compute(), got.predict(X), rtol=1e-12)


def test_dask_dataframe_fit_and_feature_names(client):
    X, y, _ = _data(3000, 6, seed=1)
    columns = [f"x{i}" for i in range(6)]
    ddf = dd.from_pandas(pd.DataFrame(X, columns=columns), npartitions=5)
    dy = dd.from_pandas(pd.Series(y), npartitions=5)
    got = RegularizedRegressor("l1", 0.1, tol=1e-10).fit(ddf, dy)
    ref = RegularizedRegressor("l1", 0.1, tol=1e-10).fit(
        pd.DataFrame(X, columns=columns), y)
    np.testing.assert_allclose(got.coef_, ref.coef_, rtol=1e-8, atol=1e-10)
    assert list(got.feature_names_in_) == columns


def test_dask_bad_input(client):
    X, y, _ = _data(100, 5)
    with pytest.raises(ValueError, match="samples but y has"):
        RegularizedRegressor().fit(da.from_array(X), da.from_array(y[:-1]))
    Xn = X.copy()
    Xn[5, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        RegularizedRegressor().fit(da.from_array(Xn, chunks=30), y)


def test_grid_search_on_the_dask_backend_equals_loky(client):
    X, y, _ = _data(600, 8, seed=2)
    grid = {"alpha": [0.01, 0.1, 1.0], "penalty": ["l1", "l2"]}
    loky = GridSearchCV(RegularizedRegressor(), grid, cv=3, n_jobs=2).fit(X, y)
    with parallel_backend("dask"):
        on_dask = GridSearchCV(RegularizedRegressor(), grid, cv=3, n_jobs=-1).fit(X, y)
    np.testing.assert_allclose(on_dask.cv_results_["mean_test_score"],
                               loky.cv_results_["mean_test_score"], rtol=1e-12)

    Xd, yd = load_digits(return_X_y=True)
    Xd, yd = Xd[:600] / 16, yd[:600]
    mlp = DropoutMLPClassifier((16,), max_iter=20, random_state=0)
    grid = {"dropout": [0.0, 0.3], "alpha": [1e-4, 1e-2]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        loky = GridSearchCV(mlp, grid, cv=3, n_jobs=2).fit(Xd, yd)
        with parallel_backend("dask"):
            on_dask = GridSearchCV(mlp, grid, cv=3, n_jobs=-1).fit(Xd, yd)
    np.testing.assert_allclose(on_dask.cv_results_["mean_test_score"],
                               loky.cv_results_["mean_test_score"], rtol=1e-12)


def test_mlp_partial_fit_under_dask_ml_incremental(client):
    X, y = load_digits(return_X_y=True)
    X = X / 16
    Xd = da.from_array(X, chunks=(300, 64))
    yd = da.from_array(y, chunks=300)
    inc = Incremental(DropoutMLPClassifier(learning_rate_init=0.01, random_state=0),
                      shuffle_blocks=False)
    manual = DropoutMLPClassifier(learning_rate_init=0.01, random_state=0)
    for _ in range(3):
        inc.partial_fit(Xd, yd, classes=np.arange(10))
        for start in range(0, len(y), 300):
            manual.partial_fit(X[start:start + 300], y[start:start + 300],
                               classes=np.arange(10))
    for a, b in zip(inc.estimator_.coefs_, manual.coefs_):
        # Same steps; only rounding differs (the cluster's BLAS may block differently).
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    assert inc.estimator_.t_ == 3 * len(y)
    assert inc.score(Xd, yd) > 0.85
