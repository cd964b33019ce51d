"""The toy conductor (ionmd/calculators/toy.py, docs/toy_conductor.md): a pair
potential in which Li diffuses on a CPU in seconds."""

import numpy as np
import pytest
import torch
import torch_sim as ts
from pymatgen.io.ase import AseAtomsAdaptor

from ionmd.calculators import load_ase_calculator, load_model, model_info, toy
from ionmd.campaign.materials import load_material, material_sources
from ionmd.errors import ModelLoadError
from ionmd.structures.builders import TOY_FCC_A_A, TOY_FRAMEWORK_ELEMENT, toy_conductor

VARIANTS = ("toy-fast", "toy-slow", "toy-melt")


def _atoms(variant, *, rattle_A=0.0, seed=0):
    atoms = AseAtomsAdaptor.get_atoms(toy_conductor(variant))
    atoms.info.clear()
    if rattle_A:
        atoms.rattle(stdev=rattle_A, seed=seed)
    return atoms


def _state(atoms_list):
    return ts.io.atoms_to_state(list(atoms_list), device="cpu", dtype=torch.float64)


@pytest.fixture(scope="module")
def model():
    return load_model("toy")


# --- names, structures ---------------------------------------------------------


def test_names_and_info():
    assert isinstance(load_model("toy-conductor"), toy.ToyConductorModel)
    info = model_info("toy-conductor")
    assert info["model_name"] == "toy"
    assert "Li-Xe: eps=0.1 eV sigma=2.3 A" in info["model_version"]
    with pytest.raises(ModelLoadError, match="no ASE calculator"):
        load_ase_calculator("toy")
    with pytest.raises(ModelLoadError, match="does not cover elements Na"):
        load_model("toy", elements=["Li", "Na"])


def test_builders_match_the_model():
    assert TOY_FRAMEWORK_ELEMENT == toy.FRAMEWORK_ELEMENT
    for variant in VARIANTS:
        s = toy_conductor(variant)
        counts = s.composition.as_dict()
        assert counts == {toy.FRAMEWORK_ELEMENT[variant]: 108.0, "Li": 27.0}
        assert min(s.lattice.abc) >= 10.0  # the campaign's 10 Å rule adds no supercell
    with pytest.raises(ValueError, match="unknown toy variant"):
        toy_conductor("toy-warm")


def test_lattice_constant_is_the_framework_minimum(model):
    """The builders' a is the zero-pressure 0 K minimum of the framework LJ."""
    from ase.build import bulk

    def per_atom(a):
        atoms = bulk("Kr", "fcc", a=a, cubic=True).repeat((3, 3, 3))
        return model(_state([atoms]))["energy"].item() / len(atoms)

    e0 = per_atom(TOY_FCC_A_A)
    assert per_atom(TOY_FCC_A_A * 0.995) > e0
    assert per_atom(TOY_FCC_A_A * 1.005) > e0


def test_builtin_materials():
    sources = material_sources(
        ["builtin:toy-fast", "builtin:toy-slow", "builtin:toy-melt"], obelix_data=None
    )
    for src in sources:
        s = load_material(
            src, obelix_data=None, round_occupancies=False, mobile_species="Li"
        )
        assert s.composition["Li"] == 27


# --- the potential ---------------------------------------------------------------


def test_forces_are_minus_gradient(model):
    atoms = _atoms("toy-fast", rattle_A=0.15, seed=3)
    state = _state([atoms])
    forces = model(state)["forces"]
    rng = np.random.default_rng(0)
    h = 1e-5
    for i in rng.choice(len(atoms), size=8, replace=False):
        for k in range(3):
            plus, minus = state.clone(), state.clone()
            plus.positions[i, k] += h
            minus.positions[i, k] -= h
            numeric = -(model(plus)["energy"] - model(minus)["energy"]).item() / (2 * h)
            assert forces[i, k].item() == pytest.approx(numeric, abs=1e-6)
    assert forces.abs().max() > 0.1  # a rattled cell has real forces


@pytest.mark.parametrize("pair", [("Kr", "Kr"), ("Ar", "Ar"), ("Li", "Xe"), ("Li", "Li")])
def test_energy_and_force_vanish_at_the_cutoff(pair):
    from ase.data import atomic_numbers

    p = toy.toy_pair_table()[pair]
    m = toy.ToyConductorModel()
    zi = torch.tensor([atomic_numbers[pair[0]]] * 3)
    zj = torch.tensor([atomic_numbers[pair[1]]] * 3)
    r = torch.tensor(
        [p.cutoff_A - 1e-6, p.cutoff_A, p.cutoff_A + 1e-6], dtype=torch.float64
    ).requires_grad_()
    e = m.pair_fn(r, zi, zj)
    (de,) = torch.autograd.grad(e.sum(), r)
    assert e.abs().max().item() < 1e-10  # continuous: no jump at r_c
    assert de.abs().max().item() < 1e-4  # shifted force: force → 0 at r_c
    inner = m.pair_fn(torch.tensor([0.9 * p.sigma_A], dtype=torch.float64), zi[:1], zj[:1])
    assert inner.item() > 0  # repulsive inside σ


def test_batch_of_three_variants_equals_each_alone(model):
    atoms = [_atoms(v, rattle_A=0.1, seed=i) for i, v in enumerate(VARIANTS)]
    batch = model(_state(atoms))
    start = 0
    for i, a in enumerate(atoms):
        alone = model(_state([a]))
        n = len(a)
        torch.testing.assert_close(
            batch["energy"][i], alone["energy"][0], rtol=0, atol=1e-10
        )
        torch.testing.assert_close(
            batch["forces"][start : start + n], alone["forces"], rtol=0, atol=1e-10
        )
        start += n


def test_unwrapped_positions_give_the_same_forces(model):
    state = _state([_atoms("toy-slow", rattle_A=0.1)])
    rng = np.random.default_rng(1)
    shift = torch.tensor(rng.integers(-3, 4, size=(state.n_atoms, 3)), dtype=state.dtype)
    moved = state.clone()
    moved.positions = state.positions + shift @ state.row_vector_cell[0]
    a, b = model(state), model(moved)
    torch.testing.assert_close(a["forces"], b["forces"], rtol=0, atol=1e-9)
    torch.testing.assert_close(a["energy"], b["energy"], rtol=0, atol=1e-9)


def test_uncovered_element_is_refused(model):
    from ase.build import bulk

    with pytest.raises(ModelLoadError, match="Cu"):
        model(_state([bulk("Cu", "fcc", a=3.6, cubic=True).repeat(3)]))


def test_campaign_knows_what_the_toy_model_covers(model):
    """The campaign's element check (supported_numbers) sees the toy model's
    coverage, so a non-toy material is skipped with one line before any MD."""
    from ionmd.campaign.run import supported_numbers

    assert supported_numbers(model) == {3, 18, 36, 54}


# --- short MD: real diffusion, a framework that holds or melts ------------------


def _nh_msd(specs, *, timestep_fs, duration_ps, every_ps=0.5):
    """Li and framework MSD (n_frames, n_systems) of a short NH run, Å², and the
    largest drift of the NH conserved energy per atom (n_systems,), eV."""
    from ionmd.engine import integrator as nh
    from ionmd.engine.systems import build_state

    m = toy.ToyConductorModel()
    state, p, kT = build_state(specs, device=torch.device("cpu"), dtype=torch.float64)
    st = nh.nh_init(state, m, kT=kT, momenta=p, timestep_fs=timestep_fs, tau_fs=100.0)
    li = torch.as_tensor(
        np.concatenate([np.array(s.atoms.get_chemical_symbols()) == "Li" for s in specs])
    )
    x0 = st.positions.clone()
    every = round(every_ps * 1000 / timestep_fs)
    dt = nh.time_internal(timestep_fs)
    li_msd, fw_msd = [], []
    h0 = nh.nh_conserved_energy(st, kT=kT)
    n_atoms = torch.bincount(st.system_idx).to(h0.dtype)
    drift = torch.zeros_like(h0)
    for step in range(1, round(duration_ps * 1000 / timestep_fs) + 1):
        st = nh.nh_step(st, m, kT=kT, dt=dt)
        if step % every == 0:
            d2 = ((st.positions - x0) ** 2).sum(1)
            n = len(specs)
            sys_idx = st.system_idx
            li_msd.append(
                [d2[(sys_idx == i) & li].mean().item() for i in range(n)],
            )
            fw_msd.append([d2[(sys_idx == i) & ~li].mean().item() for i in range(n)])
            h = nh.nh_conserved_energy(st, kT=kT)
            drift = torch.maximum(drift, (h - h0).abs() / n_atoms)
    return np.array(li_msd), np.array(fw_msd), drift.numpy()


def test_fast_diffuses_and_melt_melts_only_when_hot():
    """3 ps at 4 fs (750 steps, ~20 s on one core): the NH conserved energy
    holds; toy-fast at 1200 K has a
    Li MSD growing linearly, its framework bounded; toy-melt's framework stays
    put at 800 K and flows at 1500 K (above T_melt ≈ 1100 K)."""
    from ionmd.engine.systems import SystemSpec

    specs = [
        SystemSpec(material_id=v, atoms=_atoms(v), temperature_K=t)
        for v, t in (("toy-fast", 1200.0), ("toy-melt", 800.0), ("toy-melt", 1500.0))
    ]
    li, fw, drift = _nh_msd(specs, timestep_fs=4.0, duration_ps=3.0)  # 0.5, …, 3 ps
    # smooth cutoffs: the NH conserved energy holds (measured ≤ ~1.5 meV/atom)
    assert drift.max() < 3e-3, drift
    fast_li, fast_fw = li[:, 0], fw[:, 0]
    # diffusive: well beyond the cage, and the MSD at 3 ps ≈ twice the MSD at
    # 1.5 ps (caged: ratio ≈ 1; ballistic: 4)
    assert fast_li[-1] > 6.0
    assert 1.4 < fast_li[-1] / fast_li[2] < 3.0
    assert fast_fw.max() < 0.3  # the framework vibrates, no more
    assert fw[:, 1].max() < 1.0  # toy-melt below T_melt: solid
    assert fw[-1, 2] > 5.0  # above: the framework flag's 5 Å² is crossed
    assert fw[-1, 2] > 1.5 * fw[2, 2]  # and still growing


# --- slow: Arrhenius behaviour through the engine ---------------------------------

#: (variant, temperatures K): 4 temperatures over which each variant hops
#: enough in a short run (toy-slow barely leaves its cage below ~1300 K, so
#: its range extends above the campaign window: this tests the potential).
ARRHENIUS_RUNS = {
    "toy-fast": (600.0, 800.0, 1000.0, 1200.0),
    "toy-slow": (1300.0, 1450.0, 1600.0, 1750.0),
}
#: 13 ps at 4 fs after 1 ps discarded: ~2 min per variant on one busy core.
ARRHENIUS_DURATION_PS = 14.0


def _tracer_D_A2_ps(positions, *, frame_ps, fit_start_ps):
    """D from the multi-origin tracer MSD of `positions (F, M, 3)`: OLS slope / 6
    over lags from `fit_start_ps` to half the run."""
    n = positions.shape[0]
    lags = np.arange(1, n // 2 + 1)
    msd = np.array([((positions[k:] - positions[:-k]) ** 2).sum(-1).mean() for k in lags])
    t = lags * frame_ps
    keep = t >= fit_start_ps
    return float(np.polyfit(t[keep], msd[keep], 1)[0] / 6.0), float(msd.max())


@pytest.fixture(scope="module")
def arrhenius_D(tmp_path_factory):
    """{variant: [(T, D Å²/ps, max MSD Å²)]} from ionmd's engine (run_batch)."""
    from ionmd.campaign.config import RunConfig
    from ionmd.engine.runner import run_batch
    from ionmd.engine.systems import SystemSpec
    from ionmd.fileformat.reader import list_systems, read_system

    cache: dict[str, list[tuple[float, float, float]]] = {}

    def measure(variant):
        if variant in cache:
            return cache[variant]
        temps = ARRHENIUS_RUNS[variant]
        config = RunConfig(
            materials=(variant,),
            temperatures_K=temps,
            model="toy",
            timestep_fs=4.0,
            duration_ps=ARRHENIUS_DURATION_PS,
            equilibration_ps=1.0,
            sample_every_fs=100.0,
            progress=False,
        )
        specs = [
            SystemSpec(material_id=variant, atoms=_atoms(variant), temperature_K=t)
            for t in temps
        ]
        path = tmp_path_factory.mktemp(variant) / "md.h5"
        run_batch(
            specs,
            load_model("toy"),
            md=config.md,
            out_path=path,
            model_name="toy",
        )
        rows = []
        for key in list_systems(path):
            rec = read_system(path, key)
            D, msd_max = _tracer_D_A2_ps(rec.positions, frame_ps=0.1, fit_start_ps=1.0)
            rows.append((rec.temperature_K, D, msd_max))
        cache[variant] = sorted(rows)
        print(variant, [(T, round(D, 4), round(m, 1)) for T, D, m in cache[variant]])
        return cache[variant]

    return measure


def _fit(rows):
    from ionmd.analysis.arrhenius import fit_arrhenius

    T = np.array([r[0] for r in rows])
    D = np.array([r[1] for r in rows]) * 1e-4  # Å²/ps → cm²/s
    fit = fit_arrhenius(temperature_K=T, D_cm2_s=D)
    resid = np.log(D) - (fit.ln_D0 - fit.Ea_eV / (8.617333e-5 * T))
    print(
        f"Ea = {fit.Ea_eV:.3f} ± {fit.Ea_sigma_eV:.3f} eV, max |ln resid| {resid.max():.2f}"
    )
    return fit, resid


@pytest.mark.slow
@pytest.mark.parametrize("variant", list(ARRHENIUS_RUNS))
def test_arrhenius(variant, arrhenius_D):
    """ln D is linear in 1/T (residuals below 0.5 in ln D: 27 Li over 13 ps
    make a few dozen hops, D scatters by ~30 %), D rises over the range, and
    the hottest run left its cage well behind (Li MSD ≥ 4 Å² at half the run;
    the cage alone gives ~1 Å²)."""
    rows = arrhenius_D(variant)
    Ds = [r[1] for r in rows]
    assert all(D > 0 for D in Ds)
    assert Ds[-1] > 3 * Ds[0]
    assert rows[-1][2] >= 4.0, rows
    fit, resid = _fit(rows)
    assert np.abs(resid).max() < 0.5
    assert 0.05 < fit.Ea_eV < 1.5


@pytest.mark.slow
def test_slow_barrier_is_higher(arrhenius_D):
    fast, _ = _fit(arrhenius_D("toy-fast"))
    slow, _ = _fit(arrhenius_D("toy-slow"))
    assert slow.Ea_eV > fast.Ea_eV + 0.1
