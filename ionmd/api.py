"""The Python API: ``ionmd.run`` and ``ionmd.analyze`` (what the CLI calls).

>>> import ionmd
>>> res = ionmd.run({"alpha-Li3N": atoms}, temperatures_K=[800, 1200], model="lj",
...                 out="li3n-run", duration_ps=2.0)          # doctest: +SKIP
>>> res["alpha-Li3N"].at(1200).D_cm2_s, res.report_html      # doctest: +SKIP

Structures may be OBELiX ids (``"gvd"``), the study's set (``"obelix21"``),
CIF/POSCAR paths, ``"builtin:alpha-Li3N"``, pymatgen ``Structure`` or ASE
``Atoms`` objects (a dict ``{name: structure}`` names them; else
``info["name"]``/``properties["name"]``, else formula and content hash). In-memory
structures are written to ``OUT/inputs/`` as POSCAR (CIF where partially
occupied), so the run file points at something on disk and a re-run resumes;
a partially occupied one (a pymatgen ``Structure`` with partial species, or an
``Atoms`` from ``ase.io.read`` of such a CIF, whose occupancies ASE keeps in
``info["occupancy"]``) then takes the same ``occupancy`` road as the CIF path.
The model is a name (see :mod:`ionmd.calculators`) or a torch-sim model object.
Every other keyword is a protocol/campaign key of the TOML config with its unit
in its name (``timestep_fs``, ``duration_ps``, ...; see docs/config.md), e.g.
``n_replicas=4`` for four independently seeded copies of every system, pooled in
``results.json`` → ``pooled_replicas`` (docs/uncertainty.md); unknown keywords are
refused with the nearest valid name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ionmd.api_keys import KEY_HELP, keys_docstring
from ionmd.api_undo import WrittenInputs
from ionmd.caller import entry_point, option
from ionmd.errors import InputError
from ionmd.outdir import check_output_dir
from ionmd.results import Results

if TYPE_CHECKING:
    from ionmd.campaign.config import CampaignConfig
    from ionmd.scaleout import ExecutorConfig

STUDY_TEMPERATURES_K = (800.0, 900.0, 1000.0, 1100.0, 1200.0)

_NAME_OK = re.compile(r"[^A-Za-z0-9_.+-]+")


def _is_structure(obj: object) -> bool:
    from ase import Atoms
    from pymatgen.core import Structure

    return isinstance(obj, Structure | Atoms)


def _temperature_list(temperatures_K: object) -> list[float]:
    """``temperatures_K`` as floats, with the TOML key's type check (a list or
    array of numbers; not one number, a string or a bool)."""
    import numbers

    items = getattr(temperatures_K, "tolist", lambda: temperatures_K)()
    ok = isinstance(items, list | tuple) and all(
        isinstance(t, numbers.Real) and not isinstance(t, bool) for t in items
    )
    if not ok:
        raise InputError(
            f"temperatures_K must be a list of numbers (K), got {temperatures_K!r}"
        )
    return [float(t) for t in items]


def _plain(value: object) -> object:
    """A numpy scalar or array (a value from ``np.arange``, ``np.linspace`` or a
    DataFrame) as the Python number, bool or list the config's type checks take
    (``np.int64(10)`` was refused as "must be an integer"); anything else as is."""
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, list | tuple) and any(isinstance(v, np.generic) for v in value):
        return [_plain(v) for v in value]
    return value


def _safe_name(name: str) -> str:
    """The file stem an in-memory structure named ``name`` is written under."""
    return _NAME_OK.sub("_", name).strip("._") or "structure"


def _structure_text(structure: Any, *, comment: str) -> tuple[str, str]:
    """(file suffix, text) an in-memory structure is written as: POSCAR when
    ordered, CIF when partially occupied."""
    if structure.is_ordered:
        from pymatgen.io.vasp import Poscar

        return ".vasp", Poscar(structure, comment=comment).get_str(significant_figures=16)
    from pymatgen.io.cif import CifWriter

    return ".cif", str(CifWriter(structure))


def _default_name(obj: object) -> str:
    """An unnamed in-memory structure's name, the same whatever its library and
    its place in the list: ``info["name"]`` (ASE) or ``properties["name"]``
    (pymatgen) when set, else the reduced formula and the first 6 hex digits of
    the sha256 of its content (``Li3N-1a2b3c``)."""
    import hashlib

    from ionmd.structures.load import _read_any

    info = getattr(obj, "info", None)  # ase.Atoms
    props = getattr(obj, "properties", None)  # pymatgen Structure
    for d in (info, props):
        if isinstance(d, Mapping) and d.get("name"):
            return str(d["name"])
    structure, _ = _read_any(obj)
    _, text = _structure_text(structure, comment="")
    digest = hashlib.sha256(text.encode()).hexdigest()[:6]
    return f"{structure.composition.reduced_formula}-{digest}"


def _write_input(
    obj: object, *, name: str, folder: Path, written: WrittenInputs | None = None
) -> Path:
    """Write one in-memory structure into ``folder`` (unchanged if identical;
    ``written`` remembers what it replaced)."""
    from ionmd.structures.load import _read_any

    structure, _ = _read_any(obj)
    suffix, text = _structure_text(structure, comment=name)
    path = folder / f"{_safe_name(name)}{suffix}"
    folder.mkdir(parents=True, exist_ok=True)
    if not (path.is_file() and path.read_text() == text):
        if written is not None:
            written.remember(path)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text)
        os.replace(tmp, path)
    return path


def _material_items(
    materials: object, *, out: Path, written: WrittenInputs | None = None
) -> list[str] | str:
    """Config ``materials`` from whatever the user gave."""
    if isinstance(materials, str | os.PathLike):
        return str(materials)
    if _is_structure(materials):
        materials = [materials]
    if isinstance(materials, Mapping):
        items = list(materials.items())
    elif isinstance(materials, Sequence):
        items = [(None, m) for m in materials]
    else:
        raise InputError(
            "materials must be an OBELiX id, a path, a Structure/Atoms, or a list or "
            f"dict of them, not a {type(materials).__name__}"
        )
    names: list[str] = []
    labels: dict[str, str] = {}  # file name in OUT/inputs -> the user's name
    for i, (name, item) in enumerate(items):
        if isinstance(item, str | os.PathLike):
            names.append(str(item))
        elif _is_structure(item):
            label = str(name) if name is not None else _default_name(item)
            safe = _safe_name(label)
            if labels.setdefault(safe, label) != label:  # before one overwrites the other
                raise InputError(
                    f"materials {labels[safe]!r} and {label!r} would both be written as "
                    f"{out / 'inputs' / safe}: give them names that differ in letters "
                    "or digits"
                )
            path = _write_input(item, name=label, folder=out / "inputs", written=written)
            names.append(str(path))
        else:
            raise InputError(
                f"materials[{i}] is a {type(item).__name__}: give an OBELiX id, a "
                "CIF/POSCAR path, a pymatgen Structure or an ase.Atoms"
            )
    return names


@entry_point("api")
def run(
    materials: object,
    *,
    temperatures_K: Sequence[float] = STUDY_TEMPERATURES_K,
    model: str | object = "mace:medium-mpa-0",
    models: Sequence[str] = (),
    dft_runs: Sequence[str | os.PathLike[str]] = (),
    out: str | os.PathLike[str] = "ionmd-out",
    obelix_data: str | os.PathLike[str] | None = None,
    timestep_fs: float = 2.0,
    duration_ps: float = 100.0,
    equilibration_ps: float = 5.0,
    min_cell_length_A: float = 10.0,
    device: str = "auto",
    dtype: Literal["auto", "float32", "float64"] = "auto",
    seed: int = 0,
    mobile_species: str = "Li",
    round_occupancies: bool = False,
    occupancy: Literal["refuse", "round", "order"] = "refuse",
    n_orderings: int = 4,
    n_replicas: int = 1,
    thermostat_tau_fs: float = 100.0,
    chain_length: int = 3,
    sample_every_fs: float = 100.0,
    framework_every_fs: float = 0.0,
    msd_every_fs: float = 10.0,
    msd_block_size: int = 10,
    thermo_every_fs: float = 100.0,
    flush_every_ps: float = 5.0,
    flush_every_s: float = 60.0,
    fault_check_every_fs: float = 20.0,
    max_step_displacement_A: float = 1.0,
    max_temperature_factor: float = 3.0,
    max_atoms_per_batch: int = 0,
    progress: bool = True,
    cueq: Literal["auto", "on", "off"] = "auto",
    compile_mode: Literal["off", "default", "reduce-overhead", "max-autotune"] = "off",
    neighbor_skin_A: float = 0.0,
    protocol: Literal["study", "adaptive"] = "study",
    chunk_ps: float = 25.0,
    max_duration_ps: float = 1000.0,
    target_msd_A2: float = 20.0,
    target_D_log10_ci: float = 0.3,
    temperature_step_K: float = 100.0,
    max_temperature_K: float = 1500.0,
    min_temperature_K: float = 500.0,
    min_reliable_temperatures: int = 4,
    target_sigma300_log10_ci: float = 1.0,
    max_atom_steps: float = 0.0,
    cell: Literal["experimental", "relaxed", "npt"] = "experimental",
    relax_fmax_eV_A: float = 0.02,
    relax_stress_GPa: float = 0.05,
    relax_max_steps: int = 1000,
    npt_ps: float = 10.0,
    pressure_GPa: float = 0.0,
    npt_cell: Literal["isotropic", "anisotropic"] = "isotropic",
    force: bool = False,
    analyze: bool = True,
    executor: ExecutorConfig | None = None,
    **unknown: Any,
) -> Results:
    """Run (or resume) a campaign and return its results.

    ``materials``: OBELiX ids, ``"obelix21"``, CIF/POSCAR paths, ``"builtin:alpha-Li3N"``,
    pymatgen ``Structure``/ASE ``Atoms`` (or a dict name → any of these). The config
    keywords (below with their units and defaults) are those of docs/config.md; an
    unknown keyword is refused with the nearest name. ``force``: run again over a
    finished campaign in ``out`` (without it, a campaign that finished there with the
    same inputs is returned as it is, and an interrupted one resumed). ``analyze``:
    run the analysis after the MD. ``executor``: batches as scale-out tasks.
    """
    keys = {k: v for k, v in locals().items() if k in KEY_HELP}
    return _run(
        materials,
        keys=keys,
        unknown=unknown,
        force=force,
        analyze=analyze,
        executor=executor,
    )


run.__doc__ = (run.__doc__ or "") + keys_docstring(run)


def _same(value: object, default: object) -> bool:
    """``value`` is the keyword's default (a list equal to a default tuple too)."""
    if isinstance(value, list | tuple) and isinstance(default, tuple):
        return tuple(value) == default
    return type(value) is type(default) and value == default


def _run(
    materials: object,
    *,
    keys: dict[str, Any],
    unknown: dict[str, Any],
    force: bool,
    analyze: bool,
    executor: ExecutorConfig | None,
) -> Results:
    """:func:`run` with its config keywords in ``keys``: those not at their
    default become the config's mapping (so an adaptive key at its default is
    no error under the study protocol)."""
    from ionmd.campaign.config import FLAT_KEYS, config_from_mapping, flat_defaults
    from ionmd.settings_file import check_keys

    defaults = flat_defaults()
    keys = {k: _plain(v) for k, v in keys.items()}
    # here, not by the config: a dict-valued one (executer={...}) would go to
    # the config's other-layer tables and be ignored (ionmd.run has no tables)
    check_keys(unknown, (*FLAT_KEYS, "executor", "force", "analyze"), where="ionmd.run")
    model = keys.pop("model")
    if not _same(model, defaults["model"]) and keys.get("models"):
        raise InputError("give either model or models, not both")
    model_object = None if isinstance(model, str) else model
    if model_object is not None and executor is not None:
        raise InputError("a model object runs in this process only: give a model name")
    model_name = model if isinstance(model, str) else f"object:{type(model).__name__}"
    out_path = check_output_dir(keys.pop("out"), what="output directory (out)")
    written = WrittenInputs(out_path)
    try:
        mapping: dict[str, Any] = {
            **{k: v for k, v in keys.items() if not _same(v, defaults[k])},
            "materials": _material_items(materials, out=out_path, written=written),
            "temperatures_K": _temperature_list(keys["temperatures_K"]),
            "out": str(out_path),
        }
        if isinstance(keys["models"], list) and not keys["models"]:
            mapping["models"] = []  # written, not the default (): refused as the TOML's
        if "models" not in mapping:
            mapping["model"] = model_name
        if keys["obelix_data"] is not None:
            mapping["obelix_data"] = str(keys["obelix_data"])
        if "dft_runs" in mapping:
            mapping["dft_runs"] = [str(d) for d in mapping["dft_runs"]]
        config = config_from_mapping(mapping, source="ionmd.run")
        return run_config(
            config,
            force=force,
            analyze=analyze,
            executor=executor,
            model_object=model_object,
            keep_finished=True,
        )
    except BaseException:  # refused before its campaign started: OUT as it was
        written.revert_if_not_started()
        raise


def run_config(
    config: CampaignConfig,
    *,
    force: bool = False,
    analyze: bool = True,
    executor: ExecutorConfig | None = None,
    model_object: object | None = None,
    keep_finished: bool = False,
) -> Results:
    """Run the campaign described by a :class:`~ionmd.campaign.config.CampaignConfig`
    (what ``ionmd run CONFIG.toml`` calls) and return its results. With
    ``config.models``: one campaign per model and the comparison
    (:mod:`ionmd.campaign.multi_model`); the results name each model's run files
    and failures. ``keep_finished``: return a campaign that finished in OUT with
    the same inputs instead of refusing it (:func:`run_campaign`)."""
    from ionmd.campaign.multi_model import check_dft_runs
    from ionmd.campaign.run import run_campaign

    check_dft_runs(config)
    if config.models:
        return _run_models(
            config,
            force=force,
            analyze=analyze,
            executor=executor,
            model_object=model_object,
        )

    result = run_campaign(
        config,
        force=force,
        analyze=analyze,
        executor=executor,
        model_object=model_object,
        keep_finished=keep_finished and not force,
    )
    failed = {**result.failed_materials, **result.failed_systems}
    failed.update({f"task {k}": v for k, v in result.failed_tasks.items()})
    run_files = tuple(result.run_files)
    if (result.out_dir / "results.json").is_file():
        return Results.from_dir(result.out_dir, run_files=run_files, failed=failed)
    return Results.from_document(
        {}, out_dir=result.out_dir, run_files=run_files, failed=failed
    )


def _run_models(
    config: CampaignConfig,
    *,
    force: bool,
    analyze: bool,
    executor: ExecutorConfig | None,
    model_object: object | None,
) -> Results:
    from ionmd.campaign.multi_model import run_models

    if model_object is not None:
        raise InputError("models = [...] takes model names, not a model object")
    per_model, model_failed = run_models(
        config,
        run_one=lambda one: run_config(
            one, force=force, analyze=analyze, executor=executor
        ),
        keep_one=None if force else _kept_model,
        analyze=analyze,
    )
    run_files: list[Path] = []
    failed = {f"model {m}": why for m, why in model_failed.items()}
    for model, res in per_model.items():
        run_files += list(res.run_files)
        failed.update({f"{model}: {k}": v for k, v in res.failed.items()})
    out = Path(config.out)
    return Results.from_document({}, out_dir=out, run_files=tuple(run_files), failed=failed)


def _kept_model(one: CampaignConfig, record: Any) -> Results:
    """A model's campaign finished with the same settings, as its Results."""
    out = Path(one.out)
    files = tuple(out / b["file"] for b in record.batches if b.get("status") == "done")
    return Results.from_dir(out, run_files=files, failed=record.failed_materials)


@entry_point("api")
def analyze(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    out: str | os.PathLike[str],
    obelix_data: str | os.PathLike[str] | None = None,
    temperature_K: float | None = None,
    timestep_fs: float | None = None,
    step_skip: int | None = None,
    material_id: str | None = None,
    fit_start_ps: float | None = None,
    discard_ps: float = 0.0,
    dimension: str = "xyz",
    use_kinisi: bool = True,
    compare: bool = True,
    figures: bool = True,
    force: bool = False,
    verbose: bool = False,
) -> Results:
    """Analyse run directories or trajectory files (run files, XDATCAR[.gz],
    vasprun.xml, pymatgen DiffusionAnalyzer JSON, anything ASE reads) into
    ``out`` (results.json, figures, report) and return the results.

    ``temperature_K``, ``timestep_fs``, ``step_skip``: for files that lack them;
    ``material_id``: a label (OBELiX id) for trajectory files. A results.json
    already in ``out`` is kept unless ``force``.
    """
    from ionmd.analysis.diffusion import DiffusionSettings
    from ionmd.report.analysis_files import analyse_paths

    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    if temperature_K is not None and not temperature_K > 0:
        raise InputError("temperature_K must be positive")
    check_output_dir(out, what=f"output directory ({option('--out')})")
    if (Path(out) / "results.json").exists() and not force:
        raise InputError(
            f"{out} already holds a results.json; use {option('--force')} to "
            "overwrite it or choose another output directory"
        )
    settings = DiffusionSettings(
        fit_start_ps=fit_start_ps,
        dimension=dimension,
        use_kinisi=use_kinisi,
        discard_ps=discard_ps,
    )
    doc, _ = analyse_paths(
        paths=list(paths),
        out_dir=out,
        settings=settings,
        temperature_K=temperature_K,
        timestep_fs=timestep_fs,
        step_skip=step_skip,
        material_id=material_id,
        obelix_data=obelix_data,
        compare=compare,
        figures=figures,
        verbose=verbose,
    )
    return Results.from_document(doc, out_dir=Path(out))


__all__ = ["Results", "analyze", "run", "run_config"]
