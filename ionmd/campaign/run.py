"""``ionmd run``: the whole campaign, resumable.

OUT/
  campaign.json    what was asked, what failed and why, cost per batch, status
  md.h5            the run file of batch 0 (md.1.h5, … for further batches)
  md.ckpt.pt       its checkpoint (resume)
  results.json, figures, report.{md,html}   from the analysis layer

One path for both runners and both protocols: prepare (structures, model,
:class:`CampaignPlan`, the checks against OUT's data, the batches), then
:func:`ionmd.campaign.batch_loop.run_batches` with this module's
:class:`InProcessRunner` or the executor's (:mod:`ionmd.campaign.distributed`),
then the report and ``status: done``. What differs between the protocols is
asked of the campaign's :class:`~ionmd.campaign.protocols.CampaignProtocol`,
picked once (:func:`~ionmd.campaign.protocols.protocol_of`).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ionmd.caller import option
from ionmd.campaign.batch_loop import Batch, BatchRunner, OutOfMemory, Report, run_batches
from ionmd.campaign.campaign_json import CampaignRecord, mark_done, read_record
from ionmd.campaign.campaign_result import CampaignResult
from ionmd.campaign.config import CampaignConfig
from ionmd.campaign.inputs import campaign_inputs, check_protocol_and_model, check_systems
from ionmd.campaign.lock import lock_out_dir
from ionmd.campaign.materials import MaterialSource, material_sources
from ionmd.campaign.memory import BatchOutOfMemoryError
from ionmd.campaign.model_loader import (
    load_campaign_model,
    resolve_device,
    supported_numbers,
)
from ionmd.campaign.multi_model import finished_as_asked
from ionmd.campaign.orderings import material_systems
from ionmd.campaign.plan import CampaignPlan, plan_systems
from ionmd.campaign.protocols import CampaignProtocol, protocol_of
from ionmd.campaign.report import finish_reports
from ionmd.campaign.run_files import run_file_name
from ionmd.cells.stage import relax_stage
from ionmd.engine.systems import SystemSpec
from ionmd.errors import InputError, IonmdError
from ionmd.log import get_logger
from ionmd.outdir import check_output_dir

if TYPE_CHECKING:
    from ionmd.scaleout import ExecutorConfig

log = get_logger(__name__)


def run_campaign(
    config: CampaignConfig,
    *,
    force: bool = False,
    analyze: bool = True,
    executor: ExecutorConfig | None = None,
    model_object: object | None = None,
    keep_finished: bool = False,
) -> CampaignResult:
    """Run (or resume) the campaign described by ``config`` into ``config.out``.

    ``executor``: run each batch, then the analysis, as scale-out tasks there
    (:mod:`ionmd.campaign.distributed`); ``None``: everything in this process.
    ``model_object``: a torch-sim model to use instead of loading ``config.model``
    by name (in-process only; ``config.model`` is then only its label).

    OUT is locked for the whole run (``OUT/.lock``, :mod:`ionmd.campaign.lock`).
    Data already in OUT is only continued with the inputs it was made from
    (:mod:`ionmd.campaign.inputs`). ``status: done`` is the last thing written,
    after the run files, results.json, figures and the report with its campaign
    tables: a campaign killed before it is completed by the next run.

    A campaign in OUT that finished with these same inputs and settings is
    refused (``force`` runs it again), or with ``keep_finished`` (the Python
    API, where a notebook cell is re-run) returned as it is, nothing run or
    written.
    """
    out = check_output_dir(config.out, what="output directory (out)")
    if analyze and config.obelix_data is not None:  # not after hours of MD
        from ionmd.datasets.obelix import resolve_obelix_path

        resolve_obelix_path(config.obelix_data)
    with ExitStack() as stack:
        locked = out.is_dir()
        if locked:
            stack.enter_context(lock_out_dir(out))
        previous = _previous_record(out, force=force)
        prepared = _prepare(
            config,
            out=out,
            previous=previous,
            analyze=analyze,
            executor=executor,
            force=force,
            model_object=model_object,
            keep_finished=keep_finished,
        )
        if prepared is None:
            return _kept_result(previous, out=out)  # type: ignore[arg-type]
        out.mkdir(parents=True, exist_ok=True)  # only now: a refused config leaves nothing
        if not locked:
            stack.enter_context(lock_out_dir(out))
            if read_record(out) is not None:
                raise InputError(
                    f"{out} was written by another ionmd run while this one was "
                    "starting; re-run the command"
                )
        return _run_prepared(
            prepared, config=config, out=out, analyze=analyze, executor=executor
        )


@dataclass(kw_only=True)
class _Prepared:
    """A campaign ready to run: its protocol, model, plan and the record to keep."""

    protocol: CampaignProtocol
    model: Any
    plan: CampaignPlan
    record: CampaignRecord


def _previous_record(out: Path, *, force: bool) -> CampaignRecord | None:
    """The record of the campaign already in OUT (``None`` with ``force``: its run
    files and checkpoints are removed once the new campaign is prepared)."""
    previous = read_record(out)
    if force:
        return None
    if previous is None and any(out.glob("md*.h5")):
        raise InputError(
            f"{out} holds run files from something else; use {option('--force')} or "
            f"another {option('--out')}"
        )
    return previous


def _keys_with_data(out: Path, previous: CampaignRecord | None) -> set[str]:
    """Systems of the previous plan whose batch has a run file in OUT."""
    plan = (previous.plan if previous else None) or []
    return {
        k for i, keys in enumerate(plan) if (out / run_file_name(i)).exists() for k in keys
    }


def _prepare(
    config: CampaignConfig,
    *,
    out: Path,
    previous: CampaignRecord | None,
    analyze: bool,
    executor: ExecutorConfig | None,
    force: bool = False,
    model_object: object | None = None,
    keep_finished: bool = False,
) -> _Prepared | None:
    """Read every structure, load the model, build the systems, check them against
    the data in OUT and plan the batches; raises InputError (nothing written or
    removed) when refused; None when OUT holds this campaign finished and
    ``keep_finished``."""
    # every structure is read and checked before the model loads (minutes on a
    # cold GPU node) and before anything is written or removed
    protocol = protocol_of(config)  # the one pick; asked below, never tested
    sources = material_sources(config.materials, obelix_data=config.obelix_data)
    failed: dict[str, str] = {}
    orderings: dict[str, Any] = {}
    prepared = _prepare_materials(
        sources, config=config, failed=failed, orderings=orderings
    )
    if not prepared:
        raise InputError(f"no material could be prepared: {summarize_failures(failed)}")
    with_data = _keys_with_data(out, previous)
    previous_inputs = previous.inputs if previous else None
    info = _early_model_info(
        config, model_object=model_object, executor=executor, check=bool(with_data)
    )
    if with_data:  # before loading a model that would not be used
        check_protocol_and_model(
            previous_inputs,
            protocol=config.protocol_fingerprint(),
            model=info,
            out=out,
        )
    model, device = _load_model(config, executor=executor, model_object=model_object)
    if info is None:
        from ionmd.calculators import model_info

        info = model_info(config.model)
    plan = plan_systems(
        prepared, known=supported_numbers(model), model_label=config.model, failed=failed
    )
    if not plan.systems:
        raise InputError(f"no material could be prepared: {summarize_failures(failed)}")
    inputs = campaign_inputs(
        protocol=config.protocol_fingerprint(),
        model=info,
        systems={s.key: s.content_sha256() for s in plan.systems},
    )
    systems = inputs["systems"]
    check_systems(previous_inputs, systems=systems, keys_with_data=with_data, out=out)
    protocol.check_systems(previous_inputs, systems=systems, with_data=with_data, out=out)
    if _finished(
        previous, config=config, systems=systems, analyze=analyze, keep=keep_finished
    ):
        return None
    if force:  # only now: a refused campaign removes nothing
        for p in list(out.glob("md*.h5")) + list(out.glob("md*.ckpt.pt")):
            p.unlink()
    plan.batches = protocol.batches(
        plan=plan, model=model, previous=previous, out=out, on_executor=executor is not None
    )
    cells = relax_stage(plan, model=model, config=config, previous=previous)
    record = CampaignRecord(
        config=config.as_dict(),
        model=info,
        inputs=inputs,
        device=device if executor is None else f"{config.device} ({executor.kind})",
        failed_materials=failed,
        supercells=plan.supercells,
        batches=previous.batches if previous else [],
        plan=plan.keys,
        other=({"orderings": orderings} if orderings else {}) | cells,
    )
    return _Prepared(protocol=protocol, model=model, plan=plan, record=record)


def _early_model_info(
    config: CampaignConfig,
    *,
    model_object: object | None,
    executor: ExecutorConfig | None,
    check: bool,
) -> dict[str, str] | None:
    """The model's name and version before it loads: for a model object, or when
    OUT's data must be checked against it (None otherwise)."""
    if model_object is not None:
        if executor is not None:
            raise InputError("a model object runs in this process only: give a model name")
        missing = [a for a in ("device", "dtype") if not hasattr(model_object, a)]
        if missing or not callable(model_object):
            raise InputError(
                f"model = {type(model_object).__name__} object is not a torch-sim model "
                f"(callable, with device and dtype; lacks {', '.join(missing) or 'call'}): "
                "give a model name or a torch_sim.models.interface.ModelInterface"
            )
        return {
            "model_name": config.model,
            "model_version": f"python object {type(model_object).__module__}."
            f"{type(model_object).__qualname__}",
        }
    if check:
        from ionmd.calculators import model_info

        return model_info(config.model)
    return None


def _load_model(
    config: CampaignConfig,
    *,
    executor: ExecutorConfig | None,
    model_object: object | None,
) -> tuple[Any, str]:
    """The model and the device it runs on here. With an executor the workers
    load the model on their devices; here it only says which elements it covers
    (on the CPU, without the fast paths)."""
    device = resolve_device(config.device) if executor is None else "cpu"
    if model_object is not None:
        return model_object, device
    model = load_campaign_model(config, device=device, fast_paths=executor is None)
    return model, device


def _finished(
    previous: CampaignRecord | None,
    *,
    config: CampaignConfig,
    systems: dict[str, str],
    analyze: bool,
    keep: bool,
) -> bool:
    """True when OUT holds a finished campaign that this one asks nothing new of
    (no new system, no analysis still to do; its systems' inputs are checked
    before, :mod:`ionmd.campaign.inputs`), with the same settings, and ``keep``;
    InputError when it is finished but not kept."""
    if previous is None or previous.status != "done":
        return False
    no_results = not (Path(config.out) / "results.json").is_file()  # deleted: redo
    if analyze and (previous.analysed is False or no_results):
        return False
    planned = {k for b in previous.plan or [] for k in b}
    if not set(systems) <= planned:
        return False
    out = Path(config.out)
    if keep and finished_as_asked(config, analyze=analyze) is not None:
        log.info(
            f"{out}: already complete (this campaign finished there with the same "
            f"inputs and settings): nothing run, its results follow "
            f"({option('--force')} runs it again)"
        )
        return True
    raise InputError(
        f"{out} holds a finished campaign; use {option('--force')} to run it again "
        f"(its results would be overwritten) or choose another {option('--out')}"
    )


def _kept_result(record: CampaignRecord, *, out: Path) -> CampaignResult:
    """A finished campaign's result from its record (nothing run)."""
    files = [out / b["file"] for b in record.batches if b.get("status") == "done"]
    result = CampaignResult(
        out_dir=out, run_files=files, failed_materials=dict(record.failed_materials)
    )
    result.batches = record.batches
    for cost in record.batches:
        result.failed_systems.update(cost.get("failed_systems") or {})
    result.failed_tasks = dict(record.failed_tasks or {})
    return result


def _run_prepared(
    prepared: _Prepared,
    *,
    config: CampaignConfig,
    out: Path,
    analyze: bool,
    executor: ExecutorConfig | None,
) -> CampaignResult:
    record = prepared.record
    state_path = out / "campaign.json"
    record.save(state_path)
    result = CampaignResult(
        out_dir=out, run_files=[], failed_materials=prepared.plan.failed_materials
    )
    runner: BatchRunner
    if executor is not None:
        from ionmd.campaign.distributed import ExecutorRunner

        runner = ExecutorRunner(
            protocol=prepared.protocol, executor=executor, record=record, out=out,
            analyze=analyze,
        )  # fmt: skip
    else:
        runner = InProcessRunner(
            protocol=prepared.protocol, model=prepared.model, record=record, out=out
        )
    batches = run_batches(prepared.plan.batches, runner=runner, record=record, out=out)
    result.run_files = [out / run_file_name(i) for i in range(len(batches))]
    result.batches = record.batches
    for cost in runner.costs:
        result.failed_systems.update(cost.get("failed_systems") or {})
    result.analysis = runner.finish(analyze=analyze)
    result.failed_tasks = dict(record.failed_tasks or {})
    finish_reports(out, record.to_json())
    # the last write: "done" only once everything above is written
    status = "failed" if result.failed_tasks else "done"
    mark_done(state_path, record, status=status, analysed=analyze)
    return result


class InProcessRunner:
    """Runs the batches one after the other in this process, on its model, each
    as its protocol runs a batch (the same call as an executor's worker)."""

    def __init__(
        self, *, protocol: CampaignProtocol, model: Any, record: CampaignRecord, out: Path
    ) -> None:
        self.protocol, self.model, self.out = protocol, model, out
        self.config = protocol.config
        self.info = record.model
        #: the cost records of the batches this runner ran
        self.costs: list[dict[str, Any]] = []

    def run(self, batches: Sequence[Batch], *, done: set[str], report: Report) -> None:
        for i, batch in enumerate(batches):
            path = self.out / run_file_name(i)
            if path.name in done:
                log.info(f"batch {i + 1}/{len(batches)} already done ({path.name})")
                continue
            outcome = self._run_one(batch, path=path, label=f"{i + 1}/{len(batches)}")
            if isinstance(outcome, dict):
                self.costs.append(outcome)
            report(i, outcome)

    def _run_one(
        self, batch: list[SystemSpec], *, path: Path, label: str
    ) -> dict[str, Any] | OutOfMemory:
        resume = path.exists() and path.with_suffix(".ckpt.pt").exists()
        n_atoms = sum(len(s.atoms) for s in batch)  # type: ignore[arg-type]
        log.info(
            f"batch {label}: {len(batch)} systems, {n_atoms} atoms"
            + (" (resuming)" if resume else "")
        )
        try:
            return self.protocol.run_batch(
                model=self.model,
                model_info=self.info,
                systems=batch,
                path=path,
                resume=resume,
            )
        except BatchOutOfMemoryError as exc:
            return OutOfMemory(reason=str(exc))

    def finish(self, *, analyze: bool) -> dict[str, Any] | None:
        return _analyze(self.out, self.config) if analyze else None


#: per-material "skipping" lines printed before the rest are only counted
MAX_SKIP_LINES = 10


def _prepare_materials(
    sources: list[MaterialSource],
    *,
    config: CampaignConfig,
    failed: dict[str, str],
    orderings: dict[str, Any] | None = None,
) -> dict[str, list[SystemSpec]]:
    """Read, check and expand every material (no model needed); a material that
    fails is recorded in ``failed`` with its one-line reason and left out."""
    prepared: dict[str, list[SystemSpec]] = {}
    for src in sources:
        try:  # occupancy = "order": one material per ordering (docs/disorder.md)
            systems, note = material_systems(src, config=config)
            prepared.update(systems)
            if note is not None and orderings is not None:
                orderings[src.material_id] = note
        except IonmdError as exc:
            failed[src.material_id] = str(exc)
    if prepared:  # else the caller's one-line refusal says it all
        for i, (material_id, why) in enumerate(failed.items()):
            if i == MAX_SKIP_LINES:
                log.info(f"skipping {len(failed) - i} more materials (see campaign.json)")
                break
            log.info(f"skipping {material_id}: {why}")
    return prepared


def summarize_failures(failed: dict[str, str], *, shown: int = 3) -> str:
    """One line for any number of failed materials: the count and the first few."""
    items = list(failed.items())
    text = "; ".join(f"{k}: {v}" for k, v in items[:shown])
    more = f" (and {len(items) - shown} more)" if len(items) > shown else ""
    return f"{len(items)} material(s) failed: {text}{more}"


def _analyze(out: Path, config: CampaignConfig) -> dict[str, Any] | None:
    """Run the analysis layer on the run files, if it is installed."""
    try:
        from ionmd.report.analysis_files import analyze_run_dir
    except ImportError as exc:
        log.info(f"analysis skipped ({exc})")
        return None
    return analyze_run_dir(out, out_dir=out, obelix_data=config.obelix_data)


__all__ = [
    "InProcessRunner",
    "run_campaign",
    "summarize_failures",
    "supported_numbers",
]
