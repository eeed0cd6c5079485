"""The house rules a newcomer relies on: no import cycle in runlab (function-local imports
count), no module over 800 lines except generated tables, and no pointer to files that are
not in the repository (SCIENCE.md, CLINIC.md, DESIGN.md, ../shared)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "runlab"
#: Generated tables, exempt from the size rule.
GENERATED = {"runlab/io/_fit_profile.py"}
MAX_LINES = 800


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    """The runlab module an imported name belongs to (``runlab.io.gpx.read`` → its module)."""
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """runlab modules ``module`` imports anywhere in its body (also inside functions and
    ``if TYPE_CHECKING`` blocks): ``import a.b``, ``from a import b`` (b a module or a name
    of a) and relative imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")
                up = up[: len(up) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            names = [f"{base}.{a.name}" for a in node.names] + [base]
        else:
            continue
        for name in names:
            if name.split(".")[0] != "runlab":
                continue
            target = _resolve(name, known)
            if target and target != module:
                found.add(target)
    return found - {"runlab"}  # the root package only re-exports lazily


def import_graph() -> dict[str, set[str]]:
    known = _modules()
    return {m: imports_of(m, p, known) for m, p in known.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle (``[a, b, ..., a]``), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def _package_edges(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The graph without edges from a package's ``__init__`` to its own children (a package
    re-exporting its modules is not a cycle: the children never need the package body)."""
    return {m: {t for t in ts if not t.startswith(m + ".")} for m, ts in graph.items()}


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_function_local_imports_count(tmp_path):
    mod = tmp_path / "m.py"
    mod.write_text("def f():\n    from runlab.io import gpx\n    import runlab.metrics\n")
    known = _modules()
    assert imports_of("runlab.x", mod, known) >= {"runlab.io.gpx", "runlab.metrics"}


def test_no_import_cycle_in_runlab():
    cycle = find_cycle(_package_edges(import_graph()))
    assert cycle is None, "import cycle: " + " → ".join(cycle)


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_over_800_lines(path):
    rel = path.relative_to(ROOT).as_posix()
    if rel in GENERATED:
        return
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{rel} has {n} lines (split it by concern)"
_OUTSIDE = re.compile(r"SCIENCE\.md|CLINIC\.md|DESIGN\.md|\.\./shared")


def _documents() -> list[Path]:
    files = [*PACKAGE.rglob("*.py"), ROOT / "README.md", ROOT / "pyproject.toml",
             ROOT / "environment.yml"]
    for folder in ("docs", "notebooks", "benchmarks", "tests", ".ci"):
        files += [p for p in (ROOT / folder).rglob("*") if p.is_file()
                  and p.suffix in {".md", ".py", ".ipynb", ".rst", ".txt"}]
    return sorted(files)


def test_docs_cited_by_the_code_exist():
    for name in ("science.md", "clinic.md", "layout.md"):
        assert (ROOT / "docs" / name).is_file(), name
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/science.md" in readme and "docs/clinic.md" in readme


def test_nothing_points_outside_the_repository():
    hits = []
    for path in _documents():
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if _OUTSIDE.search(line) and path != Path(__file__):
                hits.append(f"{path.relative_to(ROOT)}:{no}: {line.strip()[:80]}")
    assert not hits, "files outside the repository named:\n" + "\n".join(hits)
