"""Unpenalised features eliminated exactly, as the intercept is.

With penalty factors ``f_j = 0`` (and no dropout term on them) the coordinates
``U`` carry no penalty at all.  For fixed penalised coefficients ``w_P`` the best
``w_U`` solves the normal equations of ``U``,

.. math::

    G_{UU} w_U = c_U - G_{UP} w_P, \\qquad G = \\tilde X^\\top \\tilde X,
    \\quad c = \\tilde X^\\top \\tilde y,

and putting it back leaves a problem in ``w_P`` alone, of the same kind:

.. math::

    P'(w_P) = \\frac{1}{2S} \\lVert \\Pi (\\tilde y - \\tilde X_P w_P) \\rVert^2
              + g_P(w_P),

with ``Pi`` the projection onto the orthogonal complement of the columns
``Xt_U``: the projection generalises centring (the intercept's column is the
constant one).  In the Gram form this is the Schur complement
``G_PP - G_PU G_UU^+ G_UP``, ``c_P - G_PU G_UU^+ c_U``, ``|yt|^2 - c_U^T
G_UU^+ c_U``; a dense design has its penalised columns and its targets
projected (one thin SVD of ``Xt_U``); a sparse design is held by the Schur
complement of its Gram matrix (``X`` itself is never densified).  Every solver,
the duality gap and ``alpha_max`` then work unchanged on ``P'``, whose minimum
is the minimum of ``P``, and the gap of ``P'`` at ``w_P`` is the gap of ``P``
at ``(w_P, w_U(w_P))``: the certificate carries over exactly.

Collinear unpenalised columns (``G_UU`` singular) have many optimal ``w_U``;
the minimum-norm one is returned (the pseudo-inverse, eigenvalues below a
relative ``1e-12``, or the rounding level of the data's dtype, counting as
zero), as for ordinary least squares on a rank-deficient design.
"""

import numpy as np

from ._datafit import GramProblem, RowsProblem, rank_cutoff

# Refuse to form a dense Gram matrix of more than this many entries (8 GB).
_MAX_GRAM_ENTRIES = 1_000_000_000


def unpenalized_features(penalty, n_features):
    """Indices of the coordinates without any penalty, or None.

    None when every coordinate is penalised, or when nothing is (no penalty at
    all: ordinary least squares, which the solvers handle as it is).
    """
    if penalty.is_zero or (np.ndim(penalty.l1) == 0 and np.ndim(penalty.l2) == 0):
        return None
    l1, l2 = penalty.weights(n_features)
    free = np.flatnonzero((l1 == 0) & (l2 == 0))
    return free if free.size else None


class Elimination:
    """The problem with the coordinates ``free`` partialled out, and the way back.

    Attributes
    ----------
    reduced : RowsProblem or GramProblem
        ``P'`` on the kept (penalised) coordinates.
    free, kept : ndarray of int
        The eliminated and the kept coordinates of the original problem.
    """

    def __init__(self, problem, free):
        p = problem.shape[1]
        self.problem = problem
        self.free = np.asarray(free, dtype=np.intp)
        mask = np.ones(p, dtype=bool)
        mask[self.free] = False
        self.kept = np.flatnonzero(mask)
        if problem.form == "dense":
            self._from_rows(problem)
        else:
            self._from_gram(problem)

    # -- the two constructions
    def _from_gram(self, problem):
        """Schur complement of ``G_UU`` (Gram form; a sparse design's Gram)."""
        U, P = self.free, self.kept
        p = problem.shape[1]
        if problem.form == "gram":
            G = problem.G
        else:
            if p * p > _MAX_GRAM_ENTRIES:
                raise ValueError(
                    f"penalty_factor with zeros on a sparse X of {p} features: the "
                    "unpenalised features are partialled out through the "
                    f"{p} x {p} Gram matrix ({p * p * 8 / 1e9:.1f} GB), too large. "
                    "Give the unpenalised features a small positive factor, or "
                    "use a dense X."
                )
            G = problem.gram()
        C = problem.xty_matrix()
        G_UU = G[np.ix_(U, U)]
        G_UP = G[np.ix_(U, P)]
        evals, V = np.linalg.eigh(G_UU)
        top = float(evals[-1]) if evals.size else 0.0
        keep = evals > top * rank_cutoff(problem.out_dtype, problem.shape[0], U.size)
        V, evals = V[:, keep], evals[keep]
        self.rank = int(keep.sum())
        # G_UU^+ = V diag(1 / evals) V^T, applied through V^T
        R_P = (V.T @ G_UP) / np.sqrt(evals)[:, None]        # rank x |P|
        R_C = (V.T @ C[U]) / np.sqrt(evals)[:, None]        # rank x n_targets
        self.B = V @ (R_P / np.sqrt(evals)[:, None])        # G_UU^+ G_UP
        self.A = V @ (R_C / np.sqrt(evals)[:, None])        # G_UU^+ C_U
        G_red = G[np.ix_(P, P)] - R_P.T @ R_P
        G_red = 0.5 * (G_red + G_red.T)
        np.fill_diagonal(G_red, np.maximum(np.diag(G_red), 0.0))
        C_red = C[P] - R_P.T @ R_C
        YY = np.array([problem.yy(k) for k in range(problem.n_targets)])
        YY_red = np.maximum(YY - np.einsum("rk,rk->k", R_C, R_C), 0.0)
        self.reduced = GramProblem(G_red, C_red, YY_red, problem.n_weight,
                                   (problem.shape[0], P.size), _part(problem.X_mean, P),
                                   problem.y_mean, problem.out_dtype)

    def _from_rows(self, problem):
        """Project a dense design's penalised columns and targets (thin SVD of
        ``Xt_U``)."""
        U, P = self.free, self.kept
        X = problem.X
        XU = np.asarray(X[:, U], dtype=np.float64)
        Q, sigma, Vt = np.linalg.svd(XU, full_matrices=False)
        top = float(sigma[0]) if sigma.size else 0.0
        keep = sigma**2 > top**2 * rank_cutoff(problem.out_dtype, problem.shape[0], U.size)
        Q, sigma, V = Q[:, keep], sigma[keep], Vt[keep].T
        self.rank = int(keep.sum())
        # the kept columns of a Fortran X, copied as rows of X.T: contiguous runs
        XP = X.T[P].T if X.flags.f_contiguous else np.asfortranarray(X[:, P])
        QtX = np.asarray(XP.T @ Q, dtype=np.float64).T      # rank x |P|  = R_P
        Yt = np.asarray(problem.Yt, dtype=np.float64)
        QtY = Q.T @ Yt                                      # rank x n_targets
        self.B = V @ (QtX / sigma[:, None])                 # G_UU^+ G_UP
        self.A = V @ (QtY / sigma[:, None])                 # G_UU^+ C_U
        XP -= (QtX.T @ Q.T).T.astype(X.dtype, copy=False)  # Fortran, like XP
        Yt_red = (Yt - Q @ QtY).astype(problem.Yt.dtype, copy=False)
        self.reduced = RowsProblem(XP, Yt_red, problem.sqrt_sw, problem.n_weight,
                                   _part(problem.X_mean, P), problem.y_mean,
                                   out_dtype=problem.out_dtype)

    # -- coefficients
    def free_coef(self, coef_kept):
        """The optimal ``w_U`` for penalised coefficients ``coef_kept`` (float64).

        ``coef_kept`` has shape (..., n_targets, |P|); returns (..., n_targets, |U|).
        """
        W = np.asarray(coef_kept, dtype=np.float64)
        return self.A.T - W @ self.B.T

    def expand(self, coef_kept, dtype):
        """Full coefficients from the kept ones: shape (..., n_targets, p)."""
        W = np.asarray(coef_kept)
        out = np.zeros(W.shape[:-1] + (self.kept.size + self.free.size,), dtype=dtype)
        out[..., self.kept] = W
        out[..., self.free] = self.free_coef(W)
        return out

    def rounding_excess(self, coef, k):
        """What storing ``w_U`` in ``coef``'s dtype adds to the objective:
        ``delta^T G_UU delta / (2S)``, with ``delta`` its rounding (float64)."""
        if coef.dtype == np.float64:
            return 0.0
        exact = self.A[:, k] - self.B @ np.asarray(coef[self.kept], dtype=np.float64)
        delta = coef[self.free].astype(np.float64) - exact
        G_UU = self.problem.gram_block(self.free, self.free)
        return 0.5 * float(delta @ G_UU @ delta) / self.problem.n_weight


def _part(mean, cols):
    return None if mean is None else np.asarray(mean)[cols]


def eliminate(problem, free):
    """The :class:`Elimination` of ``free`` from ``problem`` (made once per set)."""
    cache = problem.__dict__.setdefault("_eliminations", {})
    key = np.asarray(free).tobytes()
    if key not in cache:
        cache[key] = Elimination(problem, free)
    return cache[key]


def solve_eliminated(problem, penalty, solver, tol, max_iter, coef_init, start_ws,
                     solve, finish=True):
    """Solve ``problem`` with its unpenalised coordinates partialled out, by
    ``solver`` (the plan's ``reduced_solver``).

    Returns None when there are none (the caller solves as usual); otherwise the
    :class:`~skreg._solvers.SolverResult` of ``solve`` on the reduced problem,
    with the coefficients completed by the optimal unpenalised ones.  Its gap is
    the reduced problem's, which is the full problem's at those coefficients
    (plus the rounding of ``w_U`` in a float32 answer).
    """
    free = unpenalized_features(penalty, problem.shape[1])
    if free is None:
        return None
    elim = eliminate(problem, free)
    reduced = elim.reduced
    init = None if coef_init is None else np.asarray(coef_init)[:, elim.kept]
    result = solve(reduced, penalty.restrict(elim.kept), solver, tol, max_iter, init,
                   start_ws, finish)
    result.coef = elim.expand(result.coef, problem.out_dtype)
    result.gap = np.array([g + elim.rounding_excess(result.coef[k], k)
                           for k, g in enumerate(result.gap)])
    return result


def certified_gap(problem, w, k, penalty):
    """The duality gap of ``problem`` at ``w`` (target ``k``), unpenalised
    coordinates included: the reduced problem's at the kept coordinates, after
    ``w_U`` is replaced by its optimum (which can only lower the objective)."""
    free = unpenalized_features(penalty, problem.shape[1])
    if free is None:
        return problem.gap(w, k, penalty)
    elim = eliminate(problem, free)
    return elim.reduced.gap(np.asarray(w)[elim.kept], k, penalty.restrict(elim.kept))
