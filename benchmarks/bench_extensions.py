"""What penalty factors and input dropout cost over the plain fit of the same size.

Two kinds of rows, every fit of ``RegularizedRegressor`` timed side by side in
one process, interleaved over ``--repeats`` runs, BLAS pinned to one thread
(threadpoolctl); the report is the median over the runs of the ratio
extension / plain (1.00 = no overhead):

* **equivalent**: the extension and a plain fit that have the same optimum, so
  the ratio is the overhead itself.  Positive factors with L1: the plain fit on
  the columns divided by ``f_j`` (``penalty_factor`` then rescales nothing);
  pure dropout: the plain L2 fit on the columns divided by ``sqrt(d_j)`` with
  ``alpha = q / (1 - q)``.
* **same size**: the extension against the plain fit at the same ``alpha``
  (a different optimum, so the ratio includes what the extra term changes in
  the problem): dropout added to each penalty, two unpenalised features
  (``f_j = 0``, partialled out exactly) with an L1 / elastic-net / L2 penalty.

Every fit runs to ``tol=1e-6``; each row prints both medians.

    python benchmarks/bench_extensions.py               # about 3 minutes
    python benchmarks/bench_extensions.py --repeats 3 --problems tall
"""

import argparse
import time
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from skreg import RegularizedRegressor


def problems():
    rng = np.random.default_rng(0)
    X, y = make_regression(20000, 200, n_informative=40, noise=10.0, random_state=0)
    yield "tall dense 20000 x 200", X * rng.uniform(0.5, 2, 200) + 1.0, y
    X, y = make_regression(400, 4000, n_informative=20, noise=5.0, random_state=1)
    yield "wide dense 400 x 4000", X, y
    Xs = sp.random(20000, 2000, density=0.01, format="csr", random_state=2,
                   data_rvs=lambda k: rng.standard_normal(k))
    w = np.zeros(2000)
    w[:50] = rng.standard_normal(50)
    yield "sparse 20000 x 2000 (1%)", Xs, Xs @ w + 0.1 * rng.standard_normal(20000)


def alpha_max(X, y):
    Xc = X.toarray() if sp.issparse(X) else X
    return np.abs((Xc - Xc.mean(axis=0)).T @ (y - y.mean())).max() / len(y)


def second_moments(X):
    if sp.issparse(X):
        return np.asarray(X.multiply(X).mean(axis=0)).ravel()
    return (X**2).mean(axis=0)


def scale_columns(X, s):
    return sp.csr_matrix(X @ sp.diags(s)) if sp.issparse(X) else X * s


def rows(X, y):
    """``(label, kind, (X_plain, kwargs_plain), (X_ext, kwargs_ext))`` per row."""
    p = X.shape[1]
    rng = np.random.default_rng(3)
    f = rng.uniform(0.5, 2.0, p)
    a = alpha_max(X, y) / 20
    q = 0.2
    d = np.maximum(second_moments(X), 1e-300)
    zeros = np.ones(p)
    zeros[:2] = 0.0
    yield ("L1, factors f > 0", "equivalent",
           (scale_columns(X, 1 / f), dict(penalty="l1", alpha=a)),
           (X, dict(penalty="l1", alpha=a, penalty_factor=f)))
    yield ("pure dropout q=0.2", "equivalent",
           (scale_columns(X, 1 / np.sqrt(d)), dict(penalty="l2", alpha=q / (1 - q))),
           (X, dict(penalty=None, dropout=q)))
    for pen, extra in (("l1", {}), ("elasticnet", dict(l1_ratio=0.5)), ("l2", {})):
        base = dict(penalty=pen, alpha=a, **extra)
        yield (f"{pen} + dropout q=0.2", "same size", (X, base),
               (X, dict(base, dropout=q)))
        yield (f"{pen}, 2 unpenalised features", "same size", (X, base),
               (X, dict(base, penalty_factor=zeros)))


def timed(X, y, kwargs):
    start = time.perf_counter()
    model = RegularizedRegressor(tol=1e-6, max_iter=100_000, **kwargs).fit(X, y)
    return time.perf_counter() - start, model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--problems", nargs="*", default=None,
                        help="first words of the problems to run (tall, wide, sparse)")
    args = parser.parse_args()
    warnings.simplefilter("error", ConvergenceWarning)
    with threadpool_limits(1, user_api="blas"):
        RegularizedRegressor("l1", 0.1).fit(np.random.rand(50, 5), np.random.rand(50))
        print(f"{'problem':26s} {'row':32s} {'kind':10s} {'plain':>9s} {'ext':>9s} "
              f"{'ratio':>6s}")
        for name, X, y in problems():
            if args.problems and name.split()[0] not in args.problems:
                continue
            for label, kind, plain, ext in rows(X, y):
                ratios, t_plain, t_ext = [], [], []
                for _ in range(args.repeats):
                    tp, _ = timed(plain[0], y, plain[1])
                    te, _ = timed(ext[0], y, ext[1])
                    t_plain.append(tp)
                    t_ext.append(te)
                    ratios.append(te / tp)
                print(f"{name:26s} {label:32s} {kind:10s} {np.median(t_plain):8.3f}s "
                      f"{np.median(t_ext):8.3f}s {np.median(ratios):6.2f}", flush=True)


if __name__ == "__main__":
    main()
