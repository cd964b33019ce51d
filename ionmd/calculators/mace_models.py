"""MACE: foundation models (cached files), local files and two random test models.

Every MACE runs through mace's own torch-sim wrapper (`MaceTorchSimModel`, which
wraps a copy of the positions into the cell for the neighbour list) with stress
off; on CUDA it converts to cuEquivariance when the package is installed.

Random models (weights from a fixed seed, identical on every call):

- ``mace-tiny``: 16x0e+16x1o channels, max_ell 2, correlation 2, 2 interactions,
  r_max 4.5 Å, elements Z = 1..94, ZBL pair repulsion, output scaled by
  `TINY_ENERGY_SCALE`. A model for testing mechanics (batching, wrapping, dtype,
  I/O), not physics: a random energy landscape whose forces stay moderate, so
  that MD of Li3N at 800–1200 K with 2 fs steps is stable.
- ``mace-mpa0-arch``: the architecture of MACE-MPA-0 medium with random weights;
  for benchmarks only (it costs what the real model costs, predicts nothing).

Memory (measured on CPU, Li3N, e3nn without cuEquivariance, one force call with
autograd): the MPA-0 architecture needs ~12 MB per atom in float64 and ~8 MB per
atom in float32; 5 x 400 atoms in float64 (~25 GB) was killed for memory on a
23 GB machine. Batch by memory, not by a fixed number of systems.
"""

import copy
import functools
import logging
import os
import socket
from pathlib import Path

import torch

from ionmd.calculators._common import import_mace_first
from ionmd.errors import ModelLoadError

log = logging.getLogger(__name__)

#: Seed of the random test models.
RANDOM_MODEL_SEED = 20240611
#: Output scale of mace-tiny. Randomly initialised readouts are tiny (forces
#: ~1e-3 eV/Å on rattled Li3N); x10 together with MACE's ZBL pair repulsion
#: (scaled too) gives forces of ~0.2–6 eV/Å, and velocity-Verlet MD of 108-atom
#: Li3N from 1200 K with 2 fs stays near 1200 K over 150 steps and conserves the
#: total energy to ~0.1 meV/atom (checked in tests/calculators).
TINY_ENERGY_SCALE = 10.0

#: Z = 1..94 for the random models.
_ALL_Z = list(range(1, 95))
#: The 89 elements of the MPtrj-trained foundation models (Z 1..83 and 89..94).
_MP_Z = list(range(1, 84)) + list(range(89, 95))

#: Hyperparameters of MACE-MPA-0 medium: the MP-0b3 training recipe
#: (github.com/ACEsuit/mace-mp, mace_mp_0b3/mace-mp0-b3.sh: density interaction
#: blocks, 128 channels, max_L 1, max_ell 3, correlation 3, r_max 6.0 Å,
#: 10 radial basis functions, MLP 16x0e, ZBL pair repulsion, Agnesi transform)
#: with mace 0.3.16's defaults for the rest (5 cutoff basis functions, radial
#: MLP [64, 64, 64]). Check: this builds 9,063,204 parameters, exactly the count
#: Matbench Discovery lists for MACE-MPA-0 (models/mace/mace-mpa-0.yml). The
#: weights file itself cannot be downloaded here: compare with
#: `mace_architecture(torch.load(file))` when you have it.
MPA0_ARCH = {
    "interaction_first": "RealAgnosticDensityInteractionBlock",
    "interaction": "RealAgnosticDensityResidualInteractionBlock",
    "r_max": 6.0,
    "num_bessel": 10,
    "num_polynomial_cutoff": 5,
    "max_ell": 3,
    "hidden_irreps": "128x0e + 128x1o",
    "MLP_irreps": "16x0e",
    "correlation": 3,
    "num_interactions": 2,
    "radial_MLP": [64, 64, 64],
    "avg_num_neighbors": 61.0,
    "atomic_numbers": _MP_Z,
    "pair_repulsion": True,
    "distance_transform": "Agnesi",
}

TINY_ARCH = {
    "interaction_first": "RealAgnosticResidualInteractionBlock",
    "interaction": "RealAgnosticResidualInteractionBlock",
    "r_max": 4.5,
    "num_bessel": 8,
    "num_polynomial_cutoff": 5,
    "max_ell": 2,
    "hidden_irreps": "16x0e + 16x1o",
    "MLP_irreps": "16x0e",
    "correlation": 2,
    "num_interactions": 2,
    "radial_MLP": [32, 32],
    "avg_num_neighbors": 20.0,
    "atomic_numbers": _ALL_Z,
    "pair_repulsion": True,
    "distance_transform": "None",
}

RANDOM_ARCHS = {"mace-tiny": TINY_ARCH, "mace-mpa0-arch": MPA0_ARCH}

_DOWNLOAD_HOSTS = ("github.com", "objects.githubusercontent.com")


def build_random_mace(name: str, *, dtype: torch.dtype) -> torch.nn.Module:
    """A seeded, randomly initialised `ScaleShiftMACE` with the architecture `name`.

    Built once per process (seconds: e3nn code generation), then copied.
    """
    return copy.deepcopy(_random_mace_template(name)).to(dtype).eval()


@functools.cache
def _random_mace_template(name: str) -> torch.nn.Module:
    import numpy as np

    import_mace_first()  # a call, so that import sorting cannot move it
    from e3nn import o3
    from mace import modules

    arch = RANDOM_ARCHS[name]
    scale = TINY_ENERGY_SCALE if name == "mace-tiny" else 1.0
    n_elements = len(arch["atomic_numbers"])
    old_default = torch.get_default_dtype()
    try:
        torch.set_default_dtype(torch.float64)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(RANDOM_MODEL_SEED)
            model = modules.ScaleShiftMACE(
                r_max=arch["r_max"],
                num_bessel=arch["num_bessel"],
                num_polynomial_cutoff=arch["num_polynomial_cutoff"],
                max_ell=arch["max_ell"],
                interaction_cls=modules.interaction_classes[arch["interaction"]],
                interaction_cls_first=modules.interaction_classes[
                    arch["interaction_first"]
                ],
                num_interactions=arch["num_interactions"],
                num_elements=n_elements,
                hidden_irreps=o3.Irreps(arch["hidden_irreps"]),
                MLP_irreps=o3.Irreps(arch["MLP_irreps"]),
                atomic_energies=np.zeros(n_elements),
                avg_num_neighbors=arch["avg_num_neighbors"],
                atomic_numbers=arch["atomic_numbers"],
                correlation=arch["correlation"],
                gate=torch.nn.functional.silu,
                pair_repulsion=arch["pair_repulsion"],
                distance_transform=arch["distance_transform"],
                radial_MLP=arch["radial_MLP"],
                atomic_inter_scale=scale,
                atomic_inter_shift=0.0,
            )
    finally:
        torch.set_default_dtype(old_default)
    return model.eval()


def mace_architecture(model: torch.nn.Module) -> dict:
    """Hyperparameters of a `ScaleShiftMACE` (mace's own extractor), to compare models."""
    import_mace_first()
    from mace.tools.scripts_utils import extract_config_mace_model

    config = extract_config_mace_model(model)
    keep = (
        "interaction_cls_first",
        "interaction_cls",
        "r_max",
        "num_bessel",
        "num_polynomial_cutoff",
        "max_ell",
        "hidden_irreps",
        "MLP_irreps",
        "correlation",
        "num_interactions",
        "radial_MLP",
        "num_elements",
        "pair_repulsion",
        "distance_transform",
    )
    return {key: str(config.get(key)) for key in keep}


def _cache_dir() -> str:
    import_mace_first()
    from mace.tools.utils import get_cache_dir

    return get_cache_dir()


def _cached_path(url: str) -> Path:
    """Where mace's `download_mace_mp_checkpoint` stores the file for `url`."""
    name = "".join(c for c in os.path.basename(url) if c.isalnum() or c in "_")
    return Path(_cache_dir()) / name


def _online(*, timeout_s: float = 3.0) -> bool:
    """Whether a TCP connection to GitHub opens within `timeout_s`."""
    for host in _DOWNLOAD_HOSTS:
        try:
            with socket.create_connection((host, 443), timeout=timeout_s):
                return True
        except OSError:
            continue
    return False


def foundation_names() -> list[str]:
    """The MACE-MP foundation names mace 0.3.x knows (e.g. ``medium-mpa-0``)."""
    import_mace_first()
    from mace.calculators.foundations_models import mace_mp_urls

    return list(mace_mp_urls)


def resolve_foundation(name: str) -> Path:
    """Path of the cached weights of foundation model `name`, downloading if possible.

    Raises ModelLoadError when the file is neither cached nor downloadable.
    """
    import_mace_first()
    from mace.calculators import foundations_models as fm

    if name not in fm.mace_mp_urls:
        import difflib

        close = difflib.get_close_matches(name, fm.mace_mp_urls, n=1)
        hint = f" (did you mean 'mace:{close[0]}'?)" if close else ""
        raise ModelLoadError(
            f"unknown MACE foundation model 'mace:{name}'{hint}; known: "
            + ", ".join(f"mace:{n}" for n in fm.mace_mp_urls)
        )
    if name == "medium-mpa-0" and os.path.isfile(fm.local_model_path):
        return Path(fm.local_model_path)
    url = fm.mace_mp_urls[name]
    cached = _cached_path(url)
    if cached.is_file():
        return cached
    how = (
        f"download it elsewhere from {url} and point at the file: "
        f'model = "mace:/path/to/{os.path.basename(url)}" in the config or '
        f"--model mace:/path/to/{os.path.basename(url)} (or copy it to {cached}; "
        f"mace caches files in {_cache_dir()})"
    )
    if not _online():
        raise ModelLoadError(
            f"MACE weights 'mace:{name}' are not cached and cannot be downloaded "
            f"(no connection to GitHub, offline?): {how}"
        )
    try:
        return Path(fm.download_mace_mp_checkpoint(name))
    except Exception as exc:
        raise ModelLoadError(
            f"downloading MACE weights 'mace:{name}' failed ({exc}): {how}"
        ) from exc


def load_mace_file(path: str | Path) -> torch.nn.Module:
    """A MACE model from a local ``.model`` file."""
    import_mace_first()
    path = Path(path).expanduser()
    if not path.is_file():
        raise ModelLoadError(
            f"MACE model file not found: {path} (give an existing file, e.g. "
            f'model = "mace:/path/to/mace-mpa-0-medium.model")'
        )
    try:
        model = torch.load(str(path), map_location="cpu", weights_only=False)
    except Exception as exc:
        raise ModelLoadError(f"cannot read MACE model file {path}: {exc}") from exc
    if not isinstance(model, torch.nn.Module) or not hasattr(model, "atomic_numbers"):
        raise ModelLoadError(f"{path} does not hold a MACE model (got {type(model)})")
    return model


def _cueq_available() -> bool:
    try:
        import cuequivariance  # noqa: F401
        import cuequivariance_torch  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_cueq(cueq: str, *, device: torch.device) -> bool:
    """Whether to convert MACE to cuEquivariance kernels.

    ``auto``: on CUDA when cuequivariance is installed (a logged line otherwise);
    ``on``: required (ModelLoadError on the CPU or when not installed); ``off``.
    """
    if cueq not in ("auto", "on", "off"):
        raise ModelLoadError(f"cueq must be auto, on or off, not {cueq!r}")
    if cueq == "off":
        return False
    if device.type != "cuda":
        if cueq == "on":
            raise ModelLoadError("cueq = on needs a CUDA device (cuEquivariance kernels)")
        return False
    if not _cueq_available():
        if cueq == "on":
            raise ModelLoadError(
                "cueq = on but cuequivariance-torch is not installed "
                "(pip install cuequivariance-torch cuequivariance-ops-torch-cu12)"
            )
        log.warning("cuequivariance is not installed: MACE runs with plain e3nn")
        return False
    return True


#: torch.compile modes accepted for MACE (mace's MaceTorchSimModel pads atoms and
#: edges to fixed budgets when compiling, so the shapes stay fixed in MD)
COMPILE_MODES = ("off", "default", "reduce-overhead", "max-autotune")


def mace_torchsim_model(
    module: torch.nn.Module,
    *,
    device: torch.device,
    dtype: torch.dtype,
    cueq: str = "auto",
    compile_mode: str = "off",
    neighbor_skin_A: float = 0.0,
) -> "torch_sim.models.interface.ModelInterface":  # noqa: F821
    """mace's torch-sim wrapper around `module`, stress off, with the fast paths:

    - ``cueq``: cuEquivariance kernels (:func:`resolve_cueq`);
    - ``compile_mode``: ``torch.compile`` of the model with padded atom/edge
      budgets (mace's own option); ``reduce-overhead`` / ``max-autotune`` also
      CUDA-graph it and need CUDA (ModelLoadError on the CPU);
    - ``neighbor_skin_A`` > 0: the neighbour list is rebuilt only when an atom
      has moved more than half the skin (:mod:`ionmd.calculators.skin_nl`).
    """
    import_mace_first()
    from mace.calculators.mace_torchsim import MaceTorchSimModel

    if compile_mode not in COMPILE_MODES:
        raise ModelLoadError(
            f"compile_mode must be one of {', '.join(COMPILE_MODES)}, not {compile_mode!r}"
        )
    if compile_mode in ("reduce-overhead", "max-autotune") and device.type != "cuda":
        raise ModelLoadError(
            f"compile_mode = {compile_mode} makes CUDA graphs and needs a CUDA device "
            "(on the CPU use default or off)"
        )
    nl = None
    if neighbor_skin_A > 0:
        from ionmd.calculators.skin_nl import SkinNeighborList

        nl = SkinNeighborList(skin_A=neighbor_skin_A)
    return MaceTorchSimModel(
        module,
        device=device,
        dtype=dtype,
        compute_forces=True,
        compute_stress=False,
        enable_cueq=resolve_cueq(cueq, device=device),
        compile_mode=None if compile_mode == "off" else compile_mode,
        neighbor_list_fn=nl,
    )


def mace_ase_calculator(
    module: torch.nn.Module, *, device: torch.device, dtype: torch.dtype
) -> "ase.calculators.calculator.Calculator":  # noqa: F821
    """mace's ASE calculator around `module` (same weights as the torch-sim model)."""
    import_mace_first()
    from mace.calculators import MACECalculator

    enable_cueq = device.type == "cuda" and _cueq_available()
    return MACECalculator(
        models=module,
        device=str(device),
        default_dtype="float64" if dtype == torch.float64 else "float32",
        enable_cueq=enable_cueq,
    )
