"""The one campaign loop over the batches, for both runners (in-process, executor).

A :class:`BatchRunner` runs the planned batches that are not finished and
reports each one's outcome: a cost record (finished, or failed with a reason) or
:class:`OutOfMemory`. :func:`run_batches` keeps campaign.json up to date after
every outcome and, for both runners alike, splits a batch of two or more systems
that ran out of memory in two: the first half keeps the batch's position and run
file (its partial data are removed), the second is appended to the plan, so no
finished batch changes its file. It then runs what is left, until no batch runs
out of memory.

Since the engine halves a batch that runs out of memory while it steps, enters
systems or resumes (:func:`ionmd.engine.out_of_memory.run_halving_on_oom`;
restoring a checkpoint runs no force call, so a resume that does not fit fails
at its first step, inside the loop), this split is reached only by an
allocation failure outside the model's force calls: while a batch's state and
buffers (positions, momenta, chain, MSD accumulators, frames: tens of numbers
per atom, against the model's kilobytes) are built or restored, before the loop
runs or when the engine goes back to its checkpoint after a failure, or on the
host (``can't allocate memory`` reading a checkpoint).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ionmd.campaign.campaign_json import CampaignRecord
from ionmd.campaign.memory import split_in_two
from ionmd.campaign.run_files import run_file_index, run_file_name
from ionmd.engine.systems import SystemSpec
from ionmd.log import get_logger

log = get_logger(__name__)

Batch = list[SystemSpec]


@dataclass(frozen=True, kw_only=True)
class OutOfMemory:
    """A batch of two or more systems that did not fit on its device (the driver
    splits it)."""

    reason: str = ""


BatchOutcome = dict[str, Any] | OutOfMemory
#: called with the batch's index and outcome, as soon as it is known
Report = Callable[[int, BatchOutcome], None]


class BatchRunner(Protocol):
    """Runs a campaign's batches (in this process, or as scale-out tasks)."""

    #: the cost records of the batches it ran (their failed systems are reported)
    costs: list[dict[str, Any]]

    def run(self, batches: Sequence[Batch], *, done: set[str], report: Report) -> None:
        """Run (or resume) every batch whose run file is not in ``done``, calling
        ``report`` with each one's outcome."""

    def finish(self, *, analyze: bool) -> dict[str, Any] | None:
        """After the last batch: the analysis's results (None without one)."""


def plan_keys(batches: Sequence[Batch]) -> list[list[str]]:
    return [[s.key for s in b] for b in batches]


def run_batches(
    batches: list[Batch],
    *,
    runner: BatchRunner,
    record: CampaignRecord,
    out: Path,
) -> list[Batch]:
    """Run every batch with ``runner``, splitting those that run out of memory;
    returns the final batches (the plan in ``record`` follows them)."""
    state_path = out / "campaign.json"
    ran_out: list[int] = []

    def report(i: int, outcome: BatchOutcome) -> None:
        if isinstance(outcome, OutOfMemory):
            ran_out.append(i)
            return
        record.set_cost(outcome)
        record.batches.sort(key=lambda b: run_file_index(b["file"]))
        record.save(state_path)

    while True:
        ran_out.clear()
        runner.run(batches, done=record.done_files(), report=report)
        if not ran_out:
            return batches
        for i in ran_out:
            _split(batches, i, record=record, out=out)
        record.plan = plan_keys(batches)
        record.save(state_path)


def _split(batches: list[Batch], i: int, *, record: CampaignRecord, out: Path) -> None:
    batch = batches[i]
    n_atoms = sum(len(s.atoms) for s in batch)  # type: ignore[arg-type]
    first, second = split_in_two(batch)
    log.info(
        f"batch {i + 1} ({n_atoms} atoms) ran out of memory: split into "
        f"{len(first)} + {len(second)} systems and carrying on"
    )
    path = out / run_file_name(i)
    for p in (path, path.with_suffix(".ckpt.pt")):
        p.unlink(missing_ok=True)
    batches[i] = first
    batches.append(second)
    record.oom_splits = [
        *(record.oom_splits or []),
        {"n_atoms": n_atoms, "n_systems": len(batch)},
    ]


__all__ = ["BatchOutcome", "BatchRunner", "OutOfMemory", "plan_keys", "run_batches"]
