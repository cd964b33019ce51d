"""campaign.json as a typed record: what was asked, the plan, what failed and why,
the cost per batch and the status.

Both runners (in-process and executor) keep one :class:`CampaignRecord` and write
it with :meth:`CampaignRecord.save`; the JSON keys are those ``ionmd status``, the
analysis and earlier ionmd versions read. Keys this version does not know are
kept through a read-modify-write (``other``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ionmd.caller import option
from ionmd.errors import InputError
from ionmd.outputs import write_text_atomic

#: keys written only once they have a value (absent from older records)
_OPTIONAL = ("oom_splits", "failed_tasks", "analysed")


@dataclass(kw_only=True)
class CampaignRecord:
    """One campaign's record (``OUT/campaign.json``)."""

    status: str = "running"
    #: the campaign config in its flat form (the TOML's keys)
    config: dict[str, Any] = field(default_factory=dict)
    #: model_name, model_version
    model: dict[str, str] = field(default_factory=dict)
    #: protocol, model and system content hashes (:mod:`ionmd.campaign.inputs`)
    inputs: dict[str, Any] = field(default_factory=dict)
    device: str = ""
    failed_materials: dict[str, str] = field(default_factory=dict)
    #: material -> [n_a, n_b, n_c, n_atoms]
    supercells: dict[str, list[int]] = field(default_factory=dict)
    #: one cost record per batch run (:func:`ionmd.campaign.cost.cost_record`)
    batches: list[dict[str, Any]] = field(default_factory=list)
    #: the system keys of each batch, in run-file order (md.h5, md.1.h5, ...)
    plan: list[list[str]] = field(default_factory=list)
    oom_splits: list[dict[str, int]] | None = None
    failed_tasks: dict[str, str] | None = None
    analysed: bool | None = None
    other: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name == "other":
                continue
            value = getattr(self, f.name)
            if f.name in _OPTIONAL and value is None:
                continue
            out[f.name] = value
        return out | self.other

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CampaignRecord:
        names = {f.name for f in fields(cls)} - {"other"}
        known = {k: v for k, v in data.items() if k in names}
        return cls(**known, other={k: v for k, v in data.items() if k not in names})

    def done_files(self) -> set[str]:
        """Run files of the batches recorded as finished."""
        return {b["file"] for b in self.batches if b.get("status") == "done"}

    def set_cost(self, cost: dict[str, Any]) -> None:
        """Record a batch's cost, replacing an earlier record of its file; the
        records of its systems' NPT stages (``cost["cells"]``) go to the
        campaign's ``cells``, with the relaxed cells' (the report's one place)."""
        cells = cost.pop("cells", None)
        if cells:
            self.other["cells"] = {**(self.other.get("cells") or {}), **cells}
        self.batches = [b for b in self.batches if b["file"] != cost["file"]]
        self.batches.append(cost)

    def save(self, path: Path) -> None:
        write_text_atomic(path, json.dumps(self.to_json(), indent=2, default=str))


def read_record(out: Path) -> CampaignRecord | None:
    """The record in ``out`` (None when there is none); InputError when unreadable."""
    path = out / "campaign.json"
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(
            f"{path}: unreadable ({exc}); re-run with {option('--force')} to start "
            f"again, or choose another {option('--out')}"
        ) from None
    if not isinstance(data, dict):
        raise InputError(
            f"{path}: not a campaign record; use {option('--force')} or another "
            f"{option('--out')}"
        )
    return CampaignRecord.from_json(data)


def mark_done(
    state_path: Path, record: CampaignRecord, *, status: str, analysed: bool
) -> None:
    """Write the campaign's final status: the last write of a run (after the run
    files, results.json, figures and the report), so that a campaign marked done
    is complete and one killed before this is completed by the next run."""
    _before_done_hook()
    record.status = status
    record.analysed = analysed
    record.save(state_path)


def _before_done_hook() -> None:
    """Tests patch this to simulate a kill between the report and ``done``."""
