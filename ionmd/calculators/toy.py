"""The "toy conductor": a pair potential in which Li really diffuses on a CPU.

An fcc framework of heavy atoms held by Lennard-Jones 12-6, with small Li on
a fraction of its octahedral interstices. Li is repelled by the framework
(WCA: the repulsive part of LJ, cut at its minimum) and weakly by other Li
(WCA); it rattles in its cage and hops octahedral → tetrahedral →
octahedral through the triangular windows of the fcc lattice, at an
Arrhenius rate whose barrier is set by the Li–framework size σ relative to
the window. Each variant has its own framework element (see
``docs/toy_conductor.md``):

- ``Kr``: toy-fast (low barrier; framework melts far above 1500 K);
- ``Xe``: toy-slow (high barrier; framework melts far above 1500 K);
- ``Ar``: toy-melt (low barrier; weak framework, melts between 1000 and 1200 K).

Every pair is 4ε[(σ/r)¹² − (σ/r)⁶], *shifted-force* at its own cutoff r_c:
V(r) − V(r_c) − (r − r_c) V′(r_c), so energy and force go to zero
continuously (for WCA r_c = 2^(1/6) σ, where this is exactly WCA). Units:
Å, eV, masses of the real elements. Positions may be unwrapped: the
neighbour list gets a wrapped copy.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch
import torch_sim as ts
from torch_sim.models.pair_potential import PairPotentialModel

from ionmd.calculators._common import wrapped_positions
from ionmd.errors import ModelLoadError

#: 2^(1/6): the LJ minimum in units of σ, the WCA cutoff.
WCA_CUTOFF_SIGMA = 2.0 ** (1.0 / 6.0)
#: Framework–framework LJ cutoff, units of σ.
FRAMEWORK_CUTOFF_SIGMA = 2.0


@dataclass(frozen=True)
class PairParams:
    """One species pair: ε (eV), σ (Å), cutoff (Å)."""

    epsilon_eV: float
    sigma_A: float
    cutoff_A: float


#: Framework element per variant (real symbols, so pymatgen, the run file
#: and Nernst–Einstein need nothing special).
FRAMEWORK_ELEMENT = {"toy-fast": "Kr", "toy-slow": "Xe", "toy-melt": "Ar"}

#: Framework–framework LJ: (ε eV, σ Å).
FRAMEWORK_LJ = {"Kr": (0.30, 3.40), "Xe": (0.60, 3.40), "Ar": (0.045, 3.40)}
#: Li–framework WCA: (ε eV, σ Å).
LI_FRAMEWORK_WCA = {"Kr": (0.10, 2.20), "Xe": (0.10, 2.30), "Ar": (0.10, 2.20)}
#: Li–Li WCA: (ε eV, σ Å): weak, keeps two Li off one site.
LI_LI_WCA = (0.02, 2.20)


#: Elements the toy model covers.
ELEMENTS = ("Li", *FRAMEWORK_LJ)


def parameters_text() -> str:
    """The parameters in one line (the run file's model_version)."""
    parts = [
        f"{a}-{b}: eps={p.epsilon_eV:g} eV sigma={p.sigma_A:g} A rc={p.cutoff_A:.4g} A"
        for (a, b), p in sorted(toy_pair_table().items())
        if a <= b
    ]
    return "shifted-force LJ/WCA; " + "; ".join(parts)


def toy_pair_table() -> dict[tuple[str, str], PairParams]:
    """All pairs the toy model knows, both orders."""
    table: dict[tuple[str, str], PairParams] = {}

    def put(a: str, b: str, p: PairParams) -> None:
        table[(a, b)] = table[(b, a)] = p

    eps, sig = LI_LI_WCA
    put("Li", "Li", PairParams(eps, sig, WCA_CUTOFF_SIGMA * sig))
    for element, (eps, sig) in FRAMEWORK_LJ.items():
        put(element, element, PairParams(eps, sig, FRAMEWORK_CUTOFF_SIGMA * sig))
    for element, (eps, sig) in LI_FRAMEWORK_WCA.items():
        put("Li", element, PairParams(eps, sig, WCA_CUTOFF_SIGMA * sig))
    frameworks = list(FRAMEWORK_LJ)
    for i, a in enumerate(frameworks):  # two framework kinds in one cell: WCA
        for b in frameworks[i + 1 :]:
            sig = 0.5 * (FRAMEWORK_LJ[a][1] + FRAMEWORK_LJ[b][1])
            eps = min(FRAMEWORK_LJ[a][0], FRAMEWORK_LJ[b][0])
            put(a, b, PairParams(eps, sig, WCA_CUTOFF_SIGMA * sig))
    return table


def _shifted_force_lj(
    r: torch.Tensor,
    zi: torch.Tensor,
    zj: torch.Tensor,
    *,
    epsilon: torch.Tensor,
    sigma: torch.Tensor,
    cutoff: torch.Tensor,
) -> torch.Tensor:
    """Pair energies (n_pairs,) of the shifted-force LJ with per-pair parameters
    looked up in the (119, 119) tables by atomic number."""
    eps, sig, rc = epsilon[zi, zj], sigma[zi, zj], cutoff[zi, zj]
    inside = (r < rc) & (eps > 0)
    r_safe = torch.where(inside, r, rc)

    def lj(x: torch.Tensor) -> torch.Tensor:
        s6 = (sig / x) ** 6
        return 4.0 * eps * (s6 * s6 - s6)

    def dlj(x: torch.Tensor) -> torch.Tensor:
        s6 = (sig / x) ** 6
        return 4.0 * eps * (-12.0 * s6 * s6 + 6.0 * s6) / x

    energy = lj(r_safe) - lj(rc) - (r_safe - rc) * dlj(rc)
    return torch.where(inside, energy, torch.zeros_like(energy))


class ToyConductorModel(PairPotentialModel):
    """torch-sim pair model of the toy conductor, stress off by default.

    `model(state)` → {"energy": (n_systems,), "forces": (n_atoms, 3)} in eV,
    eV/Å. Atoms of an element outside `ELEMENTS` raise ModelLoadError.
    """

    def __init__(
        self,
        *,
        device: torch.device | None = None,
        dtype: torch.dtype = torch.float64,
        compute_stress: bool = False,
    ) -> None:
        from ase.data import atomic_numbers

        device = device or torch.device("cpu")
        table = toy_pair_table()
        shape = (119, 119)
        # undefined pairs: ε = 0 (no interaction); σ = r_c = 1 keeps their
        # (masked) arithmetic finite
        tables = {
            "e": torch.zeros(shape, dtype=dtype, device=device),
            "s": torch.ones(shape, dtype=dtype, device=device),
            "c": torch.ones(shape, dtype=dtype, device=device),
        }
        for (a, b), p in table.items():
            za, zb = atomic_numbers[a], atomic_numbers[b]
            tables["e"][za, zb] = p.epsilon_eV
            tables["s"][za, zb] = p.sigma_A
            tables["c"][za, zb] = p.cutoff_A
        covered = torch.zeros(119, dtype=torch.bool, device=device)
        for a, _ in table:
            covered[atomic_numbers[a]] = True
        fn = functools.partial(
            _shifted_force_lj, epsilon=tables["e"], sigma=tables["s"], cutoff=tables["c"]
        )
        super().__init__(
            pair_fn=fn,
            cutoff=max(p.cutoff_A for p in table.values()),
            device=device,
            dtype=dtype,
            compute_forces=True,
            compute_stress=compute_stress,
            reduce_to_half_list=True,
        )
        self.covered_z = covered
        #: atomic numbers covered (the campaign refuses other materials up front)
        self.type_map = sorted(atomic_numbers[el] for el in ELEMENTS)

    def forward(self, state: ts.SimState, **kwargs: object) -> dict[str, torch.Tensor]:
        """Energy (n_systems,) and forces (n_atoms, 3); positions may be unwrapped."""
        if not bool(self.covered_z[state.atomic_numbers].all()):
            from ase.data import chemical_symbols

            bad = sorted(
                {
                    chemical_symbols[int(z)]
                    for z in state.atomic_numbers[~self.covered_z[state.atomic_numbers]]
                }
            )
            raise ModelLoadError(f"the toy model does not cover elements {', '.join(bad)}")
        wrapped = state.clone()
        wrapped.positions = wrapped_positions(state)
        return super().forward(wrapped, **kwargs)


def load_toy(*, device: torch.device, dtype: torch.dtype) -> ToyConductorModel:
    """The toy-conductor model (all three variants in one model), stress off."""
    return ToyConductorModel(device=device, dtype=dtype)
