"""DropoutMLPClassifier as a scikit-learn estimator: behaviour, inputs, errors, use."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import load_breast_cancer, load_digits, make_classification
from sklearn.ensemble import VotingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import recall_score
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skreg import DropoutMLPClassifier


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, random_state=0, stratify=y)


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return train_test_split(X, y, random_state=0, stratify=y)


def _same_fit(a, b):
    return all(np.array_equal(u, v) for u, v in zip(a.coefs_ + a.intercepts_,
                                                     b.coefs_ + b.intercepts_))


# --------------------------------------------------------------- learning
def test_learns_digits_and_cancer(digits, cancer):
    for X_tr, X_te, y_tr, y_te in (digits, cancer):
        clf = DropoutMLPClassifier(random_state=0).fit(X_tr, y_tr)
        baseline = LogisticRegression(max_iter=2000).fit(X_tr, y_tr).score(X_te, y_te)
        assert clf.score(X_te, y_te) >= baseline - 0.02
    assert clf.out_activation_ == "logistic" and clf.n_outputs_ == 1


def test_fitted_attributes(digits):
    X_tr, _, y_tr, _ = digits
    clf = DropoutMLPClassifier((30, 20), max_iter=7, random_state=0).fit(X_tr, y_tr)
    assert [c.shape for c in clf.coefs_] == [(64, 30), (30, 20), (20, 10)]
    assert [b.shape for b in clf.intercepts_] == [(30,), (20,), (10,)]
    assert clf.n_layers_ == 4 and clf.n_outputs_ == 10
    assert clf.out_activation_ == "softmax"
    assert clf.n_iter_ == 7 and len(clf.loss_curve_) == 7
    assert clf.t_ == 7 * X_tr.shape[0]
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert clf.validation_scores_ is None and clf.best_validation_score_ is None
    assert clf.n_features_in_ == 64
    np.testing.assert_array_equal(clf.classes_, np.arange(10))
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]


def test_convergence_warning_and_stopping(digits):
    X_tr, _, y_tr, _ = digits
    with pytest.warns(ConvergenceWarning, match="max_iter=3"):
        DropoutMLPClassifier(max_iter=3, random_state=0).fit(X_tr, y_tr)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf = DropoutMLPClassifier(max_iter=500, tol=0.5, n_iter_no_change=2,
                                   random_state=0).fit(X_tr, y_tr)
    # No improvement by 0.5 after the first epoch; like scikit-learn's MLP, training
    # stops once the count of such epochs exceeds n_iter_no_change.
    assert clf.n_iter_ == 4


def test_reproducible_with_random_state_and_different_across_seeds(digits):
    X_tr, _, y_tr, _ = digits
    kw = dict(hidden_layer_sizes=(20,), max_iter=5, dropout=0.3, input_dropout=0.1)
    a = DropoutMLPClassifier(random_state=1, **kw).fit(X_tr, y_tr)
    b = DropoutMLPClassifier(random_state=1, **kw).fit(X_tr, y_tr)
    c = DropoutMLPClassifier(random_state=2, **kw).fit(X_tr, y_tr)
    assert _same_fit(a, b) and a.loss_curve_ == b.loss_curve_
    assert not np.allclose(a.coefs_[0], c.coefs_[0])
    # Same initial weights, different masks: the masks come from random_state too.
    d = DropoutMLPClassifier(random_state=1, **{**kw, "dropout": 0.0,
                                                "input_dropout": 0.0})
    d.fit(X_tr, y_tr)
    assert not _same_fit(a, d)


def test_dropout_noise_raises_the_training_loss(digits):
    X_tr, _, y_tr, _ = digits
    # Dropout noise makes the training loss (measured with dropout on) higher.
    on = DropoutMLPClassifier(dropout=0.5, max_iter=20, random_state=0).fit(X_tr, y_tr)
    off = DropoutMLPClassifier(dropout=0.0, max_iter=20, random_state=0).fit(X_tr, y_tr)
    assert on.loss_curve_[-1] > 1.5 * off.loss_curve_[-1]


def test_partial_fit_learns_and_needs_classes(digits):
    X_tr, X_te, y_tr, y_te = digits
    clf = DropoutMLPClassifier(learning_rate_init=0.01, random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X_tr, y_tr)
    chunks = np.array_split(np.arange(len(y_tr)), 6)
    scores = []
    for epoch in range(4):
        for idx in chunks:
            clf.partial_fit(X_tr[idx], y_tr[idx], classes=np.arange(10))
        scores.append(clf.score(X_te, y_te))
    assert clf.n_iter_ == 1 and clf.t_ == 4 * len(y_tr)
    assert len(clf.loss_curve_) == 24
    assert scores[-1] > 0.9 and scores[-1] >= scores[0]
    # A chunk missing some classes is fine; an unknown class is not.
    clf.partial_fit(X_tr[y_tr < 3], y_tr[y_tr < 3])
    with pytest.raises(ValueError, match="not in classes_"):
        clf.partial_fit(X_tr[:5], np.full(5, 11))
    with pytest.raises(ValueError, match="n_features|features"):
        clf.partial_fit(X_tr[:, :10], y_tr)


def test_partial_fit_chunks_differ_in_masks_with_an_int_seed(digits):
    X_tr, _, y_tr, _ = digits
    X, y = X_tr[:200], y_tr[:200]

    def two_calls(dropout):
        # A step size so small the weights do not move: the two calls' losses
        # differ only through their dropout masks.
        clf = DropoutMLPClassifier((10,), dropout=dropout, learning_rate_init=1e-12,
                                   random_state=0, shuffle=False)
        clf.partial_fit(X, y, classes=np.arange(10))
        clf.partial_fit(X, y)
        return clf

    a, b = two_calls(0.5), two_calls(0.5)
    assert a.loss_curve_[0] != a.loss_curve_[1]     # new masks on the second call
    assert a.loss_curve_ == b.loss_curve_ and _same_fit(a, b)    # reproducible
    off = two_calls(0.0)
    assert off.loss_curve_[0] == pytest.approx(off.loss_curve_[1], rel=1e-9)


def test_warm_start_continues(digits):
    X_tr, _, y_tr, _ = digits
    clf = DropoutMLPClassifier(max_iter=5, warm_start=True, random_state=0)
    clf.fit(X_tr, y_tr)
    first = clf.loss_curve_[-1]
    clf.fit(X_tr, y_tr)
    assert len(clf.loss_curve_) == 10 and clf.loss_curve_[-1] < first
    cold = DropoutMLPClassifier(max_iter=5, random_state=0).fit(X_tr, y_tr)
    assert len(cold.loss_curve_) == 5


def test_early_stopping_restores_the_best_weights(digits):
    X_tr, _, y_tr, _ = digits
    kw = dict(hidden_layer_sizes=(256,), early_stopping=True, dropout=0.0,
              learning_rate_init=0.02, n_iter_no_change=4, tol=0.0,
              validation_fraction=0.2, random_state=3)
    clf = DropoutMLPClassifier(max_iter=200, **kw).fit(X_tr, y_tr)
    scores = clf.validation_scores_
    best = int(np.argmax(scores))
    assert clf.best_validation_score_ == scores[best]
    assert clf.best_loss_ is None
    assert best < len(scores) - 1        # it ran past its best epoch
    # Training is deterministic: stopping after the best epoch gives the weights
    # the early-stopped fit must have restored.
    ref = DropoutMLPClassifier(max_iter=best + 1, **kw).fit(X_tr, y_tr)
    assert ref.validation_scores_ == scores[:best + 1]
    assert _same_fit(clf, ref)


def test_early_stopping_split_is_stratified():
    X, y = make_classification(300, weights=[0.9, 0.1], random_state=0)
    clf = DropoutMLPClassifier((5,), early_stopping=True, validation_fraction=0.1,
                               max_iter=3, random_state=0).fit(X, y)
    assert clf.t_ == 3 * 270          # 30 held out, 3 of them of the rare class


def test_class_weight_balanced_raises_minority_recall():
    X, y = make_classification(2000, n_features=10, n_informative=3,
                               weights=[0.95, 0.05], flip_y=0.05, class_sep=0.6,
                               random_state=0)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, stratify=y, random_state=0)
    kw = dict(hidden_layer_sizes=(32,), max_iter=60, random_state=0)
    plain = DropoutMLPClassifier(**kw).fit(X_tr, y_tr)
    balanced = DropoutMLPClassifier(class_weight="balanced", **kw).fit(X_tr, y_tr)
    r_plain = recall_score(y_te, plain.predict(X_te))
    r_bal = recall_score(y_te, balanced.predict(X_te))
    assert r_bal > r_plain + 0.15
    # A dict equal to the balanced weights gives the same fit.
    counts = np.bincount(y_tr)
    cw = {k: len(y_tr) / (2 * counts[k]) for k in (0, 1)}
    as_dict = DropoutMLPClassifier(class_weight=cw, **kw).fit(X_tr, y_tr)
    for a, b in zip(as_dict.coefs_, balanced.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-10)


def test_class_weight_combines_with_sample_weight():
    X, y = make_classification(120, random_state=0)
    sw = np.random.default_rng(0).uniform(0.5, 2, size=120)
    kw = dict(hidden_layer_sizes=(8,), max_iter=5, dropout=0.0, random_state=0)
    a = DropoutMLPClassifier(class_weight={0: 3.0, 1: 1.0}, **kw).fit(
        X, y, sample_weight=sw)
    b = DropoutMLPClassifier(**kw).fit(X, y, sample_weight=sw * np.where(y == 0, 3, 1))
    for u, v in zip(a.coefs_, b.coefs_):
        np.testing.assert_allclose(u, v, rtol=1e-10)


def test_sample_weight_scale_does_not_matter():
    X, y = make_classification(150, random_state=1)
    sw = np.random.default_rng(1).uniform(0.5, 2, size=150)
    kw = dict(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    a = DropoutMLPClassifier(**kw).fit(X, y, sample_weight=sw)
    b = DropoutMLPClassifier(**kw).fit(X, y, sample_weight=1000 * sw)
    for u, v in zip(a.coefs_, b.coefs_):
        np.testing.assert_allclose(u, v, rtol=1e-9, atol=1e-12)


def test_sample_weight_equals_repetition_in_expectation():
    """The statistical replacement for the sample-weight check under dropout.

    With dropout a row of weight k gets one mask per step where k copies get k
    masks, so single fits differ; over many seeds the mean predictions of the
    weighted fits and the repeated-row fits agree within their standard error,
    while fits that ignore the weights are far from both.
    """
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] + 0.3 * rng.normal(size=30) > 0).astype(int)
    w = rng.integers(0, 4, size=30)
    w[y == 0] = np.maximum(w[y == 0], 2)          # weights that shift the boundary
    w[np.flatnonzero(y == 1)[:8]] = 0
    X_rep, y_rep = np.repeat(X, w, axis=0), np.repeat(y, w)
    grid = rng.normal(size=(40, 4))
    kw = dict(hidden_layer_sizes=(16,), dropout=0.3, learning_rate_init=0.01,
              max_iter=60, tol=0.0)
    weighted, repeated, ignored = [], [], []
    for seed in range(30):
        est = DropoutMLPClassifier(random_state=seed, **kw)
        weighted.append(est.fit(X, y, sample_weight=w).predict_proba(grid)[:, 1])
        repeated.append(est.fit(X_rep, y_rep).predict_proba(grid)[:, 1])
        ignored.append(est.fit(X, y).predict_proba(grid)[:, 1])
    weighted, repeated, ignored = map(np.array, (weighted, repeated, ignored))

    def z2(a, b):
        se2 = a.var(axis=0, ddof=1) / len(a) + b.var(axis=0, ddof=1) / len(b)
        return np.mean((a.mean(axis=0) - b.mean(axis=0)) ** 2 / se2)

    # Training is not linear in the gradient noise, so agreement is approximate;
    # the bound leaves room for the correlation between the 40 grid points.
    assert z2(weighted, repeated) < 6.0
    assert z2(weighted, ignored) > 30.0          # the test can tell weights apart


def test_sample_weight_exact_without_dropout():
    X, y = make_classification(40, n_features=5, random_state=2)
    w = np.random.default_rng(2).integers(0, 4, size=40)
    kw = dict(hidden_layer_sizes=(6,), dropout=0.0, max_iter=30, random_state=0)
    a = DropoutMLPClassifier(**kw).fit(X, y, sample_weight=w)
    b = DropoutMLPClassifier(**kw).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=1e-7)


# -------------------------------------------------------------------- MC
def test_mc_dropout_mean_spread_and_reproducibility(digits):
    X_tr, X_te, y_tr, y_te = digits
    clf = DropoutMLPClassifier(dropout=0.3, random_state=0).fit(X_tr, y_tr)
    mean, std, passes = clf.predict_proba_mc(X_te, n_passes=40, random_state=0,
                                             return_passes=True)
    assert passes.shape == (40, len(y_te), 10)
    np.testing.assert_allclose(passes.sum(axis=2), 1.0, rtol=1e-12)
    np.testing.assert_allclose(mean, passes.mean(axis=0))
    np.testing.assert_allclose(std, passes.std(axis=0))
    assert np.all(std.max(axis=1) > 0)
    m2, s2 = clf.predict_proba_mc(X_te, n_passes=40, random_state=0)
    np.testing.assert_array_equal(mean, m2)
    # The MC mean is close to the deterministic prediction and as accurate.
    assert np.mean(mean.argmax(1) == clf.predict_proba(X_te).argmax(1)) > 0.97
    # Misclassified samples are more uncertain than correct ones.
    pred = clf.classes_[mean.argmax(1)]
    spread = std[np.arange(len(y_te)), mean.argmax(1)]
    assert spread[pred != y_te].mean() > 2 * spread[pred == y_te].mean()
    # Without dropout every pass is the same.
    off = DropoutMLPClassifier(dropout=0.0, max_iter=5, random_state=0).fit(X_tr, y_tr)
    _, s0 = off.predict_proba_mc(X_te, n_passes=3)
    assert np.all(s0 < 1e-12)


# ----------------------------------------------------------------- inputs
def test_sparse_equals_dense(digits):
    X_tr, X_te, y_tr, y_te = digits
    kw = dict(hidden_layer_sizes=(20,), max_iter=5, random_state=0, dropout=0.2)
    dense = DropoutMLPClassifier(**kw).fit(X_tr, y_tr)
    for fmt in ("csr", "csc"):
        sparse = DropoutMLPClassifier(**kw).fit(sp.csr_matrix(X_tr).asformat(fmt), y_tr)
        for a, b in zip(dense.coefs_, sparse.coefs_):
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(sparse.predict_proba(sp.csr_matrix(X_te)),
                                   dense.predict_proba(X_te), rtol=1e-9)


def test_sparse_is_never_densified(digits, monkeypatch):
    X_tr, _, y_tr, _ = digits
    Xs = sp.csr_matrix(X_tr)

    def forbidden(*args, **kwargs):
        raise AssertionError("sparse input was densified")

    for cls in (sp.csr_matrix, sp.csc_matrix):
        monkeypatch.setattr(cls, "toarray", forbidden)
        monkeypatch.setattr(cls, "todense", forbidden)
    clf = DropoutMLPClassifier((10,), max_iter=3, input_dropout=0.2, random_state=0)
    clf.fit(Xs, y_tr).predict_proba(Xs)
    clf.predict_proba_mc(Xs[:10], n_passes=2)


def test_float32_end_to_end(digits):
    X_tr, X_te, y_tr, y_te = digits
    clf = DropoutMLPClassifier((20,), max_iter=10, random_state=0)
    clf.fit(X_tr.astype(np.float32), y_tr)
    assert all(c.dtype == np.float32 for c in clf.coefs_ + clf.intercepts_)
    assert clf.predict_proba(X_te.astype(np.float32)).dtype == np.float32
    ref = DropoutMLPClassifier((20,), max_iter=10, random_state=0).fit(X_tr, y_tr)
    assert ref.coefs_[0].dtype == np.float64
    np.testing.assert_allclose(clf.coefs_[0], ref.coefs_[0], atol=1e-3)


@pytest.mark.parametrize("labels", [
    np.array(["cat", "dog", "emu"]),
    np.array([-7, 3, 100]),
    np.array(["b", 2.5, "a"], dtype=object),
])
def test_string_object_and_noncontiguous_labels(labels):
    X, y = make_classification(150, n_classes=3, n_informative=4, random_state=0)
    if labels.dtype == object:
        labels = np.array(["b", "z", "a"], dtype=object)
    y_lab = labels[y]
    kw = dict(hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=100,
              random_state=0)
    clf = DropoutMLPClassifier(**kw).fit(X, y_lab)
    np.testing.assert_array_equal(clf.classes_, np.unique(labels))
    pred = clf.predict(X)
    assert set(pred) <= set(labels) and np.mean(pred == y_lab) > 0.8
    ref = DropoutMLPClassifier(**kw).fit(X, np.searchsorted(np.unique(labels), y_lab))
    np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(X))


def test_binary_string_labels_and_log_proba(cancer):
    X_tr, X_te, y_tr, _ = cancer
    names = np.array(["malignant", "benign"])
    clf = DropoutMLPClassifier((10,), max_iter=20, random_state=0)
    clf.fit(X_tr, names[y_tr])
    proba = clf.predict_proba(X_te)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X_te)), proba, rtol=1e-10)
    np.testing.assert_array_equal(clf.predict(X_te), clf.classes_[proba.argmax(1)])


def test_dataframe_input_and_feature_names():
    pd = pytest.importorskip("pandas")
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    clf = DropoutMLPClassifier((10,), max_iter=20, random_state=0)
    clf.fit(StandardScaler().set_output(transform="pandas").fit_transform(X), y)
    assert list(clf.feature_names_in_) == list(X.columns)
    assert isinstance(X, pd.DataFrame)


# ----------------------------------------------------------------- errors
@pytest.mark.parametrize("params, error, match", [
    (dict(dropout=1.0), ValueError, "'dropout' must be < 1"),
    (dict(dropout=-0.1), ValueError, "'dropout' must be >= 0"),
    (dict(input_dropout=1.0), ValueError, "'input_dropout' must be < 1"),
    (dict(dropout="0.5"), TypeError, "'dropout' must be a real number"),
    (dict(hidden_layer_sizes=()), ValueError, "at least one hidden layer"),
    (dict(hidden_layer_sizes=(10, 0)), ValueError, "positive integers"),
    (dict(hidden_layer_sizes=-3), ValueError, "positive integers"),
    (dict(hidden_layer_sizes=(10.5,)), TypeError, "must contain integers"),
    (dict(activation="softplus"), ValueError, "'activation' must be one of"),
    (dict(solver="lbfgs"), ValueError, "'dropout' must be 0.0 with solver='lbfgs'"),
    (dict(solver="lbfgs", dropout=0, input_dropout=0.1), ValueError,
     "'input_dropout' must be 0.0 with solver='lbfgs'"),
    (dict(solver="lbfgs", dropout=0, max_norm=2.0), ValueError,
     "'max_norm' must be None with solver='lbfgs'"),
    (dict(solver="lbfgs", dropout=0, early_stopping=True), ValueError,
     "'early_stopping' must be False with solver='lbfgs'"),
    (dict(max_fun=0), ValueError, "'max_fun' must be >= 1"),
    (dict(n_iter_no_change=2.5), TypeError, "'n_iter_no_change' must be an integer"),
    (dict(solver="rmsprop"), ValueError, "'solver' must be one of"),
    (dict(alpha=-1), ValueError, "'alpha' must be >= 0"),
    (dict(l1_ratio=1.5), ValueError, "'l1_ratio' must be <= 1"),
    (dict(max_norm=0.0), ValueError, "'max_norm' must be > 0"),
    (dict(batch_size=0), ValueError, "'batch_size' must be >= 1"),
    (dict(batch_size="big"), TypeError, "'batch_size' must be an integer"),
    (dict(learning_rate="cyclic"), ValueError, "'learning_rate' must be one of"),
    (dict(learning_rate_init=0.0), ValueError, "'learning_rate_init' must be > 0"),
    (dict(max_iter=0), ValueError, "'max_iter' must be >= 1"),
    (dict(validation_fraction=1.0), ValueError, "'validation_fraction' must be < 1"),
    (dict(beta_1=1.0), ValueError, "'beta_1' must be < 1"),
    (dict(momentum=1.5), ValueError, "'momentum' must be <= 1"),
    (dict(n_iter_no_change=0), ValueError, "'n_iter_no_change' must be >= 1"),
    (dict(class_weight="auto"), ValueError, "'class_weight' must be None"),
    (dict(class_weight={7: 2.0}), ValueError, "not in the data's classes"),
    (dict(shuffle="yes"), TypeError, "'shuffle' must be True or False"),
])
def test_bad_parameters_raise_named_errors_at_fit(params, error, match):
    X, y = make_classification(30, random_state=0)
    clf = DropoutMLPClassifier(**params)          # nothing checked in __init__
    with pytest.raises(error, match=match):
        clf.fit(X, y)
    assert not hasattr(clf, "coefs_")


def test_bad_data_raises():
    X, y = make_classification(30, random_state=0)
    with pytest.raises(ValueError, match="at least 2 classes"):
        DropoutMLPClassifier().fit(X, np.zeros(30))
    with pytest.raises(ValueError, match="Unknown label type"):
        DropoutMLPClassifier().fit(X, np.linspace(0, 1, 30))
    with pytest.raises(ValueError, match="at least 2 classes with positive weight"):
        DropoutMLPClassifier().fit(X, y, sample_weight=(y == 1).astype(float))
    with pytest.raises(ValueError, match="sample_weight must be non-negative"):
        DropoutMLPClassifier().fit(X, y, sample_weight=-np.ones(30))
    with pytest.raises(ValueError, match="NaN"):
        DropoutMLPClassifier().fit(np.full((30, 20), np.nan), y)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        DropoutMLPClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="'balanced' is not supported by partial_fit"):
        DropoutMLPClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1])
    clf = DropoutMLPClassifier(max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match="n_passes"):
        clf.predict_proba_mc(X, n_passes=0)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :5])


def test_batch_size_larger_than_data_warns():
    X, y = make_classification(30, random_state=0)
    with pytest.warns(UserWarning, match="batch_size=100 is larger"):
        DropoutMLPClassifier(batch_size=100, max_iter=2).fit(X, y)


# -------------------------------------------------------------------- use
def test_grid_search_over_dropout_and_alpha_in_parallel(digits):
    X_tr, X_te, y_tr, y_te = digits
    grid = GridSearchCV(
        DropoutMLPClassifier((32,), max_iter=30, random_state=0),
        {"dropout": [0.0, 0.3], "alpha": [1e-4, 1e-2]}, cv=3, n_jobs=2,
    ).fit(X_tr, y_tr)
    assert set(grid.best_params_) == {"dropout", "alpha"}
    assert grid.score(X_te, y_te) > 0.9
    # The parallel scores equal a sequential refit of one grid point.
    seq = GridSearchCV(DropoutMLPClassifier((32,), max_iter=30, random_state=0),
                       {"dropout": [0.3], "alpha": [1e-2]}, cv=3).fit(X_tr, y_tr)
    i = [k for k, p in enumerate(grid.cv_results_["params"])
         if p == {"dropout": 0.3, "alpha": 1e-2}][0]
    assert grid.cv_results_["mean_test_score"][i] == seq.cv_results_[
        "mean_test_score"][0]


def test_calibration_voting_pipeline_and_pickle(cancer):
    X_tr, X_te, y_tr, y_te = cancer
    mlp = DropoutMLPClassifier((16,), max_iter=40, random_state=0)
    cal = CalibratedClassifierCV(mlp, cv=3).fit(X_tr, y_tr)
    assert cal.score(X_te, y_te) > 0.9
    vote = VotingClassifier([("mlp", mlp), ("lr", LogisticRegression())],
                            voting="soft").fit(X_tr, y_tr)
    assert vote.score(X_te, y_te) > 0.9
    pipe = make_pipeline(StandardScaler(), mlp).fit(X_tr, y_tr)
    clone = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(clone.predict_proba(X_te), pipe.predict_proba(X_te))
    fitted = pickle.loads(pickle.dumps(mlp.fit(X_tr, y_tr)))
    fitted.partial_fit(X_tr, y_tr)         # optimizer state survives pickling
    assert fitted.t_ == mlp.t_ + len(y_tr)
