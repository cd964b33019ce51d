"""The layer picture of ionmd/__init__.py, checked over the import graph: no
cycle between modules (imports inside functions and under ``if TYPE_CHECKING:``
count too: a cycle for the type checker is still two modules that each need the
other), none between packages, the engine never imports the analysis packages,
analysis never imports the engine, the campaign or the command line, its
numbers never import its pages, and nothing below the command line imports it."""

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


def test_analysis_never_imports_engine_campaign_or_cli():
    """Analysis reads run files and campaign.json (their layouts are its
    contract), never the code that writes them or the command line."""
    g = graph()
    above = ("ionmd.engine", "ionmd.campaign", "ionmd.cli", "ionmd.scaleout", "ionmd.api")
    bad = [
        f"{a} -> {b}"
        for a, bs in g.items()
        if _under(a, "ionmd.analysis")
        for b in bs
        if _under(b, *above)
    ]
    assert not bad, bad


#: the analysis's pages: tables, text and HTML reports, figures, their style
PAGES = {
    f"ionmd.analysis.{m}"
    for m in (
        "tables", "report_text", "figures", "compare_page", "compare_figures",
        "page_style", "pooled_table", "adaptive.figures", "adaptive.tables",
    )
}  # fmt: skip
#: the two that make the numbers and then write the pages
WRITERS = {"ionmd.analysis.pipeline", "ionmd.analysis.compare"}


def test_analysis_numbers_never_import_its_pages():
    """Numbers (D, fits, verdicts, pooling, results.json) are computed without the
    table renderer or the figures: a page shows numbers, never the reverse."""
    g = graph()
    bad = [
        f"{a} -> {b}"
        for a, bs in g.items()
        if _under(a, "ionmd.analysis") and a not in PAGES | WRITERS
        for b in sorted(bs & PAGES)
    ]
    assert not bad, bad


def layer(name: str) -> str:
    """A module's layer: its top-level package (or top-level module); a
    ``__main__`` entry point (``python -m ...``) is command line."""
    if name.endswith(".__main__"):
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
