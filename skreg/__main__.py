"""``python -m skreg``: cross-validated grid searches on data that ship with scikit-learn.

Two demos, one per kind of estimator, each printing a table:

* ``RegularizedRegressor`` in ``Pipeline(StandardScaler(), ...)`` on the diabetes data
  (optionally with pairwise products of the inputs), searched over ``alpha`` for every
  penalty: per penalty the best ``alpha``, its cross-validated R^2, the number of
  non-zero coefficients of the refitted model and the mean fit time.
* ``DropoutMLPClassifier`` on the digits, searched over ``dropout`` x ``alpha`` on 75% of
  the images: per dropout rate the best ``alpha``, its cross-validated accuracy and
  log-loss, the mean fit time and the accuracy of the refitted model on the held-out 25%.
"""

import argparse
import sys
import time
import warnings

import numpy as np
from sklearn.datasets import load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    StratifiedKFold,
    train_test_split,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, PolynomialFeatures, StandardScaler

from . import DropoutMLPClassifier, RegularizedRegressor, __version__


def _parse(argv):
    parser = argparse.ArgumentParser(
        prog="python -m skreg",
        description=(
            "Demo of skreg on data that ship with scikit-learn: a cross-validated grid "
            "search over alpha and penalty for RegularizedRegressor on the diabetes data, "
            "and over dropout and alpha for DropoutMLPClassifier on the digits, each "
            "summarised in a table."
        ),
        epilog="Example: python -m skreg --only classifier --cv 3 --n-jobs 2",
    )
    parser.add_argument("--only", choices=["regressor", "classifier"], default=None,
                        help="run one of the two demos (default: both)")
    parser.add_argument("--cv", type=int, default=5, help="number of CV folds (default 5)")
    parser.add_argument("--n-jobs", type=int, default=None,
                        help="parallel jobs for GridSearchCV (default: 1)")
    parser.add_argument("--n-alphas", type=int, default=13,
                        help="regressor: alphas on a log grid from 1e-4 to 1e2 (default 13)")
    parser.add_argument("--degree", type=int, default=2,
                        help="regressor: degree of the products of distinct inputs added to "
                             "the 10 inputs (default 2, giving 55 features; 1 keeps the raw "
                             "data). Squares are left out: 'sex' is binary, so its square "
                             "would duplicate it")
    parser.add_argument("--hidden", type=int, default=128,
                        help="classifier: units of the hidden layer (default 128)")
    args = parser.parse_args(argv)
    if args.cv < 2:
        parser.error(f"--cv must be at least 2, got {args.cv}")
    if args.n_alphas < 1 or args.degree < 1 or args.hidden < 1:
        parser.error("--n-alphas, --degree and --hidden must be positive")
    return args


def _table(header, rows):
    """Print rows of strings under a header, columns right-aligned except the first."""
    widths = [max(len(str(r[k])) for r in [header, *rows]) for k in range(len(header))]

    def line(cells):
        first = f"{cells[0]:<{widths[0]}}"
        rest = [f"{c:>{w}}" for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest])

    print(line(header))
    print("-" * len(line(header)))
    for r in rows:
        print(line(r))


def _searched(search, cv, seconds):
    print(f"GridSearchCV: {len(search.cv_results_['params'])} candidates x {cv} folds "
          f"in {seconds:.1f} s\n")


def _best_per(res, key, values, score="mean_test_score"):
    """For each value of one parameter, the index of its best candidate."""
    out = {}
    for v in values:
        rows = [i for i, prm in enumerate(res["params"]) if prm[key] == v]
        out[v] = max(rows, key=lambda i: res[score][i])
    return out


def regressor_demo(args):
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
    search = GridSearchCV(pipe, grid, cv=KFold(args.cv, shuffle=True, random_state=0),
                          n_jobs=args.n_jobs)
    n_features = pipe[:-1].fit_transform(X[:5]).shape[1]
    print(f"RegularizedRegressor on load_diabetes: {X.shape[0]} samples, {n_features} "
          f"features after preprocessing")
    t0 = time.perf_counter()
    search.fit(X, y)
    _searched(search, args.cv, time.perf_counter() - t0)
    res = search.cv_results_
    rows = []
    for p, best in _best_per(res, "regularizedregressor__penalty", penalties).items():
        alpha = res["params"][best]["regularizedregressor__alpha"]
        model = pipe.set_params(regularizedregressor__penalty=p,
                                regularizedregressor__alpha=alpha).fit(X, y)
        rows.append([str(p), f"{alpha:.2g}" if p else "-",
                     f"{res['mean_test_score'][best]:.3f} +/- {res['std_test_score'][best]:.3f}",
                     f"{np.count_nonzero(model[-1].coef_)}/{n_features}",
                     f"{1000 * res['mean_fit_time'][best]:.1f} ms"])
    _table(["penalty", "best alpha", "CV R^2", "non-zero", "fit time"], rows)
    best = search.best_params_
    print(f"\nbest: penalty={best['regularizedregressor__penalty']!r}, "
          f"alpha={best['regularizedregressor__alpha']:.3g}, CV R^2 {search.best_score_:.3f}")


def classifier_demo(args):
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,
                                                        random_state=0)
    pipe = make_pipeline(MinMaxScaler(),
                         DropoutMLPClassifier(hidden_layer_sizes=(args.hidden,),
                                              random_state=0))
    dropouts, alphas = [0.0, 0.2, 0.5], [1e-5, 1e-4, 1e-3]
    search = GridSearchCV(
        pipe,
        {"dropoutmlpclassifier__dropout": dropouts, "dropoutmlpclassifier__alpha": alphas},
        cv=StratifiedKFold(args.cv, shuffle=True, random_state=0),
        scoring={"accuracy": "accuracy", "log_loss": "neg_log_loss"}, refit="accuracy",
        n_jobs=args.n_jobs,
    )
    print(f"DropoutMLPClassifier(hidden_layer_sizes=({args.hidden},)) on load_digits: "
          f"{len(y_train)} training images\nof 64 pixels, {len(y_test)} held out")
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X_train, y_train)
    _searched(search, args.cv, time.perf_counter() - t0)
    res = search.cv_results_
    rows = []
    per_rate = _best_per(res, "dropoutmlpclassifier__dropout", dropouts,
                         score="mean_test_accuracy")
    for rate, best in per_rate.items():
        alpha = res["params"][best]["dropoutmlpclassifier__alpha"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = pipe.set_params(dropoutmlpclassifier__dropout=rate,
                                    dropoutmlpclassifier__alpha=alpha).fit(X_train, y_train)
        rows.append([f"{rate:g}", f"{alpha:g}",
                     (f"{res['mean_test_accuracy'][best]:.3f} +/- "
                      f"{res['std_test_accuracy'][best]:.3f}"),
                     f"{-res['mean_test_log_loss'][best]:.3f}",
                     f"{res['mean_fit_time'][best]:.2f} s",
                     f"{model.score(X_test, y_test):.3f}"])
    _table(["dropout", "best alpha", "CV accuracy", "CV log-loss", "fit time",
            "held-out acc."], rows)
    best = search.best_params_
    print(f"\nbest: dropout={best['dropoutmlpclassifier__dropout']:g}, "
          f"alpha={best['dropoutmlpclassifier__alpha']:g}, CV accuracy "
          f"{search.best_score_:.3f}, held-out accuracy {search.score(X_test, y_test):.3f}")


def main(argv=None):
    args = _parse(argv)
    print(f"skreg {__version__}\n")
    if args.only in (None, "regressor"):
        regressor_demo(args)
    if args.only is None:
        print()
    if args.only in (None, "classifier"):
        classifier_demo(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
