"""
Dropout against L2 on rare features: a logistic regression on bag-of-words data
================================================================================

Text and other count data have many *rare* features: a word that appears in 1%
of the documents but says a lot about the label when it does. An L2 penalty
:math:`\\frac{\\alpha}{2} \\sum_j w_j^2` shrinks every coefficient alike, so the
``alpha`` that tames the hundreds of common, weakly informative features also
crushes the few rare, strong ones. Input dropout of rate :math:`q` is, to second
order, the penalty

.. math::

    \\frac12 \\frac{q}{1 - q} \\sum_j d_j w_j^2, \\qquad
    d_j = \\frac1n \\sum_i p_i (1 - p_i) x_{ij}^2

(Wager, Wang and Liang, 2013; see the user guide): an L2 penalty whose weight on
feature :math:`j` is its second moment weighted by the model's curvature
:math:`p_i (1 - p_i)`. A feature that is zero in 99% of the rows has a small
:math:`d_j` and is barely penalised; a common one is penalised much more.
:class:`skreg.RegularizedClassifier` adds that penalty exactly, with
:math:`d_j` taken at its own answer (a fixed point), so the fit is
deterministic and as fast as a ridge fit.

The data: 2000 training documents, 500 binary features present in 0.5% to 30%
of the rows; every feature has a small effect, and 40 of the rare ones (in
fewer than 3% of the rows) have large effects (:math:`\\pm 2.5`). We compare
``RegularizedClassifierCV(penalty="l2")``, which chooses ``alpha``, with
``RegularizedClassifierCV(penalty=None, dropouts=[...])``, which chooses the
dropout rate, both by 5-fold cross-validation of the log loss, on 10000
held-out documents. The sparse matrix is used as it is, never densified.
"""

import time

import matplotlib.pyplot as plt
import numpy as np
import scipy.sparse as sp
from sklearn.metrics import log_loss

from skreg import RegularizedClassifierCV

rng = np.random.default_rng(0)
n_train, n_test, p = 2000, 10000, 500
freq = np.exp(rng.uniform(np.log(0.005), np.log(0.3), p))
coef = rng.normal(0.0, 0.2, p)
strong = rng.choice(np.flatnonzero(freq < 0.03), 40, replace=False)
coef[strong] = rng.choice([-2.5, 2.5], strong.size)
X = (rng.random((n_train + n_test, p)) < freq).astype(float)
eta = X @ coef
y = (rng.random(len(eta)) < 1 / (1 + np.exp(-(eta - eta.mean())))).astype(int)
X = sp.csr_matrix(X)
X_train, X_test, y_train, y_test = X[:n_train], X[n_train:], y[:n_train], y[n_train:]

models = {
    "L2 (alpha by CV)": RegularizedClassifierCV(penalty="l2", alphas=20),
    "dropout (rate by CV)": RegularizedClassifierCV(
        penalty=None, dropouts=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]),
}
rows = []
for name, model in models.items():
    t0 = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - t0
    w = model.coef_[0]
    rows.append((name, f"alpha_={model.alpha_:.2g}" if model.alpha_ else
                 f"dropout_={model.dropout_:g}",
                 log_loss(y_test, model.predict_proba(X_test)),
                 model.score(X_test, y_test), np.abs(w[strong]).mean(),
                 np.abs(np.delete(w, strong)).mean(), seconds))
print(f"{'':22s} {'chosen':>15s} {'test log loss':>14s} {'accuracy':>9s} "
      f"{'|w| strong':>11s} {'|w| others':>11s} {'CV + refit':>11s}")
for name, chosen, loss, accuracy, w_strong, w_other, seconds in rows:
    print(f"{name:22s} {chosen:>15s} {loss:14.4f} {accuracy:9.3f} {w_strong:11.2f} "
          f"{w_other:11.3f} {seconds:10.1f}s")

# %%
# Why: the penalty each feature gets. For L2 it is ``alpha_`` for every
# feature; for dropout it is :math:`\frac{q}{1-q} d_j`, computed here from the
# fitted probabilities. It grows with the feature's frequency: the rare
# features (left) are penalised one to two orders of magnitude less than the
# common ones, and their coefficients (right) keep most of their size, where
# the single ``alpha`` of L2 shrinks them with everything else.

l2, dropout = models.values()
prob = dropout.predict_proba(X_train)[:, 1]
d = X_train.multiply(X_train).T @ (prob * (1 - prob)) / n_train
q = dropout.dropout_
is_strong = np.isin(np.arange(p), strong)

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
left.loglog(freq, q / (1 - q) * d, ".", color="C2", label=rf"dropout: $q/(1-q)\,d_j$, q={q:g}")
left.axhline(l2.alpha_, color="C1", label=rf"L2: $\alpha$ = {l2.alpha_:.2g}")
left.set(xlabel="frequency of the feature", ylabel="L2 weight of the feature's penalty",
         title="penalty per feature")
left.legend(fontsize=8)
for model, color, marker, label in [(l2, "C1", "o", "L2"), (dropout, "C2", "s", "dropout")]:
    w = np.abs(model.coef_[0])
    right.semilogx(freq[is_strong], w[is_strong], marker, color=color, ms=5,
                   label=f"{label}: the 40 strong rare features")
    right.semilogx(freq[~is_strong], w[~is_strong], marker, color=color, ms=2, alpha=0.4)
right.axhline(2.5, color="0.5", ls=":", lw=1, label="their true |coefficient|")
right.set(xlabel="frequency of the feature", ylabel="|fitted coefficient|",
          title="coefficients (small dots: the other features)")
right.legend(fontsize=8)
fig.tight_layout()
plt.show()
