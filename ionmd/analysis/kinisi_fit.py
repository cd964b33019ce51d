"""The bridge to kinisi 2.x: Bayesian D (tracer and charge) with uncertainty from
positions that are already unwrapped.

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
from typing import Any

import numpy as np

from ionmd.errors import InputError
from ionmd.units import nernst_einstein_factor

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
_MCMC: dict[str, Any] = {
    k: KINISI_DOCUMENTED_SETTINGS[k]
    for k in ("n_samples", "n_walkers", "n_burn", "n_thin", "cond_max", "fit_intercept")
}


@dataclass(kw_only=True)
class KinisiDiffusion:
    """Posterior of D. ``samples_cm2_s (S,)``; ``D_cm2_s`` the posterior mean (see
    :data:`D_ESTIMATOR`) and the central 95 % interval, cm²/s."""

    samples_cm2_s: np.ndarray
    D_cm2_s: float
    D_ci95_cm2_s: tuple[float, float]
    start_dt_ps: float
    n_lags: int
    dimension: str
    kinisi_version: str


def _kinisi() -> Any:
    try:
        import kinisi
    except ImportError as exc:  # the engine box has no kinisi
        raise InputError(
            f"kinisi is not installed ({exc}); install it or pass --no-kinisi"
        ) from None
    return kinisi


def _parser(
    *,
    positions_A: np.ndarray,
    cell_A: np.ndarray,
    frame_interval_ps: float,
    lag_frames: np.ndarray,
    start_dt_ps: float,
    dimension: str,
) -> Any:
    """A kinisi ``Parser`` over unwrapped positions ``(F, M, 3)`` on ``lag_frames (L,)``."""
    _kinisi()
    import scipp as sc
    from kinisi.parser import Parser

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
    if start_dt_ps > lags[-1] * frame_interval_ps:
        raise InputError(
            f"fit start {start_dt_ps} ps is beyond the longest lag "
            f"{lags[-1] * frame_interval_ps:.3g} ps"
        )
    cell = np.asarray(cell_A, dtype=np.float64)
    coords = sc.array(
        dims=["time", "particle", "dimension"],
        values=pos @ np.linalg.inv(cell),
        unit=sc.units.dimensionless,
    )
    latt = sc.array(
        dims=["time", "dimension1", "dimension2"],
        values=np.broadcast_to(cell, (n_frames, 3, 3)).copy(),
        unit=sc.units.angstrom,
    )
    parser = _UnwrappedParser(
        coords,
        latt,
        sc.scalar(frame_interval_ps, unit="ps"),
        sc.scalar(1, unit=sc.units.dimensionless),
        dt=sc.array(dims=["time interval"], values=lags * frame_interval_ps, unit="ps"),
        specie_indices=sc.array(dims=["particle"], values=np.arange(n_ions)),
        drift_indices=sc.array(dims=["particle"], values=np.array([], dtype=np.int64)),
        dimension=dimension,
    )
    if not np.array_equal(parser.dt_index.values, lags):  # round-off in kinisi's division
        parser.dt_index = sc.array(dims=["time interval"], values=lags)
    return parser


#: How one D is read from kinisi's posterior (recorded in results.json).
D_ESTIMATOR = (
    "posterior mean (kinisi's documentation reports the mean of D's posterior, and "
    "the study used kinisi: its numbers are means); the 95 % interval is the "
    "central 2.5-97.5 percentile range of the same samples"
)


def _summary(
    samples: np.ndarray, *, start_dt_ps: float, n_lags: int, dimension: str
) -> KinisiDiffusion:
    lo, hi = np.percentile(samples, [2.5, 97.5])
    return KinisiDiffusion(
        samples_cm2_s=samples,
        D_cm2_s=float(np.mean(samples)),
        D_ci95_cm2_s=(float(lo), float(hi)),
        start_dt_ps=float(start_dt_ps),
        n_lags=n_lags,
        dimension=dimension,
        kinisi_version=str(_kinisi().__version__),
    )


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
    parser = _parser(
        positions_A=positions_A,
        cell_A=cell_A,
        frame_interval_ps=frame_interval_ps,
        lag_frames=lag_frames,
        start_dt_ps=start_dt_ps,
        dimension=dimension,
    )
    import scipp as sc
    from kinisi.diffusion_analyzer import DiffusionAnalyzer
    from kinisi.displacement import calculate_msd

    analyzer = DiffusionAnalyzer(parser)
    analyzer._dg = calculate_msd(parser, progress=False)
    analyzer.diffusion(
        sc.scalar(float(start_dt_ps), unit="ps"),
        progress=False,
        random_state=np.random.RandomState(seed),
        **_MCMC,
    )
    samples = np.asarray(sc.to_unit(analyzer.D, "cm2/s").values, dtype=np.float64)
    return _summary(
        samples, start_dt_ps=start_dt_ps, n_lags=len(lag_frames), dimension=dimension
    )


def kinisi_charge_diffusion(
    *,
    positions_A: np.ndarray,
    cell_A: np.ndarray,
    frame_interval_ps: float,
    lag_frames: np.ndarray,
    start_dt_ps: float,
    temperature_K: float,
    dimension: str = "xyz",
    seed: int = 42,
) -> KinisiDiffusion:
    """Charge (collective) diffusion D_sigma with kinisi's ``ConductivityAnalyzer``
    (mean-squared total displacement, unit charges), as sigma / Nernst–Einstein
    factor, so that ``D / D_sigma`` is the Haven ratio. Shapes as
    :func:`kinisi_diffusion`."""
    parser = _parser(
        positions_A=positions_A,
        cell_A=cell_A,
        frame_interval_ps=frame_interval_ps,
        lag_frames=lag_frames,
        start_dt_ps=start_dt_ps,
        dimension=dimension,
    )
    import scipp as sc
    from kinisi.conductivity_analyzer import ConductivityAnalyzer
    from kinisi.displacement import calculate_mstd

    analyzer = ConductivityAnalyzer(parser)
    analyzer._dg = calculate_mstd(parser, ionic_charge=1 * sc.Unit("e"), progress=False)
    analyzer.conductivity(
        sc.scalar(float(start_dt_ps), unit="ps"),
        sc.scalar(float(temperature_K), unit="K"),
        progress=False,
        random_state=np.random.RandomState(seed),
        **_MCMC,
    )
    sigma = np.asarray(sc.to_unit(analyzer.sigma, "mS/cm").values, dtype=np.float64)
    factor = nernst_einstein_factor(
        n_ions=int(np.asarray(positions_A).shape[1]),
        volume_A3=float(abs(np.linalg.det(cell_A))),
        temperature_K=temperature_K,
    )
    return _summary(
        sigma / factor, start_dt_ps=start_dt_ps, n_lags=len(lag_frames), dimension=dimension
    )
