"""SevenNet-0 (11Jul2024), the pretrained potential shipped inside sevenn 0.10.x.

sevenn 0.10.4 has no torch-sim integration (torch-sim's `SevenNetModel` imports
`sevenn.torchsim`, which only exists from sevenn 0.11, and sevenn 0.11 needs
e3nn >= 0.5, which mace 0.3.x forbids). So this file wraps the sevenn network
for torch-sim: torch-sim's neighbour list on positions wrapped into the cell,
edge vectors built here, sevenn's own layers from the edge embedding on, forces
from the gradient of the energy with respect to the edge vectors (sevenn's
`ForceStressOutputFromEdge`, batched mode).
"""

import torch
import torch_sim as ts
from torch_sim.models.interface import ModelInterface

from ionmd.calculators._common import import_mace_first, wrapped_positions
from ionmd.errors import ModelLoadError

#: sevenn's name of the checkpoint this file loads.
SEVENNET_NAME = "7net-0"


def _load_network(*, dtype: torch.dtype) -> tuple[torch.nn.Module, dict]:
    """sevenn's network and its config, from the checkpoint inside the package."""
    import_mace_first()
    import sevenn.util

    try:
        path = sevenn.util.pretrained_name_to_path(SEVENNET_NAME)
        network, config = sevenn.util.model_from_checkpoint(path)
    except Exception as exc:
        raise ModelLoadError(f"cannot load SevenNet-0 from sevenn: {exc}") from exc
    if dtype != torch.float32:
        _onehot_in_dtype(network, dtype)
    return network.to(dtype).eval(), config


def _onehot_in_dtype(network: torch.nn.Module, dtype: torch.dtype) -> None:
    """Replace sevenn's one-hot embedding (hard-coded `.float()`) by one in `dtype`."""
    from sevenn.nn.node_embedding import OnehotEmbedding

    class OnehotInDtype(OnehotEmbedding):
        def forward(self, data: dict) -> dict:
            data = super().forward(data)
            data[self.key_x] = data[self.key_x].to(dtype)
            if self.key_additional_output is not None:
                data[self.key_additional_output] = data[self.key_x]
            return data

    key = "onehot_idx_to_onehot"
    old = network._modules[key]
    new = OnehotInDtype(
        old.num_classes,
        data_key_x=old.key_x,
        data_key_save=old.key_save,
        data_key_additional=old.key_additional_output,
    )
    network.replace_module(key, new)


def sevennet_checkpoint_path() -> str:
    """Path of the SevenNet-0 checkpoint inside the installed sevenn."""
    import_mace_first()
    import sevenn.util

    return sevenn.util.pretrained_name_to_path(SEVENNET_NAME)


class SevenNetTorchSimModel(ModelInterface):
    """SevenNet-0 as a torch-sim model: energy (n_systems,), forces (n_atoms, 3).

    Stress is never computed. Positions may be unwrapped: the neighbour list is
    built on a wrapped copy and edge vectors carry the periodic shifts.
    """

    def __init__(self, *, device: torch.device, dtype: torch.dtype) -> None:
        super().__init__()
        network, config = _load_network(dtype=dtype)
        network.set_is_batch_data(True)
        for param in network.parameters():
            param.requires_grad_(False)
        self.network = network.to(device)
        self.cutoff = float(config["cutoff"])
        self.type_map = dict(network.type_map)
        self._device = device
        self._dtype = dtype
        self._compute_forces = True
        self._compute_stress = False

    def forward(self, state: ts.SimState, **_kwargs: object) -> dict[str, torch.Tensor]:
        """Energy (n_systems,) and forces (n_atoms, 3) for a batched `state`."""
        import sevenn._keys as KEY  # noqa: N812 (sevenn's own alias)

        state = state.to(self._device, self._dtype)
        missing = set(torch.unique(state.atomic_numbers).tolist()) - set(self.type_map)
        if missing:
            raise ModelLoadError(
                f"SevenNet-0 does not know atomic numbers {sorted(missing)}"
            )
        positions = wrapped_positions(state)
        row_cell = state.row_vector_cell
        pbc = state.pbc
        if pbc.ndim == 1:
            pbc = pbc.unsqueeze(0).expand(state.n_systems, -1)
        cutoff = torch.as_tensor(self.cutoff, device=self._device, dtype=self._dtype)
        mapping, system_mapping, unit_shifts = ts.neighbors.torchsim_nl(
            positions, row_cell, pbc, cutoff, state.system_idx
        )
        shifts = ts.transforms.compute_cell_shifts(row_cell, unit_shifts, system_mapping)
        # sevenn's edge_vec = pos[dst] - pos[src] + shift, edge_index = (src, dst).
        edge_vec = positions[mapping[1]] - positions[mapping[0]] + shifts
        n_atoms_per_system = torch.bincount(state.system_idx, minlength=state.n_systems)
        data = {
            KEY.NODE_FEATURE: state.atomic_numbers.long(),
            KEY.ATOMIC_NUMBERS: state.atomic_numbers.long(),
            KEY.POS: positions,
            KEY.EDGE_IDX: mapping.long(),
            KEY.EDGE_VEC: edge_vec.detach().clone(),
            KEY.CELL: row_cell,
            KEY.CELL_SHIFT: unit_shifts.to(self._dtype),
            KEY.CELL_VOLUME: torch.linalg.det(row_cell).abs(),
            KEY.NUM_ATOMS: n_atoms_per_system,
            KEY.BATCH: state.system_idx,
        }
        out = self.network(data)
        energy = out[KEY.PRED_TOTAL_ENERGY].detach().reshape(-1)
        return {"energy": energy, "forces": out[KEY.PRED_FORCE].detach()}


def sevennet_ase_calculator(
    *, device: torch.device
) -> "ase.calculators.calculator.Calculator":  # noqa: F821
    """sevenn's own ASE calculator for SevenNet-0 (it computes in float32)."""
    import_mace_first()
    from sevenn.calculator import SevenNetCalculator

    return SevenNetCalculator(model=SEVENNET_NAME, device=str(device))
