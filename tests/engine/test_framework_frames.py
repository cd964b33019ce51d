"""Framework frames (``framework_every_fs``): off by default the run file is the
one written before the key existed; on, the framework is stored at its stride in
both MD loops (:mod:`ionmd.engine.runner`, :mod:`ionmd.engine.inflight`), equal to
the simulated positions, and a resume rebuilds it exactly."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from ionmd.campaign.config import flat_defaults
from ionmd.engine.checkpoint import batch_fingerprint
from ionmd.engine.inflight import InFlightBatch
from ionmd.engine.runner import run_batch
from ionmd.errors import InputError
from tests.campaign.tiny import ionmd, keep_signal_handlers, write_config  # noqa: F401

from .helpers import argon, lj_model, quick_config, spec

#: the tiny campaign's run file as main (a2dfaf2) wrote it, before
#: framework_every_fs existed: "path shape dtype attributes" (system key: KEY)
LAYOUT_BEFORE = {
    "/",
    "h5md version",
    "h5md/author name",
    "h5md/creator name,version",
    "msd",
    "msd/KEY",
    "msd/KEY/collective_A2 (11,) <f8",
    "msd/KEY/framework_A2 (11,) <f8",
    "msd/KEY/lag_ps (11,) <f8",
    "msd/KEY/lag_steps (11,) <i8",
    "msd/KEY/mobile_A2 (11,) <f8",
    "msd/KEY/n_origins (11,) <i8",
    "observables",
    "observables/KEY",
    "observables/KEY/conserved_energy_eV",
    "observables/KEY/conserved_energy_eV/step (13,) <i8",
    "observables/KEY/conserved_energy_eV/time (13,) <f8 unit",
    "observables/KEY/conserved_energy_eV/value (13,) <f8 unit",
    "observables/KEY/framework_com_displacement_A",
    "observables/KEY/framework_com_displacement_A/step (9,) <i8",
    "observables/KEY/framework_com_displacement_A/time (9,) <f8 unit",
    "observables/KEY/framework_com_displacement_A/value (9, 3) <f8 unit",
    "observables/KEY/potential_energy_eV",
    "observables/KEY/potential_energy_eV/step (13,) <i8",
    "observables/KEY/potential_energy_eV/time (13,) <f8 unit",
    "observables/KEY/potential_energy_eV/value (13,) <f8 unit",
    "observables/KEY/temperature_K",
    "observables/KEY/temperature_K/step (13,) <i8",
    "observables/KEY/temperature_K/time (13,) <f8 unit",
    "observables/KEY/temperature_K/value (13,) <f8 unit",
    "parameters",
    "parameters/ionmd config_json,created_utc,ionmd_version",
    (
        "parameters/KEY cell,equilibration_ps,equilibration_steps,"
        "failure_reason,formula,material_id,mobile_species,model_name,"
        "model_version,n_atoms,n_frames_valid,n_mobile,position_frame,"
        "sample_every_steps,seed,source,status,steps_done,steps_total,"
        "supercell,temperature_K,timestep_fs,volume_A3"
    ),
    "parameters/KEY/species (32,) |O",
    "particles",
    "particles/KEY",
    "particles/KEY/box boundary,dimension",
    "particles/KEY/box/edges",
    "particles/KEY/box/edges/step (9,) <i8",
    "particles/KEY/box/edges/time (9,) <f8 unit",
    "particles/KEY/box/edges/value (9, 3, 3) <f8 unit",
    "particles/KEY/position",
    "particles/KEY/position/step (9,) <i8",
    "particles/KEY/position/time (9,) <f8 unit",
    "particles/KEY/position/value (9, 8, 3) <f8 unit",
    "particles/KEY/species (8,) <i4",
}


def _layout(path: Path, key: str) -> set[str]:
    out = {"/"}

    def visit(name: str, obj: h5py.HLObject) -> None:
        shape = (
            f"{tuple(obj.shape)} {obj.dtype.str}" if isinstance(obj, h5py.Dataset) else ""
        )
        line = f"{name.replace(key, 'KEY')} {shape} {','.join(sorted(obj.attrs))}"
        out.add(" ".join(line.split()))

    with h5py.File(path) as f:
        f.visititems(visit)
    return out


@pytest.mark.usefixtures("keep_signal_handlers")
def test_off_by_default_the_run_file_is_as_before(tmp_path):
    """Same datasets, shapes, types and attributes as main wrote (values: the
    one-off comparison in the report), and no framework_every_fs in the config."""
    assert ionmd("run", str(write_config(tmp_path, "off"))) == 0
    path = tmp_path / "off" / "md.h5"
    assert _layout(path, "lj_li_30K") == LAYOUT_BEFORE
    with h5py.File(path) as f:
        config = json.loads(f["parameters/ionmd"].attrs["config_json"])
    # off keys are left out: framework_every_fs at 0, n_replicas at 1, the cell
    # stage's keys at the experimental cell
    from ionmd.cells.settings import CELL_KEYS

    left_out = {"framework_every_fs", "n_replicas", *CELL_KEYS}
    assert set(config) == set(flat_defaults()) - left_out | {"extra"}


def _frames(path: Path, key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    with h5py.File(path) as f:
        fw = f[f"framework/{key}/position"]
        com = f[f"observables/{key}/framework_com_displacement_A"]
        return fw["step"][()], fw["value"][()], com["step"][()], com["value"][()]


def test_framework_frames_are_the_simulated_positions(tmp_path):
    """Every second Li frame carries the framework; adding back the stored
    framework centre-of-mass shift gives the positions the integrator had."""
    config = quick_config(duration_ps=0.6, framework_every_fs=50.0)
    seen: dict[int, np.ndarray] = {}

    def grab(step: int, state: object) -> None:
        seen[step] = state.positions.detach().clone().numpy()

    atoms = argon(2)
    run_batch(
        [spec(atoms, 50.0)],
        lj_model(),
        md=config.md,
        out_path=tmp_path / "r.h5",
        model_name="lj",
        step_callback=grab,
    )
    steps, fw, com_steps, com = _frames(tmp_path / "r.h5", "ar_50K")
    eq = config.equilibration_steps
    np.testing.assert_array_equal(steps, np.arange(eq, config.n_steps + 1, 10))
    frame_mask = np.array(atoms.get_chemical_symbols()) != "Li"
    for i, step in enumerate(steps):
        shift = com[np.searchsorted(com_steps, step)]
        np.testing.assert_allclose(fw[i] + shift, seen[step][frame_mask], atol=1e-9)


def test_resume_rebuilds_the_framework_frames(tmp_path):
    config = quick_config(duration_ps=0.6, framework_every_fs=50.0, flush_every_ps=0.2)
    kw = dict(md=config.md, model_name="lj")
    run_batch([spec(argon(2), 50.0)], lj_model(), out_path=tmp_path / "a.h5", **kw)
    with pytest.raises(KeyboardInterrupt):
        run_batch(
            [spec(argon(2), 50.0)],
            lj_model(),
            out_path=tmp_path / "b.h5",
            stop_after_step=95,  # after the flush at 80, framework frames at 90
            **kw,
        )
    run_batch(
        [spec(argon(2), 50.0)], lj_model(), out_path=tmp_path / "b.h5", resume=True, **kw
    )
    for a, b in zip(
        _frames(tmp_path / "a.h5", "ar_50K"),
        _frames(tmp_path / "b.h5", "ar_50K"),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)


def test_inflight_stores_the_same_framework_frames(tmp_path):
    """The adaptive loop's batch: a system alone follows run_batch's trajectory
    bit for bit, framework frames included, at its own steps."""
    config = quick_config(duration_ps=0.5, framework_every_fs=50.0)
    p = config.md
    run_batch(
        [spec(argon(2), 50.0)],
        lj_model(),
        md=p,
        out_path=tmp_path / "a.h5",
        model_name="lj",
    )
    fp = batch_fingerprint(protocol={"p": 1}, model_name="lj", model_version="", systems=[])
    pool = InFlightBatch(
        lj_model(),
        md=p,
        out_path=tmp_path / "b.h5",
        model_name="lj",
        model_version="",
        run_config={},
        fingerprint_hex=fp,
        chunk_steps=20,
    )
    pool.start()
    pool.add([spec(argon(2), 50.0)], steps_total=p.n_steps)
    pool.advance(p.n_steps)
    pool.flush()
    for a, b in zip(
        _frames(tmp_path / "a.h5", "ar_50K"),
        _frames(tmp_path / "b.h5", "ar_50K"),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("fs", [30.0, 10.0, -25.0])
def test_framework_stride_must_be_a_multiple_of_the_li_stride(fs):
    with pytest.raises(InputError, match="framework_every_fs"):
        quick_config(framework_every_fs=fs)  # sample_every_fs = 25


def test_fingerprint_unchanged_when_off():
    """Checkpoints and campaigns fingerprinted before the key still match."""
    off = quick_config().md
    assert "framework_every_fs" not in off.fingerprint_fields()
    assert "framework_every_fs" not in off.as_dict()
    on = quick_config(framework_every_fs=50.0).md
    assert on.fingerprint_fields()["framework_every_fs"] == 50.0


def test_a_failed_system_leaves_the_others_framework_frames_intact(tmp_path):
    """A system dropped mid-flush (fault) takes its pending framework frames
    with it; the survivor's are those of its run alone (Recorder.select)."""
    from .test_faults import FaultyModel

    cfg = quick_config(
        duration_ps=0.5, equilibration_ps=0.1, flush_every_ps=0.1, framework_every_fs=50.0
    )
    good, bad = spec(argon(2), 50.0, "good"), spec(argon(3), 50.0, "nan")
    run_batch(
        [bad, good],
        FaultyModel({108: "nan"}, after_call=40),
        md=cfg.md,
        out_path=tmp_path / "b.h5",
        model_name="faulty",
    )
    run_batch(
        [good],
        lj_model(),
        md=cfg.md,
        out_path=tmp_path / "a.h5",
        model_name="lj",
    )
    got, alone = (
        _frames(tmp_path / "b.h5", "good_50K"),
        _frames(tmp_path / "a.h5", "good_50K"),
    )
    np.testing.assert_array_equal(got[0], alone[0])
    np.testing.assert_allclose(got[1], alone[1], rtol=0, atol=1e-9)
    steps, fw, _, _ = _frames(tmp_path / "b.h5", "nan_50K")
    assert np.isfinite(fw).all() and steps.max() < cfg.n_steps
