"""Fast checks of the DFT benchmark's inputs and parsers (no DFT is run here)."""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from benchmarks import dft

# Li3N geometry: the shortest Li(2c)-N bond is a/sqrt(3); Li(1b)-N is c/2.
GEOM_TOL_A = 1e-9


def test_alpha_li3n_primitive_cell():
    atoms = dft.alpha_li3n()
    assert atoms.get_chemical_formula() == "Li3N"
    assert len(atoms) == 4
    a, c = dft.LI3N_A_A, dft.LI3N_C_A
    lengths = atoms.cell.cellpar()
    np.testing.assert_allclose(lengths, [a, a, c, 90, 90, 120], atol=GEOM_TOL_A)
    d = atoms.get_all_distances(mic=True)[0]  # from N
    np.testing.assert_allclose(sorted(d[1:]), sorted([a / np.sqrt(3)] * 2 + [c / 2]))


def test_alpha_li3n_supercells():
    assert len(dft.alpha_li3n(repeat=dft.FULL_REPEAT)) == 32
    big = dft.alpha_li3n(repeat=(3, 3, 3))
    assert len(big) == 108
    # the study's rule: every lattice vector >= 10 A
    assert min(big.cell.lengths()) >= 10.0


def test_gpaw_job_is_plain_json_and_production_like():
    atoms = dft.alpha_li3n(repeat=(2, 2, 2))
    job = dft.gpaw_job(atoms=atoms, n_steps=3)
    back = json.loads(json.dumps(job))
    assert back["n_steps"] == 3
    assert len(back["numbers"]) == 32
    np.testing.assert_allclose(back["positions_A"], atoms.positions)
    s = back["settings"]
    assert s["xc"] == "PBE" and s["mode"] == "pw" and s["kpts"] == "gamma"
    assert s["ecut_eV"] >= 400  # at least VASP's default ENMAX for Li_sv/N
    assert back["timestep_fs"] == dft.MD_TIMESTEP_FS


def test_cp2k_input_sections():
    atoms = dft.alpha_li3n()
    text = dft.cp2k_input(atoms=atoms, n_steps=4)
    assert "RUN_TYPE MD" in text and "STEPS 4" in text
    assert "BASIS_SET DZVP-MOLOPT-SR-GTH" in text
    assert "POTENTIAL GTH-PBE" in text
    assert "&XC_FUNCTIONAL PBE" in text
    assert "&KPOINTS" not in text  # Gamma only
    coords = text.split("&COORD")[1].split("&END COORD")[0].split()
    assert len(coords) == 4 * len(atoms)
    # every &SECTION is closed
    opened = [
        ln.strip().split()[0][1:]
        for ln in text.splitlines()
        if ln.strip().startswith("&") and not ln.strip().startswith("&END")
    ]
    closed = [
        ln.strip().split()[1] for ln in text.splitlines() if ln.strip().startswith("&END")
    ]
    assert sorted(opened) == sorted(closed)


CP2K_LOG = """
  ----------------------------------- OT ---------------------------------------
  *** SCF run converged in    21 steps ***
 MD| Step number                                                                 0
 ...
  *** SCF run converged in     9 steps ***
 MD| Used time [s]                                                          3.250
  Leaving inner SCF loop after reaching    30 steps.
  *** SCF run converged in     4 steps ***
 MD| Used time [s]                                                          2.750
"""


def test_parse_cp2k_md_log():
    parsed = dft.parse_cp2k_md_log(CP2K_LOG)
    assert parsed["step_times_s"] == [3.25, 2.75]
    assert parsed["scf_iterations"] == [21 + 9, 30 + 4]


def test_resolve_code_rejects_unknown():
    with pytest.raises(ValueError, match="code must be"):
        dft.resolve_code(code="vasp")


def test_missing_code_names_the_apt_package(monkeypatch):
    monkeypatch.setattr(dft.codes, "_gpaw_available", lambda: False)
    monkeypatch.setattr(dft.codes, "_cp2k_available", lambda: False)
    with pytest.raises(dft.DFTCodeMissingError, match="apt-get install.*gpaw gpaw-data"):
        dft.resolve_code(code="gpaw")
    with pytest.raises(dft.DFTCodeMissingError, match="cp2k cp2k-data"):
        dft.resolve_code(code="cp2k")


def test_gpaw_driver_compiles_for_system_python():
    driver = dft.INPUTS_DIR / "gpaw_aimd.py"
    assert driver.exists()
    compile(driver.read_text(), str(driver), "exec")


@pytest.mark.skipif(
    not (Path(dft.SYSTEM_PYTHON).exists() and shutil.which("mpiexec")),
    reason="Debian python3/mpiexec absent",
)
def test_gpaw_imports_in_system_python():
    probe = subprocess.run(
        [dft.SYSTEM_PYTHON, "-c", "import gpaw; print(gpaw.__version__)"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if probe.returncode != 0:
        pytest.skip("gpaw not installed (apt-get install gpaw gpaw-data)")
    assert dft.resolve_code(code="gpaw") == "gpaw"
