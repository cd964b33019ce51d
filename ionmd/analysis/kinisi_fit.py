"""The bridge to kinisi 2.x: Bayesian D with its uncertainty from positions that
are already unwrapped.

kinisi's base ``Parser`` would re-unwrap fractional coordinates frame to frame;
here its two displacement methods are replaced by the exact displacement from
frame 0 of the unwrapped positions, so nothing is unwrapped twice and triclinic
cells cost no more than orthorhombic ones. Drift is corrected before (see
:meth:`MobileTrajectory.drift_corrected`), so no drift indices are passed.

Settings follow kinisi's documented VASP example (diffusion fitted from 3 ps,
``RandomState(42)``, 1000 samples × 32 walkers, 500 burn-in, thinning 10); the
frames it sees are those of the analysis grid, every lag of a bounded linear
grid (at most a few hundred lags) so that long runs take seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ionmd.errors import InputError

#: Recorded in results.json so that a reader knows how each D was obtained.
KINISI_DOCUMENTED_SETTINGS: dict[str, object] = {
    "source": "kinisi 2.x documentation, VASP XDATCAR example",
    "documented_time_step_fs": 2.0,
    "documented_step_skip": 50,
    "documented_start_dt_ps": 3.0,
    "random_state": 42,
    "n_samples": 1000,
    "n_walkers": 32,
    "n_burn": 500,
    "n_thin": 10,
    "cond_max": 1e16,
    "fit_intercept": True,
}


@dataclass(kw_only=True)
class KinisiDiffusion:
    """Posterior of D. ``samples_cm2_s (S,)``; median and 95 % interval in cm²/s."""

    samples_cm2_s: np.ndarray
    D_cm2_s: float
    D_ci95_cm2_s: tuple[float, float]
    start_dt_ps: float
    n_lags: int
    dimension: str
    kinisi_version: str


def kinisi_diffusion(
    *,
    positions_A: np.ndarray,
    cell_A: np.ndarray,
    frame_interval_ps: float,
    lag_frames: np.ndarray,
    start_dt_ps: float,
    dimension: str = "xyz",
    seed: int = 42,
) -> KinisiDiffusion:
    """kinisi's Bayesian tracer D from unwrapped ``positions_A (F, M, 3)``.

    ``lag_frames (L,)`` is the lag grid in frames; ``start_dt_ps`` the start of the
    diffusive regime (must not exceed the longest lag).
    """
    try:
        import kinisi
        import scipp as sc
        from kinisi.diffusion_analyzer import DiffusionAnalyzer
        from kinisi.displacement import calculate_msd
        from kinisi.parser import Parser
    except ImportError as exc:  # the engine box has no kinisi
        raise InputError(
            f"kinisi is not installed ({exc}); install it or pass --no-kinisi"
        ) from None

    def _displacements(coords: sc.Variable, lattice: sc.Variable) -> sc.Variable:
        cart = np.einsum("tij,tjk->tik", coords.values, lattice.values)
        return sc.array(
            dims=["obs", *coords.dims[1:]], values=cart[1:] - cart[0], unit=lattice.unit
        )

    class _UnwrappedParser(Parser):
        orthorhombic_calculate_displacements = staticmethod(_displacements)
        non_orthorhombic_calculate_displacements = staticmethod(_displacements)

    pos = np.asarray(positions_A, dtype=np.float64)
    lags = np.asarray(lag_frames, dtype=np.int64)
    n_frames, n_ions = pos.shape[0], pos.shape[1]
    cell = np.asarray(cell_A, dtype=np.float64)
    frac = pos @ np.linalg.inv(cell)
    coords = sc.array(
        dims=["time", "particle", "dimension"], values=frac, unit=sc.units.dimensionless
    )
    latt = sc.array(
        dims=["time", "dimension1", "dimension2"],
        values=np.broadcast_to(cell, (n_frames, 3, 3)).copy(),
        unit=sc.units.angstrom,
    )
    time_step = sc.scalar(frame_interval_ps, unit="ps")
    step_skip = sc.scalar(1, unit=sc.units.dimensionless)
    dt = sc.array(dims=["time interval"], values=lags * frame_interval_ps, unit="ps")
    if start_dt_ps > lags[-1] * frame_interval_ps:
        raise InputError(
            f"fit start {start_dt_ps} ps is beyond the longest lag "
            f"{lags[-1] * frame_interval_ps:.3g} ps"
        )
    parser = _UnwrappedParser(
        coords,
        latt,
        time_step,
        step_skip,
        dt=dt,
        specie_indices=sc.array(dims=["particle"], values=np.arange(n_ions)),
        drift_indices=sc.array(dims=["particle"], values=np.array([], dtype=np.int64)),
        dimension=dimension,
    )
    if not np.array_equal(
        parser.dt_index.values, lags
    ):  # float round-off in kinisi's division
        parser.dt_index = sc.array(dims=["time interval"], values=lags)
    analyzer = DiffusionAnalyzer(parser)
    analyzer._dg = calculate_msd(parser, progress=False)
    s = KINISI_DOCUMENTED_SETTINGS
    analyzer.diffusion(
        sc.scalar(float(start_dt_ps), unit="ps"),
        cond_max=float(s["cond_max"]),  # type: ignore[arg-type]
        fit_intercept=bool(s["fit_intercept"]),
        n_samples=int(s["n_samples"]),  # type: ignore[call-overload]
        n_walkers=int(s["n_walkers"]),  # type: ignore[call-overload]
        n_burn=int(s["n_burn"]),  # type: ignore[call-overload]
        n_thin=int(s["n_thin"]),  # type: ignore[call-overload]
        progress=False,
        random_state=np.random.RandomState(seed),
    )
    samples = np.asarray(sc.to_unit(analyzer.D, "cm2/s").values, dtype=np.float64)
    lo, med, hi = np.percentile(samples, [2.5, 50.0, 97.5])
    return KinisiDiffusion(
        samples_cm2_s=samples,
        D_cm2_s=float(med),
        D_ci95_cm2_s=(float(lo), float(hi)),
        start_dt_ps=float(start_dt_ps),
        n_lags=int(lags.size),
        dimension=dimension,
        kinisi_version=str(kinisi.__version__),
    )
