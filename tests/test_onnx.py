"""ONNX export: onnxruntime's outputs equal predict / predict_proba.

Every estimator, dense float32 input (tolerance 1e-5, relative for regression
targets) and float64 input (1e-10); binary, multiclass, string-labelled,
boolean-labelled, float-labelled and multilabel classifiers, linear and
networks; 1-D and 2-D regression targets;
pipelines with a StandardScaler; unfitted estimators.  Skipped without the
``onnx`` extra.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

skl2onnx = pytest.importorskip("skl2onnx")
ort = pytest.importorskip("onnxruntime")
import skreg.onnx  # noqa: E402,F401  (registers the converters)
from skreg import (  # noqa: E402
    DropoutMLPClassifier,
    DropoutMLPRegressor,
    RegularizedClassifier,
    RegularizedClassifierCV,
    RegularizedRegressor,
    RegularizedRegressorCV,
)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _run(model, X, **options):
    onx = skl2onnx.to_onnx(model, X[:1], **options)
    session = ort.InferenceSession(onx.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: X})


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:500] / 16.0, y[:500]


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return X * 10, y / 100


TARGETS = {
    "binary": lambda y: y % 2,
    "multiclass": lambda y: y,
    "strings": lambda y: np.array(["low", "mid", "high"])[y % 3],
    "multilabel": lambda y: np.c_[y % 2, y % 3 == 0, y > 5].astype(int),
}


@pytest.mark.parametrize("target", sorted(TARGETS))
@pytest.mark.parametrize("pipeline", [False, True])
@pytest.mark.parametrize("params", [dict(), dict(hidden_layer_sizes=(16, 8),
                                                  activation="tanh"),
                                    dict(solver="lbfgs", dropout=0.0, max_iter=50,
                                         activation="logistic")])
def test_classifier(target, pipeline, params, digits):
    X, y = digits
    y = TARGETS[target](y)
    net = DropoutMLPClassifier(**{"hidden_layer_sizes": (20,), "max_iter": 20,
                                  "random_state": 0, **params})
    model = make_pipeline(StandardScaler(), net) if pipeline else net
    model.fit(X, y)
    X32 = X.astype(np.float32)
    label, proba = _run(model, X32, options={id(net): {"zipmap": False}})
    np.testing.assert_allclose(proba, model.predict_proba(X32), atol=1e-5)
    np.testing.assert_array_equal(label, model.predict(X32))
    label64, proba64 = _run(model, X, options={id(net): {"zipmap": False}})
    np.testing.assert_allclose(proba64, model.predict_proba(X), atol=1e-10)
    np.testing.assert_array_equal(label64, model.predict(X))


def test_classifier_zipmap_default(digits):
    X, y = digits
    net = DropoutMLPClassifier((20,), max_iter=10, random_state=0).fit(X, y)
    X32 = X[:20].astype(np.float32)
    label, maps = _run(net, X32)
    expected = net.predict_proba(X32)
    assert [sorted(m) for m in maps] == [list(range(10))] * 20
    np.testing.assert_allclose([[m[k] for k in range(10)] for m in maps], expected,
                               atol=1e-5)


REGRESSORS = {
    "ridge": lambda: RegularizedRegressor(alpha=0.1),
    "lasso": lambda: RegularizedRegressor(penalty="l1", alpha=0.01),
    "cv": lambda: RegularizedRegressorCV(alphas=5, cv=3),
    "network": lambda: DropoutMLPRegressor((16,), max_iter=30, random_state=0),
    "network lbfgs": lambda: DropoutMLPRegressor((16, 8), activation="tanh",
                                                  solver="lbfgs", dropout=0.0,
                                                  max_iter=50, random_state=0),
}


@pytest.mark.parametrize("name", sorted(REGRESSORS))
@pytest.mark.parametrize("n_targets", [1, 2])
@pytest.mark.parametrize("pipeline", [False, True])
def test_regressor(name, n_targets, pipeline, diabetes):
    X, y = diabetes
    Y = y if n_targets == 1 else np.c_[y, np.sin(y) + X[:, 0]]
    est = REGRESSORS[name]()
    model = make_pipeline(StandardScaler(), est) if pipeline else est
    model.fit(X, Y)
    for dtype, rtol in ((np.float32, 1e-5), (np.float64, 1e-10)):
        Xd = X.astype(dtype)
        (out,) = _run(model, Xd)
        expected = model.predict(Xd)
        assert out.shape == (len(X), n_targets)
        np.testing.assert_allclose(out.reshape(expected.shape), expected, rtol=rtol,
                                   atol=rtol * np.abs(expected).max())


@pytest.mark.parametrize("n_targets", [1, 2])
@pytest.mark.parametrize("pipeline", [False, True])
def test_poisson_network_exports_the_mean(n_targets, pipeline, diabetes):
    X, y = diabetes
    Y = y if n_targets == 1 else np.c_[y, np.round(y * 2)]
    est = DropoutMLPRegressor((16,), loss="poisson", max_iter=30, random_state=0)
    model = make_pipeline(StandardScaler(), est) if pipeline else est
    model.fit(X, Y)
    for dtype, rtol in ((np.float32, 1e-5), (np.float64, 1e-10)):
        Xd = X.astype(dtype)
        (out,) = _run(model, Xd)
        expected = model.predict(Xd)
        assert np.all(expected > 0)
        np.testing.assert_allclose(out.reshape(expected.shape), expected, rtol=rtol)


def test_float32_trained_network_and_one_target_column(diabetes):
    X, y = diabetes
    X32 = X.astype(np.float32)
    net = DropoutMLPRegressor((16,), max_iter=20, random_state=0).fit(X32, y[:, None])
    (out,) = _run(net, X32)
    np.testing.assert_allclose(out[:, 0], net.predict(X32), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make", [
    lambda: RegularizedRegressor(), lambda: RegularizedRegressorCV(),
    lambda: RegularizedClassifier(), lambda: RegularizedClassifierCV(),
    lambda: DropoutMLPRegressor(), lambda: DropoutMLPClassifier(),
    lambda: make_pipeline(StandardScaler(), DropoutMLPClassifier()),
    lambda: make_pipeline(StandardScaler(), RegularizedClassifier()),
], ids=["linear", "cv", "linear classifier", "classifier cv", "network regressor",
        "network classifier", "pipeline", "pipeline linear classifier"])
def test_unfitted_estimator_is_not_exported(make, diabetes):
    X, _ = diabetes
    with pytest.raises(NotFittedError, match="is not fitted yet"):
        skl2onnx.to_onnx(make(), X[:1].astype(np.float32))


def _float_labels(kind):
    X, y = load_iris(return_X_y=True)
    if kind == "binary":
        return X, (y == 1).astype(np.float64)
    if kind == "multiclass":
        return X, y.astype(np.float64)
    if kind == "float32":
        return X, y.astype(np.float32)
    return X, np.c_[y == 1, y == 2, y > 0].astype(np.float64)     # multilabel


@pytest.mark.parametrize("kind", ["binary", "multiclass", "float32", "multilabel"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_labels_come_back_as_predict_returns_them(kind, dtype):
    X, y = _float_labels(kind)
    net = DropoutMLPClassifier((8,), max_iter=30, random_state=0).fit(X, y)
    Xd = X.astype(dtype)
    atol = 1e-5 if dtype == np.float32 else 1e-10
    label, proba = _run(net, Xd, options={id(net): {"zipmap": False}})
    expected = net.predict(Xd)
    assert label.dtype == expected.dtype, (label.dtype, expected.dtype)
    np.testing.assert_array_equal(label, expected)
    np.testing.assert_allclose(proba, net.predict_proba(Xd), atol=atol)
    if kind == "multilabel" or dtype == np.float64:    # ZipMap: float32 only
        return
    # with the ZipMap (keys int64 or strings only), whole-number float labels
    # come back as int64, as skl2onnx exports scikit-learn's MLPClassifier
    label, maps = _run(net, Xd)
    assert label.dtype == np.int64
    np.testing.assert_array_equal(label, expected)
    keys = [int(c) for c in net.classes_]
    assert [sorted(m) for m in maps] == [keys] * len(X)
    np.testing.assert_allclose([[m[k] for k in keys] for m in maps],
                               net.predict_proba(Xd), atol=atol)


def test_float_labels_export_like_scikit_learns_mlp():
    from sklearn.neural_network import MLPClassifier

    X, y = _float_labels("multiclass")
    X32 = X.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = MLPClassifier((8,), max_iter=30, random_state=0).fit(X, y)
    ours = DropoutMLPClassifier((8,), max_iter=30, random_state=0).fit(X, y)
    (label_t, _), (label_o, _) = _run(theirs, X32), _run(ours, X32)
    assert label_o.dtype == label_t.dtype == np.int64
    np.testing.assert_array_equal(label_o, ours.predict(X32))


@pytest.mark.parametrize("labels", [np.array([3, 7, 11]), np.array(["a", "b", "c"])])
def test_int_and_string_labels_come_back_as_predict_returns_them(labels):
    X, y = load_iris(return_X_y=True)
    net = DropoutMLPClassifier((8,), max_iter=30, random_state=0).fit(X, labels[y])
    X32 = X.astype(np.float32)
    for options in ({"zipmap": False}, {}):
        label, _ = _run(net, X32, options={id(net): options})
        expected = net.predict(X32)
        assert label.dtype.kind == ("i" if labels.dtype.kind == "i" else "O")
        np.testing.assert_array_equal(label, expected)


# ------------------------------------------------------------ linear classifiers
LINEAR_TARGETS = {
    "binary strings": lambda y: np.array(["no", "yes"])[(y == 1).astype(int)],
    "binary ints": lambda y: np.array([-1, 4])[(y == 2).astype(int)],
    "binary bools": lambda y: y == 0,
    "three classes": lambda y: y,
    "three strings": lambda y: np.array(["setosa", "versicolor", "virginica"])[y],
}
LINEAR_CLASSIFIERS = {
    "l2": lambda: RegularizedClassifier(alpha=0.01),
    "l1": lambda: RegularizedClassifier("l1", alpha=0.005),
    "no intercept": lambda: RegularizedClassifier("elasticnet", 0.01,
                                                  fit_intercept=False),
    "cv": lambda: RegularizedClassifierCV("l1", alphas=8, cv=3),
    "pipeline cv": lambda: make_pipeline(StandardScaler(),
                                         RegularizedClassifierCV(alphas=8, cv=3)),
}


def _final(model):
    return model.steps[-1][1] if hasattr(model, "steps") else model


@pytest.mark.parametrize("target", sorted(LINEAR_TARGETS))
@pytest.mark.parametrize("name", sorted(LINEAR_CLASSIFIERS))
def test_linear_classifier(name, target):
    X, y = load_iris(return_X_y=True)
    y = LINEAR_TARGETS[target](y)
    with warnings.catch_warnings():     # nearly separable: alpha_ at the grid's end
        warnings.simplefilter("ignore", UserWarning)
        model = LINEAR_CLASSIFIERS[name]().fit(X, y)
    clf = _final(model)
    assert clf.coef_.shape == ((1, 4) if len(clf.classes_) == 2 else (3, 4))
    for dtype, atol in ((np.float32, 1e-5), (np.float64, 1e-10)):
        Xd = X.astype(dtype)
        label, proba = _run(model, Xd, options={id(clf): {"zipmap": False}})
        assert proba.dtype == dtype and proba.shape == (len(X), len(clf.classes_))
        np.testing.assert_allclose(proba, model.predict_proba(Xd), atol=atol)
        np.testing.assert_array_equal(label, model.predict(Xd))
        # strings as strings; integers, and booleans as 0/1, as int64
        assert label.dtype.kind == ("O" if clf.classes_.dtype.kind == "U" else "i")
    # the default: one {class: probability} map per sample (float32 only)
    X32 = X.astype(np.float32)
    label, maps = _run(model, X32)
    np.testing.assert_array_equal(label, model.predict(X32))
    keys = [c.item() for c in clf.classes_.astype(np.int64 if
                                                  clf.classes_.dtype.kind in "iub"
                                                  else str)]
    assert [sorted(m) for m in maps] == [sorted(keys)] * len(X)
    np.testing.assert_allclose([[m[k] for k in keys] for m in maps],
                               model.predict_proba(X32), atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_classifier_labels_follow_the_sign_of_the_log_odds(dtype):
    """``predict`` takes classes_[1] for z > 0 and classes_[0] for z <= 0; a
    log-odds too small to move sigmoid off 1/2 in float32 still decides."""
    X, y = load_iris(return_X_y=True)
    clf = RegularizedClassifier(alpha=0.01).fit(X, np.array(["a", "b"])[y // 2])
    clf.coef_ = np.zeros_like(clf.coef_)
    Xd = X[:4].astype(dtype)
    for b, expected in ((0.0, "a"), (1e-9, "b"), (-1e-9, "a")):
        clf.intercept_ = np.array([b])
        label, proba = _run(clf, Xd, options={id(clf): {"zipmap": False}})
        assert list(clf.predict(Xd)) == [expected] * 4
        np.testing.assert_array_equal(label, clf.predict(Xd))
        np.testing.assert_allclose(proba, 0.5, atol=1e-8)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_classifier_extreme_log_odds(dtype):
    """Large logits: the probabilities of the losing class stay accurate
    (relative), no 0 - 0 or overflow in either class."""
    X, y = load_iris(return_X_y=True)
    for target in (y == 0, y):
        clf = RegularizedClassifier(penalty=None, max_iter=30).fit(X, target)
        clf.coef_ = clf.coef_ * (40.0 / np.abs(clf.coef_).max())
        Xd = X.astype(dtype)
        label, proba = _run(clf, Xd, options={id(clf): {"zipmap": False}})
        expected = clf.predict_proba(Xd)
        assert np.all(np.isfinite(proba))
        tiny = expected > 1e-30
        rtol = 1e-4 if dtype == np.float32 else 1e-10
        np.testing.assert_allclose(proba[tiny], expected[tiny], rtol=rtol)
        np.testing.assert_array_equal(label, clf.predict(Xd))


def test_linear_classifier_matches_scikit_learns_logistic_regression_export():
    """An independent truth: skl2onnx's own export of a LogisticRegression with
    the same coefficients, attribute layout and classes gives the same
    probabilities (multinomial and binary)."""
    from sklearn.linear_model import LogisticRegression

    X, y = load_iris(return_X_y=True)
    X32 = X.astype(np.float32)
    for target in (y, np.array(["a", "b"])[(y == 1).astype(int)]):
        ours = RegularizedClassifier(alpha=1e-3).fit(X, target)
        theirs = LogisticRegression(C=1 / (1e-3 * len(X)), max_iter=1000).fit(X,
                                                                              target)
        assert theirs.coef_.shape == ours.coef_.shape
        np.testing.assert_array_equal(theirs.classes_, ours.classes_)
        theirs.coef_, theirs.intercept_ = ours.coef_.copy(), ours.intercept_.copy()
        (label_o, proba_o), (label_t, proba_t) = (
            _run(m, X32, options={id(m): {"zipmap": False}}) for m in (ours, theirs))
        np.testing.assert_allclose(proba_o, proba_t, atol=1e-6)
        np.testing.assert_array_equal(label_o, label_t)
