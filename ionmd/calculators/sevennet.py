"""SevenNet-0 (11Jul2024), the pretrained potential shipped inside sevenn 0.10.x.

sevenn 0.10.4 has no torch-sim integration (torch-sim's `SevenNetModel` imports
`sevenn.torchsim`, which only exists from sevenn 0.11, and sevenn 0.11 needs
e3nn >= 0.5, which mace 0.3.x forbids). So this file wraps the sevenn network
for torch-sim: torch-sim's neighbour list on positions wrapped into the cell,
edge vectors built here, sevenn's own layers from the edge embedding on, forces
from the gradient of the energy with respect to the edge vectors (sevenn's
`ForceStressOutputFromEdge`, batched mode).

Precision (why float32 through ionmd was further from float64 than sevenn's own
float32 ASE calculator): (1) sevenn's batched energy reduction is a sequential
`scatter_reduce_` sum of the atomic energies in float32, whose round-off grows
with the number of atoms, while its one-structure mode uses `torch.sum`
(pairwise); (2) the geometry (wrapping unwrapped positions into the cell, cell
shifts, edge vectors) was done in float32, while sevenn's calculator builds edge
vectors in float64 and rounds them once. Here the geometry is done in float64
and the per-system energy is the float64 sum of sevenn's atomic energies,
rounded once to the model's dtype; only the network runs in float32.
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
    """SevenNet-0 as a torch-sim model: energy (n_systems,), forces (n_atoms, 3),
    and with ``_compute_stress`` on (the cell stage) stress (n_systems, 3, 3).

    Positions may be unwrapped: the neighbour list is
    built on a wrapped copy and edge vectors carry the periodic shifts.
    """

    def __init__(self, *, device: torch.device, dtype: torch.dtype) -> None:
        super().__init__()
        network, config = _load_network(dtype=dtype)
        network.set_is_batch_data(True)
        for param in network.parameters():
            param.requires_grad_(False)
        self.network = network.to(device)
        self._energy_reduce = _energy_reduce(network)
        self.cutoff = float(config["cutoff"])
        self.type_map = dict(network.type_map)
        self._device = device
        self._dtype = dtype
        self._compute_forces = True
        self._compute_stress = False

    def forward(self, state: ts.SimState, **_kwargs: object) -> dict[str, torch.Tensor]:
        """Energy (n_systems,) and forces (n_atoms, 3) for a batched `state`; stress
        (n_systems, 3, 3) in eV/Å³ when switched on (sevenn computes its virial
        from the same edge gradient either way)."""
        import sevenn._keys as KEY  # noqa: N812 (sevenn's own alias)

        # geometry in float64 whatever the network's dtype (module docstring); a
        # float64 state keeps its positions, a float32 one is widened
        geo = state.to(self._device, torch.float64)
        state = state.to(self._device, self._dtype)
        missing = set(torch.unique(state.atomic_numbers).tolist()) - set(self.type_map)
        if missing:
            raise ModelLoadError(
                f"SevenNet-0 does not know atomic numbers {sorted(missing)}"
            )
        positions = wrapped_positions(geo)
        row_cell = geo.row_vector_cell
        pbc = geo.pbc
        if pbc.ndim == 1:
            pbc = pbc.unsqueeze(0).expand(state.n_systems, -1)
        cutoff = torch.as_tensor(self.cutoff, device=self._device, dtype=torch.float64)
        mapping, system_mapping, unit_shifts = ts.neighbors.torchsim_nl(
            positions, row_cell, pbc, cutoff, geo.system_idx
        )
        shifts = ts.transforms.compute_cell_shifts(row_cell, unit_shifts, system_mapping)
        # sevenn's edge_vec = pos[dst] - pos[src] + shift, edge_index = (src, dst).
        edge_vec = (positions[mapping[1]] - positions[mapping[0]] + shifts).to(self._dtype)
        positions = positions.to(self._dtype)
        row_cell = row_cell.to(self._dtype)
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
        key_in, constant = self._energy_reduce
        atomic = out[key_in].detach().reshape(-1).to(torch.float64)
        energy = torch.zeros(state.n_systems, dtype=torch.float64, device=self._device)
        energy.index_add_(0, state.system_idx, atomic)
        energy = (energy * constant).to(self._dtype)
        result = {"energy": energy, "forces": out[KEY.PRED_FORCE].detach()}
        if self._compute_stress:
            result["stress"] = stress_from_sevenn(out[KEY.PRED_STRESS].detach())
        return result


def stress_from_sevenn(voigt: torch.Tensor) -> torch.Tensor:
    """torch-sim's stress (n_systems, 3, 3), eV/Å³, (1/V) dE/dε (ASE's sign: positive
    when the cell wants to shrink), from sevenn's ``PRED_STRESS``: (n_systems, 6)
    in the order xx, yy, zz, xy, yz, zx with the opposite sign, −(1/V) Σ r ⊗ ∂E/∂r
    (``ForceStressOutputFromEdge``; sevenn's ASE calculator negates it too)."""
    xx, yy, zz, xy, yz, zx = (-voigt).unbind(-1)
    return torch.stack(
        (
            torch.stack((xx, xy, zx), -1),
            torch.stack((xy, yy, yz), -1),
            torch.stack((zx, yz, zz), -1),
        ),
        -2,
    )


def _energy_reduce(network: torch.nn.Module) -> tuple[str, float]:
    """(key of the atomic energies, constant) of sevenn's atomic → total energy
    reduction, so the total can be summed in float64 here."""
    import sevenn._keys as KEY  # noqa: N812 (sevenn's own alias)
    from sevenn.nn.linear import AtomReduce

    for module in network.modules():
        if isinstance(module, AtomReduce) and module.key_output == KEY.PRED_TOTAL_ENERGY:
            return module.key_input, float(module.constant)
    raise ModelLoadError("SevenNet-0: no atomic-energy reduction found in the network")


def sevennet_ase_calculator(
    *, device: torch.device
) -> "ase.calculators.calculator.Calculator":  # noqa: F821
    """sevenn's own ASE calculator for SevenNet-0 (it computes in float32)."""
    import_mace_first()
    from sevenn.calculator import SevenNetCalculator

    return SevenNetCalculator(model=SEVENNET_NAME, device=str(device))
