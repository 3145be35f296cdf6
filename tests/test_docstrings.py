"""Every public name documents what users look up: its sections, parameters and attributes.

The API reference is generated from these docstrings, so a parameter or fitted attribute
missing here is missing from the site.
"""

import inspect
import re

import pytest
from sklearn.datasets import load_diabetes, load_iris

import skreg

CLASS_SECTIONS = ["Parameters", "Attributes", "See Also", "Notes", "Examples"]
FUNCTION_SECTIONS = ["Parameters", "Returns", "See Also", "Notes", "Examples"]


def _sections(doc):
    """{section title: its body} of a numpydoc docstring."""
    lines = doc.splitlines()
    starts = [i for i in range(len(lines) - 1)
              if lines[i].strip() and re.fullmatch(r"-{3,}", lines[i + 1].strip())]
    out = {}
    for k, i in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        out[lines[i].strip()] = lines[i + 2:end]
    return out


def _documented_names(body):
    """Names of the entries ``name : type`` (or a bare ``name``) at the section's indent."""
    names = set()
    for line in body:
        if line and not line[0].isspace():
            head = line.split(" : ")[0]
            names.update(n.strip() for n in head.split(","))
    return names


PUBLIC = [name for name in skreg.__all__ if not name.startswith("_")]


def test_all_public_names_are_listed():
    assert sorted(PUBLIC) == ["DropoutMLPClassifier", "DropoutMLPRegressor", "HashKFold",
                              "RegularizedClassifier", "RegularizedClassifierCV",
                              "RegularizedRegressor", "RegularizedRegressorCV",
                              "logistic_regularization_path", "regularization_path",
                              "trusted_types"]


@pytest.mark.parametrize("name", PUBLIC)
def test_sections_present(name):
    obj = getattr(skreg, name)
    sections = _sections(inspect.getdoc(obj))
    wanted = CLASS_SECTIONS if inspect.isclass(obj) else FUNCTION_SECTIONS
    if inspect.isclass(obj) and not hasattr(obj, "fit"):     # a splitter: no state
        wanted = [s for s in wanted if s != "Attributes"]
    missing = [s for s in wanted if not any(line.strip() for line in sections.get(s, []))]
    assert not missing, f"{name} lacks {missing}"
    assert ">>>" in "\n".join(sections["Examples"])


@pytest.mark.parametrize("name", PUBLIC)
def test_every_parameter_documented(name):
    obj = getattr(skreg, name)
    sig = inspect.signature(obj.__init__ if inspect.isclass(obj) else obj)
    params = {p for p in sig.parameters if p != "self"}
    documented = _documented_names(_sections(inspect.getdoc(obj))["Parameters"])
    assert params == documented, (params - documented, documented - params)


FITTED = {
    "RegularizedRegressor": lambda: skreg.RegularizedRegressor().fit(
        *load_diabetes(return_X_y=True)),
    "RegularizedRegressorCV": lambda: skreg.RegularizedRegressorCV(alphas=5, cv=3).fit(
        *load_diabetes(return_X_y=True)),
    "RegularizedClassifier": lambda: skreg.RegularizedClassifier().fit(
        *load_iris(return_X_y=True)),
    "RegularizedClassifierCV": lambda: skreg.RegularizedClassifierCV(
        alphas=5, cv=3).fit(*load_iris(return_X_y=True)),
    "DropoutMLPClassifier": lambda: skreg.DropoutMLPClassifier(
        hidden_layer_sizes=(8,), max_iter=3, early_stopping=True, validation_fraction=0.2,
        n_iter_no_change=1, random_state=0).fit(*load_iris(return_X_y=True)),
    "DropoutMLPRegressor": lambda: skreg.DropoutMLPRegressor(
        hidden_layer_sizes=(8,), max_iter=3, early_stopping=True, validation_fraction=0.2,
        n_iter_no_change=1, random_state=0).fit(*load_diabetes(return_X_y=True)),
}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("name", sorted(FITTED))
def test_every_fitted_attribute_documented(name):
    est = FITTED[name]()
    fitted = {a for a in vars(est) if a.endswith("_") and not a.startswith("_")}
    documented = _documented_names(_sections(inspect.getdoc(type(est)))["Attributes"])
    # feature_names_in_ only exists after fitting on a DataFrame with string columns
    assert fitted <= documented, fitted - documented
    # dropouts_ and alphas_ depend on the search (dropouts=..., penalty=None)
    assert documented - fitted <= {"feature_names_in_", "mse_path_", "score_path_",
                                   "dropouts_", "alphas_", "log_loss_path_", "validation_scores_", "best_validation_score_",
                                   "best_loss_"}, documented - fitted
