"""``ionmd export``: a diffusing LJ fluid (32 atoms, 8 labelled Li, 600 K =
5 ε/k) run with ``framework_every_fs`` = ``sample_every_fs``, exported as extxyz,
traj and XDATCAR and read back by ASE, pymatgen and MDAnalysis: the structures
are the stored ones, and the D of pymatgen-analysis-diffusion and of MDAnalysis
from the exported files equals ionmd's D on the same frames and fit window.

Tolerances: the three tools see the same frames, so their MSDs agree to the
files' precision (XDATCAR: 8 decimals of a fraction of a 10.5 Å cell, ~1e-7 Å;
extxyz: ASE's 8 decimals), far below the 1e-5 relative asked; the same fit
(least squares over lags >= 1 ps to the last frame) then gives the same D to
1e-5. pymatgen's *default* fit weights each lag by 1/t: another estimator, which
on this 4.5 ps run differs from least squares by ~20 % (3.45e-5 against
2.92e-5 cm²/s); it is required to lie inside ionmd's own 95 % interval for D
(kinisi, here ±60 %), the uncertainty ionmd reports. The exact checks fail on a
wrapped extxyz, a wrong time unit or a dropped frame.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ionmd.analysis.diffusion import DiffusionSettings, analyse_trajectory
from ionmd.analysis.readers.h5 import read_run_file
from ionmd.cli import main
from ionmd.engine.runner import run_batch
from ionmd.fileformat import read_system
from ionmd.numerics.host_msd import msd_on_lag_grid
from tests.engine.helpers import argon, lj_model, quick_config, spec

FRAME_FS = 50.0
FIT_START_PS = 1.0


@pytest.fixture(scope="module")
def fluid_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "md.h5"
    config = quick_config(
        temperatures_K=(600.0,),
        duration_ps=5.0,
        timestep_fs=10.0,
        equilibration_ps=0.5,
        sample_every_fs=FRAME_FS,
        framework_every_fs=FRAME_FS,
        msd_every_fs=FRAME_FS,
    )
    run_batch(
        [spec(argon(2), 600.0, material_id="lj")],
        lj_model(),
        md=config.md,
        out_path=out,
        model_name="lj",
    )
    return out


def _export(run: Path, fmt: str, out: Path) -> Path:
    assert main(["export", str(run), "--format", fmt, "--out", str(out)]) == 0
    return out


def _ionmd(run: Path) -> tuple[np.ndarray, float]:
    """The stored Li positions and ionmd's least-squares D (cm²/s) from 1 ps."""
    (traj,), _ = read_run_file(run)
    res = analyse_trajectory(
        traj=traj,
        settings=DiffusionSettings(use_kinisi=False, fit_start_ps=FIT_START_PS),
    )
    return traj.positions_A, res.D_ols_cm2_s


def test_export_round_trips_the_stored_structures(fluid_run, tmp_path):
    from ase.io import read

    rec = read_system(fluid_run, "lj_600K")
    species = np.asarray(rec.attrs["species"])
    li = species == "Li"
    for fmt in ("extxyz", "traj"):
        images = read(_export(fluid_run, fmt, tmp_path / f"t.{fmt}"), index=":")
        assert len(images) == rec.positions.shape[0]  # framework on every Li frame
        got = np.stack([a.positions for a in images])
        assert list(images[0].get_chemical_symbols()) == list(species)
        np.testing.assert_allclose(got[:, li], rec.positions, atol=1e-6)
        np.testing.assert_allclose(images[0].cell[:], rec.cell, atol=1e-8)
    xdat = read(_export(fluid_run, "xdatcar", tmp_path / "XDATCAR"), index=":")
    frac = np.stack([a.get_scaled_positions(wrap=False) for a in xdat])
    assert frac.min() >= 0.0 and frac.max() < 1.0  # wrapped
    want = np.linalg.solve(rec.cell.T, rec.positions[-1].T).T % 1.0
    li_x = np.array(xdat[-1].get_chemical_symbols()) == "Li"
    d = (frac[-1][li_x] - want + 0.5) % 1.0 - 0.5
    assert np.abs(d).max() < 1e-6


def test_pymatgen_diffusion_agrees_with_ionmd(fluid_run, tmp_path):
    pytest.importorskip("pymatgen.analysis.diffusion", reason="pymatgen-analysis-diffusion")
    from pymatgen.analysis.diffusion.analyzer import (
        DiffusionAnalyzer,
        get_diffusivity_from_msd,
    )
    from pymatgen.io.vasp.outputs import Xdatcar

    li_pos, D_ionmd = _ionmd(fluid_run)
    structures = Xdatcar(
        str(_export(fluid_run, "xdatcar", tmp_path / "XDATCAR"))
    ).structures
    assert len(structures) == li_pos.shape[0]
    # min_obs = number of Li: pymatgen's lags run from 1 ps to the last frame,
    # ionmd's fit window with fit_start_ps = 1
    da = DiffusionAnalyzer.from_structures(
        structures, "Li", 600.0, FRAME_FS, 1, min_obs=li_pos.shape[1]
    )
    lags = np.rint(da.dt / FRAME_FS).astype(int)
    ours, _, _ = msd_on_lag_grid(positions_A=li_pos, lag_frames=lags)
    np.testing.assert_allclose(da.msd, ours, rtol=1e-5)  # its unwrapping = ours
    D_plain, _ = get_diffusivity_from_msd(da.msd, da.dt, smoothed=False)
    assert D_plain == pytest.approx(D_ionmd, rel=1e-5)
    # pymatgen's default fit (weights 1/t) is another estimator of the same D:
    # it lies inside ionmd's 95 % interval (kinisi) on the same frames
    (traj,), _ = read_run_file(fluid_run)
    res = analyse_trajectory(
        traj=traj, settings=DiffusionSettings(fit_start_ps=FIT_START_PS)
    )
    lo, hi = res.D_ci95_cm2_s
    assert lo < da.diffusivity < hi, (da.diffusivity, lo, hi)


def test_mdanalysis_einstein_msd_agrees_with_ionmd(fluid_run, tmp_path):
    pytest.importorskip("MDAnalysis", reason="MDAnalysis")
    from MDAnalysis import Universe
    from MDAnalysis.analysis.msd import EinsteinMSD

    li_pos, D_ionmd = _ionmd(fluid_run)
    path = _export(fluid_run, "extxyz", tmp_path / "t.extxyz")
    u = Universe(str(path), format="XYZ", dt=FRAME_FS * 1e-3)
    msd = EinsteinMSD(u, select="name Li", msd_type="xyz", fft=False).run()
    series = msd.results.timeseries
    assert len(series) == li_pos.shape[0]
    lag_ps = np.arange(len(series)) * FRAME_FS * 1e-3
    sel = lag_ps >= FIT_START_PS - 1e-12
    slope = np.polyfit(lag_ps[sel], series[sel], 1)[0]
    D_mda = slope / 6 * 1e-4  # Å²/ps → cm²/s
    assert D_mda == pytest.approx(D_ionmd, rel=1e-5)


def test_li_only_when_the_framework_is_off(tmp_path, capsys):
    from ase.io import read

    out = tmp_path / "md.h5"
    config = quick_config(duration_ps=0.5, equilibration_ps=0.1)
    run_batch(
        [spec(argon(2), 50.0)],
        lj_model(),
        md=config.md,
        out_path=out,
        model_name="lj",
    )
    path = _export(out, "extxyz", tmp_path / "li.extxyz")
    assert "Li ions only" in capsys.readouterr().err
    images = read(path, index=":")
    assert set(images[0].get_chemical_symbols()) == {"Li"}
    assert len(images) == read_system(out, "ar_50K").positions.shape[0]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["no/such.h5", "--format", "extxyz"], "no such file"),
        (["DIR", "--format", "extxyz"], "a directory without md.h5"),
        (["RUN", "--format", "pdb"], "unknown format 'pdb'"),
        (["RUN", "--format", "traj", "--system", "nope_1K"], "no system 'nope_1K'"),
    ],
)
def test_export_errors_in_one_line(fluid_run, tmp_path, capsys, args, words):
    names = {"RUN": str(fluid_run), "DIR": str(tmp_path)}
    args = [names.get(a, a) for a in args]
    assert main(["export", *args, "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err, err


def test_export_makes_the_missing_folders_of_out(fluid_run, tmp_path, capsys):
    """--out results/run1/x.xyz with results/ missing: written there (it was an
    OSError's errno text, the folders left for the user to make)."""
    from ase.io import read

    out = tmp_path / "results" / "run1" / "fluid.extxyz"
    assert main(["export", str(fluid_run), "--format", "extxyz", "--out", str(out)]) == 0
    assert len(read(out, index=":")) == read_system(fluid_run, "lj_600K").positions.shape[0]
    assert str(out) in capsys.readouterr().out


@pytest.mark.parametrize(
    ("out", "words"),
    [
        ("DIR", "is a directory; give a file name"),
        ("FILE/x.xyz", "which is a file"),
        ("/proc/x.xyz", "not a disk"),
        ("RUN", "is the input"),  # it wrote the extxyz over the run file
    ],
)
def test_export_out_refused_in_one_line(fluid_run, tmp_path, capsys, out, words):
    (tmp_path / "FILE").write_text("")
    out = {"DIR": str(tmp_path), "RUN": str(fluid_run)}.get(out, out)
    out = out.replace("FILE", str(tmp_path / "FILE"))
    assert main(["export", str(fluid_run), "--format", "traj", "--out", out]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err and "Errno" not in err, err
    assert read_system(fluid_run, "lj_600K").positions.shape[0] > 0  # still a run file
