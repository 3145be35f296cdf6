"""L-BFGS for the classifier's smooth objectives (L2, dropout, or none).

Without an L1 part the objective of :mod:`skreg._logistic` is smooth, and
scipy's L-BFGS-B (bounds for ``positive=True``) minimises it with one product
with ``X`` and one with ``X^T`` per evaluation, stopped by the same float64
duality gap as the proximal Newton solver.
"""

import numpy as np
from scipy.optimize import minimize

from .._logistic import log_probabilities
from ._prox_newton import LogisticResult


def solve_logistic_lbfgs(problem, penalty, tol=1e-4, max_iter=1000, coef_init=None,
                         intercept_init=None):
    """L-BFGS (scipy's L-BFGS-B) for a penalty without an L1 part: ``F`` is then
    smooth (``positive=True`` becomes bounds).  Each evaluation costs one
    product with ``X`` and one with ``X^T``; the duality gap is computed from
    them at every evaluation, and the run stops as soon as the accepted
    iterate's gap is within ``tol * F0`` (the same certificate as
    :func:`solve_logistic`).  For multinomial losses and for dense ``n >> p``
    ridge problems it is faster than forming Hessians (see the benchmarks in
    the module docstring's notes).

    ``solver="auto"`` takes it for every penalty without an L1 part
    (:func:`skreg._solvers.logistic_plan`): measured faster than the Newton
    steps on L2 problems, tall, wide and multinomial alike.
    """
    if penalty.has_l1:
        raise ValueError("solve_logistic_lbfgs needs a penalty without an L1 part.")
    p, m = problem.shape[1], problem.n_coef
    l1, l2 = penalty.weights(p)
    tol_abs = tol * problem.null_objective()
    nb = m if problem.fit_intercept else 0
    W0 = (np.zeros((m, p)) if coef_init is None
          else np.asarray(coef_init, dtype=np.float64).reshape(m, p))
    b0 = (problem.null_intercept() if intercept_init is None
          else np.asarray(intercept_init, dtype=np.float64).reshape(m))
    last = {}

    def split(x):
        return x[:m * p].reshape(m, p), (x[m * p:] if nb else np.zeros(m))

    def fun(x):
        W, b = split(x)
        eta = problem.linear(W, b)
        probs = log_probabilities(eta)
        G, gb = problem.gradient(probs[1])
        F, gap = problem.primal_and_gap(W, b, penalty, eta, G, probs)
        last.update(x=x.copy(), gap=gap, F=F)
        grad = np.concatenate([(G + l2 * W).ravel(), gb if nb else []])
        return F, grad

    def stop(intermediate_result):
        if np.array_equal(intermediate_result.x, last["x"]) and last["gap"] <= tol_abs:
            raise StopIteration

    bounds = [(0.0, None) if penalty.positive else (None, None)] * (m * p) + \
        [(None, None)] * nb
    x0 = np.concatenate([W0.ravel(), b0 if nb else []])
    try:
        res = minimize(fun, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                       callback=stop, options=dict(maxiter=max_iter, ftol=0.0,
                                                   gtol=0.0, maxcor=10))
    except KeyboardInterrupt as exc:
        W, b = split(last.get("x", x0))
        F, gap = problem.primal_and_gap(W, b, penalty)
        exc.skreg_result = LogisticResult(W.astype(problem.dtype), b.astype(problem.dtype),
                                          1, gap, gap <= tol_abs, np.arange(p), F)
        raise
    W, b = split(res.x)
    F, gap = problem.primal_and_gap(W, b, penalty)
    n_iter = max(int(res.nit), 1) if coef_init is None else int(res.nit)
    return LogisticResult(W.astype(problem.dtype), b.astype(problem.dtype), n_iter,
                          gap, gap <= tol_abs, np.arange(p), F)
