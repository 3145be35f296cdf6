"""
The L1 path of a logistic regression, and the alpha cross-validation picks
===========================================================================

An L1 penalty makes a logistic regression select features: at ``alpha_max``
every coefficient is zero and the model predicts the class shares; as ``alpha``
decreases the features enter one after the other. This example draws that path
on the breast-cancer data (30 standardized features, 569 tumours) with
:func:`skreg.logistic_regularization_path`, and marks the ``alpha`` that
:class:`skreg.RegularizedClassifierCV` chooses by 5-fold cross-validation of
the log loss on the same grid (``alphas_``): each fold walks the whole path
from ``alpha_max`` down, each fit warm-started from the previous one.

``alpha`` is on the scale of the *mean* log loss:
``LogisticRegression(C=c)`` is ``alpha = 1 / (c * n_samples)``.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skreg import RegularizedClassifierCV, logistic_regularization_path

data = load_breast_cancer()
X_train, X_test, y_train, y_test = train_test_split(
    data.data, data.target, test_size=0.3, stratify=data.target, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

cv = RegularizedClassifierCV(penalty="l1", alphas=50).fit(X_train, y_train)
alphas, coefs, intercepts, gaps = logistic_regularization_path(
    X_train, y_train, penalty="l1", alphas=cv.alphas_)
coefs = coefs[0]                                   # two classes: one row
chosen = np.flatnonzero(alphas == cv.alpha_)[0]
print(f"alpha_max = {alphas[0]:.3g}, chosen alpha_ = {cv.alpha_:.3g} "
      f"(C = {1 / (cv.alpha_ * len(y_train)):.3g} in LogisticRegression's units)")
print(f"non-zero coefficients at alpha_: {np.count_nonzero(cv.coef_)} of "
      f"{X_train.shape[1]}; the path agrees with the refitted model to "
      f"{np.abs(coefs[:, chosen] - cv.coef_[0]).max():.1e}")
print(f"held-out accuracy {cv.score(X_test, y_test):.3f}; largest duality gap "
      f"along the path {gaps.max():.1e}")

# %%
# Left, the coefficients along the grid, largest ``alpha`` first; the dashed
# line is the choice. Right, the test-fold log loss of every fold
# (``log_loss_path_``, one column per fold) and their mean: it falls as the
# first, most useful features enter, and rises again at small ``alpha``, where
# the model fits the noise of the training folds (the five largest coefficients
# at the choice in colour, the others in grey).

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
top = np.argsort(-np.abs(coefs[:, chosen]))[:5]      # the largest at alpha_
for j in range(coefs.shape[0]):
    if j not in top:
        left.semilogx(alphas, coefs[j], color="0.7", lw=0.8)
for color, j in enumerate(top):
    left.semilogx(alphas, coefs[j], color=f"C{color}", lw=1.8,
                  label=data.feature_names[j])
left.axvline(cv.alpha_, color="k", ls="--", lw=1, label=r"alpha_ (CV)")
left.invert_xaxis()
left.set(xlabel="alpha", ylabel="coefficient (standardized feature)",
         title="L1 coefficient path")
left.legend(fontsize=7, loc="lower left")

mean = cv.log_loss_path_.mean(axis=1)
right.semilogx(alphas, cv.log_loss_path_, color="0.75", lw=0.8)
right.semilogx(alphas, mean, color="C0", lw=2, label="mean over the 5 folds")
right.axvline(cv.alpha_, color="k", ls="--", lw=1, label="alpha_")
right.invert_xaxis()
right.set(xlabel="alpha", ylabel="test-fold log loss", yscale="log",
          title="cross-validated log loss (log_loss_path_)")
right.legend(fontsize=8)
fig.tight_layout()
plt.show()
