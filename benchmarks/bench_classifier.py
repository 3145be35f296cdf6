"""RegularizedClassifier (logistic regression) against scikit-learn, skglm, celer, glum.

The objective (binary: logistic loss and one coefficient vector; K > 2 classes:
the multinomial / softmax loss and K vectors), with sample weights s, S = sum(s),
intercepts unpenalised::

    F(W, b) = 1/S sum_i s_i logloss(y_i, softmax(x_i W^T + b))
              + alpha * sum_j (rho |w_j|_1 + (1 - rho) / 2 |w_j|_2^2)

Every fit of every library is judged by one function written here,
``Judge.gap``, independently of the libraries: a certified bound on how far the
library's own answer (its coefficients *and* its intercepts) is above the
optimum, divided by F at the null model (intercepts only); see ``Judge``.  Each
library's ``tol`` is tightened until the bound is below ``--target`` (default
1e-6) for every fit of the row, and that setting is timed (``calibrated``: the
first setting that reaches it; a library that never does is timed at its
closest setting and marked †).  Every library gets the same iteration budget
(``--max-iter``, 10000: skreg's and every scikit-learn solver's ``max_iter``,
celer's ``max_epochs``, glum's ``max_inner_iter``; ``--outer-iter``, 1000, for
the outer loops of skglm, celer and glum).  The libraries are interleaved, and
each ratio is the median over ``--repeats`` rounds (one round when a round took
over 20 s) of base / theirs, where base is skreg's ``RegularizedClassifier``
when skreg has one, else the fastest scikit-learn solver of the row that
reached the target (below 1: the base is faster).  BLAS and OpenMP (scikit-learn's
and glum's tabmat's libgomp, one library in the process) are pinned to one
thread with threadpoolctl; numba kernels are compiled before.

The parameter mappings (each checked by the judge: ``--check`` fits each peer
tightly and finds gaps of 1e-8 (celer) to 1e-17):

* scikit-learn ``LogisticRegression(C=1 / (alpha * S), l1_ratio=rho)``: the same
  objective multiplied by 1 / (alpha S) (``penalty=`` is deprecated in 1.8).
  Candidates per row, the fastest that reaches the target is the column:
  liblinear (binary L1 / L2), saga (all), lbfgs and newton-cholesky (L2;
  newton-cholesky only when p K <= 2000, it forms the Hessian).  liblinear
  penalises its intercept (the weight of a synthetic feature of value
  ``intercept_scaling``): its settings are (intercept_scaling, tol) pairs,
  1e6 then 1e4 for L1 (1e4 alone stalls near 2e-6 on breast_cancer), 1e2, 1e3,
  1e4 for L2, and the judge scores the intercept it returns.  liblinear and
  saga shuffle: ``random_state=0``.  ``LogisticRegressionCV(solver="liblinear")``
  refits on all the data without its ``intercept_scaling`` (scikit-learn 1.9.1
  does not pass it to the refit): its refit's intercept is penalised, and
  the judge says so.
* skglm ``GeneralizedLinearEstimator(Logistic(), L1(alpha) |
  L1_plus_L2(alpha, rho), ProxNewton(fit_intercept=True))``: exactly F (mean
  logistic loss; skglm maps the labels to -1 / 1).  L2 is ``L1_plus_L2(alpha,
  0)`` (skglm's ``L2`` has no prox: ProxNewton refuses it).  skglm has no
  multinomial loss (its multiclass is one-vs-rest): no skglm column there.
* celer ``LogisticRegression(C=1 / (alpha * n))`` (its objective is
  sum_i log(1 + exp(-y_i x_i w)) + 1/C |w|_1): L1 only, binary only, and no
  intercept (``fit_intercept=True`` raises NotImplementedError; celer issue
  #96).  It is given a constant column of value c (the liblinear device: the
  intercept b = c w_c is then penalised by alpha |b| / c, appended once, not
  timed) and its settings are (c, tol) pairs, c = 1e6, 1e7, 1e5; its answers
  land at gaps of 1e-8..4e-6, erratically, whatever the tol.
* glum ``GeneralizedLinearRegressor(family="binomial", alpha=alpha,
  l1_ratio=rho)`` on y in {0, 1}: its objective, deviance / (2 S) + the same
  penalty, is exactly F (the binomial deviance is twice the log-loss).  Binary
  only (no multinomial family); its IRLS forms the p x p Hessian, so no glum
  column for p > 5000 (the sparse problem).

Parts (``--part``): ``single`` (cold fits at alpha_max/10, /100, /1000, where
alpha_max is that of the L1 part: max_j |x_j^T s (y - ybar)| / S / rho, with
rho = 0.5 for both the elastic net and L2; multinomial: the largest entry of the
null model's gradient), ``grid`` (30 cold fits, geometric from alpha_max to
alpha_max/1000), ``path`` (the same 30 alphas warm-started, where the library
offers it: scikit-learn's ``warm_start=True`` loop over C (liblinear ignores
warm starts: its loop is the cold fits of scikit-learn's ``l1_min_c``
example), skglm's ``warm_start``, celer's ``celer_path``, glum's
``alpha_search=True`` path, skreg's ``warm_start``), and ``cv`` (30 alphas x the
same 5 stratified folds, scored by log-loss, refit included:
``LogisticRegressionCV`` on the same grid (C = 1 / (alpha n_train), n_train the
folds' mean training size: the folds' alphas differ by < 0.3%; each fold's fit
is judged at its own alpha), ``GridSearchCV(LogisticRegression)`` (calibrated
through a subclass that judges each of its fits on its own training fold) and
skreg's ``RegularizedClassifierCV(alphas=grid, cv=folds)`` when it exists
(calibrated by the same cold fits one by one, and its refit)).

Problems: breast_cancer standardised (569 x 30); dense tall (20000 x 200) and
wide (500 x 5000) Gaussian designs; a Toeplitz-correlated design (2000 x 500,
rho = 0.9); sparse CSR (20000 x 50000, density 0.001); labels drawn from a
logistic model with a sparse w and an offset (40-47% positive); digits
standardised (1797 x 64, 10 classes, multinomial).

    pip install ".[bench]"
    python benchmarks/bench_classifier.py --quick       # about 6 minutes
    python benchmarks/bench_classifier.py               # everything (hours)
    python benchmarks/bench_classifier.py --problems tall toeplitz --part single grid
    python benchmarks/bench_classifier.py --problems sparse --penalties l1 --divisors 10
    python benchmarks/bench_classifier.py --check       # test the judge and mappings
"""

import argparse
import inspect
import sys
import time
import warnings

import numpy as np
import scipy.sparse as sp
from scipy.linalg import toeplitz
from scipy.special import expit, logsumexp, softmax, xlogy
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info, threadpool_limits

import skreg

HAS_SKREG = hasattr(skreg, "RegularizedClassifier")
HAS_SKREG_CV = hasattr(skreg, "RegularizedClassifierCV")
VERBOSE = False

# ----------------------------------------------------------------------------- problems


def _logistic_labels(rng, X, n_nonzero, offset=-0.5, strength=2.0):
    """Labels drawn from a logistic model with a sparse w (Xw of std ``strength``)."""
    p = X.shape[1]
    w = np.zeros(p)
    w[rng.choice(p, n_nonzero, replace=False)] = rng.randn(n_nonzero)
    z = np.asarray(X @ w).ravel()
    z = strength * (z - z.mean()) / z.std() + offset
    return (rng.uniform(size=X.shape[0]) < expit(z)).astype(np.int64)


def breast_cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def tall():
    rng = np.random.RandomState(0)
    X = rng.randn(20000, 200)
    return X, _logistic_labels(rng, X, 50)


def wide():
    rng = np.random.RandomState(0)
    X = rng.randn(500, 5000)
    return X, _logistic_labels(rng, X, 20)


def toeplitz_corr():
    rng = np.random.RandomState(0)
    n, p = 2000, 500
    L = np.linalg.cholesky(toeplitz(0.9 ** np.arange(p)))
    X = rng.randn(n, p) @ L.T
    return X, _logistic_labels(rng, X, 50)


def sparse_csr():
    rng = np.random.RandomState(0)
    n, p, nnz = 20000, 50000, 1_000_000  # density 0.001
    X = sp.csr_matrix((rng.uniform(size=nnz), (rng.randint(0, n, nnz),
                                                rng.randint(0, p, nnz))), shape=(n, p))
    X.sum_duplicates()
    return X, _logistic_labels(rng, X, 500)


def digits():
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X), y


PROBLEMS = {
    "breast_cancer": (breast_cancer, "breast_cancer, standardised 569 x 30, binary"),
    "tall": (tall, "dense tall 20000 x 200, binary"),
    "wide": (wide, "dense wide 500 x 5000, binary"),
    "toeplitz": (toeplitz_corr, "Toeplitz rho=0.9 2000 x 500, binary"),
    "sparse": (sparse_csr, "sparse CSR 20000 x 50000, density 0.001, binary"),
    "digits": (digits, "digits, standardised 1797 x 64, 10 classes (multinomial)"),
}

# what --quick runs: problem -> (parts, penalties).  The multinomial L1 and
# elastic-net rows (scikit-learn's saga only, seconds a fit) are left out
QUICK = {"breast_cancer": (["single", "grid", "path", "cv"], ["l1", "elasticnet", "l2"]),
         "digits": (["single"], ["l2"])}

# ------------------------------------------------------------- the independent judge


class Judge:
    """The objective F of one data set, and a certified bound on F(W, b) - min F.

    ``gap(coef, intercept, alpha, rho)`` returns (F(W, b) - D(theta)) / F0, where
    (W, b) is the library's own answer and D(theta) <= min F is the Fenchel dual
    objective at a feasible dual point built from W:

    1. the intercepts are re-optimised for the given W in float64 (a Newton solve,
       safeguarded by backtracking, to machine precision): b*(W);
    2. theta = Y - P, the residual at (W, b*(W)) (P the predicted probabilities,
       Y the labels, one-hot for K > 2).  The intercepts' dual constraint
       sum_i s_i theta_i = 0 is exactly the optimality of b*(W); what rounding
       leaves of it is removed by shifting theta by its weighted mean (the
       probabilities it implies are clipped to [0, 1], a change of order 1e-17);
    3. with no L2 part (rho = 1), theta is scaled by t = min(1, alpha /
       max_j |x_j^T (s theta)| / S) into the dual-feasible set (which keeps the
       intercepts' constraint);
    4. D(theta) = 1/S sum_i s_i H(y_i - theta_i) - h*(X^T (s theta) / S), with H
       the binary entropy (the conjugate of log(1 + e^u) is the negative binary
       entropy) or, for K > 2, the entropy on the simplex (the conjugate of
       log-sum-exp), and h* the conjugate of the penalty: sum (|v| - alpha rho)_+^2
       / (2 alpha (1 - rho)) for rho < 1, the indicator of |v| <= alpha for rho = 1.

    F(W, b) - D(theta) >= F(W, b) - min F >= 0, so the value bounds the
    suboptimality of the answer as returned, intercept included (a library
    whose intercept is off pays for it), and it is 0 exactly at the optimum.
    ``gap_at_best_intercept`` is the classical duality gap F(W, b*(W)) - D.
    F0 = F(0, b*(0)) is the entropy of the weighted class frequencies.
    """

    def __init__(self, X, y, sample_weight=None):
        self.X = X
        self.classes = np.unique(y)
        self.K = len(self.classes)
        self.binary = self.K == 2
        n = X.shape[0]
        s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
        self.a = s / s.sum()                    # s_i / S
        if self.binary:
            self.Y = (y == self.classes[1]).astype(np.float64)
            ybar = self.a @ self.Y
            self.F0 = -xlogy(ybar, ybar) - xlogy(1 - ybar, 1 - ybar)
            self.null_grad = self._rmv(self.a * (self.Y - ybar))[:, None]
        else:
            self.Y = (y[:, None] == self.classes[None, :]).astype(np.float64)
            ybar = self.a @ self.Y
            self.F0 = -xlogy(ybar, ybar).sum()
            self.null_grad = self._rmv(self.a[:, None] * (self.Y - ybar))
        # alpha_max for rho = 1: the largest |gradient| of the loss at the null model
        self.alpha_max = float(np.abs(self.null_grad).max())

    def _mv(self, W):
        """X W^T, shape (n,) binary or (n, K)."""
        return np.asarray(self.X @ W.T)

    def _rmv(self, R):
        return np.asarray(self.X.T @ R)

    def _shape(self, coef, intercept):
        coef = np.asarray(coef, dtype=np.float64)
        intercept = np.asarray(intercept, dtype=np.float64)
        if self.binary:
            return coef.reshape(-1), float(intercept.reshape(-1)[0])
        return coef.reshape(self.K, -1), intercept.reshape(self.K)

    # -- the loss for given margins M = X W^T and intercepts b
    def _loss(self, M, b):
        if self.binary:
            z = M + b
            return self.a @ (np.logaddexp(0.0, z) - self.Y * z)
        Z = M + b
        return self.a @ (logsumexp(Z, axis=1) - (self.Y * Z).sum(axis=1))

    @staticmethod
    def _penalty(W, alpha, rho):
        return alpha * (rho * np.abs(W).sum() + (1 - rho) / 2 * (W * W).sum())

    def objective(self, coef, intercept, alpha, rho):
        W, b = self._shape(coef, intercept)
        return self._loss(self._mv(W), b) + self._penalty(W, alpha, rho)

    def _intercept_derivatives(self, M, b):
        """The loss, its gradient and its Hessian in the intercepts."""
        a, Y = self.a, self.Y
        if self.binary:
            z = M + b
            p = expit(z)
            f = a @ (np.logaddexp(0.0, z) - Y * z)
            return f, a @ (p - Y), a @ (p * (1 - p))
        Z = M + b
        P = softmax(Z, axis=1)
        f = a @ (logsumexp(Z, axis=1) - (Y * Z).sum(axis=1))
        return f, a @ (P - Y), np.diag(a @ P) - (P.T * a) @ P

    def best_intercept(self, M, b0):
        """argmin_b of the loss for margins M: Newton from b0 (or from a guess from
        the class frequencies if that is better; steps of at most 4 in the
        logits), a step accepted when
        it lowers the loss enough (Armijo) or, where the loss is flat to rounding
        (near the optimum), when it lowers the gradient; halved otherwise.  Stops
        when neither falls any more (the gradient at about 1e-17)."""
        # start from b0 or from the intercepts matching the class frequencies at
        # the mean margins, whichever has the lower loss
        ybar = np.clip(self.a @ self.Y, 1e-300, 1)
        guess = (np.log(ybar) - np.log1p(-ybar) if self.binary
                 else np.log(ybar)) - self.a @ M
        b = np.array(b0, dtype=np.float64)
        f, g, H = self._intercept_derivatives(M, guess)
        if np.all(np.isfinite(b)):
            fb, gb, Hb = self._intercept_derivatives(M, b)
            if fb <= f:
                f, g, H = fb, gb, Hb
            else:
                b = guess
        else:
            b = guess
        for _ in range(200):
            gnorm = np.max(np.abs(g))
            if gnorm <= 1e-15:
                # what is left is removed exactly by the shift of theta in _dual;
                # the loss is then within about gnorm^2 / H of its minimum
                break
            if self.binary:
                step = -g / max(H, 1e-300)
            else:
                # H is singular along the constant direction, to which g is
                # orthogonal: (H + 11^T / K) d = -g is the Newton step orthogonal to it
                step = -np.linalg.lstsq(H + np.ones((self.K, self.K)) / self.K, g,
                                        rcond=None)[0]
            # a step of at most 4 in the logits (far from the optimum H underflows)
            step *= min(1.0, 4.0 / np.max(np.abs(step)))
            t = 1.0
            while t > 1e-9:
                fn, gn, Hn = self._intercept_derivatives(M, b + t * step)
                if (fn <= f + 1e-4 * t * np.sum(g * step)
                        or (fn <= f + 1e-14 * abs(f) and np.max(np.abs(gn)) < gnorm)):
                    break
                t /= 2
            else:
                break                       # no progress: at the optimum to rounding
            b, f, g, H = b + t * step, fn, gn, Hn
        return b

    def _dual(self, M, b, alpha, rho):
        """D(theta) for theta built at (M, b) as described above."""
        a, Y = self.a, self.Y
        if self.binary:
            z = M + b
            p, q = expit(z), expit(-z)          # p and 1 - p, each accurate
            theta = Y - p
            c = a @ theta                       # rounding-level constraint violation
            p, q = np.clip(p + c, 0, 1), np.clip(q - c, 0, 1)
            theta = Y - p
            v = self._rmv(a * theta)
        else:
            P = softmax(M + b, axis=1)
            theta = Y - P
            c = a @ theta
            P = np.clip(P + c, 0, 1)
            theta = Y - P
            v = self._rmv(a[:, None] * theta)
        l1, l2 = alpha * rho, alpha * (1 - rho)
        if l2 > 0:
            t = 1.0
            excess = np.maximum(np.abs(v) - l1, 0.0)
            hstar = (excess * excess).sum() / (2 * l2)
        else:
            vmax = np.abs(v).max()
            t = min(1.0, l1 / vmax) if vmax > 0 else 1.0
            hstar = 0.0
        # the probabilities of the dual point, y - t theta = (1 - t) y + t p
        if self.binary:
            pt = (1 - t) * Y + t * p
            qt = (1 - t) * (1 - Y) + t * q
            ent = -(xlogy(pt, pt) + xlogy(qt, qt))
        else:
            Pt = (1 - t) * Y + t * P
            ent = -xlogy(Pt, Pt).sum(axis=1)
        return a @ ent - hstar

    def _parts(self, coef, intercept, alpha, rho):
        W, b = self._shape(coef, intercept)
        M = self._mv(W)
        pen = self._penalty(W, alpha, rho)
        b_star = self.best_intercept(M, b)
        dual = self._dual(M, b_star, alpha, rho)
        return self._loss(M, b) + pen, self._loss(M, b_star) + pen, dual

    seconds = 0.0     # time spent judging (left out of the calibration's run times)

    def gap(self, coef, intercept, alpha, rho):
        """(F(W, b) - D) / F0: the certified relative suboptimality of (W, b)."""
        t0 = time.perf_counter()
        primal, _, dual = self._parts(coef, intercept, alpha, rho)
        Judge.seconds += time.perf_counter() - t0
        return (primal - dual) / self.F0

    def gap_at_best_intercept(self, coef, alpha, rho):
        """(F(W, b*(W)) - D) / F0: the duality gap with the intercepts re-optimised."""
        _, primal, dual = self._parts(coef, np.zeros(1 if self.binary else self.K),
                                      alpha, rho)
        return (primal - dual) / self.F0


# --------------------------------------------------------------------- the libraries

RHO = {"l1": 1.0, "elasticnet": 0.5, "l2": 0.0}


class Problem:
    """A data set with its judge, alpha_max and the folds of the ``cv`` part."""

    def __init__(self, name, X, y, n_folds=5):
        self.name, self.X, self.y = name, X, y
        self.n, self.p = X.shape
        self.judge = Judge(X, y)
        self.binary = self.judge.binary
        self.y01 = ((y == self.judge.classes[1]).astype(np.float64) if self.binary
                    else None)
        self.folds = list(StratifiedKFold(n_folds, shuffle=True,
                                          random_state=0).split(np.zeros(self.n), y))
        self.n_train = float(np.mean([len(tr) for tr, _ in self.folds]))
        self._fold_judges = None
        self._aug = {}

    def alpha_max(self, penalty):
        """alpha_max of the L1 part (rho = 1); elastic net and L2 use rho = 0.5's."""
        return self.judge.alpha_max / max(RHO[penalty], 0.5)

    def fold_judges(self):
        if self._fold_judges is None:
            self._fold_judges = [Judge(self.X[tr], self.y[tr]) for tr, _ in self.folds]
        return self._fold_judges

    def augmented(self, c):
        """X with a constant column of value c (celer's intercept), built once."""
        if c not in self._aug:
            col = np.full((self.n, 1), c)
            self._aug[c] = (sp.hstack([self.X, sp.csr_matrix(col)], format="csr")
                            if sp.issparse(self.X) else np.hstack([self.X, col]))
        return self._aug[c]


def _gaps(judge, fits, alphas, rho):
    return [judge.gap(c, b, a, rho) for (c, b), a in zip(fits, alphas)]


class Library:
    """One column: ``configs`` (groups of settings, each group ordered loose to
    tight) and ``make(config)`` -> (fit, judged): ``fit()`` is what is timed,
    ``judged()`` runs it (or its exact equivalent) and returns the relative gaps
    of all its fits."""

    name = "?"
    label = "?"

    def skip(self, prob, penalty, kind):
        """A reason not to run this row, or None."""
        return None


class SkregLib(Library):
    name = label = "skreg"

    def __init__(self, max_iter, target):
        self.max_iter, self.target = max_iter, target

    def skip(self, prob, penalty, kind):
        if kind == "cv":
            return None if HAS_SKREG_CV else "no RegularizedClassifierCV yet"
        if not HAS_SKREG:
            return "no RegularizedClassifier yet"
        params = skreg.RegularizedClassifier().get_params()
        if kind == "path" and "warm_start" not in params:
            return "no warm_start"
        return None

    def configs(self, prob, penalty, kind):
        return [[{"tol": self.target * 10.0**-k} for k in range(0, 7)]]

    def _est(self, penalty, alpha, tol, **kw):
        return skreg.RegularizedClassifier(penalty=penalty, alpha=alpha, l1_ratio=0.5,
                                           tol=tol, max_iter=self.max_iter, **kw)

    def make(self, prob, penalty, kind, alphas, config):
        X, y, rho, tol = prob.X, prob.y, RHO[penalty], config["tol"]
        if kind == "cv":
            return self._make_cv(prob, penalty, alphas, tol)
        if kind == "path":
            def fit():
                est = self._est(penalty, alphas[0], tol, warm_start=True)
                out = []
                for a in alphas:
                    est.set_params(alpha=a).fit(X, y)
                    out.append((est.coef_.copy(), np.copy(est.intercept_)))
                return out
        else:
            def fit():
                out = []
                for a in alphas:
                    est = self._est(penalty, a, tol).fit(X, y)
                    out.append((est.coef_, est.intercept_))
                return out
        return fit, lambda: _gaps(prob.judge, fit(), alphas, rho)

    def _make_cv(self, prob, penalty, alphas, tol):
        rho = RHO[penalty]
        params = inspect.signature(skreg.RegularizedClassifierCV).parameters
        extra = {"scoring": "neg_log_loss"} if "scoring" in params else {}

        def fit():
            return skreg.RegularizedClassifierCV(
                penalty=penalty, alphas=alphas, cv=prob.folds, l1_ratio=0.5, tol=tol,
                max_iter=self.max_iter, **extra).fit(prob.X, prob.y)

        def judged():
            # the folds' fits are not exposed: the same cold fits, one by one, with
            # the same tol, then the refit of the CV object itself
            gaps = []
            for (tr, _), judge in zip(prob.folds, prob.fold_judges()):
                for a in alphas:
                    est = self._est(penalty, a, tol).fit(prob.X[tr], prob.y[tr])
                    gaps.append(judge.gap(est.coef_, est.intercept_, a, rho))
            cv = fit()
            gaps.append(prob.judge.gap(cv.coef_, cv.intercept_, cv.alpha_, rho))
            return gaps
        return fit, judged

    def chosen_alpha(self, result, prob):
        return result.alpha_


class SklearnLib(Library):
    """``LogisticRegression`` with one solver (C = 1 / (alpha n), l1_ratio = rho)."""

    name = "sklearn"

    def __init__(self, solver, max_iter, cv_kind=None):
        self.solver, self.max_iter, self.cv_kind = solver, max_iter, cv_kind
        self.label = solver if cv_kind is None else f"{cv_kind} {solver}"

    def skip(self, prob, penalty, kind):
        s = self.solver
        if (kind == "cv") != (self.cv_kind is not None):
            return "other part"
        if s == "liblinear" and (not prob.binary or penalty == "elasticnet"):
            return "liblinear: binary L1 / L2 only"
        if s in ("lbfgs", "newton-cholesky") and penalty != "l2":
            return "L2 only"
        if s == "newton-cholesky" and prob.p * (1 if prob.binary else prob.judge.K) > 2e3:
            return "newton-cholesky forms the dense p x p Hessian: p too large"
        return None

    def configs(self, prob, penalty, kind):
        tols = [10.0**-k for k in range(1, 11)]
        if self.solver == "liblinear":
            # liblinear penalises its intercept: the synthetic feature's value
            # (intercept_scaling) must be large, but too large stalls it
            scalings = (1e2, 1e3, 1e4) if penalty == "l2" else (1e6, 1e4)
            return [[{"tol": t, "intercept_scaling": c} for t in tols] for c in scalings]
        return [[{"tol": t} for t in tols]]

    def _est(self, penalty, C, config, **kw):
        # random_state: liblinear and saga shuffle; fixed, a calibrated setting
        # does the same work when timed
        return LogisticRegression(C=C, l1_ratio=RHO[penalty], solver=self.solver,
                                  max_iter=self.max_iter, random_state=0, **config, **kw)

    def make(self, prob, penalty, kind, alphas, config):
        X, y, n, rho = prob.X, prob.y, prob.n, RHO[penalty]
        if kind == "cv":
            return self._make_cv(prob, penalty, alphas, config)
        if kind == "path":
            def fit():
                est = self._est(penalty, 1 / (alphas[0] * n), config, warm_start=True)
                out = []
                for a in alphas:
                    est.set_params(C=1 / (a * n)).fit(X, y)
                    out.append((est.coef_.copy(), est.intercept_.copy()))
                return out
        else:
            def fit():
                ests = (self._est(penalty, 1 / (a * n), config).fit(X, y) for a in alphas)
                return [(e.coef_, e.intercept_) for e in ests]
        return fit, lambda: _gaps(prob.judge, fit(), alphas, rho)

    def _make_cv(self, prob, penalty, alphas, config):
        rho = RHO[penalty]
        Cs = 1 / (np.asarray(alphas) * prob.n_train)   # increasing: alpha decreasing
        if self.cv_kind == "LRCV":
            def fit():
                return LogisticRegressionCV(
                    Cs=Cs, l1_ratios=(rho,), cv=prob.folds, solver=self.solver,
                    scoring="neg_log_loss", max_iter=self.max_iter, random_state=0,
                    use_legacy_attributes=False, **config).fit(prob.X, prob.y)

            def judged():
                cv = fit()
                p = prob.p
                gaps = []
                for f, ((tr, _), judge) in enumerate(zip(prob.folds, prob.fold_judges())):
                    for k, C in enumerate(cv.Cs_):
                        w = cv.coefs_paths_[f, 0, k]
                        gaps.append(judge.gap(w[:, :p], w[:, p], 1 / (C * len(tr)), rho))
                gaps.append(prob.judge.gap(cv.coef_, cv.intercept_,
                                           1 / (cv.C_ * prob.n), rho))
                return gaps
            return fit, judged

        def fit(est_class=LogisticRegression):
            est = est_class(l1_ratio=rho, solver=self.solver, max_iter=self.max_iter,
                            random_state=0, **config)
            return GridSearchCV(est, {"C": list(Cs)}, cv=prob.folds,
                                scoring="neg_log_loss").fit(prob.X, prob.y)

        def judged():
            _JudgedLogisticRegression.gaps = []
            fit(_JudgedLogisticRegression)
            return _JudgedLogisticRegression.gaps
        return lambda: fit(), judged

    def chosen_alpha(self, result, prob):
        C = result.C_ if self.cv_kind == "LRCV" else result.best_params_["C"]
        return 1 / (float(C) * prob.n_train)


class _JudgedLogisticRegression(LogisticRegression):
    """LogisticRegression that judges each of its fits on its own training data
    (GridSearchCV's folds and refit), for the calibration of GridSearchCV."""

    gaps = []

    def fit(self, X, y, sample_weight=None):
        super().fit(X, y)
        _JudgedLogisticRegression.gaps.append(Judge(X, y).gap(
            self.coef_, self.intercept_, 1 / (self.C * X.shape[0]), self.l1_ratio))
        return self


class SkglmLib(Library):
    """skglm ``GeneralizedLinearEstimator(Logistic(), penalty, ProxNewton)``."""

    name = label = "skglm"

    def __init__(self, outer_iter):
        self.outer_iter = outer_iter

    def skip(self, prob, penalty, kind):
        if kind == "cv":
            return "other part"
        if not prob.binary:
            return "skglm has no multinomial loss (one-vs-rest only)"
        return None

    def configs(self, prob, penalty, kind):
        amax = prob.judge.alpha_max      # tol bounds the optimality violation
        return [[{"tol": amax * 10.0**-k} for k in range(0, 13)]]

    @staticmethod
    def _penalty(penalty, alpha):
        from skglm.penalties import L1, L1_plus_L2
        if penalty == "l1":
            return L1(alpha)
        # skglm's L2 penalty has no prox (ProxNewton refuses it): L1_plus_L2 at 0
        return L1_plus_L2(alpha, RHO[penalty])

    def _est(self, penalty, alpha, tol, warm_start=False):
        from skglm import GeneralizedLinearEstimator
        from skglm.datafits import Logistic
        from skglm.solvers import ProxNewton
        return GeneralizedLinearEstimator(
            Logistic(), self._penalty(penalty, alpha),
            ProxNewton(tol=tol, max_iter=self.outer_iter, fit_intercept=True,
                       warm_start=warm_start))

    def make(self, prob, penalty, kind, alphas, config):
        X, y, tol = prob.X, prob.y, config["tol"]
        if kind == "path":
            def fit():
                est = self._est(penalty, alphas[0], tol, warm_start=True)
                out = []
                for a in alphas:
                    est.penalty = self._penalty(penalty, a)
                    est.fit(X, y)
                    out.append((est.coef_.copy(), np.copy(est.intercept_)))
                return out
        else:
            def fit():
                return [(e.coef_, e.intercept_) for e in
                        (self._est(penalty, a, tol).fit(X, y) for a in alphas)]
        return fit, lambda: _gaps(prob.judge, fit(), alphas, RHO[penalty])


class CelerLib(Library):
    """celer ``LogisticRegression`` (L1, binary, no intercept) on [X, c 1]."""

    name = label = "celer"

    def __init__(self, max_iter, outer_iter):
        self.max_iter, self.outer_iter = max_iter, outer_iter

    def skip(self, prob, penalty, kind):
        if kind == "cv":
            return "other part"
        if penalty != "l1":
            return "celer's logistic regression is L1 only"
        if not prob.binary:
            return "celer's multiclass is one-vs-rest"
        return None

    def configs(self, prob, penalty, kind):
        tols = [10.0**-k for k in range(1, 11)]
        # c = 1e4 leaves a bias of about 1e-6 (alpha |b| / c); much above 1e7 the
        # solver's own gap (its dual rescaled by the constant column) stalls
        return [[{"c": c, "tol": t} for t in tols] for c in (1e6, 1e7, 1e5)]

    def make(self, prob, penalty, kind, alphas, config):
        import celer
        c, tol, n = config["c"], config["tol"], prob.n
        Xa, y = prob.augmented(c), prob.y

        def split(w):
            w = np.ravel(w)
            return w[:-1], w[-1] * c

        if kind == "path":
            def fit():
                _, coefs, _ = celer.celer_path(
                    Xa, 2.0 * prob.y01 - 1, "logreg", alphas=np.asarray(alphas) * n,
                    tol=tol, max_iter=self.outer_iter, max_epochs=self.max_iter,
                    use_PN=True)
                return [split(w) for w in coefs.T]
        else:
            def fit():
                return [split(celer.LogisticRegression(
                    C=1 / (a * n), tol=tol, max_iter=self.outer_iter,
                    max_epochs=self.max_iter).fit(Xa, y).coef_) for a in alphas]
        return fit, lambda: _gaps(prob.judge, fit(), alphas, 1.0)


class GlumLib(Library):
    """glum ``GeneralizedLinearRegressor(family="binomial")`` on y in {0, 1}."""

    name = label = "glum"

    def __init__(self, max_iter, outer_iter):
        self.max_iter, self.outer_iter = max_iter, outer_iter

    def skip(self, prob, penalty, kind):
        if kind == "cv":
            return "other part"
        if not prob.binary:
            return "glum has no multinomial family"
        if prob.p > 5000:
            return "glum's IRLS forms the dense p x p Hessian: p too large"
        return None

    def configs(self, prob, penalty, kind):
        amax = prob.judge.alpha_max      # gradient_tol: on the minimum-norm subgradient
        return [[{"gradient_tol": amax * 10.0**-k} for k in range(0, 13)]]

    def make(self, prob, penalty, kind, alphas, config):
        import glum
        X, y, rho = prob.X, prob.y01, RHO[penalty]
        kw = dict(family="binomial", l1_ratio=rho, max_iter=self.outer_iter,
                  max_inner_iter=self.max_iter, **config)
        if kind == "path":
            def fit():
                est = glum.GeneralizedLinearRegressor(
                    alpha_search=True, alphas=np.asarray(alphas), **kw).fit(X, y)
                return list(zip(est.coef_path_, est.intercept_path_))
        else:
            def fit():
                return [(e.coef_, e.intercept_) for e in
                        (glum.GeneralizedLinearRegressor(alpha=a, **kw).fit(X, y)
                         for a in alphas)]
        return fit, lambda: _gaps(prob.judge, fit(), alphas, rho)


# -------------------------------------------------------------- calibration, timing


def calibrated(lib, prob, penalty, kind, alphas, target, cap):
    """The first setting with which every fit of the row reaches the target.

    The settings come in groups ordered loose to tight (liblinear and celer: one
    group per value of the intercept's column).  Within a group, tightening stops
    at the first setting that reaches the target, or when a run took longer than
    ``cap`` seconds, or when the gap stalled (two tightenings in a row that cost
    over a second each and did not halve it).  The next group is tried only when
    this one did not reach the target within ``cap`` seconds; of the settings
    that reached it, the one whose run was the fastest is kept.  Returns (config,
    worst gap, reached, note); when nothing reached the target, the setting with
    the smallest worst gap.
    """
    best, reached = (None, np.inf, False, ""), []
    for group in lib.configs(prob, penalty, kind):
        previous, stalled = np.inf, 0
        for config in group:
            _, judged = lib.make(prob, penalty, kind, alphas, config)
            t0, judging = time.perf_counter(), Judge.seconds
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    gaps = judged()
                except Exception as exc:                  # noqa: BLE001
                    return config, np.nan, False, f"error: {type(exc).__name__}: {exc}"
            # the run's time, the judge's own left out
            elapsed = time.perf_counter() - t0 - (Judge.seconds - judging)
            worst = float(np.max(gaps))
            _progress(f"  {prob.name} {penalty} {kind} {lib.label} {_fmt_config(config)}:"
                      f" gap {worst:.1e} in {elapsed:.2f} s")
            if worst <= target:
                reached.append((elapsed, config, worst))
                break
            if worst < best[1]:
                best = (config, worst, False, "target not reached")
            if elapsed > cap:
                best = best[:3] + (f"target not reached (stopped tightening: a run "
                                   f"took {elapsed:.0f} s)",)
                break
            # stalled: two tightenings in a row that cost over a second each and
            # did not halve the gap (cheap runs go on: liblinear, celer and the
            # Newton-type solvers leave plateaus of several settings, then jump)
            flat = worst > previous / 2 and elapsed > 1.0
            stalled = stalled + 1 if flat else 0
            previous = min(previous, worst)
            if stalled >= 2:
                best = best[:3] + ("target not reached (stalled)",)
                break
        if reached and min(reached, key=lambda r: r[0])[0] <= cap:
            break
    if reached:
        _, config, worst = min(reached, key=lambda r: r[0])
        return config, worst, True, ""
    return best


def _progress(msg):
    if VERBOSE:
        print(msg, file=sys.stderr, flush=True)


def timed(runs, repeats, slow):
    """Seconds of each run per round, the runs interleaved (one round when slow)."""
    times = [[] for _ in runs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(repeats):
            for k, run in enumerate(runs):
                t0 = time.perf_counter()
                run()
                times[k].append(time.perf_counter() - t0)
            if max(t[-1] for t in times) > slow:
                break
    return [np.array(t) for t in times]


def run_row(prob, libraries, penalty, kind, alphas, args):
    """Calibrate and time every library of a row; a dict label -> result."""
    out = {}
    for lib in libraries:
        reason = lib.skip(prob, penalty, kind)
        if reason is not None:
            if reason != "other part":
                out[lib.label] = {"lib": lib, "skipped": reason}
            continue
        config, gap, reached, note = calibrated(lib, prob, penalty, kind, alphas,
                                                args.target, args.cap)
        res = {"lib": lib, "config": config, "gap": gap, "reached": reached,
               "note": note}
        if config is not None and not note.startswith("error"):
            res["fit"] = lib.make(prob, penalty, kind, alphas, config)[0]
        out[lib.label] = res
    active = [r for r in out.values() if "fit" in r]
    results = {}

    def keep(k, fit):
        def run():
            results[k] = fit()
        return run
    for r, t in zip(active, timed([keep(k, r["fit"]) for k, r in enumerate(active)],
                                  args.repeats, args.slow)):
        r["times"] = t
        r["time"] = float(np.median(t))
    for k, r in enumerate(active):
        if kind == "cv" and hasattr(r["lib"], "chosen_alpha"):
            r["alpha_"] = r["lib"].chosen_alpha(results[k], prob)
    return out


# ------------------------------------------------------------------------- reports


def _fmt_config(config):
    if not config:
        return ""
    return ", ".join(f"{k}={v:.0e}" if isinstance(v, float) else f"{k}={v}"
                     for k, v in config.items())


def _best(out, name, kind):
    """The fastest result of a library (scikit-learn: over its solvers), preferring
    those that reached the target."""
    cands = [r for r in out.values() if r["lib"].name == name and "time" in r]
    if kind == "cv" and name == "sklearn":
        return {cv: _best({k: r for k, r in out.items() if r["lib"].name == "sklearn"
                           and r["lib"].cv_kind == cv}, "sklearn", None)
                for cv in ("LRCV", "GridSearchCV")}
    if not cands:
        return None
    reached = [r for r in cands if r["reached"]]
    return min(reached or cands, key=lambda r: r["time"])


def summarise(prob, penalty, kind, label, out, ratios):
    """Print the row of the summary table; collect the ratios to the base."""
    if kind == "cv":
        sk = _best(out, "sklearn", kind)
        cols = [("skreg", out.get("skreg") if "time" in out.get("skreg", {}) else None),
                ("LogisticRegressionCV", sk["LRCV"]),
                ("GridSearchCV", sk["GridSearchCV"])]
    else:
        cols = [(name, _best(out, name, kind))
                for name in ("skreg", "sklearn", "skglm", "celer", "glum")]
    # skreg, else the fastest scikit-learn solver, else the first library there
    base = next((r for _, r in cols if r is not None), None)
    cells = []
    for name, r in cols:
        if r is None:
            cells.append("n/a")
            continue
        mark = "" if r["reached"] else " †"
        solver = (f" {r['lib'].solver}" if r["lib"].name == "sklearn" else "")
        if r is base:
            cells.append(f"{r['time']:.4f}{solver} (base){mark}")
        else:
            ratio = float(np.median(base["times"] / r["times"]))   # same rounds
            ratios.setdefault(name, []).append(ratio)
            cells.append(f"{r['time']:.4f}{solver} ×{ratio:.2f}{mark}")
    print(f"| {prob.name} | {penalty} | {label} | " + " | ".join(cells) + " |",
          flush=True)


def details(prob, penalty, kind, label, out):
    lines = []
    for key, r in out.items():
        if "skipped" in r:
            lines.append(f"| {prob.name} | {penalty} | {label} | {key} | skipped: "
                         f"{r['skipped']} | | | |")
            continue
        t = f"{r['time']:.4f}" if "time" in r else "n/a"
        extra = f", chosen alpha {r['alpha_']:.3g}" if "alpha_" in r else ""
        note = (r["note"] + extra).strip(", ")
        lines.append(f"| {prob.name} | {penalty} | {label} | {key} | "
                     f"{_fmt_config(r['config'])} | {r['gap']:.1e} | {t} | {note} |")
    return lines


def warm_up(libraries):
    """Compile the numba kernels (skglm, skreg) outside the timings, and load every
    library's native code (so that threadpoolctl sees its OpenMP / BLAS)."""
    rng = np.random.RandomState(0)
    X = rng.randn(60, 5)
    y = (X[:, 0] + rng.randn(60) > 0).astype(int)
    y3 = np.digitize(X[:, 1] + rng.randn(60), [-0.5, 0.5])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for Xw, yw in ((X, y), (sp.csr_matrix(X), y), (X, y3), (sp.csr_matrix(X), y3)):
            prob = Problem("warm-up", Xw, yw)
            for lib in libraries:
                for penalty in ("l1", "elasticnet", "l2"):
                    if lib.skip(prob, penalty, "single") is None:
                        lib.make(prob, penalty, "single", [0.01],
                                 lib.configs(prob, penalty, "single")[0][0])[0]()


def check_judge():
    """The judge: >= 0 at random points, about 0 at tight optima, and each peer's
    parameter mapping (its tight fit must be at a gap near 0)."""
    rng = np.random.RandomState(0)
    print("| problem | penalty | alpha | min gap: 50 random points; 20 perturbations "
          "of the tight fit | tight fit | "
          "gap of the tight fit | same, b re-optimised |")
    print("|---|---|---|---|---|---|---|")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ("breast_cancer", "digits"):
            X, y = PROBLEMS[name][0]()
            prob = Problem(name, X, y)
            J, n = prob.judge, prob.n
            K = 1 if J.binary else J.K
            for penalty in ("l1", "elasticnet", "l2"):
                rho = RHO[penalty]
                for div in (10, 100, 1000):
                    alpha = prob.alpha_max(penalty) / div
                    rand = min(J.gap(rng.randn(K, prob.p) * 10**rng.uniform(-4, 1),
                                     rng.randn(K) * 3, alpha, rho) for _ in range(50))
                    fits = []
                    if penalty == "l2":
                        fits.append(("lbfgs tol 1e-12", LogisticRegression(
                            C=1 / (alpha * n), l1_ratio=0.0, tol=1e-12,
                            max_iter=100_000)))
                    elif div < 1000:     # saga needs more than 1e5 epochs at /1000
                        fits.append(("saga tol 1e-12", LogisticRegression(
                            C=1 / (alpha * n), l1_ratio=rho, solver="saga", tol=1e-12,
                            max_iter=100_000)))
                    if penalty == "l1" and J.binary:
                        fits.append(("liblinear 1e6 tol 1e-10", LogisticRegression(
                            C=1 / (alpha * n), l1_ratio=1.0, solver="liblinear",
                            intercept_scaling=1e6, tol=1e-10, max_iter=100_000,
                            random_state=0)))
                    for label, est in fits:
                        est.fit(X, y)
                        # and near the optimum, where the gap is a small difference
                        near = min(J.gap(est.coef_ + rng.randn(*est.coef_.shape) * e,
                                         est.intercept_ + rng.randn(K) * e, alpha, rho)
                                   for e in np.geomspace(1e-8, 1e-2, 20))
                        print(f"| {name} | {penalty} | max/{div} | {rand:.1e}; near: "
                              f"{near:.1e} | {label} | "
                              f"{J.gap(est.coef_, est.intercept_, alpha, rho):.1e} | "
                              f"{J.gap_at_best_intercept(est.coef_, alpha, rho):.1e} |",
                              flush=True)
                    if J.binary:
                        peers = ((SkglmLib(1000), {"tol": 1e-12}),
                                 (GlumLib(100_000, 1000), {"gradient_tol": 1e-12}),
                                 (CelerLib(100_000, 1000), {"c": 1e6, "tol": 1e-10}))
                        for lib, config in peers:
                            if lib.skip(prob, penalty, "single") is None:
                                (coef, b), = lib.make(prob, penalty, "single", [alpha],
                                                      config)[0]()
                                g_b = J.gap_at_best_intercept(coef, alpha, rho)
                                print(f"| {name} | {penalty} | max/{div} | | {lib.name} "
                                      f"{_fmt_config(config)} | "
                                      f"{J.gap(coef, b, alpha, rho):.1e} | {g_b:.1e} |",
                                      flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", nargs="*", default=None,
                        help=f"any of {', '.join(PROBLEMS)} (default: all)")
    parser.add_argument("--part", nargs="*", default=None,
                        choices=["single", "grid", "path", "cv"],
                        help="default: single grid path cv")
    parser.add_argument("--penalties", nargs="*", default=["l1", "elasticnet", "l2"])
    parser.add_argument("--repeats", type=int, default=None,
                        help="default 5 (--quick: 3)")
    parser.add_argument("--quick", action="store_true",
                        help="every part on breast_cancer, L2 single fits on digits, "
                        "grids of 10, 3 repeats (one when a round takes over 2 s), "
                        "--cap 2")
    parser.add_argument("--target", type=float, default=1e-6,
                        help="relative gap every fit must reach (default 1e-6)")
    parser.add_argument("--divisors", nargs="*", type=float, default=[10, 100, 1000],
                        help="single fits at alpha_max / these (default 10 100 1000)")
    parser.add_argument("--grid", type=int, default=30,
                        help="alphas of the grid, path and cv parts (default 30)")
    parser.add_argument("--max-iter", type=int, default=10_000,
                        help="the common iteration budget: max_iter of skreg and of "
                        "every scikit-learn solver, celer's max_epochs, glum's "
                        "max_inner_iter (default 10000)")
    parser.add_argument("--outer-iter", type=int, default=1000,
                        help="outer iterations of skglm's ProxNewton and celer "
                        "(working sets) and glum (IRLS) (default 1000)")
    parser.add_argument("--cap", type=float, default=30.0,
                        help="stop tightening a library's tol once one of its runs "
                        "took longer than this many seconds (default 30)")
    parser.add_argument("--skip", nargs="*", default=[],
                        choices=["skreg", "sklearn", "skglm", "celer", "glum"])
    parser.add_argument("--sklearn-solvers", nargs="*",
                        default=["liblinear", "saga", "lbfgs", "newton-cholesky"])
    parser.add_argument("--verbose", action="store_true",
                        help="print every calibration run on stderr")
    parser.add_argument("--check", action="store_true",
                        help="test the judge and the peers' mappings instead")
    args = parser.parse_args()
    global VERBOSE
    VERBOSE = args.verbose
    if args.check:
        check_judge()
        return
    problems = args.problems or (list(QUICK) if args.quick else list(PROBLEMS))
    parts = args.part or ["single", "grid", "path", "cv"]
    args.repeats = args.repeats or (3 if args.quick else 5)
    args.slow = 20.0
    if args.quick:
        args.grid = 10 if args.grid == 30 else args.grid
        args.cap = min(args.cap, 2.0)
        args.slow = 2.0

    libraries = []
    if "skreg" not in args.skip:
        libraries.append(SkregLib(args.max_iter, args.target))
    if "sklearn" not in args.skip:
        for cv_kind in (None, "LRCV", "GridSearchCV"):
            libraries += [SklearnLib(s, args.max_iter, cv_kind)
                          for s in args.sklearn_solvers]
    for name, make in (("skglm", lambda: SkglmLib(args.outer_iter)),
                       ("celer", lambda: CelerLib(args.max_iter, args.outer_iter)),
                       ("glum", lambda: GlumLib(args.max_iter, args.outer_iter))):
        if name in args.skip:
            continue
        try:
            __import__(name)
        except ImportError:
            print(f"{name} is not installed: no {name} column")
            continue
        libraries.append(make())

    import sklearn
    versions = [f"scikit-learn {sklearn.__version__}"]
    for name in ("skglm", "celer", "glum"):
        try:
            versions.append(f"{name} {__import__(name).__version__}")
        except ImportError:
            pass
    warm_up(libraries)
    with threadpool_limits(limits=1):
        pools = [f"{i['internal_api']} {i.get('version') or ''} of "
                 f"{i['filepath'].split('site-packages/')[-1].split('/')[0]} "
                 f"({i['num_threads']} thread)" for i in threadpool_info()]
        print(f"BLAS and OpenMP pinned to one thread: {'; '.join(pools)}")
        print(", ".join(versions))
        base = "skreg" if HAS_SKREG else "the fastest scikit-learn solver"
        print(f"skreg.RegularizedClassifier: {'yes' if HAS_SKREG else 'not yet'}, "
              f"RegularizedClassifierCV: {'yes' if HAS_SKREG_CV else 'not yet'}; base "
              f"of the ratios: {base}")
        print(f"target relative gap {args.target:g}, max_iter {args.max_iter}, outer "
              f"iterations {args.outer_iter}, median of {args.repeats} interleaved "
              f"rounds; cells: seconds and base / theirs († target not reached)\n")
        all_details, ratios = [], {}
        for part in parts:
            if part == "cv":
                print("| problem | penalty | alphas x folds | skreg CV | "
                      "LogisticRegressionCV | GridSearchCV |")
                print("|---|---|---|---|---|---|")
            else:
                print("| problem | penalty | alpha | skreg | sklearn | skglm | celer | "
                      "glum |")
                print("|---|---|---|---|---|---|---|---|")
            for name in problems:
                quick_parts, quick_penalties = QUICK.get(name, (parts, args.penalties))
                if args.quick and part not in quick_parts:
                    continue
                X, y = PROBLEMS[name][0]()
                prob = Problem(name, X, y)
                for penalty in args.penalties:
                    if args.quick and penalty not in quick_penalties:
                        continue
                    amax = prob.alpha_max(penalty)
                    grid = list(np.geomspace(amax, amax / 1000, args.grid))
                    if part == "single":
                        rows = [(f"max/{d:g}", [amax / d]) for d in args.divisors]
                    elif part == "cv":
                        rows = [(f"{args.grid} x {len(prob.folds)}", grid)]
                    else:
                        rows = [(f"{part} of {args.grid}", grid)]
                    for label, alphas in rows:
                        out = run_row(prob, libraries, penalty, part, alphas, args)
                        summarise(prob, penalty, part, label, out, ratios)
                        all_details += details(prob, penalty, part, label, out)
            print()
        for name, r in ratios.items():
            print(f"base / {name}: median {np.median(r):.2f}, worst {np.max(r):.2f}, "
                  f"at or below 1.0 on {sum(x <= 1.0 for x in r)} of {len(r)} rows")
        print("\nEvery library, its calibrated setting and the judge's worst relative "
              "gap over the row's fits:\n")
        print("| problem | penalty | alpha | library | setting | gap | time (s) | note |")
        print("|---|---|---|---|---|---|---|---|")
        print("\n".join(all_details))


if __name__ == "__main__":
    main()
