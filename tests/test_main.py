"""``python -m skreg``: both demos run, print readable tables, and report true numbers."""

import re
import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.model_selection import (
    KFold,
    StratifiedKFold,
    cross_val_score,
    train_test_split,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from skreg import RegularizedClassifierCV, RegularizedRegressor
from skreg.__main__ import main


def test_regressor_table_reports_the_cross_validated_scores(capsys):
    assert main(["--only", "regressor", "--cv", "3", "--n-alphas", "5"]) == 0
    out = capsys.readouterr().out
    rows = {m[0]: m[1:] for m in re.findall(
        r"^(l1|elasticnet|l2|None)\s+(\S+)\s+([\d.]+) \+/- [\d.]+\s+(\d+)/55", out, re.M)}
    assert sorted(rows) == ["None", "elasticnet", "l1", "l2"]
    X, y = load_diabetes(return_X_y=True)
    for penalty in ["l1", "l2"]:
        alpha, score, nonzero = rows[penalty]
        # the printed alpha has two significant digits: recover the grid value it shows
        grid = np.logspace(-4, 2, 5)
        exact = grid[np.argmin(np.abs(np.log(grid / float(alpha))))]
        pipe = make_pipeline(PolynomialFeatures(2, interaction_only=True, include_bias=False),
                             StandardScaler(), RegularizedRegressor(penalty, alpha=exact))
        reference = cross_val_score(pipe, X, y, cv=KFold(3, shuffle=True, random_state=0))
        assert float(score) == pytest.approx(reference.mean(), abs=5e-4)
        coef = pipe.fit(X, y)[-1].coef_
        assert int(nonzero) == np.count_nonzero(coef)
    assert int(rows["l2"][2]) == 55


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_classifier_table_has_one_row_per_dropout_rate(capsys):
    assert main(["--only", "classifier", "--cv", "2", "--hidden", "16"]) == 0
    out = capsys.readouterr().out
    rows = re.findall(r"^(0|0\.2|0\.5)\s+(\S+)\s+([\d.]+) \+/- [\d.]+\s+([\d.]+)\s+"
                      r"[\d.]+ s\s+([\d.]+)$", out, re.M)
    assert [r[0] for r in rows] == ["0", "0.2", "0.5"]
    for _, alpha, accuracy, logloss, held_out in rows:
        assert float(alpha) in (1e-5, 1e-4)
        assert 0.85 < float(accuracy) <= 1 and 0.85 < float(held_out) <= 1
        assert 0 < float(logloss) < 1


def test_logistic_table_compares_with_logistic_regression(capsys):
    assert main(["--only", "logistic", "--cv", "3"]) == 0
    out = capsys.readouterr().out
    alpha = float(re.search(r"alpha_=(\S+) from 30 alphas x 3 folds", out)[1])
    rows = {m[0]: m[1:] for m in re.findall(
        r"^(RegularizedClassifier\(l1\)|LogisticRegression\(saga\)|"
        r"LogisticRegression\(liblinear\)\*)\s+[\d.]+ ms\s+(\d+)/30\s+([\d.]+)\s+"
        r"([\d.]+)\s+([\d.e+-]+)$", out, re.M)}
    assert len(rows) == 3
    for nonzero, accuracy, logloss, distance in rows.values():
        assert 0 < int(nonzero) <= 30
        assert 0.9 < float(accuracy) <= 1 and 0 < float(logloss) < 0.3
        assert float(distance) >= 0
    # the printed numbers are those of the model the demo describes
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y,
                                                        random_state=0)
    scaler = StandardScaler().fit(X_train)
    cv = RegularizedClassifierCV(penalty="l1", alphas=30,
                                 cv=StratifiedKFold(3, shuffle=True, random_state=0))
    cv.fit(scaler.transform(X_train), y_train)
    assert cv.alpha_ == pytest.approx(alpha, rel=2e-3)
    nonzero, accuracy, _, distance = rows["RegularizedClassifier(l1)"]
    assert int(nonzero) == np.count_nonzero(cv.coef_)
    assert float(accuracy) == pytest.approx(cv.score(scaler.transform(X_test), y_test),
                                            abs=5e-4)
    assert float(distance) < 1e-2        # at its default tol, close to the optimum


def test_help_and_bad_options():
    run = [sys.executable, "-m", "skreg"]
    helped = subprocess.run([*run, "--help"], capture_output=True, text=True, check=True)
    for option in ["--only", "--cv", "--n-jobs", "--n-alphas", "--degree", "--hidden"]:
        assert option in helped.stdout
    bad = subprocess.run([*run, "--cv", "1"], capture_output=True, text=True)
    assert bad.returncode == 2 and "--cv must be at least 2" in bad.stderr
    bad = subprocess.run([*run, "--only", "nothing"], capture_output=True, text=True)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
