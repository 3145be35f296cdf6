"""
Monte Carlo dropout for regression: where the spread grows, and where not
=========================================================================

:meth:`skreg.DropoutMLPRegressor.predict_mc` keeps dropout on at prediction and
runs the network many times. The mean of the passes is a prediction; their
standard deviation says how much the prediction depends on which units happen to
be present. On a 1-D problem with a gap in the training data we compare the
spread where the network saw data, in the gap, and beyond the ends. It is the
spread of the model, not a prediction interval: it leaves out the noise in
``y``.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skreg import DropoutMLPRegressor

rng = np.random.default_rng(0)
x = np.r_[rng.uniform(-3, -1.2, 120), rng.uniform(1.2, 3, 120)]
y = np.sin(1.5 * x) + 0.1 * rng.normal(size=x.size)

net = DropoutMLPRegressor(hidden_layer_sizes=(128, 128), dropout=0.2,
                          learning_rate_init=0.005, max_iter=300, random_state=0)
with warnings.catch_warnings():  # a fixed budget of 300 epochs, on purpose
    warnings.simplefilter("ignore", ConvergenceWarning)
    net.fit(x[:, None], y)

grid = np.linspace(-6, 6, 241)
mean, std = net.predict_mc(grid[:, None], n_passes=200, random_state=0)
plain = net.predict(grid[:, None])

seen = (np.abs(grid) <= 3) & (np.abs(grid) >= 1.2)
print(f"mean spread where there is training data: {std[seen].mean():.3f}")
print(f"mean spread in the gap (|x| < 1.2): {std[np.abs(grid) < 1.2].mean():.3f}")
print(f"mean spread beyond the data (|x| > 4): {std[np.abs(grid) > 4].mean():.3f}")
print(f"largest |MC mean - predict| on the grid: {np.abs(mean - plain).max():.3f}")

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.scatter(x, y, s=6, color="0.5", label="training data")
ax.plot(grid, np.sin(1.5 * grid), color="0.2", ls=":", label="sin(1.5 x)")
ax.plot(grid, mean, color="C0", label="MC mean (200 passes)")
ax.fill_between(grid, mean - 2 * std, mean + 2 * std, color="C0", alpha=0.25,
                label="MC mean +- 2 sd")
ax.set(xlabel="x", ylabel="y", ylim=(-3, 3),
       title="DropoutMLPRegressor.predict_mc")
ax.legend(loc="lower left", fontsize=8)
fig.tight_layout()
plt.show()

# %%
# The band is narrow over the training data and widens steadily beyond its
# ends, where the thinned networks extrapolate differently: there the spread
# (about three times its value over the data) flags predictions not to trust.
# In the gap between the two clusters it hardly grows: every thinned network
# interpolates smoothly between the clusters, so they agree, even where the
# interpolation misses the true curve. MC dropout flags extrapolation well and
# interpolation gaps poorly; it flags places, it does not fix them.
