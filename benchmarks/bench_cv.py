"""RegularizedRegressorCV against GridSearchCV and scikit-learn's CV estimators.

For every problem of ``bench_regressor.py`` and every penalty, the same grid of
30 alphas (from alpha_max down to alpha_max / 1000, computed on all the data)
and the same 5 folds are given to:

* ``RegularizedRegressorCV`` (paths per fold, then a refit);
* ``GridSearchCV(RegularizedRegressor)`` (150 cold fits, then a refit);
* scikit-learn's ``LassoCV`` / ``ElasticNetCV(l1_ratio=0.5)`` / ``RidgeCV``
  (``RidgeCV`` with alphas ``alpha * n_train``, its scale for the same model).

and for L2 also leave-one-out: ``RegularizedRegressorCV(cv=None)`` against
``RidgeCV(cv=None)`` (both from one decomposition).  Every estimator runs with
its default ``tol``; the table shows the alpha each one chose, so that a speed-up
bought by a different answer would show.  Times are medians of ``--repeats``
runs (one run when the first took over 20 s); ratios are ours / theirs (below 1
means RegularizedRegressorCV is faster).

BLAS is pinned to one thread with threadpoolctl (two BLAS threads on the two
shared cores of this machine made some fits 20x slower).

    python benchmarks/bench_cv.py                       # everything (~20 minutes)
    python benchmarks/bench_cv.py --problems tall wide --penalties l1
"""

import argparse
import time
import warnings

import numpy as np
from bench_regressor import PROBLEMS
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNetCV, LassoCV, RidgeCV
from sklearn.model_selection import GridSearchCV, KFold
from threadpoolctl import threadpool_info, threadpool_limits

from skreg import RegularizedRegressor, RegularizedRegressorCV
from skreg._path import alpha_grid

N_ALPHAS = 30


def _timed(make, X, y, repeats):
    times, est = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        est = make().fit(X, y)
        times.append(time.perf_counter() - t0)
        if times[0] > 20:
            break
    return float(np.median(times)), est


def _grid(X, y, rho):
    """alpha_max (of the elastic net for L2, as in bench_regressor) down to
    alpha_max / 1000."""
    Xty = np.asarray(X.T @ (y - y.mean())).ravel()    # = Xc^T yc: yc sums to 0
    return alpha_grid(Xty, float(len(y)), max(rho, 0.5), N_ALPHAS, 1e-3)


def run(problem, penalty, repeats, skip_sklearn=False):
    X, y = PROBLEMS[problem][0]()
    rho = {"l1": 1.0, "elasticnet": 0.5, "l2": 0.0}[penalty]
    grid = _grid(X, y, rho)
    folds = list(KFold(5, shuffle=True, random_state=0).split(X))
    n_train = len(folds[0][0])
    rows = []
    ours = lambda: RegularizedRegressorCV(penalty, alphas=grid, cv=folds)  # noqa: E731
    search = lambda: GridSearchCV(  # noqa: E731
        RegularizedRegressor(penalty), {"alpha": grid}, cv=folds,
        scoring="neg_mean_squared_error")
    if penalty == "l1":
        theirs = lambda: LassoCV(alphas=grid, cv=folds)  # noqa: E731
    elif penalty == "elasticnet":
        theirs = lambda: ElasticNetCV(l1_ratio=0.5, alphas=grid, cv=folds)  # noqa: E731
    else:
        theirs = lambda: RidgeCV(alphas=grid * n_train, cv=folds)  # noqa: E731
    t_ours, e_ours = _timed(ours, X, y, repeats)
    t_grid, e_grid = _timed(search, X, y, repeats)
    if skip_sklearn:
        t_sk, sk_alpha = np.nan, np.nan
    else:
        t_sk, e_sk = _timed(theirs, X, y, repeats)
        sk_alpha = e_sk.alpha_ / (n_train if penalty == "l2" else 1)
    rows.append((problem, penalty, "5-fold", t_ours, t_grid, t_sk, e_ours.alpha_,
                 e_grid.best_params_["alpha"], sk_alpha))
    if penalty == "l2" and not skip_sklearn:
        n = X.shape[0]
        t_ours, e_ours = _timed(
            lambda: RegularizedRegressorCV("l2", alphas=grid, cv=None), X, y, repeats)
        t_sk, e_sk = _timed(lambda: RidgeCV(alphas=grid * n), X, y, repeats)
        rows.append((problem, penalty, "leave-one-out", t_ours, np.nan, t_sk,
                     e_ours.alpha_, np.nan, e_sk.alpha_ / n))
    return rows


def _line(row):
    problem, penalty, cv, t_ours, t_grid, t_sk, a_ours, a_grid, a_sk = row
    grid_cells = ("n/a", "n/a") if np.isnan(t_grid) else (
        f"{t_grid:.3f}", f"**{t_ours / t_grid:.3f}**")
    sk_cells = ("n/a", "n/a", "n/a") if np.isnan(t_sk) else (
        f"{t_sk:.3f}", f"**{t_ours / t_sk:.2f}**", f"{a_sk:.3g}")
    return (f"| {problem} | {penalty} | {cv} | {t_ours:.3f} | {grid_cells[0]} | "
            f"{sk_cells[0]} | {grid_cells[1]} | {sk_cells[1]} | "
            f"{a_ours:.3g} | {'n/a' if np.isnan(a_grid) else f'{a_grid:.3g}'} | "
            f"{sk_cells[2]} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS),
                        choices=list(PROBLEMS))
    parser.add_argument("--penalties", nargs="+", default=["l1", "elasticnet", "l2"],
                        choices=["l1", "elasticnet", "l2"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-sklearn", action="store_true",
                        help="time only ours and the grid search (scikit-learn's "
                        "sparse CV classes take many minutes on the sparse problem)")
    args = parser.parse_args()
    with threadpool_limits(1):
        info = [(i["internal_api"], i["version"], i["num_threads"])
                for i in threadpool_info()]
        print(f"BLAS pinned to one thread: {info}")
        print("| problem | penalty | cv | ours (s) | GridSearchCV (s) | sklearn CV (s) "
              "| ours / grid | ours / sklearn | alpha ours | alpha grid | "
              "alpha sklearn |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for problem in args.problems:
                for penalty in args.penalties:
                    for row in run(problem, penalty, args.repeats, args.skip_sklearn):
                        print(_line(row), flush=True)


if __name__ == "__main__":
    main()
