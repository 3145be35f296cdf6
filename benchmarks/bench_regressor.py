"""RegularizedRegressor against scikit-learn's Lasso / ElasticNet / Ridge, side by side.

Every fit is judged by one duality-gap function written here, independently of
both libraries, and every estimator is brought to the same gap (``--target``,
relative to the objective at w = 0): each one's ``tol`` is tightened until the
independent gap is below the target, and that setting is timed.  The report is
the median over ``--repeats`` runs (a single run for a row whose first run took
over 20 s) and the ratio ours / scikit-learn's (below 1 means skreg is faster).

BLAS is pinned to one thread with threadpoolctl for the whole run: the machine
has two shared cores, and two BLAS threads on a busy core made some fits 20x
slower.

    python benchmarks/bench_regressor.py               # everything (about an hour:
                                                       # scikit-learn's sparse rows)
    python benchmarks/bench_regressor.py --problems tall wide --repeats 3
"""

import argparse
import time
import warnings

import numpy as np
import scipy.sparse as sp
from scipy.linalg import toeplitz
from sklearn.datasets import load_diabetes, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, Lasso, Ridge
from sklearn.preprocessing import PolynomialFeatures, StandardScaler
from threadpoolctl import threadpool_info, threadpool_limits

from skreg import RegularizedRegressor

# ----------------------------------------------------------------------------- problems


def tall():
    X, y = make_regression(20000, 200, n_informative=50, noise=10.0, random_state=0)
    return X, y


def wide():
    X, y = make_regression(500, 5000, n_informative=20, noise=5.0, random_state=0)
    return X, y


def toeplitz_corr():
    rng = np.random.RandomState(0)
    n, p = 2000, 1000
    L = np.linalg.cholesky(toeplitz(0.8 ** np.arange(p)))
    X = rng.randn(n, p) @ L.T
    w = np.zeros(p)
    w[rng.choice(p, 50, replace=False)] = rng.randn(50)
    return X, X @ w + 0.5 * rng.randn(n)


def sparse_csr():
    rng = np.random.RandomState(0)
    n, p, nnz = 20000, 50000, 1_000_000  # density 0.001
    X = sp.csr_matrix((rng.uniform(size=nnz), (rng.randint(0, n, nnz),
                                                rng.randint(0, p, nnz))), shape=(n, p))
    X.sum_duplicates()
    w = np.zeros(50000)
    w[rng.choice(50000, 500, replace=False)] = rng.randn(500)
    return X, X @ w + 0.1 * rng.randn(20000)


def diabetes_poly3():
    X, y = load_diabetes(return_X_y=True)
    X = PolynomialFeatures(3, include_bias=False).fit_transform(X)
    return StandardScaler().fit_transform(X), y


PROBLEMS = {
    "tall": (tall, "dense tall 20000 x 200"),
    "wide": (wide, "dense wide 500 x 5000"),
    "toeplitz": (toeplitz_corr, "Toeplitz rho=0.8 2000 x 1000"),
    "sparse": (sparse_csr, "sparse CSR 20000 x 50000, density 0.001"),
    "poly3": (diabetes_poly3, "diabetes, degree-3 features 442 x 285"),
}

# ------------------------------------------------------------- the independent judge


def centred_products(X, y):
    """Return functions for Xc @ w and Xc^T @ u, with Xc = X - mean(X) (never densified)."""
    mean = np.asarray(X.mean(axis=0)).ravel()
    yc = y - y.mean()

    def mv(w):
        return np.asarray(X @ w).ravel() - mean @ w

    def rmv(u):
        return np.asarray(X.T @ u).ravel() - mean * u.sum()

    return mv, rmv, yc


def relative_gap(judge, coef, alpha, l1_ratio):
    """Duality gap of F at coef (intercept at its optimum), divided by F(0)."""
    mv, rmv, yc = judge
    n = yc.size
    l1, l2 = alpha * l1_ratio, alpha * (1 - l1_ratio)
    r = yc - mv(coef)
    v = rmv(r) / n
    primal = r @ r / (2 * n) + l1 * np.abs(coef).sum() + l2 / 2 * coef @ coef
    if l2 > 0:
        excess = np.maximum(np.abs(v) - l1, 0.0)
        dual = (r @ yc - 0.5 * r @ r) / n - excess @ excess / (2 * l2)
    else:
        scale = min(1.0, l1 / max(np.abs(v).max(), 1e-300))
        dual = (scale * r @ yc - 0.5 * scale**2 * r @ r) / n
    return (primal - dual) / (yc @ yc / (2 * n))


# ------------------------------------------------------------------------ estimators


def ours(penalty, alpha, l1_ratio, tol):
    return RegularizedRegressor(penalty, alpha, l1_ratio=l1_ratio, tol=tol,
                                max_iter=100_000)


def theirs(penalty, alpha, l1_ratio, tol, n):
    if penalty == "l1":
        return Lasso(alpha=alpha, tol=tol, max_iter=100_000)
    if penalty == "elasticnet":
        return ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=tol, max_iter=100_000)
    return Ridge(alpha=alpha * n, tol=tol)


def calibrated(make, X, y, judge, alphas, rho, target, tols):
    """First tol in ``tols`` with which every fit reaches the target gap, and the gap."""
    worst = np.inf
    for tol in tols:
        worst = 0.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for alpha in alphas:
                est = make(alpha, tol).fit(X, y)
                worst = max(worst, relative_gap(judge, est.coef_, alpha, rho))
        if worst <= target:
            return tol, worst
    return tol, worst


def timed(make, X, y, alphas, tol, repeats):
    times = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(repeats):
            t0 = time.perf_counter()
            for alpha in alphas:
                make(alpha, tol).fit(X, y)
            times.append(time.perf_counter() - t0)
            if times[-1] > 20.0:  # one run of a slow row is measurement enough
                break
    return float(np.median(times))


def run_row(X, y, judge, penalty, alphas, target, repeats):
    n = X.shape[0]
    rho = {"l1": 1.0, "elasticnet": 0.5, "l2": 0.0}[penalty]
    tols_ours = [target * 10.0**-k for k in range(0, 6)]
    tols_sk = [target / 2 * 10.0**-k for k in range(0, 6)]
    if penalty == "l2":
        tols_sk = [1e-4 * 10.0**-k for k in range(0, 9)]

    def make_ours(a, t):
        return ours(penalty, a, 0.5, t)

    def make_sk(a, t):
        return theirs(penalty, a, 0.5, t, n)

    tol_o, gap_o = calibrated(make_ours, X, y, judge, alphas, rho, target, tols_ours)
    tol_s, gap_s = calibrated(make_sk, X, y, judge, alphas, rho, target, tols_sk)
    t_o = timed(make_ours, X, y, alphas, tol_o, repeats)
    t_s = timed(make_sk, X, y, alphas, tol_s, repeats)
    return t_o, t_s, gap_o, gap_s


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", nargs="*", default=list(PROBLEMS))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--target", type=float, default=1e-6,
                        help="relative duality gap every fit must reach (default 1e-6)")
    parser.add_argument("--grid", type=int, default=30,
                        help="alphas in the grid-search row (default 30; 0 skips it)")
    parser.add_argument("--penalties", nargs="*", default=["l1", "elasticnet", "l2"])
    args = parser.parse_args()

    with threadpool_limits(limits=1):
        blas = [f"{i['internal_api']} {i.get('version')} ({i['num_threads']} thread)"
                for i in threadpool_info() if i["user_api"] == "blas"]
        print(f"BLAS pinned to one thread: {', '.join(blas)}")
        print(f"target relative duality gap {args.target:g}, median of "
              f"{args.repeats} repeats\n")
        print("| problem | penalty | alpha | skreg (s) | sklearn (s) | ratio | "
              "gap skreg | gap sklearn |")
        print("|---|---|---|---|---|---|---|---|")
        ratios = []
        for name in args.problems:
            X, y = PROBLEMS[name][0]()
            judge = centred_products(X, y)
            amax = np.max(np.abs(judge[1](judge[2]))) / X.shape[0]
            rows = []
            for penalty in args.penalties:
                scale = amax if penalty == "l1" else 2 * amax
                for div in (10, 100, 1000):
                    rows.append((penalty, f"max/{div}", [scale / div]))
            if args.grid and "l1" in args.penalties:
                grid = list(np.geomspace(amax, amax / 1000, args.grid))
                rows.append(("l1", f"grid of {args.grid}", grid))
            for penalty, label, alphas in rows:
                t_o, t_s, g_o, g_s = run_row(X, y, judge, penalty, alphas,
                                             args.target, args.repeats)
                ratios.append(t_o / t_s)
                print(f"| {name} | {penalty} | {label} | {t_o:.4f} | {t_s:.4f} | "
                      f"{t_o / t_s:.2f} | {g_o:.1e} | {g_s:.1e} |", flush=True)
        print(f"\nratio ours / sklearn: median {np.median(ratios):.2f}, "
              f"worst {np.max(ratios):.2f}, best {np.min(ratios):.2f}")


if __name__ == "__main__":
    main()
