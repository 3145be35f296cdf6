"""Sphinx configuration of the skreg documentation site.

Build it with ``pip install ".[docs]" && sphinx-build -W -b html docs docs/_build/html``
from the project root; every example of the gallery runs during the build.
"""

import sys
from pathlib import Path

import skreg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from offline_inventory import write_offline_inventories

project = "skreg"
author = "The skreg developers"
copyright = "2026, the skreg developers"
release = skreg.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",
    "myst_parser",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "**/README.md"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
default_role = "literal"
nitpicky = False

# --- API reference ------------------------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = True
numpydoc_xref_ignore = {"of", "or", "shape", "default", "optional", "instance", "n_samples",
                        "n_features", "n_targets", "n_alphas", "n_folds", "n_classes",
                        "n_passes", "n_l1_ratios", "n_layers", "n_iter", "n_outputs",
                        "n_features_in_"}
numpydoc_xref_aliases = {
    "array-like": ":term:`array-like <sklearn:array-like>`",
    "sparse matrix": ":term:`sparse matrix <sklearn:sparse matrix>`",
    "estimator": ":term:`estimator <sklearn:estimator>`",
    "RandomState": "numpy.random.RandomState",
    "Generator": "numpy.random.Generator",
    "ndarray": "numpy.ndarray",
    "callable": ":term:`python:callable`",
    "dict": "dict",
    "int": "int",
    "float": "float",
    "str": "str",
    "bool": "bool",
    "None": "None",
}
# Every public name carries the sections users look for; a missing one fails the build.
numpydoc_validation_checks = {"PR01", "PR02", "PR03", "PR10", "RT01", "SS01", "SS03", "SS05",
                              "GL08"}
numpydoc_validation_exclude = {r"\.set_\w+_request$", r"\.get_metadata_routing$",
                               r"\.__init__$"}

# --- cross-references to numpy, scipy and scikit-learn -----------------------------------
# The sites' own inventories are fetched when the network allows; otherwise (CI runs
# offline) an inventory written from the installed packages gives the same links.
_inventory_dir = HERE / "_build" / "offline_inventories"
_offline = write_offline_inventories(_inventory_dir)
intersphinx_mapping = {
    name: (url, (None, str(_offline[name])))
    for name, url in {
        "python": "https://docs.python.org/3/",
        "numpy": "https://numpy.org/doc/stable/",
        "scipy": "https://docs.scipy.org/doc/scipy/",
        "sklearn": "https://scikit-learn.org/stable/",
    }.items()
}
intersphinx_timeout = 5

# --- example gallery ----------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "doc_module": ("skreg",),
    "backreferences_dir": "generated/backreferences",
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "within_subsection_order": "FileNameSortKey",
    "show_memory": False,
    "min_reported_time": 1,
}

# --- figures made by the plot directive in the user guide ---------------------------------
plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]

# --- HTML ---------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skreg {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 7,
}
html_sidebars = {page: [] for page in ["index", "getting_started", "user_guide", "user_guide_mlp",
                                        "lecture_notes", "api", "benchmarks"]}
html_static_path = []
