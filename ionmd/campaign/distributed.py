"""``ionmd run --executor KIND``: the campaign's batches and analysis as scale-out
tasks (:mod:`ionmd.scaleout`), on a local worker pool, threads or SLURM.

One task per MD batch (``md-000`` → ``OUT/md.h5``, ``md-001`` → ``OUT/md.1.h5``,
…), whose worker loads the model on its own device and runs the engine with
``resume=True``; then one ``analysis`` task that needs every batch. Finished tasks
are kept (``OUT/scaleout/``), so re-running the same command resumes; an
interrupted batch continues from its checkpoint. ``ionmd status OUT`` shows the
tasks while it runs.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ionmd.campaign.records import (
    CampaignResult,
    _log,
    batch_cost,
    mark_done,
    resolve_device,
    run_file_name,
)
from ionmd.engine.config import RunConfig
from ionmd.engine.systems import SystemSpec
from ionmd.scaleout import ExecutorConfig, Task, run_tasks

ANALYSIS_KEY = "analysis"


def md_key(i: int) -> str:
    """The task key of batch ``i``."""
    return f"md-{i:03d}"


def run_md_batch(
    *, config: RunConfig, systems: Sequence[SystemSpec], out_path: str
) -> dict[str, Any]:
    """Worker side of an MD batch task: load the model here, run (or resume) the
    batch into ``out_path``; returns the batch's cost record for campaign.json."""
    import torch

    from ionmd.calculators import load_model, model_info
    from ionmd.engine.runner import run_batch

    device = resolve_device(config.device)
    dtype = None if config.dtype == "auto" else getattr(torch, config.dtype)
    model = load_model(config.model, device=device, dtype=dtype, **config.fast_paths())
    info = model_info(config.model)
    path = Path(out_path)
    t0 = time.perf_counter()
    summary = run_batch(
        list(systems),
        model,
        config=config,
        out_path=path,
        model_name=info["model_name"],
        model_version=info["model_version"],
        resume=True,
    )
    cost = batch_cost(summary, path=path, wall_s=time.perf_counter() - t0)
    cost["device"] = str(device)
    return cost


def run_analysis(*, out_dir: str, obelix_data: str | None) -> str:
    """Worker side of the analysis task: results.json and report from the run files."""
    from ionmd.analysis.pipeline import analyze_run_dir

    analyze_run_dir(out_dir, out_dir=out_dir, obelix_data=obelix_data)
    return str(Path(out_dir) / "results.json")


def campaign_tasks(
    batches: Sequence[Sequence[SystemSpec]],
    *,
    config: RunConfig,
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

    from ionmd.engine.checkpoint import batch_inputs, fingerprint

    worker_config = config.replace(progress=False)
    tasks = []
    for i, batch in enumerate(batches):
        path = out / run_file_name(i)
        fp = fingerprint(
            batch_inputs(
                protocol=config.protocol(),
                model_name=model_name,
                model_version=model_version,
                systems={s.key: s.content_sha256() for s in batch} | {"file": str(path)},
            )
        )
        tasks.append(
            Task(
                key=md_key(i),
                output=path,
                func=run_md_batch,
                kwargs={
                    "config": worker_config,
                    "systems": list(batch),
                    "out_path": str(path),
                },
                fingerprint=fp[:16],
            )
        )
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


def run_campaign_tasks(
    batches: Sequence[Sequence[SystemSpec]],
    *,
    config: RunConfig,
    executor: ExecutorConfig,
    record: dict[str, Any],
    result: CampaignResult,
    analyze: bool,
    timeout_s: float | None = None,
) -> CampaignResult:
    """Run the campaign's tasks on ``executor``, keeping campaign.json up to date:
    one cost record per finished batch, ``status`` done only when every task is."""
    out = Path(result.out_dir).resolve()
    state_path = out / "campaign.json"
    tasks = campaign_tasks(
        batches,
        config=config,
        out=out,
        model_name=record["model"]["model_name"],
        model_version=record["model"]["model_version"],
        analyze=analyze,
    )
    n_md = len(batches)
    record["plan"] = [[s.key for s in b] for b in batches]  # as in-process: resume
    if n_md == 1 and config.max_atoms_per_batch == 0 and len(batches[0]) > 1:
        _log(
            "all systems are in one batch, so one worker runs them: set "
            "max_atoms_per_batch (atoms one GPU holds) to spread them over workers"
        )
    _log(
        f"{n_md} batch task(s){' + analysis' if analyze else ''} on the "
        f"{executor.kind} executor (watch: ionmd status {result.out_dir})"
    )
    results = run_tasks(tasks, executor_config=executor, out_dir=out, timeout_s=timeout_s)

    result.run_files = [out / run_file_name(i) for i in range(n_md)]
    # a batch finished by an earlier in-process run is only reopened (0 steps):
    # its cost is the one recorded then
    earlier = {b["file"]: b for b in record["batches"] if b.get("status") == "done"}
    costs = []
    for i in range(n_md):
        r = results[md_key(i)]
        if r.ok and isinstance(r.value, dict):
            value = r.value
            if value.get("steps") == 0 and value["file"] in earlier:
                value = earlier[value["file"]]
            costs.append({**value, "where": value.get("where", r.where)})
            result.failed_systems.update(r.value.get("failed_systems", {}))
        else:
            costs.append({"file": run_file_name(i), "status": r.state, "reason": r.reason})
    record["batches"] = costs
    result.batches = costs
    result.failed_tasks = {k: r.reason or "failed" for k, r in results.items() if not r.ok}
    record["failed_tasks"] = result.failed_tasks
    if analyze and results[ANALYSIS_KEY].ok:
        import json

        result.analysis = json.loads((out / "results.json").read_text())
    from ionmd.campaign.report import finish_reports

    finish_reports(out, record)
    # the last write: "done" only once everything above is written
    mark_done(
        state_path,
        record,
        status="failed" if result.failed_tasks else "done",
        analysed=analyze,
    )
    return result
