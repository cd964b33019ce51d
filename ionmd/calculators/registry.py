"""The model registry: what a model name means, how it loads (as a torch-sim
model for the engine or an ASE calculator for one-system runs) and what version
is recorded for it. Names: see :mod:`ionmd.calculators`."""

import difflib
import functools
import os
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import torch

from ionmd.errors import ModelLoadError
from ionmd.log import quiet_libraries

if TYPE_CHECKING:
    from ase.calculators.calculator import Calculator
    from torch_sim.models.interface import ModelInterface


DEFAULT_MODEL = "mace:medium-mpa-0"
#: The forms of name `load_model` accepts.
MODEL_NAMES = (
    "mace:<foundation-name> (e.g. mace:medium-mpa-0, mace:small, mace:medium)",
    "mace:/path/to/file.model",
    "mace-tiny",
    "mace-mpa0-arch",
    "sevennet-0",
    "chgnet (CHGNet 0.3.0; chgnet:0.2.0, chgnet:r2scan)",
    "orb:<name>, mattersim:<checkpoint>, fairchem:<name>, nequip:/path "
    "(optional extras: pip install ionmd[orb], ...)",
    "lj",
    "toy (alias toy-conductor)",
)
_FIXED_NAMES = ("mace-tiny", "mace-mpa0-arch", "sevennet-0", "chgnet", "lj", "toy")
_TOY_NAMES = ("toy", "toy-conductor")


class _Spec(NamedTuple):
    kind: str  # "mace-foundation" | "mace-file" | "mace-random" | "sevennet" |
    # "chgnet" | "extra" | "lj" | "toy"
    arg: str  # foundation name, file path, CHGNet weights, extra argument or fixed name
    prefix: str = ""  # the optional family ("orb", ...) for kind "extra"


def _parse(name: str) -> _Spec:
    """Which model `name` means; ModelLoadError for unknown names."""
    if not isinstance(name, str) or not name.strip():
        raise ModelLoadError(f"model name must be a non-empty string, got {name!r}")
    name = name.strip()
    rest = name.removeprefix("mace:")
    if name.endswith(".model") or (name.startswith("mace:") and os.sep in rest):
        return _Spec("mace-file", rest)
    if name.startswith("mace:"):
        return _Spec("mace-foundation", rest)
    if name in ("mace-tiny", "mace-mpa0-arch"):
        return _Spec("mace-random", name)
    if name == "sevennet-0":
        return _Spec("sevennet", name)
    if name == "chgnet" or name.startswith("chgnet:"):
        from ionmd.calculators.chgnet import CHGNET_WEIGHTS, DEFAULT_CHGNET_WEIGHTS

        weights = name.removeprefix("chgnet").removeprefix(":") or DEFAULT_CHGNET_WEIGHTS
        if weights not in CHGNET_WEIGHTS:
            raise ModelLoadError(
                f"unknown CHGNet weights '{weights}': valid: "
                + ", ".join(f"chgnet:{w}" for w in CHGNET_WEIGHTS)
            )
        return _Spec("chgnet", weights)
    from ionmd.calculators.extras import split_name

    extra = split_name(name)
    if extra is not None:
        return _Spec("extra", extra[1], extra[0].prefix)
    if name == "lj":
        return _Spec("lj", name)
    if name in _TOY_NAMES:
        return _Spec("toy", "toy")
    candidates = [*_FIXED_NAMES, "mace:medium-mpa-0", "mace:small", "mace:medium"]
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.5)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise ModelLoadError(
        f"unknown model '{name}': {hint}valid names: " + "; ".join(MODEL_NAMES)
    )


#: model kinds whose torch-sim model computes a stress when switched on
#: (``model._compute_stress``): torch-sim's pair models, mace's wrapper and
#: ionmd's SevenNet-0 and CHGNet wrappers (tests/cells/test_stress_real_models.py:
#: against the models' own ASE calculators). The extras' wrapper drops the inner
#: model's stress.
_STRESS_KINDS = frozenset(
    {"lj", "toy", "mace-foundation", "mace-file", "mace-random", "sevennet", "chgnet"}
)


def check_name(name: str) -> None:
    """ModelLoadError, in one line with the valid names, for a name that is no
    model name: what ``load_model`` says, before anything loads (``ionmd plan``)."""
    _parse(name)


def gives_stress(name: str) -> bool | None:
    """Whether model ``name`` can give a stress (the cell stages need one), known
    before it loads; None for a name that is not a model name (a model object's
    label: checked when it runs)."""
    try:
        spec = _parse(name)
    except ModelLoadError:
        return None
    return spec.kind in _STRESS_KINDS


def _lj_params(
    spec: _Spec, sigma_A: float | None, epsilon_eV: float | None, cutoff_A: float | None
) -> dict:
    given = {
        key: value
        for key, value in (
            ("sigma_A", sigma_A),
            ("epsilon_eV", epsilon_eV),
            ("cutoff_A", cutoff_A),
        )
        if value is not None
    }
    if given and spec.kind != "lj":
        raise ModelLoadError(
            f"{', '.join(given)} only apply to the 'lj' model, not '{spec.arg}'"
        )
    for key, value in given.items():
        if value <= 0:
            raise ModelLoadError(f"{key} must be positive, got {value}")
    return given


def _check_elements(
    known_z: Sequence[int], elements: Sequence[str] | None, name: str
) -> None:
    """ModelLoadError when `elements` holds a symbol the model does not cover."""
    if elements is None:
        return
    from ase.data import atomic_numbers

    unknown_symbols = [el for el in elements if el not in atomic_numbers]
    if unknown_symbols:
        raise ModelLoadError(f"unknown element symbols: {', '.join(unknown_symbols)}")
    missing = [el for el in elements if atomic_numbers[el] not in set(known_z)]
    if missing:
        raise ModelLoadError(
            f"model '{name}' does not cover elements {', '.join(sorted(set(missing)))}"
        )


def _mace_module(spec: _Spec, *, dtype: torch.dtype) -> torch.nn.Module:
    from ionmd.calculators import mace_models

    if spec.kind == "mace-random":
        return mace_models.build_random_mace(spec.arg, dtype=dtype)
    if spec.kind == "mace-foundation":
        path = mace_models.resolve_foundation(spec.arg)
    else:
        path = Path(spec.arg)
    return mace_models.load_mace_file(path).to(dtype)


def _check_fast_paths(
    spec: _Spec, *, name: str, cueq: str, compile_mode: str, neighbor_skin_A: float
) -> None:
    """Refuse a MACE fast path for another model, and a skin outside [0, 3] Å."""
    if not spec.kind.startswith("mace") and (
        cueq == "on" or compile_mode != "off" or neighbor_skin_A > 0
    ):
        raise ModelLoadError(
            f"cueq, compile_mode and neighbor_skin_A are MACE fast paths; "
            f"'{name}' does not have them"
        )
    if neighbor_skin_A < 0 or neighbor_skin_A > 3.0:
        raise ModelLoadError(f"neighbor_skin_A must be in [0, 3] Å, got {neighbor_skin_A}")


@quiet_libraries
def load_model(
    name: str = DEFAULT_MODEL,
    *,
    device: str | torch.device = "cpu",
    dtype: torch.dtype | None = None,
    elements: Sequence[str] | None = None,
    sigma_A: float | None = None,
    epsilon_eV: float | None = None,
    cutoff_A: float | None = None,
    cueq: str = "auto",
    compile_mode: str = "off",
    neighbor_skin_A: float = 0.0,
) -> "ModelInterface":
    """A torch-sim model by name (see the module docstring), stress off.

    `model(state)` returns {"energy": (n_systems,), "forces": (n_atoms, 3)} in
    eV and eV/Å. dtype None: float32 on CUDA, float64 elsewhere. `elements`
    (symbols): raise ModelLoadError unless the model covers them all.
    `sigma_A`, `epsilon_eV`, `cutoff_A`: only for "lj" (argon by default,
    cutoff 2.5 σ).

    Fast paths (MACE only; see docs/gpu.md): `cueq` ("auto", "on", "off"),
    `compile_mode` ("off", "default", "reduce-overhead", "max-autotune"),
    `neighbor_skin_A` (> 0: Verlet-skin neighbour list). Asking for one with
    another model is a ModelLoadError (one line), as is a CUDA-only path on the CPU.
    """
    from ionmd.calculators._common import resolve_device_dtype

    spec = _parse(name)
    lj_params = _lj_params(spec, sigma_A, epsilon_eV, cutoff_A)
    device, dtype = resolve_device_dtype(device=device, dtype=dtype)
    _check_fast_paths(
        spec,
        name=name,
        cueq=cueq,
        compile_mode=compile_mode,
        neighbor_skin_A=neighbor_skin_A,
    )
    if spec.kind == "lj":
        from ionmd.calculators.lj import load_lj

        return load_lj(device=device, dtype=dtype, **lj_params)
    if spec.kind == "toy":
        from ase.data import atomic_numbers

        from ionmd.calculators.toy import ELEMENTS, load_toy

        _check_elements([atomic_numbers[el] for el in ELEMENTS], elements, name)
        return load_toy(device=device, dtype=dtype)
    if spec.kind == "sevennet":
        from ionmd.calculators.sevennet import SevenNetTorchSimModel

        model = SevenNetTorchSimModel(device=device, dtype=dtype)
        _check_elements(list(model.type_map), elements, name)
        return model
    if spec.kind == "chgnet":
        from ionmd.calculators.chgnet import CHGNetTorchSimModel

        model = CHGNetTorchSimModel(device=device, dtype=dtype, weights=spec.arg)
        _check_elements(list(model.type_map), elements, name)
        return model
    if spec.kind == "extra":
        from ionmd.calculators.extras import EXTRAS, load_extra_model

        return load_extra_model(
            EXTRAS[spec.prefix], spec.arg, name=name, device=device, dtype=dtype
        )
    from ionmd.calculators.mace_models import mace_torchsim_model

    module = _mace_module(spec, dtype=dtype)
    _check_elements([int(z) for z in module.atomic_numbers], elements, name)
    return mace_torchsim_model(
        module,
        device=device,
        dtype=dtype,
        cueq=cueq,
        compile_mode=compile_mode,
        neighbor_skin_A=neighbor_skin_A,
    )


def load_ase_calculator(
    name: str,
    *,
    device: str | torch.device = "cpu",
    dtype: torch.dtype | None = None,
    sigma_A: float | None = None,
    epsilon_eV: float | None = None,
    cutoff_A: float | None = None,
) -> "Calculator":
    """The model `name` as an ASE calculator, for one-system-at-a-time runs.

    Same weights as `load_model(name)`: MACE through mace's `MACECalculator`
    (random models rebuilt from the same seed), SevenNet-0 through sevenn's
    `SevenNetCalculator` (always float32, whatever `dtype`), CHGNet through
    chgnet's `CHGNetCalculator` (float32), LJ through ASE's
    `LennardJones` (its energies are shifted to zero at the cutoff).
    """
    from ionmd.calculators._common import resolve_device_dtype

    spec = _parse(name)
    lj_params = _lj_params(spec, sigma_A, epsilon_eV, cutoff_A)
    device, dtype = resolve_device_dtype(device=device, dtype=dtype)
    if spec.kind == "lj":
        from ionmd.calculators.lj import lj_ase_calculator

        return lj_ase_calculator(**lj_params)
    if spec.kind == "toy":
        raise ModelLoadError(
            "the 'toy' model has no ASE calculator: use it with the batched engine"
        )
    if spec.kind == "sevennet":
        from ionmd.calculators.sevennet import sevennet_ase_calculator

        return sevennet_ase_calculator(device=device)
    if spec.kind == "chgnet":
        from ionmd.calculators.chgnet import chgnet_ase_calculator

        return chgnet_ase_calculator(device=device, weights=spec.arg)
    if spec.kind == "extra":
        raise ModelLoadError(
            f"'{name}' has no ASE calculator through ionmd: use it with the batched engine"
        )
    from ionmd.calculators.mace_models import mace_ase_calculator

    return mace_ase_calculator(_mace_module(spec, dtype=dtype), device=device, dtype=dtype)


@functools.lru_cache(maxsize=16)
def _sha256_cached(path: str, mtime_ns: int, size: int) -> str:
    from ionmd.calculators._common import sha256_file

    return sha256_file(path)


def _sha256(path: str | Path) -> str:
    stat = os.stat(path)
    return _sha256_cached(str(path), stat.st_mtime_ns, stat.st_size)


def model_info(
    name: str,
    *,
    sigma_A: float | None = None,
    epsilon_eV: float | None = None,
    cutoff_A: float | None = None,
) -> dict[str, str]:
    """{"model_name", "model_version"} for HDF5 attributes.

    The version names the package and its version; for weights files it adds
    the file's sha256; for random models the seed; for LJ its parameters.
    """
    spec = _parse(name)
    lj_params = _lj_params(spec, sigma_A, epsilon_eV, cutoff_A)
    if spec.kind == "lj":
        return _lj_info(lj_params)
    if spec.kind == "sevennet":
        from ionmd.calculators.sevennet import sevennet_checkpoint_path

        path = sevennet_checkpoint_path()
        return {
            "model_name": "sevennet-0",
            "model_version": f"sevenn {version('sevenn')}; SevenNet-0 11Jul2024; "
            f"sha256:{_sha256(path)}",
        }
    if spec.kind == "chgnet":
        from ionmd.calculators.chgnet import chgnet_weights_path

        path = chgnet_weights_path(weights=spec.arg)
        return {
            "model_name": "chgnet" if spec.arg == "0.3.0" else f"chgnet:{spec.arg}",
            "model_version": f"chgnet {version('chgnet')}; CHGNet {spec.arg}; "
            f"{path.name}; sha256:{_sha256(path)}",
        }
    if spec.kind == "extra":
        from ionmd.calculators.extras import EXTRAS, package_version, require

        extra = EXTRAS[spec.prefix]
        require(extra, name=name)
        text = f"{package_version(extra)}; {spec.arg}"
        if Path(spec.arg).expanduser().is_file():
            text += f"; sha256:{_sha256(Path(spec.arg).expanduser())}"
        return {"model_name": name, "model_version": text}
    if spec.kind == "toy":
        from ionmd.calculators.toy import parameters_text

        return {
            "model_name": "toy",
            "model_version": f"ionmd toy conductor; {parameters_text()}",
        }
    return _mace_info(spec)


def _lj_info(lj_params: dict[str, float]) -> dict[str, str]:
    """LJ: the package version and every parameter (defaults: argon)."""
    from ionmd.calculators import lj

    params = {
        "sigma_A": lj.ARGON_SIGMA_A,
        "epsilon_eV": lj.ARGON_EPSILON_EV,
        "cutoff_A": lj.ARGON_CUTOFF_SIGMA * lj_params.get("sigma_A", lj.ARGON_SIGMA_A),
    } | lj_params
    text = ", ".join(f"{key}={value:g}" for key, value in params.items())
    return {
        "model_name": "lj",
        "model_version": f"torch-sim-atomistic {version('torch-sim-atomistic')}; " + text,
    }


def _mace_info(spec: _Spec) -> dict[str, str]:
    """MACE: random weights (seed), a foundation model or a file (sha256)."""
    mace_version = f"mace-torch {version('mace-torch')}"
    if spec.kind == "mace-random":
        from ionmd.calculators.mace_models import RANDOM_MODEL_SEED

        return {
            "model_name": spec.arg,
            "model_version": f"{mace_version}; random weights, seed {RANDOM_MODEL_SEED}",
        }
    if spec.kind == "mace-foundation":
        from ionmd.calculators.mace_models import resolve_foundation

        path = resolve_foundation(spec.arg)
        model_name = f"mace:{spec.arg}"
    else:
        path = Path(spec.arg).expanduser()
        if not path.is_file():
            raise ModelLoadError(f"MACE model file not found: {path}")
        model_name = f"mace:{path.resolve()}"
    return {
        "model_name": model_name,
        "model_version": f"{mace_version}; {path.name}; sha256:{_sha256(path)}",
    }


__all__ = [
    "DEFAULT_MODEL",
    "MODEL_NAMES",
    "gives_stress",
    "load_ase_calculator",
    "load_model",
    "model_info",
]
