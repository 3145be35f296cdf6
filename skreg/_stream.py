"""A ``partial_fit`` stream: each chunk validated against the stream it continues."""

from dataclasses import dataclass

import numpy as np
from sklearn.utils.validation import validate_data

from ._validation import check_sample_weight


@dataclass
class Chunk:
    """A validated chunk and the statistics of its stream so far.

    ``Y`` is 2-D, ``sw`` float64; ``stats`` are new and empty for the first
    chunk; ``single`` says whether ``y`` is 1-D and ``dtype`` names the
    stream's dtype.
    """

    X: object
    Y: np.ndarray
    sw: np.ndarray
    stats: object
    single: bool
    dtype: str


def stream_chunk(estimator, X, y, sample_weight, stream, kind):
    """Validate a ``partial_fit`` chunk against the stream it continues.

    ``stream`` is None for the first chunk, else ``(state, single, dtype)`` as
    kept by the estimator; ``kind`` the statistics class (``state`` is its
    ``state()``).  Returns a :class:`Chunk`.  A ``ValueError`` when the chunk's
    targets or ``fit_intercept`` differ from the stream's.
    """
    first = stream is None
    X, y = validate_data(estimator, X, y, accept_sparse=["csr", "csc"],
                         dtype=[np.float64, np.float32], multi_output=True,
                         y_numeric=True, reset=first)
    Y = y[:, None] if y.ndim == 1 else y
    sw = check_sample_weight(sample_weight, X.shape[0], np.float64) \
        if sample_weight is not None else np.ones(X.shape[0])
    if first:
        stats = kind(X.shape[1], Y.shape[1], estimator.fit_intercept)
        return Chunk(X, Y, sw, stats, y.ndim == 1, X.dtype.name)
    state, single, dtype = stream
    stats = kind.from_state(state)
    if Y.shape[1] != stats.n_targets or (y.ndim == 1) != single:
        raise ValueError(
            f"y has {Y.shape[1]} target(s) but earlier chunks had "
            f"{stats.n_targets}; every chunk must have the same targets."
        )
    if stats.fit_intercept != estimator.fit_intercept:
        raise ValueError(
            "fit_intercept changed between calls to partial_fit; the "
            "statistics were accumulated with "
            f"fit_intercept={stats.fit_intercept}."
        )
    return Chunk(X, Y, sw, stats, single, dtype)
