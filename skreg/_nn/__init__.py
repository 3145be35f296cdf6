"""The numeric core of :class:`skreg.DropoutMLPClassifier`.

Pure functions and small objects, testable without an estimator:

- ``_activations``: hidden activations and their derivatives, as registries;
- ``_network``: the parameter layout, initialisation, forward and backward passes
  as functions of (parameters, inputs, dropout masks), and the output losses;
- ``_dropout``: inverted-dropout masks;
- ``_optimizers``: SGD with momentum and Adam, each with the proximal step of an
  L1 penalty, and the max-norm projection.
"""
