"""Per-feature penalty factors and input dropout: checking the parameters and
resolving the factors against the data's columns.

Both extend the penalty of :class:`skreg.RegularizedRegressor` to

.. math::

    \\alpha \\sum_j f_j \\Big( \\rho |w_j| + \\frac{1 - \\rho}{2} w_j^2 \\Big)
    + \\frac12 \\frac{q}{1 - q} \\sum_j d_j w_j^2,
    \\qquad d_j = \\frac1S \\sum_i s_i x_{ij}^2,

which :class:`~skreg._penalties.PenaltySpec` builds from the checked values.
"""

from numbers import Real

import numpy as np

from ._validation import boolean, check_real_entries, check_scalar_param, integer, real


def check_dropout(dropout, name="dropout"):
    """The input-dropout rate, a real number in [0, 1)."""
    return float(check_scalar_param(dropout, name, kind=Real, low=0.0, high=1.0,
                                    high_inclusive=False))


def check_dropouts(dropouts):
    """``dropouts`` of the CV class: None, or a non-empty list of rates in [0, 1)."""
    if dropouts is None:
        return None
    if isinstance(dropouts, (str, bytes)) or np.ndim(dropouts) != 1:
        raise TypeError(
            "Parameter 'dropouts' must be None or a 1-D list of dropout rates in "
            f"[0, 1), got {dropouts!r}."
        )
    values = [check_dropout(q, "dropouts") for q in list(dropouts)]
    if not values:
        raise ValueError("Parameter 'dropouts' must contain at least one rate.")
    return sorted(set(values))


def check_penalty_factor(penalty_factor):
    """Check what does not depend on the data: None, a mapping (dict or pandas
    Series) of feature names to factors, or a 1-D array of finite values >= 0."""
    if penalty_factor is None:
        return
    if _is_mapping(penalty_factor):
        values = list(_mapping_items(penalty_factor).values())
        names = list(_mapping_items(penalty_factor))
        if not all(isinstance(name, str) for name in names):
            raise TypeError(
                "Parameter 'penalty_factor' given as a dict or Series must be keyed "
                f"by feature names (str), got keys {names!r}."
            )
        _check_values(values)
        return
    if not isinstance(penalty_factor, (str, bytes)) and np.ndim(penalty_factor) > 1:
        raise ValueError(
            "Parameter 'penalty_factor' must be 1-D, of shape (n_features,), got "
            f"an array of shape {np.shape(penalty_factor)}."
        )
    if isinstance(penalty_factor, (str, bytes)) or np.ndim(penalty_factor) != 1:
        raise TypeError(
            "Parameter 'penalty_factor' must be None, a 1-D array-like of shape "
            "(n_features,), or a dict / pandas Series keyed by feature name, got "
            f"{penalty_factor!r}."
        )
    _check_values(penalty_factor if isinstance(penalty_factor, np.ndarray)
                  else list(penalty_factor))


def _check_values(values):
    check_real_entries(values, "penalty_factor", values)
    arr = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(
            "Parameter 'penalty_factor' must contain finite values >= 0, got "
            f"{arr!r}."
        )


def _is_mapping(obj):
    return isinstance(obj, dict) or (hasattr(obj, "index") and hasattr(obj, "to_dict")
                                     and np.ndim(obj) == 1)


def _mapping_items(obj):
    """The mapping as a dict; a Series must name each feature once."""
    if isinstance(obj, dict):
        return dict(obj)
    names = list(obj.index)
    repeated = sorted({str(n) for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(
            "Parameter 'penalty_factor' names every feature once, but the Series "
            f"repeats {repeated}: give one factor per name."
        )
    return obj.to_dict()


def resolve_penalty_factor(penalty_factor, n_features, feature_names=None):
    """The factors as a float64 array of shape (n_features,), or None (all ones).

    A mapping needs ``X`` to have column names (``feature_names``): every name
    of the mapping must be a column and every column must have a factor.
    """
    if penalty_factor is None:
        return None
    if _is_mapping(penalty_factor):
        items = _mapping_items(penalty_factor)
        if feature_names is None:
            raise ValueError(
                "penalty_factor is keyed by feature name, but X has no column "
                "names: pass a pandas DataFrame, or give penalty_factor as an array "
                "of shape (n_features,)."
            )
        names = [str(name) for name in feature_names]
        unknown = sorted(set(items) - set(names))
        missing = [name for name in names if name not in items]
        if unknown or missing:
            raise ValueError(
                "penalty_factor must name every column of X and nothing else: "
                + (f"unknown names {unknown}" if unknown else "")
                + ("; " if unknown and missing else "")
                + (f"no factor for {missing}" if missing else "") + "."
            )
        return np.array([float(items[name]) for name in names])
    factor = np.asarray(penalty_factor, dtype=np.float64)
    if factor.shape != (n_features,):
        raise ValueError(
            f"penalty_factor has shape {factor.shape}, but X has {n_features} "
            f"features: it must have shape ({n_features},)."
        )
    return factor


# The parameters every linear model of skreg shares, and what each must be (each
# estimator's table adds its own).
LINEAR_MODEL_PARAMS = {
    "fit_intercept": boolean,
    "positive": boolean,
    "tol": real(0.0),
    "max_iter": integer(1),
    "penalty_factor": lambda value, name: check_penalty_factor(value),
    "dropout": lambda value, name: check_dropout(value),
}
