"""The same fits on two versions of skreg in one process, alternating: a change's
cost measured under the same load.

``--old DIR`` is a folder holding a copy of the old package renamed
``skreg_old`` (its imports are relative, so it runs as it is), for example::

    git worktree add /tmp/old <commit>
    mkdir -p /tmp/oldpkg && cp -r /tmp/old/skreg /tmp/oldpkg/skreg_old
    python benchmarks/bench_before_after.py --old /tmp/oldpkg

Rows: the single fits of ``bench_regressor.py`` (L1 / elastic net / L2 at
``alpha_max`` / 10, / 100, / 1000), ``regularization_path`` over 30 alphas, and
``RegularizedRegressorCV`` (30 alphas, 5 folds; for L2 also leave-one-out), and
the one-pass CV from one ``partial_fit`` on 200,000 x 100.  Each row is timed
``--repeats`` times per version, the versions alternating, BLAS on one thread;
the table gives the medians and the ratio new / old (below 1: the new one is
faster).
"""

import argparse
import statistics
import sys
import time
import warnings

import numpy as np
from bench_regressor import PROBLEMS, RHO
from sklearn.model_selection import KFold
from threadpoolctl import threadpool_limits


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _rows(problems):
    """``(name, make(module))`` for every row: ``make`` returns a thunk to time."""
    for name in problems:
        X, y = PROBLEMS[name][0]()
        n = X.shape[0]
        yc = y - y.mean()
        corr = np.abs(np.asarray(X.T @ yc)).max() / n
        for penalty in ("l1", "elasticnet", "l2"):
            rho = RHO[penalty]
            top = corr / max(rho, 1e-3)
            for div in (10, 100, 1000):
                yield (f"{name} {penalty} max/{div}",
                       lambda m, X=X, y=y, p=penalty, a=top / div:
                       lambda: m.RegularizedRegressor(p, a).fit(X, y))
            yield (f"{name} {penalty} path of 30",
                   lambda m, X=X, y=y, p=penalty:
                   lambda: m.regularization_path(X, y, penalty=p, alphas=30))
            folds = list(KFold(5, shuffle=True, random_state=0).split(X))
            yield (f"{name} {penalty} CV 30 x 5",
                   lambda m, X=X, y=y, p=penalty, f=folds:
                   lambda: m.RegularizedRegressorCV(p, alphas=30, cv=f).fit(X, y))
        yield (f"{name} l2 leave-one-out",
               lambda m, X=X, y=y: lambda: m.RegularizedRegressorCV(
                   "l2", alphas=30, cv=None).fit(X, y))


def _one_pass_row():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200_000, 100))
    y = X[:, :10] @ rng.normal(size=10) + rng.normal(size=200_000)
    labels = rng.integers(0, 5, size=200_000)
    return ("200000 x 100 one-pass CV (partial_fit)",
            lambda m: lambda: m.RegularizedRegressorCV("l1", alphas=30).partial_fit(
                X, y, folds=labels))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", required=True)
    parser.add_argument("--problems", nargs="*", default=["diabetes", "tall", "toeplitz",
                                                          "wide", "poly3"])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sys.path.insert(0, args.old)
    import skreg
    import skreg_old
    versions = {"old": skreg_old, "new": skreg}
    warnings.simplefilter("ignore")
    print("| row | old (s) | new (s) | new / old |")
    print("|---|---|---|---|")
    ratios = []
    with threadpool_limits(1):
        for name, make in [*_rows(args.problems), _one_pass_row()]:
            thunks = {v: make(m) for v, m in versions.items()}
            for thunk in thunks.values():      # compile and warm up
                thunk()
            times = {"old": [], "new": []}
            for _ in range(args.repeats):
                for v in ("old", "new"):
                    times[v].append(_timed(thunks[v]))
            old, new = (statistics.median(times[v]) for v in ("old", "new"))
            ratio = statistics.median(n / o for n, o in zip(times["new"], times["old"]))
            ratios.append(ratio)
            print(f"| {name} | {old:.4f} | {new:.4f} | {ratio:.2f} |", flush=True)
    print(f"\n{len(ratios)} rows: median new / old {statistics.median(ratios):.2f}, "
          f"range {min(ratios):.2f} - {max(ratios):.2f}")


if __name__ == "__main__":
    main()
