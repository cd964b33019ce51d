"""``ionmd run``: the whole campaign, resumable.

OUT/
  campaign.json    what was asked, what failed and why, cost per batch, status
  md.h5            the run file of batch 0 (md.1.h5, … for further batches)
  md.ckpt.pt       its checkpoint (resume)
  results.json, figures, report.{md,html}   from the analysis layer
"""

from __future__ import annotations

import json
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from ionmd.campaign.inputs import campaign_inputs, check_protocol_and_model, check_systems
from ionmd.campaign.lock import lock_out_dir
from ionmd.campaign.materials import MaterialSource, material_sources
from ionmd.campaign.memory import auto_max_atoms, is_out_of_memory, split_in_two
from ionmd.campaign.orderings import material_systems
from ionmd.campaign.plan import pack_batches
from ionmd.campaign.records import (
    CampaignResult,
    _log,
    _write_json,
    batch_cost,
    mark_done,
    resolve_device,
    run_file_name,
    supported_numbers,
)
from ionmd.campaign.report import finish_reports
from ionmd.engine.config import RunConfig
from ionmd.engine.runner import run_batch
from ionmd.engine.systems import SystemSpec
from ionmd.errors import InputError, IonmdError
from ionmd.outdir import check_output_dir

if TYPE_CHECKING:
    from ionmd.scaleout import ExecutorConfig


def run_campaign(
    config: RunConfig,
    *,
    force: bool = False,
    analyze: bool = True,
    executor: ExecutorConfig | None = None,
    model_object: object | None = None,
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
    """
    out = check_output_dir(config.out, what="output directory (out)")
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
        )
        out.mkdir(parents=True, exist_ok=True)  # only now: a refused config leaves nothing
        if not locked:
            stack.enter_context(lock_out_dir(out))
            if _read_record(out) is not None:
                raise InputError(
                    f"{out} was written by another ionmd run while this one was "
                    "starting; re-run the command"
                )
        return _run_prepared(
            prepared, config=config, out=out, analyze=analyze, executor=executor
        )


@dataclass(kw_only=True)
class _Prepared:
    """A campaign ready to run: its model, batches and the record to keep."""

    model: Any
    batches: list[list[SystemSpec]]
    record: dict[str, Any]
    failed: dict[str, str]


def _read_record(out: Path) -> dict[str, Any] | None:
    path = out / "campaign.json"
    if not path.exists():
        return None
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(
            f"{path}: unreadable ({exc}); re-run with --force to start again, or "
            "choose another --out"
        ) from None
    if not isinstance(record, dict):
        raise InputError(f"{path}: not a campaign record; use --force or another --out")
    return record


def _previous_record(out: Path, *, force: bool) -> dict[str, Any] | None:
    """The record of the campaign already in OUT (``None`` with ``force``: its run
    files and checkpoints are removed once the new campaign is prepared)."""
    previous = _read_record(out)
    if force:
        return None
    if previous is None and any(out.glob("md*.h5")):
        raise InputError(
            f"{out} holds run files from something else; use --force or another --out"
        )
    return previous


def _keys_with_data(out: Path, previous: dict[str, Any] | None) -> set[str]:
    """Systems of the previous plan whose batch has a run file in OUT."""
    plan = (previous or {}).get("plan") or []
    return {
        k for i, keys in enumerate(plan) if (out / run_file_name(i)).exists() for k in keys
    }


def _prepare(
    config: RunConfig,
    *,
    out: Path,
    previous: dict[str, Any] | None,
    analyze: bool,
    executor: ExecutorConfig | None,
    force: bool = False,
    model_object: object | None = None,
) -> _Prepared:
    """Read every structure, load the model, build the systems, check them against
    the data in OUT and plan the batches; raises InputError (nothing written or
    removed) when refused."""
    # every structure is read and checked before the model loads (minutes on a
    # cold GPU node) and before anything is written or removed
    sources = material_sources(config.materials, obelix_data=config.obelix_data)
    failed: dict[str, str] = {}
    orderings: dict[str, Any] = {}
    prepared = _prepare_materials(
        sources, config=config, failed=failed, orderings=orderings
    )
    if not prepared:
        raise InputError(f"no material could be prepared: {summarize_failures(failed)}")

    from ionmd.calculators import load_model, model_info

    with_data = _keys_with_data(out, previous)
    previous_inputs = (previous or {}).get("inputs")
    info: dict[str, str] | None = None
    if model_object is not None:
        if executor is not None:
            raise InputError("a model object runs in this process only: give a model name")
        info = {
            "model_name": config.model,
            "model_version": f"python object {type(model_object).__module__}."
            f"{type(model_object).__qualname__}",
        }
    if with_data:  # before loading a model that would not be used
        info = info or model_info(config.model)
        check_protocol_and_model(
            previous_inputs, protocol=config.protocol(), model=info, out=out
        )
    # with an executor the workers load the model on their devices; here it only
    # says which elements it covers
    device = resolve_device(config.device) if executor is None else "cpu"
    dtype = None if config.dtype == "auto" else getattr(__import__("torch"), config.dtype)
    if model_object is not None:
        model = model_object
    else:
        _log(f"loading model {config.model} on {device}")
        # (the fast paths are for the device that runs the MD: not for this probe)
        fast = config.fast_paths() if executor is None else {}
        model = load_model(config.model, device=device, dtype=dtype, **fast)
    if info is None:
        info = model_info(config.model)
    known = supported_numbers(model)

    systems: list[SystemSpec] = []
    sizes: dict[str, list[int]] = {}
    for material_id, specs in prepared.items():
        numbers = set(specs[0].atoms.get_atomic_numbers().tolist())  # type: ignore[attr-defined]
        if known is not None and not numbers <= known:
            from ase.data import chemical_symbols

            missing = sorted(chemical_symbols[z] for z in numbers - known)
            failed[material_id] = (
                f"model {config.model} does not cover {', '.join(missing)}"
            )
            _log(f"skipping {material_id}: {failed[material_id]}")
            continue
        systems.extend(specs)
        sizes[material_id] = [int(x) for x in specs[0].supercell.diagonal()] + [
            len(specs[0].atoms)
        ]  # type: ignore[arg-type]
    if not systems:
        raise InputError(f"no material could be prepared: {summarize_failures(failed)}")
    inputs = campaign_inputs(
        protocol=config.protocol(),
        model=info,
        systems={s.key: s.content_sha256() for s in systems},
    )
    check_systems(
        previous_inputs, systems=inputs["systems"], keys_with_data=with_data, out=out
    )
    planned = {k for b in (previous or {}).get("plan") or [] for k in b}
    finished = (
        previous is not None
        and previous.get("status") == "done"
        and (previous.get("analysed", True) or not analyze)
    )
    if finished and set(inputs["systems"]) <= planned:
        raise InputError(
            f"{out} holds a finished campaign; use --force to run it again "
            "(its results would be overwritten) or choose another --out"
        )

    if force:  # only now: a refused campaign removes nothing
        for p in list(out.glob("md*.h5")) + list(out.glob("md*.ckpt.pt")):
            p.unlink()
    max_atoms = config.max_atoms_per_batch or auto_max_atoms(model, systems)
    batches = _plan(systems, previous=previous, max_atoms=max_atoms, out=out)
    record: dict[str, Any] = {
        "status": "running",
        "config": config.as_dict(),
        "model": info,
        "inputs": inputs,
        "device": device if executor is None else f"{config.device} ({executor.kind})",
        "failed_materials": failed,
        "supercells": sizes,
        "batches": previous.get("batches", []) if previous else [],
        "plan": [[sp.key for sp in b] for b in batches],
    }
    if orderings:
        record["orderings"] = orderings
    return _Prepared(model=model, batches=batches, record=record, failed=failed)


def _run_prepared(
    prepared: _Prepared,
    *,
    config: RunConfig,
    out: Path,
    analyze: bool,
    executor: ExecutorConfig | None,
) -> CampaignResult:
    model, batches, record = prepared.model, prepared.batches, prepared.record
    info = record["model"]
    state_path = out / "campaign.json"
    _write_json(state_path, record)
    result = CampaignResult(out_dir=out, run_files=[], failed_materials=prepared.failed)
    if executor is not None:
        from ionmd.campaign.distributed import run_campaign_tasks

        return run_campaign_tasks(
            batches,
            config=config,
            executor=executor,
            record=record,
            result=result,
            analyze=analyze,
        )
    done_batches = {b["file"] for b in record["batches"] if b.get("status") == "done"}
    i = 0
    while i < len(batches):
        batch, path = batches[i], out / run_file_name(i)
        i += 1
        result.run_files.append(path)
        if path.name in done_batches:
            _log(f"batch {i}/{len(batches)} already done ({path.name})")
            continue
        resume = path.exists() and path.with_suffix(".ckpt.pt").exists()
        n_atoms = sum(len(s.atoms) for s in batch)  # type: ignore[arg-type]
        _log(
            f"batch {i}/{len(batches)}: {len(batch)} systems, {n_atoms} atoms"
            + (" (resuming)" if resume else "")
        )
        t0 = time.perf_counter()
        try:
            summary = run_batch(
                batch,
                model,
                config=config,
                out_path=path,
                model_name=info["model_name"],
                model_version=info["model_version"],
                resume=resume,
            )
        except (RuntimeError, MemoryError) as exc:
            if (
                not (is_out_of_memory(exc) or isinstance(exc, MemoryError))
                or len(batch) < 2
            ):
                raise
            halves = split_in_two(batch)
            _log(
                f"batch {i} ({n_atoms} atoms) ran out of memory: split into "
                f"{len(halves[0])} + {len(halves[1])} systems and carrying on"
            )
            for p in (path, path.with_suffix(".ckpt.pt")):
                p.unlink(missing_ok=True)
            result.run_files.pop()
            batches[i - 1 : i] = halves
            i -= 1
            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            record["plan"] = [[sp.key for sp in b] for b in batches]
            record.setdefault("oom_splits", []).append(
                {"n_atoms": n_atoms, "n_systems": len(batch)}
            )
            _write_json(state_path, record)
            continue
        cost = batch_cost(summary, path=path, wall_s=time.perf_counter() - t0)
        record["batches"] = [b for b in record["batches"] if b["file"] != path.name]
        record["batches"].append(cost)
        result.failed_systems.update(summary.failed)
        _write_json(state_path, record)
    result.batches = record["batches"]
    if analyze:
        result.analysis = _analyze(out, config)
    finish_reports(out, record)
    mark_done(state_path, record, status="done", analysed=analyze)
    return result


#: per-material "skipping" lines printed before the rest are only counted
MAX_SKIP_LINES = 10


def _prepare_materials(
    sources: list[MaterialSource],
    *,
    config: RunConfig,
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
                _log(f"skipping {len(failed) - i} more materials (see campaign.json)")
                break
            _log(f"skipping {material_id}: {why}")
    return prepared


def summarize_failures(failed: dict[str, str], *, shown: int = 3) -> str:
    """One line for any number of failed materials: the count and the first few."""
    items = list(failed.items())
    text = "; ".join(f"{k}: {v}" for k, v in items[:shown])
    more = f" (and {len(items) - shown} more)" if len(items) > shown else ""
    return f"{len(items)} material(s) failed: {text}{more}"


def _plan(
    systems: list[SystemSpec],
    *,
    previous: dict[str, Any] | None,
    max_atoms: int,
    out: Path,
) -> list[list[SystemSpec]]:
    """The batches: the previous run's (they may hold out-of-memory splits, and
    their run files are named by position), less the systems no longer asked
    for (only batches without data can lose any), then new systems packed to
    ``max_atoms`` after them. A finished batch keeps its position and file."""
    by_key = {s.key: s for s in systems}
    plan = (previous or {}).get("plan") or []
    batches: list[list[SystemSpec]] = []
    placed: set[str] = set()
    for i, keys in enumerate(plan):
        kept = [by_key[k] for k in keys if k in by_key]
        placed.update(keys)
        if kept:
            batches.append(kept)
            continue
        later = [j for j in range(i + 1, len(plan)) if (out / run_file_name(j)).exists()]
        if later:
            raise InputError(
                f"{out}: the systems of batch {run_file_name(i)} are no longer asked "
                "for while later batches hold data; re-run with --force or choose "
                "another --out"
            )
    new = [s for s in systems if s.key not in placed]
    if new:
        batches += pack_batches(new, max_atoms=max_atoms)
    return batches


def _analyze(out: Path, config: RunConfig) -> dict[str, Any] | None:
    """Run the analysis layer on the run files, if it is installed."""
    try:
        from ionmd.analysis.pipeline import analyze_run_dir
    except ImportError as exc:
        _log(f"analysis skipped ({exc})")
        return None
    return analyze_run_dir(out, out_dir=out, obelix_data=config.obelix_data)
