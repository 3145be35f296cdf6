"""The house's layers point down: a module imports only from its own layer or the
layers below it (the table of README's "Layout"), with no import cycle, and no
import inside a function but of an optional dependency."""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "skreg"

# README's "Layout", bottom (0) to top.
LAYERS = {
    0: {"_kernels", "_validation"},
    1: {"_statistics", "_penalties", "_extensions", "_nn"},
    2: {"_datafit", "_unpenalized", "_logistic"},
    3: {"_solvers"},
    4: {"_path", "_fitted", "_logistic_path"},
    5: {"_cv_engine", "_cv_sources", "_loo"},
    6: {"_distributed", "_dask", "_spark", "_stream", "_fold_cv", "_hash_folds"},
    7: {"_regressor", "_cv", "_classifier", "_classifier_cv", "_base", "_mlp", "_mlp_classifier", "_mlp_regressor",
        "_mlp_docs", "_persistence", "onnx", "__init__", "__main__"},
}
RANK = {name: rank for rank, names in LAYERS.items() for name in names}
# What may be imported inside a function: the optional extras.
OPTIONAL = {"dask", "pyspark", "pyarrow", "pandas", "skl2onnx", "onnx", "onnxruntime"}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        yield rel.parts[0].removesuffix(".py"), path


def _imports(path):
    """``(top-level skreg module imported, line, at module level)`` of a file."""
    tree = ast.parse(path.read_text())
    top_level = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            depth = len(path.relative_to(PACKAGE).parts) - 1
            if node.level == 0 or node.level <= depth:
                continue              # not skreg, or inside the same subpackage
            if node.module:
                yield node.module.split(".")[0], node.lineno, id(node) in top_level
            else:                     # from . import name: a module or the package's
                for alias in node.names:
                    name = alias.name if alias.name in RANK else "__init__"
                    yield name, node.lineno, id(node) in top_level


def test_every_module_has_a_layer():
    assert {name for name, _ in _modules()} <= set(RANK)


@pytest.mark.parametrize("name,path", list(_modules()), ids=lambda v: str(v))
def test_imports_point_down(name, path):
    for target, line, _ in _imports(path):
        assert RANK[target] <= RANK[name], (
            f"{path.name}:{line} imports {target} (layer {RANK[target]}) from layer "
            f"{RANK[name]}")


def test_no_import_cycle():
    graph = {}
    for name, path in _modules():
        graph.setdefault(name, set()).update(
            t for t, _, _ in _imports(path) if t != name)
    state = {}

    def visit(node, trail):
        state[node] = "open"
        for nxt in graph.get(node, ()):
            assert state.get(nxt) != "open", f"import cycle: {trail + [nxt]}"
            if nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for node in graph:
        if node not in state:
            visit(node, [node])


def test_function_level_imports_only_for_optional_dependencies():
    for _, path in _modules():
        tree = ast.parse(path.read_text())
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.Import):
                    names = [a.name.split(".")[0] for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module.split(".")[0]]
                elif isinstance(node, ast.ImportFrom):
                    names = ["skreg"]
                else:
                    continue
                assert set(names) <= OPTIONAL, (
                    f"{path.name}:{node.lineno} imports {names} inside {func.name}")
