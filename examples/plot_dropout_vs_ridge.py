"""
Dropout needs no scaler: dropout against ridge on features of different scales
==============================================================================

An L2 penalty :math:`\\frac{\\alpha}{2} \\sum_j w_j^2` depends on the units of
each feature: a feature measured in millimetres instead of metres has a
coefficient a thousand times smaller, which the penalty barely touches, and vice
versa. That is why ridge regression is run after a
:class:`~sklearn.preprocessing.StandardScaler`. Input dropout of rate :math:`q`
is, in expectation, the L2 penalty
:math:`\\frac12 \\frac{q}{1 - q} \\sum_j d_j w_j^2` weighted by the raw second
moment :math:`d_j` of each feature (see the user guide, "Three regularizers, one
objective"): scaling a feature by :math:`c` scales its coefficient by
:math:`1 / c` and changes nothing else. So
``RegularizedRegressorCV(penalty=None, dropouts=[...])`` needs no scaler.

The 120 features below are standard normal, multiplied by scales from
:math:`10^{-3}` to :math:`10^{3}`; each contributes comparably to :math:`y`, and
150 training rows leave a penalty much to do. We compare, on held-out data, ridge with its ``alpha`` chosen by
cross-validation on the raw features, the same after a ``StandardScaler``, and
dropout with its rate chosen by cross-validation on the raw features.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skreg import RegularizedRegressor, RegularizedRegressorCV

rng = np.random.default_rng(0)
n, p = 300, 120
scales = np.logspace(-3, 3, p)
rng.shuffle(scales)
Z = rng.standard_normal((n, p))
X = Z * scales
y = Z @ rng.normal(0, 1, p) * 0.5 + 3.0 * rng.standard_normal(n)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5,
                                                    random_state=0)

rates = [0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
models = {
    "ridge, raw features": RegularizedRegressorCV("l2", alphas=50, cv=None),
    "ridge, StandardScaler": make_pipeline(
        StandardScaler(), RegularizedRegressorCV("l2", alphas=50, cv=None)),
    "dropout, raw features": RegularizedRegressorCV(None, dropouts=rates, cv=None),
}
scores = {}
for name, model in models.items():
    model.fit(X_train, y_train)
    scores[name] = model.score(X_test, y_test)
    print(f"{name:22s} test R^2 = {scores[name]:.3f}")
dropout = models["dropout, raw features"]
print(f"chosen dropout rate: {dropout.dropout_}")

# the invariance: the same fit on the standardized features, mapped back
q = dropout.dropout_
raw = RegularizedRegressor(None, dropout=q).fit(X_train, y_train).coef_
scaled = RegularizedRegressor(None, dropout=q).fit(X_train / scales, y_train).coef_
print(f"dropout coefficients, raw vs rescaled features: max relative difference "
      f"{np.max(np.abs(raw * scales - scaled) / np.abs(scaled)):.1e}")

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
left.barh(list(scores), list(scores.values()), color=["C1", "C0", "C2"])
left.set(xlabel="test $R^2$", title="held-out fit", xlim=(min(0, *scores.values()), 1))
ridge = models["ridge, raw features"]
order = np.argsort(scales)
left_coef = np.abs(ridge.coef_ * scales)[order]
right.plot(scales[order], left_coef, "o-", color="C1", label="ridge, raw features")
right.plot(scales[order], np.abs(dropout.coef_ * scales)[order], "s-", color="C2",
           label="dropout, raw features")
right.set(xscale="log", yscale="log", xlabel="scale of the feature",
          ylabel=r"|coefficient $\times$ scale| (effect per standard deviation)",
          title="ridge shrinks the small-scale features to nothing")
right.legend(fontsize=8)
fig.tight_layout()
plt.show()
