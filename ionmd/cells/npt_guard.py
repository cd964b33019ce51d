"""The NPT stage's guard against a cell that blows up: checked every step, a
system whose volume leaves [V₀/``MAX_VOLUME_FACTOR``, ``MAX_VOLUME_FACTOR``·V₀]
(V₀: its volume at the stage's start) or whose cell or positions are no longer
finite is out of bounds, and its stage is ended with the reason.

Why a factor of 2 either way: no state of a solid electrolyte the campaign can
mean is that far from its start. Heating to the melting point expands a crystal
≲ 10 % (the melt rule, ``MELT_VOLUME_GROWTH`` = 15 %, ends a running-away
volume in the stage's second half), a relaxed cell more than 25 % from the
experimental one is refused (``MAX_RELAXED_VOLUME_CHANGE_PCT``), and halving the
volume of the softest electrolytes here (bulk modulus B ≈ 20 GPa, B′ ≈ 4) takes
≳ 75 GPa (Murnaghan: V/V₀ = (1 + B′P/B)^(−1/B′)). A volume beyond the factor is
an unstable model, an absurd start or a pressure the material cannot take
(tension beyond its spinodal): in a few more steps the cell is infinite or NaN,
and the neighbour list stops the whole batch with a traceback. The factor ends
it first, while the numbers are still finite.

The check is the determinant of the (n_systems, 3, 3) cells and the finiteness
of cells and positions, one boolean brought to the host per step.
"""

from __future__ import annotations

from typing import Any

import torch

#: a system's volume may range within [V₀ / this, this · V₀] during its stage
MAX_VOLUME_FACTOR = 2.0


def start_volumes(st: Any) -> torch.Tensor:
    """Every system's volume (Å³) at the stage's start, on the state's device."""
    return torch.linalg.det(st.row_vector_cell.detach()).abs()


def out_of_bounds(st: Any, *, v_start: torch.Tensor, time_ps: float) -> dict[int, str]:
    """The systems of ``st`` out of bounds now (index in the batch -> reason);
    {} when all are in bounds (the common case: one host sync)."""
    rows = st.row_vector_cell.detach()
    ratio = torch.linalg.det(rows).abs() / v_start
    bad_atoms = (~torch.isfinite(st.positions.detach()).all(-1)).to(rows.dtype)
    per_system = torch.zeros_like(ratio).index_add(0, st.system_idx, bad_atoms)
    finite = torch.isfinite(rows).flatten(1).all(-1) & (per_system == 0)
    ok = finite & (ratio >= 1.0 / MAX_VOLUME_FACTOR) & (ratio <= MAX_VOLUME_FACTOR)
    if bool(ok.all()):
        return {}
    finite_c = finite.cpu().tolist()
    ratio_c = ratio.to("cpu", torch.float64).tolist()
    return {
        i: blew_up_reason(ratio=ratio_c[i] if finite_c[i] else None, time_ps=time_ps)
        for i, good in enumerate(ok.cpu().tolist())
        if not good
    }


def blew_up_reason(*, ratio: float | None, time_ps: float) -> str:
    """The system's ``failed`` (``ratio``: its volume over its start's; None:
    its cell or positions not finite)."""
    what = "cell or positions not finite" if ratio is None else f"volume ×{ratio:.3g}"
    return (
        f"cell blew up during the NPT stage: {what} at {time_ps:.3g} ps (allowed "
        f"×{1 / MAX_VOLUME_FACTOR:g}–×{MAX_VOLUME_FACTOR:g} of its start)"
    )
