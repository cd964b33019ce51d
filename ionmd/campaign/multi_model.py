"""``models = [...]``: one campaign per model, then one comparison.

Each model runs the existing campaign path into ``OUT/<safe model name>/``, so it
has its own run files, lock, resume, failure records and memory model; a model
that fails (cannot load, covers no material) is recorded and the others go on.
The comparison (:func:`ionmd.report.compare.write_comparison`) of the models
that produced a results.json, with the ``dft_runs`` directories as one
"DFT (VASP)" row, is written into ``OUT``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ionmd.campaign.campaign_json import CampaignRecord, read_record
from ionmd.campaign.config import CampaignConfig
from ionmd.errors import InputError, IonmdError
from ionmd.log import get_logger
from ionmd.outputs import OutputError

log = get_logger(__name__)


def safe_model_name(model: str) -> str:
    """A folder name for a model name (``mace:/a/b.model`` -> ``mace_a_b.model``)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", model).strip("._")
    return safe[:100] or "model"


def model_dirs(config: CampaignConfig) -> dict[str, Path]:
    """model name -> its campaign directory under ``config.out``; InputError when
    two names map to one folder."""
    out = Path(config.out)
    dirs: dict[str, Path] = {}
    for model in config.models:
        folder = out / safe_model_name(model)
        clash = next((m for m, d in dirs.items() if d == folder), None)
        if clash is not None:
            raise InputError(f"models {clash!r} and {model!r} share the folder {folder}")
        dirs[model] = folder
    return dirs


def _mark_failed(folder: Path, reason: str) -> None:
    """A model's campaign.json left "running" by an error says "failed" and why
    (the next run resumes it as it does any unfinished campaign)."""
    try:
        record = read_record(folder)
    except InputError:
        return  # unreadable: the next run says so
    if record is None or record.status != "running":
        return
    record.status = "failed"
    record.other["failure"] = reason
    record.save(folder / "campaign.json")


def check_dft_runs(config: CampaignConfig) -> None:
    """InputError, before any MD, when ``dft_runs`` is given without ``models``
    or one of its directories has no readable results.json."""
    if not config.dft_runs:
        return
    if not config.models:
        raise InputError(
            "dft_runs joins the comparison of models = [...]; give models "
            '(one model: models = ["NAME"]), or compare later with ionmd compare'
        )
    from ionmd.analysis.compare import DFT_LABEL, load_run, merge_runs

    merge_runs([load_run(d, label=DFT_LABEL) for d in config.dft_runs], label=DFT_LABEL)


def finished_as_asked(one: CampaignConfig, *, analyze: bool) -> CampaignRecord | None:
    """The record of one model's campaign when it finished with these same settings
    (``out`` and ``progress`` aside), so that there is nothing to run; else None."""
    out = Path(one.out)
    try:
        record = read_record(out)
    except InputError:
        return None  # unreadable: the run says so
    if record is None or record.status != "done":
        return None
    if analyze and not (record.analysed is not False and (out / "results.json").is_file()):
        return None
    asked = json.loads(json.dumps(one.as_dict(), default=str))
    ignore = {"out", "progress"}

    def settings(d: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in d.items() if k not in ignore}

    return record if settings(asked) == settings(record.config) else None


def run_models(
    config: CampaignConfig,
    *,
    run_one: Callable[[CampaignConfig], Any],
    keep_one: Callable[[CampaignConfig, CampaignRecord], Any] | None = None,
    analyze: bool = True,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Run ``config`` once per model in ``config.models`` through ``run_one`` (the
    one-model campaign, e.g. :func:`ionmd.api.run_config`); returns (model -> what
    ``run_one`` returned, model -> why it failed) and writes the comparison into
    ``config.out`` when at least one model has results. A model whose campaign
    already finished with the same settings is not run again: ``keep_one`` gives
    its result (the same command after a finished campaign rewrites the comparison
    instead of refusing every model)."""
    dirs = model_dirs(config)
    check_dft_runs(config)
    results: dict[str, object] = {}
    failed: dict[str, str] = {}
    for i, (model, folder) in enumerate(dirs.items()):
        log.info(f"model {i + 1}/{len(dirs)}: {model} -> {folder}")
        one = config.replace(model=model, models=(), dft_runs=(), out=str(folder))
        record = finished_as_asked(one, analyze=analyze) if keep_one else None
        if keep_one is not None and record is not None:
            log.info(f"model {model}: finished with these settings in {folder}; kept")
            results[model] = keep_one(one, record)
            continue
        try:
            results[model] = run_one(one)
        except OutputError:
            raise  # disk full, read-only: the next model would fail alike
        except Exception as exc:
            _mark_failed(folder, f"{type(exc).__name__}: {exc}")
            if not isinstance(exc, IonmdError):
                raise
            log.warning(f"model {model} failed: {exc}")
            failed[model] = str(exc)
    done = {m: d for m, d in dirs.items() if (d / "results.json").is_file()}
    if analyze and done:
        from ionmd.report.compare import write_comparison

        write_comparison(
            run_dirs=list(done.values()),
            out_dir=config.out,
            labels={str(d): m for m, d in done.items()},
            dft_dirs=config.dft_runs,
        )
        dft = " and DFT (VASP)" if config.dft_runs else ""
        log.info(
            f"comparison of {len(done)} model(s){dft}: "
            f"{Path(config.out) / 'comparison.html'}"
        )
    return results, failed


__all__ = [
    "check_dft_runs",
    "finished_as_asked",
    "model_dirs",
    "run_models",
    "safe_model_name",
]
