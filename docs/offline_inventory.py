"""Intersphinx inventories for numpy, scipy, scikit-learn and Python, built offline.

The documentation links to these projects with intersphinx. Their ``objects.inv`` files
are downloaded when the network is reachable; CI builds without a network, so
``conf.py`` gives intersphinx a second location for each project: an inventory written
here from the *installed* packages, using each site's URL layout for generated API
pages. The links it produces are the ones the downloaded inventories would produce for
the names this site refers to.
"""

import importlib
import re
import zlib
from pathlib import Path

import numpy
import scipy
import sklearn

# scikit-learn glossary terms used in the docstrings' types and the user guide.
SKLEARN_TERMS = [
    "array-like", "sparse matrix", "estimator", "random_state", "n_jobs", "warm_start",
    "sample_weight", "cross-validation estimator", "partial_fit", "fit", "predict",
    "predict_proba", "meta-estimator", "hyperparameter", "class_weight", "early stopping",
    "classes_", "coef_", "intercept_", "n_iter_", "feature_names_in_", "n_features_in_",
]
SKLEARN_LABELS = {
    "metadata_routing": ("metadata_routing.html", "Metadata Routing"),
    "accuracy_score": ("modules/model_evaluation.html", "Accuracy score"),
    "r2_score": ("modules/model_evaluation.html", "R² score"),
}
PYTHON_TERMS = ["callable", "generator", "iterable"]
PYTHON_BUILTINS = ["int", "float", "str", "bool", "dict", "list", "tuple", "object",
                   "slice", "range"]


def _term_anchor(term):
    """The HTML anchor Sphinx gives a glossary term (``term-`` and the term, hyphenated)."""
    return re.sub(r"[^a-zA-Z0-9._]+", "-", " ".join(f"term-{term}".split())).strip("-")


def _public_names(module_name):
    """(full name, role) for the public classes and functions a module exports."""
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
    for name in names:
        obj = getattr(module, name, None)
        if isinstance(obj, type):
            yield f"{module_name}.{name}", "py:class"
        elif callable(obj):
            yield f"{module_name}.{name}", "py:function"


def _entries_python():
    for name in PYTHON_BUILTINS:
        yield name, "py:class", f"library/functions.html#{name}"
    yield "None", "py:data", "library/constants.html#None"
    yield "True", "py:data", "library/constants.html#True"
    yield "False", "py:data", "library/constants.html#False"
    for term in PYTHON_TERMS:
        yield term, "std:term", f"glossary.html#{_term_anchor(term)}"


def _entries_numpy():
    for full, role in _public_names("numpy"):
        yield full, role, f"reference/generated/{full}.html#{full}"
    for scalar in ["float16", "float32", "float64", "int32", "int64", "uint32", "bool_"]:
        yield f"numpy.{scalar}", "py:attribute", f"reference/arrays.scalars.html#numpy.{scalar}"
    yield "numpy.random.RandomState", "py:class", "reference/random/legacy.html#numpy.random.RandomState"
    yield "numpy.random.Generator", "py:class", "reference/random/generator.html#numpy.random.Generator"
    yield "numpy.random.default_rng", "py:function", "reference/random/generator.html#numpy.random.default_rng"
    for full, role in _public_names("numpy.linalg"):
        yield full, role, f"reference/generated/{full}.html#{full}"


def _entries_scipy():
    for module in ["scipy.sparse", "scipy.sparse.linalg", "scipy.linalg"]:
        for full, role in _public_names(module):
            yield full, role, f"reference/generated/{full}.html#{full}"


def _entries_sklearn():
    for sub in sklearn.__all__:
        try:
            names = list(_public_names(f"sklearn.{sub}"))
        except ImportError:  # pragma: no cover - an optional submodule
            continue
        for full, role in names:
            yield full, role, f"modules/generated/{full}.html#{full}"
    for term in SKLEARN_TERMS:
        yield term, "std:term", f"glossary.html#{_term_anchor(term)}"
    # Labels that scikit-learn's inherited docstrings (score, metadata routing) refer to.
    for label, (page, title) in SKLEARN_LABELS.items():
        yield label, "std:label", f"{page}#{label.replace('_', '-')}", title


PROJECTS = {
    "python": ("Python", "3", _entries_python),
    "numpy": ("NumPy", numpy.__version__, _entries_numpy),
    "scipy": ("SciPy", scipy.__version__, _entries_scipy),
    "sklearn": ("scikit-learn", sklearn.__version__, _entries_sklearn),
}


def write_offline_inventories(directory):
    """Write one Sphinx v2 ``objects.inv`` per project into *directory*; return their paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for key, (title, version, entries) in PROJECTS.items():
        seen, lines = set(), []
        for name, role, uri, *title in entries():
            if (name, role) in seen:
                continue
            seen.add((name, role))
            priority = 1 if role.startswith("py:") else -1
            lines.append(f"{name} {role} {priority} {uri} {title[0] if title else '-'}\n")
        header = ("# Sphinx inventory version 2\n"
                  f"# Project: {title}\n# Version: {version}\n"
                  "# The remainder of this file is compressed using zlib.\n")
        path = directory / f"{key}-objects.inv"
        path.write_bytes(header.encode() + zlib.compress("".join(lines).encode()))
        paths[key] = path
    return paths
