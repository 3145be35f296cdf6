"""RegularizedRegressor: parameters, validation, tags and dispatch (no numerics)."""

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin
from sklearn.utils.validation import validate_data

from ._base import DocLinkMixin, InMemoryScoreMixin, LinearRegressorMixin
from ._datafit import GramProblem, prepare_problem
from ._distributed import check_in_memory, input_attributes, is_distributed, statistics
from ._extensions import LINEAR_MODEL_PARAMS, resolve_penalty_factor
from ._fitted import FitSettings, solve_to_attributes
from ._penalties import PENALTIES, PenaltySpec
from ._solvers import SOLVERS, plan
from ._stream import stream_chunk
from ._statistics import SufficientStatistics, check_size
from ._validation import (
    boolean,
    check_params,
    check_sample_weight,
    one_of,
    real,
    restore_on_error,
)

# The parameters of RegularizedRegressor and what each must be.
PARAMS = dict(
    LINEAR_MODEL_PARAMS,
    penalty=one_of(*PENALTIES),
    alpha=real(0.0),
    l1_ratio=real(0.0, 1.0),
    solver=one_of(*SOLVERS),
    warm_start=boolean,
    copy_X=boolean,
)


class RegularizedRegressor(MultiOutputMixin, InMemoryScoreMixin, LinearRegressorMixin,
                           RegressorMixin, DocLinkMixin, BaseEstimator):
    r"""Least squares with an L1, L2 or elastic-net penalty.

    Minimises, over the coefficients ``w`` and the intercept ``b``,

    .. math::

        F(w, b) = \frac{1}{2S} \sum_{i=1}^{n} s_i (y_i - x_i^\top w - b)^2
                  + \alpha \sum_{j=1}^{p} f_j \left( \rho |w_j|
                  + \frac{1 - \rho}{2} w_j^2 \right)
                  + \frac{1}{2} \frac{q}{1 - q} \sum_{j=1}^{p} d_j w_j^2,
        \qquad d_j = \frac{1}{S} \sum_{i=1}^{n} s_i x_{ij}^2,

    where ``s`` are the sample weights (all ones by default), ``S = sum(s)``,
    ``rho`` is ``l1_ratio``, ``f`` is ``penalty_factor`` (all ones by default)
    and ``q`` is ``dropout`` (0 by default, which drops the last term).
    ``penalty="l1"`` sets ``rho = 1``, ``penalty="l2"`` sets ``rho = 0``,
    ``penalty=None`` drops the ``alpha`` term.  The intercept is never
    penalised.  Because the data term is an average, ``alpha`` is on the scale
    of the per-sample squared error: it does not grow with the number of
    samples.

    Parameters
    ----------
    penalty : {"l2", "l1", "elasticnet"} or None, default="l2"
        The penalty term.  ``"l1"`` gives sparse coefficients (exact zeros),
        ``"l2"`` shrinks all of them, ``"elasticnet"`` mixes the two with
        ``l1_ratio``, None is ordinary least squares.
    alpha : float, default=1.0
        Penalty strength, >= 0 (the lecture notes' lambda).  Ignored when
        ``penalty=None``.
    l1_ratio : float, default=0.5
        The share ``rho`` of the L1 term, in [0, 1]; used only with
        ``penalty="elasticnet"``.
    fit_intercept : bool, default=True
        Fit an unpenalised intercept.  With a sparse ``X`` the data are centred
        implicitly, never densified.
    solver : {"auto", "cholesky", "cg", "working_set", "gd"}, default="auto"
        - ``"auto"``: the closed form for ``"l2"`` and None (conjugate gradients
          for a sparse ``X`` whose smaller side exceeds 2000), the working-set
          solver for everything with an L1 term or ``positive=True``.
        - ``"cholesky"``: closed form from the smaller of the ``p x p`` and
          ``n x n`` systems, minimum-norm least squares when singular.
        - ``"cg"``: conjugate gradients on the normal equations (CGLS).
        - ``"working_set"``: compiled coordinate descent on a growing working
          set of features, with Anderson extrapolation, finished with exact
          Newton (feature-sign) steps once the support has settled.
        - ``"gd"``: the lecture notes' batch gradient descent, corrected: steps of
          ``1/L`` on the data term and soft-thresholding (proximal) steps for the
          penalty.  Slow; there for reference and teaching.
    max_iter : int, default=1000
        Maximum number of iterations of an iterative solver (epochs of
        coordinate descent, as scikit-learn's ``Lasso`` counts them, for the
        working-set solver; gradient steps of ``"gd"``; CG steps).
    tol : float, default=1e-4
        Stop when the duality gap is at most ``tol * F(0)``, the objective at
        ``w = 0`` (with the intercept fitted).  The answer is then finished
        (see Notes), so at the default the coefficients are at least as close
        to the exact optimum as those of scikit-learn's ``Lasso`` /
        ``ElasticNet`` at their default ``tol``, and usually exact to rounding.
    warm_start : bool, default=False
        Start an iterative solver from the previous ``coef_``.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    copy_X : bool, default=True
        If False, a dense ``X`` may be overwritten by the centring.
    penalty_factor : array-like of shape (n_features,), dict or Series, default=None
        Per-feature factors ``f_j >= 0`` of the ``alpha`` term (glmnet's
        ``penalty.factor``), used as given (not rescaled); None is all ones.  A
        dict or Series is keyed by feature name, and ``X`` must then have those
        column names (every column named once).  ``f_j = 0`` leaves feature
        ``j`` unpenalised: it is always in the model, and it is partialled out
        exactly, as the intercept is, so ``tol`` is then relative to the
        objective at ``w = 0`` with the unpenalised coefficients fitted.
        Collinear unpenalised features get the minimum-norm coefficients.
        With ``positive=True`` every feature needs ``f_j > 0`` (or a dropout
        term).
    dropout : float, default=0.0
        The rate ``q`` in [0, 1) of inverted dropout on the inputs: the last
        term of the objective is the exact expectation, over the dropout masks
        (each ``x_ij`` multiplied by ``delta_ij / (1 - q)``, ``delta_ij ~
        Bernoulli(1 - q)``), of the weighted squared error of the dropped-out
        data, minus the squared error of the data (Wager, Wang and Liang,
        2013).  It is an L2 penalty scaled per feature by the raw (uncentred)
        second moment ``d_j``, so it does not depend on the scale of the
        features; the intercept is never dropped.  Combines with every
        ``penalty``.  This is input dropout of the linear model, computed
        exactly (no random masks); the ``dropout`` of
        :class:`DropoutMLPClassifier` and :class:`DropoutMLPRegressor` drops
        hidden units of a network during training.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Coefficients ``w``; 2-D when ``y`` is 2-D.
    intercept_ : float or ndarray of shape (n_targets,)
        The intercept ``b`` (0 when ``fit_intercept=False``): a numpy scalar of the
        data's dtype (``numpy.float32`` for float32 data), as scikit-learn's.
    n_iter_ : int or list of int
        Iterations run (1 for the closed form); one per target when ``y`` is 2-D.
    dual_gap_ : float or ndarray of shape (n_targets,)
        The duality gap reached, on the scale of ``F`` (see Notes).
    solver_ : str
        The solver that ``solver="auto"`` chose.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when ``X`` had string column names.

    See Also
    --------
    sklearn.linear_model.Lasso : Same objective as ``penalty="l1"``.
    sklearn.linear_model.ElasticNet : Same objective as ``penalty="elasticnet"``.
    sklearn.linear_model.Ridge : ``Ridge(alpha=alpha * S)`` equals
        ``penalty="l2"``, since Ridge sums the squared errors instead of averaging.
    sklearn.linear_model.LinearRegression : Same as ``penalty=None``.

    Notes
    -----
    A duality gap of ``tol * F(0)`` bounds how far the *objective* is from its
    minimum, but pins the coefficients only to about the square root of that:
    the third digit of a large coefficient at the default ``tol``.  So a
    converged coordinate-descent answer is finished: a Newton step on its
    support (the exact minimiser given the signs, kept when it does not raise
    the objective) makes it exact to rounding when the support is right;
    otherwise descent goes on, to a gap 1000 times smaller at least and until
    no coefficient moves by more than ``tol`` times the largest (scikit-learn's
    own stopping rule), within three times the epochs already spent.  The
    closed forms are exact to rounding; a system whose ridge is below the
    rounding level of the data (ordinary least squares on a rank-deficient
    design, a vanishing ``alpha``, fewer samples than features once centred) is
    solved as singular, for the minimum-norm answer.

    The duality gap bounds the distance of ``F(coef_, intercept_)`` to its
    minimum.  The dual point is the residual, scaled into the dual feasible set
    when the penalty has no L2 part.  Without a penalty the dual has the
    constraint ``X^T r = 0`` that only the optimal residual meets; ``dual_gap_`` is
    then ``|w^T X^T r| / S``, zero at the optimum.

    The lecture notes this library grew from write the data-term gradient with a
    plus sign and the L1 term's subgradient with a minus sign; both are wrong (the
    gradient of ``(1/2n) sum (y_i - x_i w)^2`` is ``-(1/n) sum (y_i - x_i w) x_i``),
    and a subgradient step never produces exact zeros: ``solver="gd"`` uses the
    proximal (soft-thresholding) step instead.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from skreg import RegularizedRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = RegularizedRegressor(penalty="l1", alpha=0.5).fit(X, y)
    >>> int((reg.coef_ != 0).sum())
    4
    >>> round(reg.score(X, y), 3)
    0.455
    """

    def __init__(
        self,
        penalty="l2",
        alpha=1.0,
        *,
        l1_ratio=0.5,
        fit_intercept=True,
        solver="auto",
        max_iter=1000,
        tol=1e-4,
        warm_start=False,
        positive=False,
        copy_X=True,
        penalty_factor=None,
        dropout=0.0,
    ):
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.positive = positive
        self.copy_X = copy_X
        self.penalty_factor = penalty_factor
        self.dropout = dropout

    def _check_params(self):
        check_params(self, PARAMS)

    def _factor(self, n_features, names):
        """The penalty factors of this fit (float64 array or None)."""
        return resolve_penalty_factor(self.penalty_factor, n_features, names)

    def _spec(self, n_features, names):
        """The :class:`~skreg._penalties.PenaltySpec` of this fit."""
        factor = self._factor(n_features, names)
        return PenaltySpec.from_params(self.penalty, self.l1_ratio, self.positive,
                                       factor, self.dropout)

    def _settings(self):
        return FitSettings("RegularizedRegressor", self.tol, self.max_iter)

    def fit(self, X, y, sample_weight=None):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; CSR and CSC matrices are used without densifying.
            float32 data are fitted in float32.  A dask array or DataFrame, or a
            Spark DataFrame, is reduced to its sufficient statistics where it
            lives (see the user guide).
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Targets; with a Spark (or dask) DataFrame ``X``, the name of its
            target column.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights ``s``; an integer weight equals repeating the row.
            With a Spark (or dask) DataFrame ``X``, the name of a column.

        Returns
        -------
        self : RegularizedRegressor
            The fitted estimator.
        """
        self._check_params()
        with restore_on_error(self):
            if is_distributed(X, y):      # Dask or Spark: statistics where they live
                fitted = self._fit_statistics(*statistics(
                    X, y, sample_weight, self.fit_intercept, self.penalty_factor))
            else:
                fitted = self._fit_arrays(X, y, sample_weight)
            self._publish(fitted)
            for name in ("_stats", "_stats_single", "_stats_dtype"):
                if hasattr(self, name):     # fit ends any partial_fit stream
                    delattr(self, name)
        return self

    def _fit_arrays(self, X, y, sample_weight):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32],
            multi_output=True,
            y_numeric=True,
        )
        y = np.asarray(y, dtype=X.dtype)
        sw = check_sample_weight(sample_weight, X.shape[0], X.dtype)
        single = y.ndim == 1
        Y = y[:, None] if single else y
        n_targets = Y.shape[1]

        spec = self._spec(X.shape[1], getattr(self, "feature_names_in_", None))
        fit_plan = plan(self.solver, spec, X.shape, sp.issparse(X), alpha=self.alpha)
        problem = prepare_problem(X, Y, sw, self.fit_intercept, fit_plan.form,
                                  self.copy_X)
        penalty = spec.on(problem)(self.alpha)
        return solve_to_attributes(problem, penalty, fit_plan, single, X.dtype,
                                   self._settings(),
                                   self._warm_coef(n_targets, X.shape[1]))

    def _warm_coef(self, n_targets, n_features):
        """The previous ``coef_`` as a start, with ``warm_start`` (else None)."""
        if self.warm_start and hasattr(self, "coef_"):
            prev = np.atleast_2d(self.coef_)
            if prev.shape == (n_targets, n_features):
                return prev
        return None

    def _fit_statistics(self, stats, names, dtype, single):
        """``fit`` from the statistics of a Dask or Spark collection."""
        if stats.weight <= 0:
            raise ValueError("sample_weight must not be all zero: its sum must be "
                             "positive.")
        fitted = self._solve_statistics(stats, single, dtype,
                                        warm=self.warm_start and hasattr(self, "coef_"),
                                        names=names)
        fitted.update(input_attributes(self, stats.xx.shape[0], names))
        return fitted

    def _solve_statistics(self, stats, single, dtype, warm, names=None):
        """Solve from sufficient statistics; return the fitted attributes.

        ``names`` are the feature names (for a ``penalty_factor`` keyed by name).
        """
        problem = GramProblem.from_statistics(stats, dtype)
        spec = self._spec(problem.shape[1], names)
        fit_plan = plan(self.solver, spec, problem.shape, False, alpha=self.alpha,
                        statistics=True)
        coef_init = None
        if warm and fit_plan.solver != "cholesky":
            prev = np.atleast_2d(self.coef_).astype(np.float64)
            if prev.shape == (problem.n_targets, problem.shape[1]):
                coef_init = prev
        return solve_to_attributes(problem, spec.on(problem)(self.alpha), fit_plan,
                                   single, dtype, self._settings(), coef_init)

    def _publish(self, fitted):
        """Set the fitted attributes together."""
        for name, value in fitted.items():
            setattr(self, name, value)

    def partial_fit(self, X, y, sample_weight=None):
        """Add a chunk of rows and refit exactly on all the rows seen so far.

        The model keeps the sufficient statistics of the objective (the weight
        sum, weighted means, and centred ``X^T X``, ``X^T y``, ``y^T y``, in
        float64 whatever the chunks' dtype) and solves from them, so after any
        number of chunks it equals ``fit`` on all of them, for every penalty,
        with intercept and weights.  Memory is O(n_features^2), independent of
        the number of rows; a ``ValueError`` says how much when that is too much.
        ``solver="cg"`` (which needs the rows) solves the same system by the
        closed form here.

        ``fit`` keeps no statistics (they would cost a pass over the data and
        O(n_features^2) memory that most fits do not need), so a ``partial_fit``
        that follows ``fit`` starts a new stream: the model is then fitted on
        the chunks given to ``partial_fit`` only, and a ``UserWarning`` says so.
        To stream the rows that ``fit`` would have seen, pass them to
        ``partial_fit`` as the first chunk instead.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            A chunk of training data.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Its targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Its sample weights.

        Returns
        -------
        self : RegularizedRegressor
            The updated estimator.
        """
        check_in_memory(self, "partial_fit", X, y, sample_weight)
        self._check_params()
        with restore_on_error(self):
            fitted = self._partial_fit(X, y, sample_weight)
            self._publish(fitted)
        return self

    def _partial_fit(self, X, y, sample_weight):
        first = not hasattr(self, "_stats")
        if first:
            if hasattr(self, "coef_"):
                warnings.warn(
                    "partial_fit after fit starts a new stream: fit keeps no "
                    "statistics of its data, so the model is now fitted on the "
                    "chunks given to partial_fit only. Pass the first rows to "
                    "partial_fit instead of fit to include them.",
                    UserWarning,
                    stacklevel=3,
                )
            n_features = np.shape(X)[1] if len(np.shape(X)) == 2 else None
            n_targets = 1 if np.ndim(y) == 1 else np.shape(y)[1]
            if n_features is not None:
                check_size(n_features, n_targets)
        stream = None if first else (self._stats, self._stats_single,
                                     self._stats_dtype)
        chunk = stream_chunk(self, X, y, sample_weight, stream, SufficientStatistics)
        stats = chunk.stats.update(chunk.X, chunk.Y, chunk.sw)
        if stats.weight <= 0:
            raise ValueError("sample_weight must not be all zero: its sum must be "
                             "positive over the chunks seen so far.")
        fitted = self._solve_statistics(stats, chunk.single, np.dtype(chunk.dtype),
                                        warm=not first and hasattr(self, "coef_"),
                                        names=getattr(self, "feature_names_in_", None))
        fitted.update(_stats=stats.state(), _stats_single=chunk.single,
                      _stats_dtype=chunk.dtype)
        return fitted
