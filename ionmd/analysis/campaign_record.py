"""Reading campaign.json: what a campaign was made with (:func:`settings_lines`)
and its batch cost records (written by
:func:`ionmd.campaign.cost.cost_record`), for every table that shows a cost:
the campaign report's and ``ionmd compare``'s. Both protocols' records carry the
atom-steps really computed and the picoseconds really simulated; a record written
before they did falls back to capacity × steps and the configured duration."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def done_batches(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The finished batches' cost records of a campaign.json."""
    return [
        b
        for b in record.get("batches") or []
        if isinstance(b, dict) and b.get("status") == "done"
    ]


def batch_atom_steps(batch: Mapping[str, Any]) -> float:
    """Atom-steps one batch computed (an adaptive batch is not always full, so its
    capacity × steps overstates it by 1/occupancy)."""
    if batch.get("atom_steps") is not None:
        return float(batch["atom_steps"])
    return float(batch.get("n_atoms") or 0) * float(batch.get("steps") or 0)


def atom_steps_per_s(batches: Iterable[Mapping[str, Any]]) -> float | None:
    """Atom-steps per second of MD wall time over ``batches`` (None without time)."""
    batches = list(batches)
    md_wall_s = sum(float(b.get("md_wall_s") or 0.0) for b in batches)
    if md_wall_s <= 0:
        return None
    return sum(batch_atom_steps(b) for b in batches) / md_wall_s


def simulated_ps_per_system(
    batches: Iterable[Mapping[str, Any]], *, duration_ps: float
) -> list[float]:
    """Mean simulated ps per system of each batch (``duration_ps``, the
    configured length, for a record that does not say)."""
    out = []
    for b in batches:
        n = int(b.get("n_systems") or 0)
        ps = b.get("simulated_ps")
        out.append(float(ps) / n if ps is not None and n > 0 else float(duration_ps))
    return out


def settings_lines(record: Mapping[str, Any]) -> list[str]:
    """What the results were made with (the report's first screen)."""
    cfg = record.get("config") or {}
    model = record.get("model") or {}
    temps = ", ".join(f"{t:g}" for t in cfg.get("temperatures_K") or []) + " K"
    how_long = f"{cfg.get('duration_ps', '?')} ps per temperature"
    if cfg.get("protocol") == "adaptive":  # duration_ps is not used; temperatures grow
        temps += (
            f" to start (more added within [{cfg.get('min_temperature_K'):g}, "
            f"{cfg.get('max_temperature_K'):g}] K)"
        )
        how_long = (
            f"adaptive protocol: judged every {cfg.get('chunk_ps')} ps, up to "
            f"{cfg.get('max_duration_ps')} ps per system (see Adaptive protocol)"
        )
    return [
        f"Made with model {model.get('model_name', cfg.get('model', '?'))} "
        f"({model.get('model_version', 'version not recorded')}) on "
        f"{record.get('device', '?')}; NVT Nosé–Hoover at {temps}, "
        f"{cfg.get('timestep_fs', '?')} fs steps, {how_long}, "
        f"the first {cfg.get('equilibration_ps', '?')} ps discarded, "
        f"supercells >= {cfg.get('min_cell_length_A', '?')} Å{_cell_words(cfg)}."
    ]


def _cell_words(cfg: Mapping[str, Any]) -> str:
    """The simulated cell when it is not the structure file's (``cell``), so two
    runs that differ only in it do not read the same."""
    cell = cfg.get("cell", "experimental")
    if cell == "npt":
        ps, gpa = (cfg.get(k) for k in ("npt_ps", "pressure_GPa"))
        return (
            f"; each material and temperature at the mean cell of its NPT stage of "
            f"{ps if ps is None else f'{ps:g}'} ps at {gpa if gpa is None else f'{gpa:g}'} "
            f"GPa ({cfg.get('npt_cell', '?')}) before the NVT"
        )
    if cell == "relaxed":
        return "; each material at its cell relaxed at 0 K with this model"
    return ""


__all__ = [
    "atom_steps_per_s",
    "batch_atom_steps",
    "done_batches",
    "settings_lines",
    "simulated_ps_per_system",
]
