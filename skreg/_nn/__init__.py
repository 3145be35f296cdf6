"""The numeric core of the networks (DropoutMLPClassifier, DropoutMLPRegressor).

Pure functions and small objects, testable without an estimator:

- ``_activations``: hidden activations and their derivatives, as registries;
- ``_losses``: output functions and their losses (logistic, softmax, squared
  error), as registries;
- ``_network``: the parameter layout, initialisation, forward and backward passes
  as functions of (parameters, inputs, dropout masks);
- ``_dropout``: inverted-dropout masks;
- ``_optimizers``: SGD with momentum and Adam, each with the proximal step of an
  L1 penalty, their state as a plain dict, and the max-norm projection;
- ``_training``: one epoch of mini-batch steps;
- ``_lbfgs``: the full-batch objective and the L-BFGS-B driver (exact L1 by
  splitting the weights into non-negative parts).
"""
