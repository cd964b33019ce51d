"""The default cell (``cell = "experimental"``) leaves the run file as it was:
a tiny default campaign (LJ, 32 atoms, two temperatures, 0.3 ps) run with the
code of another checkout (``--before``, e.g. the main branch) and with this one,
then every HDF5 dataset and attribute of the run files compared bit for bit
(only the creation time and the version strings may differ).

    python -m benchmarks.cells_default_bitwise --before /work/main
    python -m benchmarks.cells_default_bitwise --before /work/main \
        --extra 'cell = "relaxed"'

(the second shows that the comparison sees a change.)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import h5py
import numpy as np

HERE = Path(__file__).resolve().parents[1]
#: attributes that differ between any two runs or checkouts
VOLATILE = {"created_utc"}

RUN = """
import sys
from pathlib import Path
from tests.campaign.tiny import ionmd, write_config
tmp = Path(sys.argv[1]); tmp.mkdir(parents=True, exist_ok=True)
cfg = write_config(tmp, "run", temps=(30, 60))
cfg.write_text(cfg.read_text() + sys.argv[2])
sys.exit(ionmd("run", str(cfg), "--no-analysis"))
"""


def run_tiny(code: Path, tmp: Path, *, keep_as: Path, extra: str = "") -> Path:
    """The tiny campaign run into ``tmp/run`` (the same path for both runs: it is
    in the recorded config) with the package in ``code``; moved to ``keep_as``."""
    env = dict(os.environ, PYTHONPATH=str(code), OMP_NUM_THREADS="1")
    subprocess.run(
        [sys.executable, "-c", RUN, str(tmp), extra], cwd=code, env=env, check=True,
        capture_output=True,
    )  # fmt: skip
    (tmp / "run").rename(keep_as)
    return keep_as


def h5_items(path: Path) -> dict[str, object]:
    """Every dataset's bytes and every attribute, by path."""
    items: dict[str, object] = {}
    with h5py.File(path) as f:

        def visit(name: str, obj: object) -> None:
            for k, v in obj.attrs.items():  # type: ignore[attr-defined]
                if k not in VOLATILE:
                    items[f"{name}@{k}"] = _content(v)
            if isinstance(obj, h5py.Dataset):
                items[name] = (obj.dtype.str, obj.shape, _content(obj[()]))

        f.visititems(visit)
    return items


def _content(value: object) -> object:
    """Bytes of a numeric array; the values themselves for strings (an object
    array's bytes are pointers)."""
    arr = np.asarray(value)
    return repr(arr.tolist()) if arr.dtype.kind == "O" else arr.tobytes()


def compare(before: Path, after: Path) -> list[str]:
    """The paths whose content differs, or that only one file has."""
    a, b = h5_items(before), h5_items(after)
    return sorted({k for k in a.keys() | b.keys() if a.get(k) != b.get(k)})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path, required=True, help="the other checkout")
    ap.add_argument(
        "--extra", default="", help='TOML lines for the "after" run (a check that '
        'the comparison sees a change: --extra \'cell = "relaxed"\')',
    )  # fmt: skip
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        out_b = run_tiny(args.before.resolve(), t / "x", keep_as=t / "before")
        out_a = run_tiny(HERE, t / "x", keep_as=t / "after", extra=args.extra)
        n_files = 0
        for f in sorted(out_b.glob("md*.h5")):
            diff = compare(f, out_a / f.name)
            n_items = len(h5_items(f))
            n_files += 1
            print(f"{f.name}: {n_items} datasets/attributes compared, {len(diff)} differ")
            for d in diff[:10]:
                print(f"  differs: {d}")
        print(f"{n_files} run files compared (before: {args.before}, after: {HERE})")


if __name__ == "__main__":
    main()
