"""Test helpers (imported by the analysis tests): data location, synthetic inputs."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]


def shared_dir() -> Path:
    env = os.environ.get("IONMD_SHARED")
    return Path(env) if env else (REPO / ".." / "shared").resolve()


def write_xdatcar(
    path: Path,
    *,
    frac: np.ndarray,
    symbols: list[str],
    counts: list[int],
    cell: np.ndarray,
    gz: bool = False,
    first_index: int = 1,
) -> Path:
    """A VASP 5 XDATCAR with a fixed cell; ``frac (F, N, 3)`` fractional."""
    lines = ["synthetic", "    1.000000"]
    lines += ["  " + " ".join(f"{x:12.6f}" for x in row) for row in cell]
    lines += ["  " + "  ".join(symbols), "  " + "  ".join(str(c) for c in counts)]
    for k, frame in enumerate(frac):
        lines.append(f"Direct configuration= {first_index + k:5d}")
        lines += [" " + " ".join(f"{x:11.8f}" for x in row) for row in frame]
    text = "\n".join(lines) + "\n"
    if gz:
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    return path


def random_walk(
    *,
    n_frames: int,
    n_walkers: int,
    D_A2_ps: float,
    dt_ps: float,
    seed: int = 0,
    box_A: float = 20.0,
) -> np.ndarray:
    """Unwrapped Gaussian random walk ``(F, n_walkers, 3)``: MSD = 6 D t exactly."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(
        scale=np.sqrt(2 * D_A2_ps * dt_ps), size=(n_frames - 1, n_walkers, 3)
    )
    start = rng.uniform(0, box_A, size=(1, n_walkers, 3))
    return np.concatenate([start, start + np.cumsum(steps, axis=0)])
