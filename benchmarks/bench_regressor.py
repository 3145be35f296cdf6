"""RegularizedRegressor against scikit-learn (Lasso / ElasticNet / Ridge) and skglm.

Every fit is judged by one duality-gap function written here, independently of
the libraries, and every estimator is brought to the same gap (``--target``,
relative to the objective at w = 0): each one's ``tol`` is tightened until the
independent gap is below the target, and that setting is timed.  The report is
the median over ``--repeats`` interleaved runs (a single run for a row whose
first run took over 20 s) of ours / theirs (below 1 means skreg is faster).

Rows per problem: L1, elastic net (``l1_ratio=0.5``) and L2 at alpha_max/10,
/100 and /1000 (single cold fits); ``grid of 30``: 30 cold fits from alpha_max
to alpha_max/1000 (what ``GridSearchCV`` does); ``path of 30``: the same 30
alphas as one warm-started path, ``regularization_path`` against
``sklearn.linear_model.lasso_path`` / ``enet_path`` (both on centred data, as
those have no intercept).  skglm (0.5: working sets and Anderson-accelerated
coordinate descent, compiled with numba) is timed on the L1 and elastic-net
single fits.  ``--jit`` times the first fit of a fresh process with an empty and
with a warm numba cache instead.

BLAS is pinned to one thread with threadpoolctl for the whole run: the machine
has two shared cores, and two BLAS threads on a busy core made some fits 20x
slower.

    python benchmarks/bench_regressor.py               # everything (about an hour:
                                                       # scikit-learn's sparse rows)
    python benchmarks/bench_regressor.py --problems tall wide --repeats 3
    python benchmarks/bench_regressor.py --jit
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import scipy.sparse as sp
from scipy.linalg import toeplitz
from sklearn.datasets import load_diabetes, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, Lasso, Ridge, enet_path
from sklearn.preprocessing import PolynomialFeatures, StandardScaler
from threadpoolctl import threadpool_info, threadpool_limits

from skreg import RegularizedRegressor, regularization_path

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


def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def diabetes_poly3():
    X, y = load_diabetes(return_X_y=True)
    X = PolynomialFeatures(3, include_bias=False).fit_transform(X)
    return StandardScaler().fit_transform(X), y


PROBLEMS = {
    "tall": (tall, "dense tall 20000 x 200"),
    "wide": (wide, "dense wide 500 x 5000"),
    "toeplitz": (toeplitz_corr, "Toeplitz rho=0.8 2000 x 1000"),
    "sparse": (sparse_csr, "sparse CSR 20000 x 50000, density 0.001"),
    "diabetes": (diabetes, "diabetes, standardised 442 x 10"),
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

RHO = {"l1": 1.0, "elasticnet": 0.5, "l2": 0.0}


class _Fit:
    """A single cold fit, as an object with ``coef_`` (the judge's input)."""

    def __init__(self, make, alpha, tol):
        self.make, self.alpha, self.tol = make, alpha, tol

    def run(self, X, y):
        return [self.make(self.alpha, self.tol).fit(X, y).coef_]


def ours(penalty, alpha, tol):
    return RegularizedRegressor(penalty, alpha, l1_ratio=0.5, tol=tol, max_iter=100_000)


def sklearn_model(penalty, alpha, tol, n):
    if penalty == "l1":
        return Lasso(alpha=alpha, tol=tol, max_iter=100_000)
    if penalty == "elasticnet":
        return ElasticNet(alpha=alpha, l1_ratio=0.5, tol=tol, max_iter=100_000)
    return Ridge(alpha=alpha * n, tol=tol)


def skglm_model(penalty, alpha, tol):
    import skglm

    if penalty == "l1":
        return skglm.Lasso(alpha=alpha, tol=tol, max_iter=1000)
    return skglm.ElasticNet(alpha=alpha, l1_ratio=0.5, tol=tol, max_iter=1000)


# --------------------------------------------------------------------------- rows


def _runs(kind, library, penalty, alphas, X, y, n):
    """A function ``tol -> list of coefficient vectors`` (one per alpha) for a row."""
    if kind == "path":
        Xc = X - X.mean(axis=0)
        yc = y - y.mean()
        if library == "skreg":
            def run(tol):
                _, coefs, _ = regularization_path(
                    Xc, yc, penalty=penalty, l1_ratio=0.5, alphas=alphas, tol=tol,
                    max_iter=100_000, fit_intercept=False)
                return list(coefs.T)
        else:
            def run(tol):
                _, coefs, _ = enet_path(Xc, yc, l1_ratio=RHO[penalty], alphas=alphas,
                                        tol=tol, max_iter=100_000)
                return list(coefs.T)
        return run
    make = {"skreg": lambda a, t: ours(penalty, a, t),
            "sklearn": lambda a, t: sklearn_model(penalty, a, t, n),
            "skglm": lambda a, t: skglm_model(penalty, a, t)}[library]

    def run(tol):
        return [make(alpha, tol).fit(X, y).coef_ for alpha in alphas]
    return run


def _tols(library, penalty, target, amax):
    if library == "skreg":
        return [target * 10.0**-k for k in range(0, 6)]
    if library == "skglm":           # an absolute bound on the optimality violation
        return [amax * 10.0**-k for k in range(2, 13)]
    if penalty == "l2":
        return [1e-4 * 10.0**-k for k in range(0, 9)]
    return [target / 2 * 10.0**-k for k in range(0, 6)]


def calibrated(run, judge, alphas, rho, target, tols):
    """First tol in ``tols`` with which every fit reaches the target gap, and the gap."""
    worst = np.inf
    for tol in tols:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            coefs = run(tol)
        worst = max(relative_gap(judge, c, a, rho) for c, a in zip(coefs, alphas))
        if worst <= target:
            return tol, worst
    return tol, worst


def timed(runs, repeats):
    """Seconds of each run per round, the runs interleaved (one round when slow)."""
    times = [[] for _ in runs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(repeats):
            for k, run in enumerate(runs):
                t0 = time.perf_counter()
                run()
                times[k].append(time.perf_counter() - t0)
            if max(t[-1] for t in times) > 20.0:
                break
    return times


def run_row(X, y, judge, kind, penalty, alphas, target, repeats, amax, skip):
    n = X.shape[0]
    rho = RHO[penalty]
    libraries = ["skreg", "sklearn"]
    if kind == "single" and penalty != "l2":
        libraries.append("skglm")
    libraries = [lib for lib in libraries if lib not in skip]
    out = {}
    calls = []
    for lib in libraries:
        run = _runs(kind, lib, penalty, alphas, X, y, n)
        tol, gap = calibrated(run, judge, alphas, rho, target, _tols(lib, penalty,
                                                                     target, amax))
        out[lib] = {"gap": gap}
        calls.append(lambda run=run, tol=tol: run(tol))
    for lib, t in zip(libraries, timed(calls, repeats)):
        out[lib]["times"] = np.array(t)
        out[lib]["time"] = float(np.median(t))
    return out


def _ratio(out, lib, base="skreg"):
    """The median over the rounds of ours / theirs (each round times both)."""
    return float(np.median(out[base]["times"] / out[lib]["times"]))


def _cell(out, lib):
    return f"{_ratio(out, lib):.2f}" if lib in out else "n/a"


def jit_timing():
    """First fits of a fresh process: empty numba cache, then the cache it wrote.

    Columns: the import, the first fit (L1 on the diabetes data: the Gram form),
    the three next ones (L1 and float32 elastic net on 200 x 2000 columns, L1 on a
    sparse matrix: each a new form to compile), then the first fit again."""
    code = ("import time; t0 = time.perf_counter(); import numpy as np;"
            "from sklearn.datasets import load_diabetes;"
            "from skreg import RegularizedRegressor;"
            "X, y = load_diabetes(return_X_y=True);"
            "t1 = time.perf_counter(); RegularizedRegressor('l1', 0.1).fit(X, y);"
            "t2 = time.perf_counter();"
            "import scipy.sparse as sp; rng = np.random.default_rng(0);"
            "W = rng.standard_normal((200, 2000)); z = W[:, :5].sum(1);"
            "RegularizedRegressor('l1', 0.1).fit(W, z);"
            "RegularizedRegressor('elasticnet', 0.1).fit(W.astype(np.float32), z);"
            "S = sp.random(2000, 5000, density=0.01, format='csr', random_state=0);"
            "RegularizedRegressor('l1', 0.01).fit(S, S[:, :5].toarray().sum(1));"
            "t3 = time.perf_counter(); RegularizedRegressor('l1', 0.1).fit(X, y);"
            "t4 = time.perf_counter();"
            "print(f'{t1 - t0:.2f} {t2 - t1:.2f} {t3 - t2:.2f} {t4 - t3:.4f}')")
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        for label in ("empty", "warm"):
            out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                 capture_output=True, text=True).stdout.split()
            print(f"| {label} | {out[0]} | {out[1]} | {out[2]} | "
                  f"{float(out[3]) * 1000:.1f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", nargs="*", default=list(PROBLEMS))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--target", type=float, default=1e-6,
                        help="relative duality gap every fit must reach (default 1e-6)")
    parser.add_argument("--grid", type=int, default=30,
                        help="alphas in the grid and path rows (default 30; 0 skips them)")
    parser.add_argument("--penalties", nargs="*", default=["l1", "elasticnet", "l2"])
    parser.add_argument("--rows", nargs="*", default=["single", "grid", "path"],
                        choices=["single", "grid", "path"])
    parser.add_argument("--skip", nargs="*", default=[], choices=["sklearn", "skglm"],
                        help="libraries not to time (scikit-learn's sparse rows take "
                        "most of an hour)")
    parser.add_argument("--jit", action="store_true",
                        help="time the first fit of a fresh process instead")
    args = parser.parse_args()

    if args.jit:
        print("| numba cache | import (s) | first fit: L1 (s) | next three: dense, "
              "float32, sparse (s) | first fit again (ms) |")
        print("|---|---|---|---|---|")
        jit_timing()
        return
    with threadpool_limits(limits=1):
        blas = [f"{i['internal_api']} {i.get('version')} ({i['num_threads']} thread)"
                for i in threadpool_info() if i["user_api"] == "blas"]
        print(f"BLAS pinned to one thread: {', '.join(blas)}")
        print(f"target relative duality gap {args.target:g}, median of "
              f"{args.repeats} interleaved repeats\n")
        print("| problem | penalty | alpha | skreg (s) | / sklearn | / skglm | "
              "gap skreg | gap sklearn | gap skglm |")
        print("|---|---|---|---|---|---|---|---|---|")
        # warm the compiled kernels (and their cache) outside the timings
        Xw, yw = diabetes()
        RegularizedRegressor("l1", 1.0).fit(Xw, yw)
        vs_sk, vs_glm = [], []
        for name in args.problems:
            X, y = PROBLEMS[name][0]()
            judge = centred_products(X, y)
            amax = np.max(np.abs(judge[1](judge[2]))) / X.shape[0]
            rows = []
            if "single" in args.rows:
                for penalty in args.penalties:
                    scale = amax if penalty == "l1" else 2 * amax
                    for div in (10, 100, 1000):
                        rows.append(("single", penalty, f"max/{div}", [scale / div]))
            for kind in ("grid", "path"):
                # scikit-learn's paths have no intercept, and a sparse design
                # cannot be centred beforehand: no path row there
                if args.grid and kind in args.rows and not (
                        kind == "path" and sp.issparse(X)):
                    for penalty in [p for p in args.penalties if p != "l2"]:
                        scale = amax if penalty == "l1" else 2 * amax
                        grid = list(np.geomspace(scale, scale / 1000, args.grid))
                        rows.append((kind, penalty, f"{kind} of {args.grid}", grid))
            for kind, penalty, label, alphas in rows:
                out = run_row(X, y, judge, kind, penalty, alphas, args.target,
                              args.repeats, amax, args.skip)
                if "sklearn" in out:
                    vs_sk.append(_ratio(out, "sklearn"))
                if "skglm" in out:
                    vs_glm.append(_ratio(out, "skglm"))
                gaps = [f"{out[lib]['gap']:.1e}" if lib in out else "n/a"
                        for lib in ("skreg", "sklearn", "skglm")]
                print(f"| {name} | {penalty} | {label} | {out['skreg']['time']:.4f} | "
                      f"{_cell(out, 'sklearn')} | {_cell(out, 'skglm')} | "
                      f"{' | '.join(gaps)} |", flush=True)
        if vs_sk:
            print(f"\nours / sklearn: median {np.median(vs_sk):.2f}, worst "
                  f"{np.max(vs_sk):.2f}, at or below 1.0 on "
                  f"{sum(r <= 1.0 for r in vs_sk)} of {len(vs_sk)} rows")
        if vs_glm:
            print(f"ours / skglm: median {np.median(vs_glm):.2f}, worst "
                  f"{np.max(vs_glm):.2f}, at or below 1.0 on "
                  f"{sum(r <= 1.0 for r in vs_glm)} of {len(vs_glm)} rows")


if __name__ == "__main__":
    main()
