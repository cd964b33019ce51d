"""Walkers of known motion through the on-device MSD accumulator, chunk by chunk.

The adaptive protocol's decisions (ionmd/campaign/adaptive/judge.py) read only
the multiple-window MSD accumulator (``ionmd.engine.msd.MultiWindowMSD``) and the
whole-run lag. This feeds that same accumulator (on the CPU, float64) with atoms
whose motion is known exactly, and hands the judge, at every chunk boundary,
each run's MSD in the shape the loop hands it (``InFlightBatch.msd_results``):

- a *walk*: Poisson hops of ``hop_A`` in random directions at the rate that
  gives ``D_A2_ps`` (``hop_A`` = 0: Gaussian steps), the picture of Li in a solid
  electrolyte (the hopping walkers of tests/numerics/test_diffusion_estimate.py);
- a *vibration* (or a cage): an Ornstein-Uhlenbeck displacement about the walk
  with relaxation time ``cage_ps`` and plateau MSD ``plateau_A2`` (the MSD of
  the displacement between two uncorrelated times, 2·3σ²), so a crystal's
  thermal plateau, or with a long ``cage_ps`` and no walk a caged ion whose MSD
  levels off.

Used by benchmarks/adaptive_stopping_bias.py and adaptive_outcomes.py and by
their fast tests.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True, kw_only=True)
class Motion:
    """How one kind of atom moves (see the module doc)."""

    D_A2_ps: float = 0.0
    hop_A: float = 0.0
    plateau_A2: float = 0.0
    cage_ps: float = 0.05


def _ou_step(
    x: np.ndarray, *, motion: Motion, dt_ps: float, rng: np.random.Generator
) -> np.ndarray:
    """One exact Ornstein-Uhlenbeck step of the displacement about the site."""
    if motion.plateau_A2 <= 0:
        return x
    var = motion.plateau_A2 / 6.0  # per axis: plateau = 2 · 3 · var
    keep = math.exp(-dt_ps / motion.cage_ps)
    return x * keep + rng.normal(scale=math.sqrt(var * (1 - keep * keep)), size=x.shape)


def _walk_step(
    site: np.ndarray, *, motion: Motion, dt_ps: float, rng: np.random.Generator
) -> None:
    """Move the sites by one sample's walk, in place."""
    if motion.D_A2_ps <= 0:
        return
    if motion.hop_A <= 0:
        site += rng.normal(scale=math.sqrt(2 * motion.D_A2_ps * dt_ps), size=site.shape)
        return
    rate = 6 * motion.D_A2_ps / motion.hop_A**2
    hop = rng.random(site.shape[0]) < rate * dt_ps
    if hop.any():
        u = rng.normal(size=(int(hop.sum()), 3))
        site[hop] += motion.hop_A * u / np.linalg.norm(u, axis=1, keepdims=True)


def chunks(
    *,
    li: list[Motion],
    framework: list[Motion] | None = None,
    n_ions: int,
    n_framework: int = 0,
    stride_ps: float,
    chunk_ps: float,
    max_ps: float,
    seed: int,
    frame_every: int = 0,
) -> Iterator[tuple[float, list[dict[str, object]], np.ndarray | None]]:
    """Yields ``(run_ps, msd, frames)`` at every chunk boundary up to ``max_ps``: one
    run per entry of ``li`` (and of ``framework``, the same length), ``msd[i]``
    run i's arrays as the loop hands them to ``system_numbers`` (``lag_ps``,
    ``mobile_A2``, ``framework_A2``, ``n_origins``, ``mobile_whole_run_A2``,
    ``framework_whole_run_A2``); ``frames (F, n_runs, n_ions, 3)`` the Li
    positions every ``frame_every`` samples in this chunk (the first chunk
    starts with the first sample), None when ``frame_every`` is 0 (a stored
    trajectory, for the analysis's estimator)."""
    from ionmd.engine.msd import MultiWindowMSD

    n_runs = len(li)
    fw = framework or [Motion()] * n_runs
    rng = np.random.default_rng(seed)
    per = n_ions + n_framework
    idx = torch.arange(n_runs).repeat_interleave(per)
    mobile = torch.tensor(([True] * n_ions + [False] * n_framework) * n_runs)
    acc = MultiWindowMSD(
        system_idx=idx, mobile_mask=mobile, n_systems=n_runs, stride_steps=1
    )
    motions = [m for i in range(n_runs) for m in [li[i]] * n_ions + [fw[i]] * n_framework]
    groups: dict[Motion, np.ndarray] = {}
    for a, m in enumerate(motions):
        groups.setdefault(m, []).append(a)  # type: ignore[attr-defined]
    groups = {m: np.asarray(a) for m, a in groups.items()}
    site = np.zeros((idx.numel(), 3))
    vib = np.zeros_like(site)
    for m, a in groups.items():  # start the vibration in equilibrium
        vib[a] = rng.normal(scale=math.sqrt(m.plateau_A2 / 6.0), size=(a.size, 3))
    start = site + vib
    acc.sample(torch.from_numpy(start.copy()))
    per_chunk = round(chunk_ps / stride_ps)
    n_chunks = round(max_ps / chunk_ps)
    is_li = mobile.numpy().reshape(n_runs, per)

    def li_now() -> np.ndarray:
        return (site + vib).reshape(n_runs, per, 3)[:, :n_ions].copy()

    frames = [li_now()] if frame_every else []
    for c in range(1, n_chunks + 1):
        for k in range(1, per_chunk + 1):
            for m, a in groups.items():
                s = site[a]
                _walk_step(s, motion=m, dt_ps=stride_ps, rng=rng)
                site[a] = s
                vib[a] = _ou_step(vib[a], motion=m, dt_ps=stride_ps, rng=rng)
            acc.sample(torch.from_numpy(site + vib))
            if frame_every and ((c - 1) * per_chunk + k) % frame_every == 0:
                frames.append(li_now())
        res = acc.result()
        sq = (((site + vib) - start) ** 2).sum(-1).reshape(n_runs, per)
        out = []
        for i in range(n_runs):
            out.append(
                {
                    "lag_ps": res["lag_steps"] * stride_ps,
                    "mobile_A2": res["mobile_A2"][i],
                    "framework_A2": res["framework_A2"][i],
                    "n_origins": res["n_origins"],
                    "mobile_whole_run_A2": float(sq[i][is_li[i]].mean()),
                    "framework_whole_run_A2": float(sq[i][~is_li[i]].mean())
                    if n_framework
                    else 0.0,
                }
            )
        yield c * chunk_ps, out, (np.stack(frames) if frames else None)
        frames = []
