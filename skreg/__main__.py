"""``python -m skreg``: a cross-validated grid search on data that ships with scikit-learn.

Fits ``Pipeline(StandardScaler(), RegularizedRegressor())`` on the diabetes data
over a grid of ``alpha`` for every penalty, and prints, per penalty, the best
``alpha``, its cross-validated R^2, the number of non-zero coefficients of the
refitted model and the mean fit time.
"""

import argparse
import sys
import time

import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from . import RegularizedRegressor, __version__


def _parse(argv):
    parser = argparse.ArgumentParser(
        prog="python -m skreg",
        description=(
            "Demo of skreg on scikit-learn's diabetes data: a cross-validated grid "
            "search over alpha and penalty for RegularizedRegressor in a Pipeline "
            "with StandardScaler, and a table of the results."
        ),
    )
    parser.add_argument("--cv", type=int, default=5, help="number of CV folds (default 5)")
    parser.add_argument("--n-alphas", type=int, default=13,
                        help="alphas on a log grid from 1e-4 to 1e2 (default 13)")
    parser.add_argument("--n-jobs", type=int, default=None,
                        help="parallel jobs for GridSearchCV (default: 1)")
    parser.add_argument("--degree", type=int, default=2,
                        help="degree of the products of distinct inputs added to the "
                             "10 inputs (default 2, giving 55 features; 1 keeps the raw "
                             "data). Squares are left out: 'sex' is binary, so its "
                             "square would duplicate it")
    return parser.parse_args(argv)


def main(argv=None):
    args = _parse(argv)
    X, y = load_diabetes(return_X_y=True)
    steps = [StandardScaler()]
    if args.degree > 1:
        steps = [PolynomialFeatures(args.degree, interaction_only=True, include_bias=False),
                 StandardScaler()]
    pipe = make_pipeline(*steps, RegularizedRegressor())
    alphas = np.logspace(-4, 2, args.n_alphas)
    penalties = ["l1", "elasticnet", "l2", None]
    grid = [{"regularizedregressor__penalty": [p],
             "regularizedregressor__alpha": alphas if p else [1.0]} for p in penalties]
    cv = KFold(args.cv, shuffle=True, random_state=0)
    search = GridSearchCV(pipe, grid, cv=cv, n_jobs=args.n_jobs)
    t0 = time.perf_counter()
    search.fit(X, y)
    elapsed = time.perf_counter() - t0

    n_features = search.best_estimator_[:-1].transform(X[:1]).shape[1]
    print(f"skreg {__version__}: RegularizedRegressor on load_diabetes "
          f"({X.shape[0]} samples, {n_features} features after preprocessing)")
    print(f"GridSearchCV: {len(search.cv_results_['params'])} candidates x "
          f"{args.cv} folds in {elapsed:.2f} s\n")
    res = search.cv_results_
    header = (f"{'penalty':<11} {'best alpha':>10} {'CV R^2':>16} {'non-zero':>9} "
              f"{'fit time':>9}")
    print(header)
    print("-" * len(header))
    for p in penalties:
        rows = [i for i, prm in enumerate(res["params"])
                if prm["regularizedregressor__penalty"] == p]
        best = max(rows, key=lambda i: res["mean_test_score"][i])
        alpha = res["params"][best]["regularizedregressor__alpha"]
        model = pipe.set_params(regularizedregressor__penalty=p,
                                regularizedregressor__alpha=alpha).fit(X, y)
        nnz = int(np.count_nonzero(model[-1].coef_))
        score = f"{res['mean_test_score'][best]:.3f} +/- {res['std_test_score'][best]:.3f}"
        shown_alpha = f"{alpha:.2g}" if p else "-"
        print(f"{str(p):<11} {shown_alpha:>10} {score:>16} {nnz:>5}/{n_features:<3} "
              f"{1000 * res['mean_fit_time'][best]:>6.1f} ms")
    best = search.best_params_
    print(f"\nbest overall: penalty={best['regularizedregressor__penalty']!r}, "
          f"alpha={best['regularizedregressor__alpha']:.3g}, "
          f"CV R^2 = {search.best_score_:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
