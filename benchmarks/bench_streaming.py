"""Out-of-core least squares: RegularizedRegressor vs SGDRegressor, by partial_fit.

The same stream of chunks (generated on the fly from a seed, never all in memory)
goes through both estimators in one process, for an L2 and an L1 penalty with
the same objective (``SGDRegressor(alpha=a)`` minimises the mean half squared
error plus ``a`` times its penalty, which is ``RegularizedRegressor(alpha=a)``'s
objective). Reported per estimator: total time of the ``partial_fit`` calls
(chunk generation excluded), rows per second, peak memory allocated by the
calls (tracemalloc, numpy included), and the distance to the exact solution:
the relative suboptimality ``(F(w) - F*) / F*`` computed exactly from the
stream's sufficient statistics, and ``|w - w*| / |w*|`` (``w*``: numpy's linear
solve for L2; for L1 the working-set solver at a 1e-12 relative gap on the same
statistics).  skreg's model after
the last chunk *is* ``fit`` on all the rows (tests check it on smaller data);
its ``dual_gap_`` certifies it.

BLAS is pinned to one thread with threadpoolctl (two BLAS threads on the two
shared cores of this machine made some fits 20x slower).

    python benchmarks/bench_streaming.py                      # 10^7 x 100, ~3 min
    python benchmarks/bench_streaming.py --rows 1000000
"""

import argparse
import time
import tracemalloc

import numpy as np
from sklearn.linear_model import SGDRegressor
from threadpoolctl import threadpool_limits

from skreg import RegularizedRegressor
from skreg._statistics import SufficientStatistics


def chunks(n_rows, n_features, chunk_rows, seed=0):
    """The stream: a fixed linear model with 10 non-zero coefficients plus noise."""
    rng = np.random.default_rng(seed)
    w = np.zeros(n_features)
    w[:10] = rng.normal(size=10) * 3
    scale = rng.uniform(0.5, 2.0, n_features)
    shift = rng.normal(size=n_features)
    for start in range(0, n_rows, chunk_rows):
        m = min(chunk_rows, n_rows - start)
        X = rng.standard_normal((m, n_features)) * scale + shift
        y = X @ w + 5.0 + rng.standard_normal(m)
        yield X, y


def objective(stats, coef, intercept, alpha, rho):
    """F(w, b) exactly from the stream's statistics (with the intercept b)."""
    S = stats.weight
    r = stats.yy[0] - 2 * coef @ stats.xy[:, 0] + coef @ stats.xx @ coef
    offset = stats.y_mean[0] - intercept - stats.x_mean @ coef
    data = (r + S * offset**2) / (2 * S)
    return data + alpha * (rho * np.abs(coef).sum() + (1 - rho) / 2 * coef @ coef)


def exact_solution(stats, penalty, alpha):
    """w* from the statistics: numpy's linear solve for L2, for L1 skreg's
    working-set solver run to a 1e-12 relative duality gap."""
    S = stats.weight
    if penalty == "l2":
        w = np.linalg.solve(stats.xx / S + alpha * np.eye(len(stats.xx)),
                            stats.xy[:, 0] / S)
    else:
        from skreg._datafit import GramProblem
        from skreg._penalties import ElasticNetPenalty
        from skreg._solvers import solve

        problem = GramProblem.from_statistics(stats)
        w = solve(problem, ElasticNetPenalty(alpha, 1.0), "working_set", 1e-12,
                  100_000).coef[0]
    return w, stats.y_mean[0] - stats.x_mean @ w


def run(n_rows, n_features, chunk_rows, penalty, alpha):
    rho = 1.0 if penalty == "l1" else 0.0
    ours = RegularizedRegressor(penalty, alpha, tol=1e-8)
    theirs = SGDRegressor(penalty=penalty, alpha=alpha, random_state=0)
    exact = SufficientStatistics(n_features, 1, True)
    timings = {"skreg": 0.0, "sklearn SGD": 0.0}
    peaks = {"skreg": 0, "sklearn SGD": 0}
    for X, y in chunks(n_rows, n_features, chunk_rows):
        exact.update(X, y[:, None], np.ones(len(y)))
        for name, est in (("skreg", ours), ("sklearn SGD", theirs)):
            tracemalloc.start()
            t0 = time.perf_counter()
            est.partial_fit(X, y)
            timings[name] += time.perf_counter() - t0
            peaks[name] = max(peaks[name], tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
    w_star, b_star = exact_solution(exact, penalty, alpha)
    f_star = objective(exact, w_star, b_star, alpha, rho)
    rows = []
    for name, est in (("skreg", ours), ("sklearn SGD", theirs)):
        coef = np.ravel(est.coef_)
        intercept = float(np.ravel(est.intercept_)[0])
        f = objective(exact, coef, intercept, alpha, rho)
        rows.append((name, penalty, timings[name], n_rows / timings[name],
                     peaks[name] / 1e6, (f - f_star) / f_star,
                     np.linalg.norm(coef - w_star) / np.linalg.norm(w_star)))
    return rows, getattr(ours, "dual_gap_", np.nan)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--features", type=int, default=100)
    parser.add_argument("--chunk", type=int, default=100_000)
    args = parser.parse_args()
    print(f"{args.rows} rows x {args.features} features in chunks of {args.chunk}; "
          "BLAS pinned to one thread")
    print("| estimator | penalty | time (s) | rows / s | peak memory (MB) | "
          "(F - F*) / F* | relative distance to w* |")
    print("|---|---|---|---|---|---|---|")
    with threadpool_limits(1):
        for penalty, alpha in (("l2", 0.01), ("l1", 0.01)):
            rows, gap = run(args.rows, args.features, args.chunk, penalty, alpha)
            for r in rows:
                print(f"| {r[0]} | {r[1]} | {r[2]:.2f} | {r[3]:,.0f} | {r[4]:.1f} | "
                      f"{r[5]:.2e} | {r[6]:.2e} |", flush=True)
            print(f"    skreg's dual_gap_ after the last chunk: {gap:.2e}")


if __name__ == "__main__":
    main()
