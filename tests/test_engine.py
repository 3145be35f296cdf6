"""The solver engine on its own: compiled kernels against plain numpy, every solver
and problem form against the duality gap on hard designs, monotone outer
iterations, interrupts, and the numba cache in a read-only install."""

import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_diabetes
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from skreg import RegularizedRegressor
from skreg._datafit import prepare_problem
from skreg._penalties import ElasticNetPenalty, PenaltySpec
from skreg import _kernels as K
from skreg._solvers import _cd, solve


def _poly3():
    X, y = load_diabetes(return_X_y=True)
    X = PolynomialFeatures(3, include_bias=False).fit_transform(X)
    return StandardScaler().fit_transform(X), y


def _duplicated(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(150, 40))
    X[:, 20:30] = X[:, :10]                       # exact duplicates
    X[:, 30] = 2.0 * X[:, 1] - X[:, 2]            # and a linear combination
    return X, X[:, :8] @ rng.normal(size=8) + 0.3 * rng.normal(size=150)


# --------------------------------------------------------- kernels against numpy
def _reference_epoch(Xt, yt, w, ws, l1, l2, positive, S):
    """One cyclic coordinate-descent epoch written with numpy, from scratch."""
    w = w.astype(np.float64).copy()
    for j in ws:
        col = Xt[:, j].astype(np.float64)
        a = col @ col / S
        if a <= 0:
            continue
        r = yt - Xt.astype(np.float64) @ w
        z = a * w[j] + col @ r / S
        if positive:
            w[j] = max(z - l1[j], 0.0) / (a + l2[j])
        else:
            w[j] = np.sign(z) * max(abs(z) - l1[j], 0.0) / (a + l2[j])
    return w


def _epoch_problem(seed, n=60, p=12):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) + rng.normal(size=p) * 3
    y = X @ rng.normal(size=p) + rng.normal(size=n)
    sw = rng.uniform(0.2, 2.0, n)
    l1 = rng.uniform(0.0, 0.5, p)
    l2 = rng.uniform(0.0, 0.3, p)
    w0 = rng.normal(size=p) * (rng.uniform(size=p) < 0.5)
    ws = np.sort(rng.choice(p, 8, replace=False)).astype(np.int64)
    return X, y, sw, l1, l2, w0, ws


@pytest.mark.parametrize("positive", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_one_epoch_of_every_form_is_the_numpy_epoch(positive, dtype):
    X, y, sw, l1, l2, w0, ws = _epoch_problem(1)
    if positive:
        w0 = np.abs(w0)
    dense = prepare_problem(X.astype(dtype), y[:, None].astype(dtype), sw.astype(dtype),
                            True, form="rows")
    Xt = dense.X.astype(np.float64)
    yt = dense.target(0).astype(np.float64)
    S = dense.n_weight
    ref = _reference_epoch(Xt, yt, w0, ws, l1, l2, positive, S)
    tol = 1e-10 if dtype == np.float64 else 2e-4
    # dense rows
    w = w0.astype(dtype)
    r = (yt - Xt @ w0).astype(dtype)
    v = np.empty(ws.size)
    K.cd_epoch_dense(dense.X, r, w, ws, dense.col_sq_norms() / S, l1, l2, positive,
                     1.0 / S, v)
    np.testing.assert_allclose(w, ref, rtol=tol, atol=tol)
    np.testing.assert_allclose(r, yt - Xt @ w.astype(np.float64), rtol=tol, atol=tol)
    # sparse rows, implicit centring
    sparse = prepare_problem(sp.csr_matrix(X.astype(dtype)), y[:, None].astype(dtype),
                             sw.astype(dtype), True, form="rows")
    state = _cd._SparseState(sparse, 0, w0.astype(dtype))
    w = w0.astype(dtype)
    data, indices, indptr, mu, smu, root = sparse.kernel_view()
    K.cd_epoch_sparse(data, indices, indptr, mu, smu, root, state.rs, state.q, w, ws,
                      sparse.col_sq_norms() / S, l1, l2, positive, 1.0 / S, v)
    np.testing.assert_allclose(w, ref, rtol=tol, atol=tol)
    np.testing.assert_allclose(state.rs, yt - Xt @ w.astype(np.float64), rtol=tol,
                               atol=tol * 10)
    # Gram block (float64 always)
    Q = Xt[:, ws].T @ Xt[:, ws] / S
    c = Xt[:, ws].T @ yt / S - Xt[:, ws].T @ (Xt @ np.where(np.isin(np.arange(12), ws),
                                                           0.0, w0)) / S
    x = w0[ws].astype(np.float64)
    grad = Q @ x - c
    K.cd_epoch_gram(Q, grad, x, l1[ws], l2[ws], positive, np.empty(ws.size))
    np.testing.assert_allclose(x, ref[ws], rtol=1e-10 if dtype == np.float64 else tol,
                               atol=tol)
    np.testing.assert_allclose(grad, Q @ x - c, atol=1e-10)



def _dual_by_pieces(v, rr, ry, l1, l2):
    """The dual of an elastic net (every l1, l2 > 0) along the residual, maximised
    piece by piece over the sorted breakpoints in numpy: the reference."""
    a = np.abs(v)
    brk = np.sort(l1 / a)
    f = lambda k: ry - k * rr - np.sum(np.maximum(k * a - l1, 0.0) * a / l2)  # noqa
    D = lambda k: k * ry - 0.5 * k * k * rr - np.sum(  # noqa: E731
        np.maximum(k * a - l1, 0.0) ** 2 / (2 * l2))
    knots = np.concatenate([[0.0], brk])
    signs = np.array([f(k) for k in knots])
    i = np.flatnonzero(signs > 0)[-1]      # f decreases: the root is past knot i
    active = l1 / a <= knots[i]
    kappa = (ry + np.sum((a * l1 / l2)[active])) / (rr + np.sum((a * a / l2)[active]))
    return D(kappa)


@pytest.mark.parametrize("p, spread", [(3000, 1.0), (500, 6.0), (40, 12.0)])
def test_restricted_gap_on_many_breakpoints(p, spread):
    """Thousands of elastic-net breakpoints, spread over up to 12 decades (many
    Newton sweeps): the gap is the one of the dual maximised piece by piece."""
    rng = np.random.default_rng(p)
    for _ in range(5):
        v = rng.normal(size=p) * 10.0 ** rng.uniform(-spread / 2, spread / 2, p)
        l1, l2 = rng.uniform(0.1, 2, p), rng.uniform(0.01, 1, p)
        w = rng.normal(size=p) * (rng.uniform(size=p) < 0.3)
        rr, ry = rng.uniform(0.5, 3), rng.uniform(0.1, 2)
        primal, gap = K.restricted_gap(w, np.arange(p), v, rr, ry, l1, l2, False)
        dual = _dual_by_pieces(v, rr, ry, l1, l2)
        assert gap == pytest.approx(max(primal - dual, 0.0), rel=1e-9, abs=1e-12)

def test_restricted_gap_equals_the_python_duality_gap():
    rng = np.random.default_rng(2)
    for _ in range(200):
        p = int(rng.integers(1, 9))
        w = rng.normal(size=p) * (rng.uniform(size=p) < 0.6)
        v = rng.normal(size=p) * 10.0 ** rng.uniform(-3, 2)
        rr, ry = rng.uniform(0, 3), rng.normal() * 2
        l1 = rng.uniform(0, 2, p) * (rng.uniform(size=p) < 0.8)
        l2 = rng.uniform(0, 1, p) * (rng.uniform(size=p) < 0.7)
        positive = bool(rng.uniform() < 0.3)
        pen = ElasticNetPenalty(1.0, 0.5, positive)
        pen.l1, pen.l2 = l1, l2
        pen.has_l1, pen.has_l2 = bool(np.any(l1 > 0)), bool(np.any(l2 > 0))
        primal, gap = K.restricted_gap(w, np.arange(p), v, rr, ry, l1, l2, positive)
        # the dual by brute force over kappa (concave: a fine grid brackets it)
        a = np.maximum(v, 0.0) if positive else np.abs(v)
        hard = (l2 == 0) & (a > 0)
        cap = np.min(l1[hard] / a[hard]) if np.any(hard) else 10.0
        kappas = np.linspace(0.0, min(cap, 10.0), 20001)
        soft = l2 > 0
        conj = (np.maximum(kappas[:, None] * a[None, soft] - l1[None, soft], 0.0) ** 2
                / (2 * l2[None, soft])).sum(axis=1)
        dual = np.max(kappas * ry - 0.5 * kappas**2 * rr - conj)
        p_ref = 0.5 * rr + np.sum(l1 * np.abs(w) + 0.5 * l2 * w * w)
        assert primal == pytest.approx(p_ref, rel=1e-12, abs=1e-12)
        # the kappa found is at least as good as the best of the grid (inputs
        # drawn at random need not be consistent, so a gap may clip at zero)
        assert gap <= max(p_ref - dual, 0.0) + 1e-9 * (1 + abs(p_ref))


# ------------------------------------------- every solver and form on hard designs
HARD = {"poly3": _poly3, "duplicated": _duplicated}


@pytest.mark.parametrize("design", list(HARD))
@pytest.mark.parametrize("penalty", ["l1", "elasticnet", "l2"])
@pytest.mark.parametrize("form", ["dense", "sparse", "gram"])
def test_every_solver_and_form_reaches_a_tight_gap(design, penalty, form):
    X, y = HARD[design]()
    Xin = sp.csc_matrix(X) if form == "sparse" else X
    problem = prepare_problem(Xin, y[:, None], np.ones(len(y)), True,
                              form="gram" if form == "gram" else "rows")
    corr = np.abs(problem.xty(0)).max() / problem.n_weight
    for fraction in (1e-1, 1e-3):
        pen = PenaltySpec.from_params(penalty, 0.5).at(corr * fraction)
        solvers = (["working_set"] if penalty != "l2" else ["cholesky", "working_set"])
        if penalty == "l2" and form != "gram":
            solvers.append("cg")
        for solver in solvers:
            result = solve(problem, pen, solver, 1e-10, 200_000)
            assert result.converged, (solver, result.gap)
            assert result.gap[0] <= 1e-10 * problem.zero_objective(0)


def test_outer_iterations_never_increase_the_objective(monkeypatch):
    X, y = _poly3()
    problem = prepare_problem(X, y[:, None], np.ones(len(y)), True, form="rows")
    corr = np.abs(problem.xty(0)).max() / problem.n_weight
    seen = []
    original = _cd._DenseState.correlations

    def spy(self, w):
        # the objective from a fresh residual (the solver's running one drifts
        # by rounding, about 1e-11 relative on this ill-conditioned design)
        r = problem.X.astype(np.float64) @ np.asarray(w, dtype=np.float64)
        r = problem.target(0) - r
        seen.append(0.5 * (r @ r) / problem.n_weight + pen.value(w))
        return original(self, w)

    monkeypatch.setattr(_cd._DenseState, "correlations", spy)
    for fraction in (1e-2, 1e-3):
        seen.clear()
        pen = PenaltySpec.from_params("l1").at(corr * fraction)
        _cd.solve_cd(problem, 0, pen, np.zeros(X.shape[1]), 1e-10 * problem.zero_objective(0),
                     100_000)
        assert len(seen) > 3
        assert np.all(np.diff(seen) <= 1e-12 * seen[0]), np.diff(seen).max()


@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
def test_sparse_equals_dense_to_1e10(penalty):
    rng = np.random.default_rng(4)
    X = sp.random(400, 120, density=0.05, random_state=4, format="csr")
    X.data = X.data + 1.0
    y = np.asarray(X @ rng.normal(size=120)).ravel() + rng.normal(size=400)
    sw = rng.uniform(0.5, 2.0, 400)
    kw = dict(alpha=0.005, l1_ratio=0.5, tol=1e-13, max_iter=100_000)
    a = RegularizedRegressor(penalty, **kw).fit(X, y, sample_weight=sw)
    b = RegularizedRegressor(penalty, **kw).fit(X.toarray(), y, sample_weight=sw)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-10, atol=1e-10)
    assert a.intercept_ == pytest.approx(b.intercept_, rel=1e-10)


def test_float32_kernels_keep_float32_and_reach_float32_accuracy():
    X, y = _duplicated(5)
    X32, y32 = X.astype(np.float32), y.astype(np.float32)
    for Xin in (X32, sp.csr_matrix(X32)):
        fit = RegularizedRegressor("l1", 0.01, tol=1e-6, solver="working_set").fit(Xin, y32)
        ref = RegularizedRegressor("l1", 0.01, tol=1e-12).fit(X, y)
        assert fit.coef_.dtype == np.float32
        f = lambda m: (0.5 * np.mean((y - X @ m.coef_.astype(float)  # noqa: E731
                                      - float(m.intercept_)) ** 2)
                       + 0.01 * np.abs(m.coef_.astype(float)).sum())
        assert f(fit) - f(ref) <= fit.dual_gap_ * (1 + 1e-6) + 1e-12


# -------------------------------------------------------------------- interrupts
def test_ctrl_c_keeps_the_last_iterate_with_a_warning(monkeypatch):
    X, y = _poly3()
    alpha = np.abs((X - X.mean(0)).T @ (y - y.mean())).max() / len(y) / 100
    before = RegularizedRegressor("l1", alpha, max_iter=1).fit(X, y)    # a model to keep
    calls = {"n": 0}
    original = _cd._DenseState.run

    def interrupted(self, *args):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return original(self, *args)

    monkeypatch.setattr(_cd._DenseState, "run", interrupted)
    model = RegularizedRegressor("l1", alpha, tol=1e-12, max_iter=100_000)
    with pytest.warns(UserWarning, match="interrupted"):
        model.fit(X, y)
    assert np.all(np.isfinite(model.coef_)) and np.any(model.coef_ != 0)
    assert np.isfinite(model.dual_gap_)
    # the reported gap is the true one of the iterate kept
    from _objective import objective
    full = RegularizedRegressor("l1", alpha, tol=1e-13, max_iter=1_000_000).fit(X, y)
    sub = objective(X, y, model.coef_, model.intercept_, alpha, 1.0) - objective(
        X, y, full.coef_, full.intercept_, alpha, 1.0)
    assert sub <= model.dual_gap_ * (1 + 1e-6) + 1e-9
    assert before.coef_ is not None


# ---------------------------------------------------------------- the numba cache
def test_read_only_install_still_fits(tmp_path):
    """numba cannot cache beside a read-only install nor in an unwritable cache
    folder: the kernels are compiled per process, with a warning, and fit."""
    import shutil

    import skreg

    pkg = tmp_path / "site" / "skreg"
    shutil.copytree(os.path.dirname(skreg.__file__), pkg,
                    ignore=shutil.ignore_patterns("__pycache__"))
    # a file where numba's cache folders would go: no locator can write there
    (pkg / "__pycache__").write_text("not a folder")
    blocked = tmp_path / "blocked"
    blocked.write_text("not a folder")
    script = textwrap.dedent("""
        import warnings
        import numpy as np
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            from skreg import RegularizedRegressor
            rng = np.random.default_rng(0)
            X = rng.normal(size=(50, 5)); y = X[:, 0] + 0.1 * rng.normal(size=50)
            m = RegularizedRegressor("l1", 0.01).fit(X, y)
        print(int(np.count_nonzero(m.coef_)), float(m.dual_gap_))
        print(any("cannot be cached" in str(w.message) for w in record))
        import skreg
        print(skreg.__file__)
    """)
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "site"),
               NUMBA_CACHE_DIR=str(blocked / "cache"),
               XDG_CACHE_HOME=str(blocked / "xdg"))       # the user-wide folder
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=600, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    nonzero, warned, location = out.stdout.split("\n")[:3]
    assert location.startswith(str(pkg))              # the copy, not this checkout
    assert int(nonzero.split()[0]) >= 1 and float(nonzero.split()[1]) >= 0.0
    assert warned == "True"


def test_compilation_prints_one_note_and_a_cached_run_none(tmp_path):
    """The process that compiles the kernels says so in one line on stderr; the
    next process, loading them from the cache it wrote, prints nothing."""
    script = textwrap.dedent("""
        import numpy as np
        from skreg import RegularizedRegressor
        rng = np.random.default_rng(0)
        X = rng.normal(size=(50, 5)); y = X[:, 0] + 0.1 * rng.normal(size=50)
        RegularizedRegressor("l1", 0.01).fit(X, y)
        RegularizedRegressor("elasticnet", 0.01).fit(X.astype(np.float32), y)
    """)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    runs = [subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                           text=True, timeout=600) for _ in range(2)]
    for run in runs:
        assert run.returncode == 0, run.stderr
    notes = [[line for line in run.stderr.splitlines() if line.startswith("skreg:")]
             for run in runs]
    assert len(notes[0]) == 1 and "compiling" in notes[0][0]
    assert notes[1] == []
