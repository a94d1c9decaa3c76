"""The import rule: the core (`benchmark`) never imports the packages built on it (`datasets_build`, `models`), not
even lazily, and `datasets_build` never imports `models`. They reach the core through entry points instead
(benchmark.plugins); this checks the source, so a lazy import inside a function fails as well as a top-level one."""

import ast
import re
import tomllib
from importlib import import_module
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# package -> the packages it must not import
FORBIDDEN = {"benchmark": ("datasets_build", "models"), "datasets_build": ("models",)}
# "package.module" or "package.module:attr" (a bare word such as the `ls models` choice is not an import)
_TARGET_STRING = re.compile(r"^(datasets_build|models)(\.[A-Za-z_]\w*)+(:[A-Za-z_]\w*)?$|^(datasets_build|models):\w+$")


def _violations(package: str, forbidden: tuple[str, ...], root: Path = ROOT) -> list[str]:
    out = []
    for path in sorted((root / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _TARGET_STRING.match(node.value):
                names = [node.value]  # "module:attr" strings handed to importlib or a registry
            for name in names:
                if name.split(".")[0].split(":")[0] in forbidden:
                    out.append(f"{path.relative_to(root)}:{node.lineno} imports {name}")
    return out


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_lower_layers_never_import_upper_ones(package):
    assert _violations(package, FORBIDDEN[package]) == []


def test_the_rule_catches_lazy_imports_and_import_strings(tmp_path):
    (tmp_path / "benchmark").mkdir()
    (tmp_path / "benchmark" / "bad.py").write_text(
        "def f():\n    from datasets_build.world import build\n    import models.baselines\n"
        "TARGET = 'models.predictions_file:PredictionsFileAdapter'\nOK = 'models are scored'\n")
    found = _violations("benchmark", FORBIDDEN["benchmark"], root=tmp_path)
    assert [v.split(" imports ")[1] for v in found] == [
        "datasets_build.world", "models.baselines", "models.predictions_file:PredictionsFileAdapter"]


def test_every_declared_plugin_of_this_repo_loads():
    """The entry points pyproject.toml declares name importable targets of the right kind."""
    from benchmark.adapters import ModelAdapter
    from benchmark.plugins import GROUPS, declared

    with open(ROOT / "pyproject.toml", "rb") as f:
        points = tomllib.load(f)["project"]["entry-points"]
    assert set(points) <= set(GROUPS)
    for group, entries in points.items():
        installed = declared(group)
        for name, target in entries.items():
            assert installed.get(name) == target, f"{group} {name}: reinstall the project (make install)"
            module_name, _, attr = target.partition(":")
            obj = getattr(import_module(module_name), attr) if attr else import_module(module_name)
            if group == "unipose_bench.adapters":
                assert issubclass(obj, ModelAdapter) and obj.SUMMARY and obj.TASKS is not None or name == \
                    "predictions_file", name
            elif group == "unipose_bench.commands":
                assert callable(obj.add_arguments) and callable(obj.run) and obj.__doc__, name
            elif group == "unipose_bench.perf":
                assert callable(obj.run_benchmark), name
            elif group == "unipose_bench.worlds":
                assert obj.presets and obj.repo and callable(obj.build) and callable(obj.evaluators), name


def _core_graph() -> dict[str, set[str]]:
    """benchmark's first-level modules and packages -> those they import (lazy imports included)."""
    graph: dict[str, set[str]] = {}
    for path in sorted((ROOT / "benchmark").rglob("*.py")):
        parts = path.relative_to(ROOT / "benchmark").with_suffix("").parts
        node = parts[0]
        graph.setdefault(node, set())
        for item in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in item.names] if isinstance(item, ast.Import) else \
                [item.module] if isinstance(item, ast.ImportFrom) and item.level == 0 and item.module else []
            if isinstance(item, ast.ImportFrom) and item.module == "benchmark":  # from benchmark import workspace
                names = [f"benchmark.{a.name}" for a in item.names]
            for name in names:
                pieces = name.split(".")
                if pieces[0] == "benchmark" and len(pieces) > 1 and pieces[1] != node:
                    graph[node].add(pieces[1])
    return graph


def test_the_core_packages_import_each_other_without_cycles():
    """tasks, evaluation, retrieval and results used to import each other in a circle; leaf types (results,
    metrics.specs, tasks.schema, columns) break it."""
    graph = _core_graph()
    done: set[str] = set()

    def visit(node: str, path: tuple[str, ...]) -> None:
        assert node not in path, "import cycle: " + " -> ".join((*path[path.index(node):], node))
        if node in done:
            return
        for target in sorted(graph.get(node, ())):
            visit(target, (*path, node))
        done.add(node)

    for node in sorted(graph):
        visit(node, ())
    assert {"tasks", "evaluation", "retrieval", "results"} <= set(graph)
