"""Build VASP run directories with several segments from the real Li6PS5Cl XDATCAR.

The uncut file (140 frames, one every 50 steps of 2 fs) is cut at frame boundaries
into segments laid out as ``ionmd vasp submit`` and VASP leave them: each segment
has an XDATCAR numbered from 1, an OSZICAR with one MD line per step, an OUTCAR with
VASP's closing block, a CONTCAR equal to its last frame (with a velocity block) and,
from the second segment on, a POSCAR that is the previous segment's CONTCAR.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np

NBLOCK = 50
TIMESTEP_FS = 2.0
TEMPERATURE_K = 600.0


def xdatcar_path(shared: Path) -> Path:
    return shared / "data" / "aimd" / "li6ps5cl" / "XDATCAR.gz"


def split_xdatcar(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header lines (7) and the coordinate lines of each frame."""
    lines = gzip.open(path, "rt").read().splitlines()
    header = lines[:7]
    n = sum(int(x) for x in header[6].split())
    frames = []
    i = 7
    while i < len(lines):
        assert "configuration" in lines[i]
        frames.append(lines[i + 1 : i + 1 + n])
        i += 1 + n
    return header, frames


def _xdatcar_text(header: list[str], frames: list[list[str]]) -> str:
    out = list(header)
    for k, frame in enumerate(frames, start=1):
        out.append(f"Direct configuration= {k:6d}")
        out += frame
    return "\n".join(out) + "\n"


def _poscar_text(header: list[str], frame: list[str], *, velocities: bool = True) -> str:
    out = [header[0], *header[1:7], "Direct", *frame]
    if velocities:
        out += [""] + ["  0.00100000  -0.00200000   0.00050000"] * len(frame)
    return "\n".join(out) + "\n"


def _oszicar_text(n_steps: int) -> str:
    rng = np.random.default_rng(n_steps)
    return "".join(
        f"{k:6d} T=  {600 + rng.normal(0, 20):5.0f}. E= -.11000000E+04 F= -.11200000E+04 "
        f"E0= -.11200000E+04  EK= 0.15000E+02 SP= 0.10E+01 SK= 0.40E+00\n"
        for k in range(1, n_steps + 1)
    )


def outcar_text(*, elapsed_s: float, cores: int, steps: int, complete: bool = True) -> str:
    out = [
        " vasp.6.4.2 18Apr23 (build Jun 06 2023) complex",
        "",
        f" running on  {cores:4d} total cores",
        f" distrk:  each k-point on  {cores} cores,    1 groups",
    ]
    for k in range(1, steps + 1):
        out.append(
            f"--------------------------------------- Iteration {k:6d}(   1)  "
            "---------------------------------------"
        )
    if complete:
        out += [
            "",
            " General timing and accounting informations for this job:",
            " ========================================================",
            "",
            f"                  Total CPU time used (sec):    {elapsed_s * 0.98:12.3f}",
            f"                            User time (sec):    {elapsed_s * 0.97:12.3f}",
            f"                          Elapsed time (sec):    {elapsed_s:12.3f}",
        ]
    return "\n".join(out) + "\n"


def write_record(
    run_dir: Path,
    *,
    header: list[str],
    total_frames: int,
    plan: list[int],
    equilibration_ps: float = 0.0,
    nblock: int = NBLOCK,
) -> None:
    names, counts = header[5].split(), [int(x) for x in header[6].split()]
    species = [s for s, c in zip(names, counts, strict=True) for _ in range(c)]
    record = {
        "key": "li6ps5cl_600K",
        "material_id": "li6ps5cl",
        "formula": "Li6PS5Cl",
        "temperature_K": TEMPERATURE_K,
        "timestep_fs": TIMESTEP_FS,
        "total_steps": total_frames * nblock,
        "sample_every_steps": nblock,
        "equilibration_ps": equilibration_ps,
        "segments": plan,
        "species": species,
        "n_atoms": len(species),
        "sort_map": list(range(len(species))),
        "supercell": np.eye(3, dtype=int).tolist(),
        "potcar_symbols": ["Li_sv", "Cl", "S", "P"],
        "potcar_functional": "PBE",
        "incar": {"ENCUT": 520.0, "NBLOCK": NBLOCK},
    }
    (run_dir / "ionmd_vasp.json").write_text(json.dumps(record))


def build_run(
    root: Path,
    shared: Path,
    *,
    cuts: list[tuple[int, int]],
    starts: list[int] | None = None,
    thermo: bool = True,
    cost: bool = True,
) -> Path:
    """A run dir whose segment k holds frames ``cuts[k] = (a, b)`` of the uncut file.

    ``starts[k]`` (k >= 1) is the frame the POSCAR of segment k is copied from
    (default ``cuts[k][0] - 1``, the true continuation).
    """
    header, frames = split_xdatcar(xdatcar_path(shared))
    run = root / "li6ps5cl_600K"
    run.mkdir(parents=True)
    plan = [(b - a) * NBLOCK for a, b in cuts]
    write_record(run, header=header, total_frames=len(frames), plan=plan)
    for k, (a, b) in enumerate(cuts):
        seg = run / f"seg_{k:03d}"
        seg.mkdir()
        (seg / "XDATCAR").write_text(_xdatcar_text(header, frames[a:b]))
        (seg / "CONTCAR").write_text(_poscar_text(header, frames[b - 1]))
        if k > 0:
            start = starts[k] if starts else a - 1
            (seg / "POSCAR").write_text(_poscar_text(header, frames[start]))
        steps = (b - a) * NBLOCK
        if thermo:
            (seg / "OSZICAR").write_text(_oszicar_text(steps))
        if cost:
            (seg / "OUTCAR").write_text(
                outcar_text(elapsed_s=1000.0 * (k + 1), cores=64, steps=steps)
            )
    return run
