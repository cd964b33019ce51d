"""The adaptive protocol (docs/adaptive.md): one in-flight batch that systems
enter and leave as they are judged (:mod:`ionmd.campaign.adaptive`), or on an
executor one such batch per share of whole materials; out of memory halves the
batch's capacity (:mod:`ionmd.campaign.adaptive.run_adaptive`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ionmd.campaign.adaptive.settings import AdaptiveSettings
from ionmd.campaign.protocols.interface import PlanProjection
from ionmd.engine.systems import SystemSpec

if TYPE_CHECKING:
    from ionmd.campaign.adaptive.loop import AdaptiveLoop
    from ionmd.campaign.campaign_json import CampaignRecord
    from ionmd.campaign.config import CampaignConfig
    from ionmd.campaign.plan import CampaignPlan
    from ionmd.campaign.plan_cost import PlanCost


@dataclass(frozen=True, kw_only=True)
class AdaptiveProtocol:
    """One in-flight batch per run file, refilled from the queue."""

    config: CampaignConfig
    settings: AdaptiveSettings
    name: str = "adaptive"

    def check_systems(
        self,
        previous_inputs: Mapping[str, Any] | None,
        *,
        systems: Mapping[str, str],
        with_data: set[str],
        out: Path,
    ) -> None:
        """The initial systems OUT's loop started with, no others."""
        from ionmd.campaign.adaptive.same_systems import check_same_initial_systems

        if with_data:
            check_same_initial_systems(previous_inputs, keys=systems, out=out)

    def batches(
        self,
        *,
        plan: CampaignPlan,
        model: Any,
        previous: CampaignRecord | None,
        out: Path,
        on_executor: bool,
    ) -> list[list[SystemSpec]]:
        """One in-flight batch of every system; on an executor one per share of
        whole materials (:func:`ionmd.campaign.adaptive.shares.plan_shares`)."""
        from ionmd.campaign.adaptive.shares import plan_shares

        if not on_executor:
            return [list(plan.systems)]
        return plan_shares(plan.systems, max_atoms=self.config.max_atoms_per_batch)

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
        """The adaptive loop over ``systems`` (it resumes from its own state,
        whatever ``resume``), halving its capacity on out of memory."""
        from ionmd.campaign.adaptive.run_adaptive import run_adaptive
        from ionmd.campaign.adaptive.shares import capacity_atoms

        config = self.config
        capacity = capacity_atoms(
            model,
            systems,
            max_atoms=config.max_atoms_per_batch,
            with_stress=config.cell == "npt",  # its stage runs in the batch
        )

        def make_loop(capacity: int) -> AdaptiveLoop:
            return self._loop(
                model, model_info=model_info, systems=systems, path=path,
                capacity=capacity, share=share,
            )  # fmt: skip

        return run_adaptive(make_loop, capacity_atoms=capacity)

    def _loop(
        self,
        model: Any,
        *,
        model_info: Mapping[str, str],
        systems: Sequence[SystemSpec],
        path: Path,
        capacity: int,
        share: int | None,
    ) -> AdaptiveLoop:
        from ionmd.campaign.adaptive.loop import AdaptiveLoop
        from ionmd.campaign.adaptive.shares import share_state_name
        from ionmd.cells.npt_phase import npt_phase

        config = self.config
        own_state = (
            {} if share is None else {"state_path": path.parent / share_state_name(share)}
        )
        return AdaptiveLoop(
            model,
            md=config.md,
            settings=self.settings,
            systems=list(systems),
            capacity_atoms=capacity,
            out_path=path,
            model_name=model_info["model_name"],
            model_version=model_info["model_version"],
            run_config=config.as_dict(),
            fingerprint_protocol=config.protocol_fingerprint(),
            # cell = "npt": every system (an added temperature too) runs its
            # own NPT stage in the loop before its production
            stage=npt_phase(model=model, config=config),
            **own_state,
        )

    def task_kwargs(
        self,
        *,
        index: int,
        batch: Sequence[SystemSpec],
        total_atoms: int,
        worker_config: CampaignConfig,
    ) -> dict[str, Any]:
        """This share's loop, with its part of the budget (in proportion to its
        initial atoms)."""
        share_atoms = sum(len(s.atoms) for s in batch)  # type: ignore[arg-type]
        budget = self.settings.max_atom_steps * share_atoms / max(total_atoms, 1)
        return {"config": worker_config.replace(max_atom_steps=budget), "share": index}

    def gather(self, out: Path) -> None:
        """The shares' states joined into one ``adaptive.json``."""
        from ionmd.campaign.adaptive.shares import merge_states

        merge_states(out)

    def project(
        self,
        rows: list[dict[str, Any]],
        *,
        n_fixed_batches: int | None,
        cost: PlanCost,
        limit: tuple[int | None, str],
    ) -> PlanProjection:
        """One in-flight batch; the rows' worst cases and the ``adaptive`` section
        (:func:`ionmd.campaign.adaptive.queue_projection.adaptive_projection`)."""
        from ionmd.campaign.adaptive.queue_projection import adaptive_projection

        section = adaptive_projection(rows, config=self.config, cost=cost, limit=limit)
        for r in rows:
            r["batches"] = []
        return PlanProjection(n_batches=1, sections={"adaptive": section})


__all__ = ["AdaptiveProtocol"]
