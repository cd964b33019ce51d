"""CHGNet (pretrained weights shipped inside the `chgnet` package) as a batched
torch-sim model.

Neither torch-sim 0.6.2 nor chgnet 0.4.2 ships a torch-sim wrapper for CHGNet,
so this file writes one on CHGNet's own batched graph API: each system of the
state becomes a `CrystalGraph` (CHGNet's `CrystalGraphConverter`, which builds
the neighbour and bond graphs on the host from positions wrapped into the
cell), and all graphs go through ONE `CHGNet.forward(graphs, task="ef")` call
(`BatchedGraph.from_graphs` concatenates them). Energies per system in eV
(CHGNet predicts eV/atom: multiplied back by the number of atoms), forces
per atom in eV/Å, and, when the cell stage switches it on, the stress in eV/Å³
from the gradient of the energy with respect to CHGNet's own lattice strain
(`BatchedGraph.from_graphs(compute_stress=True)`), as chgnet's model does.

Precision: chgnet hard-codes float32 for the graph tensors it builds
(`TORCH_DTYPE`) and for its composition features (`AtomRef`). Here the
fractional coordinates, lattice and image vectors are replaced in every graph by
ones computed in the model's dtype from the state, and the composition features
are cast to that dtype (`composition_in_dtype`), so with dtype float64 the whole
calculation (geometry and network) runs in float64; the graph topology (which
pairs and triplets) comes from the converter, which computes distances in
float64 numpy either way.
"""

import contextlib
import io
from pathlib import Path

import torch
import torch_sim as ts
from torch_sim.models.interface import ModelInterface

from ionmd.calculators._common import wrapped_positions
from ionmd.errors import ModelLoadError

#: CHGNet's names of the weights shipped inside the package (`CHGNet.load`).
CHGNET_WEIGHTS = ("0.3.0", "0.2.0", "r2scan")
DEFAULT_CHGNET_WEIGHTS = "0.3.0"
#: CHGNet's atom embedding covers atomic numbers 1..94.
CHGNET_MAX_Z = 94


def _import_chgnet() -> None:
    try:
        import chgnet  # noqa: F401
    except ImportError as exc:
        raise ModelLoadError(
            "model 'chgnet' needs the chgnet package: pip install ionmd[chgnet]"
        ) from exc


def _check_weights(weights: str) -> None:
    if weights not in CHGNET_WEIGHTS:
        raise ModelLoadError(
            f"unknown CHGNet weights '{weights}': valid: {', '.join(CHGNET_WEIGHTS)}"
        )


def load_chgnet_network(*, weights: str = DEFAULT_CHGNET_WEIGHTS) -> torch.nn.Module:
    """CHGNet's pretrained network (`CHGNet.load`), on the CPU, in float32."""
    _check_weights(weights)
    _import_chgnet()
    from chgnet.model.model import CHGNet

    try:
        with contextlib.redirect_stdout(io.StringIO()):  # its "initialized with" line
            return CHGNet.load(model_name=weights, use_device="cpu", verbose=False)
    except Exception as exc:
        raise ModelLoadError(f"cannot load CHGNet {weights}: {exc}") from exc


def chgnet_weights_path(*, weights: str = DEFAULT_CHGNET_WEIGHTS) -> Path:
    """Path of the weights file inside the installed chgnet (for its sha256)."""
    _check_weights(weights)
    _import_chgnet()
    import chgnet

    folder = Path(chgnet.__file__).parent / "pretrained" / weights
    files = sorted(folder.glob("*.pth.tar"))
    if not files:
        raise ModelLoadError(f"CHGNet weights {weights} not found under {folder}")
    return files[0]


def composition_in_dtype(network: torch.nn.Module, dtype: torch.dtype) -> None:
    """Make `network`'s composition model (AtomRef) build its features in `dtype`.

    chgnet's `AtomRef._assemble_graphs` ends in `.float()`, which a float64
    network cannot multiply; this instance (not the class) gets a version that
    casts to `dtype` instead (the features are element fractions, exact in both).
    """
    composition = getattr(network, "composition_model", None)
    if composition is None or dtype == torch.float32:
        return
    assemble = type(composition)._assemble_graphs

    def assemble_in_dtype(graphs: list) -> torch.Tensor:
        return assemble(composition, graphs).to(dtype)

    composition._assemble_graphs = assemble_in_dtype


class CHGNetTorchSimModel(ModelInterface):
    """CHGNet as a torch-sim model: energy (n_systems,), forces (n_atoms, 3), and
    with ``_compute_stress`` on (the cell stage) stress (n_systems, 3, 3).
    Positions may be unwrapped: the graphs are built on a wrapped copy.
    `type_map` lists the atomic numbers the model covers (what the campaign's
    element check reads).
    """

    def __init__(
        self,
        *,
        device: torch.device,
        dtype: torch.dtype,
        weights: str = DEFAULT_CHGNET_WEIGHTS,
    ) -> None:
        super().__init__()
        network = load_chgnet_network(weights=weights)
        for param in network.parameters():
            param.requires_grad_(False)
        self.network = network.to(device=device, dtype=dtype).eval()
        composition_in_dtype(self.network, dtype)
        self.network.graph_converter.set_isolated_atom_response("ignore")
        self.weights = weights
        self.type_map = {z: z - 1 for z in range(1, CHGNET_MAX_Z + 1)}
        self._device = device
        self._dtype = dtype
        self._compute_forces = True
        self._compute_stress = False

    def _graphs(self, state: ts.SimState) -> list:
        """One CHGNet `CrystalGraph` per system, geometry in the model's dtype."""
        from pymatgen.core import Lattice, Structure

        geo = state.to(self._device, torch.float64)
        positions = wrapped_positions(geo)
        row_cells = geo.row_vector_cell
        numbers = state.atomic_numbers.tolist()
        counts = torch.bincount(state.system_idx, minlength=state.n_systems).tolist()
        graphs, start = [], 0
        for i, n in enumerate(counts):
            cell = row_cells[i]
            pos = positions[start : start + n]
            frac = torch.linalg.solve(cell.T, pos.T).T  # pos = frac @ cell
            structure = Structure(
                Lattice(cell.cpu().numpy()),
                numbers[start : start + n],
                frac.cpu().numpy(),
                coords_are_cartesian=False,
            )
            graph = self.network.graph_converter(structure).to(self._device)
            graph.atom_frac_coord = frac.to(self._dtype).requires_grad_(True)
            graph.lattice = cell.to(self._dtype)
            graph.neighbor_image = graph.neighbor_image.to(self._dtype)
            graphs.append(graph)
            start += n
        return graphs

    def forward(self, state: ts.SimState, **_kwargs: object) -> dict[str, torch.Tensor]:
        """Energy (n_systems,) in eV and forces (n_atoms, 3) in eV/Å, one call; with
        ``_compute_stress`` on, stress (n_systems, 3, 3) in eV/Å³."""
        from chgnet.model.model import BatchedGraph

        z = torch.unique(state.atomic_numbers)
        if bool((z < 1).any()) or bool((z > CHGNET_MAX_Z).any()):
            raise ModelLoadError(
                f"CHGNet covers atomic numbers 1-{CHGNET_MAX_Z}, got {sorted(z.tolist())}"
            )
        graphs = self._graphs(state)
        network = self.network
        # CHGNet.forward with task "ef" (or "efs"), less its create_graph=True (kept
        # by chgnet for training; doubles the cost of the force backward in MD)
        with torch.enable_grad():
            batched = BatchedGraph.from_graphs(
                graphs,
                bond_basis_expansion=network.bond_basis_expansion,
                angle_basis_expansion=network.angle_basis_expansion,
                compute_stress=self._compute_stress,
            )
            out = network._compute(batched, compute_force=False)
            energy = out["e"]  # per atom where the model is intensive
            if network.is_intensive:
                energy = energy * out["atoms_per_graph"].to(energy.dtype)
            if network.composition_model is not None:
                n_atoms = out["atoms_per_graph"].to(energy.dtype)
                composition = network.composition_model(graphs)
                energy = energy + (
                    composition * n_atoms if network.is_intensive else composition
                )
            inputs = list(batched.atom_positions)
            if self._compute_stress:
                inputs += list(batched.strains)
            grads = torch.autograd.grad(energy.sum(), inputs)
        n = len(graphs)
        forces = -torch.cat(grads[:n], dim=0)
        result = {
            "energy": energy.detach().to(self._dtype),
            "forces": forces.to(self._dtype),
        }
        if self._compute_stress:
            result["stress"] = stress_from_strain_gradient(
                torch.stack(grads[n:]),
                volumes=torch.linalg.det(torch.stack([g.lattice for g in graphs])).abs(),
            ).to(self._dtype)
        return result


def stress_from_strain_gradient(
    grad_eV: torch.Tensor, *, volumes: torch.Tensor
) -> torch.Tensor:
    """torch-sim's stress (n_systems, 3, 3), eV/Å³: (1/V) ∂E/∂ε, ε CHGNet's strain
    of the lattice (rows L → L (1 + ε)). The sign is ASE's and CHGNet's own (its
    ``s``, the same quantity in GPa, which its ASE calculator multiplies by
    ``units.GPa``); the unit is eV/Å³ here, without the round trip through GPa, and
    ``volumes`` (Å³) are taken in the model's dtype (chgnet keeps its own in float32)."""
    return grad_eV.detach() / volumes.detach().reshape(-1, 1, 1)


def chgnet_ase_calculator(
    *, device: torch.device, weights: str = DEFAULT_CHGNET_WEIGHTS
) -> "ase.calculators.calculator.Calculator":  # noqa: F821
    """chgnet's own ASE calculator (`CHGNetCalculator`; it computes in float32)."""
    network = load_chgnet_network(weights=weights)
    from chgnet.model.dynamics import CHGNetCalculator

    with contextlib.redirect_stdout(io.StringIO()):  # its "will run on" line
        return CHGNetCalculator(
            model=network, use_device=str(device), on_isolated_atoms="ignore"
        )
