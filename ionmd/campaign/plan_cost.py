"""``ionmd plan``'s cost per atom-step and atoms per batch for the configured
model and device, each with the sentence that says where it comes from.

Cost: ``--us-per-atom-step`` when given, else the model's own anchor
(:mod:`ionmd.campaign.cost_anchors`), else none ("no anchor": no cost is
printed, rather than another model's figure).

Atoms per batch (what ``ionmd run`` packs to): ``max_atoms_per_batch`` when set;
on the CPU no limit (one batch, as the run does); on a GPU the memory model of
:mod:`ionmd.campaign.memory` with the model's bytes per atom and the memory of
this machine's GPU (free now), else of the card the cost anchor was measured on,
else of an H100 (assumed). No memory anchor: the batch count is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass

from ionmd.campaign.config import CampaignConfig
from ionmd.campaign.cost_anchors import DEFAULT_CARD, cost_anchor, memory_anchor


@dataclass(frozen=True, kw_only=True)
class PlanCost:
    us_per_atom_step: float | None  # None: no anchor
    card: str | None
    source: str

    def hours(self, atom_steps: float) -> float | None:
        if self.us_per_atom_step is None:
            return None
        return atom_steps * self.us_per_atom_step * 1e-6 / 3600.0

    def describe(self) -> str:
        """``3.02 us/atom-step on H100 80 GB (published: ...)`` or the no-anchor line."""
        if self.us_per_atom_step is None:
            return self.source
        return f"{self.us_per_atom_step:g} us/atom-step on {self.card} ({self.source})"


def plan_cost(config: CampaignConfig, *, us_given: float | None) -> PlanCost:
    """The cost per atom-step of ``config.model``: given, its anchor, or none."""
    if us_given is not None:
        return PlanCost(
            us_per_atom_step=us_given, card="the device measured",
            source="given: --us-per-atom-step",
        )  # fmt: skip
    anchor = cost_anchor(config.model)
    if anchor is None:
        return PlanCost(
            us_per_atom_step=None,
            card=None,
            source=f"no anchor for model {config.model}: no cost projected (measure it "
            "with ionmd bench and pass --us-per-atom-step)",
        )
    return PlanCost(
        us_per_atom_step=anchor.us_per_atom_step,
        card=anchor.card.label,
        source=anchor.source,
    )


def _gpu_memory(config: CampaignConfig) -> tuple[float, str]:
    """(bytes, which card): this machine's GPU (free now), else the cost anchor's
    card, else an H100 (assumed)."""
    import torch

    if torch.cuda.is_available():
        free, _ = torch.cuda.mem_get_info()
        return free, f"{free / 1e9:.0f} GB free on {torch.cuda.get_device_name()}"
    anchor = cost_anchor(config.model)
    card = anchor.card if anchor and anchor.card.memory_GB else DEFAULT_CARD
    assert card.memory_GB is not None
    assumed = "" if card is not DEFAULT_CARD else " (assumed: no GPU here)"
    return card.memory_GB * 1e9, f"{card.memory_GB:g} GB of an {card.name}{assumed}"


def plan_batch_limit(config: CampaignConfig) -> tuple[int | None, str]:
    """(atoms per batch: 0 no limit, None not known; the sentence why)."""
    from ionmd.campaign.memory import FILL, atoms_that_fit

    if config.max_atoms_per_batch > 0:
        n = config.max_atoms_per_batch
        return n, f"max_atoms_per_batch = {n} atoms"  # the config's limit, with its number
    if config.device == "cpu":
        return 0, "device cpu: one batch, no memory limit (as ionmd run)"
    anchor = memory_anchor(config.model)
    if anchor is None:
        return None, (
            f"batches not known: no memory anchor for model {config.model} "
            "(set max_atoms_per_batch, or ionmd run measures it on the GPU)"
        )
    free, card = _gpu_memory(config)
    n = atoms_that_fit(free_bytes=free, bytes_per_atom=anchor.bytes_per_atom)
    return n, (
        f"memory model: {FILL:g} x {card} / {anchor.bytes_per_atom / 1e6:.3g} MB per "
        f"atom ({anchor.source}) = {n} atoms per batch"
    )
