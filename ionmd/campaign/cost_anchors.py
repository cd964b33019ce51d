"""Per-model figures ``ionmd plan`` projects with, each with where it comes from.

Two small tables, one row per model name (``model = "..."``):

- :data:`COST_ANCHORS`: seconds per atom-step on a stated card (µs here), either
  measured (which benchmark, which device) or published, or an estimate and how
  it was made. A model without a row has **no anchor**: the plan says so and
  prints no cost rather than borrowing another model's figure.
- :data:`MEMORY_ANCHORS`: bytes per atom of one float32 force evaluation, what
  :mod:`ionmd.campaign.memory` measures on a CUDA device at run time; the plan
  divides a card's memory by it to count batches without loading the model.

Replace a row when a device check measures the model (``ionmd bench``,
``benchmarks/gpu_check.py``: µs per atom-step and peak bytes per atom).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Card:
    """A device the figures were measured on, and its memory (GB, 1e9 bytes)."""

    name: str
    memory_GB: float | None  # None: the CPU (no device memory limit in ionmd run)

    @property
    def label(self) -> str:
        """``H100 (80 GB)`` or the CPU's name."""
        return (
            self.name if self.memory_GB is None else f"{self.name} ({self.memory_GB:g} GB)"
        )


H100 = Card(name="H100", memory_GB=80.0)
A100_40 = Card(name="A100-SXM4", memory_GB=40.0)
CPU_2 = Card(name="CPU (2 shared cores)", memory_GB=None)
CPU_1 = Card(name="CPU (one core)", memory_GB=None)


@dataclass(frozen=True, kw_only=True)
class CostAnchor:
    us_per_atom_step: float
    card: Card
    source: str


@dataclass(frozen=True, kw_only=True)
class MemoryAnchor:
    bytes_per_atom: float
    source: str


_NIM = (
    "published: NVIDIA's batched MACE-MP-0b2 large, NVT (NIM docs; B200 2.16, "
    "A100 6.65, L40S 6.17 us)"
)
_STUDY = (
    "estimate from the study's Table 1: median 47 min per 100 ps (50,000 steps) "
    "over ~260 atoms (5,716 atoms / 22 materials), ASE one system at a time: an "
    "upper bound for the batched engine"
)
_PLAN_MEMORY = "estimate: CPU peak RSS per atom, float32 (python -m benchmarks.plan_memory)"

COST_ANCHORS: dict[str, CostAnchor] = {
    "mace:large-0b2": CostAnchor(us_per_atom_step=3.02, card=H100, source=_NIM),
    "mace:medium-mpa-0": CostAnchor(us_per_atom_step=217.0, card=A100_40, source=_STUDY),
    "mace-mpa0-arch": CostAnchor(us_per_atom_step=217.0, card=A100_40, source=_STUDY),
    "sevennet-0": CostAnchor(
        us_per_atom_step=18_000.0,
        card=CPU_2,
        source="measured: SevenNet-0 via ASE, 81 atoms, 1.5 s per force call "
        "(reference NOTES)",
    ),
    "chgnet": CostAnchor(
        us_per_atom_step=18_750.0,
        card=CPU_2,
        source="measured: python -m benchmarks.chgnet_without_mace, 2 x 32 atoms "
        "float64, ~1.2 s/step (docs/models.md)",
    ),
    "toy": CostAnchor(
        us_per_atom_step=67.0,
        card=CPU_1,
        source="measured: 1.5e4 atom-steps/s (docs/toy_conductor.md)",
    ),
}

MEMORY_ANCHORS: dict[str, MemoryAnchor] = {
    # medium-mpa-0's own weights cannot be fetched here: its architecture's figure
    "mace:medium-mpa-0": MemoryAnchor(
        bytes_per_atom=7.11e6, source=_PLAN_MEMORY + " on mace-mpa0-arch, its architecture"
    ),
    "mace-mpa0-arch": MemoryAnchor(bytes_per_atom=7.11e6, source=_PLAN_MEMORY),
    "mace-tiny": MemoryAnchor(bytes_per_atom=2.78e5, source=_PLAN_MEMORY),
    "sevennet-0": MemoryAnchor(bytes_per_atom=6.68e6, source=_PLAN_MEMORY),
    "chgnet": MemoryAnchor(bytes_per_atom=3.59e6, source=_PLAN_MEMORY),
    "toy": MemoryAnchor(bytes_per_atom=6.94e3, source=_PLAN_MEMORY),
    "lj": MemoryAnchor(bytes_per_atom=1.29e4, source=_PLAN_MEMORY),
}

#: the card a GPU plan assumes when neither this machine nor the anchor has one
DEFAULT_CARD = H100

_ALIASES = {"toy-conductor": "toy", "chgnet:0.3.0": "chgnet"}


def anchor_key(model: str) -> str:
    """The tables' name for ``model`` (aliases folded, spaces stripped)."""
    name = model.strip()
    return _ALIASES.get(name, name)


def cost_anchor(model: str) -> CostAnchor | None:
    """The model's cost anchor, or None: no anchor (no other model's is used)."""
    return COST_ANCHORS.get(anchor_key(model))


def memory_anchor(model: str) -> MemoryAnchor | None:
    """The model's bytes per atom, or None when nothing was measured for it."""
    return MEMORY_ANCHORS.get(anchor_key(model))
