"""The NPT stage against independent answers by replicas (issue 24; the
method and its numbers: benchmarks/npt_lj.py, docs/cells.md): 16 copies of
32-atom LJ argon at 30 K and 0 GPa, differing only in their seeds, in one
batch; 20-ps stages, 10-ps Langevin NVT at each production cell.

- Pressure: the replicas' mean NVT pressure at their production cells is the
  target within 2 standard errors of the replicas (std/√16), once the
  finite-size ensemble offset −(1 + B') kT/(2V) is added (the NVT pressure at
  the NPT ensemble's mean volume; −0.0016 GPa for 32 atoms at 30 K, vanishing
  as 1/N; module doc of the benchmark). Without it the pressure is 2.3 SE from
  0: that is the offset, resolved by the benchmark's 32 replicas.
- Volume: against V*, where the analytic lattice sum's equation of state plus
  the thermal pressure measured in NVT at V0 and V1 is the target (no NPT
  involved), plus the same offset in volume (1 + B') kT/(2B): within 2
  combined standard errors plus 30 % of the offset (B' of the 0 K lattice
  sum, not of the crystal at 30 K).
- Ensemble: the bulk modulus of the stage's volume fluctuations (kT⟨V⟩/σ_V²)
  is the slope of V*'s equation of state, within 20 % (~2.5 standard errors
  of a variance from ~300 independent samples).

~12 min on 2 loaded CPU cores: marked slow."""

import numpy as np
import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def measured():
    from benchmarks.npt_lj import measure

    return measure(replicas=16, temperature_K=30.0, npt_ps=20.0, nvt_ps=10.0)


def test_pressure_at_the_production_cell(measured):
    p, se = measured["P_at_production_cell_GPa"], measured["P_at_production_cell_se_GPa"]
    offset = measured["P_offset_lattice_Bprime_GPa"]
    assert -0.003 < offset < -0.001
    assert abs(p - offset) <= 2 * se
    assert se < 0.002  # the test can tell a bias of a few kT/V


def test_volume_against_the_lattice_sum_and_nvt(measured):
    gap = measured["V_npt_minus_V_ref_pct"]
    want = measured["expected_V_npt_minus_V_ref_pct"]
    se = np.hypot(measured["V_npt_se_pct"], measured["V_ref_se_pct"])
    assert abs(gap - want) <= 2 * se + 0.3 * want
    # the thermal expansion itself is resolved: +4 % over V0, known to ~0.05 %
    assert 3.5 < measured["dV_npt_over_V0_pct"] < 4.8


def test_fluctuations_are_the_npt_ensembles(measured):
    b = measured["B_at_V_ref_GPa"]
    assert measured["B_fluctuation_GPa"] == pytest.approx(b, rel=0.2)
    # the second half is at equilibrium after the start at V0
    q3, q4 = measured["V_quarter3_A3_per_atom"], measured["V_quarter4_A3_per_atom"]
    se = np.hypot(
        measured["V_quarter3_se_A3_per_atom"], measured["V_quarter4_se_A3_per_atom"]
    )
    assert abs(q3 - q4) <= 3 * se
