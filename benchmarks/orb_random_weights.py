"""ORB through ionmd's `orb:` loader with random weights (for a machine that cannot
download ORB's weights): torch-sim's OrbModel on a batch of two α-Li3N cells;
batch vs each alone, unwrapped vs wrapped positions. Needs orb-models 0.6.x
(`pip install ionmd[orb]`); orb-models' weight loader is replaced by one that
keeps the random initial weights.

Usage: python -m benchmarks.orb_random_weights
"""

import time

import numpy as np
import torch
import torch_sim as ts

NAME = "orb:orb-v3-conservative-inf-omat"


def _keep_initial_weights(
    model: torch.nn.Module, _weights_path: str, *_args: object, **kwargs: object
) -> torch.nn.Module:
    dtype = torch.float64 if kwargs.get("precision") == "float64" else torch.float32
    model = model.to(dtype).eval()
    for param in model.parameters():
        param.requires_grad = False
    return model


def main() -> None:
    from orb_models.forcefield import pretrained

    from ionmd.calculators import load_model, model_info
    from ionmd.structures.builders import alpha_li3n_atoms

    torch.manual_seed(0)
    pretrained.load_model = _keep_initial_weights
    model = load_model(NAME, dtype=torch.float64)
    print(type(model).__name__, type(model.model).__name__, model_info(NAME))
    a = alpha_li3n_atoms(min_cell_length_A=7.0)
    a.rattle(0.05, seed=1)
    b = alpha_li3n_atoms(min_cell_length_A=5.0)
    b.rattle(0.05, seed=2)
    state = ts.io.atoms_to_state([a, b], "cpu", torch.float64)
    start = time.perf_counter()
    out = model(state)
    print(f"first call {time.perf_counter() - start:.1f} s, energies {out['energy']}")
    alone = [model(ts.io.atoms_to_state([x], "cpu", torch.float64)) for x in (a, b)]
    d_f = (out["forces"] - torch.cat([x["forces"] for x in alone])).abs().max().item()
    d_e = (out["energy"] - torch.cat([x["energy"] for x in alone])).abs().max().item()
    print(f"batch vs alone: max|dF| {d_f:.2e} eV/A, max|dE| {d_e:.2e} eV")
    shifted = state.clone()
    rng = np.random.default_rng(0)
    n = torch.tensor(rng.integers(-2, 3, size=(state.n_atoms, 3)), dtype=torch.float64)
    cells = state.row_vector_cell[state.system_idx]
    shifted.positions = state.positions + torch.einsum("ai,aij->aj", n, cells)
    d_w = (model(shifted)["forces"] - out["forces"]).abs().max().item()
    print(f"unwrapped vs wrapped: max|dF| {d_w:.2e} eV/A")


if __name__ == "__main__":
    main()
