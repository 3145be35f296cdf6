"""Solvers for the penalised least-squares problem, and the one ``auto`` rule.

Every solver works on the centred, weighted problem of :mod:`skreg._datafit`
(``P(w) = |yt - Xt w|^2 / (2S) + g(w)``) for one target at a time (the closed
form takes all targets at once), and every iterative solver stops when the
duality gap is at most ``tol * P(0)``.

=================  ============================  ====================================
solver             penalties                     method
=================  ============================  ====================================
``"cholesky"``     ``"l2"``, None                closed form (p x p or n x n)
``"cg"``           ``"l2"``, None                conjugate gradients (CGLS)
``"working_set"``  all, and ``positive=True``    working sets; feature-sign, CD, FISTA
``"gd"``           all, and ``positive=True``    proximal gradient (ISTA)
=================  ============================  ====================================
"""

from dataclasses import dataclass

import numpy as np

from .._datafit import residual_gap, zero_objective
from ._cg import solve_cg
from ._closed_form import solve_closed_form
from ._prox_grad import solve_prox_grad
from ._working_set import solve_working_set

SOLVERS = ("auto", "cholesky", "cg", "working_set", "gd")
_SMOOTH_ONLY = ("cholesky", "cg")
# A dense Gram or kernel matrix above this size is not worth forming from a sparse X.
_MAX_DIRECT_SPARSE = 2000
# Refuse to allocate a dense matrix of more than this many entries (8 GB in float64).
_MAX_DIRECT_ENTRIES = 1_000_000_000
# Largest p for which the p x p Gram matrix replaces the rows of a tall problem.
_MAX_GRAM_FEATURES = 4000


@dataclass
class SolverResult:
    """What a solver hands back to the estimator."""

    coef: np.ndarray  # (n_targets, n_features)
    n_iter: list
    gap: np.ndarray  # (n_targets,): the float64 certificate, residual_gap
    converged_targets: np.ndarray  # (n_targets,) of bool
    solver: str
    # True when the solver met tol in its own (float32) arithmetic but the float64
    # certificate does not: float32 cannot resolve the tolerance asked for.
    precision_limited: bool = False

    @property
    def converged(self):
        """True when every target reached the tolerance."""
        return bool(np.all(self.converged_targets))


def check_solver(solver, penalty, shape):
    """Raise a ``ValueError`` naming the problem when ``solver`` cannot do the job."""
    if solver in _SMOOTH_ONLY and not penalty.is_smooth:
        what = "positive=True" if penalty.l1 == 0 else "an L1 term (penalty='l1' or 'elasticnet')"
        raise ValueError(
            f"solver={solver!r} handles only penalty='l2' or None without constraints, "
            f"but the problem has {what}; use solver='auto', 'working_set' or 'gd'."
        )
    if solver == "cholesky":
        k = min(shape)
        if k * k > _MAX_DIRECT_ENTRIES:
            raise ValueError(
                f"solver='cholesky' would form a dense {k} x {k} matrix "
                f"({k * k * 8 / 1e9:.1f} GB); use solver='cg' or 'auto'."
            )


def select_solver(solver, penalty, is_sparse, shape):
    """The ``solver="auto"`` rule, in one place.

    * L2 or no penalty, no constraint: the closed form, except for a sparse ``X``
      whose smaller dimension exceeds 2000, where conjugate gradients avoid a large
      dense matrix.
    * Anything with an L1 term or ``positive=True``: the working-set solver.
    """
    if solver != "auto":
        return solver
    if penalty.is_smooth:
        if is_sparse and min(shape) > _MAX_DIRECT_SPARSE:
            return "cg"
        return "cholesky"
    return "working_set"


def solve(data, penalty, solver, tol, max_iter, coef_init=None, caches=None):
    """Minimise ``P`` for each target held by ``data`` with the named solver.

    ``tol`` is relative: the duality gap must reach ``tol * P(0)`` with
    ``P(0) = |yt|^2 / (2S)``.  ``caches`` (one dict per target) lets the
    working-set solver reuse work between the warm-started calls of a path.
    """
    n_targets = data.n_targets
    n_features = data.shape[1]
    targets = [data.target(k) for k in range(n_targets)]
    if solver == "cholesky":
        coef = solve_closed_form(data, penalty).astype(data.out_dtype, copy=False)
        gaps = np.array([residual_gap(data, t, coef[k], penalty)
                         for k, t in enumerate(targets)])
        return SolverResult(coef, [1] * n_targets, gaps, np.ones(n_targets, bool),
                            solver)

    lipschitz = data.lipschitz() if solver == "gd" else None
    coef = np.zeros((n_targets, n_features), dtype=data.out_dtype)
    gaps = np.zeros(n_targets)
    n_iters = []
    converged = np.ones(n_targets, dtype=bool)
    limited = False
    for k, yk in enumerate(targets):
        tol_abs = tol * zero_objective(data, yk)
        w0 = (coef_init[k].astype(data.dtype, copy=True) if coef_init is not None
              else np.zeros(n_features, dtype=data.dtype))
        if solver == "cg":
            w, it, gap = solve_cg(data, yk, penalty, w0, tol_abs, max_iter)
        elif solver == "working_set":
            w, it, gap = solve_working_set(data, yk, penalty, w0, tol_abs, max_iter,
                                           cache=None if caches is None else caches[k])
        else:
            w, it, gap = solve_prox_grad(data, yk, penalty, w0, tol_abs, max_iter,
                                         lipschitz)
        coef[k] = w
        # the answer, in the data's dtype, is judged by the float64 certificate,
        # not by the solver's own gap
        gaps[k] = residual_gap(data, yk, coef[k], penalty)
        n_iters.append(it)
        converged[k] = gaps[k] <= tol_abs
        limited |= bool(gap <= tol_abs < gaps[k] and data.dtype != np.float64)
    return SolverResult(coef, n_iters, gaps, converged, solver, limited)


def use_gram(solver, penalty, X):
    """Whether to hold the problem by its Gram matrix (see ``GramLeastSquares``).

    The closed form needs the Gram matrix anyway when ``n >= p``.  The iterative
    solvers are given it when the data are much taller than wide (``n >= 4p``,
    measured: below that, the Gram blocks of the working set alone are cheaper).
    Conjugate gradients work on the rows, and ordinary least squares keeps them
    for the accuracy of an SVD on ill-conditioned designs.
    """
    n, p = X.shape
    if solver == "cg" or (penalty.l1 == 0 and penalty.l2 == 0 and not penalty.positive):
        return False
    if p > _MAX_GRAM_FEATURES:
        return False
    return n >= p if solver == "cholesky" else n >= 4 * p
