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
from sklearn.model_selection import GridSearchCV, PredefinedSplit  # noqa: E402

from skreg import (  # noqa: E402
    DropoutMLPClassifier,
    HashKFold,
    RegularizedRegressor,
    RegularizedRegressorCV,
)


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


# ------------------------------------------------ one-pass CV from fold statistics
CV_ATTRIBUTES = ("alphas_", "mse_path_", "alpha_", "coef_", "intercept_")


@pytest.mark.parametrize("penalty, l1_ratio", [("l1", 0.5), ("l2", 0.5),
                                               ("elasticnet", [0.4, 0.9])])
def test_dask_cv_equals_in_memory_cv_with_predefined_split(client, penalty, l1_ratio):
    X, y, sw = _data(4000, 12, seed=3)
    folds = np.random.default_rng(3).integers(-1, 4, len(y))
    kw = dict(alphas=12, l1_ratio=l1_ratio, tol=1e-12, max_iter=100_000)
    ref = RegularizedRegressorCV(penalty, cv=PredefinedSplit(folds), **kw).fit(
        X, y, sample_weight=sw)
    got = RegularizedRegressorCV(penalty, cv=PredefinedSplit(folds), **kw).fit(
        da.from_array(X, chunks=(700, 5)), da.from_array(y, chunks=900),
        sample_weight=da.from_array(sw, chunks=500))
    for name in CV_ATTRIBUTES:
        np.testing.assert_allclose(getattr(got, name), getattr(ref, name), rtol=1e-8,
                                   err_msg=name)
    assert got.n_features_in_ == 12 and not hasattr(got, "feature_names_in_")


def test_dask_dataframe_cv_by_column_and_by_hash(client):
    X, y, sw = _data(3000, 6, seed=4)
    columns = [f"x{i}" for i in range(6)]
    folds = np.random.default_rng(4).integers(0, 3, len(y))
    frame = pd.DataFrame(X, columns=columns).assign(target=y, w=sw, fold=folds)
    ddf = dd.from_pandas(frame, npartitions=5)
    kw = dict(alphas=10, tol=1e-12, max_iter=100_000)
    ref = RegularizedRegressorCV("elasticnet", cv=PredefinedSplit(folds), **kw).fit(
        frame[columns], y, sample_weight=sw)
    got = RegularizedRegressorCV("elasticnet", cv="fold", **kw).fit(
        ddf, "target", sample_weight="w")
    for name in CV_ATTRIBUTES:
        np.testing.assert_allclose(getattr(got, name), getattr(ref, name), rtol=1e-8,
                                   err_msg=name)
    assert list(got.feature_names_in_) == columns
    # cv=int: folds by the seeded row hash, whatever the partitioning
    ref = RegularizedRegressorCV("l1", cv=HashKFold(4), **kw).fit(frame[columns], y)
    for parts in (2, 7):
        got = RegularizedRegressorCV("l1", cv=4, **kw).fit(
            dd.from_pandas(frame.drop(columns=["w", "fold"]), npartitions=parts),
            "target")
        np.testing.assert_allclose(got.mse_path_, ref.mse_path_, rtol=1e-8)
    pred = got.predict(ddf[columns])
    np.testing.assert_allclose(pred.compute(), got.predict(frame[columns]), rtol=1e-12)


def test_dask_cv_bad_input(client):
    X, y, _ = _data(500, 4)
    frame = pd.DataFrame(X, columns=list("abcd")).assign(target=y, name="x")
    ddf = dd.from_pandas(frame, npartitions=2)
    with pytest.raises(TypeError, match=r"not numeric|must be numeric.*'name'"):
        RegularizedRegressorCV(cv=3).fit(ddf, "target")
    with pytest.raises(ValueError, match="not found in the DataFrame"):
        RegularizedRegressorCV(cv="fold").fit(ddf.drop(columns="name"), "target")
    with pytest.raises(ValueError, match="scoring='r2' cannot be computed"):
        RegularizedRegressorCV(scoring="r2").fit(da.from_array(X), da.from_array(y))
    with pytest.raises(ValueError, match="cannot be used in a fit from a Dask"):
        RegularizedRegressorCV(cv=GridSearchCV).fit(da.from_array(X), da.from_array(y))
    with pytest.raises(ValueError, match="only 2 of the 30 hash folds"):
        RegularizedRegressorCV(cv=30).fit(da.from_array(X[:2]), da.from_array(y[:2]))


def test_dask_fit_with_factors_by_name_and_dropout_equals_in_memory(client):
    X, y, sw = _data(3000, 6, seed=2)
    columns = [f"x{i}" for i in range(6)]
    factor = {name: float(i % 3) for i, name in enumerate(columns)}    # zeros too
    kw = dict(penalty_factor=factor, dropout=0.3, tol=1e-12)
    ddf = dd.from_pandas(pd.DataFrame(X, columns=columns), npartitions=4)
    got = RegularizedRegressor("elasticnet", 0.1, **kw).fit(
        ddf, dd.from_pandas(pd.Series(y), npartitions=4),
        sample_weight=dd.from_pandas(pd.Series(sw), npartitions=4))
    ref = RegularizedRegressor("elasticnet", 0.1, **kw).fit(
        pd.DataFrame(X, columns=columns), y, sample_weight=sw)
    np.testing.assert_allclose(got.coef_, ref.coef_, rtol=1e-8, atol=1e-10)
    cv = RegularizedRegressorCV(None, dropouts=[0.0, 0.5], cv=PredefinedSplit(
        np.arange(3000) % 3)).fit(da.from_array(X, chunks=(700, 6)), y)
    mem = RegularizedRegressorCV(None, dropouts=[0.0, 0.5], cv=PredefinedSplit(
        np.arange(3000) % 3)).fit(X, y)
    np.testing.assert_allclose(cv.mse_path_, mem.mse_path_, rtol=1e-9)


def _read_fails(block):
    raise RuntimeError("the rows were read")


def _unreadable(X, chunks):
    """A dask array of X's shape whose blocks raise when computed."""
    return da.from_array(X, chunks=chunks).map_blocks(_read_fails, dtype=X.dtype)


def test_dask_unknown_chunk_sizes_say_compute_chunk_sizes(client):
    X, y, sw = _data(600, 4, seed=3)
    dX, dy = da.from_array(X, chunks=(150, 4)), da.from_array(y, chunks=150)
    keep = dX[:, 0] > np.median(X[:, 0])
    for est in (RegularizedRegressor(), RegularizedRegressorCV(cv=3)):
        with pytest.raises(ValueError, match=r"X is a dask array with unknown chunk "
                                             r"sizes.*X\.compute_chunk_sizes\(\)"):
            est.fit(dX[keep], dy[keep])
        with pytest.raises(ValueError, match=r"y is a dask array with unknown chunk "
                                             r"sizes.*y\.compute_chunk_sizes\(\)"):
            est.fit(da.from_array(X[:300], chunks=(75, 4)), dy[keep])
    # refused before any work: the blocks of X are never read
    with pytest.raises(ValueError, match="unknown chunk sizes"):
        RegularizedRegressor().fit(_unreadable(X, (150, 4)), dy[keep])
    # what the message says to do works, and equals the in-memory fit
    Xk, yk = dX[keep].compute_chunk_sizes(), dy[keep].compute_chunk_sizes()
    mask = X[:, 0] > np.median(X[:, 0])
    got = RegularizedRegressor("l1", 0.1, tol=1e-10).fit(Xk, yk)
    ref = RegularizedRegressor("l1", 0.1, tol=1e-10).fit(X[mask], y[mask])
    np.testing.assert_allclose(got.coef_, ref.coef_, rtol=1e-8, atol=1e-10)


def test_dask_wrong_penalty_factor_is_refused_before_the_pass(client):
    X, y, _ = _data(400, 4, seed=4)
    dX, dy = _unreadable(X, (100, 4)), da.from_array(y, chunks=100)
    for cls, kw in ((RegularizedRegressor, {}), (RegularizedRegressorCV, {"cv": 3})):
        with pytest.raises(ValueError, match=r"penalty_factor has shape \(3,\), but "
                                             r"X has 4 features"):
            cls(penalty_factor=[1.0, 1.0, 1.0], **kw).fit(dX, dy)
        with pytest.raises(ValueError, match="keyed by feature name, but X has no"):
            cls(penalty_factor={"a": 1.0}, **kw).fit(dX, dy)
    frame = pd.DataFrame(X, columns=list("abcd")).assign(target=y)
    ddf = dd.from_pandas(frame, npartitions=4).map_partitions(
        _read_fails, meta=frame)
    for cls, kw in ((RegularizedRegressor, {}), (RegularizedRegressorCV, {"cv": 3})):
        with pytest.raises(ValueError, match=r"unknown names \['e'\]; no factor for "
                                             r"\['d'\]"):
            cls(penalty_factor={"a": 1, "b": 1, "c": 1, "e": 1}, **kw).fit(
                ddf, "target")


def test_dask_column_names_where_they_are_not_taken_say_so(client):
    from skreg import DropoutMLPRegressor

    X, y, _ = _data(300, 4, seed=5)
    frame = pd.DataFrame(X, columns=list("abcd")).assign(target=y)
    ddf = dd.from_pandas(frame, npartitions=3)
    model = RegularizedRegressor().fit(ddf, "target")
    with pytest.raises(TypeError, match=r"RegularizedRegressor\.score does not take "
                                        r"y as a column name.*score\(ddf\[features\]"):
        model.score(ddf, "target")
    with pytest.raises(TypeError, match=r"DropoutMLPRegressor\.fit does not take y "
                                        "as a column name"):
        DropoutMLPRegressor(max_iter=2).fit(ddf, "target")
    with pytest.raises(TypeError, match=r"RegularizedRegressor\.partial_fit does not "
                                        r"take y and sample_weight as"):
        RegularizedRegressor().partial_fit(ddf, "target", sample_weight="a")
    # dask arrays and columns are computed where the data must be in memory
    features = list("abcd")
    assert model.score(ddf[features], ddf["target"]) == pytest.approx(
        model.score(frame[features], y), rel=1e-12)
    kw = dict(hidden_layer_sizes=(5,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net = DropoutMLPRegressor(**kw).fit(da.from_array(X, chunks=100),
                                            da.from_array(y, chunks=100))
        ref = DropoutMLPRegressor(**kw).fit(X, y)
    for a, b in zip(net.coefs_, ref.coefs_):
        np.testing.assert_array_equal(a, b)
