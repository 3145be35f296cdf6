"""
Feature selection with an L1 penalty
====================================

An L1 penalty sets coefficients to exactly zero, so a fitted
``RegularizedRegressor(penalty="l1")`` is a feature selector:
:class:`~sklearn.feature_selection.SelectFromModel` keeps the features whose
coefficient is non-zero (for an estimator whose ``penalty`` is ``"l1"`` its
default threshold is 1e-5, on the absolute coefficient).

To see whether it keeps the right ones, the ten features of the diabetes data
are mixed with 40 features of pure noise. A pipeline selects features with the
L1 model and refits an unpenalized least-squares model on the survivors;
:class:`~sklearn.model_selection.GridSearchCV` chooses the selector's
``alpha``.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.feature_selection import SelectFromModel
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skreg import RegularizedRegressor

data = load_diabetes()
rng = np.random.default_rng(0)
n_noise = 40
X = np.hstack([data.data, rng.standard_normal((data.data.shape[0], n_noise))])
names = list(data.feature_names) + [f"noise {k}" for k in range(n_noise)]
is_real = np.arange(X.shape[1]) < data.data.shape[1]
y = data.target

pipe = make_pipeline(
    StandardScaler(),
    SelectFromModel(RegularizedRegressor(penalty="l1")),
    RegularizedRegressor(penalty=None),
)
alphas = np.geomspace(0.05, 20, 25)
cv = KFold(5, shuffle=True, random_state=0)
search = GridSearchCV(pipe, {"selectfrommodel__estimator__alpha": alphas}, cv=cv,
                      n_jobs=2).fit(X, y)
selector = search.best_estimator_.named_steps["selectfrommodel"]
kept = selector.get_support()
print(f"chosen alpha {search.best_params_['selectfrommodel__estimator__alpha']:.3g}: "
      f"kept {kept[is_real].sum()} of {is_real.sum()} real features and "
      f"{kept[~is_real].sum()} of {n_noise} noise features")
print("kept:", ", ".join(np.array(names)[kept]))
everything = make_pipeline(StandardScaler(), RegularizedRegressor(penalty=None))
print(f"CV R^2: selected {search.best_score_:.3f}, "
      f"all 50 features {cross_val_score(everything, X, y, cv=cv).mean():.3f}")

# %%
# What the selector keeps along ``alpha``
# ---------------------------------------

Xs = StandardScaler().fit_transform(X)
n_real, n_fake = [], []
for alpha in alphas:
    coef = RegularizedRegressor(penalty="l1", alpha=alpha).fit(Xs, y).coef_
    n_real.append(np.count_nonzero(coef[is_real]))
    n_fake.append(np.count_nonzero(coef[~is_real]))

fig, (ax_count, ax_coef) = plt.subplots(1, 2, figsize=(11, 4.3))
ax_count.semilogx(alphas, n_real, marker="o", label="diabetes features kept")
ax_count.semilogx(alphas, n_fake, marker="s", label="noise features kept")
ax_count.set(xlabel="alpha of the L1 selector", ylabel="features kept")
ax_r2 = ax_count.twinx()
ax_r2.semilogx(alphas, search.cv_results_["mean_test_score"], color="C2", ls=":")
ax_r2.set_ylabel("CV R^2 of the pipeline", color="C2")
ax_r2.tick_params(axis="y", colors="C2")
ax_count.axvline(search.best_params_["selectfrommodel__estimator__alpha"], color="0.5",
                 ls="--", lw=1)
ax_count.legend(loc="center left")
ax_count.set_title("selection along alpha (dashed: chosen)")

coef = selector.estimator_.coef_
nonzero = np.flatnonzero(coef)
order = nonzero[np.argsort(-np.abs(coef[nonzero]))]
colors = ["C0" if is_real[j] else "C1" for j in order]
ax_coef.barh(range(len(order)), coef[order], color=colors)
ax_coef.set_yticks(range(len(order)), [names[j] for j in order], fontsize=8)
ax_coef.invert_yaxis()
ax_coef.axvline(0, color="0.3", lw=0.8)
ax_coef.set(xlabel="L1 coefficient at the chosen alpha",
            title="the kept features (orange: noise)")
fig.tight_layout()
plt.show()

# %%
# As ``alpha`` grows the noise features drop out first: their correlation with
# the residual is small, and a coefficient stays at zero as long as that
# correlation is below ``alpha``. The cross-validated choice keeps the useful
# diabetes features and few or none of the noise ones, and the refit on the
# survivors predicts better than least squares on everything.
