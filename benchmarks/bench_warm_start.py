"""A warm start from a nearby alpha against a cold fit, for skreg and scikit-learn.

For every problem of ``bench_regressor.py``, L1 and elastic net at alpha_max / 10,
/ 100 and / 1000: the solution at ``alpha`` is the start of a fit at ``0.9 alpha``
(``warm_start=True``, ``coef_`` set to it), against a cold fit at ``0.9 alpha``.
Both libraries at their default ``tol``; BLAS on one thread; times are medians of
``--repeats`` rounds, each round timing all four fits in turn.  Columns: the
epochs of each fit (scikit-learn's ``n_iter_``), the times, and warm / cold.

    python benchmarks/bench_warm_start.py
    python benchmarks/bench_warm_start.py --problems diabetes tall
"""

import argparse
import time
import warnings

import numpy as np
from bench_regressor import PROBLEMS
from sklearn.linear_model import ElasticNet
from threadpoolctl import threadpool_limits

from skreg import RegularizedRegressor

RHO = {"l1": 1.0, "elasticnet": 0.5}


def _fits(X, y, penalty, alpha):
    """Four thunks: skreg cold and warm, scikit-learn cold and warm, at 0.9 alpha,
    the warm ones from the solution at alpha."""
    rho = RHO[penalty]
    start = RegularizedRegressor(penalty, alpha, l1_ratio=rho).fit(X, y)
    ours = RegularizedRegressor(penalty, 0.9 * alpha, l1_ratio=rho, warm_start=True)
    theirs = ElasticNet(alpha=0.9 * alpha, l1_ratio=rho, warm_start=True)

    def ours_warm():
        ours.coef_, ours.intercept_ = start.coef_.copy(), start.intercept_
        return ours.fit(X, y)

    def theirs_warm():
        theirs.coef_ = start.coef_.copy()
        return theirs.fit(X, y)

    return {
        "skreg cold": lambda: RegularizedRegressor(penalty, 0.9 * alpha,
                                                   l1_ratio=rho).fit(X, y),
        "skreg warm": ours_warm,
        "sklearn cold": lambda: ElasticNet(alpha=0.9 * alpha, l1_ratio=rho).fit(X, y),
        "sklearn warm": theirs_warm,
    }


def run(problem, penalty, div, repeats):
    X, y = PROBLEMS[problem][0]()
    Xc = X - X.mean(axis=0)
    alpha_max = np.max(np.abs(Xc.T @ (y - y.mean()))) / (len(y) * RHO[penalty])
    fits = _fits(X, y, penalty, alpha_max / div)
    times = {name: [] for name in fits}
    epochs = {}
    for _ in range(repeats):
        for name, fit in fits.items():
            t0 = time.perf_counter()
            model = fit()
            times[name].append(time.perf_counter() - t0)
            epochs[name] = int(np.max(model.n_iter_))
    t = {name: np.array(v) for name, v in times.items()}
    med = {name: float(np.median(v)) for name, v in t.items()}
    ratio = {lib: float(np.median(t[f"{lib} warm"] / t[f"{lib} cold"]))
             for lib in ("skreg", "sklearn")}
    return (f"| {problem} | {penalty} | max/{div} | {epochs['skreg cold']} -> "
            f"{epochs['skreg warm']} | {med['skreg cold'] * 1e3:.1f} | "
            f"{med['skreg warm'] * 1e3:.1f} | **{ratio['skreg']:.2f}** | "
            f"{epochs['sklearn cold']} -> {epochs['sklearn warm']} | "
            f"{med['sklearn cold'] * 1e3:.1f} | {med['sklearn warm'] * 1e3:.1f} | "
            f"{ratio['sklearn']:.2f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problems", nargs="+",
                        default=["diabetes", "tall", "toeplitz", "wide", "poly3"],
                        choices=list(PROBLEMS))
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print("| problem | penalty | alpha | skreg epochs cold -> warm | cold (ms) | "
          "warm (ms) | skreg warm / cold | sklearn epochs cold -> warm | cold (ms) | "
          "warm (ms) | sklearn warm / cold |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    warnings.simplefilter("ignore")
    with threadpool_limits(1):
        for problem in args.problems:
            for penalty in RHO:
                for div in (10, 100, 1000):
                    print(run(problem, penalty, div, args.repeats), flush=True)


if __name__ == "__main__":
    main()
