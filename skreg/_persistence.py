"""Safe loading with ``skops.io``: the exact types a skreg model asks to trust.

``pickle`` runs code while loading; ``skops.io`` loads only types it is told to
trust.  It trusts by default Python's built-in types, numpy's and scipy's
arrays, scalars, dtypes and random generators, and scikit-learn's estimators.
A skreg model may hold more: its own class (under its public name,
``skreg.RegularizedRegressor``, ``skreg.RegularizedClassifierCV``, ...), a
:class:`~skreg.HashKFold`, or a scikit-learn cross-validation splitter given
as ``cv`` (``KFold``, ``StratifiedKFold``, ``GroupKFold``, ...).  :func:`trusted_types` walks the
object (its parameters and fitted attributes, recursively) and lists exactly
those of its types, so ``skops.io.loads(data, trusted=trusted_types(model))``
loads it and trusts nothing else.
"""

import sys

import numpy as np
from sklearn.base import BaseEstimator


def trusted_types(estimator):
    """The type names to pass to ``skops.io.load(..., trusted=...)`` for a model.

    Parameters
    ----------
    estimator : estimator instance or class
        A skreg estimator (fitted or not), or a scikit-learn meta-estimator such as
        a :class:`~sklearn.pipeline.Pipeline` holding skreg estimators.

    Returns
    -------
    names : list of str
        Sorted type names, for example ``["skreg.RegularizedRegressor"]``: the
        skreg classes and scikit-learn cross-validation splitters the object
        holds (the types ``skops.io`` does not trust by default).  Other foreign
        objects (a user's own splitter class, a custom scorer) are left out: the
        user decides whether to trust them.

    See Also
    --------
    skops.io.get_untrusted_types : What a saved file asks to trust; for a skreg
        model it equals this list.

    Notes
    -----
    The object is walked: its attributes (parameters and fitted attributes,
    including the statistics that ``partial_fit`` keeps and the networks'
    optimizer state), and the items of the lists, tuples, dicts and object
    arrays among them, recursively; a class held as a value (as
    ``RepeatedKFold`` holds ``KFold``) counts as its type.  Each skreg class
    is named under ``skreg`` itself (``skreg.HashKFold``), not under the private
    module that defines it, so the names stay valid when the code moves.

    Examples
    --------
    >>> import numpy as np
    >>> import skops.io as sio
    >>> from sklearn.model_selection import KFold
    >>> from skreg import RegularizedRegressor, RegularizedRegressorCV, trusted_types
    >>> model = RegularizedRegressor(alpha=0.1).fit(np.eye(3), [1.0, 2.0, 3.0])
    >>> trusted_types(model)
    ['skreg.RegularizedRegressor']
    >>> loaded = sio.loads(sio.dumps(model), trusted=trusted_types(model))
    >>> bool(np.all(loaded.coef_ == model.coef_))
    True
    >>> trusted_types(RegularizedRegressorCV(cv=KFold(3)))
    ['sklearn.model_selection._split.KFold', 'skreg.RegularizedRegressorCV']
    """
    names = set()
    _collect(estimator, names, set())
    return sorted(names)


def _type_name(cls):
    """The name to trust for ``cls``, or None for a type that skops trusts by
    default or that is not ours to vouch for."""
    module = getattr(cls, "__module__", "") or ""
    if module == "skreg" or module.startswith("skreg."):
        skreg = sys.modules["skreg"]        # (this package, imported already)
        if getattr(skreg, cls.__name__, None) is cls:
            return f"skreg.{cls.__name__}"
        return f"{module}.{cls.__qualname__}"
    if (module.startswith("sklearn.model_selection")
            and not issubclass(cls, BaseEstimator) and hasattr(cls, "split")):
        return f"{module}.{cls.__qualname__}"       # a cross-validation splitter
    return None


def _children(obj):
    """The values held by ``obj`` that can hold further types."""
    if isinstance(obj, dict):
        return list(obj.keys()) + list(obj.values())
    if isinstance(obj, (list, tuple, set, frozenset)):
        return list(obj)
    if isinstance(obj, np.ndarray):
        return list(obj.ravel()) if obj.dtype == object else []
    if isinstance(obj, (str, bytes, int, float, complex, np.generic, np.dtype)):
        return []
    return list(getattr(obj, "__dict__", {}).values())


def _collect(obj, names, seen):
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, type):
        name = _type_name(obj)
        if name is not None:
            names.add(name)
        return
    name = _type_name(type(obj))
    if name is not None:
        names.add(name)
    for child in _children(obj):
        _collect(child, names, seen)
