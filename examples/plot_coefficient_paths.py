"""
L1 versus L2 versus elastic net: coefficient paths
===================================================

The lecture notes this library grew from promise that L1 gives sparse models and
L2 only shrinks. This example makes the claim visible on the diabetes data: the
coefficients of :class:`skreg.RegularizedRegressor` along a grid of ``alpha``,
for each penalty, computed by :func:`skreg.regularization_path` (warm starts
down the grid for L1 and the elastic net, one eigendecomposition for L2). Under
L1 the coefficients reach exactly zero one after the other as ``alpha`` grows;
under L2 they shrink towards zero but never reach it; the elastic net sits in
between.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.preprocessing import StandardScaler

from skreg import RegularizedRegressor, regularization_path

data = load_diabetes()
X = StandardScaler().fit_transform(data.data)
y = data.target
alphas = np.geomspace(100, 0.01, 60)

fig, axes = plt.subplots(1, 3, figsize=(12, 4), sharey=True)
for ax, penalty in zip(axes, ["l1", "elasticnet", "l2"], strict=True):
    _, coefs, gaps = regularization_path(X, y, penalty=penalty, l1_ratio=0.5,
                                         alphas=alphas, tol=1e-8)
    lines = ax.semilogx(alphas, coefs.T)
    ax.set_title(f"penalty={penalty!r}")
    ax.set_xlabel("alpha")
    ax.invert_xaxis()
    nonzero = np.count_nonzero(coefs, axis=0)
    print(f"{penalty:>10}: non-zero coefficients from {nonzero[0]} (alpha={alphas[0]:g}) "
          f"to {nonzero[-1]} (alpha={alphas[-1]:g}); largest duality gap {gaps.max():.1e}")
axes[0].set_ylabel("coefficient")
axes[-1].legend(lines, data.feature_names, fontsize=7, ncol=2, loc="lower left")
fig.suptitle("Coefficient paths on load_diabetes (standardized features)")
fig.tight_layout()
plt.show()

# %%
# Each point of a path is the solution a single fit would give: for example the
# L1 path at ``alpha=1`` against :class:`~skreg.RegularizedRegressor`.

alpha = 1.0
_, path_coef, _ = regularization_path(X, y, penalty="l1", alphas=[alpha], tol=1e-10)
single = RegularizedRegressor(penalty="l1", alpha=alpha, tol=1e-10).fit(X, y)
print(f"largest difference: {np.abs(path_coef[:, 0] - single.coef_).max():.1e}")
