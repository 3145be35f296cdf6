"""DropoutMLPRegressor against scikit-learn's MLPRegressor, finite differences and MC.

The truth in each test is independent of the code under test: scikit-learn's
steps from the same weights, central finite differences of an objective written
here with numpy, or the deterministic prediction the MC mean must approach.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor

from _mlp_reference import assert_same_weights, refit_from_same_weights
from skreg import DropoutMLPRegressor
from skreg._nn._losses import LOSSES
from skreg._nn._network import Layout, backward, forward, init_params


def _problem(n_outputs, n=40, d=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    Y = np.sin(X[:, :n_outputs] * 2) + 0.1 * rng.normal(size=(n, n_outputs))
    return X, (Y[:, 0] if n_outputs == 1 else Y)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_steps_equal_scikit_learn_mlp_regressor(solver, n_outputs, activation):
    """Dropout 0, same weights: three full-batch steps equal MLPRegressor's.

    scikit-learn's gradient is that of ``1/(2n) sum_i ||y_i - f(x_i)||^2`` (summed
    over the outputs) plus ``alpha/(2n) ||W||^2``: our objective with its alpha
    divided by the batch size.
    """
    X, y = _problem(n_outputs)
    n = X.shape[0]
    alpha = 0.05
    common = dict(hidden_layer_sizes=(7, 5), activation=activation, solver=solver,
                  batch_size=n, shuffle=False, learning_rate_init=0.02,
                  momentum=0.8, tol=0.0)
    ours = DropoutMLPRegressor(dropout=0.0, alpha=alpha, random_state=0, **common)
    theirs = MLPRegressor(alpha=alpha * n, random_state=1, **common)
    coefs0, _ = refit_from_same_weights(ours, theirs, X, y, max_iter=3)
    assert_same_weights(ours, theirs)
    assert not np.allclose(ours.coefs_[0], coefs0[0])
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-10,
                               atol=1e-12)


def _squared_error(Y, pred, sw):
    """The documented data term, written here from its formula."""
    return 0.5 * np.sum(sw * np.sum((Y - pred) ** 2, axis=1)) / sw.sum()


def _half_poisson_deviance(Y, pred, sw):
    """scikit-learn 1.9's Poisson loss of ``mu = exp(pred)``, from its formula:
    the weighted mean over samples, summed over outputs, of ``y log(y / mu) - y
    + mu`` (``0 log 0 = 0``)."""
    mu = np.exp(pred)
    with np.errstate(divide="ignore", invalid="ignore"):
        ylogy = np.where(Y > 0, Y * np.log(Y / mu), 0.0)
    return float(np.sum(sw @ (ylogy - Y + mu)) / sw.sum())


@pytest.mark.parametrize("loss, n_outputs, truth", [
    ("squared_error", 1, _squared_error), ("squared_error", 2, _squared_error),
    ("poisson", 2, _half_poisson_deviance)])
def test_loss_and_gradient_match_formula_and_finite_differences(loss, n_outputs,
                                                                truth):
    if loss == "poisson":
        X, Y = _counts(n_outputs, n=9, d=4, seed=3)
    else:
        X, Y = _problem(n_outputs, n=9, d=4, seed=3)
    Y = Y.reshape(len(Y), -1)
    rng = np.random.default_rng(0)
    sw = rng.uniform(0.2, 2.0, size=len(Y))
    layout = Layout((4, 5, 3, n_outputs))
    theta = init_params(layout, "tanh", rng, np.float64)
    theta += rng.normal(scale=0.3, size=theta.shape)
    masks = [(rng.uniform(size=(9, u)) > 0.3) / 0.7 for u in (5, 3)]

    def J(t):
        coefs, intercepts = layout.views(t)
        return truth(Y, forward(coefs, intercepts, X, "tanh", masks)[-1], sw)

    coefs, intercepts = layout.views(theta)
    acts = forward(coefs, intercepts, X, "tanh", masks)
    value = LOSSES[loss](acts[-1], Y, sw / sw.sum())
    grad = np.empty_like(theta)
    backward(coefs, acts, acts[-1], "tanh", *layout.views(grad), masks, [0.7, 0.7])
    assert value == pytest.approx(J(theta), rel=1e-12)
    eps = 1e-6
    numeric = np.array([(J(theta + eps * e) - J(theta - eps * e)) / (2 * eps)
                        for e in np.eye(theta.size)])
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


def test_learns_and_handles_two_dimensional_targets():
    X, Y = _problem(2, n=400, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net = DropoutMLPRegressor((32,), dropout=0.0, learning_rate_init=0.01,
                                  max_iter=300, random_state=0).fit(X[:300], Y[:300])
        one = DropoutMLPRegressor((32,), dropout=0.0, learning_rate_init=0.01,
                                  max_iter=300, random_state=0).fit(X[:300], Y[:300, 0])
    assert net.predict(X).shape == (400, 2) and one.predict(X).shape == (400,)
    assert net.n_outputs_ == 2 and net.out_activation_ == "identity"
    assert net.score(X[300:], Y[300:]) > 0.8 and one.score(X[300:], Y[300:, 0]) > 0.8


def test_mc_mean_approaches_the_prediction_and_is_reproducible():
    X, y = _problem(1, n=300, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net = DropoutMLPRegressor((64,), dropout=0.2, learning_rate_init=0.01,
                                  max_iter=100, random_state=0).fit(X, y)
    plain = net.predict(X)
    gaps = []
    for n_passes in (4, 64, 1024):
        mean, std = net.predict_mc(X, n_passes, random_state=0)
        gaps.append(np.sqrt(np.mean((mean - plain) ** 2)))
    # The Monte Carlo error falls as 1/sqrt(passes) to the bias of averaging
    # thinned networks, which is small next to the spread of one pass.
    assert gaps[0] > gaps[1] > gaps[2]
    assert gaps[2] < 0.2 * np.mean(std)
    m1, s1 = net.predict_mc(X[:5], 10, random_state=7)
    m2, s2 = net.predict_mc(X[:5], 10, random_state=7)
    np.testing.assert_array_equal(m1, m2)
    np.testing.assert_array_equal(s1, s2)
    _, _, passes = net.predict_mc(X[:5], 10, random_state=7, return_passes=True)
    np.testing.assert_allclose(passes.mean(0), m1)
    off = DropoutMLPRegressor((8,), dropout=0.0, max_iter=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        off.fit(X, y)
    assert np.all(off.predict_mc(X[:5], 3)[1] == 0)


def test_mc_spread_grows_away_from_the_training_data():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=200)
    y = np.sin(3 * x) + 0.1 * rng.normal(size=200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net = DropoutMLPRegressor((128, 128), dropout=0.2, learning_rate_init=0.005,
                                  max_iter=200, random_state=0).fit(x[:, None], y)
    grid = np.linspace(-4, 4, 81)
    _, std = net.predict_mc(grid[:, None], 200, random_state=0)
    inside = std[np.abs(grid) <= 1].mean()
    far = std[np.abs(grid) >= 3].mean()
    assert far > 3 * inside


def test_sample_weight_exact_without_dropout_and_scale_free():
    X, y = _problem(1, n=40, seed=4)
    w = np.random.default_rng(2).integers(0, 4, size=40)
    kw = dict(hidden_layer_sizes=(6,), dropout=0.0, max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = DropoutMLPRegressor(**kw).fit(X, y, sample_weight=w)
        b = DropoutMLPRegressor(**kw).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
        c = DropoutMLPRegressor(**kw).fit(X, y, sample_weight=1000.0 * w)
    np.testing.assert_allclose(a.predict(X), b.predict(X), rtol=1e-7)
    np.testing.assert_allclose(a.predict(X), c.predict(X), rtol=1e-9)


def test_early_stopping_restores_the_best_epoch_by_r2():
    X, y = _problem(1, n=300, seed=5)
    kw = dict(hidden_layer_sizes=(128,), early_stopping=True, dropout=0.0,
              learning_rate_init=0.03, n_iter_no_change=5, tol=0.0,
              validation_fraction=0.3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net = DropoutMLPRegressor(max_iter=300, **kw).fit(X, y)
        best = int(np.argmax(net.validation_scores_))
        ref = DropoutMLPRegressor(max_iter=best + 1, **kw).fit(X, y)
    assert best < len(net.validation_scores_) - 1
    for a, b in zip(net.coefs_, ref.coefs_):
        np.testing.assert_array_equal(a, b)


def test_partial_fit_warm_start_float32_and_l1():
    X, y = _problem(1, n=200, seed=6)
    net = DropoutMLPRegressor((16,), learning_rate_init=0.01, random_state=0)
    for _ in range(3):
        net.partial_fit(X, y)
    assert net.t_ == 600 and len(net.loss_curve_) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        f32 = DropoutMLPRegressor((16,), max_iter=5, random_state=0).fit(
            X.astype(np.float32), y)
        l1 = DropoutMLPRegressor((16,), alpha=0.05, l1_ratio=1.0, dropout=0.0,
                                 learning_rate_init=0.01, max_iter=100,
                                 random_state=0).fit(X, y)
    assert f32.predict(X.astype(np.float32)).dtype == np.float32
    assert np.mean(l1.coefs_[0] == 0) > 0.3


# ------------------------------------------------------------- loss="poisson"
def _counts(n_outputs, n=60, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    rate = np.exp(0.5 * X[:, :n_outputs] - 0.3 * X[:, 1:n_outputs + 1] ** 2)
    Y = rng.poisson(rate).astype(float)
    return X, (Y[:, 0] if n_outputs == 1 else Y)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("n_outputs", [1, 2])
def test_poisson_steps_equal_scikit_learn_mlp_regressor(solver, n_outputs):
    """Dropout 0, same weights: three full-batch Poisson steps equal MLPRegressor's
    (whose penalty is alpha / n: our alpha times the batch size)."""
    X, y = _counts(n_outputs)
    n = X.shape[0]
    alpha = 0.05
    common = dict(hidden_layer_sizes=(7, 5), activation="tanh", solver=solver,
                  batch_size=n, shuffle=False, learning_rate_init=0.02, tol=0.0,
                  loss="poisson")
    ours = DropoutMLPRegressor(dropout=0.0, alpha=alpha, random_state=0, **common)
    theirs = MLPRegressor(alpha=alpha * n, random_state=1, **common)
    coefs0, _ = refit_from_same_weights(ours, theirs, X, y, max_iter=3)
    assert ours.out_activation_ == theirs.out_activation_ == "exp"
    assert_same_weights(ours, theirs)
    assert not np.allclose(ours.coefs_[0], coefs0[0])
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-10)


@pytest.mark.parametrize("solver", ["lbfgs", "adam", "sgd"])
def test_poisson_fit_reaches_scikit_learns_deviance(solver):
    """Without dropout, the training deviance of MLPRegressor(loss="poisson") on
    the same objective (its alpha is ours times the batch size); with dropout, a
    held-out deviance below that of the constant mean."""
    from sklearn.metrics import mean_poisson_deviance

    X, y = _counts(1, n=600, seed=1)
    X_test, y_test, X, y = X[300:], y[300:], X[:300], y[:300]
    batch = 300 if solver == "lbfgs" else 200
    kw = dict(hidden_layer_sizes=(16,), solver=solver, max_iter=300,
              learning_rate_init=0.01, random_state=0, loss="poisson")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = DropoutMLPRegressor(dropout=0.0, alpha=1e-4, **kw).fit(X, y)
        theirs = MLPRegressor(alpha=1e-4 * batch, **kw).fit(X, y)
    pred = ours.predict(X)
    assert np.all(pred > 0)
    assert (mean_poisson_deviance(y, pred)
            < 1.05 * mean_poisson_deviance(y, theirs.predict(X)))
    if solver == "lbfgs":
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        dropped = DropoutMLPRegressor(dropout=0.1, alpha=1e-4, **kw).fit(X, y)
    constant = mean_poisson_deviance(y_test, np.full_like(y_test, y.mean()))
    assert mean_poisson_deviance(y_test, dropped.predict(X_test)) < 0.95 * constant
    mean, std = dropped.predict_mc(X_test[:5], n_passes=30, random_state=0)
    assert np.all(mean > 0) and np.all(std > 0)


def test_poisson_sample_weight_equals_repeated_rows_without_dropout():
    X, y = _counts(1, n=30, seed=2)
    sw = np.random.default_rng(0).integers(0, 3, size=len(y))
    kw = dict(hidden_layer_sizes=(4,), solver="sgd", dropout=0.0, loss="poisson",
              batch_size=1000, shuffle=False, max_iter=5, random_state=0,
              learning_rate_init=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = DropoutMLPRegressor(**kw).fit(X, y, sample_weight=sw)
        repeated = DropoutMLPRegressor(**kw).fit(np.repeat(X, sw, axis=0),
                                                 np.repeat(y, sw))
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-9)


def test_poisson_rejects_negative_targets_and_bad_losses():
    X, y = _counts(1, n=20)
    y[3] = -1.0
    with pytest.raises(ValueError, match="non-negative targets y"):
        DropoutMLPRegressor(loss="poisson").fit(X, y)
    with pytest.raises(ValueError, match="loss"):
        DropoutMLPRegressor(loss="huber").fit(X, np.abs(y))
    assert DropoutMLPRegressor().loss == "squared_error"
