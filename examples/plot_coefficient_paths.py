"""
L1 versus L2 versus elastic net: coefficient paths
===================================================

The lecture notes this library grew from promise that L1 gives sparse models and
L2 only shrinks. This example makes the claim visible on the diabetes data: the
coefficients of :class:`skreg.RegularizedRegressor` along a grid of ``alpha``,
for each penalty. Under L1 the coefficients reach exactly zero one after the
other as ``alpha`` grows; under L2 they shrink towards zero but never reach it;
the elastic net sits in between.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.preprocessing import StandardScaler

from skreg import RegularizedRegressor

X, y = load_diabetes(return_X_y=True)
X = StandardScaler().fit_transform(X)
alphas = np.geomspace(100, 0.01, 60)

fig, axes = plt.subplots(1, 3, figsize=(12, 3.8), sharey=True)
for ax, penalty in zip(axes, ["l1", "elasticnet", "l2"], strict=True):
    est = RegularizedRegressor(penalty, warm_start=True, l1_ratio=0.5)
    coefs, nonzero = [], []
    for alpha in alphas:  # from strong to weak penalty, each fit warm-started
        est.set_params(alpha=alpha).fit(X, y)
        coefs.append(est.coef_.copy())
        nonzero.append(np.count_nonzero(est.coef_))
    ax.semilogx(alphas, np.array(coefs))
    ax.set_title(f"penalty={penalty!r}")
    ax.set_xlabel("alpha")
    ax.invert_xaxis()
    print(f"{penalty:>10}: non-zero coefficients from {nonzero[0]} to {nonzero[-1]}")
axes[0].set_ylabel("coefficient")
fig.suptitle("Coefficient paths on load_diabetes (standardized features)")
fig.tight_layout()
plt.show()
