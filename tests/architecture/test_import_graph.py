"""The layer picture of ionmd/__init__.py, checked over the import graph: no
cycle between modules (imports inside functions count too), the engine never
imports the analysis packages, and analysis never imports the engine."""

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "ionmd"


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PKG.rglob("*.py")}


def imports_of(path: Path, name: str, known: set[str]) -> set[str]:
    """ionmd modules imported anywhere in the file (package imports resolved to
    the package's __init__; ``from pkg import mod`` to the submodule)."""
    tree = ast.parse(path.read_text())
    # imports under ``if TYPE_CHECKING:`` never run: not edges of the graph
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    is_pkg = path.name == "__init__.py"
    base = name if is_pkg else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
            out.update(t for t in targets if t in known)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = base.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                mod = f"{parent}.{node.module}" if node.module else parent
            else:
                mod = node.module or ""
            for alias in node.names:
                sub = f"{mod}.{alias.name}"
                if sub in known:
                    out.add(sub)
                elif mod in known:
                    out.add(mod)
    out.discard(name)
    return out


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {name: imports_of(path, name, known) for name, path in mods.items()}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in g.get(v, ()):
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

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle_between_modules():
    g = graph()
    # edges from a package __init__ down into its own submodules are re-exports
    pruned = {a: {b for b in bs if not b.startswith(a + ".")} for a, bs in g.items()}
    found = cycles(pruned)
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


ANALYSIS_ONLY = ("kinisi", "scipp", "matplotlib", "pymatgen")
#: a model whose own package needs one of them (chgnet builds its graphs from
#: pymatgen structures): loaded only when that model is asked for
MODEL_NEEDS = {"ionmd.calculators.chgnet": {"pymatgen"}}


@pytest.mark.parametrize("layer", ["ionmd.engine", "ionmd.calculators", "ionmd.fileformat"])
def test_engine_side_never_imports_analysis_packages(layer):
    """The engine runs on a GPU box that has torch, torch-sim, mace, ase and h5py
    only: no kinisi/scipp/matplotlib/pymatgen anywhere in its modules."""
    bad = []
    for name, path in modules().items():
        if not (name == layer or name.startswith(layer + ".")):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            allowed = MODEL_NEEDS.get(name, set())
            bad += [
                f"{name}: {n}"
                for n in names
                if n.split(".")[0] in ANALYSIS_ONLY and n.split(".")[0] not in allowed
            ]
    assert not bad, bad


def test_analysis_never_imports_the_engine():
    g = graph()
    bad = [
        f"{a} -> {b}"
        for a, bs in g.items()
        if a.startswith("ionmd.analysis")
        for b in bs
        if b.startswith("ionmd.engine")
    ]
    assert not bad, bad
