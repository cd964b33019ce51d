"""The mobile-ion MSD and frames are measured relative to the framework's
centre of mass (kinisi's and the study's frame), not in the total-momentum frame."""

import numpy as np

from ionmd.engine.runner import run_batch
from ionmd.fileformat import read_system

from .helpers import argon, lj_model, quick_config, spec


def _light_li(n: int = 2, li_every: int = 3):
    atoms = argon(n, li_every=li_every)
    masses = atoms.get_masses()
    masses[np.array(atoms.get_chemical_symbols()) == "Li"] = 6.94  # light ions
    atoms.set_masses(masses)
    return atoms


def test_device_msd_and_frames_are_relative_to_the_framework_com(tmp_path):
    cfg = quick_config(
        duration_ps=0.6,
        equilibration_ps=0.1,
        sample_every_fs=5.0,
        msd_every_fs=5.0,
        msd_block_size=4,
        temperatures_K=(150.0,),
    )
    systems = [spec(_light_li(), 150.0, "a"), spec(_light_li(2, 4), 90.0, "b")]
    sizes = [len(s.atoms) for s in systems]
    offsets = np.cumsum([0, *sizes])
    full: dict[int, np.ndarray] = {}

    def cb(step, st):
        full[step] = st.positions.detach().cpu().numpy().copy()

    run_batch(
        systems,
        lj_model(),
        md=cfg.md,
        out_path=tmp_path / "f.h5",
        model_name="lj",
        step_callback=cb,
    )
    for k, s in enumerate(systems):
        rec = read_system(tmp_path / "f.h5", s.key)
        assert rec.position_frame == "framework_com"
        sym = np.array(s.atoms.get_chemical_symbols())
        m = s.atoms.get_masses()
        li, fw = sym == "Li", sym != "Li"

        def com(x, fw=fw, m=m):  # independent naive mass-weighted framework COM
            return (x[fw] * m[fw, None]).sum(0) / m[fw].sum()

        x0 = s.atoms.get_positions()
        steps = rec.position_steps
        raw = np.stack([full[int(t)][offsets[k] : offsets[k + 1]] for t in steps])
        shift = np.stack([com(r) - com(x0) for r in raw])
        naive = raw[:, li] - shift[:, None, :]
        np.testing.assert_allclose(rec.positions, naive, rtol=0, atol=1e-9)
        np.testing.assert_allclose(rec.framework_com_A, shift, rtol=0, atol=1e-9)
        assert np.abs(shift).max() > 1e-3  # the framework did drift: not vacuous
        for i, lag_steps in enumerate(rec.msd["lag_steps"]):
            lag = int(lag_steps // cfg.msd_every_steps)
            stride = 4 ** int(np.floor(np.log(lag) / np.log(4) + 1e-9))
            o = np.arange(0, naive.shape[0] - lag, stride)
            d = naive[o + lag] - naive[o]
            np.testing.assert_allclose(
                rec.msd["mobile_A2"][i], (d**2).sum(-1).mean(), rtol=1e-9
            )
            np.testing.assert_allclose(
                rec.msd["collective_A2"][i], (d.sum(1) ** 2).sum(-1).mean(), rtol=1e-9
            )
            fwr = raw[:, fw] - shift[:, None, :]
            dfw = fwr[o + lag] - fwr[o]
            np.testing.assert_allclose(
                rec.msd["framework_A2"][i], (dfw**2).sum(-1).mean(), rtol=1e-9
            )
