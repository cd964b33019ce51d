"""Why a (material, temperature) has no result, in a form results.json can list.

A :class:`SkippedSystem` *is* the one-line string the analysis always gave
(``results.json["skipped"]``), and also carries the material, the temperature,
a status and the reason, so every requested material can be listed with what
happened to each of its temperatures (``results.json["requested_materials"]``).
"""

from __future__ import annotations

from ionmd.errors import InputError

#: per-temperature statuses of ``requested_materials[...]["temperatures"]``
STATUS_ANALYSED = "analysed"
STATUS_FRAMEWORK_MOBILE = "framework_mobile"  # analysed, melted: not in the fit
#: analysed, but the frames were too far apart to unwrap: D untrusted, not in the fit
STATUS_UNWRAP_UNRELIABLE = "unwrap_unreliable"
STATUS_FAILED = "failed"  # the MD run failed (reason from the run file)
STATUS_TOO_SHORT = "too_short"  # too few frames for a fit
STATUS_UNREADABLE = "unreadable"  # the data could not be read or analysed
STATUS_MISSING = "missing"  # requested, no data at all
STATUS_NOT_SIMULATED = "not_simulated"  # the material could not be prepared


class TooFewFramesError(InputError):
    """A trajectory is too short for what was asked of it."""


class SkippedSystem(str):
    """A skipped (material, temperature): the string, plus its fields."""

    material_id: str
    temperature_K: float
    status: str
    reason: str
    requested_temperatures_K: tuple[float, ...] | None

    def __new__(
        cls,
        text: str,
        *,
        material_id: str,
        temperature_K: float,
        status: str,
        reason: str,
        requested_temperatures_K: tuple[float, ...] | None = None,
    ) -> SkippedSystem:
        obj = super().__new__(cls, text)
        obj.material_id = str(material_id)
        obj.temperature_K = float(temperature_K)
        obj.status = status
        obj.reason = reason
        obj.requested_temperatures_K = requested_temperatures_K
        return obj
