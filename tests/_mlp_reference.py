"""Run one of our networks and scikit-learn's from the same weights.

Both estimators are fitted once (for the shapes), given the same random
weights, and fitted again warm: what they do from there can be compared
step for step.
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning


def refit_from_same_weights(ours, theirs, X, y, max_iter, seed=1, scale=0.5):
    """Fit both from the same random weights for ``max_iter`` epochs / iterations.

    Returns the starting weights (coefs, intercepts).
    """
    rng = np.random.default_rng(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.set_params(max_iter=1, warm_start=False).fit(X, y)
        theirs.set_params(max_iter=1, warm_start=False).fit(X, y)
        coefs0 = [rng.normal(scale=scale, size=c.shape) for c in ours.coefs_]
        inter0 = [rng.normal(scale=scale, size=b.shape) for b in ours.intercepts_]
        for est in (ours, theirs):
            est.coefs_ = [c.copy() for c in coefs0]
            est.intercepts_ = [b.copy() for b in inter0]
            est.set_params(max_iter=max_iter, warm_start=True).fit(X, y)
    return coefs0, inter0


def assert_same_weights(ours, theirs, rtol=1e-10, atol=1e-12):
    for a, b in zip(ours.coefs_ + ours.intercepts_,
                    theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
