"""
Monte Carlo dropout: how much to trust a prediction
===================================================

At prediction time :class:`skreg.DropoutMLPClassifier` uses the full network,
so its predictions are deterministic.
:meth:`~skreg.DropoutMLPClassifier.predict_proba_mc` instead keeps dropout on
and runs the network many times, each pass with new random masks. The mean of
the passes is a prediction; their spread says how much that prediction depends
on which units happen to be present. This example checks, on held-out digits,
whether the spread is larger where the network is wrong, and how well the
probabilities are calibrated (a reliability diagram).
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from skreg import DropoutMLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16, y, train_size=400, stratify=y, random_state=0
)
net = DropoutMLPClassifier(hidden_layer_sizes=(256, 256), dropout=0.5, max_iter=150,
                           tol=0.0, random_state=0)
with warnings.catch_warnings():  # a fixed budget of 150 epochs, on purpose
    warnings.simplefilter("ignore", ConvergenceWarning)
    net.fit(X_train, y_train)
deterministic = net.predict_proba(X_test)
mc_mean, mc_std = net.predict_proba_mc(X_test, n_passes=100, random_state=0)

predicted = mc_mean.argmax(axis=1)
wrong = net.classes_[predicted] != y_test
# the spread of the probability of the class the mean predicts
spread = mc_std[np.arange(len(y_test)), predicted]
print(f"held-out accuracy: deterministic {np.mean(deterministic.argmax(1) == y_test):.3f}, "
      f"MC mean {1 - wrong.mean():.3f} ({wrong.sum()} errors of {len(y_test)})")
print(f"median spread: correct {np.median(spread[~wrong]):.3f}, "
      f"misclassified {np.median(spread[wrong]):.3f}")
print(f"ROC AUC for telling errors apart: spread {roc_auc_score(wrong, spread):.3f}, "
      f"1 - top probability {roc_auc_score(wrong, 1 - mc_mean.max(axis=1)):.3f}")

# %%
# Reliability diagram
# -------------------
# Group the test samples by the probability given to the predicted class
# (the confidence) and compare each group's mean confidence with its accuracy.
# A calibrated classifier lies on the diagonal; the expected calibration error
# (ECE) is the sample-weighted mean distance to it.


def reliability(proba, y_true, n_bins=10):
    bins = np.linspace(0, 1, n_bins + 1)
    confidence = proba.max(axis=1)
    correct = net.classes_[proba.argmax(axis=1)] == y_true
    which = np.clip(np.digitize(confidence, bins) - 1, 0, len(bins) - 2)
    conf, acc, count = [], [], []
    for b in range(len(bins) - 1):
        members = which == b
        if members.any():
            conf.append(confidence[members].mean())
            acc.append(correct[members].mean())
            count.append(members.sum())
    conf, acc, count = map(np.array, (conf, acc, count))
    ece = np.sum(count * np.abs(acc - conf)) / count.sum()
    return conf, acc, count, ece


fig, (ax_spread, ax_rel) = plt.subplots(1, 2, figsize=(11, 4.3))
edges = np.linspace(0, spread.max(), 25)
ax_spread.hist(spread[~wrong], bins=edges, density=True, alpha=0.6,
               label=f"correct ({(~wrong).sum()})")
ax_spread.hist(spread[wrong], bins=edges, density=True, alpha=0.6,
               label=f"misclassified ({wrong.sum()})")
ax_spread.set(xlabel="sd of the predicted class's probability over 100 passes",
              ylabel="density", title="MC dropout spread on held-out digits")
ax_spread.legend()

ax_rel.plot([0, 1], [0, 1], color="0.6", ls=":", label="perfect calibration")
for name, proba, marker in [("deterministic", deterministic, "o"),
                            ("MC mean, 100 passes", mc_mean, "s")]:
    conf, acc, count, ece = reliability(proba, y_test)
    ax_rel.plot(conf, acc, marker=marker, label=f"{name} (ECE {ece:.3f})")
    print(f"{name}: expected calibration error {ece:.3f}")
ax_rel.set(xlabel="confidence (probability of the predicted class)",
           ylabel="accuracy", title="reliability diagram", xlim=(0, 1.02), ylim=(0, 1.02))
ax_rel.legend(loc="lower right")
fig.tight_layout()
plt.show()

# %%
# The misclassified digits have a clearly larger spread than the correct ones,
# so the spread ranks predictions by how much to trust them. It is not a
# probability of error, and it carries much the same information as the top
# probability itself (compare the two ROC AUCs): check any threshold on
# held-out data before relying on it. The reliability diagram shows where the
# probabilities are too confident (points below the diagonal) or not confident
# enough (above it); the leftmost bins hold only a handful of digits each, so
# their points jump. Here the deterministic probabilities are the better
# calibrated: averaging passes of thinned networks makes the mean
# under-confident (above the diagonal), so use the MC passes for their spread
# rather than as a replacement for ``predict_proba``.
