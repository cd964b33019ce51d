"""Issue 12's bound on function length: no function in ionmd/ is longer than 80
lines (def line to last line, docstring included), so each one reads as one idea."""

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "ionmd"
MAX_LINES = 80


def long_functions(root: Path, *, max_lines: int = MAX_LINES) -> list[str]:
    out = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = node.end_lineno - node.lineno + 1
                if n > max_lines:
                    out.append(
                        f"{path.relative_to(root.parent)}:{node.lineno} {node.name} {n}"
                    )
    return out


def test_no_function_longer_than_80_lines():
    assert long_functions(PKG) == []
