"""No silent wrong answers from the networks.

Ctrl-C keeps a usable model, a rejected refit keeps the previous model, a
diverging fit keeps its last finite weights, ``n_iter_no_change=np.inf`` and a
too small early-stopping split behave as scikit-learn's MLP would lead users to
expect, and the fitted state loads with ``skops.io``.  Where a kept model is
checked, the truth is an independent fit that stops at the same epoch.
"""

import os
import signal
import threading
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

import skreg._mlp
from skreg import DropoutMLPClassifier, DropoutMLPRegressor
from skreg._nn._training import Trainer


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:600] / 16.0, y[:600]


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return (X - X.mean(0)) / X.std(0), (y - y.mean()) / y.std()


def _weights(est):
    return [a.copy() for a in est.coefs_ + est.intercepts_]


def _same_weights(est, ref):
    return all(np.array_equal(a, b) for a, b in zip(_weights(est), _weights(ref)))


def _quiet_fit(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kwargs)


def _interrupt_epoch(monkeypatch, after):
    """Make the ``after + 1``-th epoch of the next fits raise KeyboardInterrupt."""
    original = Trainer.run_epoch
    calls = {"n": 0}

    def run_epoch(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == after + 1:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Trainer, "run_epoch", run_epoch)
    return calls


# ------------------------------------------------------------------ Ctrl-C
@pytest.mark.parametrize("cls", [DropoutMLPClassifier, DropoutMLPRegressor])
def test_interrupt_keeps_the_last_completed_epoch(cls, digits, monkeypatch):
    X, y = digits
    kw = dict(hidden_layer_sizes=(20,), max_iter=50, tol=0.0, random_state=0)
    _interrupt_epoch(monkeypatch, after=4)
    est = cls(**kw)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        est.fit(X, y)
    monkeypatch.undo()
    assert est.n_iter_ == 4 and len(est.loss_curve_) == 4
    ref = _quiet_fit(cls(**{**kw, "max_iter": 4}), X, y)
    assert _same_weights(est, ref) and est.loss_curve_ == ref.loss_curve_
    np.testing.assert_array_equal(est.predict(X), ref.predict(X))


def test_interrupt_with_early_stopping_keeps_the_best_epoch(digits, monkeypatch):
    X, y = digits
    kw = dict(hidden_layer_sizes=(64,), early_stopping=True, dropout=0.0,
              learning_rate_init=0.05, n_iter_no_change=100, tol=0.0,
              validation_fraction=0.2, max_iter=200, random_state=3)
    _interrupt_epoch(monkeypatch, after=25)
    est = DropoutMLPClassifier(**kw)
    with pytest.warns(UserWarning, match="best epoch"):
        est.fit(X, y)
    monkeypatch.undo()
    best = int(np.argmax(est.validation_scores_))
    assert len(est.validation_scores_) == 25 and best < 24   # it ran past the best
    ref = _quiet_fit(DropoutMLPClassifier(**{**kw, "max_iter": best + 1}), X, y)
    assert _same_weights(est, ref)


def test_interrupted_refit_publishes_the_new_classes_with_the_new_weights(
        digits, monkeypatch):
    X, y = digits
    kw = dict(hidden_layer_sizes=(20,), max_iter=30, tol=0.0, random_state=0)
    est = _quiet_fit(DropoutMLPClassifier(**kw), X, y)            # 10 classes
    few = y < 3
    _interrupt_epoch(monkeypatch, after=2)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        est.fit(X[few], y[few])
    monkeypatch.undo()
    np.testing.assert_array_equal(est.classes_, [0, 1, 2])
    assert est.coefs_[-1].shape[1] == 3
    ref = _quiet_fit(DropoutMLPClassifier(**{**kw, "max_iter": 2}), X[few], y[few])
    assert _same_weights(est, ref)
    np.testing.assert_array_equal(est.predict(X), ref.predict(X))


def test_interrupt_before_the_first_epoch_leaves_the_previous_model(
        digits, monkeypatch):
    X, y = digits
    est = _quiet_fit(DropoutMLPClassifier((20,), max_iter=5, random_state=0), X, y)
    before, proba = _weights(est), est.predict_proba(X)
    _interrupt_epoch(monkeypatch, after=0)
    with pytest.raises(KeyboardInterrupt):
        est.fit(X[y < 3], y[y < 3])
    monkeypatch.undo()
    assert all(np.array_equal(a, b) for a, b in zip(before, _weights(est)))
    np.testing.assert_array_equal(est.predict_proba(X), proba)
    np.testing.assert_array_equal(est.classes_, np.arange(10))


def test_interrupted_lbfgs_keeps_the_best_point_evaluated(diabetes, monkeypatch):
    X, y = diabetes
    original = skreg._mlp.full_batch_objective
    evaluations = []

    def counting(*args, **kwargs):
        objective = original(*args, **kwargs)

        def wrapped(theta):
            if len(evaluations) == 30:
                raise KeyboardInterrupt
            value, grad = objective(theta)
            evaluations.append(value)
            return value, grad

        return wrapped

    monkeypatch.setattr(skreg._mlp, "full_batch_objective", counting)
    est = DropoutMLPRegressor((16,), solver="lbfgs", dropout=0.0, max_iter=500,
                              random_state=0)
    with pytest.warns(UserWarning, match="Training interrupted by user"):
        est.fit(X, y)
    residual = y - est.predict(X)
    W = np.concatenate([c.ravel() for c in est.coefs_])
    objective = 0.5 * np.mean(residual ** 2) + 0.5 * est.alpha * W @ W
    assert objective == pytest.approx(min(evaluations), rel=1e-10)
    assert 0 < est.n_iter_ < 30


def test_real_sigint_during_a_long_fit(digits):
    X, y = digits
    est = DropoutMLPClassifier((32,), max_iter=10**6, tol=0.0,
                               n_iter_no_change=np.inf, random_state=0)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(1.0, os.kill, args=(os.getpid(), signal.SIGINT))
    try:
        timer.start()
        with pytest.warns(UserWarning, match="Training interrupted by user"):
            est.fit(X, y)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert 1 <= est.n_iter_ < 10**6 and len(est.loss_curve_) == est.n_iter_
    assert all(np.isfinite(w).all() for w in _weights(est))
    assert est.score(X, y) > 0.9


# ------------------------------------------------------- rejected refits
REJECTED = {
    "weights on one class": lambda X, y: dict(
        X=X, y=y, sample_weight=(y == 1).astype(float)),
    "two labels, one class weighted": lambda X, y: dict(
        X=X[y < 2], y=y[y < 2], sample_weight=(y[y < 2] == 0).astype(float)),
    "sample_weight of the wrong length": lambda X, y: dict(
        X=X, y=y, sample_weight=np.ones(3)),
    "NaN in X": lambda X, y: dict(X=np.where(X == 0, np.nan, X), y=y),
    "other features and one class": lambda X, y: dict(
        X=X[:, :5], y=np.zeros(len(y))),
    "continuous y": lambda X, y: dict(X=X[:, :7], y=np.linspace(0, 1, len(y))),
    "too small for early stopping": lambda X, y: dict(
        X=X[:10], y=y[:10], params=dict(early_stopping=True)),
    "class_weight naming an unknown class": lambda X, y: dict(
        X=X[:, :9], y=y, params=dict(class_weight={42: 2.0})),
    "bad parameter": lambda X, y: dict(X=X[:, :9], y=y, params=dict(dropout=1.5)),
    "warm start with fewer classes": lambda X, y: dict(
        X=X[y < 4], y=y[y < 4], params=dict(warm_start=True)),
}


@pytest.mark.parametrize("kind", sorted(REJECTED))
def test_rejected_refit_keeps_the_previous_model(kind, digits):
    X, y = digits
    est = _quiet_fit(DropoutMLPClassifier((20,), max_iter=10, random_state=0), X, y)
    state = {k: v for k, v in vars(est).items() if k.endswith("_")}
    before, proba, pred = _weights(est), est.predict_proba(X), est.predict(X)
    case = REJECTED[kind](X, y)
    est.set_params(**case.pop("params", {}))
    with pytest.raises((ValueError, TypeError)):
        est.fit(case.pop("X"), case.pop("y"), **case)
    assert {k for k in vars(est) if k.endswith("_")} == set(state)
    assert est.n_features_in_ == 64 and est.classes_ is state["classes_"]
    assert est.loss_curve_ is state["loss_curve_"] and est.n_iter_ == state["n_iter_"]
    assert all(np.array_equal(a, b) for a, b in zip(before, _weights(est)))
    np.testing.assert_array_equal(est.predict_proba(X), proba)
    np.testing.assert_array_equal(est.predict(X), pred)


def test_rejected_refit_of_a_regressor_keeps_the_previous_model(diabetes):
    X, y = diabetes
    est = _quiet_fit(DropoutMLPRegressor((8,), max_iter=10, random_state=0), X, y)
    pred = est.predict(X)
    for bad in (dict(X=X[:, :4], y=np.full(len(y), np.nan)),
                dict(X=X, y=y, sample_weight=-np.ones(len(y))),
                dict(X=X[:, :3], y=np.c_[y, y][:5])):
        with pytest.raises(ValueError):
            est.fit(**bad)
        assert est.n_features_in_ == X.shape[1] and est.n_outputs_ == 1
        np.testing.assert_array_equal(est.predict(X), pred)


def test_a_failed_first_fit_leaves_the_estimator_unfitted(digits):
    X, y = digits
    est = DropoutMLPClassifier()
    with pytest.raises(ValueError):
        est.fit(X, y, sample_weight=(y == 1).astype(float))
    assert not [k for k in vars(est) if k.endswith("_")]


# -------------------------------------------------------------- divergence
@pytest.mark.parametrize("cls", [DropoutMLPClassifier, DropoutMLPRegressor])
def test_divergence_stops_and_keeps_the_last_finite_weights(cls, digits):
    X, y = digits
    kw = dict(hidden_layer_sizes=(20,), solver="sgd", learning_rate_init=1e6,
              max_iter=200, random_state=0)
    est = cls(**kw)
    with pytest.warns(ConvergenceWarning, match="diverged.*Lower learning_rate_init"):
        est.fit(X, y)
    curve = est.loss_curve_
    assert not np.isfinite(curve[-1]) and np.all(np.isfinite(curve[:-1]))
    assert est.n_iter_ == len(curve) < 200
    assert all(np.isfinite(w).all() for w in _weights(est))
    out = est.predict_proba(X) if cls is DropoutMLPClassifier else est.predict(X)
    assert np.all(np.isfinite(out))
    assert est._optimizer_state is None
    last_finite = len(curve) - 1
    if last_finite:     # the kept weights are those of the last finite epoch
        ref = _quiet_fit(cls(**{**kw, "max_iter": last_finite}), X, y)
        assert _same_weights(est, ref)
        assert est.loss_ == curve[-2]


# ------------------------------------------------ n_iter_no_change, early stop
def test_n_iter_no_change_inf_turns_the_rule_off(digits):
    X, y = digits
    # scikit-learn accepts np.inf for the same meaning.
    sk = MLPClassifier((8,), max_iter=30, tol=10.0, n_iter_no_change=np.inf,
                       random_state=0)
    with pytest.warns(ConvergenceWarning):
        sk.fit(X, y)
    assert sk.n_iter_ == 30
    ours = DropoutMLPClassifier((8,), max_iter=30, tol=10.0, n_iter_no_change=np.inf,
                                random_state=0)
    with pytest.warns(ConvergenceWarning, match="max_iter=30"):
        ours.fit(X, y)
    assert ours.n_iter_ == 30
    finite = _quiet_fit(DropoutMLPClassifier((8,), max_iter=30, tol=10.0,
                                             n_iter_no_change=3, random_state=0), X, y)
    assert finite.n_iter_ == 5          # the rule is on: tol=10 is never met


@pytest.mark.parametrize("n, fraction, stratify_problem", [
    (10, 0.1, "one validation sample"),
    (40, 0.1, "fewer than the classes"),
    (30, 0.5, "a class with one sample"),
])
def test_early_stopping_split_too_small_has_our_message(n, fraction, stratify_problem):
    X, y = make_classification(n, n_classes=5, n_informative=4, random_state=0)
    if stratify_problem == "a class with one sample":
        y = np.r_[np.zeros(n - 1, int), 1]
    with pytest.raises(ValueError, match="early_stopping"):
        DropoutMLPClassifier(early_stopping=True, validation_fraction=fraction).fit(X, y)
    with pytest.raises(ValueError, match="validation set for early_stopping is too"):
        DropoutMLPRegressor(early_stopping=True, validation_fraction=0.1).fit(
            X[:10], y[:10].astype(float))


# ------------------------------------------------------------------- skops
@pytest.mark.parametrize("make", [
    lambda X, y: DropoutMLPClassifier((16,), max_iter=5, random_state=0).fit(X, y),
    lambda X, y: DropoutMLPClassifier((16,), solver="sgd", random_state=0).partial_fit(
        X, y, classes=np.unique(y)),
    lambda X, y: DropoutMLPRegressor((16,), max_iter=5, random_state=0).fit(X, y),
    lambda X, y: DropoutMLPRegressor((16,), solver="lbfgs", dropout=0.0, max_iter=5,
                                     random_state=0).fit(X, y),
])
def test_skops_round_trip_trusts_only_the_estimator_class(make, digits):
    sio = pytest.importorskip("skops.io")
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = make(X.astype(np.float32), y)
    data = sio.dumps(est)
    untrusted = sio.get_untrusted_types(data=data)
    own = f"{type(est).__module__}.{type(est).__qualname__}"
    assert [t for t in untrusted if t.startswith("skreg")] == [own]
    assert not [t for t in untrusted if "dtype" in t.lower()]
    loaded = sio.loads(data, trusted=untrusted)
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    if hasattr(est, "partial_fit"):     # the optimizer state survives and continues
        a = est.partial_fit(X, y)
        b = loaded.partial_fit(X, y)
        assert _same_weights(a, b)


def test_diverged_classifier_with_finite_weights_gives_finite_probabilities():
    # Issue 19, item 4: unscaled wine and a huge SGD step; the kept weights are
    # finite but their logits overflow to +-inf, and the softmax of those was NaN.
    from sklearn.datasets import load_wine

    X, y = load_wine(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = DropoutMLPClassifier(solver="sgd", learning_rate_init=1e14,
                                   random_state=1).fit(X, y)
    assert all(np.all(np.isfinite(a)) for a in _weights(clf))
    proba = clf.predict_proba(X)
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    mean, std = clf.predict_proba_mc(X, n_passes=3, random_state=0)
    assert np.all(np.isfinite(mean)) and np.all(np.isfinite(std))
    assert not np.any(np.isnan(clf.predict_log_proba(X)))


def _homogeneous_limit(clf, X, scale):
    """Scale every weight of a relu network with zero biases by ``scale``.

    ``relu`` is positively homogeneous, so the logits become ``scale**L`` times
    the moderate logits ``z`` of the unscaled network: the truth for the huge
    network is the limit of the output at ``z * inf`` (a softmax one-hot at
    ``argmax z``, a sigmoid 0 or 1 by the sign of ``z``).
    """
    for b in clf.intercepts_:
        b[...] = 0
    z = clf._output_layer(X).copy()
    for W in clf.coefs_:
        W *= scale
    return z


@pytest.mark.parametrize("target", ["multiclass", "binary", "multilabel"])
def test_probabilities_of_huge_finite_weights_are_the_limit(target):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 4))
    if target == "multiclass":
        y = rng.randint(0, 3, size=40)
    elif target == "binary":
        y = rng.randint(0, 2, size=40)
    else:
        y = rng.randint(0, 2, size=(40, 3))
    clf = DropoutMLPClassifier((8, 8), solver="lbfgs", dropout=0.0, max_iter=20,
                               random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    z = _homogeneous_limit(clf, X, 1e120)     # logits ~ 1e360: overflow
    with np.errstate(over="ignore", invalid="ignore"):
        raw = skreg._mlp.forward(clf.coefs_, clf.intercepts_, X, "relu")[-1]
    assert not np.all(np.isfinite(raw))     # the case at issue
    proba = clf.predict_proba(X)
    if target == "multiclass":      # ties (rows of zeros) share the mass
        top = (z == z.max(axis=1, keepdims=True)).astype(float)
        expected = top / top.sum(axis=1, keepdims=True)
    elif target == "binary":
        expected = np.column_stack([np.sign(-z[:, 0]), np.sign(z[:, 0])]) / 2 + 0.5
    else:
        expected = np.sign(z) / 2 + 0.5
    np.testing.assert_allclose(proba, expected, atol=1e-12)
    mean, _ = clf.predict_proba_mc(X, n_passes=2, random_state=0)
    np.testing.assert_allclose(mean, expected, atol=1e-12)
    expected_labels = (clf.classes_[expected.argmax(axis=1)] if target != "multilabel"
                       else (expected > 0.5).astype(int))
    np.testing.assert_array_equal(clf.predict(X), expected_labels)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("cls", [DropoutMLPRegressor, DropoutMLPClassifier])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_data_that_overflow_raise_like_the_linear_model_and_keep_the_model(
        cls, solver, sparse):
    # Issue 19, item 5: the squares of such data are infinite, so epoch 1 is
    # NaN at any step size; the networks raise RegularizedRegressor's error.
    import scipy.sparse as sp
    from skreg import RegularizedRegressor

    rng = np.random.RandomState(0)
    X_ok = rng.uniform(size=(30, 3))
    y = rng.uniform(size=30)
    y_fit = (y > 0.5).astype(int) if cls is DropoutMLPClassifier else y
    X_big = np.finfo(np.float64).max * X_ok
    with pytest.raises(ValueError) as linear:
        RegularizedRegressor().fit(X_big, y)
    est = cls((5,), solver=solver, dropout=0.0, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X_ok, y_fit)
    before = _weights(est)
    prediction = est.predict(X_ok)
    with pytest.raises(ValueError, match="overflow the floating-point range") as net:
        est.fit(sp.csr_matrix(X_big) if sparse else X_big, y_fit)
    assert str(net.value) == str(linear.value)
    for a, b in zip(before, _weights(est)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(est.predict(X_ok), prediction)


def test_targets_that_overflow_raise_too():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(30, 3))
    y = np.finfo(np.float64).max * rng.uniform(size=30)
    with pytest.raises(ValueError, match="Scale X and y"):
        DropoutMLPRegressor((5,), max_iter=5).fit(X, y)


@pytest.mark.parametrize("cls", [DropoutMLPRegressor, DropoutMLPClassifier])
def test_lbfgs_with_the_default_dropout_says_to_pass_dropout_zero(cls, digits):
    # Issue 19, item 21: scikit-learn's MLP*(solver="lbfgs") fits; ours keeps
    # its error for the default dropout=0.2, and the message says what to do.
    X, y = digits[0][:100], digits[1][:100]
    with pytest.raises(ValueError, match=r"defaults to 0\.2.*needs dropout=0"):
        cls(solver="lbfgs").fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cls((8,), solver="lbfgs", dropout=0, max_iter=5).fit(X, y)
