"""CHGNet through ionmd's batched torch-sim model vs chgnet's own ASE calculator.

Usage: python -m benchmarks.chgnet_vs_ase [CIF ...]
Prints, per structure and dtype, the largest |ΔE|/atom (eV/atom) and |ΔF| (eV/Å)
of the batched model (all structures in ONE call) against `CHGNetCalculator`,
whose graph tensors are made float64 by setting chgnet's module-level
`TORCH_DTYPE` for the float64 row (chgnet hard-codes float32 there) and
casting its composition features (`composition_in_dtype`).
"""

import sys

import numpy as np
import torch
import torch_sim as ts

from ionmd.calculators.chgnet import (
    CHGNetTorchSimModel,
    chgnet_ase_calculator,
    composition_in_dtype,
)
from ionmd.structures.builders import alpha_li3n_atoms


def _structures(cifs: list[str]) -> list:
    from ase.io import read

    li3n = alpha_li3n_atoms(min_cell_length_A=7.0)
    li3n.rattle(stdev=0.1, seed=1)
    out = [("alpha-Li3N rattled", li3n)]
    for path in cifs:
        atoms = read(path)
        atoms.rattle(stdev=0.05, seed=2)
        out.append((path, atoms))
    return out


def _set_chgnet_dtype(dtype: torch.dtype) -> None:
    import chgnet.graph.converter
    import chgnet.graph.crystalgraph
    import chgnet.model.model

    for module in (chgnet.graph.converter, chgnet.graph.crystalgraph, chgnet.model.model):
        module.TORCH_DTYPE = dtype


def compare(cifs: list[str]) -> None:
    device = torch.device("cpu")
    structures = _structures(cifs)
    for dtype in (torch.float64, torch.float32):
        model = CHGNetTorchSimModel(device=device, dtype=dtype)
        state = ts.io.atoms_to_state([a for _, a in structures], device, dtype)
        # unwrapped positions: shift some atoms by whole cell vectors
        shift = torch.zeros_like(state.positions)
        shift[::3] = state.row_vector_cell[state.system_idx[::3]].sum(dim=1)
        state.positions = state.positions + shift
        out = model(state)
        _set_chgnet_dtype(dtype)
        calc = chgnet_ase_calculator(device=device)
        calc.model = calc.model.to(dtype)
        composition_in_dtype(calc.model, dtype)
        start = 0
        for i, (name, atoms) in enumerate(structures):
            n = len(atoms)
            atoms = atoms.copy()
            atoms.calc = calc
            e_ref = atoms.get_potential_energy()
            f_ref = atoms.get_forces()
            de = abs(float(out["energy"][i]) - e_ref) / n
            df = np.abs(out["forces"][start : start + n].double().numpy() - f_ref).max()
            print(
                f"{str(dtype):14s} {name:40s} n={n:4d} E={e_ref / n:.6f} eV/atom "
                f"|dE|/atom={de:.2e} eV  max|dF|={df:.2e} eV/A"
            )
            start += n
        _set_chgnet_dtype(torch.float32)


if __name__ == "__main__":
    compare(sys.argv[1:])
