"""Device-side buffers for what the run file keeps, copied to the host once per
flush (never per step): the subsampled unwrapped mobile-ion frames (relative to
the framework's centre of mass, :mod:`ionmd.engine.frame`), the framework's
centre-of-mass displacement of each frame, the framework's own positions on
their coarser stride (``framework_every_fs``, same frame as the mobile ions) and
the thermodynamics. The MSD lives in :mod:`ionmd.engine.msd`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ionmd.fileformat import SystemUpdate


class Recorder:
    """Collects frames and thermodynamics between flushes.

    Args:
        keys: system keys, in batch order.
        system_idx: ``(n_atoms,)`` system of each atom.
        mobile_mask: ``(n_atoms,)`` True for mobile ions.
    """

    def __init__(
        self, *, keys: Sequence[str], system_idx: torch.Tensor, mobile_mask: torch.Tensor
    ) -> None:
        self.keys = list(keys)
        self._mobile_idx = torch.nonzero(mobile_mask).squeeze(-1)
        self._mobile_sys = system_idx[self._mobile_idx]
        mobile_sys = self._mobile_sys.cpu().numpy()
        # slices of each system's mobile ions inside the mobile block
        counts = np.bincount(mobile_sys, minlength=len(self.keys))
        self._slices = _slices(counts)
        self._fw_idx = torch.nonzero(~mobile_mask).squeeze(-1)
        self._fw_sys = system_idx[self._fw_idx]
        fw_counts = np.bincount(self._fw_sys.cpu().numpy(), minlength=len(self.keys))
        self._fw_slices = _slices(fw_counts)
        self._fw_frames: list[torch.Tensor] = []
        self._fw_steps: list[int] = []
        self._frames: list[torch.Tensor] = []
        self._coms: list[torch.Tensor] = []
        self._frame_steps: list[int] = []
        self._thermo: list[torch.Tensor] = []
        self._thermo_steps: list[int] = []

    def add_frame(
        self,
        *,
        step: int,
        positions: torch.Tensor,
        framework_com: torch.Tensor,
        with_framework: bool = False,
    ) -> None:
        """Keep the mobile ions of ``positions (n_atoms, 3)`` (a device copy) and
        the framework centre-of-mass displacement ``framework_com (n_systems, 3)``
        that was subtracted from them; with ``with_framework`` also the other
        atoms (a framework frame, on the device until the flush like the rest)."""
        self._frames.append(positions.index_select(0, self._mobile_idx).detach().clone())
        self._coms.append(framework_com.detach().to(torch.float64).clone())
        self._frame_steps.append(step)
        if with_framework:
            self._fw_frames.append(positions.index_select(0, self._fw_idx).detach().clone())
            self._fw_steps.append(step)

    def add_thermo(
        self,
        *,
        step: int,
        temperature_K: torch.Tensor,
        potential_energy_eV: torch.Tensor,
        conserved_energy_eV: torch.Tensor,
    ) -> None:
        """Per-system ``(n_systems,)`` values at ``step``."""
        row = torch.stack(
            [temperature_K, potential_energy_eV, conserved_energy_eV]
        ).detach()
        self._thermo.append(row.to(torch.float64))
        self._thermo_steps.append(step)

    def select(
        self, keep: torch.Tensor, *, system_idx: torch.Tensor, mobile_mask: torch.Tensor
    ) -> None:
        """Drop the systems where ``keep`` is False, with their pending data;
        ``system_idx`` and ``mobile_mask`` describe the batch after the drop."""
        rows = keep[self._mobile_sys]
        frames = [f[rows] for f in self._frames]
        fw = [f[keep[self._fw_sys]] for f in self._fw_frames]
        fw_steps = list(self._fw_steps)
        coms = [c[keep] for c in self._coms]
        thermo = [t[:, keep] for t in self._thermo]
        fsteps, tsteps = list(self._frame_steps), list(self._thermo_steps)
        keys = [k for k, ok in zip(self.keys, keep.tolist(), strict=True) if ok]
        self.__init__(keys=keys, system_idx=system_idx, mobile_mask=mobile_mask)
        self._frames, self._frame_steps, self._coms = frames, fsteps, coms
        self._thermo, self._thermo_steps = thermo, tsteps
        self._fw_frames, self._fw_steps = fw, fw_steps

    @property
    def pending(self) -> bool:
        return bool(self._frames or self._thermo)

    def drain(self, *, active: Sequence[bool] | None = None) -> list[SystemUpdate]:
        """Move everything buffered to the host (one copy) as per-system updates."""
        frames = torch.stack(self._frames).cpu().numpy() if self._frames else None
        coms = torch.stack(self._coms).cpu().numpy() if self._coms else None
        thermo = torch.stack(self._thermo).cpu().numpy() if self._thermo else None
        fw = torch.stack(self._fw_frames).cpu().numpy() if self._fw_frames else None
        fw_steps = np.asarray(self._fw_steps, dtype=np.int64)
        fsteps = np.asarray(self._frame_steps, dtype=np.int64)
        tsteps = np.asarray(self._thermo_steps, dtype=np.int64)
        updates = []
        for i, key in enumerate(self.keys):
            if active is not None and not active[i]:
                continue
            up = SystemUpdate(key=key)
            if frames is not None:
                up.positions = frames[:, self._slices[i]]
                up.position_steps = fsteps
                up.framework_com = None if coms is None else coms[:, i]
            if fw is not None:
                up.framework_positions = fw[:, self._fw_slices[i]]
                up.framework_steps = fw_steps
            if thermo is not None:
                up.thermo = {
                    "temperature_K": (tsteps, thermo[:, 0, i]),
                    "potential_energy_eV": (tsteps, thermo[:, 1, i]),
                    "conserved_energy_eV": (tsteps, thermo[:, 2, i]),
                }
            updates.append(up)
        self._frames.clear()
        self._coms.clear()
        self._frame_steps.clear()
        self._thermo.clear()
        self._thermo_steps.clear()
        self._fw_frames.clear()
        self._fw_steps.clear()
        return updates


def _slices(counts: np.ndarray) -> list[slice]:
    """Each system's rows in a block ordered by system, from its row counts."""
    offsets = np.concatenate([[0], np.cumsum(counts)])
    return [slice(int(offsets[i]), int(offsets[i + 1])) for i in range(len(counts))]
