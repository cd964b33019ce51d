"""A system of the documented size writes and reads: the symbols of all atoms are
a dataset of ``/parameters/<key>`` (as an attribute, ~4,000 symbols overflowed
HDF5's 64 kB object header: ``object header message is too large``), and files
written before, with the attribute, still read."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from ionmd.fileformat import (
    RunFileWriter,
    SystemInfo,
    SystemUpdate,
    layout,
    read_system,
    system_key,
)

N_ATOMS = 4_200


def _info(n_atoms: int) -> SystemInfo:
    species = tuple("Li" if i % 3 else "N" for i in range(n_atoms))
    return SystemInfo(
        key=system_key("big", 800.0),
        material_id="big",
        formula="Li2N",
        temperature_K=800.0,
        timestep_fs=2.0,
        steps_total=100,
        equilibration_steps=0,
        sample_every_steps=50,
        cell=np.diag([40.0, 40.0, 40.0]),
        species=species,
    )


def _write(path, info: SystemInfo) -> None:
    w = RunFileWriter(path)
    w.create_systems([info])
    rng = np.random.default_rng(0)
    w.write(
        [
            SystemUpdate(
                key=info.key,
                positions=rng.uniform(0, 40, (3, info.n_mobile, 3)),
                position_steps=np.array([0, 50, 100]),
                steps_done=100,
                status="done",
            )
        ]
    )


def test_4200_atom_system_writes_and_reads(tmp_path):
    info = _info(N_ATOMS)
    _write(tmp_path / "md.h5", info)
    rec = read_system(tmp_path / "md.h5", info.key)
    assert rec.attrs["species"] == list(info.species)
    assert rec.attrs["n_atoms"] == N_ATOMS and rec.positions.shape == (3, info.n_mobile, 3)


def test_species_attribute_of_older_files_still_reads(tmp_path):
    info = _info(30)
    path = tmp_path / "md.h5"
    _write(path, info)
    with h5py.File(path, "a") as f:  # the layout before: an attribute
        group = f[layout.parameters_path(info.key)]
        del group["species"]
        group.attrs["species"] = np.array(list(info.species), dtype=h5py.string_dtype())
    assert read_system(path, info.key).attrs["species"] == list(info.species)


@pytest.mark.slow  # ~30 s on 2 loaded cores (4,200 LJ atoms, 6 steps)
def test_4200_atom_poscar_through_ionmd_run(tmp_path, monkeypatch):
    """The original symptom: ``ionmd run`` on a 4,200-atom POSCAR died creating
    the run file (HDF5 ``object header message is too large``)."""
    from pymatgen.core import Lattice, Structure

    from ionmd.cli import main
    from ionmd.fileformat import list_systems

    axes = [np.arange(n) / n for n in (14, 15, 20)]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
    species = ["Li" if i % 4 else "N" for i in range(len(grid))]
    s = Structure(Lattice.orthorhombic(14 * 2.6, 15 * 2.6, 20 * 2.6), species, grid)
    s.to(filename=str(tmp_path / "big.vasp"), fmt="poscar")
    (tmp_path / "run.toml").write_text(
        'materials = ["big.vasp"]\nmodel = "lj"\ntemperatures_K = [300]\n'
        "timestep_fs = 1.0\nduration_ps = 0.006\nequilibration_ps = 0.002\n"
        "sample_every_fs = 2.0\nmsd_every_fs = 1.0\nthermo_every_fs = 2.0\n"
        'fault_check_every_fs = 2.0\nmin_cell_length_A = 1\nout = "out"\n'
        "progress = false\n"
    )
    monkeypatch.chdir(tmp_path)
    assert main(["run", "run.toml", "--no-analysis"]) == 0
    (key,) = list_systems(tmp_path / "out" / "md.h5")
    rec = read_system(tmp_path / "out" / "md.h5", key)
    assert len(rec.attrs["species"]) == N_ATOMS == len(s)
