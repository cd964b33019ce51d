"""What the GPU machine lacks, found by running ionmd as it would run there.

The GPU machine has Python 3.12, torch with CUDA, e3nn, h5py, numpy and scipy;
no analysis packages (pymatgen, kinisi, scipp, matplotlib), no pandas, no
nvalchemiops/warp. :func:`shadow_site` makes a site-packages of symlinks to this
environment's minus those, and :func:`run_without` runs Python on it (``-S``: the
real site-packages is not on the path), so an import of a missing package fails
here as it would there. The distributions such a run imports, minus what the
GPU machine has, are what ``gpu_check.sh --prepare-wheels`` must carry.

    python -m benchmarks.gpu_check_imports --out DIR   # a traced dry run
    python -m benchmarks.gpu_check_imports --as-device --out DIR
        # the same with only the GPU machine's packages + the carried wheels
"""

from __future__ import annotations

import importlib.abc
import json
import os
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

#: what the GPU machine does not have (site-packages entries starting with these)
DEVICE_LACKS = (
    "pymatgen",
    "kinisi",
    "scipp",
    "matplotlib",
    "mpl_toolkits",
    "pylab",
    "pandas",
    "nvalchemi",
    "warp",
)
#: the distributions it has (torch's own dependencies come with torch)
DEVICE_HAS = (
    "torch",
    "e3nn",
    "h5py",
    "numpy",
    "scipy",
    "sympy",
    "mpmath",
    "networkx",
    "jinja2",
    "markupsafe",
    "filelock",
    "fsspec",
    "typing_extensions",
    "setuptools",
    "triton",
    "opt_einsum",
    "opt-einsum-fx",
)
#: what ``gpu_check.sh --prepare-wheels`` carries (keep in step with WHEEL_PINS
#: there); with DEVICE_HAS and their requirements, all a device run may import
CARRIED = (
    "torch-sim-atomistic",
    "mace-torch",
    "ase",
    "e3nn",
    "opt-einsum-fx",
    "torchmetrics",
    "lightning-utilities",
    "torch-ema",
    "matscipy",
    "lmdb",
    "orjson",
    "tables",
    "numexpr",
    "packaging",
    "tqdm",
    "sevenn",
)
REPO = Path(__file__).resolve().parents[1]


def _norm(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def requirement_closure(roots: tuple[str, ...]) -> set[str]:
    """``roots`` and everything they require (installed here), normalised names."""
    import re
    from importlib.metadata import PackageNotFoundError, distribution

    todo, seen = [_norm(r) for r in roots], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            reqs = distribution(name).requires or []
        except PackageNotFoundError:
            continue
        for req in reqs:
            if "extra ==" in req:
                continue
            todo.append(_norm(re.split(r"[ ;<>=!~\[(]", req.strip(), maxsplit=1)[0]))
    return seen


def device_entries(keep: set[str]) -> set[str]:
    """site-packages entries (module dirs/files, .libs, dist-info) of ``keep``."""
    from importlib.metadata import distributions

    names: set[str] = set()
    for dist in distributions():
        if _norm(dist.metadata["Name"] or "") not in keep:
            continue
        for f in dist.files or []:
            top = f.parts[0]
            if top != ".." and not top.endswith(".pth"):
                names.add(top)
    return names


def shadow_site(
    dest: Path, *, lacks: tuple[str, ...] = DEVICE_LACKS, only: set[str] | None = None
) -> Path:
    """``dest`` filled with symlinks to this site-packages' entries but ``lacks``
    (and, given ``only``, nothing but those entries)."""
    site = Path(sysconfig.get_paths()["purelib"])
    dest.mkdir(parents=True, exist_ok=True)
    for entry in site.iterdir():
        low = entry.name.lower()
        if low.startswith(lacks) or low.endswith(".pth"):
            continue
        if only is not None and entry.name not in only:
            continue
        link = dest / entry.name
        if not link.exists():
            link.symlink_to(entry)
    return dest


def run_without(
    args: list[str],
    *,
    timeout_s: float = 600,
    lacks: tuple[str, ...] = DEVICE_LACKS,
    as_device: bool = False,
) -> subprocess.CompletedProcess[str]:
    """``python -S ARGS`` with the repository and a shadowed site-packages only:
    this one minus ``lacks``, or (``as_device``) only what the GPU machine has
    plus the carried wheels."""
    only = None
    if as_device:
        only = device_entries(requirement_closure(DEVICE_HAS) | {_norm(c) for c in CARRIED})
    with tempfile.TemporaryDirectory() as tmp:
        site = shadow_site(Path(tmp) / "site", lacks=lacks, only=only)
        env = dict(os.environ, PYTHONPATH=f"{REPO}{os.pathsep}{site}")
        return subprocess.run(
            [sys.executable, "-S", *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )


class Recorder(importlib.abc.MetaPathFinder):
    """Records the top-level name of every import (finds nothing itself)."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def find_spec(self, name, path=None, target=None):  # noqa: ANN001
        self.seen.add(name.split(".")[0])
        return None


def imported_distributions(tops: set[str]) -> list[str]:
    from importlib.metadata import packages_distributions

    dist = packages_distributions()
    return sorted({d for t in tops for d in dist.get(t, [])})


def _inner(argv: list[str]) -> int:
    rec = Recorder()
    sys.meta_path.insert(0, rec)
    from benchmarks import gpu_check

    code = gpu_check.main(["--dry-run", *argv])
    tops = rec.seen | {m.split(".")[0] for m in sys.modules}
    dists = imported_distributions(tops)
    norm = {d.lower().replace("_", "-") for d in DEVICE_HAS}
    report = {
        "imported": dists,
        "to_carry": [d for d in dists if d.lower().replace("_", "-") not in norm],
    }
    print("IMPORTS " + json.dumps(report))
    return code


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--inner"]:
        return _inner(argv[1:])
    as_device = "--as-device" in argv
    argv = [a for a in argv if a != "--as-device"]
    proc = run_without(
        ["-m", "benchmarks.gpu_check_imports", "--inner", *argv], as_device=as_device
    )
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr[-5000:])
    return proc.returncode


if __name__ == "__main__":
    raise SystemExit(main())
