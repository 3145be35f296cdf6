"""
Grid search over alpha and penalty in a Pipeline
================================================

:class:`skreg.RegularizedRegressor` is tuned like any scikit-learn estimator.
Here it sits at the end of a :class:`~sklearn.pipeline.Pipeline` that adds the
pairwise products of the diabetes features (55 features for 442 samples, so the
unpenalized fit overfits) and standardizes them, and
:class:`~sklearn.model_selection.GridSearchCV` searches ``alpha`` and ``penalty``
together. The heat map shows the cross-validated R^2 of every candidate.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from skreg import RegularizedRegressor, RegularizedRegressorCV

X, y = load_diabetes(return_X_y=True)
pipe = make_pipeline(
    PolynomialFeatures(2, interaction_only=True, include_bias=False),
    StandardScaler(),
    RegularizedRegressor(),
)
alphas = np.logspace(-3, 2, 16)
penalties = ["l1", "elasticnet", "l2"]
cv = KFold(5, shuffle=True, random_state=0)
search = GridSearchCV(
    pipe,
    {"regularizedregressor__penalty": penalties, "regularizedregressor__alpha": alphas},
    cv=cv,
    n_jobs=2,
).fit(X, y)

# %%
# The result as a heat map
# ------------------------
# ``cv_results_`` lists the candidates in the order of the grid: ``alpha`` varies
# slowest (parameters are sorted by name), so the scores reshape to alphas x penalties.

scores = search.cv_results_["mean_test_score"].reshape(len(alphas), len(penalties)).T
best = search.best_params_
print(f"best: penalty={best['regularizedregressor__penalty']!r}, "
      f"alpha={best['regularizedregressor__alpha']:.3g}, CV R^2={search.best_score_:.3f}")
unpenalized = GridSearchCV(pipe.set_params(regularizedregressor__penalty=None),
                           {"regularizedregressor__alpha": [1.0]}, cv=cv).fit(X, y)
print(f"no penalty: CV R^2={unpenalized.best_score_:.3f}")

fig, ax = plt.subplots(figsize=(10, 3.4))
shown = np.clip(scores, 0.3, None)  # keep the colour scale on the interesting range
image = ax.imshow(shown, aspect="auto", cmap="viridis")
ax.set_xticks(range(len(alphas)), [f"{a:.2g}" for a in alphas], rotation=45)
ax.set_yticks(range(len(penalties)), penalties)
ax.set_xlabel("alpha")
ax.set_ylabel("penalty")
for i in range(len(penalties)):
    for j in range(len(alphas)):
        ax.text(j, i, f"{scores[i, j]:.2f}", ha="center", va="center", fontsize=7,
                color="white" if shown[i, j] < 0.45 else "black")
i_best = penalties.index(best["regularizedregressor__penalty"])
j_best = int(np.argmin(np.abs(alphas - best["regularizedregressor__alpha"])))
ax.add_patch(plt.Rectangle((j_best - 0.5, i_best - 0.5), 1, 1, fill=False, ec="red", lw=2))
fig.colorbar(image, ax=ax, label="mean CV R^2 (clipped at 0.3)")
ax.set_title(f"GridSearchCV on load_diabetes with pairwise products "
             f"(no penalty: R^2 = {unpenalized.best_score_:.2f})")
fig.tight_layout()
plt.show()

# %%
# The same choice from one path per fold
# --------------------------------------
# :class:`skreg.RegularizedRegressorCV` gives the same answer for one penalty
# without a cold fit per grid point: it follows the regularization path on every
# fold, each ``alpha`` warm-started from the previous one (for L2, one
# eigendecomposition per fold gives every ``alpha``).

Xt = pipe[:-1].fit_transform(X)  # as the last step of the pipeline would see them
for penalty in penalties:
    path_cv = RegularizedRegressorCV(penalty=penalty, alphas=alphas, cv=cv).fit(Xt, y)
    print(f"{penalty:>10}: alpha_={path_cv.alpha_:.3g}, "
          f"{np.count_nonzero(path_cv.coef_)} of {Xt.shape[1]} coefficients non-zero")
