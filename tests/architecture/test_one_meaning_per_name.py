"""One meaning per name (issue 23): no two modules of ionmd/ share a file name
unless listed below with the one meaning they share, and no two classes of
ionmd/ share a name (a compatibility alias is an assignment, not a class).

Before: ``engine/msd.py`` (the streamed MSD on the device) and ``numerics/msd.py``
(the host MSD on a lag grid, now ``numerics/host_msd.py``); ``settings.py`` both
the one TOML reader (now ``settings_file.py``) and a layer's settings record;
``inputs.py`` both what a campaign's data were made from and VASP's input files
(now ``vasp_bridge/vasp_inputs.py``); ``out_of_memory.py`` both the engine's
split and the adaptive loop's run under it (now ``adaptive/run_adaptive.py``);
two classes ``Results`` and two ``AdaptiveLoop`` (the structural stand-ins are
now ``ResultsLike`` and ``AdaptiveLoopLike``)."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "ionmd"
#: a package's own markers, one per package by design
MARKERS = {"__init__.py", "__main__.py"}

#: file names kept in several packages on purpose: exactly these paths, and why
#: they mean one thing (a new module with one of these names fails the test too)
SHARED_BASENAMES: dict[str, tuple[set[str], str]] = {
    "_common.py": (
        {"calculators/_common.py", "analysis/readers/_common.py"},
        "private helpers of their own package, never imported from outside it",
    ),
    "compare.py": (
        {"analysis/compare.py", "report/compare.py", "cli/compare.py"},
        "`ionmd compare` in its three layers: the numbers, the page, the command",
    ),
    "config.py": (
        {"campaign/config.py", "vasp_bridge/config.py", "scaleout/config.py"},
        "each layer's config read from the TOML (campaign, [vasp], [executor])",
    ),
    "export.py": (
        {"fileformat/export.py", "cli/export.py"},
        "`ionmd export`: the writer and its command",
    ),
    "plan.py": (
        {"campaign/plan.py", "cells/plan.py", "cli/plan.py"},
        "`ionmd plan`: the campaign's systems and batches, the cell stage's part, "
        "the command",
    ),
    "progress.py": (
        {"engine/progress.py", "campaign/adaptive/progress.py"},
        "a progress bar: the engine's, and the adaptive loop's built on it",
    ),
    "results.py": (
        {"results.py", "analysis/adaptive/results.py"},
        "results.json: the whole document (ionmd.Results) and its adaptive section",
    ),
    "run.py": (
        {"campaign/run.py", "cli/run.py"},
        "`ionmd run`: the campaign run and its command",
    ),
    "runner.py": (
        {"engine/runner.py", "scaleout/runner.py"},
        "engine/runner.py runs the fixed batch; scaleout/runner.py holds no code: "
        "the old path of scaleout/parsl_run.py, kept for tasks queued before "
        "(tests/scaleout/test_queued_paths.py)",
    ),
    "settings.py": (
        {"campaign/adaptive/settings.py", "cells/settings.py"},
        "a layer's settings record (AdaptiveSettings, CellSettings)",
    ),
    "vasprun.py": (
        {"fileformat/vasprun.py", "analysis/readers/vasprun.py"},
        "vasprun.xml: the one parser, and the analysis's reader built on it",
    ),
}

#: class names defined twice on purpose, and why (none: keep it so)
SHARED_CLASS_NAMES: dict[str, str] = {}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.name not in MARKERS)


def test_no_two_modules_share_a_file_name_unless_listed():
    paths: dict[str, set[str]] = defaultdict(set)
    for p in _modules():
        paths[p.name].add(p.relative_to(PACKAGE).as_posix())
    problems = []
    for name, found in sorted(paths.items()):
        if len(found) < 2:
            continue
        allowed = SHARED_BASENAMES.get(name, (set(), ""))[0]
        if found - allowed:
            problems.append(f"{name}: {sorted(found)} (one meaning per name: rename)")
    for name, (allowed, _) in SHARED_BASENAMES.items():
        found = paths.get(name, set())
        if allowed != found:  # the list says what is there
            problems.append(f"{name}: listed {sorted(allowed)}, found {sorted(found)}")
    assert not problems, "\n".join(problems)


def test_no_two_classes_share_a_name():
    where: dict[str, list[str]] = defaultdict(list)
    for p in _modules():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                where[node.name].append(f"{p.relative_to(ROOT)}:{node.lineno}")
    twice = {
        name: places
        for name, places in where.items()
        if len(places) > 1 and name not in SHARED_CLASS_NAMES
    }
    assert not twice, f"classes defined more than once: {twice}"
