"""What the campaign asks its protocol at each boundary, whichever protocol runs.

The campaign (:mod:`ionmd.campaign.run`, :mod:`ionmd.campaign.distributed`,
:mod:`ionmd.campaign.cost_projection`) holds one :class:`CampaignProtocol`, picked
once from the config (:func:`ionmd.campaign.protocols.protocol_of`), and calls
its methods instead of testing which protocol it is: which systems run in which
batches, how one batch runs (the same call in this process and on an executor's
worker), what a scale-out task of a batch carries, what ``ionmd plan`` projects,
and what is gathered before the analysis.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ionmd.engine.systems import SystemSpec

if TYPE_CHECKING:
    from ionmd.campaign.campaign_json import CampaignRecord
    from ionmd.campaign.config import CampaignConfig
    from ionmd.campaign.plan import CampaignPlan
    from ionmd.campaign.plan_cost import PlanCost


@dataclass(frozen=True, kw_only=True)
class PlanProjection:
    """The protocol's part of ``ionmd plan``: the batches it counts and the
    sections it adds to the plan (the adaptive protocol's ``adaptive``)."""

    n_batches: int | None  # None: unknown (no memory figure for the model)
    sections: dict[str, Any] = field(default_factory=dict)


class CampaignProtocol(Protocol):
    """A campaign protocol: ``"study"`` (fixed batches, every system for
    ``duration_ps``) or ``"adaptive"`` (one in-flight batch with refills)."""

    #: "study" or "adaptive", as the config's ``protocol`` key says
    name: str
    config: CampaignConfig

    def check_systems(
        self,
        previous_inputs: Mapping[str, Any] | None,
        *,
        systems: Mapping[str, str],
        with_data: set[str],
        out: Path,
    ) -> None:
        """Refuse (InputError) systems this protocol cannot add to OUT's data,
        beyond the content check both protocols share."""

    def batches(
        self,
        *,
        plan: CampaignPlan,
        model: Any,
        previous: CampaignRecord | None,
        out: Path,
        on_executor: bool,
    ) -> list[list[SystemSpec]]:
        """The batches the planned systems run in (one run file each)."""

    def run_batch(
        self,
        *,
        model: Any,
        model_info: Mapping[str, str],
        systems: Sequence[SystemSpec],
        path: Path,
        resume: bool,
        share: int | None = None,
    ) -> dict[str, Any]:
        """Run (or resume) one batch into ``path``; its cost record
        (:func:`ionmd.campaign.cost.cost_record`). A batch that does not fit and
        can be split raises :class:`ionmd.campaign.memory.BatchOutOfMemoryError`.
        ``share``: the executor share it is (its own state file), None in-process."""

    def task_kwargs(
        self,
        *,
        index: int,
        batch: Sequence[SystemSpec],
        total_atoms: int,
        worker_config: CampaignConfig,
    ) -> dict[str, Any]:
        """The keyword arguments of batch ``index``'s scale-out task beyond its
        systems and run file (:func:`ionmd.campaign.distributed.run_md_batch`)."""

    def gather(self, out: Path) -> None:
        """After the batches, before the analysis: join what the batches wrote
        apart (the adaptive shares' states)."""

    def project(
        self,
        rows: list[dict[str, Any]],
        *,
        n_fixed_batches: int | None,
        cost: PlanCost,
        limit: tuple[int | None, str],
    ) -> PlanProjection:
        """``ionmd plan``'s part of this protocol, given the runnable rows (whose
        atom-steps and hours it may set), the fixed-batch packing (None: unknown),
        the model's cost per atom-step and the batch limit with its source."""


__all__ = ["CampaignProtocol", "PlanProjection"]
