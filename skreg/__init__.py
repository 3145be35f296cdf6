"""skreg: regularized estimators for scikit-learn.

L1, L2, elastic-net and dropout regularization done right, for regression and
classification, as estimators that
drop into any scikit-learn ``Pipeline``, ``GridSearchCV`` or ``SelectFromModel``.
"""

from ._classifier import RegularizedClassifier
from ._classifier_cv import RegularizedClassifierCV
from ._cv import RegularizedRegressorCV
from ._hash_folds import HashKFold
from ._logistic_path import logistic_regularization_path
from ._mlp_classifier import DropoutMLPClassifier
from ._mlp_regressor import DropoutMLPRegressor
from ._path import regularization_path
from ._persistence import trusted_types
from ._regressor import RegularizedRegressor

__version__ = "0.1.0"

__all__ = [
    "DropoutMLPClassifier",
    "DropoutMLPRegressor",
    "HashKFold",
    "RegularizedClassifier",
    "RegularizedClassifierCV",
    "RegularizedRegressor",
    "RegularizedRegressorCV",
    "logistic_regularization_path",
    "regularization_path",
    "trusted_types",
    "__version__",
]

# Public class paths (pickle, skops.io, the HTML repr's documentation link):
# skreg.RegularizedRegressor, not the private module it is defined in.
for _cls in (DropoutMLPClassifier, DropoutMLPRegressor, HashKFold, RegularizedClassifier,
             RegularizedClassifierCV, RegularizedRegressor, RegularizedRegressorCV):
    _cls.__module__ = __name__
del _cls
