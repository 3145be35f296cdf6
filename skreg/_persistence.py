"""Safe loading with ``skops.io``: the exact types a skreg model asks to trust.

``pickle`` runs code while loading; ``skops.io`` loads only types it is told to
trust.  A fitted skreg estimator keeps its state in numpy arrays, numpy scalars,
Python numbers, strings, lists and dicts of those, which ``skops.io`` trusts by
default, so the only type to trust is the estimator's own class, under its
public name.
"""

from sklearn.base import BaseEstimator


def trusted_types(estimator):
    """The type names to pass to ``skops.io.load(..., trusted=...)`` for a model.

    Parameters
    ----------
    estimator : estimator instance or class
        A skreg estimator (fitted or not), or a scikit-learn meta-estimator such as
        a :class:`~sklearn.pipeline.Pipeline` holding skreg estimators; for the
        latter only the skreg types are listed (scikit-learn's own are trusted by
        ``skops.io`` already).

    Returns
    -------
    names : list of str
        Sorted type names, for example ``["skreg.RegularizedRegressor"]``.

    See Also
    --------
    skops.io.get_untrusted_types : What a saved file asks to trust; for a skreg
        model it equals this list.

    Notes
    -----
    Every fitted attribute of a skreg estimator, including the statistics that
    ``partial_fit`` keeps and the networks' optimizer state, is a numpy array, a
    numpy scalar, a Python number, string, list or dict of those, which
    ``skops.io`` trusts by default.  Each estimator's class is published under
    ``skreg`` itself (``skreg.RegularizedRegressor``), not under the private
    module that defines it, so the names stay valid when the code moves.

    Examples
    --------
    >>> import numpy as np
    >>> import skops.io as sio
    >>> from skreg import RegularizedRegressor, trusted_types
    >>> model = RegularizedRegressor(alpha=0.1).fit(np.eye(3), [1.0, 2.0, 3.0])
    >>> trusted_types(model)
    ['skreg.RegularizedRegressor']
    >>> loaded = sio.loads(sio.dumps(model), trusted=trusted_types(model))
    >>> bool(np.all(loaded.coef_ == model.coef_))
    True
    """
    names = set()
    _collect(estimator, names)
    return sorted(names)


def _collect(obj, names):
    cls = obj if isinstance(obj, type) else type(obj)
    if cls.__module__ == "skreg":
        names.add(f"skreg.{cls.__name__}")
    if isinstance(obj, BaseEstimator):
        for value in obj.get_params(deep=False).values():
            if isinstance(value, BaseEstimator):
                _collect(value, names)
            elif isinstance(value, (list, tuple)):
                for item in value:
                    step = item[1] if isinstance(item, tuple) and len(item) >= 2 else item
                    if isinstance(step, BaseEstimator):
                        _collect(step, names)
