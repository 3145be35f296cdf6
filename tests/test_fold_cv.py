"""Cross-validation from fold statistics (partial_fit) against independent truths:
statistics of the rows themselves, direct predictions, the in-memory CV with
PredefinedSplit, and scikit-learn's LassoCV / ElasticNetCV."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import ElasticNetCV, LassoCV
from sklearn.model_selection import PredefinedSplit

from skreg import HashKFold, RegularizedRegressorCV
from skreg._statistics import FoldStatistics
from skreg._statistics import SufficientStatistics

ATTRIBUTES = ("alphas_", "mse_path_", "alpha_", "l1_ratio_", "coef_", "intercept_")


def _data(n=1500, p=12, seed=0, n_targets=1):
    rng = np.random.default_rng(seed)
    # means far from zero, unequal scales: the downdate must not lose them
    X = rng.normal(size=(n, p)) * rng.uniform(0.5, 3, p) + rng.normal(size=p) * 30
    W = rng.normal(size=(5, n_targets))
    Y = X[:, :5] @ W + rng.normal(size=(n, n_targets)) + 500.0
    sw = rng.uniform(0, 2, n)
    sw[rng.choice(n, 20, replace=False)] = 0.0
    return X, (Y[:, 0] if n_targets == 1 else Y), sw


def _moments(X, Y, sw, fit_intercept):
    """Statistics of the rows, written out with numpy (the truth)."""
    Y = Y.reshape(len(Y), -1)
    S = sw.sum()
    mu = sw @ X / S if fit_intercept else np.zeros(X.shape[1])
    ybar = sw @ Y / S if fit_intercept else np.zeros(Y.shape[1])
    Xc, Yc = X - mu, Y - ybar
    return S, mu, ybar, (Xc * sw[:, None]).T @ Xc, (Xc * sw[:, None]).T @ Yc, \
        np.einsum("i,ik,ik->k", sw, Yc, Yc)


def _stream(est, X, y, sw, folds, n_chunks=6):
    for idx in np.array_split(np.arange(len(X)), n_chunks):
        est.partial_fit(X[idx], y[idx], sample_weight=None if sw is None else sw[idx],
                        folds=None if folds is None else folds[idx])
    return est


def _assert_same_cv(got, ref, rtol=1e-8):
    for name in ATTRIBUTES:
        # the folds' paths stop at their gap tol * F(0), unfinished, each route
        # with its own rounding: their scores agree to about sqrt(tol); the refit
        # (coef_, intercept_) is finished, exact on both routes
        tight = name != "mse_path_"
        np.testing.assert_allclose(getattr(got, name), getattr(ref, name),
                                   rtol=rtol if tight else max(rtol, 1e-5), atol=0,
                                   err_msg=name)


# ------------------------------------------------------------- the statistics
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_downdate_equals_statistics_of_the_remaining_rows(fit_intercept):
    X, Y, sw = _data(900, 7, seed=1, n_targets=2)
    labels = np.random.default_rng(1).integers(0, 4, len(X))
    folds = FoldStatistics(7, 2, fit_intercept)
    for idx in np.array_split(np.arange(len(X)), 5):
        folds.update(X[idx], Y[idx], sw[idx], labels[idx])
    total = folds.total()
    for k in range(4):
        train = folds.training(k, total)
        keep = labels != k
        S, mu, ybar, xx, xy, yy = _moments(X[keep], Y[keep], sw[keep], fit_intercept)
        assert train.weight == pytest.approx(S, rel=1e-13)
        assert train.n_samples == keep.sum()
        np.testing.assert_allclose(train.x_mean, mu, rtol=1e-11, atol=1e-12)
        np.testing.assert_allclose(train.y_mean, ybar, rtol=1e-11, atol=1e-12)
        np.testing.assert_allclose(train.xx, xx, rtol=1e-9, atol=1e-9 * np.abs(xx).max())
        np.testing.assert_allclose(train.xy, xy, rtol=1e-9, atol=1e-9 * np.abs(xy).max())
        np.testing.assert_allclose(train.yy, yy, rtol=1e-9)
        # the inverse of merge: putting the fold back gives the total again
        back = train.copy().merge(folds.folds[k])
        np.testing.assert_allclose(back.xx, total.xx, rtol=1e-9,
                                   atol=1e-12 * np.abs(total.xx).max())


def test_downdate_of_everything_is_empty_and_constant_columns_stay_zero():
    X, y, sw = _data(200, 6, seed=2)
    X[:100, 2] = 7.0                        # constant on the rows that remain
    a = SufficientStatistics.from_chunk(X[:100], y[:100], sw[:100], True)
    b = SufficientStatistics.from_chunk(X[100:], y[100:], sw[100:], True)
    rest = a.copy().merge(b).downdate(b)
    assert rest.xx[2, 2] >= 0.0 and rest.xx[2, 2] <= 1e-10 * b.xx[2, 2]
    empty = a.copy().downdate(a)
    assert empty.weight == 0.0 and empty.n_samples == 0


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_squared_error_equals_direct_predictions(fit_intercept):
    X, Y, sw = _data(400, 6, seed=3, n_targets=2)
    stats = SufficientStatistics(6, 2, fit_intercept)
    for idx in np.array_split(np.arange(400), 3):
        stats.update(X[idx], Y[idx], sw[idx])
    rng = np.random.default_rng(3)
    W = rng.normal(size=(4, 2, 6))                    # 4 "alphas", 2 targets
    b = rng.normal(size=(4, 2)) * 100 if fit_intercept else np.zeros((4, 2))
    got = stats.squared_error(W, b)
    pred = np.einsum("ip,akp->iak", X, W) + b[None]
    want = np.einsum("i,iak->ak", sw, (Y[:, None, :] - pred) ** 2)
    np.testing.assert_allclose(got, want, rtol=1e-10)
    if not fit_intercept:
        with pytest.raises(ValueError, match="zero intercept"):
            stats.squared_error(W, b + 1.0)


# ------------------------------------------- the CV against the in-memory CV
@pytest.mark.parametrize("penalty, l1_ratio, positive", [
    ("l1", 0.5, False), ("l2", 0.5, False), ("elasticnet", [0.3, 0.8], False),
    ("l1", 0.5, True)])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_partial_fit_equals_in_memory_cv_with_predefined_split(penalty, l1_ratio,
                                                               positive, fit_intercept):
    X, y, sw = _data()
    folds = np.random.default_rng(0).integers(-1, 5, len(X))   # -1: always training
    kw = dict(alphas=15, l1_ratio=l1_ratio, tol=1e-12, max_iter=100_000,
              positive=positive, fit_intercept=fit_intercept)
    with warnings.catch_warnings(record=True) as ref_warnings:
        warnings.simplefilter("always")
        ref = RegularizedRegressorCV(penalty, cv=PredefinedSplit(folds), **kw).fit(
            X, y, sample_weight=sw)
    with warnings.catch_warnings(record=True) as got_warnings:
        warnings.simplefilter("always")
        got = _stream(RegularizedRegressorCV(penalty, **kw), X, y, sw, folds)
    _assert_same_cv(got, ref)
    assert got.mse_path_.shape == ref.mse_path_.shape
    last = [str(w.message) for w in got_warnings[-len(ref_warnings):]] \
        if ref_warnings else []
    assert last == [str(w.message) for w in ref_warnings]
    np.testing.assert_allclose(got.predict(X), ref.predict(X), rtol=1e-10)


def test_multi_output_float32_and_pickled_stream():
    X, Y, sw = _data(900, 8, seed=4, n_targets=2)
    folds = np.random.default_rng(4).integers(0, 3, len(X))
    kw = dict(alphas=8, tol=1e-12, max_iter=100_000)
    ref = RegularizedRegressorCV("l1", cv=PredefinedSplit(folds), **kw).fit(X, Y)
    got = RegularizedRegressorCV("l1", **kw)
    for idx in np.array_split(np.arange(len(X)), 4):
        got.partial_fit(X[idx], Y[idx], folds=folds[idx])
        got = pickle.loads(pickle.dumps(got))          # the stream survives pickling
    _assert_same_cv(got, ref)
    f32 = _stream(RegularizedRegressorCV("l2", alphas=8), X.astype(np.float32),
                  Y.astype(np.float32), None, folds)
    assert f32.coef_.dtype == np.float32 and f32.coef_.shape == (2, 8)


def test_hash_folds_are_a_function_of_the_row():
    X, y, _ = _data(2000, 5, seed=5)
    labels = HashKFold(5, seed=3).fold_labels(X, y)
    perm = np.random.default_rng(5).permutation(len(X))
    np.testing.assert_array_equal(HashKFold(5, seed=3).fold_labels(X[perm], y[perm]),
                                  labels[perm])
    Xs = X.astype(np.float32)          # the same values in float32 hash alike
    np.testing.assert_array_equal(HashKFold(5).fold_labels(Xs, y.astype(np.float32)),
                                  HashKFold(5).fold_labels(Xs.astype(np.float64),
                                                           y.astype(np.float32)))
    np.testing.assert_array_equal(HashKFold(5).fold_labels(sp.csr_matrix(X), y),
                                  HashKFold(5).fold_labels(X, y))
    assert not np.array_equal(HashKFold(5, seed=4).fold_labels(X, y), labels)
    counts = np.bincount(labels, minlength=5)
    assert np.all(np.abs(counts - 400) < 4 * np.sqrt(400))     # binomial spread
    Xd, yd = X.copy(), y.copy()          # a duplicated row shares its fold,
    Xd[0, 0], Xd[1], yd[1] = 0.0, Xd[0], yd[0]
    Xd[1, 0] = -0.0                      # -0.0 and 0.0 alike
    same = HashKFold(5, seed=3).fold_labels(Xd, yd)
    assert same[0] == same[1]


def test_partial_fit_with_hash_folds_equals_in_memory_hash_kfold():
    X, y, sw = _data(1200, 6, seed=6)
    kw = dict(alphas=10, tol=1e-12, max_iter=100_000)
    ref = RegularizedRegressorCV("elasticnet", cv=HashKFold(4, seed=9), **kw).fit(
        X, y, sample_weight=sw)
    got = _stream(RegularizedRegressorCV("elasticnet", cv=HashKFold(4, seed=9), **kw),
                  X, y, sw, None)
    _assert_same_cv(got, ref)
    as_int = _stream(RegularizedRegressorCV("elasticnet", cv=4, **kw), X, y, sw, None)
    np.testing.assert_allclose(as_int.mse_path_, RegularizedRegressorCV(
        "elasticnet", cv=HashKFold(4), **kw).fit(X, y, sample_weight=sw).mse_path_,
        rtol=1e-8)


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
def test_mse_path_equals_sklearn_cv_on_the_same_folds(l1_ratio):
    X, y, _ = _data(1000, 10, seed=7)
    folds = np.random.default_rng(7).integers(0, 5, len(X))
    ours = _stream(RegularizedRegressorCV("elasticnet", l1_ratio=l1_ratio, alphas=12,
                                          tol=1e-12, max_iter=100_000), X, y, None, folds)
    Est = LassoCV if l1_ratio == 1.0 else ElasticNetCV
    extra = {} if l1_ratio == 1.0 else {"l1_ratio": l1_ratio}
    theirs = Est(alphas=ours.alphas_, cv=PredefinedSplit(folds), tol=1e-12,
                 max_iter=100_000, **extra).fit(X, y)
    np.testing.assert_allclose(ours.mse_path_, theirs.mse_path_, rtol=1e-6)
    assert ours.alpha_ == pytest.approx(theirs.alpha_, rel=1e-12)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-5, atol=1e-8)


def test_unconverged_fits_give_the_same_warning():
    # supports of hundreds of features: too large for the finishing Newton step
    # that would otherwise solve these small problems exactly after one epoch
    X, y, sw = _data(900, 400, seed=8)
    folds = np.random.default_rng(8).integers(0, 3, len(X))
    kw = dict(alphas=6, max_iter=1, tol=1e-14)
    with pytest.warns(ConvergenceWarning) as ref_rec:
        RegularizedRegressorCV("l1", cv=PredefinedSplit(folds), **kw).fit(X, y)
    est = RegularizedRegressorCV("l1", **kw)
    with pytest.warns(ConvergenceWarning) as got_rec:
        est.partial_fit(X, y, folds=folds)
    ref_msgs = sorted(str(w.message) for w in ref_rec
                      if w.category is ConvergenceWarning)
    got_msgs = sorted(str(w.message) for w in got_rec
                      if w.category is ConvergenceWarning)
    assert got_msgs == ref_msgs and "fits did not reach" in got_msgs[0]


# ---------------------------------------------------------- the stream's rules
def test_partial_fit_waits_for_complete_folds_and_keeps_the_rows():
    X, y, sw = _data(600, 5, seed=9)
    folds = np.r_[np.zeros(300, int), np.ones(300, int)]
    est = RegularizedRegressorCV("l1", alphas=5)
    with pytest.warns(UserWarning, match="at least 2 folds.*not fitted yet"):
        est.partial_fit(X[:300], y[:300], folds=folds[:300])
    assert not hasattr(est, "coef_") and est.n_features_in_ == 5
    with pytest.raises(NotFittedError):
        est.predict(X)
    est.partial_fit(X[300:], y[300:], folds=folds[300:])
    ref = RegularizedRegressorCV("l1", alphas=5, cv=PredefinedSplit(folds)).fit(X, y)
    _assert_same_cv(est, ref)
    zero = RegularizedRegressorCV("l1", alphas=5)
    with pytest.warns(UserWarning, match="fold 1 has a total sample weight of zero"):
        zero.partial_fit(X, y, sample_weight=np.r_[sw[:300], np.zeros(300)],
                         folds=folds)


def test_partial_fit_errors_leave_the_model_intact():
    X, y, _ = _data(800, 6, seed=10)
    folds = np.random.default_rng(10).integers(0, 3, len(X))
    est = RegularizedRegressorCV("l2", alphas=5).partial_fit(X[:400], y[:400],
                                                            folds=folds[:400])
    coef = est.coef_.copy()
    with pytest.raises(ValueError, match="features"):
        est.partial_fit(X[400:, :4], y[400:], folds=folds[400:])
    with pytest.raises(ValueError, match="fold labels must be integers"):
        est.partial_fit(X[400:], y[400:], folds=folds[400:] + 0.5)
    with pytest.raises(ValueError, match=">= 0, or -1"):
        est.partial_fit(X[400:], y[400:], folds=folds[400:] - 3)
    with pytest.raises(ValueError, match="one label per row"):
        est.partial_fit(X[400:], y[400:], folds=folds[:10])
    with pytest.raises(ValueError, match="scoring='r2' cannot be computed"):
        RegularizedRegressorCV(scoring="r2").partial_fit(X, y, folds=folds)
    with pytest.raises(ValueError, match="cannot be used in partial_fit"):
        RegularizedRegressorCV(cv=PredefinedSplit(folds)).partial_fit(X, y)
    np.testing.assert_array_equal(est.coef_, coef)
    # the rejected chunks were not added: the next good one gives the right model
    est.partial_fit(X[400:], y[400:], folds=folds[400:])
    ref = RegularizedRegressorCV("l2", alphas=5, cv=PredefinedSplit(folds)).fit(X, y)
    _assert_same_cv(est, ref)
    with pytest.warns(UserWarning, match="starts a new stream"):
        ref.partial_fit(X, y, folds=folds)
