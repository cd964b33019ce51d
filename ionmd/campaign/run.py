"""``ionmd run``: the whole campaign, resumable.

OUT/
  campaign.json    what was asked, what failed and why, cost per batch, status
  md.h5            the run file of batch 0 (md.1.h5, … for further batches)
  md.ckpt.pt       its checkpoint (resume)
  results.json, figures, report.{md,html}   from the analysis layer
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from ionmd.campaign.materials import load_material, material_sources
from ionmd.campaign.memory import auto_max_atoms, is_out_of_memory, split_in_two
from ionmd.campaign.plan import pack_batches, systems_for_material
from ionmd.campaign.report import finish_reports
from ionmd.engine.config import RunConfig
from ionmd.engine.runner import run_batch
from ionmd.engine.systems import SystemSpec
from ionmd.errors import InputError, IonmdError

if TYPE_CHECKING:
    from ionmd.engine.runner import RunSummary
    from ionmd.scaleout import ExecutorConfig


@dataclass(kw_only=True)
class CampaignResult:
    out_dir: Path
    run_files: list[Path]
    failed_materials: dict[str, str] = field(default_factory=dict)
    failed_systems: dict[str, str] = field(default_factory=dict)
    batches: list[dict[str, Any]] = field(default_factory=list)
    analysis: dict[str, Any] | None = None
    #: scale-out tasks that failed (key -> one-line reason); empty in-process
    failed_tasks: dict[str, str] = field(default_factory=dict)


def _log(msg: str) -> None:
    print(f"ionmd: {msg}", file=sys.stderr, flush=True)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str))
    os.replace(tmp, path)


def resolve_device(name: str) -> str:
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise InputError(f"device {name!r} requested but no CUDA device is available")
    return name


def supported_numbers(model: object) -> set[int] | None:
    """Atomic numbers a model covers, where the model says (MACE, SevenNet)."""
    inner = getattr(model, "model", None)
    z = getattr(inner, "atomic_numbers", None)
    if z is not None:
        return {int(x) for x in z}
    type_map = getattr(model, "type_map", None)
    if type_map:
        return {int(x) for x in type_map}
    return None


def run_file_name(i: int) -> str:
    return "md.h5" if i == 0 else f"md.{i}.h5"


def batch_cost(summary: RunSummary, *, path: Path, wall_s: float) -> dict[str, Any]:
    """The cost record of one finished batch, as campaign.json keeps it."""
    return {
        "file": path.name,
        "status": "done",
        "n_systems": summary.n_systems,
        "n_atoms": summary.n_atoms,
        "steps": summary.steps,
        "wall_s": wall_s,
        "md_wall_s": summary.wall_s,
        "atom_steps_per_s": summary.atom_steps_per_s,
        "ns_per_day": summary.ns_per_day,
        "peak_device_GB": summary.peak_device_bytes / 1e9,
        "peak_host_GB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
        "failed_systems": summary.failed,
    }


def run_campaign(
    config: RunConfig,
    *,
    force: bool = False,
    analyze: bool = True,
    executor: ExecutorConfig | None = None,
) -> CampaignResult:
    """Run (or resume) the campaign described by ``config`` into ``config.out``.

    ``executor``: run each batch, then the analysis, as scale-out tasks there
    (:mod:`ionmd.campaign.distributed`); ``None``: everything in this process.
    """
    out = Path(config.out)
    state_path = out / "campaign.json"
    previous = json.loads(state_path.read_text()) if state_path.exists() else None
    if previous and previous.get("status") == "done" and not force:
        raise InputError(
            f"{out} holds a finished campaign; use --force to run it again "
            "(its results would be overwritten) or choose another --out"
        )
    if force:
        for p in list(out.glob("md*.h5")) + list(out.glob("md*.ckpt.pt")):
            p.unlink()
    elif previous is None and any(out.glob("md*.h5")):
        raise InputError(
            f"{out} holds run files from something else; use --force or another --out"
        )

    sources = material_sources(config.materials, obelix_data=config.obelix_data)
    from ionmd.calculators import load_model, model_info

    # with an executor the workers load the model on their devices; here it only
    # says which elements it covers
    device = resolve_device(config.device) if executor is None else "cpu"
    dtype = None if config.dtype == "auto" else getattr(__import__("torch"), config.dtype)
    _log(f"loading model {config.model} on {device}")
    # (the fast paths are for the device that runs the MD: not for this probe)
    fast = config.fast_paths() if executor is None else {}
    model = load_model(config.model, device=device, dtype=dtype, **fast)
    info = model_info(config.model)
    known = supported_numbers(model)

    failed: dict[str, str] = {}
    systems: list[SystemSpec] = []
    sizes: dict[str, list[int]] = {}
    for src in sources:
        try:
            structure = load_material(
                src,
                obelix_data=config.obelix_data,
                round_occupancies=config.round_occupancies,
                mobile_species=config.mobile_species,
            )
            specs = systems_for_material(src.material_id, structure, config=config)
            numbers = set(specs[0].atoms.get_atomic_numbers().tolist())  # type: ignore[attr-defined]
            if known is not None and not numbers <= known:
                from ase.data import chemical_symbols

                missing = sorted(chemical_symbols[z] for z in numbers - known)
                raise InputError(
                    f"model {config.model} does not cover {', '.join(missing)}"
                )
        except IonmdError as exc:
            failed[src.material_id] = str(exc)
            _log(f"skipping {src.material_id}: {exc}")
            continue
        systems.extend(specs)
        sizes[src.material_id] = [int(x) for x in specs[0].supercell.diagonal()] + [
            len(specs[0].atoms)
        ]  # type: ignore[arg-type]
    if not systems:
        raise InputError(
            "no material could be prepared: "
            + "; ".join(f"{k}: {v}" for k, v in failed.items())
        )

    max_atoms = config.max_atoms_per_batch or auto_max_atoms(model, systems)
    batches = _plan(systems, previous=None if force else previous, max_atoms=max_atoms)
    record: dict[str, Any] = {
        "status": "running",
        "config": config.as_dict(),
        "model": info,
        "device": device if executor is None else f"{config.device} ({executor.kind})",
        "failed_materials": failed,
        "supercells": sizes,
        "batches": previous.get("batches", []) if previous and not force else [],
    }
    out.mkdir(parents=True, exist_ok=True)  # only now: a refused config leaves nothing
    _write_json(state_path, record)
    result = CampaignResult(out_dir=out, run_files=[], failed_materials=failed)
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
    record["plan"] = [[sp.key for sp in b] for b in batches]
    _write_json(state_path, record)
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
    record["status"] = "done"
    _write_json(state_path, record)
    finish_reports(out, record)
    return result


def _plan(
    systems: list[SystemSpec], *, previous: dict[str, Any] | None, max_atoms: int
) -> list[list[SystemSpec]]:
    """The batches: the previous run's plan when resuming (it may hold
    out-of-memory splits), else packed to ``max_atoms``."""
    by_key = {s.key: s for s in systems}
    plan = (previous or {}).get("plan")
    if plan and sorted(k for b in plan for k in b) == sorted(by_key):
        return [[by_key[k] for k in b] for b in plan]
    return pack_batches(systems, max_atoms=max_atoms)


def _analyze(out: Path, config: RunConfig) -> dict[str, Any] | None:
    """Run the analysis layer on the run files, if it is installed."""
    try:
        from ionmd.analysis.pipeline import analyze_run_dir
    except ImportError as exc:
        _log(f"analysis skipped ({exc})")
        return None
    return analyze_run_dir(out, out_dir=out, obelix_data=config.obelix_data)
