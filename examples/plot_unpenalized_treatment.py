"""
Keeping a treatment out of the penalty
======================================

In an observational study the coefficient of interest is the effect of a
treatment :math:`T` on the outcome, adjusted for many possible confounders. A
lasso over all the variables selects among the confounders, but it also shrinks
the treatment effect towards zero, and at a large enough ``alpha`` it drops the
treatment from the model altogether. With ``penalty_factor`` the treatment's
factor is 0: it is unpenalised, in the model at every ``alpha`` (and partialled
out exactly, like the intercept), while the lasso still selects among the
controls. ``penalty_factor`` accepts a dict keyed by the DataFrame's column
names.

The data: 40 candidate controls, three of which drive both the treatment
(propensity) and the outcome; the true effect is :math:`\\tau = 1`.
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from skreg import RegularizedRegressorCV, regularization_path

rng = np.random.default_rng(0)
n, p = 400, 40
controls = rng.standard_normal((n, p))
treatment = (controls[:, :3] @ [0.8, -0.6, 0.5] + rng.standard_normal(n) > 0)
y = 1.0 * treatment + controls[:, :3] @ [1.5, 1.0, -1.0] + rng.standard_normal(n)
X = pd.DataFrame(controls, columns=[f"c{j}" for j in range(p)])
X.insert(0, "treatment", treatment.astype(float))

free_treatment = {name: 0.0 if name == "treatment" else 1.0 for name in X.columns}
fig, ax = plt.subplots(figsize=(7, 4.2))
for label, kw in [("treatment penalised", {}),
                  ("treatment unpenalised (factor 0)",
                   {"penalty_factor": free_treatment})]:
    alphas, coefs, _ = regularization_path(X, y, penalty="l1", alphas=50, **kw)
    ax.plot(alphas, coefs[0], lw=2, label=label)
    cv = RegularizedRegressorCV("l1", alphas=50, cv=5, **kw).fit(X, y)
    print(f"{label:33s} cross-validated alpha {cv.alpha_:.3g}: effect "
          f"{cv.coef_[0]:.3f}, {int((cv.coef_[1:] != 0).sum())} controls kept; "
          f"at the largest alpha of its path: {coefs[0, 0]:.3f}")
naive = y[treatment].mean() - y[~treatment].mean()
ax.axhline(1.0, color="k", ls=":", label=r"true effect $\tau = 1$")
ax.axhline(naive, color="0.6", ls="--", label=f"difference of means ({naive:.2f})")
ax.set(xscale="log", xlabel=r"$\alpha$", ylabel="coefficient of the treatment",
       title="the treatment's coefficient along the lasso path")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
