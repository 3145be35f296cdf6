"""The network core of DropoutMLPClassifier against independent references.

Backward pass against central finite differences (fixed dropout masks, every
activation, both output losses, every penalty), losses against scikit-learn's
``log_loss``, dropout masks against their distribution, and the optimizers'
steps against scikit-learn's MLPClassifier.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.neural_network import MLPClassifier

from _mlp_reference import assert_same_weights, refit_from_same_weights

from skreg import DropoutMLPClassifier
from skreg._nn._dropout import draw_mask, drop_sparse_entries
from skreg._nn._losses import LOSSES, class_probabilities
from skreg._nn._network import Layout, backward, forward, init_params
from skreg._nn._optimizers import max_norm_project
from skreg._nn._training import Trainer
from skreg._penalties import ElasticNetPenalty

ACTIVATIONS = ["relu", "tanh", "logistic", "identity"]


def output_loss_and_delta(Z, y, weights):
    """The classifier's loss of class indices ``y``: logistic for one column."""
    if Z.shape[1] == 1:
        return LOSSES["logistic"](Z, y[:, None].astype(Z.dtype), weights)
    return LOSSES["softmax"](Z, y, weights)


def _problem(n_classes, seed=0, n=12, d=5, hidden=(4, 3)):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = rng.integers(0, n_classes, size=n)
    y[:n_classes] = np.arange(n_classes)
    n_out = 1 if n_classes == 2 else n_classes
    layout = Layout((d, *hidden, n_out))
    theta = init_params(layout, "tanh", rng, np.float64)
    theta += rng.normal(scale=0.3, size=theta.shape)    # biases away from zero
    sw = rng.uniform(0.2, 2.0, size=n)
    return X, y, layout, theta, sw


def _fixed_masks(layout, n, rate, seed):
    rng = np.random.default_rng(seed)
    return [draw_mask(rng, rate, np.empty((n, u))) for u in layout.layer_units[1:-1]]


def _objective(theta, layout, X, y, sw, activation, masks, alpha, l1_ratio):
    """Weighted mean cross-entropy + penalty, from scikit-learn's log_loss."""
    coefs, intercepts = layout.views(theta)
    Z = forward(coefs, intercepts, X, activation, masks)[-1].copy()
    proba = class_probabilities(Z)
    data = log_loss(y, proba, sample_weight=sw, labels=np.arange(proba.shape[1]))
    W = theta[:layout.n_weights]
    return data + alpha * (l1_ratio * np.abs(W).sum()
                           + (1 - l1_ratio) / 2 * W @ W)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("alpha, l1_ratio", [(0.0, 0.0), (0.3, 0.0), (0.3, 1.0),
                                             (0.3, 0.4)])
def test_backward_matches_finite_differences(activation, n_classes, alpha, l1_ratio):
    X, y, layout, theta, sw = _problem(n_classes, seed=n_classes)
    n = X.shape[0]
    masks = _fixed_masks(layout, n, 0.3, seed=1)
    input_mask = draw_mask(np.random.default_rng(2), 0.2, np.empty(X.shape))
    Xd = X * input_mask
    penalty = ElasticNetPenalty(alpha, l1_ratio)

    coefs, intercepts = layout.views(theta)
    acts = forward(coefs, intercepts, Xd, activation, masks)
    weights = sw / sw.sum()
    loss = output_loss_and_delta(acts[-1], y, weights)
    grad = np.empty_like(theta)
    gc, gi = layout.views(grad)
    backward(coefs, acts, acts[-1], activation, gc, gi, masks,
             [0.7] * len(masks))
    W = theta[:layout.n_weights]
    grad[:layout.n_weights] += penalty.l2 * W + penalty.l1 * np.sign(W)

    def J(t):
        return _objective(t, layout, Xd, y, sw, activation, masks, alpha, l1_ratio)

    assert loss + penalty.value(W) == pytest.approx(J(theta), rel=1e-12)
    eps = 1e-6
    numeric = np.empty_like(theta)
    for k in range(theta.size):
        e = np.zeros_like(theta)
        e[k] = eps
        numeric[k] = (J(theta + e) - J(theta - e)) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("n_classes", [2, 4])
def test_loss_equals_log_loss_and_delta_is_its_gradient_in_the_logits(n_classes):
    rng = np.random.default_rng(0)
    n = 50
    n_out = 1 if n_classes == 2 else n_classes
    Z = rng.normal(scale=4, size=(n, n_out))
    y = rng.integers(0, n_classes, size=n)
    sw = rng.uniform(0, 3, size=n)
    proba = class_probabilities(Z.copy())
    expected = log_loss(y, proba, sample_weight=sw, labels=np.arange(n_classes))
    delta = Z.copy()
    assert output_loss_and_delta(delta, y, sw / sw.sum()) == pytest.approx(
        expected, rel=1e-12)
    # d/dz of the weighted mean loss is (p - onehot) * w_i / S.
    onehot = np.eye(n_classes)[y]
    target = (proba - onehot)[:, -n_out:] if n_out == 1 else proba - onehot
    np.testing.assert_allclose(delta, target * (sw / sw.sum())[:, None], atol=1e-14)
    # Unweighted: the plain mean.
    assert output_loss_and_delta(Z.copy(), y, 1.0 / n) == pytest.approx(
        log_loss(y, proba, labels=np.arange(n_classes)), rel=1e-12)


def test_loss_is_finite_for_extreme_logits():
    Z = np.array([[800.0, -800.0], [-800.0, 800.0]])
    assert np.isfinite(output_loss_and_delta(Z.copy(), np.array([1, 1]), 0.5))
    Z1 = np.array([[800.0], [-800.0]])
    loss = output_loss_and_delta(Z1.copy(), np.array([0, 1]), 0.5)
    assert loss == pytest.approx(800.0)


# ------------------------------------------------------------------ masks
@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mask_keep_rate_and_mean(rate, dtype):
    rng = np.random.default_rng(0)
    m = draw_mask(rng, rate, np.empty((400, 500), dtype=dtype))
    assert m.dtype == dtype
    kept = m != 0
    n = m.size
    keep = 1 - rate
    sd = np.sqrt(keep * (1 - keep) / n)
    assert abs(kept.mean() - keep) < 5 * sd
    np.testing.assert_allclose(np.unique(m[kept]), [1 / keep], rtol=1e-6)
    # Inverted scaling keeps the expectation: E[m] = 1.
    assert abs(m.mean() - 1.0) < 5 * sd / keep


def test_masks_are_independent_across_samples_units_and_steps():
    rng = np.random.default_rng(1)
    a = draw_mask(rng, 0.5, np.empty((300, 200)))
    b = draw_mask(rng, 0.5, np.empty((300, 200)))
    assert not np.array_equal(a, b)                       # across steps
    assert len({row.tobytes() for row in a}) == a.shape[0]  # across samples
    # Agreement between two independent masks is 1/2 in expectation.
    agree = ((a > 0) == (b > 0)).mean()
    assert abs(agree - 0.5) < 5 * np.sqrt(0.25 / a.size)
    # No correlation between neighbouring units.
    corr = np.corrcoef((a[:, :-1] > 0).ravel(), (a[:, 1:] > 0).ravel())[0, 1]
    assert abs(corr) < 5 / np.sqrt(a.size)


def test_sparse_input_dropout_masks_stored_entries():
    import scipy.sparse as sp

    X = sp.random(200, 300, density=0.2, format="csr", random_state=0) + 1.0 * sp.eye(
        200, 300, format="csr")
    Xd = drop_sparse_entries(np.random.default_rng(0), X, 0.25)
    assert Xd.nnz == X.nnz and Xd.has_sorted_indices == X.has_sorted_indices
    kept = Xd.data != 0
    assert abs(kept.mean() - 0.75) < 5 * np.sqrt(0.75 * 0.25 / X.nnz)
    np.testing.assert_allclose(Xd.data[kept], X.data[kept] / 0.75)
    assert X.data.min() > 0       # the input is not modified


def test_nothing_is_dropped_at_prediction():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 6))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    clf = DropoutMLPClassifier(dropout=0.5, input_dropout=0.3, max_iter=5,
                               random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    p1, p2 = clf.predict_proba(X), clf.predict_proba(X)
    np.testing.assert_array_equal(p1, p2)
    # Equal to a plain forward pass with the fitted weights and no masks.
    Z = X
    for i, (W, b) in enumerate(zip(clf.coefs_, clf.intercepts_)):
        Z = Z @ W + b
        if i < len(clf.coefs_) - 1:
            Z = np.maximum(Z, 0)
    p = 1 / (1 + np.exp(-Z[:, 0]))
    np.testing.assert_allclose(p1[:, 1], p, rtol=1e-12)


# --------------------------------------------------------------- training
class _Recorder:
    """An optimizer that records what the trainer hands it and does nothing."""

    def step(self, theta, grad, n_weights, l2=0.0, l1=0.0, scratch=None):
        self.grad, self.l2, self.l1, self.n_weights = grad.copy(), l2, l1, n_weights
        self.full_grad = grad.copy()          # data gradient plus the L2 part
        self.full_grad[:n_weights] += l2 * theta[:n_weights]


@pytest.mark.parametrize("batch", [5, 12])
def test_trainer_gradient_has_the_documented_penalty_scale(batch):
    """The penalty is alpha * (rho |W|_1 + (1 - rho)/2 |W|^2), whatever the batch."""
    X, y, layout, theta, sw = _problem(3, seed=5)
    Xb, yb, swb = X[:batch], y[:batch], sw[:batch]
    alpha, l1_ratio = 0.7, 0.25
    trainer = Trainer(layout, "tanh", "softmax", batch, np.float64, 0.0, 0.0,
                      ElasticNetPenalty(alpha, l1_ratio), None)
    rec = _Recorder()
    trainer.step(theta, rec, Xb, yb, swb / swb.sum(), np.random.default_rng(0))
    assert rec.l1 == pytest.approx(alpha * l1_ratio)
    assert rec.n_weights == layout.n_weights

    def J(t):   # the smooth part of the documented objective on this batch
        return _objective(t, layout, Xb, yb, swb, "tanh", None, alpha * (1 - l1_ratio),
                          0.0)

    eps = 1e-6
    numeric = np.array([(J(theta + eps * e) - J(theta - eps * e)) / (2 * eps)
                        for e in np.eye(theta.size)])
    np.testing.assert_allclose(rec.full_grad, numeric, rtol=1e-5, atol=1e-8)


def test_max_norm_holds_after_every_step():
    X, y, layout, theta, _ = _problem(3, seed=3, n=40, hidden=(8, 6))
    trainer = Trainer(layout, "relu", "softmax", 10, np.float64, 0.2, 0.0,
                      ElasticNetPenalty(0.0, 0.0), max_norm=0.5)
    from skreg._nn._optimizers import SGD

    opt = SGD(layout.size, np.float64, 0.5, "constant", 0.9, True, 0.5)
    rng = np.random.default_rng(0)
    norms_seen = []
    for step in range(30):
        idx = rng.choice(40, 10, replace=False)
        trainer.step(theta, opt, X[idx], y[idx], 0.1, rng)
        coefs, _ = layout.views(theta)
        for W in coefs[:-1]:
            norms = np.linalg.norm(W, axis=0)
            assert np.all(norms <= 0.5 * (1 + 1e-12))
            norms_seen.append(norms.max())
    assert max(norms_seen) > 0.49      # the constraint was active, not vacuous


def test_max_norm_project_is_the_euclidean_projection_per_unit():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(7, 9))
    W[:, :3] *= 0.01
    P = W.copy()
    max_norm_project(P, 1.0)
    for j in range(9):
        n = np.linalg.norm(W[:, j])
        expected = W[:, j] if n <= 1 else W[:, j] / n
        np.testing.assert_allclose(P[:, j], expected)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("activation", ["relu", "logistic"])
def test_steps_equal_scikit_learn_mlp(solver, n_classes, activation):
    """Dropout 0, same initial weights: three full-batch steps equal scikit-learn's.

    scikit-learn divides its L2 term by the batch weight sum, so its alpha is
    ours times the batch size.
    """
    rng = np.random.default_rng(0)
    n, d = 40, 6
    X = rng.normal(size=(n, d))
    y = rng.integers(0, n_classes, size=n)
    alpha = 0.05
    common = dict(hidden_layer_sizes=(7, 5), activation=activation, solver=solver,
                  batch_size=n, shuffle=False, learning_rate_init=0.05,
                  momentum=0.8, tol=0.0)
    ours = DropoutMLPClassifier(dropout=0.0, alpha=alpha, random_state=0, **common)
    theirs = MLPClassifier(alpha=alpha * n, random_state=1, **common)
    coefs0, _ = refit_from_same_weights(ours, theirs, X, y, max_iter=3, seed=0)
    assert_same_weights(ours, theirs)
    assert not np.allclose(ours.coefs_[0], coefs0[0])   # the steps moved


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_l1_proximal_step_gives_exact_zeros(solver):
    lr = 0.01 if solver == "adam" else 0.1
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 20))
    y = (X[:, 0] - X[:, 1] > 0).astype(int)      # only two informative features
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        l1 = DropoutMLPClassifier((16,), alpha=0.01, l1_ratio=1.0, dropout=0.0,
                                  solver=solver, learning_rate_init=lr,
                                  max_iter=150, random_state=0).fit(X, y)
        l2 = DropoutMLPClassifier((16,), alpha=0.01, l1_ratio=0.0, dropout=0.0,
                                  solver=solver, learning_rate_init=lr,
                                  max_iter=150, random_state=0).fit(X, y)
    zeros = np.mean(l1.coefs_[0] == 0)
    assert zeros > 0.5
    assert np.mean(l2.coefs_[0] == 0) == 0
    # The informative inputs keep their weights.
    assert np.all(np.abs(l1.coefs_[0][:2]).sum(axis=1)
                  > np.abs(l1.coefs_[0][2:]).sum(axis=1).max())
    assert l1.score(X, y) > 0.9


def test_sgd_with_momentum_and_l1_reaches_the_optimality_conditions():
    """Full-batch proximal SGD with momentum stops where 0 is in the subdifferential.

    A weight is zero only where its data gradient is within [-l1, l1], and a
    nonzero weight has gradient -l1 * sign(w): checked with the penalty's
    subdifferential distance at the trained weights.
    """
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 8))
    y = (X[:, 0] - X[:, 1] + 0.5 * rng.normal(size=100) > 0).astype(int)
    alpha = 0.02
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = DropoutMLPClassifier((6,), activation="tanh", alpha=alpha, l1_ratio=1.0,
                                   dropout=0.0, solver="sgd", batch_size=100,
                                   shuffle=False, learning_rate_init=0.05,
                                   momentum=0.9, max_iter=3000, tol=0.0,
                                   random_state=0).fit(X, y)
    layout = Layout((8, 6, 1))
    theta = layout.pack(clf.coefs_, clf.intercepts_, np.float64)
    coefs, intercepts = layout.views(theta)
    acts = forward(coefs, intercepts, X, "tanh")
    output_loss_and_delta(acts[-1], y, 1 / 100)
    grad = np.empty_like(theta)
    backward(coefs, acts, acts[-1], "tanh", *layout.views(grad))
    nw = layout.n_weights
    assert np.mean(theta[:nw] == 0) > 0.5
    violation = ElasticNetPenalty(alpha, 1.0).subdiff_distance(theta[:nw], grad[:nw])
    assert violation.max() < 1e-3 * alpha
    assert np.abs(grad[nw:]).max() < 1e-6


@pytest.mark.parametrize("loss", ["softmax", "squared_error"])
def test_weighted_gradient_equals_repeated_rows_in_expectation_over_masks(loss):
    """Under dropout, a weight-k row and k copies give the same expected gradient.

    This is the exact statement behind the networks' sample-weight semantics
    with dropout (the classifier's softmax and the regressor's squared error run
    through the same trainer): averaged over many mask draws at fixed
    parameters, the two gradients agree within their standard errors, while
    ignoring the weights does not.
    """
    X, y, layout, theta, _ = _problem(3, seed=7, n=10, hidden=(6,))
    if loss == "squared_error":
        y = np.eye(3)[y] + np.arange(3)      # three real-valued outputs
    w = np.array([0, 1, 2, 3, 1, 0, 2, 1, 3, 2])
    X_rep, y_rep = np.repeat(X, w, axis=0), np.repeat(y, w, axis=0)
    penalty = ElasticNetPenalty(0.0, 0.0)
    rec = _Recorder()

    def gradients(Xb, yb, weights, n_draws, seed):
        trainer = Trainer(layout, "relu", loss, Xb.shape[0], np.float64, 0.4, 0.2,
                          penalty, None)
        rng = np.random.default_rng(seed)
        out = np.empty((n_draws, layout.size))
        for k in range(n_draws):
            trainer.step(theta, rec, Xb, yb, weights, rng)
            out[k] = rec.full_grad
        return out

    n_draws = 3000
    g_w = gradients(X, y, w / w.sum(), n_draws, 0)
    g_r = gradients(X_rep, y_rep, 1.0 / len(y_rep), n_draws, 1)
    g_i = gradients(X, y, 1.0 / len(y), n_draws, 2)

    def z2(a, b):
        se2 = a.var(axis=0, ddof=1) / len(a) + b.var(axis=0, ddof=1) / len(b)
        keep = se2 > 0
        return np.mean((a.mean(0) - b.mean(0))[keep] ** 2 / se2[keep])

    assert z2(g_w, g_r) < 3.0       # about 1; correlated parameters widen it
    assert z2(g_w, g_i) > 20
    assert not np.allclose(g_w[0], g_r[0])     # single draws differ
