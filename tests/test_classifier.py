"""RegularizedClassifier and RegularizedClassifierCV against independent truths:
scikit-learn's LogisticRegression at the mapped C (objective computed here),
the optimality conditions, alpha_max, GridSearchCV over the same grid and folds."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import logsumexp
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.preprocessing import StandardScaler

from skreg import RegularizedClassifier, RegularizedClassifierCV


def _data(n=300, p=8, classes=2, seed=0):
    X, y = make_classification(n, p, n_informative=4, n_redundant=1,
                               n_classes=classes, n_clusters_per_class=1,
                               flip_y=0.15, random_state=seed)
    return StandardScaler().fit_transform(X), y


def objective(X, y, W, b, alpha, rho, s=None, factor=None):
    """The documented objective, written here from its formula (float64)."""
    X = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    classes, codes = np.unique(y, return_inverse=True)
    s = np.ones(len(y)) if s is None else np.asarray(s, dtype=np.float64)
    W = np.atleast_2d(np.asarray(W, dtype=np.float64))
    eta = X @ W.T + np.asarray(b, dtype=np.float64)
    if classes.size == 2:
        eta = np.column_stack([np.zeros(len(y)), eta[:, 0]])
    logp = eta - logsumexp(eta, axis=1, keepdims=True)
    loss = -(s @ logp[np.arange(len(y)), codes]) / s.sum()
    f = np.ones(X.shape[1]) if factor is None else np.asarray(factor)
    pen = alpha * np.sum(f * (rho * np.abs(W) + 0.5 * (1 - rho) * W * W))
    return loss + pen


_RHO = {"l1": 1.0, "l2": 0.0, "elasticnet": 0.5}


def _reference(X, y, penalty, alpha, s=None, class_weight=None):
    """LogisticRegression at C = 1 / (alpha S), solved tightly."""
    S = len(y) if s is None else float(np.sum(s))
    if class_weight == "balanced" or isinstance(class_weight, dict):
        # S of the objective is the sum of the combined weights
        cw = LogisticRegression(class_weight=class_weight)
        from sklearn.utils.class_weight import compute_sample_weight
        combined = compute_sample_weight(class_weight, y) * (1 if s is None else s)
        S = combined.sum()
        del cw
    rho = _RHO[penalty]
    solver = "lbfgs" if rho == 0 else "saga"
    ref = LogisticRegression(C=1.0 / (alpha * S), l1_ratio=rho, solver=solver,
                             tol=1e-12, max_iter=200_000, class_weight=class_weight)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ref.fit(X, y, sample_weight=s)


@pytest.mark.parametrize("classes", [2, 3])
@pytest.mark.parametrize("penalty", ["l1", "l2", "elasticnet"])
def test_equals_logistic_regression_at_the_mapped_C(penalty, classes):
    X, y = _data(classes=classes, seed=classes)
    alpha = 0.02
    ours = RegularizedClassifier(penalty, alpha, tol=1e-10).fit(X, y)
    ref = _reference(X, y, penalty, alpha)
    f_ours = objective(X, y, ours.coef_, ours.intercept_, alpha, _RHO[penalty])
    f_ref = objective(X, y, ref.coef_, ref.intercept_, alpha, _RHO[penalty])
    assert f_ours <= f_ref + 1e-9
    assert abs(f_ours - f_ref) <= 1e-6 * abs(f_ref)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-4)


@pytest.mark.parametrize("case", ["weights", "class_weight", "sparse", "float32"])
def test_equals_logistic_regression_with_weights_sparse_float32(case):
    X, y = _data(classes=3, seed=7)
    rng = np.random.default_rng(0)
    s = rng.uniform(0.2, 3.0, len(y)) if case == "weights" else None
    cw = "balanced" if case == "class_weight" else None
    Xf = (sp.csr_matrix(X) if case == "sparse"
          else X.astype(np.float32) if case == "float32" else X)
    alpha = 0.01
    ours = RegularizedClassifier("elasticnet", alpha, l1_ratio=0.5, class_weight=cw,
                                 tol=1e-10).fit(Xf, y, sample_weight=s)
    ref = _reference(X, y, "elasticnet", alpha, s=s, class_weight=cw)
    if cw is not None:
        from sklearn.utils.class_weight import compute_sample_weight
        s = compute_sample_weight(cw, y)
    f_ours = objective(X, y, ours.coef_, ours.intercept_, alpha, 0.5, s)
    f_ref = objective(X, y, ref.coef_, ref.intercept_, alpha, 0.5, s)
    rtol = 1e-6 if case != "float32" else 1e-5      # the answer is stored in float32
    assert f_ours <= f_ref + rtol * abs(f_ref)
    assert abs(f_ours - f_ref) <= rtol * abs(f_ref)
    if case == "float32":
        assert ours.coef_.dtype == np.float32


def test_C_mapping_on_breast_cancer():
    """LogisticRegression(C=c) = RegularizedClassifier(alpha=1 / (c n))."""
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    c = 0.5
    ref = LogisticRegression(C=c, tol=1e-12, max_iter=100_000).fit(X, y)
    ours = RegularizedClassifier("l2", 1.0 / (c * len(y)), tol=1e-12).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-5, atol=1e-7)


def _loss_gradient(X, y, W, b, s=None):
    """Gradient of the mean log loss in W (written here), shape of W."""
    classes, codes = np.unique(y, return_inverse=True)
    s = np.ones(len(y)) if s is None else s
    eta = X @ np.atleast_2d(W).T + b
    if classes.size == 2:
        p = 1.0 / (1.0 + np.exp(-eta[:, 0]))
        return ((s * (p - (codes == 1))) @ X / s.sum())[None, :]
    P = np.exp(eta - logsumexp(eta, axis=1, keepdims=True))
    Y = np.eye(classes.size)[codes]
    return ((s[:, None] * (P - Y)).T @ X) / s.sum()


@pytest.mark.parametrize("classes", [2, 4])
def test_kkt_conditions_at_the_answer(classes):
    X, y = _data(classes=classes, seed=11)
    alpha, rho = 0.01, 0.7
    clf = RegularizedClassifier("elasticnet", alpha, l1_ratio=rho, tol=1e-13).fit(X, y)
    G = _loss_gradient(X, y, clf.coef_, clf.intercept_) + alpha * (1 - rho) * clf.coef_
    W = clf.coef_
    on = W != 0
    # a gap of 1e-13 bounds the gradient's error by about sqrt(2 L gap) ~ 1e-6
    np.testing.assert_allclose(G[on], -alpha * rho * np.sign(W[on]), atol=1e-6)
    assert np.all(np.abs(G[~on]) <= alpha * rho + 1e-6)
    assert 0 <= clf.dual_gap_ <= 1e-13 * np.log(classes)


@pytest.mark.parametrize("classes", [2, 3])
def test_alpha_max_gives_the_all_zero_model_and_slightly_below_does_not(classes):
    X, y = _data(classes=classes, seed=3)
    cv = RegularizedClassifierCV("l1", alphas=5, cv=3).fit(X, y)
    top = cv.alphas_[0]
    with pytest.warns(UserWarning, match="at or above alpha_max"):
        at = RegularizedClassifier("l1", top).fit(X, y)
    assert not np.any(at.coef_)
    below = RegularizedClassifier("l1", 0.99 * top).fit(X, y)
    assert np.any(below.coef_)
    # independent: the gradient of the null model, max over classes and features
    classes_, codes = np.unique(y, return_inverse=True)
    share = np.bincount(codes) / len(y)
    G = _loss_gradient(X, y, np.zeros((1 if classes == 2 else classes, X.shape[1])),
                       np.log(share[1] / share[0]) if classes == 2 else np.log(share))
    assert top == pytest.approx(np.abs(G).max(), rel=1e-10)


def test_penalty_factor_by_name_and_unpenalised_features():
    pd = pytest.importorskip("pandas")
    X, y = _data(p=6, seed=5)
    names = [f"f{j}" for j in range(6)]
    frame = pd.DataFrame(X, columns=names)
    factor = {"f0": 0.0, "f1": 1.0, "f2": 2.0, "f3": 1.0, "f4": 0.5, "f5": 1.0}
    by_name = RegularizedClassifier("l1", 0.05, penalty_factor=factor,
                                    tol=1e-12).fit(frame, y)
    by_array = RegularizedClassifier("l1", 0.05, penalty_factor=list(factor.values()),
                                     tol=1e-12).fit(X, y)
    np.testing.assert_allclose(by_name.coef_, by_array.coef_, atol=1e-12)
    # the unpenalised feature is fitted exactly: its gradient is zero
    G = _loss_gradient(X, y, by_array.coef_, by_array.intercept_)
    assert by_array.coef_[0, 0] != 0 and abs(G[0, 0]) <= 1e-9
    f = np.array(list(factor.values()))
    on = by_array.coef_[0] != 0
    np.testing.assert_allclose(G[0, on], -0.05 * f[on] * np.sign(by_array.coef_[0, on]),
                               atol=1e-9)


def test_class_weight_is_a_multiplier_of_sample_weight():
    X, y = _data(classes=3, seed=2)
    cw = {0: 2.0, 1: 0.5, 2: 1.5}
    a = RegularizedClassifier("l1", 0.01, class_weight=cw, tol=1e-12).fit(X, y)
    s = np.array([cw[c] for c in y])
    b = RegularizedClassifier("l1", 0.01, tol=1e-12).fit(X, y, sample_weight=s)
    np.testing.assert_allclose(a.coef_, b.coef_, atol=1e-10)


def test_labels_probabilities_and_shapes():
    X, y = _data(classes=2, seed=4)
    labels = np.where(y == 1, "spam", "ham")
    clf = RegularizedClassifier("l2", 0.01).fit(X, labels)
    assert list(clf.classes_) == ["ham", "spam"] and clf.coef_.shape == (1, X.shape[1])
    P = clf.predict_proba(X)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.log(P), clf.predict_log_proba(X), atol=1e-12)
    d = clf.decision_function(X)
    assert d.shape == (len(y),)
    np.testing.assert_array_equal(clf.predict(X), np.where(d > 0, "spam", "ham"))
    X3, y3 = _data(classes=3, seed=4)
    clf3 = RegularizedClassifier("l2", 0.01).fit(X3, y3 == 1)
    assert clf3.classes_.dtype == bool
    multi = RegularizedClassifier("l2", 0.01).fit(X3, y3)
    assert multi.coef_.shape == (3, X3.shape[1])
    assert multi.decision_function(X3).shape == (len(y3), 3)


@pytest.mark.parametrize("solver", ["prox_newton", "lbfgs"])
def test_separable_data_without_penalty_warns_and_stays_finite(solver):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    y = (X[:, 0] > 0).astype(int)
    with pytest.warns(ConvergenceWarning, match="separate the classes|separable"):
        clf = RegularizedClassifier(None, max_iter=30, solver=solver).fit(X, y)
    assert np.all(np.isfinite(clf.coef_)) and np.all(np.isfinite(clf.intercept_))
    assert clf.score(X, y) == 1.0


def test_a_fit_that_raises_keeps_the_previous_model():
    X, y = _data(seed=9)
    clf = RegularizedClassifier("l1", 0.01).fit(X, y)
    coef = clf.coef_.copy()
    with pytest.raises(ValueError, match="at least 2 classes"):
        clf.fit(X, np.zeros(len(y)))
    np.testing.assert_array_equal(clf.coef_, coef)
    assert clf.n_features_in_ == X.shape[1]


def test_warm_start_needs_fewer_iterations():
    X, y = _data(classes=3, p=20, seed=8)
    clf = RegularizedClassifier("l1", 0.005, warm_start=True, tol=1e-8).fit(X, y)
    first = clf.n_iter_
    clf.set_params(alpha=0.0045).fit(X, y)
    cold = RegularizedClassifier("l1", 0.0045, tol=1e-8).fit(X, y)
    assert clf.n_iter_ < first and clf.n_iter_ <= cold.n_iter_
    np.testing.assert_allclose(clf.coef_, cold.coef_, atol=1e-6)


@pytest.mark.parametrize("penalty", ["l1", "l2"])
def test_cv_chooses_what_grid_search_chooses(penalty):
    X, y = _data(n=240, classes=3, seed=12)
    folds = list(StratifiedKFold(4).split(X, y))
    cv = RegularizedClassifierCV(penalty, alphas=12, cv=folds, tol=1e-13).fit(X, y)
    grid = GridSearchCV(RegularizedClassifier(penalty, tol=1e-13),
                        {"alpha": list(cv.alphas_)}, cv=folds,
                        scoring="neg_log_loss").fit(X, y)
    # the same mean held-out log loss at every alpha, so the same choice
    np.testing.assert_allclose(cv.log_loss_path_.mean(axis=1),
                               -grid.cv_results_["mean_test_score"], rtol=1e-6)
    assert cv.alpha_ == pytest.approx(grid.best_params_["alpha"])
    # the refit follows the path with warm starts: the cold fit's answer
    cold = RegularizedClassifier(penalty, cv.alpha_, tol=1e-13).fit(X, y)
    np.testing.assert_allclose(cv.coef_, cold.coef_, atol=1e-6)


def test_cv_any_scorer_and_l1_ratio_list_with_zero():
    X, y = _data(n=200, seed=13)
    cv = RegularizedClassifierCV("elasticnet", l1_ratio=[0.0, 0.5, 1.0], alphas=6,
                                 cv=3, scoring="roc_auc").fit(X, y)
    assert cv.score_path_.shape == (3, 6, 3) and cv.l1_ratio_ in (0.0, 0.5, 1.0)
    assert cv.alphas_.shape == (3, 6)


def test_cv_groups_are_routed_to_the_splitter():
    from sklearn.model_selection import GroupKFold
    X, y = _data(n=120, seed=14)
    groups = np.repeat(np.arange(6), 20)
    cv = RegularizedClassifierCV("l1", alphas=4, cv=GroupKFold(3)).fit(X, y,
                                                                        groups=groups)
    assert cv.log_loss_path_.shape == (4, 3)


def test_logistic_path_equals_cold_fits():
    from skreg import logistic_regularization_path
    X, y = _data(classes=3, seed=15)
    alphas, coefs, intercepts, gaps = logistic_regularization_path(
        X, y, penalty="elasticnet", alphas=6, tol=1e-13)
    assert coefs.shape == (3, X.shape[1], 6) and np.all(np.diff(alphas) < 0)
    for k in (0, 3, 5):
        cold = RegularizedClassifier("elasticnet", alphas[k], tol=1e-13).fit(X, y)
        np.testing.assert_allclose(coefs[:, :, k], cold.coef_, atol=1e-6)
        np.testing.assert_allclose(intercepts[:, k], cold.intercept_, atol=1e-6)
    assert not np.any(coefs[:, :, 0]) and np.all(gaps >= 0)


def test_ctrl_c_keeps_the_last_iterate_with_a_warning(monkeypatch):
    """The solver re-raises Ctrl-C with its last iterate attached; the estimator
    keeps that model and says so."""
    import skreg._logistic_path as lp
    X, y = _data(seed=16)
    real = lp.solve_logistic

    def interrupted(problem, penalty, tol, max_iter, *args):
        result = real(problem, penalty, tol, 2, *args)       # two iterations
        exc = KeyboardInterrupt()
        exc.skreg_result = result
        raise exc

    monkeypatch.setattr(lp, "solve_logistic", interrupted)
    with pytest.warns(UserWarning, match="interrupted"):
        clf = RegularizedClassifier("l1", 0.001, solver="prox_newton").fit(X, y)
    monkeypatch.setattr(lp, "solve_logistic", real)
    full = RegularizedClassifier("l1", 0.001, solver="prox_newton").fit(X, y)
    assert clf.n_iter_ == 2 and np.all(np.isfinite(clf.coef_))
    assert not np.allclose(clf.coef_, full.coef_)
