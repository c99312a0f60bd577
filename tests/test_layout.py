"""The shape of the code: the folders are the flow, and it stays that way.

Read from the source with `ast` (nothing is imported): every import between product modules,
including those inside functions, forms a graph with no cycles; `qa` never imports `ingest` or a
view; the views use the packages' public names only; no product module grows past 500 lines."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("qa", "ingest", "newsqa", "prompts")
VIEWS = ("newsqa", "app")
MAX_LINES = 500


def _modules() -> dict[str, Path]:
    found = {"app": ROOT / "app.py"}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Product modules that `name` imports, anywhere in its file."""
    is_pkg = path.name == "__init__.py"
    base = name.split(".") if is_pkg else name.split(".")[:-1]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                stem = base[: len(base) - (node.level - 1)]
                mod = ".".join([*stem, *([node.module] if node.module else [])])
            else:
                mod = node.module or ""
            targets = [f"{mod}.{a.name}" for a in node.names] + [mod]
        for t in targets:
            # the longest known module that the imported name lives in
            parts = t.split(".")
            for k in range(len(parts), 0, -1):
                cand = ".".join(parts[:k])
                if cand in known:
                    if cand != name:
                        out.add(cand)
                    break
    return out


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    known = set(mods)
    return {name: _imports(name, path, known) for name, path in mods.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _package_edges(graph: dict[str, set[str]]) -> set[str]:
    """Parent packages import their submodules to re-export them; that is not a cycle of design.
    Edges from a package's __init__ to its own submodules are left out."""
    return {n for n in graph if (ROOT / n.replace(".", "/") / "__init__.py").exists()}


def test_no_import_cycles_between_product_modules() -> None:
    graph = _graph()
    packages = _package_edges(graph)
    pruned = {
        n: {d for d in deps if not (n in packages and d.startswith(n + "."))}
        for n, deps in graph.items()
    }
    assert _cycles(pruned) == []


def test_the_core_never_imports_ingest_or_a_view() -> None:
    for name, deps in _graph().items():
        if name == "qa" or name.startswith("qa."):
            bad = {d for d in deps if d.split(".")[0] in ("ingest", *VIEWS)}
            assert not bad, f"{name} imports {sorted(bad)}"
        if name == "ingest" or name.startswith("ingest."):
            bad = {d for d in deps if d.split(".")[0] in VIEWS}
            assert not bad, f"{name} imports {sorted(bad)}"


def test_views_use_public_names_only() -> None:
    """The CLI and the UI import `qa`, `ingest` and `qa.<package>` (their public faces), never a
    module inside them."""
    for name, deps in _graph().items():
        if name.split(".")[0] not in VIEWS:
            continue
        inner = {d for d in deps if d.split(".")[0] in ("qa", "ingest") and d.count(".") > 1}
        assert not inner, f"{name} reaches into {sorted(inner)}"


def test_no_product_module_is_over_500_lines_and_app_is_a_launcher() -> None:
    long = {
        name: n
        for name, path in _modules().items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}
    assert len((ROOT / "app.py").read_text(encoding="utf-8").splitlines()) <= 150


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
