"""Physical constants and unit conversions used across ionmd.

Inside the engine: metal units (Å, eV, amu, K through kT); time in ps at the
public edges. Results use the units of the literature: D in cm²/s, σ in mS/cm.
"""

from typing import Final

#: Boltzmann constant in eV/K (CODATA 2018).
KB_EV_PER_K: Final[float] = 8.617333262e-5
#: Boltzmann constant in J/K.
KB_J_PER_K: Final[float] = 1.380649e-23
#: Elementary charge in C.
E_CHARGE_C: Final[float] = 1.602176634e-19
#: Å²/ps → cm²/s.
A2_PER_PS_TO_CM2_PER_S: Final[float] = 1e-16 / 1e-12
#: fs → ps.
FS_TO_PS: Final[float] = 1e-3
#: Å³ → cm³.
A3_TO_CM3: Final[float] = 1e-24
#: Å → cm.
A_TO_CM: Final[float] = 1e-8


def nernst_einstein_factor(
    *, n_ions: int, volume_A3: float, temperature_K: float, charge_e: float = 1.0
) -> float:
    """σ/D for Nernst–Einstein, in (mS/cm)/(cm²/s).

    σ = N q² D / (V k_B T); with D in cm²/s, V in cm³, σ comes out in S/cm,
    times 1000 for mS/cm.
    """
    if temperature_K <= 0 or volume_A3 <= 0:
        raise ValueError("temperature_K and volume_A3 must be positive")
    q = charge_e * E_CHARGE_C
    volume_cm3 = volume_A3 * A3_TO_CM3
    return 1e3 * n_ions * q * q / (volume_cm3 * KB_J_PER_K * temperature_K)
