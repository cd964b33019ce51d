"""On-device multiple-window MSD (order-n algorithm).

Dubbeldam, Ford, Ellis & Snurr, Mol. Simul. 35, 1084 (2009). Samples are taken
every ``stride_steps`` MD steps after equilibration (sample counter c = 0, 1, …).
Level k keeps a ring buffer of the last B positions sampled every B^k samples;
when level k takes a sample it compares it with the j-th previous entry of its
buffer, j = 1 … B−1, which gives the lags

    lag = j · B^k · stride_steps     (j = 1 … B−1, k = 0 … K−1)

— a logarithmic grid with B − 1 lags per decade, each averaged *exactly* over
the time origins t0 ∈ {0, B^k, 2·B^k, …} (in samples) with t0 + lag inside the
run. Memory is O(K · B · n_atoms), independent of the run length up to the
log K; the trajectory never leaves the device.

Open-ended runs (the adaptive protocol, whose length is decided as it goes) give
no ``n_samples``: a level is added when the sample counter first reaches B^K,
seeded with the first sample (still in the slot 0 of level K−1 at that moment),
so the accumulators are identical to those of an instance pre-sized with enough
levels (tested bitwise).

Accumulated per system, for each lag:
- tracer MSD of the mobile ions (mean over ions and origins), Å²;
- tracer MSD of the framework (all other atoms), Å²;
- collective MSD  <|Σ_i Δr_i|²>  over the mobile ions (not divided by M), Å²:
  the charge displacement for conductivity with cross-correlations.
"""

from __future__ import annotations

import math

import numpy as np
import torch


def n_levels(*, n_samples: int, block_size: int) -> int:
    """Levels K needed so the longest lag reaches the last of ``n_samples``."""
    if n_samples < 2:
        return 1
    return int(math.floor(math.log(n_samples - 1, block_size) + 1e-9)) + 1


class MultiWindowMSD:
    """Accumulates per-system MSDs on the device.

    Args:
        system_idx: ``(n_atoms,)`` system of each atom.
        mobile_mask: ``(n_atoms,)`` bool, True for the mobile species.
        n_systems: number of systems.
        stride_steps: MD steps between samples.
        n_samples: samples the run will take (sets the number of levels); None:
            open-ended, levels are added as the run grows.
        block_size: B, lags per decade + 1.
    """

    def __init__(
        self,
        *,
        system_idx: torch.Tensor,
        mobile_mask: torch.Tensor,
        n_systems: int,
        stride_steps: int,
        n_samples: int | None = None,
        block_size: int = 10,
    ) -> None:
        device = system_idx.device
        self.B = int(block_size)
        self.K = (
            1 if n_samples is None else n_levels(n_samples=n_samples, block_size=self.B)
        )
        self.stride_steps = int(stride_steps)
        self._setup(system_idx=system_idx, mobile_mask=mobile_mask, n_systems=n_systems)
        self._buf: torch.Tensor | None = None
        self._n_atoms = int(system_idx.shape[0])
        self.n_taken = 0  # samples taken so far (host counter: no device sync)
        self._stored = [0] * self.K  # entries written per level
        self.sum_group = torch.zeros(
            (self.K, self.B, 2 * n_systems), dtype=torch.float64, device=device
        )
        self.sum_collective = torch.zeros(
            (self.K, self.B, n_systems), dtype=torch.float64, device=device
        )
        self.count = np.zeros((self.K, self.B), dtype=np.int64)
        # ring-buffer slots j = 1 … B−1 back from each head, on the device: a
        # sample indexes with a slice of this, not a host list (no host → device
        # copy per sample)
        self._back = torch.tensor(
            [[(h - j) % self.B for j in range(1, self.B)] for h in range(self.B)],
            dtype=torch.long,
            device=device,
        )

    def _setup(
        self, *, system_idx: torch.Tensor, mobile_mask: torch.Tensor, n_systems: int
    ) -> None:
        self.n_systems = int(n_systems)
        self._system_idx = system_idx
        self._mobile = mobile_mask.to(system_idx.device)
        # group index: 2*system + (0 mobile, 1 framework)
        self._group = 2 * system_idx + (~self._mobile).long()
        self._mobile_sys = torch.where(
            self._mobile, system_idx, torch.full_like(system_idx, n_systems)
        )
        self.n_mobile = torch.bincount(system_idx[self._mobile], minlength=n_systems)
        self.n_framework = torch.bincount(system_idx[~self._mobile], minlength=n_systems)

    def select(self, keep: torch.Tensor) -> None:
        """Keep only the systems where ``keep (n_systems,)`` is True (a failed
        system leaves the batch); the others' accumulators are untouched."""
        keep = keep.to(self._system_idx.device)
        atoms = keep[self._system_idx]
        remap = torch.cumsum(keep.long(), 0) - 1
        new_idx = remap[self._system_idx[atoms]]
        self.sum_group = self.sum_group.view(self.K, self.B, self.n_systems, 2)[
            :, :, keep
        ].reshape(self.K, self.B, -1)
        self.sum_collective = self.sum_collective[:, :, keep]
        if self._buf is not None:
            self._buf = self._buf[:, :, atoms]
        self._n_atoms = int(atoms.sum())
        self._setup(
            system_idx=new_idx, mobile_mask=self._mobile[atoms], n_systems=int(keep.sum())
        )

    def sample(self, positions: torch.Tensor) -> None:
        """Take the next sample; ``positions (n_atoms, 3)`` unwrapped, Å."""
        if self._buf is None:
            self._buf = torch.zeros(
                (self.K, self.B, self._n_atoms, 3),
                dtype=positions.dtype,
                device=positions.device,
            )
        c = self.n_taken
        if c > 0 and c == self.B**self.K:
            self._add_level()
        for k in range(self.K):
            if c % (self.B**k) != 0:
                break
            n_prev = min(self._stored[k], self.B - 1)
            head = self._stored[k] % self.B
            if n_prev > 0:
                back = self._back[head, :n_prev]
                prev = self._buf[k].index_select(0, back)  # (J, n_atoms, 3)
                dr = positions.unsqueeze(0) - prev
                sq = (dr * dr).sum(-1).to(torch.float64)  # (J, n_atoms)
                grp = torch.zeros(
                    (n_prev, 2 * self.n_systems), dtype=torch.float64, device=sq.device
                )
                grp.index_add_(1, self._group, sq)
                col = torch.zeros(
                    (n_prev, self.n_systems + 1, 3), dtype=torch.float64, device=sq.device
                )
                col.index_add_(1, self._mobile_sys, dr.to(torch.float64))
                self.sum_group[k, 1 : n_prev + 1] += grp
                self.sum_collective[k, 1 : n_prev + 1] += (col[:, :-1] ** 2).sum(-1)
                self.count[k, 1 : n_prev + 1] += 1
            self._buf[k, head] = positions
            self._stored[k] += 1
        self.n_taken += 1

    def _add_level(self) -> None:
        """Level K, holding the first sample (c = 0, still in slot 0 of level
        K − 1 until this sample overwrites it)."""
        B, dev = self.B, self.sum_group.device
        zeros = torch.zeros((1, *self.sum_group.shape[1:]), dtype=torch.float64, device=dev)
        self.sum_group = torch.cat([self.sum_group, zeros])
        zeros = torch.zeros(
            (1, *self.sum_collective.shape[1:]), dtype=torch.float64, device=dev
        )
        self.sum_collective = torch.cat([self.sum_collective, zeros])
        self.count = np.concatenate([self.count, np.zeros((1, B), dtype=np.int64)])
        if self._buf is not None:
            level = torch.zeros_like(self._buf[:1])
            level[0, 0] = self._buf[self.K - 1, 0]
            self._buf = torch.cat([self._buf, level])
        self._stored.append(1)
        self.K += 1

    def lag_steps(self) -> np.ndarray:
        """``(K, B)`` lag of each accumulator slot in MD steps (slot j = 0 unused)."""
        k = np.arange(self.K)[:, None]
        j = np.arange(self.B)[None, :]
        return j * (self.B**k) * self.stride_steps

    def result(self) -> dict[str, np.ndarray]:
        """Per-system MSDs on the lags that have at least one origin.

        Returns arrays keyed as in the run file: ``lag_steps (L,)``,
        ``n_origins (L,)``, and ``mobile_A2``, ``framework_A2``,
        ``collective_A2`` each ``(n_systems, L)``.
        """
        lags = self.lag_steps().ravel()
        counts = self.count.ravel()
        keep = np.flatnonzero(counts > 0)
        order = keep[np.argsort(lags[keep], kind="stable")]
        grp = self.sum_group.reshape(self.K * self.B, self.n_systems, 2).cpu().numpy()
        col = self.sum_collective.reshape(self.K * self.B, self.n_systems).cpu().numpy()
        n_mob = self.n_mobile.cpu().numpy().astype(np.float64)
        n_fw = self.n_framework.cpu().numpy().astype(np.float64)
        c = counts[order].astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            mobile = grp[order, :, 0] / (c[:, None] * n_mob[None, :])
            framework = grp[order, :, 1] / (c[:, None] * n_fw[None, :])
            collective = col[order] / c[:, None]
        return {
            "lag_steps": lags[order].astype(np.int64),
            "n_origins": counts[order].astype(np.int64),
            "mobile_A2": mobile.T,
            "framework_A2": np.where(n_fw[:, None] > 0, framework.T, np.nan),
            "collective_A2": collective.T,
        }

    # --- checkpointing -------------------------------------------------------
    def state_dict(self) -> dict[str, object]:
        return {
            "buf": None if self._buf is None else self._buf.cpu(),
            "n_taken": self.n_taken,
            "stored": list(self._stored),
            "sum_group": self.sum_group.cpu(),
            "sum_collective": self.sum_collective.cpu(),
            "count": self.count.copy(),
        }

    def load_state_dict(self, state: dict[str, object]) -> None:
        device = self.sum_group.device
        buf = state["buf"]
        self._buf = None if buf is None else buf.to(device)  # type: ignore[union-attr]
        self.n_taken = int(state["n_taken"])  # type: ignore[arg-type]
        self._stored = [int(x) for x in state["stored"]]  # type: ignore[union-attr]
        self.K = len(self._stored) or self.K
        self.sum_group = state["sum_group"].to(device)  # type: ignore[union-attr]
        self.sum_collective = state["sum_collective"].to(device)  # type: ignore[union-attr]
        self.count = np.asarray(state["count"]).copy()


def system_msd(
    result: dict[str, np.ndarray], i: int, *, timestep_fs: float
) -> dict[str, np.ndarray]:
    """System ``i``'s curves from :meth:`MultiWindowMSD.result`, as the run file's
    /msd group stores them (``lag_ps`` added)."""
    lag = result["lag_steps"]
    return {
        "lag_steps": lag,
        "lag_ps": lag * timestep_fs * 1e-3,
        "mobile_A2": result["mobile_A2"][i],
        "framework_A2": result["framework_A2"][i],
        "collective_A2": result["collective_A2"][i],
        "n_origins": result["n_origins"],
    }
