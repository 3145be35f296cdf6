"""Safe loading with skops.io: every estimator (and every kind of ``cv``)
round-trips with exactly the types that skreg.trusted_types names, which are
those skops.io.get_untrusted_types finds in the file, and predicts the same
afterwards."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.model_selection import (
    GroupKFold,
    KFold,
    PredefinedSplit,
    RepeatedKFold,
    ShuffleSplit,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skreg import (
    DropoutMLPClassifier,
    DropoutMLPRegressor,
    HashKFold,
    RegularizedClassifier,
    RegularizedClassifierCV,
    RegularizedRegressor,
    RegularizedRegressorCV,
    trusted_types,
)

sio = pytest.importorskip("skops.io")

X, y = load_diabetes(return_X_y=True)
TERCILE = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))      # 0, 1, 2


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
    yield "classifier binary strings", RegularizedClassifier("l1", 0.01).fit(
        X, np.array(["low", "high"])[(TERCILE > 0).astype(int)])
    yield "classifier three classes", RegularizedClassifier(alpha=0.01).fit(X, TERCILE)
    yield "classifier float32 bools", RegularizedClassifier(
        "elasticnet", 0.01, class_weight="balanced").fit(X.astype(np.float32),
                                                          TERCILE == 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield "classifier cv", RegularizedClassifierCV("l1", alphas=5, cv=3).fit(
            X, TERCILE)
        yield "classifier cv scorer", RegularizedClassifierCV(
            "elasticnet", alphas=5, l1_ratio=[0.2, 0.8], cv=3,
            scoring="accuracy").fit(X, TERCILE)
    yield "classifier pipeline", make_pipeline(
        StandardScaler(), RegularizedClassifier(alpha=0.01)).fit(X, TERCILE)


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
    if hasattr(model, "predict_proba"):
        np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
        np.testing.assert_array_equal(loaded.classes_, model.classes_)
        assert loaded.classes_.dtype == model.classes_.dtype


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
    assert trusted_types(RegularizedClassifier) == ["skreg.RegularizedClassifier"]
    assert trusted_types(RegularizedClassifierCV) == ["skreg.RegularizedClassifierCV"]
    pipe = make_pipeline(StandardScaler(), RegularizedClassifierCV())
    assert trusted_types(pipe) == ["skreg.RegularizedClassifierCV"]


SPLIT = "sklearn.model_selection._split."
CVS = {       # cv -> the types, besides the estimator's own, that the file holds
    "int": (lambda: 3, []),
    "KFold": (lambda: KFold(3, shuffle=True, random_state=np.random.RandomState(0)),
              [SPLIT + "KFold"]),
    "GroupKFold": (lambda: GroupKFold(3), [SPLIT + "GroupKFold"]),
    "HashKFold": (lambda: HashKFold(3, seed=1), ["skreg.HashKFold"]),
    "list of splits": (lambda: list(KFold(3).split(X)), []),
    "PredefinedSplit": (lambda: PredefinedSplit(np.arange(len(y)) % 3),
                        [SPLIT + "PredefinedSplit"]),
    "ShuffleSplit": (lambda: ShuffleSplit(3, random_state=0), [SPLIT + "ShuffleSplit"]),
    "RepeatedKFold": (lambda: RepeatedKFold(n_splits=2, n_repeats=2, random_state=0),
                      [SPLIT + "KFold", SPLIT + "RepeatedKFold"]),    # holds the class
}


def _round_trip(model, expected):
    data = sio.dumps(model)
    assert sorted(sio.get_untrusted_types(data=data)) == sorted(expected)
    assert trusted_types(model) == sorted(expected)
    return sio.loads(data, trusted=trusted_types(model))


@pytest.mark.parametrize("cv", sorted(CVS))
@pytest.mark.parametrize("fitted", [False, True])
def test_cv_models_load_with_exactly_the_trusted_types(cv, fitted):
    make, extra = CVS[cv]
    model = RegularizedRegressorCV("l1", alphas=5, cv=make())
    if fitted:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            model.fit(X, y, groups=np.arange(len(y)) % 6)
    loaded = _round_trip(model, ["skreg.RegularizedRegressorCV"] + extra)
    assert type(loaded.cv) is type(model.cv)
    if fitted:
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
        assert loaded.alpha_ == model.alpha_
    in_pipeline = make_pipeline(StandardScaler(), model)
    _round_trip(in_pipeline, ["skreg.RegularizedRegressorCV"] + extra)


@pytest.mark.parametrize("cv", sorted(CVS))
def test_classifier_cv_models_load_with_exactly_the_trusted_types(cv):
    make, extra = CVS[cv]
    model = RegularizedClassifierCV("l1", alphas=4, cv=make())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model.fit(X, TERCILE, groups=np.arange(len(y)) % 6)
    loaded = _round_trip(model, ["skreg.RegularizedClassifierCV"] + extra)
    assert type(loaded.cv) is type(model.cv)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.alpha_ == model.alpha_


def test_every_estimator_loads_with_exactly_the_trusted_types():
    labels = (y > np.median(y)).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")            # short trainings
        models = [
            (RegularizedRegressor("l1", 0.1).fit(X, y), "RegularizedRegressor", []),
            (RegularizedRegressorCV(cv=HashKFold(4)).partial_fit(X, y),
             "RegularizedRegressorCV", ["skreg.HashKFold"]),
            (DropoutMLPClassifier((8,), max_iter=3, early_stopping=True,
                                  random_state=np.random.RandomState(0)).fit(X, labels),
             "DropoutMLPClassifier", []),
            (DropoutMLPRegressor((8,), max_iter=3, random_state=0).fit(X, y),
             "DropoutMLPRegressor", []),
            (RegularizedClassifier("l1", 0.01).fit(X, labels), "RegularizedClassifier",
             []),
            (RegularizedClassifierCV(alphas=3, cv=HashKFold(3)).fit(X, labels),
             "RegularizedClassifierCV", ["skreg.HashKFold"]),
        ]
    for model, name, extra in models:
        loaded = _round_trip(model, [f"skreg.{name}"] + extra)
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_foreign_types_are_not_vouched_for():
    class MySplit(KFold):
        pass

    MySplit.__module__ = "my_project.splits"
    model = RegularizedRegressorCV(cv=MySplit(3))
    assert trusted_types(model) == ["skreg.RegularizedRegressorCV"]
