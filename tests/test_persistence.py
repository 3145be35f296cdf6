"""Safe loading with skops.io: every estimator round-trips with exactly the types
that skreg.trusted_types names, and predicts the same afterwards."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skreg import RegularizedRegressor, RegularizedRegressorCV, trusted_types

sio = pytest.importorskip("skops.io")

X, y = load_diabetes(return_X_y=True)


def _models():
    yield "l1", RegularizedRegressor("l1", 0.1).fit(X, y)
    yield "l2 float32", RegularizedRegressor("l2", 0.1).fit(X.astype(np.float32), y)
    yield "two targets", RegularizedRegressor("elasticnet", 0.1).fit(X, np.c_[y, -y])
    stream = RegularizedRegressor("l1", 0.1).partial_fit(X[:200], y[:200])
    yield "partial_fit", stream
    yield "partial_fit float32", RegularizedRegressor().partial_fit(
        X[:100].astype(np.float32), y[:100])
    yield "cv l2", RegularizedRegressorCV("l2", alphas=10, cv=None).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield "cv l1", RegularizedRegressorCV("l1", alphas=10, cv=3).fit(X, y)
    yield "pipeline", make_pipeline(StandardScaler(), RegularizedRegressor("l1", 0.1)).fit(
        X, y)


@pytest.mark.parametrize("name, model", list(_models()))
def test_skops_round_trip_with_exactly_the_listed_types(name, model):
    data = sio.dumps(model)
    untrusted = sio.get_untrusted_types(data=data)
    assert sorted(untrusted) == trusted_types(model)
    assert all(t.startswith("skreg.") and t.count(".") == 1 for t in untrusted), untrusted
    with pytest.raises(Exception, match="[Uu]ntrusted"):
        sio.loads(data)
    loaded = sio.loads(data, trusted=trusted_types(model))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_a_loaded_stream_continues_exactly():
    stream = RegularizedRegressor("l1", 0.1, tol=1e-10).partial_fit(X[:200], y[:200])
    loaded = sio.loads(sio.dumps(stream), trusted=trusted_types(stream))
    loaded.partial_fit(X[200:], y[200:])
    whole = RegularizedRegressor("l1", 0.1, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(loaded.coef_, whole.coef_, rtol=1e-5, atol=1e-6)


def test_trusted_types_of_classes_and_meta_estimators():
    assert trusted_types(RegularizedRegressor) == ["skreg.RegularizedRegressor"]
    pipe = make_pipeline(StandardScaler(), RegularizedRegressorCV())
    assert trusted_types(pipe) == ["skreg.RegularizedRegressorCV"]
