"""skreg: regularized estimators for scikit-learn.

L1, L2, elastic-net and dropout regularization done right, as estimators that
drop into any scikit-learn ``Pipeline``, ``GridSearchCV`` or ``SelectFromModel``.
"""

from ._cv import RegularizedRegressorCV
from ._mlp_classifier import DropoutMLPClassifier
from ._mlp_regressor import DropoutMLPRegressor
from ._path import regularization_path
from ._regressor import RegularizedRegressor

__version__ = "0.1.0"

__all__ = [
    "DropoutMLPClassifier",
    "DropoutMLPRegressor",
    "RegularizedRegressor",
    "RegularizedRegressorCV",
    "regularization_path",
    "__version__",
]
