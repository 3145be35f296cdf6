"""DropoutMLPClassifier / DropoutMLPRegressor against scikit-learn's MLP (and PyTorch).

Three parts, each selectable, for the classification data sets (the default)
and the regression ones (``--datasets diabetes friedman1 friedman3``, against
MLPRegressor: held-out R^2 in place of accuracy, no log-loss, no PyTorch column):

``--throughput``
    Training samples per second of the same network (architecture, batch size,
    Adam, number of epochs: early stopping disabled on both sides) in one process:
    scikit-learn's MLPClassifier in float64, ours with dropout on in float64 and
    float32, and, where PyTorch is installed, a plain PyTorch CPU loop of the same
    net (same dropout, Adam with the same L2 term) as an outside reference.
    ``--repeats`` interleaved runs; the speeds are medians, and each ratio is the
    median over the runs of ours / scikit-learn's float64 fit in the same run
    (above 1 means skreg is faster): a ratio within one run is steadier than the
    ratio of medians on a shared machine.

``--accuracy``
    Held-out accuracy and log-loss, mean and standard deviation over ``--seeds``
    seeds (each seed: its own train / validation split and initialisation).  Our
    network is tuned over a grid of ``dropout`` x ``alpha``, scikit-learn's over
    ``alpha`` only (scikit-learn's alpha is ours times the batch size; for
    regression our alphas reach the top of scikit-learn's grid, 10 = 0.05 x 200;
    for classification they stop at 1e-3, scikit-learn's 0.2).  Each grid point is trained on 80% of the training
    set; the point with the best accuracy on the other 20% is scored on the test
    set.

``--choose-default``
    The default architecture with default settings and dropout in
    {0, 0.1, 0.2, 0.3, 0.5}: the measurement behind the default of ``dropout``.

Data: load_digits (pixels / 16), load_breast_cancer (standardized), the
procedural 1-D MNIST of the ``mnist1d`` package (generated locally with its
default arguments: 4000 train / 1000 test, 40 features), and a
make_classification set (5000 x 40, 4 classes, 10 informative, 5% flipped
labels).  Regression: load_diabetes (442 x 10), make_friedman1 (5000 x 10,
noise 1) and make_friedman3 (5000 x 4, noise 0.1), features standardized on the
training set and the target too (R^2 does not change).  Test sets: mnist1d's
own; 25% hold-outs (stratified for classification) elsewhere.

BLAS is pinned to one thread with threadpoolctl (and PyTorch to one thread) for
the whole run: the machine has two shared cores, and two BLAS threads on a busy
core made some fits 20x slower.  ``--jobs 2`` runs the accuracy fits two at a
time (each still on one BLAS thread); never use it with ``--throughput``.

    pip install ".[bench]"
    python benchmarks/bench_mlp.py --throughput
    python benchmarks/bench_mlp.py --accuracy --jobs 2
    python benchmarks/bench_mlp.py --choose-default --jobs 2
"""

import argparse
import time
import warnings

import numpy as np
from joblib import Parallel, delayed
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    make_classification,
    make_friedman1,
    make_friedman3,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info, threadpool_limits

from skreg import DropoutMLPClassifier, DropoutMLPRegressor

try:
    import torch
except ImportError:  # the reference column is optional
    torch = None

# -------------------------------------------------------------------------- data


def digits():
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X / 16.0, y, test_size=0.25,
                                              stratify=y, random_state=0)
    return X_tr, X_te, y_tr, y_te


def breast_cancer():
    X, y = load_breast_cancer(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, stratify=y,
                                              random_state=0)
    scaler = StandardScaler().fit(X_tr)
    return scaler.transform(X_tr), scaler.transform(X_te), y_tr, y_te


def mnist1d():
    from mnist1d.data import get_dataset_args, make_dataset

    data = make_dataset(get_dataset_args())     # procedural, seed 42, no download
    return (np.asarray(data["x"], dtype=np.float64),
            np.asarray(data["x_test"], dtype=np.float64),
            np.asarray(data["y"]), np.asarray(data["y_test"]))


def synthetic():
    X, y = make_classification(5000, n_features=40, n_informative=10, n_redundant=10,
                               n_classes=4, flip_y=0.05, class_sep=0.8,
                               random_state=0)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, stratify=y,
                                              random_state=0)
    scaler = StandardScaler().fit(X_tr)
    return scaler.transform(X_tr), scaler.transform(X_te), y_tr, y_te


def _regression(X, y):
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0)
    scaler = StandardScaler().fit(X_tr)
    mu, sd = y_tr.mean(), y_tr.std()
    return (scaler.transform(X_tr), scaler.transform(X_te), (y_tr - mu) / sd,
            (y_te - mu) / sd)


def diabetes():
    return _regression(*load_diabetes(return_X_y=True))


def friedman1():
    return _regression(*make_friedman1(5000, noise=1.0, random_state=0))


def friedman3():
    return _regression(*make_friedman3(5000, noise=0.1, random_state=0))


DATASETS = {"digits": digits, "breast_cancer": breast_cancer, "mnist1d": mnist1d,
            "synthetic": synthetic}
REGRESSION = {"diabetes": diabetes, "friedman1": friedman1, "friedman3": friedman3}
ALL_DATASETS = {**DATASETS, **REGRESSION}


def _classes(name):
    """(ours, scikit-learn's) estimator classes for the data set's task."""
    if name in REGRESSION:
        return DropoutMLPRegressor, MLPRegressor
    return DropoutMLPClassifier, MLPClassifier

# -------------------------------------------------------------------- throughput


def _time(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def torch_fit(X, y, hidden, epochs, batch_size, dropout, alpha, lr, dtype, seed):
    """A plain PyTorch training loop of the same network, as a reference."""
    torch.manual_seed(seed)
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    Xt = torch.as_tensor(X, dtype=tdtype)
    yt = torch.as_tensor(np.unique(y, return_inverse=True)[1], dtype=torch.long)
    n_classes = int(yt.max()) + 1
    layers, fan_in = [], X.shape[1]
    for width in hidden:
        layers += [torch.nn.Linear(fan_in, width), torch.nn.ReLU(),
                   torch.nn.Dropout(dropout)]
        fan_in = width
    layers.append(torch.nn.Linear(fan_in, n_classes))
    net = torch.nn.Sequential(*layers).to(tdtype)
    opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=alpha)
    loss_fn = torch.nn.CrossEntropyLoss()
    n = Xt.shape[0]
    net.train()
    for _ in range(epochs):
        perm = torch.randperm(n)
        for start in range(0, n, batch_size):
            idx = perm[start:start + batch_size]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    return net


def throughput(datasets, repeats):
    nets = {"default (100,)": ((100,), 40), "wide (512, 512)": ((512, 512), 6)}
    dropout = 0.2
    rows = []
    for name in datasets:
        X, _, y, _ = ALL_DATASETS[name]()
        ours, theirs = _classes(name)
        n = X.shape[0]
        for net_name, (hidden, epochs) in nets.items():
            common = dict(hidden_layer_sizes=hidden, max_iter=epochs, tol=0.0,
                          n_iter_no_change=epochs + 1, shuffle=True, random_state=0)
            fits = {
                "sklearn f64": lambda: theirs(**common).fit(X, y),
                "skreg f64": lambda: ours(dropout=dropout, **common).fit(X, y),
                "skreg f32": lambda: ours(dropout=dropout, **common).fit(X32, y),
                "sklearn f32": lambda: theirs(**common).fit(X32, y),
            }
            if torch is not None and name not in REGRESSION:
                fits["torch f64"] = lambda: torch_fit(
                    X, y, hidden, epochs, min(200, n), dropout, 1e-4, 1e-3,
                    np.float64, 0)
                fits["torch f32"] = lambda: torch_fit(
                    X32, y, hidden, epochs, min(200, n), dropout, 1e-4, 1e-3,
                    np.float32, 0)
            X32 = X.astype(np.float32)
            times = {k: [] for k in fits}
            for fn in fits.values():      # warm-up (imports, allocator)
                fn()
            for _ in range(repeats):
                for key, fn in fits.items():
                    times[key].append(_time(fn))
            speed = {k: epochs * n / np.median(v) for k, v in times.items()}
            base = np.array(times["sklearn f64"])
            row = {"dataset": name, "net": net_name, "n_train": n, "epochs": epochs}
            row.update({k: speed[k] for k in fits})
            row["ratio f64"] = np.median(base / np.array(times["skreg f64"]))
            row["ratio f32"] = np.median(base / np.array(times["skreg f32"]))
            rows.append(row)
            print(_throughput_line(row), flush=True)
    return rows


def _throughput_line(row):
    parts = [f"| {row['dataset']} | {row['net']} | {row['n_train']} | {row['epochs']}"]
    for key in ("sklearn f64", "sklearn f32", "skreg f64", "skreg f32",
                "torch f64", "torch f32"):
        parts.append(f"{row[key]:,.0f}" if key in row else "n/a")
    parts += [f"**{row['ratio f64']:.2f}**", f"**{row['ratio f32']:.2f}**"]
    return " | ".join(parts) + " |"


THROUGHPUT_HEADER = (
    "| dataset | net | n train | epochs | sklearn f64 | sklearn f32 | skreg f64 | "
    "skreg f32 | torch f64 | torch f32 | ratio f64 | ratio f32 |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|"
)

# ---------------------------------------------------------------------- accuracy

NETS = {"digits": (256, 256), "breast_cancer": (256, 256), "mnist1d": (512, 512),
        "synthetic": (256, 256), "diabetes": (256, 256), "friedman1": (256, 256),
        "friedman3": (256, 256)}
OUR_GRID = [dict(dropout=d, alpha=a) for d in (0.0, 0.1, 0.2, 0.3, 0.5)
            for a in (1e-5, 1e-4, 1e-3)]
SK_GRID = [dict(alpha=a) for a in (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0)]
# Regression wants stronger penalties (diabetes: scikit-learn picks its largest,
# 10, which is 0.05 on our scale with batches of 200): our alphas reach the same
# top as scikit-learn's grid.
OUR_REGRESSION_GRID = [dict(dropout=d, alpha=a) for d in (0.0, 0.1, 0.2, 0.3, 0.5)
                       for a in (1e-5, 1e-4, 1e-3, 1e-2, 5e-2)]


def _fit_score(kind, params, hidden, data, seed, max_iter, name):
    """Fit one grid point; validation and test score (accuracy or R^2)."""
    X_fit, X_val, X_te, y_fit, y_val, y_te = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with threadpool_limits(1):
            ours, theirs = _classes(name)
            cls = ours if kind == "skreg" else theirs
            est = cls(hidden_layer_sizes=hidden, max_iter=max_iter, random_state=seed,
                      **params)
            t0 = time.perf_counter()
            est.fit(X_fit, y_fit)
            fit_time = time.perf_counter() - t0
            val = est.score(X_val, y_val)
            test = est.score(X_te, y_te)
            ll = (np.nan if name in REGRESSION else
                  log_loss(y_te, est.predict_proba(X_te), labels=est.classes_))
    return dict(kind=kind, params=params, seed=seed, val=val, test=test, logloss=ll,
                fit_time=fit_time, n_iter=est.n_iter_)


def _split(name, seed):
    X_tr, X_te, y_tr, y_te = ALL_DATASETS[name]()
    stratify = None if name in REGRESSION else y_tr
    X_fit, X_val, y_fit, y_val = train_test_split(X_tr, y_tr, test_size=0.2,
                                                  stratify=stratify, random_state=seed)
    return X_fit, X_val, X_te, y_fit, y_val, y_te


def accuracy(datasets, seeds, jobs, max_iter):
    rows = []
    for name in datasets:
        hidden = NETS[name]
        tasks = []
        for seed in range(seeds):
            data = _split(name, seed)
            grid = OUR_REGRESSION_GRID if name in REGRESSION else OUR_GRID
            tasks += [("skreg", p, hidden, data, seed) for p in grid]
            tasks += [("sklearn", p, hidden, data, seed) for p in SK_GRID]
        t0 = time.perf_counter()
        results = Parallel(n_jobs=jobs)(
            delayed(_fit_score)(*task, max_iter, name) for task in tasks)
        wall = time.perf_counter() - t0
        summary = {}
        for kind in ("skreg", "sklearn"):
            best = []
            for seed in range(seeds):
                cands = [r for r in results if r["kind"] == kind and r["seed"] == seed]
                best.append(max(cands, key=lambda r: r["val"]))
            summary[kind] = best
        row = {"dataset": name, "net": hidden, "wall": wall}
        for kind, best in summary.items():
            acc = np.array([b["test"] for b in best])
            ll = np.array([b["logloss"] for b in best])
            row[kind] = (acc.mean(), acc.std(ddof=1), ll.mean(), ll.std(ddof=1),
                         [b["params"] for b in best])
        diff = (np.array([b["test"] for b in summary["skreg"]])
                - np.array([b["test"] for b in summary["sklearn"]]))
        row["diff"] = (diff.mean(), diff.std(ddof=1))
        fit_s = [r["fit_time"] for r in results if r["kind"] == "skreg"]
        fit_k = [r["fit_time"] for r in results if r["kind"] == "sklearn"]
        row["fit_times"] = (np.median(fit_s), np.median(fit_k))
        rows.append(row)
        print(_accuracy_line(row), flush=True)
        for kind in ("skreg", "sklearn"):
            print(f"    chosen ({kind}): {row[kind][4]}", flush=True)
    return rows


def _accuracy_line(row):
    s, k = row["skreg"], row["sklearn"]
    return (f"| {row['dataset']} | {row['net']} | {s[0]:.4f} ± {s[1]:.4f} | "
            f"{k[0]:.4f} ± {k[1]:.4f} | {row['diff'][0]:+.4f} ± {row['diff'][1]:.4f} | "
            f"{s[2]:.3f} ± {s[3]:.3f} | {k[2]:.3f} ± {k[3]:.3f} | "
            f"{row['fit_times'][0]:.1f} / {row['fit_times'][1]:.1f} |")


ACCURACY_HEADER = (
    "| dataset | net | skreg acc / R^2 (tuned dropout x alpha) | sklearn acc / R^2 "
    "(tuned alpha) "
    "| paired difference | skreg log-loss | sklearn log-loss | median fit s "
    "(skreg / sklearn) |\n|---|---|---|---|---|---|---|---|"
)

# ---------------------------------------------------------------- default choice


def choose_default(datasets, seeds, jobs):
    rates = (0.0, 0.1, 0.2, 0.3, 0.5)
    print("| dataset | " + " | ".join(f"dropout={r}" for r in rates) + " |")
    print("|---|" + "---|" * len(rates))
    for name in datasets:
        tasks = []
        for seed in range(seeds):
            data = _split(name, seed)
            # Defaults everywhere but dropout; trained on the whole training set.
            data = (np.vstack([data[0], data[1]]), data[1], data[2],
                    np.concatenate([data[3], data[4]]), data[4], data[5])
            tasks += [("skreg", dict(dropout=r), (100,), data, seed) for r in rates]
        results = Parallel(n_jobs=jobs)(delayed(_fit_score)(*t, 200, name)
                                        for t in tasks)
        cells = []
        for r in rates:
            acc = np.array([x["test"] for x in results if x["params"]["dropout"] == r])
            ll = np.array([x["logloss"] for x in results
                           if x["params"]["dropout"] == r])
            cells.append(f"{acc.mean():.4f} ± {acc.std(ddof=1):.4f}"
                         + ("" if name in REGRESSION else f" (ll {ll.mean():.3f})"))
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--throughput", action="store_true")
    parser.add_argument("--accuracy", action="store_true")
    parser.add_argument("--choose-default", action="store_true")
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS),
                        choices=list(ALL_DATASETS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--max-iter", type=int, default=200)
    args = parser.parse_args()
    if not (args.throughput or args.accuracy or args.choose_default):
        args.throughput = args.accuracy = True
    if torch is not None:
        torch.set_num_threads(1)
    with threadpool_limits(1):
        info = [(i["internal_api"], i["version"], i["num_threads"])
                for i in threadpool_info()]
        print(f"BLAS pinned to one thread: {info}; torch: "
              f"{torch.__version__ if torch is not None else 'not installed'}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            if args.throughput:
                print("\nThroughput (training samples / s, median of "
                      f"{args.repeats}; dropout 0.2 on ours and torch):")
                print(THROUGHPUT_HEADER)
                throughput(args.datasets, args.repeats)
            if args.choose_default:
                print("\nDefault architecture, default settings, test accuracy (R^2) "
                      f"over {args.seeds} seeds:")
                choose_default(args.datasets, args.seeds, args.jobs)
            if args.accuracy:
                print(f"\nAccuracy ({args.seeds} seeds, max_iter={args.max_iter}):")
                print(ACCURACY_HEADER)
                accuracy(args.datasets, args.seeds, args.jobs, args.max_iter)


if __name__ == "__main__":
    main()
