"""The campaign's protocol (study or adaptive) is picked in one place,
:func:`ionmd.campaign.protocols.protocol_of`; everywhere else the campaign asks
the protocol object. A test of which protocol runs is any comparison of an
``.adaptive`` attribute with None, an ``.adaptive`` attribute used as a
condition, or a comparison with ``protocol_mode``: found anywhere else in
ionmd/, it fails here (the config's parser, :mod:`ionmd.campaign.config`, is the
other allowed place: it reads the TOML's ``protocol`` key and its settings)."""

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "ionmd"
#: the one picker, and the config that parses ``protocol = ...`` into settings
ALLOWED = {"ionmd/campaign/protocols/pick.py", "ionmd/campaign/config.py"}


def _is_adaptive_attr(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in ("adaptive", "protocol_mode")


def protocol_tests(source: str) -> list[int]:
    """Line numbers of the tests of which protocol runs in ``source``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_is_adaptive_attr(s) for s in sides):
                lines.append(node.lineno)
        elif isinstance(node, (ast.If, ast.IfExp, ast.While)):
            if _is_adaptive_attr(node.test):
                lines.append(node.lineno)
        elif isinstance(node, ast.BoolOp):
            if any(_is_adaptive_attr(v) for v in node.values):
                lines.append(node.lineno)
    return sorted(set(lines))


def test_the_finder_sees_each_form():
    found = protocol_tests(
        "if config.adaptive is not None: pass\n"
        "x = 1 if c.adaptive is None else 2\n"
        "if self.config.adaptive: pass\n"
        "y = c.adaptive or d\n"
        "z = c.protocol_mode == 'adaptive'\n"
        "w = c.adaptive.max_atom_steps\n"
    )
    assert found == [1, 2, 3, 4, 5]


def test_the_protocol_is_picked_in_one_place():
    found = []
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG.parent).as_posix()
        if rel in ALLOWED:
            continue
        found += [f"{rel}:{n}" for n in protocol_tests(path.read_text())]
    assert not found, (
        "the protocol is tested outside ionmd.campaign.protocols.protocol_of "
        "(ask the protocol object instead): " + ", ".join(found)
    )
