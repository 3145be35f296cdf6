"""
Cross-validation in one pass over a streamed table
===================================================

K-fold cross-validation usually reads the data once per fold and grid point.
:meth:`skreg.RegularizedRegressorCV.partial_fit` reads each chunk once: it
keeps the sufficient statistics of every fold (weight sums, means, centred
``X^T X``, ``X^T y``, ``y^T y``), and from them alone computes each fold's
training problem (the total minus the fold) and the held-out squared error of
every ``alpha`` (a quadratic form in the fold's statistics).  The result is the
in-memory cross-validation on the same folds, to rounding.

Here a table of 400,000 rows by 30 features is generated chunk by chunk and
never held whole.  Each row is assigned to one of 5 folds by a seeded hash of
its values (:class:`skreg.HashKFold`), so the assignment does not depend on how
the table is chunked.  The same code runs on a Dask or Spark table with
``fit`` (see the user guide, "Cross-validation in one pass").
"""

import time

import matplotlib.pyplot as plt
import numpy as np

from skreg import HashKFold, RegularizedRegressorCV

N_ROWS, N_FEATURES, CHUNK = 400_000, 30, 50_000
rng = np.random.default_rng(0)
true_coef = np.zeros(N_FEATURES)
true_coef[:6] = rng.normal(size=6) * 2
shift = rng.normal(size=N_FEATURES) * 3


def chunks(seed=1):
    """The table, 50,000 rows at a time: 6 informative features, noise of sd 3."""
    stream = np.random.default_rng(seed)
    for _ in range(N_ROWS // CHUNK):
        X = stream.standard_normal((CHUNK, N_FEATURES)) + shift
        yield X, X @ true_coef + 1.0 + 3.0 * stream.standard_normal(CHUNK)


# %%
# Streaming: one ``partial_fit`` per chunk
# ----------------------------------------
# With ``cv=5`` and no ``folds=``, the folds come from ``HashKFold(5)``.  The
# model is cross-validated again after every chunk (a ``p x p`` problem per
# fold); here we look at the last one.

cv = RegularizedRegressorCV(penalty="l1", alphas=30, cv=5)
t0 = time.perf_counter()
for X, y in chunks():
    cv.partial_fit(X, y)
elapsed = time.perf_counter() - t0
print(f"{N_ROWS:,} rows streamed in {elapsed:.1f} s; alpha_ = {cv.alpha_:.4g}, "
      f"{int(np.sum(cv.coef_ != 0))} non-zero coefficients "
      f"(the table has {int(np.sum(true_coef != 0))})")

# %%
# The same as the in-memory cross-validation
# ------------------------------------------
# Holding the table in memory (possible at this size) and cross-validating it
# with the same folds gives the same grid, errors and model.

X_all, y_all = map(np.concatenate, zip(*chunks()))
in_memory = RegularizedRegressorCV(penalty="l1", alphas=30, cv=HashKFold(5)).fit(
    X_all, y_all)
print("largest relative difference of mse_path_:",
      f"{np.max(np.abs(cv.mse_path_ - in_memory.mse_path_) / in_memory.mse_path_):.1e}")
print("largest difference of coef_:",
      f"{np.max(np.abs(cv.coef_ - in_memory.coef_)):.1e}")

# %%
# The cross-validation curve
# --------------------------
# Mean held-out error over the folds, with each fold's curve; the chosen
# ``alpha`` is the minimum of the mean.

fig, ax = plt.subplots(figsize=(6, 4))
ax.semilogx(cv.alphas_, cv.mse_path_, color="0.75", lw=1)
ax.semilogx(cv.alphas_, cv.mse_path_.mean(axis=1), color="C0", lw=2,
            label="mean over the 5 folds")
ax.axvline(cv.alpha_, color="C3", ls="--", label=f"alpha_ = {cv.alpha_:.3g}")
ax.set_xlabel("alpha")
ax.set_ylabel("held-out mean squared error")
ax.set_title("One pass, 5 folds, 30 alphas")
ax.legend()
fig.tight_layout()
plt.show()
