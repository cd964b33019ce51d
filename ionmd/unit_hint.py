"""What an unknown key's nearest name does not say: that it is in another
unit. ``pressure_bar = 1`` is answered "did you mean 'pressure_GPa'?", and the
user who renames the key keeps the 1: 10,000 bar. :func:`unit_note` adds the
conversion when the unknown key and its suggestion differ only in their unit
suffix (``duration_fs`` / ``duration_ps``, ``temperatures_C`` /
``temperatures_K``)."""

from __future__ import annotations

#: unit suffix -> (quantity, size in the quantity's SI unit)
UNITS: dict[str, tuple[str, float]] = {
    "fs": ("time", 1e-15),
    "ps": ("time", 1e-12),
    "ns": ("time", 1e-9),
    "us": ("time", 1e-6),
    "ms": ("time", 1e-3),
    "s": ("time", 1.0),
    "GPa": ("pressure", 1e9),
    "MPa": ("pressure", 1e6),
    "kPa": ("pressure", 1e3),
    "Pa": ("pressure", 1.0),
    "kbar": ("pressure", 1e8),
    "bar": ("pressure", 1e5),
    "atm": ("pressure", 101325.0),
    "A": ("length", 1e-10),
    "nm": ("length", 1e-9),
    "pm": ("length", 1e-12),
    "bohr": ("length", 0.529177210903e-10),
    "K": ("temperature", 1.0),
    "C": ("temperature", 1.0),
}


def _split(key: str) -> tuple[str, str] | None:
    """(stem, unit) of ``key`` when it ends in ``_<unit>`` (any case), else None."""
    stem, _, suffix = key.rpartition("_")
    unit = next((u for u in UNITS if u.lower() == suffix.lower()), None)
    return (stem.lower(), unit) if stem and unit is not None else None


def unit_note(key: str, match: str) -> str:
    """`` (pressure_GPa is in GPa: 1 bar = 0.0001 GPa)`` when ``key`` and
    ``match`` are one quantity in two units; else ""."""
    mine, theirs = _split(key), _split(match)
    if mine is None or theirs is None or mine[0] != theirs[0]:
        return ""
    (_, have), (_, want) = mine, theirs
    if have == want or UNITS[have][0] != UNITS[want][0]:
        return ""
    if UNITS[want][0] == "temperature":
        return f" ({match} is in K: T[K] = T[°C] + 273.15)"
    factor = UNITS[have][1] / UNITS[want][1]
    shown = {"A": "Å"}
    have, want = shown.get(have, have), shown.get(want, want)
    return f" ({match} is in {want}: 1 {have} = {factor:g} {want})"


__all__ = ["UNITS", "unit_note"]
