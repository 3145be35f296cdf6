"""The elimination of unpenalised coordinates (skreg._unpenalized) on its own:
the reduced problem in every form against least squares on the unpenalised
columns (numpy's lstsq), the recovered coefficients, the certificate."""

import numpy as np
import pytest
import scipy.sparse as sp

from skreg._datafit import prepare_problem
from skreg._penalties import ElasticNetPenalty
from skreg._unpenalized import certified_gap, eliminate, unpenalized_features


def _data(seed=0, n=40, p=7):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, p) + rng.uniform(-2, 2, p)
    Y = np.column_stack([X @ rng.randn(p) + rng.randn(n), rng.randn(n)])
    sw = rng.uniform(0.5, 2, n)
    return X, Y, sw


FREE = np.array([1, 4])


def _full_data_term(X, Y, sw, w, k):
    """min over b of 1/(2S) sum s_i (y_ik - x_i.w - b)^2 (direct)."""
    s = sw / sw.sum()
    r = Y[:, k] - X @ w
    r = r - s @ r
    return 0.5 * float(s @ r**2)


@pytest.mark.parametrize("form", ["dense", "sparse", "gram"])
def test_reduced_problem_is_the_minimum_over_the_unpenalised_coordinates(form):
    X, Y, sw = _data()
    Xin = sp.csr_matrix(X) if form == "sparse" else X
    problem = prepare_problem(Xin, Y, sw, True, "gram" if form == "gram" else "rows")
    elim = eliminate(problem, FREE)
    kept = elim.kept
    rng = np.random.RandomState(3)
    for k in range(2):
        wP = rng.randn(kept.size)
        # independent: weighted least squares over (w_U, b) with w_P fixed
        Z = np.column_stack([X[:, FREE], np.ones(len(sw))]) * np.sqrt(sw)[:, None]
        target = (Y[:, k] - X[:, kept] @ wP) * np.sqrt(sw)
        sol = np.linalg.lstsq(Z, target, rcond=None)[0]
        w = np.zeros(X.shape[1])
        w[kept], w[FREE] = wP, sol[:-1]
        best = _full_data_term(X, Y, sw, w, k)
        # the reduced problem's data term at w_P (from its correlations)
        _, rr, _ = elim.reduced.correlations(wP, k)
        assert abs(0.5 * rr - best) <= 1e-10 * best
        # the recovered w_U
        full = elim.expand(np.tile(wP, (2, 1)), np.float64)[k]
        np.testing.assert_allclose(full[FREE], sol[:-1], rtol=1e-9, atol=1e-10)


def test_certificate_of_the_reduced_problem_bounds_the_full_suboptimality():
    X, Y, sw = _data()
    problem = prepare_problem(X, Y, sw, True)
    f = np.ones(X.shape[1])
    f[FREE] = 0
    penalty = ElasticNetPenalty(0.2, 0.6, factor=f)
    np.testing.assert_array_equal(unpenalized_features(penalty, X.shape[1]), FREE)
    from skreg._solvers import solve

    result = solve(problem, penalty, "working_set", 1e-14, 10_000)
    w_opt = result.coef[0]
    assert certified_gap(problem, w_opt, 0, penalty) <= 1e-12

    def F(w):
        return _full_data_term(X, Y, sw, w, 0) + penalty.value(w)

    rng = np.random.RandomState(0)
    for _ in range(5):
        w = w_opt + 0.05 * rng.randn(X.shape[1])
        gap = certified_gap(problem, w, 0, penalty)
        # the gap bounds F(w with w_U at its optimum) - F(optimum), and that point
        # is at most F(w)
        elim = eliminate(problem, FREE)
        w_best = elim.expand(np.tile(w[elim.kept], (2, 1)), np.float64)[0]
        assert F(w_best) <= F(w) + 1e-12
        assert F(w_best) - F(w_opt) <= gap + 1e-12
        assert gap > 0


def test_no_elimination_without_unpenalised_coordinates():
    p = 5
    assert unpenalized_features(ElasticNetPenalty(1.0, 0.5), p) is None
    assert unpenalized_features(ElasticNetPenalty(0.0, 0.5, factor=np.zeros(p)), p) is None
    f = np.array([0.0, 1, 1, 1, 1])
    assert unpenalized_features(ElasticNetPenalty(1.0, 0.5, factor=f,
                                                  ridge=np.ones(p)), p) is None
    np.testing.assert_array_equal(
        unpenalized_features(ElasticNetPenalty(1.0, 0.5, factor=f), p), [0])


@pytest.mark.parametrize("form", ["dense", "gram"])
def test_constant_unpenalised_column_gets_zero(form):
    X, Y, sw = _data()
    X[:, 1] = 3.0                       # constant: zero after centring
    problem = prepare_problem(X, Y, sw, True, "gram" if form == "gram" else "rows")
    elim = eliminate(problem, FREE)
    assert elim.rank == 1
    full = elim.expand(np.ones((2, X.shape[1] - 2)), np.float64)
    np.testing.assert_array_equal(full[:, 1], 0.0)
