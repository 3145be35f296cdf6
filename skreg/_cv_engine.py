"""The cross-validation engine: one search over (alpha, l1_ratio, dropout rate),
one choice, one refit, whatever holds the data.

A *fold source* (:mod:`skreg._cv_sources`) is all the engine knows of the data:

==================================  ============================================
``folds``                           the keys of the test folds
``training_problem(fold, spec, m)`` the prepared problem of the rows outside
                                    ``fold`` and its :class:`~skreg._solvers.Plan`
                                    for a path of ``m`` fits of ``spec``
``held_out_score(fold, path, pr)``  one score per alpha of the ``path`` (trained
                                    on ``pr``) on the rows of ``fold``
``grid_inputs(spec, rates)``        :func:`skreg._path.grid_inputs` of all the
                                    rows (float64) and their weight sum
``full_problem(spec, alpha, m)``    all the rows prepared for the refit, and its
                                    plan (``m`` fits along a path)
``higher_is_better``                a scorer's score (True) or a loss
``path_name``                       the attribute of the score path
``n_targets``, ``single``, ``dtype``  the targets and the dtype of the answer
==================================  ============================================

Two sources implement it for least squares: the rows in memory (any scorer) and
the statistics of every fold (squared error; Dask, Spark, ``partial_fit``).

The loss is a part too: a *family* says how a grid is generated from the grid
inputs (``grid(inputs, S, spec, n_alphas, eps)`` and ``top(inputs, S, spec)``,
``alpha_max``), how a path of ``spec`` is fitted on a training problem (``path(problem,
plan, spec, grid, tol, max_iter)``, with ``coefs`` and ``n_unconverged``) and
how the chosen model is refitted (``refit(problem, plan, spec, path, settings,
source)``, the fitted attributes).  :data:`LEAST_SQUARES` is the
regressors'; the classifier brings its own.  The engine computes
the whole path of every fold for every searched configuration
(:func:`fold_scores`), picks the best point with its edge warnings
(:func:`choose`) and refits on all the rows (:func:`refit`), going through the
one route to fitted attributes (:mod:`skreg._fitted`).  The leave-one-out
scores of an L2 search (:mod:`skreg._loo`) enter at the choice.
"""

from dataclasses import dataclass, replace
from numbers import Integral

import numpy as np
from joblib import Parallel, delayed
from sklearn.exceptions import ConvergenceWarning

from ._fitted import FitSettings, fitted_attributes, solve_to_attributes
from ._path import default_grid, grid_top, path_on_problem
from ._penalties import rate_grid
from ._solvers import SolverResult
from ._validation import warn_user


@dataclass(frozen=True)
class Search:
    """What a cross-validation searches, from the estimator's checked parameters.

    ``spec`` is the :class:`~skreg._penalties.PenaltySpec` shared by every
    configuration (factors, ``positive``, a fixed dropout rate; pure dropout's
    own spec); ``ratios`` the ``rho`` values, ``rates`` the dropout rates
    (decreasing); ``ratio_list`` and ``dropouts_given`` say whether the score
    path has an axis for each.  ``alphas`` is the checked grid or its length.
    """

    spec: object
    ratios: tuple
    rates: tuple
    ratio_list: bool
    dropouts_given: bool
    alphas: object
    eps: float
    settings: FitSettings
    n_jobs: object = None
    family: object = None

    @property
    def generated(self):
        return isinstance(self.alphas, Integral)

    def with_factor(self, factor):
        """The same search with the penalty factors resolved (array or None)."""
        return replace(self, spec=self.spec.but(factor=factor))

    def configs(self):
        """The spec of every configuration: every ``rho`` for every rate (pure
        dropout: one, whose grid is the rates')."""
        if self.spec.pure:
            return [self.spec]
        return [self.spec.but(rho=rho, dropout=q) for q in self.rates
                for rho in self.ratios]

    def grids(self, source):
        """The alpha grid of each ``rho`` (pure dropout: the rates' grid)."""
        if self.spec.pure:
            return [rate_grid(self.rates)]
        if not self.generated:
            return [self.alphas] * len(self.ratios)
        out = []
        for rho in self.ratios:
            spec = self.spec.but(rho=rho)
            inputs, n_weight = source.grid_inputs(spec, self.rates)
            out.append(self.family.grid(inputs, n_weight, spec, self.alphas, self.eps))
        return out

    def layout(self, table):
        """``table`` (n_configs, n_alphas, n_folds) in the layout of the score
        path: a leading axis per searched dropout rate, then one per
        ``l1_ratio`` when a list was given; pure dropout: (n_dropouts, n_folds)."""
        if self.spec.pure:
            return table[0]
        out = table.reshape((len(self.rates), -1) + table.shape[1:])
        if not self.ratio_list:
            out = out[:, 0]
        return out if self.dropouts_given else out[0]


@dataclass
class Scores:
    """The scores of every searched point: ``table`` (n_configs, n_alphas,
    n_folds) for the choice, ``path`` in the layout of ``mse_path_`` /
    ``score_path_``, the configurations' specs and grids, and the grid of each
    ``rho`` (``alphas_``)."""

    table: np.ndarray
    path: np.ndarray
    configs: list
    grids: list
    base_grids: list
    higher_is_better: bool
    path_name: str


# ------------------------------------------------------------------ the folds
def _fold_path_scores(source, family, spec, grid, fold, tol, max_iter):
    """Held-out scores of every alpha of the path trained without ``fold``, and
    the number of (alpha, target) fits that did not converge."""
    problem, path_plan = source.training_problem(fold, spec, len(grid))
    path = family.path(problem, path_plan, spec, grid, tol, max_iter)
    return source.held_out_score(fold, path, problem), path.n_unconverged


def fold_scores(source, search):
    """The whole path of every fold for every configuration: :class:`Scores`,
    with one ``ConvergenceWarning`` counting the fits that did not converge."""
    base_grids = search.grids(source)
    configs = search.configs()
    grids = base_grids * (len(configs) // len(base_grids))
    settings = search.settings
    results = Parallel(n_jobs=search.n_jobs)(
        delayed(_fold_path_scores)(source, search.family, spec, grid, fold,
                                   settings.tol, settings.max_iter)
        for spec, grid in zip(configs, grids) for fold in source.folds)
    n_unconverged = sum(r[1] for r in results)
    table = np.array([r[0] for r in results]).reshape(len(configs), len(source.folds),
                                                      -1)
    table = np.swapaxes(table, 1, 2)               # (n_configs, n_alphas, n_folds)
    if n_unconverged:
        n_fits = len(results) * len(grids[0]) * source.n_targets
        warn_user(
            f"{settings.owner}: {n_unconverged} of {n_fits} (fold, alpha"
            f"{', l1_ratio' if len(search.ratios) > 1 else ''}) fits did not reach a "
            f"duality gap of tol * F(0) within max_iter={settings.max_iter} "
            "iterations, so their test scores are those of unconverged models. "
            "Increase max_iter or loosen tol.",
            ConvergenceWarning)
    return Scores(table, search.layout(table), configs, grids, base_grids,
                  source.higher_is_better, source.path_name)


# ----------------------------------------------------------------- the choice
def choose(scores, search, source):
    """The best point of ``scores`` and the fitted attributes that describe it.

    Ties go to the larger ``alpha`` (or dropout rate), the simpler model; a
    warning when the choice is an end of the grid that is not a limit.
    Returns ``(fitted, spec, path)``: the attributes of the choice, the spec of
    the chosen configuration and the grid down to the chosen value (the path
    the refit follows).
    """
    mean = scores.table.mean(axis=2)
    best = np.argmax(mean) if scores.higher_is_better else np.argmin(mean)
    i_config, i_alpha = (int(i) for i in np.unravel_index(best, mean.shape))
    spec, grid = scores.configs[i_config], scores.grids[i_config]
    if spec.pure:
        _warn_rate_at_edge(i_alpha, search.rates, search.settings.owner)
        fitted = dict(alpha_=0.0, l1_ratio_=0.0, dropout_=search.rates[i_alpha])
    else:
        _warn_alpha_at_edge(i_alpha, grid, spec, search, source)
        fitted = dict(alpha_=float(grid[i_alpha]), l1_ratio_=float(spec.rho),
                      dropout_=spec.dropout,
                      alphas_=(np.array(scores.base_grids) if search.ratio_list
                               else scores.base_grids[0]))
    fitted[scores.path_name] = scores.path
    if search.dropouts_given:
        fitted["dropouts_"] = np.array(search.rates)
    return fitted, spec, grid[:i_alpha + 1]


def _warn_alpha_at_edge(index, grid, spec, search, source):
    """Warn when the chosen alpha is an end of the grid that is not a limit.

    The generated least-squares L2 grid ends where the fit is essentially zero
    and essentially least squares, and any L1 / elastic-net grid point at or above
    ``alpha_max`` of all the rows gives the all-zero model that every larger
    ``alpha`` gives too; those ends are limits, beyond which nothing changes.
    Any other end of the grid may hide a better ``alpha`` beyond it.
    """
    if len(grid) < 2 or index not in (0, len(grid) - 1):
        return
    if spec.rho == 0 and search.generated and search.family.l2_grid_ends_are_limits:
        return
    if index == 0 and spec.rho > 0:
        inputs, n_weight = source.grid_inputs(search.spec.but(rho=spec.rho),
                                              search.rates)
        if grid[0] >= search.family.top(inputs, n_weight, spec) * (1 - 1e-12):
            return
    side = "largest" if index == 0 else "smallest"
    hint = ("a larger largest alpha" if index == 0 else
            "smaller alphas (a smaller eps)" if search.generated else "smaller alphas")
    warn_user(
        f"{search.settings.owner}: the chosen alpha_={grid[index]:.4g} is the "
        f"{side} alpha of the grid, so the optimum may lie outside the grid; "
        f"try {hint}.",
        UserWarning)


def _warn_rate_at_edge(index, rates, owner):
    """Warn when the chosen dropout rate is an end of ``dropouts`` (rates
    decreasing) other than 0, below which there is nothing."""
    if len(rates) < 2 or index not in (0, len(rates) - 1) or rates[index] == 0:
        return
    side = "largest" if index == 0 else "smallest"
    warn_user(
        f"{owner}: the chosen dropout_={rates[index]:.4g} is the "
        f"{side} rate of dropouts, so the optimum may lie outside them; try "
        f"{'larger' if index == 0 else 'smaller'} rates.",
        UserWarning)


# ------------------------------------------------------------------ the refit
def refit(source, family, spec, path, settings):
    """Fit all the rows at the chosen point (the last of ``path``, the grid down
    to it); the fitted model's attributes."""
    alpha = float(path[-1])
    problem, fit_plan = source.full_problem(spec, alpha, len(path))
    owner = FitSettings(f"{settings.owner}: the refit at alpha={alpha:.4g}", settings.tol,
                        settings.max_iter)
    return family.refit(problem, fit_plan, spec, path, owner, source)


class LeastSquares:
    """The least-squares family of the engine (see the module docstring)."""

    grid = staticmethod(default_grid)
    top = staticmethod(grid_top)
    # the generated L2 grid ends where the fit is essentially zero and
    # essentially least squares (from the spectrum of the design)
    l2_grid_ends_are_limits = True

    @staticmethod
    def path(problem, path_plan, spec, grid, tol, max_iter):
        return path_on_problem(problem, path_plan, spec.on(problem), grid, tol,
                               max_iter, compute_gaps=False, finish="none")

    @staticmethod
    def refit(problem, fit_plan, spec, path, settings, source):
        """A smooth choice (L2, pure dropout) is one closed form.  Otherwise the
        path of all the rows is followed down to the chosen ``alpha`` with warm
        starts, which reaches a small ``alpha`` far more reliably than a cold
        start (``n_iter_`` counts the whole path)."""
        penalty_of = spec.on(problem)
        if fit_plan.solver in ("cholesky", "cg"):
            return solve_to_attributes(problem, penalty_of(path[-1]), fit_plan,
                                       source.single, source.dtype, settings)
        fits = path_on_problem(problem, fit_plan, penalty_of, path, settings.tol,
                               settings.max_iter, finish="last")
        gap = fits.gaps[-1]
        limit = np.array([settings.tol * problem.zero_objective(k)
                          for k in range(problem.n_targets)])
        result = SolverResult(fits.coefs[-1], list(fits.n_iters.sum(axis=0)), gap,
                              gap <= limit)
        return fitted_attributes(result, problem, source.single, source.dtype,
                                 settings, fit_plan.solver)


LEAST_SQUARES = LeastSquares()


def cross_validate(source, search, scores=None):
    """Search, choose and refit: the fitted attributes of a cross-validation.

    ``scores`` are given when they were computed otherwise (leave-one-out);
    by default every fold's path is computed (:func:`fold_scores`).
    """
    if scores is None:
        scores = fold_scores(source, search)
    fitted, spec, path = choose(scores, search, source)
    refitted = refit(source, search.family, spec, path, search.settings)
    refitted.pop("solver_", None)
    fitted.update(refitted)
    return fitted
