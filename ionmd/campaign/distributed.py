"""``ionmd run --executor KIND``: the campaign's batches and analysis as scale-out
tasks (:mod:`ionmd.scaleout`), on a local worker pool, threads or SLURM.

One task per MD batch (``md-000`` → ``OUT/md.h5``, ``md-001`` → ``OUT/md.1.h5``,
…), whose worker loads the model on its own device and runs the batch as its
protocol does in-process (:meth:`~ionmd.campaign.protocols.CampaignProtocol.run_batch`,
with ``resume=True``); then one ``analysis`` task that needs every batch. Finished tasks
are kept (``OUT/scaleout/``), so re-running the same command resumes; an
interrupted batch continues from its checkpoint. ``ionmd status OUT`` shows the
tasks while it runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ionmd.campaign.batch_loop import Batch, OutOfMemory, Report
from ionmd.campaign.campaign_json import CampaignRecord
from ionmd.campaign.config import CampaignConfig
from ionmd.campaign.memory import BatchOutOfMemoryError
from ionmd.campaign.model_loader import load_campaign_model, resolve_device
from ionmd.campaign.protocols import CampaignProtocol, protocol_of
from ionmd.campaign.run_files import run_file_name
from ionmd.engine.systems import SystemSpec
from ionmd.log import get_logger
from ionmd.scaleout import ExecutorConfig, Task, TaskResult, run_tasks

log = get_logger(__name__)

ANALYSIS_KEY = "analysis"


def md_key(i: int) -> str:
    """The task key of batch ``i``."""
    return f"md-{i:03d}"


def run_md_batch(
    *,
    config: CampaignConfig,
    systems: Sequence[SystemSpec],
    out_path: str,
    share: int | None = None,
) -> dict[str, Any]:
    """Worker side of an MD batch task, for both protocols: load the model on this
    worker's device (with the fast paths), run (or resume) the batch into
    ``out_path`` as the protocol runs it in-process (``share``: the adaptive
    share's own state file); returns the batch's cost record for campaign.json. A
    batch of two or more systems that does not fit raises
    :class:`BatchOutOfMemoryError` (the driver splits it, as in-process)."""
    from ionmd.calculators import model_info

    device = resolve_device(config.device)
    model = load_campaign_model(config, device=device, fast_paths=True)
    cost = protocol_of(config).run_batch(
        model=model,
        model_info=model_info(config.model),
        systems=list(systems),
        path=Path(out_path),
        resume=True,
        share=share,
    )
    cost["device"] = str(device)
    return cost


def run_adaptive_share(
    *, config: CampaignConfig, systems: Sequence[SystemSpec], out_path: str, share: int
) -> dict[str, Any]:
    """The adaptive share's task as an earlier ionmd queued it (the task names its
    callable by module path): now :func:`run_md_batch` with ``share``."""
    return run_md_batch(config=config, systems=systems, out_path=out_path, share=share)


def run_analysis(*, out_dir: str, obelix_data: str | None) -> str:
    """Worker side of the analysis task: results.json and report from the run files
    (an adaptive campaign's shares' states merged into adaptive.json first)."""
    from ionmd.campaign.adaptive.shares import merge_states
    from ionmd.report.analysis_files import analyze_run_dir

    merge_states(Path(out_dir))

    analyze_run_dir(out_dir, out_dir=out_dir, obelix_data=obelix_data)
    return str(Path(out_dir) / "results.json")


def campaign_tasks(
    batches: Sequence[Sequence[SystemSpec]],
    *,
    protocol: CampaignProtocol,
    out: Path,
    model_name: str,
    model_version: str,
    analyze: bool,
) -> list[Task]:
    """The tasks of a campaign: one per batch, then the analysis of all of them.

    A batch's fingerprint is the engine's checkpoint fingerprint (an allow-list:
    protocol, model, the batch's own systems and their content) plus its run file,
    so adding a material leaves the other batches' tasks done; the analysis's is
    that of all batches (it is redone when any batch changes or is added).
    """
    import hashlib

    from ionmd.engine.checkpoint import batch_fingerprint

    config = protocol.config
    worker_config = config.replace(progress=False)
    tasks = []
    total_atoms = sum(len(s.atoms) for b in batches for s in b)  # type: ignore[arg-type]
    for i, batch in enumerate(batches):
        path = out / run_file_name(i)
        fp = batch_fingerprint(
            protocol=config.protocol_fingerprint(),
            model_name=model_name,
            model_version=model_version,
            systems=batch,
            checkpoint=False,  # a task's identity, not a checkpoint's
            file=str(path),
        )
        kwargs = {"systems": list(batch), "out_path": str(path)}
        kwargs |= protocol.task_kwargs(
            index=i, batch=batch, total_atoms=total_atoms, worker_config=worker_config
        )
        tasks.append(
            Task(
                key=md_key(i), output=path, func=run_md_batch, kwargs=kwargs,
                fingerprint=fp[:16],
            )
        )  # fmt: skip
    if analyze:
        tasks.append(
            Task(
                key=ANALYSIS_KEY,
                output=out / "results.json",
                func=run_analysis,
                kwargs={"out_dir": str(out), "obelix_data": config.obelix_data},
                depends_on=tuple(t.key for t in tasks),
                fingerprint=hashlib.sha256(
                    ("".join(t.digest() for t in tasks) + str(config.obelix_data)).encode()
                ).hexdigest()[:16],
            )
        )
    return tasks


class ExecutorRunner:
    """Runs the batches as scale-out tasks (one per batch, then the analysis) on an
    executor; finished tasks are kept in ``OUT/scaleout/``, so a re-run resumes."""

    def __init__(
        self,
        *,
        protocol: CampaignProtocol,
        executor: ExecutorConfig,
        record: CampaignRecord,
        out: Path,
        analyze: bool,
        timeout_s: float | None = None,
    ) -> None:
        self.protocol, self.config = protocol, protocol.config
        self.executor, self.record = executor, record
        self.out, self.analyze, self.timeout_s = Path(out).resolve(), analyze, timeout_s
        #: the cost records of the batches of the last round
        self.costs: list[dict[str, Any]] = []
        self.results: dict[str, TaskResult] = {}

    def run(self, batches: Sequence[Batch], *, done: set[str], report: Report) -> None:
        tasks = campaign_tasks(
            batches,
            protocol=self.protocol,
            out=self.out,
            model_name=self.record.model["model_name"],
            model_version=self.record.model["model_version"],
            analyze=self.analyze,
        )
        n_md = len(batches)
        if n_md == 1 and self.config.max_atoms_per_batch == 0 and len(batches[0]) > 1:
            log.info(
                "all systems are in one batch, so one worker runs them: set "
                "max_atoms_per_batch (atoms one GPU holds) to spread them over workers"
            )
        log.info(
            f"{n_md} batch task(s){' + analysis' if self.analyze else ''} on the "
            f"{self.executor.kind} executor (watch: ionmd status {self.out})"
        )
        self.results = run_tasks(
            tasks, executor_config=self.executor, out_dir=self.out, timeout_s=self.timeout_s
        )
        self.protocol.gather(self.out)  # also without the analysis task
        # a batch finished by an earlier in-process run is only reopened (0 steps):
        # its cost is the one recorded then
        earlier = {b["file"]: b for b in self.record.batches if b["file"] in done}
        self.costs = []
        for i in range(n_md):
            outcome = self._outcome(i, earlier)
            if isinstance(outcome, dict) and outcome.get("status") == "done":
                self.costs.append(outcome)
            report(i, outcome)
        self.record.failed_tasks = {
            k: r.reason or "failed" for k, r in self.results.items() if not r.ok
        }

    def _outcome(self, i: int, earlier: dict[str, dict[str, Any]]) -> Any:
        r = self.results[md_key(i)]
        if (r.reason or "").startswith(BatchOutOfMemoryError.__name__):
            return OutOfMemory(reason=r.reason or "")
        if not (r.ok and isinstance(r.value, dict)):
            return {"file": run_file_name(i), "status": r.state, "reason": r.reason}
        value = r.value
        if value.get("steps") == 0 and value["file"] in earlier:
            value = earlier[value["file"]]
        return {**value, "where": value.get("where", r.where)}

    def finish(self, *, analyze: bool) -> dict[str, Any] | None:
        result = self.results.get(ANALYSIS_KEY)
        if analyze and result is not None and result.ok:
            from ionmd.analysis.results_file import read_results_json

            return read_results_json(self.out)
        return None
