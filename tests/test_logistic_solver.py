"""The numeric core of the regularised classifier: the logistic / multinomial
loss (skreg._logistic) and its proximal Newton solver
(skreg._solvers._prox_newton), each compared to an independent truth:
scikit-learn's LogisticRegression, scipy's L-BFGS-B, the optimality conditions,
and the objective written out below."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.special import logsumexp
from sklearn.linear_model import LogisticRegression

from skreg import _logistic
from skreg._logistic import LogisticProblem
from skreg._penalties import ElasticNetPenalty
from skreg._solvers import _prox_newton
from skreg._solvers._logistic_lbfgs import solve_logistic_lbfgs
from skreg._solvers._prox_newton import (
    logistic_alpha_max,
    solve_logistic,
)

# a NaN, an overflow or a division by zero anywhere is a failure
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


# ------------------------------------------------------------ the truth, written out
def objective(X, y, W, b, alpha, l1_ratio, s=None, factor=None):
    """1/S sum_i s_i (logsumexp(eta_i) - eta_{i y_i}) + alpha sum_j f_j (rho |w_j| +
    (1 - rho) / 2 w_j^2); the binary model is eta = [0, x.w + b]."""
    X = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    W = np.atleast_2d(np.asarray(W, dtype=np.float64))
    b = np.atleast_1d(np.asarray(b, dtype=np.float64))
    s = np.ones(X.shape[0]) if s is None else np.asarray(s, dtype=np.float64)
    f = np.ones(X.shape[1]) if factor is None else np.asarray(factor, dtype=np.float64)
    eta = X @ W.T + b
    if W.shape[0] == 1:
        eta = np.column_stack([np.zeros(X.shape[0]), eta[:, 0]])
    loss = logsumexp(eta, axis=1) - eta[np.arange(X.shape[0]), y]
    pen = np.sum(f * (l1_ratio * np.abs(W) + 0.5 * (1.0 - l1_ratio) * W**2))
    return float(s @ loss) / s.sum() + alpha * pen


def lbfgs_reference(X, y, n_classes, alpha, l1_ratio, s=None, factor=None,
                    fit_intercept=True, positive=False):
    """The minimiser of :func:`objective` by L-BFGS-B on the split form ``W = U -
    V`` (``U, V >= 0``: the L1 term becomes linear and smooth), an independent
    generic solver.  Returns ``(W, b, value)``."""
    X = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    n, p = X.shape
    m = 1 if n_classes == 2 else n_classes
    s = np.ones(n) if s is None else np.asarray(s, dtype=np.float64)
    f = np.ones(p) if factor is None else np.asarray(factor, dtype=np.float64)
    a = s / s.sum()
    Y = np.eye(n_classes)[y]
    nb = m if fit_intercept else 0

    def unpack(z):
        U = z[:m * p].reshape(m, p)
        V = z[m * p:2 * m * p].reshape(m, p)
        b = z[2 * m * p:] if fit_intercept else np.zeros(m)
        return U, V, b

    def fun(z):
        U, V, b = unpack(z)
        W = U - V
        eta = X @ W.T + b
        if m == 1:
            eta = np.column_stack([np.zeros(n), eta[:, 0]])
        lse = logsumexp(eta, axis=1)
        loss = float(a @ (lse - np.sum(Y * eta, axis=1)))
        R = a[:, None] * (np.exp(eta - lse[:, None]) - Y)
        R = R[:, 1:] if m == 1 else R
        gW = R.T @ X + alpha * (1.0 - l1_ratio) * f * W
        gb = R.sum(axis=0)
        value = loss + alpha * np.sum(f * (l1_ratio * (U + V) + 0.5 * (1 - l1_ratio) * W**2))
        grad = np.concatenate([(gW + alpha * l1_ratio * f).ravel(),
                               (-gW + alpha * l1_ratio * f).ravel(),
                               gb if fit_intercept else []])
        return value, grad

    bounds = ([(0, None)] * (m * p) + [(0, 0) if positive else (0, None)] * (m * p)
              + [(None, None)] * nb)
    z0 = np.zeros(2 * m * p + nb)
    res = minimize(fun, z0, jac=True, method="L-BFGS-B", bounds=bounds,
                   options=dict(maxiter=50000, maxfun=100000, ftol=1e-15, gtol=1e-12))
    U, V, b = unpack(res.x)
    return U - V, b, res.fun


# ------------------------------------------------------------------ data
def _data(n_classes, n=120, p=8, seed=0, sparse=False, dtype=np.float64, weights=False):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    if sparse:
        X[rng.random((n, p)) < 0.5] = 0.0
    if n_classes == 2:
        y = (X[:, 0] - X[:, 1] + 0.5 * X[:, 2] + rng.standard_normal(n) > 0).astype(int)
    else:
        y = np.argmax(X[:, :n_classes] + rng.standard_normal((n, n_classes)), axis=1)
    s = rng.uniform(0.2, 3.0, n) if weights else np.ones(n)
    Xk = X.astype(dtype)
    if sparse:
        Xk = sp.csr_matrix(Xk)
    return Xk, y, s


def _fit(X, y, s, n_classes, alpha, l1_ratio, fit_intercept=True, tol=1e-12, **kw):
    problem = LogisticProblem(X, y, s, n_classes, fit_intercept)
    penalty = ElasticNetPenalty(alpha, l1_ratio, kw.pop("positive", False),
                                kw.pop("factor", None))
    return problem, penalty, solve_logistic(problem, penalty, tol=tol, max_iter=200, **kw)


def _close(ours, ref, rtol=1e-6):
    assert abs(ours - ref) <= rtol * abs(ref), (ours, ref, (ours - ref) / ref)


# ------------------------------------------------------- scikit-learn's answer
CASES = [
    # n_classes, l1_ratio, C, sparse, dtype, weights
    (2, 1.0, 0.5, False, np.float64, False),
    (2, 0.0, 0.5, False, np.float64, True),
    (2, 0.5, 0.2, True, np.float64, True),
    (2, 1.0, 1.0, False, np.float32, False),
    (3, 1.0, 0.5, False, np.float64, False),
    (3, 0.0, 0.3, False, np.float64, True),
    (4, 0.5, 0.5, True, np.float64, False),
    (3, 0.7, 1.0, False, np.float32, True),
]


@pytest.mark.parametrize("n_classes, l1_ratio, C, sparse, dtype, weights", CASES)
def test_matches_scikit_learn(n_classes, l1_ratio, C, sparse, dtype, weights):
    """LogisticRegression(C, l1_ratio) minimises C sum_i s_i loss_i + r(w), which
    is S C times our objective at alpha = 1 / (C S): the same minimiser."""
    X, y, s = _data(n_classes, sparse=sparse, dtype=dtype, weights=weights)
    alpha = 1.0 / (C * s.sum())
    problem, penalty, res = _fit(X, y, s, n_classes, alpha, l1_ratio)
    assert res.converged
    assert res.coef.dtype == dtype and res.coef.shape == (1 if n_classes == 2 else
                                                          n_classes, X.shape[1])
    solver = "lbfgs" if l1_ratio == 0 else "saga"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lr = LogisticRegression(C=C, l1_ratio=l1_ratio, solver=solver, tol=1e-13,
                                max_iter=100000).fit(X.astype(np.float64), y,
                                                     sample_weight=s)
    Xf = X.astype(np.float32) if dtype == np.float32 else X     # the data as given
    ours = objective(Xf, y, res.coef, res.intercept, alpha, l1_ratio, s)
    ref = objective(Xf, y, lr.coef_, lr.intercept_, alpha, l1_ratio, s)
    _close(ours, ref)
    assert ours <= ref + 1e-12 * abs(ref)       # never worse than the reference
    # the reported objective is the objective
    _close(res.objective, ours, 1e-9 if dtype == np.float64 else 1e-6)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("l1_ratio, positive, factor", [
    (1.0, False, None), (0.5, True, None), (0.3, False, "zeros"), (0.0, False, None)])
def test_matches_lbfgs_reference(n_classes, fit_intercept, l1_ratio, positive, factor):
    """Without intercept, with positive=True and with unpenalised features (no
    scikit-learn counterpart): against L-BFGS-B on the split form."""
    X, y, s = _data(n_classes, n=90, p=6, seed=3, weights=True)
    f = None if factor is None else np.array([0.0, 1.0, 2.0, 0.0, 1.0, 0.5])
    problem = LogisticProblem(X, y, s, n_classes, fit_intercept)
    alpha = 0.2 * logistic_alpha_max(problem, max(l1_ratio, 0.5), positive, f)
    _, _, res = _fit(X, y, s, n_classes, alpha, l1_ratio, fit_intercept,
                     positive=positive, factor=f)
    assert res.converged
    W, b, ref = lbfgs_reference(X, y, n_classes, alpha, l1_ratio, s, f, fit_intercept,
                                positive)
    ours = objective(X, y, res.coef, res.intercept, alpha, l1_ratio, s, f)
    assert ours <= ref + 1e-9 * abs(ref)
    _close(ours, ref, 1e-7)
    if positive:
        assert np.all(res.coef >= 0)
    if not fit_intercept:
        assert np.all(res.intercept == 0)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("l1_ratio", [0.0, 1.0])
def test_wide_designs(n_classes, l1_ratio):
    """n < p: ridge steps through X X^T (weights and centring applied to the
    kernel matrix), lasso steps on the rows; against L-BFGS-B."""
    X, y, s = _data(n_classes, n=40, p=60, seed=11, weights=True)
    alpha = 0.05 if l1_ratio else 0.01
    res = _fit(X, y, s, n_classes, alpha, l1_ratio)[2]
    assert res.converged
    ref = lbfgs_reference(X, y, n_classes, alpha, l1_ratio, s)[2]
    ours = objective(X, y, res.coef, res.intercept, alpha, l1_ratio, s)
    assert ours <= ref + 1e-9 * abs(ref)
    _close(ours, ref, 1e-7)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("positive, fit_intercept", [(False, True), (True, False)])
def test_lbfgs_for_smooth_penalties(n_classes, positive, fit_intercept):
    """solve_logistic_lbfgs reaches the same optimum, certified by the same gap;
    it refuses an L1 part."""
    X, y, s = _data(n_classes, seed=12, weights=True)
    problem = LogisticProblem(X, y, s, n_classes, fit_intercept)
    penalty = ElasticNetPenalty(0.02, 0.0, positive)
    newton = solve_logistic(problem, penalty, tol=1e-11)
    quasi = solve_logistic_lbfgs(problem, penalty, tol=1e-11)
    assert newton.converged and quasi.converged
    _close(quasi.objective, newton.objective, 1e-10)
    if positive:
        assert np.all(quasi.coef >= 0)
    with pytest.raises(ValueError, match="L1"):
        solve_logistic_lbfgs(problem, ElasticNetPenalty(0.02, 0.5))


# -------------------------------------------------- the quadratic models themselves
def _point(problem, seed):
    rng = np.random.default_rng(seed)
    W = 0.3 * rng.standard_normal((problem.n_coef, problem.shape[1]))
    b = 0.3 * rng.standard_normal(problem.n_coef) * problem.fit_intercept
    eta = problem.linear(W, b)
    P = _logistic.log_probabilities(eta)[1]
    return W, b, eta, P


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_binary_model_is_the_prepared_least_squares_problem(sparse, fit_intercept):
    """The Gram form built from the gradient (C = Gc w - S (g_w - mu g_b), no
    second pass over X) is prepare_problem's on the working response."""
    X, y, s = _data(2, n=70, p=5, seed=13, sparse=sparse, weights=True)
    problem = LogisticProblem(X, y, s, 2, fit_intercept)
    W, b, eta, P = _point(problem, 1)
    G, gb = problem.gradient(P)
    curv = problem.curvature(P, 0)
    z = eta[:, 0] + (problem.Y[:, 1] - P[:, 1]) / curv
    h = s * curv
    ws = np.arange(5)
    model = _prox_newton._Curvature.of(problem.X, h, curv, ws, fit_intercept).model(
        z, W[0], G[0], gb[0], s.sum())
    ref = _prox_newton.prepare_problem(X, z[:, None], h, fit_intercept, "gram")
    np.testing.assert_allclose(model.G, ref.G, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(model.xty(0), ref.xty(0), rtol=1e-9, atol=1e-9)
    assert model.yy(0) == pytest.approx(ref.yy(0), rel=1e-10)
    np.testing.assert_allclose(model.X_mean, ref.X_mean, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(model.y_mean, ref.y_mean, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_kernel_ridge_step_is_the_closed_form(fit_intercept):
    """The wide ridge step from X X^T (weights and centring applied to it)
    equals the closed form on the prepared rows."""
    rng = np.random.default_rng(14)
    X = rng.standard_normal((30, 50)) + 3.0          # means to centre away
    z, h = rng.standard_normal(30), rng.uniform(0.05, 0.25, 30)
    w, b = _prox_newton._KernelRidge(X).solve(z, h, 0.07, fit_intercept)
    ref = _prox_newton.prepare_problem(X, z[:, None], h, fit_intercept, "rows")
    w_ref = _prox_newton.solve_closed_form(ref, ElasticNetPenalty(0.07, 0.0))[0]
    np.testing.assert_allclose(w, w_ref, rtol=1e-8, atol=1e-10)
    b_ref = float(ref.y_mean[0] - np.asarray(ref.X_mean) @ w_ref) if fit_intercept else 0
    assert b == pytest.approx(b_ref, rel=1e-8, abs=1e-10)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_joint_multinomial_model_is_the_second_order_expansion(fit_intercept):
    """G / S is the Hessian of the loss in (W, b) (finite differences of the
    gradient), C its linear part, and |yt|^2 makes the least-squares residual
    at theta0 sum_i s_i r_i^T H_i^+ r_i (non-negative, consistent)."""
    X, y, s = _data(3, n=60, p=4, seed=15, weights=True)
    problem = LogisticProblem(X, y, s, 3, fit_intercept)
    W, b, eta, P = _point(problem, 2)
    G, gb = problem.gradient(P)
    theta0 = np.concatenate([W.ravel(), b if fit_intercept else []])
    grad = np.concatenate([G.ravel(), gb if fit_intercept else []])
    cache = _prox_newton._JointCurvature.of(problem, problem.X, P, np.arange(4))
    model = cache.model(problem, eta, P, theta0, grad)
    S = s.sum()

    def gradient(theta):
        Wt = theta[:12].reshape(3, 4)
        bt = theta[12:] if fit_intercept else np.zeros(3)
        Pt = _logistic.log_probabilities(problem.linear(Wt, bt))[1]
        Gt, gbt = problem.gradient(Pt)
        return np.concatenate([Gt.ravel(), gbt if fit_intercept else []])

    eps = 1e-6
    hess = np.column_stack([(gradient(theta0 + eps * e) - gradient(theta0 - eps * e))
                            / (2 * eps) for e in np.eye(theta0.size)])
    np.testing.assert_allclose(model.G / S, hess, atol=1e-7)
    np.testing.assert_allclose((model.G @ theta0 - model.xty(0)) / S, grad, atol=1e-12)
    R = P - problem.Y
    rr = model.yy(0) - 2 * model.xty(0) @ theta0 + theta0 @ model.G @ theta0
    assert rr == pytest.approx(float(s @ np.sum(R * R / P, axis=1)), rel=1e-8)


# ------------------------------------------------------------------- the gap
def _penalties(p):
    return [ElasticNetPenalty(0.05, 1.0), ElasticNetPenalty(0.05, 0.5),
            ElasticNetPenalty(0.05, 0.0), ElasticNetPenalty(0.05, 0.8, positive=True),
            ElasticNetPenalty(0.05, 1.0, factor=np.r_[0.0, np.ones(p - 1)])]


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_gap_bounds_suboptimality_at_random_points(n_classes, fit_intercept):
    """F(W, b) - F* <= gap at any point (a certificate, so never negative), for
    every kind of penalty; F* from a tight solve."""
    X, y, s = _data(n_classes, n=80, p=5, seed=1, weights=True)
    problem = LogisticProblem(X, y, s, n_classes, fit_intercept)
    m = problem.n_coef
    rng = np.random.default_rng(7)
    for penalty in _penalties(5):
        best = solve_logistic(problem, penalty, tol=1e-13, max_iter=200)
        for scale in (1e-3, 0.1, 1.0, 10.0):
            W = scale * rng.standard_normal((m, 5))
            if penalty.positive:
                W = np.abs(W)
            b = scale * rng.standard_normal(m) if fit_intercept else np.zeros(m)
            F, gap = problem.primal_and_gap(W, b, penalty)
            assert np.isfinite(gap) and gap >= 0.0
            _close(F, objective(X, y, W, b, penalty.alpha, penalty.l1_ratio, s,
                                penalty.factor), 1e-12)
            if penalty.factor is None:       # (unpenalised: a measure, not a bound)
                assert F - best.objective <= gap * (1 + 1e-9) + 1e-14


@pytest.mark.parametrize("n_classes", [2, 3])
def test_gap_vanishes_at_the_optimum(n_classes):
    """< 1e-10 of F0 at a tight optimum, recomputed from scratch; and the
    optimality conditions hold (the distance of -grad to the subdifferential;
    a gap pins it only to about sqrt(2 l2 gap) where there is an L2 part)."""
    X, y, s = _data(n_classes, n=150, p=10, seed=2, weights=True)
    problem = LogisticProblem(X, y, s, n_classes, True)
    F0 = problem.null_objective()
    for penalty in _penalties(10):
        res = solve_logistic(problem, penalty, tol=1e-12, max_iter=200)
        assert res.converged
        W = res.coef.astype(np.float64)
        b = res.intercept.astype(np.float64)
        F, gap = problem.primal_and_gap(W, b, penalty)
        assert gap <= 1e-10 * F0
        P = _logistic.log_probabilities(problem.linear(W, b))[1]
        G, gb = problem.gradient(P)
        viol = max(penalty.subdiff_distance(W[k], G[k]).max() for k in range(len(W)))
        assert viol <= 1e-5 * penalty.alpha
        assert np.max(np.abs(gb)) <= 1e-6        # (also about sqrt(gap))


def test_null_model_and_its_objective():
    """F0 is the weighted entropy of the class shares, at b = log shares."""
    X, y, s = _data(3, seed=4, weights=True)
    problem = LogisticProblem(X, y, s, 3, True)
    share = np.bincount(y, weights=s) / s.sum()
    F0 = problem.null_objective()
    assert F0 == pytest.approx(-np.sum(share * np.log(share)), rel=1e-14)
    b0 = problem.null_intercept()
    assert objective(X, y, np.zeros((3, 8)), b0, 0, 1, s) == pytest.approx(F0, rel=1e-14)
    assert LogisticProblem(X, y, s, 3, False).null_objective() == pytest.approx(np.log(3))
    Xb, yb, sb = _data(2, seed=4, weights=True)
    binary = LogisticProblem(Xb, yb, sb, 2, True)
    q = sb[yb == 1].sum() / sb.sum()
    assert binary.null_intercept()[0] == pytest.approx(np.log(q / (1 - q)), rel=1e-13)


# ---------------------------------------------------------------- alpha_max
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.4])
@pytest.mark.parametrize("factor", [None, "zeros"])
def test_alpha_max(n_classes, l1_ratio, factor):
    X, y, s = _data(n_classes, seed=5, weights=True)
    f = None if factor is None else np.r_[0.0, 2.0, np.ones(6)]
    problem = LogisticProblem(X, y, s, n_classes, True)
    amax = logistic_alpha_max(problem, l1_ratio, factor=f)
    penalised = slice(None) if f is None else f > 0
    at = _fit(X, y, s, n_classes, amax, l1_ratio, factor=f)[2]
    assert at.converged and not np.any(at.coef[:, penalised])
    below = _fit(X, y, s, n_classes, 0.99 * amax, l1_ratio, factor=f, tol=1e-8)[2]
    assert np.any(below.coef[:, penalised])
    if f is not None:       # the unpenalised feature is fitted at alpha_max
        assert np.all(at.coef[:, 0] != 0)


# ------------------------------------------------------------------ paths
@pytest.mark.parametrize("n_classes", [2, 3])
def test_warm_starts_along_a_path_equal_cold_fits(n_classes):
    X, y, s = _data(n_classes, n=150, p=20, seed=6, sparse=True)
    problem = LogisticProblem(X, y, s, n_classes, True)
    amax = problem.alpha_max(0.9)
    coef = intercept = ws = None
    for alpha in amax * np.geomspace(1, 1e-2, 6):
        penalty = ElasticNetPenalty(alpha, 0.9)
        warm = solve_logistic(problem, penalty, tol=1e-11, max_iter=200, coef_init=coef,
                              intercept_init=intercept, start_ws=ws)
        cold = solve_logistic(problem, penalty, tol=1e-11, max_iter=200)
        assert warm.converged and cold.converged
        _close(warm.objective, cold.objective, 1e-10)
        np.testing.assert_allclose(warm.coef, cold.coef, atol=1e-5)
        assert warm.n_iter <= cold.n_iter
        coef, intercept, ws = warm.coef, warm.intercept, warm.working_set


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("l1_ratio", [0.0, 1.0])
def test_far_warm_start_converges(n_classes, l1_ratio):
    """From a start where every probability saturates (full Newton steps would
    diverge there), the line search brings the iterates to the optimum."""
    X, y, s = _data(n_classes, seed=16)
    problem = LogisticProblem(X, y, s, n_classes, True)
    penalty = ElasticNetPenalty(0.01, l1_ratio)
    cold = solve_logistic(problem, penalty, tol=1e-10)
    rng = np.random.default_rng(0)
    start = 30.0 * rng.standard_normal((problem.n_coef, X.shape[1]))
    far = solve_logistic(problem, penalty, tol=1e-10, coef_init=start,
                         intercept_init=np.full(problem.n_coef, 20.0))
    assert cold.converged and far.converged
    _close(far.objective, cold.objective, 1e-9)


def test_best_shift_minimises_the_penalty_along_the_common_direction():
    """Multinomial rows may all move by the same v_j (the loss does not change):
    best_shift's v_j minimises sum_k l1 |w_kj - v| + l2 / 2 (w_kj - v)^2 (a
    fine grid around it finds nothing lower)."""
    rng = np.random.default_rng(17)
    W = rng.standard_normal((5, 6))
    W[:, 2] = 0.0
    W[1:3, 3] = 0.0
    l1 = np.array([0.3, 0.0, 0.1, 0.2, 0.05, 0.0])
    l2 = np.array([0.1, 0.4, 0.0, 0.0, 2.0, 0.0])
    v = _prox_newton.best_shift(W, l1, l2)

    def cost(j, t):
        return np.sum(l1[j] * np.abs(W[:, j] - t) + 0.5 * l2[j] * (W[:, j] - t) ** 2)

    for j in range(6):
        grid = v[j] + np.linspace(-3, 3, 6001)
        assert cost(j, v[j]) <= min(cost(j, t) for t in grid) + 1e-12
    assert v[2] == 0.0 and v[5] == 0.0      # zeros kept, no penalty: no shift


def test_class_cycling_equals_the_joint_step(monkeypatch):
    """Multinomial problems too large for the joint Hessian cycle over the
    classes: the same answer."""
    X, y, s = _data(4, n=150, p=12, seed=8, weights=True)
    joint = _fit(X, y, s, 4, 0.01, 0.7, tol=1e-10)[2]
    monkeypatch.setattr(_prox_newton, "_JOINT_MAX", 0)
    cycled = _fit(X, y, s, 4, 0.01, 0.7, tol=1e-10)[2]
    assert joint.converged and cycled.converged
    _close(cycled.objective, joint.objective, 1e-9)


# ------------------------------------------------------------ hard problems
@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("alpha", [0.0, 1e-12])
def test_separable_data_never_overflow(n_classes, alpha):
    """Separable data without (or with a vanishing) penalty: the coefficients
    grow without bound, yet every number stays finite and no overflow, invalid
    value or division by zero happens (underflow to 0 is fine); the solver
    stops, with an honest flag."""
    rng = np.random.default_rng(9)
    X = rng.standard_normal((60, 3))
    y = (X[:, 0] > 0).astype(int) if n_classes == 2 else np.digitize(X[:, 0], [-0.5, 0.5])
    problem = LogisticProblem(X, y, np.ones(60), n_classes, True)
    penalty = ElasticNetPenalty(alpha, 0.0)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise",
                                                divide="raise"):
        warnings.simplefilter("error")
        res = solve_logistic(problem, penalty, tol=1e-8, max_iter=40)
    assert np.all(np.isfinite(res.coef)) and np.all(np.isfinite(res.intercept))
    assert np.isfinite(res.gap) and res.gap >= 0
    assert res.objective < 1e-3 * problem.null_objective()
    if alpha == 0.0:
        assert not res.converged or res.objective < 1e-8 * problem.null_objective()


@pytest.mark.parametrize("l1_ratio", [1.0, 0.0])
def test_a_class_without_weight(l1_ratio):
    """A class whose samples all have weight 0: its intercept tends to -inf (the
    infimum is not attained), the dual point drops its column, and the solver
    converges to the tolerance with finite numbers."""
    X, y, s = _data(3, seed=18)
    s = np.where(y == 2, 0.0, 1.0)
    problem = LogisticProblem(X, y, s, 3, True)
    res = solve_logistic(problem, ElasticNetPenalty(0.01, l1_ratio), tol=1e-8)
    assert res.converged and np.all(np.isfinite(res.coef))
    ref = lbfgs_reference(X, y, 3, 0.01, l1_ratio, s)[2]
    assert res.objective <= ref + 1e-7 * abs(ref)


def test_ctrl_c_keeps_the_last_iterate(monkeypatch):
    X, y, s = _data(2, seed=10)
    problem = LogisticProblem(X, y, s, 2, True)
    penalty = ElasticNetPenalty(0.01, 1.0)
    calls = {"n": 0}
    real = _prox_newton.log_probabilities

    def interrupted(eta):
        calls["n"] += 1
        if calls["n"] == 6:
            raise KeyboardInterrupt
        return real(eta)

    monkeypatch.setattr(_prox_newton, "log_probabilities", interrupted)
    with pytest.raises(KeyboardInterrupt) as info:
        solve_logistic(problem, penalty, tol=1e-12, max_iter=100)
    result = info.value.skreg_result
    assert np.all(np.isfinite(result.coef)) and np.isfinite(result.gap)
    assert result.n_iter >= 1 and not result.converged
    F = objective(X, y, result.coef, result.intercept, 0.01, 1.0, s)
    assert F < 0.99 * problem.null_objective()   # an accepted step, not the start
    _close(result.objective, F, 1e-12)
