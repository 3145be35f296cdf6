"""Solvers for the penalised least-squares problem, the one ``auto`` rule, and the
one convergence rule.

Every solver works on a prepared problem (:mod:`skreg._datafit`: rows or Gram
form, ``P(w) = |yt - Xt w|^2 / (2S) + g(w)``) for one target at a time (the
closed form takes all targets at once).  The convergence rule is the same for
all: the duality gap of the answer, computed in float64 from a fresh residual
(``problem.gap``), must be at most ``tol * P(0)``.

=================  ========================  =============  ==========================
solver             penalties                 forms          method
=================  ========================  =============  ==========================
``"cholesky"``     ``"l2"``, None            rows, gram     closed form (p x p or n x n)
``"cg"``           ``"l2"``, None            rows           conjugate gradients (CGLS)
``"working_set"``  all, ``positive=True``    rows, gram     coordinate descent on
                                                            working sets, Anderson
``"gd"``           all, ``positive=True``    rows, gram     proximal gradient (ISTA)
=================  ========================  =============  ==========================
"""

from dataclasses import dataclass, field

import numpy as np

from ._cd import solve_cd
from ._cg import solve_cg
from ._closed_form import solve_closed_form
from ._prox_grad import solve_prox_grad
from .._unpenalized import solve_eliminated

SOLVERS = ("auto", "cholesky", "cg", "working_set", "gd")
_SMOOTH_ONLY = ("cholesky", "cg")
# A dense Gram or kernel matrix above this size is not worth forming from a sparse X.
MAX_DIRECT_SPARSE = 2000
# Refuse to allocate a dense matrix of more than this many entries (8 GB in float64).
_MAX_DIRECT_ENTRIES = 1_000_000_000
# Largest p for which the p x p Gram matrix replaces the rows of a tall problem.
_MAX_GRAM_FEATURES = 4000
# A closed form is exact up to the rounding of its float64 factorisation.
_CLOSED_FORM_ROUNDING = 1e-10


def _closed_form_rounding(problem, k, w):
    """The gap a float64 closed form is exact to: a fraction of ``P(0)``, or the
    rounding of the gradient ``eps * trace(Xt^T Xt) / S * |w|`` times ``|w|``
    when an ill-conditioned design makes ``|w|`` large."""
    w = np.asarray(w, dtype=np.float64)
    return max(_CLOSED_FORM_ROUNDING * problem.zero_objective(k),
               np.finfo(np.float64).eps * problem.curvature() * float(w @ w))


@dataclass
class SolverResult:
    """What a solver hands back to the estimator."""

    coef: np.ndarray                 # (n_targets, n_features), the output dtype
    n_iter: list
    gap: np.ndarray                  # (n_targets,): the float64 certificate
    converged_targets: np.ndarray    # (n_targets,) of bool
    # True when a target met tol in the solver's own (float32) arithmetic but not
    # by the float64 certificate: float32 cannot resolve the tolerance asked for.
    precision_limited: bool = False
    # The last working set of each target (coordinate descent), for a path.
    working_sets: list = field(default_factory=list)

    @property
    def converged(self):
        """True when every target reached the tolerance."""
        return bool(np.all(self.converged_targets))


@dataclass(frozen=True)
class Plan:
    """The solver and the problem form of a fit, decided once by :func:`plan`.

    ``reduced_solver`` solves the problem left when unpenalised features are
    partialled out (:mod:`skreg._unpenalized`): that of a sparse design is held
    in the Gram form, which conjugate gradients cannot use, so it is the closed
    form there.
    """

    solver: str
    form: str
    reduced_solver: str


def _check_solver(solver, spec, alpha, shape):
    """Raise a ``ValueError`` naming the problem when ``solver`` cannot do the job."""
    if solver in _SMOOTH_ONLY and not spec.is_smooth(alpha):
        what = ("positive=True" if not spec.has_l1(alpha)
                else "an L1 term (penalty='l1' or 'elasticnet')")
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


def plan(solver, spec, shape, sparse, *, alpha=1.0, n_fits=1, statistics=False):
    """The ``solver="auto"`` rule and the problem form, in one place.

    ``spec`` (:class:`~skreg._penalties.PenaltySpec`) at ``alpha`` says whether
    the objective is smooth.  Solver:

    * L2 or no penalty, no constraint: the closed form, except for a sparse ``X``
      whose smaller dimension exceeds 2000, where conjugate gradients avoid a
      large dense matrix.
    * Anything with an L1 term or ``positive=True``: coordinate descent on
      working sets.
    * From sufficient statistics (``partial_fit``, Dask, Spark) there are no
      rows: conjugate gradients become the closed form.

    Form (:func:`skreg._datafit.prepare_problem`):

    * the closed form takes the Gram matrix when ``n >= p`` (the kernel matrix of
      the rows otherwise);
    * coordinate descent takes the Gram matrix when the data are tall enough for
      it to pay: ``n >= 4 p`` for one fit, ``n >= p`` for a path or
      cross-validation that reuses it over ``n_fits`` fits (at most 4000
      features); a sparse design keeps its rows unless ``p`` is small;
    * conjugate gradients need the rows.

    A named ``solver`` that cannot solve the problem is a ``ValueError``.
    Returns a :class:`Plan`.
    """
    n, p = shape
    if solver == "auto":
        if spec.is_smooth(alpha):
            solver = "cg" if sparse and min(shape) > MAX_DIRECT_SPARSE else "cholesky"
        else:
            solver = "working_set"
    _check_solver(solver, spec, alpha, shape)
    if statistics:
        solver = "cholesky" if solver == "cg" else solver
        return Plan(solver, "gram", solver)
    if solver == "cholesky":
        form = "gram" if p <= n else "rows"
    elif solver == "cg":
        form = "rows"
    else:
        tall = n >= (p if n_fits > 1 else 4 * p)
        small = p <= (_MAX_GRAM_FEATURES if not sparse else MAX_DIRECT_SPARSE)
        form = "gram" if tall and small else "rows"
    return Plan(solver, form, "cholesky" if solver == "cg" and sparse else solver)


# The classifier's Newton steps on a smooth objective cost about n (K p)^2 flops
# each; below this they are cheaper than L-BFGS's extra iterations to an exact
# answer.
_NEWTON_FLOPS = 1e8


def logistic_plan(solver, spec, alpha, shape, n_coef):
    """The classifier's ``solver="auto"`` rule, in one place.

    * With an L1 part: proximal Newton on working sets.
    * Without (L2, none; ``positive`` as bounds): exact Newton steps (the same
      solver, whose inner problems are then closed forms) when a Hessian is
      cheap, ``n (K p)^2 <= 1e8``; L-BFGS otherwise, which needs no Hessian but
      converges only linearly.
    * Dropout: Newton steps, whose answers are exact enough for the
      re-weighting to settle on its fixed point quickly.

    A named ``solver`` that cannot solve the problem is a ``ValueError``.
    """
    n, p = shape
    if solver == "auto":
        cheap = n * float(n_coef * p) ** 2 <= _NEWTON_FLOPS
        newton = spec.has_l1(alpha) or cheap or spec.needs_moments
        solver = "prox_newton" if newton else "lbfgs"
    if solver == "lbfgs" and spec.has_l1(alpha):
        raise ValueError(
            "solver='lbfgs' handles only penalty='l2' or None (no L1 term); use "
            "solver='auto' or 'prox_newton'.")
    return Plan(solver, None, solver)


def solve(problem, penalty, plan, tol, max_iter, coef_init=None, start_ws=None,
          finish=True):
    """Minimise ``P`` for each target of ``problem`` as ``plan`` says.

    ``plan`` is a :class:`Plan` (or a solver's name, for a problem without
    unpenalised features).  ``tol`` is relative: the certified duality gap must
    reach ``tol * P(0)``.  ``start_ws`` (one per target) seeds coordinate
    descent's working sets.  A ``KeyboardInterrupt`` during an iterative solve
    is re-raised with the iterates so far attached (``exc.skreg_result``, a
    :class:`SolverResult`).  Coordinates without any penalty (penalty factors
    of zero) are partialled out first (:mod:`skreg._unpenalized`), so every
    solver and its certificate see a problem whose coordinates are all
    penalised; that problem is solved by ``plan.reduced_solver``.  ``finish``
    is coordinate descent's (:func:`~skreg._solvers._cd.solve_cd`).
    """
    if isinstance(plan, str):
        plan = Plan(plan, problem.form, plan)
    eliminated = solve_eliminated(problem, penalty, plan.reduced_solver, tol, max_iter,
                                  coef_init, start_ws, solve, finish)
    if eliminated is not None:
        return eliminated
    if plan.solver == "cholesky":
        return _solve_closed_form(problem, penalty, tol)
    return _solve_iterative(problem, penalty, plan.solver, tol, max_iter, coef_init,
                            start_ws, finish)


def _solve_closed_form(problem, penalty, tol):
    """The closed form of every target, judged by its certificate (exact up to
    the rounding of a float64 factorisation)."""
    n_targets = problem.n_targets
    coef = solve_closed_form(problem, penalty).astype(problem.out_dtype, copy=False)
    gaps = np.array([problem.gap(coef[k], k, penalty) for k in range(n_targets)])
    converged = gaps <= np.array([max(tol * problem.zero_objective(k),
                                      _closed_form_rounding(problem, k, coef[k]))
                                  for k in range(n_targets)])
    limited = bool(not np.all(converged) and problem.out_dtype != np.float64)
    return SolverResult(coef, [1] * n_targets, gaps, converged, limited)


def _solve_target(problem, k, penalty, solver, tol_abs, max_iter, w0, start_ws, finish):
    """One target by an iterative solver: ``(w, iterations, gap, own_gap, ws)``."""
    if solver == "working_set":
        return solve_cd(problem, k, penalty, w0, tol_abs, max_iter, start_ws=start_ws,
                        finish=finish)
    run = solve_cg if solver == "cg" else solve_prox_grad
    w, it, own = run(problem, k, penalty, w0.astype(problem.dtype), tol_abs, max_iter)
    w = w.astype(problem.out_dtype, copy=False)
    return w, it, problem.gap(w, k, penalty), own, None


def _solve_iterative(problem, penalty, solver, tol, max_iter, coef_init, start_ws,
                     finish):
    """Every target in turn by an iterative solver (see :func:`solve`)."""
    n_targets, p = problem.n_targets, problem.shape[1]
    out = SolverResult(np.zeros((n_targets, p), dtype=problem.out_dtype),
                       [1] * n_targets, np.zeros(n_targets),
                       np.zeros(n_targets, dtype=bool), False, [None] * n_targets)
    for k in range(n_targets):
        tol_abs = tol * problem.zero_objective(k)
        w0 = (np.array(coef_init[k], dtype=np.float64) if coef_init is not None
              else np.zeros(p))
        try:
            w, it, gap, own, ws = _solve_target(
                problem, k, penalty, solver, tol_abs, max_iter, w0,
                None if start_ws is None else start_ws[k], finish)
        except KeyboardInterrupt as exc:
            w = getattr(exc, "skreg_coef", None)
            if w is not None:
                out.coef[k] = w
                out.n_iter[k] = exc.skreg_epochs
                out.gap[k] = problem.gap(out.coef[k], k, penalty)
            out.gap[k + 1:] = np.inf
            exc.skreg_result = out
            exc.skreg_complete = w is not None and k == n_targets - 1
            raise
        out.coef[k], out.gap[k], out.working_sets[k] = w, gap, ws
        # a cold fit counts at least one iteration (closed forms included); a
        # warm start that needs none reports 0, as scikit-learn's ElasticNet
        out.n_iter[k] = it if coef_init is not None else max(it, 1)
        out.converged_targets[k] = gap <= tol_abs
        out.precision_limited |= bool(own <= tol_abs < gap
                                      and problem.out_dtype != np.float64)
    return out
