"""Cost, completion and MD steps from small synthetic OUTCAR/OSZICAR snippets."""

from __future__ import annotations

import numpy as np
import pytest

from ionmd.vasp_bridge.outcar import read_oszicar, read_outcar_summary

OUTCAR_VASP6 = """ vasp.6.4.2 18Apr23 (build Jun 06 2023 15:30:12) complex
 executed on             LinuxIFC date 2025.03.02  10:11:12
 running on  128 total cores
 distrk:  each k-point on  128 cores,    1 groups
--------------------------------------- Iteration      1(   1)  ---------------------------------------
--------------------------------------- Iteration      1(   2)  ---------------------------------------
--------------------------------------- Iteration      2(   1)  ---------------------------------------
--------------------------------------- Iteration      3(   1)  ---------------------------------------
--------------------------------------- Iteration      3(  14)  ---------------------------------------

 General timing and accounting informations for this job:
 ========================================================

                  Total CPU time used (sec):    86012.345
                            User time (sec):    85000.111
                          System time (sec):     1012.234
                         Elapsed time (sec):    86400.512

                   Maximum memory used (kb):     1234567.
"""  # noqa: E501

OUTCAR_VASP5_KILLED = """ vasp.5.4.4.18Apr17-6-g9f103f2a35 (build Sep 18 2018) complex
 running on   64 total cores
--------------------------------------- Iteration      1(   1)  ---------------------------------------
--------------------------------------- Iteration      2(   1)  ---------------------------------------
--------------------------------------- Iteration      2(   7)  -------
"""  # noqa: E501

OSZICAR = """   N       E                     dE             d eps       ncg     rms          rms(c)
DAV:   1    -0.1234E+03   -0.12E+03   -0.34E+03  1000   0.123E+02
RMM:   2    -0.1230E+03    0.40E+00   -0.12E+01  1100   0.520E+00    0.341E+00
     1 T=   812. E= -.41316599E+03 F= -.41947870E+03 E0= -.41947870E+03  EK= 0.63117E+01 SP= 0.00E+00 SK= 0.00E+00
RMM:   1    -0.1230E+03    0.40E+00   -0.12E+01  1100   0.520E+00    0.341E+00
     2 T=   790. E= -.41316000E+03 F= -.41950000E+03 E0= -.41950001E+03  EK= 0.61400E+01 SP= 0.10E-01 SK= 0.20E-01
     3 T=  1003. E= -.41315000E+03 F= -.41955000E+03 E0= -.41955002E+03  EK= 0.78000E+01 SP= 0.10E-01 SK= 0.20E-01
"""  # noqa: E501


def test_complete_outcar_gives_steps_time_and_cores(tmp_path):
    path = tmp_path / "OUTCAR"
    path.write_text(OUTCAR_VASP6)
    s = read_outcar_summary(path)
    assert s.complete
    assert s.ionic_steps == 3
    assert s.elapsed_s == pytest.approx(86400.512)
    assert s.n_cores == 128


def test_killed_outcar_is_incomplete(tmp_path):
    path = tmp_path / "OUTCAR"
    path.write_text(OUTCAR_VASP5_KILLED)
    s = read_outcar_summary(path)
    assert not s.complete
    assert s.elapsed_s is None
    assert s.n_cores == 64 and s.ionic_steps == 2


def test_oszicar_md_lines(tmp_path):
    path = tmp_path / "OSZICAR"
    path.write_text(OSZICAR)
    series = read_oszicar(path)
    np.testing.assert_array_equal(series.step, [1, 2, 3])
    np.testing.assert_allclose(series.temperature_K, [812.0, 790.0, 1003.0])
    np.testing.assert_allclose(series.conserved_eV, [-413.16599, -413.16, -413.15])
    np.testing.assert_allclose(series.potential_eV, [-419.47870, -419.50001, -419.55002])
    assert series.n_steps == 3


def test_empty_oszicar_has_no_steps(tmp_path):
    path = tmp_path / "OSZICAR"
    path.write_text("   N       E                     dE\nDAV:   1    -0.1E+03\n")
    assert read_oszicar(path).n_steps == 0
