"""Lint and type checks run with the suite, so CI holds the code to them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_ruff_finds_nothing():
    if shutil.which("ruff") is None and not (Path(sys.executable).parent / "ruff").exists():
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    result = subprocess.run(
        [ruff, "check", "."], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


@pytest.mark.slow
def test_mypy_strict_passes():
    pytest.importorskip("mypy", reason="mypy is not installed (pip install -e '.[test]')")
    result = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout


# The layers of src/essaygrader, lowest first (DEVELOPERS.md, "Layout"): a module may import
# from its own layer or below, never above, and nothing may import in a circle.
LAYERS = [
    {"errors"},
    {"domain", "algorithms"},
    {"config"},
    {"db", "storage"},
    {"contract"},
    {"api"},
    {"lti"},
    {"worker"},
    {"queues"},
    {"runtime"},
    {"web", "client", "cli", "bench", "__main__"},
]


def _import_edges() -> dict[str, set[str]]:
    """Top-level package or module → the top-level parts of essaygrader it imports, counting
    imports inside functions but not those only made for type checking."""
    import ast

    package = ROOT / "src" / "essaygrader"
    edges: dict[str, set[str]] = {}
    for path in package.rglob("*.py"):
        parts = path.relative_to(package).parts
        if "migrations" in parts:
            continue
        room = parts[0].removesuffix(".py")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        checking_only = {
            id(node)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
            for stmt in block.body
            for node in ast.walk(stmt)
        }
        for node in ast.walk(tree):
            if id(node) in checking_only:
                continue
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                bits = name.split(".")
                if bits[0] == "essaygrader" and len(bits) > 1 and bits[1] not in (room, "__init__"):
                    edges.setdefault(room, set()).add(bits[1])
    return edges


def test_imports_flow_one_way():
    rank = {name: i for i, layer in enumerate(LAYERS) for name in layer}
    edges = _import_edges()
    unknown = sorted(set(edges) - rank.keys())
    assert not unknown, f"place {unknown} in LAYERS (and in DEVELOPERS.md's layout)"
    upward = sorted(
        f"{source} -> {target}"
        for source, targets in edges.items()
        for target in targets
        if target in rank and rank[target] > rank[source]
    )
    assert not upward, f"imports against the layers: {upward}"


def test_no_import_cycles():
    edges = _import_edges()
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        for target in sorted(edges.get(node, ())):
            if target in path:
                cycles.append([*path[path.index(target) :], target])
            elif len(path) < len(edges) + 1:
                visit(target, [*path, target])

    for start in sorted(edges):
        visit(start, [start])
    assert not cycles, f"import cycles: {cycles[:5]}"
