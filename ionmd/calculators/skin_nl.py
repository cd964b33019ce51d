"""A Verlet-skin neighbour list for torch-sim models: rebuilt only when needed.

torch-sim 0.6's models rebuild their neighbour list at every force call (several
small kernels and, with nvalchemiops, a few host reads each). With a skin s the
list is built for ``cutoff + s`` and kept until some atom has moved more than
s/2 since the build (then no pair inside the cutoff can be missing). Pairs in
the list beyond the cutoff cost a little compute and change nothing: MACE's
radial envelope is multiplied by ``(r < r_max)`` (exactly zero outside), so the
forces equal the plain path's to float tolerance (tests/calculators).

The positions given are wrapped into the cell by the model; an atom crossing the
boundary jumps by a cell vector, which exceeds s/2 and forces a rebuild, so the
kept periodic shifts stay right. For fixed cells (NVT) and a fixed set of atoms:
a change of atom count or cell shape rebuilds. The displacement check is one
device → host read per call (a rebuild costs several).
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
        if self._out is not None and self._still_valid(positions, cell):
            return self._out
        cut = torch.as_tensor(cutoff, device=positions.device, dtype=positions.dtype)
        cut = cut + self.skin_A
        self._out = torchsim_nl(positions, cell, pbc, cut, system_idx, self_interaction)
        self._ref = positions.detach().clone()
        self._cell = cell.detach().clone()
        self.builds += 1
        return self._out

    def _still_valid(self, positions: torch.Tensor, cell: torch.Tensor) -> bool:
        ref = self._ref
        if ref is None or ref.shape != positions.shape or self._cell.shape != cell.shape:  # type: ignore[union-attr]
            return False
        moved = (positions.detach() - ref).norm(dim=-1).max()
        changed = (cell.detach() - self._cell).abs().max()  # type: ignore[operator]
        # one host read for both checks
        return bool((moved <= 0.5 * self.skin_A) & (changed == 0))
