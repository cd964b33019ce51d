"""What :func:`ionmd.campaign.run.run_campaign` returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(kw_only=True)
class CampaignResult:
    """The run files, what failed and why, the cost records and the analysis."""

    out_dir: Path
    run_files: list[Path]
    failed_materials: dict[str, str] = field(default_factory=dict)
    failed_systems: dict[str, str] = field(default_factory=dict)
    batches: list[dict[str, Any]] = field(default_factory=list)
    analysis: dict[str, Any] | None = None
    #: scale-out tasks that failed (key -> one-line reason); empty in-process
    failed_tasks: dict[str, str] = field(default_factory=dict)


__all__ = ["CampaignResult"]
