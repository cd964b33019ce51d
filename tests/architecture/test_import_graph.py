"""The layer picture of ionmd/__init__.py (docs/architecture.md), checked over
the import graph: no cycle between modules (imports inside functions and under
``if TYPE_CHECKING:`` count too: a cycle for the type checker is still two
modules that each need the other), none between packages, imports run one way
(cli → api → campaign → {engine, analysis, report, scaleout}; report →
analysis: the table :data:`MAY_IMPORT`), the engine never imports the analysis
packages, only the report layer imports matplotlib, analysis writes nothing, and
nothing below the command line imports it."""

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
    """ionmd modules imported anywhere in the file, ``if TYPE_CHECKING:`` blocks
    included (package imports resolved to the package's __init__; ``from pkg
    import mod`` to the submodule)."""
    tree = ast.parse(path.read_text())
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


def _under(name: str, *packages: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


#: the main layers, and which of them each may import (its own modules aside);
#: everything else (errors, log, units, numerics, fileformat, structures, ...) is
#: below all of them and may import none, except the API's result objects and the
#: VASP bridge (:data:`OTHER_MAY_IMPORT`)
MAIN = (
    "ionmd.cli", "ionmd.api", "ionmd.campaign", "ionmd.engine", "ionmd.analysis",
    "ionmd.report", "ionmd.scaleout",
)  # fmt: skip
MAY_IMPORT = {
    "ionmd.cli": set(MAIN) - {"ionmd.cli"},
    "ionmd.api": {"ionmd.campaign", "ionmd.engine", "ionmd.analysis", "ionmd.report",
                  "ionmd.scaleout"},
    "ionmd.campaign": {"ionmd.engine", "ionmd.analysis", "ionmd.report", "ionmd.scaleout"},
    "ionmd.report": {"ionmd.analysis"},
    "ionmd.analysis": set(),
    "ionmd.engine": set(),
    "ionmd.scaleout": set(),
}  # fmt: skip
#: ionmd.Results and its entries read results.json (analysis) and name the
#: figures (report); the VASP bridge prepares a campaign's inputs; the cell stage
#: (ionmd/cells, on main since the cells merge) relaxes cells with the engine
OTHER_MAY_IMPORT = {
    "ionmd.results": {"ionmd.analysis"},
    "ionmd.results_entries": {"ionmd.analysis", "ionmd.report"},
    "ionmd.results_view": {"ionmd.analysis"},
    "ionmd.vasp_bridge": {"ionmd.campaign"},
    # the cell stage before MD (cell = "relaxed"), driven by the campaign; the
    # NPT stage judges melting by the analysis's framework rule (reliability)
    "ionmd.cells": {"ionmd.engine", "ionmd.analysis"},
}


def upward_imports(lg: dict[str, set[str]]) -> list[str]:
    """Imports between layers against the table: ``a -> b`` where ``b`` is a main
    layer that ``a`` may not import."""
    return [
        f"{a} -> {b}"
        for a, bs in sorted(lg.items())
        for b in sorted(bs)
        if b in MAIN and b not in MAY_IMPORT.get(a, OTHER_MAY_IMPORT.get(a, set()))
    ]


def test_imports_run_one_way_between_layers():
    """cli → api → campaign → {engine, analysis, report, scaleout}; report →
    analysis; analysis, the engine and the scale-out layer import no main layer;
    nothing below the command line imports it (type-checking imports count)."""
    bad = upward_imports(layer_graph())
    assert not bad, bad


def test_the_layer_table_catches_an_upward_import():
    """The check can fail: analysis importing the report, the report importing the
    campaign, the scale-out layer importing the command line."""
    lg = {
        "ionmd.analysis": {"ionmd.report"},
        "ionmd.report": {"ionmd.campaign", "ionmd.analysis"},
        "ionmd.scaleout": {"ionmd.cli"},
        "ionmd.fileformat": {"ionmd.engine"},
    }
    assert upward_imports(lg) == [
        "ionmd.analysis -> ionmd.report",
        "ionmd.fileformat -> ionmd.engine",
        "ionmd.report -> ionmd.campaign",
        "ionmd.scaleout -> ionmd.cli",
    ]


def _third_party_imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            out.add(node.module.split(".")[0])
    return out


def test_only_the_report_layer_imports_matplotlib():
    """Figures are pages: matplotlib is imported by ionmd.report only
    (calculators/_common.py only asks whether it is installed, to stub mace's
    training plots, and imports nothing of it)."""
    bad = [
        name
        for name, path in modules().items()
        if not _under(name, "ionmd.report") and "matplotlib" in _third_party_imports(path)
    ]
    assert not bad, bad


#: what writes a file: the atomic writers (ionmd.outputs) and the raw calls
WRITES = ("write_text", "write_bytes", "savefig", "json.dump(", "mkdir(")


def test_analysis_writes_nothing():
    """analysis returns typed results; results.json, figures and pages are written
    by the report layer (ionmd.report.analysis_files, ionmd.report.compare)."""
    g = graph()
    bad = [f"{a} -> ionmd.outputs" for a, bs in g.items()
           if _under(a, "ionmd.analysis") and "ionmd.outputs" in bs]  # fmt: skip
    for name, path in modules().items():
        if _under(name, "ionmd.analysis"):
            text = path.read_text()
            bad += [f"{name}: {w}" for w in WRITES if w in text]
    assert not bad, bad


def layer(name: str) -> str:
    """A module's layer: its top-level package (or top-level module); ionmd's own
    ``__main__`` (``python -m ionmd``) is command line. A package's ``__main__``
    is that package's: ``python -m ionmd.scaleout`` would import the package
    first, so a ``__main__`` there importing the command line is an upward
    import."""
    if name == "ionmd.__main__":
        return "ionmd.cli"
    return ".".join(name.split(".")[:2])


def layer_graph() -> dict[str, set[str]]:
    """Imports between layers. The root package's imports are its lazy public
    API (re-exports of its own submodules, as a package's are): left out."""
    out: dict[str, set[str]] = {}
    for a, bs in graph().items():
        if a == "ionmd":
            continue
        out.setdefault(layer(a), set()).update(
            layer(b) for b in bs if layer(b) not in (layer(a), "ionmd")
        )
    return out


def test_no_import_cycle_between_packages():
    found = cycles(layer_graph())
    assert not found, "package cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_nothing_below_the_cli_imports_it():
    g = graph()
    bad = [
        f"{a} -> {b}"
        for a, bs in g.items()
        if layer(a) != "ionmd.cli"
        for b in bs
        if _under(b, "ionmd.cli")
    ]
    assert not bad, bad


def test_entry_points_are_thin():
    """A ``__main__`` module counts as command line (``python -m ionmd.scaleout``
    is documented, docs/scaleout.md): it may only import and call the command
    line's ``main``, so no code of its package's layer lives there."""
    bad = []
    for name, path in modules().items():
        if not name.endswith("__main__"):
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                continue  # the docstring
            if isinstance(node, ast.ImportFrom) and _under(node.module or "", "ionmd.cli"):
                continue
            if isinstance(node, ast.If) and "__main__" in ast.unparse(node.test):
                continue
            if ast.unparse(node) == "raise SystemExit(main())":
                continue
            bad.append(f"{name}: {ast.unparse(node)[:60]}")
    assert not bad, bad
