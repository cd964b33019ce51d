"""The study protocol (the reference study's): fixed batches packed to the
memory limit, every system run for ``duration_ps``; a batch that runs out of
memory is split in two by the campaign loop (:mod:`ionmd.campaign.batch_loop`)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ionmd.campaign.cost import batch_cost
from ionmd.campaign.memory import auto_max_atoms, batch_out_of_memory
from ionmd.campaign.plan import plan_batches
from ionmd.campaign.protocols.interface import PlanProjection
from ionmd.cells.npt_phase import npt_phase
from ionmd.engine.runner import run_batch
from ionmd.engine.systems import SystemSpec

if TYPE_CHECKING:
    from ionmd.campaign.campaign_json import CampaignRecord
    from ionmd.campaign.config import CampaignConfig
    from ionmd.campaign.plan import CampaignPlan
    from ionmd.campaign.plan_cost import PlanCost


@dataclass(frozen=True, kw_only=True)
class StudyProtocol:
    """Fixed batches of systems that all run ``duration_ps``."""

    config: CampaignConfig
    name: str = "study"

    def check_systems(
        self,
        previous_inputs: Mapping[str, Any] | None,
        *,
        systems: Mapping[str, str],
        with_data: set[str],
        out: Path,
    ) -> None:
        """Nothing beyond the content check: a new material runs in a batch of its own."""

    def batches(
        self,
        *,
        plan: CampaignPlan,
        model: Any,
        previous: CampaignRecord | None,
        out: Path,
        on_executor: bool,
    ) -> list[list[SystemSpec]]:
        """Packed to ``max_atoms_per_batch`` (else the device's measured limit),
        the batches with data in OUT kept as they were."""
        max_atoms = self.config.max_atoms_per_batch or auto_max_atoms(
            model,
            plan.systems,
            with_stress=self.config.cell == "npt",  # the stage runs in the batch
        )
        return plan_batches(
            plan.systems,
            previous_plan=(previous.plan if previous else None) or [],
            max_atoms=max_atoms,
            out=out,
        )

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
        """The engine's fixed-length batch; an allocation failure of two or more
        systems raises the one translation
        (:func:`ionmd.campaign.memory.batch_out_of_memory`)."""
        md = self.config.md
        t0 = time.perf_counter()
        try:
            summary = run_batch(
                list(systems),
                model,
                md=md,
                out_path=path,
                model_name=model_info["model_name"],
                model_version=model_info["model_version"],
                resume=resume,
                run_config=self.config.as_dict(),
                stage=npt_phase(model=model, config=self.config),
            )
        except (RuntimeError, MemoryError) as exc:
            n_atoms = sum(len(s.atoms) for s in systems)  # type: ignore[arg-type]
            oom = batch_out_of_memory(exc, n_systems=len(systems), n_atoms=n_atoms)
            if oom is None:
                raise
            raise oom from None
        wall_s = time.perf_counter() - t0
        cost = batch_cost(summary, path=path, wall_s=wall_s, timestep_fs=md.timestep_fs)
        if summary.stage_records:  # cell = "npt": each system's stage (report)
            cost["cells"] = summary.stage_records
        return cost

    def task_kwargs(
        self,
        *,
        index: int,
        batch: Sequence[SystemSpec],
        total_atoms: int,
        worker_config: CampaignConfig,
    ) -> dict[str, Any]:
        return {"config": worker_config}

    def gather(self, out: Path) -> None:
        """Nothing: each batch's run file is complete in itself."""

    def project(
        self,
        rows: list[dict[str, Any]],
        *,
        n_fixed_batches: int | None,
        cost: PlanCost,
        limit: tuple[int | None, str],
    ) -> PlanProjection:
        return PlanProjection(n_batches=n_fixed_batches)


__all__ = ["StudyProtocol"]
