"""Penalties against their definitions: prox by brute-force minimisation, the
conjugate by the Fenchel-Young equality, the subdifferential distance by KKT."""

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from skreg._penalties import ElasticNetPenalty, PenaltySpec

CASES = [(1.0, 1.0, False), (0.5, 0.3, False), (2.0, 0.0, False), (0.7, 0.6, True),
         (1.0, 1.0, True), (0.0, 0.0, False)]


@pytest.mark.parametrize("alpha,l1_ratio,positive", CASES)
def test_prox_minimises_its_definition(alpha, l1_ratio, positive):
    pen = ElasticNetPenalty(alpha, l1_ratio, positive)
    z = np.linspace(-3, 3, 25)
    step = 0.7
    prox = pen.prox(z, step)
    for zi, pi in zip(z, prox, strict=True):
        lo = 0.0 if positive else -10.0

        def f(x, zi=zi):
            return pen.value(np.array([x])) + (x - zi) ** 2 / (2 * step)

        best = minimize_scalar(f, bounds=(lo, 10.0), method="bounded",
                               options={"xatol": 1e-12})
        assert f(pi) <= best.fun + 1e-9
        assert abs(pi - best.x) < 1e-5


def test_prox_gives_exact_zeros_only_with_l1():
    z = np.array([-0.3, 0.2, 0.05])
    assert np.all(PenaltySpec.from_params("l1", 0.5).at(1.0).prox(z, 0.5) == 0.0)
    assert np.all(PenaltySpec.from_params("l2", 0.5).at(1.0).prox(z, 0.5) != 0.0)


@pytest.mark.parametrize("alpha,l1_ratio,positive", [c for c in CASES if c[1] < 1
                                                     and c[0] > 0])
def test_conjugate_fenchel_young(alpha, l1_ratio, positive):
    """g*(v) = sup_w v.w - g(w), attained at w = prox-like maximiser; check by search."""
    pen = ElasticNetPenalty(alpha, l1_ratio, positive)
    for v in np.linspace(-3, 3, 13):
        lo = 0.0 if positive else -50.0
        best = minimize_scalar(lambda w, v=v: -(v * w - pen.value(np.array([w]))),
                               bounds=(lo, 50.0), method="bounded",
                               options={"xatol": 1e-12})
        assert pen.conjugate(np.array([v])) == pytest.approx(-best.fun, abs=1e-7)


@pytest.mark.parametrize("alpha,l1_ratio,positive", CASES)
def test_subdiff_distance_is_zero_exactly_at_prox_fixed_points(alpha, l1_ratio, positive):
    """On min_w 0.5 |w - z|^2 + g(w) the optimum is prox(z, 1), where the data
    gradient is w - z; elsewhere the distance must be positive."""
    pen = ElasticNetPenalty(alpha, l1_ratio, positive)
    z = np.random.RandomState(0).randn(50) * 2
    w = pen.prox(z, 1.0)
    np.testing.assert_allclose(pen.subdiff_distance(w, w - z), 0.0, atol=1e-12)
    moved = w + 0.1
    assert np.all(pen.subdiff_distance(moved, moved - z) > 0.01)


def test_value_matches_spec_formula():
    w = np.array([1.0, -2.0, 0.5])
    pen = PenaltySpec.from_params("elasticnet", 0.25).at(0.3)
    expected = 0.3 * (0.25 * 3.5 + 0.75 / 2 * (1 + 4 + 0.25))
    assert pen.value(w) == pytest.approx(expected)
    assert PenaltySpec.from_params(None, 0.5).at(5.0).value(w) == 0.0
