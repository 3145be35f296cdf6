"""Small validation helpers whose error messages name the offending parameter."""

import os
import sys
import warnings
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets

_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def warn_user(message, category=UserWarning):
    """``warnings.warn`` attributed to the first frame outside this package: the
    user's call, however deep in the library the warning is decided."""
    frame, level = sys._getframe(0), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(
            _PACKAGE + os.sep):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def check_scalar_param(value, name, *, kind=Real, low=None, high=None,
                       low_inclusive=True, high_inclusive=True, allow_none=False):
    """Check a numeric hyper-parameter and return it.

    Raises ``TypeError`` for a value of the wrong type and ``ValueError`` for a
    value outside its range; both messages name the parameter.
    """
    if value is None and allow_none:
        return value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, kind):
        expected = "an integer" if kind is Integral else "a real number"
        raise TypeError(
            f"Parameter {name!r} must be {expected}{' or None' if allow_none else ''}, "
            f"got {value!r} of type {type(value).__name__}."
        )
    if not np.isfinite(value):
        raise ValueError(f"Parameter {name!r} must be finite, got {value!r}.")
    if low is not None and (value < low or (value == low and not low_inclusive)):
        op = ">=" if low_inclusive else ">"
        raise ValueError(f"Parameter {name!r} must be {op} {low}, got {value!r}.")
    if high is not None and (value > high or (value == high and not high_inclusive)):
        op = "<=" if high_inclusive else "<"
        raise ValueError(f"Parameter {name!r} must be {op} {high}, got {value!r}.")
    return value


def check_real_entries(values, name, given):
    """Raise a ``TypeError`` naming ``name`` unless every entry of ``values`` is a
    real number (a bool or a string is not); ``given`` is shown as what was
    passed."""
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiu":
        return                       # an array of numbers: nothing to look at one by one
    for value in values:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Real, np.number)):
            raise TypeError(
                f"Parameter {name!r} must contain real numbers only, got "
                f"{value!r} of type {type(value).__name__} in {given!r}."
            )


def check_option(value, name, options):
    """Check that ``value`` is one of ``options`` (which may include None)."""
    for option in options:
        if value is option or (
            isinstance(value, str) and isinstance(option, str) and value == option
        ):
            return value
    shown = ", ".join(repr(o) for o in options)
    raise ValueError(f"Parameter {name!r} must be one of {shown}; got {value!r}.")


def check_bool(value, name):
    """Check a boolean flag (numpy booleans accepted)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(
            f"Parameter {name!r} must be True or False, got {value!r} of type "
            f"{type(value).__name__}."
        )
    return bool(value)


def check_sample_weight(sample_weight, n_samples, dtype):
    """Return validated sample weights as a 1-D array of ``dtype`` (ones if None).

    Weights must be finite and non-negative with a positive sum.
    """
    if sample_weight is None:
        return np.ones(n_samples, dtype=dtype)
    if np.isscalar(sample_weight):
        if not isinstance(sample_weight, (Real, np.number)) or isinstance(
            sample_weight, (bool, np.bool_)
        ):
            raise TypeError(
                f"sample_weight must be a number or an array, got {sample_weight!r}."
            )
        sw = np.full(n_samples, sample_weight, dtype=dtype)
    else:
        try:
            sw = np.asarray(sample_weight, dtype=dtype)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"sample_weight must be numeric, got an array of "
                f"{np.asarray(sample_weight).dtype}."
            ) from exc
        if sw.ndim != 1:
            raise ValueError(
                f"sample_weight must be 1-D, got an array of shape {sw.shape}."
            )
        if sw.shape[0] != n_samples:
            raise ValueError(
                f"sample_weight has {sw.shape[0]} entries but X has {n_samples} "
                "samples; they must match."
            )
        sw = np.array(sw, dtype=dtype, copy=True)
    if not np.all(np.isfinite(sw)):
        raise ValueError("sample_weight must be finite (no NaN or inf).")
    if np.any(sw < 0):
        raise ValueError("sample_weight must be non-negative.")
    if not sw.sum() > 0:
        raise ValueError("sample_weight must not be all zero: its sum must be positive.")
    return sw


@contextmanager
def restore_on_error(estimator):
    """Leave ``estimator``'s attributes exactly as they were if the block raises.

    ``fit`` methods compute into locals and publish their fitted attributes
    together at the end; what scikit-learn's ``validate_data`` sets on the way
    (``n_features_in_``, ``feature_names_in_``) is put back too, so a rejected
    refit leaves the previous model usable.
    """
    saved = dict(vars(estimator))
    try:
        yield
    except BaseException:
        state = vars(estimator)
        state.clear()
        state.update(saved)
        raise


# ------------------------------------------------- declarative parameter tables
# An estimator's parameters are checked by one table, ``{name: check}``, where a
# check is ``check(value, name)`` and raises a TypeError / ValueError naming the
# parameter; :func:`check_params` runs the table.
def real(low=None, high=None, *, low_inclusive=True, high_inclusive=True):
    """A real number in the given range."""
    return lambda value, name: check_scalar_param(
        value, name, kind=Real, low=low, high=high, low_inclusive=low_inclusive,
        high_inclusive=high_inclusive)


def integer(low=None):
    """An integer of at least ``low``."""
    return lambda value, name: check_scalar_param(value, name, kind=Integral, low=low)


def one_of(*choices):
    """One of ``choices`` (None among them when allowed)."""
    return lambda value, name: check_option(value, name, choices)


def boolean(value, name):
    """True or False."""
    return check_bool(value, name)


def check_params(estimator, table):
    """Check every parameter of ``estimator`` named in ``table``."""
    for name, check in table.items():
        check(getattr(estimator, name), name)


def encode_classes(y, sample_weight, class_weight, owner):
    """Class labels as ``(classes, codes, s)``: the sorted labels, each sample's
    index among them, and the sample weights times the class weights (float64).
    A ``ValueError`` unless at least two classes carry weight."""
    check_classification_targets(y)
    classes, codes = np.unique(y, return_inverse=True)
    if classes.size < 2:
        raise ValueError(
            f"{owner} needs samples of at least 2 classes in the data, but the data "
            f"contain only one class: {classes[0]!r}.")
    sw = check_sample_weight(sample_weight, len(codes), np.float64)
    weighted = classes[np.bincount(codes, weights=sw, minlength=classes.size) > 0]
    if weighted.size < 2:
        raise ValueError(
            f"{owner} needs samples of at least 2 classes with a positive "
            f"sample_weight, but only class {weighted[0]!r} has one.")
    if class_weight is not None:
        sw = sw * compute_class_weight(class_weight, classes=classes, y=y,
                                       sample_weight=sw)[codes]
    return classes, codes, sw
