"""A Verlet-skin neighbour list for torch-sim models: rebuilt only when needed.

torch-sim 0.6's models rebuild their neighbour list at every force call (several
small kernels and, with nvalchemiops, a few host reads each). With a skin s the
list is built for ``cutoff + s`` and kept until some atom has moved more than
s/2 since the build (then no pair inside the cutoff can be missing). Pairs in
the list beyond the cutoff cost a little compute and change nothing: MACE's
radial envelope is multiplied by ``(r < r_max)`` (exactly zero outside), so the
forces equal the plain path's to float tolerance (tests/calculators).

The positions given are wrapped into the cell by the model, so an atom crossing
the boundary jumps by a lattice vector (in a crystal with atoms on the cell
faces, such as α-Li3N, some atom does so nearly every step). Displacements are
therefore measured as minimum images, and the kept pairs' periodic shifts are
corrected by each atom's jump (``unit_shift + k[j] − k[i]`` for the pair i → j),
so the pair vectors stay exact without a rebuild. For fixed cells (NVT) and a
fixed set of atoms: a change of atom count or cell rebuilds. The displacement
check is one device → host read per call (a rebuild costs several).
"""

from __future__ import annotations

import torch


class SkinNeighborList:
    """Callable with the signature of ``torch_sim.neighbors.torchsim_nl``."""

    def __init__(self, *, skin_A: float) -> None:
        if not skin_A > 0:
            raise ValueError(f"skin_A must be > 0, got {skin_A}")
        self.skin_A = float(skin_A)
        self.builds = 0
        self.calls = 0
        self._ref: torch.Tensor | None = None
        self._cell: torch.Tensor | None = None
        self._out: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None
        self._inv: torch.Tensor | None = None

    def __call__(
        self,
        positions: torch.Tensor,
        cell: torch.Tensor,
        pbc: torch.Tensor,
        cutoff: torch.Tensor | float,
        system_idx: torch.Tensor,
        self_interaction: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        from torch_sim.neighbors import torchsim_nl

        self.calls += 1
        if self._out is not None:
            kept = self._kept(positions, cell, system_idx)
            if kept is not None:
                return kept
        cut = torch.as_tensor(cutoff, device=positions.device, dtype=positions.dtype)
        cut = cut + self.skin_A
        self._out = torchsim_nl(positions, cell, pbc, cut, system_idx, self_interaction)
        self._ref = positions.detach().clone()
        self._cell = cell.detach().clone()
        self._inv = torch.linalg.inv(self._cell)
        self.builds += 1
        return self._out

    def _kept(
        self, positions: torch.Tensor, cell: torch.Tensor, system_idx: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None:
        """The kept list with corrected shifts, or None when it must be rebuilt."""
        ref, ref_cell, out = self._ref, self._cell, self._out
        if (
            ref is None
            or out is None
            or ref_cell is None
            or ref.shape != positions.shape
            or ref_cell.shape != cell.shape
        ):
            return None
        # fractional displacement since the build; its rounding is each atom's
        # jump (in lattice vectors) from being wrapped, the rest the true move
        frac = torch.einsum("ni,nij->nj", positions.detach() - ref, self._inv[system_idx])
        jump = torch.round(frac)
        moved = torch.einsum("ni,nij->nj", frac - jump, ref_cell[system_idx])
        far = moved.norm(dim=-1).max() > 0.5 * self.skin_A
        changed = (cell.detach() - ref_cell).abs().max() > 0
        if bool(far | changed):  # one host read for both checks
            return None
        mapping, system_mapping, unit_shifts = out
        k = -jump.to(unit_shifts.dtype)
        shifts = unit_shifts + k[mapping[1]] - k[mapping[0]]
        return mapping, system_mapping, shifts
