"""The campaign-config keywords of :func:`ionmd.run`, explained for ``help()``.

``ionmd.run`` takes every key of the flat TOML (docs/config.md) as a typed
keyword-only parameter with the config's default; this table gives each one's
unit and a short meaning, and :func:`keys_docstring` renders them (with the
defaults read off the signature) into the "Config keywords" section of its
docstring. ``tests/api/test_run_signature.py`` keeps the three in step: the
keys, defaults and units of docs/config.md's table, the parameters and defaults
of ``ionmd.run`` (and :func:`ionmd.campaign.config.flat_defaults`), and this table.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

__all__ = ["KEY_HELP", "keys_docstring"]

#: key -> (unit as docs/config.md writes it, "–" for none; one-line meaning)
KEY_HELP: dict[str, tuple[str, str]] = {
    "temperatures_K": ("K", "thermostat targets, one system per material and temperature"),
    "model": ("–", "a model name or a torch-sim model object (docs/models.md)"),
    "models": ("–", "several model names: one campaign each into out/<model>, compared"),
    "dft_runs": (
        "–",
        "analysed VASP AIMD directories: one DFT row in the model comparison",
    ),
    "timestep_fs": ("fs", "MD timestep, 0.05–10"),
    "duration_ps": ("ps", "simulated time per system, equilibration included"),
    "equilibration_ps": ("ps", "first part discarded from frames and MSD"),
    "min_cell_length_A": ("Å", "supercells with every perpendicular width at least this"),
    "device": ("–", "auto (CUDA if present), cpu, cuda, cuda:N"),
    "dtype": ("–", "auto (the model's), float32, float64"),
    "seed": ("–", "run seed (each system's momenta from seed, material, temperature)"),
    "out": ("–", "the campaign directory: run files, campaign.json, results, report"),
    "obelix_data": ("–", "local OBELiX copy (ids and experimental σ)"),
    "mobile_species": ("–", "the diffusing element"),
    "round_occupancies": ("–", 'round partial occupancies (as occupancy="round")'),
    "occupancy": ("–", "partially occupied structures: refuse, round or order"),
    "n_orderings": ("–", 'ordered supercells per disordered material (occupancy="order")'),
    "n_replicas": ("–", "independently seeded copies of every system, pooled (1: none)"),
    "thermostat_tau_fs": ("fs", "Nosé–Hoover chain relaxation time"),
    "chain_length": ("–", "thermostats in the Nosé–Hoover chain"),
    "sample_every_fs": ("fs", "stride of the stored unwrapped mobile-ion positions"),
    "framework_every_fs": (
        "fs",
        "stride of the stored framework positions (0: off); a multiple of sample_every_fs",
    ),
    "msd_every_fs": ("fs", "shortest lag of the on-device multiple-window MSD"),
    "msd_block_size": ("–", "lags per block level of the multiple-window MSD"),
    "thermo_every_fs": ("fs", "stride of temperature and energies in the run file"),
    "flush_every_ps": (
        "ps",
        "write run file and checkpoint at least this often (simulated)",
    ),
    "flush_every_s": ("s", "... and at least this often in wall time"),
    "fault_check_every_fs": (
        "fs",
        "check every system for NaN, runaway T, exploding atoms",
    ),
    "max_step_displacement_A": (
        "Å",
        "an atom moving more than this per step stops its system",
    ),
    "max_temperature_factor": ("–", "a temperature above this × target stops its system"),
    "max_atoms_per_batch": ("atoms", "atoms per batch (0: from free memory)"),
    "progress": ("–", "progress bar on stderr"),
    "cueq": ("–", "MACE cuEquivariance kernels: auto, on, off (docs/gpu.md)"),
    "compile_mode": (
        "–",
        "MACE torch.compile: off, default, reduce-overhead, max-autotune",
    ),
    "neighbor_skin_A": ("Å", "Verlet skin of the neighbour list (0: rebuilt every step)"),
    "protocol": ("–", '"study" (fixed duration) or "adaptive" (docs/adaptive.md)'),
    "chunk_ps": ("ps", "adaptive: a system is judged after every chunk"),
    "max_duration_ps": ("ps", "adaptive: the longest a system may run"),
    "target_msd_A2": ("Å²", "adaptive: the Li MSD a run must reach to be reliable"),
    "target_D_log10_ci": ("decades", "adaptive: run on while D's 95 % interval is wider"),
    "temperature_step_K": ("K", "adaptive: step of an added temperature"),
    "max_temperature_K": ("K", "adaptive: no temperature above this"),
    "min_temperature_K": ("K", "adaptive: no temperature below this"),
    "min_reliable_temperatures": (
        "–",
        "adaptive: temperatures a material needs in its fit set (diffusive: reliable "
        "or slow_diffusive, below any melt)",
    ),
    "target_sigma300_log10_ci": (
        "decades",
        "adaptive: resolved when σ(300 K)'s interval is narrower",
    ),
    "max_atom_steps": ("atom-steps", "adaptive: campaign budget, atoms × steps (0: none)"),
    "cell": (
        "–",
        'simulated cell: "experimental" (the study), "relaxed" (0 K, the model) or '
        '"npt" (NPT stage per temperature, then NVT at its mean cell)',
    ),
    "relax_fmax_eV_A": ("eV/Å", 'cell = "relaxed": largest atomic force left'),
    "relax_stress_GPa": ("GPa", 'cell = "relaxed": largest stress component left'),
    "relax_max_steps": ("–", 'cell = "relaxed": FIRE steps before a material fails'),
    "npt_ps": ("ps", 'cell = "npt": NPT stage per material and temperature'),
    "pressure_GPa": ("GPa", 'cell = "npt": the NPT stage\'s pressure'),
    "npt_cell": (
        "–",
        'cell = "npt": "isotropic" (volume only) or "anisotropic" (each cell length '
        "on its own, angles kept)",
    ),
}


def keys_docstring(func: Callable[..., object]) -> str:
    """The "Config keywords" section: one line per key of :data:`KEY_HELP`, with
    its unit and its default as ``func``'s signature gives it."""
    params = inspect.signature(func).parameters
    lines = ["", "    Config keywords (docs/config.md; units in the names):", ""]
    for key, (unit, meaning) in KEY_HELP.items():
        default = params[key].default
        shown = "not set" if default is None else repr(default)
        where = f"{unit}, default {shown}" if unit != "–" else f"default {shown}"
        lines.append(f"        {key}: {meaning} [{where}]")
    return "\n".join(lines) + "\n"
