"""Nernst–Einstein conductivity: sigma = N q² D / (V kB T), in mS/cm.

The factor is :func:`ionmd.units.nernst_einstein_factor`; it equals
pymatgen-analysis-diffusion's ``get_conversion_factor`` for the same structure
and temperature (tested).
"""

from __future__ import annotations

from ionmd.units import nernst_einstein_factor


def sigma_mS_cm(
    *,
    D_cm2_s: float,
    n_mobile: int,
    volume_A3: float,
    temperature_K: float,
    charge_e: float = 1.0,
) -> float:
    """Conductivity in mS/cm from D in cm²/s for N = ``n_mobile`` ions in ``volume_A3``."""
    return D_cm2_s * nernst_einstein_factor(
        n_ions=n_mobile, volume_A3=volume_A3, temperature_K=temperature_K, charge_e=charge_e
    )
