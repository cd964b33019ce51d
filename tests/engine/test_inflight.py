"""In-flight batching (ionmd/engine/inflight.py), against the fixed-batch engine:

- exact continuation: a system extended chunk by chunk equals a fixed run of the
  same length (run_batch), bitwise (CPU, float64): positions, thermo, MSD;
- insertion invariance: a system that enters a running batch follows the same
  trajectory as alone (float tolerance), and the system already running is not
  disturbed by it, nor by a system leaving;
- kill and resume mid-chunk: bitwise equal to the uninterrupted run, the run file
  put back to the checkpoint (a system created after it is removed).
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from ionmd.engine.checkpoint import batch_fingerprint
from ionmd.engine.inflight import InFlightBatch
from ionmd.engine.md_settings import MDSettings
from ionmd.engine.runner import run_batch
from ionmd.engine.systems import SystemSpec
from ionmd.errors import InputError

CHUNK = 40  # steps (0.16 ps at 4 fs)

MD = MDSettings(
    timestep_fs=4.0,
    duration_ps=3 * CHUNK * 4.0e-3,
    equilibration_ps=0.04,
    sample_every_fs=40.0,
    msd_every_fs=8.0,
    thermo_every_fs=40.0,
    fault_check_every_fs=40.0,
    flush_every_ps=0.08,
    progress=False,
)


@pytest.fixture(scope="module")
def model() -> object:
    from ionmd.calculators import load_model

    return load_model("toy", device="cpu", dtype=torch.float64)


def _spec(variant: str, T: float) -> SystemSpec:
    from pymatgen.io.ase import AseAtomsAdaptor

    from ionmd.structures.builders import toy_conductor

    atoms = AseAtomsAdaptor.get_atoms(toy_conductor(variant))
    return SystemSpec(material_id=variant, atoms=atoms, temperature_K=T)


def _pool(model: object, path: Path, md: MDSettings = MD) -> InFlightBatch:
    fp = batch_fingerprint(
        protocol={"p": 1}, model_name="toy", model_version="", systems=[]
    )
    return InFlightBatch(
        model,
        md=md,
        out_path=path,
        model_name="toy",
        model_version="",
        run_config={"test": True},
        fingerprint_hex=fp,
        chunk_steps=CHUNK,
    )


def _series(path: Path, key: str) -> dict[str, np.ndarray]:
    with h5py.File(path) as f:
        out = {
            "pos": f[f"particles/{key}/position/value"][()],
            "pos_step": f[f"particles/{key}/position/step"][()],
            "msd": f[f"msd/{key}/mobile_A2"][()],
            "msd_fw": f[f"msd/{key}/framework_A2"][()],
            "lag": f[f"msd/{key}/lag_steps"][()],
        }
        for name in ("temperature_K", "potential_energy_eV", "conserved_energy_eV"):
            out[name] = f[f"observables/{key}/{name}/value"][()]
        out["steps_done"] = np.asarray(f[f"parameters/{key}"].attrs["steps_done"])
        out["steps_total"] = np.asarray(f[f"parameters/{key}"].attrs["steps_total"])
    return out


def _run_chunks(pool: InFlightBatch, n_chunks: int) -> None:
    for _ in range(n_chunks):
        pool.advance(CHUNK)
        pool.flush()
        pool.extend({k: pool.local_step(k) + CHUNK for k in pool.keys})


def test_extended_twice_equals_fixed_run_bitwise(model: object, tmp_path: Path) -> None:
    spec = _spec("toy-fast", 1000.0)
    run_batch([spec], model, md=MD, out_path=tmp_path / "fixed.h5", model_name="toy")
    pool = _pool(model, tmp_path / "pool.h5")
    pool.start()
    pool.add([spec], steps_total=CHUNK)
    _run_chunks(pool, 3)
    pool.remove({spec.key: "done"})
    a, b = _series(tmp_path / "fixed.h5", spec.key), _series(tmp_path / "pool.h5", spec.key)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert int(b["steps_done"]) == 3 * CHUNK


def test_entering_a_running_batch_is_like_running_alone(
    model: object, tmp_path: Path
) -> None:
    first, late, gone = (
        _spec("toy-fast", 1000.0),
        _spec("toy-slow", 900.0),
        _spec("toy-melt", 800.0),
    )
    md2 = MD.replace(duration_ps=2 * CHUNK * 4.0e-3)
    run_batch([late], model, md=md2, out_path=tmp_path / "late.h5", model_name="toy")
    run_batch([first], model, md=MD, out_path=tmp_path / "first.h5", model_name="toy")
    pool = _pool(model, tmp_path / "pool.h5")
    pool.start()
    pool.add([first, gone], steps_total=CHUNK)
    _run_chunks(pool, 1)
    pool.remove({gone.key: "done"})  # leaves as the late one enters
    pool.add([late], steps_total=CHUNK)
    assert pool.keys == [first.key, late.key]
    _run_chunks(pool, 2)
    for spec, ref in ((late, "late.h5"), (first, "first.h5")):
        a, b = _series(tmp_path / ref, spec.key), _series(tmp_path / "pool.h5", spec.key)
        for name in a:
            if name == "steps_total":
                continue
            np.testing.assert_allclose(a[name], b[name], rtol=1e-9, atol=1e-8, err_msg=name)
    assert pool.local_step(late.key) == 2 * CHUNK
    assert pool.local_step(first.key) == 3 * CHUNK


def test_kill_mid_chunk_and_resume_is_bitwise(model: object, tmp_path: Path) -> None:
    a_spec, b_spec = _spec("toy-fast", 1000.0), _spec("toy-slow", 1100.0)

    def scenario(pool: InFlightBatch, *, kill: bool) -> None:
        pool.start()
        pool.add([a_spec], steps_total=CHUNK)
        _run_chunks(pool, 1)
        pool.add([b_spec], steps_total=CHUNK)
        pool.extra = {"queue": ["x"]}
        pool.advance(CHUNK // 2 + 4)  # a flush (checkpoint) at CHUNK + CHUNK // 2
        if kill:
            return
        pool.advance(CHUNK // 2 - 4)
        pool.flush()
        _run_chunks(pool, 1)

    ref = _pool(model, tmp_path / "ref.h5")
    scenario(ref, kill=False)
    killed = _pool(model, tmp_path / "pool.h5")
    scenario(killed, kill=True)
    payload = InFlightBatch.read_checkpoint(tmp_path / "pool.h5", fingerprint_hex=killed.fp)
    assert payload is not None and payload["step"] == CHUNK + CHUNK // 2
    resumed = _pool(model, tmp_path / "pool.h5")
    resumed.resume(payload, specs={s.key: s for s in (a_spec, b_spec)})
    assert resumed.extra == {"queue": ["x"]} and resumed.keys == [a_spec.key, b_spec.key]
    resumed.advance(CHUNK // 2)
    resumed.flush()
    _run_chunks(resumed, 1)
    for spec in (a_spec, b_spec):
        a, b = (
            _series(tmp_path / "ref.h5", spec.key),
            _series(tmp_path / "pool.h5", spec.key),
        )
        for name in a:
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_resume_removes_a_system_created_after_the_checkpoint(
    model: object, tmp_path: Path
) -> None:
    a_spec, b_spec = _spec("toy-fast", 1000.0), _spec("toy-slow", 1100.0)
    pool = _pool(model, tmp_path / "pool.h5")
    pool.start()
    pool.add([a_spec], steps_total=CHUNK)
    pool.advance(CHUNK)
    pool.flush()
    pool.add([b_spec], steps_total=CHUNK)  # killed before the next checkpoint
    payload = InFlightBatch.read_checkpoint(tmp_path / "pool.h5", fingerprint_hex=pool.fp)
    resumed = _pool(model, tmp_path / "pool.h5")
    resumed.resume(payload, specs={a_spec.key: a_spec})
    with h5py.File(tmp_path / "pool.h5") as f:
        assert sorted(f["parameters"]) == sorted([a_spec.key, "ionmd"])
    resumed.add([b_spec], steps_total=CHUNK)  # and it can enter again
    assert resumed.keys == [a_spec.key, b_spec.key]


def test_refusals(model: object, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="multiple of"):
        InFlightBatch(
            model,
            md=MD,
            out_path=tmp_path / "x.h5",
            model_name="toy",
            model_version="",
            run_config={},
            fingerprint_hex="0",
            chunk_steps=CHUNK + 1,
        )
    pool = _pool(model, tmp_path / "pool.h5")
    pool.start()
    spec = _spec("toy-fast", 1000.0)
    pool.add([spec], steps_total=CHUNK)
    with pytest.raises(InputError, match="already"):
        pool.add([spec], steps_total=CHUNK)


def test_whole_run_msd_is_the_first_to_last_sample_displacement(
    model: object, tmp_path: Path
) -> None:
    """What the adaptive loop adds to the lag grid for its 20 Å² check: the MSD from
    the first production sample to now, as the analysis's whole-run lag; checked
    against the stored frames (the first at the end of equilibration, the last at
    the chunk boundary)."""
    spec = _spec("toy-fast", 1200.0)
    pool = _pool(model, tmp_path / "pool.h5")
    pool.start()
    pool.add([spec], steps_total=CHUNK)
    _run_chunks(pool, 2)
    got = pool.msd_results()[spec.key]["mobile_whole_run_A2"]
    with h5py.File(tmp_path / "pool.h5") as f:
        pos = f[f"particles/{spec.key}/position/value"][()]
        steps = f[f"particles/{spec.key}/position/step"][()]
    assert steps[0] == MD.equilibration_steps and steps[-1] == 2 * CHUNK
    want = float(((pos[-1] - pos[0]) ** 2).sum(-1).mean())
    assert got == pytest.approx(want, rel=1e-10)
    assert got > 0.1
