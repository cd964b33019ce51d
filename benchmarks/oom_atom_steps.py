"""Atom-steps in the cost record after an out-of-memory split, against the
atom-steps the run file's systems really ran (sum over systems of their own
``steps_done`` x atoms), for both protocols.

The device is made small by an injected allocation failure (no GPU needed): the
study's fixed batch of four 32-atom argon systems fails above 64 atoms at its
15th step; the adaptive toy campaign's batch of two 135-atom systems fails at its
60th step. Run: ``python -m benchmarks.oom_atom_steps`` (a few seconds on a CPU).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import torch
from ase.build import bulk

from ionmd.campaign.config import RunConfig
from ionmd.campaign.run import run_campaign
from ionmd.engine import inflight
from ionmd.fileformat import list_systems, read_system


def _inject(*, max_atoms: int, at_call: int) -> None:
    """``nh_step`` fails above ``max_atoms`` atoms at call ``at_call``."""
    real, calls = inflight.nh.nh_step, [0]

    def step(st: Any, *args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if int(st.positions.shape[0]) > max_atoms and calls[0] == at_call:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (injected)")
        return real(st, *args, **kwargs)

    inflight.nh.nh_step = step


def counted_atom_steps(path: Path) -> int:
    """Sum over the run file's systems of their own steps x their atoms."""
    total = 0
    for key in list_systems(path):
        s = read_system(path, key, positions=False)
        total += int(s.attrs["steps_done"]) * int(s.attrs["n_atoms"])
    return total


def _argon_cif(tmp: Path) -> str:
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True).repeat((2, 2, 2))
    symbols = atoms.get_chemical_symbols()
    symbols[::4] = ["Li"] * len(symbols[::4])
    atoms.set_chemical_symbols(symbols)
    atoms.write(tmp / "lj_li.cif")
    return str(tmp / "lj_li.cif")


def study(tmp: Path) -> tuple[float, int]:
    config = RunConfig(
        materials=(_argon_cif(tmp),), model="lj", temperatures_K=(20.0, 30.0, 40.0, 50.0),
        min_cell_length_A=10.0, timestep_fs=5.0, duration_ps=0.2, equilibration_ps=0.05,
        sample_every_fs=25.0, thermo_every_fs=25.0, flush_every_ps=0.05,
        progress=False, out=str(tmp / "study"),
    )  # fmt: skip
    run_campaign(config, analyze=False)
    batch = json.loads((tmp / "study" / "campaign.json").read_text())["batches"][0]
    return batch["atom_steps"], counted_atom_steps(tmp / "study" / batch["file"])


def adaptive(tmp: Path) -> tuple[float, int]:
    config = RunConfig(
        materials=("builtin:toy-fast",), temperatures_K=(900.0, 1200.0), model="toy",
        device="cpu", dtype="float64", timestep_fs=4.0, equilibration_ps=0.2,
        sample_every_fs=40.0, msd_every_fs=8.0, thermo_every_fs=40.0,
        fault_check_every_fs=40.0, flush_every_ps=0.2, progress=False,
        protocol="adaptive", chunk_ps=0.4, max_duration_ps=0.8,
        min_reliable_temperatures=2, max_temperature_K=1300.0, max_atoms_per_batch=300,
        target_msd_A2=0.5, target_D_log10_ci=3.0, target_sigma300_log10_ci=10.0,
        out=str(tmp / "adaptive"),
    )  # fmt: skip
    run_campaign(config, analyze=False)
    batch = json.loads((tmp / "adaptive" / "campaign.json").read_text())["batches"][0]
    return batch["atom_steps"], counted_atom_steps(tmp / "adaptive" / batch["file"])


def main() -> None:
    real = inflight.nh.nh_step
    with tempfile.TemporaryDirectory() as d:
        for name, run, fail in (
            ("study", study, dict(max_atoms=64, at_call=15)),
            ("adaptive", adaptive, dict(max_atoms=135, at_call=60)),
        ):
            _inject(**fail)
            try:
                reported, counted = run(Path(d))
            finally:
                inflight.nh.nh_step = real
            print(
                f"{name:9s} after an OOM split: atom-steps reported {reported:.0f}, "
                f"counted {counted}, ratio {reported / counted:.3f}"
            )


if __name__ == "__main__":
    main()
