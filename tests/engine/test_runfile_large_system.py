"""A system of the documented size writes and reads: the symbols of all atoms are
a dataset of ``/parameters/<key>`` (as an attribute, ~4,000 symbols overflowed
HDF5's 64 kB object header: ``object header message is too large``), and files
written before, with the attribute, still read."""

from __future__ import annotations

import h5py
import numpy as np

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
