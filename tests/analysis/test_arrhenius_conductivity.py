"""Arrhenius fit against exact data, pymatgen's fit and interval coverage;
Nernst–Einstein against pymatgen-analysis-diffusion; OBELiX values."""

import numpy as np
import pytest

from ionmd.analysis.arrhenius import fit_arrhenius, sigma_ln_from_interval
from ionmd.analysis.conductivity import sigma_mS_cm
from ionmd.analysis.experiment import load_obelix_sigma_mS_cm, log10_error, mae_log10
from ionmd.errors import InputError
from ionmd.units import KB_EV_PER_K

T = np.array([800.0, 900.0, 1000.0, 1100.0, 1200.0])
EA, D0 = 0.25, 1e-3


def _D(temps):
    return D0 * np.exp(-EA / (KB_EV_PER_K * temps))


def test_exact_data_recovered():
    fit = fit_arrhenius(temperature_K=T, D_cm2_s=_D(T), sigma_lnD=np.full(5, 0.1))
    assert fit.Ea_eV == pytest.approx(EA, rel=1e-10)
    assert fit.D0_cm2_s == pytest.approx(D0, rel=1e-9)
    D300, (lo, hi) = fit.D_at(temperature_K=300.0)
    assert D300 == pytest.approx(_D(300.0), rel=1e-9) and lo < D300 < hi


def test_unweighted_matches_pymatgen_fit_arrhenius():
    from pymatgen.analysis.diffusion.analyzer import fit_arrhenius as pmg_fit

    rng = np.random.default_rng(1)
    D = _D(T) * np.exp(rng.normal(scale=0.2, size=T.size))
    ours = fit_arrhenius(temperature_K=T, D_cm2_s=D)
    Ea, c, _ = pmg_fit(T, D)
    assert ours.Ea_eV == pytest.approx(Ea, rel=1e-9)
    assert ours.D0_cm2_s == pytest.approx(c, rel=1e-9)


def test_interval_at_300K_covers_truth_about_95_percent():
    rng = np.random.default_rng(2)
    sigma = np.full(T.size, 0.3)
    hits = 0
    n = 400
    for _ in range(n):
        D = _D(T) * np.exp(rng.normal(scale=sigma))
        _, (lo, hi) = fit_arrhenius(temperature_K=T, D_cm2_s=D, sigma_lnD=sigma).D_at(
            temperature_K=300.0
        )
        hits += lo <= _D(300.0) <= hi
    # the chi2 scaling widens intervals when scatter is high: coverage >= nominal-ish
    assert 0.9 <= hits / n <= 1.0


def test_sigma_from_interval():
    s = sigma_ln_from_interval(D_cm2_s=1.0, ci95_cm2_s=(np.exp(-0.196), np.exp(0.196)))
    assert s == pytest.approx(0.1, rel=1e-3)


def test_bad_arrhenius_input():
    with pytest.raises(InputError, match="two distinct"):
        fit_arrhenius(
            temperature_K=np.array([900.0, 900.0]), D_cm2_s=np.array([1e-6, 2e-6])
        )
    with pytest.raises(InputError, match="positive"):
        fit_arrhenius(temperature_K=T, D_cm2_s=-_D(T))


def test_nernst_einstein_matches_pymatgen_conversion_factor():
    from pymatgen.analysis.diffusion.analyzer import get_conversion_factor
    from pymatgen.core import Lattice, Structure

    s = Structure(
        Lattice.from_parameters(7.1, 8.3, 9.2, 80, 95, 110),
        ["Li", "Li", "Li", "P", "S", "S", "S", "S"],
        np.random.default_rng(0).uniform(size=(8, 3)),
    )
    for temp in (300.0, 1000.0):
        ref = get_conversion_factor(s, "Li", temp)
        ours = sigma_mS_cm(D_cm2_s=1.0, n_mobile=3, volume_A3=s.volume, temperature_K=temp)
        assert ours == pytest.approx(ref, rel=1e-9)


def test_obelix_values_follow_the_package_loader(obelix_dir):
    sig = load_obelix_sigma_mS_cm(data_path=obelix_dir)
    assert sig["47i"] == pytest.approx(1e-12)  # "<1E-10" -> 1e-15 S/cm, as the study used
    assert sig["mdp"] == pytest.approx(3.2)  # 0.0032 S/cm
    assert sig["kfp"] == pytest.approx(1.59881e-14)


def test_log10_error_and_mae():
    assert log10_error(sigma_pred_mS_cm=10.0, sigma_exp_mS_cm=0.01) == pytest.approx(3.0)
    assert np.isnan(log10_error(sigma_pred_mS_cm=0.0, sigma_exp_mS_cm=1.0))
    mae, n = mae_log10([3.0, -1.0, float("nan")])
    assert (mae, n) == (2.0, 2)
