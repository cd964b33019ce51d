"""A toy campaign with the shape of the real one, to check an executor config on
a cluster (and for the tests): ``ionmd scaleout smoke --executor-config C.toml``.

``toy_md_batch`` stands in for one GPU MD batch (a seeded random walk, written as
JSON; it sleeps to look busy), ``toy_analysis`` for the analysis of a material (it
reads its batches). Results depend on the seeds only, never on where they ran.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from ionmd.scaleout.task import Task


def _write_atomic(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, sort_keys=True))
    os.replace(tmp, path)


def toy_md_batch(
    *, seed: int, n_walkers: int, n_steps: int, sleep_s: float, output: str
) -> float:
    """A seeded 3D random walk of ``n_walkers``; writes its MSD curve; returns MSD(end)."""
    rng = np.random.default_rng(seed)
    steps = rng.standard_normal((n_steps, n_walkers, 3))
    paths = np.cumsum(steps, axis=0)
    msd = (paths**2).sum(axis=2).mean(axis=1)
    time.sleep(sleep_s)
    _write_atomic(Path(output), {"seed": seed, "msd": msd.tolist()})
    return float(msd[-1])


def toy_analysis(*, batches: list[str], output: str) -> float:
    """Fits MSD = 6 D t over the batches it depends on; writes and returns D."""
    curves = [np.asarray(json.loads(Path(b).read_text())["msd"]) for b in batches]
    msd = np.mean(curves, axis=0)
    t = np.arange(1, msd.size + 1, dtype=float)
    d = float((t @ msd) / (t @ t) / 6.0)
    _write_atomic(Path(output), {"batches": [Path(b).name for b in batches], "D": d})
    return d


def toy_fail(*, message: str) -> None:
    """A task that always fails, to see failures reported."""
    raise RuntimeError(message)


def smoke_campaign(
    out_dir: Path, *, n_batches: int = 6, sleep_s: float = 1.0, n_steps: int = 200
) -> list[Task]:
    """``n_batches`` MD tasks and one analysis task per consecutive pair of them."""
    out_dir = Path(out_dir)
    tasks = []
    for i in range(n_batches):
        out = out_dir / "md" / f"batch-{i:03d}.json"
        tasks.append(
            Task(
                key=f"md-{i:03d}",
                output=out,
                func=toy_md_batch,
                kwargs={
                    "seed": 1000 + i,
                    "n_walkers": 64,
                    "n_steps": n_steps,
                    "sleep_s": sleep_s,
                    "output": str(out),
                },
            )
        )
    for j in range(n_batches // 2):
        pair = [tasks[2 * j], tasks[2 * j + 1]]
        out = out_dir / "analysis" / f"material-{j}.json"
        tasks.append(
            Task(
                key=f"analysis-{j}",
                output=out,
                func=toy_analysis,
                kwargs={"batches": [str(t.output) for t in pair], "output": str(out)},
                depends_on=tuple(t.key for t in pair),
            )
        )
    return tasks
