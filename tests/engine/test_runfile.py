"""The run file: H5MD readers (MDAnalysis) open it; attributes the analysis
layer relies on are there; the file is readable between flushes."""

import numpy as np
import pytest

from ionmd.engine.runner import run_batch
from ionmd.fileformat import RunFileError, list_systems, read_run_attrs, read_system

from .helpers import argon, lj_model, quick_config, spec

REQUIRED_ATTRS = [
    "material_id",
    "formula",
    "temperature_K",
    "timestep_fs",
    "steps_total",
    "steps_done",
    "equilibration_steps",
    "equilibration_ps",
    "sample_every_steps",
    "mobile_species",
    "n_mobile",
    "n_atoms",
    "volume_A3",
    "cell",
    "species",
    "supercell",
    "model_name",
    "model_version",
    "seed",
    "status",
    "n_frames_valid",
]


@pytest.fixture(scope="module")
def runfile(tmp_path_factory):
    path = tmp_path_factory.mktemp("rf") / "md.h5"
    systems = [spec(argon(2), 40.0, "a"), spec(argon(2, li_every=2), 80.0, "b")]
    run_batch(
        systems,
        lj_model(),
        md=quick_config(duration_ps=0.3).md,
        out_path=path,
        model_name="lj",
        model_version="test",
    )
    return path, systems


def test_attributes_and_shapes(runfile):
    path, systems = runfile
    assert list_systems(path) == [s.key for s in systems]
    assert read_run_attrs(path)["config"]["timestep_fs"] == 5.0
    for s in systems:
        rec = read_system(path, s.key)
        for name in REQUIRED_ATTRS:
            assert name in rec.attrs, name
        n_li = sum(1 for x in s.atoms.get_chemical_symbols() if x == "Li")
        assert rec.n_mobile == n_li and rec.positions.shape[1:] == (n_li, 3)
        assert rec.attrs["status"] == "done"
        assert rec.attrs["steps_done"] == rec.attrs["steps_total"] == 60
        np.testing.assert_allclose(rec.volume_A3, s.atoms.get_volume())
        # frames start at the end of equilibration, every sample_every_steps
        assert rec.position_steps[0] == rec.attrs["equilibration_steps"]
        assert np.all(np.diff(rec.position_steps) == rec.attrs["sample_every_steps"])
        assert np.all(rec.mobile_numbers == 3)
        np.testing.assert_allclose(rec.msd["lag_ps"], rec.msd["lag_steps"] * 5e-3)


def test_mdanalysis_opens_the_file(runfile):
    mda = pytest.importorskip("MDAnalysis")
    path, systems = runfile
    rec = read_system(path, systems[0].key)
    u = mda.Universe.empty(rec.n_mobile, trajectory=True)
    u.load_new(str(path), format="H5MD")
    assert len(u.trajectory) == rec.positions.shape[0]
    ts = u.trajectory[3]
    np.testing.assert_allclose(ts.positions, rec.positions[3], atol=1e-5)
    np.testing.assert_allclose(ts.dimensions[:3], np.diag(rec.cell), atol=1e-5)
    assert ts.time == pytest.approx(rec.position_time_ps[3])


def test_reader_errors_are_one_line(tmp_path):
    empty = tmp_path / "empty.h5"
    empty.write_bytes(b"")
    with pytest.raises(RunFileError, match="empty file"):
        list_systems(empty)
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"not hdf5 at all" * 10)
    with pytest.raises(RunFileError, match="not a readable HDF5"):
        list_systems(junk)
    with pytest.raises(RunFileError, match="no such file"):
        read_system(tmp_path / "missing.h5", "x")
