"""The run directory of one (material, temperature) and its record ``ionmd_vasp.json``.

Layout::

    <campaign>/<material>_<T>K/
        ionmd_vasp.json   resolved settings, sort map, segment plan (this module)
        INCAR KPOINTS POSCAR POTCAR|POTCAR.spec   the whole run (NSW = all steps)
        seg_000/ INCAR job.sh          first segment: starts from ../POSCAR
        seg_001/ INCAR job.sh          starts from ../seg_000/CONTCAR (with velocities)
        ...
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ionmd.errors import InputError

RECORD_NAME = "ionmd_vasp.json"
SEGMENT_PREFIX = "seg_"


def segment_name(index: int) -> str:
    """``seg_000``, ``seg_001``, ..."""
    return f"{SEGMENT_PREFIX}{index:03d}"


def write_record(run_dir: str | Path, record: dict[str, Any]) -> Path:
    """Write ``ionmd_vasp.json`` (atomically: a reader never sees half a file)."""
    path = Path(run_dir) / RECORD_NAME
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=1, sort_keys=True, default=_jsonable) + "\n")
    tmp.replace(path)
    return path


def read_record(run_dir: str | Path) -> dict[str, Any]:
    """Read ``ionmd_vasp.json`` of a run directory."""
    path = Path(run_dir) / RECORD_NAME
    if not path.exists():
        raise InputError(f"{run_dir} is not an ionmd VASP run directory (no {RECORD_NAME})")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: invalid JSON ({exc})") from None


def find_run_dirs(root: str | Path) -> list[Path]:
    """Run directories under ``root`` (``root`` itself if it is one), sorted."""
    root = Path(root)
    if (root / RECORD_NAME).exists():
        return [root]
    if not root.is_dir():
        raise InputError(f"{root} is not a directory")
    runs = sorted(p.parent for p in root.glob(f"*/{RECORD_NAME}"))
    if not runs:
        raise InputError(f"no ionmd VASP run directories under {root}")
    return runs


def _jsonable(value: object) -> object:
    import numpy as np

    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.integer | np.floating):
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__} in {RECORD_NAME}")
