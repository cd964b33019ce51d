"""Models behind optional extras: torch-sim's wrappers for ORB, MatterSim, fairchem
(UMA / eqV2) and the NequIP framework (NequIP, Allegro), loaded only where their
package is installed.

Names: ``orb:<pretrained name>`` (e.g. ``orb:orb-v3-conservative-inf-omat``),
``mattersim:<checkpoint>`` (e.g. ``mattersim:mattersim-v1.0.0-1M.pth`` or a path),
``fairchem:<model name or checkpoint path>`` (e.g. ``fairchem:uma-s-1p1``; task
``omat``), ``nequip:/path/to/compiled.nequip.pt2``. Where the package is
missing, loading gives one line: the extra to install where the package shares
ionmd's base environment (``pip install ionmd[orb]``), else why it cannot and
where the README says how to run it (README, "Models and extras").

Every model returned wraps positions into the cell on a copy before the
package's own code sees them (the engine keeps unwrapped positions; torch-sim
issue #423) and has stress off.
"""

import importlib.util
from importlib.metadata import PackageNotFoundError, version
from typing import NamedTuple

import torch
import torch_sim as ts
from torch_sim.models.interface import ModelInterface

from ionmd.calculators._common import wrapped_positions
from ionmd.errors import ModelLoadError


class Extra(NamedTuple):
    """One optional model family."""

    prefix: str  # the model-name prefix, "orb" in "orb:<name>"
    module: str  # the import that must succeed
    distribution: str  # the PyPI distribution (for its version)
    #: how to get it: an ionmd extra where it shares the base environment
    #: (measured, docs/models.md), else why not and where the recipe is
    install: str
    example: str  # an example name for messages


_SECOND_ENV = "see README 'Models and extras' for the second environment"
EXTRAS: dict[str, Extra] = {
    extra.prefix: extra
    for extra in (
        Extra(
            "orb",
            "orb_models",
            "orb-models",
            "pip install ionmd[orb]",
            "orb-v3-conservative-inf-omat",
        ),
        Extra(
            "mattersim",
            "mattersim",
            "mattersim",
            f"it needs e3nn >= 0.5, which mace-torch 0.3 forbids: {_SECOND_ENV}",
            "mattersim-v1.0.0-1M.pth",
        ),
        Extra(
            "fairchem",
            "fairchem.core",
            "fairchem-core",
            f"fairchem-core >= 2.2 needs e3nn >= 0.5 and torch 2.13: {_SECOND_ENV}",
            "uma-s-1p1",
        ),
        Extra(
            "nequip",
            "nequip",
            "nequip",
            f"nequip >= 0.7 needs e3nn >= 0.5, which mace-torch 0.3 forbids: {_SECOND_ENV}",
            "/path/to/model.nequip.pt2",
        ),
    )
}


def split_name(name: str) -> tuple[Extra, str] | None:
    """(family, argument) for an optional-extra name, None for other names."""
    prefix, sep, arg = name.partition(":")
    if not sep or prefix not in EXTRAS:
        return None
    if not arg.strip():
        extra = EXTRAS[prefix]
        raise ModelLoadError(
            f"model '{name}' needs a name after '{prefix}:', "
            f"e.g. '{prefix}:{extra.example}'"
        )
    return EXTRAS[prefix], arg.strip()


def _module_present(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package missing
        return False


def require(extra: Extra, *, name: str) -> None:
    """ModelLoadError (one line) saying how to install the package when missing."""
    if _module_present(extra.module):
        return
    raise ModelLoadError(
        f"model '{name}' needs the {extra.distribution} package, not installed here: "
        f"{extra.install}"
    )


def package_version(extra: Extra) -> str:
    """'<distribution> <version>' of the installed package."""
    try:
        return f"{extra.distribution} {version(extra.distribution)}"
    except PackageNotFoundError:
        return f"{extra.distribution} (version unknown)"


class WrappedPositionsModel(ModelInterface):
    """A package's torch-sim model fed positions wrapped into the cell, stress off."""

    def __init__(self, inner: ModelInterface) -> None:
        super().__init__()
        self.model = inner
        self._device = inner.device
        self._dtype = inner.dtype
        self._compute_forces = True
        self._compute_stress = False
        try:
            inner.compute_stress = False
        except (AttributeError, NotImplementedError):
            pass

    def forward(self, state: ts.SimState, **kwargs: object) -> dict[str, torch.Tensor]:
        """Energy (n_systems,) and forces (n_atoms, 3); positions may be unwrapped."""
        wrapped = state.clone()
        wrapped.positions = wrapped_positions(state)
        out = self.model(wrapped, **kwargs)
        return {"energy": out["energy"], "forces": out["forces"]}


def _orb(arg: str, *, device: torch.device, dtype: torch.dtype) -> ModelInterface:
    from orb_models.forcefield import pretrained
    from torch_sim.models.orb import OrbModel

    loader = getattr(pretrained, "ORB_PRETRAINED_MODELS", {}).get(arg) or getattr(
        pretrained, arg.replace("-", "_"), None
    )
    if loader is None:
        raise ModelLoadError(f"orb-models has no pretrained model '{arg}'")
    precision = "float64" if dtype == torch.float64 else "float32-highest"
    loaded = loader(device=device, precision=precision, compile=False)
    if isinstance(loaded, tuple):  # orb-models >= 0.6: (model, atoms adapter)
        return OrbModel(*loaded, device=device, dtype=dtype)
    return OrbModel(loaded, device=device, dtype=dtype)


def _mattersim(arg: str, *, device: torch.device, dtype: torch.dtype) -> ModelInterface:
    from mattersim.forcefield.potential import Potential
    from torch_sim.models.mattersim import MatterSimModel

    potential = Potential.load(load_path=arg, device=str(device))
    return MatterSimModel(model=potential, device=device, dtype=dtype)


def _fairchem(arg: str, *, device: torch.device, dtype: torch.dtype) -> ModelInterface:
    from torch_sim.models.fairchem import FairChemModel

    return FairChemModel(
        model=arg, device=device, dtype=dtype, compute_stress=False, task_name="omat"
    )


def _nequip(arg: str, *, device: torch.device, dtype: torch.dtype) -> ModelInterface:
    from pathlib import Path

    from torch_sim.models.nequip_framework import NequIPFrameworkModel

    if not Path(arg).expanduser().is_file():
        raise ModelLoadError(f"NequIP compiled model not found: {arg}")
    return NequIPFrameworkModel.from_compiled_model(
        str(Path(arg).expanduser()), device=device, chemical_species_to_atom_type_map=True
    )


_LOADERS = {"orb": _orb, "mattersim": _mattersim, "fairchem": _fairchem, "nequip": _nequip}


def load_extra_model(
    extra: Extra, arg: str, *, name: str, device: torch.device, dtype: torch.dtype
) -> ModelInterface:
    """The torch-sim model `name` of an optional family (its package must be there)."""
    require(extra, name=name)
    try:
        inner = _LOADERS[extra.prefix](arg, device=device, dtype=dtype)
    except ModelLoadError:
        raise
    except Exception as exc:
        text = " ".join(str(exc).split())[:300]
        raise ModelLoadError(
            f"cannot load model '{name}': {type(exc).__name__}: {text}"
        ) from exc
    return WrappedPositionsModel(inner)
