"""A trajectory with all atoms: the Li MSD is measured relative to the
framework's mass-weighted centre of mass, whatever the framework's drift."""

import numpy as np
from ase import Atoms
from ase.data import atomic_masses, atomic_numbers
from ase.io import write

from ionmd.analysis.diffusion import DiffusionSettings, analyse_trajectory
from ionmd.analysis.readers import read_trajectories

L_A = 12.0


def _constructed(seed: int = 0, n_frames: int = 120):
    """Li random walks relative to a framework (N and P, unequal masses) that
    vibrates with zero mass-weighted mean and drifts as a whole."""
    rng = np.random.default_rng(seed)
    n_li, n_n, n_p = 6, 3, 3
    li_rel = rng.uniform(0, L_A, (n_li, 3)) + np.cumsum(
        rng.normal(0, 0.3, (n_frames, n_li, 3)), axis=0
    )
    sites = rng.uniform(0, L_A, (n_n + n_p, 3))
    m = np.array([atomic_masses[atomic_numbers[e]] for e in ["N"] * n_n + ["P"] * n_p])
    noise = rng.normal(0, 0.1, (n_frames, n_n + n_p, 3))
    noise -= np.einsum("fnd,n->fd", noise, m / m.sum())[:, None, :]  # COM fixed
    drift = np.cumsum(rng.normal(0, 0.2, (n_frames, 3)), axis=0)  # framework recoil
    fw = sites[None] + noise + drift[:, None, :]
    li = li_rel + drift[:, None, :]
    symbols = ["Li"] * n_li + ["N"] * n_n + ["P"] * n_p
    return symbols, np.concatenate([li, fw], axis=1), li_rel


def _naive_msd(x, lag):
    d = x[lag:] - x[:-lag]
    return (d**2).sum(-1).mean()


def test_li_msd_relative_to_the_framework_is_recovered_exactly(tmp_path):
    symbols, pos, li_rel = _constructed()
    frames = [Atoms(symbols, positions=p, cell=[L_A] * 3, pbc=True) for p in pos]
    path = tmp_path / "t.extxyz"
    write(path, frames)
    (traj,), _ = read_trajectories(
        [path], timestep_fs=2.0, step_skip=50, temperature_K=800.0, material_id="c"
    )
    corrected = traj.drift_corrected().positions_A
    # positions equal the framework-relative walk up to one constant shift
    shift = corrected - li_rel
    np.testing.assert_allclose(shift, np.broadcast_to(shift[0], shift.shape), atol=1e-8)
    res = analyse_trajectory(
        traj=traj, settings=DiffusionSettings(use_kinisi=False, fit_start_ps=0.5)
    )
    lag_frames = np.rint(res.lag_ps / traj.frame_interval_ps).astype(int)
    naive = np.array([_naive_msd(li_rel, int(k)) for k in lag_frames])
    np.testing.assert_allclose(res.msd_A2, naive, rtol=1e-7)  # extxyz: ~1e-8 Å text
    # not vacuous: in the total-momentum frame (no correction) the MSD differs
    raw = np.array([_naive_msd(traj.positions_A, int(k)) for k in lag_frames])
    assert np.max(np.abs(raw / naive - 1)) > 0.1
    assert res.formula == "Li2NP"


def test_pymatgen_json_formula_is_the_reduced_formula(tmp_path):
    """Was the element set (``GeLiPS`` for LGPS)."""
    import json

    from ionmd.analysis.readers import read_pmg_analyzer_json

    counts = {"Li": 20, "Ge": 2, "P": 4, "S": 24}
    symbols = [el for el, n in counts.items() for _ in range(n)]
    rng = np.random.default_rng(1)
    xyz = rng.uniform(0, 8, (len(symbols), 3))
    doc = {
        "structure": {
            "lattice": {"matrix": np.diag([8.0, 8.0, 12.0]).tolist()},
            "sites": [
                {"species": [{"element": s, "occu": 1}], "xyz": x.tolist()}
                for s, x in zip(symbols, xyz, strict=True)
            ],
        },
        "displacements": rng.normal(0, 0.1, (len(symbols), 5, 3)).tolist(),
        "time_step": 2,
        "step_skip": 50,
        "temperature": 600,
        "specie": "Li",
    }
    path = tmp_path / "DiffusionAnalyzer.json"
    path.write_text(json.dumps(doc))
    assert read_pmg_analyzer_json(path).formula == "Li10GeP2S12"
