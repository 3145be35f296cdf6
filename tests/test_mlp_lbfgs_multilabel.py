"""solver="lbfgs" and multilabel targets against scikit-learn's MLP.

L-BFGS: from the same initial weights both libraries reach the same objective
(evaluated here by an independent numpy formula) within 1e-6 relative; the L1
split form reaches the optimality conditions of the L1 problem.  Multilabel: the
loss is the per-label log-loss summed over the labels (scikit-learn's
``log_loss`` per column), and predictions agree with MLPClassifier's and are
compared with MultiOutputClassifier.
"""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.multioutput import MultiOutputClassifier
from sklearn.neural_network import MLPClassifier, MLPRegressor

from _mlp_reference import refit_from_same_weights
from skreg import DropoutMLPClassifier, DropoutMLPRegressor
from skreg._nn._network import Layout, backward, forward
from skreg._nn._losses import LOSSES
from skreg._penalties import ElasticNetPenalty


def _objective(est, X, Y, alpha):
    """Mean loss + alpha/2 ||W||^2, from the fitted weights, by plain numpy."""
    A = X
    for i, (W, b) in enumerate(zip(est.coefs_, est.intercepts_)):
        A = A @ W + b
        if i < len(est.coefs_) - 1:
            A = np.tanh(A)
    W2 = sum(float(np.sum(W ** 2)) for W in est.coefs_)
    if Y.dtype.kind == "f" and Y.ndim == 1:             # regression, one output
        data = 0.5 * np.mean((Y - A[:, 0]) ** 2)
    elif A.shape[1] == 1 or Y.ndim == 2:                # logistic columns
        P = 1 / (1 + np.exp(-A))
        Yc = Y.reshape(len(Y), -1)
        data = sum(log_loss(Yc[:, k], P[:, k], labels=[0, 1])
                   for k in range(Yc.shape[1]))
    else:
        E = np.exp(A - A.max(1, keepdims=True))
        data = log_loss(Y, E / E.sum(1, keepdims=True))
    return data + 0.5 * alpha * W2


def _data(kind, n=60, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    if kind == "regression":
        return X, np.sin(X[:, 0]) + X[:, 1] * X[:, 2] + 0.1 * rng.normal(size=n)
    if kind == "binary":
        return X, (X[:, 0] + X[:, 1] ** 2 > 1).astype(int)
    if kind == "multiclass":
        return X, np.digitize(X[:, 0] + 0.5 * X[:, 1], [-0.5, 0.5])
    return X, np.c_[X[:, 0] > 0, X[:, 1] + X[:, 2] > 0, X[:, 3] > 0.5].astype(int)


@pytest.mark.parametrize("kind", ["regression", "binary", "multiclass", "multilabel"])
def test_lbfgs_reaches_scikit_learns_loss(kind):
    X, y = _data(kind)
    n = X.shape[0]
    alpha = 0.01
    common = dict(hidden_layer_sizes=(6,), activation="tanh", solver="lbfgs",
                  tol=1e-12, max_fun=100000)
    if kind == "regression":
        ours = DropoutMLPRegressor(dropout=0.0, alpha=alpha, **common)
        theirs = MLPRegressor(alpha=alpha * n, **common)
    else:
        ours = DropoutMLPClassifier(dropout=0.0, alpha=alpha, **common)
        theirs = MLPClassifier(alpha=alpha * n, **common)
    refit_from_same_weights(ours, theirs, X, y, max_iter=5000, scale=0.4)
    f_ours = _objective(ours, X, np.asarray(y), alpha)
    f_theirs = _objective(theirs, X, np.asarray(y), alpha)
    assert f_ours == pytest.approx(f_theirs, rel=1e-6)
    # Our reported loss is that objective, and it went down from the start.
    assert ours.loss_ == pytest.approx(f_ours, rel=1e-9)
    assert ours.loss_curve_[-1] < ours.loss_curve_[1]


def test_lbfgs_l1_reaches_the_optimality_conditions():
    """The split form solves the L1 problem exactly: zeros where |gradient| <= l1."""
    X, y = _data("regression", n=80, d=8, seed=2)
    alpha = 0.02
    net = DropoutMLPRegressor((6,), activation="tanh", solver="lbfgs", dropout=0.0,
                              alpha=alpha, l1_ratio=1.0, tol=1e-10, max_iter=5000,
                              random_state=0).fit(X, y)
    layout = Layout((8, 6, 1))
    theta = layout.pack(net.coefs_, net.intercepts_, np.float64)
    coefs, intercepts = layout.views(theta)
    acts = forward(coefs, intercepts, X, "tanh")
    LOSSES["squared_error"](acts[-1], y[:, None], 1 / len(y))
    grad = np.empty_like(theta)
    backward(coefs, acts, acts[-1], "tanh", *layout.views(grad))
    nw = layout.n_weights
    assert np.mean(theta[:nw] == 0) > 0.3                  # exact zeros
    violation = ElasticNetPenalty(alpha, 1.0).subdiff_distance(theta[:nw], grad[:nw])
    # Within L-BFGS-B's stopping rule (its relative decrease test ends first).
    assert violation.max() < 2e-3 * alpha
    assert np.abs(grad[nw:]).max() < 2e-3 * alpha


def test_lbfgs_max_fun_and_convergence_warning():
    X, y = _data("binary")
    with pytest.warns(ConvergenceWarning, match="lbfgs.*without reaching tol"):
        net = DropoutMLPClassifier((6,), solver="lbfgs", dropout=0.0, max_fun=5,
                                   random_state=0).fit(X, y)
    assert net.n_iter_ <= 5
    with pytest.raises(AttributeError, match="no attribute 'partial_fit'") as info:
        net.partial_fit(X, y)
    assert "only available for the stochastic solvers" in str(info.value.__cause__)


# ---------------------------------------------------------------- multilabel
def test_multilabel_steps_equal_scikit_learn_and_probabilities_are_per_label():
    X, Y = _data("multilabel", n=50)
    n = X.shape[0]
    common = dict(hidden_layer_sizes=(7,), solver="adam", batch_size=n,
                  shuffle=False, learning_rate_init=0.05, max_iter=3, tol=0.0)
    ours = DropoutMLPClassifier(dropout=0.0, alpha=0.02, random_state=0, **common)
    theirs = MLPClassifier(alpha=0.02 * n, random_state=0, **common)
    refit_from_same_weights(ours, theirs, X, Y, max_iter=3, scale=0.4)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X),
                               rtol=1e-7, atol=1e-10)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    assert ours.out_activation_ == "logistic" and ours.n_outputs_ == 3
    np.testing.assert_array_equal(ours.classes_, [0, 1, 2])
    P = ours.predict_proba(X)
    np.testing.assert_allclose(np.exp(ours.predict_log_proba(X)), P, rtol=1e-10)
    np.testing.assert_array_equal(ours.predict(X), (P > 0.5).astype(int))


def test_multilabel_against_one_network_per_label():
    X, Y = make_multilabel_classification(600, n_features=10, n_classes=4,
                                          random_state=0)
    X = (X - X.mean(0)) / X.std(0)
    tr, te = slice(0, 450), slice(450, None)
    kw = dict(hidden_layer_sizes=(32,), dropout=0.1, learning_rate_init=0.01,
              max_iter=60, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        joint = DropoutMLPClassifier(**kw).fit(X[tr], Y[tr])
        per_label = MultiOutputClassifier(DropoutMLPClassifier(**kw)).fit(X[tr], Y[tr])
    joint_acc = np.mean(joint.predict(X[te]) == Y[te])
    sep_acc = np.mean(per_label.predict(X[te]) == Y[te])
    assert joint.predict(X[te]).shape == Y[te].shape
    # One network sharing its hidden layer does as well per label as four.
    assert joint_acc > sep_acc - 0.03 and joint_acc > 0.8
    mean, std = joint.predict_proba_mc(X[te], 20, random_state=0)
    assert mean.shape == Y[te].shape and np.all(std > 0)


def test_multilabel_rejections():
    X, Y = _data("multilabel")
    with pytest.raises(ValueError, match="'class_weight' must be None with a multi"):
        DropoutMLPClassifier(class_weight="balanced").fit(X, Y)
    with pytest.raises(ValueError, match="multilabel indicator"):
        DropoutMLPClassifier().fit(X, np.c_[Y[:, 0], Y[:, 1] * 2 + Y[:, 2]])
    net = DropoutMLPClassifier((4,), max_iter=2, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net.fit(X, Y)
    with pytest.raises(ValueError, match="multilabel"):
        net.fit(X, Y[:, 0])
